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
 *
 *   aeogate-test-seed --db PATH --json < EVENTS
 *
 * EVENTS has one JSON object per line, an event exactly as it is to be
 * stored: "ts" (a UTC time), "kind", and any of "door", "reader", "zone",
 * "person", "credential", "reason", "detail" (text stored verbatim, JSON or
 * not). Each value is a string, null, or {"hex": "..."} for bytes a JSON
 * string cannot carry (invalid UTF-8). For tests of what exports make of
 * unusual rows; no alarm rows are raised.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <sodium.h>
#include <stdbool.h>
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

/* The fields of a --json line: at most this many hex-given bytes each. */
#define SEED_FIELD_MAX 4096

struct seed_field {
	const char *name;
	const char **dst;
	char buf[SEED_FIELD_MAX + 1];
};

/* A field of a --json line: NULL, a string, or {"hex": "..."}; -EINVAL otherwise. */
static int seed_field(const json_t *o, struct seed_field *f)
{
	const json_t *v = json_object_get(o, f->name), *hex;
	size_t n = 0;

	*f->dst = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (json_is_string(v)) {
		*f->dst = json_string_value(v);
		return 0;
	}
	hex = json_object_get(v, "hex");
	if (!json_is_string(hex) ||
	    sodium_hex2bin((unsigned char *)f->buf, SEED_FIELD_MAX, json_string_value(hex),
			   json_string_length(hex), NULL, &n, NULL) != 0)
		return -EINVAL;
	f->buf[n] = '\0';
	*f->dst = f->buf;
	return 0;
}

/* --json: one event per line, stored as given (see the top of this file). */
static int seed_json(struct store *s, struct audit_chain *chain)
{
	static char line[65536];
	int lineno = 0, r;

	while (fgets(line, sizeof(line), stdin)) {
		struct event e = {0};
		struct seed_field fields[] = {
		    {.name = "kind", .dst = &e.kind},
		    {.name = "door", .dst = &e.door},
		    {.name = "reader", .dst = &e.reader},
		    {.name = "zone", .dst = &e.zone},
		    {.name = "person", .dst = &e.person},
		    {.name = "credential", .dst = &e.credential},
		    {.name = "reason", .dst = &e.reason},
		    {.name = "detail", .dst = &e.detail},
		};
		json_t *o = json_loads(line, 0, NULL);
		const char *ts = json_string_value(json_object_get(o, "ts"));

		lineno++;
		if (!json_is_object(o) || !ts || time_parse_ms(ts, &e.ts_ms) < 0) {
			fprintf(stderr, "aeogate-test-seed: line %d: not an event with a ts\n",
				lineno);
			return 2;
		}
		for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
			if (seed_field(o, &fields[i]) < 0) {
				fprintf(stderr, "aeogate-test-seed: line %d: '%s' is not text\n",
					lineno, fields[i].name);
				return 2;
			}
		if (!e.kind) {
			fprintf(stderr, "aeogate-test-seed: line %d: no kind\n", lineno);
			return 2;
		}
		if ((r = audit_append(chain, s, &e)) < 0)
			die(s, "event", r);
		printf("%" PRId64 " %s\n", e.seq, e.kind);
		json_decref(o);
	}
	store_close(s);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"db", required_argument, NULL, 'd'}, {"json", no_argument, NULL, 'j'}, {0}};
	bool json = false;
	const char *db = NULL;
	struct store *s = NULL;
	struct audit_chain chain;
	char err[512], line[512];
	int64_t now = now_wall_ms();
	int o, r, lineno = 0;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (o == 'j') {
			json = true;
			continue;
		}
		if (o != 'd') {
			fprintf(stderr, "usage: aeogate-test-seed --db PATH [--json] < SCRIPT\n");
			return 2;
		}
		db = optarg;
	}
	if (!db) {
		fprintf(stderr, "usage: aeogate-test-seed --db PATH [--json] < SCRIPT\n");
		return 2;
	}
	if (store_open(db, "normal", &s, err, sizeof(err)) < 0) {
		fprintf(stderr, "aeogate-test-seed: %s\n", err);
		return 1;
	}
	if ((r = audit_chain_load(&chain, s)) < 0)
		die(s, "chain", r);
	if (json)
		return seed_json(s, &chain);
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
