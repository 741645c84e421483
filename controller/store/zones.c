/* SPDX-License-Identifier: MIT */
/*
 * The zone settings a decision reads (vetting, area rules, pairing), kept
 * in memory between reads (issue 12): every badge read used to probe three
 * small tables for values that change only when an operator sets them.
 *
 * The cache lives here, under the store's own getters and setters, so that
 * it has one place to be forgotten: every setter of these tables forgets
 * it, and so do a rollback, a failed commit and any failed statement (a
 * value read inside a transaction that did not commit must not outlive
 * it). The controller's connection is the only writer of the file, so
 * nothing else can change the rows under it.
 */
#include <string.h>

#include "store-internal.h"

static struct store_zone_slot *slot_find(struct store *s, const char *zone)
{
	struct store_zone_cache *zc = &s->zones;

	for (size_t i = 0; i < zc->n; i++)
		if (!strcmp(zc->slot[i].zone, zone))
			return &zc->slot[i];
	return NULL;
}

const struct store_zone_slot *store_zone_cached(struct store *s, const char *zone, unsigned what)
{
	const struct store_zone_slot *z = slot_find(s, zone);

	return z && (z->have & what) == what ? z : NULL;
}

struct store_zone_slot *store_zone_cache_slot(struct store *s, const char *zone)
{
	struct store_zone_cache *zc = &s->zones;
	struct store_zone_slot *z = slot_find(s, zone);
	size_t len = strlen(zone);

	if (z)
		return z;
	/* A name too long for a slot is simply never cached: it is read each time. */
	if (len >= sizeof(z->zone))
		return NULL;
	if (zc->n < STORE_ZONE_CACHE_SLOTS) {
		z = &zc->slot[zc->n++];
	} else {
		/* Full (more zones read than doors): the oldest slot makes room. */
		z = &zc->slot[zc->next];
		zc->next = (zc->next + 1) % STORE_ZONE_CACHE_SLOTS;
	}
	memset(z, 0, sizeof(*z));
	memcpy(z->zone, zone, len + 1);
	return z;
}

void store_zone_cache_forget(struct store *s)
{
	s->zones.n = 0;
	s->zones.next = 0;
}
