/* SPDX-License-Identifier: MIT */
/*
 * Schedules: when an access level (or a door mode) is in force. A schedule
 * is a list of intervals, each "DAYS HH:MM-HH:MM" in the site's local time:
 *
 *   DAYS   a comma list of mon tue wed thu fri sat sun, ranges (mon-fri),
 *          all (every weekday), or hol (holidays)
 *   times  the start minute is inside, the end minute outside; an end at or
 *          before the start crosses midnight (fri 22:00-06:00 runs Friday
 *          22:00 to Saturday 06:00); 24:00 may end an interval
 *
 * On a holiday (a date in the holidays table, local) only hol intervals
 * apply; the part after midnight of an interval that started on a holiday
 * counts as the holiday's. Evaluated on the local wall clock of the instant
 * (localtime_r in the process's TZ, the site's [controller] timezone), so
 * on the spring-forward day a local minute that does not exist is simply
 * never reached, and on the fall-back day the repeated hour is inside an
 * interval both times. Pure apart from localtime_r: no store, no clock.
 */
#ifndef AEOGATE_SCHEDULE_H
#define AEOGATE_SCHEDULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Day bits: SCHEDULE_MON << 0 .. SCHEDULE_SUN << 6, and holidays. */
enum {
	SCHEDULE_MON = 1u << 0,
	SCHEDULE_SUN = 1u << 6,
	SCHEDULE_HOL = 1u << 7,
	SCHEDULE_WEEK = 0x7f,
};

/* The longest interval spec text, "mon,tue,wed,thu,fri,sat,sun,hol 00:00-24:00". */
#define SCHEDULE_SPEC_MAX 64

struct schedule_interval {
	uint8_t days;	    /* day bits */
	uint16_t start_min; /* 0..1439 */
	uint16_t end_min;   /* 1..1440; at or before start_min: crosses midnight */
};

/*
 * Parses one interval spec. -EINVAL with *ret_error (a static phrase:
 * "unknown day 'xyz'", "bad time", ...) when malformed; nothing written then.
 */
int schedule_interval_parse(const char *spec, struct schedule_interval *ret,
			    const char **ret_error);

/* The interval in its normal form ("mon-fri 07:00-17:00"); -ENOSPC when len is short. */
int schedule_interval_format(const struct schedule_interval *iv, char *buf, size_t len);

/*
 * Where the local wall clock stands: today's and yesterday's day bit (a
 * weekday bit, or SCHEDULE_HOL on a holiday) and the minute of the day.
 */
struct schedule_moment {
	uint8_t today, yesterday;
	uint16_t minute;
};

/* Whether any of the n intervals holds at m. */
bool schedule_contains(const struct schedule_interval *iv, size_t n,
		       const struct schedule_moment *m);

/*
 * The moment of utc_ms in the process's local time zone. is_holiday says
 * whether a local date ("YYYY-MM-DD") is a holiday (NULL: none are).
 * Returns -EINVAL when the time cannot be converted.
 */
int schedule_moment_at(int64_t utc_ms, bool (*is_holiday)(const char *date, void *userdata),
		       void *userdata, struct schedule_moment *ret);

#endif
