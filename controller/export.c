/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "audit.h"
#include "checkpoint.h"
#include "export.h"
#include "util.h"

/* The columns of a row, in file order; export_chain is last. */
static const char *const cols[EXPORT_CSV_COLS] = {
    "seq",	  "ts",	    "kind",   "door", "reader", "zone",	       "person",
    "credential", "reason", "detail", "prev", "hash",	"export_chain"};

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
	for (size_t i = 0; i < f->n_kinds && !any; i++)
		any = e->kind && kind_match(f->kinds[i], e->kind);
	return any;
}

bool export_filter_narrows(const struct export_filter *f)
{
	return f->n_kinds || f->person[0] || f->zone[0];
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
	json_t *kinds = json_array();

	for (size_t i = 0; i < f->n_kinds; i++)
		json_array_append_new(kinds, json_string(f->kinds[i]));
	return json_pack("{s:o,s:o,s:o,s:o,s:o}", "from", time_or_null(f->from_ms, f->from_ms != 0),
			 "to", time_or_null(f->to_ms, f->to_ms != 0), "kinds", kinds, "person",
			 f->person[0] ? json_string(f->person) : json_null(), "zone",
			 f->zone[0] ? json_string(f->zone) : json_null());
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
	    filter_id(j, "zone", f.zone, sizeof(f.zone), err, errlen) < 0)
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

