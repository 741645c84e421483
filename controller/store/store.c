// SPDX-License-Identifier: MIT
/*
 * The store's connection: open, configure, migrate, transactions, the
 * statement cache and the one mapping of SQLite result codes to errno.
 * One connection, used from the event loop thread only, with every
 * statement prepared once at open and reset after each use. The tables'
 * SQL is in the family files (people.c, badges.c, events.c, audit.c,
 * users.c); store-internal.h says what they share.
 */
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "schema.h"
#include "store-internal.h"

const char *const store_core_sql[_ST_MAX] = {
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_BEGIN_DEFERRED] = "BEGIN",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    [ST_SAVEPOINT] = "SAVEPOINT nested",
    [ST_RELEASE] = "RELEASE nested",
    [ST_ROLLBACK_TO] = "ROLLBACK TO nested",
    [ST_USER_VERSION] = "PRAGMA user_version",
    [ST_QUICK_CHECK] = "PRAGMA quick_check",
};

static const char *const *const families[] = {
    store_core_sql,	 store_people_sql,   store_badges_sql,	  store_events_sql,
    store_audit_sql,	 store_users_sql,    store_clearance_sql, store_doors_sql,
    store_schedules_sql, store_pins_sql,     store_locations_sql, store_site_sql,
    store_visitors_sql,	 store_siteplan_sql, store_photos_sql,	  store_sync_sql,
    store_fleet_sql,
};

const char *store_statement_sql(int id)
{
	for (size_t f = 0; f < sizeof(families) / sizeof(families[0]); f++)
		if (families[f][id])
			return families[f][id];
	return NULL;
}

int store_fail(struct store *s, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->errmsg, sizeof(s->errmsg), fmt, ap);
	va_end(ap);
	return r;
}

static int errno_from_sqlite(int rc)
{
	switch (rc) {
	case SQLITE_CONSTRAINT_PRIMARYKEY:
	case SQLITE_CONSTRAINT_UNIQUE:
		return -EEXIST;
	case SQLITE_CONSTRAINT_FOREIGNKEY:
		return -ENOENT;
	case SQLITE_CONSTRAINT_TRIGGER: /* the append-only triggers of schema 6 */
		return -EPERM;
	case SQLITE_CONSTRAINT_CHECK:
	case SQLITE_CONSTRAINT_NOTNULL:
	case SQLITE_CONSTRAINT_DATATYPE:
		return -EINVAL;
	case SQLITE_NOMEM:
		return -ENOMEM;
	}
	switch (rc & 0xff) {
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	default:
		return -EIO;
	}
}

int sql_fail(struct store *s, int rc)
{
	/* A failed statement may have ended the transaction the cache was read in. */
	store_zone_cache_forget(s);
	return store_fail(s, errno_from_sqlite(rc), "%s", sqlite3_errmsg(s->db));
}

void stmt_release(sqlite3_stmt **st)
{
	if (!*st)
		return;
	sqlite3_reset(*st);
	/* Bound text is borrowed (SQLITE_STATIC): drop it before the caller frees it. */
	sqlite3_clear_bindings(*st);
}

static int stmt_vprepare(struct store *s, enum stmt id, sqlite3_stmt **ret, const char *fmt,
			 va_list ap)
{
	sqlite3_stmt *st = s->stmt[id];
	int rc = SQLITE_OK;

	/* A list callback calling back into its own list would reset the walk under it. */
	if (sqlite3_stmt_busy(st))
		return store_fail(s, -EBUSY, "statement re-entered from its own callback: %s",
				  sqlite3_sql(st));

	for (int i = 1; fmt[i - 1] && rc == SQLITE_OK; i++) {
		int64_t v;

		switch (fmt[i - 1]) {
		case 't':
			rc = sqlite3_bind_text(st, i, va_arg(ap, const char *), -1, SQLITE_STATIC);
			break;
		case 'i':
			rc = sqlite3_bind_int64(st, i, va_arg(ap, int64_t));
			break;
		case 'm':
			v = va_arg(ap, int64_t);
			rc = v ? sqlite3_bind_int64(st, i, v) : sqlite3_bind_null(st, i);
			break;
		default:
			rc = SQLITE_MISUSE;
			break;
		}
	}
	if (rc != SQLITE_OK) {
		int r = sql_fail(s, rc);

		sqlite3_clear_bindings(st);
		return r;
	}
	*ret = st;
	return 0;
}

