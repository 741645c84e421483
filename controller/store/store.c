// SPDX-License-Identifier: MIT
/*
 * The store: all SQL of aeogate. One connection, used from the event loop
 * thread only, with every statement prepared once at open and reset after
 * each use. SQLite result codes become negative errno here and nowhere else.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "schema.h"
#include "store.h"

/* How long a write waits for another connection (aeogatectl, a backup) to let go. */
#define STORE_BUSY_TIMEOUT_MS 5000

enum stmt {
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_SAVEPOINT_LEVEL,
	ST_RELEASE_LEVEL,
	ST_ROLLBACK_TO_LEVEL,
	ST_USER_VERSION,
	ST_QUICK_CHECK,
	ST_ZONE_UPSERT,
	ST_DOOR_UPSERT,
	ST_READER_UPSERT,
	ST_ZONE_LIST,
	ST_ZONE_EXISTS,
	ST_PERSON_ADD,
	ST_PERSON_GET,
	ST_PERSON_EXISTS,
	ST_PERSON_SET_STATUS,
	ST_PERSON_SET_VALIDITY,
	ST_PERSON_LIST,
	ST_PERSON_LIST_AFTER,
	ST_PERSON_LEVEL_ADD,
	ST_PERSON_LEVEL_REMOVE,
	ST_PERSON_LEVEL_COUNT,
	ST_PERSON_LEVELS,
	ST_PERSON_HAS_ZONE,
	ST_CREDENTIAL_ADD,
	ST_CREDENTIAL_GET,
	ST_CREDENTIAL_SET_STATUS,
	ST_CREDENTIAL_REVOKE_PERSON,
	ST_CREDENTIAL_LIST,
	ST_CREDENTIAL_LIST_PERSON,
	ST_CREDENTIAL_LIST_RANGE,
	ST_LEVEL_ADD,
	ST_LEVEL_ZONE_ADD,
	ST_LEVEL_EXISTS,
	ST_LEVEL_LIST,
	ST_EVENT_APPEND,
	ST_EVENT_LAST,
	ST_EVENT_LIST,
	ST_EVENT_GET,
	ST_EVENT_COUNT,
	ST_USER_ADD,
	ST_USER_GET,
	ST_USER_SET_DISABLED,
	ST_USER_SET_PWHASH,
	ST_USER_LIST,
	/* BEGIN audit statements */
	ST_CHECKPOINT_ADD,
	ST_CHECKPOINT_LAST,
	ST_CHECKPOINT_LIST,
	ST_EVENT_RANGE,
	ST_EVENT_WALK,
	ST_ALARM_RAISE,
	ST_ALARM_GET,
	ST_ALARM_ACK,
	ST_ALARM_CLOSE,
	ST_ALARM_LIST,
	ST_ALARM_LIST_OPEN,
	ST_ALARM_LAST_SEQ,
	ST_EVENT_FIRST,
	ST_EVENT_LAST_PRUNED,
	ST_ALARM_BY_SEQ,
	ST_PRUNE_EVENTS,
	ST_PRUNE_CHECKPOINTS,
	ST_PRUNE_ALARMS,
	ST_PRUNE_GUARD,
	/* END audit statements */
	/* BEGIN report statements */
	ST_REVIEW_ADD,
	ST_REVIEW_LAST,
	ST_VALIDITY_LIST,
	ST_PERSON_ACCESS_AFTER,
	ST_PERSON_SET_NAME,
	ST_LEVEL_ZONE_INSERT,
	ST_LEVEL_ZONE_DELETE,
	ST_LEVEL_HOLDERS,
	ST_LEVEL_ZONES_DELETE,
	ST_LEVEL_DELETE,
	/* END report statements */
	/* BEGIN login throttle statements */
	ST_THROTTLE_PUT,
	ST_THROTTLE_DELETE,
	ST_THROTTLE_LIST,
	ST_THROTTLE_FORGET,
	/* END login throttle statements */
	_ST_MAX,
};

#define PERSON_COLS	"id, name, status, valid_from, valid_until, created_ms, terminated_ms"
#define CREDENTIAL_COLS "id, person, status, valid_from, valid_until, issued_ms, revoked_ms"
#define EVENT_COLS                                                                                 \
	"seq, ts_ms, kind, door, reader, zone, person, credential, reason, detail, prev, hash"
#define USER_COLS	"name, role, pwhash, disabled, created_ms"
#define CHECKPOINT_COLS "id, seq, hash, ts_ms, key_id, signature"
#define ALARM_COLS                                                                                 \
	"id, kind, door, zone, raised_seq, raised_ms, state, ack_ms, ack_by, ack_comment, "        \
	"closed_ms, closed_by"

