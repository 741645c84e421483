/* SPDX-License-Identifier: MIT */
/*
 * Expiry warnings (schema 11): what falls due, and which warnings were
 * given. A warning run is a few queries a day, so its statements are
 * prepared per call rather than cached with the decision path's.
 */
#include <errno.h>
#include <string.h>

#include "store-internal.h"

ROW_SHAPE(expiry_row, struct expiry_item, COL(struct expiry_item, what),
	  COL(struct expiry_item, item), COL(struct expiry_item, person),
	  COL(struct expiry_item, due_ms));

/*
 * Persons (not terminated) and badges (active, suspended or lost) whose
 * validity ends, and vetting records (of persons not terminated) whose
 * re-check falls due, in (?1, ?2], not yet warned of for that date.
 */
const char store_expiry_due_sql[] =
    "SELECT what, item, person, due_ms FROM ("
    "SELECT 'person' AS what, id AS item, id AS person, valid_until AS due_ms FROM persons "
    "WHERE status <> 'terminated' AND valid_until > ?1 AND valid_until <= ?2 "
    "UNION ALL SELECT 'badge', id, person, valid_until FROM credentials "
    "WHERE status IN ('active', 'suspended', 'lost') AND valid_until > ?1 AND valid_until <= ?2 "
    "UNION ALL SELECT 'vetting', v.person, v.person, v.recheck_due_ms FROM person_vetting v "
    "JOIN persons p ON p.id = v.person WHERE p.status <> 'terminated' "
    "AND v.recheck_due_ms > ?1 AND v.recheck_due_ms <= ?2) d "
    "WHERE NOT EXISTS (SELECT 1 FROM expiry_warnings w "
    "WHERE w.what = d.what AND w.item = d.item AND w.due_ms = d.due_ms) "
    "ORDER BY due_ms, what, item LIMIT ?3";

static const char warned_sql[] =
    "INSERT INTO expiry_warnings(what, item, due_ms, seq) VALUES (?1, ?2, ?3, ?4)";

static int prepare(struct store *s, const char *sql, sqlite3_stmt **ret)
{
	int rc = sqlite3_prepare_v2(s->db, sql, -1, ret, NULL);

	return rc == SQLITE_OK ? 0 : sql_fail(s, rc);
}

int store_expiry_due(struct store *s, int64_t after_ms, int64_t until_ms, size_t limit,
		     int (*cb)(const struct expiry_item *it, void *userdata), void *userdata)
{
	struct expiry_item it;
	sqlite3_stmt *st;
	int r;

	r = prepare(s, store_expiry_due_sql, &st);
	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 1, after_ms);
	sqlite3_bind_int64(st, 2, until_ms);
	sqlite3_bind_int64(st, 3, sql_limit(limit));
	while ((r = stmt_next(s, st, &expiry_row, &it)) > 0)
		if ((r = cb(&it, userdata)) != 0)
			break;
	sqlite3_finalize(st);
	return r;
}

int store_expiry_warned(struct store *s, const struct expiry_item *it, int64_t seq)
{
	sqlite3_stmt *st;
	int r;

	r = prepare(s, warned_sql, &st);
	if (r < 0)
		return r;
	sqlite3_bind_text(st, 1, it->what, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, it->item, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, it->due_ms);
	sqlite3_bind_int64(st, 4, seq);
	r = stmt_exec(s, st);
	sqlite3_finalize(st);
	return r;
}
