/* SPDX-License-Identifier: MIT */
/*
 * The canonical encoding of an event, written straight into a buffer in its
 * fixed key order: no JSON object, no sort. It must be byte for byte what
 * the reference definition (event_to_json + json_dumps with sorted keys,
 * chain.c) produces; where that is not obvious (a string needing an escape
 * other than \" and \\, a detail that is not already compact with sorted
 * keys, invalid UTF-8) it declines with -EAGAIN and the caller takes the
 * reference path. fuzz_canonical checks the two agree on every input.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "chain.h"
#include "util.h"

/* Deeper details than this take the reference path (ours are one level). */
#define CANON_DEPTH_MAX 16

struct out {
	char *p;
	size_t len, used;
};

static bool put(struct out *o, const char *s, size_t n)
{
	if (o->len - o->used < n + 1)
		return false;
	memcpy(o->p + o->used, s, n);
	o->used += n;
	return true;
}

/* Length of one UTF-8 sequence at s (as strict as jansson: no overlong forms, no surrogates), or 0.
 */
static size_t utf8_seq(const unsigned char *s, size_t avail)
{
	uint32_t c;
	size_t n;

	if (s[0] < 0x80)
		return 1;
	if (s[0] < 0xc2 || s[0] > 0xf4)
		return 0;
	n = s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3 : 4;
	if (avail < n)
		return 0;
	c = s[0] & (0xff >> (n + 1));
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && c < 0x800) || (n == 4 && (c < 0x10000 || c > 0x10ffff)) ||
	    (c >= 0xd800 && c <= 0xdfff))
		return 0;
	return n;
}

bool event_text_is_utf8(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;

	for (size_t i = 0; i < n;) {
		size_t k;

		if (u[i] < 0x80) {
			i++;
			continue;
		}
		k = utf8_seq(u + i, n - i);
		if (!k)
			return false;
		i += k;
	}
	return true;
}

/* A JSON string of raw text s[0..n): quotes, and \" \\ escaped; -EAGAIN for anything else. */
static int put_string(struct out *o, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;

	if (!put(o, "\"", 1))
		return -ENOSPC;
	for (size_t i = 0; i < n;) {
		size_t k;

		if (u[i] < 0x20)
			return -EAGAIN; /* control characters: the reference's \uXXXX forms */
		if (u[i] == '"' || u[i] == '\\') {
			char esc[2] = {'\\', (char)u[i]};

			if (!put(o, esc, 2))
				return -ENOSPC;
			i++;
			continue;
		}
		k = utf8_seq(u + i, n - i);
		if (!k)
			return -EAGAIN;
		if (!put(o, s + i, k))
			return -ENOSPC;
		i += k;
	}
	return put(o, "\"", 1) ? 0 : -ENOSPC;
}

/* A field: "name": string or null. */
static int put_field(struct out *o, const char *name, const char *v, bool comma)
{
	int r;

	if ((comma && !put(o, ",", 1)) || !put(o, "\"", 1) || !put(o, name, strlen(name)) ||
	    !put(o, "\":", 2))
		return -ENOSPC;
	if (!v)
		return put(o, "null", 4) ? 0 : -ENOSPC;
	r = put_string(o, v, strlen(v));
	return r;
}

/*
 * Whether a detail text is already in the form the reference would dump it:
 * compact, object keys strictly increasing (strcmp order), strings valid
 * UTF-8 with no escapes but \" and \\ (none in keys), integers without
 * leading zeros or -0 and of at most 18 digits, no reals. The scan returns
 * the end of the value at p, or NULL when the text does not qualify.
 */
static const char *scan_value(const char *p, const char *end, int depth);

static const char *scan_string(const char *p, const char *end, bool key)
{
	const unsigned char *u;

	if (p >= end || *p != '"')
		return NULL;
	for (p++; p < end && *p != '"';) {
		size_t k;

		u = (const unsigned char *)p;
		if (*u < 0x20)
			return NULL;
		if (*u == '\\') {
			if (key || p + 1 >= end || (p[1] != '"' && p[1] != '\\'))
				return NULL;
			p += 2;
			continue;
		}
		k = utf8_seq(u, (size_t)(end - p));
		if (!k)
			return NULL;
		p += k;
	}
	return p < end ? p + 1 : NULL;
}

