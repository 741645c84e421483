// SPDX-License-Identifier: MIT
/*
 * Badges: credentials, their lifecycle, and the validity report (the
 * badges, and the persons, whose validity ends; it is here because the
 * badges are most of it and its status list is the credentials').
 */
#include <errno.h>
#include <string.h>

#include "store-internal.h"

#define CREDENTIAL_COLS "id, person, status, valid_from, valid_until, issued_ms, revoked_ms"

ROW_SHAPE(credential_row, struct credential, COL(struct credential, id),
	  COL(struct credential, person), COL(struct credential, status),
	  COL(struct credential, valid_from), COL(struct credential, valid_until),
	  COL(struct credential, issued_ms), COL(struct credential, revoked_ms));

ROW_SHAPE(validity_row, struct validity_row, COL(struct validity_row, type),
	  COL(struct validity_row, id), COL(struct validity_row, person),
	  COL(struct validity_row, status), COL(struct validity_row, valid_from),
	  COL(struct validity_row, valid_until));

const char *const store_badges_sql[_ST_MAX] = {
    [ST_CREDENTIAL_ADD] = "INSERT INTO credentials(" CREDENTIAL_COLS ") "
			  "VALUES (?1, ?2, coalesce(nullif(?3, ''), 'active'), ?4, ?5, ?6, ?7)",
    [ST_CREDENTIAL_GET] = "SELECT " CREDENTIAL_COLS " FROM credentials WHERE id = ?1",
    [ST_CREDENTIAL_SET_STATUS] = "UPDATE credentials SET status = ?2, revoked_ms = CASE WHEN "
				 "?2 = 'revoked' THEN coalesce(revoked_ms, ?3) ELSE NULL END "
				 "WHERE id = ?1",
    [ST_CREDENTIAL_REVOKE_PERSON] =
	"UPDATE credentials SET status = 'revoked', revoked_ms = ?2 "
	"WHERE person = ?1 AND status IN ('active', 'suspended', 'lost')",
    /* A page at a time: the site's badges in one reply held the loop for every one of them. */
    [ST_CREDENTIAL_PAGE] = "SELECT " CREDENTIAL_COLS " FROM credentials WHERE id > ?1 "
			   "ORDER BY id LIMIT ?2",
    [ST_CREDENTIAL_LIST_RANGE] = "SELECT " CREDENTIAL_COLS " FROM credentials "
				 "WHERE id >= ?1 AND id < ?2 ORDER BY id",
    [ST_CREDENTIAL_LIST_PERSON] =
	"SELECT " CREDENTIAL_COLS " FROM credentials WHERE person = ?1 ORDER BY id",
    /* Badges that no longer open anything (revoked, returned) and leavers are left out. */
    [ST_VALIDITY_LIST] = "SELECT type, id, person, status, valid_from, valid_until FROM ("
			 "SELECT 'credential' AS type, id, person, status, valid_from, valid_until "
			 "FROM credentials WHERE valid_until IS NOT NULL "
			 "AND status IN ('active', 'suspended', 'lost') "
			 "UNION ALL SELECT 'person', id, id, status, valid_from, valid_until "
			 "FROM persons WHERE valid_until IS NOT NULL AND status <> 'terminated') "
			 "WHERE valid_until < ?1 AND (valid_until, type, id) > (?2, ?3, ?4) "
			 "ORDER BY valid_until, type, id LIMIT ?5",
};

int store_credential_add(struct store *s, const struct credential *c)
{
	int r;

	r = validity_check(s, c->valid_from, c->valid_until);
	if (r < 0)
		return r;
	r = stmt_run(s, ST_CREDENTIAL_ADD, "tttmmim", c->id, c->person, c->status, c->valid_from,
		     c->valid_until, c->issued_ms, c->revoked_ms);
	if (r == -ENOENT)
		store_fail(s, r, "no such person: %s", c->person);
	return r;
}

int store_credential_get(struct store *s, const char *id, struct credential *ret)
{
	return stmt_found(s, stmt_get(s, &credential_row, ret, ST_CREDENTIAL_GET, "t", id),
			  "no such credential: %s", id);
}

int store_credential_set_status(struct store *s, const char *id, const char *status, int64_t ts_ms)
{
	return stmt_run_changed(s, ST_CREDENTIAL_SET_STATUS, "credential", id, "tti", id, status,
				ts_ms);
}

int store_credential_revoke_person(struct store *s, const char *person, int64_t ts_ms,
				   size_t *ret_count)
{
	int r;

	r = stmt_run(s, ST_CREDENTIAL_REVOKE_PERSON, "ti", person, ts_ms);
	if (r < 0)
		return r;
	if (ret_count)
		*ret_count = (size_t)sqlite3_changes64(s->db);
	return 0;
}

static int credential_walk(struct store *s, sqlite3_stmt *st,
			   int (*cb)(const struct credential *c, void *userdata), void *userdata)
{
	struct credential c;
	int r;

	while ((r = stmt_next(s, st, &credential_row, &c)) > 0)
		if ((r = cb(&c, userdata)) != 0)
			return r;
	return r;
}

int store_credential_list(struct store *s, const char *person,
			  int (*cb)(const struct credential *c, void *userdata), void *userdata)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r;

	if (!person)
		return -EINVAL;
	r = stmt_prepare(s, ST_CREDENTIAL_LIST_PERSON, &st, "t", person);
	if (r < 0)
		return r;
	return credential_walk(s, st, cb, userdata);
}

int store_credential_page(struct store *s, const char *after_id, size_t limit,
			  int (*cb)(const struct credential *c, void *userdata), void *userdata)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r;

	r = stmt_prepare(s, ST_CREDENTIAL_PAGE, &st, "ti", after_id ? after_id : "",
			 sql_limit(limit));
	if (r < 0)
		return r;
	return credential_walk(s, st, cb, userdata);
}

int store_credential_list_prefix(struct store *s, const char *prefix,
				 int (*cb)(const struct credential *c, void *userdata),
				 void *userdata)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	char end[AEOGATE_CREDENTIAL_MAX + 1];
	size_t n = prefix ? strlen(prefix) : 0;
	int r;

	/* [prefix, prefix with its last byte + 1): an index range, not a LIKE scan. */
	if (n == 0 || n >= sizeof(end) || (unsigned char)prefix[n - 1] == 0xff)
		return -EINVAL;
	memcpy(end, prefix, n + 1);
	end[n - 1]++;
	r = stmt_prepare(s, ST_CREDENTIAL_LIST_RANGE, &st, "tt", prefix, end);
	if (r < 0)
		return r;
	return credential_walk(s, st, cb, userdata);
}

int store_validity_list(struct store *s, int64_t before_ms, int64_t after_until,
			const char *after_type, const char *after_id, size_t limit,
			int (*cb)(const struct validity_row *v, void *userdata), void *userdata)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	struct validity_row v;
	int r;

	r = stmt_prepare(s, ST_VALIDITY_LIST, &st, "iitti", before_ms, after_until,
			 after_type ? after_type : "", after_id ? after_id : "", sql_limit(limit));
	if (r < 0)
		return r;
	while ((r = stmt_next(s, st, &validity_row, &v)) > 0)
		if ((r = cb(&v, userdata)) != 0)
			return r;
	return r;
}
