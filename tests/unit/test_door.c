// SPDX-License-Identifier: MIT
/*
 * The door state machine (controller/door.c) under an injected clock. The
 * hooks record every lock move and every emitted kind in order, so each
 * scenario checks exactly what the hardware and the audit trail would see.
 * Scenarios are tables of steps: an input at a time, the effects it must
 * cause (and no others), the state after it and the next timer deadline.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "door.h"
#include "doormode.h"

/* Monotonic time is arbitrary; start well away from 0, which means "no timer". */
#define T0	   1000000
#define STRIKE	   5000
#define HELD	   30000
#define DOOR_INDEX 3
#define REMOTE	   20000 /* a remote unlock's own duration (door_release_for) */

struct recorder {
	char log[512]; /* effects since the last step, space-separated */
	unsigned bad_index;
};

static void rec_append(struct recorder *r, const char *what)
{
	size_t n = strlen(r->log);

	snprintf(r->log + n, sizeof(r->log) - n, "%s%s", n ? " " : "", what);
}

static void rec_set_lock(void *userdata, unsigned door, bool released)
{
	struct recorder *r = userdata;

	if (door != DOOR_INDEX)
		r->bad_index++;
	rec_append(r, released ? "release" : "lock");
}

static void rec_emit(void *userdata, unsigned door, const char *kind)
{
	struct recorder *r = userdata;

	if (door != DOOR_INDEX)
		r->bad_index++;
	rec_append(r, kind);
}

enum op {
	OP_END,
	OP_INITIAL_OPEN,
	OP_INITIAL_CLOSED,
	OP_GRANT,
	OP_REX,
	OP_OPEN,
	OP_CLOSE,
	OP_TICK,
	OP_LOCK_NOW,
	OP_UNLOCKED_ON,	 /* the door's mode becomes unlocked */
	OP_UNLOCKED_OFF, /* ... and ends */
	OP_RELEASE_FOR,	 /* a remote unlock for REMOTE ms */
};

#define NO_TIMER (-1)

struct step {
	enum op op;
	int64_t at;	       /* ms after T0 */
	const char *effects;   /* exactly these, in order ("" for none) */
	enum door_state state; /* after the step */
	int64_t deadline;      /* ms after T0, or NO_TIMER */
};

struct scenario {
	const char *name;
	unsigned strike_ms, held_ms;
	struct step steps[12];
};

static void run_scenario(const struct scenario *sc)
{
	struct recorder rec = {0};
	struct door_hooks hooks = {.userdata = &rec, .set_lock = rec_set_lock, .emit = rec_emit};
	struct door d;

	door_init(&d, DOOR_INDEX, sc->strike_ms ? sc->strike_ms : STRIKE,
		  sc->held_ms ? sc->held_ms : HELD, &hooks);
	if (door_get_state(&d) != DOOR_LOCKED || door_deadline(&d) != 0)
		fail_msg("%s: a new door is not locked without timers", sc->name);

	for (size_t i = 0; sc->steps[i].op != OP_END; i++) {
		const struct step *st = &sc->steps[i];
		int64_t now = T0 + st->at;
		int64_t want_deadline = st->deadline == NO_TIMER ? 0 : T0 + st->deadline;

		rec.log[0] = '\0';
		switch (st->op) {
		case OP_INITIAL_OPEN:
			door_set_initial_contact(&d, true, now);
			break;
		case OP_INITIAL_CLOSED:
			door_set_initial_contact(&d, false, now);
			break;
		case OP_GRANT:
			door_grant(&d, now);
			break;
		case OP_REX:
			door_rex(&d, now);
			break;
		case OP_OPEN:
			door_contact(&d, true, now);
			break;
		case OP_CLOSE:
			door_contact(&d, false, now);
			break;
		case OP_TICK:
			door_tick(&d, now);
			break;
		case OP_LOCK_NOW:
			door_lock_now(&d);
			break;
		case OP_UNLOCKED_ON:
			door_set_unlocked(&d, true);
			break;
		case OP_UNLOCKED_OFF:
			door_set_unlocked(&d, false);
			break;
		case OP_RELEASE_FOR:
			door_release_for(&d, now, REMOTE);
			break;
		case OP_END:
			break;
		}
		if (strcmp(rec.log, st->effects) != 0)
			fail_msg("%s, step %zu: effects '%s', want '%s'", sc->name, i, rec.log,
				 st->effects);
		if (door_get_state(&d) != st->state)
			fail_msg("%s, step %zu: state %s, want %s", sc->name, i,
				 door_state_to_string(door_get_state(&d)),
				 door_state_to_string(st->state));
		if (door_deadline(&d) != want_deadline)
			fail_msg("%s, step %zu: deadline T0%+lld, want T0%+lld", sc->name, i,
				 (long long)(door_deadline(&d) - T0),
				 (long long)(want_deadline - T0));
	}
	assert_int_equal(rec.bad_index, 0);
}

