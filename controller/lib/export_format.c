/* SPDX-License-Identifier: MIT */
/*
 * The export and report file formats (export.h): the filter, the writers,
 * the CSV reader and the texts the device key signs. aeogated, aeogatectl
 * and aeogate-web write every file with this one code.
 */
#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "chain.h"
#include "export.h"
#include "util.h"

const char *const export_csv_cols[EXPORT_CSV_COLS] = {
    "seq",	  "ts",	    "kind",   "door", "reader", "zone",		"person",
    "credential", "reason", "detail", "prev", "hash",	"export_chain", "person_name"};

int export_format_parse(const char *s, enum export_format *ret)
{
	if (!strcmp(s, "csv"))
		*ret = EXPORT_CSV;
	else if (!strcmp(s, "jsonl"))
		*ret = EXPORT_JSONL;
	else
		return -EINVAL;
	return 0;
}

const char *export_format_name(enum export_format f)
{
	return f == EXPORT_CSV ? "csv" : "jsonl";
}

bool export_kind_valid(const char *k)
{
	size_t n = k ? strlen(k) : 0;
	bool word = false;

	if (n == 0 || n > AEOGATE_ID_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = k[i];

		if (c == '*')
			return i == n - 1 && i >= 2 && k[i - 1] == '.';
		if (c == '.') {
			if (!word)
				return false;
			word = false;
		} else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_') {
			word = true;
		} else {
			return false;
		}
	}
	return word;
}

int export_filter_add_kind(struct export_filter *f, const char *k)
{
	size_t i;

	if (!export_kind_valid(k))
		return -EINVAL;
	for (i = 0; i < f->n_kinds; i++) {
		int c = strcmp(f->kinds[i], k);

		if (c == 0)
			return 0;
		if (c > 0)
			break;
	}
	if (f->n_kinds == AEOGATE_EXPORT_KINDS_MAX)
		return -E2BIG;
	memmove(f->kinds[i + 1], f->kinds[i], (f->n_kinds - i) * sizeof(f->kinds[0]));
	snprintf(f->kinds[i], sizeof(f->kinds[i]), "%s", k);
	f->n_kinds++;
	return 0;
}

static bool kind_match(const char *pattern, const char *kind)
{
	size_t n = strlen(pattern);

	if (n >= 2 && pattern[n - 1] == '*')
		return strncmp(pattern, kind, n - 1) == 0;
	return strcmp(pattern, kind) == 0;
}

bool export_filter_match(const struct export_filter *f, const struct event *e)
{
	bool any = f->n_kinds == 0;

	if (e->ts_ms < f->from_ms || (f->to_ms && e->ts_ms >= f->to_ms))
		return false;
	if (f->person[0] && (!e->person || strcmp(f->person, e->person)))
		return false;
	if (f->zone[0] && (!e->zone || strcmp(f->zone, e->zone)))
		return false;
	if (f->door[0] && (!e->door || strcmp(f->door, e->door)))
		return false;
	for (size_t i = 0; i < f->n_kinds && !any; i++)
		any = e->kind && kind_match(f->kinds[i], e->kind);
	return any;
}

bool export_filter_narrows(const struct export_filter *f)
{
	return f->n_kinds || f->person[0] || f->zone[0] || f->door[0];
}

static json_t *time_or_null(int64_t ms, bool set)
{
	char ts[32];

	if (!set)
		return json_null();
	time_format_ms(ms, ts, sizeof(ts));
	return json_string(ts);
}

json_t *export_filter_to_json(const struct export_filter *f)
{
	json_t *kinds = json_array(), *o;

	for (size_t i = 0; i < f->n_kinds; i++)
		json_array_append_new(kinds, json_string(f->kinds[i]));
	o = json_pack("{s:o,s:o,s:o,s:o,s:o}", "from", time_or_null(f->from_ms, f->from_ms != 0),
		      "to", time_or_null(f->to_ms, f->to_ms != 0), "kinds", kinds, "person",
		      f->person[0] ? json_string(f->person) : json_null(), "zone",
		      f->zone[0] ? json_string(f->zone) : json_null());
	if (o && f->door[0])
		json_object_set_new(o, "door", json_string(f->door));
	return o;
}

