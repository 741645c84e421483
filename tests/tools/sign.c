// SPDX-License-Identifier: MIT
/*
 * aeogate-test-sign: the office's signing side for the tests, on the same
 * code aeogate-hub uses (controller/lib/changeset.c), until a test can
 * drive aeogate-hub itself.
 *
 *   aeogate-test-sign keygen DIR   writes DIR/office.key and DIR/office.pub,
 *                                  prints the public key
 *   aeogate-test-sign sign KEY     prints the envelope of the body read from
 *                                  standard input, signed with the secret key
 *                                  file KEY
 *
 * Never installed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "aeogate/limits.h"
#include "changeset.h"

static int keygen(const char *dir)
{
	struct changeset_seckey k;
	char hex[DEVKEY_PK_HEX];
	int r = changeset_keygen(dir, &k);

	if (r < 0) {
		fprintf(stderr, "aeogate-test-sign: keygen %s: %s\n", dir, changeset_strerror(r));
		return 1;
	}
	sodium_bin2hex(hex, sizeof(hex), k.pub.pk, sizeof(k.pub.pk));
	changeset_seckey_wipe(&k);
	printf("%s\n", hex);
	return 0;
}

static int sign(const char *path)
{
	static char body[AEOGATE_SIGNED_MAX + 2];
	struct changeset_seckey k;
	size_t n = fread(body, 1, sizeof(body) - 1, stdin);
	char *env;
	int r;

	if (ferror(stdin)) {
		fprintf(stderr, "aeogate-test-sign: cannot read the body\n");
		return 1;
	}
	/* A trailing newline from a here-document is not part of the body. */
	while (n && body[n - 1] == '\n')
		n--;
	body[n] = '\0';
	r = changeset_seckey_load(path, &k);
	if (r < 0) {
		fprintf(stderr, "aeogate-test-sign: %s: %s\n", path, changeset_strerror(r));
		return 1;
	}
	r = changeset_sign(body, n, &k, &env);
	changeset_seckey_wipe(&k);
	if (r < 0) {
		fprintf(stderr, "aeogate-test-sign: sign: %s\n", changeset_strerror(r));
		return 1;
	}
	printf("%s\n", env);
	free(env);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "keygen"))
		return keygen(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "sign"))
		return sign(argv[2]);
	fprintf(stderr, "usage: aeogate-test-sign keygen DIR | sign KEYFILE < BODY\n");
	return 2;
}
