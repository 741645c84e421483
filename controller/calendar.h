/* SPDX-License-Identifier: MIT */
/*
 * The calendar: every schedule's intervals and every holiday, held in
 * memory so that a decision reads no SQL for them (they change only
 * through the control socket's ops, which reload it after each commit).
 * Which schedule a level has is not here: the read's one level query
 * names it (store_person_zone_schedules).
 */
#ifndef AEOGATE_CALENDAR_H
#define AEOGATE_CALENDAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "schedule.h"

struct store;
struct calendar;

int calendar_new(struct calendar **ret);
void calendar_free(struct calendar *cal); /* accepts NULL */

/*
 * Reads every schedule and holiday from the store, replacing what the
 * calendar held. On failure (negative errno) the calendar keeps its old
 * contents but is stale: calendar_find then refuses (-ESTALE), so a
 * decision fails closed until a load succeeds.
 */
int calendar_load(struct calendar *cal, struct store *s);
bool calendar_stale(const struct calendar *cal);

/*
 * The intervals of the schedule name: 0 with *ret_iv never NULL (also for
 * a schedule without intervals, which then holds at no time), -ENOENT
 * when there is no such schedule, -ESTALE when the calendar is stale. The
 * pointer is valid until the next calendar_load.
 */
int calendar_find(const struct calendar *cal, const char *name,
		  const struct schedule_interval **ret_iv, size_t *ret_n);

/* Whether the local date "YYYY-MM-DD" is a holiday; userdata is the calendar. */
bool calendar_is_holiday(const char *date, void *userdata);

/* Where the site's local clock stands at utc_ms, holidays included (schedule_moment_at). */
int calendar_moment(const struct calendar *cal, int64_t utc_ms, struct schedule_moment *ret);

#endif
