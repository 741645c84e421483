/* SPDX-License-Identifier: MIT */
/*
 * Door modes: a locked door denies every badge (its exit button still
 * opens it); the effective mode is the manual one while it is in force,
 * else the scheduled one, else card.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "doormode.h"
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

static const char *const names[] = {
    [POLICY_DOOR_CARD] = "card",
    [POLICY_DOOR_CARD_AND_PIN] = "card_and_pin",
    [POLICY_DOOR_UNLOCKED] = "unlocked",
    [POLICY_DOOR_LOCKED] = "locked",
};

bool door_mode_manual_in_force(const struct door_mode_inputs *in, int64_t now_ms)
{
	return in->manual && (!in->manual_until_ms || now_ms < in->manual_until_ms);
}

enum policy_door_mode door_mode_effective(const struct door_mode_inputs *in, int64_t now_ms)
{
	if (door_mode_manual_in_force(in, now_ms))
		return in->manual_mode;
	if (in->scheduled)
		return in->scheduled_mode;
	return POLICY_DOOR_CARD;
}

int64_t door_mode_deadline(const struct door_mode_inputs *in, int64_t now_ms)
{
	/* A manual mode already past its until is due now: its expiry is still to be handled. */
	if (in->manual && in->manual_until_ms)
		return in->manual_until_ms > now_ms ? in->manual_until_ms : now_ms;
	return 0;
}

const char *door_mode_to_string(enum policy_door_mode m)
{
	return (unsigned)m < sizeof(names) / sizeof(names[0]) ? names[m] : NULL;
}

int door_mode_from_string(const char *s, enum policy_door_mode *ret)
{
	for (size_t i = 0; s && i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(s, names[i])) {
			*ret = (enum policy_door_mode)i;
			return 0;
		}
	return -EINVAL;
}

const char *door_mode_cause_to_string(enum door_mode_cause c)
{
	static const char *const causes[] = {
	    [DOOR_MODE_CAUSE_MANUAL] = "manual",
	    [DOOR_MODE_CAUSE_SCHEDULE] = "schedule",
	    [DOOR_MODE_CAUSE_FIRST_PERSON] = "first_person",
	    [DOOR_MODE_CAUSE_EXPIRED] = "expired",
	};

	return (unsigned)c < sizeof(causes) / sizeof(causes[0]) ? causes[c] : NULL;
}
