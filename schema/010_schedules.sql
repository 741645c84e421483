-- aeogate schema 10: schedules and holidays. A schedule is a named list of
-- intervals (controller/policy/schedule.h: day bits, start and end minute
-- of the site's local day); a level may have one, and then opens its zones
-- only inside it. Holidays are local dates on which only hol intervals
-- apply. Their history is in the event trail (schedule.*, holiday.*,
-- level.updated). IF NOT EXISTS: a database whose user_version was set back
-- (tests simulate older schemas so) migrates again.
CREATE TABLE IF NOT EXISTS schedules (
	name TEXT PRIMARY KEY NOT NULL
) STRICT;

-- Bits 0-6 Monday-Sunday, bit 7 holidays; an end at or before the start
-- crosses midnight; 1440 is 24:00.
CREATE TABLE IF NOT EXISTS schedule_intervals (
	schedule TEXT NOT NULL REFERENCES schedules(name) ON DELETE CASCADE,
	days INTEGER NOT NULL CHECK (days BETWEEN 1 AND 255),
	start_min INTEGER NOT NULL CHECK (start_min BETWEEN 0 AND 1439),
	end_min INTEGER NOT NULL CHECK (end_min BETWEEN 1 AND 1440),
	UNIQUE (schedule, days, start_min, end_min)
) STRICT;

-- A level's schedule; a level without a row has none (always in force).
-- Removing a level drops its row; a schedule in use cannot be removed.
CREATE TABLE IF NOT EXISTS level_schedules (
	level TEXT PRIMARY KEY NOT NULL REFERENCES levels(name) ON DELETE CASCADE,
	schedule TEXT NOT NULL REFERENCES schedules(name)
) STRICT, WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS level_schedules_schedule ON level_schedules(schedule);

CREATE TABLE IF NOT EXISTS holidays (
	date TEXT PRIMARY KEY NOT NULL
		CHECK (date GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
	name TEXT NOT NULL
) STRICT;
