/* SPDX-License-Identifier: MIT */
/*
 * aeogate-bench-gen: grows a database to a realistic size for the other
 * benchmarks. Every row goes through the store API (the same prepared
 * statements aeogated uses) and every event through audit_append, so the
 * hash chain is the real one and verifies; an alarm event raises its
 * alarm row as aeogated's audit module does, so the database is counted as
 * the product would leave it (a start does not re-scan it). Rows are
 * batched into large transactions. The badges' secondary index is dropped
 * for the persons' load and built again after it, from its own definition
 * in the database (so the schema stays the migrations'). The events'
 * indexes are not: a built index has every leaf full, so each decision's
 * entry in events_person (a random place) split a leaf and rebalanced its
 * neighbours, 5 pages written where a log grown one event at a time, as
 * aeogated grows it, writes 1.2 (9.5 pages a decision against 4.8,
 * counted in the WAL at 2M persons). The decisions are measured on the
 * database a site would have.
 *
 *   aeogate-bench-gen --db PATH [--persons N] [--events M] [--durability normal|full]
 *
 * Growing, not replacing: --persons N makes the database hold persons
 * P00000000 .. P(N-1) (those already there are kept), --events M appends M
 * events continuing the chain. So one database can be grown 10k → 100k →
 * 1M → 2M persons between benchmark runs.
 *
 * Bytes per event: the database's growth while the events are appended
 * (persons excluded: they are added first), indexes included, printed
 * beside its goal (issue 12: <= 250 bytes per event).
 *
 * The site matches bench/bench.ini: zones dock, bonded-cage, office; levels
 * L-dock, L-cage, L-office, L-all. Person i holds one H10301 badge
 * h10301:(1 + i / 65536):(i % 65536) and one level: i % 4 == 0 → L-cage
 * (so they are denied at the dock), 1 → L-dock, 2 → L-office, 3 → L-all:
 * half of them may enter at dock-1.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "audit.h"
#include "bench.h"
#include "store.h"

#define BATCH 50000
#define T0_MS 1767225600000LL /* 2026-01-01T00:00:00Z */

static const char *const zones[] = {"dock", "bonded-cage", "office"};
static const char *const doors[] = {"dock-1", "cage-1", "office-1"};
static const char *const readers[] = {"dock-1-in", "cage-1-in", "office-1-in"};
static const char *const levels[] = {"L-cage", "L-dock", "L-office", "L-all"};

static bool indexes_dropped;

static void fail_exit(void)
{
	if (indexes_dropped)
		fprintf(stderr, "aeogate-bench-gen: the database lacks its secondary indexes now: "
				"generate it again\n");
	exit(1);
}

static void die(struct store *s, const char *what, int r)
{
	fprintf(stderr, "aeogate-bench-gen: %s: %s (%s)\n", what, strerror(-r),
		s ? store_last_error(s) : "");
	fail_exit();
}

static void die_sql(sqlite3 *db, const char *what)
{
	fprintf(stderr, "aeogate-bench-gen: %s: %s\n", what, sqlite3_errmsg(db));
	fail_exit();
}

/* Pages the database holds, free pages not counted, as one snapshot sees it (WAL included). */
static int64_t bytes_used(sqlite3 *db)
{
	sqlite3_stmt *st;
	int64_t r = -1;

	if (sqlite3_prepare_v2(db,
			       "SELECT (SELECT page_count FROM pragma_page_count) - "
			       "(SELECT freelist_count FROM pragma_freelist_count), "
			       "(SELECT page_size FROM pragma_page_size)",
			       -1, &st, NULL) != SQLITE_OK)
		die_sql(db, "page count");
	if (sqlite3_step(st) == SQLITE_ROW)
		r = sqlite3_column_int64(st, 0) * sqlite3_column_int64(st, 1);
	sqlite3_finalize(st);
	if (r < 0)
		die_sql(db, "page count");
	return r;
}

/*
 * The secondary indexes of the tables the load fills, as the migrations
 * wrote them (sqlite_master keeps their CREATE statements); the implicit
 * ones of primary keys and UNIQUE columns have no statement and stay.
 */
#define INDEXES_MAX 16
struct indexes {
	char *name[INDEXES_MAX];
	char *sql[INDEXES_MAX];
	size_t n;
};

