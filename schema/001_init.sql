-- aeogate schema 1: topology from the config, personnel and their rights,
-- and the hash-chained event log. Times are UTC milliseconds since the epoch;
-- NULL validity means "no bound".

CREATE TABLE zones (
	name TEXT PRIMARY KEY NOT NULL
) STRICT;

CREATE TABLE doors (
	name TEXT PRIMARY KEY NOT NULL,
	zone TEXT NOT NULL REFERENCES zones(name)
) STRICT;

CREATE TABLE readers (
	name TEXT PRIMARY KEY NOT NULL,
	door TEXT NOT NULL REFERENCES doors(name),
	type TEXT NOT NULL CHECK (type IN ('sim', 'wiegand', 'nfc'))
) STRICT;

CREATE TABLE persons (
	id TEXT PRIMARY KEY NOT NULL,
	name TEXT NOT NULL,
	status TEXT NOT NULL DEFAULT 'active'
		CHECK (status IN ('active', 'suspended', 'terminated')),
	valid_from INTEGER,
	valid_until INTEGER,
	created_ms INTEGER NOT NULL,
	terminated_ms INTEGER
) STRICT;

CREATE TABLE credentials (
	id TEXT PRIMARY KEY NOT NULL,
	person TEXT NOT NULL REFERENCES persons(id),
	status TEXT NOT NULL DEFAULT 'active'
		CHECK (status IN ('active', 'suspended', 'lost', 'revoked', 'returned')),
	valid_from INTEGER,
	valid_until INTEGER,
	issued_ms INTEGER NOT NULL,
	revoked_ms INTEGER
) STRICT;
CREATE INDEX credentials_person ON credentials(person);

CREATE TABLE levels (
	name TEXT PRIMARY KEY NOT NULL
) STRICT;

CREATE TABLE level_zones (
	level TEXT NOT NULL REFERENCES levels(name),
	zone TEXT NOT NULL REFERENCES zones(name),
	PRIMARY KEY (level, zone)
) STRICT, WITHOUT ROWID;

CREATE TABLE person_levels (
	person TEXT NOT NULL REFERENCES persons(id),
	level TEXT NOT NULL REFERENCES levels(name),
	PRIMARY KEY (person, level)
) STRICT, WITHOUT ROWID;

-- The event log. Rows are only ever appended (pruning under a signed
-- checkpoint is the one exception, see the audit issue); prev/hash chain them.
CREATE TABLE events (
	seq INTEGER PRIMARY KEY NOT NULL,
	ts_ms INTEGER NOT NULL,
	kind TEXT NOT NULL,
	door TEXT,
	reader TEXT,
	zone TEXT,
	person TEXT,
	credential TEXT,
	reason TEXT,
	detail TEXT,
	prev TEXT NOT NULL,
	hash TEXT NOT NULL
) STRICT;
CREATE INDEX events_ts ON events(ts_ms);
CREATE INDEX events_person ON events(person, seq);

-- Dashboard users; password hashes are argon2id encoded strings.
CREATE TABLE users (
	name TEXT PRIMARY KEY NOT NULL,
	role TEXT NOT NULL CHECK (role IN ('guard', 'manager', 'auditor', 'admin')),
	pwhash TEXT NOT NULL,
	disabled INTEGER NOT NULL DEFAULT 0,
	created_ms INTEGER NOT NULL
) STRICT;
