/* SPDX-License-Identifier: MIT */
/*
 * Wiegand framing, bytes → timestamped pulses, as a GPIO backend feeds the
 * framer from kernel edge events. The first byte picks the timing; then
 * every 3 bytes are one step: the low bit of the first is D0/D1, the next
 * bit says "flush instead of pulse", and two bytes of delay (scaled so both
 * 2 ms bit intervals, 25 ms gaps and sub-200 us noise are reachable;
 * 0xffff means a clock step backwards). Checks: frames obey their kind's
 * contract, and a CARD frame always goes through wiegand_decode safely.
 */
#include "fuzz.h"
#include <stdint.h>
#include <string.h>

#include "aeogate/wiegand.h"

static void check(const struct wiegand_frame *f)
{
	struct wiegand_card cards[AEOGATE_FORMATS_MAX];

	switch (f->kind) {
	case WIEGAND_FRAME_NONE:
		break;
	case WIEGAND_FRAME_CARD:
		CHECK(f->nbits >= AEOGATE_WIEGAND_MIN_CARD_BITS && f->nbits <= AEOGATE_WIEGAND_MAX_BITS);
		for (size_t i = 0; i < f->nbits; i++)
			CHECK(f->bits[i] <= 1);
		(void)wiegand_decode(f->bits, f->nbits, WIEGAND_ALL_FORMATS, cards, AEOGATE_FORMATS_MAX);
		break;
	case WIEGAND_FRAME_KEY:
		CHECK(f->key >= 0 && f->key <= 11);
		break;
	case WIEGAND_FRAME_NOISE:
		CHECK(f->noise_reason != NULL);
		break;
	default:
		CHECK(!"unknown frame kind");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wiegand_framer fr;
	struct wiegand_timing t = {0};
	struct wiegand_frame f;
	uint64_t now = 1000000000ull;

	if (size < 1)
		return 0;
	/* 0: defaults; otherwise gaps of 5-500 ms as the config allows. */
	if (data[0])
		t.frame_gap_ns = (uint64_t)(5 + (data[0] - 1) * 2) * 1000000ull;
	wiegand_framer_init(&fr, &t);

	for (size_t i = 1; i + 3 <= size; i += 3) {
		unsigned delay = (unsigned)data[i + 1] << 8 | data[i + 2];

		if (delay == 0xffff)
			now -= 1000000; /* a wall-clock step in a misbehaving driver */
		else
			now += (uint64_t)delay * 1000; /* 0 .. 65 ms in 1 us steps */
		if (data[i] & 2) {
			wiegand_framer_flush(&fr, now, &f);
		} else {
			uint64_t deadline = wiegand_framer_deadline(&fr);
			wiegand_framer_pulse(&fr, data[i] & 1, now, &f);
			if (f.kind != WIEGAND_FRAME_NONE)
				CHECK(deadline && now > deadline - 1);
		}
		check(&f);
	}
	/* The reader falls silent: whatever is pending ends. */
	if (wiegand_framer_deadline(&fr)) {
		wiegand_framer_flush(&fr, wiegand_framer_deadline(&fr), &f);
		CHECK(f.kind != WIEGAND_FRAME_NONE);
		check(&f);
		CHECK(wiegand_framer_deadline(&fr) == 0);
	}
	return 0;
}
