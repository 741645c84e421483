/* SPDX-License-Identifier: MIT */
/*
 * The door state machine. Pure: time comes in as an argument (monotonic
 * milliseconds) and effects go out through hooks, so tests drive it with an
 * injected clock. The caller arms one timer at door_deadline() and calls
 * door_tick() when it fires.
 *
 * Ordering contract: for a grant or a REX the caller commits the event
 * first and then calls door_grant/door_rex, which move the lock; an event
 * is stored before the lock moves.
 */
#ifndef AEOGATE_DOOR_H
#define AEOGATE_DOOR_H

#include <stdbool.h>
#include <stdint.h>

enum door_state {
	DOOR_LOCKED,
	DOOR_UNLOCKED, /* released after a grant or REX, still closed */
	DOOR_OPEN,     /* opened with authorization */
	DOOR_FORCED,   /* opened without authorization */
	DOOR_HELD,     /* open longer than the held time */
};

struct door_hooks {
	void *userdata;
	/* Drive the lock; released = true opens it. */
	void (*set_lock)(void *userdata, unsigned door, bool released);
	/* Record a door event (door.opened, door.closed, door.forced, door.held). */
	void (*emit)(void *userdata, unsigned door, const char *kind);
};

struct door {
	unsigned index;
	unsigned strike_ms;
	unsigned held_ms;
	const struct door_hooks *hooks;
	bool released;
	bool unlocked; /* the door's mode is unlocked: released until that ends */
	bool open;
	bool forced;
	bool held;
	int64_t relock_at; /* 0: no pending relock */
	int64_t held_at;   /* 0: no pending held alarm */
};

void door_init(struct door *d, unsigned index, unsigned strike_ms, unsigned held_ms,
	       const struct door_hooks *hooks);

/* New strike and held times (a reload): from the next grant and the next opening on. */
void door_set_timings(struct door *d, unsigned strike_ms, unsigned held_ms);

/* The contact level read at start: an open door starts its held timer, no alarm. */
void door_set_initial_contact(struct door *d, bool open, int64_t now);

/* Releases the lock for the strike time (the access event is already stored). */
void door_grant(struct door *d, int64_t now);

/* Request to exit: like a grant, without a credential. */
void door_rex(struct door *d, int64_t now);

/*
 * Releases the lock once for ms instead of the strike time (a guard's
 * remote unlock; its event is already stored). The opening that follows
 * is authorized; closing relocks early, as after a grant.
 */
void door_release_for(struct door *d, int64_t now, unsigned ms);

/*
 * The door's mode is unlocked (true) or no longer (false). While unlocked
 * the lock stays released: grants, REX and closing do not relock it, an
 * opening is never forced, and the held-open alarm still runs. Ending it
 * locks at once.
 */
void door_set_unlocked(struct door *d, bool unlocked);

void door_contact(struct door *d, bool open, int64_t now);

/* Runs the timers that are due at now. */
void door_tick(struct door *d, int64_t now);

/* Earliest pending timer (monotonic ms), or 0 when none. */
int64_t door_deadline(const struct door *d);

enum door_state door_get_state(const struct door *d);
const char *door_state_to_string(enum door_state s);

/* Locks at once and forgets pending timers and the unlocked mode (stop, lockdown). */
void door_lock_now(struct door *d);

#endif
