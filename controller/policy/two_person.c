/* SPDX-License-Identifier: MIT */
#include <string.h>

#include "two_person.h"

static struct two_person_slot *slot(struct two_person *t, unsigned door)
{
	return door < AEOGATE_DOORS_MAX ? &t->slots[door] : NULL;
}

/* Hands the waiting attempt out and leaves the door idle. */
static void slot_end(struct two_person_slot *s, struct two_person_attempt *ret)
{
	*ret = s->attempt;
	memset(s, 0, sizeof(*s));
}

/*
 * Whether a completes the attempt w waiting at the same door: never the
 * same person; a visitor waiting for an escort only with someone who is
 * not a visitor. Anyone else authorized is a second person, and a person
 * waiting for a second person escorts a visitor.
 */
static bool completes(const struct two_person_attempt *w, const struct two_person_attempt *a)
{
	if (!strcmp(w->person, a->person))
		return false;
	if (w->awaiting == TWO_PERSON_ESCORT)
		return !a->visitor;
	return w->awaiting == TWO_PERSON_SECOND;
}

enum two_person_action two_person_badge(struct two_person *t, unsigned door,
					struct two_person_attempt *a,
					const struct two_person_rules *rules, int64_t now_ms,
					struct two_person_attempt *ret_other, bool *ret_replaced)
{
	struct two_person_slot *s = slot(t, door);
	enum two_person_await need = a->visitor && rules->escort ? TWO_PERSON_ESCORT
				     : rules->two_person	 ? TWO_PERSON_SECOND
								 : TWO_PERSON_NONE;
	int64_t window =
	    need == TWO_PERSON_ESCORT ? rules->escort_window_ms : rules->two_person_window_ms;

	*ret_replaced = false;
	a->awaiting = TWO_PERSON_NONE;
	if (!s)
		return TWO_PERSON_PASS;
	if (s->active && now_ms < s->deadline_ms && completes(&s->attempt, a)) {
		slot_end(s, ret_other);
		return TWO_PERSON_COMPLETE;
	}
	if (need == TWO_PERSON_NONE)
		return TWO_PERSON_PASS;
	if (s->active) {
		slot_end(s, ret_other);
		*ret_replaced = true;
	}
	a->id = ++t->last_id;
	a->awaiting = need;
	s->attempt = *a;
	s->active = true;
	/* A window that is not positive waits no time: the badge times out at once. */
	s->deadline_ms = now_ms + (window > 0 ? window : 0);
	return TWO_PERSON_WAIT;
}

int64_t two_person_deadline(const struct two_person *t, unsigned door)
{
	if (door >= AEOGATE_DOORS_MAX || !t->slots[door].active)
		return 0;
	return t->slots[door].deadline_ms;
}

bool two_person_expire(struct two_person *t, unsigned door, int64_t now_ms, bool force,
		       struct two_person_attempt *ret)
{
	struct two_person_slot *s = slot(t, door);

	if (!s || !s->active || (!force && now_ms < s->deadline_ms))
		return false;
	slot_end(s, ret);
	return true;
}

enum reason two_person_reason(enum two_person_await awaiting)
{
	/* An attempt that waits for nothing never ends by waiting: fail closed all the same. */
	return awaiting == TWO_PERSON_ESCORT ? REASON_ESCORT_REQUIRED : REASON_TWO_PERSON_TIMEOUT;
}

const char *two_person_await_name(enum two_person_await awaiting)
{
	switch (awaiting) {
	case TWO_PERSON_SECOND:
		return "second_person";
	case TWO_PERSON_ESCORT:
		return "escort";
	case TWO_PERSON_NONE:
		break;
	}
	return NULL;
}
