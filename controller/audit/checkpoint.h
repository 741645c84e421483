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
 * The signed head record (state_dir/head.sig) is a second witness of how
 * far the chain went, kept outside the database: Ed25519 over
 *
 *   "aeogate-head-v1\n<seq>\n<hash>\n<ts>"
 *
 * (another domain than a checkpoint's, so neither signature passes for the
 * other), written as text, one "name value" line each:
 *
 *   aeogate-head-v1
 *   seq 150
 *   hash <64 hex digits>
 *   ts 2026-11-28T13:28:11.123Z
 *   key_id <16 hex digits>
 *   signature <128 hex digits>
 *
 * It is replaced atomically (a temporary file written, fsync'd, renamed
 * over it, the directory fsync'd), mode 0640 or tighter whatever the umask.
 * A database whose newest seq is below it lost its newest events.
 *
 * Pure functions and file I/O only; errors are negative errno. (checkpoint.c
 * also holds the service's own checkpointing, declared in audit-internal.h.)
 */
#ifndef AEOGATE_CHECKPOINT_H
#define AEOGATE_CHECKPOINT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "signature.h" /* the public half: key ids, signature checks, checkpoint text */
#include "store.h"

#define DEVKEY_SK_BYTES 64

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

/* Detached signature of msg as 128 hex digits. */
int devkey_sign(const struct devkey *k, const void *msg, size_t len, char ret_sig[DEVKEY_SIG_HEX]);

/* Signs (seq, hash, ts_ms) into *ret (id 0: not stored yet). */
int checkpoint_sign(const struct devkey *k, int64_t seq, const char *hash, int64_t ts_ms,
		    struct checkpoint *ret);

/* 0 when cp carries pk's valid signature; -EBADMSG when not. */
int checkpoint_verify(const unsigned char pk[DEVKEY_PK_BYTES], const struct checkpoint *cp);

/* ---- the signed head record ---- */

#define HEAD_FILE "head.sig"
/*
 * Written by a restore (aeogated --restore) into the state directory, read
 * and removed at the next start, whose system.start records it. A restore
 * onto another device keeps the old head record aside: its head record is
 * missing by design, which the start check then does not call tampering.
 */
#define RESTORED_FILE "restored.json"
#define HEAD_TS	  32 /* YYYY-MM-DDTHH:MM:SS.mmmZ and NUL, with room */

struct head_record {
	int64_t seq;
	char hash[EVENT_HASH_HEX];
	char ts[HEAD_TS]; /* as signed */
	char key_id[DEVKEY_ID_HEX];
	char signature[DEVKEY_SIG_HEX];
};

/* Signs (seq, hash, ts_ms) into *ret; -EINVAL for a seq below 1 or a malformed hash. */
int head_sign(const struct devkey *k, int64_t seq, const char *hash, int64_t ts_ms,
	      struct head_record *ret);
/* 0 when h is signed by pk and names pk's key id; -EBADMSG when not. */
int head_verify(const unsigned char pk[DEVKEY_PK_BYTES], const struct head_record *h);
/* Replaces state_dir/head.sig atomically with h. */
int head_write(const char *state_dir, const struct head_record *h);
/*
 * Reads state_dir/head.sig without judging its signature: -ENOENT when
 * there is none, -EBADMSG when it is not a head record (wrong shape, larger
 * than AEOGATE_HEAD_RECORD_MAX), other negative errno when unreadable.
 */
int head_read(const char *state_dir, struct head_record *ret);

/*
 * A witness is what vouched, outside the chain, for the furthest seq this
 * device signed when a start found the newest events gone: the head
 * record, or (without a trustworthy one) the furthest checkpoint left in
 * the database. The audit.truncated event carries it in its detail:
 *
 *   {"first": F, "last": L, "signature": "<hex>",
 *    "witness": {"type": "head"|"checkpoint", "seq": L, "hash", "ts", "key_id"}}
 *
 * and the event's prev is the witness's hash, so the chain continues from
 * what was signed: seq F..L are missing, nothing is reused.
 */
struct witness {
	char type[16]; /* "head" or "checkpoint" */
	int64_t seq;
	char hash[EVENT_HASH_HEX];
	char ts[HEAD_TS];
	char key_id[DEVKEY_ID_HEX];
	char signature[DEVKEY_SIG_HEX];
};

void witness_from_head(const struct head_record *h, struct witness *ret);
void witness_from_checkpoint(const struct checkpoint *cp, struct witness *ret);
/* 0 when pk signed w (under its type's message) and w names pk's key id; -EBADMSG when not. */
int witness_verify(const unsigned char pk[DEVKEY_PK_BYTES], const struct witness *w);

/* The audit.truncated detail for seq first..w->seq missing (NULL without memory). */
json_t *truncation_detail(int64_t first, const struct witness *w);

/*
 * 0 when e is an audit.truncated event that records exactly the gap after
 * prev_seq (seq prev_seq + 1 .. e->seq - 1), its witness signed by pk at
 * e->seq - 1 with e's prev as hash; *ret (may be NULL) is that witness.
 * -EBADMSG when it is not.
 */
int truncation_check(const unsigned char pk[DEVKEY_PK_BYTES], int64_t prev_seq,
		     const struct event *e, struct witness *ret);

#endif
