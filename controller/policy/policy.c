/* SPDX-License-Identifier: MIT */
#include <stddef.h>

#include "policy.h"

/*
 * Order matters only for which reason an auditor sees first (README,
 * "Decisions and denial reasons"): decode, credential, person, validity,
 * lockdown, threat level, vetting, level and schedule, door mode,
 * interlock, anti-passback, occupancy, then (in the core) PIN.
 */
static enum reason (*const rules[])(const struct policy_facts *f) = {
    rule_credential_known,
    rule_credential_active,
    rule_person_active,
    rule_person_validity,
    rule_credential_validity,
    rule_lockdown,
    rule_threat_level,
    rule_vetting,
    rule_zone,
    rule_door_mode,
    rule_interlock,
    rule_antipassback,
    rule_occupancy,
};

enum reason policy_decide(const struct policy_facts *f)
{
	if (!f)
		return REASON_INTERNAL_ERROR;
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		enum reason r = rules[i](f);
		if (r != REASON_NONE)
			return r;
	}
	return REASON_NONE;
}
