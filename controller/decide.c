/* SPDX-License-Identifier: MIT */
#include <stddef.h>
#include <string.h>

#include "decide.h"

typedef enum reason (*rule_fn)(const struct decide_facts *f);

static enum reason rule_credential_known(const struct decide_facts *f)
{
	return f->credential ? REASON_NONE : REASON_UNKNOWN_CREDENTIAL;
}

static enum reason rule_credential_active(const struct decide_facts *f)
{
	const char *s = f->credential->status;

	if (strcmp(s, "active") == 0)
		return REASON_NONE;
	if (strcmp(s, "suspended") == 0)
		return REASON_CREDENTIAL_SUSPENDED;
	if (strcmp(s, "lost") == 0)
		return REASON_CREDENTIAL_LOST;
	/* revoked, returned, and anything we do not know: fail closed. */
	return REASON_CREDENTIAL_REVOKED;
}

static enum reason rule_person_active(const struct decide_facts *f)
{
	if (!f->person)
		return REASON_INTERNAL_ERROR;
	if (strcmp(f->person->status, "active") == 0)
		return REASON_NONE;
	if (strcmp(f->person->status, "terminated") == 0)
		return REASON_PERSON_TERMINATED;
	return REASON_PERSON_INACTIVE;
}

static enum reason check_window(int64_t from, int64_t until, int64_t now)
{
	if (from && now < from)
		return REASON_NOT_YET_VALID;
	if (until && now >= until)
		return REASON_EXPIRED;
	return REASON_NONE;
}

static enum reason rule_person_validity(const struct decide_facts *f)
{
	return check_window(f->person->valid_from, f->person->valid_until, f->now_ms);
}

static enum reason rule_credential_validity(const struct decide_facts *f)
{
	return check_window(f->credential->valid_from, f->credential->valid_until, f->now_ms);
}

static enum reason rule_zone(const struct decide_facts *f)
{
	if (f->has_zone < 0)
		return REASON_INTERNAL_ERROR;
	return f->has_zone == 1 ? REASON_NONE : REASON_NO_ACCESS;
}

/* Order matters only for which reason an auditor sees first. */
static const rule_fn rules[] = {
	rule_credential_known, rule_credential_active,	 rule_person_active,
	rule_person_validity,  rule_credential_validity, rule_zone,
};

enum reason decide(const struct decide_facts *f)
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
