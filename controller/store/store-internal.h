/* SPDX-License-Identifier: MIT */
/*
 * What the store's own files share, and nothing outside controller/store/
 * includes: the connection, the statement ids, and the helpers that bind,
 * step and read. SQLite result codes become negative errno in these helpers
 * and nowhere else.
 *
 * Each table family is one file (people.c, badges.c, events.c, audit.c,
 * users.c) that keeps its SQL beside the functions binding it, in an array
 * indexed by the ids below. The ids are one enum so that a statement is
 * named by one value everywhere; store.c prepares every family's SQL at
 * open and refuses to open if an id has no SQL or two.
 */
#ifndef AEOGATE_STORE_INTERNAL_H
#define AEOGATE_STORE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "store.h"

enum stmt {
	/* store.c: transactions and pragmas */
	ST_BEGIN,
	ST_BEGIN_DEFERRED,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_SAVEPOINT,
	ST_RELEASE,
	ST_ROLLBACK_TO,
	ST_USER_VERSION,
	ST_QUICK_CHECK,
	/* people.c: topology, persons, levels */
	ST_ZONE_UPSERT,
	ST_DOOR_UPSERT,
	ST_READER_UPSERT,
	ST_ZONE_EXISTS,
	ST_PERSON_ADD,
	ST_PERSON_GET,
	ST_PERSON_EXISTS,
	ST_PERSON_NAME,
	ST_PERSON_SET_STATUS,
	ST_PERSON_SET_VALIDITY,
	ST_PERSON_SET_NAME,
	ST_PERSON_LIST,
	ST_PERSON_LIST_AFTER,
	ST_PERSON_LEVEL_ADD,
	ST_PERSON_LEVEL_REMOVE,
	ST_PERSON_LEVEL_COUNT,
	ST_PERSON_LEVELS,
	ST_PERSON_HAS_ZONE,
	ST_SAVEPOINT_LEVEL,
	ST_RELEASE_LEVEL,
	ST_ROLLBACK_TO_LEVEL,
	ST_LEVEL_ADD,
	ST_LEVEL_ZONE_ADD,
	ST_LEVEL_ZONE_INSERT,
	ST_LEVEL_ZONE_DELETE,
	ST_LEVEL_EXISTS,
	ST_LEVEL_LIST,
	ST_LEVEL_HOLDERS,
	ST_LEVEL_ZONES_DELETE,
	ST_LEVEL_DELETE,
	/* badges.c: credentials and the validity report */
	ST_CREDENTIAL_ADD,
	ST_CREDENTIAL_GET,
	ST_CREDENTIAL_SET_STATUS,
	ST_CREDENTIAL_REVOKE_PERSON,
	ST_CREDENTIAL_PAGE,
	ST_CREDENTIAL_LIST_PERSON,
	ST_CREDENTIAL_LIST_RANGE,
	ST_VALIDITY_LIST,
	/* events.c: the chain's rows */
	ST_EVENT_APPEND,
	ST_EVENT_LAST,
	ST_EVENT_FIRST,
	ST_EVENT_LIST,
	ST_EVENT_GET,
	ST_EVENT_RANGE,
	ST_EVENT_WALK,
	ST_EVENT_WALK_NAMED,
	ST_EVENT_LAST_PRUNED,
	ST_PERSON_ACCESS_AFTER,
	ST_EVENT_SEARCH_PERSON,
	ST_EVENT_SEARCH_ALL,
	ST_PERSON_BY_NAME,
	/* audit.c: checkpoints, alarms, reviews, pruning */
	ST_CHECKPOINT_ADD,
	ST_CHECKPOINT_LAST,
	ST_CHECKPOINT_LIST,
	ST_ALARM_RAISE,
	ST_ALARM_GET,
	ST_ALARM_ACK,
	ST_ALARM_CLOSE,
	ST_ALARM_LIST,
	ST_ALARM_LIST_OPEN,
	ST_ALARM_LAST_SEQ,
	ST_ALARM_BY_SEQ,
	ST_ALARM_STEP_ADD,
	ST_ALARM_STEPS,
	ST_ALARM_ESCALATION_DUE,
	ST_REVIEW_ADD,
	ST_REVIEW_LAST,
	ST_PRUNE_EVENTS,
	ST_PRUNE_CHECKPOINTS,
	ST_PRUNE_ALARMS,
	ST_PRUNE_ALARM_STEPS,
	ST_PRUNE_GUARD,
	/* users.c: dashboard users, login throttle */
	ST_USER_ADD,
	ST_USER_GET,
	ST_USER_SET_DISABLED,
	ST_USER_SET_PWHASH,
	ST_USER_LIST,
	ST_THROTTLE_PUT,
	ST_THROTTLE_DELETE,
	ST_THROTTLE_LIST,
	ST_THROTTLE_FORGET,
	/* clearance.c: zone settings, vetting records */
	ST_ZONE_VETTING_GET,
	ST_ZONE_VETTING_SET,
	ST_VETTING_GET,
	ST_VETTING_PUT,
	ST_VETTING_REPORT_OVERDUE,
	ST_VETTING_REPORT_REST,
	/* doors.c: door modes */
	ST_DOOR_MODE_GET,
	ST_DOOR_MODE_PUT,
	ST_DOOR_MODE_CLEAR,
	ST_DOOR_SCHEDULE_GET,
	ST_DOOR_SCHEDULE_PUT,
	ST_DOOR_SCHEDULE_CLEAR,
	ST_SCHEDULE_DOOR_USERS,
	/* schedules.c: schedules, level schedules, holidays */
	ST_SCHEDULE_ADD,
	ST_SCHEDULE_EXISTS,
	ST_SCHEDULE_COUNT,
	ST_SCHEDULE_REMOVE,
	ST_SCHEDULE_INTERVAL_ADD,
	ST_SCHEDULE_INTERVAL_REMOVE,
	ST_SCHEDULE_INTERVAL_COUNT,
	ST_SCHEDULE_WALK,
	ST_SCHEDULE_WALK_ONE,
	ST_SCHEDULE_LEVEL_USERS,
	ST_LEVEL_SCHEDULE_GET,
	ST_LEVEL_SCHEDULE_SET,
	ST_LEVEL_SCHEDULE_CLEAR,
	ST_PERSON_ZONE_SCHEDULES,
	ST_HOLIDAY_ADD,
	ST_HOLIDAY_GET,
	ST_HOLIDAY_REMOVE,
	ST_HOLIDAY_LIST,
	ST_HOLIDAY_COUNT,
	/* pins.c: card + PIN */
	ST_PIN_GET,
	ST_PIN_PUT,
	ST_PIN_CLEAR,
	ST_PIN_COUNTERS_SET,
	/* locations.c: area rules, where everyone is, last entries */
	ST_ZONE_AREA_GET,
	ST_ZONE_AREA_SET,
	ST_ZONE_SOFT_VIOLATION,
	ST_LOCATION_GET,
	ST_LOCATION_PUT,
	ST_LOCATION_CLEAR,
	ST_LOCATION_LIST,
	ST_ZONE_OCCUPANCY,
	ST_ZONE_ENTRY_GET,
	ST_ZONE_ENTRY_PUT,
	ST_ZONE_ENTRIES_CLEAR,
	ST_AREA_EVENTS,
	/* site.c: lockdown, threat level, responders and clearances */
	ST_SITE_GET,
	ST_SITE_SET_LOCKDOWN,
	ST_SITE_SET_THREAT,
	ST_LOCKDOWN_ZONES,
	ST_LOCKDOWN_ZONES_CLEAR,
	ST_LOCKDOWN_ZONE_ADD,
	ST_PERSON_SITE_GET,
	ST_PERSON_SITE_PUT,
	/* sync.c: the uplink's cursor */
	ST_SYNC_CURSOR_GET,
	ST_SYNC_CURSOR_SET,
	/* visitors.c: two-person and escort per zone, the visitor register */
	ST_ZONE_PAIRING_GET,
	ST_ZONE_PAIRING_PUT,
	ST_VISITOR_ADD,
	ST_VISITOR_GET,
	ST_VISITOR_IS,
	ST_VISITOR_END,
	ST_VISITOR_BADGES_RETURN,
	ST_VISITOR_LIST,
	ST_VISITOR_REPORT,
	/* siteplan.c: the floor-plan image and the door markers on it */
	ST_PLAN_GET,
	ST_PLAN_IMAGE,
	ST_PLAN_PUT,
	ST_PLAN_CLEAR,
	ST_MARKER_GET,
	ST_MARKER_PUT,
	ST_MARKER_CLEAR,
	ST_MARKER_LIST,
	/* photos.c: each person's photo */
	ST_PHOTO_GET,
	ST_PHOTO_HAS,
	ST_PHOTO_IMAGE,
	ST_PHOTO_PUT,
	ST_PHOTO_CLEAR,
	/* fleet.c: change sets applied, commands seen (schema 25) */
	ST_SYNC_APPLIED_GET,
	ST_SYNC_APPLIED_SET,
	ST_SYNC_COMMAND_ADD,
	ST_SYNC_COMMANDS_EXPIRE,
	ST_SYNC_COMMANDS_TRIM,
	_ST_MAX,
};

