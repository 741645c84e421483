-- aeogate schema 9: door modes. A door's manual mode (door mode DOOR MODE
-- [--until T]) survives a restart; a door without a row is in its default
-- mode, card. until_ms NULL: until changed. Who set it, why and what it was
-- before are in the event trail (door.mode). IF NOT EXISTS: a database whose
-- user_version was set back (tests simulate older schemas so) migrates again.
CREATE TABLE IF NOT EXISTS door_modes (
	door TEXT PRIMARY KEY NOT NULL REFERENCES doors(name),
	mode TEXT NOT NULL CHECK (mode IN ('card', 'card_and_pin', 'unlocked', 'locked')),
	until_ms INTEGER,
	set_ms INTEGER NOT NULL
) STRICT;
