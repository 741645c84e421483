/* SPDX-License-Identifier: MIT */
/*
 * Door modes: which mode a door is in now (its effective mode), from what
 * sets it. A manual mode (door mode DOOR MODE [--until T]) wins while it is
 * in force; else the door's schedule, when it has one and it holds now;
 * else the default, card. Pure: the caller keeps the inputs, passes the
 * UTC clock, and arms one timer at door_mode_deadline.
 */
#ifndef AEOGATE_DOORMODE_H
#define AEOGATE_DOORMODE_H

#include <stdbool.h>
#include <stdint.h>

#include "policy.h"

/* The longest mode name ("card_and_pin"). */
#define DOOR_MODE_NAME_MAX 12

/* Why the effective mode changed (door.mode's detail.cause). */
enum door_mode_cause {
	DOOR_MODE_CAUSE_MANUAL,
	DOOR_MODE_CAUSE_SCHEDULE,
	DOOR_MODE_CAUSE_FIRST_PERSON,
	DOOR_MODE_CAUSE_EXPIRED,
};

/* What decides a door's mode. Zeroed: no manual mode, no schedule: card. */
struct door_mode_inputs {
	bool manual;
	enum policy_door_mode manual_mode;
	int64_t manual_until_ms; /* UTC; 0: until changed */
	/*
	 * The mode the door's schedule gives it now (door schedule), when it
	 * has one that holds now. Nothing sets it yet: door schedules are
	 * still to be built; the caller fills it in from them.
	 */
	bool scheduled;
	enum policy_door_mode scheduled_mode;
};

/* Whether the manual mode is still in force at now_ms (its until not yet reached). */
bool door_mode_manual_in_force(const struct door_mode_inputs *in, int64_t now_ms);

/* The door's mode at now_ms. */
enum policy_door_mode door_mode_effective(const struct door_mode_inputs *in, int64_t now_ms);

/*
 * When the effective mode next changes by itself (a manual mode's until),
 * UTC ms; 0 when nothing is pending. A caller that also follows a schedule
 * takes the earlier of this and the schedule's next boundary.
 */
int64_t door_mode_deadline(const struct door_mode_inputs *in, int64_t now_ms);

/* "card", "card_and_pin", "unlocked", "locked"; NULL for a value outside the enum. */
const char *door_mode_to_string(enum policy_door_mode m);
/* -EINVAL for anything but the four names. */
int door_mode_from_string(const char *s, enum policy_door_mode *ret);
/* "manual", "schedule", "first_person", "expired"; NULL outside the enum. */
const char *door_mode_cause_to_string(enum door_mode_cause c);

#endif