static void run_all(const struct scenario *scs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		run_scenario(&scs[i]);
}

#define RUN_ALL(t) run_all(t, sizeof(t) / sizeof(t[0]))

static const struct scenario grant_scenarios[] = {
    {"grant releases the lock and relocks at exactly now + strike",
     .steps =
	 {
	     {OP_GRANT, 0, "release", DOOR_UNLOCKED, STRIKE},
	     {OP_TICK, STRIKE - 1, "", DOOR_UNLOCKED, STRIKE},
	     {OP_TICK, STRIKE, "lock", DOOR_LOCKED, NO_TIMER},
	     {OP_TICK, STRIKE + 1, "", DOOR_LOCKED, NO_TIMER},
	 }},
    {"a late tick still relocks", .steps =
				      {
					  {OP_GRANT, 0, "release", DOOR_UNLOCKED, STRIKE},
					  {OP_TICK, STRIKE + 900, "lock", DOOR_LOCKED, NO_TIMER},
				      }},
    {"grant, open, close: door.opened, door.closed and an early relock",
     .steps =
	 {
	     {OP_GRANT, 0, "release", DOOR_UNLOCKED, STRIKE},
	     {OP_OPEN, 1000, "door.opened", DOOR_OPEN, STRIKE},
	     {OP_CLOSE, 2000, "door.closed lock", DOOR_LOCKED, NO_TIMER},
	     {OP_TICK, STRIKE, "", DOOR_LOCKED, NO_TIMER},
	 }},
    {"a second grant restarts the strike time",
     .steps =
	 {
	     {OP_GRANT, 0, "release", DOOR_UNLOCKED, STRIKE},
	     {OP_GRANT, 3000, "release", DOOR_UNLOCKED, 3000 + STRIKE},
	     {OP_TICK, STRIKE, "", DOOR_UNLOCKED, 3000 + STRIKE},
	     {OP_TICK, 3000 + STRIKE, "lock", DOOR_LOCKED, NO_TIMER},
	 }},
    {"relock while the door is still open, then close: no second lock move",
     .steps =
	 {
	     {OP_GRANT, 0, "release", DOOR_UNLOCKED, STRIKE},
	     {OP_OPEN, 1000, "door.opened", DOOR_OPEN, STRIKE},
	     {OP_TICK, STRIKE, "lock", DOOR_OPEN, 1000 + HELD},
	     {OP_CLOSE, 8000, "door.closed", DOOR_LOCKED, NO_TIMER},
	 }},
    {"the door opens after the strike time ran out: forced",
     .steps =
	 {
	     {OP_GRANT, 0, "release", DOOR_UNLOCKED, STRIKE},
	     {OP_TICK, STRIKE, "lock", DOOR_LOCKED, NO_TIMER},
	     {OP_OPEN, STRIKE + 1, "door.forced", DOOR_FORCED, STRIKE + 1 + HELD},
	 }},
    {"REX releases like a grant and the door opens without an alarm",
     .steps =
	 {
	     {OP_REX, 0, "release", DOOR_UNLOCKED, STRIKE},
	     {OP_OPEN, 500, "door.opened", DOOR_OPEN, STRIKE},
	     {OP_CLOSE, 1500, "door.closed lock", DOOR_LOCKED, NO_TIMER},
	 }},
    {"REX without opening relocks at the strike time",
     .steps =
	 {
	     {OP_REX, 0, "release", DOOR_UNLOCKED, STRIKE},
	     {OP_TICK, STRIKE - 1, "", DOOR_UNLOCKED, STRIKE},
	     {OP_TICK, STRIKE, "lock", DOOR_LOCKED, NO_TIMER},
	 }},
};

