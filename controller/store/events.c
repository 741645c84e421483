// SPDX-License-Identifier: MIT
/*
 * The event log: the chain's rows as the audit chain computed them (seq,
 * prev, hash), appended once and read in seq order. Which rows a pruning
 * removes is audit.c's.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "store-internal.h"

/*
 * prev and hash are stored as 32-byte blobs (schema 8) and read and
 * written as the 64 hex digits the rest of aeogated uses: the conversion
 * lives here and nowhere else.
 */
#define EVENT_COLS                                                                                 \
	"seq, ts_ms, kind, door, reader, zone, person, credential, reason, detail, prev, hash"
#define EVENT_COLS_READ                                                                            \
	"seq, ts_ms, kind, door, reader, zone, person, credential, reason, detail, "               \
	"lower(hex(prev)), lower(hex(hash))"

/*
 * The History search's filters (store_event_search): ?1 <= seq < ?2, then
 * door ?3, zone ?4, person ?5, kind ?6 exactly or kind starting with ?7,
 * each NULL when not asked for.
 */
#define SEARCH_COND                                                                                \
	"seq >= ?1 AND seq < ?2 AND (?3 IS NULL OR door = ?3) AND (?4 IS NULL OR zone = ?4) "      \
	"AND (?5 IS NULL OR person = ?5) AND (?6 IS NULL OR kind = ?6) "                           \
	"AND (?7 IS NULL OR substr(kind, 1, length(?7)) = ?7)"

/* The strings point into the row: valid until the next step. */
ROW_SHAPE(event_row, struct event, COL(struct event, seq), COL(struct event, ts_ms),
	  COL(struct event, kind), COL(struct event, door), COL(struct event, reader),
	  COL(struct event, zone), COL(struct event, person), COL(struct event, credential),
	  COL(struct event, reason), COL(struct event, detail), COL(struct event, prev),
	  COL(struct event, hash));

const char *const store_events_sql[_ST_MAX] = {
    [ST_EVENT_APPEND] = "INSERT INTO events(" EVENT_COLS ") "
			"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, aeogate_unhex(?11), "
			"aeogate_unhex(?12))",
    [ST_EVENT_LAST] = "SELECT seq, lower(hex(hash)) FROM events ORDER BY seq DESC LIMIT 1",
    [ST_EVENT_FIRST] = "SELECT seq, lower(hex(prev)) FROM events ORDER BY seq LIMIT 1",
    [ST_EVENT_LIST] = "SELECT " EVENT_COLS_READ " FROM events WHERE seq > ?1 ORDER BY seq LIMIT ?2",
    [ST_EVENT_GET] = "SELECT " EVENT_COLS_READ " FROM events WHERE seq = ?1",
    /* events_ts covers both ends of the range. */
    [ST_EVENT_RANGE] = "SELECT min(seq), max(seq) FROM events WHERE ts_ms >= ?1 AND ts_ms < ?2",
    /*
     * The same rows with the person's name (exports, README "Exports"): one
     * seek in the step, in the index that holds the name (schema 26); the
     * planner takes the primary key's index, two seeks, unless told.
     */
    [ST_EVENT_WALK_NAMED] = "SELECT " EVENT_COLS_READ ", (SELECT name FROM persons "
			    "INDEXED BY persons_id_name WHERE persons.id = events.person) FROM "
			    "events WHERE seq > ?1 AND "
			    "seq <= ?2 AND ts_ms >= ?3 AND ts_ms < ?4 ORDER BY seq",
    [ST_EVENT_WALK] = "SELECT " EVENT_COLS_READ " FROM events WHERE seq > ?1 AND seq <= ?2 "
		      "AND ts_ms >= ?3 AND ts_ms < ?4 ORDER BY seq",
    /* The literal kind lets the planner use the partial index events_pruned (schema 4). */
    [ST_EVENT_LAST_PRUNED] = "SELECT " EVENT_COLS_READ " FROM events WHERE kind = 'audit.pruned' "
			     "ORDER BY seq DESC LIMIT 1",
    /* events_person covers it: a seek on person, then seq order. */
    [ST_PERSON_ACCESS_AFTER] = "SELECT seq, ts_ms FROM events WHERE person = ?1 AND ts_ms > ?2 "
			       "AND kind IN ('access.granted', 'access.denied') ORDER BY seq",
    /*
     * The History search, newest first below ?2. A person leads it through
     * events_person, which seeks to their rows in seq order; otherwise the
     * caller's seq window ?1..?2 bounds what one page reads. The other
     * filters are checked on those rows.
     */
    [ST_EVENT_SEARCH_PERSON] =
	"SELECT " EVENT_COLS_READ " FROM events WHERE person = ?5 AND " SEARCH_COND
	" ORDER BY seq DESC LIMIT ?8",
    [ST_EVENT_SEARCH_ALL] =
	"SELECT " EVENT_COLS_READ " FROM events WHERE " SEARCH_COND " ORDER BY seq DESC LIMIT ?8",
};

