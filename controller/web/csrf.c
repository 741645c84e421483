/* SPDX-License-Identifier: MIT */
/*
 * CSRF tokens, one per session, handed out at login (and again by /api/me
 * after a restart of this process) and required in X-CSRF-Token on every
 * state-changing request. Kept by a hash of the session token, in a bounded
 * table: when it is full the least recently used entry goes, and that
 * session simply fetches a new token.
 */
#include <sodium.h>
#include <string.h>

#include "web.h"

struct csrf_entry {
	bool used;
	unsigned char key[crypto_generichash_BYTES];
	char csrf[WEB_CSRF_HEX];
	unsigned long last_use;
};

static struct csrf_entry table[AEOGATE_WEB_CSRF_MAX];
static unsigned long clock_tick;

static void key_of(const char *session_token, unsigned char key[crypto_generichash_BYTES])
{
	crypto_generichash(key, crypto_generichash_BYTES, (const unsigned char *)session_token,
			   strlen(session_token), NULL, 0);
}

static struct csrf_entry *find(const unsigned char key[crypto_generichash_BYTES])
{
	for (size_t i = 0; i < AEOGATE_WEB_CSRF_MAX; i++)
		if (table[i].used &&
		    sodium_memcmp(table[i].key, key, crypto_generichash_BYTES) == 0)
			return &table[i];
	return NULL;
}

const char *csrf_get(const char *session_token, bool create)
{
	unsigned char key[crypto_generichash_BYTES], raw[32];
	struct csrf_entry *e, *victim = NULL;

	key_of(session_token, key);
	e = find(key);
	if (e) {
		e->last_use = ++clock_tick;
		return e->csrf;
	}
	if (!create)
		return NULL;
	for (size_t i = 0; i < AEOGATE_WEB_CSRF_MAX; i++) {
		if (!table[i].used) {
			victim = &table[i];
			break;
		}
		if (!victim || table[i].last_use < victim->last_use)
			victim = &table[i];
	}
	randombytes_buf(raw, sizeof(raw));
	sodium_bin2hex(victim->csrf, sizeof(victim->csrf), raw, sizeof(raw));
	memcpy(victim->key, key, sizeof(key));
	victim->used = true;
	victim->last_use = ++clock_tick;
	return victim->csrf;
}

void csrf_forget(const char *session_token)
{
	unsigned char key[crypto_generichash_BYTES];
	struct csrf_entry *e;

	key_of(session_token, key);
	e = find(key);
	if (e)
		sodium_memzero(e, sizeof(*e));
}

bool csrf_check(const char *session_token, const char *presented)
{
	const char *want = csrf_get(session_token, false);

	if (!want || !presented || strlen(presented) != WEB_CSRF_HEX - 1)
		return false;
	return sodium_memcmp(want, presented, WEB_CSRF_HEX - 1) == 0;
}