static const struct scenario alarm_scenarios[] = {
    {"open without a grant is forced; close returns to locked",
     .steps =
	 {
	     {OP_OPEN, 0, "door.forced", DOOR_FORCED, HELD},
	     {OP_CLOSE, 1000, "door.closed", DOOR_LOCKED, NO_TIMER},
	 }},
    {"a repeated contact level is not a second event",
     .steps =
	 {
	     {OP_OPEN, 0, "door.forced", DOOR_FORCED, HELD},
	     {OP_OPEN, 10, "", DOOR_FORCED, HELD},
	     {OP_CLOSE, 20, "door.closed", DOOR_LOCKED, NO_TIMER},
	     {OP_CLOSE, 30, "", DOOR_LOCKED, NO_TIMER},
	 }},
    {"open past the held time: door.held exactly at the deadline, cleared by close",
     .steps =
	 {
	     {OP_GRANT, 0, "release", DOOR_UNLOCKED, STRIKE},
	     {OP_OPEN, 1000, "door.opened", DOOR_OPEN, STRIKE},
	     {OP_TICK, STRIKE, "lock", DOOR_OPEN, 1000 + HELD},
	     {OP_TICK, 1000 + HELD - 1, "", DOOR_OPEN, 1000 + HELD},
	     {OP_TICK, 1000 + HELD, "door.held", DOOR_HELD, NO_TIMER},
	     {OP_TICK, 1000 + HELD + 1, "", DOOR_HELD, NO_TIMER},
	     {OP_CLOSE, 40000, "door.closed", DOOR_LOCKED, NO_TIMER},
	     {OP_TICK, 90000, "", DOOR_LOCKED, NO_TIMER},
	 }},
    {"closing before the held time cancels the held alarm",
     .steps =
	 {
	     {OP_REX, 0, "release", DOOR_UNLOCKED, STRIKE},
	     {OP_OPEN, 100, "door.opened", DOOR_OPEN, STRIKE},
	     {OP_TICK, STRIKE, "lock", DOOR_OPEN, 100 + HELD},
	     {OP_CLOSE, 100 + HELD - 1, "door.closed", DOOR_LOCKED, NO_TIMER},
	     {OP_TICK, 100 + HELD, "", DOOR_LOCKED, NO_TIMER},
	 }},
    {"a held door reopened after closing starts a fresh held time",
     .steps =
	 {
	     {OP_OPEN, 0, "door.forced", DOOR_FORCED, HELD},
	     {OP_CLOSE, 10, "door.closed", DOOR_LOCKED, NO_TIMER},
	     {OP_GRANT, 20, "release", DOOR_UNLOCKED, 20 + STRIKE},
	     {OP_OPEN, 30, "door.opened", DOOR_OPEN, 20 + STRIKE},
	     {OP_TICK, 20 + STRIKE, "lock", DOOR_OPEN, 30 + HELD},
	     {OP_TICK, 30 + HELD, "door.held", DOOR_HELD, NO_TIMER},
	 }},
    {"a forced door left open also raises door.held and stays forced",
     .steps =
	 {
	     {OP_OPEN, 0, "door.forced", DOOR_FORCED, HELD},
	     {OP_TICK, HELD, "door.held", DOOR_FORCED, NO_TIMER},
	     {OP_CLOSE, HELD + 1, "door.closed", DOOR_LOCKED, NO_TIMER},
	 }},
    {"relock and held due together: the lock moves first", .strike_ms = 3000, .held_ms = 2000,
     .steps =
	 {
	     {OP_GRANT, 0, "release", DOOR_UNLOCKED, 3000},
	     {OP_OPEN, 1000, "door.opened", DOOR_OPEN, 3000},
	     {OP_TICK, 3000, "lock door.held", DOOR_HELD, NO_TIMER},
	 }},
};

