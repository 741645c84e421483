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
 */
#ifndef AEOGATE_AUDIT_H
#define AEOGATE_AUDIT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "aeogate/event.h"
#include "store.h"

/*
 * The kinds whose event raises an alarm (table alarms, README "Alarms"),
 * NULL-terminated: the one list the alarm code, the retention floors and
 * the test tools read.
 */
extern const char *const audit_alarm_kinds[];
bool audit_is_alarm_kind(const char *kind);

#define AUDIT_GENESIS "0000000000000000000000000000000000000000000000000000000000000000"

/* The event as its JSON object: DESIGN.md fields plus detail when set. */
json_t *event_to_json(const struct event *e);

/* The canonical encoding (malloc'd, caller frees), or NULL on allocation failure. */
char *audit_canonical(const struct event *e);

/* hash of (prev, e) as lower-case hex; -EINVAL when prev is not 64 hex digits. */
int audit_hash(const char *prev, const struct event *e, char ret_hash[EVENT_HASH_HEX]);

/* The head of the chain: the last seq and hash committed. */
struct audit_chain {
	int64_t seq;
	char hash[EVENT_HASH_HEX];
};

int audit_chain_load(struct audit_chain *c, struct store *s);

/*
 * Assigns e->seq, e->prev and e->hash from the chain head and appends the
 * row. The head advances only when the store committed it, so a failed
 * write leaves no gap.
 */
int audit_append(struct audit_chain *c, struct store *s, struct event *e);

/*
 * Verifies events in seq order, one at a time. Returns 0 when e continues
 * the chain, -EBADMSG when its hash does not match its content, -EPIPE when
 * its prev or seq does not follow the previous event.
 */
struct audit_verifier {
	int64_t seq;
	char hash[EVENT_HASH_HEX];
	bool started;
};
int audit_verify_next(struct audit_verifier *v, const struct event *e);

#endif