static int filter_time(const json_t *j, const char *key, int64_t *ret, char *err, size_t errlen)
{
	const json_t *v = json_object_get(j, key);

	*ret = 0;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v) || time_parse_ms(json_string_value(v), ret) < 0) {
		snprintf(err, errlen, "filter: '%s' is not a UTC time", key);
		return -EINVAL;
	}
	return 0;
}

static int filter_id(const json_t *j, const char *key, char *out, size_t len, char *err,
		     size_t errlen)
{
	const json_t *v = json_object_get(j, key);

	out[0] = '\0';
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v) || !id_is_valid(json_string_value(v))) {
		snprintf(err, errlen, "filter: '%s' is not an identifier", key);
		return -EINVAL;
	}
	snprintf(out, len, "%s", json_string_value(v));
	return 0;
}

int export_filter_from_json(const json_t *j, struct export_filter *ret, char *err, size_t errlen)
{
	struct export_filter f = {0};
	const json_t *kinds, *k;
	size_t i;

	if (!json_is_object(j)) {
		snprintf(err, errlen, "filter: not an object");
		return -EINVAL;
	}
	if (filter_time(j, "from", &f.from_ms, err, errlen) < 0 ||
	    filter_time(j, "to", &f.to_ms, err, errlen) < 0 ||
	    filter_id(j, "person", f.person, sizeof(f.person), err, errlen) < 0 ||
	    filter_id(j, "zone", f.zone, sizeof(f.zone), err, errlen) < 0 ||
	    filter_id(j, "door", f.door, sizeof(f.door), err, errlen) < 0)
		return -EINVAL;
	if (f.from_ms && f.to_ms && f.from_ms >= f.to_ms) {
		snprintf(err, errlen, "filter: 'from' must be before 'to'");
		return -EINVAL;
	}
	kinds = json_object_get(j, "kinds");
	if (kinds && !json_is_null(kinds)) {
		if (!json_is_array(kinds)) {
			snprintf(err, errlen, "filter: 'kinds' is not an array");
			return -EINVAL;
		}
		json_array_foreach(kinds, i, k)
		{
			int r = json_is_string(k) ? export_filter_add_kind(&f, json_string_value(k))
						  : -EINVAL;
			if (r == -E2BIG) {
				snprintf(err, errlen, "filter: more than %d kinds",
					 AEOGATE_EXPORT_KINDS_MAX);
				return -EINVAL;
			}
			if (r < 0) {
				snprintf(err, errlen,
					 "filter: kind %zu is not a kind such as access.denied or "
					 "door.*",
					 i + 1);
				return -EINVAL;
			}
		}
	}
	*ret = f;
	return 0;
}

static const char hex_digits[] = "0123456789abcdef";

void export_chain_next(const char prev[EVENT_HASH_HEX], int64_t seq, const char *hash,
		       char ret[EVENT_HASH_HEX])
{
	unsigned char out[crypto_hash_sha256_BYTES];
	char text[2 * EVENT_HASH_HEX + 32], digits[24];
	size_t n = strnlen(prev, EVENT_HASH_HEX - 1), hn = hash ? strlen(hash) : 0, dn;

	/* "<prev>\n<seq>\n<hash>\n", built without printf: this runs once per exported row. */
	if (n + hn + 24 > sizeof(text)) {
		n = (size_t)snprintf(text, sizeof(text), "%s\n%lld\n%s\n", prev, (long long)seq,
				     hash ? hash : "");
		if (n >= sizeof(text))
			n = sizeof(text) - 1;
	} else {
		size_t u = 0;
		uint64_t v = seq < 0 ? (uint64_t)0 - (uint64_t)seq : (uint64_t)seq;

		dn = 0;
		do {
			digits[dn++] = (char)('0' + v % 10);
			v /= 10;
		} while (v);
		memcpy(text, prev, n);
		u = n;
		text[u++] = '\n';
		if (seq < 0)
			text[u++] = '-';
		while (dn)
			text[u++] = digits[--dn];
		text[u++] = '\n';
		memcpy(text + u, hash, hn);
		u += hn;
		text[u++] = '\n';
		n = u;
	}
	/* OpenSSL's SHA-256 (the CPU's instructions), libsodium's if it cannot: the same digest. */
	if (chain_sha256_two(text, n, "", 0, out) < 0)
		crypto_hash_sha256(out, (const unsigned char *)text, n);
	for (size_t i = 0; i < sizeof(out); i++) {
		ret[2 * i] = hex_digits[out[i] >> 4];
		ret[2 * i + 1] = hex_digits[out[i] & 15];
	}
	ret[2 * sizeof(out)] = '\0';
}