int stmt_prepare(struct store *s, enum stmt id, sqlite3_stmt **ret, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = stmt_vprepare(s, id, ret, fmt, ap);
	va_end(ap);
	return r;
}

int stmt_exec(struct store *s, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return sql_fail(s, rc);
	return 0;
}

int stmt_row(struct store *s, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return sql_fail(s, rc);
}

static int stmt_vrun(struct store *s, enum stmt id, const char *fmt, va_list ap)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r = stmt_vprepare(s, id, &st, fmt, ap);

	return r < 0 ? r : stmt_exec(s, st);
}

int stmt_run(struct store *s, enum stmt id, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = stmt_vrun(s, id, fmt, ap);
	va_end(ap);
	return r;
}

int stmt_run_changed(struct store *s, enum stmt id, const char *what, const char *key,
		     const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = stmt_vrun(s, id, fmt, ap);
	va_end(ap);
	/* sqlite3_changes outlives the reset: it counts the last INSERT, UPDATE or DELETE. */
	if (r == 0 && sqlite3_changes(s->db) == 0)
		r = store_fail(s, -ENOENT, "no such %s: %s", what, key);
	return r;
}

int col_copy(struct store *s, sqlite3_stmt *st, int col, char *buf, size_t len)
{
	const unsigned char *v = sqlite3_column_text(st, col);
	size_t n = v ? (size_t)sqlite3_column_bytes(st, col) : 0;

	if (!v && sqlite3_column_type(st, col) != SQLITE_NULL)
		return store_fail(s, -ENOMEM, "out of memory reading %s",
				  sqlite3_column_name(st, col));
	if (n >= len)
		return store_fail(s, -EIO, "stored %s is too long (%zu bytes)",
				  sqlite3_column_name(st, col), n);
	if (n)
		memcpy(buf, v, n);
	buf[n] = '\0';
	return 0;
}

int row_read(struct store *s, sqlite3_stmt *st, const struct row_shape *shape, void *out)
{
	for (int i = 0; i < (int)shape->n; i++) {
		const struct col *c = &shape->cols[i];
		char *field = (char *)out + c->off;
		const char *text;
		int r;

		switch (c->type) {
		case COL_TEXT:
			r = col_copy(s, st, i, field, c->len);
			if (r < 0)
				return r;
			break;
		case COL_INT:
			*(int64_t *)field = sqlite3_column_int64(st, i);
			break;
		case COL_BOOL:
			*(bool *)field = sqlite3_column_int64(st, i) != 0;
			break;
		case COL_BORROW:
			text = col_text(st, i);
			if (!text && sqlite3_column_type(st, i) != SQLITE_NULL)
				return store_fail(s, -ENOMEM, "out of memory reading %s",
						  sqlite3_column_name(st, i));
			*(const char **)field = text;
			break;
		}
	}
	return 0;
}

int stmt_next(struct store *s, sqlite3_stmt *st, const struct row_shape *shape, void *out)
{
	int r = stmt_row(s, st);

	if (r <= 0)
		return r;
	r = row_read(s, st, shape, out);
	return r < 0 ? r : 1;
}

const struct row_shape int_row = {sizeof(int64_t), (const struct col[]){{COL_INT, 0, 0}}, 1};

static int stmt_vget(struct store *s, const struct row_shape *shape, void *ret, enum stmt id,
		     const char *fmt, va_list ap)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	_Alignas(max_align_t) unsigned char row[ROW_MAX];
	int r;

	r = stmt_vprepare(s, id, &st, fmt, ap);
	if (r < 0)
		return r;
	r = stmt_row(s, st);
	if (r <= 0 || !shape)
		return r;
	r = row_read(s, st, shape, row);
	if (r < 0)
		return r;
	memcpy(ret, row, shape->size);
	return 1;
}

