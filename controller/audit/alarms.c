/* SPDX-License-Identifier: MIT */
/*
 * Alarm rows for committed alarm events. An alarm is raised as its event is
 * stored (audit_on_event, a bus subscriber); one that could not be written
 * is raised again before the next checkpoint vouches for it, and at the
 * next start. Acknowledging and closing are changes with their own events
 * (controller/api/ops_alarms.c).
 */
#include "audit-internal.h"
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
