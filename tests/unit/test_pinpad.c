// SPDX-License-Identifier: MIT
/*
 * The readers' pinpad (controller/pinpad.c) under an injected monotonic
 * clock: a badge waits, keys collect its PIN, # hands it over for the
 * check; the wait runs out (by the clock or under a late key); a second
 * badge replaces the first; keys with nothing waiting are dropped and
 * counted per reader.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pinpad.h"

#define S	PIN_KEY_STAR
#define H	PIN_KEY_HASH
#define TIMEOUT 10000

static struct pin_attempt attempt(unsigned reader, const char *person)
{
	struct pin_attempt a = {.reader = reader};

	snprintf(a.person, sizeof(a.person), "%s", person);
	snprintf(a.credential, sizeof(a.credential), "h10301:12:%u", 1000 + reader);
	snprintf(a.hash, sizeof(a.hash), "$argon2id$hash-of-%s", person);
	snprintf(a.detail, sizeof(a.detail), "{\"direction\":\"in\"}");
	return a;
}

static struct pinpad *pad_new(void)
{
	struct pinpad *p = calloc(1, sizeof(*p));

	assert_non_null(p);
	return p;
}

static void test_pin_is_handed_over_on_hash(void **state)
{
	static const int keys[] = {9, S, 4, 7, 1, 1};
	struct pinpad *p = pad_new();
	struct pin_attempt a = attempt(2, "E1001"), out, replaced;
	char pin[PIN_DIGITS_MAX + 1] = "";

	assert_false(pinpad_badge(p, &a, 1000, TIMEOUT, &replaced));
	assert_true(a.id > 0);
	assert_int_equal(pinpad_deadline(p, 2), 1000 + TIMEOUT);
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		assert_int_equal(pinpad_key(p, 2, keys[i], 2000, &out, pin), PINPAD_MORE);
	assert_int_equal(pinpad_key(p, 2, H, 2000, &out, pin), PINPAD_CHECK);
	assert_string_equal(pin, "4711");
	/* The attempt as it was at the badge, and the reader idle again. */
	assert_int_equal(out.id, a.id);
	assert_string_equal(out.person, "E1001");
	assert_string_equal(out.hash, a.hash);
	assert_string_equal(out.detail, a.detail);
	assert_int_equal(pinpad_deadline(p, 2), 0);
	assert_int_equal(pinpad_keys_dropped(p, 2), 0);
	free(p);
}

/* Entries no PIN can be: a wrong PIN at once, no check needed. */
static void test_impossible_entries_are_wrong(void **state)
{
	static const struct {
		const char *name;
		int keys[10];
		size_t n;
	} cases[] = {
	    {"# after three digits", {1, 2, 3, H}, 4},
	    {"# alone", {H}, 1},
	    {"a ninth digit", {1, 2, 3, 4, 5, 6, 7, 8, 9}, 9},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pinpad *p = pad_new();
		struct pin_attempt a = attempt(0, "E1"), out, replaced;
		char pin[PIN_DIGITS_MAX + 1] = "";
		enum pinpad_action r = PINPAD_MORE;

		pinpad_badge(p, &a, 0, TIMEOUT, &replaced);
		for (size_t k = 0; k < cases[i].n; k++)
			r = pinpad_key(p, 0, cases[i].keys[k], 100, &out, pin);
		if (r != PINPAD_WRONG)
			fail_msg("%s: got %d", cases[i].name, r);
		assert_string_equal(out.person, "E1");
		assert_int_equal(pinpad_deadline(p, 0), 0);
		free(p);
	}
}

static void test_keys_with_nothing_waiting_are_counted(void **state)
{
	struct pinpad *p = pad_new();
	struct pin_attempt out;
	char pin[PIN_DIGITS_MAX + 1] = "";

	assert_int_equal(pinpad_key(p, 1, 4, 0, &out, pin), PINPAD_DROPPED);
	assert_int_equal(pinpad_key(p, 1, H, 0, &out, pin), PINPAD_DROPPED);
	assert_int_equal(pinpad_keys_dropped(p, 1), 2);
	assert_int_equal(pinpad_keys_dropped(p, 0), 0); /* per reader */
	assert_int_equal(pinpad_key(p, AEOGATE_READERS_MAX, 4, 0, &out, pin), PINPAD_DROPPED);
	free(p);
}

