/* SPDX-License-Identifier: MIT */
/* Wiegand framing: timestamps in, frames out, with an injected clock. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "aeogate/wiegand.h"

#define US  1000ull
#define MS  (1000ull * 1000)
#define GAP (25 * MS)
#define T0  (1000 * MS) /* an arbitrary monotonic start */

/*
 * Feeds the bits of s one per spacing starting at t; returns the time of the
 * last pulse. Every pulse but possibly the first must report nothing.
 */
static uint64_t feed(struct wiegand_framer *f, const char *s, uint64_t t, uint64_t spacing)
{
	struct wiegand_frame fr;

	for (size_t i = 0; s[i]; i++) {
		wiegand_framer_pulse(f, s[i] - '0', t, &fr);
		if (i > 0)
			assert_int_equal(fr.kind, WIEGAND_FRAME_NONE);
		t += spacing;
	}
	return t - spacing;
}

static void feed_n(struct wiegand_framer *f, int bit, size_t n, uint64_t t, uint64_t spacing)
{
	struct wiegand_frame fr;

	for (size_t i = 0; i < n; i++) {
		wiegand_framer_pulse(f, bit, t + i * spacing, &fr);
		assert_int_equal(fr.kind, WIEGAND_FRAME_NONE);
	}
}

static void assert_bits(const struct wiegand_frame *fr, const char *s)
{
	size_t n = strlen(s);

	assert_int_equal(fr->nbits, n);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(fr->bits[i], s[i] - '0');
}

static const char card26[] = "00000110000001101100000001"; /* h10301:12:3456 */

static void test_card_frame_ends_at_gap(void **state)
{
	struct wiegand_framer f;
	struct wiegand_frame fr;
	struct wiegand_card c[2];
	uint64_t last;

	wiegand_framer_init(&f, NULL);
	assert_int_equal(wiegand_framer_deadline(&f), 0);
	last = feed(&f, card26, T0, 2 * MS);
	assert_int_equal(wiegand_framer_deadline(&f), last + GAP);

	/* One nanosecond early: still pending. */
	wiegand_framer_flush(&f, last + GAP - 1, &fr);
	assert_int_equal(fr.kind, WIEGAND_FRAME_NONE);
	assert_int_equal(wiegand_framer_deadline(&f), last + GAP);

	wiegand_framer_flush(&f, last + GAP, &fr);
	assert_int_equal(fr.kind, WIEGAND_FRAME_CARD);
	assert_null(fr.noise_reason);
	assert_bits(&fr, card26);
	assert_int_equal(wiegand_decode(fr.bits, fr.nbits, WIEGAND_ALL_FORMATS, c, 2), 1);
	assert_int_equal(c[0].facility, 12);
	assert_int_equal(c[0].number, 3456);

	/* Idle again: no deadline, flushing reports nothing. */
	assert_int_equal(wiegand_framer_deadline(&f), 0);
	wiegand_framer_flush(&f, last + 10 * GAP, &fr);
	assert_int_equal(fr.kind, WIEGAND_FRAME_NONE);
}

static void test_flush_before_gap_reports_nothing(void **state)
{
	struct wiegand_framer f;
	struct wiegand_frame fr;
	uint64_t last;

	wiegand_framer_init(&f, NULL);
	wiegand_framer_flush(&f, T0, &fr);
	assert_int_equal(fr.kind, WIEGAND_FRAME_NONE);

	last = feed(&f, card26, T0, 2 * MS);
	wiegand_framer_flush(&f, last, &fr);
	assert_int_equal(fr.kind, WIEGAND_FRAME_NONE);
	wiegand_framer_flush(&f, last + GAP / 2, &fr);
	assert_int_equal(fr.kind, WIEGAND_FRAME_NONE);
	/* A clock read before the last pulse is not past the gap either. */
	wiegand_framer_flush(&f, T0, &fr);
	assert_int_equal(fr.kind, WIEGAND_FRAME_NONE);
	/* The frame is still whole. */
	wiegand_framer_flush(&f, last + GAP, &fr);
	assert_int_equal(fr.kind, WIEGAND_FRAME_CARD);
	assert_bits(&fr, card26);
}

