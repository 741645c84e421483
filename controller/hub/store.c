/* SPDX-License-Identifier: MIT */
/*
 * The hub's store: every SQL statement of aeogate-hub. One SQLite file in
 * WAL mode, shared by `run` (the collector) and the publishing commands;
 * a busy writer is waited for, never failed at once. SQLite codes become
 * negative errno here, once.
 */
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hub.h"
#include "util.h"

struct hub_store {
	sqlite3 *db;
};

/*
 * The hub's own schema (not a controller migration): events are keyed by
 * (site, controller, seq), so a duplicate delivery cannot add a row.
 * Version 1; a later change adds its statements behind user_version.
 */
static const char hub_schema[] =
    "CREATE TABLE IF NOT EXISTS controllers ("
    " site TEXT NOT NULL, controller TEXT NOT NULL,"
    " public_key TEXT NOT NULL DEFAULT '', key_id TEXT NOT NULL DEFAULT '',"
    " verified_seq INTEGER NOT NULL DEFAULT 0, verified_hash TEXT NOT NULL DEFAULT '',"
    " status_last_seq INTEGER NOT NULL DEFAULT 0, forwarded_seq INTEGER NOT NULL DEFAULT 0,"
    " applied_version INTEGER NOT NULL DEFAULT 0, doors INTEGER NOT NULL DEFAULT 0,"
    " alarms INTEGER NOT NULL DEFAULT 0, online INTEGER NOT NULL DEFAULT 0,"
    " status_ms INTEGER NOT NULL DEFAULT 0, duplicates INTEGER NOT NULL DEFAULT 0,"
    " refused INTEGER NOT NULL DEFAULT 0, checkpoint_seq INTEGER NOT NULL DEFAULT 0,"
    " first_seq INTEGER NOT NULL DEFAULT 0, first_prev TEXT NOT NULL DEFAULT '',"
    " PRIMARY KEY (site, controller));"
    "CREATE TABLE IF NOT EXISTS events ("
    " site TEXT NOT NULL, controller TEXT NOT NULL, seq INTEGER NOT NULL,"
    " ts_ms INTEGER NOT NULL, hash TEXT NOT NULL, json TEXT NOT NULL,"
    " PRIMARY KEY (site, controller, seq)) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS events_ts ON events (site, controller, ts_ms);"
    "CREATE TABLE IF NOT EXISTS pending ("
    " site TEXT NOT NULL, controller TEXT NOT NULL, seq INTEGER NOT NULL, hash TEXT NOT NULL,"
    " prev TEXT NOT NULL, json TEXT NOT NULL,"
    " PRIMARY KEY (site, controller, seq, hash)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS checkpoints ("
    " site TEXT NOT NULL, controller TEXT NOT NULL, seq INTEGER NOT NULL,"
    " hash TEXT NOT NULL, ts TEXT NOT NULL, ts_ms INTEGER NOT NULL, key_id TEXT NOT NULL,"
    " signature TEXT NOT NULL, PRIMARY KEY (site, controller, seq)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS alarms ("
    " id INTEGER PRIMARY KEY, at_ms INTEGER NOT NULL, site TEXT NOT NULL,"
    " controller TEXT NOT NULL, kind TEXT NOT NULL, seq INTEGER NOT NULL,"
    " message TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS changesets ("
    " site TEXT NOT NULL, version INTEGER NOT NULL, payload TEXT NOT NULL,"
    " stored_ms INTEGER NOT NULL, PRIMARY KEY (site, version)) WITHOUT ROWID;"
    "PRAGMA user_version = 1;";

static int sql_errno(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_ROW:
	case SQLITE_DONE:
		return 0;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_CONSTRAINT:
		return -EEXIST;
	case SQLITE_CANTOPEN:
		return -ENOENT;
	case SQLITE_READONLY:
	case SQLITE_PERM:
		return -EACCES;
	default:
		return -EIO;
	}
}

static int prep(struct hub_store *s, const char *sql, sqlite3_stmt **ret)
{
	return sql_errno(sqlite3_prepare_v2(s->db, sql, -1, ret, NULL));
}

