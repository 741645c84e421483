/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>

#include "aeogate/limits.h"
#include "bus.h"

struct bus_subscriber {
	bus_fn fn;
	void *userdata;
	unsigned flags;
};

struct bus {
	struct bus_subscriber subs[AEOGATE_BUS_SUBSCRIBERS_MAX];
	size_t n;
};

int bus_new(struct bus **ret)
{
	struct bus *b = calloc(1, sizeof(*b));

	if (!b)
		return -ENOMEM;
	*ret = b;
	return 0;
}

void bus_free(struct bus *b)
{
	free(b);
}

int bus_subscribe(struct bus *b, unsigned flags, bus_fn fn, void *userdata)
{
	if (b->n >= AEOGATE_BUS_SUBSCRIBERS_MAX)
		return -ENOSPC;
	b->subs[b->n++] = (struct bus_subscriber){.fn = fn, .userdata = userdata, .flags = flags};
	return 0;
}

void bus_publish(struct bus *b, const struct event *e)
{
	if (!b)
		return;
	for (size_t i = 0; i < b->n; i++) {
		if (!e->seq && (b->subs[i].flags & BUS_STORED_ONLY))
			continue;
		b->subs[i].fn(b->subs[i].userdata, e);
	}
}