void export_chain_next(const char prev[EVENT_HASH_HEX], int64_t seq, const char *hash,
		       char ret[EVENT_HASH_HEX])
{
	unsigned char out[crypto_hash_sha256_BYTES];
	char text[2 * EVENT_HASH_HEX + 32];
	int n;

	n = snprintf(text, sizeof(text), "%s\n%lld\n%s\n", prev, (long long)seq, hash ? hash : "");
	crypto_hash_sha256(out, (const unsigned char *)text, (size_t)n);
	sodium_bin2hex(ret, EVENT_HASH_HEX, out, sizeof(out));
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

int export_write_header(FILE *f, enum export_format fmt)
{
	if (fmt != EXPORT_CSV)
		return 0;
	return fputs(EXPORT_CSV_HEADER "\r\n", f) < 0 ? -EIO : 0;
}

int export_write_row(FILE *f, enum export_format fmt, const json_t *row)
{
	if (fmt == EXPORT_JSONL) {
		char *line = json_dumps(row, JSON_COMPACT | JSON_PRESERVE_ORDER);
		int r = 0;

		if (!line)
			return -ENOMEM;
		if (fputs(line, f) < 0 || fputc('\n', f) < 0)
			r = -EIO;
		free(line);
		return r;
	}
	for (size_t i = 0; i < EXPORT_CSV_COLS; i++) {
		const json_t *v = json_object_get(row, cols[i]);
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

char *export_statement_text(const json_t *statement)
{
	char *canon = json_dumps(statement, JSON_COMPACT | JSON_SORT_KEYS);
	char *out;

	if (!canon)
		return NULL;
	if (asprintf(&out, "%s\n%s", EXPORT_STATEMENT_TYPE, canon) < 0)
		out = NULL;
	free(canon);
	return out;
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
	char *canon = json_dumps(statement, JSON_COMPACT | JSON_SORT_KEYS);
	char *out;

	if (!canon)
		return NULL;
	if (asprintf(&out, "%s\n%s", REPORT_STATEMENT_TYPE, canon) < 0)
		out = NULL;
	free(canon);
	return out;
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
		char *line;
		int r = 0;

		for (size_t i = 0; o && i < n; i++) {
			const char *k = json_string_value(json_array_get(columns, i));
			const json_t *v = json_object_get(row, k);

			json_object_set_new(o, k, v ? json_incref((json_t *)v) : json_null());
		}
		line = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
		json_decref(o);
		if (!line)
			return -ENOMEM;
		if (fputs(line, f) < 0 || fputc('\n', f) < 0)
			r = -EIO;
		free(line);
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

/* ---- verification ---- */

struct verifier {
	struct export_verify_result *res;
	struct export_filter filter;
	int64_t range_first, range_last;
	char first_prev[EVENT_HASH_HEX], last_hash[EVENT_HASH_HEX];
	bool filtered; /* kinds, person or zone: rows may skip events */
	int64_t prev_seq;
	char prev_hash[EVENT_HASH_HEX];
	char chain[EVENT_HASH_HEX];
};

static int bad(struct export_verify_result *res, int64_t seq, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int bad(struct export_verify_result *res, int64_t seq, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	res->bad_seq = seq;
	if (seq > 0)
		snprintf(res->message, sizeof(res->message), "seq %lld: %s", (long long)seq, msg);
	else
		snprintf(res->message, sizeof(res->message), "%s", msg);
	return -EBADMSG;
}

static bool is_hash(const char *s)
{
	if (!s || strlen(s) != EVENT_HASH_HEX - 1)
		return false;
	for (const char *p = s; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return false;
	return true;
}

/* Checks one row, given as an event and its stated export_chain. */
static int verify_row(struct verifier *v, const struct event *e, const char *ts_text,
		      const char *chain, int64_t rowno)
{
	struct export_verify_result *res = v->res;
	char ts[32], h[EVENT_HASH_HEX], next[EVENT_HASH_HEX];

	if (e->seq <= v->prev_seq)
		return bad(res, e->seq,
			   "out of order (follows seq %lld): rows were reordered or "
			   "duplicated",
			   (long long)v->prev_seq);
	if (e->seq < v->range_first || e->seq > v->range_last)
		return bad(res, e->seq, "outside the signed range %lld-%lld: row inserted",
			   (long long)v->range_first, (long long)v->range_last);
	time_format_ms(e->ts_ms, ts, sizeof(ts));
	if (strcmp(ts, ts_text) != 0)
		return bad(res, e->seq, "ts '%s' is not a UTC time as exported: row altered",
			   ts_text);
	if (!is_hash(e->prev) || !is_hash(e->hash) || !is_hash(chain))
		return bad(res, e->seq, "prev, hash or export_chain is not a SHA-256 hex digest");
	if (audit_hash(e->prev, e, h) < 0)
		return bad(res, e->seq, "cannot recompute its hash");
	if (strcmp(h, e->hash) != 0)
		return bad(res, e->seq, "content does not match its hash: row altered");
	/* Neighbours in the chain must link even in a filtered export. */
	if (e->seq == v->prev_seq + 1 && v->prev_seq && strcmp(e->prev, v->prev_hash) != 0)
		return bad(res, e->seq,
			   "does not follow seq %lld in the chain: row altered, "
			   "inserted or reordered",
			   (long long)v->prev_seq);
	if (e->seq == v->range_first && strcmp(e->prev, v->first_prev) != 0)
		return bad(res, e->seq, "does not start from the signed chain hash");
	if (!v->filtered) {
		/* Unfiltered: every event of the range is here, one after another. */
		int64_t want = v->prev_seq ? v->prev_seq + 1 : v->range_first;

		if (e->seq != want)
			return bad(res, want, "missing here: rows were deleted or reordered");
	}
	if (v->filtered && !export_filter_match(&v->filter, e))
		return bad(res, e->seq, "does not match the signed filter: row inserted");
	export_chain_next(v->chain, e->seq, e->hash, next);
	if (strcmp(next, chain) != 0)
		return bad(res, e->seq,
			   "export_chain does not follow from the rows before: a row before or at "
			   "this one was deleted, inserted, altered or reordered");
	memcpy(v->chain, next, EVENT_HASH_HEX);
	v->prev_seq = e->seq;
	memcpy(v->prev_hash, e->hash, EVENT_HASH_HEX);
	if (!res->first_seq)
		res->first_seq = e->seq;
	res->last_seq = e->seq;
	res->rows = rowno;
	return 0;
}

static const char *cell_or_null(char *cell)
{
	/* The writer put one apostrophe before a risky first character (or an apostrophe). */
	if (cell[0] == '\'')
		cell++;
	return cell[0] ? cell : NULL;
}

static int parse_seq(const char *s, int64_t *ret)
{
	char *end;
	long long v;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end || v <= 0)
		return -EINVAL;
	*ret = v;
	return 0;
}

static int verify_csv(struct verifier *v, FILE *f)
{
	char *buf = malloc(AEOGATE_EXPORT_ROW_MAX);
	char *fields[EXPORT_CSV_COLS + 1];
	int64_t rowno = 0;
	int n, r = 0;

	if (!buf)
		return -ENOMEM;
	n = csv_read_record(f, buf, AEOGATE_EXPORT_ROW_MAX, fields, EXPORT_CSV_COLS);
	if (n != EXPORT_CSV_COLS) {
		r = bad(v->res, 0, "not an aeogate CSV export: the header row is missing or wrong");
		goto out;
	}
	for (int i = 0; i < EXPORT_CSV_COLS; i++)
		if (strcmp(fields[i], cols[i]) != 0) {
			r = bad(v->res, 0, "header column %d is '%s', expected '%s'", i + 1,
				fields[i], cols[i]);
			goto out;
		}
	while ((n = csv_read_record(f, buf, AEOGATE_EXPORT_ROW_MAX, fields, EXPORT_CSV_COLS)) > 0) {
		struct event e = {0};
		const char *ts;

		rowno++;
		if (n != EXPORT_CSV_COLS || parse_seq(fields[0], &e.seq) < 0) {
			r = bad(v->res, v->prev_seq + 1,
				"row %lld (after seq %lld) is malformed: %d cells",
				(long long)rowno, (long long)v->prev_seq, n);
			goto out;
		}
		ts = cell_or_null(fields[1]);
		if (!ts || time_parse_ms(ts, &e.ts_ms) < 0) {
			r = bad(v->res, e.seq, "ts is not a UTC time: row altered");
			goto out;
		}
		e.kind = cell_or_null(fields[2]);
		e.door = cell_or_null(fields[3]);
		e.reader = cell_or_null(fields[4]);
		e.zone = cell_or_null(fields[5]);
		e.person = cell_or_null(fields[6]);
		e.credential = cell_or_null(fields[7]);
		e.reason = cell_or_null(fields[8]);
		e.detail = cell_or_null(fields[9]);
		snprintf(e.prev, sizeof(e.prev), "%s", fields[10]);
		snprintf(e.hash, sizeof(e.hash), "%s", fields[11]);
		if (strlen(fields[10]) >= sizeof(e.prev) || strlen(fields[11]) >= sizeof(e.hash)) {
			r = bad(v->res, e.seq, "prev or hash is too long: row altered");
			goto out;
		}
		r = verify_row(v, &e, ts, fields[12], rowno);
		if (r < 0)
			goto out;
	}
	if (n < 0)
		r = bad(v->res, v->prev_seq + 1, "malformed CSV after seq %lld (%s)",
			(long long)v->prev_seq, n == -EMSGSIZE ? "record too long" : "bad quoting");
out:
	free(buf);
	return r;
}

static const char *jstr(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static int verify_jsonl(struct verifier *v, FILE *f)
{
	char *line = malloc(AEOGATE_EXPORT_ROW_MAX + 2);
	int64_t rowno = 0;
	int r = 0;

	if (!line)
		return -ENOMEM;
	while (fgets(line, AEOGATE_EXPORT_ROW_MAX + 2, f)) {
		size_t len = strlen(line);
		struct event e = {0};
		json_t *o, *detail;
		char *dtext = NULL;
		const char *ts;

		rowno++;
		if (len && line[len - 1] == '\n')
			line[--len] = '\0';
		else if (!feof(f)) {
			r = bad(v->res, v->prev_seq + 1, "line after seq %lld is too long",
				(long long)v->prev_seq);
			break;
		}
		o = json_loads(line, JSON_REJECT_DUPLICATES, NULL);
		if (!json_is_object(o) || !json_is_integer(json_object_get(o, "seq"))) {
			json_decref(o);
			r = bad(v->res, v->prev_seq + 1,
				"row %lld (after seq %lld) is not an event object",
				(long long)rowno, (long long)v->prev_seq);
			break;
		}
		e.seq = json_integer_value(json_object_get(o, "seq"));
		ts = jstr(o, "ts");
		e.kind = jstr(o, "kind");
		e.door = jstr(o, "door");
		e.reader = jstr(o, "reader");
		e.zone = jstr(o, "zone");
		e.person = jstr(o, "person");
		e.credential = jstr(o, "credential");
		e.reason = jstr(o, "reason");
		detail = json_object_get(o, "detail");
		if (json_is_string(detail))
			e.detail = json_string_value(detail);
		else if (detail && !json_is_null(detail))
			e.detail = dtext =
			    json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
		snprintf(e.prev, sizeof(e.prev), "%s", jstr(o, "prev") ? jstr(o, "prev") : "");
		snprintf(e.hash, sizeof(e.hash), "%s", jstr(o, "hash") ? jstr(o, "hash") : "");
		if (!ts || time_parse_ms(ts, &e.ts_ms) < 0)
			r = bad(v->res, e.seq, "ts is not a UTC time: row altered");
		else
			r = verify_row(v, &e, ts,
				       jstr(o, "export_chain") ? jstr(o, "export_chain") : "",
				       rowno);
		free(dtext);
		json_decref(o);
		if (r < 0)
			break;
	}
	free(line);
	return r;
}

static int manifest_int(const json_t *st, const char *k, int64_t *ret)
{
	const json_t *v = json_object_get(st, k);

	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return -EINVAL;
	*ret = json_integer_value(v);
	return 0;
}

static int manifest_hash(const json_t *st, const char *k, char out[EVENT_HASH_HEX])
{
	const char *s = jstr(st, k);

	if (!is_hash(s))
		return -EINVAL;
	memcpy(out, s, EVENT_HASH_HEX);
	return 0;
}

/* Chains one row's cells; the row is counted. */
static int report_row(json_t *cells, int64_t *rows, char chain[EVENT_HASH_HEX])
{
	int r;

	if (!cells)
		return -ENOMEM;
	r = report_chain_next(chain, cells, chain);
	json_decref(cells);
	if (r == 0)
		(*rows)++;
	return r;
}

static int report_read_csv(struct export_verify_result *res, FILE *f, const json_t *columns,
			   int64_t *rows, char chain[EVENT_HASH_HEX])
{
	size_t ncols = json_array_size(columns);
	char *buf = malloc(AEOGATE_EXPORT_ROW_MAX);
	char *fields[AEOGATE_REPORT_COLS_MAX + 1];
	int n, r = 0;

	if (!buf)
		return -ENOMEM;
	n = csv_read_record(f, buf, AEOGATE_EXPORT_ROW_MAX, fields, AEOGATE_REPORT_COLS_MAX);
	if (n != (int)ncols) {
		r = bad(res, 0, "the header row does not name the %zu signed columns", ncols);
		goto out;
	}
	for (size_t i = 0; i < ncols; i++)
		if (strcmp(fields[i], json_string_value(json_array_get(columns, i))) != 0) {
			r = bad(res, 0, "header column %zu is '%s', the signed report says '%s'",
				i + 1, fields[i], json_string_value(json_array_get(columns, i)));
			goto out;
		}
	while ((n = csv_read_record(f, buf, AEOGATE_EXPORT_ROW_MAX, fields,
				    AEOGATE_REPORT_COLS_MAX)) > 0) {
		json_t *cells = json_array();

		if (n != (int)ncols) {
			json_decref(cells);
			r = bad(res, 0, "row %lld has %d cells, not %zu: row altered",
				(long long)*rows + 1, n, ncols);
			goto out;
		}
		for (int i = 0; cells && i < n; i++) {
			const char *t = cell_or_null(fields[i]);

			json_array_append_new(cells, t ? json_string(t) : json_null());
		}
		if ((r = report_row(cells, rows, chain)) < 0)
			goto out;
	}
	if (n < 0)
		r = bad(res, 0, "malformed CSV after row %lld (%s)", (long long)*rows,
			n == -EMSGSIZE ? "record too long" : "bad quoting");
out:
	free(buf);
	return r;
}

static int report_read_jsonl(struct export_verify_result *res, FILE *f, const json_t *columns,
			     int64_t *rows, char chain[EVENT_HASH_HEX])
{
	char *line = malloc(AEOGATE_EXPORT_ROW_MAX + 2);
	int r = 0;

	if (!line)
		return -ENOMEM;
	while (fgets(line, AEOGATE_EXPORT_ROW_MAX + 2, f)) {
		size_t len = strlen(line);
		json_t *o;

		if (len && line[len - 1] == '\n')
			line[--len] = '\0';
		else if (!feof(f)) {
			r = bad(res, 0, "line %lld is too long", (long long)*rows + 1);
			break;
		}
		o = json_loads(line, JSON_REJECT_DUPLICATES, NULL);
		if (!json_is_object(o) || json_object_size(o) != json_array_size(columns)) {
			json_decref(o);
			r = bad(res, 0, "line %lld is not a row of the signed columns: row altered",
				(long long)*rows + 1);
			break;
		}
		r = report_row(report_row_cells(o, columns), rows, chain);
		json_decref(o);
		if (r < 0)
			break;
	}
	free(line);
	return r;
}

/* A table report: the statement's columns, rows and report_chain against the file. */
static int verify_report(struct export_verify_result *res, const char *path, const char *fmt,
			 const json_t *st, const unsigned char *mpk, bool pinned)
{
	const json_t *columns = json_object_get(st, "columns"), *cpj, *col;
	char want[EVENT_HASH_HEX], chain[EVENT_HASH_HEX] = AUDIT_GENESIS;
	struct checkpoint cp = {0};
	int64_t want_rows = 0, rows = 0;
	size_t i;
	FILE *f;
	int r;

	if (!json_is_array(columns) || json_array_size(columns) == 0 ||
	    json_array_size(columns) > AEOGATE_REPORT_COLS_MAX ||
	    manifest_int(st, "rows", &want_rows) < 0 ||
	    manifest_hash(st, "report_chain", want) < 0 || !jstr(st, "report"))
		return bad(res, 0, "manifest: report statement is incomplete or malformed");
	json_array_foreach(columns, i, col) if (!json_is_string(col)) return bad(
	    res, 0, "manifest: report columns are not names");
	cpj = json_object_get(st, "checkpoint");
	if (manifest_int(cpj, "seq", &cp.seq) < 0 || manifest_hash(cpj, "hash", cp.hash) < 0 ||
	    !jstr(cpj, "ts") || time_parse_ms(jstr(cpj, "ts"), &cp.ts_ms) < 0 ||
	    !jstr(cpj, "signature") || strlen(jstr(cpj, "signature")) >= sizeof(cp.signature))
		return bad(res, 0, "manifest: checkpoint is missing or malformed");
	snprintf(cp.signature, sizeof(cp.signature), "%s", jstr(cpj, "signature"));
	if (checkpoint_verify(mpk, &cp) != 0)
		return bad(res, cp.seq, "checkpoint signature does not verify");
	f = fopen(path, "re");
	if (!f) {
		r = -errno;
		snprintf(res->message, sizeof(res->message), "%s: %s", path, strerror(-r));
		return r;
	}
	if (fmt && !strcmp(fmt, "jsonl"))
		r = report_read_jsonl(res, f, columns, &rows, chain);
	else if (fmt && !strcmp(fmt, "csv"))
		r = report_read_csv(res, f, columns, &rows, chain);
	else
		r = bad(res, 0, "manifest: format is neither csv nor jsonl");
	fclose(f);
	if (r < 0)
		return r;
	res->rows = rows;
	if (rows != want_rows || strcmp(chain, want) != 0)
		return bad(res, 0,
			   "the file has %lld rows, the signed %s report %lld, and they do not "
			   "chain to the signed report_chain: rows were altered, added, removed or "
			   "reordered",
			   (long long)rows, jstr(st, "report"), (long long)want_rows);
	snprintf(res->message, sizeof(res->message),
		 "ok: %s report, %lld rows, as of seq %lld, key %s%s", jstr(st, "report"),
		 (long long)rows, (long long)cp.seq, res->key_id,
		 pinned ? "" : " (taken from the manifest: pass --pubkey to pin it)");
	return 0;
}

int export_verify(const char *path, const char *manifest_path, const unsigned char *pk,
		  struct export_verify_result *ret)
{
	struct export_verify_result res = {0};
	struct verifier v = {.res = &res};
	unsigned char mpk[DEVKEY_PK_BYTES];
	const json_t *st, *cpj;
	json_t *man = NULL;
	struct checkpoint cp = {0};
	int64_t rows = 0;
	char err[160], *text = NULL, want_chain[EVENT_HASH_HEX];
	const char *fmt;
	struct stat sb;
	bool is_report;
	FILE *f = NULL;
	int r;

	if (stat(manifest_path, &sb) < 0) {
		r = -errno;
		snprintf(res.message, sizeof(res.message), "%s: %s", manifest_path, strerror(-r));
		goto out;
	}
	if (sb.st_size > AEOGATE_MANIFEST_MAX) {
		r = bad(&res, 0, "%s: larger than a manifest can be", manifest_path);
		goto out;
	}
	man = json_load_file(manifest_path, JSON_REJECT_DUPLICATES, NULL);
	st = json_object_get(man, "statement");
	if (!json_is_object(st) || !jstr(man, "signature") || !jstr(man, "public_key")) {
		r = bad(&res, 0, "%s: not an aeogate export manifest", manifest_path);
		goto out;
	}

	/* 1. The statement is the device's: its signature, under the key we trust. */
	if (devkey_pk_from_hex(jstr(man, "public_key"), mpk) < 0) {
		r = bad(&res, 0, "manifest: public_key is not an Ed25519 key");
		goto out;
	}
	if (pk && memcmp(pk, mpk, DEVKEY_PK_BYTES) != 0) {
		char given[DEVKEY_ID_HEX], named[DEVKEY_ID_HEX];

		devkey_id(pk, given);
		devkey_id(mpk, named);
		r = bad(&res, 0,
			"manifest names key %s, not the trusted key %s: signed by another device",
			named, given);
		goto out;
	}
	res.key_pinned = pk != NULL;
	devkey_id(mpk, res.key_id);
	is_report = jstr(st, "type") && !strcmp(jstr(st, "type"), REPORT_STATEMENT_TYPE);
	if (!is_report && (!jstr(st, "type") || strcmp(jstr(st, "type"), EXPORT_STATEMENT_TYPE))) {
		r = bad(&res, 0, "manifest: statement type is neither %s nor %s",
			EXPORT_STATEMENT_TYPE, REPORT_STATEMENT_TYPE);
		goto out;
	}
	text = is_report ? report_statement_text(st) : export_statement_text(st);
	if (!text) {
		r = -ENOMEM;
		goto out;
	}
	if (sig_verify(mpk, text, strlen(text), jstr(man, "signature")) != 0) {
		r = bad(&res, 0,
			"manifest signature does not verify: the manifest was altered or signed "
			"by another key");
		goto out;
	}

	if (is_report) {
		r = verify_report(&res, path, jstr(man, "format"), st, mpk, pk != NULL);
		goto out;
	}

	/* 2. Its fields, and the checkpoint at the end of the range. */
	if (manifest_int(st, "range_first", &v.range_first) < 0 ||
	    manifest_int(st, "range_last", &v.range_last) < 0 ||
	    manifest_int(st, "rows", &rows) < 0 ||
	    manifest_hash(st, "first_prev", v.first_prev) < 0 ||
	    manifest_hash(st, "last_hash", v.last_hash) < 0 ||
	    manifest_hash(st, "export_chain", want_chain) < 0 ||
	    export_filter_from_json(json_object_get(st, "filter"), &v.filter, err, sizeof(err)) <
		0) {
		r = bad(&res, 0, "manifest: statement is incomplete or malformed");
		goto out;
	}
	res.range_first = v.range_first;
	res.range_last = v.range_last;
	v.filtered = export_filter_narrows(&v.filter);
	cpj = json_object_get(st, "checkpoint");
	if (manifest_int(cpj, "seq", &cp.seq) < 0 || manifest_hash(cpj, "hash", cp.hash) < 0 ||
	    !jstr(cpj, "ts") || time_parse_ms(jstr(cpj, "ts"), &cp.ts_ms) < 0 ||
	    !jstr(cpj, "signature") || strlen(jstr(cpj, "signature")) >= sizeof(cp.signature)) {
		r = bad(&res, 0, "manifest: checkpoint is missing or malformed");
		goto out;
	}
	snprintf(cp.signature, sizeof(cp.signature), "%s", jstr(cpj, "signature"));
	if (checkpoint_verify(mpk, &cp) != 0) {
		r = bad(&res, cp.seq, "checkpoint signature does not verify");
		goto out;
	}
	if (v.range_last && (cp.seq != v.range_last || strcmp(cp.hash, v.last_hash) != 0)) {
		r = bad(&res, cp.seq, "checkpoint does not sign the end of the range");
		goto out;
	}

	/* 3. The rows, one at a time, in constant memory. */
	fmt = jstr(man, "format");
	f = fopen(path, "re");
	if (!f) {
		r = -errno;
		snprintf(res.message, sizeof(res.message), "%s: %s", path, strerror(-r));
		goto out;
	}
	memset(v.chain, '0', EVENT_HASH_HEX - 1);
	v.chain[EVENT_HASH_HEX - 1] = '\0';
	if (fmt && !strcmp(fmt, "jsonl"))
		r = verify_jsonl(&v, f);
	else if (fmt && !strcmp(fmt, "csv"))
		r = verify_csv(&v, f);
	else
		r = bad(&res, 0, "manifest: format is neither csv nor jsonl");
	if (r < 0)
		goto out;

	/* 4. Nothing is missing at the end. */
	if (!v.filtered && v.range_last && v.prev_seq != v.range_last) {
		r = bad(&res, v.prev_seq + 1, "missing: the file ends early (truncated)");
		goto out;
	}
	if (v.prev_seq == v.range_last && v.range_last && strcmp(v.prev_hash, v.last_hash) != 0) {
		r = bad(&res, v.prev_seq, "hash differs from the signed end of the range");
		goto out;
	}
	if (res.rows != rows || strcmp(v.chain, want_chain) != 0) {
		r = bad(&res, v.prev_seq ? v.prev_seq : v.range_first,
			"the file has %lld rows, the signed statement %lld: rows after this one "
			"are missing (truncated) or were added",
			(long long)res.rows, (long long)rows);
		goto out;
	}
	snprintf(res.message, sizeof(res.message),
		 "ok: %s%s%lld rows, seq %lld-%lld of range %lld-%lld, key %s%s",
		 jstr(st, "report") ? jstr(st, "report") : "",
		 jstr(st, "report") ? " report, " : "", (long long)res.rows,
		 (long long)res.first_seq, (long long)res.last_seq, (long long)v.range_first,
		 (long long)v.range_last, res.key_id,
		 pk ? "" : " (taken from the manifest: pass --pubkey to pin it)");
	r = 0;
out:
	if (f)
		fclose(f);
	free(text);
	json_decref(man);
	*ret = res;
	return r;
}
