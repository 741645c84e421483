// SPDX-License-Identifier: MIT
/*
 * The waits for another person (controller/policy/two_person.c) under an
 * injected monotonic clock, as scenario tables: each step is a badge (or
 * a tick of the clock) at a door and what the module must answer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "two_person.h"

enum step_kind { BADGE, TICK };

struct step {
	enum step_kind kind;
	unsigned door;
	const char *person; /* BADGE: who; TICK: the person expected to time out, or NULL */
	bool visitor;
	int64_t now;
	enum two_person_action want;	/* BADGE */
	enum two_person_await awaiting; /* BADGE on WAIT; TICK: the expired one's */
	const char *other;		/* COMPLETE: the one completed; WAIT: the one replaced */
};

struct scenario {
	const char *name;
	struct two_person_rules rules;
	struct step steps[8];
};

#define TP                                                                                         \
	{                                                                                          \
		.two_person = true, .two_person_window_ms = 10000, .escort_window_ms = 30000       \
	}
#define ESC                                                                                        \
	{                                                                                          \
		.escort = true, .two_person_window_ms = 10000, .escort_window_ms = 30000           \
	}
#define BOTH                                                                                       \
	{                                                                                          \
		.two_person = true, .escort = true, .two_person_window_ms = 10000,                 \
		.escort_window_ms = 30000                                                          \
	}
#define OFF                                                                                        \
	{                                                                                          \
		.two_person_window_ms = 10000, .escort_window_ms = 30000                           \
	}

static const struct scenario scenarios[] = {
    {"a second person inside the window completes the first",
     TP,
     {{BADGE, 0, "E1", false, 1000, TWO_PERSON_WAIT, TWO_PERSON_SECOND, NULL},
      {BADGE, 0, "E2", false, 10999, TWO_PERSON_COMPLETE, TWO_PERSON_NONE, "E1"},
      /* The door is idle again: the next badge is a first one. */
      {BADGE, 0, "E3", false, 11000, TWO_PERSON_WAIT, TWO_PERSON_SECOND, NULL}}},
    {"a lone badge runs out at its deadline, not before",
     TP,
     {{BADGE, 0, "E1", false, 1000, TWO_PERSON_WAIT, TWO_PERSON_SECOND, NULL},
      {TICK, 0, NULL, false, 10999, 0, TWO_PERSON_NONE, NULL},
      {TICK, 0, "E1", false, 11000, 0, TWO_PERSON_SECOND, NULL},
      {TICK, 0, NULL, false, 12000, 0, TWO_PERSON_NONE, NULL}}},
    {"a second badge after the window is a first again, the stale one replaced",
     TP,
     {{BADGE, 0, "E1", false, 1000, TWO_PERSON_WAIT, TWO_PERSON_SECOND, NULL},
      {BADGE, 0, "E2", false, 11000, TWO_PERSON_WAIT, TWO_PERSON_SECOND, "E1"}}},
    {"the same person twice is not a second person",
     TP,
     {{BADGE, 0, "E1", false, 1000, TWO_PERSON_WAIT, TWO_PERSON_SECOND, NULL},
      {BADGE, 0, "E1", false, 2000, TWO_PERSON_WAIT, TWO_PERSON_SECOND, "E1"},
      {TICK, 0, NULL, false, 11999, 0, TWO_PERSON_NONE, NULL},
      {TICK, 0, "E1", false, 12000, 0, TWO_PERSON_SECOND, NULL}}},
    {"each door waits on its own",
     TP,
     {{BADGE, 0, "E1", false, 1000, TWO_PERSON_WAIT, TWO_PERSON_SECOND, NULL},
      {BADGE, 1, "E2", false, 2000, TWO_PERSON_WAIT, TWO_PERSON_SECOND, NULL},
      {BADGE, 1, "E1", false, 3000, TWO_PERSON_COMPLETE, TWO_PERSON_NONE, "E2"},
      {BADGE, 0, "E3", false, 4000, TWO_PERSON_COMPLETE, TWO_PERSON_NONE, "E1"}}},
    {"a zone without rules waits for no one",
     OFF,
     {{BADGE, 0, "E1", false, 1000, TWO_PERSON_PASS, TWO_PERSON_NONE, NULL},
      {BADGE, 0, "V1", true, 1000, TWO_PERSON_PASS, TWO_PERSON_NONE, NULL},
      {TICK, 0, NULL, false, 99000, 0, TWO_PERSON_NONE, NULL}}},
    {"a visitor waits for an employee in an escort zone",
     ESC,
     {{BADGE, 0, "V1", true, 1000, TWO_PERSON_WAIT, TWO_PERSON_ESCORT, NULL},
      {BADGE, 0, "E1", false, 30999, TWO_PERSON_COMPLETE, TWO_PERSON_NONE, "V1"}}},
    {"an employee alone passes an escort zone",
     ESC,
     {{BADGE, 0, "E1", false, 1000, TWO_PERSON_PASS, TWO_PERSON_NONE, NULL}}},
    {"a visitor is no escort: the second visitor takes the wait over",
     ESC,
     {{BADGE, 0, "V1", true, 1000, TWO_PERSON_WAIT, TWO_PERSON_ESCORT, NULL},
      {BADGE, 0, "V2", true, 2000, TWO_PERSON_WAIT, TWO_PERSON_ESCORT, "V1"},
      {TICK, 0, "V2", false, 32000, 0, TWO_PERSON_ESCORT, NULL}}},
    {"an unescorted visitor runs out after the escort window",
     ESC,
     {{BADGE, 0, "V1", true, 1000, TWO_PERSON_WAIT, TWO_PERSON_ESCORT, NULL},
      {TICK, 0, NULL, false, 30999, 0, TWO_PERSON_NONE, NULL},
      {TICK, 0, "V1", false, 31000, 0, TWO_PERSON_ESCORT, NULL}}},
    {"with both rules an employee waiting escorts a visitor",
     BOTH,
     {{BADGE, 0, "E1", false, 1000, TWO_PERSON_WAIT, TWO_PERSON_SECOND, NULL},
      {BADGE, 0, "V1", true, 2000, TWO_PERSON_COMPLETE, TWO_PERSON_NONE, "E1"}}},
    {"in a two-person zone without escort two visitors are two persons",
     TP,
     {{BADGE, 0, "V1", true, 1000, TWO_PERSON_WAIT, TWO_PERSON_SECOND, NULL},
      {BADGE, 0, "V2", true, 2000, TWO_PERSON_COMPLETE, TWO_PERSON_NONE, "V1"}}},
};

