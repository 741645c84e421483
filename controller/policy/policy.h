/* SPDX-License-Identifier: MIT */
/*
 * The access decision: an ordered table of rules (policy.c), one file per
 * rule family (validity.c, levels.c, and next schedule.c, vetting.c,
 * pin.c, antipassback.c ...), each rule denying with its own stable
 * reason. Pure: the caller loads the facts from the store, so the rules are
 * tested without a database and a decision never waits on I/O beyond
 * those lookups. Fails closed: a fact a rule cannot read denies.
 */
#ifndef AEOGATE_POLICY_H
#define AEOGATE_POLICY_H

#include <stdbool.h>
#include <stdint.h>

#include "aeogate/reason.h"
#include "store.h"

struct policy_facts {
	const struct credential *credential; /* NULL: not enrolled */
	const struct person *person;	     /* NULL: missing (a broken row: deny) */
	int has_zone;			     /* store_person_has_zone: 1, 0 or negative errno */
	int64_t now_ms;			     /* UTC wall clock */
};

/* REASON_NONE grants; anything else is the first rule that denied. */
enum reason policy_decide(const struct policy_facts *f);

/*
 * The rules, in the order policy_decide runs them (README, "Decisions and
 * denial reasons"). Each returns REASON_NONE to pass; a rule may rely on
 * the ones before it having passed.
 */
enum reason rule_credential_known(const struct policy_facts *f);    /* validity.c */
enum reason rule_credential_active(const struct policy_facts *f);   /* validity.c */
enum reason rule_person_active(const struct policy_facts *f);	    /* validity.c */
enum reason rule_person_validity(const struct policy_facts *f);	    /* validity.c */
enum reason rule_credential_validity(const struct policy_facts *f); /* validity.c */
enum reason rule_zone(const struct policy_facts *f);		    /* levels.c */

#endif
