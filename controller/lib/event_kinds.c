/* SPDX-License-Identifier: MIT */
/*
 * The kinds table (include/aeogate/event.h). Only kinds with a property
 * need a row: a kind not named here is no alarm and has the general
 * retention floor, so a new kind is safe by default and one that should
 * raise an alarm is added here, nowhere else. The fourth column is the
 * alarm's priority (1 most urgent; README "Alarms"): duress, then forced,
 * then tamper-class findings, then held open, then a reader offline.
 */
#include <string.h>

#include "aeogate/event.h"
#include "aeogate/limits.h"

#define FLOOR	    AEOGATE_RETENTION_FLOOR_DAYS
#define ALARM_FLOOR AEOGATE_RETENTION_ALARM_FLOOR_DAYS

const struct event_kind event_kinds[] = {
    {"access.granted", false, FLOOR, 0},
    {"access.denied", false, FLOOR, 0},
    {"door.opened", false, FLOOR, 0},
    {"door.closed", false, FLOOR, 0},
    {"door.rex", false, FLOOR, 0},
    {"door.forced", true, ALARM_FLOOR, 2},
    {"door.held", true, ALARM_FLOOR, 4},
    {"alarm.tamper", true, ALARM_FLOOR, 3},
    {"alarm.storage", true, ALARM_FLOOR, 3},
    /* A duress PIN at a card + PIN door: the highest-priority alarm guards see. */
    {"alarm.duress", true, ALARM_FLOOR, 1},
    /* A scheduled backup failed ([backup]): someone must look before the next one is due. */
    {"alarm.backup", true, ALARM_FLOOR, 6},
    /* Raised, acknowledged, closed, restored: every alarm.* event is an alarm record. */
    {"alarm.*", false, ALARM_FLOOR, 0},
    /* Tamper evidence found at start (the signed head record outside the database). */
    {"audit.truncated", true, ALARM_FLOOR, 3},
    {"audit.head_invalid", true, ALARM_FLOOR, 3},
    {"audit.pruned", false, FLOOR, 0},
    {"reader.noise", false, FLOOR, 0},
    /* Not an alarm row, but ranked with them where a console lists device alerts. */
    {"reader.offline", false, FLOOR, 5},
    /*
     * The office's signed messages (README "Signed change sets and
     * commands"): no alarm, the general floor; listed so that the fleet's
     * kinds are found in one place.
     */
    {"sync.applied", false, FLOOR, 0},
    {"sync.rejected", false, FLOOR, 0},
};

const size_t event_kinds_n = sizeof(event_kinds) / sizeof(event_kinds[0]);

const struct event_kind *event_kind_find(const char *kind)
{
	const struct event_kind *family = NULL;

	for (size_t i = 0; kind && i < event_kinds_n; i++) {
		const char *name = event_kinds[i].name;
		size_t n = strlen(name);

		if (!strcmp(name, kind))
			return &event_kinds[i];
		if (n >= 2 && name[n - 1] == '*' && !strncmp(name, kind, n - 1))
			family = &event_kinds[i];
	}
	return family;
}

bool event_kind_is_alarm(const char *kind)
{
	const struct event_kind *k = event_kind_find(kind);

	return k && k->is_alarm;
}

unsigned event_kind_retention_floor(const char *kind)
{
	const struct event_kind *k = event_kind_find(kind);

	return k ? k->retention_floor_days : AEOGATE_RETENTION_FLOOR_DAYS;
}

unsigned event_kind_priority(const char *kind)
{
	const struct event_kind *k = event_kind_find(kind);

	return k && k->priority ? k->priority : EVENT_PRIORITY_OTHER;
}
