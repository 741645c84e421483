/* SPDX-License-Identifier: MIT */
/*
 * The waits for another person (README, "Two-person rule and escort"):
 * at a door into a two-person zone a badge that passed every other rule
 * waits for a different person's authorized badge at the same door; at a
 * door into an escort zone a visitor's badge waits for an employee's. Pure,
 * like controller/pinpad.c: the core hands it the attempts, the zone's
 * rules and the monotonic clock, and acts on what it answers (grant both,
 * deny the one that waited); no I/O inside.
 *
 * One attempt waits per door. Every badge still ends in exactly one access
 * event: a badge that cannot complete the waiting one (the same person
 * again, a visitor for a visitor) replaces it, and the replaced one is
 * denied with its timeout reason.
 */
#ifndef AEOGATE_TWO_PERSON_H
#define AEOGATE_TWO_PERSON_H

#include <stdbool.h>
#include <stdint.h>

#include "aeogate/limits.h"
#include "aeogate/reason.h"

/* What an attempt waits for; its name is detail.awaiting of access.pending. */
enum two_person_await {
	TWO_PERSON_NONE = 0,
	TWO_PERSON_SECOND, /* "second_person": any other authorized person */
	TWO_PERSON_ESCORT, /* "escort": an authorized person who is not a visitor */
};

/* A zone's rules, as zone set stores them (windows in ms, > 0 when on). */
struct two_person_rules {
	bool two_person;
	int64_t two_person_window_ms;
	bool escort;
	int64_t escort_window_ms;
};

/* A badge that passed every other rule, as it stood at the badge. */
struct two_person_attempt {
	uint64_t id; /* set by two_person_badge, in order */
	unsigned reader;
	bool visitor;
	enum two_person_await awaiting; /* set by two_person_badge when it waits */
	char person[AEOGATE_ID_MAX + 1];
	char credential[AEOGATE_CREDENTIAL_MAX + 1];
	char detail[96]; /* the read's detail (direction, bits), a JSON object */
};

struct two_person_slot {
	bool active;
	int64_t deadline_ms;
	struct two_person_attempt attempt;
};

struct two_person {
	struct two_person_slot slots[AEOGATE_DOORS_MAX];
	uint64_t last_id;
};

/* What a badge at a door does, given the attempt waiting there. */
enum two_person_action {
	TWO_PERSON_PASS,     /* no wait applies: decide the badge alone */
	TWO_PERSON_WAIT,     /* the badge now waits (a->awaiting says for what) */
	TWO_PERSON_COMPLETE, /* it completes the waiting attempt (*ret_other): grant both */
};

/*
 * A badge a at door at now_ms under the zone's rules. On WAIT, an attempt
 * that waited there before and that a cannot complete is copied to
 * *ret_other and *ret_replaced is set (the caller denies it with
 * two_person_reason). On COMPLETE the waiting attempt is in *ret_other and
 * the door is idle again. An attempt whose window ran out by now_ms is
 * never completed: it is handed out as replaced.
 */
enum two_person_action two_person_badge(struct two_person *t, unsigned door,
					struct two_person_attempt *a,
					const struct two_person_rules *rules, int64_t now_ms,
					struct two_person_attempt *ret_other, bool *ret_replaced);

/* When the attempt waiting at door runs out (monotonic ms), or 0 when none waits. */
int64_t two_person_deadline(const struct two_person *t, unsigned door);

/* The waiting attempt ends: copied to *ret and true, when one waited and (unless force) ran out. */
bool two_person_expire(struct two_person *t, unsigned door, int64_t now_ms, bool force,
		       struct two_person_attempt *ret);

/* The reason an attempt that waited in vain is denied with. */
enum reason two_person_reason(enum two_person_await awaiting);

/* "second_person", "escort" (detail.awaiting, sim present's pending), or NULL. */
const char *two_person_await_name(enum two_person_await awaiting);

#endif
