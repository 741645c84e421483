// SPDX-License-Identifier: MIT
/*
 * Schedules (controller/policy/schedule.c): interval specs parsed and
 * normalized, and whether an instant is inside, table-driven: the start
 * minute in, the end minute out, across midnight, 24:00, holidays, the two
 * DST change days of Europe/Amsterdam and America/New_York, 29 February.
 * Instants are UTC milliseconds computed independently (Python's zoneinfo);
 * each case sets TZ as the controller does from [controller] timezone.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "schedule.h"

static void test_parses_and_normalizes_specs(void **state)
{
	static const struct {
		const char *spec, *normal;
		uint8_t days;
		unsigned start, end;
	} ok[] = {
	    {"mon-fri 07:00-17:00", "mon-fri 07:00-17:00", 0x1f, 420, 1020},
	    {"mon,tue,wed,thu,fri 07:00-17:00", "mon-fri 07:00-17:00", 0x1f, 420, 1020},
	    {"sat,sun 00:00-24:00", "sat,sun 00:00-24:00", 0x60, 0, 1440},
	    {"all 08:00-08:30", "all 08:00-08:30", 0x7f, 480, 510},
	    {"hol 09:00-12:00", "hol 09:00-12:00", 0x80, 540, 720},
	    {"fri 22:00-06:00", "fri 22:00-06:00", 0x10, 1320, 360},
	    {"fri-mon 22:00-06:00", "mon,fri-sun 22:00-06:00", 0x71, 1320, 360},
	    {"mon,wed,hol 10:00-00:00", "mon,wed,hol 10:00-24:00", 0x85, 600, 1440},
	    {"sun,mon 23:59-00:01", "mon,sun 23:59-00:01", 0x41, 1439, 1},
	};
	static const char *const bad[] = {
	    "",
	    "mon",
	    "mon 07:00",
	    "mon 7:00-17:00",
	    "mon 07:00-17:60",
	    "mon 24:00-17:00",
	    "mon 07:00-24:01",
	    "mon 07:00-25:00",
	    "moon 07:00-17:00",
	    "mon- 07:00-17:00",
	    "mon,,tue 07:00-17:00",
	    "mon, 07:00-17:00",
	    " mon 07:00-17:00",
	    "mon  07:00-17:00",
	    "Mon 07:00-17:00",
	    "mon 07:00-17:00 ",
	    "mon-xyz 07:00-17:00",
	    "mon,tue,wed,thu,fri,sat,sun,hol,mon,tue,wed,thu,fri,sat,sun,hol 07:00-17:00",
	};
	struct schedule_interval iv;
	const char *err;
	char buf[SCHEDULE_SPEC_MAX + 1];

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		if (schedule_interval_parse(ok[i].spec, &iv, &err) != 0)
			fail_msg("'%s' refused: %s", ok[i].spec, err);
		assert_int_equal(iv.days, ok[i].days);
		assert_int_equal(iv.start_min, ok[i].start);
		assert_int_equal(iv.end_min, ok[i].end);
		assert_true(schedule_interval_format(&iv, buf, sizeof(buf)) > 0);
		assert_string_equal(buf, ok[i].normal);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err = NULL;
		iv = (struct schedule_interval){.days = 0xaa};
		if (schedule_interval_parse(bad[i], &iv, &err) != -EINVAL)
			fail_msg("'%s' accepted", bad[i]);
		assert_non_null(err);
		assert_int_equal(iv.days, 0xaa); /* nothing written */
	}
	assert_int_equal(schedule_interval_parse(NULL, &iv, &err), -EINVAL);
	assert_int_equal(schedule_interval_format(&(struct schedule_interval){0x1f, 0, 60}, buf, 8),
			 -ENOSPC);
}

#define MON SCHEDULE_MON
#define TUE (SCHEDULE_MON << 1)
#define FRI (SCHEDULE_MON << 4)
#define SAT (SCHEDULE_MON << 5)
#define SUN SCHEDULE_SUN
#define HOL SCHEDULE_HOL