static const struct scenario timer_scenarios[] = {
    {"deadline is the relock when it comes before the held time",
     .steps =
	 {
	     {OP_GRANT, 0, "release", DOOR_UNLOCKED, STRIKE},
	     {OP_OPEN, 100, "door.opened", DOOR_OPEN, STRIKE},
	     {OP_TICK, STRIKE, "lock", DOOR_OPEN, 100 + HELD},
	 }},
    {"deadline is the held time when it comes before the relock", .strike_ms = 10000,
     .held_ms = 2000,
     .steps =
	 {
	     {OP_GRANT, 0, "release", DOOR_UNLOCKED, 10000},
	     {OP_OPEN, 100, "door.opened", DOOR_OPEN, 2100},
	     {OP_TICK, 2100, "door.held", DOOR_HELD, 10000},
	     {OP_TICK, 10000, "lock", DOOR_HELD, NO_TIMER},
	 }},
    {"initial contact open: no event, but the held timer runs",
     .steps =
	 {
	     {OP_INITIAL_OPEN, 0, "", DOOR_OPEN, HELD},
	     {OP_TICK, HELD - 1, "", DOOR_OPEN, HELD},
	     {OP_TICK, HELD, "door.held", DOOR_HELD, NO_TIMER},
	     {OP_CLOSE, HELD + 5, "door.closed", DOOR_LOCKED, NO_TIMER},
	 }},
    {"initial contact open then closed: door.closed, no alarm",
     .steps =
	 {
	     {OP_INITIAL_OPEN, 0, "", DOOR_OPEN, HELD},
	     {OP_CLOSE, 10, "door.closed", DOOR_LOCKED, NO_TIMER},
	     {OP_TICK, HELD, "", DOOR_LOCKED, NO_TIMER},
	 }},
    {"initial contact closed: nothing pending",
     .steps =
	 {
	     {OP_INITIAL_CLOSED, 0, "", DOOR_LOCKED, NO_TIMER},
	     {OP_OPEN, 10, "door.forced", DOOR_FORCED, 10 + HELD},
	 }},
    {"lock_now cancels a pending relock",
     .steps =
	 {
	     {OP_GRANT, 0, "release", DOOR_UNLOCKED, STRIKE},
	     {OP_LOCK_NOW, 100, "lock", DOOR_LOCKED, NO_TIMER},
	     {OP_TICK, STRIKE, "", DOOR_LOCKED, NO_TIMER},
	     {OP_OPEN, STRIKE + 1, "door.forced", DOOR_FORCED, STRIKE + 1 + HELD},
	 }},
    {"lock_now on an open door keeps its held timer",
     .steps =
	 {
	     {OP_GRANT, 0, "release", DOOR_UNLOCKED, STRIKE},
	     {OP_OPEN, 100, "door.opened", DOOR_OPEN, STRIKE},
	     {OP_LOCK_NOW, 200, "lock", DOOR_OPEN, 100 + HELD},
	     {OP_TICK, 100 + HELD, "door.held", DOOR_HELD, NO_TIMER},
	 }},
    {"lock_now on a locked door still drives the lock",
     .steps =
	 {
	     {OP_LOCK_NOW, 0, "lock", DOOR_LOCKED, NO_TIMER},
	 }},
};

