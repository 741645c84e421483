// SPDX-License-Identifier: MIT
/*
 * The decision pipeline (controller/policy/) and the reason codes
 * (controller/reason.c). policy_decide() is pure: each case builds the facts the
 * store would have loaded and checks the one reason an auditor would see.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "policy.h"

/* 2026-11-28T12:00:00.000Z: an arbitrary "now" for every case. */
#define NOW 1795867200000LL

/*
 * One case: the facts that differ from a grant. Unset fields keep the
 * granting value: credential and person present and "active", no validity
 * bounds, the zone in one of the person's levels.
 */
struct decide_case {
	const char *name;
	bool no_credential, no_person;
	const char *credential_status, *person_status; /* NULL: "active" */
	int64_t credential_from, credential_until;     /* relative to NOW, when *_set */
	bool credential_from_set, credential_until_set;
	int64_t person_from, person_until;
	bool person_from_set, person_until_set;
	bool zone_given;
	int has_zone; /* when zone_given, else 1 */
	enum reason want;
};

static const struct decide_case status_cases[] = {
    {"grants when every rule passes", .want = REASON_NONE},
    {"unknown credential", .no_credential = true, .want = REASON_UNKNOWN_CREDENTIAL},
    {"unknown credential wins over a missing person", .no_credential = true, .no_person = true,
     .zone_given = true, .has_zone = -EIO, .want = REASON_UNKNOWN_CREDENTIAL},
    {"revoked credential", .credential_status = "revoked", .want = REASON_CREDENTIAL_REVOKED},
    {"suspended credential", .credential_status = "suspended", .want = REASON_CREDENTIAL_SUSPENDED},
    {"lost credential", .credential_status = "lost", .want = REASON_CREDENTIAL_LOST},
    {"returned credential reads as revoked", .credential_status = "returned",
     .want = REASON_CREDENTIAL_REVOKED},
    {"unknown credential status fails closed", .credential_status = "stolen?",
     .want = REASON_CREDENTIAL_REVOKED},
    {"empty credential status fails closed", .credential_status = "",
     .want = REASON_CREDENTIAL_REVOKED},
    {"status is case-sensitive: ACTIVE is not active", .credential_status = "ACTIVE",
     .want = REASON_CREDENTIAL_REVOKED},
    {"missing person row is an internal error", .no_person = true, .want = REASON_INTERNAL_ERROR},
    {"suspended person", .person_status = "suspended", .want = REASON_PERSON_INACTIVE},
    {"terminated person", .person_status = "terminated", .want = REASON_PERSON_TERMINATED},
    {"unknown person status fails closed", .person_status = "on_leave",
     .want = REASON_PERSON_INACTIVE},
    {"no level opens the zone", .zone_given = true, .has_zone = 0, .want = REASON_NO_ACCESS},
    {"zone lookup failed is an internal error", .zone_given = true, .has_zone = -EIO,
     .want = REASON_INTERNAL_ERROR},
    {"zone lookup out of range never grants", .zone_given = true, .has_zone = 2,
     .want = REASON_NO_ACCESS},
};

/* valid_from is inclusive, valid_until exclusive. */
static const struct decide_case window_cases[] = {
    {"person valid_from == now grants", .person_from = 0, .person_from_set = true,
     .want = REASON_NONE},
    {"person valid_from == now + 1 is not yet valid", .person_from = 1, .person_from_set = true,
     .want = REASON_NOT_YET_VALID},
    {"person valid_from == now - 1 grants", .person_from = -1, .person_from_set = true,
     .want = REASON_NONE},
    {"person valid_until == now is expired", .person_until = 0, .person_until_set = true,
     .want = REASON_EXPIRED},
    {"person valid_until == now + 1 grants", .person_until = 1, .person_until_set = true,
     .want = REASON_NONE},
    {"person valid_until == now - 1 is expired", .person_until = -1, .person_until_set = true,
     .want = REASON_EXPIRED},

    /* Credential validity window, at the exact boundaries. */
    {"credential valid_from == now grants", .credential_from = 0, .credential_from_set = true,
     .want = REASON_NONE},
    {"credential valid_from == now + 1 is not yet valid", .credential_from = 1,
     .credential_from_set = true, .want = REASON_NOT_YET_VALID},
    {"credential valid_until == now is expired", .credential_until = 0,
     .credential_until_set = true, .want = REASON_EXPIRED},
    {"credential valid_until == now + 1 grants", .credential_until = 1,
     .credential_until_set = true, .want = REASON_NONE},
    {"credential inside a window grants", .credential_from = -1000, .credential_from_set = true,
     .credential_until = 1000, .credential_until_set = true, .want = REASON_NONE},
};