static const char *const stmt_sql[_ST_MAX] = {
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    [ST_SAVEPOINT_LEVEL] = "SAVEPOINT level_add",
    [ST_RELEASE_LEVEL] = "RELEASE level_add",
    [ST_ROLLBACK_TO_LEVEL] = "ROLLBACK TO level_add",
    [ST_USER_VERSION] = "PRAGMA user_version",
    [ST_QUICK_CHECK] = "PRAGMA quick_check",

    [ST_ZONE_UPSERT] = "INSERT INTO zones(name) VALUES (?1) ON CONFLICT(name) DO NOTHING",
    [ST_DOOR_UPSERT] = "INSERT INTO doors(name, zone) VALUES (?1, ?2) "
		       "ON CONFLICT(name) DO UPDATE SET zone = excluded.zone",
    [ST_READER_UPSERT] =
	"INSERT INTO readers(name, door, type) VALUES (?1, ?2, ?3) "
	"ON CONFLICT(name) DO UPDATE SET door = excluded.door, type = excluded.type",
    [ST_ZONE_LIST] = "SELECT name FROM zones ORDER BY name",
    [ST_ZONE_EXISTS] = "SELECT 1 FROM zones WHERE name = ?1",

    /* An empty status means the schema's default, as if the column were left out. */
    [ST_PERSON_ADD] = "INSERT INTO persons(" PERSON_COLS ") "
		      "VALUES (?1, ?2, coalesce(nullif(?3, ''), 'active'), ?4, ?5, ?6, ?7)",
    [ST_PERSON_GET] = "SELECT " PERSON_COLS " FROM persons WHERE id = ?1",
    [ST_PERSON_EXISTS] = "SELECT 1 FROM persons WHERE id = ?1",
    /* Terminating twice keeps the first time; any other status clears it. */
    [ST_PERSON_SET_STATUS] = "UPDATE persons SET status = ?2, terminated_ms = CASE WHEN ?2 = "
			     "'terminated' THEN coalesce(terminated_ms, ?3) ELSE NULL END "
			     "WHERE id = ?1",
    [ST_PERSON_SET_VALIDITY] = "UPDATE persons SET valid_from = ?2, valid_until = ?3 WHERE id = ?1",
    [ST_PERSON_LIST] = "SELECT " PERSON_COLS " FROM persons ORDER BY id LIMIT ?1",
    [ST_PERSON_LIST_AFTER] =
	"SELECT " PERSON_COLS " FROM persons WHERE id > ?1 ORDER BY id LIMIT ?2",

    [ST_PERSON_LEVEL_ADD] = "INSERT INTO person_levels(person, level) VALUES (?1, ?2)",
    [ST_PERSON_LEVEL_REMOVE] = "DELETE FROM person_levels WHERE person = ?1 AND level = ?2",
    [ST_PERSON_LEVEL_COUNT] = "SELECT count(*) FROM person_levels WHERE person = ?1",
    [ST_PERSON_LEVELS] = "SELECT level FROM person_levels WHERE person = ?1 ORDER BY level",
    /* Both primary keys cover this: a prefix seek on person, an exact probe on (level, zone). */
    [ST_PERSON_HAS_ZONE] = "SELECT 1 FROM person_levels pl JOIN level_zones lz "
			   "ON lz.level = pl.level AND lz.zone = ?2 "
			   "WHERE pl.person = ?1 LIMIT 1",

    [ST_CREDENTIAL_ADD] = "INSERT INTO credentials(" CREDENTIAL_COLS ") "
			  "VALUES (?1, ?2, coalesce(nullif(?3, ''), 'active'), ?4, ?5, ?6, ?7)",
    [ST_CREDENTIAL_GET] = "SELECT " CREDENTIAL_COLS " FROM credentials WHERE id = ?1",
    [ST_CREDENTIAL_SET_STATUS] = "UPDATE credentials SET status = ?2, revoked_ms = CASE WHEN "
				 "?2 = 'revoked' THEN coalesce(revoked_ms, ?3) ELSE NULL END "
				 "WHERE id = ?1",
    [ST_CREDENTIAL_REVOKE_PERSON] =
	"UPDATE credentials SET status = 'revoked', revoked_ms = ?2 "
	"WHERE person = ?1 AND status IN ('active', 'suspended', 'lost')",
    [ST_CREDENTIAL_LIST] = "SELECT " CREDENTIAL_COLS " FROM credentials ORDER BY id",
    [ST_CREDENTIAL_LIST_RANGE] = "SELECT " CREDENTIAL_COLS " FROM credentials "
				 "WHERE id >= ?1 AND id < ?2 ORDER BY id",
    [ST_CREDENTIAL_LIST_PERSON] =
	"SELECT " CREDENTIAL_COLS " FROM credentials WHERE person = ?1 ORDER BY id",

    [ST_LEVEL_ADD] = "INSERT INTO levels(name) VALUES (?1)",
    /* A zone named twice in one level is the same grant, not a conflict. */
    [ST_LEVEL_ZONE_ADD] = "INSERT INTO level_zones(level, zone) VALUES (?1, ?2) "
			  "ON CONFLICT DO NOTHING",
    [ST_LEVEL_EXISTS] = "SELECT 1 FROM levels WHERE name = ?1",
    [ST_LEVEL_LIST] = "SELECT l.name, lz.zone FROM levels l "
		      "LEFT JOIN level_zones lz ON lz.level = l.name ORDER BY l.name, lz.zone",

    [ST_EVENT_APPEND] = "INSERT INTO events(" EVENT_COLS ") "
			"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    [ST_EVENT_LAST] = "SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1",
    [ST_EVENT_LIST] = "SELECT " EVENT_COLS " FROM events WHERE seq > ?1 ORDER BY seq LIMIT ?2",
    [ST_EVENT_GET] = "SELECT " EVENT_COLS " FROM events WHERE seq = ?1",
    [ST_EVENT_COUNT] = "SELECT count(*) FROM events",

    [ST_USER_ADD] = "INSERT INTO users(" USER_COLS ") VALUES (?1, ?2, ?3, ?4, ?5)",
    [ST_USER_GET] = "SELECT " USER_COLS " FROM users WHERE name = ?1",
    [ST_USER_SET_DISABLED] = "UPDATE users SET disabled = ?2 WHERE name = ?1",
    [ST_USER_SET_PWHASH] = "UPDATE users SET pwhash = ?2 WHERE name = ?1",
    [ST_USER_LIST] = "SELECT " USER_COLS " FROM users ORDER BY name",

    /* BEGIN audit statements */
    [ST_CHECKPOINT_ADD] = "INSERT INTO checkpoints(seq, hash, ts_ms, key_id, signature) "
			  "VALUES (?1, ?2, ?3, ?4, ?5)",
    /*
     * The checkpoint furthest along the chain, not the newest row: an export
     * or a pruning anchor signs an older seq, and alarm replay at start
     * begins after this one.
     */
    [ST_CHECKPOINT_LAST] = "SELECT " CHECKPOINT_COLS " FROM checkpoints "
			   "ORDER BY seq DESC, id DESC LIMIT 1",
    [ST_CHECKPOINT_LIST] = "SELECT " CHECKPOINT_COLS " FROM checkpoints "
			   "WHERE seq > ?1 AND seq <= ?2 ORDER BY seq, id",
    /* events_ts covers both ends of the range. */
    [ST_EVENT_RANGE] = "SELECT min(seq), max(seq) FROM events WHERE ts_ms >= ?1 AND ts_ms < ?2",
    [ST_EVENT_WALK] = "SELECT " EVENT_COLS " FROM events WHERE seq > ?1 AND seq <= ?2 "
		      "AND ts_ms >= ?3 AND ts_ms < ?4 ORDER BY seq",
    [ST_ALARM_RAISE] = "INSERT INTO alarms(kind, door, zone, raised_seq, raised_ms) "
		       "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT(raised_seq) DO NOTHING",
    [ST_ALARM_GET] = "SELECT " ALARM_COLS " FROM alarms WHERE id = ?1",
    [ST_ALARM_ACK] = "UPDATE alarms SET state = 'acknowledged', ack_ms = ?2, ack_by = ?3, "
		     "ack_comment = ?4 WHERE id = ?1 AND state = 'open'",
    [ST_ALARM_CLOSE] = "UPDATE alarms SET state = 'closed', closed_ms = ?2, closed_by = ?3 "
		       "WHERE id = ?1 AND state <> 'closed'",
    [ST_ALARM_LIST] = "SELECT " ALARM_COLS " FROM alarms WHERE id > ?1 AND raised_ms >= ?2 "
		      "AND raised_ms < ?3 ORDER BY id LIMIT ?4",
    [ST_ALARM_LIST_OPEN] = "SELECT " ALARM_COLS " FROM alarms WHERE id > ?1 AND raised_ms >= ?2 "
			   "AND raised_ms < ?3 AND state <> 'closed' ORDER BY id LIMIT ?4",
    [ST_ALARM_LAST_SEQ] = "SELECT coalesce(max(raised_seq), 0) FROM alarms",
    [ST_EVENT_FIRST] = "SELECT seq, prev FROM events ORDER BY seq LIMIT 1",
    /* The literal kind lets the planner use the partial index events_pruned (schema 4). */
    [ST_EVENT_LAST_PRUNED] = "SELECT " EVENT_COLS " FROM events WHERE kind = 'audit.pruned' "
			     "ORDER BY seq DESC LIMIT 1",
    [ST_ALARM_BY_SEQ] = "SELECT " ALARM_COLS " FROM alarms WHERE raised_seq = ?1",
    /* Pruning removes a prefix of the chain: the caller bounds it to one step. */
    [ST_PRUNE_EVENTS] = "DELETE FROM events WHERE seq <= ?1",
    [ST_PRUNE_CHECKPOINTS] = "DELETE FROM checkpoints WHERE seq < ?1",
    [ST_PRUNE_ALARMS] = "DELETE FROM alarms WHERE raised_seq <= ?1 AND state = 'closed' "
			"AND closed_ms < ?2",
    /* The triggers of schema 6 let only a pruning delete events and checkpoints. */
    [ST_PRUNE_GUARD] = "UPDATE audit_guard SET pruning = ?1 WHERE id = 1",
    /* END audit statements */
    /* BEGIN report statements */
    [ST_REVIEW_ADD] = "INSERT INTO reviews(ts_ms, reviewer, comment, operator) "
		      "VALUES (?1, ?2, ?3, ?4)",
    [ST_REVIEW_LAST] = "SELECT id, ts_ms, reviewer, comment, operator FROM reviews "
		       "ORDER BY id DESC LIMIT 1",
    /* Badges that no longer open anything (revoked, returned) and leavers are left out. */
    [ST_VALIDITY_LIST] = "SELECT type, id, person, status, valid_from, valid_until FROM ("
			 "SELECT 'credential' AS type, id, person, status, valid_from, valid_until "
			 "FROM credentials WHERE valid_until IS NOT NULL "
			 "AND status IN ('active', 'suspended', 'lost') "
			 "UNION ALL SELECT 'person', id, id, status, valid_from, valid_until "
			 "FROM persons WHERE valid_until IS NOT NULL AND status <> 'terminated') "
			 "WHERE valid_until < ?1 AND (valid_until, type, id) > (?2, ?3, ?4) "
			 "ORDER BY valid_until, type, id LIMIT ?5",
    /* events_person covers it: a seek on person, then seq order. */
    [ST_PERSON_ACCESS_AFTER] = "SELECT seq, ts_ms FROM events WHERE person = ?1 AND ts_ms > ?2 "
			       "AND kind IN ('access.granted', 'access.denied') ORDER BY seq",
    [ST_PERSON_SET_NAME] = "UPDATE persons SET name = ?2 WHERE id = ?1",
    [ST_LEVEL_ZONE_INSERT] = "INSERT INTO level_zones(level, zone) VALUES (?1, ?2)",
    [ST_LEVEL_ZONE_DELETE] = "DELETE FROM level_zones WHERE level = ?1 AND zone = ?2",
    [ST_LEVEL_HOLDERS] = "SELECT count(*) FROM person_levels WHERE level = ?1",
    [ST_LEVEL_ZONES_DELETE] = "DELETE FROM level_zones WHERE level = ?1",
    [ST_LEVEL_DELETE] = "DELETE FROM levels WHERE name = ?1",
    /* END report statements */
    /* BEGIN login throttle statements */
    [ST_THROTTLE_PUT] = "INSERT INTO login_throttle(key, failures, last_failure_ms, "
			"blocked_until_ms) VALUES (?1, ?2, ?3, ?4) ON CONFLICT(key) DO UPDATE SET "
			"failures = excluded.failures, last_failure_ms = excluded.last_failure_ms, "
			"blocked_until_ms = excluded.blocked_until_ms",
    [ST_THROTTLE_DELETE] = "DELETE FROM login_throttle WHERE key = ?1",
    [ST_THROTTLE_LIST] = "SELECT key, failures, last_failure_ms, blocked_until_ms "
			 "FROM login_throttle ORDER BY last_failure_ms DESC, key LIMIT ?1",
    [ST_THROTTLE_FORGET] = "DELETE FROM login_throttle WHERE last_failure_ms < ?1",
    /* END login throttle statements */
};