/* The wait runs out by the clock (its timer) or under a key typed too late. */
static void test_wait_runs_out(void **state)
{
	struct pinpad *p = pad_new();
	struct pin_attempt a = attempt(3, "E7"), out, replaced;
	char pin[PIN_DIGITS_MAX + 1] = "";

	pinpad_badge(p, &a, 5000, TIMEOUT, &replaced);
	assert_false(pinpad_expire(p, 3, 5000 + TIMEOUT - 1, false, &out));
	assert_int_equal(pinpad_key(p, 3, 1, 5000 + TIMEOUT - 1, &out, pin), PINPAD_MORE);
	assert_true(pinpad_expire(p, 3, 5000 + TIMEOUT, false, &out));
	assert_string_equal(out.person, "E7");
	assert_false(pinpad_expire(p, 3, 5000 + TIMEOUT, false, &out)); /* once */

	/* A key after the deadline, before the timer ran: the attempt ends, the key is dropped. */
	pinpad_badge(p, &a, 20000, TIMEOUT, &replaced);
	assert_int_equal(pinpad_key(p, 3, 1, 20000 + TIMEOUT, &out, pin), PINPAD_TIMEOUT);
	assert_string_equal(out.person, "E7");
	assert_int_equal(pinpad_keys_dropped(p, 3), 1);
	assert_int_equal(pinpad_key(p, 3, H, 20000 + TIMEOUT, &out, pin), PINPAD_DROPPED);

	/* At stop every waiting attempt ends, whatever the time. */
	pinpad_badge(p, &a, 40000, TIMEOUT, &replaced);
	assert_true(pinpad_expire(p, 3, 40000, true, &out));
	assert_int_equal(pinpad_deadline(p, 3), 0);
	free(p);
}

/* A second badge on the reader replaces the first, which is handed back to be denied. */
static void test_second_badge_replaces_the_first(void **state)
{
	struct pinpad *p = pad_new();
	struct pin_attempt first = attempt(0, "E1"), second = attempt(0, "E2"),
			   other = attempt(1, "E3");
	struct pin_attempt out, replaced;
	char pin[PIN_DIGITS_MAX + 1] = "";

	assert_false(pinpad_badge(p, &first, 0, TIMEOUT, &replaced));
	pinpad_key(p, 0, 1, 10, &out, pin);
	pinpad_key(p, 0, 2, 10, &out, pin);
	/* Another reader's badge is no concern of this one. */
	assert_false(pinpad_badge(p, &other, 20, TIMEOUT, &replaced));
	assert_true(pinpad_badge(p, &second, 30, TIMEOUT, &replaced));
	assert_string_equal(replaced.person, "E1");
	assert_int_equal(replaced.id, first.id);
	assert_true(second.id > first.id);
	/* The new wait starts afresh: the first one's digits are gone. */
	assert_int_equal(pinpad_deadline(p, 0), 30 + TIMEOUT);
	for (int k = 4; k <= 7; k++)
		pinpad_key(p, 0, k, 40, &out, pin);
	assert_int_equal(pinpad_key(p, 0, H, 40, &out, pin), PINPAD_CHECK);
	assert_string_equal(pin, "4567");
	assert_string_equal(out.person, "E2");
	assert_int_equal(pinpad_deadline(p, 1), 20 + TIMEOUT);
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pin_is_handed_over_on_hash),
	    cmocka_unit_test(test_impossible_entries_are_wrong),
	    cmocka_unit_test(test_keys_with_nothing_waiting_are_counted),
	    cmocka_unit_test(test_wait_runs_out),
	    cmocka_unit_test(test_second_badge_replaces_the_first),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
