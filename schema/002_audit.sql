-- aeogate schema 2: the audit trail's own records. Signed checkpoints of
-- the event chain, and the alarm lifecycle (raised → acknowledged → closed).
-- Times are UTC milliseconds since the epoch.

-- A checkpoint is the device key's Ed25519 signature over
-- "aeogate-checkpoint-v1\n<seq>\n<hash>\n<ts>" (ts as ISO 8601 UTC ms).
-- Several checkpoints may name the same seq (one per export, say).
CREATE TABLE checkpoints (
	id INTEGER PRIMARY KEY NOT NULL,
	seq INTEGER NOT NULL,
	hash TEXT NOT NULL,
	ts_ms INTEGER NOT NULL,
	key_id TEXT NOT NULL,
	signature TEXT NOT NULL
) STRICT;
CREATE INDEX checkpoints_seq ON checkpoints(seq);

-- One row per alarm event (door.forced, door.held, alarm.tamper,
-- alarm.storage); the events themselves stay the record, this table is the
-- working state guards acknowledge and close.
CREATE TABLE alarms (
	id INTEGER PRIMARY KEY NOT NULL,
	kind TEXT NOT NULL,
	door TEXT,
	zone TEXT,
	raised_seq INTEGER NOT NULL UNIQUE,
	raised_ms INTEGER NOT NULL,
	state TEXT NOT NULL DEFAULT 'open'
		CHECK (state IN ('open', 'acknowledged', 'closed')),
	ack_ms INTEGER,
	ack_by TEXT,
	ack_comment TEXT,
	closed_ms INTEGER,
	closed_by TEXT
) STRICT;
CREATE INDEX alarms_state ON alarms(state, id);
