-- aeogate schema 6: the log is append-only outside pruning (defence in
-- depth; README.md, "Tamper evidence"). Triggers refuse UPDATE of events
-- and checkpoints always, and DELETE unless the pruning code has set the
-- flag below inside its own transaction (store_prune sets it, deletes, and
-- clears it before the transaction commits, so it is never committed set).
-- They stop a mistaken or casual change through any SQLite client; they do
-- not stop someone who holds the file, who can drop them: the signed
-- checkpoints and the head record outside the database catch that.
CREATE TABLE audit_guard (
	id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
	pruning INTEGER NOT NULL DEFAULT 0 CHECK (pruning IN (0, 1))
) STRICT;
INSERT INTO audit_guard(id) VALUES (1);

CREATE TRIGGER events_append_only_update BEFORE UPDATE ON events
BEGIN
	SELECT RAISE(ABORT, 'events are append-only: an event is never changed');
END;
CREATE TRIGGER events_append_only_delete BEFORE DELETE ON events
WHEN (SELECT pruning FROM audit_guard WHERE id = 1) IS NOT 1
BEGIN
	SELECT RAISE(ABORT, 'events are append-only: only pruning deletes them');
END;
CREATE TRIGGER checkpoints_append_only_update BEFORE UPDATE ON checkpoints
BEGIN
	SELECT RAISE(ABORT, 'checkpoints are append-only: a checkpoint is never changed');
END;
CREATE TRIGGER checkpoints_append_only_delete BEFORE DELETE ON checkpoints
WHEN (SELECT pruning FROM audit_guard WHERE id = 1) IS NOT 1
BEGIN
	SELECT RAISE(ABORT, 'checkpoints are append-only: only pruning deletes them');
END;
-- The flag itself may only move inside a transaction that also prunes; a
-- change outside one is refused by store_prune's caller check, not here:
-- anyone who can write this table can also drop the triggers.