struct store {
	sqlite3 *db;
	sqlite3_stmt *stmt[_ST_MAX];
	char errmsg[256];
	int opened_version; /* user_version before this open migrated it */
};

/* Records why the last call failed, for store_last_error. */
static int store_fail(struct store *s, int r, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int store_fail(struct store *s, int r, const char *fmt, ...)
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

/* Maps a failed SQLite call once, keeping SQLite's own words for the log. */
static int sql_fail(struct store *s, int rc)
{
	return store_fail(s, errno_from_sqlite(rc), "%s", sqlite3_errmsg(s->db));
}

static void stmt_release(sqlite3_stmt **st)
{
	if (!*st)
		return;
	sqlite3_reset(*st);
	/* Bound text is borrowed (SQLITE_STATIC): drop it before the caller frees it. */
	sqlite3_clear_bindings(*st);
}

/* A cached statement, reset and unbound again when the variable leaves scope. */
#define _cleanup_stmt_ __attribute__((cleanup(stmt_release)))

/*
 * Hands out a cached statement and binds its parameters from fmt, one letter
 * each: 't' text (NULL binds NULL), 'i' int64_t, 'm' int64_t milliseconds
 * where 0 binds NULL ("no bound"). Integer arguments must be int64_t.
 */
static int stmt_prepare(struct store *s, enum stmt id, sqlite3_stmt **ret, const char *fmt, ...)
{
	sqlite3_stmt *st = s->stmt[id];
	va_list ap;
	int rc = SQLITE_OK;

	/* A list callback calling back into its own list would reset the walk under it. */
	if (sqlite3_stmt_busy(st))
		return store_fail(s, -EBUSY, "statement re-entered from its own callback: %s",
				  stmt_sql[id]);

	va_start(ap, fmt);
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
	va_end(ap);
	if (rc != SQLITE_OK) {
		int r = sql_fail(s, rc);

		sqlite3_clear_bindings(st);
		return r;
	}
	*ret = st;
	return 0;
}

/* Steps a statement that returns no rows. */
static int stmt_exec(struct store *s, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return sql_fail(s, rc);
	return 0;
}

/* Steps once: 1 with a row, 0 at the end, negative errno on failure. */
static int stmt_row(struct store *s, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return sql_fail(s, rc);
}

/* For UPDATE and DELETE by key: -ENOENT when the key matched nothing. */
static int stmt_exec_changed(struct store *s, sqlite3_stmt *st, const char *what, const char *key)
{
	int r = stmt_exec(s, st);

	if (r < 0)
		return r;
	if (sqlite3_changes(s->db) == 0)
		return store_fail(s, -ENOENT, "no such %s: %s", what, key);
	return 0;
}

/*
 * Copies a text column into a fixed buffer. A value that does not fit was not
 * written by this store; truncating it could turn one id into another.
 */
static int col_copy(struct store *s, sqlite3_stmt *st, int col, char *buf, size_t len)
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

/* NULL validity bounds and timestamps read back as 0. */
static int64_t col_ms(sqlite3_stmt *st, int col)
{
	return sqlite3_column_type(st, col) == SQLITE_NULL ? 0 : sqlite3_column_int64(st, col);
}

static const char *col_text(sqlite3_stmt *st, int col)
{
	return (const char *)sqlite3_column_text(st, col);
}

/* SQLite's LIMIT: a negative value means none. */
static int64_t sql_limit(size_t limit)
{
	return limit == 0 || limit > INT64_MAX ? -1 : (int64_t)limit;
}

static int validity_check(struct store *s, int64_t from, int64_t until)
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

/* One-off statements at open: pragmas and migrations, never user data. */
static int db_exec(struct store *s, const char *sql)
{
	int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : sql_fail(s, rc);
}

static int db_int(struct store *s, const char *sql, int64_t *ret)
{
	sqlite3_stmt *st;
	int rc, r;

	rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return sql_fail(s, rc);
	r = stmt_row(s, st);
	if (r > 0)
		*ret = sqlite3_column_int64(st, 0);
	else if (r == 0)
		r = store_fail(s, -EIO, "%s returned no row", sql);
	sqlite3_finalize(st);
	return r < 0 ? r : 0;
}

static int db_text(struct store *s, const char *sql, char *buf, size_t len)
{
	sqlite3_stmt *st;
	int rc, r;

	rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return sql_fail(s, rc);
	r = stmt_row(s, st);
	if (r > 0)
		r = col_copy(s, st, 0, buf, len);
	else if (r == 0)
		r = store_fail(s, -EIO, "%s returned no row", sql);
	sqlite3_finalize(st);
	return r;
}

static int store_configure(struct store *s, const char *durability)
{
	char mode[16];
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
	r = db_text(s, "PRAGMA journal_mode = WAL", mode, sizeof(mode));
	if (r < 0)
		return r;
	/*
	 * An event must be committed before the lock moves, and the dashboard
	 * must read while we write: without WAL neither holds. An in-memory
	 * database (unit tests of upper layers) cannot do WAL and need not.
	 */
	if (strcmp(mode, "wal") != 0 && strcmp(mode, "memory") != 0)
		return store_fail(s, -EIO, "cannot enable WAL (journal_mode is %s)", mode);
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

	r = db_int(s, "PRAGMA user_version", &v);
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
		r = db_int(s, "PRAGMA user_version", &v);
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
	int r = db_int(s, "PRAGMA user_version", &v);

	if (r >= 0)
		r = version_check(s, v, compiled);
	if (r >= 0 && v < compiled)
		r = store_fail(s, -EPROTO,
			       "database schema version %" PRId64
			       " is older than this aeogated's (%d); start aeogated once to migrate it",
			       v, compiled);
	return r < 0 ? r : 0;
}

static int store_prepare_all(struct store *s)
{
	for (int i = 0; i < _ST_MAX; i++) {
		int rc = sqlite3_prepare_v3(s->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
					    &s->stmt[i], NULL);

		if (rc != SQLITE_OK)
			return store_fail(s, errno_from_sqlite(rc), "preparing \"%s\": %s",
					  stmt_sql[i], sqlite3_errmsg(s->db));
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

	if (readonly)
		r = store_check_current(s);
	else if ((r = store_configure(s, durability)) >= 0)
		r = store_migrate(s);
	if (r < 0)
		goto err_close;
	r = store_prepare_all(s);
	if (r < 0)
		goto err_close;

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
	for (int i = 0; i < _ST_MAX; i++)
		sqlite3_finalize(s->stmt[i]);
	sqlite3_close(s->db);
	free(s);
}

int store_user_version(struct store *s)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r;

	r = stmt_prepare(s, ST_USER_VERSION, &st, "");
	if (r < 0)
		return r;
	r = stmt_row(s, st);
	if (r == 0)
		return store_fail(s, -EIO, "PRAGMA user_version returned no row");
	return r < 0 ? r : sqlite3_column_int(st, 0);
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

static int store_tx(struct store *s, enum stmt id)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r;

	r = stmt_prepare(s, id, &st, "");
	if (r < 0)
		return r;
	return stmt_exec(s, st);
}

int store_begin(struct store *s)
{
	return store_tx(s, ST_BEGIN);
}

int store_commit(struct store *s)
{
	return store_tx(s, ST_COMMIT);
}

int store_rollback(struct store *s)
{
	/* Disk full and I/O errors may already have rolled back; that is not a second failure. */
	if (sqlite3_get_autocommit(s->db))
		return 0;
	return store_tx(s, ST_ROLLBACK);
}

/* Topology. */

int store_zone_upsert(struct store *s, const char *zone)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r;

	r = stmt_prepare(s, ST_ZONE_UPSERT, &st, "t", zone);
	if (r < 0)
		return r;
	return stmt_exec(s, st);
}

