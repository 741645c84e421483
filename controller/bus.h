/* SPDX-License-Identifier: MIT */
/*
 * The event bus: committed events to the subscribers main registers (alarm
 * bookkeeping, checkpoints, the control socket's followers; later the
 * fleet uplink). The core publishes an event only after it is committed
 * and, for a read, after the lock moved: a subscriber, however slow, never
 * delays a door.
 *
 * An event that storage could not take is published unstored (seq 0,
 * detail.stored false) so guards hear of it at once; subscribers that keep
 * books on stored rows (alarms, checkpoints) ask for stored events only.
 * Its stored copy, with its seq, is published once storage takes it.
 */
#ifndef AEOGATE_BUS_H
#define AEOGATE_BUS_H

#include "aeogate/event.h"

struct bus;

typedef void (*bus_fn)(void *userdata, const struct event *e);

enum bus_flags {
	BUS_STORED_ONLY = 1u << 0, /* skip events published unstored (seq 0) */
};

/* -ENOMEM; bus_free accepts NULL. */
int bus_new(struct bus **ret);
void bus_free(struct bus *b);

/*
 * Adds a subscriber; they run in the order they were added. -ENOSPC beyond
 * AEOGATE_BUS_SUBSCRIBERS_MAX.
 */
int bus_subscribe(struct bus *b, unsigned flags, bus_fn fn, void *userdata);

/* Hands e to every subscriber that takes it; accepts a NULL bus (nobody listens). */
void bus_publish(struct bus *b, const struct event *e);

#endif