/* Binds (site, controller) to ?1 and ?2. */
static int prep2(struct hub_store *s, const char *sql, const char *site, const char *controller,
		 sqlite3_stmt **ret)
{
	int r = prep(s, sql, ret);

	if (r < 0)
		return r;
	sqlite3_bind_text(*ret, 1, site, -1, SQLITE_STATIC);
	sqlite3_bind_text(*ret, 2, controller, -1, SQLITE_STATIC);
	return 0;
}

/* Steps a statement that returns no row, and finalizes it. */
static int exec_done(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : sql_errno(rc);
}

int hub_store_open(const char *path, struct hub_store **ret)
{
	struct hub_store *s = calloc(1, sizeof(*s));
	int r;

	if (!s)
		return -ENOMEM;
	r = sql_errno(sqlite3_open_v2(
	    path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
	    NULL));
	if (r < 0)
		goto err;
	sqlite3_busy_timeout(s->db, 30000);
	r = sql_errno(sqlite3_exec(s->db,
				   "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
				   "PRAGMA foreign_keys = ON;",
				   NULL, NULL, NULL));
	if (r < 0)
		goto err;
	r = sql_errno(sqlite3_exec(s->db, hub_schema, NULL, NULL, NULL));
	if (r < 0)
		goto err;
	*ret = s;
	return 0;
err:
	hub_store_close(s);
	return r;
}

void hub_store_close(struct hub_store *s)
{
	if (!s)
		return;
	sqlite3_close(s->db);
	free(s);
}

int hub_store_begin(struct hub_store *s)
{
	return sql_errno(sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL));
}

int hub_store_commit(struct hub_store *s)
{
	return sql_errno(sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL));
}

void hub_store_rollback(struct hub_store *s)
{
	(void)sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

static void col_text(sqlite3_stmt *st, int i, char *out, size_t len)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	snprintf(out, len, "%s", t ? (const char *)t : "");
}

#define CONTROLLER_COLS                                                                            \
	"site, controller, public_key, key_id, verified_seq, verified_hash, status_last_seq,"      \
	" forwarded_seq, applied_version, doors, alarms, online, status_ms, duplicates, refused,"  \
	" checkpoint_seq, first_seq, first_prev,"                                                  \
	" (SELECT count(*) FROM pending p WHERE p.site = c.site AND p.controller = c.controller)," \
	" (SELECT count(*) FROM alarms a WHERE a.site = c.site AND a.controller = c.controller)"

static void controller_row(sqlite3_stmt *st, struct hub_controller *c)
{
	memset(c, 0, sizeof(*c));
	col_text(st, 0, c->site, sizeof(c->site));
	col_text(st, 1, c->controller, sizeof(c->controller));
	col_text(st, 2, c->public_key, sizeof(c->public_key));
	col_text(st, 3, c->key_id, sizeof(c->key_id));
	c->verified_seq = sqlite3_column_int64(st, 4);
	col_text(st, 5, c->verified_hash, sizeof(c->verified_hash));
	c->status_last_seq = sqlite3_column_int64(st, 6);
	c->forwarded_seq = sqlite3_column_int64(st, 7);
	c->applied_version = sqlite3_column_int64(st, 8);
	c->doors = sqlite3_column_int64(st, 9);
	c->alarms = sqlite3_column_int64(st, 10);
	c->online = sqlite3_column_int(st, 11);
	c->status_ms = sqlite3_column_int64(st, 12);
	c->duplicates = sqlite3_column_int64(st, 13);
	c->refused = sqlite3_column_int64(st, 14);
	c->checkpoint_seq = sqlite3_column_int64(st, 15);
	c->first_seq = sqlite3_column_int64(st, 16);
	col_text(st, 17, c->first_prev, sizeof(c->first_prev));
	c->pending = sqlite3_column_int64(st, 18);
	c->open_alarms = sqlite3_column_int64(st, 19);
}

int hub_store_controller_get(struct hub_store *s, const char *site, const char *controller,
			     struct hub_controller *ret)
{
	sqlite3_stmt *st;
	int r, rc;

