/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>

#include "window.h"

int sync_window_init(struct sync_window *w, size_t cap, int64_t acked)
{
	if (cap == 0 || acked < 0)
		return -EINVAL;
	w->slot = calloc(cap, sizeof(*w->slot));
	if (!w->slot)
		return -ENOMEM;
	w->cap = cap;
	w->head = w->n = 0;
	w->acked = w->pushed = acked;
	return 0;
}

void sync_window_free(struct sync_window *w)
{
	free(w->slot);
	w->slot = NULL;
	w->cap = w->n = w->head = 0;
}

int sync_window_push(struct sync_window *w, int64_t seq, int mid)
{
	if (w->n == w->cap)
		return -ENOSPC;
	if (seq <= w->pushed)
		return -EINVAL;
	w->slot[(w->head + w->n) % w->cap] = (struct sync_window_slot){.seq = seq, .mid = mid};
	w->n++;
	w->pushed = seq;
	return 0;
}

int sync_window_ack(struct sync_window *w, int mid)
{
	size_t i;

	for (i = 0; i < w->n; i++) {
		struct sync_window_slot *s = &w->slot[(w->head + i) % w->cap];

		if (s->mid == mid && !s->acked) {
			s->acked = true;
			break;
		}
	}
	if (i == w->n)
		return 0;
	/* The prefix: everything acknowledged from the oldest on leaves the window. */
	while (w->n && w->slot[w->head].acked) {
		w->acked = w->slot[w->head].seq;
		w->head = (w->head + 1) % w->cap;
		w->n--;
	}
	return 1;
}
