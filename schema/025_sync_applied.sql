-- aeogate schema 25: what the office's signed messages did (README "Signed
-- change sets and commands"). sync_applied: per site, the version of the
-- last change set applied (change sets apply in version order, each once)
-- and the sync.applied event that recorded it. sync_commands: the ids of
-- the commands taken, so that each is applied at most once; bounded
-- (AEOGATE_COMMAND_IDS_MAX rows, none older than 30 days): a command issued
-- more than 10 minutes ago is refused by its time anyway. IF NOT EXISTS: a
-- database whose user_version was set back migrates again.
CREATE TABLE IF NOT EXISTS sync_applied (
	site TEXT PRIMARY KEY NOT NULL,
	version INTEGER NOT NULL CHECK (version >= 1),
	signer TEXT NOT NULL,
	applied_ms INTEGER NOT NULL,
	seq INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS sync_commands (
	id TEXT PRIMARY KEY NOT NULL,
	issued_ms INTEGER NOT NULL,
	seen_ms INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS sync_commands_seen ON sync_commands(seen_ms);