	r = prep2(s, "INSERT OR IGNORE INTO controllers (site, controller) VALUES (?1, ?2)", site,
		  controller, &st);
	if (r < 0 || (r = exec_done(st)) < 0)
		return r;
	r = prep2(
	    s, "SELECT " CONTROLLER_COLS " FROM controllers c WHERE site = ?1 AND controller = ?2",
	    site, controller, &st);
	if (r < 0)
		return r;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		controller_row(st, ret);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? -ENOENT : sql_errno(rc);
}

int hub_store_controller_put(struct hub_store *s, const struct hub_controller *c)
{
	sqlite3_stmt *st;
	int r;

	r = prep2(s,
		  "UPDATE controllers SET public_key = ?3, key_id = ?4, verified_seq = ?5,"
		  " verified_hash = ?6, status_last_seq = ?7, forwarded_seq = ?8,"
		  " applied_version = ?9, doors = ?10, alarms = ?11, online = ?12, status_ms = ?13,"
		  " duplicates = ?14, refused = ?15, checkpoint_seq = ?16, first_seq = ?17,"
		  " first_prev = ?18 WHERE site = ?1 AND controller = ?2",
		  c->site, c->controller, &st);
	if (r < 0)
		return r;
	sqlite3_bind_text(st, 3, c->public_key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, c->key_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, c->verified_seq);
	sqlite3_bind_text(st, 6, c->verified_hash, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, c->status_last_seq);
	sqlite3_bind_int64(st, 8, c->forwarded_seq);
	sqlite3_bind_int64(st, 9, c->applied_version);
	sqlite3_bind_int64(st, 10, c->doors);
	sqlite3_bind_int64(st, 11, c->alarms);
	sqlite3_bind_int(st, 12, c->online);
	sqlite3_bind_int64(st, 13, c->status_ms);
	sqlite3_bind_int64(st, 14, c->duplicates);
	sqlite3_bind_int64(st, 15, c->refused);
	sqlite3_bind_int64(st, 16, c->checkpoint_seq);
	sqlite3_bind_int64(st, 17, c->first_seq);
	sqlite3_bind_text(st, 18, c->first_prev, -1, SQLITE_STATIC);
	return exec_done(st);
}

int hub_store_controller_each(struct hub_store *s,
			      int (*fn)(void *u, const struct hub_controller *c), void *u)
{
	sqlite3_stmt *st;
	int r, rc;

	r = prep(s, "SELECT " CONTROLLER_COLS " FROM controllers c ORDER BY site, controller", &st);
	if (r < 0)
		return r;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct hub_controller c;

		controller_row(st, &c);
		r = fn(u, &c);
		if (r < 0)
			break;
	}
	sqlite3_finalize(st);
	return r < 0 ? r : sql_errno(rc);
}

int hub_store_controller_site(struct hub_store *s, const char *controller, char *ret_site,
			      size_t len)
{
	sqlite3_stmt *st;
	int r, rc, n = 0;

	r = prep(s, "SELECT site FROM controllers WHERE controller = ?1", &st);
	if (r < 0)
		return r;
	sqlite3_bind_text(st, 1, controller, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (n++ == 0)
			col_text(st, 0, ret_site, len);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return sql_errno(rc);
	return n == 0 ? -ENOENT : n > 1 ? -EEXIST : 0;
}

int hub_store_event_hash(struct hub_store *s, const char *site, const char *controller, int64_t seq,
			 char ret_hash[EVENT_HASH_HEX])
{
	sqlite3_stmt *st;
	int r, rc;

	r = prep2(s, "SELECT hash FROM events WHERE site = ?1 AND controller = ?2 AND seq = ?3",
		  site, controller, &st);
	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 3, seq);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		col_text(st, 0, ret_hash, EVENT_HASH_HEX);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? -ENOENT : sql_errno(rc);
}

int hub_store_event_add(struct hub_store *s, const char *site, const char *controller,
			const struct event *e, const char *json_text)
{
	sqlite3_stmt *st;
	int r;

	r = prep2(s,
		  "INSERT INTO events (site, controller, seq, ts_ms, hash, json)"
		  " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
		  site, controller, &st);
	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 3, e->seq);
	sqlite3_bind_int64(st, 4, e->ts_ms);
	sqlite3_bind_text(st, 5, e->hash, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, json_text, -1, SQLITE_STATIC);
	return exec_done(st);
}