/* Each family's SQL: the entries of its own ids set, the rest NULL. */
extern const char *const store_core_sql[_ST_MAX];
extern const char *const store_people_sql[_ST_MAX];
extern const char *const store_badges_sql[_ST_MAX];
extern const char *const store_events_sql[_ST_MAX];
extern const char *const store_audit_sql[_ST_MAX];
extern const char *const store_users_sql[_ST_MAX];
extern const char *const store_clearance_sql[_ST_MAX];
extern const char *const store_doors_sql[_ST_MAX];
extern const char *const store_schedules_sql[_ST_MAX];
extern const char *const store_pins_sql[_ST_MAX];
extern const char *const store_locations_sql[_ST_MAX];
extern const char *const store_visitors_sql[_ST_MAX];
extern const char *const store_siteplan_sql[_ST_MAX];
extern const char *const store_photos_sql[_ST_MAX];
extern const char *const store_fleet_sql[_ST_MAX];

/* The SQL of statement id, from whichever family has it (NULL: none). */
const char *store_statement_sql(int id);

/*
 * Prepared per call, not cached (expiry.c: a few runs a day), but run on
 * the loop like the cached ones; tests/unit/test_store_plans.c checks its
 * plan with theirs.
 */
extern const char store_expiry_due_sql[];
extern const char *const store_site_sql[_ST_MAX];
extern const char *const store_sync_sql[_ST_MAX];

