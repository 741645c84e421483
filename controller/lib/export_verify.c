/* SPDX-License-Identifier: MIT */
/*
 * The offline verifier of exports and table reports (export_verify.h):
 * aeogatectl checks a file and its manifest on any machine, with no daemon.
 * Each event row's hash and its link to the row before are checked by the
 * chain's one definition (chain.h), not by a copy of it.
 */
#include <errno.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "chain.h"
#include "export.h"
#include "export_verify.h"
#include "signature.h"
#include "util.h"

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
	struct audit_verifier link;
	int r;

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
	/*
	 * The chain's own link check (chain.h). Neighbours in the chain must
	 * link even in a filtered export, so the check continues from the row
	 * before only when it is the seq before; a row that does not link is
	 * reported as altered when its content does not match its hash either.
	 */
	link.started = v->prev_seq && e->seq == v->prev_seq + 1;
	link.seq = v->prev_seq;
	memcpy(link.hash, v->prev_hash, EVENT_HASH_HEX);
	r = audit_verify_next(&link, e);
	if (r == -EPIPE && (audit_hash(e->prev, e, h) < 0 || strcmp(h, e->hash) != 0))
		r = -EBADMSG;
	if (r == -EBADMSG)
		return bad(res, e->seq, "content does not match its hash: row altered");
	if (r == -EPIPE && link.started)
		return bad(res, e->seq,
			   "does not follow seq %lld in the chain: row altered, "
			   "inserted or reordered",
			   (long long)v->prev_seq);
	/* -EPIPE unstarted: seq 1 not from the genesis hash, which a range from 1 signs. */
	if (r == -EPIPE || (e->seq == v->range_first && strcmp(e->prev, v->first_prev) != 0))
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
	int n, ncols, r = 0;

	if (!buf)
		return -ENOMEM;
	/* Files written before person_name end at export_chain: both verify. */
	ncols = csv_read_record(f, buf, AEOGATE_EXPORT_ROW_MAX, fields, EXPORT_CSV_COLS);
	if (ncols != EXPORT_CSV_COLS && ncols != EXPORT_CSV_SIGNED_COLS) {
		r = bad(v->res, 0, "not an aeogate CSV export: the header row is missing or wrong");
		goto out;
	}
	for (int i = 0; i < ncols; i++)
		if (strcmp(fields[i], export_csv_cols[i]) != 0) {
			r = bad(v->res, 0, "header column %d is '%s', expected '%s'", i + 1,
				fields[i], export_csv_cols[i]);
			goto out;
		}
	while ((n = csv_read_record(f, buf, AEOGATE_EXPORT_ROW_MAX, fields, EXPORT_CSV_COLS)) > 0) {
		struct event e = {0};
		const char *ts;

		rowno++;
		if (n != ncols || parse_seq(fields[0], &e.seq) < 0) {
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
		json_t *o;
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
		if (!json_is_object(o) || !json_is_integer(json_object_get(o, "seq")) ||
		    json_integer_value(json_object_get(o, "seq")) <= 0) {
			json_decref(o);
			r = bad(v->res, v->prev_seq + 1,
				"row %lld (after seq %lld) is not an event object",
				(long long)rowno, (long long)v->prev_seq);
			break;
		}
		ts = jstr(o, "ts");
		if (event_from_json(o, &e, &dtext) < 0)
			r = bad(v->res, json_integer_value(json_object_get(o, "seq")),
				"ts is not a UTC time: row altered");
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

/* The checkpoint a statement names, as signed. */
struct signed_checkpoint {
	int64_t seq;
	char hash[EVENT_HASH_HEX];
	int64_t ts_ms;
	char signature[DEVKEY_SIG_HEX];
};

/* The statement's "checkpoint": {seq, hash, ts, signature}; -EINVAL when malformed. */
static int manifest_checkpoint(const json_t *cpj, struct signed_checkpoint *ret)
{
	if (manifest_int(cpj, "seq", &ret->seq) < 0 || manifest_hash(cpj, "hash", ret->hash) < 0 ||
	    !jstr(cpj, "ts") || time_parse_ms(jstr(cpj, "ts"), &ret->ts_ms) < 0 ||
	    !jstr(cpj, "signature") || strlen(jstr(cpj, "signature")) >= sizeof(ret->signature))
		return -EINVAL;
	snprintf(ret->signature, sizeof(ret->signature), "%s", jstr(cpj, "signature"));
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
	const json_t *columns = json_object_get(st, "columns"), *col;
	char want[EVENT_HASH_HEX], chain[EVENT_HASH_HEX] = AUDIT_GENESIS;
	struct signed_checkpoint cp = {0};
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
	if (manifest_checkpoint(json_object_get(st, "checkpoint"), &cp) < 0)
		return bad(res, 0, "manifest: checkpoint is missing or malformed");
	if (checkpoint_sig_verify(mpk, cp.seq, cp.hash, cp.ts_ms, cp.signature) != 0)
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
	const json_t *st;
	json_t *man = NULL;
	struct signed_checkpoint cp = {0};
	int64_t rows = 0;
	char err[160], *text = NULL, want_chain[EVENT_HASH_HEX];
	const char *fmt;
	struct stat sb;
	bool is_report, sealed;
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
	/*
	 * A manifest is signed by the device, or (written by aeogate-hub, which
	 * holds no device key) sealed by the device's checkpoint alone: then the
	 * rows must be every event of the range, ending at the checkpoint.
	 */
	sealed = !jstr(man, "signature") && jstr(man, "seal") &&
		 !strcmp(jstr(man, "seal"), "checkpoint");
	if (!json_is_object(st) || (!jstr(man, "signature") && !sealed) ||
	    !jstr(man, "public_key")) {
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
	if (sealed && is_report) {
		r = bad(&res, 0, "manifest: a report must be signed by the device, not sealed");
		goto out;
	}
	text = is_report ? report_statement_text(st) : export_statement_text(st);
	if (!text) {
		r = -ENOMEM;
		goto out;
	}
	if (!sealed && sig_verify(mpk, text, strlen(text), jstr(man, "signature")) != 0) {
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
	if (manifest_checkpoint(json_object_get(st, "checkpoint"), &cp) < 0) {
		r = bad(&res, 0, "manifest: checkpoint is missing or malformed");
		goto out;
	}
	if (checkpoint_sig_verify(mpk, cp.seq, cp.hash, cp.ts_ms, cp.signature) != 0) {
		r = bad(&res, cp.seq, "checkpoint signature does not verify");
		goto out;
	}
	if (v.range_last && (cp.seq != v.range_last || strcmp(cp.hash, v.last_hash) != 0)) {
		r = bad(&res, cp.seq, "checkpoint does not sign the end of the range");
		goto out;
	}
	if (sealed && (v.filtered || !v.range_last || !v.range_first)) {
		r = bad(&res, 0,
			"manifest: an export sealed by a checkpoint must hold every event of its "
			"range (no kind, person, zone or door filter)");
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
		 sealed ? pk ? ", sealed by the device's checkpoint (the statement is unsigned)"
			     : ", sealed by the checkpoint of the manifest's key (taken from the "
			       "manifest: pass --pubkey to pin it)"
		 : pk	? ""
			: " (taken from the manifest: pass --pubkey to pin it)");
	r = 0;
out:
	if (f)
		fclose(f);
	free(text);
	json_decref(man);
	*ret = res;
	return r;
}
