/* SPDX-License-Identifier: MIT */
/* Access levels: whether one of the person's levels opens the door's zone. */
#include "policy.h"

enum reason rule_zone(const struct policy_facts *f)
{
	if (f->has_zone < 0)
		return REASON_INTERNAL_ERROR;
	return f->has_zone == 1 ? REASON_NONE : REASON_NO_ACCESS;
}
