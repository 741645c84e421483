-- aeogate schema 20: the alarm workflow (issue 17). One row per event that
-- handled an alarm after it was raised (alarm.acknowledged, alarm.escalated,
-- alarm.closed), so the alarm's whole history is found by its id without
-- scanning the log, and an alarm is escalated at most once, also across
-- restarts. The events stay the record; this is their index. Re-runnable:
-- the backfill of the acknowledgements and closings made before this
-- schema inserts nothing twice.
CREATE TABLE IF NOT EXISTS alarm_steps (
	alarm INTEGER NOT NULL,
	seq INTEGER NOT NULL,
	kind TEXT NOT NULL,
	ts_ms INTEGER NOT NULL,
	PRIMARY KEY (alarm, seq)
) STRICT;
CREATE INDEX IF NOT EXISTS alarm_steps_kind ON alarm_steps(kind, alarm);
INSERT OR IGNORE INTO alarm_steps (alarm, seq, kind, ts_ms)
	SELECT json_extract(detail, '$.alarm'), seq, kind, ts_ms FROM events
	WHERE kind IN ('alarm.acknowledged', 'alarm.closed')
	AND json_valid(detail) AND json_extract(detail, '$.alarm') IS NOT NULL;