static void run_scenario(const struct scenario *sc)
{
	struct two_person *t = calloc(1, sizeof(*t));
	uint64_t last_id = 0;

	assert_non_null(t);
	for (size_t i = 0; i < sizeof(sc->steps) / sizeof(sc->steps[0]); i++) {
		const struct step *st = &sc->steps[i];
		struct two_person_attempt a = {.reader = st->door}, other;
		bool replaced = true;

		if (st->kind == BADGE && !st->person)
			break;
		print_message("%s, step %zu\n", sc->name, i);
		if (st->kind == TICK) {
			bool ended = two_person_expire(t, st->door, st->now, false, &other);

			assert_int_equal(ended, st->person != NULL);
			if (ended) {
				assert_string_equal(other.person, st->person);
				assert_int_equal(other.awaiting, st->awaiting);
				assert_int_equal(two_person_deadline(t, st->door), 0);
			}
			continue;
		}
		snprintf(a.person, sizeof(a.person), "%s", st->person);
		a.visitor = st->visitor;
		assert_int_equal(
		    two_person_badge(t, st->door, &a, &sc->rules, st->now, &other, &replaced),
		    st->want);
		switch (st->want) {
		case TWO_PERSON_PASS:
			assert_false(replaced);
			assert_int_equal(a.awaiting, TWO_PERSON_NONE);
			break;
		case TWO_PERSON_WAIT:
			assert_int_equal(a.awaiting, st->awaiting);
			assert_true(a.id > last_id);
			last_id = a.id;
			assert_int_equal(two_person_deadline(t, st->door),
					 st->now + (st->awaiting == TWO_PERSON_ESCORT
							? sc->rules.escort_window_ms
							: sc->rules.two_person_window_ms));
			assert_int_equal(replaced, st->other != NULL);
			if (st->other)
				assert_string_equal(other.person, st->other);
			break;
		case TWO_PERSON_COMPLETE:
			assert_false(replaced);
			assert_string_equal(other.person, st->other);
			assert_int_equal(two_person_deadline(t, st->door), 0);
			break;
		}
	}
	free(t);
}

static void test_scenarios(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++)
		run_scenario(&scenarios[i]);
}

/* At a stop every wait ends at once, whatever its deadline, with its own reason. */
static void test_forced_expiry_and_reasons(void **state)
{
	static const struct two_person_rules rules = BOTH;
	struct two_person *t = calloc(1, sizeof(*t));
	struct two_person_attempt e = {.reader = 0}, v = {.reader = 1, .visitor = true}, out;
	bool replaced;

	(void)state;
	assert_non_null(t);
	strcpy(e.person, "E1");
	strcpy(v.person, "V1");
	assert_int_equal(two_person_badge(t, 0, &e, &rules, 0, &out, &replaced), TWO_PERSON_WAIT);
	assert_int_equal(two_person_badge(t, 1, &v, &rules, 0, &out, &replaced), TWO_PERSON_WAIT);
	assert_false(two_person_expire(t, 0, 1, false, &out));
	assert_true(two_person_expire(t, 0, 1, true, &out));
	assert_int_equal(two_person_reason(out.awaiting), REASON_TWO_PERSON_TIMEOUT);
	assert_string_equal(two_person_await_name(out.awaiting), "second_person");
	assert_true(two_person_expire(t, 1, 1, true, &out));
	assert_int_equal(two_person_reason(out.awaiting), REASON_ESCORT_REQUIRED);
	assert_string_equal(two_person_await_name(out.awaiting), "escort");
	assert_false(two_person_expire(t, 1, 1, true, &out));
	assert_null(two_person_await_name(TWO_PERSON_NONE));
	/* A door beyond the table waits for no one and never crashes. */
	assert_int_equal(two_person_badge(t, AEOGATE_DOORS_MAX, &e, &rules, 0, &out, &replaced),
			 TWO_PERSON_PASS);
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_scenarios),
	    cmocka_unit_test(test_forced_expiry_and_reasons),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
