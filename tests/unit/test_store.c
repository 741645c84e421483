// SPDX-License-Identifier: MIT
/* The store against real SQLite files, one fresh database per test. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "fixture.h"
#include "schedule.h"
#include "store.h"

struct fixture {
	char dir[64];
	char path[128];
	struct store *s;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	fixture_db_open(f, "test_store", "full");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	fixture_db_close(f);
	free(f);
	return 0;
}

static void reopen(struct fixture *f)
{
	char err[256];

	store_close(f->s);
	f->s = NULL;
	assert_int_equal(store_open(f->path, "normal", &f->s, err, sizeof(err)), 0);
}

/* Runs one statement on the file through a second, plain SQLite connection. */
static void raw_exec(const char *path, const char *sql)
{
	sqlite3 *db;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

static void raw_text(const char *path, const char *sql, char *buf, size_t len)
{
	sqlite3 *db;
	sqlite3_stmt *st;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	snprintf(buf, len, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_close(db);
}

static void add_person(struct store *s, const char *id)
{
	struct person p = {.created_ms = 1000};

	snprintf(p.id, sizeof(p.id), "%s", id);
	snprintf(p.name, sizeof(p.name), "Name of %s", id);
	assert_int_equal(store_person_add(s, &p), 0);
}

static void add_credential(struct store *s, const char *id, const char *person, const char *status)
{
	struct credential c = {.issued_ms = 2000};

	snprintf(c.id, sizeof(c.id), "%s", id);
	snprintf(c.person, sizeof(c.person), "%s", person);
	snprintf(c.status, sizeof(c.status), "%s", status);
	assert_int_equal(store_credential_add(s, &c), 0);
}

static void add_zones(struct store *s)
{
	assert_int_equal(store_zone_upsert(s, "bonded-cage"), 0);
	assert_int_equal(store_zone_upsert(s, "dock"), 0);
	assert_int_equal(store_zone_upsert(s, "office"), 0);
}

/* Opening and migrating. */

static void test_migrates_empty_database_to_current_version(void **state)
{
	struct fixture *f = *state;
	char v[16];

	assert_true(store_schema_version() >= 1);
	assert_int_equal(store_user_version(f->s), store_schema_version());
	raw_text(f->path, "PRAGMA user_version", v, sizeof(v));
	assert_int_equal(atoi(v), store_schema_version());
	assert_int_equal(store_integrity_check(f->s), 0);
}

static void test_reopen_is_noop_and_keeps_data(void **state)
{
	struct fixture *f = *state;
	struct person p;

	add_person(f->s, "E1042");
	reopen(f);
	assert_int_equal(store_user_version(f->s), store_schema_version());
	assert_int_equal(store_person_get(f->s, "E1042", &p), 0);
	assert_string_equal(p.name, "Name of E1042");
}

static void test_refuses_newer_schema(void **state)
{
	struct fixture *f = *state;
	char err[256], want[32];

	store_close(f->s);
	f->s = NULL;
	raw_exec(f->path, "PRAGMA user_version = 99");
	assert_int_equal(store_open(f->path, "full", &f->s, err, sizeof(err)), -EPROTO);
	assert_null(f->s);
	assert_non_null(strstr(err, "99"));
	snprintf(want, sizeof(want), "(%d)", store_schema_version());
	assert_non_null(strstr(err, want));
	assert_non_null(strstr(err, "upgrade aeogated"));
}

static void test_wal_mode_is_active(void **state)
{
	struct fixture *f = *state;
	char mode[16];

	raw_text(f->path, "PRAGMA journal_mode", mode, sizeof(mode));
	assert_string_equal(mode, "wal");
}

/* Appends event seq, with what a chain needs filled in. */
static void append_one(struct store *s, int64_t seq)
{
	struct event e = {.seq = seq,
			  .ts_ms = 1795867200000 + seq,
			  .kind = "access.granted",
			  .door = "dock-1",
			  .detail = "{\"bits\":26,\"direction\":\"in\"}"};

	memset(e.prev, 'a', 64);
	memset(e.hash, 'b', 64);
	assert_int_equal(store_event_append(s, &e), 0);
}

/* One-event commits (about three pages each): 1.5 times the inline size. */
#define WAL_BURST_EVENTS (AEOGATE_WAL_CHECKPOINT_INLINE_PAGES / 2)

/*
 * Commits never checkpoint (a copy and a sync inside a decision); the
 * checkpointer thread does, once the WAL passes AEOGATE_WAL_CHECKPOINT_PAGES,
 * and the WAL then starts over instead of growing.
 */
static void test_wal_is_checkpointed_off_the_committing_connection(void **state)
{
	struct fixture *f = *state;
	char wal[160], mode[16], page[16];
	struct stat st;
	off_t bound;
	int64_t seq = 0;

	raw_text(f->path, "PRAGMA journal_mode", mode, sizeof(mode));
	raw_text(f->path, "PRAGMA page_size", page, sizeof(page));
	/*
	 * The WAL's size is bounded by the writer's own fallback, whatever the
	 * thread manages on a loaded machine: the inline size, plus the few
	 * commits a busy checkpoint lock can delay it by (a commit is about
	 * three pages), in frames of a page and a 24-byte header.
	 */
	bound = 32 + (off_t)(AEOGATE_WAL_CHECKPOINT_INLINE_PAGES + 200) * (atoi(page) + 24);
	snprintf(wal, sizeof(wal), "%s-wal", f->path);
	assert_int_equal(store_wal_checkpoints(f->s), 0);
	for (int round = 0; round < 4; round++) {
		/* A burst well past the threshold; bounded by rows, not time. */
		for (int i = 0; i < WAL_BURST_EVENTS; i++)
			append_one(f->s, ++seq);
		/*
		 * Then a trickle, as a door sees: each commit past the threshold wakes
		 * the thread, and the pause after it lets the thread run even on a
		 * starved machine, so it copies the whole WAL (bounded by commits).
		 */
		uint64_t before = store_wal_checkpoints(f->s);
		for (int k = 0; k < 5000 && store_wal_checkpoints(f->s) <= before; k++) {
			append_one(f->s, ++seq);
			usleep(2 * 1000);
		}
		assert_true(store_wal_checkpoints(f->s) > before);
		assert_int_equal(stat(wal, &st), 0);
		/* Started over rather than grown with every round (1.5 inline sizes each). */
		assert_true(st.st_size <= bound);
	}
}

/* Appends n events after seq, with what a chain needs filled in. */
static void append_events(struct store *s, int64_t seq, int n)
{
	for (int i = 0; i < n; i++) {
		struct event e = {.seq = seq + i + 1,
				  .ts_ms = 1795867200000 + i,
				  .kind = "access.granted",
				  .door = "dock-1",
				  .detail = "{\"bits\":26,\"direction\":\"in\"}"};

		memset(e.prev, 'a', 64);
		memset(e.hash, 'b', 64);
		assert_int_equal(store_event_append(s, &e), 0);
	}
}

/*
 * A long reader (a backup) keeps the WAL from starting over, so it grows
 * past AEOGATE_WAL_CHECKPOINT_INLINE_PAGES. Unpinned, the writer then
 * checkpoints inside its commits (the control half); pinned, it never does,
 * neither while the reader holds its snapshot nor after it let go, unless
 * the WAL grows by that size again: the first decision after a backup used
 * to copy the whole grown WAL into the database and sync it.
 */
static void test_wal_pinned_by_a_backup_is_not_checkpointed_inline(void **state)
{
	struct fixture *f = *state;
	struct store *reader = NULL;
	char err[256], hash[EVENT_HASH_HEX];
	int64_t seq = 0;
	uint64_t runs;

	for (int pinned = 0; pinned < 2; pinned++) {
		assert_int_equal(store_open_readonly(f->path, &reader, err, sizeof(err)), 0);
		if (pinned)
			store_wal_pin(f->s);
		assert_int_equal(store_begin_deferred(reader), 0);
		assert_int_equal(store_event_last(reader, &seq, hash), 0);
		runs = store_wal_inline_checkpoints(f->s);
		/* Bounded by rows: about three pages a commit, well past the inline size. */
		append_events(f->s, seq, WAL_BURST_EVENTS);
		if (!pinned) {
			assert_true(store_wal_inline_checkpoints(f->s) > runs);
		} else {
			assert_int_equal(store_wal_inline_checkpoints(f->s), runs);
		}
		assert_int_equal(store_rollback(reader), 0);
		store_close(reader);
		reader = NULL;
		if (pinned) {
			store_wal_unpin(f->s);
			/* Let go, the WAL is as large as ever: the next commits leave it to the
			 * thread. */
			append_events(f->s, seq + WAL_BURST_EVENTS, 20);
			assert_int_equal(store_wal_inline_checkpoints(f->s), runs);
		}
		seq += WAL_BURST_EVENTS + 20;
	}
}

static void test_bad_durability_is_einval(void **state)
{
	struct fixture *f = *state;
	struct store *s = NULL;
	char err[256];

	assert_int_equal(store_open(f->path, "fast", &s, err, sizeof(err)), -EINVAL);
	assert_null(s);
	assert_non_null(strstr(err, "fast"));
	assert_int_equal(store_open(f->path, NULL, &s, err, sizeof(err)), -EINVAL);
	assert_int_equal(store_open(f->path, "normal", &s, err, sizeof(err)), 0);
	store_close(s);
	store_close(NULL);
}

static void test_not_a_database_is_refused(void **state)
{
	struct fixture *f = *state;
	struct store *s = NULL;
	char path[160], err[256];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/garbage.db", f->dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	for (int i = 0; i < 200; i++)
		fputs("this is not an SQLite file ", fp);
	fclose(fp);
	assert_int_equal(store_open(path, "full", &s, err, sizeof(err)), -EIO);
	assert_null(s);
	assert_non_null(strstr(err, path));
	unlink(path);
}

/* Topology. */

static int collect_name(const char *name, void *userdata)
{
	char *buf = userdata;

	strcat(buf, name);
	strcat(buf, ",");
	return 0;
}

static void test_topology_upserts(void **state)
{
	struct fixture *f = *state;
	char names[256] = "";

	add_zones(f->s);
	assert_int_equal(store_zone_upsert(f->s, "dock"), 0);
	assert_int_equal(store_zone_exists(f->s, "dock"), 1);
	assert_int_equal(store_zone_exists(f->s, "roof"), 0);
	assert_int_equal(zone_names(f->path, collect_name, names), 0);
	assert_string_equal(names, "bonded-cage,dock,office,");

	assert_int_equal(store_door_upsert(f->s, "cage-1", "roof"), -ENOENT);
	assert_int_equal(store_door_upsert(f->s, "cage-1", "bonded-cage"), 0);
	assert_int_equal(store_door_upsert(f->s, "cage-1", "dock"), 0);
	assert_int_equal(store_reader_upsert(f->s, "cage-1-in", "cage-1", "magic"), -EINVAL);
	assert_int_equal(store_reader_upsert(f->s, "cage-1-in", "nowhere", "sim"), -ENOENT);
	assert_int_equal(store_reader_upsert(f->s, "cage-1-in", "cage-1", "sim"), 0);
	assert_int_equal(store_reader_upsert(f->s, "cage-1-in", "cage-1", "wiegand"), 0);
}

/* Persons. */

static void test_person_add_get_duplicate(void **state)
{
	struct fixture *f = *state;
	struct person p = {.id = "E1042",
			   .name = "Ada Lovelace",
			   .valid_from = 5000,
			   .valid_until = 0,
			   .created_ms = 1234};
	struct person got;

	assert_int_equal(store_person_add(f->s, &p), 0);
	assert_int_equal(store_person_add(f->s, &p), -EEXIST);
	assert_non_null(strstr(store_last_error(f->s), "UNIQUE"));
	assert_int_equal(store_person_get(f->s, "E1042", &got), 0);
	assert_string_equal(got.id, "E1042");
	assert_string_equal(got.name, "Ada Lovelace");
	assert_string_equal(got.status, "active"); /* empty status takes the default */
	assert_int_equal(got.valid_from, 5000);
	assert_int_equal(got.valid_until, 0);
	assert_int_equal(got.created_ms, 1234);
	assert_int_equal(got.terminated_ms, 0);

	snprintf(p.id, sizeof(p.id), "E1043");
	snprintf(p.status, sizeof(p.status), "retired");
	assert_int_equal(store_person_add(f->s, &p), -EINVAL);
	p.status[0] = '\0';
	p.valid_until = 4000; /* before valid_from */
	assert_int_equal(store_person_add(f->s, &p), -EINVAL);
}

static void test_person_get_missing_is_enoent(void **state)
{
	struct fixture *f = *state;
	struct person got = {.id = "untouched"};

	assert_int_equal(store_person_get(f->s, "E404", &got), -ENOENT);
	assert_string_equal(got.id, "untouched");
	assert_int_equal(store_person_set_status(f->s, "E404", "suspended", 1), -ENOENT);
	assert_int_equal(store_person_set_validity(f->s, "E404", 0, 0), -ENOENT);
}

static void test_person_status_and_validity(void **state)
{
	struct fixture *f = *state;
	struct person got;
	char v[16];

	add_person(f->s, "E1");
	assert_int_equal(store_person_set_status(f->s, "E1", "suspended", 10), 0);
	assert_int_equal(store_person_get(f->s, "E1", &got), 0);
	assert_string_equal(got.status, "suspended");
	assert_int_equal(got.terminated_ms, 0);

	assert_int_equal(store_person_set_status(f->s, "E1", "terminated", 20), 0);
	assert_int_equal(store_person_set_status(f->s, "E1", "terminated", 30), 0);
	assert_int_equal(store_person_get(f->s, "E1", &got), 0);
	assert_string_equal(got.status, "terminated");
	assert_int_equal(got.terminated_ms, 20);

	assert_int_equal(store_person_set_status(f->s, "E1", "gone", 40), -EINVAL);
	assert_int_equal(store_person_set_status(f->s, "E1", "active", 50), 0);
	assert_int_equal(store_person_get(f->s, "E1", &got), 0);
	assert_int_equal(got.terminated_ms, 0);

	assert_int_equal(store_person_set_validity(f->s, "E1", 100, 200), 0);
	assert_int_equal(store_person_get(f->s, "E1", &got), 0);
	assert_int_equal(got.valid_from, 100);
	assert_int_equal(got.valid_until, 200);
	assert_int_equal(store_person_set_validity(f->s, "E1", 300, 200), -EINVAL);

	/* 0 is "no bound" and is stored as NULL, not as the epoch. */
	assert_int_equal(store_person_set_validity(f->s, "E1", 0, 0), 0);
	raw_text(f->path,
		 "SELECT (valid_from IS NULL AND valid_until IS NULL AND terminated_ms IS NULL) "
		 "FROM persons WHERE id = 'E1'",
		 v, sizeof(v));
	assert_string_equal(v, "1");
	assert_int_equal(store_person_get(f->s, "E1", &got), 0);
	assert_int_equal(got.valid_from, 0);
	assert_int_equal(got.valid_until, 0);
}

struct page {
	char ids[512];
	size_t n;
	size_t stop_at; /* 0: never */
};

static int collect_person(const struct person *p, void *userdata)
{
	struct page *pg = userdata;

	strcat(pg->ids, p->id);
	strcat(pg->ids, ",");
	if (++pg->n == pg->stop_at)
		return 42;
	return 0;
}

static void test_person_list_pages(void **state)
{
	struct fixture *f = *state;
	struct page pg = {0};
	const char *ids[] = {"E5", "E1", "E3", "E2", "E4"};

	for (size_t i = 0; i < 5; i++)
		add_person(f->s, ids[i]);

	assert_int_equal(store_person_list(f->s, NULL, 2, collect_person, &pg), 0);
	assert_string_equal(pg.ids, "E1,E2,");
	memset(&pg, 0, sizeof(pg));
	assert_int_equal(store_person_list(f->s, "E2", 2, collect_person, &pg), 0);
	assert_string_equal(pg.ids, "E3,E4,");
	memset(&pg, 0, sizeof(pg));
	assert_int_equal(store_person_list(f->s, "E4", 2, collect_person, &pg), 0);
	assert_string_equal(pg.ids, "E5,");
	memset(&pg, 0, sizeof(pg));
	assert_int_equal(store_person_list(f->s, "E5", 2, collect_person, &pg), 0);
	assert_string_equal(pg.ids, "");
	memset(&pg, 0, sizeof(pg));
	assert_int_equal(store_person_list(f->s, NULL, 0, collect_person, &pg), 0);
	assert_string_equal(pg.ids, "E1,E2,E3,E4,E5,");

	/* The callback's non-zero value stops the walk and comes back unchanged. */
	memset(&pg, 0, sizeof(pg));
	pg.stop_at = 3;
	assert_int_equal(store_person_list(f->s, NULL, 0, collect_person, &pg), 42);
	assert_string_equal(pg.ids, "E1,E2,E3,");
	/* And the statement was reset: a new walk starts from the beginning. */
	memset(&pg, 0, sizeof(pg));
	assert_int_equal(store_person_list(f->s, NULL, 1, collect_person, &pg), 0);
	assert_string_equal(pg.ids, "E1,");
}

static int reenter_person_list(const struct person *p, void *userdata)
{
	struct store *s = userdata;
	struct credential c;
	int r;

	/* Another query is fine inside a callback... */
	r = store_credential_get(s, "uid:01", &c);
	if (r != -ENOENT)
		return 1;
	/* ...the walk the callback belongs to is not. */
	return store_person_list(s, NULL, 0, reenter_person_list, s);
}

static void test_list_callback_cannot_reenter_its_list(void **state)
{
	struct fixture *f = *state;

	add_person(f->s, "E1");
	assert_int_equal(store_person_list(f->s, NULL, 0, reenter_person_list, f->s), -EBUSY);
}

/* Credentials. */

static void test_credential_add_get(void **state)
{
	struct fixture *f = *state;
	struct credential c = {.id = "h10301:12:3456",
			       .person = "E404",
			       .status = "active",
			       .valid_until = 9000,
			       .issued_ms = 77};
	struct credential got;

	assert_int_equal(store_credential_add(f->s, &c), -ENOENT);
	add_person(f->s, "E404");
	assert_int_equal(store_credential_add(f->s, &c), 0);
	assert_int_equal(store_credential_add(f->s, &c), -EEXIST);
	assert_int_equal(store_credential_get(f->s, "h10301:12:3456", &got), 0);
	assert_string_equal(got.person, "E404");
	assert_string_equal(got.status, "active");
	assert_int_equal(got.valid_from, 0);
	assert_int_equal(got.valid_until, 9000);
	assert_int_equal(got.issued_ms, 77);
	assert_int_equal(got.revoked_ms, 0);
	assert_int_equal(store_credential_get(f->s, "uid:00", &got), -ENOENT);

	assert_int_equal(store_credential_set_status(f->s, "h10301:12:3456", "lost", 80), 0);
	assert_int_equal(store_credential_set_status(f->s, "h10301:12:3456", "stolen", 80),
			 -EINVAL);
	assert_int_equal(store_credential_set_status(f->s, "uid:00", "lost", 80), -ENOENT);
	assert_int_equal(store_credential_set_status(f->s, "h10301:12:3456", "revoked", 90), 0);
	assert_int_equal(store_credential_get(f->s, "h10301:12:3456", &got), 0);
	assert_string_equal(got.status, "revoked");
	assert_int_equal(got.revoked_ms, 90);
}

struct cred_page {
	char ids[256];
};

static int collect_credential(const struct credential *c, void *userdata)
{
	struct cred_page *pg = userdata;

	strcat(pg->ids, c->id);
	strcat(pg->ids, "=");
	strcat(pg->ids, c->status);
	strcat(pg->ids, ",");
	return 0;
}

static void test_revoke_person_counts_live_credentials(void **state)
{
	struct fixture *f = *state;
	struct cred_page pg = {0};
	struct credential got;
	size_t n = 99;

	add_person(f->s, "E1");
	add_person(f->s, "E2");
	add_credential(f->s, "uid:01", "E1", "active");
	add_credential(f->s, "uid:02", "E1", "suspended");
	add_credential(f->s, "uid:03", "E1", "lost");
	add_credential(f->s, "uid:04", "E1", "returned");
	add_credential(f->s, "uid:05", "E2", "active");

	assert_int_equal(store_credential_revoke_person(f->s, "E1", 500, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(store_credential_list(f->s, "E1", collect_credential, &pg), 0);
	assert_string_equal(pg.ids,
			    "uid:01=revoked,uid:02=revoked,uid:03=revoked,uid:04=returned,");
	assert_int_equal(store_credential_get(f->s, "uid:02", &got), 0);
	assert_int_equal(got.revoked_ms, 500);
	assert_int_equal(store_credential_get(f->s, "uid:04", &got), 0);
	assert_int_equal(got.revoked_ms, 0);

	memset(&pg, 0, sizeof(pg));
	/* The site's badges come a page at a time (badge.list): two pages here. */
	assert_int_equal(store_credential_page(f->s, NULL, 3, collect_credential, &pg), 0);
	assert_int_equal(store_credential_page(f->s, "uid:03", 3, collect_credential, &pg), 0);
	assert_string_equal(pg.ids, "uid:01=revoked,uid:02=revoked,uid:03=revoked,uid:04=returned,"
				    "uid:05=active,");
	assert_int_equal(store_credential_list(f->s, NULL, collect_credential, &pg), -EINVAL);

	assert_int_equal(store_credential_revoke_person(f->s, "E1", 600, &n), 0);
	assert_int_equal(n, 0);
}

/* Levels. */

struct level_seen {
	char text[256];
};

static int collect_level(const char *level, const char *const *zones, size_t n_zones,
			 void *userdata)
{
	struct level_seen *ls = userdata;

	strcat(ls->text, level);
	strcat(ls->text, ":");
	for (size_t i = 0; i < n_zones; i++) {
		strcat(ls->text, zones[i]);
		strcat(ls->text, i + 1 < n_zones ? "+" : "");
	}
	strcat(ls->text, ";");
	return 0;
}

static void test_levels(void **state)
{
	struct fixture *f = *state;
	const char *cage[] = {"dock", "bonded-cage", "dock"};
	const char *bad[] = {"dock", "roof"};
	const char *office[] = {"office"};
	struct level_seen ls = {0};

	add_zones(f->s);
	assert_int_equal(store_level_add(f->s, "none", cage, 0), -EINVAL);
	assert_int_equal(store_level_add(f->s, "bad", bad, 2), -ENOENT);
	assert_non_null(strstr(store_last_error(f->s), "roof"));
	/* Nothing of the failed level stays behind. */
	assert_int_equal(store_level_exists(f->s, "bad"), 0);

	assert_int_equal(store_level_add(f->s, "cage", cage, 3), 0);
	assert_int_equal(store_level_add(f->s, "cage", office, 1), -EEXIST);
	assert_int_equal(store_level_add(f->s, "office", office, 1), 0);
	assert_int_equal(store_level_exists(f->s, "cage"), 1);

	assert_int_equal(store_level_list(f->s, collect_level, &ls), 0);
	assert_string_equal(ls.text, "cage:bonded-cage+dock;office:office;");
}

static void test_level_add_composes_with_transactions(void **state)
{
	struct fixture *f = *state;
	const char *bad[] = {"roof"};
	const char *dock[] = {"dock"};
	struct person p;

	add_zones(f->s);
	assert_int_equal(store_begin(f->s), 0);
	add_person(f->s, "E1");
	/* A failing level inside a transaction undoes only itself. */
	assert_int_equal(store_level_add(f->s, "bad", bad, 1), -ENOENT);
	assert_int_equal(store_level_add(f->s, "dock", dock, 1), 0);
	assert_int_equal(store_commit(f->s), 0);
	assert_int_equal(store_person_get(f->s, "E1", &p), 0);
	assert_int_equal(store_level_exists(f->s, "dock"), 1);
	assert_int_equal(store_level_exists(f->s, "bad"), 0);

	/* And the caller's rollback takes the level with it. */
	assert_int_equal(store_begin(f->s), 0);
	assert_int_equal(store_level_add(f->s, "dock2", dock, 1), 0);
	assert_int_equal(store_rollback(f->s), 0);
	assert_int_equal(store_level_exists(f->s, "dock2"), 0);
	assert_int_equal(store_rollback(f->s), 0);
}

static void test_person_has_zone(void **state)
{
	struct fixture *f = *state;
	const char *cage[] = {"bonded-cage", "dock"};
	const char *office[] = {"office"};
	char levels[128] = "";

	add_zones(f->s);
	add_person(f->s, "E1");
	add_person(f->s, "E2");
	assert_int_equal(store_level_add(f->s, "cage", cage, 2), 0);
	assert_int_equal(store_level_add(f->s, "office", office, 1), 0);

	assert_int_equal(store_person_level_add(f->s, "E1", "cage"), 0);
	assert_int_equal(store_person_level_add(f->s, "E1", "cage"), -EEXIST);
	assert_int_equal(store_person_level_add(f->s, "E1", "vault"), -ENOENT);
	assert_int_equal(store_person_level_add(f->s, "E9", "cage"), -ENOENT);

	assert_int_equal(store_person_has_zone(f->s, "E1", "bonded-cage"), 1);
	assert_int_equal(store_person_has_zone(f->s, "E1", "dock"), 1);
	assert_int_equal(store_person_has_zone(f->s, "E1", "office"), 0);
	assert_int_equal(store_person_has_zone(f->s, "E2", "dock"), 0);
	assert_int_equal(store_person_has_zone(f->s, "E9", "dock"), 0);

	assert_int_equal(store_person_level_add(f->s, "E1", "office"), 0);
	assert_int_equal(store_person_levels(f->s, "E1", collect_name, levels), 0);
	assert_string_equal(levels, "cage,office,");
	levels[0] = '\0';
	assert_int_equal(store_person_levels(f->s, "E2", collect_name, levels), 0);
	assert_string_equal(levels, "");
	assert_int_equal(store_person_levels(f->s, "E9", collect_name, levels), -ENOENT);

	assert_int_equal(store_person_level_remove(f->s, "E1", "cage"), 0);
	assert_int_equal(store_person_level_remove(f->s, "E1", "cage"), -ENOENT);
	assert_int_equal(store_person_has_zone(f->s, "E1", "bonded-cage"), 0);
	assert_int_equal(store_person_has_zone(f->s, "E1", "office"), 1);
}

/* Schedules: "name:spec;" per interval, "name:-;" for one without. */
static int collect_interval(const char *schedule, const struct schedule_interval *iv,
			    void *userdata)
{
	char *buf = userdata, spec[SCHEDULE_SPEC_MAX + 1] = "-";

	if (iv)
		assert_true(schedule_interval_format(iv, spec, sizeof(spec)) > 0);
	sprintf(buf + strlen(buf), "%s:%s;", schedule, spec);
	return 0;
}

static int collect_pair(const char *what, const char *user, void *userdata)
{
	sprintf((char *)userdata + strlen(userdata), "%s %s,", what, user);
	return 0;
}

static int collect_schedule(const char *schedule, void *userdata)
{
	collect_name(schedule ? schedule : "(none)", userdata);
	return 0;
}

static void test_schedules_and_holidays(void **state)
{
	struct fixture *f = *state;
	const char *cage[] = {"bonded-cage"}, *dock[] = {"dock"};
	struct schedule_interval day, night;
	char buf[256] = "", name[64];
	int64_t n = -1;

	add_zones(f->s);
	add_person(f->s, "E1");
	assert_int_equal(schedule_interval_parse("mon-fri 07:00-17:00", &day, NULL), 0);
	assert_int_equal(schedule_interval_parse("fri 22:00-06:00", &night, NULL), 0);
	assert_int_equal(store_schedule_add(f->s, "day"), 0);
	assert_int_equal(store_schedule_add(f->s, "day"), -EEXIST);
	assert_int_equal(store_schedule_add(f->s, "empty"), 0);
	assert_int_equal(store_schedule_interval_add(f->s, "day", &night), 0);
	assert_int_equal(store_schedule_interval_add(f->s, "day", &day), 0);
	assert_int_equal(store_schedule_interval_add(f->s, "day", &day), -EEXIST);
	assert_int_equal(store_schedule_interval_add(f->s, "nosuch", &day), -ENOENT);
	assert_int_equal(store_schedule_exists(f->s, "day"), 1);
	assert_int_equal(store_schedule_exists(f->s, "nosuch"), 0);
	assert_int_equal(store_schedule_count(f->s, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(store_schedule_interval_count(f->s, "day", &n), 0);
	assert_int_equal(n, 2);
	/* By name, each schedule's intervals in the order they were added. */
	assert_int_equal(store_schedule_walk(f->s, NULL, collect_interval, buf), 0);
	assert_string_equal(buf, "day:fri 22:00-06:00;day:mon-fri 07:00-17:00;empty:-;");
	buf[0] = '\0';
	assert_int_equal(store_schedule_walk(f->s, "empty", collect_interval, buf), 0);
	assert_string_equal(buf, "empty:-;");

	/* Levels with and without a schedule; the read's one query names them. */
	assert_int_equal(store_level_add(f->s, "cage", cage, 1), 0);
	assert_int_equal(store_level_add(f->s, "cage-any", cage, 1), 0);
	assert_int_equal(store_level_add(f->s, "dock", dock, 1), 0);
	assert_int_equal(store_level_schedule_set(f->s, "cage", "day"), 0);
	assert_int_equal(store_level_schedule_set(f->s, "cage", "nosuch"), -ENOENT);
	assert_int_equal(store_level_schedule_set(f->s, "vault", "day"), -ENOENT);
	assert_int_equal(store_level_schedule_set(f->s, "dock", "empty"), 0);
	assert_int_equal(store_level_schedule_get(f->s, "cage", name, sizeof(name)), 1);
	assert_string_equal(name, "day");
	assert_int_equal(store_level_schedule_get(f->s, "cage-any", name, sizeof(name)), 0);
	assert_int_equal(store_person_level_add(f->s, "E1", "cage"), 0);
	assert_int_equal(store_person_level_add(f->s, "E1", "cage-any"), 0);
	assert_int_equal(store_person_level_add(f->s, "E1", "dock"), 0);
	buf[0] = '\0';
	assert_int_equal(
	    store_person_zone_schedules(f->s, "E1", "bonded-cage", collect_schedule, buf), 0);
	assert_string_equal(buf, "day,(none),");
	buf[0] = '\0';
	assert_int_equal(store_person_zone_schedules(f->s, "E1", "office", collect_schedule, buf),
			 0);
	assert_string_equal(buf, "");

	/* What uses a schedule; removing a level drops its schedule with it. */
	buf[0] = '\0';
	assert_int_equal(store_schedule_users(f->s, "day", collect_pair, buf), 0);
	assert_string_equal(buf, "level cage,");
	assert_int_equal(store_schedule_remove(f->s, "day"), -ENOENT); /* in use: the key refuses */
	assert_int_equal(store_level_schedule_set(f->s, "cage", NULL), 0);
	assert_int_equal(store_level_schedule_get(f->s, "cage", name, sizeof(name)), 0);
	assert_int_equal(store_person_level_remove(f->s, "E1", "dock"), 0);
	assert_int_equal(store_level_remove(f->s, "dock"), 0);
	buf[0] = '\0';
	assert_int_equal(store_schedule_users(f->s, "empty", collect_pair, buf), 0);
	assert_string_equal(buf, "");
	assert_int_equal(store_schedule_interval_remove(f->s, "day", &night), 0);
	assert_int_equal(store_schedule_interval_remove(f->s, "day", &night), -ENOENT);
	assert_int_equal(store_schedule_remove(f->s, "day"), 0);
	assert_int_equal(store_schedule_remove(f->s, "day"), -ENOENT);
	buf[0] = '\0';
	assert_int_equal(store_schedule_walk(f->s, NULL, collect_interval, buf), 0);
	assert_string_equal(buf, "empty:-;");

	/* Holidays: local dates, one name each. */
	assert_int_equal(store_holiday_add(f->s, "2026-12-25", "Christmas"), 0);
	assert_int_equal(store_holiday_add(f->s, "2026-12-25", "Again"), -EEXIST);
	assert_int_equal(store_holiday_add(f->s, "25-12-2026", "Bad"), -EINVAL);
	assert_int_equal(store_holiday_add(f->s, "2026-01-01", "New Year"), 0);
	assert_int_equal(store_holiday_get(f->s, "2026-12-25", name, sizeof(name)), 0);
	assert_string_equal(name, "Christmas");
	assert_int_equal(store_holiday_get(f->s, "2026-12-24", name, sizeof(name)), -ENOENT);
	assert_int_equal(store_holiday_count(f->s, &n), 0);
	assert_int_equal(n, 2);
	buf[0] = '\0';
	assert_int_equal(store_holiday_list(f->s, collect_pair, buf), 0);
	assert_string_equal(buf, "2026-01-01 New Year,2026-12-25 Christmas,");
	assert_int_equal(store_holiday_remove(f->s, "2026-12-25"), 0);
	assert_int_equal(store_holiday_remove(f->s, "2026-12-25"), -ENOENT);
}

static void test_person_levels_bounded(void **state)
{
	struct fixture *f = *state;
	const char *dock[] = {"dock"};
	char name[16];

	add_zones(f->s);
	add_person(f->s, "E1");
	for (int i = 0; i <= AEOGATE_LEVELS_PER_PERSON_MAX; i++) {
		snprintf(name, sizeof(name), "l%02d", i);
		assert_int_equal(store_level_add(f->s, name, dock, 1), 0);
		assert_int_equal(store_person_level_add(f->s, "E1", name),
				 i < AEOGATE_LEVELS_PER_PERSON_MAX ? 0 : -E2BIG);
	}
}

/* Events. */

static void fill_hash(char h[EVENT_HASH_HEX], char c)
{
	memset(h, c, EVENT_HASH_HEX - 1);
	h[EVENT_HASH_HEX - 1] = '\0';
}

static void append_event(struct store *s, int64_t seq, const char *kind)
{
	struct event e = {.seq = seq, .ts_ms = 1000 * seq, .kind = kind, .door = "cage-1"};

	fill_hash(e.prev, (char)('a' + (seq - 1) % 6));
	fill_hash(e.hash, (char)('a' + seq % 6));
	assert_int_equal(store_event_append(s, &e), 0);
}

struct event_seen {
	char kinds[256];
	int64_t last_seq;
	size_t stop_at;
	size_t n;
};

static int collect_event(const struct event *e, void *userdata)
{
	struct event_seen *es = userdata;

	strcat(es->kinds, e->kind);
	strcat(es->kinds, ",");
	es->last_seq = e->seq;
	if (++es->n == es->stop_at)
		return -7;
	return 0;
}

static void test_events(void **state)
{
	struct fixture *f = *state;
	struct event full = {.seq = 3,
			     .ts_ms = 3000,
			     .kind = "access.denied",
			     .door = "cage-1",
			     .reader = "cage-1-in",
			     .zone = "bonded-cage",
			     .person = "E1042",
			     .credential = "h10301:12:3456",
			     .reason = "outside_schedule",
			     .detail = "{\"bits\":26}"};
	struct event_seen es = {0};
	struct event got;
	char hash[EVENT_HASH_HEX], zeros[EVENT_HASH_HEX];
	int64_t seq = -1;

	fill_hash(zeros, '0');
	assert_int_equal(store_event_last(f->s, &seq, hash), 0);
	assert_int_equal(seq, 0);
	assert_string_equal(hash, zeros);
	assert_int_equal(store_event_count(f->s), 0);

	append_event(f->s, 1, "system.start");
	append_event(f->s, 2, "door.locked");
	fill_hash(full.prev, 'c');
	fill_hash(full.hash, 'd');
	assert_int_equal(store_event_append(f->s, &full), 0);
	append_event(f->s, 4, "access.granted");
	assert_int_equal(store_event_append(f->s, &full), -EEXIST);
	full.seq = 5;
	full.kind = NULL;
	assert_int_equal(store_event_append(f->s, &full), -EINVAL);
	assert_int_equal(store_event_count(f->s), 4);
	/* A hash is stored only from 64 lower-case hex digits: each bad one is refused. */
	full.kind = "access.granted";
	for (const char *bad = "AFg/:`G"; *bad; bad++) {
		fill_hash(full.hash, 'f');
		full.hash[63] = *bad;
		assert_true(store_event_append(f->s, &full) < 0);
		fill_hash(full.hash, '0');
		full.prev[0] = *bad;
		assert_true(store_event_append(f->s, &full) < 0);
		fill_hash(full.prev, 'c');
	}
	assert_int_equal(store_event_count(f->s), 4);

	assert_int_equal(store_event_last(f->s, &seq, hash), 0);
	assert_int_equal(seq, 4);
	fill_hash(zeros, 'e');
	assert_string_equal(hash, zeros);

	assert_int_equal(store_event_list(f->s, 0, 0, collect_event, &es), 0);
	assert_string_equal(es.kinds, "system.start,door.locked,access.denied,access.granted,");
	memset(&es, 0, sizeof(es));
	assert_int_equal(store_event_list(f->s, 1, 2, collect_event, &es), 0);
	assert_string_equal(es.kinds, "door.locked,access.denied,");
	memset(&es, 0, sizeof(es));
	assert_int_equal(store_event_list(f->s, 4, 0, collect_event, &es), 0);
	assert_string_equal(es.kinds, "");
	memset(&es, 0, sizeof(es));
	es.stop_at = 1;
	assert_int_equal(store_event_list(f->s, 0, 0, collect_event, &es), -7);
	assert_int_equal(es.last_seq, 1);

	assert_int_equal(store_event_get(f->s, 3, &got), 0);
	assert_int_equal(got.seq, 3);
	assert_int_equal(got.ts_ms, 3000);
	assert_string_equal(got.kind, "access.denied");
	assert_string_equal(got.door, "cage-1");
	assert_string_equal(got.reader, "cage-1-in");
	assert_string_equal(got.zone, "bonded-cage");
	assert_string_equal(got.person, "E1042");
	assert_string_equal(got.credential, "h10301:12:3456");
	assert_string_equal(got.reason, "outside_schedule");
	assert_string_equal(got.detail, "{\"bits\":26}");
	fill_hash(zeros, 'c');
	assert_string_equal(got.prev, zeros);
	event_clear(&got);
	assert_null(got.kind);
	assert_null(got.detail);
	event_clear(&got);
	event_clear(NULL);

	assert_int_equal(store_event_get(f->s, 1, &got), 0);
	assert_null(got.reason);
	assert_null(got.person);
	assert_string_equal(got.door, "cage-1");
	event_clear(&got);
	assert_int_equal(store_event_get(f->s, 99, &got), -ENOENT);
}

/* Users. */

static int collect_user(const struct user *u, void *userdata)
{
	char *buf = userdata;

	strcat(buf, u->name);
	strcat(buf, u->disabled ? "-," : "+,");
	return 0;
}

static void test_users(void **state)
{
	struct fixture *f = *state;
	struct user u = {.name = "alice",
			 .role = "manager",
			 .pwhash = "$argon2id$v=19$m=65536,t=3,p=1$c2FsdA$aGFzaA",
			 .created_ms = 42};
	struct user got;
	char names[128] = "";

	assert_int_equal(store_user_add(f->s, &u), 0);
	assert_int_equal(store_user_add(f->s, &u), -EEXIST);
	snprintf(u.name, sizeof(u.name), "bob");
	snprintf(u.role, sizeof(u.role), "janitor");
	assert_int_equal(store_user_add(f->s, &u), -EINVAL);
	snprintf(u.role, sizeof(u.role), "auditor");
	assert_int_equal(store_user_add(f->s, &u), 0);

	assert_int_equal(store_user_get(f->s, "alice", &got), 0);
	assert_string_equal(got.role, "manager");
	assert_string_equal(got.pwhash, u.pwhash);
	assert_false(got.disabled);
	assert_int_equal(got.created_ms, 42);
	assert_int_equal(store_user_get(f->s, "carol", &got), -ENOENT);

	assert_int_equal(store_user_set_disabled(f->s, "alice", true), 0);
	assert_int_equal(store_user_set_disabled(f->s, "carol", true), -ENOENT);
	assert_int_equal(store_user_set_pwhash(f->s, "alice", "$argon2id$new"), 0);
	assert_int_equal(store_user_set_pwhash(f->s, "carol", "$argon2id$new"), -ENOENT);
	assert_int_equal(store_user_get(f->s, "alice", &got), 0);
	assert_true(got.disabled);
	assert_string_equal(got.pwhash, "$argon2id$new");

	assert_int_equal(store_user_list(f->s, collect_user, names), 0);
	assert_string_equal(names, "alice-,bob+,");
}

/*
 * PINs (schema 12): the hash only, the count of wrong PINs and the lock;
 * the count moves only while the hash it was checked against is still
 * the person's; a new PIN starts afresh; the migration runs again safely.
 */
static void test_pins(void **state)
{
	static const char hash_a[] = "$argon2id$v=19$m=8192,t=3,p=1$c2FsdA$aGFzaC1h";
	static const char hash_b[] = "$argon2id$v=19$m=8192,t=3,p=1$c2FsdA$aGFzaC1i";
	struct fixture *f = *state;
	struct pin_row row;

	add_person(f->s, "E1");
	assert_int_equal(store_pin_get(f->s, "E1", &row), -ENOENT);
	assert_int_equal(store_pin_clear(f->s, "E1"), -ENOENT);
	assert_int_equal(store_pin_put(f->s, "E1", hash_a, 5000), 0);
	assert_int_equal(store_pin_get(f->s, "E1", &row), 0);
	assert_string_equal(row.hash, hash_a);
	assert_int_equal(row.wrong_pins, 0);
	assert_false(row.locked);
	assert_int_equal(row.set_ms, 5000);

	assert_int_equal(store_pin_counters_set(f->s, "E1", hash_a, 5, true), 0);
	assert_int_equal(store_pin_get(f->s, "E1", &row), 0);
	assert_int_equal(row.wrong_pins, 5);
	assert_true(row.locked);
	/* Against another hash (a PIN replaced meanwhile) nothing moves. */
	assert_int_equal(store_pin_counters_set(f->s, "E1", hash_b, 0, false), 0);
	assert_int_equal(store_pin_get(f->s, "E1", &row), 0);
	assert_true(row.locked);
	/* A new PIN: count and lock start afresh. */
	assert_int_equal(store_pin_put(f->s, "E1", hash_b, 6000), 0);
	assert_int_equal(store_pin_get(f->s, "E1", &row), 0);
	assert_string_equal(row.hash, hash_b);
	assert_int_equal(row.wrong_pins, 0);
	assert_false(row.locked);

	/* Only a hash of ours is stored, and only for a person who exists. */
	assert_true(store_pin_put(f->s, "E1", "4711", 7000) < 0);
	assert_true(store_pin_put(f->s, "NOBODY", hash_a, 7000) < 0);

	/* The migration again (as after an older user_version): the row stays. */
	raw_exec(f->path, "PRAGMA user_version = 11");
	reopen(f);
	assert_int_equal(store_user_version(f->s), store_schema_version());
	assert_int_equal(store_pin_get(f->s, "E1", &row), 0);
	assert_string_equal(row.hash, hash_b);
	assert_int_equal(store_pin_clear(f->s, "E1"), 0);
	assert_int_equal(store_pin_get(f->s, "E1", &row), -ENOENT);
}

/*
 * The zone settings a decision reads are kept in memory (issue 12): a
 * change is read back at once, each part on its own, and a change undone
 * by a rollback is not read after it, even when it was read meanwhile.
 */
static void test_zone_settings_read_back_after_each_change(void **state)
{
	struct fixture *f = *state;
	struct zone_pairing z;
	struct zone_area_row a;

	add_zones(f->s);
	/* Read first, so that each part is held before it changes. */
	assert_int_equal(store_zone_vetting_get(f->s, "dock"), 0);
	assert_int_equal(store_zone_area_get(f->s, "dock", &a), 0);
	assert_string_equal(a.apb, "off");
	assert_int_equal(store_zone_pairing_get(f->s, "dock", &z), 0);
	assert_false(z.two_person);

	assert_int_equal(store_zone_vetting_set(f->s, "dock", true), 0);
	assert_int_equal(store_zone_vetting_get(f->s, "dock"), 1);
	assert_int_equal(store_zone_vetting_get(f->s, "office"), 0);

	assert_int_equal(store_zone_area_set(f->s, "dock", "hard", 0, 5), 0);
	assert_int_equal(store_zone_area_get(f->s, "dock", &a), 0);
	assert_string_equal(a.apb, "hard");
	assert_int_equal(a.max_occupancy, 5);
	assert_int_equal(store_zone_soft_violation(f->s, "dock"), 0);
	assert_int_equal(store_zone_area_get(f->s, "dock", &a), 0);
	assert_int_equal(a.soft_violations, 1);

	store_zone_pairing_default(&z);
	z.escort = true;
	assert_int_equal(store_zone_pairing_set(f->s, "dock", &z), 0);
	assert_int_equal(store_zone_pairing_get(f->s, "dock", &z), 0);
	assert_true(z.escort);
	assert_false(z.two_person);

	/* Changed and read inside a transaction that rolls back: the old values again. */
	assert_int_equal(store_begin(f->s), 0);
	assert_int_equal(store_zone_vetting_set(f->s, "dock", false), 0);
	assert_int_equal(store_zone_vetting_get(f->s, "dock"), 0);
	assert_int_equal(store_zone_area_set(f->s, "dock", "off", 0, -1), 0);
	assert_int_equal(store_zone_area_get(f->s, "dock", &a), 0);
	assert_string_equal(a.apb, "off");
	store_zone_pairing_default(&z);
	assert_int_equal(store_zone_pairing_set(f->s, "dock", &z), 0);
	assert_int_equal(store_zone_pairing_get(f->s, "dock", &z), 0);
	assert_false(z.escort);
	assert_int_equal(store_rollback(f->s), 0);
	assert_int_equal(store_zone_vetting_get(f->s, "dock"), 1);
	assert_int_equal(store_zone_area_get(f->s, "dock", &a), 0);
	assert_string_equal(a.apb, "hard");
	assert_int_equal(a.soft_violations, 1);
	assert_int_equal(store_zone_pairing_get(f->s, "dock", &z), 0);
	assert_true(z.escort);
}

static int count_marker(const struct door_marker *m, void *userdata)
{
	(void)m;
	(*(int *)userdata)++;
	return 0;
}

static void test_site_plan_and_markers_round_trip(void **state)
{
	struct fixture *f = *state;
	static const unsigned char image[] = {0x89, 'P', 'N', 'G', 1, 2, 3, 0};
	struct site_plan p = {.type = "image/png",
			      .width = 640,
			      .height = 480,
			      .sha256 = "00ff",
			      .updated_ms = 1000,
			      .updated_by = "user:a"};
	struct site_plan got;
	struct door_marker m = {.door = "dock-1", .x = 0.25, .y = 1}, back;
	void *img = NULL;
	size_t len = 0;
	int n = 0;

	assert_int_equal(store_site_plan_get(f->s, &got), -ENOENT);
	assert_int_equal(store_site_plan_image(f->s, &img, &len), -ENOENT);
	assert_int_equal(store_site_plan_clear(f->s), -ENOENT);
	assert_int_equal(store_site_plan_put(f->s, &p, image, 0), -EINVAL);
	assert_int_equal(store_site_plan_put(f->s, &p, image, sizeof(image)), 0);
	assert_int_equal(store_site_plan_get(f->s, &got), 0);
	assert_string_equal(got.type, "image/png");
	assert_int_equal(got.width, 640);
	assert_int_equal(got.bytes, sizeof(image));
	assert_string_equal(got.updated_by, "user:a");
	assert_int_equal(store_site_plan_image(f->s, &img, &len), 0);
	assert_int_equal(len, sizeof(image));
	assert_memory_equal(img, image, sizeof(image));
	free(img);
	/* The schema refuses a type we do not store. */
	snprintf(p.type, sizeof(p.type), "image/svg+xml");
	assert_true(store_site_plan_put(f->s, &p, image, sizeof(image)) < 0);

	/* Markers: 0..1 on both sides of each bound, NaN refused. */
	assert_int_equal(store_door_marker_put(f->s, &m), 0);
	m.x = 1.0001;
	assert_int_equal(store_door_marker_put(f->s, &m), -EINVAL);
	m.x = -0.0001;
	assert_int_equal(store_door_marker_put(f->s, &m), -EINVAL);
	m.x = NAN;
	assert_int_equal(store_door_marker_put(f->s, &m), -EINVAL);
	assert_int_equal(store_door_marker_get(f->s, "dock-1", &back), 0);
	assert_true(back.x == 0.25 && back.y == 1);
	assert_int_equal(store_door_markers(f->s, count_marker, &n), 0);
	assert_int_equal(n, 1);

	/* The migration again: rows stay. */
	raw_exec(f->path, "PRAGMA user_version = 19");
	reopen(f);
	assert_int_equal(store_site_plan_get(f->s, &got), 0);
	assert_int_equal(store_door_marker_clear(f->s, "dock-1"), 0);
	assert_int_equal(store_door_marker_clear(f->s, "dock-1"), -ENOENT);
	assert_int_equal(store_site_plan_clear(f->s), 0);
	assert_int_equal(store_site_plan_get(f->s, &got), -ENOENT);
}

/*
 * Person photos (schema 23): one per person, only of a person who exists,
 * bounded by AEOGATE_PHOTO_MAX from both sides, replaced whole, kept over
 * a migration run again.
 */
static void test_person_photo_round_trip(void **state)
{
	struct fixture *f = *state;
	static const unsigned char image[] = {0xff, 0xd8, 0xff, 1, 2, 3, 0xff, 0xd9};
	struct person_photo p = {.type = "image/jpeg",
				 .width = 320,
				 .height = 400,
				 .sha256 = "ab12",
				 .updated_ms = 2000,
				 .updated_by = "user:m"};
	struct person_photo got;
	unsigned char *big = calloc(1, AEOGATE_PHOTO_MAX + 1);
	void *img = NULL;
	size_t len = 0;

	assert_non_null(big);
	add_person(f->s, "E1");
	add_person(f->s, "E2");
	assert_int_equal(store_person_photo_get(f->s, "E1", &got), -ENOENT);
	assert_int_equal(store_person_has_photo(f->s, "E1"), 0);
	assert_int_equal(store_person_photo_image(f->s, "E1", &img, &len), -ENOENT);
	assert_int_equal(store_person_photo_clear(f->s, "E1"), -ENOENT);
	/* Nobody's photo, an empty one, one past the bound: refused, nothing stored. */
	assert_int_equal(store_person_photo_put(f->s, "nobody", &p, image, sizeof(image)), -ENOENT);
	assert_int_equal(store_person_has_photo(f->s, "nobody"), 0);
	assert_int_equal(store_person_photo_put(f->s, "E1", &p, image, 0), -EINVAL);
	assert_int_equal(store_person_photo_put(f->s, "E1", &p, big, AEOGATE_PHOTO_MAX + 1),
			 -EINVAL);
	assert_int_equal(store_person_has_photo(f->s, "E1"), 0);
	/* The bound itself is taken. */
	assert_int_equal(store_person_photo_put(f->s, "E2", &p, big, AEOGATE_PHOTO_MAX), 0);
	assert_int_equal(store_person_photo_image(f->s, "E2", &img, &len), 0);
	assert_int_equal(len, AEOGATE_PHOTO_MAX);
	free(img);
	free(big);

	assert_int_equal(store_person_photo_put(f->s, "E1", &p, image, sizeof(image)), 0);
	assert_int_equal(store_person_has_photo(f->s, "E1"), 1);
	assert_int_equal(store_person_photo_get(f->s, "E1", &got), 0);
	assert_string_equal(got.type, "image/jpeg");
	assert_int_equal(got.width, 320);
	assert_int_equal(got.height, 400);
	assert_int_equal(got.bytes, sizeof(image));
	assert_string_equal(got.sha256, "ab12");
	assert_string_equal(got.updated_by, "user:m");
	assert_int_equal(store_person_photo_image(f->s, "E1", &img, &len), 0);
	assert_int_equal(len, sizeof(image));
	assert_memory_equal(img, image, sizeof(image));
	free(img);
	/* A new one replaces the old whole. */
	p.width = 10;
	snprintf(p.sha256, sizeof(p.sha256), "cd34");
	assert_int_equal(store_person_photo_put(f->s, "E1", &p, image, 4), 0);
	assert_int_equal(store_person_photo_get(f->s, "E1", &got), 0);
	assert_int_equal(got.width, 10);
	assert_int_equal(got.bytes, 4);
	assert_string_equal(got.sha256, "cd34");
	/* The schema refuses a type we do not store. */
	snprintf(p.type, sizeof(p.type), "image/gif");
	assert_true(store_person_photo_put(f->s, "E1", &p, image, sizeof(image)) < 0);
	assert_int_equal(store_person_photo_get(f->s, "E1", &got), 0);
	assert_string_equal(got.type, "image/jpeg");

	/* The migration again: rows stay. */
	raw_exec(f->path, "PRAGMA user_version = 22");
	reopen(f);
	assert_int_equal(store_person_has_photo(f->s, "E1"), 1);
	assert_int_equal(store_person_photo_clear(f->s, "E1"), 0);
	assert_int_equal(store_person_photo_clear(f->s, "E1"), -ENOENT);
	assert_int_equal(store_person_has_photo(f->s, "E1"), 0);
	assert_int_equal(store_person_has_photo(f->s, "E2"), 1);
}

/*
 * A batch (a signed change set): each change inside commits into the
 * batch, a change rolled back undoes only itself, and the batch lands
 * whole or not at all; a change left open rolls the batch back.
 */
static void test_batch_lands_whole_or_not_at_all(void **state)
{
	struct fixture *f = *state;
	struct person p;
	int64_t v = -1;

	assert_int_equal(store_batch_begin(f->s), 0);
	assert_int_equal(store_batch_begin(f->s), -EBUSY);
	assert_int_equal(store_begin(f->s), 0);
	add_person(f->s, "B1");
	assert_int_equal(store_commit(f->s), 0);
	assert_int_equal(store_begin(f->s), 0);
	add_person(f->s, "B2");
	assert_int_equal(store_rollback(f->s), 0); /* only B2 undone */
	assert_int_equal(store_person_get(f->s, "B1", &p), 0);
	assert_int_equal(store_person_get(f->s, "B2", &p), -ENOENT);
	assert_int_equal(store_sync_applied_set(f->s, "hq", 1, "office:hq", 1000, 7), 0);
	assert_int_equal(store_batch_end(f->s, false), 0);
	assert_int_equal(store_person_get(f->s, "B1", &p), -ENOENT);
	assert_int_equal(store_sync_applied_get(f->s, "hq", &v), 0);
	assert_int_equal(v, 0);

	/* Committed: everything inside lands, and stays after a reopen. */
	assert_int_equal(store_batch_begin(f->s), 0);
	assert_int_equal(store_begin(f->s), 0);
	add_person(f->s, "B3");
	assert_int_equal(store_commit(f->s), 0);
	assert_int_equal(store_sync_applied_set(f->s, "hq", 1, "office:hq", 1000, 7), 0);
	assert_int_equal(store_batch_end(f->s, true), 0);
	reopen(f);
	assert_int_equal(store_person_get(f->s, "B3", &p), 0);
	assert_int_equal(store_sync_applied_get(f->s, "hq", &v), 0);
	assert_int_equal(v, 1);

	/* A change still open at the end: nothing commits. */
	assert_int_equal(store_batch_begin(f->s), 0);
	assert_int_equal(store_begin(f->s), 0);
	add_person(f->s, "B4");
	assert_int_equal(store_batch_end(f->s, true), -EINVAL);
	assert_int_equal(store_person_get(f->s, "B4", &p), -ENOENT);
	/* Outside a batch, transactions are as they always were. */
	assert_int_equal(store_batch_end(f->s, true), -EINVAL);
	assert_int_equal(store_begin(f->s), 0);
	add_person(f->s, "B5");
	assert_int_equal(store_commit(f->s), 0);
	assert_int_equal(store_person_get(f->s, "B5", &p), 0);
}

/* Command ids: each taken once, the oldest forgotten past the bound. */
static void test_command_ids_taken_once(void **state)
{
	struct fixture *f = *state;
	int64_t day = 24LL * 60 * 60 * 1000, now = 100 * day;

	assert_int_equal(store_sync_command_take(f->s, "aa", now, now), 0);
	assert_int_equal(store_sync_command_take(f->s, "aa", now, now), -EEXIST);
	/* Past AEOGATE_COMMAND_IDS_KEEP_MS the id is forgotten (its issued time refuses it anyway).
	 */
	assert_int_equal(store_sync_command_take(f->s, "bb", now, now + 31 * day), 0);
	assert_int_equal(store_sync_command_take(f->s, "aa", now, now + 31 * day), 0);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_migrates_empty_database_to_current_version),
	    T(test_reopen_is_noop_and_keeps_data),
	    T(test_refuses_newer_schema),
	    T(test_wal_mode_is_active),
	    T(test_wal_is_checkpointed_off_the_committing_connection),
	    T(test_wal_pinned_by_a_backup_is_not_checkpointed_inline),
	    T(test_bad_durability_is_einval),
	    T(test_not_a_database_is_refused),
	    T(test_topology_upserts),
	    T(test_person_add_get_duplicate),
	    T(test_person_get_missing_is_enoent),
	    T(test_person_status_and_validity),
	    T(test_person_list_pages),
	    T(test_list_callback_cannot_reenter_its_list),
	    T(test_credential_add_get),
	    T(test_revoke_person_counts_live_credentials),
	    T(test_levels),
	    T(test_level_add_composes_with_transactions),
	    T(test_person_has_zone),
	    T(test_person_levels_bounded),
	    T(test_schedules_and_holidays),
	    T(test_events),
	    T(test_users),
	    T(test_pins),
	    T(test_zone_settings_read_back_after_each_change),
	    T(test_site_plan_and_markers_round_trip),
	    T(test_person_photo_round_trip),
	    T(test_batch_lands_whole_or_not_at_all),
	    T(test_command_ids_taken_once),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
