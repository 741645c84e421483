-- aeogate schema 14: where everyone is, anti-passback and occupancy
-- (issue 14, sections 1-2). A zone's area rules (zone set ZONE
-- --apb off|soft|hard|timed:MINUTES --max-occupancy N|none) and its count
-- of soft anti-passback violations; per person the zone they are in, since
-- when and by which door; per person and zone their last granted entry
-- (timed anti-passback). The location rows change in the same transaction
-- as the access event that moves the person, so they survive a restart
-- (kill -9 included) exactly as the events do; the event trail keeps their
-- history (access.granted with detail.direction, apb.forgiven). IF NOT
-- EXISTS: a database whose user_version was set back (tests simulate older
-- schemas so) migrates again.
CREATE TABLE IF NOT EXISTS zone_area (
	zone TEXT PRIMARY KEY NOT NULL REFERENCES zones(name),
	apb TEXT NOT NULL DEFAULT 'off' CHECK (apb IN ('off', 'soft', 'hard', 'timed')),
	apb_minutes INTEGER NOT NULL DEFAULT 0 CHECK (apb_minutes >= 0),
	max_occupancy INTEGER CHECK (max_occupancy IS NULL OR max_occupancy >= 0),
	soft_violations INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE TABLE IF NOT EXISTS person_locations (
	person TEXT PRIMARY KEY NOT NULL,
	zone TEXT NOT NULL,
	since_ms INTEGER NOT NULL,
	door TEXT NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS person_locations_zone ON person_locations(zone, since_ms);

CREATE TABLE IF NOT EXISTS zone_entries (
	person TEXT NOT NULL,
	zone TEXT NOT NULL,
	at_ms INTEGER NOT NULL,
	PRIMARY KEY (person, zone)
) STRICT, WITHOUT ROWID;
