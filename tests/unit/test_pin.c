// SPDX-License-Identifier: MIT
/*
 * Card + PIN (controller/policy/pin.c): PIN text rules, the salted slow
 * hash, the duress digit wrap, the keypad entry under an injected clock,
 * the rule at the badge and the count of wrong PINs that locks, as tables
 * of inputs and what each must answer.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "pin.h"

static void test_pin_text_rules(void **state)
{
	static const char *const ok[] = {"0000", "1234", "12345678", "00000001"};
	static const char *const bad[] = {"",	   "123",      "123456789", "12a4",
					  "12 34", "１２３４", "-1234",	    "1234\n"};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (!pin_is_valid(ok[i]))
			fail_msg("'%s' refused", ok[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (pin_is_valid(bad[i]))
			fail_msg("'%s' accepted", bad[i]);
	assert_false(pin_is_valid(NULL));
}

static void test_hash_is_salted_and_checks(void **state)
{
	char a[PIN_HASH_MAX + 1], b[PIN_HASH_MAX + 1];

	assert_int_equal(pin_hash("4711", a), 0);
	assert_int_equal(pin_hash("4711", b), 0);
	assert_string_not_equal(a, b); /* a fresh salt each time */
	assert_null(strstr(a, "4711"));
	assert_int_equal(pin_hash_check(a, "4711"), 1);
	assert_int_equal(pin_hash_check(b, "4711"), 1);
	assert_int_equal(pin_hash_check(a, "4712"), 0);
	assert_int_equal(pin_hash_check(a, "471"), 0);
	assert_int_equal(pin_hash_check(a, ""), 0);
	assert_int_equal(pin_hash_check("plain", "4711"), -EINVAL);
	assert_int_equal(pin_hash("47", a), -EINVAL);
}

static void test_duress_digit_wraps(void **state)
{
	static const struct {
		const char *pin, *duress;
	} cases[] = {
	    {"1234", "1235"},
	    {"1239", "1230"},
	    {"0000", "0001"},
	    {"99999999", "99999990"},
	};
	char out[PIN_DIGITS_MAX + 1];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(pin_duress_of(cases[i].pin, out, sizeof(out)), 0);
		assert_string_equal(out, cases[i].duress);
	}
	assert_int_equal(pin_duress_of("12", out, sizeof(out)), -EINVAL);
	assert_int_equal(pin_duress_of("1234", out, 4), -ENOSPC);
}

#define S PIN_KEY_STAR
#define H PIN_KEY_HASH

