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
#include "schedule.h"
#include "store.h"

/* A person's vetting record (clearance), as the vetting rule reads it. */
enum policy_vetting_status {
	POLICY_VETTING_NONE, /* no record */
	POLICY_VETTING_CLEARED,
	POLICY_VETTING_PENDING,
	POLICY_VETTING_FAILED,
};

/* How a door answers a badge now (its effective mode). */
enum policy_door_mode {
	POLICY_DOOR_CARD = 0, /* the default: a badge opens it */
	POLICY_DOOR_CARD_AND_PIN,
	POLICY_DOOR_UNLOCKED,
	POLICY_DOOR_LOCKED,
};

/* One of the person's levels that includes the door's zone. */
struct policy_level {
	const struct schedule_interval *schedule; /* NULL: no schedule (always in force) */
	size_t n_intervals;
};

struct area_facts;

struct policy_facts {
	const struct credential *credential; /* NULL: not enrolled */
	const struct person *person;	     /* NULL: missing (a broken row: deny) */
	int has_zone;			     /* store_person_has_zone: 1, 0 or negative errno */
	int64_t now_ms;			     /* UTC wall clock */
	/* Vetting: only when the door's zone requires it. */
	bool zone_requires_vetting;
	enum policy_vetting_status vetting;
	int64_t vetting_recheck_due_ms; /* 0: none set */
	/*
	 * Levels with schedules: when levels_known, the person's levels that
	 * include the zone (n_levels may be 0) replace has_zone, and moment
	 * says where the site's local clock stands.
	 */
	bool levels_known;
	const struct policy_level *levels;
	size_t n_levels;
	const struct schedule_moment *moment;
	enum policy_door_mode door_mode;
	/* Anti-passback and occupancy (apb.h): NULL, no area rules apply. */
	const struct area_facts *area;
	/*
	 * Lockdown and threat level (lockdown.c): whether the door's zone is
	 * locked down now, whether the person is a responder (who passes a
	 * lockdown), the site's threat level and the person's clearance (0-5).
	 */
	bool locked_down;
	bool responder;
	int threat_level;
	int clearance;
	/* Interlock (interlock.c): another door of the door's group is open or released. */
	bool interlock_held;
};

/* REASON_NONE grants; anything else is the first rule that denied. */
enum reason policy_decide(const struct policy_facts *f);

/*
 * Red flags (flags.c): the reasons a person or a badge would be refused
 * for now, whatever the door (suspended, not yet valid or expired, a
 * clearance whose re-check has fallen due; a badge suspended or lost, not
 * yet valid or expired); a person terminated or a badge revoked or returned
 * has reached its end, which its status says: no flag. Returns how many
 * are in out.
 */
#define POLICY_FLAGS_MAX 4
size_t policy_person_flags(const struct person *p, enum policy_vetting_status vetting,
			   int64_t recheck_due_ms, int64_t now_ms,
			   enum reason out[POLICY_FLAGS_MAX]);
size_t policy_credential_flags(const struct credential *cr, int64_t now_ms,
			       enum reason out[POLICY_FLAGS_MAX]);

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
enum reason rule_lockdown(const struct policy_facts *f);	    /* lockdown.c */
enum reason rule_threat_level(const struct policy_facts *f);	    /* lockdown.c */
enum reason rule_vetting(const struct policy_facts *f);		    /* vetting.c */
enum reason rule_zone(const struct policy_facts *f);		    /* levels.c */
enum reason rule_door_mode(const struct policy_facts *f);	    /* doormode.c */
enum reason rule_antipassback(const struct policy_facts *f);	    /* apb.c */
enum reason rule_occupancy(const struct policy_facts *f);	    /* apb.c */
enum reason rule_interlock(const struct policy_facts *f);	    /* interlock.c */
/*
 * After the table, in the core, the rules that wait for another read: card
 * + PIN (pin.c, controller/pinpad.c), then last the waits for another
 * person (two_person.c: two-person rule, escort), which grant two badges
 * at once or deny two_person_timeout / escort_required.
 */

#endif
