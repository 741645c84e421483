/* SPDX-License-Identifier: MIT */
/*
 * aeogate-bench-ingest: how fast the controller keeps events, through the
 * real path: core_emit → audit_append (SHA-256 chain) → one SQLite
 * transaction per event, exactly as aeogated stores every event.
 *
 *   aeogate-bench-ingest --dir DIR [--events N] [--storm N] [--durability normal|full|both]
 *
 * For each durability: a fresh database in DIR, N access events emitted
 * back to back (sustained events/s and per-event p50/p99/max), then an
 * alarm storm of --storm door.forced events (time to store all of them).
 * DIR should be on the disk aeogated would use: the figures are the disk's.
 *
 * The sustained rate with durability normal is printed beside its goal
 * (issue 12: >= 20 000 events/s); beside it, the floor measured in the same
 * run in DIR: one small row appended per transaction with bare SQLite
 * (bench/floor.h).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench.h"
#include "core.h"
#include "floor.h"
#include "store.h"

static int64_t fake_wall = 1795786091123LL;

static int64_t wall(void *u)
{
	return fake_wall;
}

static int64_t mono(void *u)
{
	return 1000;
}

/* The floor: n small rows appended one transaction each, bare SQLite, same disk. */
static int floor_append(const char *dir, const char *durability, uint64_t n, uint64_t *ns)
{
	char scratch[4200], what[64];
	struct floor f = {.scratch = scratch, .durability = durability};
	uint64_t t = bench_ns();

	snprintf(scratch, sizeof(scratch), "%s/ingest-floor.db", dir);
	if (floor_lookup_append(&f, n, ns) < 0)
		return -1;
	t = bench_ns() - t;
	snprintf(what, sizeof(what), "floor: durability=%s append", durability);
	bench_report(stdout, what, ns, n);
	printf("floor: durability=%-6s %" PRIu64 " small appends in %.2f s = %.0f appends/s\n",
	       durability, n, t / 1e9, n / (t / 1e9));
	if (!strcmp(durability, "normal"))
		bench_beside(stdout, "floor: one small append per transaction", n / (t / 1e9),
			     "appends/s", "the floor of ingest, durability normal");
	return 0;
}

static int run(const char *dir, const char *config, const char *durability, uint64_t n,
	       uint64_t storm)
{
	static struct config cfg;
	struct core_clock clock = {.wall_ms = wall, .mono_ms = mono};
	struct core *core;
	struct store *store;
	char path[4096], err[512], side[4200];
	uint64_t *lat = calloc(n ? n : 1, sizeof(*lat)), t, failed = 0;
	struct stat st;
	int r;

	if (!lat || config_load(config, &cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	snprintf(path, sizeof(path), "%s/ingest-%s.db", dir, durability);
	unlink(path);
	snprintf(side, sizeof(side), "%s-wal", path);
	unlink(side);
	snprintf(side, sizeof(side), "%s-shm", path);
	unlink(side);
	if ((r = store_open(path, durability, &store, err, sizeof(err))) < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	if (core_new(&cfg, &clock, &core) < 0 || core_lock_all(core) < 0 ||
	    core_attach_store(core, store) < 0)
		return 1;

	t = bench_ns();
	for (uint64_t i = 0; i < n; i++) {
		char person[16], cred[32];
		struct event e = {.kind = i % 7 ? "access.granted" : "access.denied",
				  .door = "dock-1", .reader = "dock-1-in", .zone = "dock",
				  .person = person, .credential = cred,
				  .reason = i % 7 ? NULL : "no_access",
				  .detail = "{\"bits\":26,\"direction\":\"in\"}"};
		uint64_t t0;

		snprintf(person, sizeof(person), "P%08" PRIu64, i % 100000);
		snprintf(cred, sizeof(cred), "h10301:1:%" PRIu64, i % 65536);
		fake_wall += 250;
		t0 = bench_ns();
		if (core_emit(core, &e) < 0)
			failed++;
		lat[i] = bench_ns() - t0;
	}
	t = bench_ns() - t;
	if (n) {
		char what[64];
		printf("durability=%-6s sustained: %" PRIu64 " events in %.2f s = %.0f events/s\n",
		       durability, n, t / 1e9, n / (t / 1e9));
		snprintf(what, sizeof(what), "durability=%s per event", durability);
		bench_report(stdout, what, lat, n);
		if (!strcmp(durability, "normal"))
			bench_goal(stdout, "ingest, durability normal", n / (t / 1e9), "events/s",
				   BENCH_AT_LEAST, 20000);
	}

	t = bench_ns();
	for (uint64_t i = 0; i < storm; i++) {
		struct event e = {.kind = "door.forced", .door = "cage-1", .zone = "bonded-cage"};
		fake_wall += 1;
		if (core_emit(core, &e) < 0)
			failed++;
	}
	t = bench_ns() - t;
	if (storm)
		printf("durability=%-6s alarm storm: %" PRIu64 " door.forced events stored in %.2f s = %.0f events/s\n",
		       durability, storm, t / 1e9, storm / (t / 1e9));
	printf("durability=%-6s events not stored: %" PRIu64 ", queued %zu, lost %" PRIu64 "\n",
	       durability, failed, core_events_queued(core), core_events_lost(core));
	core_free(core);
	store_close(store);
	if (stat(path, &st) == 0)
		printf("durability=%-6s database after %" PRIu64 " events: %.1f MiB (+ WAL)\n", durability,
		       n + storm, st.st_size / 1048576.0);
	if (n && floor_append(dir, durability, n, lat) < 0)
		failed++;
	free(lat);
	return failed ? 1 : 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"dir", required_argument, NULL, 'd'},
		{"config", required_argument, NULL, 'c'},
		{"events", required_argument, NULL, 'n'},
		{"storm", required_argument, NULL, 's'},
		{"durability", required_argument, NULL, 'D'},
		{},
	};
	const char *dir = NULL, *config = "bench/bench.ini", *durability = "both";
	uint64_t n = 100000, storm = 50000;
	int o, r = 0;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'd': dir = optarg; break;
		case 'c': config = optarg; break;
		case 'n': n = strtoull(optarg, NULL, 10); break;
		case 's': storm = strtoull(optarg, NULL, 10); break;
		case 'D': durability = optarg; break;
		default:
			fprintf(stderr, "usage: aeogate-bench-ingest --dir DIR [--events N] [--storm N] [--durability normal|full|both]\n");
			return 2;
		}
	}
	if (!dir) {
		fprintf(stderr, "usage: aeogate-bench-ingest --dir DIR [--events N] [--storm N] [--durability normal|full|both]\n");
		return 2;
	}
	bench_machine(stdout);
	printf("# aeogate-bench-ingest --dir %s --events %" PRIu64 " --storm %" PRIu64 " --durability %s\n",
	       dir, n, storm, durability);
	if (!strcmp(durability, "normal") || !strcmp(durability, "both"))
		r |= run(dir, config, "normal", n, storm);
	if (!strcmp(durability, "full") || !strcmp(durability, "both"))
		r |= run(dir, config, "full", n, storm);
	return r;
}