static void test_keypad_entry(void **state)
{
	static const struct {
		const char *name;
		int keys[12];
		size_t n;
		enum pin_entry_result last;
		const char *pin; /* on DONE */
	} cases[] = {
	    {"four digits and #", {1, 2, 3, 4, H}, 5, PIN_ENTRY_DONE, "1234"},
	    {"eight digits and #", {8, 7, 6, 5, 4, 3, 2, 1, H}, 9, PIN_ENTRY_DONE, "87654321"},
	    {"* clears what was typed", {9, 9, S, 1, 2, 3, 4, H}, 8, PIN_ENTRY_DONE, "1234"},
	    {"# after three digits is a wrong PIN", {1, 2, 3, H}, 4, PIN_ENTRY_INVALID, NULL},
	    {"# alone is a wrong PIN", {H}, 1, PIN_ENTRY_INVALID, NULL},
	    {"a ninth digit is a wrong PIN",
	     {1, 2, 3, 4, 5, 6, 7, 8, 9},
	     9,
	     PIN_ENTRY_INVALID,
	     NULL},
	    {"digits wait for more", {1, 2, 3, 4}, 4, PIN_ENTRY_MORE, NULL},
	    {"keys a keypad never sends are ignored",
	     {1, 2, 12, -1, 3, 4, H},
	     7,
	     PIN_ENTRY_DONE,
	     "1234"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pin_entry e;
		enum pin_entry_result r = PIN_ENTRY_IDLE;

		pin_entry_start(&e, 1000, 10000);
		for (size_t k = 0; k < cases[i].n; k++)
			r = pin_entry_key(&e, cases[i].keys[k]);
		if (r != cases[i].last)
			fail_msg("%s: got %d, want %d", cases[i].name, r, cases[i].last);
		if (cases[i].pin)
			assert_string_equal(pin_entry_text(&e), cases[i].pin);
	}
}

static void test_entry_times_out_and_idles(void **state)
{
	struct pin_entry e = {0};

	assert_int_equal(pin_entry_key(&e, 1), PIN_ENTRY_IDLE); /* no badge pending */
	assert_false(pin_entry_expired(&e, 1 << 30));
	pin_entry_start(&e, 5000, 10000);
	assert_false(pin_entry_expired(&e, 14999));
	assert_true(pin_entry_expired(&e, 15000));
	pin_entry_key(&e, 4);
	pin_entry_clear(&e);
	assert_false(e.active);
	assert_int_equal(e.digits[0], 0); /* wiped */
	assert_int_equal(pin_entry_key(&e, 1), PIN_ENTRY_IDLE);
}

/* The badge on a card_and_pin door: what the person's PIN state makes of it. */
static void test_badge_meets_the_pin_state(void **state)
{
	static const struct {
		struct pin_state st;
		enum reason want;
	} cases[] = {
	    {{.enrolled = false}, REASON_PIN_REQUIRED},
	    {{.enrolled = true}, REASON_NONE},
	    {{.enrolled = true, .wrong = 4}, REASON_NONE},
	    {{.enrolled = true, .wrong = 5, .locked = true}, REASON_PIN_LOCKED},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (pin_rule_badge(&cases[i].st) != cases[i].want)
			fail_msg("case %zu: got %s", i,
				 reason_to_string(pin_rule_badge(&cases[i].st)));
	assert_int_equal(pin_rule_badge(NULL), REASON_PIN_REQUIRED);
}

#define W PIN_CHECK_WRONG
#define K PIN_CHECK_OK
#define D PIN_CHECK_DURESS

/*
 * Attempts in a row against pin_attempts = 3: what each answers and the
 * state it leaves. The attempt that reaches the limit is still wrong_pin
 * and locks; a correct (or duress) PIN sets the count back, never a lock.
 */
static void test_wrong_pins_lock_and_a_correct_one_resets(void **state)
{
	static const struct {
		const char *name;
		enum pin_check checks[6];
		size_t n;
		struct pin_state start;
		enum reason last;
		unsigned wrong;
		bool locked;
	} cases[] = {
	    {"one wrong", {W}, 1, {true, 0, false}, REASON_WRONG_PIN, 1, false},
	    {"two wrong, not yet locked", {W, W}, 2, {true, 0, false}, REASON_WRONG_PIN, 2, false},
	    {"the third wrong is wrong_pin and locks",
	     {W, W, W},
	     3,
	     {true, 0, false},
	     REASON_WRONG_PIN,
	     3,
	     true},
	    {"a correct PIN sets the count back",
	     {W, W, K},
	     3,
	     {true, 0, false},
	     REASON_NONE,
	     0,
	     false},
	    {"so the limit counts in a row",
	     {W, W, K, W, W},
	     5,
	     {true, 0, false},
	     REASON_WRONG_PIN,
	     2,
	     false},
	    {"a duress PIN sets it back as the PIN does",
	     {W, W, D},
	     3,
	     {true, 0, false},
	     REASON_NONE,
	     0,
	     false},
	    {"a lock stays after a correct PIN", {K}, 1, {true, 3, true}, REASON_NONE, 0, true},
	    {"wrong PINs after the lock still count",
	     {W},
	     1,
	     {true, 3, true},
	     REASON_WRONG_PIN,
	     4,
	     true},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pin_state st = cases[i].start;
		enum reason r = REASON_INTERNAL_ERROR;

		for (size_t k = 0; k < cases[i].n; k++)
			r = pin_rule_attempt(&st, cases[i].checks[k], 3);
		if (r != cases[i].last || st.wrong != cases[i].wrong ||
		    st.locked != cases[i].locked)
			fail_msg("%s: got %s, wrong %u, locked %d", cases[i].name,
				 reason_to_string(r), st.wrong, st.locked);
	}
}

/* Anything but a match is wrong: a value outside the enum fails closed. */
static void test_unknown_check_is_a_wrong_pin(void **state)
{
	struct pin_state st = {.enrolled = true};

	assert_int_equal(pin_rule_attempt(&st, (enum pin_check)42, 5), REASON_WRONG_PIN);
	assert_int_equal(st.wrong, 1);
}

/* The check the worker runs: correct, duress (last digit + 1, 9 wrapping to 0), wrong. */
static void test_check_tells_correct_duress_and_wrong(void **state)
{
	static const struct {
		const char *pin, *entered;
		bool duress;
		int want;
	} cases[] = {
	    {"4711", "4711", true, PIN_CHECK_OK},
	    {"4711", "4712", true, PIN_CHECK_DURESS},
	    {"4711", "4712", false, PIN_CHECK_WRONG}, /* duress = none */
	    {"4711", "4710", true, PIN_CHECK_WRONG},  /* one lower is no duress PIN */
	    {"4719", "4710", true, PIN_CHECK_DURESS}, /* 9 wraps to 0 */
	    {"4710", "4719", true, PIN_CHECK_WRONG},
	    {"12345678", "12345679", true, PIN_CHECK_DURESS},
	    {"4711", "0000", true, PIN_CHECK_WRONG},
	    {"4711", "47111", true, PIN_CHECK_WRONG},
	};
	char hash[PIN_HASH_MAX + 1] = "", last[PIN_DIGITS_MAX + 1] = "";

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int got;

		if (strcmp(last, cases[i].pin)) {
			assert_int_equal(pin_hash(cases[i].pin, hash), 0);
			snprintf(last, sizeof(last), "%s", cases[i].pin);
		}
		got = pin_check(hash, cases[i].entered, cases[i].duress);
		if (got != cases[i].want)
			fail_msg("PIN %s, entered %s, duress %d: got %d, want %d", cases[i].pin,
				 cases[i].entered, cases[i].duress, got, cases[i].want);
	}
	assert_int_equal(pin_check("not a hash", "4711", true), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pin_text_rules),
	    cmocka_unit_test(test_hash_is_salted_and_checks),
	    cmocka_unit_test(test_duress_digit_wraps),
	    cmocka_unit_test(test_keypad_entry),
	    cmocka_unit_test(test_entry_times_out_and_idles),
	    cmocka_unit_test(test_badge_meets_the_pin_state),
	    cmocka_unit_test(test_wrong_pins_lock_and_a_correct_one_resets),
	    cmocka_unit_test(test_unknown_check_is_a_wrong_pin),
	    cmocka_unit_test(test_check_tells_correct_duress_and_wrong),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
