/* SPDX-License-Identifier: MIT */
/* Retention rules: parsing, the floors, and which rule applies to a kind. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "aeogate/event.h"
#include "retention.h"

static int parse(const char *text, struct retention_rule *rules, size_t *n, char *err)
{
	return retention_parse(text, rules, AEOGATE_RETENTION_RULES_MAX, n, err, 256);
}

static void test_accepts_rules_at_and_above_the_floors(void **state)
{
	static const char *const ok[] = {
	    "access.*:365d, reader.noise:30d, *:730d",
	    "*:60d",
	    "reader.noise:30d",				   /* no alarm kind falls under it */
	    "*:30d, door.*:60d, alarm.*:60d, audit.*:60d", /* the alarm kinds are lifted */
	    "*:30d, door.forced:60d, door.held:90d, alarm.*:60d, audit.truncated:60d, "
	    "audit.head_invalid:60d",
	    "person.*:forever, *:36600d",
	    "  access.granted : 45d ,*:forever ", /* spaces around items */
	};
	struct retention_rule rules[AEOGATE_RETENTION_RULES_MAX];
	char err[256];
	size_t n;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		if (parse(ok[i], rules, &n, err) != 0)
			fail_msg("'%s' refused: %s", ok[i], err);
	}
	assert_int_equal(parse("  access.granted : 45d ,*:forever ", rules, &n, err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(rules[0].pattern, "access.granted");
	assert_int_equal(rules[0].days, 45);
	assert_int_equal(rules[1].days, 0);
}

static void test_refuses_below_a_floor_and_malformed_rules(void **state)
{
	static const struct {
		const char *text;
		const char *why;
	} bad[] = {
	    {"*:29d", "*:29d is below the floor"},
	    {"reader.noise:1d", "below the floor"},
	    {"*:59d", "would keep door.forced 59 days"},
	    {"door.*:45d, *:365d", "would keep door.forced 45 days"},
	    {"door.held:59d, *:365d", "would keep door.held 59 days"},
	    {"alarm.*:30d", "would keep alarm.* 30 days"},
	    {"alarm.tamper:45d, *:60d", "would keep alarm.tamper 45 days"},
	    {"alarm.tamper.*:45d, *:60d", "would keep alarm.tamper.* 45 days"},
	    {"*:45d, door.*:60d", "would keep alarm.* 45 days"},
	    {"*:45d, alarm.*:60d", "would keep door.forced 45 days"},
	    /* The tamper evidence of the head record raises alarms too. */
	    {"*:45d, door.*:60d, alarm.*:60d", "would keep audit.truncated 45 days"},
	    {"audit.*:59d, *:365d", "would keep audit.truncated 59 days"},
	    {"audit.head_invalid:30d, *:365d", "would keep audit.head_invalid 30 days"},
	    {"access.*", "is not KIND_PATTERN:DAYSd"},
	    {"access.*:", "is not a number of days"},
	    {"access.*:0d", "is not a number of days"},
	    {"access.*:36601d", "is not a number of days"},
	    {"access.*:10", "is not a number of days"},
	    {"access.*:1y", "is not a number of days"},
	    {"Access.*:60d", "is not a kind"},
	    {"access*:60d", "is not a kind"},
	    {"access.*:60d, access.*:90d", "is given twice"},
	    {" , ", "is not KIND_PATTERN:DAYSd"},
	};
	struct retention_rule rules[AEOGATE_RETENTION_RULES_MAX];
	char err[256];
	size_t n;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (parse(bad[i].text, rules, &n, err) != -EINVAL)
			fail_msg("'%s' accepted", bad[i].text);
		if (!strstr(err, bad[i].why))
			fail_msg("'%s': expected '%s' in '%s'", bad[i].text, bad[i].why, err);
	}
}

static void test_refuses_more_rules_than_the_limit(void **state)
{
	struct retention_rule rules[AEOGATE_RETENTION_RULES_MAX];
	char text[4096] = "", err[256];
	size_t n, used = 0;

	for (int i = 0; i <= AEOGATE_RETENTION_RULES_MAX; i++)
		used += (size_t)snprintf(text + used, sizeof(text) - used, "%sk%d.x:90d",
					 i ? "," : "", i);
	assert_int_equal(parse(text, rules, &n, err), -E2BIG);
	/* One fewer is fine. */
	*strrchr(text, ',') = '\0';
	assert_int_equal(parse(text, rules, &n, err), 0);
	assert_int_equal(n, AEOGATE_RETENTION_RULES_MAX);
}

