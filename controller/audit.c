/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "util.h"

const char *const audit_alarm_kinds[] = {
    "door.forced",
    "door.held",
    "alarm.tamper",
    "alarm.storage",
    /* Tamper evidence found at start (the signed head record outside the database). */
    "audit.truncated",
    "audit.head_invalid",
    NULL,
};

bool audit_is_alarm_kind(const char *kind)
{
	for (size_t i = 0; kind && audit_alarm_kinds[i]; i++)
		if (!strcmp(kind, audit_alarm_kinds[i]))
			return true;
	return false;
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
