// SPDX-License-Identifier: MIT
/*
 * The small pure helpers (controller/lib/util.c): time text, identifiers
 * and display text. Every bound is hit from both sides.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "aeogate/limits.h"
#include "util.h"

static void test_time_parse_accepts_the_three_forms(void **state)
{
	static const struct {
		const char *text;
		int64_t ms;
	} ok[] = {
	    {"2026-11-28T13:28:11.123Z", 1795872491123LL},
	    {"2026-11-28T13:28:11Z", 1795872491000LL},
	    {"2026-11-28", 1795824000000LL},
	    {"1970-01-01", 0},
	    {"1970-01-01T00:00:00.001Z", 1},
	    {"2026-11-28T23:59:59.999Z", 1795910399999LL},
	    {"2028-02-29", 1835395200000LL},
	    {"2000-02-29T12:00:00Z", 951825600000LL},
	    {"2026-12-31T23:59:59Z", 1798761599000LL},
	    {"9999-12-31T23:59:59.999Z", 253402300799999LL},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		int64_t ms = -42;

		if (time_parse_ms(ok[i].text, &ms) != 0)
			fail_msg("'%s' refused", ok[i].text);
		if (ms != ok[i].ms)
			fail_msg("'%s' = %lld, want %lld", ok[i].text, (long long)ms,
				 (long long)ok[i].ms);
	}
}

static void test_time_parse_rejects_impossible_and_malformed_times(void **state)
{
	static const char *const bad[] = {
	    "2026-02-30",
	    "2026-02-29",
	    "2027-02-29",
	    "2100-02-29",
	    "2026-04-31",
	    "2026-13-01",
	    "2026-00-10",
	    "2026-11-00",
	    "2026-11-32",
	    "2026-11-28T24:00:00Z",
	    "2026-11-28T23:60:00Z",
	    "2026-11-28T23:59:60Z",
	    "2026-11-28T13:28:11",
	    "2026-11-28T13:28:11.123",
	    "2026-11-28T13:28:11+00:00",
	    "2026-11-28T13:28:11Zjunk",
	    "2026-11-28T13:28:11.123Z ",
	    "2026-11-28 ",
	    "2026-11-28x",
	    "2026-11-28T",
	    "2026-11-28T13:28Z",
	    "2026-11-28T13:28:11.12Z",
	    "2026-11-28T13:28:11.1234Z",
	    "2026-11-28t13:28:11z",
	    "2026-11-28 13:28:11Z",
	    "2026-1-28",
	    "26-11-28",
	    "+2026-11-28",
	    " 2026-11-28",
	    "2026/11/28",
	    "",
	    "1969-12-31",
	    "1969-12-31T23:59:59.999Z",
	    "0000-01-01",
	};
	int64_t ms;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ms = -42;
		if (time_parse_ms(bad[i], &ms) != -EINVAL)
			fail_msg("'%s' accepted", bad[i]);
		/* ret_* is written only on success. */
		assert_int_equal(ms, -42);
	}
	assert_int_equal(time_parse_ms(NULL, &ms), -EINVAL);
}

static void test_time_format_writes_utc_with_milliseconds(void **state)
{
	static const struct {
		int64_t ms;
		const char *text;
	} cases[] = {
	    {0, "1970-01-01T00:00:00.000Z"},
	    {1, "1970-01-01T00:00:00.001Z"},
	    {999, "1970-01-01T00:00:00.999Z"},
	    {1000, "1970-01-01T00:00:01.000Z"},
	    {1795872491123LL, "2026-11-28T13:28:11.123Z"},
	    {1835395200000LL, "2028-02-29T00:00:00.000Z"},
	    {253402300799999LL, "9999-12-31T23:59:59.999Z"},
	    {-1, "1969-12-31T23:59:59.999Z"},
	};
	char buf[32];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		time_format_ms(cases[i].ms, buf, sizeof(buf));
		assert_string_equal(buf, cases[i].text);
	}
	/* The header promises 25 bytes are enough. */
	memset(buf, 'x', sizeof(buf));
	time_format_ms(1795872491123LL, buf, 25);
	assert_string_equal(buf, "2026-11-28T13:28:11.123Z");
}