static void test_the_most_specific_rule_applies(void **state)
{
	static const struct {
		const char *kind;
		const char *pattern; /* NULL: no rule */
	} cases[] = {
	    {"access.granted", "access.granted"},
	    {"access.denied", "access.*"},
	    {"reader.noise", "reader.*"},
	    {"door.forced", "*"},
	    {"person.added", "*"},
	};
	struct retention_rule rules[AEOGATE_RETENTION_RULES_MAX];
	const struct retention_rule *r;
	char err[256];
	size_t n;

	/* Order in the list does not matter, only specificity. */
	assert_int_equal(
	    parse("*:730d, access.*:365d, reader.*:90d, access.granted:400d", rules, &n, err), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		r = retention_rule_for(rules, n, cases[i].kind);
		assert_non_null(r);
		assert_string_equal(r->pattern, cases[i].pattern);
	}
	assert_int_equal(parse("access.*:365d", rules, &n, err), 0);
	assert_null(retention_rule_for(rules, n, "door.forced"));
	assert_null(retention_rule_for(rules, n, "access")); /* "access.*" needs the dot */
}

static void test_formats_the_rules_for_the_pruned_event(void **state)
{
	struct retention_rule rules[AEOGATE_RETENTION_RULES_MAX];
	char err[256], buf[128];
	size_t n;

	assert_int_equal(parse("access.*:365d,  person.*:forever,*:730d", rules, &n, err), 0);
	retention_format(rules, n, buf, sizeof(buf));
	assert_string_equal(buf, "access.*:365d, person.*:forever, *:730d");
	retention_format(rules, 0, buf, sizeof(buf));
	assert_string_equal(buf, "");
}

static void test_alarm_records(void **state)
{
	assert_true(retention_is_alarm_record("door.forced"));
	assert_true(retention_is_alarm_record("door.held"));
	assert_true(retention_is_alarm_record("alarm.tamper"));
	assert_true(retention_is_alarm_record("alarm.acknowledged"));
	assert_true(retention_is_alarm_record("audit.truncated"));
	assert_true(retention_is_alarm_record("audit.head_invalid"));
	assert_false(retention_is_alarm_record("audit.pruned"));
	assert_false(retention_is_alarm_record("door.opened"));
	assert_false(retention_is_alarm_record("access.denied"));
}

/*
 * The kinds table also ranks alarms (README "Alarms"): duress > forced >
 * tamper > held > reader offline; an escalation is an alarm record but
 * raises no alarm of its own (it would escalate itself).
 */
static void test_alarm_priorities_and_escalation(void **state)
{
	static const char *const order[] = {"alarm.duress", "door.forced", "alarm.tamper",
					    "door.held", "reader.offline"};

	(void)state;
	for (size_t i = 1; i < sizeof(order) / sizeof(order[0]); i++)
		if (event_kind_priority(order[i - 1]) >= event_kind_priority(order[i]))
			fail_msg("%s does not rank above %s", order[i - 1], order[i]);
	assert_int_equal(event_kind_priority("alarm.duress"), 1);
	assert_int_equal(event_kind_priority("alarm.storage"), event_kind_priority("alarm.tamper"));
	assert_int_equal(event_kind_priority("some.new_alarm"), EVENT_PRIORITY_OTHER);
	assert_true(event_kind_priority("alarm.backup") < EVENT_PRIORITY_OTHER);
	assert_false(event_kind_is_alarm("alarm.escalated"));
	assert_true(retention_is_alarm_record("alarm.escalated"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_accepts_rules_at_and_above_the_floors),
	    cmocka_unit_test(test_refuses_below_a_floor_and_malformed_rules),
	    cmocka_unit_test(test_refuses_more_rules_than_the_limit),
	    cmocka_unit_test(test_the_most_specific_rule_applies),
	    cmocka_unit_test(test_formats_the_rules_for_the_pruned_event),
	    cmocka_unit_test(test_alarm_records),
	    cmocka_unit_test(test_alarm_priorities_and_escalation),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
