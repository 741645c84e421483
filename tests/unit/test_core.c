/* SPDX-License-Identifier: MIT */
/* The core's pure pieces: how a wall-clock step is measured. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core.h"

static void test_no_jump_while_both_clocks_advance(void **state)
{
	int64_t offset = 1700000000000 - 5000; /* wall - mono at start */

	assert_int_equal(core_clock_jump(offset, 1700000060000, 65000), 0);
}

static void test_forward_step_is_positive(void **state)
{
	int64_t offset = 1700000000000 - 5000;

	/* One minute of monotonic time, but the wall clock moved an hour. */
	assert_int_equal(core_clock_jump(offset, 1700003600000, 65000), 3540000);
}

static void test_backward_step_is_negative(void **state)
{
	int64_t offset = 1700000000000 - 5000;

	assert_int_equal(core_clock_jump(offset, 1699999990000, 6000), -11000);
}

static void test_threshold_is_one_second(void **state)
{
	assert_int_equal(CORE_CLOCK_JUMP_MS, 1000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_no_jump_while_both_clocks_advance),
	    cmocka_unit_test(test_forward_step_is_positive),
	    cmocka_unit_test(test_backward_step_is_negative),
	    cmocka_unit_test(test_threshold_is_one_second),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
