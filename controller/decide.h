/* SPDX-License-Identifier: MIT */
/*
 * The access decision: a pipeline of rules, each of which can deny with its
 * own stable reason. Pure: the caller loads the facts from the store, so the
 * rules are tested without a database and a decision never waits on I/O
 * beyond those lookups.
 */
#ifndef AEOGATE_DECIDE_H
#define AEOGATE_DECIDE_H

#include <stdbool.h>
#include <stdint.h>

#include "aeogate/reason.h"
#include "store.h"

struct decide_facts {
	const struct credential *credential; /* NULL: not enrolled */
	const struct person *person;         /* NULL: missing (a broken row: deny) */
	int has_zone;                        /* store_person_has_zone: 1, 0 or negative errno */
	int64_t now_ms;                      /* UTC wall clock */
};

/* REASON_NONE grants; anything else is the first rule that denied. */
enum reason decide(const struct decide_facts *f);

#endif
