/* SPDX-License-Identifier: MIT */
/*
 * Appending to the audit chain (on the store) and the kinds that raise
 * alarms. The chain itself (canonical encoding, hash, link check) is
 * defined once in controller/lib/chain.h.
 */
#ifndef AEOGATE_AUDIT_H
#define AEOGATE_AUDIT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "aeogate/event.h"
#include "chain.h"
#include "store.h"

/* Whether kind's event raises an alarm: the kinds table's word (aeogate/event.h). */
bool audit_is_alarm_kind(const char *kind);

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

#endif
