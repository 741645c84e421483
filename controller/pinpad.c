/* SPDX-License-Identifier: MIT */
#include <sodium.h>
#include <string.h>

#include "pinpad.h"

static struct pinpad_slot *slot(struct pinpad *p, unsigned reader)
{
	return reader < AEOGATE_READERS_MAX ? &p->slots[reader] : NULL;
}

/* Hands the waiting attempt out and leaves the reader idle, the digits wiped. */
static void slot_end(struct pinpad_slot *s, struct pin_attempt *ret)
{
	*ret = s->attempt;
	pin_entry_clear(&s->entry);
	sodium_memzero(&s->attempt, sizeof(s->attempt));
}

bool pinpad_badge(struct pinpad *p, struct pin_attempt *a, int64_t now_ms, int64_t timeout_ms,
		  struct pin_attempt *ret_replaced)
{
	struct pinpad_slot *s = slot(p, a->reader);
	bool replaced = false;

	if (!s)
		return false;
	if (s->entry.active) {
		slot_end(s, ret_replaced);
		replaced = true;
	}
	a->id = ++p->last_id;
	s->attempt = *a;
	pin_entry_start(&s->entry, now_ms, timeout_ms);
	return replaced;
}

enum pinpad_action pinpad_key(struct pinpad *p, unsigned reader, int key, int64_t now_ms,
			      struct pin_attempt *ret, char *ret_pin)
{
	struct pinpad_slot *s = slot(p, reader);

	if (!s)
		return PINPAD_DROPPED;
	if (!s->entry.active) {
		s->keys_dropped++;
		return PINPAD_DROPPED;
	}
	/* The key came after the wait ran out, before its timer did: too late for it. */
	if (pin_entry_expired(&s->entry, now_ms)) {
		s->keys_dropped++;
		slot_end(s, ret);
		return PINPAD_TIMEOUT;
	}
	switch (pin_entry_key(&s->entry, key)) {
	case PIN_ENTRY_MORE:
		return PINPAD_MORE;
	case PIN_ENTRY_DONE:
		memcpy(ret_pin, pin_entry_text(&s->entry), PIN_DIGITS_MAX + 1);
		ret_pin[PIN_DIGITS_MAX] = '\0';
		slot_end(s, ret);
		return PINPAD_CHECK;
	case PIN_ENTRY_INVALID:
		slot_end(s, ret);
		return PINPAD_WRONG;
	case PIN_ENTRY_IDLE:
		break;
	}
	s->keys_dropped++;
	return PINPAD_DROPPED;
}

int64_t pinpad_deadline(const struct pinpad *p, unsigned reader)
{
	if (reader >= AEOGATE_READERS_MAX || !p->slots[reader].entry.active)
		return 0;
	return p->slots[reader].entry.deadline_ms;
}

bool pinpad_expire(struct pinpad *p, unsigned reader, int64_t now_ms, bool force,
		   struct pin_attempt *ret)
{
	struct pinpad_slot *s = slot(p, reader);

	if (!s || !s->entry.active || (!force && !pin_entry_expired(&s->entry, now_ms)))
		return false;
	slot_end(s, ret);
	return true;
}

uint64_t pinpad_keys_dropped(const struct pinpad *p, unsigned reader)
{
	return reader < AEOGATE_READERS_MAX ? p->slots[reader].keys_dropped : 0;
}
