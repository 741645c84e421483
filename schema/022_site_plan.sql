-- aeogate schema 22: the site plan (README "Site plan"). site_plan is at
-- most one row: the floor-plan image an admin uploaded (PNG or JPEG, its
-- type, pixel size, byte count and SHA-256 as checked when it was
-- stored). door_markers holds where each door's marker sits on it, in
-- relative coordinates (0..1 from the left and from the top), so a
-- marker stays put whatever size the plan is shown at. The image is
-- never in the event chain: site.plan records its hash, site.marker each
-- move. IF NOT EXISTS: a database whose user_version was set back
-- migrates again.
CREATE TABLE IF NOT EXISTS site_plan (
	id INTEGER PRIMARY KEY CHECK (id = 1),
	type TEXT NOT NULL CHECK (type IN ('image/png', 'image/jpeg')),
	width INTEGER NOT NULL CHECK (width > 0),
	height INTEGER NOT NULL CHECK (height > 0),
	bytes INTEGER NOT NULL CHECK (bytes > 0),
	sha256 TEXT NOT NULL,
	image BLOB NOT NULL,
	updated_ms INTEGER NOT NULL,
	updated_by TEXT NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS door_markers (
	door TEXT PRIMARY KEY NOT NULL,
	x REAL NOT NULL CHECK (x >= 0 AND x <= 1),
	y REAL NOT NULL CHECK (y >= 0 AND y <= 1)
) STRICT, WITHOUT ROWID;
