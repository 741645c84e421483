-- aeogate schema 11: expiry warnings. One row per warning given: a person's
-- or a badge's validity, or a person's vetting re-check, falling due on
-- due_ms. A warning is given at most once per item and due date, also across
-- restarts; a new due date (validity extended) is warned of anew. seq is the
-- expiry.warning event that gave it. IF NOT EXISTS: a database whose
-- user_version was set back (tests simulate older schemas so) migrates again.
CREATE TABLE IF NOT EXISTS expiry_warnings (
	what TEXT NOT NULL CHECK (what IN ('person', 'badge', 'vetting')),
	item TEXT NOT NULL,
	due_ms INTEGER NOT NULL,
	seq INTEGER NOT NULL,
	PRIMARY KEY (what, item, due_ms)
) STRICT, WITHOUT ROWID;