/* Drops the secondary indexes of table, remembering them in ix. */
static void indexes_drop(sqlite3 *db, const char *table, struct indexes *ix)
{
	sqlite3_stmt *st;
	char drop[256];
	uint64_t t = bench_ns();

	if (sqlite3_prepare_v2(
		db,
		"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT "
		"NULL AND tbl_name = ?1",
		-1, &st, NULL) != SQLITE_OK)
		die_sql(db, "indexes");
	sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
	while (ix->n < INDEXES_MAX && sqlite3_step(st) == SQLITE_ROW) {
		ix->name[ix->n] = strdup((const char *)sqlite3_column_text(st, 0));
		ix->sql[ix->n] = strdup((const char *)sqlite3_column_text(st, 1));
		if (!ix->name[ix->n] || !ix->sql[ix->n])
			die_sql(db, "indexes");
		ix->n++;
	}
	sqlite3_finalize(st);
	for (size_t i = 0; i < ix->n; i++) {
		snprintf(drop, sizeof(drop), "DROP INDEX \"%s\"", ix->name[i]);
		if (sqlite3_exec(db, drop, NULL, NULL, NULL) != SQLITE_OK)
			die_sql(db, drop);
		indexes_dropped = true;
	}
	printf("indexes: %zu of %s dropped for the load in %.1f s\n", ix->n, table,
	       (bench_ns() - t) / 1e9);
}

static void indexes_build(sqlite3 *db, struct indexes *ix)
{
	uint64_t t = bench_ns();
	size_t n = ix->n;

	for (size_t i = 0; i < ix->n; i++) {
		if (sqlite3_exec(db, ix->sql[i], NULL, NULL, NULL) != SQLITE_OK)
			die_sql(db, ix->sql[i]);
		free(ix->name[i]);
		free(ix->sql[i]);
	}
	ix->n = 0;
	indexes_dropped = false;
	if (n)
		printf("indexes: %zu built again in %.1f s\n", n, (bench_ns() - t) / 1e9);
}

