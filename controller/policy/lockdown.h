/* SPDX-License-Identifier: MIT */
/*
 * Lockdown and threat level (README, "Lockdown and threat levels"): the
 * site-wide state a manager sets with site lockdown|release|threat, kept
 * in the database (schema 15) and in memory for the decision. Pure: the
 * state is a value, the functions change it or read it, nothing else.
 */
#ifndef AEOGATE_LOCKDOWN_H
#define AEOGATE_LOCKDOWN_H

#include <stdbool.h>
#include <stddef.h>

#include "aeogate/limits.h"

/* Threat levels and clearances run 0 (the default) to 5. */
#define LOCKDOWN_LEVEL_MAX 5

/*
 * A lockdown holds the whole site, or a set of zones (at most one per door:
 * zones come from the doors). Zeroed: no lockdown, threat level 0.
 */
struct lockdown_state {
	bool site;
	size_t n_zones;
	char zones[AEOGATE_DOORS_MAX][AEOGATE_ID_MAX + 1]; /* in name order (strcmp) */
	int threat_level;
};

/* Whether a lockdown holds anywhere. */
bool lockdown_active(const struct lockdown_state *s);

/* Whether the doors of zone are locked down (the site's, or the zone's own). */
bool lockdown_covers(const struct lockdown_state *s, const char *zone);

/*
 * Locks down the site (zones NULL or n 0) or the zones given; a zone
 * already locked down stays so. -EALREADY when nothing changes (the site
 * already, or every zone already), -E2BIG past AEOGATE_DOORS_MAX zones.
 * A site lockdown forgets the zones: releasing it releases everything.
 */
int lockdown_lock(struct lockdown_state *s, const char *const *zones, size_t n);

/*
 * Releases the site (n 0: everything that is locked down) or the zones
 * given. -ENOENT when no lockdown holds (n 0) or a zone given is not
 * locked down; -EBUSY for zones while the whole site is locked down (it is
 * released as a whole). Nothing changes on an error.
 */
int lockdown_release(struct lockdown_state *s, const char *const *zones, size_t n);

#endif