static const struct scenario mode_scenarios[] = {
    {"unlocked mode releases the lock; grant, REX and closing do not relock it",
     .steps =
	 {
	     {OP_UNLOCKED_ON, 0, "release", DOOR_UNLOCKED, NO_TIMER},
	     {OP_GRANT, 100, "", DOOR_UNLOCKED, NO_TIMER},
	     {OP_OPEN, 200, "door.opened", DOOR_OPEN, 200 + HELD},
	     {OP_CLOSE, 300, "door.closed", DOOR_UNLOCKED, NO_TIMER},
	     {OP_REX, 400, "", DOOR_UNLOCKED, NO_TIMER},
	     {OP_TICK, 400 + STRIKE, "", DOOR_UNLOCKED, NO_TIMER},
	     {OP_OPEN, 90000, "door.opened", DOOR_OPEN, 90000 + HELD},
	 }},
    {"an unlocked door opened without a badge is not forced; held-open still alarms",
     .steps =
	 {
	     {OP_UNLOCKED_ON, 0, "release", DOOR_UNLOCKED, NO_TIMER},
	     {OP_OPEN, 10, "door.opened", DOOR_OPEN, 10 + HELD},
	     {OP_TICK, 10 + HELD, "door.held", DOOR_HELD, NO_TIMER},
	     {OP_CLOSE, 20 + HELD, "door.closed", DOOR_UNLOCKED, NO_TIMER},
	 }},
    {"ending the unlocked mode locks at once; the next opening is forced",
     .steps =
	 {
	     {OP_UNLOCKED_ON, 0, "release", DOOR_UNLOCKED, NO_TIMER},
	     {OP_UNLOCKED_OFF, 1000, "lock", DOOR_LOCKED, NO_TIMER},
	     {OP_OPEN, 2000, "door.forced", DOOR_FORCED, 2000 + HELD},
	 }},
    {"ending the unlocked mode while the door is open locks it, the held timer runs on",
     .steps =
	 {
	     {OP_UNLOCKED_ON, 0, "release", DOOR_UNLOCKED, NO_TIMER},
	     {OP_OPEN, 100, "door.opened", DOOR_OPEN, 100 + HELD},
	     {OP_UNLOCKED_OFF, 200, "lock", DOOR_OPEN, 100 + HELD},
	     {OP_CLOSE, 300, "door.closed", DOOR_LOCKED, NO_TIMER},
	 }},
    {"unlocked during a grant's strike time: no relock when it runs out",
     .steps =
	 {
	     {OP_GRANT, 0, "release", DOOR_UNLOCKED, STRIKE},
	     {OP_UNLOCKED_ON, 100, "", DOOR_UNLOCKED, NO_TIMER},
	     {OP_TICK, STRIKE, "", DOOR_UNLOCKED, NO_TIMER},
	     {OP_UNLOCKED_OFF, STRIKE + 1, "lock", DOOR_LOCKED, NO_TIMER},
	 }},
    {"setting the same mode again moves nothing",
     .steps =
	 {
	     {OP_UNLOCKED_OFF, 0, "", DOOR_LOCKED, NO_TIMER},
	     {OP_UNLOCKED_ON, 10, "release", DOOR_UNLOCKED, NO_TIMER},
	     {OP_UNLOCKED_ON, 20, "", DOOR_UNLOCKED, NO_TIMER},
	 }},
    {"lock_now ends the unlocked mode: the next grant relocks again",
     .steps =
	 {
	     {OP_UNLOCKED_ON, 0, "release", DOOR_UNLOCKED, NO_TIMER},
	     {OP_LOCK_NOW, 10, "lock", DOOR_LOCKED, NO_TIMER},
	     {OP_GRANT, 20, "release", DOOR_UNLOCKED, 20 + STRIKE},
	     {OP_TICK, 20 + STRIKE, "lock", DOOR_LOCKED, NO_TIMER},
	 }},
    {"a remote unlock releases for its own duration, not the strike time",
     .steps =
	 {
	     {OP_RELEASE_FOR, 0, "release", DOOR_UNLOCKED, REMOTE},
	     {OP_TICK, STRIKE, "", DOOR_UNLOCKED, REMOTE},
	     {OP_TICK, REMOTE, "lock", DOOR_LOCKED, NO_TIMER},
	 }},
    {"the opening after a remote unlock is authorized; closing relocks early",
     .steps =
	 {
	     {OP_RELEASE_FOR, 0, "release", DOOR_UNLOCKED, REMOTE},
	     {OP_OPEN, STRIKE + 1000, "door.opened", DOOR_OPEN, REMOTE},
	     {OP_CLOSE, STRIKE + 2000, "door.closed lock", DOOR_LOCKED, NO_TIMER},
	     {OP_TICK, REMOTE, "", DOOR_LOCKED, NO_TIMER},
	 }},
    {"a remote unlock on an unlocked door moves nothing and arms nothing",
     .steps =
	 {
	     {OP_UNLOCKED_ON, 0, "release", DOOR_UNLOCKED, NO_TIMER},
	     {OP_RELEASE_FOR, 10, "", DOOR_UNLOCKED, NO_TIMER},
	 }},
};

