// SPDX-License-Identifier: MIT
/*
 * Dashboard users and the login throttle's failure streaks (the policy is
 * controller/users.c's; sessions live only in its memory).
 */
#include <errno.h>
#include <string.h>

#include "store-internal.h"

#define USER_COLS "name, role, pwhash, disabled, created_ms"

ROW_SHAPE(user_row, struct user, COL(struct user, name), COL(struct user, role),
	  COL(struct user, pwhash), COL(struct user, disabled), COL(struct user, created_ms));

const char *const store_users_sql[_ST_MAX] = {
    [ST_USER_ADD] = "INSERT INTO users(" USER_COLS ") VALUES (?1, ?2, ?3, ?4, ?5)",
    [ST_USER_GET] = "SELECT " USER_COLS " FROM users WHERE name = ?1",
    [ST_USER_SET_DISABLED] = "UPDATE users SET disabled = ?2 WHERE name = ?1",
    [ST_USER_SET_PWHASH] = "UPDATE users SET pwhash = ?2 WHERE name = ?1",
    [ST_USER_LIST] = "SELECT " USER_COLS " FROM users ORDER BY name",

    [ST_THROTTLE_PUT] = "INSERT INTO login_throttle(key, failures, last_failure_ms, "
			"blocked_until_ms) VALUES (?1, ?2, ?3, ?4) ON CONFLICT(key) DO UPDATE SET "
			"failures = excluded.failures, last_failure_ms = excluded.last_failure_ms, "
			"blocked_until_ms = excluded.blocked_until_ms",
    [ST_THROTTLE_DELETE] = "DELETE FROM login_throttle WHERE key = ?1",
    [ST_THROTTLE_LIST] = "SELECT key, failures, last_failure_ms, blocked_until_ms "
			 "FROM login_throttle ORDER BY last_failure_ms DESC, key LIMIT ?1",
    [ST_THROTTLE_FORGET] = "DELETE FROM login_throttle WHERE last_failure_ms < ?1",
};

/* Dashboard users. */

int store_user_add(struct store *s, const struct user *u)
{
	return stmt_run(s, ST_USER_ADD, "tttii", u->name, u->role, u->pwhash, (int64_t)u->disabled,
			u->created_ms);
}

int store_user_get(struct store *s, const char *name, struct user *ret)
{
	return stmt_found(s, stmt_get(s, &user_row, ret, ST_USER_GET, "t", name),
			  "no such user: %s", name);
}

int store_user_set_disabled(struct store *s, const char *name, bool disabled)
{
	return stmt_run_changed(s, ST_USER_SET_DISABLED, "user", name, "ti", name,
				(int64_t)disabled);
}

int store_user_set_pwhash(struct store *s, const char *name, const char *pwhash)
{
	return stmt_run_changed(s, ST_USER_SET_PWHASH, "user", name, "tt", name, pwhash);
}

int store_user_list(struct store *s, int (*cb)(const struct user *u, void *userdata),
		    void *userdata)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	struct user u;
	int r;

	r = stmt_prepare(s, ST_USER_LIST, &st, "");
	if (r < 0)
		return r;
	while ((r = stmt_next(s, st, &user_row, &u)) > 0)
		if ((r = cb(&u, userdata)) != 0)
			return r;
	return r;
}

/* The login throttle. */

int store_login_throttle_put(struct store *s, const struct login_throttle *t)
{
	return stmt_run(s, ST_THROTTLE_PUT, "tiii", t->key, (int64_t)t->failures,
			t->last_failure_ms, t->blocked_until_ms);
}

int store_login_throttle_delete(struct store *s, const char *key)
{
	return stmt_run(s, ST_THROTTLE_DELETE, "t", key);
}

int store_login_throttle_forget(struct store *s, int64_t before_ms)
{
	return stmt_run(s, ST_THROTTLE_FORGET, "i", before_ms);
}

int store_login_throttle_list(struct store *s, size_t limit,
			      int (*cb)(const struct login_throttle *t, void *userdata),
			      void *userdata)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	struct login_throttle t;
	int r;

	r = stmt_prepare(s, ST_THROTTLE_LIST, &st, "i", (int64_t)limit);
	if (r < 0)
		return r;
	while ((r = stmt_row(s, st)) > 0) {
		const unsigned char *key = sqlite3_column_text(st, 0);
		int64_t failures = sqlite3_column_int64(st, 1);

		/*
		 * Not the row_read of the other lists: a row we could not have
		 * written is skipped here, never trusted half-read, so that one
		 * bad row does not stop the throttle from loading the rest.
		 */
		if (!key || strlen((const char *)key) >= sizeof(t.key) || failures < 1 ||
		    failures > UINT32_MAX)
			continue;
		memset(&t, 0, sizeof(t));
		strcpy(t.key, (const char *)key);
		t.failures = (unsigned)failures;
		t.last_failure_ms = sqlite3_column_int64(st, 2);
		t.blocked_until_ms = sqlite3_column_int64(st, 3);
		r = cb(&t, userdata);
		if (r != 0)
			return r;
	}
	return r;
}