/* Persons are added in id order, so the last id tells how many exist. */
static uint64_t persons_present(struct store *s, uint64_t want)
{
	struct person p;
	char id[32];
	uint64_t lo = 0, hi = want;

	/* Binary search on "P%08d exists": ids are dense from 0. */
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;
		snprintf(id, sizeof(id), "P%08" PRIu64, mid);
		if (store_person_get(s, id, &p) == 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"db", required_argument, NULL, 'd'},
		{"persons", required_argument, NULL, 'p'},
		{"events", required_argument, NULL, 'e'},
		{"durability", required_argument, NULL, 'D'},
		{},
	};
	const char *db = NULL, *durability = "normal";
	uint64_t persons = 0, events = 0, have, done = 0;
	struct store *s = NULL;
	struct audit_chain chain;
	struct indexes ix = {0};
	int64_t before = 0, after = 0;
	uint64_t alarms = 0;
	sqlite3 *raw = NULL;
	char err[512];
	struct stat st;
	uint64_t t;
	int o, r;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'd': db = optarg; break;
		case 'p': persons = strtoull(optarg, NULL, 10); break;
		case 'e': events = strtoull(optarg, NULL, 10); break;
		case 'D': durability = optarg; break;
		default:
			fprintf(stderr, "usage: aeogate-bench-gen --db PATH [--persons N] [--events M]\n");
			return 2;
		}
	}
	if (!db || persons > 255ull * 65536) {
		fprintf(stderr, "usage: aeogate-bench-gen --db PATH [--persons N<=16711680] [--events M]\n");
		return 2;
	}
	bench_machine(stdout);
	printf("# aeogate-bench-gen --db %s --persons %" PRIu64 " --events %" PRIu64 "\n", db,
	       persons, events);

	r = store_open(db, durability, &s, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "aeogate-bench-gen: %s\n", err);
		return 1;
	}
	/* aeogated refuses a database others may read: leave it as the service would. */
	if (chmod(db, 0640) < 0) {
		fprintf(stderr, "aeogate-bench-gen: %s: %s\n", db, strerror(errno));
		return 1;
	}
	/* The topology aeogated would upsert from bench/bench.ini, and the levels. */
	for (size_t i = 0; i < 3; i++) {
		if ((r = store_zone_upsert(s, zones[i])) < 0 ||
		    (r = store_door_upsert(s, doors[i], zones[i])) < 0 ||
		    (r = store_reader_upsert(s, readers[i], doors[i], "sim")) < 0)
			die(s, "topology", r);
	}
	for (size_t i = 0; i < 4; i++) {
		const char *const *z = i == 3 ? zones : &zones[i == 0 ? 1 : i == 1 ? 0 : 2];
		if (store_level_exists(s, levels[i]) == 1)
			continue;
		r = store_level_add(s, levels[i], z, i == 3 ? 3 : 1);
		if (r < 0)
			die(s, "level", r);
	}

	/* A second connection on the same file: the index work and the size, as SQLite sees it. */
	if (sqlite3_open_v2(db, &raw, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
		die_sql(raw, db);
	sqlite3_busy_timeout(raw, 10000);

	have = persons ? persons_present(s, persons) : 0;
	if (persons > have)
		indexes_drop(raw, "credentials", &ix);
	t = bench_ns();
	for (uint64_t i = have; i < persons; i++) {
		struct person p = {.created_ms = T0_MS};
		struct credential c = {.issued_ms = T0_MS};

		if ((i - have) % BATCH == 0 && (r = store_begin(s)) < 0)
			die(s, "begin", r);
		snprintf(p.id, sizeof(p.id), "P%08" PRIu64, i);
		snprintf(p.name, sizeof(p.name), "Person %" PRIu64, i);
		strcpy(p.status, "active");
		snprintf(c.id, sizeof(c.id), "h10301:%" PRIu64 ":%" PRIu64, 1 + i / 65536, i % 65536);
		snprintf(c.person, sizeof(c.person), "%s", p.id);
		strcpy(c.status, "active");
		if ((r = store_person_add(s, &p)) < 0 || (r = store_credential_add(s, &c)) < 0 ||
		    (r = store_person_level_add(s, p.id, levels[i % 4])) < 0)
			die(s, "person", r);
		if ((i - have + 1) % BATCH == 0 || i + 1 == persons) {
			if ((r = store_commit(s)) < 0)
				die(s, "commit", r);
		}
	}
	t = bench_ns() - t;
	if (persons > have)
		printf("persons: %" PRIu64 " added (had %" PRIu64 ") in %.1f s = %.0f persons/s\n",
		       persons - have, have, t / 1e9, (persons - have) / (t / 1e9));
	else
		printf("persons: %" PRIu64 " present, none added\n", have);

	if ((r = audit_chain_load(&chain, s)) < 0)
		die(s, "chain", r);
	indexes_build(raw, &ix);
	/* Growth per event is measured from here, the indexes the events fill included. */
	before = bytes_used(raw);
	t = bench_ns();
	for (done = 0; done < events; done++) {
		/* A plausible day: mostly grants, some denials, door cycles, an alarm now and then. */
		uint64_t k = chain.seq + 1, who = (k * 2654435761u) % (persons ? persons : 1000);
		unsigned d = (unsigned)(k % 3), kind = (unsigned)(k % 16);
		char person[32], cred[48], detail[64];
		struct event e = {.ts_ms = T0_MS + (int64_t)k * 250, .door = doors[d],
				  .zone = zones[d]};

		snprintf(person, sizeof(person), "P%08" PRIu64, who);
		snprintf(cred, sizeof(cred), "h10301:%" PRIu64 ":%" PRIu64, 1 + who / 65536, who % 65536);
		snprintf(detail, sizeof(detail), "{\"bits\":26,\"direction\":\"in\"}");
		if (kind < 9) {
			e.kind = "access.granted";
		} else if (kind < 11) {
			e.kind = "access.denied";
			e.reason = kind == 9 ? "no_access" : "expired";
		} else if (kind < 13) {
			e.kind = kind == 11 ? "door.opened" : "door.closed";
		} else if (kind == 13) {
			e.kind = "access.denied";
			e.reason = "unknown_credential";
			snprintf(cred, sizeof(cred), "h10301:200:%" PRIu64, k % 65536);
			person[0] = '\0';
		} else {
			e.kind = kind == 14 ? "door.held" : "door.closed";
		}
		if (!strncmp(e.kind, "access.", 7)) {
			e.reader = readers[d];
			e.credential = cred;
			e.person = person[0] ? person : NULL;
			e.detail = detail;
		}
		if (done % BATCH == 0 && (r = store_begin(s)) < 0)
			die(s, "begin", r);
		if ((r = audit_append(&chain, s, &e)) < 0)
			die(s, "event", r);
		/* What aeogated's audit module does with every alarm event it is handed. */
		if (audit_is_alarm_kind(e.kind)) {
			if ((r = store_alarm_raise(s, e.kind, e.door, e.zone, e.seq, e.ts_ms)) < 0)
				die(s, "alarm", r);
			alarms++;
		}
		if ((done + 1) % BATCH == 0 || done + 1 == events) {
			if ((r = store_commit(s)) < 0)
				die(s, "commit", r);
		}
	}
	t = bench_ns() - t;
	if (events)
		printf("events: %" PRIu64
		       " appended in %.1f s = %.0f events/s (chain head seq %" PRId64 "), %" PRIu64
		       " of them alarms with their alarm rows\n",
		       events, t / 1e9, events / (t / 1e9), chain.seq, alarms);
	after = bytes_used(raw);
	sqlite3_close(raw);
	store_close(s);
	if (stat(db, &st) == 0)
		printf("database: %s %.1f MiB, %" PRId64 " events\n", db, st.st_size / 1048576.0,
		       chain.seq);
	if (events) {
		printf("growth: %.1f MiB for %" PRIu64
		       " events (pages in use, indexes and alarm rows "
		       "included, persons excluded)\n",
		       (after - before) / 1048576.0, events);
		bench_goal(stdout, "bytes per event on disk", (double)(after - before) / events,
			   "B", BENCH_AT_MOST, 250);
	}
	return 0;
}
