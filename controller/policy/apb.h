/* SPDX-License-Identifier: MIT */
/*
 * Area rules (issue 14, sections 1-2): where everyone is, anti-passback
 * and occupancy. Pure, like the door state machine: the caller loads a
 * zone's rules and the person's location from the store, passes the UTC
 * clock, and writes back what area_move says, in the transaction of the
 * access event that moved the person. The same transitions rebuild the
 * muster list at any past moment from the events (report muster).
 */
#ifndef AEOGATE_APB_H
#define AEOGATE_APB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aeogate/limits.h"
#include "aeogate/reason.h"

/* zone set ZONE --apb off|soft|hard|timed:MINUTES */
enum apb_mode {
	APB_OFF = 0,
	APB_SOFT, /* granted; apb.violation recorded */
	APB_HARD, /* denied antipassback */
	APB_TIMED /* a second entry within apb_minutes of the last is denied */
};

/* The longest timed window, a week: a longer one is a mistake, not a rule. */
#define APB_MINUTES_MAX (7 * 24 * 60)
/* "timed:10080" and its NUL. */
#define APB_TEXT_MAX 16

/* A zone's area rules; zeroed: none (APB off, no occupancy limit). */
struct area_rules {
	enum apb_mode apb;
	int64_t apb_minutes;   /* timed only */
	int64_t max_occupancy; /* -1: no limit */
};

/* Where a person is: zone[0] == '\0' when in no zone. */
struct area_location {
	char zone[AEOGATE_ID_MAX + 1];
	char door[AEOGATE_ID_MAX + 1];
	int64_t since_ms;
};

/* What the area rules read for one badge at a door of zone. */
struct area_facts {
	const char *zone; /* the door's */
	bool out;	  /* the reader's direction is out */
	struct area_rules rules;
	struct area_location loc;
	int64_t last_entry_ms; /* the person's last granted entry into zone; 0: none */
	int64_t occupancy;     /* people in zone now (only read with a limit) */
};

/* Whether this read breaks the zone's anti-passback rule (whatever its mode does about it). */
bool apb_violates(const struct area_facts *f, int64_t now_ms);
/* The anti-passback rule: hard and timed deny a violation, soft and off grant. */
enum reason apb_rule(const struct area_facts *f, int64_t now_ms);
/* The occupancy rule: an entry that would take zone above its limit is denied. */
enum reason occupancy_rule(const struct area_facts *f);

/*
 * A granted read at a door of zone: an in read puts the person in zone
 * (since now, by door), an out read takes them out of it when they are in
 * it. Returns true when loc changed.
 */
bool area_move(struct area_location *loc, const char *zone, const char *door, bool out,
	       int64_t now_ms);
/* apb forgive: the location reset (only when in zone, unless zone is NULL). True when changed. */
bool area_forgive(struct area_location *loc, const char *zone);

/* "off", "soft", "hard", "timed:MINUTES" into buf (APB_TEXT_MAX); the same text parses back. */
const char *apb_to_string(const struct area_rules *r, char *buf, size_t len);
/* -EINVAL for anything else, or timed minutes outside 1..APB_MINUTES_MAX. */
int apb_from_string(const char *s, struct area_rules *ret);
/* "off", "soft", "hard", "timed": the stored mode name; NULL outside the enum. */
const char *apb_mode_name(enum apb_mode m);
int apb_mode_from_name(const char *s, enum apb_mode *ret);

#endif