static void test_pulse_after_gap_completes_previous_frame(void **state)
{
	static const char second[] = "10000001001100101101110001"; /* h10301:2:26040 */
	struct wiegand_framer f;
	struct wiegand_frame fr;
	uint64_t last, start2;

	wiegand_framer_init(&f, NULL);
	last = feed(&f, card26, T0, 2 * MS);
	start2 = last + 30 * MS;

	/* The first pulse of the second frame reports the first frame. */
	wiegand_framer_pulse(&f, second[0] - '0', start2, &fr);
	assert_int_equal(fr.kind, WIEGAND_FRAME_CARD);
	assert_bits(&fr, card26);
	assert_int_equal(wiegand_framer_deadline(&f), start2 + GAP);

	last = feed(&f, second + 1, start2 + 2 * MS, 2 * MS);
	wiegand_framer_flush(&f, last + GAP, &fr);
	assert_int_equal(fr.kind, WIEGAND_FRAME_CARD);
	assert_bits(&fr, second);
}

static void test_pulse_exactly_at_gap_continues_frame(void **state)
{
	struct wiegand_framer f;
	struct wiegand_frame fr;

	/* "More than" the gap ends a frame: exactly the gap does not. */
	wiegand_framer_init(&f, NULL);
	feed_n(&f, 1, 13, T0, 2 * MS);
	feed_n(&f, 0, 13, T0 + 12 * 2 * MS + GAP, 2 * MS);
	wiegand_framer_flush(&f, UINT64_MAX, &fr);
	assert_int_equal(fr.kind, WIEGAND_FRAME_CARD);
	assert_int_equal(fr.nbits, 26);
}

static void test_pulses_too_close_are_noise(void **state)
{
	struct wiegand_framer f;
	struct wiegand_frame fr;
	uint64_t last;

	wiegand_framer_init(&f, NULL);
	last = feed(&f, card26, T0, 50 * US);
	wiegand_framer_flush(&f, last + GAP, &fr);
	assert_int_equal(fr.kind, WIEGAND_FRAME_NOISE);
	assert_string_equal(fr.noise_reason, "pulse_too_close");
	assert_int_equal(fr.nbits, 26);

	/* One close pair in an otherwise clean frame is enough. */
	feed_n(&f, 1, 20, T0 + MS * 1000, 2 * MS);
	feed_n(&f, 0, 6, T0 + MS * 1000 + 19 * 2 * MS + 199 * US, 2 * MS);
	wiegand_framer_flush(&f, UINT64_MAX, &fr);
	assert_int_equal(fr.kind, WIEGAND_FRAME_NOISE);
	assert_string_equal(fr.noise_reason, "pulse_too_close");

	/* Exactly the minimum interval is fine. */
	feed(&f, card26, T0 + MS * 2000, 200 * US);
	wiegand_framer_flush(&f, UINT64_MAX, &fr);
	assert_int_equal(fr.kind, WIEGAND_FRAME_CARD);
	assert_bits(&fr, card26);
}

static void test_time_going_backwards_is_noise(void **state)
{
	struct wiegand_framer f;
	struct wiegand_frame fr;

	wiegand_framer_init(&f, NULL);
	feed_n(&f, 1, 13, T0, 2 * MS);
	/* Later pulses stamped before the earlier ones. */
	feed_n(&f, 0, 13, T0 - 100 * MS, 2 * MS);
	/* The deadline follows the latest pulse, never an earlier one. */
	assert_int_equal(wiegand_framer_deadline(&f), T0 + 12 * 2 * MS + GAP);
	wiegand_framer_flush(&f, T0 + 12 * 2 * MS + GAP, &fr);
	assert_int_equal(fr.kind, WIEGAND_FRAME_NOISE);
	assert_string_equal(fr.noise_reason, "pulse_too_close");
}

