/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "staging.h"

/*
 * Pages the staging database keeps in memory (KiB): beyond this they go to
 * its temporary file. A few batches' worth; the walk at commit reads the
 * rows in order, so a small cache costs sequential reads only.
 */
#define STAGING_CACHE_KIB "1024"

enum {
	SG_BEGIN,
	SG_COMMIT,
	SG_ROW_ADD,
	SG_ROW_LINE,
	SG_CRED_ADD,
	SG_CRED_GET,
	SG_WALK,
	_SG_MAX,
};

/* What a walk reads of a row, in struct staged_row's order. */
#define WALK_COLS                                                                                  \
	"rowid, line, id, name, valid_from, valid_until, levels, credentials, vetting_status, "    \
	"vetting_checked, vetting_recheck_due, vetting_reference, plan"

static const char *const sql[_SG_MAX] = {
    [SG_BEGIN] = "BEGIN",
    [SG_COMMIT] = "COMMIT",
    [SG_ROW_ADD] = "INSERT INTO rows(id, line, ok, name, valid_from, valid_until, levels, "
		   "credentials, vetting_status, vetting_checked, vetting_recheck_due, "
		   "vetting_reference, plan) "
		   "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
    [SG_ROW_LINE] = "SELECT line FROM rows WHERE id = ?1",
    [SG_CRED_ADD] = "INSERT INTO credentials(id, line, person) VALUES (?1, ?2, ?3)",
    [SG_CRED_GET] = "SELECT line, person FROM credentials WHERE id = ?1",
    /* rowid order is the order rows came in: the file's. */
    [SG_WALK] = "SELECT " WALK_COLS " FROM rows WHERE ok AND rowid > ?1 ORDER BY rowid",
};

struct staging {
	sqlite3 *db;
	sqlite3_stmt *stmt[_SG_MAX];
};

static int fail(int rc)
{
	switch (rc) {
	case SQLITE_CONSTRAINT_PRIMARYKEY:
	case SQLITE_CONSTRAINT_UNIQUE:
		return -EEXIST;
	case SQLITE_NOMEM:
		return -ENOMEM;
	}
	return (rc & 0xff) == SQLITE_FULL ? -ENOSPC : -EIO;
}

int staging_open(struct staging **ret)
{
	static const char schema[] =
	    "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA temp_store = FILE;"
	    "PRAGMA locking_mode = EXCLUSIVE;"
	    "PRAGMA cache_size = -" STAGING_CACHE_KIB ";"
	    "CREATE TABLE rows (id TEXT PRIMARY KEY NOT NULL, line INTEGER NOT NULL, "
	    "ok INTEGER NOT NULL, name TEXT, valid_from INTEGER, valid_until INTEGER, "
	    "levels TEXT, credentials TEXT, vetting_status TEXT, vetting_checked INTEGER, "
	    "vetting_recheck_due INTEGER, vetting_reference TEXT, plan INTEGER);"
	    "CREATE TABLE credentials (id TEXT PRIMARY KEY NOT NULL, line INTEGER NOT NULL, "
	    "person TEXT NOT NULL) WITHOUT ROWID;";
	struct staging *st = calloc(1, sizeof(*st));
	int rc;

	if (!st)
		return -ENOMEM;
	/* "": a private database on disk, deleted when the connection closes. */
	rc = sqlite3_open_v2(
	    "", &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(st->db, schema, NULL, NULL, NULL);
	for (int i = 0; rc == SQLITE_OK && i < _SG_MAX; i++)
		rc = sqlite3_prepare_v3(st->db, sql[i], -1, SQLITE_PREPARE_PERSISTENT, &st->stmt[i],
					NULL);
	if (rc != SQLITE_OK) {
		int r = fail(rc);

		staging_close(st);
		return r;
	}
	*ret = st;
	return 0;
}

void staging_close(struct staging *st)
{
	if (!st)
		return;
	for (int i = 0; i < _SG_MAX; i++)
		sqlite3_finalize(st->stmt[i]);
	sqlite3_close(st->db);
	free(st);
}

/* Steps a bound statement once and resets it: SQLITE_ROW, SQLITE_DONE or an error. */
static int step_once(sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);

	if (rc != SQLITE_ROW)
		sqlite3_reset(s);
	return rc;
}

static void done(sqlite3_stmt *s)
{
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
}

