-- aeogate schema 19: the device public keys that signed this database's
-- checkpoints, recorded at every start. A backup carries them, so
-- `aeogatectl audit verify --db FILE` can check a copy without a key given
-- (not pinned), and a restore onto another board can name the previous key.
CREATE TABLE IF NOT EXISTS device_keys (
	key_id TEXT PRIMARY KEY NOT NULL,
	public_key TEXT NOT NULL,
	first_ms INTEGER NOT NULL
) STRICT;

-- The newest backup, for aeogatectl status (last_backup) and /metrics,
-- without scanning the log.
CREATE INDEX IF NOT EXISTS events_backups ON events(seq) WHERE kind = 'system.backup';
