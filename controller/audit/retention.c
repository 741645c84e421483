/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aeogate/event.h"
#include "aeogate/limits.h"
#include "export.h"
#include "retention.h"

bool retention_is_alarm_record(const char *kind)
{
	return kind && event_kind_retention_floor(kind) >= AEOGATE_RETENTION_ALARM_FLOOR_DAYS;
}

/* How specific pattern is for kind: -1 no match, 0 "*", prefix length, or exact. */
static int specificity(const char *pattern, const char *kind)
{
	size_t n = strlen(pattern);

	if (!strcmp(pattern, "*"))
		return 0;
	if (n >= 2 && pattern[n - 1] == '*')
		return strncmp(pattern, kind, n - 1) == 0 ? (int)n : -1;
	return strcmp(pattern, kind) == 0 ? AEOGATE_ID_MAX + 1 : -1;
}

const struct retention_rule *retention_rule_for(const struct retention_rule *rules, size_t n,
						const char *kind)
{
	const struct retention_rule *best = NULL;
	int best_score = -1;

	if (!kind)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		int sc = specificity(rules[i].pattern, kind);

		if (sc > best_score) {
			best = &rules[i];
			best_score = sc;
		}
	}
	return best;
}

static char *trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

/* "365d" or "forever" (0). */
static int parse_days(const char *v, unsigned *ret)
{
	unsigned long n;
	char *end;

	if (!strcmp(v, "forever")) {
		*ret = 0;
		return 0;
	}
	if (!isdigit((unsigned char)v[0]))
		return -EINVAL;
	errno = 0;
	n = strtoul(v, &end, 10);
	if (errno || strcmp(end, "d") != 0)
		return -EINVAL;
	if (n == 0 || n > AEOGATE_RETENTION_DAYS_MAX)
		return -ERANGE;
	*ret = (unsigned)n;
	return 0;
}

/*
 * A rule shorter than the alarm floor must not be the one an alarm record
 * falls under. Alarm records are the kinds the kinds table (aeogate/event.h)
 * gives that floor, and alarm.<any>: "alarm.~" stands for an alarm kind no
 * rule names (no pattern can hold a '~'), so only "alarm.*" or "*" can
 * govern it.
 */
static const char *alarm_record_governed(const struct retention_rule *rules, size_t n,
					 const struct retention_rule *r)
{
	if (!strncmp(r->pattern, "alarm.", 6))
		return r->pattern;
	for (size_t i = 0; i < event_kinds_n; i++) {
		const char *kind = event_kinds[i].name;
		bool family = !strncmp(kind, "alarm.", 6);

		if (!retention_is_alarm_record(kind))
			continue;
		if (retention_rule_for(rules, n, family ? "alarm.~" : kind) == r)
			return family ? "alarm.*" : kind;
	}
	return NULL;
}

int retention_parse(const char *text, struct retention_rule *rules, size_t max, size_t *ret_n,
		    char *err, size_t errlen)
{
	char *copy = strdup(text), *save = NULL;
	size_t n = 0;
	int r = 0;

	if (!copy)
		return -ENOMEM;
	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *item = trim(tok), *colon = strrchr(item, ':'), *pat;
		struct retention_rule rule = {0};

		if (!colon) {
			snprintf(err, errlen, "'%s' is not KIND_PATTERN:DAYSd (e.g. access.*:365d)",
				 item);
			r = -EINVAL;
			goto out;
		}
		*colon = '\0';
		pat = trim(item);
		if (strcmp(pat, "*") != 0 && !export_kind_valid(pat)) {
			snprintf(err, errlen, "'%s' is not a kind, a pattern such as access.* or *",
				 pat);
			r = -EINVAL;
			goto out;
		}
		if (parse_days(trim(colon + 1), &rule.days) < 0) {
			snprintf(err, errlen,
				 "%s: '%s' is not a number of days such as 365d (1-%d) "
				 "or forever",
				 pat, trim(colon + 1), AEOGATE_RETENTION_DAYS_MAX);
			r = -EINVAL;
			goto out;
		}
		for (size_t i = 0; i < n; i++)
			if (!strcmp(rules[i].pattern, pat)) {
				snprintf(err, errlen, "'%s' is given twice", pat);
				r = -EINVAL;
				goto out;
			}
		if (n == max) {
			snprintf(err, errlen, "more than %zu rules", max);
			r = -E2BIG;
			goto out;
		}
		snprintf(rule.pattern, sizeof(rule.pattern), "%s", pat);
		rules[n++] = rule;
	}
	if (n == 0) {
		snprintf(err, errlen, "no rule (e.g. access.*:365d, *:730d)");
		r = -EINVAL;
		goto out;
	}
	/* The floors, once every rule is known: a narrower rule may take an alarm kind over. */
	for (size_t i = 0; i < n; i++) {
		const struct retention_rule *rl = &rules[i];
		const char *alarm;

		if (rl->days == 0)
			continue;
		if (rl->days < AEOGATE_RETENTION_FLOOR_DAYS) {
			snprintf(err, errlen,
				 "%s:%ud is below the floor: no event is kept less than %d days",
				 rl->pattern, rl->days, AEOGATE_RETENTION_FLOOR_DAYS);
			r = -EINVAL;
			goto out;
		}
		alarm = rl->days < AEOGATE_RETENTION_ALARM_FLOOR_DAYS
			    ? alarm_record_governed(rules, n, rl)
			    : NULL;
		if (alarm) {
			snprintf(err, errlen,
				 "%s:%ud would keep %s %u days: alarm records (door.forced, "
				 "door.held, alarm.*, audit.truncated, audit.head_invalid) "
				 "are kept at least %d days",
				 rl->pattern, rl->days, alarm, rl->days,
				 AEOGATE_RETENTION_ALARM_FLOOR_DAYS);
			r = -EINVAL;
			goto out;
		}
	}
	*ret_n = n;
out:
	free(copy);
	return r;
}

void retention_format(const struct retention_rule *rules, size_t n, char *buf, size_t len)
{
	size_t used = 0;

	if (len)
		buf[0] = '\0';
	for (size_t i = 0; i < n && used < len; i++) {
		int w;

		if (rules[i].days)
			w = snprintf(buf + used, len - used, "%s%s:%ud", i ? ", " : "",
				     rules[i].pattern, rules[i].days);
		else
			w = snprintf(buf + used, len - used, "%s%s:forever", i ? ", " : "",
				     rules[i].pattern);
		if (w < 0)
			break;
		used += (size_t)w;
	}
}
