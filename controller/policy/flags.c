/* SPDX-License-Identifier: MIT */
/*
 * Red flags (README "Red flags"): what the dashboard marks on a person or a
 * badge now, as the reason codes the policy's own rules would deny with,
 * so a flag and a denial can never disagree on what "expired" means.
 */
#include "policy.h"

/*
 * The end of a life (a person terminated, a badge revoked or returned) is
 * what the status already says and nothing anyone must act on: not a flag.
 */
static void add(enum reason r, enum reason out[POLICY_FLAGS_MAX], size_t *n)
{
	if (r == REASON_NONE || r == REASON_PERSON_TERMINATED || r == REASON_CREDENTIAL_REVOKED)
		return;
	if (*n < POLICY_FLAGS_MAX)
		out[(*n)++] = r;
}

size_t policy_person_flags(const struct person *p, enum policy_vetting_status vetting,
			   int64_t recheck_due_ms, int64_t now_ms,
			   enum reason out[POLICY_FLAGS_MAX])
{
	struct policy_facts f = {.person = p, .now_ms = now_ms};
	size_t n = 0;

	add(rule_person_active(&f), out, &n);
	add(rule_person_validity(&f), out, &n);
	/*
	 * Only a clearance that has fallen due is a flag: a person never vetted
	 * is refused only at the zones that require it, which is not about them.
	 */
	if (vetting == POLICY_VETTING_CLEARED) {
		f.zone_requires_vetting = true;
		f.vetting = vetting;
		f.vetting_recheck_due_ms = recheck_due_ms;
		add(rule_vetting(&f), out, &n);
	}
	return n;
}

size_t policy_credential_flags(const struct credential *cr, int64_t now_ms,
			       enum reason out[POLICY_FLAGS_MAX])
{
	struct policy_facts f = {.credential = cr, .now_ms = now_ms};
	size_t n = 0;

	add(rule_credential_active(&f), out, &n);
	add(rule_credential_validity(&f), out, &n);
	return n;
}