/* Rule order: the first rule that denies names the reason. */
static const struct decide_case order_cases[] = {
    {"revoked and expired reads revoked", .credential_status = "revoked", .credential_until = -1,
     .credential_until_set = true, .want = REASON_CREDENTIAL_REVOKED},
    {"revoked credential of a terminated person reads revoked", .credential_status = "revoked",
     .person_status = "terminated", .want = REASON_CREDENTIAL_REVOKED},
    {"suspended credential without a person row reads suspended", .credential_status = "suspended",
     .no_person = true, .want = REASON_CREDENTIAL_SUSPENDED},
    {"terminated and expired person reads terminated", .person_status = "terminated",
     .person_until = -1, .person_until_set = true, .want = REASON_PERSON_TERMINATED},
    {"suspended person without access reads inactive", .person_status = "suspended",
     .zone_given = true, .has_zone = 0, .want = REASON_PERSON_INACTIVE},
    {"person window before credential window", .person_from = 1, .person_from_set = true,
     .credential_until = -1, .credential_until_set = true, .want = REASON_NOT_YET_VALID},
    {"expired person before not-yet-valid credential", .person_until = 0, .person_until_set = true,
     .credential_from = 1, .credential_from_set = true, .want = REASON_EXPIRED},
    {"expired credential before no access", .credential_until = 0, .credential_until_set = true,
     .zone_given = true, .has_zone = 0, .want = REASON_EXPIRED},
    {"validity before a failed zone lookup", .person_from = 1, .person_from_set = true,
     .zone_given = true, .has_zone = -EIO, .want = REASON_NOT_YET_VALID},
};

static void run_cases(const struct decide_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct decide_case *c = &cases[i];
		struct credential cred = {.id = "h10301:12:3456", .person = "E1042"};
		struct person p = {.id = "E1042", .name = "Test Person"};
		struct policy_facts f = {.has_zone = c->zone_given ? c->has_zone : 1,
					 .now_ms = NOW};
		enum reason got;

		snprintf(cred.status, sizeof(cred.status), "%s",
			 c->credential_status ? c->credential_status : "active");
		snprintf(p.status, sizeof(p.status), "%s",
			 c->person_status ? c->person_status : "active");
		cred.valid_from = c->credential_from_set ? NOW + c->credential_from : 0;
		cred.valid_until = c->credential_until_set ? NOW + c->credential_until : 0;
		p.valid_from = c->person_from_set ? NOW + c->person_from : 0;
		p.valid_until = c->person_until_set ? NOW + c->person_until : 0;
		f.credential = c->no_credential ? NULL : &cred;
		f.person = c->no_person ? NULL : &p;

		got = policy_decide(&f);
		if (got != c->want)
			fail_msg("case '%s': got %s, want %s", c->name, reason_to_string(got),
				 reason_to_string(c->want));
	}
}

#define RUN_CASES(t) run_cases(t, sizeof(t) / sizeof(t[0]))

static void test_denies_by_credential_person_and_zone(void **state)
{
	(void)state;
	RUN_CASES(status_cases);
}

