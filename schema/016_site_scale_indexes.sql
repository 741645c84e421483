-- aeogate schema 16: indexes for the questions the controller asks of the
-- whole site while its loop waits. Without them the daily (and at start)
-- expiry-warning query read every person, badge and vetting record (0.4 s
-- at 2 million persons, during which no badge was decided), and removing a
-- level counted its holders by reading every person's levels (0.3 s).
-- Partial where the column is mostly empty: only bounded validities are
-- ever due. tests/unit/test_store_plans.c keeps every statement indexed.
-- IF NOT EXISTS: a database whose user_version was set back migrates again.
CREATE INDEX IF NOT EXISTS persons_valid_until ON persons(valid_until)
	WHERE valid_until IS NOT NULL;
CREATE INDEX IF NOT EXISTS credentials_valid_until ON credentials(valid_until)
	WHERE valid_until IS NOT NULL;
CREATE INDEX IF NOT EXISTS person_vetting_recheck ON person_vetting(recheck_due_ms);
CREATE INDEX IF NOT EXISTS person_levels_level ON person_levels(level);
