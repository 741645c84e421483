// SPDX-License-Identifier: MIT
/*
 * Lockdown, threat level and interlock (controller/policy/lockdown.c,
 * interlock.c): the state's transitions, and where the three rules stand
 * in the evaluation order.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "interlock.h"
#include "lockdown.h"
#include "policy.h"

static void test_lockdown_site_then_release(void **state)
{
	struct lockdown_state s = {0};

	(void)state;
	assert_false(lockdown_active(&s));
	assert_false(lockdown_covers(&s, "dock"));
	assert_int_equal(lockdown_release(&s, NULL, 0), -ENOENT);
	assert_int_equal(lockdown_lock(&s, NULL, 0), 0);
	assert_true(lockdown_active(&s));
	assert_true(lockdown_covers(&s, "dock"));
	assert_true(lockdown_covers(&s, "cage"));
	assert_int_equal(lockdown_lock(&s, NULL, 0), -EALREADY);
	/* Zones of a site lockdown are not released one by one. */
	assert_int_equal(lockdown_release(&s, (const char *const[]){"dock"}, 1), -EBUSY);
	assert_true(lockdown_covers(&s, "dock"));
	assert_int_equal(lockdown_release(&s, NULL, 0), 0);
	assert_false(lockdown_active(&s));
	assert_false(lockdown_covers(&s, "dock"));
}

static void test_lockdown_zones(void **state)
{
	struct lockdown_state s = {0};
	const char *const both[] = {"cage", "dock"};

	(void)state;
	assert_int_equal(lockdown_lock(&s, (const char *const[]){"cage"}, 1), 0);
	assert_true(lockdown_covers(&s, "cage"));
	assert_false(lockdown_covers(&s, "dock"));
	assert_false(lockdown_covers(&s, NULL));
	assert_int_equal(lockdown_lock(&s, (const char *const[]){"cage"}, 1), -EALREADY);
	assert_int_equal(lockdown_lock(&s, (const char *const[]){"dock", "berth", "cage"}, 3), 0);
	assert_int_equal(s.n_zones, 3);
	/* In name order, as the store lists them after a restart. */
	assert_string_equal(s.zones[0], "berth");
	assert_string_equal(s.zones[1], "cage");
	assert_string_equal(s.zones[2], "dock");
	assert_int_equal(lockdown_release(&s, (const char *const[]){"berth"}, 1), 0);
	assert_int_equal(s.n_zones, 2);
	/* A zone not locked down: refused, nothing released. */
	assert_int_equal(lockdown_release(&s, (const char *const[]){"dock", "yard"}, 2), -ENOENT);
	assert_true(lockdown_covers(&s, "dock"));
	assert_int_equal(lockdown_release(&s, (const char *const[]){"cage"}, 1), 0);
	assert_false(lockdown_covers(&s, "cage"));
	assert_true(lockdown_covers(&s, "dock"));
	/* A site lockdown over zones takes everything; its release releases all. */
	assert_int_equal(lockdown_lock(&s, NULL, 0), 0);
	assert_true(s.site);
	assert_int_equal(s.n_zones, 0);
	assert_int_equal(lockdown_lock(&s, both, 2), -EALREADY);
	assert_int_equal(lockdown_release(&s, NULL, 0), 0);
	assert_false(lockdown_active(&s));
}

static void test_lockdown_zone_bound(void **state)
{
	struct lockdown_state s = {0};
	char names[AEOGATE_DOORS_MAX + 1][8];
	const char *z[AEOGATE_DOORS_MAX + 1];

	(void)state;
	for (size_t i = 0; i <= AEOGATE_DOORS_MAX; i++) {
		snprintf(names[i], sizeof(names[i]), "z%zu", i);
		z[i] = names[i];
	}
	assert_int_equal(lockdown_lock(&s, z, AEOGATE_DOORS_MAX + 1), -E2BIG);
	assert_false(lockdown_active(&s)); /* nothing changed */
	assert_int_equal(lockdown_lock(&s, z, AEOGATE_DOORS_MAX), 0);
	assert_int_equal(lockdown_lock(&s, z + AEOGATE_DOORS_MAX, 1), -E2BIG);
}

/* Facts that grant, then one thing changed. */
static enum reason decide(bool locked_down, bool responder, int threat, int clearance,
			  bool interlock, enum policy_door_mode mode, int has_zone)
{
	struct credential cred = {.status = "active"};
	struct person p = {.status = "active"};
	struct policy_facts f = {.credential = &cred,
				 .person = &p,
				 .has_zone = has_zone,
				 .door_mode = mode,
				 .locked_down = locked_down,
				 .responder = responder,
				 .threat_level = threat,
				 .clearance = clearance,
				 .interlock_held = interlock};

	return policy_decide(&f);
}

