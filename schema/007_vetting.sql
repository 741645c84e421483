-- aeogate schema 7: clearance (personnel vetting). A zone may require it;
-- a person has at most one vetting record, the latest (its history is in
-- the event trail as person.vetted, before/after). The reference is a case
-- number, never the check's content. IF NOT EXISTS: a database whose
-- user_version was set back (tests simulate older schemas so) migrates again.
CREATE TABLE IF NOT EXISTS zone_settings (
	zone TEXT PRIMARY KEY NOT NULL REFERENCES zones(name),
	vetting_required INTEGER NOT NULL DEFAULT 0 CHECK (vetting_required IN (0, 1))
) STRICT;

CREATE TABLE IF NOT EXISTS person_vetting (
	person TEXT PRIMARY KEY NOT NULL REFERENCES persons(id),
	status TEXT NOT NULL CHECK (status IN ('cleared', 'pending', 'failed')),
	checked_ms INTEGER NOT NULL,
	recheck_due_ms INTEGER NOT NULL,
	reference TEXT
) STRICT;