static void test_grant_and_rex_release_then_relock(void **state)
{
	(void)state;
	RUN_ALL(grant_scenarios);
}

static void test_forced_and_held_alarms(void **state)
{
	(void)state;
	RUN_ALL(alarm_scenarios);
}

static void test_timers_and_deadlines(void **state)
{
	(void)state;
	RUN_ALL(timer_scenarios);
}

static void test_unlocked_mode_and_remote_unlock(void **state)
{
	(void)state;
	RUN_ALL(mode_scenarios);
}

/* The effective mode: manual while in force (until excluded), else scheduled, else card. */
static void test_effective_mode_manual_schedule_default(void **state)
{
	const int64_t now = 1795786091123LL; /* 2026-11-28T13:28:11.123Z */
	static const struct {
		const char *name;
		bool manual;
		enum policy_door_mode manual_mode;
		int64_t until; /* relative to now; 0: until changed */
		bool scheduled;
		enum policy_door_mode scheduled_mode;
		enum policy_door_mode want;
		int64_t deadline; /* relative to now; INT64_MIN: none */
	} cases[] = {
	    {"nothing set: card", false, 0, 0, false, 0, POLICY_DOOR_CARD, INT64_MIN},
	    {"manual locked until changed", true, POLICY_DOOR_LOCKED, 0, false, 0,
	     POLICY_DOOR_LOCKED, INT64_MIN},
	    {"manual unlocked, until a second away", true, POLICY_DOOR_UNLOCKED, 1000, false, 0,
	     POLICY_DOOR_UNLOCKED, 1000},
	    {"manual, until 1 ms away is still in force", true, POLICY_DOOR_LOCKED, 1, false, 0,
	     POLICY_DOOR_LOCKED, 1},
	    {"manual, until past: card, expiry due now", true, POLICY_DOOR_UNLOCKED, -5000, false,
	     0, POLICY_DOOR_CARD, 0},
	    {"a schedule alone gives its mode", false, 0, 0, true, POLICY_DOOR_UNLOCKED,
	     POLICY_DOOR_UNLOCKED, INT64_MIN},
	    {"manual wins over the schedule", true, POLICY_DOOR_CARD_AND_PIN, 60000, true,
	     POLICY_DOOR_UNLOCKED, POLICY_DOOR_CARD_AND_PIN, 60000},
	    {"manual card wins over an unlocking schedule", true, POLICY_DOOR_CARD, 0, true,
	     POLICY_DOOR_UNLOCKED, POLICY_DOOR_CARD, INT64_MIN},
	    {"an expired manual mode gives way to the schedule", true, POLICY_DOOR_LOCKED, -1, true,
	     POLICY_DOOR_UNLOCKED, POLICY_DOOR_UNLOCKED, 0},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct door_mode_inputs in = {
		    .manual = cases[i].manual,
		    .manual_mode = cases[i].manual_mode,
		    .manual_until_ms = cases[i].until ? now + cases[i].until : 0,
		    .scheduled = cases[i].scheduled,
		    .scheduled_mode = cases[i].scheduled_mode,
		};
		int64_t want_deadline =
		    cases[i].deadline == INT64_MIN ? 0 : now + cases[i].deadline;

		if (door_mode_effective(&in, now) != cases[i].want)
			fail_msg("case '%s': mode %s, want %s", cases[i].name,
				 door_mode_to_string(door_mode_effective(&in, now)),
				 door_mode_to_string(cases[i].want));
		if (door_mode_deadline(&in, now) != want_deadline)
			fail_msg("case '%s': deadline now%+lld, want now%+lld", cases[i].name,
				 (long long)(door_mode_deadline(&in, now) - now),
				 (long long)(want_deadline - now));
	}
	/* The until instant itself is past: the mode it ended is no longer in force. */
	struct door_mode_inputs in = {true, POLICY_DOOR_LOCKED, now, false, 0};
	assert_false(door_mode_manual_in_force(&in, now));
	assert_true(door_mode_manual_in_force(&in, now - 1));
	assert_int_equal(door_mode_effective(&in, now), POLICY_DOOR_CARD);
}