static void test_overlong_frame_is_noise(void **state)
{
	struct wiegand_framer f;
	struct wiegand_frame fr;

	wiegand_framer_init(&f, NULL);
	feed_n(&f, 1, 70, T0, 2 * MS);
	wiegand_framer_flush(&f, T0 + 69 * 2 * MS + GAP, &fr);
	assert_int_equal(fr.kind, WIEGAND_FRAME_NOISE);
	assert_string_equal(fr.noise_reason, "frame_too_long");
	assert_int_equal(fr.nbits, 70);

	/* The limit from the other side: 64 bits is a card frame. */
	feed_n(&f, 0, AEOGATE_WIEGAND_MAX_BITS, T0 + 1000 * MS, 2 * MS);
	wiegand_framer_flush(&f, UINT64_MAX, &fr);
	assert_int_equal(fr.kind, WIEGAND_FRAME_CARD);
	assert_int_equal(fr.nbits, AEOGATE_WIEGAND_MAX_BITS);

	feed_n(&f, 0, AEOGATE_WIEGAND_MAX_BITS + 1, T0 + 2000 * MS, 2 * MS);
	wiegand_framer_flush(&f, UINT64_MAX, &fr);
	assert_int_equal(fr.kind, WIEGAND_FRAME_NOISE);
	assert_string_equal(fr.noise_reason, "frame_too_long");

	/* Framer is usable after an overlong frame. */
	feed(&f, card26, T0 + 3000 * MS, 2 * MS);
	wiegand_framer_flush(&f, UINT64_MAX, &fr);
	assert_int_equal(fr.kind, WIEGAND_FRAME_CARD);
	assert_bits(&fr, card26);
}

static void test_lone_pulse_is_noise(void **state)
{
	struct wiegand_framer f;
	struct wiegand_frame fr;

	wiegand_framer_init(&f, NULL);
	wiegand_framer_pulse(&f, 1, T0, &fr);
	assert_int_equal(fr.kind, WIEGAND_FRAME_NONE);
	assert_int_equal(wiegand_framer_deadline(&f), T0 + GAP);
	wiegand_framer_flush(&f, T0 + GAP, &fr);
	assert_int_equal(fr.kind, WIEGAND_FRAME_NOISE);
	assert_string_equal(fr.noise_reason, "lone_pulse");
	assert_int_equal(fr.nbits, 1);
}

struct key_case {
	const char *bits;
	enum wiegand_frame_kind kind;
	int key;
};

static void test_keypad_frames(void **state)
{
	static const struct key_case cases[] = {
	    {"0000", WIEGAND_FRAME_KEY, 0},
	    {"0001", WIEGAND_FRAME_KEY, 1},
	    {"1001", WIEGAND_FRAME_KEY, 9},
	    {"1010", WIEGAND_FRAME_KEY, 10}, /* '*' */
	    {"1011", WIEGAND_FRAME_KEY, 11}, /* '#' */
	    {"1100", WIEGAND_FRAME_NOISE, 0},
	    {"1111", WIEGAND_FRAME_NOISE, 0},
	    /* HID 8-bit: complement nibble first, then the key. */
	    {"11110000", WIEGAND_FRAME_KEY, 0},
	    {"11100001", WIEGAND_FRAME_KEY, 1},
	    {"10000111", WIEGAND_FRAME_KEY, 7},
	    {"01011010", WIEGAND_FRAME_KEY, 10},
	    {"01001011", WIEGAND_FRAME_KEY, 11},
	    {"00010001", WIEGAND_FRAME_NOISE, 0}, /* no complement */
	    {"11110001", WIEGAND_FRAME_NOISE, 0},
	    {"00000000", WIEGAND_FRAME_NOISE, 0},
	    {"00111100", WIEGAND_FRAME_NOISE, 0}, /* complement but not a key */
	};
	struct wiegand_framer f;
	struct wiegand_frame fr;
	uint64_t t = T0;

	wiegand_framer_init(&f, NULL);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t last = feed(&f, cases[i].bits, t, 2 * MS);

		wiegand_framer_flush(&f, last + GAP, &fr);
		assert_int_equal(fr.kind, cases[i].kind);
		if (cases[i].kind == WIEGAND_FRAME_KEY) {
			assert_int_equal(fr.key, cases[i].key);
			assert_null(fr.noise_reason);
		} else {
			assert_string_equal(fr.noise_reason, "bad_keypad");
		}
		t = last + 2 * GAP;
	}
}

