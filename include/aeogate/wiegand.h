/* SPDX-License-Identifier: MIT */
/*
 * Wiegand decoding (hal/wiegand.c) and framing (hal/wiegand_frame.c).
 * Pure functions: no I/O, no clock, no allocation. Bits are one byte each
 * (0 or 1), in the order they arrive on the wire (most significant first).
 */
#ifndef AEOGATE_WIEGAND_H
#define AEOGATE_WIEGAND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aeogate/limits.h"

enum wiegand_format {
	WIEGAND_H10301, /* 26-bit: 8-bit facility, 16-bit card */
	WIEGAND_H10302, /* 37-bit: 35-bit card, no facility (facility is 0) */
	WIEGAND_H10304, /* 37-bit: 16-bit facility, 19-bit card */
	WIEGAND_H10306, /* 34-bit: 16-bit facility, 16-bit card */
	WIEGAND_C1K35,  /* HID Corporate 1000 35-bit: 12-bit company, 20-bit card */
	WIEGAND_C1K48,  /* HID Corporate 1000 48-bit: 22-bit company, 23-bit card */
	_WIEGAND_FORMAT_MAX,
};

#define WIEGAND_ALL_FORMATS ((1u << _WIEGAND_FORMAT_MAX) - 1)

struct wiegand_card {
	enum wiegand_format format;
	uint32_t facility; /* facility code or company id */
	uint64_t number;
};

/* "h10301", "h10302", "h10304", "h10306", "c1k35", "c1k48"; NULL when out of range. */
const char *wiegand_format_name(enum wiegand_format f);

/* The format named s, or -EINVAL. */
int wiegand_format_from_name(const char *s);

/* Frame length in bits of a format, or 0 when out of range. */
size_t wiegand_format_bits(enum wiegand_format f);

/*
 * Decodes a frame against the formats in mask (bit 1u << format). Every
 * enabled format whose length and parity fit is written to ret_cards (two
 * 37-bit formats can both fit one frame), at most max of them.
 * Returns the number of decodings (>= 1), or
 *   -ENOMSG  no enabled format has this length  (reason unknown_format)
 *   -EBADMSG a format has this length but parity fails (reason bad_parity)
 *   -EINVAL  nbits is 0 or above AEOGATE_WIEGAND_MAX_BITS, or a bit is not 0/1
 */
int wiegand_decode(const uint8_t *bits, size_t nbits, unsigned mask, struct wiegand_card *ret_cards,
		   size_t max);

/*
 * Encodes a card with correct parity into bits (at least
 * wiegand_format_bits(c->format) long). Returns the bit count, or -ERANGE
 * when facility or number do not fit the format, -EINVAL otherwise.
 */
int wiegand_encode(const struct wiegand_card *c, uint8_t *bits, size_t max);

/*
 * The other cards that are the same bits on the wire as c: every format in
 * mask, other than c's own, whose length and parity fit c's frame (H10302
 * and H10304 share one 37-bit layout). A reader accepting c's format and an
 * alias's cannot tell the two badges apart. Writes at most max to ret and
 * returns how many (0: none), or -EINVAL/-ERANGE when c does not encode.
 */
int wiegand_aliases(const struct wiegand_card *c, unsigned mask, struct wiegand_card *ret,
		    size_t max);

/*
 * Normalized credential text: "h10301:12:3456" (format:facility:number).
 * Returns the length written, or -ENOSPC.
 */
int wiegand_card_to_string(const struct wiegand_card *c, char *buf, size_t len);

/* Parses "h10301:12:3456"; -EINVAL when malformed, -ERANGE when it does not fit. */
int wiegand_card_from_string(const char *s, struct wiegand_card *ret);

/*
 * "raw:BITS:HEX": the frame as one big-endian number in lower-case hex,
 * ceil(nbits / 4) digits. Kept in events for frames that decode to nothing.
 */
int wiegand_raw_to_string(const uint8_t *bits, size_t nbits, char *buf, size_t len);

/* Parses a string of '0'/'1' characters; -EINVAL on other characters or empty, -E2BIG above the
 * limit. */
int wiegand_bits_from_string(const char *s, uint8_t *bits, size_t max);

/*
 * Framing: turns timestamped pulses on D0/D1 into frames. The caller feeds
 * each falling edge (bit 0 on D0, 1 on D1) with its kernel timestamp and
 * asks for the deadline at which the current frame ends; when that time has
 * passed it calls wiegand_framer_flush. One framer per reader.
 */
struct wiegand_timing {
	uint64_t frame_gap_ns;      /* silence that ends a frame (default 25 ms) */
	uint64_t min_interval_ns;   /* pulses closer than this are noise (default 200 us) */
};

enum wiegand_frame_kind {
	WIEGAND_FRAME_NONE,  /* nothing to report */
	WIEGAND_FRAME_CARD,  /* bits[0..nbits) for wiegand_decode */
	WIEGAND_FRAME_KEY,   /* a keypad press: key 0-9, 10 = '*', 11 = '#' */
	WIEGAND_FRAME_NOISE, /* noise_reason says why; never decoded into a decision */
};

struct wiegand_frame {
	enum wiegand_frame_kind kind;
	uint8_t bits[AEOGATE_WIEGAND_MAX_BITS];
	size_t nbits;
	int key;
	const char *noise_reason; /* "pulse_too_close", "frame_too_long", "lone_pulse", "short_frame", "bad_keypad" */
};

struct wiegand_framer {
	struct wiegand_timing timing;
	uint8_t bits[AEOGATE_WIEGAND_MAX_BITS];
	size_t nbits;
	uint64_t last_ns;
	bool active;
	bool overflow;
	bool too_close;
};

void wiegand_framer_init(struct wiegand_framer *f, const struct wiegand_timing *t);

/*
 * Feeds one pulse. When a pulse arrives after the gap has already passed the
 * previous frame is completed first and written to ret (kind != NONE).
 */
void wiegand_framer_pulse(struct wiegand_framer *f, int bit, uint64_t ts_ns,
			  struct wiegand_frame *ret);

/* Monotonic time at which the pending frame ends, or 0 when idle. */
uint64_t wiegand_framer_deadline(const struct wiegand_framer *f);

/* Completes the pending frame if its gap has passed at now_ns; ret->kind NONE otherwise. */
void wiegand_framer_flush(struct wiegand_framer *f, uint64_t now_ns, struct wiegand_frame *ret);

#endif
