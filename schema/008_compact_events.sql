-- aeogate schema 8: compact events (issue 12). prev and hash are stored as
-- 32-byte blobs instead of 64 hex digits: about 64 bytes less per event.
-- Nothing else changes: the store reads them back as lower-case hex
-- (controller/store/events.c), so events, exports and the chain recipe in
-- the README are byte for byte what they were, and an old database's rows
-- verify as before. The table is rebuilt in this migration's transaction
-- (the first start after an upgrade copies the log once). aeogate_unhex is
-- aeogated's own SQL function; it passes a 32-byte blob through, so a
-- database whose user_version was set back converts again harmlessly.
CREATE TABLE IF NOT EXISTS events_compact (
	seq INTEGER PRIMARY KEY NOT NULL,
	ts_ms INTEGER NOT NULL,
	kind TEXT NOT NULL,
	door TEXT,
	reader TEXT,
	zone TEXT,
	person TEXT,
	credential TEXT,
	reason TEXT,
	detail TEXT,
	prev BLOB NOT NULL CHECK (length(prev) = 32),
	hash BLOB NOT NULL CHECK (length(hash) = 32)
) STRICT;
INSERT INTO events_compact
	SELECT seq, ts_ms, kind, door, reader, zone, person, credential, reason, detail,
	       aeogate_unhex(prev), aeogate_unhex(hash)
	FROM events ORDER BY seq;
DROP TABLE events;
ALTER TABLE events_compact RENAME TO events;

-- Dropping the table dropped its indexes (schemas 1 and 4) and its
-- append-only triggers (schema 6): the same again.
CREATE INDEX IF NOT EXISTS events_ts ON events(ts_ms);
CREATE INDEX IF NOT EXISTS events_person ON events(person, seq);
CREATE INDEX IF NOT EXISTS events_pruned ON events(seq) WHERE kind = 'audit.pruned';
CREATE TRIGGER IF NOT EXISTS events_append_only_update BEFORE UPDATE ON events
BEGIN
	SELECT RAISE(ABORT, 'events are append-only: an event is never changed');
END;
CREATE TRIGGER IF NOT EXISTS events_append_only_delete BEFORE DELETE ON events
WHEN (SELECT pruning FROM audit_guard WHERE id = 1) IS NOT 1
BEGIN
	SELECT RAISE(ABORT, 'events are append-only: only pruning deletes them');
END;
