/* SPDX-License-Identifier: MIT */
/*
 * Denial reasons: one stable snake_case code per rule. The codes are part of
 * the event contract (they are stored, exported and shown to auditors), so a
 * code is never renamed or reused; new rules add new codes at the end.
 * The README's "Denial reasons" table documents each one.
 */
#ifndef AEOGATE_REASON_H
#define AEOGATE_REASON_H

enum reason {
	REASON_NONE = 0,
	REASON_BAD_PARITY,
	REASON_UNKNOWN_FORMAT,
	REASON_UNKNOWN_CREDENTIAL,
	REASON_CREDENTIAL_REVOKED,
	REASON_CREDENTIAL_SUSPENDED,
	REASON_CREDENTIAL_LOST,
	REASON_PERSON_INACTIVE,
	REASON_PERSON_TERMINATED,
	REASON_NOT_YET_VALID,
	REASON_EXPIRED,
	REASON_NO_ACCESS,
	REASON_DOOR_LOCKED_DOWN,
	REASON_INTERNAL_ERROR,
	REASON_AMBIGUOUS_CREDENTIAL,
	REASON_STORAGE_FAILURE,
	REASON_OUTSIDE_SCHEDULE,
	REASON_VETTING_REQUIRED,
	REASON_VETTING_OVERDUE,
	REASON_DOOR_LOCKED,
	REASON_PIN_REQUIRED,
	REASON_WRONG_PIN,
	REASON_PIN_LOCKED,
	REASON_ANTIPASSBACK,
	REASON_OCCUPANCY_FULL,
	REASON_THREAT_LEVEL,
	REASON_INTERLOCK,
	REASON_TWO_PERSON_TIMEOUT,
	REASON_ESCORT_REQUIRED,
	_REASON_MAX,
};

/* The stable code for a reason; "internal_error" for anything out of range. */
const char *reason_to_string(enum reason r);

/* The reason for a code, or -EINVAL. */
int reason_from_string(const char *s);

#endif