int store_door_upsert(struct store *s, const char *door, const char *zone)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r;

	r = stmt_prepare(s, ST_DOOR_UPSERT, &st, "tt", door, zone);
	if (r < 0)
		return r;
	return stmt_exec(s, st);
}

int store_reader_upsert(struct store *s, const char *reader, const char *door, const char *type)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r;

	r = stmt_prepare(s, ST_READER_UPSERT, &st, "ttt", reader, door, type);
	if (r < 0)
		return r;
	return stmt_exec(s, st);
}

/* 1 when the keyed statement finds a row, 0 when not. */
static int store_exists(struct store *s, enum stmt id, const char *key)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r;

	r = stmt_prepare(s, id, &st, "t", key);
	if (r < 0)
		return r;
	return stmt_row(s, st);
}

int store_zone_exists(struct store *s, const char *zone)
{
	return store_exists(s, ST_ZONE_EXISTS, zone);
}

int store_level_exists(struct store *s, const char *name)
{
	return store_exists(s, ST_LEVEL_EXISTS, name);
}

/* Walks a statement whose first column is a name. */
static int store_names(struct store *s, sqlite3_stmt *st,
		       int (*cb)(const char *name, void *userdata), void *userdata)
{
	int r;

	while ((r = stmt_row(s, st)) > 0) {
		r = cb(col_text(st, 0), userdata);
		if (r != 0)
			return r;
	}
	return r;
}

int store_zone_list(struct store *s, int (*cb)(const char *zone, void *userdata), void *userdata)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r;

	r = stmt_prepare(s, ST_ZONE_LIST, &st, "");
	if (r < 0)
		return r;
	return store_names(s, st, cb, userdata);
}

/* Persons. */

int store_person_add(struct store *s, const struct person *p)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r;

	r = validity_check(s, p->valid_from, p->valid_until);
	if (r < 0)
		return r;
	r = stmt_prepare(s, ST_PERSON_ADD, &st, "tttmmim", p->id, p->name, p->status, p->valid_from,
			 p->valid_until, p->created_ms, p->terminated_ms);
	if (r < 0)
		return r;
	return stmt_exec(s, st);
}

static int person_from_row(struct store *s, sqlite3_stmt *st, struct person *p)
{
	int r;

	r = col_copy(s, st, 0, p->id, sizeof(p->id));
	if (r < 0)
		return r;
	r = col_copy(s, st, 1, p->name, sizeof(p->name));
	if (r < 0)
		return r;
	r = col_copy(s, st, 2, p->status, sizeof(p->status));
	if (r < 0)
		return r;
	p->valid_from = col_ms(st, 3);
	p->valid_until = col_ms(st, 4);
	p->created_ms = col_ms(st, 5);
	p->terminated_ms = col_ms(st, 6);
	return 0;
}

int store_person_get(struct store *s, const char *id, struct person *ret)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	struct person p;
	int r;

	r = stmt_prepare(s, ST_PERSON_GET, &st, "t", id);
	if (r < 0)
		return r;
	r = stmt_row(s, st);
	if (r < 0)
		return r;
	if (r == 0)
		return store_fail(s, -ENOENT, "no such person: %s", id);
	r = person_from_row(s, st, &p);
	if (r < 0)
		return r;
	*ret = p;
	return 0;
}

int store_person_set_status(struct store *s, const char *id, const char *status, int64_t ts_ms)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r;

	r = stmt_prepare(s, ST_PERSON_SET_STATUS, &st, "tti", id, status, ts_ms);
	if (r < 0)
		return r;
	return stmt_exec_changed(s, st, "person", id);
}

int store_person_set_validity(struct store *s, const char *id, int64_t valid_from,
			      int64_t valid_until)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r;

	r = validity_check(s, valid_from, valid_until);
	if (r < 0)
		return r;
	r = stmt_prepare(s, ST_PERSON_SET_VALIDITY, &st, "tmm", id, valid_from, valid_until);
	if (r < 0)
		return r;
	return stmt_exec_changed(s, st, "person", id);
}

int store_person_list(struct store *s, const char *after_id, size_t limit,
		      int (*cb)(const struct person *p, void *userdata), void *userdata)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	struct person p;
	int r;

	if (after_id)
		r = stmt_prepare(s, ST_PERSON_LIST_AFTER, &st, "ti", after_id, sql_limit(limit));
	else
		r = stmt_prepare(s, ST_PERSON_LIST, &st, "i", sql_limit(limit));
	if (r < 0)
		return r;
	while ((r = stmt_row(s, st)) > 0) {
		r = person_from_row(s, st, &p);
		if (r < 0)
			return r;
		r = cb(&p, userdata);
		if (r != 0)
			return r;
	}
	return r;
}

/* Level assignments. */

/*
 * Its own function so the SELECT is reset before the caller writes: an
 * autocommit write commits only once no other statement is active, and a
 * commit deferred to a cleanup reset would lose its error.
 */
static int person_level_count(struct store *s, const char *person, int64_t *ret)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r;

	r = stmt_prepare(s, ST_PERSON_LEVEL_COUNT, &st, "t", person);
	if (r < 0)
		return r;
	r = stmt_row(s, st);
	if (r < 0)
		return r;
	*ret = r > 0 ? sqlite3_column_int64(st, 0) : 0;
	return 0;
}

int store_person_level_add(struct store *s, const char *person, const char *level)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int64_t n;
	int r;

	r = person_level_count(s, person, &n);
	if (r < 0)
		return r;
	if (n >= AEOGATE_LEVELS_PER_PERSON_MAX)
		return store_fail(s, -E2BIG, "person %s already holds %d levels", person,
				  AEOGATE_LEVELS_PER_PERSON_MAX);

	r = stmt_prepare(s, ST_PERSON_LEVEL_ADD, &st, "tt", person, level);
	if (r < 0)
		return r;
	return stmt_exec(s, st);
}

int store_person_level_remove(struct store *s, const char *person, const char *level)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r;

	r = stmt_prepare(s, ST_PERSON_LEVEL_REMOVE, &st, "tt", person, level);
	if (r < 0)
		return r;
	return stmt_exec_changed(s, st, "level assignment", level);
}

int store_person_levels(struct store *s, const char *person,
			int (*cb)(const char *level, void *userdata), void *userdata)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	bool any = false;
	int r;

	r = stmt_prepare(s, ST_PERSON_LEVELS, &st, "t", person);
	if (r < 0)
		return r;
	while ((r = stmt_row(s, st)) > 0) {
		any = true;
		r = cb(col_text(st, 0), userdata);
		if (r != 0)
			return r;
	}
	if (r < 0 || any)
		return r;
	/* No levels: tell a person without any from a person who does not exist. */
	r = store_exists(s, ST_PERSON_EXISTS, person);
	if (r == 0)
		return store_fail(s, -ENOENT, "no such person: %s", person);
	return r < 0 ? r : 0;
}

