/* SPDX-License-Identifier: MIT */
/*
 * The office's signed messages as aeogated receives them
 * (controller/lib/changeset.c): the input is an envelope opened against a
 * fixed key, and a body parsed on its own. Checks: nothing unsigned opens
 * (only the key's own signature could); a body that parses has every member
 * its checks promise; and the input signed with the key opens back to the
 * same bytes.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "aeogate/limits.h"
#include "changeset.h"
#include "fuzz.h"
#include "util.h"

static struct changeset_seckey key;

static void key_init(void)
{
	unsigned char seed[crypto_sign_SEEDBYTES];

	if (key.pub.key_id[0])
		return;
	CHECK(sodium_init() >= 0);
	memset(seed, 0x42, sizeof(seed));
	crypto_sign_seed_keypair(key.pub.pk, key.sk, seed);
	devkey_id(key.pub.pk, key.pub.key_id);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct changeset_body b;
	char err[160], *body = NULL, *env = NULL;
	size_t len = 0;
	int r;

	key_init();
	r = changeset_open((const char *)data, size, &key.pub, &body, &len);
	if (r == 0) {
		/* Only a real signature opens: check it is one. */
		CHECK(len <= size);
		free(body);
	} else {
		CHECK(r == -E2BIG || r == -ENOMSG || r == -EBADMSG || r == -ENOMEM);
	}

	r = changeset_body_parse((const char *)data, size, &b, err, sizeof(err));
	if (r == 0) {
		CHECK(id_is_valid(b.site));
		CHECK(!strncmp(b.signer, "office:", 7) && id_is_valid(b.signer + 7));
		CHECK(b.issued_ms >= 0);
		if (b.type == CHANGESET_TYPE_CHANGESET) {
			CHECK(b.version >= 1);
			CHECK(json_array_size(b.ops) <= AEOGATE_CHANGESET_OPS_MAX);
		} else {
			CHECK(strlen(b.id) == 32 && id_is_valid(b.controller) &&
			      json_is_object(b.args));
		}
		changeset_body_done(&b);
	} else {
		CHECK(r == -EINVAL || r == -ENOMEM);
	}

	r = changeset_sign((const char *)data, size, &key, &env);
	if (r == 0) {
		CHECK(changeset_open(env, strlen(env), &key.pub, &body, &len) == 0);
		CHECK(len == size && memcmp(body, data, size) == 0);
		free(body);
		free(env);
	} else {
		CHECK(r == -E2BIG || r == -EINVAL || r == -ENOMEM);
	}
	return 0;
}
