-- aeogate schema 24: the uplink's durable cursor (README "Many sites").
-- One row: forwarded_seq, the highest seq such that every event up to it
-- was acknowledged by the MQTT broker to aeogate-sync, and checkpoint_seq,
-- the seq of the newest signed checkpoint published the same way. Both
-- only grow (op sync.cursor refuses nothing but never moves them back), so
-- a restarted aeogate-sync resends at most what it had not confirmed.
-- IF NOT EXISTS: a database whose user_version was set back migrates again.
CREATE TABLE IF NOT EXISTS sync_cursor (
	id INTEGER PRIMARY KEY CHECK (id = 1),
	forwarded_seq INTEGER NOT NULL DEFAULT 0 CHECK (forwarded_seq >= 0),
	checkpoint_seq INTEGER NOT NULL DEFAULT 0 CHECK (checkpoint_seq >= 0),
	updated_ms INTEGER NOT NULL DEFAULT 0
) STRICT;
INSERT OR IGNORE INTO sync_cursor(id) VALUES (1);
