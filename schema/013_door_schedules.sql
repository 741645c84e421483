-- aeogate schema 13: door schedules (door schedule DOOR --mode MODE
-- --schedule S [--first-person-in]). Inside the schedule the door takes
-- mode (with first_person_in, only after the first granted badge of the
-- interval); a manual door mode wins while it is in force. At most one
-- per door; a schedule a door uses cannot be removed. Its history is in
-- the event trail (door.updated, door.mode). IF NOT EXISTS: a database
-- whose user_version was set back (tests simulate older schemas so)
-- migrates again.
CREATE TABLE IF NOT EXISTS door_schedules (
	door TEXT PRIMARY KEY NOT NULL REFERENCES doors(name),
	mode TEXT NOT NULL CHECK (mode IN ('card', 'card_and_pin', 'unlocked', 'locked')),
	schedule TEXT NOT NULL REFERENCES schedules(name),
	first_person_in INTEGER NOT NULL DEFAULT 0 CHECK (first_person_in IN (0, 1)),
	set_ms INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS door_schedules_schedule ON door_schedules(schedule);
