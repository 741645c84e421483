/* SPDX-License-Identifier: MIT */
/* Who holds the badge and whether both are in force now. */
#include <stddef.h>
#include <string.h>

#include "policy.h"

/* A stored status and the reason it denies with (REASON_NONE: it passes). */
struct status_reason {
	const char *status;
	enum reason reason;
};

/* Looks a status up; one the table does not know denies with otherwise. */
static enum reason status_lookup(const struct status_reason *table, const char *status,
				 enum reason otherwise)
{
	for (; table->status; table++)
		if (status && strcmp(table->status, status) == 0)
			return table->reason;
	return otherwise;
}

enum reason rule_credential_known(const struct policy_facts *f)
{
	return f->credential ? REASON_NONE : REASON_UNKNOWN_CREDENTIAL;
}

enum reason rule_credential_active(const struct policy_facts *f)
{
	static const struct status_reason table[] = {
	    {"active", REASON_NONE},
	    {"suspended", REASON_CREDENTIAL_SUSPENDED},
	    {"lost", REASON_CREDENTIAL_LOST},
	    {NULL, REASON_NONE},
	};

	/* revoked, returned, and anything we do not know: fail closed. */
	return status_lookup(table, f->credential->status, REASON_CREDENTIAL_REVOKED);
}

enum reason rule_person_active(const struct policy_facts *f)
{
	static const struct status_reason table[] = {
	    {"active", REASON_NONE},
	    {"terminated", REASON_PERSON_TERMINATED},
	    {NULL, REASON_NONE},
	};

	if (!f->person)
		return REASON_INTERNAL_ERROR;
	return status_lookup(table, f->person->status, REASON_PERSON_INACTIVE);
}

static enum reason check_window(int64_t from, int64_t until, int64_t now)
{
	if (from && now < from)
		return REASON_NOT_YET_VALID;
	if (until && now >= until)
		return REASON_EXPIRED;
	return REASON_NONE;
}

enum reason rule_person_validity(const struct policy_facts *f)
{
	return check_window(f->person->valid_from, f->person->valid_until, f->now_ms);
}

enum reason rule_credential_validity(const struct policy_facts *f)
{
	return check_window(f->credential->valid_from, f->credential->valid_until, f->now_ms);
}
