/* SPDX-License-Identifier: MIT */
/*
 * Access levels: whether one of the person's levels opens the door's zone
 * now. A person holding several levels is admitted if any one of them
 * includes the zone and is in force (no schedule, or inside it); when the
 * only levels that include the zone are outside their schedules the reason
 * is outside_schedule, and no_access keeps its meaning: no level includes it.
 */
#include "policy.h"

enum reason rule_zone(const struct policy_facts *f)
{
	if (!f->levels_known) {
		if (f->has_zone < 0)
			return REASON_INTERNAL_ERROR;
		return f->has_zone == 1 ? REASON_NONE : REASON_NO_ACCESS;
	}
	if (f->n_levels == 0)
		return REASON_NO_ACCESS;
	for (size_t i = 0; i < f->n_levels; i++) {
		const struct policy_level *l = &f->levels[i];

		if (!l->schedule)
			return REASON_NONE;
		if (!f->moment)
			return REASON_INTERNAL_ERROR; /* a schedule and no clock: fail closed */
		if (schedule_contains(l->schedule, l->n_intervals, f->moment))
			return REASON_NONE;
	}
	return REASON_OUTSIDE_SCHEDULE;
}
