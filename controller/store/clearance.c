/* SPDX-License-Identifier: MIT */
/* Clearance: zone settings and personnel vetting records (schema 007). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "store-internal.h"

ROW_SHAPE(vetting_row, struct vetting, COL(struct vetting, person), COL(struct vetting, status),
	  COL(struct vetting, checked_ms), COL(struct vetting, recheck_due_ms),
	  COL(struct vetting, reference));

const char *const store_clearance_sql[_ST_MAX] = {
    [ST_ZONE_VETTING_GET] = "SELECT vetting_required FROM zone_settings WHERE zone = ?1",
    [ST_ZONE_VETTING_SET] =
	"INSERT INTO zone_settings(zone, vetting_required) VALUES (?1, ?2) "
	"ON CONFLICT(zone) DO UPDATE SET vetting_required = excluded.vetting_required",
    [ST_VETTING_GET] = "SELECT person, status, checked_ms, recheck_due_ms, coalesce(reference, '') "
		       "FROM person_vetting WHERE person = ?1",
    [ST_VETTING_PUT] =
	"INSERT INTO person_vetting(person, status, checked_ms, recheck_due_ms, "
	"reference) VALUES (?1, ?2, ?3, ?4, nullif(?5, '')) "
	"ON CONFLICT(person) DO UPDATE SET status = excluded.status, "
	"checked_ms = excluded.checked_ms, recheck_due_ms = excluded.recheck_due_ms, "
	"reference = excluded.reference",
};

int store_vetting_get(struct store *s, const char *person, struct vetting *ret)
{
	return stmt_found(s, stmt_get(s, &vetting_row, ret, ST_VETTING_GET, "t", person),
			  "no vetting record for %s", person);
}

int store_vetting_put(struct store *s, const struct vetting *v)
{
	return stmt_run(s, ST_VETTING_PUT, "ttiit", v->person, v->status, v->checked_ms,
			v->recheck_due_ms, v->reference);
}

int store_zone_vetting_get(struct store *s, const char *zone)
{
	int64_t v = 0;
	int r = stmt_get(s, &int_row, &v, ST_ZONE_VETTING_GET, "t", zone);

	if (r < 0)
		return r;
	return r > 0 && v ? 1 : 0;
}

int store_zone_vetting_set(struct store *s, const char *zone, bool required)
{
	return stmt_run(s, ST_ZONE_VETTING_SET, "ti", zone, (int64_t)(required ? 1 : 0));
}
