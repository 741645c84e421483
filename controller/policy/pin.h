/* SPDX-License-Identifier: MIT */
/*
 * Card + PIN: the PIN text rules, its salted slow hash, the duress PIN, and
 * the keypad entry that collects a PIN after a badge on a card_and_pin
 * door. No I/O: the caller runs pin_hash_check on the worker thread (a
 * check costs tens of milliseconds on purpose) and drives the entry with
 * keys and the monotonic clock, like the door state machine.
 */
#ifndef AEOGATE_PIN_H
#define AEOGATE_PIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aeogate/limits.h"
#include "aeogate/reason.h"

/* 4-8 digits (README, "Card + PIN"). */
#define PIN_DIGITS_MIN 4
#define PIN_DIGITS_MAX 8

/*
 * The stored form of a PIN: libsodium's argon2id string (salt and costs
 * included), at most this long. Costs: 3 passes over 8 MiB, about 20 ms
 * here, so 10^4..10^8 PINs cannot be tried offline quickly, and an RSS
 * budget of 32 MiB still holds while one is checked.
 */
#define PIN_HASH_MAX AEOGATE_PIN_HASH_MAX

/* True for 4-8 ASCII digits and nothing else. */
bool pin_is_valid(const char *pin);

/* Hashes pin into ret (PIN_HASH_MAX + 1 bytes). -EINVAL for a bad PIN, -ENOMEM. */
int pin_hash(const char *pin, char ret[PIN_HASH_MAX + 1]);

/* 1 when pin matches hash, 0 when not, negative errno when hash is not one of ours. */
int pin_hash_check(const char *hash, const char *pin);

/*
 * The duress PIN of a PIN under [policy] duress = plus_one: the last digit
 * increased by one, 9 wrapping to 0. ret holds PIN_DIGITS_MAX + 1 bytes.
 */
int pin_duress_of(const char *pin, char *ret, size_t len);

/* What an entered PIN is, against the person's stored hash. */
enum pin_check {
	PIN_CHECK_WRONG,
	PIN_CHECK_OK,
	PIN_CHECK_DURESS, /* the duress PIN ([policy] duress = plus_one) */
};

/*
 * Checks an entered PIN against hash: a pin_check, or negative errno when
 * hash is not one of ours. With duress on, the PIN whose duress PIN was
 * entered (its last digit one lower, 0 wrapping to 9) is checked too, and
 * always, so a correct, a duress and a wrong PIN each cost two hashes: the
 * time taken does not tell them apart. Slow on purpose: the worker's.
 */
int pin_check(const char *hash, const char *pin, bool duress);

/* A person's PIN as the card + PIN rule reads it (from the store). */
struct pin_state {
	bool enrolled;	/* the person has a PIN */
	unsigned wrong; /* wrong PINs in a row */
	bool locked;	/* the attempt that reached [policy] pin_attempts locked it */
};

/*
 * A badge that passed every other rule on a card_and_pin door: denied at
 * once pin_required (no PIN enrolled) or pin_locked, else REASON_NONE: the
 * reader waits for the PIN.
 */
enum reason pin_rule_badge(const struct pin_state *s);

/*
 * An entered PIN's check applied to the person's state: correct and
 * duress grant (REASON_NONE) and set the count back to 0; a wrong PIN is
 * wrong_pin, counted, and the one that reaches attempts_max wrong PINs in
 * a row locks the PIN (still wrong_pin; pin_locked from the next badge
 * on). A lock stays until a new PIN or an unlock: a correct PIN does not
 * lift it.
 */
enum reason pin_rule_attempt(struct pin_state *s, enum pin_check check, unsigned attempts_max);

/* Keys as the Wiegand framer reports them: 0-9, 10 = '*', 11 = '#'. */
#define PIN_KEY_STAR 10
#define PIN_KEY_HASH 11

enum pin_entry_result {
	PIN_ENTRY_MORE,	   /* a digit taken (or * cleared the entry); keep waiting */
	PIN_ENTRY_DONE,	   /* # ended the entry: pin_entry_text holds the PIN */
	PIN_ENTRY_INVALID, /* # after too few digits, or too many digits: a wrong PIN */
	PIN_ENTRY_IDLE,	   /* no badge is waiting for a PIN: the key is dropped */
};

/* One reader's pending PIN after a badge; zeroed means idle. */
struct pin_entry {
	bool active;
	int64_t deadline_ms; /* monotonic: the badge's wait ends here */
	size_t n;
	char digits[PIN_DIGITS_MAX + 2]; /* one more than allowed, to tell "too many" */
};

/* A badge was granted on a card_and_pin door: wait timeout_ms for its PIN. */
void pin_entry_start(struct pin_entry *e, int64_t now_ms, int64_t timeout_ms);
enum pin_entry_result pin_entry_key(struct pin_entry *e, int key);
/* True once the wait has run out at now_ms (the caller denies pin_required). */
bool pin_entry_expired(const struct pin_entry *e, int64_t now_ms);
const char *pin_entry_text(const struct pin_entry *e);
/* Back to idle, the digits wiped. */
void pin_entry_clear(struct pin_entry *e);

#endif
