/* SPDX-License-Identifier: MIT */
#include <stddef.h>

#include "door.h"

void door_init(struct door *d, unsigned index, unsigned strike_ms, unsigned held_ms,
	       const struct door_hooks *hooks)
{
	*d = (struct door){
		.index = index,
		.strike_ms = strike_ms,
		.held_ms = held_ms,
		.hooks = hooks,
	};
}

void door_set_timings(struct door *d, unsigned strike_ms, unsigned held_ms)
{
	d->strike_ms = strike_ms;
	d->held_ms = held_ms;
}

static void set_lock(struct door *d, bool released)
{
	d->released = released;
	d->hooks->set_lock(d->hooks->userdata, d->index, released);
}

static void emit(struct door *d, const char *kind)
{
	d->hooks->emit(d->hooks->userdata, d->index, kind);
}

void door_set_initial_contact(struct door *d, bool open, int64_t now)
{
	d->open = open;
	d->held_at = open ? now + d->held_ms : 0;
}

static void release(struct door *d, int64_t now, unsigned ms)
{
	/* An unlocked door is released already, and must not relock when this window ends. */
	if (d->unlocked)
		return;
	set_lock(d, true);
	d->relock_at = now + ms;
}

void door_grant(struct door *d, int64_t now)
{
	release(d, now, d->strike_ms);
}

void door_rex(struct door *d, int64_t now)
{
	release(d, now, d->strike_ms);
}

void door_release_for(struct door *d, int64_t now, unsigned ms)
{
	release(d, now, ms);
}

void door_set_unlocked(struct door *d, bool unlocked)
{
	if (unlocked == d->unlocked)
		return;
	d->unlocked = unlocked;
	d->relock_at = 0;
	/* Released by a grant already: the lock stays where it is, only its relock is dropped. */
	if (unlocked && d->released)
		return;
	set_lock(d, unlocked);
}

void door_contact(struct door *d, bool open, int64_t now)
{
	if (open == d->open)
		return;
	d->open = open;
	if (open) {
		d->held_at = now + d->held_ms;
		if (d->released) {
			emit(d, "door.opened");
		} else {
			d->forced = true;
			emit(d, "door.forced");
		}
		return;
	}

	d->held_at = 0;
	d->forced = false;
	d->held = false;
	emit(d, "door.closed");
	/* Relock early: once the door has closed behind the person the window is used. */
	if (d->released && !d->unlocked) {
		set_lock(d, false);
		d->relock_at = 0;
	}
}

void door_tick(struct door *d, int64_t now)
{
	if (d->relock_at && now >= d->relock_at) {
		d->relock_at = 0;
		set_lock(d, false);
	}
	if (d->held_at && now >= d->held_at) {
		d->held_at = 0;
		if (d->open) {
			d->held = true;
			emit(d, "door.held");
		}
	}
}

int64_t door_deadline(const struct door *d)
{
	if (d->relock_at && d->held_at)
		return d->relock_at < d->held_at ? d->relock_at : d->held_at;
	return d->relock_at ? d->relock_at : d->held_at;
}

enum door_state door_get_state(const struct door *d)
{
	if (d->open && d->forced)
		return DOOR_FORCED;
	if (d->open && d->held)
		return DOOR_HELD;
	if (d->open)
		return DOOR_OPEN;
	return d->released ? DOOR_UNLOCKED : DOOR_LOCKED;
}

const char *door_state_to_string(enum door_state s)
{
	switch (s) {
	case DOOR_LOCKED:
		return "locked";
	case DOOR_UNLOCKED:
		return "unlocked";
	case DOOR_OPEN:
		return "open";
	case DOOR_FORCED:
		return "forced";
	case DOOR_HELD:
		return "held";
	}
	return "locked";
}

void door_lock_now(struct door *d)
{
	d->unlocked = false;
	d->relock_at = 0;
	set_lock(d, false);
}