static void test_denies_outside_validity_windows_at_exact_boundaries(void **state)
{
	(void)state;
	RUN_CASES(window_cases);
}

static void test_first_denying_rule_names_the_reason(void **state)
{
	(void)state;
	RUN_CASES(order_cases);
}

static void test_denies_without_facts(void **state)
{
	(void)state;
	assert_int_equal(policy_decide(NULL), REASON_INTERNAL_ERROR);
}

static void test_zero_validity_means_unbounded(void **state)
{
	struct credential cred = {.status = "active"};
	struct person p = {.status = "active"};
	struct policy_facts f = {.credential = &cred, .person = &p, .has_zone = 1};

	(void)state;
	/* Far from any bound, at both ends of time. */
	f.now_ms = 0;
	assert_int_equal(policy_decide(&f), REASON_NONE);
	f.now_ms = INT64_MAX;
	assert_int_equal(policy_decide(&f), REASON_NONE);
}

/* Every stored code: the table the README documents. */
static const struct {
	enum reason r;
	const char *code;
} codes[] = {
    {REASON_NONE, "none"},
    {REASON_BAD_PARITY, "bad_parity"},
    {REASON_UNKNOWN_FORMAT, "unknown_format"},
    {REASON_UNKNOWN_CREDENTIAL, "unknown_credential"},
    {REASON_CREDENTIAL_REVOKED, "credential_revoked"},
    {REASON_CREDENTIAL_SUSPENDED, "credential_suspended"},
    {REASON_CREDENTIAL_LOST, "credential_lost"},
    {REASON_PERSON_INACTIVE, "person_inactive"},
    {REASON_PERSON_TERMINATED, "person_terminated"},
    {REASON_NOT_YET_VALID, "not_yet_valid"},
    {REASON_EXPIRED, "expired"},
    {REASON_NO_ACCESS, "no_access"},
    {REASON_DOOR_LOCKED_DOWN, "door_locked_down"},
    {REASON_INTERNAL_ERROR, "internal_error"},
    {REASON_AMBIGUOUS_CREDENTIAL, "ambiguous_credential"},
    {REASON_STORAGE_FAILURE, "storage_failure"},
    {REASON_OUTSIDE_SCHEDULE, "outside_schedule"},
    {REASON_VETTING_REQUIRED, "vetting_required"},
    {REASON_VETTING_OVERDUE, "vetting_overdue"},
    {REASON_DOOR_LOCKED, "door_locked"},
    {REASON_PIN_REQUIRED, "pin_required"},
    {REASON_WRONG_PIN, "wrong_pin"},
    {REASON_PIN_LOCKED, "pin_locked"},
    {REASON_ANTIPASSBACK, "antipassback"},
    {REASON_OCCUPANCY_FULL, "occupancy_full"},
    {REASON_THREAT_LEVEL, "threat_level"},
    {REASON_INTERLOCK, "interlock"},
    {REASON_TWO_PERSON_TIMEOUT, "two_person_timeout"},
    {REASON_ESCORT_REQUIRED, "escort_required"},
};

static void test_reason_codes_are_stable(void **state)
{
	(void)state;
	/* A new reason must be added here too: the codes are a contract. */
	assert_int_equal(sizeof(codes) / sizeof(codes[0]), _REASON_MAX);
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		assert_string_equal(reason_to_string(codes[i].r), codes[i].code);
}

static void test_reason_round_trips(void **state)
{
	(void)state;
	for (int r = 0; r < _REASON_MAX; r++) {
		const char *s = reason_to_string((enum reason)r);

		assert_non_null(s);
		assert_int_equal(reason_from_string(s), r);
	}
}

static void test_reason_out_of_range_is_internal_error(void **state)
{
	(void)state;
	assert_string_equal(reason_to_string(_REASON_MAX), "internal_error");
	assert_string_equal(reason_to_string((enum reason)(_REASON_MAX + 100)), "internal_error");
	assert_string_equal(reason_to_string((enum reason) - 1), "internal_error");
}

