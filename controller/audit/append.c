/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "util.h"

bool audit_is_alarm_kind(const char *kind)
{
	return event_kind_is_alarm(kind);
}

int audit_chain_load(struct audit_chain *c, struct store *s)
{
	return store_event_last(s, &c->seq, c->hash);
}

int audit_append(struct audit_chain *c, struct store *s, struct event *e)
{
	int r;

	e->seq = c->seq + 1;
	memcpy(e->prev, c->hash, EVENT_HASH_HEX);
	r = audit_hash(e->prev, e, e->hash);
	if (r < 0)
		return r;
	r = store_event_append(s, e);
	if (r < 0)
		return r;
	c->seq = e->seq;
	memcpy(c->hash, e->hash, EVENT_HASH_HEX);
	return 0;
}
