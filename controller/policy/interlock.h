/* SPDX-License-Identifier: MIT */
/*
 * Interlock (man-trap, airlock): the doors of a group (config interlock =
 * GROUP) are never open together. A door of a group stays locked while
 * another door of the same group is open (its contact) or released (its
 * lock): its badges are denied interlock and its exit button waits, at most
 * AEOGATE_INTERLOCK_REX_WAIT_MS, for the other door to close and lock.
 * Pure: the caller passes each door's group and state and the clock.
 */
#ifndef AEOGATE_INTERLOCK_H
#define AEOGATE_INTERLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One door as the interlock sees it. */
struct interlock_door {
	const char *group; /* NULL or "": in no group */
	bool open;	   /* the contact says open */
	bool released;	   /* the lock is released (a grant, REX, remote unlock, unlocked mode) */
};

/*
 * The door of door i's group that holds it locked now (open or
 * released), its index; -1 when none does (or door i is in no group).
 */
ptrdiff_t interlock_holder(const struct interlock_door *doors, size_t n, size_t i);

/* What a waiting exit button does now. */
enum interlock_rex {
	INTERLOCK_REX_WAIT, /* still held, and the wait is not over */
	INTERLOCK_REX_OPEN, /* no longer held: the door opens for it now */
	INTERLOCK_REX_DROP, /* held past the bound: dropped, recorded */
};

/* An exit button pressed at since_ms (monotonic) on a door held is now held or not. */
enum interlock_rex interlock_rex_step(int64_t since_ms, bool held, int64_t now_ms, int64_t wait_ms);

#endif