static void test_contains_at_the_edges(void **state)
{
	static const struct {
		const char *name;
		const char *spec;
		struct schedule_moment m;
		bool want;
	} cases[] = {
	    {"start minute is inside", "mon-fri 07:00-17:00", {MON, SUN, 420}, true},
	    {"the minute before the start is outside",
	     "mon-fri 07:00-17:00",
	     {MON, SUN, 419},
	     false},
	    {"the last minute is inside", "mon-fri 07:00-17:00", {MON, SUN, 1019}, true},
	    {"end minute is outside", "mon-fri 07:00-17:00", {MON, SUN, 1020}, false},
	    {"another day is outside", "mon-fri 07:00-17:00", {SAT, FRI, 600}, false},
	    {"24:00 reaches the day's last minute", "sat 20:00-24:00", {SAT, FRI, 1439}, true},
	    {"24:00 ends at midnight", "sat 20:00-24:00", {SUN, SAT, 0}, false},
	    {"across midnight: the evening", "fri 22:00-06:00", {FRI, 1 << 3, 1320}, true},
	    {"across midnight: before the evening", "fri 22:00-06:00", {FRI, 1 << 3, 1319}, false},
	    {"across midnight: the next morning", "fri 22:00-06:00", {SAT, FRI, 359}, true},
	    {"across midnight: the end minute", "fri 22:00-06:00", {SAT, FRI, 360}, false},
	    {"across midnight: not the morning of the same day",
	     "fri 22:00-06:00",
	     {FRI, 1 << 3, 0},
	     false},
	    {"on a holiday weekday intervals do not apply",
	     "mon-fri 07:00-17:00",
	     {HOL, SUN, 600},
	     false},
	    {"on a holiday hol intervals apply", "hol 09:00-12:00", {HOL, SUN, 600}, true},
	    {"hol intervals do not apply on other days", "hol 09:00-12:00", {MON, SUN, 600}, false},
	    {"after a holiday's night shift, its morning",
	     "hol 22:00-06:00",
	     {TUE, HOL, 300},
	     true},
	    {"a weekday night shift does not run on from a holiday",
	     "mon 22:00-06:00",
	     {TUE, HOL, 300},
	     false},
	    {"all covers every weekday", "all 00:00-24:00", {SUN, SAT, 0}, true},
	    {"all is not a holiday", "all 00:00-24:00", {HOL, SAT, 0}, false},
	};
	struct schedule_interval iv;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(schedule_interval_parse(cases[i].spec, &iv, NULL), 0);
		if (schedule_contains(&iv, 1, &cases[i].m) != cases[i].want)
			fail_msg("%s: got %d", cases[i].name, !cases[i].want);
	}
	/* Several intervals: any one is enough; none is never. */
	struct schedule_interval two[2];
	assert_int_equal(schedule_interval_parse("mon 07:00-08:00", &two[0], NULL), 0);
	assert_int_equal(schedule_interval_parse("mon 12:00-13:00", &two[1], NULL), 0);
	assert_true(schedule_contains(two, 2, &(struct schedule_moment){MON, SUN, 750}));
	assert_false(schedule_contains(two, 2, &(struct schedule_moment){MON, SUN, 600}));
	assert_false(schedule_contains(two, 0, &(struct schedule_moment){MON, SUN, 450}));
}

static bool holidays(const char *date, void *userdata)
{
	const char *const *list = userdata;

	for (; list && *list; list++)
		if (strcmp(*list, date) == 0)
			return true;
	return false;
}

/* An instant (UTC ms) in a zone, and whether the interval spec holds then. */
struct instant {
	const char *name, *tz, *spec;
	int64_t utc_ms;
	bool want;
};

/* Each case with TZ set as aeogated sets it from [controller] timezone. */
static void run_instants(const struct instant *cases, size_t n, const char *const *hol)
{
	char *saved = getenv("TZ") ? strdup(getenv("TZ")) : NULL;

	for (size_t i = 0; i < n; i++) {
		struct schedule_interval iv;
		struct schedule_moment m;

		setenv("TZ", cases[i].tz, 1);
		tzset();
		assert_int_equal(schedule_interval_parse(cases[i].spec, &iv, NULL), 0);
		assert_int_equal(schedule_moment_at(cases[i].utc_ms, holidays, (void *)hol, &m), 0);
		if (schedule_contains(&iv, 1, &m) != cases[i].want)
			fail_msg("%s: got %d (today %#x yesterday %#x minute %u)", cases[i].name,
				 !cases[i].want, m.today, m.yesterday, m.minute);
	}
	if (saved)
		setenv("TZ", saved, 1);
	else
		unsetenv("TZ");
	tzset();
	free(saved);
}

