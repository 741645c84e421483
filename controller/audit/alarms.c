/* SPDX-License-Identifier: MIT */
/*
 * Alarm rows for committed alarm events. An alarm is raised as its event is
 * stored (audit_on_event, a bus subscriber); one that could not be written
 * is raised again before the next checkpoint vouches for it, and at the
 * next start. Acknowledging and closing are changes with their own events
 * (controller/api/ops_alarms.c).
 */
#include "audit-internal.h"
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "core.h"

int audit_alarm_raise(struct audit *a, const struct event *e)
{
	if (!audit_is_alarm_kind(e->kind))
		return 0;
	return store_alarm_raise(core_store(a->core), e->kind, e->door, e->zone, e->seq, e->ts_ms);
}

static int raise_cb(const struct event *e, void *userdata)
{
	return audit_alarm_raise(userdata, e);
}

int audit_alarms_raise_after(struct audit *a, int64_t after)
{
	return store_event_list(core_store(a->core), after, 0, raise_cb, a);
}

/* Alarms escalated in one step, each one event: bounded so the loop serves the doors between. */
#define ESCALATE_STEP_ALARMS 32

struct escalation {
	size_t n;
	struct alarm alarms[ESCALATE_STEP_ALARMS];
};

static int escalation_collect(const struct alarm *al, void *userdata)
{
	struct escalation *x = userdata;

	x->alarms[x->n++] = *al;
	return 0;
}

static int escalation_publish(const struct event *e, void *userdata)
{
	core_publish(userdata, e);
	return 0;
}

/* The alarm.escalated events of the alarms found, with their step rows, in one transaction. */
static int escalation_record(struct audit *a, const struct escalation *x, int64_t now,
			     int64_t *ret_first)
{
	struct store *s = core_store(a->core);
	char hash[EVENT_HASH_HEX];
	int r;

	r = store_begin(s);
	if (r < 0)
		return r;
	r = store_event_last(s, ret_first, hash);
	for (size_t i = 0; r == 0 && i < x->n; i++) {
		const struct alarm *al = &x->alarms[i];
		char detail[256];
		struct event e = {.kind = "alarm.escalated",
				  .door = al->door[0] ? al->door : NULL,
				  .zone = al->zone[0] ? al->zone : NULL,
				  .person = al->person[0] ? al->person : NULL,
				  .detail = detail};
		int n;

		/* Keys sorted, as the chain's canonical encoding has them; kinds are plain ids. */
		n = snprintf(detail, sizeof(detail),
			     "{\"alarm\":%" PRId64 ",\"alarm_kind\":\"%s\",\"elapsed_ms\":%" PRId64
			     ",\"limit_ms\":%u,\"raised_seq\":%" PRId64 "}",
			     al->id, al->kind, now - al->raised_ms, audit_alarm_ack_limit_ms(a),
			     al->raised_seq);
		if (n < 0 || (size_t)n >= sizeof(detail)) {
			r = -EOVERFLOW;
			break;
		}
		r = core_append(a->core, &e);
		if (r == 0)
			r = store_alarm_step_add(s, al->id, e.seq, e.kind, e.ts_ms);
	}
	return core_append_finish(a->core, r);
}

int audit_alarms_escalate(struct audit *a)
{
	struct store *s = core_store(a->core);
	int64_t now = core_wall_ms(a->core), first;
	struct escalation *x;
	int r;

	if (!a->ready || !s)
		return 0;
	/* Events wait for storage: the escalations would only queue behind them. */
	if (core_events_queued(a->core))
		return -EBUSY;
	x = calloc(1, sizeof(*x));
	if (!x)
		return -ENOMEM;
	/*
	 * From where the last step ended: alarms are raised in id order, so one
	 * below it is escalated, handled or not due (a clock stepped back
	 * aside), and each step reads only what it escalates.
	 */
	r = store_alarm_escalation_due(s, a->escalated_upto,
				       now - (int64_t)audit_alarm_ack_limit_ms(a),
				       ESCALATE_STEP_ALARMS, escalation_collect, x);
	if (r >= 0 && x->n > 0)
		r = escalation_record(a, x, now, &first);
	if (r >= 0 && x->n > 0) {
		a->escalated_upto = x->alarms[x->n - 1].id;
		/* Committed: subscribers hear of them, in order. */
		store_event_list(s, first, 0, escalation_publish, a->core);
		r = x->n == ESCALATE_STEP_ALARMS ? 1 : 0;
	}
	free(x);
	return r;
}
