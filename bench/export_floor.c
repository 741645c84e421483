/* SPDX-License-Identifier: MIT */
/*
 * aeogate-bench-export: the floors under `aeogatectl audit export`
 * (bench/export.sh), measured in one process on the same database, each
 * pass over the same rows as a whole-log export:
 *
 *   1. SQLite alone: the export's SELECT stepped on a read-only connection
 *      of its own (as the export's thread opens it), every column read;
 *   2. the store's row reader (store_event_walk, the one function exports
 *      read rows through) with nothing done per row;
 *   3. 2 plus the export chain and the rows formatted into a buffer
 *      (export_row_format, CSV and JSONL), no socket, no file;
 *   4. the person's name read with each row, as exports do since the
 *      person_name column (store_event_walk_named: one seek into persons
 *      per row), alone and then formatted as in 3: the goal's pass.
 *
 * What is left between 3 and export.sh's figure is the socket, the client
 * and its file. Rows/s are wall time; CPU µs/row (user + sys of this
 * process) moves less with the machine's load.
 *
 *   aeogate-bench-export --db DB
 */
#include <getopt.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "bench.h"
#include "chain.h"
#include "export.h"
#include "store.h"

static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

struct pass {
	const char *name;
	uint64_t t0;
	double c0;
};

static void pass_start(struct pass *p, const char *name)
{
	p->name = name;
	p->c0 = cpu_s();
	p->t0 = bench_ns();
}

static void pass_end(struct pass *p, uint64_t rows, bool goal)
{
	double wall = (bench_ns() - p->t0) / 1e9, cpu = cpu_s() - p->c0;
	char figure[96];

	snprintf(figure, sizeof(figure), "floor: %s", p->name);
	if (goal)
		bench_goal(stdout, figure, rows / wall, "rows/s", BENCH_AT_LEAST, 500000);
	else
		bench_beside(stdout, figure, rows / wall, "rows/s", "the floor of export rows/s");
	snprintf(figure, sizeof(figure), "floor: %s CPU per row", p->name);
	bench_beside(stdout, figure, cpu * 1e9 / (double)(rows ? rows : 1), "ns",
		     "user + sys, this process");
}

static int sqlite_alone(const char *db, uint64_t *ret_rows)
{
	sqlite3 *h;
	sqlite3_stmt *st;
	uint64_t rows = 0, bytes = 0;

	if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) !=
		SQLITE_OK ||
	    sqlite3_prepare_v2(h,
			       "SELECT seq, ts_ms, kind, door, reader, zone, person, credential, "
			       "reason, detail, prev, hash FROM events WHERE seq > 0 AND seq <= "
			       "9223372036854775807 AND ts_ms >= -9223372036854775808 AND ts_ms < "
			       "9223372036854775807 ORDER BY seq",
			       -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "%s: %s\n", db, sqlite3_errmsg(h));
		return -1;
	}
	while (sqlite3_step(st) == SQLITE_ROW) {
		/* Every column read, as the store's row reader does. */
		bytes += (uint64_t)sqlite3_column_int64(st, 0) & 1;
		bytes += (uint64_t)sqlite3_column_int64(st, 1) & 1;
		for (int i = 2; i < 12; i++) {
			(void)sqlite3_column_text(st, i);
			bytes += (uint64_t)sqlite3_column_bytes(st, i);
		}
		rows++;
	}
	sqlite3_finalize(st);
	sqlite3_close(h);
	*ret_rows = rows;
	return bytes ? 0 : -1;
}

struct walk {
	enum export_format fmt;
	bool format, named;
	struct export_buf b;
	char chain[EVENT_HASH_HEX];
	uint64_t rows, bytes;
};

static int walk_named_cb(const struct event *e, const char *person_name, void *userdata)
{
	struct walk *w = userdata;

	w->rows++;
	w->bytes += person_name ? 1 : 0;
	if (!w->format)
		return 0;
	export_chain_next(w->chain, e->seq, e->hash, w->chain);
	if (export_row_format(&w->b, w->fmt, e, w->chain, person_name) < 0)
		return -1;
	if (w->b.len >= AEOGATE_EXPORT_CHUNK) {
		w->bytes += w->b.len;
		w->b.len = 0;
	}
	return 0;
}

static int walk_cb(const struct event *e, void *userdata)
{
	struct walk *w = userdata;

	w->rows++;
	if (!w->format)
		return 0;
	export_chain_next(w->chain, e->seq, e->hash, w->chain);
	if (export_row_format(&w->b, w->fmt, e, w->chain, NULL) < 0)
		return -1;
	if (w->b.len >= AEOGATE_EXPORT_CHUNK) {
		w->bytes += w->b.len;
		w->b.len = 0;
	}
	return 0;
}

static int walk(struct store *s, struct walk *w)
{
	memcpy(w->chain, AUDIT_GENESIS, EVENT_HASH_HEX);
	if (store_begin_deferred(s) < 0)
		return -1;
	if (w->named ? store_event_walk_named(s, 0, INT64_MAX, INT64_MIN, INT64_MAX, walk_named_cb,
					      w) < 0
		     : store_event_walk(s, 0, INT64_MAX, INT64_MIN, INT64_MAX, walk_cb, w) < 0)
		return -1;
	w->bytes += w->b.len;
	store_rollback(s);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {{"db", required_argument, NULL, 'd'}, {}};
	const char *db = NULL;
	struct store *s;
	struct pass p;
	uint64_t rows;
	char err[256];
	int o;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (o != 'd') {
			fprintf(stderr, "usage: aeogate-bench-export --db DB\n");
			return 2;
		}
		db = optarg;
	}
	if (!db) {
		fprintf(stderr, "usage: aeogate-bench-export --db DB\n");
		return 2;
	}
	bench_machine(stdout);
	printf("# aeogate-bench-export --db %s\n", db);
	pass_start(&p, "SQLite alone steps the rows");
	if (sqlite_alone(db, &rows) < 0)
		return 1;
	pass_end(&p, rows, false);
	printf("# %llu rows\n", (unsigned long long)rows);
	if (store_open_readonly(db, &s, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	{
		struct walk w = {0};

		pass_start(&p, "store_event_walk reads the rows");
		if (walk(s, &w) < 0)
			return 1;
		pass_end(&p, w.rows, false);
	}
	{
		struct walk w = {.named = true};

		pass_start(&p, "store_event_walk_named reads the rows and names");
		if (walk(s, &w) < 0)
			return 1;
		pass_end(&p, w.rows, false);
	}
	/* Without names (beside), then with them: what an export does, the goal's pass. */
	for (int named = 0; named < 2; named++) {
		for (int f = EXPORT_CSV; f <= EXPORT_JSONL; f++) {
			struct walk w = {.fmt = f, .format = true, .named = named};
			char name[80];

			snprintf(name, sizeof(name), "rows%s read and formatted, %s",
				 named ? " and names" : "", export_format_name(f));
			pass_start(&p, name);
			if (walk(s, &w) < 0)
				return 1;
			pass_end(&p, w.rows, named);
			printf("# %s: %.1f MiB, %llu rows through the reference writer\n",
			       export_format_name(f), w.bytes / 1048576.0,
			       (unsigned long long)w.b.slow_rows);
			export_buf_free(&w.b);
		}
	}
	store_close(s);
	return 0;
}
