-- aeogate schema 23: person photos (README "Person photos"). At most one
-- photo per person: a PNG or JPEG uploaded through the dashboard or
-- aeogatectl person photo ID set FILE, with its type, pixel size, byte
-- count and SHA-256 as checked when it was stored. The bytes are never in
-- the event chain: person.photo records the hash. A person is never
-- deleted (terminate keeps the row), so the foreign key only guards the
-- insert. IF NOT EXISTS: a database whose user_version was set back
-- migrates again.
CREATE TABLE IF NOT EXISTS person_photos (
	person TEXT PRIMARY KEY NOT NULL REFERENCES persons(id),
	type TEXT NOT NULL CHECK (type IN ('image/png', 'image/jpeg')),
	width INTEGER NOT NULL CHECK (width > 0),
	height INTEGER NOT NULL CHECK (height > 0),
	bytes INTEGER NOT NULL CHECK (bytes > 0),
	sha256 TEXT NOT NULL,
	updated_ms INTEGER NOT NULL,
	updated_by TEXT NOT NULL,
	-- Last: reading the columns before it never walks its overflow pages.
	image BLOB NOT NULL
) STRICT; -- a rowid table: a WITHOUT ROWID row should be small, a photo is not