int stmt_get(struct store *s, const struct row_shape *shape, void *ret, enum stmt id,
	     const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = stmt_vget(s, shape, ret, id, fmt, ap);
	va_end(ap);
	return r;
}

int stmt_found(struct store *s, int r, const char *fmt, ...)
{
	va_list ap;

	if (r != 0)
		return r < 0 ? r : 0;
	va_start(ap, fmt);
	vsnprintf(s->errmsg, sizeof(s->errmsg), fmt, ap);
	va_end(ap);
	return -ENOENT;
}

int validity_check(struct store *s, int64_t from, int64_t until)
{
	if (from && until && from > until)
		return store_fail(s, -EINVAL, "validity ends before it starts");
	return 0;
}

int store_schema_version(void)
{
	int v = 0;

	for (size_t i = 0; i < schema_migrations_count; i++)
		if (schema_migrations[i].version > v)
			v = schema_migrations[i].version;
	return v;
}

const char *store_last_error(struct store *s)
{
	if (!s)
		return "no store";
	return s->errmsg;
}

/* The value of a lower-case hex digit, or -1: the only digits a stored hash is written in. */
static int unhex_digit(unsigned char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	return -1;
}

/*
 * aeogate_unhex(TEXT): the 32 bytes of a chain hash written as 64 hex
 * digits, as the events table stores them since schema 8 (half the bytes
 * of the hex text). A 32-byte blob passes through unchanged, so migration 8
 * may run again over a table it already converted. Anything else is an
 * error: a malformed hash is never stored.
 */
