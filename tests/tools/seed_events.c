/* SPDX-License-Identifier: MIT */
/*
 * aeogate-test-seed: writes a state directory's database with events from
 * the past, for tests of retention. The daemon's clock is real and a row
 * with a made-up timestamp would break the hash chain, so the rows are
 * appended here through the real chain (audit_append) and store, exactly
 * as aeogated would have written them back then.
 *
 *   aeogate-test-seed --db PATH < SCRIPT
 *
 * SCRIPT has one event per line: DAYS_AGO KIND [open | closed[:DAYS_AGO] | xN],
 * where xN repeats the line N times (in one transaction).
 * Alarm kinds (the kinds table, aeogate/event.h: door.forced, door.held, ...) also
 * get their alarm row, open or closed (by default when raised). access.*
 * rows carry a person and a credential, door.* and alarm.* rows a door.
 * Prints the seq of each line.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "store.h"
#include "util.h"

#define DAY_MS 86400000LL

static int die(struct store *s, const char *what, int r)
{
	fprintf(stderr, "aeogate-test-seed: %s: %s (%s)\n", what, strerror(-r),
		s ? store_last_error(s) : "");
	exit(1);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {{"db", required_argument, NULL, 'd'}, {0}};
	const char *db = NULL;
	struct store *s = NULL;
	struct audit_chain chain;
	char err[512], line[512];
	int64_t now = now_wall_ms();
	int o, r, lineno = 0;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (o != 'd') {
			fprintf(stderr, "usage: aeogate-test-seed --db PATH < SCRIPT\n");
			return 2;
		}
		db = optarg;
	}
	if (!db) {
		fprintf(stderr, "usage: aeogate-test-seed --db PATH < SCRIPT\n");
		return 2;
	}
	if (store_open(db, "normal", &s, err, sizeof(err)) < 0) {
		fprintf(stderr, "aeogate-test-seed: %s\n", err);
		return 1;
	}
	if ((r = audit_chain_load(&chain, s)) < 0)
		die(s, "chain", r);
	while (fgets(line, sizeof(line), stdin)) {
		char kind[128] = "", state[64] = "";
		long days = 0;
		struct event e = {0};
		struct alarm a;
		int n;

		lineno++;
		n = sscanf(line, "%ld %127s %63s", &days, kind, state);
		if (n < 2) {
			fprintf(stderr, "aeogate-test-seed: line %d: DAYS_AGO KIND [STATE]\n",
				lineno);
			return 2;
		}
		if (state[0] == 'x') {
			long times = strtol(state + 1, NULL, 10);

			if (times < 1 || audit_is_alarm_kind(kind)) {
				fprintf(stderr, "aeogate-test-seed: line %d: bad repeat\n", lineno);
				return 2;
			}
			if ((r = store_begin(s)) < 0)
				die(s, "begin", r);
			for (long i = 0; i < times; i++) {
				struct event b = {.kind = kind};

				b.ts_ms = now - days * DAY_MS + (chain.seq + 1) * 1000 - 600000;
				if ((r = audit_append(&chain, s, &b)) < 0)
					die(s, "event", r);
			}
			if ((r = store_commit(s)) < 0)
				die(s, "commit", r);
			printf("%" PRId64 " %s x%ld\n", chain.seq, kind, times);
			continue;
		}
		/* Seconds apart, so rows seeded the same day keep their order in time too. */
		e.ts_ms = now - days * DAY_MS + (chain.seq + 1) * 1000 - 600000;
		e.kind = kind;
		if (!strncmp(kind, "access.", 7)) {
			e.door = "dock-1";
			e.reader = "dock-1-in";
			e.zone = "dock";
			e.person = "E1";
			e.credential = "uid:04a1b2c3";
			e.reason = !strcmp(kind, "access.denied") ? "no_access" : NULL;
			e.detail = "{\"direction\":\"in\"}";
		} else if (!strncmp(kind, "door.", 5) || !strncmp(kind, "alarm.", 6)) {
			e.door = "cage-1";
			e.zone = "bonded-cage";
		}
		if ((r = audit_append(&chain, s, &e)) < 0)
			die(s, "event", r);
		if (audit_is_alarm_kind(kind)) {
			if ((r = store_alarm_raise(s, kind, e.door, e.zone, e.seq, e.ts_ms)) < 0 ||
			    (r = store_alarm_get_by_seq(s, e.seq, &a)) < 0)
				die(s, "alarm", r);
			if (!strncmp(state, "closed", 6)) {
				long closed_days =
				    state[6] == ':' ? strtol(state + 7, NULL, 10) : days;

				r = store_alarm_close(s, a.id, now - closed_days * DAY_MS, "uid:0");
				if (r < 0)
					die(s, "alarm close", r);
			}
		}
		printf("%" PRId64 " %s\n", e.seq, kind);
	}
	store_close(s);
	return 0;
}
