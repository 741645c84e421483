/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "schedule.h"

static const char *const day_names[7] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

static int day_index(const char *s, size_t len)
{
	for (int i = 0; i < 7; i++)
		if (len == 3 && strncmp(s, day_names[i], 3) == 0)
			return i;
	return -1;
}

/* One DAYS item: a day, a range of days, all or hol. */
static int parse_day_item(const char *s, size_t len, uint8_t *days, const char **err)
{
	const char *dash = memchr(s, '-', len);
	int a, b;

	if (len == 3 && strncmp(s, "all", 3) == 0) {
		*days |= SCHEDULE_WEEK;
		return 0;
	}
	if (len == 3 && strncmp(s, "hol", 3) == 0) {
		*days |= SCHEDULE_HOL;
		return 0;
	}
	if (!dash) {
		a = day_index(s, len);
		if (a < 0) {
			*err = "unknown day (mon tue wed thu fri sat sun, all, hol)";
			return -EINVAL;
		}
		*days |= (uint8_t)(1u << a);
		return 0;
	}
	a = day_index(s, (size_t)(dash - s));
	b = day_index(dash + 1, len - (size_t)(dash - s) - 1);
	if (a < 0 || b < 0) {
		*err = "unknown day in a range (like mon-fri)";
		return -EINVAL;
	}
	/* A range may wrap the week: fri-mon is fri sat sun mon. */
	for (int d = a;; d = (d + 1) % 7) {
		*days |= (uint8_t)(1u << d);
		if (d == b)
			break;
	}
	return 0;
}

/* "HH:MM" with 00-23 (or 24 when allow_24, then only 24:00) and 00-59. */
static int parse_hhmm(const char *s, bool allow_24, uint16_t *ret)
{
	int h, m;

	if (!isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]) || s[2] != ':' ||
	    !isdigit((unsigned char)s[3]) || !isdigit((unsigned char)s[4]))
		return -EINVAL;
	h = (s[0] - '0') * 10 + (s[1] - '0');
	m = (s[3] - '0') * 10 + (s[4] - '0');
	if (m > 59 || h > 24 || (h == 24 && (!allow_24 || m != 0)))
		return -EINVAL;
	*ret = (uint16_t)(h * 60 + m);
	return 0;
}

int schedule_interval_parse(const char *spec, struct schedule_interval *ret, const char **ret_error)
{
	const char *err = "expected DAYS HH:MM-HH:MM, like mon-fri 07:00-17:00";
	struct schedule_interval iv = {0};
	const char *space, *p;
	int r = -EINVAL;

	if (!spec || strlen(spec) > SCHEDULE_SPEC_MAX)
		goto fail;
	space = strchr(spec, ' ');
	if (!space || space == spec)
		goto fail;
	for (p = spec; p < space;) {
		const char *comma = memchr(p, ',', (size_t)(space - p));
		const char *end = comma ? comma : space;

		if (end == p || parse_day_item(p, (size_t)(end - p), &iv.days, &err) < 0)
			goto fail;
		p = comma ? comma + 1 : space;
		if (comma && p == space)
			goto fail;
	}
	p = space + 1;
	if (strlen(p) != 11 || p[5] != '-') {
		err = "bad time range (HH:MM-HH:MM, 24:00 may end it)";
		goto fail;
	}
	if (parse_hhmm(p, false, &iv.start_min) < 0 || parse_hhmm(p + 6, true, &iv.end_min) < 0) {
		err = "bad time (HH:MM, 00:00-23:59; 24:00 may end an interval)";
		goto fail;
	}
	if (iv.end_min == 0)
		iv.end_min = 1440; /* 00:00 as an end is midnight: the same as 24:00 */
	*ret = iv;
	return 0;
fail:
	if (ret_error)
		*ret_error = err;
	return r;
}

int schedule_interval_format(const struct schedule_interval *iv, char *buf, size_t len)
{
	char days[40] = "";
	size_t n = 0;
	int w;

	if ((iv->days & SCHEDULE_WEEK) == SCHEDULE_WEEK) {
		n += (size_t)snprintf(days, sizeof(days), "all");
	} else {
		/* Runs of consecutive days as ranges: mon-fri, sat. */
		for (int d = 0; d < 7;) {
			int e = d;

			if (!(iv->days & (1u << d))) {
				d++;
				continue;
			}
			while (e + 1 < 7 && (iv->days & (1u << (e + 1))))
				e++;
			n += (size_t)snprintf(days + n, sizeof(days) - n, "%s%s", n ? "," : "",
					      day_names[d]);
			if (e > d)
				n += (size_t)snprintf(days + n, sizeof(days) - n, "%s%s",
						      e > d + 1 ? "-" : ",", day_names[e]);
			d = e + 1;
		}
	}
	if (iv->days & SCHEDULE_HOL)
		snprintf(days + n, sizeof(days) - n, "%shol", n ? "," : "");
	w = snprintf(buf, len, "%s %02u:%02u-%02u:%02u", days, iv->start_min / 60u,
		     iv->start_min % 60u, iv->end_min / 60u, iv->end_min % 60u);
	return w < 0 || (size_t)w >= len ? -ENOSPC : w;
}

bool schedule_contains(const struct schedule_interval *iv, size_t n,
		       const struct schedule_moment *m)
{
	for (size_t i = 0; i < n; i++) {
		const struct schedule_interval *v = &iv[i];

		if (v->start_min < v->end_min) {
			if ((v->days & m->today) && m->minute >= v->start_min &&
			    m->minute < v->end_min)
				return true;
			continue;
		}
		/* Crosses midnight: tonight's part from today, this morning's from yesterday. */
		if ((v->days & m->today) && m->minute >= v->start_min)
			return true;
		if ((v->days & m->yesterday) && m->minute < v->end_min)
			return true;
	}
	return false;
}

static uint8_t day_bit(const struct tm *tm, bool (*is_holiday)(const char *, void *),
		       void *userdata)
{
	char date[16];

	/* strftime bounds what a corrupt tm could print; %F is YYYY-MM-DD. */
	if (strftime(date, sizeof(date), "%F", tm) == 0)
		date[0] = '\0';
	if (is_holiday && is_holiday(date, userdata))
		return SCHEDULE_HOL;
	/* tm_wday: 0 is Sunday; our bit 0 is Monday. */
	return (uint8_t)(1u << ((tm->tm_wday + 6) % 7));
}

int schedule_moment_at(int64_t utc_ms, bool (*is_holiday)(const char *date, void *userdata),
		       void *userdata, struct schedule_moment *ret)
{
	time_t t = (time_t)(utc_ms / 1000);
	struct tm now, prev;

	if (!localtime_r(&t, &now))
		return -EINVAL;
	/* Yesterday's date: noon of today's local date, minus a day, survives DST. */
	prev = now;
	prev.tm_mday -= 1;
	prev.tm_hour = 12;
	prev.tm_min = prev.tm_sec = 0;
	prev.tm_isdst = -1;
	if (mktime(&prev) == (time_t)-1)
		return -EINVAL;
	ret->today = day_bit(&now, is_holiday, userdata);
	ret->yesterday = day_bit(&prev, is_holiday, userdata);
	ret->minute = (uint16_t)(now.tm_hour * 60 + now.tm_min);
	return 0;
}