static void sql_unhex(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	unsigned char out[EVENT_HASH_HEX / 2];
	const unsigned char *in;

	(void)argc;
	if (sqlite3_value_type(argv[0]) == SQLITE_BLOB &&
	    sqlite3_value_bytes(argv[0]) == sizeof(out)) {
		sqlite3_result_value(ctx, argv[0]);
		return;
	}
	in = sqlite3_value_text(argv[0]);
	if (sqlite3_value_type(argv[0]) != SQLITE_TEXT || !in ||
	    sqlite3_value_bytes(argv[0]) != EVENT_HASH_HEX - 1) {
		sqlite3_result_error(ctx, "aeogate_unhex: not a 64-digit hash", -1);
		return;
	}
	/* Every event appended passes here twice (prev, hash): digit by arithmetic, no search. */
	for (size_t i = 0; i < sizeof(out); i++) {
		int hi = unhex_digit(in[2 * i]), lo = unhex_digit(in[2 * i + 1]);

		if (hi < 0 || lo < 0) {
			sqlite3_result_error(ctx, "aeogate_unhex: not a 64-digit hash", -1);
			return;
		}
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	sqlite3_result_blob(ctx, out, sizeof(out), SQLITE_TRANSIENT);
}

/* One-off statements at open: pragmas and migrations, never user data. */
static int db_exec(struct store *s, const char *sql)
{
	int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : sql_fail(s, rc);
}

/* One-off reads at open (pragmas): the first row, read with shape into ret. */
static int db_get(struct store *s, const char *sql, const struct row_shape *shape, void *ret)
{
	sqlite3_stmt *st;
	int rc, r;

	rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return sql_fail(s, rc);
	r = stmt_row(s, st);
	if (r > 0)
		r = row_read(s, st, shape, ret);
	else if (r == 0)
		r = store_fail(s, -EIO, "%s returned no row", sql);
	sqlite3_finalize(st);
	return r < 0 ? r : 0;
}

struct journal {
	char mode[16];
};

ROW_SHAPE(journal_row, struct journal, COL(struct journal, mode));

/* How much of the database file reads map (1 GiB: the hot B-tree pages of millions of persons). */
#define STORE_MMAP_SIZE "1073741824"

static int store_configure(struct store *s, const char *durability)
{
	struct journal j;
	char sql[64];
	int r;

	snprintf(sql, sizeof(sql), "PRAGMA synchronous = %s",
		 strcmp(durability, "full") == 0 ? "FULL" : "NORMAL");
	r = db_exec(s, sql);
	if (r < 0)
		return r;
	r = db_exec(s, "PRAGMA foreign_keys = ON");
	if (r < 0)
		return r;
	/*
	 * Reads through a mapping of the file: a decision's lookups cost no
	 * pread each, and the pages count as file-mapped, not anonymous, memory.
	 */
	r = db_exec(s, "PRAGMA mmap_size = " STORE_MMAP_SIZE);
	if (r < 0)
		return r;
	r = db_get(s, "PRAGMA journal_mode = WAL", &journal_row, &j);
	if (r < 0)
		return r;
	/*
	 * An event must be committed before the lock moves, and the dashboard
	 * must read while we write: without WAL neither holds. An in-memory
	 * database (unit tests of upper layers) cannot do WAL and need not.
	 */
	if (strcmp(j.mode, "wal") != 0 && strcmp(j.mode, "memory") != 0)
		return store_fail(s, -EIO, "cannot enable WAL (journal_mode is %s)", j.mode);
	return 0;
}

static int version_check(struct store *s, int64_t v, int compiled)
{
	if (v > compiled)
		return store_fail(s, -EPROTO,
				  "database schema version %" PRId64
				  " is newer than this aeogated supports (%d); upgrade aeogated",
				  v, compiled);
	return 0;
}

static int store_migrate(struct store *s)
{
	int compiled = store_schema_version();
	int64_t v;
	int r;

	r = db_get(s, "PRAGMA user_version", &int_row, &v);
	if (r < 0)
		return r;
	r = version_check(s, v, compiled);
	if (r < 0)
		return r;
	s->opened_version = (int)v;

	for (size_t i = 0; i < schema_migrations_count; i++) {
		const struct schema_migration *m = &schema_migrations[i];
		char sql[64];

		if (m->version <= v)
			continue;
		r = db_exec(s, "BEGIN IMMEDIATE");
		if (r < 0)
			return r;
		/* Another process may have migrated while we waited for the lock. */
		r = db_get(s, "PRAGMA user_version", &int_row, &v);
		if (r >= 0)
			r = version_check(s, v, compiled);
		if (r < 0)
			goto err_rollback;
		if (m->version <= v) {
			r = db_exec(s, "COMMIT");
			if (r < 0)
				goto err_rollback;
			continue;
		}
		r = db_exec(s, m->sql);
		if (r < 0)
			goto err_migration;
		/* PRAGMA takes no parameters; the version is our own integer. */
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", m->version);
		r = db_exec(s, sql);
		if (r < 0)
			goto err_migration;
		r = db_exec(s, "COMMIT");
		if (r < 0)
			goto err_migration;
		v = m->version;
		continue;

	err_migration:
		store_fail(s, r, "migration %s failed: %s", m->name, sqlite3_errmsg(s->db));
	err_rollback:
		if (!sqlite3_get_autocommit(s->db))
			sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		return r;
	}
	return 0;
}

/* A read-only connection cannot migrate: it reads only a database at this binary's schema. */
static int store_check_current(struct store *s)
{
	int compiled = store_schema_version();
	int64_t v;
	int r = db_get(s, "PRAGMA user_version", &int_row, &v);

	if (r >= 0)
		r = version_check(s, v, compiled);
	if (r >= 0 && v < compiled)
		r = store_fail(s, -EPROTO,
			       "database schema version %" PRId64
			       " is older than this aeogated's (%d); start aeogated once to migrate it",
			       v, compiled);
	return r < 0 ? r : 0;
}

/* Every family's statements, each id from exactly one family. */
static int store_prepare_all(struct store *s)
{
	for (int i = 0; i < _ST_MAX; i++) {
		const char *sql = NULL;
		int rc;

		for (size_t f = 0; f < sizeof(families) / sizeof(families[0]); f++) {
			if (!families[f][i])
				continue;
			if (sql)
				return store_fail(s, -EINVAL, "statement %d has SQL twice", i);
			sql = families[f][i];
		}
		if (!sql)
			return store_fail(s, -EINVAL, "statement %d has no SQL", i);
		rc = sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s->stmt[i],
					NULL);
		if (rc != SQLITE_OK)
			return store_fail(s, errno_from_sqlite(rc), "preparing \"%s\": %s", sql,
					  sqlite3_errmsg(s->db));
	}
	return 0;
}