int store_person_has_zone(struct store *s, const char *person, const char *zone)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r;

	r = stmt_prepare(s, ST_PERSON_HAS_ZONE, &st, "tt", person, zone);
	if (r < 0)
		return r;
	return stmt_row(s, st);
}

/* Credentials. */

int store_credential_add(struct store *s, const struct credential *c)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r;

	r = validity_check(s, c->valid_from, c->valid_until);
	if (r < 0)
		return r;
	r = stmt_prepare(s, ST_CREDENTIAL_ADD, &st, "tttmmim", c->id, c->person, c->status,
			 c->valid_from, c->valid_until, c->issued_ms, c->revoked_ms);
	if (r < 0)
		return r;
	r = stmt_exec(s, st);
	if (r == -ENOENT)
		store_fail(s, r, "no such person: %s", c->person);
	return r;
}

static int credential_from_row(struct store *s, sqlite3_stmt *st, struct credential *c)
{
	int r;

	r = col_copy(s, st, 0, c->id, sizeof(c->id));
	if (r < 0)
		return r;
	r = col_copy(s, st, 1, c->person, sizeof(c->person));
	if (r < 0)
		return r;
	r = col_copy(s, st, 2, c->status, sizeof(c->status));
	if (r < 0)
		return r;
	c->valid_from = col_ms(st, 3);
	c->valid_until = col_ms(st, 4);
	c->issued_ms = col_ms(st, 5);
	c->revoked_ms = col_ms(st, 6);
	return 0;
}

int store_credential_get(struct store *s, const char *id, struct credential *ret)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	struct credential c;
	int r;

	r = stmt_prepare(s, ST_CREDENTIAL_GET, &st, "t", id);
	if (r < 0)
		return r;
	r = stmt_row(s, st);
	if (r < 0)
		return r;
	if (r == 0)
		return store_fail(s, -ENOENT, "no such credential: %s", id);
	r = credential_from_row(s, st, &c);
	if (r < 0)
		return r;
	*ret = c;
	return 0;
}

int store_credential_set_status(struct store *s, const char *id, const char *status, int64_t ts_ms)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r;

	r = stmt_prepare(s, ST_CREDENTIAL_SET_STATUS, &st, "tti", id, status, ts_ms);
	if (r < 0)
		return r;
	return stmt_exec_changed(s, st, "credential", id);
}

int store_credential_revoke_person(struct store *s, const char *person, int64_t ts_ms,
				   size_t *ret_count)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r;

	r = stmt_prepare(s, ST_CREDENTIAL_REVOKE_PERSON, &st, "ti", person, ts_ms);
	if (r < 0)
		return r;
	r = stmt_exec(s, st);
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

	while ((r = stmt_row(s, st)) > 0) {
		r = credential_from_row(s, st, &c);
		if (r < 0)
			return r;
		r = cb(&c, userdata);
		if (r != 0)
			return r;
	}
	return r;
}

int store_credential_list(struct store *s, const char *person,
			  int (*cb)(const struct credential *c, void *userdata), void *userdata)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r;

	if (person)
		r = stmt_prepare(s, ST_CREDENTIAL_LIST_PERSON, &st, "t", person);
	else
		r = stmt_prepare(s, ST_CREDENTIAL_LIST, &st, "");
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

/* Levels. */

static int level_add_rows(struct store *s, const char *name, const char *const *zones,
			  size_t n_zones)
{
	_cleanup_stmt_ sqlite3_stmt *level = NULL;
	int r;

	r = stmt_prepare(s, ST_LEVEL_ADD, &level, "t", name);
	if (r < 0)
		return r;
	r = stmt_exec(s, level);
	if (r < 0)
		return r;

	for (size_t i = 0; i < n_zones; i++) {
		_cleanup_stmt_ sqlite3_stmt *st = NULL;

		r = stmt_prepare(s, ST_LEVEL_ZONE_ADD, &st, "tt", name, zones[i]);
		if (r < 0)
			return r;
		r = stmt_exec(s, st);
		if (r == -ENOENT)
			return store_fail(s, r, "no such zone: %s", zones[i]);
		if (r < 0)
			return r;
	}
	return 0;
}

int store_level_add(struct store *s, const char *name, const char *const *zones, size_t n_zones)
{
	int r;

	if (n_zones == 0)
		return store_fail(s, -EINVAL, "level %s opens no zone", name);
	if (n_zones > AEOGATE_ZONES_PER_LEVEL_MAX)
		return store_fail(s, -E2BIG, "level %s names %zu zones, at most %d", name, n_zones,
				  AEOGATE_ZONES_PER_LEVEL_MAX);
	for (size_t i = 0; i < n_zones; i++)
		if (!zones[i])
			return store_fail(s, -EINVAL, "level %s: zone %zu missing", name, i);

	/* A savepoint, not BEGIN: the level may be part of a caller's transaction. */
	r = store_tx(s, ST_SAVEPOINT_LEVEL);
	if (r < 0)
		return r;
	r = level_add_rows(s, name, zones, n_zones);
	if (r < 0) {
		/* Keep the message of the failure, not of the unwinding. */
		sqlite3_step(s->stmt[ST_ROLLBACK_TO_LEVEL]);
		sqlite3_reset(s->stmt[ST_ROLLBACK_TO_LEVEL]);
		sqlite3_step(s->stmt[ST_RELEASE_LEVEL]);
		sqlite3_reset(s->stmt[ST_RELEASE_LEVEL]);
		return r;
	}
	return store_tx(s, ST_RELEASE_LEVEL);
}

int store_level_list(struct store *s,
		     int (*cb)(const char *level, const char *const *zones, size_t n_zones,
			       void *userdata),
		     void *userdata)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	/* Zone names are copied: column text lives only until the next step. */
	char(*zones)[AEOGATE_ID_MAX + 1] = NULL;
	const char *zone_ptrs[AEOGATE_ZONES_PER_LEVEL_MAX];
	char level[AEOGATE_ID_MAX + 1] = "";
	size_t n = 0;
	bool have_level = false;
	int r;

	zones = malloc(AEOGATE_ZONES_PER_LEVEL_MAX * sizeof(*zones));
	if (!zones)
		return store_fail(s, -ENOMEM, "out of memory");
	r = stmt_prepare(s, ST_LEVEL_LIST, &st, "");
	if (r < 0)
		goto out;

	for (;;) {
		const char *name;

		r = stmt_row(s, st);
		if (r < 0)
			goto out;
		name = r > 0 ? col_text(st, 0) : NULL;
		if (have_level && (!name || strcmp(name, level) != 0)) {
			for (size_t i = 0; i < n; i++)
				zone_ptrs[i] = zones[i];
			r = cb(level, zone_ptrs, n, userdata);
			if (r != 0)
				goto out;
			have_level = false;
		}
		if (!name)
			break;
		if (!have_level) {
			r = col_copy(s, st, 0, level, sizeof(level));
			if (r < 0)
				goto out;
			have_level = true;
			n = 0;
		}
		/* LEFT JOIN: a level whose zones are all gone still shows, with none. */
		if (sqlite3_column_type(st, 1) == SQLITE_NULL)
			continue;
		if (n == AEOGATE_ZONES_PER_LEVEL_MAX) {
			r = store_fail(s, -EIO, "stored level %s opens more than %d zones", level,
				       AEOGATE_ZONES_PER_LEVEL_MAX);
			goto out;
		}
		r = col_copy(s, st, 1, zones[n], sizeof(zones[n]));
		if (r < 0)
			goto out;
		n++;
	}
	r = 0;
out:
	free(zones);
	return r;
}

/* Events. */

int store_event_append(struct store *s, const struct event *e)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r;

	r = stmt_prepare(s, ST_EVENT_APPEND, &st, "iitttttttttt", e->seq, e->ts_ms, e->kind,
			 e->door, e->reader, e->zone, e->person, e->credential, e->reason,
			 e->detail, e->prev, e->hash);
	if (r < 0)
		return r;
	r = stmt_exec(s, st);
	if (r == -EEXIST)
		store_fail(s, r, "event %" PRId64 " already stored", e->seq);
	return r;
}

