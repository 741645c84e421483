/* SPDX-License-Identifier: MIT */
/*
 * The audit chain. Every event is hashed over the previous event's hash and
 * the event's canonical encoding:
 *
 *   hash = SHA-256( prev (32 raw bytes) || canonical )
 *
 * canonical is the event's JSON object without "prev" and "hash", encoded
 * compactly (no spaces), keys sorted by byte value, UTF-8 unescaped, every
 * DESIGN.md field present (null when absent) and "detail" only when set.
 * In Python: json.dumps(obj, sort_keys=True, separators=(",", ":"),
 * ensure_ascii=False). The first event's prev is 64 zeros.
 *
 * Pure code (libaeogate-common): no SQL, no devices.
 */
#ifndef AEOGATE_CHAIN_H
#define AEOGATE_CHAIN_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "aeogate/event.h"

#define AUDIT_GENESIS "0000000000000000000000000000000000000000000000000000000000000000"

/* The event as its JSON object: DESIGN.md fields plus detail when set. */
json_t *event_to_json(const struct event *e);

/*
 * The inverse, for an event read from outside (an export's JSONL row, an
 * event received over MQTT): e's strings point into o, a detail object is
 * dumped compact with sorted keys into *ret_detail (free it after e). The
 * seq must be a positive integer and ts a UTC time, else -EINVAL; prev and
 * hash are copied as they are ("" when missing), for the link check to judge.
 */
int event_from_json(const json_t *o, struct event *e, char **ret_detail);

/* The canonical encoding (malloc'd, caller frees), or NULL on allocation failure. */
char *audit_canonical(const struct event *e);

/*
 * The definition itself: event_to_json dumped compact with sorted keys.
 * audit_canonical and audit_hash use a direct encoder that must agree with
 * it byte for byte (fuzz_canonical); this is what it is checked against.
 */
char *audit_canonical_reference(const struct event *e);

/*
 * The direct encoder (canonical.c): writes the canonical encoding into buf
 * and returns its length, -ENOSPC when buf is short, or -EAGAIN for an
 * event it leaves to the reference (a detail not already canonical, a
 * string needing an escape other than \" and \\, invalid UTF-8).
 */
#define CHAIN_CANONICAL_FAST_MAX 4096
int event_canonical_fast(const struct event *e, char *buf, size_t len);

/*
 * Whether a detail text is already what the reference encoding would dump
 * for it (compact, keys sorted, no escapes but \" and \\, integers only):
 * then it can be copied as it is wherever the reference re-encodes it.
 */
bool event_detail_is_canonical(const char *d);
/* Whether s[0..n) is valid UTF-8 as jansson takes it (no overlong forms, no surrogates). */
bool event_text_is_utf8(const char *s, size_t n);

/* SHA-256 of a || b through OpenSSL (the CPU's SHA instructions where it has them); -ENOMEM, -EIO.
 */
int chain_sha256_two(const void *a, size_t an, const void *b, size_t bn, unsigned char out[32]);

/* hash of (prev, e) as lower-case hex; -EINVAL when prev is not 64 hex digits. */
int audit_hash(const char *prev, const struct event *e, char ret_hash[EVENT_HASH_HEX]);

/*
 * The one link check: verifies events in seq order, one at a time. Returns
 * 0 when e continues the chain, -EBADMSG when its hash does not match its
 * content, -EPIPE when its prev or seq does not follow the previous event
 * (the caller tells which from v->seq). A refused event leaves v as it was.
 * A zeroed verifier starts at any seq; seq 1 must start from the genesis hash.
 */
struct audit_verifier {
	int64_t seq;
	char hash[EVENT_HASH_HEX];
	bool started;
};
int audit_verify_next(struct audit_verifier *v, const struct event *e);

/* Continues after (seq, hash), already verified: the next event must be seq + 1 over hash. */
void audit_verifier_resume(struct audit_verifier *v, int64_t seq, const char *hash);

/*
 * Accepts the gap in front of e: the chain goes on from e's own prev at
 * e->seq - 1. Only for a gap the caller proved recorded (a signed
 * audit.truncated event, whose prev is the hash its witness signed).
 */
void audit_verifier_accept_gap(struct audit_verifier *v, const struct event *e);

#endif