static int store_open_mode(const char *path, const char *durability, bool readonly,
			   struct store **ret, char *err, size_t errlen)
{
	struct store *s;
	int rc, r;

	if (!err)
		errlen = 0;
	if (!path || !ret) {
		r = -EINVAL;
		snprintf(err, errlen, "no database path");
		return r;
	}
	if (!durability || (strcmp(durability, "normal") != 0 && strcmp(durability, "full") != 0)) {
		snprintf(err, errlen, "durability must be \"normal\" or \"full\", not \"%s\"",
			 durability ? durability : "(null)");
		return -EINVAL;
	}

	s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}

	/* One thread uses the connection: SQLite's own mutexes would only cost time. */
	rc = sqlite3_open_v2(
	    path, &s->db,
	    (readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
		SQLITE_OPEN_NOMUTEX,
	    NULL);
	if (rc != SQLITE_OK) {
		r = s->db ? sql_fail(s, rc) : -ENOMEM;
		if (!s->db)
			store_fail(s, r, "out of memory");
		goto err_close;
	}
	sqlite3_extended_result_codes(s->db, 1);
	/* Refuse tricks a crafted file could play on us through the schema. */
	sqlite3_db_config(s->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	sqlite3_db_config(s->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
	sqlite3_busy_timeout(s->db, STORE_BUSY_TIMEOUT_MS);
	rc = sqlite3_create_function(s->db, "aeogate_unhex", 1,
				     SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, NULL,
				     sql_unhex, NULL, NULL);
	if (rc != SQLITE_OK) {
		r = sql_fail(s, rc);
		goto err_close;
	}

	if (readonly)
		r = store_check_current(s);
	else if ((r = store_configure(s, durability)) >= 0)
		r = store_migrate(s);
	if (r < 0)
		goto err_close;
	r = store_prepare_all(s);
	if (r < 0)
		goto err_close;
	/* A file in WAL mode gets its checkpointer; read-only and in-memory ones need none. */
	if (!readonly && strcmp(path, ":memory:") != 0 && path[0]) {
		r = store_wal_start(s, path);
		if (r < 0) {
			store_fail(s, r, "cannot start the WAL checkpointer");
			goto err_close;
		}
	}

	s->errmsg[0] = '\0';
	*ret = s;
	return 0;

err_close:
	if (r == -EPROTO)
		snprintf(err, errlen, "%s", s->errmsg);
	else
		snprintf(err, errlen, "%s: %s", path, s->errmsg);
	store_close(s);
	return r;
}

int store_open(const char *path, const char *durability, struct store **ret, char *err,
	       size_t errlen)
{
	return store_open_mode(path, durability, false, ret, err, errlen);
}

int store_open_readonly(const char *path, struct store **ret, char *err, size_t errlen)
{
	return store_open_mode(path, "normal", true, ret, err, errlen);
}

void store_close(struct store *s)
{
	if (!s)
		return;
	store_wal_stop(s);
	for (int i = 0; i < _ST_MAX; i++)
		sqlite3_finalize(s->stmt[i]);
	sqlite3_close(s->db);
	free(s);
}

const char *store_path(struct store *s)
{
	const char *p = sqlite3_db_filename(s->db, "main");

	return p ? p : "";
}

int store_user_version(struct store *s)
{
	int64_t v = 0;
	int r = stmt_get(s, &int_row, &v, ST_USER_VERSION, "");

	return r < 0 ? r : (int)v;
}

int store_integrity_check(struct store *s)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r;

	r = stmt_prepare(s, ST_QUICK_CHECK, &st, "");
	if (r < 0)
		return r;
	r = stmt_row(s, st);
	if (r < 0)
		return r;
	if (r == 0)
		return store_fail(s, -EIO, "quick_check returned nothing");
	/* A sound file answers with exactly one row, "ok"; anything else names a problem. */
	if (strcmp(col_text(st, 0) ? col_text(st, 0) : "", "ok") != 0)
		return store_fail(s, -EIO, "quick_check: %s",
				  col_text(st, 0) ? col_text(st, 0) : "(null)");
	return 0;
}

int store_begin(struct store *s)
{
	int r;

	if (!s->batch_depth)
		return stmt_run(s, ST_BEGIN, "");
	r = stmt_run(s, ST_SAVEPOINT, "");
	if (r == 0)
		s->batch_depth++;
	return r;
}

int store_begin_deferred(struct store *s)
{
	return stmt_run(s, ST_BEGIN_DEFERRED, "");
}

int store_commit(struct store *s)
{
	int r;

	if (s->batch_depth > 1) {
		/* A change inside a batch: it stays in the batch's transaction. */
		r = stmt_run(s, ST_RELEASE, "");
		if (r == 0)
			s->batch_depth--;
		else
			store_zone_cache_forget(s);
		return r;
	}
	if (s->batch_depth == 1)
		return store_fail(s, -EINVAL, "commit inside a batch: end the batch instead");
	r = stmt_run(s, ST_COMMIT, "");
	if (r < 0)
		store_zone_cache_forget(s);
	return r;
}

int store_rollback(struct store *s)
{
	/* What was read since BEGIN may be what the rollback undoes. */
	store_zone_cache_forget(s);
	/* Disk full and I/O errors may already have rolled back; that is not a second failure. */
	if (sqlite3_get_autocommit(s->db)) {
		if (s->batch_depth > 1)
			s->batch_depth--;
		return 0;
	}
	if (s->batch_depth > 1) {
		int r = stmt_run(s, ST_ROLLBACK_TO, "");

		if (r == 0)
			r = stmt_run(s, ST_RELEASE, "");
		s->batch_depth--;
		return r;
	}
	if (s->batch_depth == 1)
		return store_fail(s, -EINVAL, "rollback inside a batch: end the batch instead");
	return stmt_run(s, ST_ROLLBACK, "");
}

int store_batch_begin(struct store *s)
{
	int r;

	if (s->batch_depth)
		return store_fail(s, -EBUSY, "a batch is open already");
	r = stmt_run(s, ST_BEGIN, "");
	if (r == 0)
		s->batch_depth = 1;
	return r;
}

int store_batch_end(struct store *s, bool commit)
{
	bool open = !sqlite3_get_autocommit(s->db);
	int r = 0;

	if (!s->batch_depth)
		return store_fail(s, -EINVAL, "no batch is open");
	/* A change left open inside the batch is not done: nothing of it commits. */
	if (s->batch_depth != 1 && commit) {
		commit = false;
		r = store_fail(s, -EINVAL, "a change inside the batch was left open");
	}
	s->batch_depth = 0;
	if (commit && !open)
		return store_fail(s, -EIO, "the batch's transaction was rolled back by SQLite");
	if (commit)
		r = stmt_run(s, ST_COMMIT, "");
	if (!commit || r < 0) {
		store_zone_cache_forget(s);
		if (!sqlite3_get_autocommit(s->db))
			(void)stmt_run(s, ST_ROLLBACK, "");
	}
	return r;
}

int store_opened_version(struct store *s)
{
	return s->opened_version;
}

int store_wal_file(struct store *s, char *buf, size_t len)
{
	const char *db = sqlite3_db_filename(s->db, "main"), *wal = NULL;

	if (db && *db)
		wal = sqlite3_filename_wal(db);
	if (snprintf(buf, len, "%s", wal ? wal : "") >= (int)len)
		return -ENAMETOOLONG;
	return 0;
}

int store_sync_wal_file(const char *wal)
{
	int fd, r;

	/* An in-memory or temporary database has no file to make durable. */
	if (!wal || !*wal)
		return 0;
	fd = open(wal, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		/* No WAL file: every commit is in the main file, which SQLite synced. */
		return errno == ENOENT ? 0 : -errno;
	r = fsync(fd) < 0 ? -errno : 0;
	close(fd);
	return r;
}

int store_sync(struct store *s)
{
	char wal[PATH_MAX];
	int r = store_wal_file(s, wal, sizeof(wal));

	if (r == 0)
		r = store_sync_wal_file(wal);
	return r < 0 ? store_fail(s, r, "fsync %s: %s", wal, strerror(-r)) : 0;
}