static int hash_copy(struct store *s, sqlite3_stmt *st, int col, char out[EVENT_HASH_HEX])
{
	return col_copy(s, st, col, out, EVENT_HASH_HEX);
}

int store_event_last(struct store *s, int64_t *ret_seq, char ret_hash[EVENT_HASH_HEX])
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	char hash[EVENT_HASH_HEX];
	int64_t seq = 0;
	int r;

	r = stmt_prepare(s, ST_EVENT_LAST, &st, "");
	if (r < 0)
		return r;
	r = stmt_row(s, st);
	if (r < 0)
		return r;
	if (r > 0) {
		seq = sqlite3_column_int64(st, 0);
		r = hash_copy(s, st, 1, hash);
		if (r < 0)
			return r;
	} else {
		/* The chain starts from an all-zero hash. */
		memset(hash, '0', EVENT_HASH_HEX - 1);
		hash[EVENT_HASH_HEX - 1] = '\0';
	}
	*ret_seq = seq;
	memcpy(ret_hash, hash, EVENT_HASH_HEX);
	return 0;
}

/* Fills e with pointers into the current row: valid until the next step. */
static int event_from_row(struct store *s, sqlite3_stmt *st, struct event *e)
{
	int r;

	e->seq = sqlite3_column_int64(st, 0);
	e->ts_ms = sqlite3_column_int64(st, 1);
	e->kind = col_text(st, 2);
	e->door = col_text(st, 3);
	e->reader = col_text(st, 4);
	e->zone = col_text(st, 5);
	e->person = col_text(st, 6);
	e->credential = col_text(st, 7);
	e->reason = col_text(st, 8);
	e->detail = col_text(st, 9);
	if (!e->kind)
		return store_fail(s, -ENOMEM, "out of memory reading event %" PRId64, e->seq);
	r = hash_copy(s, st, 10, e->prev);
	if (r < 0)
		return r;
	return hash_copy(s, st, 11, e->hash);
}

int store_event_list(struct store *s, int64_t since, size_t limit,
		     int (*cb)(const struct event *e, void *userdata), void *userdata)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	struct event e;
	int r;

	r = stmt_prepare(s, ST_EVENT_LIST, &st, "ii", since, sql_limit(limit));
	if (r < 0)
		return r;
	while ((r = stmt_row(s, st)) > 0) {
		r = event_from_row(s, st, &e);
		if (r < 0)
			return r;
		r = cb(&e, userdata);
		if (r != 0)
			return r;
	}
	return r;
}

static int strdup_opt(const char **dst)
{
	char *c;

	if (!*dst)
		return 0;
	c = strdup(*dst);
	*dst = c;
	return c ? 0 : -ENOMEM;
}

/* The current row as an event that owns its strings. */
static int event_copy_row(struct store *s, sqlite3_stmt *st, struct event *ret)
{
	struct event e = {0};
	const char **strs[] = {&e.kind,	  &e.door,	 &e.reader, &e.zone,
			       &e.person, &e.credential, &e.reason, &e.detail};
	int r;

	r = event_from_row(s, st, &e);
	if (r < 0)
		return r;
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
		if (strdup_opt(strs[i]) < 0) {
			/* The rest still point into the row: forget them, free ours. */
			for (size_t j = i; j < sizeof(strs) / sizeof(strs[0]); j++)
				*strs[j] = NULL;
			event_clear(&e);
			return store_fail(s, -ENOMEM, "out of memory");
		}
	}
	*ret = e;
	return 0;
}

int store_event_get(struct store *s, int64_t seq, struct event *ret)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r;

	r = stmt_prepare(s, ST_EVENT_GET, &st, "i", seq);
	if (r < 0)
		return r;
	r = stmt_row(s, st);
	if (r < 0)
		return r;
	if (r == 0)
		return store_fail(s, -ENOENT, "no such event: %" PRId64, seq);
	return event_copy_row(s, st, ret);
}

int64_t store_event_count(struct store *s)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r;

	r = stmt_prepare(s, ST_EVENT_COUNT, &st, "");
	if (r < 0)
		return r;
	r = stmt_row(s, st);
	if (r == 0)
		return store_fail(s, -EIO, "count returned no row");
	return r < 0 ? r : sqlite3_column_int64(st, 0);
}

void event_clear(struct event *e)
{
	if (!e)
		return;
	free((char *)e->kind);
	free((char *)e->door);
	free((char *)e->reader);
	free((char *)e->zone);
	free((char *)e->person);
	free((char *)e->credential);
	free((char *)e->reason);
	free((char *)e->detail);
	e->kind = e->door = e->reader = e->zone = NULL;
	e->person = e->credential = e->reason = e->detail = NULL;
}

/* Dashboard users. */

int store_user_add(struct store *s, const struct user *u)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r;

	r = stmt_prepare(s, ST_USER_ADD, &st, "tttii", u->name, u->role, u->pwhash,
			 (int64_t)u->disabled, u->created_ms);
	if (r < 0)
		return r;
	return stmt_exec(s, st);
}

static int user_from_row(struct store *s, sqlite3_stmt *st, struct user *u)
{
	int r;

	r = col_copy(s, st, 0, u->name, sizeof(u->name));
	if (r < 0)
		return r;
	r = col_copy(s, st, 1, u->role, sizeof(u->role));
	if (r < 0)
		return r;
	r = col_copy(s, st, 2, u->pwhash, sizeof(u->pwhash));
	if (r < 0)
		return r;
	u->disabled = sqlite3_column_int64(st, 3) != 0;
	u->created_ms = sqlite3_column_int64(st, 4);
	return 0;
}

int store_user_get(struct store *s, const char *name, struct user *ret)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	struct user u;
	int r;

	r = stmt_prepare(s, ST_USER_GET, &st, "t", name);
	if (r < 0)
		return r;
	r = stmt_row(s, st);
	if (r < 0)
		return r;
	if (r == 0)
		return store_fail(s, -ENOENT, "no such user: %s", name);
	r = user_from_row(s, st, &u);
	if (r < 0)
		return r;
	*ret = u;
	return 0;
}

int store_user_set_disabled(struct store *s, const char *name, bool disabled)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r;

	r = stmt_prepare(s, ST_USER_SET_DISABLED, &st, "ti", name, (int64_t)disabled);
	if (r < 0)
		return r;
	return stmt_exec_changed(s, st, "user", name);
}

int store_user_set_pwhash(struct store *s, const char *name, const char *pwhash)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r;

	r = stmt_prepare(s, ST_USER_SET_PWHASH, &st, "tt", name, pwhash);
	if (r < 0)
		return r;
	return stmt_exec_changed(s, st, "user", name);
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
	while ((r = stmt_row(s, st)) > 0) {
		r = user_from_row(s, st, &u);
		if (r < 0)
			return r;
		r = cb(&u, userdata);
		if (r != 0)
			return r;
	}
	return r;
}

/* BEGIN audit store */

int store_checkpoint_add(struct store *s, const struct checkpoint *cp)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r;

	r = stmt_prepare(s, ST_CHECKPOINT_ADD, &st, "ititt", cp->seq, cp->hash, cp->ts_ms,
			 cp->key_id, cp->signature);
	if (r < 0)
		return r;
	return stmt_exec(s, st);
}

static int checkpoint_from_row(struct store *s, sqlite3_stmt *st, struct checkpoint *cp)
{
	int r;

	cp->id = sqlite3_column_int64(st, 0);
	cp->seq = sqlite3_column_int64(st, 1);
	r = hash_copy(s, st, 2, cp->hash);
	if (r < 0)
		return r;
	cp->ts_ms = sqlite3_column_int64(st, 3);
	r = col_copy(s, st, 4, cp->key_id, sizeof(cp->key_id));
	if (r < 0)
		return r;
	return col_copy(s, st, 5, cp->signature, sizeof(cp->signature));
}

int store_checkpoint_last(struct store *s, struct checkpoint *ret)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	struct checkpoint cp;
	int r;

	r = stmt_prepare(s, ST_CHECKPOINT_LAST, &st, "");
	if (r < 0)
		return r;
	r = stmt_row(s, st);
	if (r < 0)
		return r;
	if (r == 0)
		return store_fail(s, -ENOENT, "no checkpoint yet");
	r = checkpoint_from_row(s, st, &cp);
	if (r < 0)
		return r;
	*ret = cp;
	return 0;
}

