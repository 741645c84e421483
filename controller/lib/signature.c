/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "signature.h"
#include "util.h"

void devkey_id(const unsigned char pk[DEVKEY_PK_BYTES], char ret_id[DEVKEY_ID_HEX])
{
	unsigned char h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(h, pk, DEVKEY_PK_BYTES);
	sodium_bin2hex(ret_id, DEVKEY_ID_HEX, h, (DEVKEY_ID_HEX - 1) / 2);
}

int hex_decode_exact(const char *hex, unsigned char *out, size_t n)
{
	size_t got = 0;

	if (!hex || strlen(hex) != 2 * n)
		return -EINVAL;
	for (const char *p = hex; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f') ||
		      (*p >= 'A' && *p <= 'F')))
			return -EINVAL;
	if (sodium_hex2bin(out, n, hex, 2 * n, NULL, &got, NULL) != 0 || got != n)
		return -EINVAL;
	return 0;
}

int devkey_pk_from_hex(const char *hex, unsigned char ret_pk[DEVKEY_PK_BYTES])
{
	return hex_decode_exact(hex, ret_pk, DEVKEY_PK_BYTES);
}

int sig_verify(const unsigned char pk[DEVKEY_PK_BYTES], const void *msg, size_t len,
	       const char *sig_hex)
{
	unsigned char sig[crypto_sign_BYTES];

	if (sodium_init() < 0)
		return -EIO;
	if (hex_decode_exact(sig_hex, sig, sizeof(sig)) < 0)
		return -EINVAL;
	return crypto_sign_verify_detached(sig, msg, len, pk) == 0 ? 0 : -EBADMSG;
}

int checkpoint_message(int64_t seq, const char *hash, int64_t ts_ms, char *buf, size_t len)
{
	char ts[32];
	int n;

	time_format_ms(ts_ms, ts, sizeof(ts));
	n = snprintf(buf, len, "aeogate-checkpoint-v1\n%lld\n%s\n%s", (long long)seq, hash, ts);
	return n < 0 || (size_t)n >= len ? -ENOBUFS : n;
}

int checkpoint_sig_verify(const unsigned char pk[DEVKEY_PK_BYTES], int64_t seq, const char *hash,
			  int64_t ts_ms, const char *sig_hex)
{
	char msg[160];
	int n = checkpoint_message(seq, hash, ts_ms, msg, sizeof(msg));

	if (n < 0)
		return n;
	return sig_verify(pk, msg, (size_t)n, sig_hex) == 0 ? 0 : -EBADMSG;
}