/* ---- writing ---- */

static int csv_cell(FILE *f, const char *v, bool last)
{
	bool quote = false, neutralize;

	if (v) {
		neutralize = strchr("=+-@\t\r'", v[0]) != NULL && v[0];
		quote = strpbrk(v, ",\"\r\n") != NULL;
		if (quote)
			fputc('"', f);
		if (neutralize)
			fputc('\'', f);
		for (const char *p = v; *p; p++) {
			if (*p == '"')
				fputc('"', f);
			fputc(*p, f);
		}
		if (quote)
			fputc('"', f);
	}
	/* RFC 4180: records end in CRLF. */
	return fputs(last ? "\r\n" : ",", f) < 0 ? -EIO : 0;
}

/* One JSONL row: the object compact, in its own order, and a newline. 0, -ENOMEM or -EIO. */
static int json_line(FILE *f, const json_t *o)
{
	char *line = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	int r = 0;

	if (!line)
		return -ENOMEM;
	if (fputs(line, f) < 0 || fputc('\n', f) < 0)
		r = -EIO;
	free(line);
	return r;
}

int export_write_header(FILE *f, enum export_format fmt)
{
	if (fmt != EXPORT_CSV)
		return 0;
	return fputs(EXPORT_CSV_HEADER "\r\n", f) < 0 ? -EIO : 0;
}

int export_write_row(FILE *f, enum export_format fmt, const json_t *row)
{
	if (fmt == EXPORT_JSONL)
		return json_line(f, row);
	for (size_t i = 0; i < EXPORT_CSV_COLS; i++) {
		const json_t *v = json_object_get(row, export_csv_cols[i]);
		char num[32], *text = NULL;
		const char *cell = NULL;
		int r;

		if (json_is_string(v)) {
			cell = json_string_value(v);
		} else if (json_is_integer(v)) {
			snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
			cell = num;
		} else if (v && !json_is_null(v)) {
			/* detail: compact, keys sorted, as the canonical encoding has it. */
			text = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
			if (!text)
				return -ENOMEM;
			cell = text;
		}
		r = csv_cell(f, cell, i == EXPORT_CSV_COLS - 1);
		free(text);
		if (r < 0)
			return r;
	}
	return 0;
}

/* ---- rows straight from the event (streamed exports) ---- */

void export_buf_free(struct export_buf *b)
{
	free(b->p);
	*b = (struct export_buf){0};
}

/* Room for n more bytes; the buffer never shrinks. */
static int buf_reserve(struct export_buf *b, size_t n)
{
	size_t cap;
	char *p;

	if (b->cap - b->len >= n)
		return 0;
	if (b->len + n > AEOGATE_EXPORT_FRAME_MAX)
		return -E2BIG;
	cap = b->cap ? b->cap : 64 * 1024;
	while (cap < b->len + n)
		cap *= 2;
	p = realloc(b->p, cap);
	if (!p)
		return -ENOMEM;
	b->p = p;
	b->cap = cap;
	return 0;
}

