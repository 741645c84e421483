/* SPDX-License-Identifier: MIT */
/* What aeogatectl status reports of the database: open alarms, the newest backup. */
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "store-internal.h"

static int one_row(struct store *s, const char *sql, sqlite3_stmt **ret)
{
	int rc = sqlite3_prepare_v2(s->db, sql, -1, ret, NULL);

	if (rc != SQLITE_OK)
		return sql_fail(s, rc);
	rc = sqlite3_step(*ret);
	if (rc == SQLITE_ROW)
		return 1;
	return rc == SQLITE_DONE ? 0 : sql_fail(s, rc);
}

int store_alarms_open_count(struct store *s, int64_t *ret)
{
	sqlite3_stmt *st = NULL;
	int r = one_row(s, "SELECT count(*) FROM alarms WHERE state != 'closed'", &st);

	if (r > 0)
		*ret = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return r < 0 ? r : 0;
}

int store_backup_last(struct store *s, int64_t *ret_seq, int64_t *ret_ts_ms, char *ret_detail,
		      size_t len)
{
	sqlite3_stmt *st = NULL;
	int r = one_row(s,
			"SELECT seq, ts_ms, detail FROM events WHERE kind = 'system.backup' "
			"ORDER BY seq DESC LIMIT 1",
			&st);

	if (r > 0) {
		const unsigned char *d = sqlite3_column_text(st, 2);

		*ret_seq = sqlite3_column_int64(st, 0);
		*ret_ts_ms = sqlite3_column_int64(st, 1);
		snprintf(ret_detail, len, "%s", d ? (const char *)d : "");
	}
	sqlite3_finalize(st);
	return r < 0 ? r : r > 0 ? 0 : -ENOENT;
}

int store_alarms_open_by_kind(struct store *s, json_t *ret)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(
	    s->db, "SELECT kind, count(*) FROM alarms WHERE state != 'closed' GROUP BY kind", -1,
	    &st, NULL);

	if (rc != SQLITE_OK) {
		sqlite3_finalize(st);
		return sql_fail(s, rc);
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		json_object_set_new(ret, (const char *)sqlite3_column_text(st, 0),
				    json_integer(sqlite3_column_int64(st, 1)));
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : sql_fail(s, rc);
}
