/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <string.h>

#include "aeogate/reason.h"

/* Stable codes: stored in events and exports, so never renamed or reused. */
static const char *const reason_codes[_REASON_MAX] = {
    [REASON_NONE] = "none",
    [REASON_BAD_PARITY] = "bad_parity",
    [REASON_UNKNOWN_FORMAT] = "unknown_format",
    [REASON_UNKNOWN_CREDENTIAL] = "unknown_credential",
    [REASON_CREDENTIAL_REVOKED] = "credential_revoked",
    [REASON_CREDENTIAL_SUSPENDED] = "credential_suspended",
    [REASON_CREDENTIAL_LOST] = "credential_lost",
    [REASON_PERSON_INACTIVE] = "person_inactive",
    [REASON_PERSON_TERMINATED] = "person_terminated",
    [REASON_NOT_YET_VALID] = "not_yet_valid",
    [REASON_EXPIRED] = "expired",
    [REASON_NO_ACCESS] = "no_access",
    [REASON_DOOR_LOCKED_DOWN] = "door_locked_down",
    [REASON_INTERNAL_ERROR] = "internal_error",
    [REASON_AMBIGUOUS_CREDENTIAL] = "ambiguous_credential",
    [REASON_STORAGE_FAILURE] = "storage_failure",
    [REASON_OUTSIDE_SCHEDULE] = "outside_schedule",
    [REASON_VETTING_REQUIRED] = "vetting_required",
    [REASON_VETTING_OVERDUE] = "vetting_overdue",
    [REASON_DOOR_LOCKED] = "door_locked",
    [REASON_PIN_REQUIRED] = "pin_required",
    [REASON_WRONG_PIN] = "wrong_pin",
    [REASON_PIN_LOCKED] = "pin_locked",
    [REASON_ANTIPASSBACK] = "antipassback",
    [REASON_OCCUPANCY_FULL] = "occupancy_full",
    [REASON_THREAT_LEVEL] = "threat_level",
    [REASON_INTERLOCK] = "interlock",
    [REASON_TWO_PERSON_TIMEOUT] = "two_person_timeout",
    [REASON_ESCORT_REQUIRED] = "escort_required",
};

const char *reason_to_string(enum reason r)
{
	if ((unsigned)r >= _REASON_MAX)
		return "internal_error";
	return reason_codes[r];
}

int reason_from_string(const char *s)
{
	if (!s)
		return -EINVAL;
	for (int i = 0; i < _REASON_MAX; i++)
		if (strcmp(reason_codes[i], s) == 0)
			return i;
	return -EINVAL;
}
