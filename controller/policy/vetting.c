/* SPDX-License-Identifier: MIT */
/* Clearance: a zone that requires vetting admits only people cleared and not overdue. */
#include "policy.h"

enum reason rule_vetting(const struct policy_facts *f)
{
	if (!f->zone_requires_vetting)
		return REASON_NONE;
	if (f->vetting != POLICY_VETTING_CLEARED)
		return REASON_VETTING_REQUIRED;
	/* The re-check date is the day it falls due: from then on it is overdue. */
	if (f->vetting_recheck_due_ms && f->now_ms >= f->vetting_recheck_due_ms)
		return REASON_VETTING_OVERDUE;
	return REASON_NONE;
}