static void test_reason_from_unknown_string_is_einval(void **state)
{
	(void)state;
	assert_int_equal(reason_from_string(NULL), -EINVAL);
	assert_int_equal(reason_from_string(""), -EINVAL);
	assert_int_equal(reason_from_string("Expired"), -EINVAL);
	assert_int_equal(reason_from_string("expired "), -EINVAL);
	/* outside_schedule was the example of a code no rule had; now one has it. */
	assert_int_equal(reason_from_string("outside_schedule"), REASON_OUTSIDE_SCHEDULE);
	assert_int_equal(reason_from_string("two_person"), -EINVAL);
}

/* The clearance-and-time rules: vetting, levels with schedules, door modes, in order. */
static void test_vetting_schedules_and_door_modes(void **state)
{
	static const struct schedule_interval day = {0x1f, 7 * 60, 17 * 60}; /* mon-fri 07-17 */
	static const struct schedule_interval night = {0x1f, 22 * 60, 6 * 60};
	const struct schedule_moment monday_noon = {SCHEDULE_MON, SCHEDULE_SUN, 12 * 60};
	const struct schedule_moment monday_eve = {SCHEDULE_MON, SCHEDULE_SUN, 20 * 60};
	const struct policy_level always = {NULL, 0}, days = {&day, 1}, nights = {&night, 1};
	const struct policy_level only_days[] = {days}, days_and_nights[] = {days, nights},
				  days_and_always[] = {days, always};
	static const struct {
		const char *name;
		bool vetting_required;
		enum policy_vetting_status vetting;
		int64_t recheck; /* relative to NOW; 0: none */
		int levels;	 /* -1: has_zone = 1 (levels unknown); else which table */
		bool evening;
		enum policy_door_mode mode;
		enum reason want;
	} cases[] = {
	    {"no vetting needed, no record", false, POLICY_VETTING_NONE, 0, -1, false,
	     POLICY_DOOR_CARD, REASON_NONE},
	    {"vetting required, no record", true, POLICY_VETTING_NONE, 0, -1, false,
	     POLICY_DOOR_CARD, REASON_VETTING_REQUIRED},
	    {"vetting required, pending", true, POLICY_VETTING_PENDING, 0, -1, false,
	     POLICY_DOOR_CARD, REASON_VETTING_REQUIRED},
	    {"vetting required, failed", true, POLICY_VETTING_FAILED, 0, -1, false,
	     POLICY_DOOR_CARD, REASON_VETTING_REQUIRED},
	    {"cleared, re-check due tomorrow", true, POLICY_VETTING_CLEARED, 86400000, -1, false,
	     POLICY_DOOR_CARD, REASON_NONE},
	    {"cleared, re-check 1 ms away is not overdue", true, POLICY_VETTING_CLEARED, 1, -1,
	     false, POLICY_DOOR_CARD, REASON_NONE},
	    {"cleared, re-check passed", true, POLICY_VETTING_CLEARED, -1, -1, false,
	     POLICY_DOOR_CARD, REASON_VETTING_OVERDUE},
	    {"a day level at noon", false, 0, 0, 0, false, POLICY_DOOR_CARD, REASON_NONE},
	    {"a day level in the evening", false, 0, 0, 0, true, POLICY_DOOR_CARD,
	     REASON_OUTSIDE_SCHEDULE},
	    {"day and night levels in the evening: neither", false, 0, 0, 1, true, POLICY_DOOR_CARD,
	     REASON_OUTSIDE_SCHEDULE},
	    {"a level without schedule beside a day level", false, 0, 0, 2, true, POLICY_DOOR_CARD,
	     REASON_NONE},
	    {"no level includes the zone", false, 0, 0, 3, false, POLICY_DOOR_CARD,
	     REASON_NO_ACCESS},
	    {"a locked door denies", false, 0, 0, -1, false, POLICY_DOOR_LOCKED,
	     REASON_DOOR_LOCKED},
	    {"an unlocked door grants a badge", false, 0, 0, -1, false, POLICY_DOOR_UNLOCKED,
	     REASON_NONE},
	    {"card and pin passes the decision (the PIN comes after)", false, 0, 0, -1, false,
	     POLICY_DOOR_CARD_AND_PIN, REASON_NONE},
	    {"an unknown mode fails closed", false, 0, 0, -1, false, (enum policy_door_mode)9,
	     REASON_INTERNAL_ERROR},
	    {"vetting before schedule", true, POLICY_VETTING_NONE, 0, 0, true, POLICY_DOOR_CARD,
	     REASON_VETTING_REQUIRED},
	    {"schedule before door mode", false, 0, 0, 0, true, POLICY_DOOR_LOCKED,
	     REASON_OUTSIDE_SCHEDULE},
	    {"no access before door mode", false, 0, 0, 3, false, POLICY_DOOR_LOCKED,
	     REASON_NO_ACCESS},
	};
	const struct {
		const struct policy_level *l;
		size_t n;
	} tables[] = {{only_days, 1}, {days_and_nights, 2}, {days_and_always, 2}, {NULL, 0}};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct credential cred = {.status = "active"};
		struct person p = {.status = "active"};
		struct policy_facts f = {
		    .credential = &cred, .person = &p, .has_zone = 1, .now_ms = NOW};
		enum reason got;

		f.zone_requires_vetting = cases[i].vetting_required;
		f.vetting = cases[i].vetting;
		f.vetting_recheck_due_ms = cases[i].recheck ? NOW + cases[i].recheck : 0;
		if (cases[i].levels >= 0) {
			f.levels_known = true;
			f.levels = tables[cases[i].levels].l;
			f.n_levels = tables[cases[i].levels].n;
			f.moment = cases[i].evening ? &monday_eve : &monday_noon;
		}
		f.door_mode = cases[i].mode;
		got = policy_decide(&f);
		if (got != cases[i].want)
			fail_msg("case '%s': got %s, want %s", cases[i].name, reason_to_string(got),
				 reason_to_string(cases[i].want));
	}
	/* The re-check date itself is overdue. */
	struct credential cred = {.status = "active"};
	struct person p = {.status = "active"};
	struct policy_facts f = {.credential = &cred,
				 .person = &p,
				 .has_zone = 1,
				 .now_ms = NOW,
				 .zone_requires_vetting = true,
				 .vetting = POLICY_VETTING_CLEARED,
				 .vetting_recheck_due_ms = NOW};
	assert_int_equal(policy_decide(&f), REASON_VETTING_OVERDUE);
}

