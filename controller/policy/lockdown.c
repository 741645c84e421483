/* SPDX-License-Identifier: MIT */
/*
 * Lockdown: every door of the site (or of the zones) denies every badge
 * door_locked_down, except a responder's; the exit button still opens.
 * Threat level: while the site's level is L, a person cleared below L is
 * denied threat_level at every door.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lockdown.h"
#include "policy.h"

enum reason rule_lockdown(const struct policy_facts *f)
{
	return f->locked_down && !f->responder ? REASON_DOOR_LOCKED_DOWN : REASON_NONE;
}

enum reason rule_threat_level(const struct policy_facts *f)
{
	/* A level or clearance out of range is a broken fact: fail closed. */
	if (f->threat_level < 0 || f->threat_level > LOCKDOWN_LEVEL_MAX || f->clearance < 0 ||
	    f->clearance > LOCKDOWN_LEVEL_MAX)
		return REASON_INTERNAL_ERROR;
	return f->clearance < f->threat_level ? REASON_THREAT_LEVEL : REASON_NONE;
}

bool lockdown_active(const struct lockdown_state *s)
{
	return s->site || s->n_zones;
}

static ptrdiff_t zone_index(const struct lockdown_state *s, const char *zone)
{
	for (size_t i = 0; zone && i < s->n_zones; i++)
		if (!strcmp(s->zones[i], zone))
			return (ptrdiff_t)i;
	return -1;
}

bool lockdown_covers(const struct lockdown_state *s, const char *zone)
{
	return s->site || zone_index(s, zone) >= 0;
}

int lockdown_lock(struct lockdown_state *s, const char *const *zones, size_t n)
{
	struct lockdown_state next = *s;
	bool changed = false;

	if (s->site)
		return -EALREADY;
	if (!zones || !n) {
		s->site = true;
		s->n_zones = 0;
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		if (zone_index(&next, zones[i]) >= 0)
			continue;
		size_t at = 0;

		if (next.n_zones == AEOGATE_DOORS_MAX || strlen(zones[i]) > AEOGATE_ID_MAX)
			return -E2BIG;
		/* Kept in name order, as the store lists them: the same order before and after a
		 * restart. */
		while (at < next.n_zones && strcmp(next.zones[at], zones[i]) < 0)
			at++;
		memmove(next.zones[at + 1], next.zones[at],
			(next.n_zones - at) * sizeof(next.zones[0]));
		snprintf(next.zones[at], sizeof(next.zones[0]), "%s", zones[i]);
		next.n_zones++;
		changed = true;
	}
	if (!changed)
		return -EALREADY;
	*s = next;
	return 0;
}

int lockdown_release(struct lockdown_state *s, const char *const *zones, size_t n)
{
	struct lockdown_state next = *s;

	if (!zones || !n) {
		if (!lockdown_active(s))
			return -ENOENT;
		s->site = false;
		s->n_zones = 0;
		return 0;
	}
	if (s->site)
		return -EBUSY;
	for (size_t i = 0; i < n; i++) {
		ptrdiff_t k = zone_index(&next, zones[i]);

		if (k < 0)
			return -ENOENT;
		memmove(next.zones[k], next.zones[k + 1],
			(next.n_zones - (size_t)k - 1) * sizeof(next.zones[0]));
		next.n_zones--;
	}
	*s = next;
	return 0;
}
