/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <limits.h>
#include <sodium.h>
#include <string.h>

#include "pin.h"

#define PIN_OPSLIMIT 3
#define PIN_MEMLIMIT (8u << 20)

bool pin_is_valid(const char *pin)
{
	size_t n;

	if (!pin)
		return false;
	for (n = 0; pin[n]; n++)
		if (pin[n] < '0' || pin[n] > '9' || n >= PIN_DIGITS_MAX)
			return false;
	return n >= PIN_DIGITS_MIN;
}

int pin_hash(const char *pin, char ret[PIN_HASH_MAX + 1])
{
	char out[crypto_pwhash_STRBYTES];

	if (!pin_is_valid(pin))
		return -EINVAL;
	if (sodium_init() < 0)
		return -ENOMEM;
	if (crypto_pwhash_str_alg(out, pin, strlen(pin), PIN_OPSLIMIT, PIN_MEMLIMIT,
				  crypto_pwhash_ALG_ARGON2ID13) != 0)
		return -ENOMEM;
	if (strlen(out) > PIN_HASH_MAX)
		return -ENOSPC;
	strcpy(ret, out);
	sodium_memzero(out, sizeof(out));
	return 0;
}

int pin_hash_check(const char *hash, const char *pin)
{
	if (!hash || strncmp(hash, "$argon2id$", 10) != 0 || strlen(hash) > PIN_HASH_MAX)
		return -EINVAL;
	if (!pin_is_valid(pin))
		return 0;
	if (sodium_init() < 0)
		return -ENOMEM;
	return crypto_pwhash_str_verify(hash, pin, strlen(pin)) == 0 ? 1 : 0;
}

int pin_duress_of(const char *pin, char *ret, size_t len)
{
	size_t n;

	if (!pin_is_valid(pin))
		return -EINVAL;
	n = strlen(pin);
	if (len < n + 1)
		return -ENOSPC;
	memcpy(ret, pin, n + 1);
	ret[n - 1] = ret[n - 1] == '9' ? '0' : (char)(ret[n - 1] + 1);
	return 0;
}

/* The PIN whose duress PIN is pin: its last digit one lower, 0 wrapping to 9. */
static void duress_base(const char *pin, char *ret, size_t len)
{
	size_t n = strlen(pin);

	memcpy(ret, pin, n + 1 <= len ? n + 1 : len);
	if (n && n < len)
		ret[n - 1] = ret[n - 1] == '0' ? '9' : (char)(ret[n - 1] - 1);
}

int pin_check(const char *hash, const char *pin, bool duress)
{
	char base[PIN_DIGITS_MAX + 2];
	int ok, as_duress = 0;

	ok = pin_hash_check(hash, pin);
	if (ok < 0)
		return ok;
	if (duress && pin_is_valid(pin)) {
		duress_base(pin, base, sizeof(base));
		as_duress = pin_hash_check(hash, base);
		sodium_memzero(base, sizeof(base));
		if (as_duress < 0)
			return as_duress;
	}
	if (ok)
		return PIN_CHECK_OK;
	return as_duress ? PIN_CHECK_DURESS : PIN_CHECK_WRONG;
}

enum reason pin_rule_badge(const struct pin_state *s)
{
	if (!s || !s->enrolled)
		return REASON_PIN_REQUIRED;
	if (s->locked)
		return REASON_PIN_LOCKED;
	return REASON_NONE;
}

enum reason pin_rule_attempt(struct pin_state *s, enum pin_check check, unsigned attempts_max)
{
	switch (check) {
	case PIN_CHECK_OK:
	case PIN_CHECK_DURESS:
		s->wrong = 0;
		return REASON_NONE;
	case PIN_CHECK_WRONG:
		break;
	}
	/* Fails closed: anything but a match is a wrong PIN. */
	if (s->wrong < UINT_MAX)
		s->wrong++;
	if (s->wrong >= attempts_max)
		s->locked = true;
	return REASON_WRONG_PIN;
}

void pin_entry_clear(struct pin_entry *e)
{
	sodium_memzero(e, sizeof(*e));
}

void pin_entry_start(struct pin_entry *e, int64_t now_ms, int64_t timeout_ms)
{
	pin_entry_clear(e);
	e->active = true;
	e->deadline_ms = now_ms + timeout_ms;
}

enum pin_entry_result pin_entry_key(struct pin_entry *e, int key)
{
	if (!e->active)
		return PIN_ENTRY_IDLE;
	if (key == PIN_KEY_STAR) {
		sodium_memzero(e->digits, sizeof(e->digits));
		e->n = 0;
		return PIN_ENTRY_MORE;
	}
	if (key == PIN_KEY_HASH)
		return e->n >= PIN_DIGITS_MIN && e->n <= PIN_DIGITS_MAX ? PIN_ENTRY_DONE
									: PIN_ENTRY_INVALID;
	if (key < 0 || key > 9)
		return PIN_ENTRY_MORE; /* not a key a keypad sends: ignored */
	if (e->n > PIN_DIGITS_MAX)
		return PIN_ENTRY_INVALID;
	e->digits[e->n++] = (char)('0' + key);
	return e->n > PIN_DIGITS_MAX ? PIN_ENTRY_INVALID : PIN_ENTRY_MORE;
}

bool pin_entry_expired(const struct pin_entry *e, int64_t now_ms)
{
	return e->active && now_ms >= e->deadline_ms;
}

const char *pin_entry_text(const struct pin_entry *e)
{
	return e->digits;
}
