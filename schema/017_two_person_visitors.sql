-- aeogate schema 17: the two-person rule, escorts and visitors.
-- zone_pairing: a zone's waits for another person (zone set --two-person,
-- --escort), windows in milliseconds; a zone without a row waits for no
-- one. visitors: the visitor register, one row per visitor person (the
-- person row carries the name and the badge's end, valid_until = until);
-- document is the type of ID document checked, never its number; ended_ms
-- is set by visitor end (badge returned). Who added and ended a visit is in
-- the event trail (visitor.added, visitor.ended). IF NOT EXISTS: a
-- database whose user_version was set back (tests simulate older schemas
-- so) migrates again.
CREATE TABLE IF NOT EXISTS zone_pairing (
	zone TEXT PRIMARY KEY NOT NULL REFERENCES zones(name),
	two_person INTEGER NOT NULL DEFAULT 0 CHECK (two_person IN (0, 1)),
	two_person_window_ms INTEGER NOT NULL DEFAULT 10000 CHECK (two_person_window_ms > 0),
	escort INTEGER NOT NULL DEFAULT 0 CHECK (escort IN (0, 1)),
	escort_window_ms INTEGER NOT NULL DEFAULT 30000 CHECK (escort_window_ms > 0)
) STRICT;

CREATE TABLE IF NOT EXISTS visitors (
	person TEXT PRIMARY KEY NOT NULL REFERENCES persons(id),
	company TEXT NOT NULL,
	host TEXT NOT NULL REFERENCES persons(id),
	document TEXT NOT NULL,
	vehicle TEXT,
	until_ms INTEGER NOT NULL,
	added_ms INTEGER NOT NULL,
	ended_ms INTEGER
) STRICT;
CREATE INDEX IF NOT EXISTS visitors_until ON visitors(until_ms);
