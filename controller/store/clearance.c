/* SPDX-License-Identifier: MIT */
/* Clearance: zone settings and personnel vetting records (schema 007). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "store-internal.h"

ROW_SHAPE(vetting_row, struct vetting, COL(struct vetting, person), COL(struct vetting, status),
	  COL(struct vetting, checked_ms), COL(struct vetting, recheck_due_ms),
	  COL(struct vetting, reference));

ROW_SHAPE(vetting_report_shape, struct vetting_report_row, COL(struct vetting_report_row, rank),
	  COL(struct vetting_report_row, person), COL(struct vetting_report_row, name),
	  COL(struct vetting_report_row, status), COL(struct vetting_report_row, checked_ms),
	  COL(struct vetting_report_row, recheck_due_ms),
	  COL(struct vetting_report_row, reference));

/* The person p holds a level of a zone that requires vetting. */
#define VETTING_ZONE_HELD                                                                          \
	"EXISTS (SELECT 1 FROM person_levels pl JOIN level_zones lz ON lz.level = pl.level "       \
	"JOIN zone_settings zs ON zs.zone = lz.zone AND zs.vetting_required = 1 "                  \
	"WHERE pl.person = p.id)"

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
    /*
     * The vetting report in two parts, each read in id order through an
     * index and stopped at its LIMIT, never sorted whole (a page used to
     * rank every person first): the overdue (rank 0), then everyone else
     * (rank 1), of the persons, not terminated, holding a level of a zone
     * that requires vetting.
     */
    [ST_VETTING_REPORT_OVERDUE] =
	"SELECT 0, p.id, p.name, v.status, v.checked_ms, v.recheck_due_ms, "
	"coalesce(v.reference, '') FROM person_vetting v JOIN persons p ON p.id = v.person "
	"WHERE v.recheck_due_ms <= ?1 AND v.person > ?2 AND p.status <> 'terminated' "
	"AND " VETTING_ZONE_HELD " ORDER BY v.person LIMIT ?3",
    [ST_VETTING_REPORT_REST] =
	"SELECT 1, p.id, p.name, coalesce(v.status, ''), coalesce(v.checked_ms, 0), "
	"coalesce(v.recheck_due_ms, 0), coalesce(v.reference, '') FROM persons p "
	"LEFT JOIN person_vetting v ON v.person = p.id WHERE p.id > ?2 "
	"AND p.status <> 'terminated' AND (v.recheck_due_ms IS NULL OR v.recheck_due_ms > ?1) "
	"AND " VETTING_ZONE_HELD " ORDER BY p.id LIMIT ?3",
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
	const struct store_zone_slot *c = store_zone_cached(s, zone, STORE_ZONE_VETTING);
	struct store_zone_slot *fill;
	int64_t v = 0;
	int r;

	if (c)
		return c->vetting_required ? 1 : 0;
	r = stmt_get(s, &int_row, &v, ST_ZONE_VETTING_GET, "t", zone);
	if (r < 0)
		return r;
	if ((fill = store_zone_cache_slot(s, zone))) {
		fill->vetting_required = r > 0 && v;
		fill->have |= STORE_ZONE_VETTING;
	}
	return r > 0 && v ? 1 : 0;
}

int store_zone_vetting_set(struct store *s, const char *zone, bool required)
{
	store_zone_cache_forget(s);
	return stmt_run(s, ST_ZONE_VETTING_SET, "ti", zone, (int64_t)(required ? 1 : 0));
}

int store_vetting_report(struct store *s, int64_t at_ms, int64_t after_rank, const char *after_id,
			 size_t limit,
			 int (*cb)(const struct vetting_report_row *r, void *userdata),
			 void *userdata)
{
	static const enum stmt parts[] = {ST_VETTING_REPORT_OVERDUE, ST_VETTING_REPORT_REST};
	struct vetting_report_row row;
	size_t n = 0;
	int r = 0;

	for (int64_t rank = after_rank < 0 ? 0 : after_rank; rank <= 1 && n < limit; rank++) {
		_cleanup_stmt_ sqlite3_stmt *st = NULL;
		/* The cursor's id holds within its own part; the next part starts at its first id.
		 */
		const char *after = rank == after_rank && after_id ? after_id : "";

		r = stmt_prepare(s, parts[rank], &st, "iti", at_ms, after, (int64_t)(limit - n));
		if (r < 0)
			return r;
		while ((r = stmt_next(s, st, &vetting_report_shape, &row)) > 0) {
			n++;
			if ((r = cb(&row, userdata)) != 0)
				return r;
		}
		if (r < 0)
			return r;
	}
	return r;
}