int hub_store_event_each(struct hub_store *s, const char *site, const char *controller,
			 int64_t first, int64_t last, int (*fn)(void *u, const char *json), void *u)
{
	sqlite3_stmt *st;
	int r, rc;

	r = prep2(s,
		  "SELECT json FROM events WHERE site = ?1 AND controller = ?2 AND seq BETWEEN ?3"
		  " AND ?4 ORDER BY seq",
		  site, controller, &st);
	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 3, first);
	sqlite3_bind_int64(st, 4, last);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		r = fn(u, (const char *)sqlite3_column_text(st, 0));
		if (r < 0)
			break;
	}
	sqlite3_finalize(st);
	return r < 0 ? r : sql_errno(rc);
}

int hub_store_event_seq_at(struct hub_store *s, const char *site, const char *controller,
			   int64_t ts_ms, bool last_before, int64_t *ret_seq)
{
	sqlite3_stmt *st;
	int r, rc;

	/* Seq order is the chain's; ts only chooses the two ends (a clock jump hides nothing). */
	r = prep2(s,
		  last_before
		      ? "SELECT max(seq) FROM events WHERE site = ?1 AND controller = ?2 AND"
			" ts_ms < ?3"
		      : "SELECT min(seq) FROM events WHERE site = ?1 AND controller = ?2 AND"
			" ts_ms >= ?3",
		  site, controller, &st);
	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 3, ts_ms);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*ret_seq = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : sql_errno(rc);
}

int hub_store_pending_add(struct hub_store *s, const char *site, const char *controller,
			  const struct event *e, const char *json_text)
{
	sqlite3_stmt *st;
	int r;

	/* Keyed by hash too: a forged copy held first cannot push out the genuine one. */
	r = prep2(s,
		  "INSERT OR IGNORE INTO pending (site, controller, seq, hash, prev, json)"
		  " VALUES (?1, ?2, ?3, ?4, ?6, ?5)",
		  site, controller, &st);
	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 3, e->seq);
	sqlite3_bind_text(st, 4, e->hash, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, json_text, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, e->prev, -1, SQLITE_STATIC);
	r = exec_done(st);
	return r < 0 ? r : sqlite3_changes(s->db) > 0;
}

int hub_store_pending_take(struct hub_store *s, const char *site, const char *controller,
			   int64_t min_seq, int64_t max_seq, char **ret)
{
	sqlite3_stmt *st;
	char *json = NULL;
	int64_t seq = 0;
	char hash[EVENT_HASH_HEX] = "";
	int r, rc;

	r = prep2(s,
		  "SELECT seq, hash, json FROM pending WHERE site = ?1 AND controller = ?2 AND"
		  " seq BETWEEN ?4 AND ?3 ORDER BY seq LIMIT 1",
		  site, controller, &st);
	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 3, max_seq);
	sqlite3_bind_int64(st, 4, min_seq);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		seq = sqlite3_column_int64(st, 0);
		col_text(st, 1, hash, sizeof(hash));
		json = strdup((const char *)sqlite3_column_text(st, 2));
		if (!json)
			rc = SQLITE_NOMEM;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return rc == SQLITE_DONE ? -ENOENT : sql_errno(rc);
	r = prep2(
	    s, "DELETE FROM pending WHERE site = ?1 AND controller = ?2 AND seq = ?3 AND hash = ?4",
	    site, controller, &st);
	if (r == 0) {
		sqlite3_bind_int64(st, 3, seq);
		sqlite3_bind_text(st, 4, hash, -1, SQLITE_STATIC);
		r = exec_done(st);
	}
	if (r < 0) {
		free(json);
		return r;
	}
	*ret = json;
	return 0;
}

int hub_store_pending_find(struct hub_store *s, const char *site, const char *controller,
			   int64_t seq, const char *hash, char ret_prev[EVENT_HASH_HEX])
{
	sqlite3_stmt *st;
	int r, rc;

	r = prep2(s,
		  "SELECT prev FROM pending WHERE site = ?1 AND controller = ?2 AND seq = ?3 AND"
		  " hash = ?4",
		  site, controller, &st);
	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 3, seq);
	sqlite3_bind_text(st, 4, hash, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		col_text(st, 0, ret_prev, EVENT_HASH_HEX);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? -ENOENT : sql_errno(rc);
}