/* How long a write waits for another connection (aeogatectl, a backup) to let go. */
#define STORE_BUSY_TIMEOUT_MS 5000

struct store_wal;

/*
 * zones.c: the zone settings a decision reads (vetting, area rules,
 * pairing), one slot per zone, each part filled by its getter and the whole
 * forgotten by any change (issue 12). A slot per door covers every zone a
 * read can name; more zones than that share the slots, oldest out.
 */
#define STORE_ZONE_CACHE_SLOTS AEOGATE_DOORS_MAX
enum {
	STORE_ZONE_VETTING = 1 << 0,
	STORE_ZONE_AREA = 1 << 1,
	STORE_ZONE_PAIRING = 1 << 2,
};
struct store_zone_slot {
	char zone[AEOGATE_ID_MAX + 1];
	unsigned have; /* which of the parts below were read */
	bool vetting_required;
	struct zone_area_row area;
	struct zone_pairing pairing;
};
struct store_zone_cache {
	struct store_zone_slot slot[STORE_ZONE_CACHE_SLOTS];
	size_t n, next;
};
/* The slot of zone when it holds every part in what; NULL when it does not. */
const struct store_zone_slot *store_zone_cached(struct store *s, const char *zone, unsigned what);
/* The zone's slot to fill (found or made); NULL for a name too long to keep. */
struct store_zone_slot *store_zone_cache_slot(struct store *s, const char *zone);
/* Forgets every slot: a setter ran, or a transaction did not commit. */
void store_zone_cache_forget(struct store *s);

struct store {
	sqlite3 *db;
	struct store_zone_cache zones;
	struct store_wal *wal; /* the checkpointer (wal.c); NULL read-only or in memory */
	sqlite3_stmt *stmt[_ST_MAX];
	char errmsg[256];
	int opened_version; /* user_version before this open migrated it */
	/*
	 * Inside store_batch_begin: 1 plus the transactions begun in it and
	 * not yet ended, each a savepoint (0: no batch).
	 */
	unsigned batch_depth;
};

/* wal.c: checkpoints on a thread of their own, off the decision path. */
int store_wal_start(struct store *s, const char *path);
void store_wal_stop(struct store *s);

