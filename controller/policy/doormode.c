/* SPDX-License-Identifier: MIT */
/* Door modes: a locked door denies every badge (its exit button still opens it). */
#include "policy.h"

enum reason rule_door_mode(const struct policy_facts *f)
{
	switch (f->door_mode) {
	case POLICY_DOOR_CARD:
	case POLICY_DOOR_CARD_AND_PIN: /* the PIN is asked for after the decision */
	case POLICY_DOOR_UNLOCKED:
		return REASON_NONE;
	case POLICY_DOOR_LOCKED:
		return REASON_DOOR_LOCKED;
	}
	return REASON_INTERNAL_ERROR; /* a mode we do not know: fail closed */
}