int hub_store_pending_count(struct hub_store *s, const char *site, const char *controller,
			    int64_t *ret)
{
	sqlite3_stmt *st;
	int r, rc;

	r = prep2(s, "SELECT count(*) FROM pending WHERE site = ?1 AND controller = ?2", site,
		  controller, &st);
	if (r < 0)
		return r;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*ret = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : sql_errno(rc);
}

int hub_store_checkpoint_add(struct hub_store *s, const char *site, const char *controller,
			     const struct hub_checkpoint *cp)
{
	sqlite3_stmt *st;
	int r;

	r = prep2(
	    s,
	    "INSERT OR IGNORE INTO checkpoints (site, controller, seq, hash, ts, ts_ms, key_id,"
	    " signature) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	    site, controller, &st);
	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 3, cp->seq);
	sqlite3_bind_text(st, 4, cp->hash, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, cp->ts, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, cp->ts_ms);
	sqlite3_bind_text(st, 7, cp->key_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, cp->signature, -1, SQLITE_STATIC);
	return exec_done(st);
}

static int checkpoint_query(struct hub_store *s, const char *sql, const char *site,
			    const char *controller, int64_t seq, struct hub_checkpoint *ret)
{
	sqlite3_stmt *st;
	int r, rc;

	r = prep2(s, sql, site, controller, &st);
	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 3, seq);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		memset(ret, 0, sizeof(*ret));
		ret->seq = sqlite3_column_int64(st, 0);
		col_text(st, 1, ret->hash, sizeof(ret->hash));
		col_text(st, 2, ret->ts, sizeof(ret->ts));
		ret->ts_ms = sqlite3_column_int64(st, 3);
		col_text(st, 4, ret->key_id, sizeof(ret->key_id));
		col_text(st, 5, ret->signature, sizeof(ret->signature));
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? -ENOENT : sql_errno(rc);
}

int hub_store_checkpoint_at_or_before(struct hub_store *s, const char *site, const char *controller,
				      int64_t seq, struct hub_checkpoint *ret)
{
	return checkpoint_query(s,
				"SELECT seq, hash, ts, ts_ms, key_id, signature FROM checkpoints"
				" WHERE site = ?1 AND controller = ?2 AND seq <= ?3"
				" ORDER BY seq DESC LIMIT 1",
				site, controller, seq, ret);
}

int hub_store_checkpoint_get(struct hub_store *s, const char *site, const char *controller,
			     int64_t seq, struct hub_checkpoint *ret)
{
	return checkpoint_query(s,
				"SELECT seq, hash, ts, ts_ms, key_id, signature FROM checkpoints"
				" WHERE site = ?1 AND controller = ?2 AND seq = ?3",
				site, controller, seq, ret);
}

int hub_store_alarm_add(struct hub_store *s, const char *site, const char *controller,
			const char *kind, int64_t seq, const char *message)
{
	sqlite3_stmt *st;
	int r, rc;

	/* The same finding again (a retained status re-delivered) is not a new alarm. */
	r = prep2(s,
		  "INSERT INTO alarms (at_ms, site, controller, kind, seq, message)"
		  " SELECT ?3, ?1, ?2, ?4, ?5, ?6 WHERE NOT EXISTS (SELECT 1 FROM alarms WHERE"
		  " site = ?1 AND controller = ?2 AND kind = ?4 AND seq = ?5 AND message = ?6)",
		  site, controller, &st);
	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 3, now_wall_ms());
	sqlite3_bind_text(st, 4, kind, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, seq);
	sqlite3_bind_text(st, 6, message, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return sql_errno(rc);
	return sqlite3_changes(s->db) > 0 ? 1 : 0;
}

