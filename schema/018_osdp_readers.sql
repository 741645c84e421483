-- aeogate schema 18: osdp readers (issue 15). SQLite cannot change a CHECK
-- constraint in place, so the readers table is rebuilt with 'osdp' among
-- the types. No table references readers; the rows are the config's
-- topology and are written again at every start anyway. Re-runnable: a
-- database whose user_version was set back rebuilds the table again.
CREATE TABLE IF NOT EXISTS readers_018 (
	name TEXT PRIMARY KEY NOT NULL,
	door TEXT NOT NULL REFERENCES doors(name),
	type TEXT NOT NULL CHECK (type IN ('sim', 'wiegand', 'nfc', 'osdp'))
) STRICT;
INSERT OR IGNORE INTO readers_018 (name, door, type) SELECT name, door, type FROM readers;
DROP TABLE readers;
ALTER TABLE readers_018 RENAME TO readers;
