/* SPDX-License-Identifier: MIT */
/* Lockdown, threat level, responders and clearances (schema 15). */
#include <errno.h>

#include "store-internal.h"

ROW_SHAPE(person_site_shape, struct person_site, COL(struct person_site, responder),
	  COL(struct person_site, clearance));

const char *const store_site_sql[_ST_MAX] = {
    [ST_SITE_GET] = "SELECT site_lockdown, threat_level FROM site_state WHERE id = 1",
    [ST_SITE_SET_LOCKDOWN] = "INSERT INTO site_state(id, site_lockdown) VALUES (1, ?1) "
			     "ON CONFLICT(id) DO UPDATE SET site_lockdown = excluded.site_lockdown",
    [ST_SITE_SET_THREAT] = "INSERT INTO site_state(id, threat_level) VALUES (1, ?1) "
			   "ON CONFLICT(id) DO UPDATE SET threat_level = excluded.threat_level",
    [ST_LOCKDOWN_ZONES] = "SELECT zone FROM lockdown_zones ORDER BY zone",
    [ST_LOCKDOWN_ZONES_CLEAR] = "DELETE FROM lockdown_zones",
    [ST_LOCKDOWN_ZONE_ADD] = "INSERT OR IGNORE INTO lockdown_zones(zone) VALUES (?1)",
    [ST_PERSON_SITE_GET] = "SELECT responder, clearance FROM person_site WHERE person = ?1",
    [ST_PERSON_SITE_PUT] = "INSERT INTO person_site(person, responder, clearance) "
			   "VALUES (?1, ?2, ?3) ON CONFLICT(person) DO UPDATE SET "
			   "responder = excluded.responder, clearance = excluded.clearance",
};

struct site_row {
	bool site;
	int64_t threat;
};

ROW_SHAPE(site_row_shape, struct site_row, COL(struct site_row, site),
	  COL(struct site_row, threat));

int store_site_get(struct store *s, bool *ret_site, int *ret_threat_level)
{
	struct site_row row = {0};
	int r = stmt_get(s, &site_row_shape, &row, ST_SITE_GET, "");

	if (r < 0)
		return r;
	/* No row (cannot happen after the migration): no lockdown, level 0. */
	if (row.threat < 0 || row.threat > 5)
		return store_fail(s, -EIO, "threat level %lld out of range", (long long)row.threat);
	*ret_site = row.site;
	*ret_threat_level = (int)row.threat;
	return 0;
}

int store_lockdown_zones(struct store *s, int (*cb)(const char *zone, void *userdata),
			 void *userdata)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r = stmt_prepare(s, ST_LOCKDOWN_ZONES, &st, "");

	if (r < 0)
		return r;
	while ((r = stmt_row(s, st)) > 0) {
		r = cb(col_text(st, 0), userdata);
		if (r != 0)
			return r;
	}
	return r;
}

int store_lockdown_set(struct store *s, bool site, const char *const *zones, size_t n)
{
	int r = stmt_run(s, ST_SITE_SET_LOCKDOWN, "i", (int64_t)(site ? 1 : 0));

	if (r == 0)
		r = stmt_run(s, ST_LOCKDOWN_ZONES_CLEAR, "");
	for (size_t i = 0; r == 0 && i < n; i++) {
		r = stmt_run(s, ST_LOCKDOWN_ZONE_ADD, "t", zones[i]);
		if (r == -ENOENT)
			return store_fail(s, r, "no such zone: %s", zones[i]);
	}
	return r;
}

int store_threat_level_set(struct store *s, int level)
{
	if (level < 0 || level > 5)
		return store_fail(s, -EINVAL, "threat level %d is not 0-5", level);
	return stmt_run(s, ST_SITE_SET_THREAT, "i", (int64_t)level);
}

int store_person_site_get(struct store *s, const char *person, struct person_site *ret)
{
	struct person_site row = {0};
	int r = stmt_get(s, &person_site_shape, &row, ST_PERSON_SITE_GET, "t", person);

	if (r < 0)
		return r;
	*ret = row; /* no row: no responder, clearance 0 */
	return 0;
}

int store_person_site_set(struct store *s, const char *person, const struct person_site *ps)
{
	if (ps->clearance < 0 || ps->clearance > 5)
		return store_fail(s, -EINVAL, "clearance %lld is not 0-5",
				  (long long)ps->clearance);
	return stmt_run(s, ST_PERSON_SITE_PUT, "tii", person, (int64_t)(ps->responder ? 1 : 0),
			ps->clearance);
}
