/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timex.h>
#include <time.h>

#include "aeogate/limits.h"
#include "util.h"

int64_t now_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int clock_synced(void)
{
	struct timex tx = {0}; /* modes 0: read only */
	int st = adjtimex(&tx);

	if (st < 0)
		return -errno;
	return st != TIME_ERROR && !(tx.status & STA_UNSYNC);
}

int64_t now_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void time_format_ms(int64_t ms, char *buf, size_t len)
{
	time_t secs = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
	int frac = (int)(ms - (int64_t)secs * 1000);
	struct tm tm;

	if (!gmtime_r(&secs, &tm)) {
		snprintf(buf, len, "invalid");
		return;
	}
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
}

static int parse_digits(const char **p, int n, int *ret)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return -EINVAL;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*ret = v;
	return 0;
}

static int days_in_month(int year, int month)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

	return month == 2 && leap ? 29 : days[month - 1];
}

json_t *time_to_json(int64_t ms)
{
	char buf[32];

	if (!ms)
		return json_null();
	time_format_ms(ms, buf, sizeof(buf));
	return json_string(buf);
}

int time_parse_ms(const char *s, int64_t *ret_ms)
{
	const char *p = s;
	int year, mon, day, hour = 0, min = 0, sec = 0, ms = 0;
	struct tm tm = {0};
	time_t t;

	if (!s)
		return -EINVAL;
	if (parse_digits(&p, 4, &year) < 0 || *p++ != '-' || parse_digits(&p, 2, &mon) < 0 ||
	    *p++ != '-' || parse_digits(&p, 2, &day) < 0)
		return -EINVAL;
	if (*p == 'T') {
		p++;
		if (parse_digits(&p, 2, &hour) < 0 || *p++ != ':' ||
		    parse_digits(&p, 2, &min) < 0 || *p++ != ':' || parse_digits(&p, 2, &sec) < 0)
			return -EINVAL;
		if (*p == '.') {
			p++;
			if (parse_digits(&p, 3, &ms) < 0)
				return -EINVAL;
		}
		if (*p++ != 'Z')
			return -EINVAL;
	}
	if (*p != '\0')
		return -EINVAL;
	if (year < 1970 || year > 9999 || mon < 1 || mon > 12 || day < 1 ||
	    day > days_in_month(year, mon) || hour > 23 || min > 59 || sec > 59)
		return -EINVAL;

	tm.tm_year = year - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = day;
	tm.tm_hour = hour;
	tm.tm_min = min;
	tm.tm_sec = sec;
	t = timegm(&tm);
	if (t == (time_t)-1)
		return -EINVAL;
	*ret_ms = (int64_t)t * 1000 + ms;
	return 0;
}

int scaled_parse(const char *v, const struct scale_unit *units, uint64_t max, uint64_t *ret)
{
	char *end;
	unsigned long long n;

	if (!v || !isdigit((unsigned char)v[0]))
		return -EINVAL;
	errno = 0;
	n = strtoull(v, &end, 10);
	if (errno)
		return -EINVAL;
	for (; units->suffix; units++) {
		if (strcmp(end, units->suffix) != 0)
			continue;
		if (n > max / units->mult)
			return -ERANGE;
		*ret = n * units->mult;
		return 0;
	}
	return -EINVAL;
}

int duration_parse_ms(const char *v, uint64_t max_ms, uint64_t *ret)
{
	static const struct scale_unit units[] = {
	    {"ms", 1}, {"s", 1000}, {"", 1000}, {"m", 60000}, {NULL, 0}};

	return scaled_parse(v, units, max_ms, ret);
}

bool id_is_valid(const char *s)
{
	size_t n;

	if (!s)
		return false;
	n = strlen(s);
	if (n == 0 || n > AEOGATE_ID_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!isalnum(c) && c != '.' && c != '_' && c != '-')
			return false;
	}
	return true;
}

bool text_is_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n;

	if (!s)
		return false;
	n = strlen(s);
	if (n == 0 || n > AEOGATE_TEXT_MAX)
		return false;
	/* Control characters would let a name forge lines in logs and CSV exports. */
	while (*p) {
		int len;
		if (*p < 0x20 || *p == 0x7f)
			return false;
		if (*p < 0x80)
			len = 1;
		else if ((*p & 0xe0) == 0xc0 && *p >= 0xc2)
			len = 2;
		else if ((*p & 0xf0) == 0xe0)
			len = 3;
		else if ((*p & 0xf8) == 0xf0 && *p <= 0xf4)
			len = 4;
		else
			return false;
		for (int i = 1; i < len; i++)
			if ((p[i] & 0xc0) != 0x80)
				return false;
		/*
		 * Overlong forms, UTF-16 surrogates and code points past U+10FFFF
		 * are not UTF-8; jansson would refuse them in an event or a reply.
		 */
		if ((p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xed && p[1] >= 0xa0) ||
		    (p[0] == 0xf0 && p[1] < 0x90) || (p[0] == 0xf4 && p[1] >= 0x90))
			return false;
		p += len;
	}
	return true;
}

size_t util_json_depth(const json_t *v)
{
	size_t max = 0, d, i;
	const char *key;
	json_t *child;

	if (json_is_object(v)) {
		json_object_foreach((json_t *)v, key, child)
		{
			d = util_json_depth(child);
			if (d > max)
				max = d;
		}
		return max + 1;
	}
	if (json_is_array(v)) {
		json_array_foreach(v, i, child)
		{
			d = util_json_depth(child);
			if (d > max)
				max = d;
		}
		return max + 1;
	}
	return 0;
}

void utf8_trim(char *s)
{
	size_t n = strlen(s), i = n, need;
	unsigned char lead;

	while (i > 0 && ((unsigned char)s[i - 1] & 0xc0) == 0x80)
		i--;
	if (i == 0)
		return;
	lead = (unsigned char)s[i - 1];
	if (lead < 0x80)
		need = 1;
	else if ((lead & 0xe0) == 0xc0)
		need = 2;
	else if ((lead & 0xf0) == 0xe0)
		need = 3;
	else if ((lead & 0xf8) == 0xf0)
		need = 4;
	else
		need = 0;
	if (!need || n - (i - 1) < need)
		s[i - 1] = '\0';
}
