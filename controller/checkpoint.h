/* SPDX-License-Identifier: MIT */
/*
 * The device key and signed checkpoints of the audit chain.
 *
 * The device key is an Ed25519 key pair (libsodium crypto_sign) made at the
 * controller's first start: the 64-byte secret key in state_dir/device.key
 * (0600, raw bytes), the public key as hex in state_dir/device.pub. Its id is
 * the first 16 hex digits of SHA-256(public key), printed everywhere the key
 * is named so an auditor can tell keys apart at a glance.
 *
 * A checkpoint signs the chain head: Ed25519 over the text
 *
 *   "aeogate-checkpoint-v1\n<seq>\n<hash>\n<ts>"
 *
 * with seq in decimal, hash the event's lower-case hex hash and ts the
 * checkpoint's time as YYYY-MM-DDTHH:MM:SS.mmmZ. Whoever holds the public
 * key can then tell that the chain up to seq was exactly this one when the
 * checkpoint was made: a database rewritten afterwards, even with every hash
 * recomputed, no longer matches a signed checkpoint.
 *
 * Pure functions and file I/O only; errors are negative errno.
 */
#ifndef AEOGATE_CHECKPOINT_H
#define AEOGATE_CHECKPOINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

#define DEVKEY_PK_BYTES 32
#define DEVKEY_SK_BYTES 64
#define DEVKEY_PK_HEX	65  /* 64 hex digits and NUL */
#define DEVKEY_ID_HEX	17  /* 16 hex digits and NUL */
#define DEVKEY_SIG_HEX	129 /* 128 hex digits and NUL */

struct devkey {
	unsigned char pk[DEVKEY_PK_BYTES];
	unsigned char sk[DEVKEY_SK_BYTES];
	char pk_hex[DEVKEY_PK_HEX];
	char id[DEVKEY_ID_HEX];
};

/*
 * Loads state_dir/device.key, or creates it (and device.pub) when absent.
 * *ret_created tells which (may be NULL). -EBADMSG when the file is not a
 * key of the right size, -EPERM when it is readable by others.
 */
int devkey_load_or_create(const char *state_dir, struct devkey *ret, bool *ret_created);

/* The key id of a public key: first 16 hex digits of its SHA-256. */
void devkey_id(const unsigned char pk[DEVKEY_PK_BYTES], char ret_id[DEVKEY_ID_HEX]);

/* Parses 64 hex digits; -EINVAL otherwise. */
int devkey_pk_from_hex(const char *hex, unsigned char ret_pk[DEVKEY_PK_BYTES]);

/* Detached signature of msg as 128 hex digits. */
int devkey_sign(const struct devkey *k, const void *msg, size_t len, char ret_sig[DEVKEY_SIG_HEX]);

/* 0 when sig_hex is pk's valid signature of msg, -EBADMSG when not, -EINVAL when malformed. */
int sig_verify(const unsigned char pk[DEVKEY_PK_BYTES], const void *msg, size_t len,
	       const char *sig_hex);

/* The signed text of a checkpoint; -ENOBUFS when buf is too small (96 bytes is enough). */
int checkpoint_message(int64_t seq, const char *hash, int64_t ts_ms, char *buf, size_t len);

/* Signs (seq, hash, ts_ms) into *ret (id 0: not stored yet). */
int checkpoint_sign(const struct devkey *k, int64_t seq, const char *hash, int64_t ts_ms,
		    struct checkpoint *ret);

/* 0 when cp carries pk's valid signature; -EBADMSG when not. */
int checkpoint_verify(const unsigned char pk[DEVKEY_PK_BYTES], const struct checkpoint *cp);

#endif
