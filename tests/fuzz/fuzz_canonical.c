/* SPDX-License-Identifier: MIT */
/*
 * The direct canonical encoder (controller/lib/canonical.c) against the
 * definition (event_to_json dumped with sorted keys): for every event the
 * encoder accepts, both must produce the same bytes, and audit_hash must be
 * SHA-256 of prev and those bytes. Input: 16 bytes of seq and ts, then the
 * eight text fields separated by NUL (an empty field is NULL): kind, door,
 * reader, zone, person, credential, reason, detail.
 */
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chain.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char text[4096], buf[CHAIN_CANONICAL_FAST_MAX], hash[EVENT_HASH_HEX], want[EVENT_HASH_HEX];
	const char *field[8] = {0};
	struct event e = {0};
	unsigned char digest[crypto_hash_sha256_BYTES], prev_bin[crypto_hash_sha256_BYTES] = {0};
	crypto_hash_sha256_state st;
	char *ref;
	size_t n = 0;
	int len;

	if (size < 16 || size - 16 >= sizeof(text))
		return 0;
	memcpy(&e.seq, data, 8);
	memcpy(&e.ts_ms, data + 8, 8);
	/* Times the controller can write: 1970 to 2100. */
	e.ts_ms = (int64_t)((uint64_t)e.ts_ms % 4102444800000ull);
	memcpy(text, data + 16, size - 16);
	text[size - 16] = '\0';
	for (char *p = text; n < 8 && p <= text + (size - 16); n++) {
		field[n] = *p ? p : NULL;
		p += strlen(p) + 1;
	}
	e.kind = field[0];
	e.door = field[1];
	e.reader = field[2];
	e.zone = field[3];
	e.person = field[4];
	e.credential = field[5];
	e.reason = field[6];
	e.detail = field[7];
	memset(e.prev, '0', 64);

	len = event_canonical_fast(&e, buf, sizeof(buf));
	ref = audit_canonical_reference(&e);
	if (len >= 0) {
		CHECK(ref != NULL);
		CHECK((size_t)len == strlen(ref));
		CHECK(memcmp(buf, ref, (size_t)len) == 0);
	}
	/* Whichever path audit_hash takes, it hashes the definition's bytes. */
	if (ref && audit_hash(e.prev, &e, hash) == 0) {
		crypto_hash_sha256_init(&st);
		crypto_hash_sha256_update(&st, prev_bin, sizeof(prev_bin));
		crypto_hash_sha256_update(&st, (const unsigned char *)ref, strlen(ref));
		crypto_hash_sha256_final(&st, digest);
		sodium_bin2hex(want, sizeof(want), digest, sizeof(digest));
		CHECK(strcmp(hash, want) == 0);
	}
	free(ref);
	return 0;
}