static void test_local_time_across_dst_and_leap_days(void **state)
{
	static const char *const hol[] = {"2028-02-29", NULL};
	static const struct instant cases[] = {
	    /* Amsterdam, 2026-03-29: 02:00 CET jumps to 03:00 CEST. */
	    {"AMS spring: 01:59 local is inside 01:00-02:30", "Europe/Amsterdam", "sun 01:00-02:30",
	     1774745940000, true},
	    {"AMS spring: the next minute is 03:00, outside 01:00-02:30", "Europe/Amsterdam",
	     "sun 01:00-02:30", 1774746000000, false},
	    {"AMS spring: a nonexistent interval is skipped", "Europe/Amsterdam", "sun 02:00-03:00",
	     1774746000000, false},
	    {"AMS spring: 03:00 is inside 02:30-04:00", "Europe/Amsterdam", "sun 02:30-04:00",
	     1774746000000, true},
	    /* Amsterdam, 2026-10-25: 03:00 CEST falls back to 02:00 CET; 02:30 twice. */
	    {"AMS fall: first 02:30 is inside 02:00-03:00", "Europe/Amsterdam", "sun 02:00-03:00",
	     1792888200000, true},
	    {"AMS fall: second 02:30 is inside 02:00-03:00", "Europe/Amsterdam", "sun 02:00-03:00",
	     1792891800000, true},
	    /* New York, 2026-03-08: 02:00 EST jumps to 03:00 EDT. */
	    {"NYC spring: 01:59 is inside 01:00-02:30", "America/New_York", "sun 01:00-02:30",
	     1772953140000, true},
	    {"NYC spring: 03:00 is outside 01:00-02:30", "America/New_York", "sun 01:00-02:30",
	     1772953200000, false},
	    /* New York, 2026-11-01: 02:00 EDT falls back to 01:00 EST; 01:30 twice. */
	    {"NYC fall: first 01:30 is inside 01:00-02:00", "America/New_York", "sun 01:00-02:00",
	     1793511000000, true},
	    {"NYC fall: second 01:30 is inside 01:00-02:00", "America/New_York", "sun 01:00-02:00",
	     1793514600000, true},
	    {"NYC fall: 01:30 is a Sunday, not a Saturday", "America/New_York", "sat 00:00-24:00",
	     1793514600000, false},
	    /* 29 February 2028, a Tuesday and here a holiday. */
	    {"29 Feb: a holiday, so tue intervals do not apply", "UTC", "tue 00:00-24:00",
	     1835438400000, false},
	    {"29 Feb: hol intervals apply", "UTC", "hol 08:00-16:00", 1835438400000, true},
	    {"1 Mar: the holiday's night shift runs on", "UTC", "hol 22:00-04:00", 1835492400000,
	     true},
	    {"1 Mar: a Wednesday", "UTC", "wed 02:00-04:00", 1835492400000, true},
	};
	run_instants(cases, sizeof(cases) / sizeof(cases[0]), hol);
}

/*
 * The same edges on real instants, so that the local clock (localtime_r
 * in TZ) and the day before it (through a DST change, a month's end, a
 * year's end, 29 February) are checked together with the interval.
 */
