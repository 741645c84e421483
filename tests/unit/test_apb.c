// SPDX-License-Identifier: MIT
/*
 * Where everyone is, anti-passback and occupancy (controller/policy/apb.c):
 * the rules as scenario tables (rules, location, read → reason, and whether
 * a soft violation is recorded), the location transitions as sequences of
 * granted reads, and the rules' place in the decision's order.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "apb.h"
#include "policy.h"

#define NOW 1795867200000LL
#define MIN 60000LL

struct apb_case {
	const char *name;
	const char *apb; /* apb_from_string's text */
	int64_t max;	 /* -1: no limit */
	const char *in;	 /* the zone the person is recorded in; NULL: none */
	bool out;
	int64_t last_entry_ago; /* minutes before NOW; 0: no entry */
	int64_t occupancy;
	enum reason want;
	bool violation;
};

static const struct apb_case cases[] = {
    {"off: in twice is granted", "off", -1, "cage", false, 0, 0, REASON_NONE, false},
    {"off: out while outside is granted", "off", -1, NULL, true, 0, 0, REASON_NONE, false},
    {"hard: in from outside is granted", "hard", -1, NULL, false, 0, 0, REASON_NONE, false},
    {"hard: in from another zone is granted", "hard", -1, "dock", false, 0, 0, REASON_NONE, false},
    {"hard: in while inside is denied", "hard", -1, "cage", false, 0, 0, REASON_ANTIPASSBACK, true},
    {"hard: out while inside is granted", "hard", -1, "cage", true, 0, 0, REASON_NONE, false},
    {"hard: out while outside is denied", "hard", -1, NULL, true, 0, 0, REASON_ANTIPASSBACK, true},
    {"hard: out while in another zone is denied", "hard", -1, "dock", true, 0, 0,
     REASON_ANTIPASSBACK, true},
    {"soft: in while inside is granted, a violation", "soft", -1, "cage", false, 0, 0, REASON_NONE,
     true},
    {"soft: out while outside is granted, a violation", "soft", -1, NULL, true, 0, 0, REASON_NONE,
     true},
    {"soft: in from outside is no violation", "soft", -1, NULL, false, 0, 0, REASON_NONE, false},
    {"timed: first entry is granted", "timed:10", -1, NULL, false, 0, 0, REASON_NONE, false},
    {"timed: again within the window is denied", "timed:10", -1, "cage", false, 9, 0,
     REASON_ANTIPASSBACK, true},
    {"timed: again one minute before the end is denied", "timed:10", -1, NULL, false, 9, 0,
     REASON_ANTIPASSBACK, true},
    {"timed: again at the window's end is granted", "timed:10", -1, "cage", false, 10, 0,
     REASON_NONE, false},
    {"timed: out reads never count", "timed:10", -1, NULL, true, 1, 0, REASON_NONE, false},
    {"limit: below it is granted", "off", 2, NULL, false, 0, 1, REASON_NONE, false},
    {"limit: at it an entry is denied", "off", 2, NULL, false, 0, 2, REASON_OCCUPANCY_FULL, false},
    {"limit: zero admits no one", "off", 0, NULL, false, 0, 0, REASON_OCCUPANCY_FULL, false},
    {"limit: one already inside adds no one", "off", 2, "cage", false, 0, 2, REASON_NONE, false},
    {"limit: leaving is never denied", "off", 2, "cage", true, 0, 5, REASON_NONE, false},
    {"hard APB is seen before a full zone", "hard", 1, "cage", false, 0, 1, REASON_ANTIPASSBACK,
     true},
    {"hard APB passes, the full zone denies", "hard", 1, NULL, false, 0, 1, REASON_OCCUPANCY_FULL,
     false},
};

static void fill(const struct apb_case *c, struct area_facts *f)
{
	*f = (struct area_facts){.zone = "cage", .out = c->out, .occupancy = c->occupancy};
	assert_int_equal(apb_from_string(c->apb, &f->rules), 0);
	f->rules.max_occupancy = c->max;
	if (c->in)
		snprintf(f->loc.zone, sizeof(f->loc.zone), "%s", c->in);
	f->last_entry_ms = c->last_entry_ago ? NOW - c->last_entry_ago * MIN : 0;
}

static void test_rules_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct apb_case *c = &cases[i];
		struct credential cred = {.id = "h10301:12:1", .person = "E1", .status = "active"};
		struct person p = {.id = "E1", .name = "Test", .status = "active"};
		struct area_facts f;
		struct policy_facts pf = {
		    .credential = &cred, .person = &p, .has_zone = 1, .now_ms = NOW};
		enum reason got;

		fill(c, &f);
		pf.area = &f;
		got = policy_decide(&pf);
		if (got != c->want || apb_violates(&f, NOW) != c->violation)
			fail_msg("%s: got %s (violation %d), want %s (violation %d)", c->name,
				 reason_to_string(got), apb_violates(&f, NOW),
				 reason_to_string(c->want), c->violation);
	}
}

