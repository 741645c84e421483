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

#define fixture_db_open(f, name, durability)                                                       \
	tmpdb_open((f)->dir, sizeof((f)->dir), (f)->path, sizeof((f)->path), (name), (durability), \
		   &(f)->s)
#define fixture_db_close(f) tmpdb_close((f)->dir, (f)->path, (f)->s)

#endif
