/* SPDX-License-Identifier: MIT */
/* Small pure helpers shared by aeogated and aeogatectl: time text, identifiers. */
#ifndef AEOGATE_UTIL_H
#define AEOGATE_UTIL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* UTC milliseconds now (CLOCK_REALTIME) and monotonic milliseconds. */
int64_t now_wall_ms(void);
int64_t now_mono_ms(void);

/*
 * Whether the kernel considers the wall clock synchronized (adjtimex(2):
 * STA_UNSYNC clear and no TIME_ERROR, as systemd-timesyncd, chrony or ntpd
 * leave it): 1 synchronized, 0 not, negative errno when it cannot tell.
 */
int clock_synced(void);

/* "2026-11-28T13:28:11.123Z"; buf at least 25 bytes. */
void time_format_ms(int64_t ms, char *buf, size_t len);

/* A JSON string of the time (time_format_ms), or null for 0 ("no bound"). */
json_t *time_to_json(int64_t ms);

/*
 * Parses "2026-11-28T13:28:11Z", "2026-11-28T13:28:11.123Z" or
 * "2026-11-28" (midnight UTC); -EINVAL otherwise, including impossible
 * dates such as 2026-02-30.
 */
int time_parse_ms(const char *s, int64_t *ret_ms);

/* A suffix and what it multiplies by; the empty suffix is the bare number's unit. */
struct scale_unit {
	const char *suffix;
	uint64_t mult;
};

/*
 * Digits, then one of units' suffixes (the list ends with a NULL suffix);
 * the product bounded by max. -EINVAL when malformed, -ERANGE above max.
 */
int scaled_parse(const char *v, const struct scale_unit *units, uint64_t max, uint64_t *ret);

/* A duration: "5" (seconds), "5s", "500ms", "2m"; as scaled_parse, bounded by max_ms. */
int duration_parse_ms(const char *v, uint64_t max_ms, uint64_t *ret);

/* An identifier: 1-64 characters of A-Z a-z 0-9 . _ - */
bool id_is_valid(const char *s);

/* Display text: 1-256 bytes of valid UTF-8 without control characters. */
bool text_is_valid(const char *s);

/*
 * Cuts s back to whole UTF-8 characters: snprintf into a bounded buffer may
 * have cut the last one in two, and jansson refuses such a string.
 */
void utf8_trim(char *s);

/*
 * Nesting depth of a JSON value: 0 for a scalar, 1 for a flat object or
 * array. Every boundary that takes JSON from outside checks it against
 * AEOGATE_JSON_DEPTH_MAX.
 */
size_t util_json_depth(const json_t *v);

#endif
