-- aeogate schema 5: sign-in throttling that survives a restart
-- (docs/web.md, "Sign-in throttling"). One row per account or source with
-- a streak of failed logins: key is "account:NAME" or "source:SOURCE";
-- times are UTC ms. A row goes when its streak ends (a correct password
-- for an account) or is forgotten; the controller keeps at most
-- AEOGATE_LOGIN_THROTTLE_ENTRIES rows.
CREATE TABLE login_throttle (
	key TEXT PRIMARY KEY NOT NULL,
	failures INTEGER NOT NULL CHECK (failures > 0),
	last_failure_ms INTEGER NOT NULL,
	blocked_until_ms INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
