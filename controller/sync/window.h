/* SPDX-License-Identifier: MIT */
/*
 * The uplink's in-flight window: events published to the broker and not
 * yet acknowledged, in seq order. The broker may acknowledge them in any
 * order (QoS 1 PUBACKs after a reconnect come as the resends do); the
 * cursor moves only over the gap-free prefix of acknowledged ones, so a
 * restart resends exactly what might not have arrived.
 *
 * Pure state, no I/O: the caller publishes, records the message id here,
 * and hands each PUBACK's message id back.
 */
#ifndef AEOGATE_SYNC_WINDOW_H
#define AEOGATE_SYNC_WINDOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sync_window_slot {
	int64_t seq;
	int mid;
	bool acked;
};

struct sync_window {
	struct sync_window_slot *slot; /* cap slots, a ring from head */
	size_t cap, head, n;
	int64_t acked;	/* every seq up to here is acknowledged (or was before we started) */
	int64_t pushed; /* the newest seq pushed (acked when none is in flight) */
};

/* cap slots, all events up to acked already acknowledged. -EINVAL, -ENOMEM. */
int sync_window_init(struct sync_window *w, size_t cap, int64_t acked);
void sync_window_free(struct sync_window *w); /* accepts a zeroed window */

static inline bool sync_window_full(const struct sync_window *w)
{
	return w->n == w->cap;
}

/*
 * seq was published as message mid. -ENOSPC when full, -EINVAL when seq
 * does not follow the newest one pushed (seqs only grow; a truncated log
 * may skip some, which is why only "greater" is required).
 */
int sync_window_push(struct sync_window *w, int64_t seq, int mid);

/*
 * The broker acknowledged message mid: 1 when it was one of ours (the
 * prefix may have moved: sync_window_acked), 0 when not (another kind of
 * message, or already acknowledged).
 */
int sync_window_ack(struct sync_window *w, int mid);

static inline int64_t sync_window_acked(const struct sync_window *w)
{
	return w->acked;
}

#endif