static void test_rules_come_after_door_mode(void **state)
{
	struct credential cred = {.id = "h10301:12:1", .person = "E1", .status = "active"};
	struct person p = {.id = "E1", .name = "Test", .status = "active"};
	struct area_facts f = {.zone = "cage", .rules = {.apb = APB_HARD, .max_occupancy = 0}};
	struct policy_facts pf = {
	    .credential = &cred, .person = &p, .has_zone = 0, .now_ms = NOW, .area = &f};

	(void)state;
	snprintf(f.loc.zone, sizeof(f.loc.zone), "cage");
	assert_int_equal(policy_decide(&pf), REASON_NO_ACCESS);
	pf.has_zone = 1;
	pf.door_mode = POLICY_DOOR_LOCKED;
	assert_int_equal(policy_decide(&pf), REASON_DOOR_LOCKED);
	pf.door_mode = POLICY_DOOR_CARD;
	assert_int_equal(policy_decide(&pf), REASON_ANTIPASSBACK);
	pf.area = NULL;
	assert_int_equal(policy_decide(&pf), REASON_NONE);
}

static void test_unknown_mode_fails_closed(void **state)
{
	struct area_facts f = {.zone = "cage", .rules = {.apb = (enum apb_mode)9}};

	(void)state;
	assert_int_equal(apb_rule(&f, NOW), REASON_INTERNAL_ERROR);
}

/* A sequence of granted reads and what the location is after each. */
struct move {
	const char *zone, *door;
	bool out;
	const char *want_zone; /* "" none */
	bool changed;
};

static void test_moves(void **state)
{
	static const struct move moves[] = {
	    {"cage", "cage-1", true, "", false},     /* out while nowhere: nothing */
	    {"cage", "cage-1", false, "cage", true}, /* in */
	    {"dock", "dock-1", true, "cage", false}, /* out of a zone they are not in */
	    {"dock", "dock-1", false, "dock", true}, /* in elsewhere moves them */
	    {"dock", "dock-2", false, "dock", true}, /* in again: since and door renewed */
	    {"dock", "dock-1", true, "", true},	     /* out */
	};
	struct area_location loc = {0};
	int64_t t = NOW;

	(void)state;
	for (size_t i = 0; i < sizeof(moves) / sizeof(moves[0]); i++, t += MIN) {
		const struct move *m = &moves[i];
		bool changed = area_move(&loc, m->zone, m->door, m->out, t);

		assert_int_equal(changed, m->changed);
		assert_string_equal(loc.zone, m->want_zone);
		if (m->want_zone[0] && changed) {
			assert_string_equal(loc.door, m->door);
			assert_int_equal(loc.since_ms, t);
		}
	}
}

static void test_forgive(void **state)
{
	struct area_location loc = {0};

	(void)state;
	assert_false(area_forgive(&loc, NULL));
	area_move(&loc, "cage", "cage-1", false, NOW);
	assert_false(area_forgive(&loc, "dock"));
	assert_string_equal(loc.zone, "cage");
	assert_true(area_forgive(&loc, "cage"));
	assert_string_equal(loc.zone, "");
	area_move(&loc, "cage", "cage-1", false, NOW);
	assert_true(area_forgive(&loc, NULL));
	assert_string_equal(loc.zone, "");
}

static void test_apb_text(void **state)
{
	static const char *const good[] = {"off", "soft", "hard", "timed:1", "timed:10080"};
	static const char *const bad[] = {"",	      "timed",	     "timed:",	 "timed:0",
					  "timed:-5", "timed:10081", "timed:5x", "HARD",
					  "timed: 5", "on"};
	struct area_rules r;
	char buf[APB_TEXT_MAX];

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(apb_from_string(good[i], &r), 0);
		assert_string_equal(apb_to_string(&r, buf, sizeof(buf)), good[i]);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (apb_from_string(bad[i], &r) != -EINVAL)
			fail_msg("'%s' parsed", bad[i]);
	assert_int_equal(apb_from_string(NULL, &r), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rules_table),
	    cmocka_unit_test(test_rules_come_after_door_mode),
	    cmocka_unit_test(test_unknown_mode_fails_closed),
	    cmocka_unit_test(test_moves),
	    cmocka_unit_test(test_forgive),
	    cmocka_unit_test(test_apb_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
