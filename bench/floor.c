/* SPDX-License-Identifier: MIT */
/* The floors of bench/floor.h: bare SQLite on the same file and disk. */
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "aeogate/limits.h"
#include "bench.h"
#include "floor.h"

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void scratch_remove(const char *path)
{
	char side[4200];

	unlink(path);
	snprintf(side, sizeof(side), "%s-wal", path);
	unlink(side);
	snprintf(side, sizeof(side), "%s-shm", path);
	unlink(side);
}

static int fail(sqlite3 *db, const char *what)
{
	fprintf(stderr, "floor: %s: %s\n", what, db ? sqlite3_errmsg(db) : "out of memory");
	return -1;
}

static int exec(sqlite3 *db, const char *sql)
{
	return sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : fail(db, sql);
}

/*
 * A fresh scratch database in *ret: WAL, the durability's synchronous
 * setting, and SQLite checkpointing where aeogated's writer checkpoints
 * itself. 0, or -1 with the reason on stderr.
 */
static int scratch_open(const struct floor *f, sqlite3 **ret)
{
	char pragma[64];

	scratch_remove(f->scratch);
	if (sqlite3_open_v2(f->scratch, ret, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
	    SQLITE_OK)
		return fail(*ret, f->scratch);
	if (exec(*ret, "PRAGMA journal_mode = WAL") < 0)
		return -1;
	snprintf(pragma, sizeof(pragma), "PRAGMA synchronous = %s",
		 strcmp(f->durability, "full") ? "NORMAL" : "FULL");
	if (exec(*ret, pragma) < 0)
		return -1;
	snprintf(pragma, sizeof(pragma), "PRAGMA wal_autocheckpoint = %d",
		 AEOGATE_WAL_CHECKPOINT_INLINE_PAGES);
	return exec(*ret, pragma);
}

/* The id of a random generated badge (struct floor's persons) into id. */
static void badge_id(uint64_t persons, uint64_t *rng, char *id, size_t len)
{
	uint64_t p = xorshift(rng) % persons;

	snprintf(id, len, "h10301:%llu:%llu", (unsigned long long)(1 + p / 65536),
		 (unsigned long long)(p % 65536));
}

/* One lookup of a random generated badge with st; -1 when it is not there. */
static int lookup(sqlite3 *db, sqlite3_stmt *st, uint64_t persons, uint64_t *rng)
{
	char id[48];
	int r;

	badge_id(persons, rng, id, sizeof(id));
	sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
	r = sqlite3_step(st);
	sqlite3_reset(st);
	return r == SQLITE_ROW ? 0 : fail(db, id);
}

int floor_lookup(const struct floor *f, uint64_t n, uint64_t *ns)
{
	uint64_t rng = 2463534242ull;
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int r = -1;

	if (sqlite3_open_v2(f->db, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		fail(db, f->db);
		goto out;
	}
	if (sqlite3_prepare_v2(db,
			       "SELECT person, status, valid_from, valid_until FROM credentials "
			       "WHERE id = ?",
			       -1, &st, NULL) != SQLITE_OK) {
		fail(db, "prepare");
		goto out;
	}
	for (uint64_t i = 0; i < n; i++) {
		uint64_t t0 = bench_ns();

		if (lookup(db, st, f->persons, &rng) < 0)
			goto out;
		ns[i] = bench_ns() - t0;
	}
	r = 0;
out:
	sqlite3_finalize(st);
	sqlite3_close(db);
	return r;
}

int floor_lookup_append(const struct floor *f, uint64_t n, uint64_t *ns)
{
	static const char *const sql[] = {
	    "BEGIN",
	    "SELECT person, status, valid_from, valid_until FROM p.credentials WHERE id = ?",
	    "INSERT INTO floor (ts_ms, kind, hash) VALUES (?, 'access.granted', randomblob(32))",
	    "COMMIT",
	};
	sqlite3_stmt *st[4] = {0};
	uint64_t rng = 2463534242ull;
	sqlite3 *db = NULL;
	int r = -1;

	if (scratch_open(f, &db) < 0 ||
	    exec(db,
		 "CREATE TABLE floor (seq INTEGER PRIMARY KEY NOT NULL, ts_ms INTEGER NOT NULL, "
		 "kind TEXT NOT NULL, hash BLOB NOT NULL) STRICT") < 0)
		goto out;
	if (f->db) {
		sqlite3_stmt *a;
		int q;

		if (sqlite3_prepare_v2(db, "ATTACH ? AS p", -1, &a, NULL) != SQLITE_OK) {
			fail(db, "attach");
			goto out;
		}
		sqlite3_bind_text(a, 1, f->db, -1, SQLITE_STATIC);
		q = sqlite3_step(a);
		sqlite3_finalize(a);
		if (q != SQLITE_DONE) {
			fail(db, f->db);
			goto out;
		}
	}
	for (size_t i = 0; i < 4; i++) {
		if ((i != 1 || f->db) &&
		    sqlite3_prepare_v2(db, sql[i], -1, &st[i], NULL) != SQLITE_OK) {
			fail(db, sql[i]);
			goto out;
		}
	}
	for (uint64_t i = 0; i < n; i++) {
		uint64_t t0 = bench_ns();

		if (sqlite3_step(st[0]) != SQLITE_DONE) {
			fail(db, sql[0]);
			goto out;
		}
		sqlite3_reset(st[0]);
		if (f->db && lookup(db, st[1], f->persons, &rng) < 0)
			goto out;
		sqlite3_bind_int64(st[2], 1, (sqlite3_int64)t0);
		if (sqlite3_step(st[2]) != SQLITE_DONE || sqlite3_step(st[3]) != SQLITE_DONE) {
			fail(db, "append");
			goto out;
		}
		sqlite3_reset(st[2]);
		sqlite3_reset(st[3]);
		ns[i] = bench_ns() - t0;
	}
	r = 0;
out:
	for (size_t i = 0; i < 4; i++)
		sqlite3_finalize(st[i]);
	if (db && sqlite3_get_autocommit(db) == 0)
		exec(db, "ROLLBACK");
	sqlite3_close(db);
	scratch_remove(f->scratch);
	return r;
}

/* Creates src's tables and indexes of name in dst. */
static int copy_schema(sqlite3 *src, sqlite3 *dst, const char *table)
{
	sqlite3_stmt *st;
	int q, n = 0;

	if (sqlite3_prepare_v2(src,
			       "SELECT sql FROM sqlite_master WHERE tbl_name = ? AND sql IS NOT NULL "
			       "AND type IN ('table', 'index') ORDER BY type = 'index'",
			       -1, &st, NULL) != SQLITE_OK)
		return fail(src, "schema");
	sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
	while ((q = sqlite3_step(st)) == SQLITE_ROW) {
		const char *sql = (const char *)sqlite3_column_text(st, 0);

		if (sqlite3_exec(dst, sql, NULL, NULL, NULL) != SQLITE_OK) {
			fail(dst, sql);
			sqlite3_finalize(st);
			return -1;
		}
		n++;
	}
	sqlite3_finalize(st);
	if (q != SQLITE_DONE || !n)
		return fail(src, table);
	return 0;
}

int floor_decision_rows(const struct floor *f, uint64_t n, uint64_t *ns)
{
	/* Lookups on a connection to db, writes on one to the scratch file (no ATTACH). */
	enum { BEGIN, CREDENTIAL, PERSON, END, WBEGIN, EVENT, LOCATION, ENTRY, COMMIT, N };
	static const char *const sql[N] = {
	    [BEGIN] = "BEGIN",
	    [CREDENTIAL] = "SELECT person, status, valid_from, valid_until FROM credentials "
			   "WHERE id = ?",
	    [PERSON] = "SELECT name, status, valid_from, valid_until FROM persons WHERE id = ?",
	    [END] = "COMMIT",
	    [WBEGIN] = "BEGIN IMMEDIATE",
	    /* The shape of a granted read's event: its columns, detail and both hashes. */
	    [EVENT] = "INSERT INTO events (ts_ms, kind, door, reader, zone, person, credential, "
		      "reason, detail, prev, hash) VALUES (?1, 'access.granted', 'dock-1', "
		      "'dock-1-in', 'dock', ?2, ?3, NULL, "
		      "'{\"bits\":26,\"direction\":\"in\",\"format\":\"h10301\"}', "
		      "randomblob(32), randomblob(32))",
	    [LOCATION] = "INSERT INTO person_locations (person, zone, since_ms, door) "
			 "VALUES (?1, 'dock', ?2, 'dock-1') ON CONFLICT (person) DO UPDATE SET "
			 "zone = excluded.zone, since_ms = excluded.since_ms, door = excluded.door",
	    /* Every entry is noted, for a zone's timed anti-passback (controller/area.c). */
	    [ENTRY] = "INSERT INTO zone_entries (person, zone, at_ms) VALUES (?1, 'dock', ?2) "
		      "ON CONFLICT (person, zone) DO UPDATE SET at_ms = excluded.at_ms",
	    [COMMIT] = "COMMIT",
	};
	sqlite3_stmt *st[N] = {0};
	uint64_t rng = 2463534242ull;
	sqlite3 *rd = NULL, *db = NULL;
	int r = -1;

	if (!f->db)
		return -1;
	if (sqlite3_open_v2(f->db, &rd, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		fail(rd, f->db);
		goto out;
	}
	if (scratch_open(f, &db) < 0)
		goto out;
	if (copy_schema(rd, db, "events") < 0 || copy_schema(rd, db, "person_locations") < 0 ||
	    copy_schema(rd, db, "zone_entries") < 0)
		goto out;
	for (size_t i = 0; i < N; i++) {
		sqlite3 *c = i < WBEGIN ? rd : db;

		if (sqlite3_prepare_v2(c, sql[i], -1, &st[i], NULL) != SQLITE_OK) {
			fail(c, sql[i]);
			goto out;
		}
	}
	for (uint64_t i = 0; i < n; i++) {
		uint64_t t0 = bench_ns();
		char credential[48], person[128];
		bool ok;

		badge_id(f->persons, &rng, credential, sizeof(credential));
		sqlite3_bind_text(st[CREDENTIAL], 1, credential, -1, SQLITE_STATIC);
		ok = sqlite3_step(st[BEGIN]) == SQLITE_DONE &&
		     sqlite3_step(st[CREDENTIAL]) == SQLITE_ROW;
		snprintf(person, sizeof(person), "%s",
			 ok ? (const char *)sqlite3_column_text(st[CREDENTIAL], 0) : "");
		sqlite3_bind_text(st[PERSON], 1, person, -1, SQLITE_STATIC);
		ok = ok && sqlite3_step(st[PERSON]) == SQLITE_ROW;
		sqlite3_reset(st[CREDENTIAL]);
		sqlite3_reset(st[PERSON]);
		ok = ok && sqlite3_step(st[END]) == SQLITE_DONE;
		sqlite3_bind_int64(st[EVENT], 1, (sqlite3_int64)t0);
		sqlite3_bind_text(st[EVENT], 2, person, -1, SQLITE_STATIC);
		sqlite3_bind_text(st[EVENT], 3, credential, -1, SQLITE_STATIC);
		sqlite3_bind_text(st[LOCATION], 1, person, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st[LOCATION], 2, (sqlite3_int64)t0);
		sqlite3_bind_text(st[ENTRY], 1, person, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st[ENTRY], 2, (sqlite3_int64)t0);
		ok = ok && sqlite3_step(st[WBEGIN]) == SQLITE_DONE &&
		     sqlite3_step(st[EVENT]) == SQLITE_DONE &&
		     sqlite3_step(st[LOCATION]) == SQLITE_DONE &&
		     sqlite3_step(st[ENTRY]) == SQLITE_DONE &&
		     sqlite3_step(st[COMMIT]) == SQLITE_DONE;
		for (size_t k = 0; k < N; k++)
			sqlite3_reset(st[k]);
		if (!ok) {
			fail(db, credential);
			goto out;
		}
		ns[i] = bench_ns() - t0;
	}
	r = 0;
out:
	for (size_t i = 0; i < N; i++)
		sqlite3_finalize(st[i]);
	if (db && sqlite3_get_autocommit(db) == 0)
		exec(db, "ROLLBACK");
	if (rd && sqlite3_get_autocommit(rd) == 0)
		exec(rd, "ROLLBACK");
	sqlite3_close(db);
	sqlite3_close(rd);
	scratch_remove(f->scratch);
	return r;
}
