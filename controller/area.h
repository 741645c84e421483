/* SPDX-License-Identifier: MIT */
/*
 * Where everyone is, anti-passback and occupancy, between the store and
 * the pure rules of controller/policy/apb.h: the facts a decision reads,
 * and the rows a grant writes in the decision's own transaction.
 */
#ifndef AEOGATE_AREA_H
#define AEOGATE_AREA_H

#include <stdbool.h>
#include <stdint.h>

#include "apb.h"
#include "store.h"

/*
 * The area facts of person's read at a door of zone (direction out or
 * in): the zone's rules, and what they need (the location, the last
 * entry, the count). REASON_INTERNAL_ERROR when a lookup fails.
 */
enum reason area_load(struct store *s, const char *zone, bool out, const char *person,
		      struct area_facts *ret);

/*
 * A granted read moves person (area_move) and, going in, notes the
 * entry; a soft anti-passback violation adds one to the zone's count and
 * sets *ret_soft_violation. Inside the caller's transaction; 0 or
 * negative errno (the caller rolls back).
 */
int area_grant(struct store *s, const char *zone, const char *door, bool out, const char *person,
	       int64_t now_ms, bool *ret_soft_violation);

/*
 * apb forgive: person's location reset (only when in zone, unless zone is
 * NULL) and their timed entries forgotten (zone's, or all). Inside the
 * caller's transaction. *ret_was is where they were (zone "" when in no
 * zone).
 */
int area_forgive_person(struct store *s, const char *person, const char *zone,
			struct area_location *ret_was);

/* The rules of zone (apb_from_string's form in text); negative errno. */
int area_rules_get(struct store *s, const char *zone, struct area_rules *ret,
		   int64_t *ret_soft_violations);

#endif