static void test_time_format_and_parse_round_trip(void **state)
{
	static const int64_t values[] = {
	    0,
	    1,
	    59999,
	    86399999,
	    951825599999LL,
	    1795872491123LL,
	    1835481599999LL,
	    4102444800000LL,
	};
	char buf[32];

	(void)state;
	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		int64_t back = -1;

		time_format_ms(values[i], buf, sizeof(buf));
		if (time_parse_ms(buf, &back) != 0 || back != values[i])
			fail_msg("%lld -> '%s' -> %lld", (long long)values[i], buf,
				 (long long)back);
	}
}

/* Durations, as the config's times and door unlock --for take them: table, both sides of the bound.
 */
static void test_duration_parse_units_and_bound(void **state)
{
	static const struct {
		const char *text;
		int want;    /* 0, -EINVAL or -ERANGE */
		uint64_t ms; /* when 0 */
	} cases[] = {
	    {"5", 0, 5000},	 {"5s", 0, 5000},      {"500ms", 0, 500},
	    {"2m", 0, 120000},	 {"0", 0, 0},	       {"600s", 0, 600000},
	    {"10m", 0, 600000},	 {"601s", -ERANGE, 0}, {"11m", -ERANGE, 0},
	    {"", -EINVAL, 0},	 {"s", -EINVAL, 0},    {"-5s", -EINVAL, 0},
	    {" 5s", -EINVAL, 0}, {"5 s", -EINVAL, 0},  {"5h", -EINVAL, 0},
	    {"5S", -EINVAL, 0},	 {"1.5s", -EINVAL, 0}, {"99999999999999999999999", -EINVAL, 0},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t ms = 12345;
		int r = duration_parse_ms(cases[i].text, 600000, &ms);

		if (r != cases[i].want)
			fail_msg("'%s': got %d, want %d", cases[i].text, r, cases[i].want);
		if (r == 0 && ms != cases[i].ms)
			fail_msg("'%s': %llu ms, want %llu", cases[i].text, (unsigned long long)ms,
				 (unsigned long long)cases[i].ms);
		if (r < 0 && ms != 12345)
			fail_msg("'%s': wrote a value on failure", cases[i].text);
	}
	assert_int_equal(duration_parse_ms(NULL, 1000, &(uint64_t){0}), -EINVAL);
}

static void test_id_is_valid_at_its_bounds(void **state)
{
	char id[AEOGATE_ID_MAX + 2];

	(void)state;
	memset(id, 'a', sizeof(id));
	id[AEOGATE_ID_MAX] = '\0';
	assert_true(id_is_valid(id));
	id[AEOGATE_ID_MAX] = 'a';
	id[AEOGATE_ID_MAX + 1] = '\0';
	assert_false(id_is_valid(id));

	assert_true(id_is_valid("a"));
	assert_true(id_is_valid("E1042"));
	assert_true(id_is_valid("bonded-cage_2.north"));
	assert_true(id_is_valid("AZaz09._-"));
	assert_false(id_is_valid(NULL));
	assert_false(id_is_valid(""));
	assert_false(id_is_valid("dock 1"));
	assert_false(id_is_valid("dock/1"));
	assert_false(id_is_valid("dock:1"));
	assert_false(id_is_valid("dock\t1"));
	assert_false(id_is_valid("dock\n"));
	assert_false(id_is_valid("K\xc3\xbchlhaus")); /* "Kühlhaus": letters, but not ASCII */
	assert_false(id_is_valid("\xef\xbc\xa1"));    /* FULLWIDTH LATIN CAPITAL LETTER A */
}

