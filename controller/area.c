/* SPDX-License-Identifier: MIT */
/* Area rules between the store and the pure rules (area.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "area.h"

int area_rules_get(struct store *s, const char *zone, struct area_rules *ret,
		   int64_t *ret_soft_violations)
{
	struct zone_area_row z;
	struct area_rules rules = {0};
	int r = store_zone_area_get(s, zone, &z);

	if (r < 0)
		return r;
	/* A mode this binary does not know fails closed, at the caller. */
	if (apb_mode_from_name(z.apb, &rules.apb) < 0)
		return -EINVAL;
	rules.apb_minutes = z.apb_minutes;
	rules.max_occupancy = z.max_occupancy < 0 ? -1 : z.max_occupancy;
	*ret = rules;
	if (ret_soft_violations)
		*ret_soft_violations = z.soft_violations;
	return 0;
}

static int location_load(struct store *s, const char *person, struct area_location *ret)
{
	struct location_row l;
	int r = store_location_get(s, person, &l);

	*ret = (struct area_location){0};
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	snprintf(ret->zone, sizeof(ret->zone), "%s", l.zone);
	snprintf(ret->door, sizeof(ret->door), "%s", l.door);
	ret->since_ms = l.since_ms;
	return 0;
}

/* The facts; with all, the location even when no rule needs it (a grant writes it). */
static int facts_load(struct store *s, const char *zone, bool out, const char *person, bool all,
		      struct area_facts *ret)
{
	struct area_facts f = {.zone = zone, .out = out};
	int r = area_rules_get(s, zone, &f.rules, NULL);

	if (r < 0)
		return r;
	if ((all || f.rules.apb != APB_OFF || f.rules.max_occupancy >= 0) &&
	    (r = location_load(s, person, &f.loc)) < 0)
		return r;
	if (f.rules.apb == APB_TIMED && !out &&
	    (r = store_zone_entry_get(s, person, zone, &f.last_entry_ms)) < 0)
		return r;
	if (f.rules.max_occupancy >= 0 && !out &&
	    (r = store_zone_occupancy(s, zone, &f.occupancy)) < 0)
		return r;
	*ret = f;
	return 0;
}

enum reason area_load(struct store *s, const char *zone, bool out, const char *person,
		      struct area_facts *ret)
{
	return facts_load(s, zone, out, person, false, ret) < 0 ? REASON_INTERNAL_ERROR
								: REASON_NONE;
}

int area_grant(struct store *s, const char *zone, const char *door, bool out, const char *person,
	       int64_t now_ms, bool *ret_soft_violation)
{
	struct area_facts f;
	struct area_location loc;
	bool soft;
	int r = facts_load(s, zone, out, person, true, &f);

	if (r < 0)
		return r;
	soft = f.rules.apb == APB_SOFT && apb_violates(&f, now_ms);
	loc = f.loc;
	if (area_move(&loc, zone, door, out, now_ms)) {
		r = loc.zone[0] ? store_location_put(s, person, loc.zone, loc.since_ms, loc.door)
				: store_location_clear(s, person);
		if (r < 0)
			return r;
	}
	/* Every entry is noted, so a zone switched to timed knows the last one at once. */
	if (!out && (r = store_zone_entry_put(s, person, zone, now_ms)) < 0)
		return r;
	if (soft && (r = store_zone_soft_violation(s, zone)) < 0)
		return r;
	*ret_soft_violation = soft;
	return 0;
}

int area_forgive_person(struct store *s, const char *person, const char *zone,
			struct area_location *ret_was)
{
	struct area_location loc;
	int r = location_load(s, person, &loc);

	if (r < 0)
		return r;
	*ret_was = loc;
	if (area_forgive(&loc, zone) && (r = store_location_clear(s, person)) < 0)
		return r;
	return store_zone_entries_clear(s, person, zone);
}