static void test_mode_names_round_trip(void **state)
{
	static const char *const names[] = {"card", "card_and_pin", "unlocked", "locked"};
	static const char *const bad[] = {"", "Card", "card ", "unlock", "open", "card-and-pin"};
	enum policy_door_mode m;

	(void)state;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		assert_int_equal(door_mode_from_string(names[i], &m), 0);
		assert_string_equal(door_mode_to_string(m), names[i]);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(door_mode_from_string(bad[i], &m), -EINVAL);
	assert_int_equal(door_mode_from_string(NULL, &m), -EINVAL);
	assert_null(door_mode_to_string((enum policy_door_mode)9));
	assert_string_equal(door_mode_cause_to_string(DOOR_MODE_CAUSE_EXPIRED), "expired");
	assert_string_equal(door_mode_cause_to_string(DOOR_MODE_CAUSE_FIRST_PERSON),
			    "first_person");
	assert_null(door_mode_cause_to_string((enum door_mode_cause)9));
}

static void test_state_names(void **state)
{
	static const struct {
		enum door_state s;
		const char *name;
	} names[] = {
	    {DOOR_LOCKED, "locked"}, {DOOR_UNLOCKED, "unlocked"}, {DOOR_OPEN, "open"},
	    {DOOR_FORCED, "forced"}, {DOOR_HELD, "held"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		assert_string_equal(door_state_to_string(names[i].s), names[i].name);
	/* An impossible state reads as the safe one. */
	assert_string_equal(door_state_to_string((enum door_state)99), "locked");
}

/* A reload (door_set_timings): the next grant uses the new strike time. */
static void test_reload_timings_apply_to_the_next_grant(void **state)
{
	struct recorder rec = {0};
	struct door_hooks hooks = {.userdata = &rec, .set_lock = rec_set_lock, .emit = rec_emit};
	struct door d;

	(void)state;
	door_init(&d, DOOR_INDEX, STRIKE, HELD, &hooks);
	door_set_initial_contact(&d, false, T0);
	door_grant(&d, T0);
	assert_int_equal(door_deadline(&d), T0 + STRIKE);
	door_tick(&d, T0 + STRIKE);
	door_set_timings(&d, 7000, 45000);
	door_grant(&d, T0 + 10000);
	assert_int_equal(door_deadline(&d), T0 + 10000 + 7000);
	assert_int_equal(rec.bad_index, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_grant_and_rex_release_then_relock),
	    cmocka_unit_test(test_forced_and_held_alarms),
	    cmocka_unit_test(test_timers_and_deadlines),
	    cmocka_unit_test(test_unlocked_mode_and_remote_unlock),
	    cmocka_unit_test(test_effective_mode_manual_schedule_default),
	    cmocka_unit_test(test_mode_names_round_trip),
	    cmocka_unit_test(test_state_names),
	    cmocka_unit_test(test_reload_timings_apply_to_the_next_grant),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
