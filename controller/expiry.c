/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "expiry.h"
#include "store.h"
#include "util.h"

#define DAY_MS (24LL * 60 * 60 * 1000)

/* Created by main when the config is loaded, stepped by its timer. */
struct expiry {
	struct core *core;
	unsigned days;
	size_t n;
	struct expiry_item items[AEOGATE_EXPIRY_STEP_ITEMS]; /* the step's, as found */
};

int expiry_new(struct core *c, unsigned days, struct expiry **ret)
{
	struct expiry *x = calloc(1, sizeof(*x));

	if (!x)
		return -ENOMEM;
	x->core = c;
	x->days = days;
	*ret = x;
	return 0;
}

void expiry_free(struct expiry *x)
{
	free(x);
}

static int collect(const struct expiry_item *it, void *userdata)
{
	struct expiry *x = userdata;

	x->items[x->n++] = *it;
	return 0;
}

static int publish(const struct event *e, void *userdata)
{
	core_publish(userdata, e);
	return 0;
}

/* The warnings of the items found, with their records, in one transaction. */
static int warn(struct expiry *x, int64_t *ret_first)
{
	struct store *s = core_store(x->core);
	char hash[EVENT_HASH_HEX];
	int r;

	r = store_begin(s);
	if (r < 0)
		return r;
	r = store_event_last(s, ret_first, hash);
	for (size_t i = 0; r == 0 && i < x->n; i++) {
		const struct expiry_item *it = &x->items[i];
		char due[32], detail[96];
		bool badge = !strcmp(it->what, "badge");
		struct event e = {.kind = "expiry.warning",
				  .person = it->person,
				  .credential = badge ? it->item : NULL,
				  .detail = detail};

		/* Keys sorted, as the chain's canonical encoding has them. */
		time_format_ms(it->due_ms, due, sizeof(due));
		snprintf(detail, sizeof(detail), "{\"due\":\"%s\",\"what\":\"%s\"}", due, it->what);
		r = core_append(x->core, &e);
		if (r == 0)
			r = store_expiry_warned(s, it, e.seq);
	}
	return core_append_finish(x->core, r);
}

int expiry_step(struct expiry *x)
{
	struct store *s = core_store(x->core);
	int64_t now = core_wall_ms(x->core), first;
	int r;

	if (!x->days || !s)
		return 0;
	/* Events wait for storage: the warnings would only queue behind them. */
	if (core_events_queued(x->core))
		return -EBUSY;
	x->n = 0;
	r = store_expiry_due(s, now, now + (int64_t)x->days * DAY_MS, AEOGATE_EXPIRY_STEP_ITEMS,
			     collect, x);
	if (r < 0)
		return r;
	if (x->n == 0)
		return 0;
	r = warn(x, &first);
	if (r < 0)
		return r;
	/* Committed: subscribers hear of them, in order. */
	store_event_list(s, first, 0, publish, x->core);
	return x->n == AEOGATE_EXPIRY_STEP_ITEMS ? 1 : 0;
}
