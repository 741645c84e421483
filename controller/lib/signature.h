/* SPDX-License-Identifier: MIT */
/*
 * The public half of the device key: key ids, keys as hex, detached
 * Ed25519 signature checks and the text a checkpoint signs
 * (controller/audit/checkpoint.h describes the key and the records it signs).
 * libaeogate-common: aeogatectl verifies with it offline, with no key file
 * and no database; aeogated signs with checkpoint.c.
 */
#ifndef AEOGATE_SIGNATURE_H
#define AEOGATE_SIGNATURE_H

#include <stddef.h>
#include <stdint.h>

#define DEVKEY_PK_BYTES 32
#define DEVKEY_PK_HEX	65  /* 64 hex digits and NUL */
#define DEVKEY_ID_HEX	17  /* 16 hex digits and NUL */
#define DEVKEY_SIG_HEX	129 /* 128 hex digits and NUL */

/* The key id of a public key: first 16 hex digits of its SHA-256. */
void devkey_id(const unsigned char pk[DEVKEY_PK_BYTES], char ret_id[DEVKEY_ID_HEX]);

/* Exactly 2n hex digits (either case) into n bytes; -EINVAL otherwise. */
int hex_decode_exact(const char *hex, unsigned char *out, size_t n);

/* Parses 64 hex digits; -EINVAL otherwise. */
int devkey_pk_from_hex(const char *hex, unsigned char ret_pk[DEVKEY_PK_BYTES]);

/* 0 when sig_hex is pk's valid signature of msg, -EBADMSG when not, -EINVAL when malformed. */
int sig_verify(const unsigned char pk[DEVKEY_PK_BYTES], const void *msg, size_t len,
	       const char *sig_hex);

/* The signed text of a checkpoint; -ENOBUFS when buf is too small (96 bytes is enough). */
int checkpoint_message(int64_t seq, const char *hash, int64_t ts_ms, char *buf, size_t len);

/* 0 when sig_hex is pk's signature of the checkpoint (seq, hash, ts_ms); -EBADMSG when not. */
int checkpoint_sig_verify(const unsigned char pk[DEVKEY_PK_BYTES], int64_t seq, const char *hash,
			  int64_t ts_ms, const char *sig_hex);

#endif
