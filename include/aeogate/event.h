/* SPDX-License-Identifier: MIT */
/*
 * The event record: every decision and every state change is one row in the
 * events table and one JSON object on the control socket (DESIGN.md,
 * "Contracts"). Strings are owned by the struct when it comes from the store
 * (event_clear frees them) and borrowed when a caller fills one in to append.
 */
#ifndef AEOGATE_EVENT_H
#define AEOGATE_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* SHA-256 as lower-case hex, plus NUL. */
#define EVENT_HASH_HEX 65

struct event {
	int64_t seq;     /* gap-free, assigned by the audit chain */
	int64_t ts_ms;   /* UTC, milliseconds since the epoch */
	const char *kind;       /* dotted: access.granted, door.forced, ... */
	const char *door;       /* NULL when not about a door */
	const char *reader;
	const char *zone;
	const char *person;
	const char *credential; /* normalized: h10301:12:3456, uid:04a1b2c3, raw:26:... */
	const char *reason;     /* stable snake_case code, NULL when none */
	const char *detail;     /* compact JSON object text or NULL: raw bits, before/after, operator */
	char prev[EVENT_HASH_HEX];
	char hash[EVENT_HASH_HEX];
};

/* Frees the strings of an event the store filled in; accepts NULL. */
void event_clear(struct event *e);

/*
 * The kinds table (controller/lib/event_kinds.c): what each kind is, once,
 * for every program. name is a kind ("door.forced") or a family
 * ("alarm.*", any kind in it that has no row of its own). is_alarm: its
 * event raises an alarm (the alarms table, README "Alarms").
 * retention_floor_days: no retention rule may keep its events for less
 * (README "Retention"): alarm records, the alarm kinds and the whole
 * alarm.* family with the acknowledgements, have the longer floor. A kind
 * the table does not name is no alarm and has the general floor.
 */
struct event_kind {
	const char *name;
	bool is_alarm;
	unsigned retention_floor_days;
	unsigned priority; /* 1 (most urgent) .. ; 0: EVENT_PRIORITY_OTHER */
};

/* The priority of an alarm kind the table does not rank. */
#define EVENT_PRIORITY_OTHER 7

extern const struct event_kind event_kinds[];
extern const size_t event_kinds_n;

/* The row for kind: its own, else its family's; NULL when neither (or kind is NULL). */
const struct event_kind *event_kind_find(const char *kind);
/* Whether an event of kind raises an alarm. */
bool event_kind_is_alarm(const char *kind);
/* An alarm's priority, 1 (duress) most urgent; EVENT_PRIORITY_OTHER when unranked. */
unsigned event_kind_priority(const char *kind);
/* The shortest retention, in days, a rule may give events of kind. */
unsigned event_kind_retention_floor(const char *kind);

#endif