static const char *scan_number(const char *p, const char *end)
{
	const char *start;
	bool negative = p < end && *p == '-';

	if (negative)
		p++;
	start = p;
	if (p >= end || *p < '0' || *p > '9')
		return NULL;
	if (*p == '0') {
		p++;
		/* "0" only: no leading zeros, no "-0" (the reference dumps 0). */
		if (negative)
			return NULL;
	} else {
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	}
	if (p - start > 18)
		return NULL; /* near int64's range: let the reference decide */
	if (p < end && (*p == '.' || *p == 'e' || *p == 'E'))
		return NULL;
	return p;
}

static int keycmp(const char *a, size_t an, const char *b, size_t bn)
{
	int c = memcmp(a, b, an < bn ? an : bn);

	return c ? c : (an > bn) - (an < bn);
}

static const char *scan_value(const char *p, const char *end, int depth)
{
	if (p >= end || depth > CANON_DEPTH_MAX)
		return NULL;
	switch (*p) {
	case '"':
		return scan_string(p, end, false);
	case 't':
		return end - p >= 4 && !memcmp(p, "true", 4) ? p + 4 : NULL;
	case 'f':
		return end - p >= 5 && !memcmp(p, "false", 5) ? p + 5 : NULL;
	case 'n':
		return end - p >= 4 && !memcmp(p, "null", 4) ? p + 4 : NULL;
	case '[':
		if (++p < end && *p == ']')
			return p + 1;
		for (;;) {
			p = scan_value(p, end, depth + 1);
			if (!p || p >= end)
				return NULL;
			if (*p == ']')
				return p + 1;
			if (*p++ != ',')
				return NULL;
		}
	case '{': {
		const char *prev = NULL;
		size_t prev_n = 0;

		if (++p < end && *p == '}')
			return p + 1;
		for (;;) {
			const char *k = p, *ke = scan_string(p, end, true);

			if (!ke || ke >= end || *ke != ':')
				return NULL;
			/* Strictly increasing keys: sorted, and no duplicates. */
			if (prev && keycmp(prev, prev_n, k + 1, (size_t)(ke - k - 2)) >= 0)
				return NULL;
			prev = k + 1;
			prev_n = (size_t)(ke - k - 2);
			p = scan_value(ke + 1, end, depth + 1);
			if (!p || p >= end)
				return NULL;
			if (*p == '}')
				return p + 1;
			if (*p++ != ',')
				return NULL;
		}
	}
	default:
		return scan_number(p, end);
	}
}

bool event_detail_is_canonical(const char *d)
{
	const char *end = d + strlen(d);

	/* The reference keeps a detail that is not an object as a string: not ours to copy. */
	return *d == '{' && scan_value(d, end, 0) == end;
}

int event_canonical_fast(const struct event *e, char *buf, size_t len)
{
	struct out o = {.p = buf, .len = len};
	char ts[32], seq[40]; /* ,"seq": and up to 20 digits */
	int r;

	/* Keys in byte order: credential detail door kind person reader reason seq ts zone. */
	if (!put(&o, "{", 1))
		return -ENOSPC;
	if ((r = put_field(&o, "credential", e->credential, false)) < 0)
		return r;
	if (e->detail) {
		if (!event_detail_is_canonical(e->detail))
			return -EAGAIN;
		if (!put(&o, ",\"detail\":", 10) || !put(&o, e->detail, strlen(e->detail)))
			return -ENOSPC;
	}
	if ((r = put_field(&o, "door", e->door, true)) < 0 ||
	    (r = put_field(&o, "kind", e->kind, true)) < 0 ||
	    (r = put_field(&o, "person", e->person, true)) < 0 ||
	    (r = put_field(&o, "reader", e->reader, true)) < 0 ||
	    (r = put_field(&o, "reason", e->reason, true)) < 0)
		return r;
	snprintf(seq, sizeof(seq), ",\"seq\":%" PRId64, e->seq);
	time_format_ms(e->ts_ms, ts, sizeof(ts));
	if (!put(&o, seq, strlen(seq)) || (r = put_field(&o, "ts", ts, true)) < 0 ||
	    (r = put_field(&o, "zone", e->zone, true)) < 0 || !put(&o, "}", 1))
		return r < 0 ? r : -ENOSPC;
	buf[o.used] = '\0';
	return (int)o.used;
}
