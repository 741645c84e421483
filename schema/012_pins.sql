-- aeogate schema 12: card + PIN. A person has at most one PIN, kept only as
-- its salted slow hash (libsodium's argon2id string: algorithm, costs, salt
-- and hash), never the PIN itself. wrong_pins counts wrong PINs in a row
-- (a correct one sets it back to 0); locked is set by the attempt that
-- reaches [policy] pin_attempts and cleared only by a new PIN (person pin)
-- or person pin-unlock. Who set, cleared or unlocked it, and when, is in
-- the event trail (person.pin_set, person.pin_unlocked). IF NOT EXISTS: a
-- database whose user_version was set back (tests simulate older schemas
-- so) migrates again.
CREATE TABLE IF NOT EXISTS person_pins (
	person TEXT PRIMARY KEY NOT NULL REFERENCES persons(id),
	hash TEXT NOT NULL CHECK (substr(hash, 1, 10) = '$argon2id$'),
	wrong_pins INTEGER NOT NULL DEFAULT 0 CHECK (wrong_pins >= 0),
	locked INTEGER NOT NULL DEFAULT 0 CHECK (locked IN (0, 1)),
	set_ms INTEGER NOT NULL
) STRICT;