static void test_rules_and_their_order(void **state)
{
	(void)state;
	assert_int_equal(decide(false, false, 0, 0, false, POLICY_DOOR_CARD, 1), REASON_NONE);
	assert_int_equal(decide(true, false, 0, 0, false, POLICY_DOOR_CARD, 1),
			 REASON_DOOR_LOCKED_DOWN);
	assert_int_equal(decide(true, true, 0, 0, false, POLICY_DOOR_CARD, 1), REASON_NONE);
	/* A responder still needs a level for the zone. */
	assert_int_equal(decide(true, true, 0, 0, false, POLICY_DOOR_CARD, 0), REASON_NO_ACCESS);
	/* Lockdown before threat level, before levels and door mode. */
	assert_int_equal(decide(true, false, 3, 0, false, POLICY_DOOR_LOCKED, 0),
			 REASON_DOOR_LOCKED_DOWN);
	/* Clearance below, at and above the level. */
	assert_int_equal(decide(false, false, 3, 2, false, POLICY_DOOR_CARD, 1),
			 REASON_THREAT_LEVEL);
	assert_int_equal(decide(false, false, 3, 3, false, POLICY_DOOR_CARD, 1), REASON_NONE);
	assert_int_equal(decide(false, false, 3, 5, false, POLICY_DOOR_CARD, 1), REASON_NONE);
	assert_int_equal(decide(false, false, 0, 0, false, POLICY_DOOR_CARD, 1), REASON_NONE);
	/* A responder is not above the threat level. */
	assert_int_equal(decide(true, true, 2, 1, false, POLICY_DOOR_CARD, 1), REASON_THREAT_LEVEL);
	/* Threat level before levels; out-of-range values fail closed. */
	assert_int_equal(decide(false, false, 1, 0, false, POLICY_DOOR_CARD, 0),
			 REASON_THREAT_LEVEL);
	assert_int_equal(decide(false, false, 6, 5, false, POLICY_DOOR_CARD, 1),
			 REASON_INTERNAL_ERROR);
	assert_int_equal(decide(false, false, 0, -1, false, POLICY_DOOR_CARD, 1),
			 REASON_INTERNAL_ERROR);
	/* Interlock after door mode. */
	assert_int_equal(decide(false, false, 0, 0, true, POLICY_DOOR_CARD, 1), REASON_INTERLOCK);
	assert_int_equal(decide(false, false, 0, 0, true, POLICY_DOOR_LOCKED, 1),
			 REASON_DOOR_LOCKED);
	assert_int_equal(decide(false, false, 0, 0, true, POLICY_DOOR_CARD, 0), REASON_NO_ACCESS);
}

static void test_interlock_holder(void **state)
{
	struct interlock_door d[] = {
	    {"trap", false, false}, /* 0 */
	    {"trap", false, false}, /* 1 */
	    {NULL, true, true},	    /* 2: in no group, open */
	    {"other", true, false}, /* 3: another group, open */
	};
	const size_t n = sizeof(d) / sizeof(d[0]);

	(void)state;
	assert_int_equal(interlock_holder(d, n, 0), -1);
	assert_int_equal(interlock_holder(d, n, 2), -1);
	assert_int_equal(interlock_holder(d, n, 3), -1); /* alone in its group here */
	d[1].open = true;
	assert_int_equal(interlock_holder(d, n, 0), 1);
	assert_int_equal(interlock_holder(d, n, 1), -1); /* a door never holds itself */
	d[1].open = false;
	d[1].released = true;
	assert_int_equal(interlock_holder(d, n, 0), 1);
	d[1].released = false;
	assert_int_equal(interlock_holder(d, n, 0), -1);
	assert_int_equal(interlock_holder(d, n, 99), -1);
}

static void test_interlock_rex_waits_then_opens_or_drops(void **state)
{
	(void)state;
	assert_int_equal(interlock_rex_step(1000, true, 1000, 30000), INTERLOCK_REX_WAIT);
	assert_int_equal(interlock_rex_step(1000, true, 30999, 30000), INTERLOCK_REX_WAIT);
	assert_int_equal(interlock_rex_step(1000, true, 31000, 30000), INTERLOCK_REX_DROP);
	assert_int_equal(interlock_rex_step(1000, false, 5000, 30000), INTERLOCK_REX_OPEN);
	/* Released before the bound, even at its last moment. */
	assert_int_equal(interlock_rex_step(1000, false, 31000, 30000), INTERLOCK_REX_OPEN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_lockdown_site_then_release),
	    cmocka_unit_test(test_lockdown_zones),
	    cmocka_unit_test(test_lockdown_zone_bound),
	    cmocka_unit_test(test_rules_and_their_order),
	    cmocka_unit_test(test_interlock_holder),
	    cmocka_unit_test(test_interlock_rex_waits_then_opens_or_drops),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
