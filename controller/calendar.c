/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "aeogate/limits.h"
#include "calendar.h"
#include "store.h"

struct calendar_schedule {
	char name[AEOGATE_ID_MAX + 1];
	size_t first, n; /* its intervals: intervals[first .. first + n) */
};

struct calendar {
	/* By name (the store's order, byte-wise), for bsearch. */
	struct calendar_schedule *schedules;
	size_t n_schedules, schedules_cap;
	struct schedule_interval *intervals;
	size_t n_intervals, intervals_cap;
	/* Holidays as YYYYMMDD, ascending (dates sort the same as text and as numbers). */
	int32_t *holidays;
	size_t n_holidays, holidays_cap;
	bool stale;
};

/* What a schedule without intervals points at: never NULL, which would mean "no schedule". */
static const struct schedule_interval no_intervals[1];

int calendar_new(struct calendar **ret)
{
	struct calendar *cal = calloc(1, sizeof(*cal));

	if (!cal)
		return -ENOMEM;
	/* Nothing loaded yet is not knowing: refuse until the first load. */
	cal->stale = true;
	*ret = cal;
	return 0;
}

static void calendar_clear(struct calendar *cal)
{
	free(cal->schedules);
	free(cal->intervals);
	free(cal->holidays);
	cal->schedules = NULL;
	cal->intervals = NULL;
	cal->holidays = NULL;
	cal->n_schedules = cal->schedules_cap = 0;
	cal->n_intervals = cal->intervals_cap = 0;
	cal->n_holidays = cal->holidays_cap = 0;
}

void calendar_free(struct calendar *cal)
{
	if (!cal)
		return;
	calendar_clear(cal);
	free(cal);
}

/* Makes room for one more element of size in *arr (doubling); -ENOMEM. */
static int grow(void **arr, size_t n, size_t *cap, size_t size)
{
	size_t c = *cap ? 2 * *cap : 16;
	void *a;

	if (n < *cap)
		return 0;
	a = realloc(*arr, c * size);
	if (!a)
		return -ENOMEM;
	*arr = a;
	*cap = c;
	return 0;
}

static int schedule_cb(const char *schedule, const struct schedule_interval *iv, void *userdata)
{
	struct calendar *cal = userdata;
	struct calendar_schedule *last =
	    cal->n_schedules ? &cal->schedules[cal->n_schedules - 1] : NULL;

	if (!last || strcmp(last->name, schedule) != 0) {
		if (strlen(schedule) > AEOGATE_ID_MAX)
			return -EIO;
		if (grow((void **)&cal->schedules, cal->n_schedules, &cal->schedules_cap,
			 sizeof(*cal->schedules)) < 0)
			return -ENOMEM;
		last = &cal->schedules[cal->n_schedules++];
		strcpy(last->name, schedule);
		last->first = cal->n_intervals;
		last->n = 0;
	}
	if (!iv)
		return 0;
	if (grow((void **)&cal->intervals, cal->n_intervals, &cal->intervals_cap,
		 sizeof(*cal->intervals)) < 0)
		return -ENOMEM;
	cal->intervals[cal->n_intervals++] = *iv;
	last->n++;
	return 0;
}

/* "YYYY-MM-DD" as YYYYMMDD; -1 when it is not that shape. */
static int32_t date_number(const char *date)
{
	int32_t v = 0;

	for (int i = 0; i < 10; i++) {
		char ch = date[i];

		if (i == 4 || i == 7) {
			if (ch != '-')
				return -1;
			continue;
		}
		if (ch < '0' || ch > '9')
			return -1;
		v = v * 10 + (ch - '0');
	}
	return date[10] == '\0' ? v : -1;
}

static int holiday_cb(const char *date, const char *name, void *userdata)
{
	struct calendar *cal = userdata;
	int32_t d = date_number(date);

	if (d < 0)
		return -EIO; /* the schema's CHECK keeps this out */
	if (grow((void **)&cal->holidays, cal->n_holidays, &cal->holidays_cap,
		 sizeof(*cal->holidays)) < 0)
		return -ENOMEM;
	cal->holidays[cal->n_holidays++] = d;
	return 0;
}

int calendar_load(struct calendar *cal, struct store *s)
{
	struct calendar next = {0};
	int r;

	r = store_schedule_walk(s, NULL, schedule_cb, &next);
	if (r == 0)
		r = store_holiday_list(s, holiday_cb, &next);
	if (r < 0) {
		calendar_clear(&next);
		cal->stale = true;
		return r;
	}
	calendar_clear(cal);
	*cal = next;
	cal->stale = false;
	return 0;
}

bool calendar_stale(const struct calendar *cal)
{
	return cal->stale;
}

static int schedule_compare(const void *key, const void *elem)
{
	return strcmp(key, ((const struct calendar_schedule *)elem)->name);
}

int calendar_find(const struct calendar *cal, const char *name,
		  const struct schedule_interval **ret_iv, size_t *ret_n)
{
	const struct calendar_schedule *sc;

	if (cal->stale)
		return -ESTALE;
	sc = bsearch(name, cal->schedules, cal->n_schedules, sizeof(*cal->schedules),
		     schedule_compare);
	if (!sc)
		return -ENOENT;
	*ret_iv = sc->n ? &cal->intervals[sc->first] : no_intervals;
	*ret_n = sc->n;
	return 0;
}

static int holiday_compare(const void *key, const void *elem)
{
	int32_t a = *(const int32_t *)key, b = *(const int32_t *)elem;

	return (a > b) - (a < b);
}

bool calendar_is_holiday(const char *date, void *userdata)
{
	const struct calendar *cal = userdata;
	int32_t d = date_number(date);

	return d >= 0 && cal->n_holidays &&
	       bsearch(&d, cal->holidays, cal->n_holidays, sizeof(*cal->holidays),
		       holiday_compare) != NULL;
}

int calendar_moment(const struct calendar *cal, int64_t utc_ms, struct schedule_moment *ret)
{
	return schedule_moment_at(utc_ms, calendar_is_holiday, (void *)cal, ret);
}