int store_checkpoint_list(struct store *s, int64_t after, int64_t upto,
			  int (*cb)(const struct checkpoint *cp, void *userdata), void *userdata)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	struct checkpoint cp;
	int r;

	r = stmt_prepare(s, ST_CHECKPOINT_LIST, &st, "ii", after, upto > 0 ? upto : INT64_MAX);
	if (r < 0)
		return r;
	while ((r = stmt_row(s, st)) > 0) {
		r = checkpoint_from_row(s, st, &cp);
		if (r < 0)
			return r;
		r = cb(&cp, userdata);
		if (r != 0)
			return r;
	}
	return r;
}

int store_event_range(struct store *s, int64_t from_ms, int64_t to_ms, int64_t *ret_first,
		      int64_t *ret_last)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r;

	r = stmt_prepare(s, ST_EVENT_RANGE, &st, "ii", from_ms, to_ms);
	if (r < 0)
		return r;
	r = stmt_row(s, st);
	if (r < 0)
		return r;
	/* An aggregate always answers one row; NULLs when nothing is in range. */
	*ret_first = r > 0 ? col_ms(st, 0) : 0;
	*ret_last = r > 0 ? col_ms(st, 1) : 0;
	return 0;
}

int store_event_walk(struct store *s, int64_t after, int64_t upto, int64_t from_ms, int64_t to_ms,
		     int (*cb)(const struct event *e, void *userdata), void *userdata)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	struct event e;
	int r;

	r = stmt_prepare(s, ST_EVENT_WALK, &st, "iiii", after, upto, from_ms, to_ms);
	if (r < 0)
		return r;
	while ((r = stmt_row(s, st)) > 0) {
		r = event_from_row(s, st, &e);
		if (r < 0)
			return r;
		r = cb(&e, userdata);
		if (r != 0)
			return r;
	}
	return r;
}

int store_alarm_raise(struct store *s, const char *kind, const char *door, const char *zone,
		      int64_t seq, int64_t ts_ms)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r;

	r = stmt_prepare(s, ST_ALARM_RAISE, &st, "tttii", kind, door, zone, seq, ts_ms);
	if (r < 0)
		return r;
	return stmt_exec(s, st);
}

static int alarm_from_row(struct store *s, sqlite3_stmt *st, struct alarm *a)
{
	int r;

	a->id = sqlite3_column_int64(st, 0);
	if ((r = col_copy(s, st, 1, a->kind, sizeof(a->kind))) < 0 ||
	    (r = col_copy(s, st, 2, a->door, sizeof(a->door))) < 0 ||
	    (r = col_copy(s, st, 3, a->zone, sizeof(a->zone))) < 0)
		return r;
	a->raised_seq = sqlite3_column_int64(st, 4);
	a->raised_ms = sqlite3_column_int64(st, 5);
	if ((r = col_copy(s, st, 6, a->state, sizeof(a->state))) < 0)
		return r;
	a->ack_ms = col_ms(st, 7);
	if ((r = col_copy(s, st, 8, a->ack_by, sizeof(a->ack_by))) < 0 ||
	    (r = col_copy(s, st, 9, a->ack_comment, sizeof(a->ack_comment))) < 0)
		return r;
	a->closed_ms = col_ms(st, 10);
	return col_copy(s, st, 11, a->closed_by, sizeof(a->closed_by));
}

int store_alarm_get(struct store *s, int64_t id, struct alarm *ret)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	struct alarm a;
	int r;

	r = stmt_prepare(s, ST_ALARM_GET, &st, "i", id);
	if (r < 0)
		return r;
	r = stmt_row(s, st);
	if (r < 0)
		return r;
	if (r == 0)
		return store_fail(s, -ENOENT, "no such alarm: %" PRId64, id);
	r = alarm_from_row(s, st, &a);
	if (r < 0)
		return r;
	*ret = a;
	return 0;
}

int store_alarm_ack(struct store *s, int64_t id, int64_t ts_ms, const char *by, const char *comment)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	char key[24];
	int r;

	snprintf(key, sizeof(key), "%" PRId64, id);
	r = stmt_prepare(s, ST_ALARM_ACK, &st, "iitt", id, ts_ms, by, comment);
	if (r < 0)
		return r;
	return stmt_exec_changed(s, st, "open alarm", key);
}

int store_alarm_close(struct store *s, int64_t id, int64_t ts_ms, const char *by)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	char key[24];
	int r;

	snprintf(key, sizeof(key), "%" PRId64, id);
	r = stmt_prepare(s, ST_ALARM_CLOSE, &st, "iit", id, ts_ms, by);
	if (r < 0)
		return r;
	return stmt_exec_changed(s, st, "unclosed alarm", key);
}

int store_alarm_list(struct store *s, bool open_only, int64_t after, int64_t from_ms, int64_t to_ms,
		     size_t limit, int (*cb)(const struct alarm *a, void *userdata), void *userdata)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	struct alarm a;
	int r;

	r = stmt_prepare(s, open_only ? ST_ALARM_LIST_OPEN : ST_ALARM_LIST, &st, "iiii", after,
			 from_ms, to_ms, sql_limit(limit));
	if (r < 0)
		return r;
	while ((r = stmt_row(s, st)) > 0) {
		r = alarm_from_row(s, st, &a);
		if (r < 0)
			return r;
		r = cb(&a, userdata);
		if (r != 0)
			return r;
	}
	return r;
}

int store_alarm_last_seq(struct store *s, int64_t *ret)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r;

	r = stmt_prepare(s, ST_ALARM_LAST_SEQ, &st, "");
	if (r < 0)
		return r;
	r = stmt_row(s, st);
	if (r < 0)
		return r;
	*ret = r > 0 ? sqlite3_column_int64(st, 0) : 0;
	return 0;
}

int store_event_first(struct store *s, int64_t *ret_seq, char ret_prev[EVENT_HASH_HEX])
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	char prev[EVENT_HASH_HEX] = "";
	int64_t seq = 0;
	int r;

	r = stmt_prepare(s, ST_EVENT_FIRST, &st, "");
	if (r < 0)
		return r;
	r = stmt_row(s, st);
	if (r < 0)
		return r;
	if (r > 0) {
		seq = sqlite3_column_int64(st, 0);
		r = hash_copy(s, st, 1, prev);
		if (r < 0)
			return r;
	}
	*ret_seq = seq;
	memcpy(ret_prev, prev, EVENT_HASH_HEX);
	return 0;
}

int store_event_last_pruned(struct store *s, struct event *ret)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r;

	r = stmt_prepare(s, ST_EVENT_LAST_PRUNED, &st, "");
	if (r < 0)
		return r;
	r = stmt_row(s, st);
	if (r < 0)
		return r;
	if (r == 0)
		return store_fail(s, -ENOENT, "no audit.pruned event");
	return event_copy_row(s, st, ret);
}

int store_alarm_get_by_seq(struct store *s, int64_t raised_seq, struct alarm *ret)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	struct alarm a;
	int r;

	r = stmt_prepare(s, ST_ALARM_BY_SEQ, &st, "i", raised_seq);
	if (r < 0)
		return r;
	r = stmt_row(s, st);
	if (r < 0)
		return r;
	if (r == 0)
		return store_fail(s, -ENOENT, "no alarm raised by event %" PRId64, raised_seq);
	r = alarm_from_row(s, st, &a);
	if (r < 0)
		return r;
	*ret = a;
	return 0;
}

int store_checkpoint_add_id(struct store *s, const struct checkpoint *cp, int64_t *ret_id)
{
	int r = store_checkpoint_add(s, cp);

	if (r < 0)
		return r;
	*ret_id = sqlite3_last_insert_rowid(s->db);
	return 0;
}

static int prune_guard(struct store *s, int on)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r;

	if ((r = stmt_prepare(s, ST_PRUNE_GUARD, &st, "i", (int64_t)on)) < 0)
		return r;
	return stmt_exec(s, st);
}

