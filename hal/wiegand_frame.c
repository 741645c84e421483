/* SPDX-License-Identifier: MIT */
/*
 * Wiegand framing: timestamped D0/D1 pulses in, frames out. No clock of its
 * own: the caller passes kernel edge timestamps and asks for the deadline,
 * so tests drive it with plain numbers.
 */
#include <string.h>

#include "aeogate/wiegand.h"

#define WIEGAND_DEFAULT_GAP_NS		(25ull * 1000 * 1000)
#define WIEGAND_DEFAULT_MIN_INTERVAL_NS (200ull * 1000)

static void framer_reset(struct wiegand_framer *f)
{
	f->nbits = 0;
	f->last_ns = 0;
	f->active = false;
	f->overflow = false;
	f->too_close = false;
}

void wiegand_framer_init(struct wiegand_framer *f, const struct wiegand_timing *t)
{
	memset(f, 0, sizeof(*f));
	if (t)
		f->timing = *t;
	if (f->timing.frame_gap_ns == 0)
		f->timing.frame_gap_ns = WIEGAND_DEFAULT_GAP_NS;
	if (f->timing.min_interval_ns == 0)
		f->timing.min_interval_ns = WIEGAND_DEFAULT_MIN_INTERVAL_NS;
	framer_reset(f);
}

static void frame_clear(struct wiegand_frame *ret)
{
	ret->kind = WIEGAND_FRAME_NONE;
	ret->nbits = 0;
	ret->key = -1;
	ret->noise_reason = NULL;
}

static void frame_noise(struct wiegand_frame *ret, const char *reason)
{
	ret->kind = WIEGAND_FRAME_NOISE;
	ret->noise_reason = reason;
}

static unsigned frame_value(const uint8_t *bits, size_t from, size_t n)
{
	unsigned v = 0;

	for (size_t i = from; i < from + n; i++)
		v = (v << 1) | bits[i];
	return v;
}

/*
 * Classifies the pending frame into ret and resets the framer. For NOISE,
 * ret->nbits is the number of pulses seen, which for frame_too_long exceeds
 * the stored bits; only CARD frames carry bits meant for decoding.
 */
static void framer_complete(struct wiegand_framer *f, struct wiegand_frame *ret)
{
	size_t stored = f->nbits < AEOGATE_WIEGAND_MAX_BITS ? f->nbits : AEOGATE_WIEGAND_MAX_BITS;

	frame_clear(ret);
	memcpy(ret->bits, f->bits, stored);
	ret->nbits = f->nbits;

	if (f->too_close) {
		frame_noise(ret, "pulse_too_close");
	} else if (f->overflow) {
		frame_noise(ret, "frame_too_long");
	} else if (f->nbits == 1) {
		frame_noise(ret, "lone_pulse");
	} else if (f->nbits == 4) {
		unsigned v = frame_value(f->bits, 0, 4);

		if (v <= 11) {
			ret->kind = WIEGAND_FRAME_KEY;
			ret->key = (int)v;
		} else {
			frame_noise(ret, "bad_keypad");
		}
	} else if (f->nbits == 8) {
		/* HID 8-bit keypad: the high nibble is the complement of the key. */
		unsigned hi = frame_value(f->bits, 0, 4), lo = frame_value(f->bits, 4, 4);

		if ((hi ^ 0xf) == lo && lo <= 11) {
			ret->kind = WIEGAND_FRAME_KEY;
			ret->key = (int)lo;
		} else {
			frame_noise(ret, "bad_keypad");
		}
	} else if (f->nbits < AEOGATE_WIEGAND_MIN_CARD_BITS) {
		frame_noise(ret, "short_frame");
	} else {
		ret->kind = WIEGAND_FRAME_CARD;
	}
	framer_reset(f);
}

void wiegand_framer_pulse(struct wiegand_framer *f, int bit, uint64_t ts_ns,
			  struct wiegand_frame *ret)
{
	frame_clear(ret);

	if (f->active && ts_ns > f->last_ns && ts_ns - f->last_ns > f->timing.frame_gap_ns)
		framer_complete(f, ret);

	if (f->active) {
		/* A clock going backwards is as suspect as pulses too close. */
		if (ts_ns < f->last_ns || ts_ns - f->last_ns < f->timing.min_interval_ns)
			f->too_close = true;
	}

	if (f->nbits < AEOGATE_WIEGAND_MAX_BITS)
		f->bits[f->nbits] = bit ? 1 : 0;
	else
		f->overflow = true;
	if (f->nbits < SIZE_MAX)
		f->nbits++;

	/* Never move the deadline backwards: the frame ends after its latest pulse. */
	if (!f->active || ts_ns > f->last_ns)
		f->last_ns = ts_ns;
	f->active = true;
}

uint64_t wiegand_framer_deadline(const struct wiegand_framer *f)
{
	if (!f->active)
		return 0;
	if (f->last_ns > UINT64_MAX - f->timing.frame_gap_ns)
		return UINT64_MAX;
	return f->last_ns + f->timing.frame_gap_ns;
}

void wiegand_framer_flush(struct wiegand_framer *f, uint64_t now_ns, struct wiegand_frame *ret)
{
	frame_clear(ret);
	if (f->active && now_ns >= wiegand_framer_deadline(f))
		framer_complete(f, ret);
}
