// SPDX-License-Identifier: MIT
/*
 * The canonical encoding (controller/lib/canonical.c and chain.c): the
 * direct encoder writes exactly the definition's bytes, takes the events
 * the decision path writes (so the fast path is really used), and declines
 * what it cannot write byte for byte. fuzz_canonical does the same over
 * arbitrary input.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "chain.h"

static void test_direct_encoder_matches_the_definition(void **state)
{
	static const struct {
		const char *name;
		struct event e;
		bool fast; /* the direct encoder must take it */
	} cases[] = {
	    {"a grant as the core writes it",
	     {.seq = 5,
	      .ts_ms = 1795867200123,
	      .kind = "access.granted",
	      .door = "dock-1",
	      .reader = "dock-1-in",
	      .zone = "dock",
	      .person = "E1001",
	      .credential = "h10301:12:1001",
	      .detail = "{\"bits\":26,\"direction\":\"in\"}"},
	     true},
	    {"an NFC read",
	     {.seq = 6,
	      .kind = "access.denied",
	      .credential = "uid:04a1b2c3",
	      .reason = "unknown_credential",
	      .detail = "{\"direction\":\"out\",\"uid_bytes\":4}"},
	     true},
	    {"no detail", {.seq = 9223372036854775807, .ts_ms = 0, .kind = "door.forced"}, true},
	    {"quotes and backslashes", {.seq = 1, .kind = "x", .person = "a\"b\\c"}, true},
	    {"UTF-8 text",
	     {.seq = 1, .kind = "door.forced", .door = "T\xc3\xbcr \xe2\x9c\x93"},
	     true},
	    {"an ambiguous read's candidates",
	     {.seq = 2,
	      .kind = "access.denied",
	      .detail = "{\"bits\":37,\"candidates\":[{\"credential\":\"h10302:0:524290\","
			"\"person\":\"A\"},{\"credential\":\"h10304:1:2\",\"person\":\"B\"}],"
			"\"direction\":\"in\"}"},
	     true},
	    {"a detail with unsorted keys",
	     {.seq = 3,
	      .kind = "system.start",
	      .detail = "{\"version\":\"0.1.0\",\"clock_synced\":true,\"schema\":6}"},
	     false},
	    {"a detail with spaces", {.seq = 3, .kind = "k", .detail = "{\"a\": 1}"}, false},
	    {"a detail with a unicode escape",
	     {.seq = 3, .kind = "k", .detail = "{\"a\":\"Zo\\u00eb\"}"},
	     false},
	    {"a detail with a real", {.seq = 3, .kind = "k", .detail = "{\"a\":1.5}"}, false},
	    {"a detail with -0", {.seq = 3, .kind = "k", .detail = "{\"a\":-0}"}, false},
	    {"a detail with duplicate keys",
	     {.seq = 3, .kind = "k", .detail = "{\"a\":1,\"a\":2}"},
	     false},
	    {"a detail that is not an object", {.seq = 3, .kind = "k", .detail = "[1,2]"}, false},
	    {"a detail that is not JSON", {.seq = 3, .kind = "k", .detail = "{oops"}, false},
	    {"a control character", {.seq = 3, .kind = "k", .person = "a\tb"}, false},
	    {"invalid UTF-8", {.seq = 3, .kind = "k", .door = "\xff"}, false},
	    {"a surrogate in UTF-8", {.seq = 3, .kind = "k", .door = "\xed\xa0\x80"}, false},
	};
	char buf[CHAIN_CANONICAL_FAST_MAX];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int n = event_canonical_fast(&cases[i].e, buf, sizeof(buf));
		char *ref = audit_canonical_reference(&cases[i].e);
		char *canon = audit_canonical(&cases[i].e);

		if ((n >= 0) != cases[i].fast)
			fail_msg("%s: direct encoder returned %d", cases[i].name, n);
		if (n >= 0 && (!ref || strcmp(buf, ref) != 0))
			fail_msg("%s: %s\n   != %s", cases[i].name, buf, ref ? ref : "(null)");
		/* Either way, audit_canonical is the definition's bytes. */
		if ((ref == NULL) != (canon == NULL) || (ref && strcmp(ref, canon) != 0))
			fail_msg("%s: audit_canonical differs from the definition", cases[i].name);
		free(ref);
		free(canon);
	}
}

static void test_short_buffer_is_refused(void **state)
{
	struct event e = {.seq = 1, .kind = "door.forced", .door = "dock-1"};
	char buf[64];

	assert_int_equal(event_canonical_fast(&e, buf, 20), -ENOSPC);
	assert_true(event_canonical_fast(&e, buf, sizeof(buf)) == -ENOSPC ||
		    event_canonical_fast(&e, buf, sizeof(buf)) > 0);
}

static void test_hash_is_the_readme_recipe(void **state)
{
	/* A first event (prev 64 zeros), hashed by the README's Python recipe. */
	struct event e = {.seq = 1, .ts_ms = 0, .kind = "system.start"};
	char a[EVENT_HASH_HEX], b[EVENT_HASH_HEX];

	assert_int_equal(audit_hash(AUDIT_GENESIS, &e, a), 0);
	e.detail = "{\"b\":1,\"a\":2}"; /* unsorted: the reference path */
	assert_int_equal(audit_hash(AUDIT_GENESIS, &e, b), 0);
	assert_string_not_equal(a, b);
	assert_string_equal(a, "3b33c43b358d5acf9106fc84e0f1032d57b5abefcf262b3a3c0fae5622147d04");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_direct_encoder_matches_the_definition),
	    cmocka_unit_test(test_short_buffer_is_refused),
	    cmocka_unit_test(test_hash_is_the_readme_recipe),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
