/* SPDX-License-Identifier: MIT */
/*
 * The unit tests' temporary database: a fresh store in a private mkdtemp
 * directory per test, removed again after it. A test's fixture struct has
 * the members char dir[64], char path[128] and struct store *s (and
 * whatever else the test needs); fixture_db_open and fixture_db_close work
 * on any such struct.
 */
#ifndef AEOGATE_TESTS_FIXTURE_H
#define AEOGATE_TESTS_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "store.h"

/* Creates /tmp/NAME.XXXXXX and opens DIR/aeogate.db in it with the given durability. */
static inline void tmpdb_open(char *dir, size_t dirlen, char *path, size_t pathlen,
			      const char *name, const char *durability, struct store **ret)
{
	char err[256];

	snprintf(dir, dirlen, "/tmp/%s.XXXXXX", name);
	assert_non_null(mkdtemp(dir));
	snprintf(path, pathlen, "%s/aeogate.db", dir);
	assert_int_equal(store_open(path, durability, ret, err, sizeof(err)), 0);
}

/*
 * Closes the store, removes the database with its -wal, -shm and -journal
 * files, then the directory, which the test must have left otherwise empty.
 */
static inline void tmpdb_close(const char *dir, const char *path, struct store *s)
{
	static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
	char p[160];

	store_close(s);
	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", path, suffixes[i]);
		unlink(p);
	}
	assert_int_equal(rmdir(dir), 0);
}

/*
 * How many events the store keeps, counted by walking store_event_list as
 * production reads the log. Not the store's API: production never counts
 * (seq is gap-free), so the store has no count(*) of its own.
 */
static inline int store_event_count_cb(const struct event *e, void *userdata)
{
	(void)e;
	++*(int64_t *)userdata;
	return 0;
}

static inline int64_t store_event_count(struct store *s)
{
	int64_t n = 0;
	int r = store_event_list(s, 0, 0, store_event_count_cb, &n);

	return r < 0 ? r : n;
}

/*
 * The zones table's names in order, read through a second, plain SQLite
 * connection: production never lists them (zone.list answers from the
 * config), it only checks one exists.
 */
static inline int zone_names(const char *path, int (*cb)(const char *zone, void *userdata),
			     void *userdata)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	int r = 0;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(
	    sqlite3_prepare_v2(db, "SELECT name FROM zones ORDER BY name", -1, &st, NULL),
	    SQLITE_OK);
	while (r == 0 && sqlite3_step(st) == SQLITE_ROW)
		r = cb((const char *)sqlite3_column_text(st, 0), userdata);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return r;
}

#define fixture_db_open(f, name, durability)                                                       \
	tmpdb_open((f)->dir, sizeof((f)->dir), (f)->path, sizeof((f)->path), (name), (durability), \
		   &(f)->s)
#define fixture_db_close(f) tmpdb_close((f)->dir, (f)->path, (f)->s)

#endif
