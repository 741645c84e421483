/* SPDX-License-Identifier: MIT */
/*
 * Card + PIN at the readers: which badge waits for its PIN on which
 * reader, the keys typed for it, and the keys typed while nothing waits
 * (dropped, and counted). Pure, like controller/door.c: the core hands it
 * badges, keys and the monotonic clock and acts on what it answers (a PIN
 * to check, an attempt to deny); it does no I/O and never checks a hash.
 *
 * One attempt waits per reader. A badge that waits replaces the one
 * already waiting there, which the core denies pin_required, so every
 * badge still ends in exactly one access event.
 */
#ifndef AEOGATE_PINPAD_H
#define AEOGATE_PINPAD_H

#include <stdbool.h>
#include <stdint.h>

#include "aeogate/limits.h"
#include "pin.h"

/* A badge that passed every other rule, as it stood at the badge. */
struct pin_attempt {
	uint64_t id; /* from pinpad_badge, in order */
	unsigned reader;
	char person[AEOGATE_ID_MAX + 1];
	char credential[AEOGATE_CREDENTIAL_MAX + 1];
	char hash[PIN_HASH_MAX + 1]; /* the person's PIN hash at the badge */
	char detail[96];	     /* the read's detail (direction, bits), a JSON object */
};

struct pinpad_slot {
	struct pin_entry entry; /* active while an attempt waits */
	struct pin_attempt attempt;
	uint64_t keys_dropped;
};

struct pinpad {
	struct pinpad_slot slots[AEOGATE_READERS_MAX];
	uint64_t last_id;
};

/* What a key (or the clock) does to a reader's waiting attempt. */
enum pinpad_action {
	PINPAD_MORE,	/* a key taken: the attempt keeps waiting */
	PINPAD_DROPPED, /* nothing waits on this reader: the key is dropped, and counted */
	PINPAD_CHECK,	/* # ended a PIN: check it against the attempt's hash */
	PINPAD_WRONG,	/* an entry no PIN can be (too short, too long): a wrong PIN as it is */
	PINPAD_TIMEOUT, /* the attempt ran out before its PIN (pin_required); the key is dropped */
};

/*
 * a (its reader set) now waits timeout_ms for its PIN; a->id is set. When
 * another attempt was waiting on that reader it is copied to *ret_replaced
 * (the caller denies it pin_required) and true is returned.
 */
bool pinpad_badge(struct pinpad *p, struct pin_attempt *a, int64_t now_ms, int64_t timeout_ms,
		  struct pin_attempt *ret_replaced);

/*
 * A key (0-9, PIN_KEY_STAR, PIN_KEY_HASH) on reader at now_ms. On CHECK,
 * WRONG and TIMEOUT the reader is idle again and the attempt is copied to
 * *ret; on CHECK the PIN typed is in ret_pin (PIN_DIGITS_MAX + 1 bytes;
 * the caller wipes it once checked).
 */
enum pinpad_action pinpad_key(struct pinpad *p, unsigned reader, int key, int64_t now_ms,
			      struct pin_attempt *ret, char *ret_pin);

/* When the attempt waiting on reader runs out (monotonic ms), or 0 when none waits. */
int64_t pinpad_deadline(const struct pinpad *p, unsigned reader);

/*
 * The attempt waiting on reader ends: copied to *ret and true, when one
 * waited and (unless force) its time ran out at now_ms.
 */
bool pinpad_expire(struct pinpad *p, unsigned reader, int64_t now_ms, bool force,
		   struct pin_attempt *ret);

/* Keys typed on reader while no badge waited there. */
uint64_t pinpad_keys_dropped(const struct pinpad *p, unsigned reader);

#endif
