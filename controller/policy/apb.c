/* SPDX-License-Identifier: MIT */
/* Area rules: anti-passback, occupancy and the location transitions (apb.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apb.h"
#include "policy.h"

static const char *const modes[] = {
    [APB_OFF] = "off",
    [APB_SOFT] = "soft",
    [APB_HARD] = "hard",
    [APB_TIMED] = "timed",
};

static bool in_zone(const struct area_facts *f)
{
	return f->loc.zone[0] && !strcmp(f->loc.zone, f->zone);
}

bool apb_violates(const struct area_facts *f, int64_t now_ms)
{
	switch (f->rules.apb) {
	case APB_OFF:
		return false;
	case APB_SOFT:
	case APB_HARD:
		/* In while already in, or out while not in: the badge was passed back. */
		return f->out ? !in_zone(f) : in_zone(f);
	case APB_TIMED:
		/* No exit readers needed: only entries count, and only within the window. */
		return !f->out && f->last_entry_ms &&
		       now_ms - f->last_entry_ms < f->rules.apb_minutes * 60000;
	}
	return true; /* a mode we do not know: fail closed */
}

enum reason apb_rule(const struct area_facts *f, int64_t now_ms)
{
	if ((unsigned)f->rules.apb > APB_TIMED)
		return REASON_INTERNAL_ERROR;
	if (f->rules.apb == APB_SOFT || !apb_violates(f, now_ms))
		return REASON_NONE;
	return REASON_ANTIPASSBACK;
}

enum reason occupancy_rule(const struct area_facts *f)
{
	/* Leaving never fills a zone, and one already counted in it adds no one. */
	if (f->out || f->rules.max_occupancy < 0 || in_zone(f))
		return REASON_NONE;
	return f->occupancy >= f->rules.max_occupancy ? REASON_OCCUPANCY_FULL : REASON_NONE;
}

bool area_move(struct area_location *loc, const char *zone, const char *door, bool out,
	       int64_t now_ms)
{
	if (out) {
		/* Out of a zone they are not recorded in: where they are recorded stays. */
		if (!loc->zone[0] || strcmp(loc->zone, zone))
			return false;
		*loc = (struct area_location){0};
		return true;
	}
	snprintf(loc->zone, sizeof(loc->zone), "%s", zone);
	snprintf(loc->door, sizeof(loc->door), "%s", door ? door : "");
	loc->since_ms = now_ms;
	return true;
}

bool area_forgive(struct area_location *loc, const char *zone)
{
	if (!loc->zone[0] || (zone && strcmp(loc->zone, zone)))
		return false;
	*loc = (struct area_location){0};
	return true;
}

const char *apb_mode_name(enum apb_mode m)
{
	return (unsigned)m < sizeof(modes) / sizeof(modes[0]) ? modes[m] : NULL;
}

int apb_mode_from_name(const char *s, enum apb_mode *ret)
{
	for (size_t i = 0; s && i < sizeof(modes) / sizeof(modes[0]); i++)
		if (!strcmp(s, modes[i])) {
			*ret = (enum apb_mode)i;
			return 0;
		}
	return -EINVAL;
}

const char *apb_to_string(const struct area_rules *r, char *buf, size_t len)
{
	const char *name = apb_mode_name(r->apb);

	if (!name)
		name = "off";
	if (r->apb == APB_TIMED)
		snprintf(buf, len, "timed:%" PRId64, r->apb_minutes);
	else
		snprintf(buf, len, "%s", name);
	return buf;
}

int apb_from_string(const char *s, struct area_rules *ret)
{
	static const char timed[] = "timed:";
	char *end;
	long long m;

	if (!s)
		return -EINVAL;
	if (strncmp(s, timed, sizeof(timed) - 1)) {
		enum apb_mode mode;

		if (apb_mode_from_name(s, &mode) < 0 || mode == APB_TIMED)
			return -EINVAL;
		ret->apb = mode;
		ret->apb_minutes = 0;
		return 0;
	}
	s += sizeof(timed) - 1;
	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	m = strtoll(s, &end, 10);
	if (errno || *end || m < 1 || m > APB_MINUTES_MAX)
		return -EINVAL;
	ret->apb = APB_TIMED;
	ret->apb_minutes = m;
	return 0;
}

enum reason rule_antipassback(const struct policy_facts *f)
{
	return f->area ? apb_rule(f->area, f->now_ms) : REASON_NONE;
}

enum reason rule_occupancy(const struct policy_facts *f)
{
	return f->area ? occupancy_rule(f->area) : REASON_NONE;
}