static int prune_rows(struct store *s, int64_t upto, int64_t alarms_closed_before,
		      int64_t *ret_events, int64_t *ret_alarms)
{
	int r;

	{
		_cleanup_stmt_ sqlite3_stmt *st = NULL;

		if ((r = stmt_prepare(s, ST_PRUNE_EVENTS, &st, "i", upto)) < 0 ||
		    (r = stmt_exec(s, st)) < 0)
			return r;
		*ret_events = sqlite3_changes(s->db);
	}
	{
		_cleanup_stmt_ sqlite3_stmt *st = NULL;

		if ((r = stmt_prepare(s, ST_PRUNE_CHECKPOINTS, &st, "i", upto)) < 0 ||
		    (r = stmt_exec(s, st)) < 0)
			return r;
	}
	{
		_cleanup_stmt_ sqlite3_stmt *st = NULL;

		if ((r = stmt_prepare(s, ST_PRUNE_ALARMS, &st, "ii", upto, alarms_closed_before)) <
			0 ||
		    (r = stmt_exec(s, st)) < 0)
			return r;
		*ret_alarms = sqlite3_changes(s->db);
	}
	return 0;
}

int store_prune(struct store *s, int64_t upto, int64_t alarms_closed_before, int64_t *ret_events,
		int64_t *ret_alarms)
{
	int64_t events = 0, alarms = 0;
	int r, r2;

	/* The guard flag must never be committed set: only inside the caller's transaction. */
	if (sqlite3_get_autocommit(s->db))
		return store_fail(s, -EINVAL, "pruning runs only inside a transaction");
	if ((r = prune_guard(s, 1)) < 0)
		return r;
	r = prune_rows(s, upto, alarms_closed_before, &events, &alarms);
	/* Cleared whatever happened; the caller rolls a failure back anyway. */
	r2 = prune_guard(s, 0);
	if (r < 0)
		return r;
	if (r2 < 0)
		return r2;
	if (ret_events)
		*ret_events = events;
	if (ret_alarms)
		*ret_alarms = alarms;
	return 0;
}

int store_opened_version(struct store *s)
{
	return s->opened_version;
}

int store_sync(struct store *s)
{
	const char *db = sqlite3_db_filename(s->db, "main"), *wal;
	int fd, r;

	/* An in-memory or temporary database has no file to make durable. */
	if (!db || !*db)
		return 0;
	wal = sqlite3_filename_wal(db);
	if (!wal || !*wal)
		return 0;
	fd = open(wal, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		/* No WAL file: every commit is in the main file, which SQLite synced. */
		if (errno == ENOENT)
			return 0;
		return store_fail(s, -errno, "%s: %s", wal, strerror(errno));
	}
	r = fsync(fd) < 0 ? store_fail(s, -errno, "fsync %s: %s", wal, strerror(errno)) : 0;
	close(fd);
	return r;
}
/* END audit store */

/* BEGIN report store */

int store_review_add(struct store *s, const struct review *rv, int64_t *ret_id)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r;

	r = stmt_prepare(s, ST_REVIEW_ADD, &st, "ittt", rv->ts_ms, rv->reviewer, rv->comment,
			 rv->operator_id);
	if (r < 0)
		return r;
	r = stmt_exec(s, st);
	if (r < 0)
		return r;
	*ret_id = sqlite3_last_insert_rowid(s->db);
	return 0;
}

int store_review_last(struct store *s, struct review *ret)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	struct review rv;
	int r;

	r = stmt_prepare(s, ST_REVIEW_LAST, &st, "");
	if (r < 0)
		return r;
	r = stmt_row(s, st);
	if (r < 0)
		return r;
	if (r == 0)
		return store_fail(s, -ENOENT, "no review yet");
	rv.id = sqlite3_column_int64(st, 0);
	rv.ts_ms = sqlite3_column_int64(st, 1);
	if ((r = col_copy(s, st, 2, rv.reviewer, sizeof(rv.reviewer))) < 0 ||
	    (r = col_copy(s, st, 3, rv.comment, sizeof(rv.comment))) < 0 ||
	    (r = col_copy(s, st, 4, rv.operator_id, sizeof(rv.operator_id))) < 0)
		return r;
	*ret = rv;
	return 0;
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
	while ((r = stmt_row(s, st)) > 0) {
		if ((r = col_copy(s, st, 0, v.type, sizeof(v.type))) < 0 ||
		    (r = col_copy(s, st, 1, v.id, sizeof(v.id))) < 0 ||
		    (r = col_copy(s, st, 2, v.person, sizeof(v.person))) < 0 ||
		    (r = col_copy(s, st, 3, v.status, sizeof(v.status))) < 0)
			return r;
		v.valid_from = col_ms(st, 4);
		v.valid_until = col_ms(st, 5);
		r = cb(&v, userdata);
		if (r != 0)
			return r;
	}
	return r;
}

int store_person_access_after(struct store *s, const char *person, int64_t after_ms,
			      int (*cb)(int64_t seq, int64_t ts_ms, void *userdata), void *userdata)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r;

	r = stmt_prepare(s, ST_PERSON_ACCESS_AFTER, &st, "ti", person, after_ms);
	if (r < 0)
		return r;
	while ((r = stmt_row(s, st)) > 0) {
		r = cb(sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1), userdata);
		if (r != 0)
			return r;
	}
	return r;
}

int store_person_set_name(struct store *s, const char *id, const char *name)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r;

	r = stmt_prepare(s, ST_PERSON_SET_NAME, &st, "tt", id, name);
	if (r < 0)
		return r;
	return stmt_exec_changed(s, st, "person", id);
}

int store_level_zone_add(struct store *s, const char *level, const char *zone)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r;

	r = stmt_prepare(s, ST_LEVEL_ZONE_INSERT, &st, "tt", level, zone);
	if (r < 0)
		return r;
	return stmt_exec(s, st);
}

int store_level_zone_remove(struct store *s, const char *level, const char *zone)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r;

	r = stmt_prepare(s, ST_LEVEL_ZONE_DELETE, &st, "tt", level, zone);
	if (r < 0)
		return r;
	return stmt_exec_changed(s, st, "zone of the level", zone);
}

int store_level_holders(struct store *s, const char *level, int64_t *ret_count)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r;

	r = stmt_prepare(s, ST_LEVEL_HOLDERS, &st, "t", level);
	if (r < 0)
		return r;
	r = stmt_row(s, st);
	if (r < 0)
		return r;
	*ret_count = r > 0 ? sqlite3_column_int64(st, 0) : 0;
	return 0;
}

int store_level_remove(struct store *s, const char *level)
{
	int r;

	{
		_cleanup_stmt_ sqlite3_stmt *st = NULL;

		r = stmt_prepare(s, ST_LEVEL_ZONES_DELETE, &st, "t", level);
		if (r < 0)
			return r;
		r = stmt_exec(s, st);
		if (r < 0)
			return r;
	}
	_cleanup_stmt_ sqlite3_stmt *st = NULL;

	r = stmt_prepare(s, ST_LEVEL_DELETE, &st, "t", level);
	if (r < 0)
		return r;
	return stmt_exec_changed(s, st, "level", level);
}
/* END report store */

/* BEGIN login throttle store */
int store_login_throttle_put(struct store *s, const struct login_throttle *t)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r;

	r = stmt_prepare(s, ST_THROTTLE_PUT, &st, "tiii", t->key, (int64_t)t->failures,
			 t->last_failure_ms, t->blocked_until_ms);
	if (r < 0)
		return r;
	return stmt_exec(s, st);
}

int store_login_throttle_delete(struct store *s, const char *key)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r;

	r = stmt_prepare(s, ST_THROTTLE_DELETE, &st, "t", key);
	if (r < 0)
		return r;
	return stmt_exec(s, st);
}

int store_login_throttle_forget(struct store *s, int64_t before_ms)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r;

	r = stmt_prepare(s, ST_THROTTLE_FORGET, &st, "i", before_ms);
	if (r < 0)
		return r;
	return stmt_exec(s, st);
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

		/* A row we could not have written is skipped, never trusted half-read. */
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
/* END login throttle store */