static void test_local_edges_on_real_instants(void **state)
{
	static const char *const hol[] = {"2026-12-25", NULL};
	static const struct instant cases[] = {
	    /* Monday 15 June 2026, Amsterdam (CEST). */
	    {"the start minute is inside", "Europe/Amsterdam", "mon-fri 07:00-17:00", 1781499600000,
	     true},
	    {"the second before the start is outside", "Europe/Amsterdam", "mon-fri 07:00-17:00",
	     1781499599000, false},
	    {"the last second of the end's minute before is inside", "Europe/Amsterdam",
	     "mon-fri 07:00-17:00", 1781535599000, true},
	    {"the end minute is outside", "Europe/Amsterdam", "mon-fri 07:00-17:00", 1781535600000,
	     false},
	    /* fri 22:00-06:00 around Friday 19 and Saturday 20 June 2026. */
	    {"across midnight: 21:59:59 Friday is outside", "Europe/Amsterdam", "fri 22:00-06:00",
	     1781899199000, false},
	    {"across midnight: 22:00 Friday is inside", "Europe/Amsterdam", "fri 22:00-06:00",
	     1781899200000, true},
	    {"across midnight: 05:59:59 Saturday is inside", "Europe/Amsterdam", "fri 22:00-06:00",
	     1781927999000, true},
	    {"across midnight: 06:00 Saturday is outside", "Europe/Amsterdam", "fri 22:00-06:00",
	     1781928000000, false},
	    /* 24:00: the last second of Sunday in, Monday's midnight out. */
	    {"24:00: 23:59:59 Sunday is inside", "Europe/Amsterdam", "sun 20:00-24:00",
	     1782079199000, true},
	    {"24:00: Monday 00:00 is outside", "Europe/Amsterdam", "sun 20:00-24:00", 1782079200000,
	     false},
	    /* The Monday after spring-forward: Sunday's night shift runs on (yesterday across DST).
	     */
	    {"AMS Monday after spring: Sunday's night shift at 05:59", "Europe/Amsterdam",
	     "sun 22:00-06:00", 1774843140000, true},
	    {"AMS Monday after spring: and ends at 06:00", "Europe/Amsterdam", "sun 22:00-06:00",
	     1774843200000, false},
	    /* Fall-back Sunday 25 October 2026: a night shift from Saturday to 03:00. */
	    {"AMS fall: first 02:30 inside a Saturday night shift", "Europe/Amsterdam",
	     "sat 22:00-03:00", 1792888200000, true},
	    {"AMS fall: second 02:30 inside it too", "Europe/Amsterdam", "sat 22:00-03:00",
	     1792891800000, true},
	    {"AMS fall: 03:00 CET ends it", "Europe/Amsterdam", "sat 22:00-03:00", 1792893600000,
	     false},
	    /* New York fall-back, 1 November 2026: an interval ending inside the repeated hour. */
	    {"NYC fall: first 01:29 (EDT) inside 00:00-01:30", "America/New_York",
	     "sun 00:00-01:30", 1793510940000, true},
	    {"NYC fall: second 01:29 (EST) inside it again", "America/New_York", "sun 00:00-01:30",
	     1793514540000, true},
	    {"NYC fall: 01:30 EST is the end minute", "America/New_York", "sun 00:00-01:30",
	     1793514600000, false},
	    /* New York spring-forward, 8 March 2026: an interval only in the skipped hour. */
	    {"NYC spring: 01:59 EST is before the skipped hour", "America/New_York",
	     "sun 02:00-03:00", 1772953140000, false},
	    {"NYC spring: 03:00 EDT is after it", "America/New_York", "sun 02:00-03:00",
	     1772953200000, false},
	    /* 29 February: a day like another when it is no holiday. */
	    {"29 Feb 2028 is a Tuesday", "Europe/Amsterdam", "tue 11:00-13:00", 1835434800000,
	     true},
	    {"1 Mar 2028 01:00: yesterday was 29 Feb (Tuesday)", "Europe/Amsterdam",
	     "tue 22:00-02:00", 1835481600000, true},
	    {"1 Mar 2027 01:00: yesterday was 28 Feb (Sunday)", "Europe/Amsterdam",
	     "sun 22:00-02:00", 1803859200000, true},
	    /* A holiday is the local date: 00:30 on 25 December in Amsterdam is the 24th in UTC. */
	    {"local 25 Dec 00:30 is the holiday", "Europe/Amsterdam", "hol 00:00-01:00",
	     1798155000000, true},
	    {"and its weekday (Friday) does not apply", "Europe/Amsterdam", "fri 00:00-01:00",
	     1798155000000, false},
	    /* Across the year's end: 1 January 2027 00:30, yesterday Thursday 31 December. */
	    {"new year: Thursday's night shift runs on", "Europe/Amsterdam", "thu 22:00-02:00",
	     1798759800000, true},
	};
	run_instants(cases, sizeof(cases) / sizeof(cases[0]), hol);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parses_and_normalizes_specs),
	    cmocka_unit_test(test_contains_at_the_edges),
	    cmocka_unit_test(test_local_time_across_dst_and_leap_days),
	    cmocka_unit_test(test_local_edges_on_real_instants),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