/* Records why the last call failed, for store_last_error; returns r. */
int store_fail(struct store *s, int r, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Maps a failed SQLite call once, keeping SQLite's own words for the log. */
int sql_fail(struct store *s, int rc);

void stmt_release(sqlite3_stmt **st);
/* A cached statement, reset and unbound again when the variable leaves scope. */
#define _cleanup_stmt_ __attribute__((cleanup(stmt_release)))

/*
 * Hands out a cached statement and binds its parameters from fmt, one letter
 * each: 't' text (NULL binds NULL), 'i' int64_t, 'm' int64_t milliseconds
 * where 0 binds NULL ("no bound"). Integer arguments must be int64_t.
 */
int stmt_prepare(struct store *s, enum stmt id, sqlite3_stmt **ret, const char *fmt, ...);
/* Steps a statement that returns no rows. */
int stmt_exec(struct store *s, sqlite3_stmt *st);
/* Steps once: 1 with a row, 0 at the end, negative errno on failure. */
int stmt_row(struct store *s, sqlite3_stmt *st);
/* Prepares, binds (as stmt_prepare), steps and resets a statement that returns no rows. */
int stmt_run(struct store *s, enum stmt id, const char *fmt, ...);
/* stmt_run for UPDATE and DELETE by key: -ENOENT "no such WHAT: KEY" when nothing matched. */
int stmt_run_changed(struct store *s, enum stmt id, const char *what, const char *key,
		     const char *fmt, ...);

/*
 * A row read into a struct, column by column in SELECT order: one table
 * per struct (ROW_SHAPE) serves every statement that selects its columns.
 */
enum col_type {
	COL_TEXT,   /* char array: copied; a value that does not fit is -EIO */
	COL_INT,    /* int64_t: NULL reads as 0 ("no bound") */
	COL_BOOL,   /* bool: non-zero */
	COL_BORROW, /* const char *: points into the row, valid until the next step */
};

struct col {
	enum col_type type;
	size_t off;
	size_t len;
};

struct row_shape {
	size_t size;
	const struct col *cols;
	size_t n;
};

/* The largest struct a shape reads; a single-row read copies it on success only. */
#define ROW_MAX 1024

/* A field's column type follows from its C type; any other type does not compile. */
#define COL_TYPE(field)                                                                            \
	_Generic((field), char *: COL_TEXT, int64_t: COL_INT, bool: COL_BOOL,                      \
		 const char *: COL_BORROW)

/* The column read into field f of a struct of type. */
#define COL(type, f)                                                                               \
	{                                                                                          \
		COL_TYPE(((type *)0)->f), offsetof(type, f), sizeof(((type *)0)->f)                \
	}

#define ROW_SHAPE(name, type, ...)                                                                 \
	static const struct col name##_cols[] = {__VA_ARGS__};                                     \
	_Static_assert(sizeof(type) <= ROW_MAX, #type " is larger than ROW_MAX");                  \
	static const struct row_shape name = {sizeof(type), name##_cols,                           \
					      sizeof(name##_cols) / sizeof(name##_cols[0])}

/* Reads the current row into out (a struct of shape's type). */
int row_read(struct store *s, sqlite3_stmt *st, const struct row_shape *shape, void *out);
/* Steps and reads: 1 with a row in out, 0 at the end, negative errno. */
int stmt_next(struct store *s, sqlite3_stmt *st, const struct row_shape *shape, void *out);
/*
 * Prepares and binds id (as stmt_prepare), steps once and resets it: 1
 * with the row read into ret (written only then), 0 when there is none,
 * negative errno. A NULL shape only asks whether there is a row. The
 * statement is reset before it returns, so the caller may write next: an
 * autocommit write commits only once no other statement is active.
 */
int stmt_get(struct store *s, const struct row_shape *shape, void *ret, enum stmt id,
	     const char *fmt, ...);
/* One int64_t column: aggregates (count, max) and pragmas. */
extern const struct row_shape int_row;
/*
 * What a getter returns for stmt_get's r: 0 for a row, r when negative,
 * -ENOENT with the message fmt when there was none.
 */
int stmt_found(struct store *s, int r, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * Copies a text column into a fixed buffer. A value that does not fit was
 * not written by this store; truncating it could turn one id into another.
 */
int col_copy(struct store *s, sqlite3_stmt *st, int col, char *buf, size_t len);

static inline const char *col_text(sqlite3_stmt *st, int col)
{
	return (const char *)sqlite3_column_text(st, col);
}

/* NULL validity bounds and timestamps read back as 0. */
static inline int64_t col_ms(sqlite3_stmt *st, int col)
{
	return sqlite3_column_type(st, col) == SQLITE_NULL ? 0 : sqlite3_column_int64(st, col);
}

/* SQLite's LIMIT: a negative value means none. */
static inline int64_t sql_limit(size_t limit)
{
	return limit == 0 || limit > INT64_MAX ? -1 : (int64_t)limit;
}

/* Persons and credentials: a validity that ends before it starts is -EINVAL. */
int validity_check(struct store *s, int64_t from, int64_t until);

#endif