/* Red flags (flags.c): a table of person and badge states and the words they raise, all at once. */
static void test_red_flags_are_the_rules_reasons_now(void **state)
{
	static const struct {
		const char *name, *status;
		int64_t from, until; /* relative to NOW; 0: unbounded */
		enum policy_vetting_status vetting;
		int64_t recheck; /* relative to NOW; 0: none */
		enum reason want[POLICY_FLAGS_MAX];
		size_t n;
	} people[] = {
	    {"active and in force", "active", 0, 0, POLICY_VETTING_NONE, 0, {0}, 0},
	    {"suspended", "suspended", 0, 0, POLICY_VETTING_NONE, 0, {REASON_PERSON_INACTIVE}, 1},
	    /* The end of a life is the status itself, not a flag. */
	    {"terminated", "terminated", 0, 0, POLICY_VETTING_NONE, 0, {0}, 0},
	    {"expired at the instant", "active", 0, 1, POLICY_VETTING_NONE, 0, {REASON_EXPIRED}, 1},
	    {"valid until one ms later", "active", 0, 2, POLICY_VETTING_NONE, 0, {0}, 0},
	    {"not yet valid", "active", 2, 0, POLICY_VETTING_NONE, 0, {REASON_NOT_YET_VALID}, 1},
	    {"vetting overdue on the day",
	     "active",
	     0,
	     0,
	     POLICY_VETTING_CLEARED,
	     1,
	     {REASON_VETTING_OVERDUE},
	     1},
	    {"vetting cleared, due later", "active", 0, 0, POLICY_VETTING_CLEARED, 2, {0}, 0},
	    /* Never vetted, or pending: refused only where a zone requires it, not a flag. */
	    {"never vetted", "active", 0, 0, POLICY_VETTING_NONE, 0, {0}, 0},
	    {"vetting pending", "active", 0, 0, POLICY_VETTING_PENDING, 0, {0}, 0},
	    {"suspended, expired and overdue",
	     "suspended",
	     0,
	     1,
	     POLICY_VETTING_CLEARED,
	     1,
	     {REASON_PERSON_INACTIVE, REASON_EXPIRED, REASON_VETTING_OVERDUE},
	     3},
	};
	static const struct {
		const char *status;
		int64_t from, until;
		enum reason want[POLICY_FLAGS_MAX];
		size_t n;
	} badges[] = {
	    {"active", 0, 0, {0}, 0},
	    {"suspended", 0, 0, {REASON_CREDENTIAL_SUSPENDED}, 1},
	    {"lost", 0, 0, {REASON_CREDENTIAL_LOST}, 1},
	    {"revoked", 0, 0, {0}, 0},
	    {"returned", 0, 0, {0}, 0},
	    {"active", 0, 1, {REASON_EXPIRED}, 1},
	    {"suspended", 2, 0, {REASON_CREDENTIAL_SUSPENDED, REASON_NOT_YET_VALID}, 2},
	};
	enum reason got[POLICY_FLAGS_MAX];

	(void)state;
	/* Relative times: 1 means NOW itself, 2 one ms after, so 0 can mean "none". */
#define AT(x) ((x) ? NOW + (x)-1 : 0)
	for (size_t i = 0; i < sizeof(people) / sizeof(people[0]); i++) {
		struct person p = {.valid_from = AT(people[i].from),
				   .valid_until = AT(people[i].until)};
		size_t n;

		snprintf(p.status, sizeof(p.status), "%s", people[i].status);
		n = policy_person_flags(&p, people[i].vetting, AT(people[i].recheck), NOW, got);
		if (n != people[i].n || memcmp(got, people[i].want, n * sizeof(got[0])) != 0)
			fail_msg("person case '%s': %zu flags, first %s", people[i].name, n,
				 n ? reason_to_string(got[0]) : "-");
	}
	for (size_t i = 0; i < sizeof(badges) / sizeof(badges[0]); i++) {
		struct credential cr = {.valid_from = AT(badges[i].from),
					.valid_until = AT(badges[i].until)};
		size_t n;

		snprintf(cr.status, sizeof(cr.status), "%s", badges[i].status);
		n = policy_credential_flags(&cr, NOW, got);
		assert_int_equal(n, badges[i].n);
		assert_memory_equal(got, badges[i].want, n * sizeof(got[0]));
	}
#undef AT
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_vetting_schedules_and_door_modes),
	    cmocka_unit_test(test_red_flags_are_the_rules_reasons_now),
	    cmocka_unit_test(test_denies_by_credential_person_and_zone),
	    cmocka_unit_test(test_denies_outside_validity_windows_at_exact_boundaries),
	    cmocka_unit_test(test_first_denying_rule_names_the_reason),
	    cmocka_unit_test(test_denies_without_facts),
	    cmocka_unit_test(test_zero_validity_means_unbounded),
	    cmocka_unit_test(test_reason_codes_are_stable),
	    cmocka_unit_test(test_reason_round_trips),
	    cmocka_unit_test(test_reason_out_of_range_is_internal_error),
	    cmocka_unit_test(test_reason_from_unknown_string_is_einval),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