static int run(struct staging *st, int id)
{
	int rc = step_once(st->stmt[id]);

	return rc == SQLITE_DONE ? 0 : fail(rc);
}

int staging_begin(struct staging *st)
{
	return run(st, SG_BEGIN);
}

int staging_commit(struct staging *st)
{
	return run(st, SG_COMMIT);
}

int staging_row_add(struct staging *st, const char *id, int64_t line, const struct staged_row *row,
		    int64_t *ret_line)
{
	sqlite3_stmt *s = st->stmt[SG_ROW_ADD];
	int rc;

	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, line);
	sqlite3_bind_int(s, 3, row != NULL);
	if (row) {
		sqlite3_bind_text(s, 4, row->name, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 5, row->valid_from);
		sqlite3_bind_int64(s, 6, row->valid_until);
		sqlite3_bind_text(s, 7, row->levels, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 8, row->credentials, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 9, row->vetting_status, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 10, row->vetting_checked);
		sqlite3_bind_int64(s, 11, row->vetting_recheck_due);
		sqlite3_bind_text(s, 12, row->vetting_reference, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 13, row->plan);
	}
	rc = step_once(s);
	done(s);
	if (rc == SQLITE_DONE)
		return 0;
	if (fail(sqlite3_extended_errcode(st->db)) != -EEXIST)
		return fail(sqlite3_extended_errcode(st->db));
	s = st->stmt[SG_ROW_LINE];
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	rc = step_once(s);
	*ret_line = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	done(s);
	return -EEXIST;
}

int staging_credential_get(struct staging *st, const char *credential, int64_t *ret_line,
			   char *ret_person, size_t len)
{
	sqlite3_stmt *s = st->stmt[SG_CRED_GET];
	int rc, r = -ENOENT;

	sqlite3_bind_text(s, 1, credential, -1, SQLITE_STATIC);
	rc = step_once(s);
	if (rc == SQLITE_ROW) {
		*ret_line = sqlite3_column_int64(s, 0);
		snprintf(ret_person, len, "%s", (const char *)sqlite3_column_text(s, 1));
		r = 0;
	} else if (rc != SQLITE_DONE) {
		r = fail(rc);
	}
	done(s);
	return r;
}

int staging_credential_add(struct staging *st, const char *credential, int64_t line,
			   const char *person, int64_t *ret_line, char *ret_person, size_t len)
{
	sqlite3_stmt *s = st->stmt[SG_CRED_ADD];
	int rc, r;

	sqlite3_bind_text(s, 1, credential, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, line);
	sqlite3_bind_text(s, 3, person, -1, SQLITE_STATIC);
	rc = step_once(s);
	done(s);
	if (rc == SQLITE_DONE)
		return 0;
	r = fail(sqlite3_extended_errcode(st->db));
	if (r != -EEXIST)
		return r;
	r = staging_credential_get(st, credential, ret_line, ret_person, len);
	return r < 0 && r != -ENOENT ? r : -EEXIST;
}

static const char *text(sqlite3_stmt *s, int col)
{
	const char *v = (const char *)sqlite3_column_text(s, col);

	return v ? v : "";
}

int staging_walk(struct staging *st, int64_t after,
		 int (*cb)(const struct staged_row *row, void *userdata), void *userdata)
{
	sqlite3_stmt *s = st->stmt[SG_WALK];
	int rc, r = 0;

	sqlite3_bind_int64(s, 1, after);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct staged_row row = {
		    .pos = sqlite3_column_int64(s, 0),
		    .line = sqlite3_column_int64(s, 1),
		    .id = text(s, 2),
		    .name = text(s, 3),
		    .valid_from = sqlite3_column_int64(s, 4),
		    .valid_until = sqlite3_column_int64(s, 5),
		    .levels = text(s, 6),
		    .credentials = text(s, 7),
		    .vetting_status = (const char *)sqlite3_column_text(s, 8),
		    .vetting_checked = sqlite3_column_int64(s, 9),
		    .vetting_recheck_due = sqlite3_column_int64(s, 10),
		    .vetting_reference = text(s, 11),
		    .plan = sqlite3_column_int64(s, 12),
		};

		r = cb(&row, userdata);
		if (r != 0)
			break;
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = fail(rc);
	done(s);
	return r;
}