static void test_text_is_valid_utf8_without_controls(void **state)
{
	static const char *const ok[] = {
	    "Zo\xc3\xab Smith",			/* 2-byte */
	    "\xe2\x82\xac 5",			/* euro sign, 3-byte */
	    "\xf0\x9f\x9a\x9a",			/* U+1F69A, 4-byte */
	    "\xf4\x8f\xbf\xbf",			/* U+10FFFF, the last code point */
	    "\xc2\xa0",				/* U+00A0, smallest 2-byte */
	    "\xe0\xa0\x80",			/* U+0800, smallest 3-byte */
	    "\xed\x9f\xbf",			/* U+D7FF, just below the surrogates */
	    "\xf0\x90\x80\x80",			/* U+10000, smallest 4-byte */
	    "O'Brien \"Bob\" <b@x>; a,b /\\ ~", /* printable ASCII */
	};
	static const char *const bad[] = {
	    "",
	    "a\tb",
	    "a\nb",
	    "a\rb",
	    "\x1b[31mred",
	    "del\x7f",
	    "\x80",		/* a lone continuation byte */
	    "\xc3",		/* truncated 2-byte */
	    "\xe2\x82",		/* truncated 3-byte */
	    "\xc3\x28",		/* bad continuation */
	    "\xc0\x80",		/* overlong NUL */
	    "\xc1\xbf",		/* overlong 2-byte */
	    "\xe0\x80\x80",	/* overlong 3-byte */
	    "\xe0\x9f\xbf",	/* overlong 3-byte, largest */
	    "\xed\xa0\x80",	/* U+D800, a surrogate */
	    "\xed\xbf\xbf",	/* U+DFFF, a surrogate */
	    "\xf0\x80\x80\x80", /* overlong 4-byte */
	    "\xf0\x8f\xbf\xbf", /* overlong 4-byte, largest */
	    "\xf4\x90\x80\x80", /* U+110000, past Unicode */
	    "\xf5\x80\x80\x80",
	    "\xfe",
	    "\xff",
	};
	char text[AEOGATE_TEXT_MAX + 2];

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (!text_is_valid(ok[i]))
			fail_msg("ok[%zu] refused", i);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (text_is_valid(bad[i]))
			fail_msg("bad[%zu] accepted", i);
	assert_false(text_is_valid(NULL));

	memset(text, 'a', sizeof(text));
	text[AEOGATE_TEXT_MAX] = '\0';
	assert_true(text_is_valid(text));
	text[AEOGATE_TEXT_MAX] = 'a';
	text[AEOGATE_TEXT_MAX + 1] = '\0';
	assert_false(text_is_valid(text));

	/* The bound is in bytes: 128 two-byte characters fit, one more does not. */
	for (size_t i = 0; i < AEOGATE_TEXT_MAX; i += 2)
		memcpy(text + i, "\xc3\xa9", 2);
	text[AEOGATE_TEXT_MAX] = '\0';
	assert_true(text_is_valid(text));
	text[AEOGATE_TEXT_MAX] = 'a';
	text[AEOGATE_TEXT_MAX + 1] = '\0';
	assert_false(text_is_valid(text));
}

static void test_utf8_trim_keeps_whole_characters_only(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
	    {"", ""},
	    {"abc", "abc"},
	    {"caf\xc3\xa9", "caf\xc3\xa9"},   /* é whole */
	    {"caf\xc3", "caf"},		      /* é cut after its lead byte */
	    {"\xe2\x82\xac", "\xe2\x82\xac"}, /* € whole */
	    {"x\xe2\x82", "x"},		      /* € cut */
	    {"x\xe2", "x"},
	    {"\xf0\x9f\x94\x91", "\xf0\x9f\x94\x91"}, /* a 4-byte character whole */
	    {"ok \xf0\x9f\x94", "ok "},
	    {"\x80", "\x80"}, /* a lone continuation byte: no lead to cut back to */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char buf[16];

		strcpy(buf, cases[i].in);
		utf8_trim(buf);
		if (strcmp(buf, cases[i].out) != 0)
			fail_msg("case %zu: got '%s'", i, buf);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_time_parse_accepts_the_three_forms),
	    cmocka_unit_test(test_time_parse_rejects_impossible_and_malformed_times),
	    cmocka_unit_test(test_time_format_writes_utc_with_milliseconds),
	    cmocka_unit_test(test_time_format_and_parse_round_trip),
	    cmocka_unit_test(test_duration_parse_units_and_bound),
	    cmocka_unit_test(test_id_is_valid_at_its_bounds),
	    cmocka_unit_test(test_text_is_valid_utf8_without_controls),
	    cmocka_unit_test(test_utf8_trim_keeps_whole_characters_only),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
