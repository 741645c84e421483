/* SPDX-License-Identifier: MIT */
/*
 * Retention of the audit trail: the [audit] retention rules (parsed with
 * their floors) and which rule applies to an event kind. Pure functions;
 * audit/prune.c prunes by them (README.md, "Retention").
 *
 * A rule is PATTERN:DURATION. PATTERN is a kind ("reader.noise"), a prefix
 * pattern as exports take them ("access.*") or "*"; DURATION is whole days
 * ("365d") or "forever". The most specific rule matching a kind applies:
 * the kind itself, else the longest prefix pattern, else "*". A kind no
 * rule matches is kept forever.
 */
#ifndef AEOGATE_RETENTION_H
#define AEOGATE_RETENTION_H

#include <stdbool.h>
#include <stddef.h>

#include "aeogate/config.h"

/*
 * Parses "access.*:365d, reader.noise:30d, *:730d" into rules (at most
 * max). -EINVAL with the reason in err for a malformed rule, a pattern
 * given twice, or a duration below a floor: AEOGATE_RETENTION_FLOOR_DAYS
 * for any rule, AEOGATE_RETENTION_ALARM_FLOOR_DAYS for a rule that would
 * apply to an alarm record; -E2BIG beyond max rules.
 */
int retention_parse(const char *text, struct retention_rule *rules, size_t max, size_t *ret_n,
		    char *err, size_t errlen);

/* The rule that applies to kind, or NULL when none does (kept forever). */
const struct retention_rule *retention_rule_for(const struct retention_rule *rules, size_t n,
						const char *kind);

/* Alarm records: the kinds with the alarm floor in the kinds table (aeogate/event.h), alarm.*. */
bool retention_is_alarm_record(const char *kind);

/* The rules as "access.*:365d, *:730d" (for the audit.pruned event); "" when none. */
void retention_format(const struct retention_rule *rules, size_t n, char *buf, size_t len);

#endif