int store_event_append(struct store *s, const struct event *e)
{
	int r;

	r = stmt_run(s, ST_EVENT_APPEND, "iitttttttttt", e->seq, e->ts_ms, e->kind, e->door,
		     e->reader, e->zone, e->person, e->credential, e->reason, e->detail, e->prev,
		     e->hash);
	if (r == -EEXIST)
		store_fail(s, r, "event %" PRId64 " already stored", e->seq);
	return r;
}

/*
 * The seq and a hash column of the row at one end of the chain: *ret_seq 0
 * and empty_hash when the log is empty.
 */
static int event_end(struct store *s, enum stmt id, const char *empty_hash, int64_t *ret_seq,
		     char ret_hash[EVENT_HASH_HEX])
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	char hash[EVENT_HASH_HEX];
	int64_t seq = 0;
	int r;

	r = stmt_prepare(s, id, &st, "");
	if (r < 0)
		return r;
	r = stmt_row(s, st);
	if (r < 0)
		return r;
	if (r > 0) {
		seq = sqlite3_column_int64(st, 0);
		r = col_copy(s, st, 1, hash, sizeof(hash));
		if (r < 0)
			return r;
	} else {
		memcpy(hash, empty_hash, sizeof(hash));
	}
	*ret_seq = seq;
	memcpy(ret_hash, hash, EVENT_HASH_HEX);
	return 0;
}

int store_event_last(struct store *s, int64_t *ret_seq, char ret_hash[EVENT_HASH_HEX])
{
	/* The chain starts from an all-zero hash. */
	static const char genesis[EVENT_HASH_HEX] =
	    "0000000000000000000000000000000000000000000000000000000000000000";

	return event_end(s, ST_EVENT_LAST, genesis, ret_seq, ret_hash);
}

int store_event_first(struct store *s, int64_t *ret_seq, char ret_prev[EVENT_HASH_HEX])
{
	static const char none[EVENT_HASH_HEX] = "";

	return event_end(s, ST_EVENT_FIRST, none, ret_seq, ret_prev);
}

static int event_walk(struct store *s, sqlite3_stmt *st,
		      int (*cb)(const struct event *e, void *userdata), void *userdata)
{
	struct event e;
	int r;

	while ((r = stmt_next(s, st, &event_row, &e)) > 0)
		if ((r = cb(&e, userdata)) != 0)
			return r;
	return r;
}

int store_event_list(struct store *s, int64_t since, size_t limit,
		     int (*cb)(const struct event *e, void *userdata), void *userdata)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r;

	r = stmt_prepare(s, ST_EVENT_LIST, &st, "ii", since, sql_limit(limit));
	if (r < 0)
		return r;
	return event_walk(s, st, cb, userdata);
}

int store_event_walk(struct store *s, int64_t after, int64_t upto, int64_t from_ms, int64_t to_ms,
		     int (*cb)(const struct event *e, void *userdata), void *userdata)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r;

	r = stmt_prepare(s, ST_EVENT_WALK, &st, "iiii", after, upto, from_ms, to_ms);
	if (r < 0)
		return r;
	return event_walk(s, st, cb, userdata);
}

int store_event_walk_named(
    struct store *s, int64_t after, int64_t upto, int64_t from_ms, int64_t to_ms,
    int (*cb)(const struct event *e, const char *person_name, void *userdata), void *userdata)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	struct event e;
	int r;

	r = stmt_prepare(s, ST_EVENT_WALK_NAMED, &st, "iiii", after, upto, from_ms, to_ms);
	if (r < 0)
		return r;
	while ((r = stmt_next(s, st, &event_row, &e)) > 0)
		if ((r = cb(&e, (const char *)sqlite3_column_text(st, 12), userdata)) != 0)
			return r;
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

/* Steps once: 1 with the row copied into an event that owns its strings, 0 when none. */
static int event_fetch(struct store *s, sqlite3_stmt *st, struct event *ret)
{
	struct event e = {0};
	const char **strs[] = {&e.kind,	  &e.door,	 &e.reader, &e.zone,
			       &e.person, &e.credential, &e.reason, &e.detail};
	int r;

	r = stmt_next(s, st, &event_row, &e);
	if (r <= 0)
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
	return 1;
}

int store_event_get(struct store *s, int64_t seq, struct event *ret)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r = stmt_prepare(s, ST_EVENT_GET, &st, "i", seq);

	if (r >= 0)
		r = event_fetch(s, st, ret);
	return stmt_found(s, r, "no such event: %" PRId64, seq);
}

int store_event_last_pruned(struct store *s, struct event *ret)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r = stmt_prepare(s, ST_EVENT_LAST_PRUNED, &st, "");

	if (r >= 0)
		r = event_fetch(s, st, ret);
	return stmt_found(s, r, "no audit.pruned event");
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

int store_event_search(struct store *s, const struct store_event_search *q,
		       int (*cb)(const struct event *e, void *userdata), void *userdata)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	enum stmt id = q->person ? ST_EVENT_SEARCH_PERSON : ST_EVENT_SEARCH_ALL;
	int r;

	r = stmt_prepare(s, id, &st, "iittttti", q->lo, q->hi, q->door, q->zone, q->person,
			 q->kind_exact, q->kind_prefix, (int64_t)q->limit);
	if (r < 0)
		return r;
	return event_walk(s, st, cb, userdata);
}