static void test_short_frames_are_noise(void **state)
{
	static const size_t lengths[] = {2, 3, 5, 6, 7, 9, 10, 16, 25};
	struct wiegand_framer f;
	struct wiegand_frame fr;
	uint64_t t = T0;

	wiegand_framer_init(&f, NULL);
	for (size_t i = 0; i < sizeof(lengths) / sizeof(lengths[0]); i++) {
		feed_n(&f, 1, lengths[i], t, 2 * MS);
		t += (lengths[i] - 1) * 2 * MS + GAP;
		wiegand_framer_flush(&f, t, &fr);
		assert_int_equal(fr.kind, WIEGAND_FRAME_NOISE);
		assert_string_equal(fr.noise_reason, "short_frame");
		assert_int_equal(fr.nbits, lengths[i]);
		t += GAP;
	}
	/* The limit from the other side. */
	feed_n(&f, 1, AEOGATE_WIEGAND_MIN_CARD_BITS, t, 2 * MS);
	wiegand_framer_flush(&f, UINT64_MAX, &fr);
	assert_int_equal(fr.kind, WIEGAND_FRAME_CARD);
	assert_int_equal(fr.nbits, AEOGATE_WIEGAND_MIN_CARD_BITS);
}

static void test_custom_timing(void **state)
{
	struct wiegand_timing t = {.frame_gap_ns = 50 * MS, .min_interval_ns = 1 * MS};
	struct wiegand_framer f;
	struct wiegand_frame fr;
	uint64_t last;

	wiegand_framer_init(&f, &t);
	last = feed(&f, card26, T0, 2 * MS);
	assert_int_equal(wiegand_framer_deadline(&f), last + 50 * MS);
	wiegand_framer_flush(&f, last + GAP, &fr);
	assert_int_equal(fr.kind, WIEGAND_FRAME_NONE);
	wiegand_framer_flush(&f, last + 50 * MS, &fr);
	assert_int_equal(fr.kind, WIEGAND_FRAME_CARD);

	/* 500 us spacing is noise under a 1 ms minimum. */
	last = feed(&f, card26, T0 + 1000 * MS, 500 * US);
	wiegand_framer_flush(&f, last + 50 * MS, &fr);
	assert_int_equal(fr.kind, WIEGAND_FRAME_NOISE);
	assert_string_equal(fr.noise_reason, "pulse_too_close");

	/* Zero fields mean the defaults. */
	t = (struct wiegand_timing){0};
	wiegand_framer_init(&f, &t);
	assert_int_equal(f.timing.frame_gap_ns, GAP);
	assert_int_equal(f.timing.min_interval_ns, 200 * US);
	t = (struct wiegand_timing){.frame_gap_ns = 40 * MS};
	wiegand_framer_init(&f, &t);
	assert_int_equal(f.timing.frame_gap_ns, 40 * MS);
	assert_int_equal(f.timing.min_interval_ns, 200 * US);
}

static void test_deadline_saturates(void **state)
{
	struct wiegand_framer f;
	struct wiegand_frame fr;

	wiegand_framer_init(&f, NULL);
	wiegand_framer_pulse(&f, 1, UINT64_MAX - MS, &fr);
	assert_int_equal(wiegand_framer_deadline(&f), UINT64_MAX);
	wiegand_framer_flush(&f, UINT64_MAX - 1, &fr);
	assert_int_equal(fr.kind, WIEGAND_FRAME_NONE);
	wiegand_framer_flush(&f, UINT64_MAX, &fr);
	assert_int_equal(fr.kind, WIEGAND_FRAME_NOISE);
	assert_string_equal(fr.noise_reason, "lone_pulse");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_card_frame_ends_at_gap),
	    cmocka_unit_test(test_flush_before_gap_reports_nothing),
	    cmocka_unit_test(test_pulse_after_gap_completes_previous_frame),
	    cmocka_unit_test(test_pulse_exactly_at_gap_continues_frame),
	    cmocka_unit_test(test_pulses_too_close_are_noise),
	    cmocka_unit_test(test_time_going_backwards_is_noise),
	    cmocka_unit_test(test_overlong_frame_is_noise),
	    cmocka_unit_test(test_lone_pulse_is_noise),
	    cmocka_unit_test(test_keypad_frames),
	    cmocka_unit_test(test_short_frames_are_noise),
	    cmocka_unit_test(test_custom_timing),
	    cmocka_unit_test(test_deadline_saturates),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
