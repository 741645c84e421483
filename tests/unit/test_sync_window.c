// SPDX-License-Identifier: MIT
/*
 * The uplink's in-flight window (controller/sync/window.c): the cursor
 * moves only over the gap-free prefix of acknowledged seqs, whatever order
 * the acknowledgements come in.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "window.h"

/* One step: push (seq, mid), or ack mid; then the acked prefix expected. */
struct step {
	char what; /* 'p' push, 'a' ack */
	int64_t seq;
	int mid;
	int want_r;
	int64_t want_acked;
};

static void run(int64_t start, size_t cap, const struct step *steps, size_t n)
{
	struct sync_window w;

	assert_int_equal(sync_window_init(&w, cap, start), 0);
	for (size_t i = 0; i < n; i++) {
		const struct step *s = &steps[i];
		int r = s->what == 'p' ? sync_window_push(&w, s->seq, s->mid)
				       : sync_window_ack(&w, s->mid);

		if (r != s->want_r || sync_window_acked(&w) != s->want_acked)
			fail_msg("step %zu (%c seq %lld mid %d): r %d acked %lld, want %d and %lld",
				 i, s->what, (long long)s->seq, s->mid, r,
				 (long long)sync_window_acked(&w), s->want_r,
				 (long long)s->want_acked);
	}
	sync_window_free(&w);
}

static void test_acks_in_order_move_the_cursor_one_by_one(void **state)
{
	static const struct step steps[] = {
	    {'p', 11, 1, 0, 10}, {'p', 12, 2, 0, 10}, {'p', 13, 3, 0, 10},
	    {'a', 0, 1, 1, 11},	 {'a', 0, 2, 1, 12},  {'a', 0, 3, 1, 13},
	};
	(void)state;
	run(10, 8, steps, sizeof(steps) / sizeof(steps[0]));
}

static void test_an_ack_past_a_gap_waits_for_the_gap(void **state)
{
	static const struct step steps[] = {
	    {'p', 1, 7, 0, 0},	{'p', 2, 8, 0, 0}, {'p', 3, 9, 0, 0},
	    {'p', 4, 10, 0, 0}, {'a', 0, 9, 1, 0}, /* 3 before 1 and 2: nothing moves */
	    {'a', 0, 10, 1, 0}, {'a', 0, 7, 1, 1}, /* 1: up to 1 only, 2 is still out */
	    {'a', 0, 8, 1, 4},			   /* 2 fills the gap: 3 and 4 were in */
	};
	(void)state;
	run(0, 8, steps, sizeof(steps) / sizeof(steps[0]));
}

static void test_unknown_and_repeated_acks_change_nothing(void **state)
{
	static const struct step steps[] = {
	    {'p', 5, 100, 0, 4}, {'p', 6, 101, 0, 4}, {'a', 0, 999, 0, 4}, /* a status's mid */
	    {'a', 0, 101, 1, 4}, {'a', 0, 101, 0, 4},			   /* twice: once */
	    {'a', 0, 100, 1, 6}, {'a', 0, 100, 0, 6},
	};
	(void)state;
	run(4, 8, steps, sizeof(steps) / sizeof(steps[0]));
}

static void test_a_full_window_refuses_until_the_oldest_is_acked(void **state)
{
	static const struct step steps[] = {
	    {'p', 1, 1, 0, 0},	     {'p', 2, 2, 0, 0}, {'p', 3, 3, 0, 0}, {'p', 4, 4, -ENOSPC, 0},
	    {'a', 0, 2, 1, 0}, /* the second frees nothing */
	    {'p', 4, 4, -ENOSPC, 0}, {'a', 0, 1, 1, 2}, {'p', 4, 4, 0, 2}, /* wraps the ring */
	    {'p', 5, 5, 0, 2},	     {'a', 0, 3, 1, 3}, {'a', 0, 5, 1, 3}, {'a', 0, 4, 1, 5},
	};
	(void)state;
	run(0, 3, steps, sizeof(steps) / sizeof(steps[0]));
}

static void test_seqs_only_grow_gaps_of_a_truncated_log_allowed(void **state)
{
	static const struct step steps[] = {
	    {'p', 7, 1, 0, 6},	{'p', 7, 2, -EINVAL, 6}, {'p', 3, 2, -EINVAL, 6},
	    {'p', 20, 2, 0, 6}, /* seq 8-19 are gone: audit.truncated follows 7 */
	    {'a', 0, 2, 1, 6},	{'a', 0, 1, 1, 20},
	};
	(void)state;
	run(6, 4, steps, sizeof(steps) / sizeof(steps[0]));
}

static void test_init_bounds(void **state)
{
	struct sync_window w;

	(void)state;
	assert_int_equal(sync_window_init(&w, 0, 0), -EINVAL);
	assert_int_equal(sync_window_init(&w, 1, -1), -EINVAL);
	assert_int_equal(sync_window_init(&w, 1, 0), 0);
	assert_false(sync_window_full(&w));
	assert_int_equal(sync_window_push(&w, 1, 1), 0);
	assert_true(sync_window_full(&w));
	sync_window_free(&w);
	sync_window_free(&w); /* twice is harmless */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_acks_in_order_move_the_cursor_one_by_one),
	    cmocka_unit_test(test_an_ack_past_a_gap_waits_for_the_gap),
	    cmocka_unit_test(test_unknown_and_repeated_acks_change_nothing),
	    cmocka_unit_test(test_a_full_window_refuses_until_the_oldest_is_acked),
	    cmocka_unit_test(test_seqs_only_grow_gaps_of_a_truncated_log_allowed),
	    cmocka_unit_test(test_init_bounds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
