-- aeogate schema 15: lockdown and threat levels. site_state is one row:
-- the whole site locked down (site_lockdown), and the site's threat level
-- (0-5). lockdown_zones holds the zones locked down one by one (while the
-- site is not locked down as a whole). person_site holds a person's
-- responder mark (who passes a lockdown) and clearance (0-5, compared with
-- the threat level); a person without a row is no responder, clearance 0.
-- Who changed what, and when, is in the event trail (site.lockdown,
-- site.release, site.threat, person.updated). IF NOT EXISTS: a database
-- whose user_version was set back (tests simulate older schemas so)
-- migrates again.
CREATE TABLE IF NOT EXISTS site_state (
	id INTEGER PRIMARY KEY CHECK (id = 1),
	site_lockdown INTEGER NOT NULL DEFAULT 0 CHECK (site_lockdown IN (0, 1)),
	threat_level INTEGER NOT NULL DEFAULT 0 CHECK (threat_level BETWEEN 0 AND 5)
) STRICT;
INSERT OR IGNORE INTO site_state(id) VALUES (1);
CREATE TABLE IF NOT EXISTS lockdown_zones (
	zone TEXT PRIMARY KEY NOT NULL REFERENCES zones(name)
) STRICT, WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS person_site (
	person TEXT PRIMARY KEY NOT NULL REFERENCES persons(id),
	responder INTEGER NOT NULL DEFAULT 0 CHECK (responder IN (0, 1)),
	clearance INTEGER NOT NULL DEFAULT 0 CHECK (clearance BETWEEN 0 AND 5)
) STRICT, WITHOUT ROWID;