/* Appends without a check: the caller reserved room. */
static inline void buf_put(struct export_buf *b, const char *s, size_t n)
{
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

int export_header_format(struct export_buf *b, enum export_format fmt)
{
	static const char header[] = EXPORT_CSV_HEADER "\r\n";
	int r;

	if (fmt != EXPORT_CSV)
		return 0;
	if ((r = buf_reserve(b, sizeof(header) - 1)) < 0)
		return r;
	buf_put(b, header, sizeof(header) - 1);
	return 0;
}

/* The reference: the event's JSON object through the writer of paged exports. */
static int row_reference(struct export_buf *b, enum export_format fmt, const struct event *e,
			 const char chain[EVENT_HASH_HEX], const char *person_name)
{
	json_t *row = event_to_json(e);
	char *text = NULL;
	size_t n = 0;
	FILE *f;
	int r;

	if (!row)
		return -ENOMEM;
	json_object_set_new(row, "export_chain", json_string(chain));
	if (person_name)
		json_object_set_new(row, "person_name", json_string(person_name));
	f = open_memstream(&text, &n);
	if (!f) {
		json_decref(row);
		return -ENOMEM;
	}
	r = export_write_row(f, fmt, row);
	json_decref(row);
	if (fclose(f) != 0 && r == 0)
		r = -ENOMEM;
	if (r == 0 && (r = buf_reserve(b, n)) == 0)
		buf_put(b, text, n);
	free(text);
	return r;
}

/* The decimal digits of v into out (at least 21 bytes); their count. */
static size_t fmt_int(char *out, int64_t v)
{
	char tmp[24];
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	size_t n = 0, len = 0;

	do {
		tmp[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		out[len++] = '-';
	while (n)
		out[len++] = tmp[--n];
	return len;
}

/*
 * ts as time_format_ms writes it; the date is formatted once per day (rows
 * come in time order), the time of day and milliseconds per row by hand.
 */
static size_t fmt_ts(struct export_buf *b, int64_t ms, char out[32])
{
	int64_t secs = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
	int64_t day = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
	int frac = (int)(ms - secs * 1000), tod = (int)(secs - day * 86400);

	if (!b->ts_valid || b->ts_day != day) {
		char full[32];

		time_format_ms(day * 86400 * 1000, full, sizeof(full));
		/* "invalid" (a time gmtime cannot take) is not cached: the reference says it too.
		 */
		if (strlen(full) != 24) {
			time_format_ms(ms, out, 32);
			return strlen(out);
		}
		memcpy(b->ts_date, full, 11); /* YYYY-MM-DDT */
		b->ts_day = day;
		b->ts_valid = true;
	}
	memcpy(out, b->ts_date, 11);
	out[11] = (char)('0' + tod / 36000);
	out[12] = (char)('0' + tod / 3600 % 10);
	out[13] = ':';
	out[14] = (char)('0' + tod % 3600 / 600);
	out[15] = (char)('0' + tod % 600 / 60);
	out[16] = ':';
	out[17] = (char)('0' + tod % 60 / 10);
	out[18] = (char)('0' + tod % 10);
	out[19] = '.';
	out[20] = (char)('0' + frac / 100);
	out[21] = (char)('0' + frac / 10 % 10);
	out[22] = (char)('0' + frac % 10);
	out[23] = 'Z';
	return 24;
}

/* What a byte asks of the writers: one table lookup per byte of every cell. */
enum {
	B_QUOTE = 1,  /* , " CR LF: a CSV cell that holds one is quoted */
	B_DQUOTE = 2, /* ": doubled in CSV, escaped in JSON */
	B_BSLASH = 4, /* \: escaped in JSON */
	B_CTL = 8,    /* below 0x20: JSON needs jansson's escapes */
	B_HIGH = 16,  /* not ASCII: the text must be checked as UTF-8 */
	B_NUL = 32,   /* the end */
};

static const unsigned char byte_class[256] = {
    [0] = B_NUL,
    [1 ... 9] = B_CTL,
    ['\n'] = B_CTL | B_QUOTE,
    [11 ... 12] = B_CTL,
    ['\r'] = B_CTL | B_QUOTE,
    [14 ... 0x1f] = B_CTL,
    [','] = B_QUOTE,
    ['"'] = B_QUOTE | B_DQUOTE,
    ['\\'] = B_BSLASH,
    [0x80 ... 0xff] = B_HIGH,
};

/* One pass over a text: its length, the classes it holds, its quotes and backslashes. */
struct text_scan {
	size_t n, dquotes, bslashes;
	unsigned classes;
};

static inline void text_scan(const char *v, struct text_scan *t)
{
	const unsigned char *u = (const unsigned char *)v;
	size_t i = 0, dq = 0, bs = 0;
	unsigned cls = 0;

	for (;; i++) {
		unsigned k = byte_class[u[i]];

		if (__builtin_expect(!k, 1))
			continue;
		if (k & B_NUL)
			break;
		cls |= k;
		dq += (k & B_DQUOTE) != 0;
		bs += (k & B_BSLASH) != 0;
	}
	*t = (struct text_scan){.n = i, .dquotes = dq, .bslashes = bs, .classes = cls};
}

/* A spreadsheet takes a cell starting with one of these for a formula (csv_cell). */
static inline bool csv_formula_start(char c)
{
	switch (c) {
	case '=':
	case '+':
	case '-':
	case '@':
	case '\t':
	case '\r':
	case '\'':
		return true;
	default:
		return false;
	}
}

/*
 * A CSV cell as csv_cell writes it, or -EAGAIN for text the reference
 * would not keep (not UTF-8: jansson refuses the string, the cell drops).
 */
static int csv_fast(struct export_buf *b, const char *v, bool last)
{
	struct text_scan t = {0};
	bool quote;
	int r;

	if (v) {
		text_scan(v, &t);
		if ((t.classes & B_HIGH) && !event_text_is_utf8(v, t.n))
			return -EAGAIN;
	}
	if ((r = buf_reserve(b, t.n + t.dquotes + 5)) < 0)
		return r;
	if (v) {
		quote = t.classes & B_QUOTE;
		if (quote)
			buf_put(b, "\"", 1);
		if (csv_formula_start(v[0]))
			buf_put(b, "'", 1);
		/* Runs between quotes are copied whole; each quote is doubled. */
		for (const char *p = v, *end = v + t.n; p < end;) {
			const char *q = t.dquotes ? memchr(p, '"', (size_t)(end - p)) : NULL;

			if (!q) {
				buf_put(b, p, (size_t)(end - p));
				break;
			}
			buf_put(b, p, (size_t)(q - p) + 1);
			b->p[b->len++] = '"';
			p = q + 1;
		}
		if (quote)
			buf_put(b, "\"", 1);
	}
	/* RFC 4180: records end in CRLF. */
	if (last)
		buf_put(b, "\r\n", 2);
	else
		buf_put(b, ",", 1);
	return 0;
}

/* A JSON string as jansson dumps it, or -EAGAIN for what needs more than \" and \\. */
static int json_fast(struct export_buf *b, const char *name, size_t name_n, const char *v)
{
	struct text_scan t;
	size_t esc;
	int r;

	if (!v) {
		if ((r = buf_reserve(b, name_n + 4)) < 0)
			return r;
		buf_put(b, name, name_n);
		buf_put(b, "null", 4);
		return 0;
	}
	text_scan(v, &t);
	/* Control characters: jansson's \n, \uXXXX forms, which the reference writes. */
	if ((t.classes & B_CTL) || ((t.classes & B_HIGH) && !event_text_is_utf8(v, t.n)))
		return -EAGAIN;
	esc = t.dquotes + t.bslashes;
	if ((r = buf_reserve(b, name_n + t.n + esc + 2)) < 0)
		return r;
	buf_put(b, name, name_n);
	b->p[b->len++] = '"';
	if (!esc) {
		buf_put(b, v, t.n);
	} else {
		for (size_t i = 0; i < t.n; i++) {
			if (v[i] == '"' || v[i] == '\\')
				b->p[b->len++] = '\\';
			b->p[b->len++] = v[i];
		}
	}
	b->p[b->len++] = '"';
	return 0;
}

/*
 * Whether a detail is canonical (event_detail_is_canonical), remembering
 * the last one that was: most rows carry one of a few details
 * ({"direction":"in"}), and a comparison costs less than the scan.
 */
static bool detail_canonical(struct export_buf *b, const char *d)
{
	size_t n = strlen(d);

	if (n == b->canon_n && n && memcmp(d, b->canon, n) == 0)
		return true;
	if (!event_detail_is_canonical(d))
		return false;
	if (n < sizeof(b->canon)) {
		memcpy(b->canon, d, n);
		b->canon_n = n;
	}
	return true;
}

static int row_fast(struct export_buf *b, enum export_format fmt, const struct event *e,
		    const char chain[EVENT_HASH_HEX], const char *person_name)
{
	char seq[24], ts[32];
	size_t seq_n = fmt_int(seq, e->seq), ts_n;
	int r;

	seq[seq_n] = '\0';
	ts_n = fmt_ts(b, e->ts_ms, ts);
	ts[ts_n] = '\0';
	if (e->detail && !detail_canonical(b, e->detail))
		return -EAGAIN;
	if (fmt == EXPORT_CSV) {
		const char *cells[EXPORT_CSV_COLS] = {
		    seq,	   ts,	      e->kind,	 e->door, e->reader, e->zone, e->person,
		    e->credential, e->reason, e->detail, e->prev, e->hash,   chain,   person_name};

		/* The detail is canonical: copied as the reference would dump it. */
		for (size_t i = 0; i < EXPORT_CSV_COLS; i++)
			if ((r = csv_fast(b, cells[i], i == EXPORT_CSV_COLS - 1)) < 0)
				return r;
		return 0;
	}
	/* The JSONL line: event_to_json's order, then export_chain. */
#define KEY(k) (",\"" k "\":"), sizeof(",\"" k "\":") - 1
	if ((r = buf_reserve(b, 16 + seq_n)) < 0)
		return r;
	buf_put(b, "{\"seq\":", 7);
	buf_put(b, seq, seq_n);
	if ((r = json_fast(b, KEY("ts"), ts)) < 0 || (r = json_fast(b, KEY("kind"), e->kind)) < 0 ||
	    (r = json_fast(b, KEY("door"), e->door)) < 0 ||
	    (r = json_fast(b, KEY("reader"), e->reader)) < 0 ||
	    (r = json_fast(b, KEY("zone"), e->zone)) < 0 ||
	    (r = json_fast(b, KEY("person"), e->person)) < 0 ||
	    (r = json_fast(b, KEY("credential"), e->credential)) < 0 ||
	    (r = json_fast(b, KEY("reason"), e->reason)) < 0)
		return r;
	if (e->detail) {
		size_t n = strlen(e->detail);

		if ((r = buf_reserve(b, n + 16)) < 0)
			return r;
		buf_put(b, KEY("detail"));
		buf_put(b, e->detail, n);
	}
	if ((r = json_fast(b, KEY("prev"), e->prev)) < 0 ||
	    (r = json_fast(b, KEY("hash"), e->hash)) < 0 ||
	    (r = json_fast(b, KEY("export_chain"), chain)) < 0)
		return r;
	/* A JSON row names the person only when there is a name (CSV: an empty cell). */
	if (person_name && (r = json_fast(b, KEY("person_name"), person_name)) < 0)
		return r;
	if ((r = buf_reserve(b, 2)) < 0)
		return r;
#undef KEY
	buf_put(b, "}\n", 2);
	return 0;
}

int export_row_format(struct export_buf *b, enum export_format fmt, const struct event *e,
		      const char chain[EVENT_HASH_HEX], const char *person_name)
{
	size_t start = b->len;
	int r = row_fast(b, fmt, e, chain, person_name);

	if (r != -EAGAIN)
		return r;
	/* What the direct writer declines, the reference writes: the same bytes, slower. */
	b->len = start;
	b->slow_rows++;
	return row_reference(b, fmt, e, chain, person_name);
}

/* ---- reading ---- */

int csv_read_record(FILE *f, char *buf, size_t buflen, char **fields, size_t max)
{
	size_t len = 0, n = 0;
	bool quoted = false, in_quotes = false, started = false, after_quote = false;
	int c;

	fields[n++] = buf;
	for (;;) {
		c = getc(f);
		if (c == EOF) {
			if (in_quotes)
				return -EBADMSG;
			if (!started)
				return 0;
			break;
		}
		started = true;
		if (in_quotes) {
			if (c == '"') {
				int d = getc(f);

				if (d == '"') {
					c = '"';
				} else {
					if (d != EOF)
						ungetc(d, f);
					in_quotes = false;
					after_quote = true;
					continue;
				}
			}
		} else if (c == ',') {
			if (len + 1 > buflen)
				return -EMSGSIZE;
			buf[len++] = '\0';
			if (n == max)
				return -EMSGSIZE;
			fields[n++] = buf + len;
			quoted = after_quote = false;
			continue;
		} else if (c == '\r' || c == '\n') {
			if (c == '\r') {
				int d = getc(f);

				if (d != '\n')
					return -EBADMSG; /* a lone CR outside quotes is not a record
							    end */
			}
			break;
		} else if (c == '"') {
			/* A quote opens a cell only at its start. */
			if (quoted || after_quote || fields[n - 1] != buf + len)
				return -EBADMSG;
			quoted = in_quotes = true;
			continue;
		} else if (after_quote) {
			return -EBADMSG;
		}
		if (len + 1 >= buflen)
			return -EMSGSIZE;
		buf[len++] = (char)c;
	}
	if (len + 1 > buflen)
		return -EMSGSIZE;
	buf[len] = '\0';
	return (int)n;
}

/* "<type>\n" + the statement's canonical JSON: what the device key signs. */
static char *statement_text(const char *type, const json_t *statement)
{
	char *canon = json_dumps(statement, JSON_COMPACT | JSON_SORT_KEYS);
	char *out;

	if (!canon)
		return NULL;
	if (asprintf(&out, "%s\n%s", type, canon) < 0)
		out = NULL;
	free(canon);
	return out;
}

char *export_statement_text(const json_t *statement)
{
	return statement_text(EXPORT_STATEMENT_TYPE, statement);
}

/* ---- table reports ---- */

const char *report_cell_text(const json_t *v, char *buf, size_t len)
{
	if (json_is_string(v))
		return json_string_value(v)[0] ? json_string_value(v) : NULL;
	if (json_is_integer(v)) {
		snprintf(buf, len, "%lld", (long long)json_integer_value(v));
		return buf;
	}
	if (json_is_boolean(v))
		return json_is_true(v) ? "true" : "false";
	return NULL;
}

json_t *report_row_cells(const json_t *row, const json_t *columns)
{
	json_t *cells = json_array();
	const json_t *col;
	size_t i;

	if (!cells)
		return NULL;
	json_array_foreach(columns, i, col)
	{
		char num[32];
		const char *t = report_cell_text(json_object_get(row, json_string_value(col)), num,
						 sizeof(num));

		if (json_array_append_new(cells, t ? json_string(t) : json_null()) < 0) {
			json_decref(cells);
			return NULL;
		}
	}
	return cells;
}

int report_chain_next(const char prev[EVENT_HASH_HEX], const json_t *cells,
		      char ret[EVENT_HASH_HEX])
{
	unsigned char out[crypto_hash_sha256_BYTES];
	crypto_hash_sha256_state st;
	char *text = json_dumps(cells, JSON_COMPACT);

	if (!text)
		return -ENOMEM;
	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const unsigned char *)prev, EVENT_HASH_HEX - 1);
	crypto_hash_sha256_update(&st, (const unsigned char *)"\n", 1);
	crypto_hash_sha256_update(&st, (const unsigned char *)text, strlen(text));
	crypto_hash_sha256_update(&st, (const unsigned char *)"\n", 1);
	crypto_hash_sha256_final(&st, out);
	free(text);
	sodium_bin2hex(ret, EVENT_HASH_HEX, out, sizeof(out));
	return 0;
}

char *report_statement_text(const json_t *statement)
{
	return statement_text(REPORT_STATEMENT_TYPE, statement);
}

int report_write_header(FILE *f, enum export_format fmt, const json_t *columns)
{
	size_t n = json_array_size(columns);

	if (fmt != EXPORT_CSV)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (csv_cell(f, json_string_value(json_array_get(columns, i)), i == n - 1) < 0)
			return -EIO;
	return 0;
}

int report_write_row(FILE *f, enum export_format fmt, const json_t *columns, const json_t *row)
{
	size_t n = json_array_size(columns);

	if (fmt == EXPORT_JSONL) {
		/* The columns in their order, whatever order the row came in. */
		json_t *o = json_object();
		int r;

		for (size_t i = 0; o && i < n; i++) {
			const char *k = json_string_value(json_array_get(columns, i));
			const json_t *v = json_object_get(row, k);

			json_object_set_new(o, k, v ? json_incref((json_t *)v) : json_null());
		}
		r = o ? json_line(f, o) : -ENOMEM;
		json_decref(o);
		return r;
	}
	for (size_t i = 0; i < n; i++) {
		char num[32];
		const char *k = json_string_value(json_array_get(columns, i));

		if (csv_cell(f, report_cell_text(json_object_get(row, k), num, sizeof(num)),
			     i == n - 1) < 0)
			return -EIO;
	}
	return 0;
}