int hub_store_alarm_each(struct hub_store *s,
			 int (*fn)(void *u, int64_t id, int64_t at_ms, const char *site,
				   const char *controller, const char *kind, int64_t seq,
				   const char *message),
			 void *u)
{
	sqlite3_stmt *st;
	int r, rc;

	r = prep(s,
		 "SELECT id, at_ms, site, controller, kind, seq, message FROM alarms ORDER BY id",
		 &st);
	if (r < 0)
		return r;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		r = fn(u, sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1),
		       (const char *)sqlite3_column_text(st, 2),
		       (const char *)sqlite3_column_text(st, 3),
		       (const char *)sqlite3_column_text(st, 4), sqlite3_column_int64(st, 5),
		       (const char *)sqlite3_column_text(st, 6));
		if (r < 0)
			break;
	}
	sqlite3_finalize(st);
	return r < 0 ? r : sql_errno(rc);
}

/* One integer from SQL over (?1 site, ?2 n when it has one); -ENOENT when no row. */
static int site_int64(struct hub_store *s, const char *sql, const char *site, int64_t n,
		      int64_t *ret)
{
	sqlite3_stmt *st;
	int r, rc;

	r = prep(s, sql, &st);
	if (r < 0)
		return r;
	sqlite3_bind_text(st, 1, site, -1, SQLITE_STATIC);
	if (sqlite3_bind_parameter_count(st) > 1)
		sqlite3_bind_int64(st, 2, n);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*ret = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? -ENOENT : sql_errno(rc);
}

int hub_store_changeset_next(struct hub_store *s, const char *site, int64_t *ret_version)
{
	return site_int64(s, "SELECT coalesce(max(version), 0) + 1 FROM changesets WHERE site = ?1",
			  site, 0, ret_version);
}

int hub_store_changeset_add(struct hub_store *s, const char *site, int64_t version,
			    const char *payload)
{
	sqlite3_stmt *st;
	int r;

	r = prep(
	    s, "INSERT INTO changesets (site, version, payload, stored_ms) VALUES (?1, ?2, ?3, ?4)",
	    &st);
	if (r < 0)
		return r;
	sqlite3_bind_text(st, 1, site, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, version);
	sqlite3_bind_text(st, 3, payload, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, now_wall_ms());
	return exec_done(st);
}

int hub_store_changeset_each(struct hub_store *s, const char *site, int64_t from, int max,
			     int (*fn)(void *u, int64_t version, const char *payload), void *u)
{
	sqlite3_stmt *st;
	int r, rc;

	r = prep(s,
		 "SELECT version, payload FROM changesets WHERE site = ?1 AND version >= ?2"
		 " ORDER BY version LIMIT ?3",
		 &st);
	if (r < 0)
		return r;
	sqlite3_bind_text(st, 1, site, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, from);
	sqlite3_bind_int(st, 3, max);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		r = fn(u, sqlite3_column_int64(st, 0), (const char *)sqlite3_column_text(st, 1));
		if (r < 0)
			break;
	}
	sqlite3_finalize(st);
	return r < 0 ? r : sql_errno(rc);
}

int hub_store_changeset_stored_ms(struct hub_store *s, const char *site, int64_t version,
				  int64_t *ret_ms)
{
	return site_int64(s, "SELECT stored_ms FROM changesets WHERE site = ?1 AND version = ?2",
			  site, version, ret_ms);
}

/*
 * aeogate-hub serve's connection: read-only, so a dashboard can never
 * change what the collector stores, and without creating the file or its
 * tables (a store `run` has not made yet is -ENOENT, said as such).
 */
int hub_store_open_readonly(const char *path, struct hub_store **ret)
{
	struct hub_store *s = calloc(1, sizeof(*s));
	int r;

	if (!s)
		return -ENOMEM;
	r = sql_errno(
	    sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_FULLMUTEX, NULL));
	if (r < 0)
		goto err;
	sqlite3_busy_timeout(s->db, 5000);
	/* An empty or foreign file has no controllers table: not a hub's store. */
	r = sql_errno(sqlite3_exec(s->db, "SELECT 1 FROM controllers LIMIT 0", NULL, NULL, NULL));
	if (r < 0)
		goto err;
	*ret = s;
	return 0;
err:
	hub_store_close(s);
	return r;
}

int hub_store_event_count(struct hub_store *s, int64_t *ret)
{
	sqlite3_stmt *st;
	int r, rc;

	r = prep(s, "SELECT count(*) FROM events", &st);
	if (r < 0)
		return r;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*ret = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : sql_errno(rc);
}
