/* SPDX-License-Identifier: MIT */
/*
 * Bulk enrolment (README "Bulk enrolment"): the people CSV of the HR
 * system, imported all or nothing, and exported in the same columns.
 *
 * An import is a session of one connection: person.import_begin names the
 * file's columns, person.import_rows hands over its rows in batches (each
 * checked at once, against the site's records and against the rows before
 * it, its errors in the reply), person.import_commit applies every row,
 * with one event per change, in slices between which the loop goes on
 * deciding (see struct import_apply), or, for a dry run, only says what
 * would change. The rows wait in a staging database of their own
 * (store/staging.h), never in memory, and never in the site's database
 * before the commit: a badge read between two batches is decided on the
 * records as they are, and nothing of a file that is refused, abandoned or
 * cut off before its commit (the connection closes) is ever seen. When the
 * records changed meanwhile through another connection, the commit checks
 * every row again before applying any, so such a change cannot be
 * overwritten unseen.
 *
 * A row is the rule of the file: a person the site does not know is added
 * (person.added), one it knows gets the row's name, validity and levels
 * (one person.updated with before/after, as person.update) and vetting
 * (person.vetted, as person.vet); each badge the person does not hold yet
 * is issued (badge.issued, as badge.issue, with its checks). A column the
 * file does not have is left alone; an empty validity cell is no bound, an
 * empty levels cell no level. Badges the row does not name are kept:
 * revoking is not an import's business.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-event.h>

#include "aeogate/credential.h"
#include "audit.h"
#include "collide.h"
#include "core.h"
#include "ctlsock.h"
#include "ops.h"
#include "people_csv.h"
#include "staging.h"
#include "store.h"
#include "util.h"

/* One import: created by person.import_begin, freed with its connection. */
struct import_session {
	struct core *core;
	struct staging *staging;
	unsigned columns; /* bit per enum people_col the file has */
	bool dry_run;
	int64_t rows;	   /* rows received */
	int64_t bad;	   /* rows refused */
	int64_t last_line; /* rows come in the file's order */
	int64_t since_seq; /* the chain's head when the import began */
	struct import_counts {
		int64_t added, updated, unchanged, badges;
	} counts; /* as checked; the commit counts again */
};

/* One row's values, checked; levels sorted, no item twice. */
struct import_row {
	int64_t line;
	char id[AEOGATE_ID_MAX + 1];
	char name[AEOGATE_TEXT_MAX + 1];
	int64_t valid_from, valid_until; /* 0: no bound */
	size_t n_levels;
	char levels[AEOGATE_LEVELS_PER_PERSON_MAX][AEOGATE_ID_MAX + 1];
	size_t n_creds;
	char creds[AEOGATE_IMPORT_CREDENTIALS_PER_ROW][AEOGATE_CREDENTIAL_MAX + 1];
	bool has_vetting;
	struct vetting vetting;
};

/* What a row changes, against the records as they are. */
struct row_plan {
	bool exists;
	struct person before;
	bool name, validity, levels, vetting;
	bool new_cred[AEOGATE_IMPORT_CREDENTIALS_PER_ROW];
	size_t n_new;
};

/* The errors of one row: {line, column, reason} objects appended to arr. */
struct row_errors {
	json_t *arr; /* NULL: count only */
	int64_t line;
	unsigned n;
	char first[AEOGATE_TEXT_MAX + 64]; /* "column: reason" of the first */
};

static void row_error(struct row_errors *re, enum people_col col, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void row_error(struct row_errors *re, enum people_col col, const char *fmt, ...)
{
	char reason[AEOGATE_TEXT_MAX + 32];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	if (re->n++ == 0)
		snprintf(re->first, sizeof(re->first), "%s: %s", people_csv_column_name(col),
			 reason);
	if (re->arr)
		json_array_append_new(
		    re->arr, json_pack("{s:I,s:s,s:s}", "line", (json_int_t)re->line, "column",
				       people_csv_column_name(col), "reason", reason));
}

static void session_free(void *data)
{
	struct import_session *sess = data;

	if (!sess)
		return;
	staging_close(sess->staging);
	free(sess);
}

static struct import_session *session_of(struct ctl_request *req)
{
	struct import_session *sess = req->conn ? ctl_conn_attached(req->conn, session_free) : NULL;

	if (!sess)
		ctl_fail(req, "failed_precondition",
			 "no import in progress on this connection (person.import_begin first)");
	return sess;
}

/* ---- a row's values ---- */

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/*
 * Calls item for each item of a list cell ("a; b;c"), trimmed, empty ones
 * skipped; the items are copied into buf (len bytes) one at a time.
 */
static void list_items(const char *cell, char *buf, size_t len,
		       void (*item)(const char *v, size_t n, void *userdata), void *userdata)
{
	const char *p = cell;

	while (*p) {
		const char *end = strchr(p, PEOPLE_CSV_LIST_SEP), *a = p, *b;

		if (!end)
			end = p + strlen(p);
		b = end;
		while (a < b && is_blank(*a))
			a++;
		while (b > a && is_blank(b[-1]))
			b--;
		if (b > a) {
			size_t n = (size_t)(b - a);

			snprintf(buf, len, "%.*s", (int)(n < len ? n : len - 1), a);
			item(buf, n, userdata);
		}
		p = *end ? end + 1 : end;
	}
}

struct levels_ctx {
	struct import_row *row;
	struct row_errors *re;
	bool too_many;
};

static void level_item(const char *v, size_t n, void *userdata)
{
	struct levels_ctx *lc = userdata;
	struct import_row *row = lc->row;
	size_t i;

	if (n > AEOGATE_ID_MAX || !id_is_valid(v)) {
		row_error(lc->re, PEOPLE_COL_LEVELS,
			  "'%s' is not a level name (1-64 characters of A-Z a-z 0-9 . _ -)", v);
		return;
	}
	/* Sorted insert; a level named twice is the same grant. */
	for (i = 0; i < row->n_levels && strcmp(row->levels[i], v) < 0; i++)
		;
	if (i < row->n_levels && !strcmp(row->levels[i], v))
		return;
	if (row->n_levels == AEOGATE_LEVELS_PER_PERSON_MAX) {
		if (!lc->too_many)
			row_error(lc->re, PEOPLE_COL_LEVELS, "a person holds at most %d levels",
				  AEOGATE_LEVELS_PER_PERSON_MAX);
		lc->too_many = true;
		return;
	}
	memmove(row->levels[i + 1], row->levels[i], (row->n_levels - i) * sizeof(row->levels[0]));
	snprintf(row->levels[i], sizeof(row->levels[i]), "%s", v);
	row->n_levels++;
}

static void credential_item(const char *v, size_t n, void *userdata)
{
	struct levels_ctx *lc = userdata;
	struct import_row *row = lc->row;
	char id[AEOGATE_CREDENTIAL_MAX + 1];
	int r = n > AEOGATE_CREDENTIAL_MAX ? -EINVAL : credential_normalize(v, id, sizeof(id));

	if (r == -ERANGE) {
		row_error(lc->re, PEOPLE_COL_CREDENTIALS,
			  "'%s' does not fit its format's facility or number", v);
		return;
	}
	if (r < 0) {
		row_error(lc->re, PEOPLE_COL_CREDENTIALS,
			  "'%s' is not FORMAT:FACILITY:NUMBER (h10301, h10302, h10304, h10306, "
			  "c1k35, c1k48) or uid:HEX (4, 7 or 10 bytes)",
			  v);
		return;
	}
	for (size_t i = 0; i < row->n_creds; i++)
		if (!strcmp(row->creds[i], id))
			return;
	if (row->n_creds == AEOGATE_IMPORT_CREDENTIALS_PER_ROW) {
		if (!lc->too_many)
			row_error(lc->re, PEOPLE_COL_CREDENTIALS, "a row names at most %d badges",
				  AEOGATE_IMPORT_CREDENTIALS_PER_ROW);
		lc->too_many = true;
		return;
	}
	snprintf(row->creds[row->n_creds++], sizeof(row->creds[0]), "%s", id);
}

static const char *cell(json_t *obj, enum people_col col)
{
	return json_string_value(json_object_get(obj, people_csv_column_name(col)));
}

static void parse_time(struct row_errors *re, enum people_col col, const char *v, int64_t *ms)
{
	*ms = 0;
	if (v && *v && time_parse_ms(v, ms) < 0)
		row_error(re, col,
			  "'%s' is not a date like 2026-11-28 or a UTC time like "
			  "2026-11-28T13:28:11Z",
			  v);
}

static void parse_vetting(struct import_row *row, json_t *obj, struct row_errors *re)
{
	const char *status = cell(obj, PEOPLE_COL_VETTING_STATUS);
	const char *checked = cell(obj, PEOPLE_COL_VETTING_CHECKED);
	const char *due = cell(obj, PEOPLE_COL_VETTING_RECHECK_DUE);
	const char *ref = cell(obj, PEOPLE_COL_VETTING_REFERENCE);
	struct vetting *v = &row->vetting;
	unsigned before = re->n;

	/* All empty (or no such columns): the row says nothing of vetting. */
	if ((!status || !*status) && (!checked || !*checked) && (!due || !*due) && (!ref || !*ref))
		return;
	row->has_vetting = true;
	snprintf(v->person, sizeof(v->person), "%s", row->id);
	if (!status || !*status)
		row_error(
		    re, PEOPLE_COL_VETTING_STATUS,
		    "empty, but the row has other vetting values (cleared, pending or failed)");
	else if (!ops_vetting_status_is_valid(status))
		row_error(re, PEOPLE_COL_VETTING_STATUS,
			  "must be cleared, pending or failed, not '%s'", status);
	else
		snprintf(v->status, sizeof(v->status), "%s", status);
	if (!checked || !*checked)
		row_error(re, PEOPLE_COL_VETTING_CHECKED,
			  "empty: a vetting record needs the date "
			  "of the check");
	else
		parse_time(re, PEOPLE_COL_VETTING_CHECKED, checked, &v->checked_ms);
	if (!due || !*due)
		row_error(re, PEOPLE_COL_VETTING_RECHECK_DUE,
			  "empty: a vetting record needs the date its re-check is due");
	else
		parse_time(re, PEOPLE_COL_VETTING_RECHECK_DUE, due, &v->recheck_due_ms);
	if (ref && *ref) {
		if (strlen(ref) > AEOGATE_VETTING_REFERENCE_MAX)
			row_error(re, PEOPLE_COL_VETTING_REFERENCE,
				  "longer than %d bytes (a case number, never the check's content)",
				  AEOGATE_VETTING_REFERENCE_MAX);
		else if (!text_is_valid(ref))
			row_error(re, PEOPLE_COL_VETTING_REFERENCE,
				  "contains control characters (a line break?)");
		else
			snprintf(v->reference, sizeof(v->reference), "%s", ref);
	}
	if (re->n == before && v->recheck_due_ms <= v->checked_ms)
		row_error(re, PEOPLE_COL_VETTING_RECHECK_DUE,
			  "the re-check must be due after the check");
}

/* Reads and checks a row's own values (nothing of the records yet). */
static void parse_row(json_t *obj, int64_t line, struct import_row *row, struct row_errors *re)
{
	const char *id = cell(obj, PEOPLE_COL_ID), *name = cell(obj, PEOPLE_COL_NAME), *v;
	struct levels_ctx lc = {.row = row, .re = re};
	char buf[AEOGATE_IMPORT_FIELD_MAX + 1];

	memset(row, 0, sizeof(*row));
	row->line = line;
	if (!*id)
		row_error(re, PEOPLE_COL_ID, "empty: every row needs a person id");
	else if (strlen(id) > AEOGATE_ID_MAX || !id_is_valid(id))
		row_error(re, PEOPLE_COL_ID, "'%s' is not 1-64 characters of A-Z a-z 0-9 . _ -",
			  id);
	else
		snprintf(row->id, sizeof(row->id), "%s", id);
	if (!*name)
		row_error(re, PEOPLE_COL_NAME, "empty: every row needs a name");
	else if (strlen(name) > AEOGATE_TEXT_MAX)
		row_error(re, PEOPLE_COL_NAME, "longer than %d bytes", AEOGATE_TEXT_MAX);
	else if (!text_is_valid(name))
		row_error(re, PEOPLE_COL_NAME, "contains control characters (a line break?)");
	else
		snprintf(row->name, sizeof(row->name), "%s", name);
	parse_time(re, PEOPLE_COL_VALID_FROM, cell(obj, PEOPLE_COL_VALID_FROM), &row->valid_from);
	parse_time(re, PEOPLE_COL_VALID_UNTIL, cell(obj, PEOPLE_COL_VALID_UNTIL),
		   &row->valid_until);
	if ((v = cell(obj, PEOPLE_COL_LEVELS)))
		list_items(v, buf, sizeof(buf), level_item, &lc);
	lc.too_many = false;
	if ((v = cell(obj, PEOPLE_COL_CREDENTIALS)))
		list_items(v, buf, sizeof(buf), credential_item, &lc);
	parse_vetting(row, obj, re);
}

/* ---- a row against the records ---- */

struct level_names {
	char (*names)[AEOGATE_ID_MAX + 1];
	size_t n;
};

static int level_name_cb(const char *level, void *userdata)
{
	struct level_names *ln = userdata;

	if (ln->n == AEOGATE_LEVELS_PER_PERSON_MAX)
		return -E2BIG;
	snprintf(ln->names[ln->n++], sizeof(ln->names[0]), "%s", level);
	return 0;
}

/* Whether the person's levels are exactly the row's (both sorted by the store's order). */
static int levels_differ(struct store *s, const struct import_row *row, bool *ret)
{
	char held[AEOGATE_LEVELS_PER_PERSON_MAX][AEOGATE_ID_MAX + 1];
	struct level_names ln = {.names = held};
	int r = store_person_levels(s, row->id, level_name_cb, &ln);

	if (r < 0)
		return r;
	*ret = ln.n != row->n_levels;
	for (size_t i = 0; !*ret && i < ln.n; i++) {
		bool found = false;

		for (size_t j = 0; j < row->n_levels && !found; j++)
			found = !strcmp(held[i], row->levels[j]);
		*ret = !found;
	}
	return 0;
}

static bool vetting_equal(const struct vetting *a, const struct vetting *b)
{
	return !strcmp(a->status, b->status) && a->checked_ms == b->checked_ms &&
	       a->recheck_due_ms == b->recheck_due_ms && !strcmp(a->reference, b->reference);
}

/*
 * What the row changes, and what in it the records refuse (row_errors).
 * Returns 0, or negative errno when the store failed.
 */
static int plan_row(struct import_session *sess, const struct import_row *row,
		    struct row_plan *plan, struct row_errors *re)
{
	struct store *s = core_store(sess->core);
	const struct config *cfg = core_config(sess->core);
	unsigned cols = sess->columns;
	int64_t from = row->valid_from, until = row->valid_until;
	int r;

	memset(plan, 0, sizeof(*plan));
	r = store_person_get(s, row->id, &plan->before);
	if (r < 0 && r != -ENOENT)
		return r;
	plan->exists = r == 0;
	if (plan->exists) {
		const struct person *p = &plan->before;

		if (!(cols & (1u << PEOPLE_COL_VALID_FROM)))
			from = p->valid_from;
		if (!(cols & (1u << PEOPLE_COL_VALID_UNTIL)))
			until = p->valid_until;
		plan->name = strcmp(p->name, row->name) != 0;
		plan->validity = from != p->valid_from || until != p->valid_until;
		if ((cols & (1u << PEOPLE_COL_LEVELS)) &&
		    (r = levels_differ(s, row, &plan->levels)) < 0)
			return r;
		if (row->has_vetting) {
			struct vetting v;

			r = store_vetting_get(s, row->id, &v);
			if (r < 0 && r != -ENOENT)
				return r;
			plan->vetting = r == -ENOENT || !vetting_equal(&v, &row->vetting);
		}
		if (!strcmp(p->status, "terminated") &&
		    (plan->name || plan->validity || plan->levels))
			row_error(re, PEOPLE_COL_ID,
				  "person '%s' is terminated; their record is final", row->id);
	} else {
		plan->vetting = row->has_vetting;
	}
	if (from && until && from >= until)
		row_error(re,
			  (cols & (1u << PEOPLE_COL_VALID_UNTIL)) ? PEOPLE_COL_VALID_UNTIL
								  : PEOPLE_COL_VALID_FROM,
			  "valid_from must be before valid_until");
	for (size_t i = 0; i < row->n_levels; i++) {
		r = store_level_exists(s, row->levels[i]);
		if (r < 0)
			return r;
		if (r == 0)
			row_error(re, PEOPLE_COL_LEVELS, "no level '%s'", row->levels[i]);
	}
	for (size_t i = 0; i < row->n_creds; i++) {
		struct credential cr;
		struct collision twin;

		r = store_credential_get(s, row->creds[i], &cr);
		if (r < 0 && r != -ENOENT)
			return r;
		if (r == 0) {
			if (strcmp(cr.person, row->id) != 0)
				row_error(re, PEOPLE_COL_CREDENTIALS,
					  "%s is held by another person, '%s' (%s)", cr.id,
					  cr.person, cr.status);
			continue;
		}
		if (plan->exists && !strcmp(plan->before.status, "terminated")) {
			row_error(re, PEOPLE_COL_CREDENTIALS,
				  "person '%s' is terminated; badges cannot be issued", row->id);
			continue;
		}
		/* As badge.issue: a badge no reader could tell from an enrolled one. */
		r = collide_find(cfg, s, row->creds[i], &twin, 1);
		if (r < 0)
			return r;
		if (r > 0) {
			row_error(re, PEOPLE_COL_CREDENTIALS,
				  "%s is the same frame as %s, issued to '%s', on readers that "
				  "accept both formats: %s",
				  row->creds[i], twin.credential, twin.person, twin.readers);
			continue;
		}
		plan->new_cred[i] = true;
		plan->n_new++;
	}
	return 0;
}

/*
 * A plan as the staging area keeps it: a bit per change, and a bit per
 * badge of the row that is new (from PLAN_CRED_SHIFT). 0: nothing changes.
 */
enum {
	PLAN_NEW = 1 << 0,
	PLAN_NAME = 1 << 1,
	PLAN_VALIDITY = 1 << 2,
	PLAN_LEVELS = 1 << 3,
	PLAN_VETTING = 1 << 4,
	PLAN_CRED_SHIFT = 8,
};

static int64_t plan_bits(const struct row_plan *plan)
{
	int64_t bits = (plan->exists ? 0 : PLAN_NEW) | (plan->name ? PLAN_NAME : 0) |
		       (plan->validity ? PLAN_VALIDITY : 0) | (plan->levels ? PLAN_LEVELS : 0) |
		       (plan->vetting ? PLAN_VETTING : 0);

	for (size_t i = 0; i < AEOGATE_IMPORT_CREDENTIALS_PER_ROW; i++)
		if (plan->new_cred[i])
			bits |= (int64_t)1 << (PLAN_CRED_SHIFT + i);
	return bits;
}

static void plan_from_bits(int64_t bits, struct row_plan *plan)
{
	memset(plan, 0, sizeof(*plan));
	plan->exists = !(bits & PLAN_NEW);
	plan->name = bits & PLAN_NAME;
	plan->validity = bits & PLAN_VALIDITY;
	plan->levels = bits & PLAN_LEVELS;
	plan->vetting = bits & PLAN_VETTING;
	for (size_t i = 0; i < AEOGATE_IMPORT_CREDENTIALS_PER_ROW; i++)
		if (bits & ((int64_t)1 << (PLAN_CRED_SHIFT + i))) {
			plan->new_cred[i] = true;
			plan->n_new++;
		}
}

static void count_plan(struct import_counts *c, const struct row_plan *plan)
{
	if (!plan->exists)
		c->added++;
	else if (plan->name || plan->validity || plan->levels || plan->vetting || plan->n_new)
		c->updated++;
	else
		c->unchanged++;
	c->badges += (int64_t)plan->n_new;
}

/* ---- the file's own repeats ---- */

static int staging_lookup(void *userdata, const char *credential, char *person, size_t len)
{
	int64_t line;
	int r = staging_credential_get(userdata, credential, &line, person, len);

	return r == -ENOENT ? 0 : r < 0 ? r : 1;
}

/* items joined by the list separator into buf. */
static void join(char *buf, size_t len, const void *items, size_t size, size_t n)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? ";" : "",
					 (const char *)items + i * size);
}

/* Keeps the row (unless refused) and its badges; reports what the file names twice. */
static int stage_row(struct import_session *sess, const struct import_row *row,
		     const struct row_plan *plan, struct row_errors *re)
{
	char levels[sizeof(row->levels) + AEOGATE_LEVELS_PER_PERSON_MAX];
	char creds[sizeof(row->creds) + AEOGATE_IMPORT_CREDENTIALS_PER_ROW];
	struct staged_row sr = {
	    .line = row->line,
	    .id = row->id,
	    .name = row->name,
	    .valid_from = row->valid_from,
	    .valid_until = row->valid_until,
	    .levels = levels,
	    .credentials = creds,
	    .vetting_status = row->has_vetting ? row->vetting.status : NULL,
	    .vetting_checked = row->vetting.checked_ms,
	    .vetting_recheck_due = row->vetting.recheck_due_ms,
	    .vetting_reference = row->vetting.reference,
	    .plan = plan_bits(plan),
	};
	const struct config *cfg = core_config(sess->core);
	char holder[AEOGATE_ID_MAX + 1];
	int64_t line;
	int r;

	for (size_t i = 0; i < row->n_creds; i++) {
		struct collision twin;

		r = staging_credential_add(sess->staging, row->creds[i], row->line, row->id, &line,
					   holder, sizeof(holder));
		if (r == -EEXIST) {
			row_error(re, PEOPLE_COL_CREDENTIALS,
				  "%s is also on line %lld (person '%s')", row->creds[i],
				  (long long)line, holder);
			continue;
		}
		if (r < 0)
			return r;
		r = collide_find_in(cfg, row->creds[i], staging_lookup, sess->staging, &twin, 1);
		if (r < 0)
			return r;
		if (r > 0)
			row_error(
			    re, PEOPLE_COL_CREDENTIALS,
			    "%s is the same frame as %s (person '%s', earlier in the file) on "
			    "readers that accept both formats: %s",
			    row->creds[i], twin.credential, twin.person, twin.readers);
	}
	join(levels, sizeof(levels), row->levels, sizeof(row->levels[0]), row->n_levels);
	join(creds, sizeof(creds), row->creds, sizeof(row->creds[0]), row->n_creds);
	r = staging_row_add(sess->staging, row->id, row->line, re->n ? NULL : &sr, &line);
	if (r == -EEXIST) {
		row_error(re, PEOPLE_COL_ID, "'%s' is also on line %lld", row->id, (long long)line);
		return 0;
	}
	return r;
}

/* ---- ops ---- */

static int op_import_begin(struct ctl_request *req, json_t **ret)
{
	json_t *cols = json_object_get(req->args, "columns"), *v;
	struct import_session *sess;
	char hash[EVENT_HASH_HEX];
	unsigned mask = 0;
	bool dry_run = false;
	size_t i;
	int r;

	if (!req->conn)
		return ctl_fail(req, "failed_precondition", "an import needs a connection");
	if (ctl_conn_attached(req->conn, session_free))
		return ctl_fail(req, "failed_precondition",
				"an import is already in progress on this connection");
	if (json_object_get(req->args, "dry_run")) {
		if (!json_is_boolean(json_object_get(req->args, "dry_run")))
			return ctl_fail(req, "invalid_argument", "'dry_run' must be true or false");
		dry_run = json_is_true(json_object_get(req->args, "dry_run"));
	}
	if (!json_is_array(cols) || json_array_size(cols) > _PEOPLE_COL_MAX)
		return ctl_fail(req, "invalid_argument",
				"'columns' must be an array of the file's column names");
	json_array_foreach(cols, i, v)
	{
		int col = json_is_string(v) ? people_csv_column(json_string_value(v)) : -1;

		if (col < 0)
			return ctl_fail(req, "invalid_argument", "'columns': unknown column '%s'",
					json_is_string(v) ? json_string_value(v) : "?");
		if (mask & (1u << col))
			return ctl_fail(req, "invalid_argument", "'columns': '%s' named twice",
					json_string_value(v));
		mask |= 1u << col;
	}
	if ((mask & PEOPLE_CSV_REQUIRED) != PEOPLE_CSV_REQUIRED)
		return ctl_fail(req, "invalid_argument", "'columns' must include id and name");
	sess = calloc(1, sizeof(*sess));
	if (!sess)
		return ctl_fail(req, "internal", "out of memory");
	sess->core = req->userdata;
	sess->columns = mask;
	sess->dry_run = dry_run;
	r = store_event_last(core_store(sess->core), &sess->since_seq, hash);
	if (r < 0) {
		free(sess);
		return ops_store_error(req, r, "import");
	}
	r = staging_open(&sess->staging);
	if (r < 0) {
		free(sess);
		return ctl_fail(req, "unavailable", "cannot open the import's staging area: %s",
				strerror(-r));
	}
	ctl_conn_attach(req->conn, sess, session_free);
	*ret = json_pack("{s:b,s:i,s:i}", "dry_run", dry_run, "batch_rows",
			 AEOGATE_IMPORT_BATCH_ROWS, "rows_max", AEOGATE_IMPORT_ROWS_MAX);
	return 0;
}

/* A row's members: line, and a string for each of the session's columns, nothing else. */
static int row_shape_check(struct ctl_request *req, const struct import_session *sess, json_t *obj,
			   int64_t after, int64_t *ret_line)
{
	json_t *line = json_object_get(obj, "line"), *v;
	const char *k;

	if (!json_is_object(obj) || !json_is_integer(line) || json_integer_value(line) < 1)
		return ctl_fail(req, "invalid_argument",
				"'rows' must hold objects with a line (from 1) and the columns");
	if (json_integer_value(line) <= after)
		return ctl_fail(req, "invalid_argument",
				"rows come in the file's order: line %lld after %lld",
				(long long)json_integer_value(line), (long long)after);
	json_object_foreach(obj, k, v)
	{
		int col = people_csv_column(k);

		if (!strcmp(k, "line"))
			continue;
		if (col < 0 || !(sess->columns & (1u << col)) || !json_is_string(v) ||
		    json_string_length(v) > AEOGATE_IMPORT_FIELD_MAX ||
		    strlen(json_string_value(v)) != json_string_length(v))
			return ctl_fail(req, "invalid_argument",
					"line %lld: '%s' is not a column of this import, or not a "
					"string of at most %d bytes",
					(long long)json_integer_value(line), k,
					AEOGATE_IMPORT_FIELD_MAX);
	}
	for (int col = 0; col < _PEOPLE_COL_MAX; col++)
		if ((sess->columns & (1u << col)) &&
		    !json_object_get(obj, people_csv_column_name(col)))
			return ctl_fail(req, "invalid_argument", "line %lld: no '%s'",
					(long long)json_integer_value(line),
					people_csv_column_name(col));
	*ret_line = json_integer_value(line);
	return 0;
}

static int op_import_rows(struct ctl_request *req, json_t **ret)
{
	struct import_session *sess = session_of(req);
	json_t *rows = json_object_get(req->args, "rows"), *obj, *errors;
	struct import_row *row;
	int64_t bad = 0, line;
	bool held;
	size_t i;
	int r = 0;

	if (!sess)
		return -1;
	if (!json_is_array(rows) || json_array_size(rows) > AEOGATE_IMPORT_BATCH_ROWS)
		return ctl_fail(req, "invalid_argument",
				"'rows' must be an array of at most %d rows",
				AEOGATE_IMPORT_BATCH_ROWS);
	if (sess->rows + (int64_t)json_array_size(rows) > AEOGATE_IMPORT_ROWS_MAX)
		return ctl_fail(req, "invalid_argument",
				"an import holds at most %d rows; split the file",
				AEOGATE_IMPORT_ROWS_MAX);
	/* The whole batch's shape first: a malformed request changes nothing. */
	line = sess->last_line;
	json_array_foreach(rows, i, obj)
	{
		if (row_shape_check(req, sess, obj, line, &line) < 0)
			return -1;
	}
	row = malloc(sizeof(*row));
	errors = json_array();
	if (!row || !errors) {
		free(row);
		json_decref(errors);
		return ctl_fail(req, "internal", "out of memory");
	}
	/*
	 * One transaction each for the batch's reads of the records (they see
	 * one state, and SQLite takes its locks once, not per lookup) and its
	 * writes to the staging area. Nothing is written to the records.
	 */
	held = store_begin(core_store(sess->core)) == 0;
	r = staging_begin(sess->staging);
	json_array_foreach(rows, i, obj)
	{
		struct row_errors re = {.arr = errors};
		struct row_plan plan = {0};

		if (r < 0)
			break;
		re.line = json_integer_value(json_object_get(obj, "line"));
		parse_row(obj, re.line, row, &re);
		if (row->id[0]) {
			r = plan_row(sess, row, &plan, &re);
			if (r == 0)
				r = stage_row(sess, row, &plan, &re);
			if (r < 0)
				break;
		}
		sess->rows++;
		sess->last_line = re.line;
		if (re.n) {
			bad++;
			sess->bad++;
		} else {
			count_plan(&sess->counts, &plan);
		}
	}
	free(row);
	if (r == 0)
		r = staging_commit(sess->staging);
	if (held)
		store_rollback(core_store(sess->core));
	if (r < 0) {
		json_decref(errors);
		/* The session cannot tell which rows it kept: it ends here. */
		ctl_conn_detach(req->conn, session_free);
		return ops_store_error(req, r, "import");
	}
	*ret = json_pack("{s:I,s:I,s:o}", "rows", (json_int_t)json_array_size(rows), "bad",
			 (json_int_t)bad, "errors", errors);
	return 0;
}

static json_t *counts_json(const struct import_counts *c)
{
	return json_pack("{s:I,s:I,s:I,s:I}", "added", (json_int_t)c->added, "updated",
			 (json_int_t)c->updated, "unchanged", (json_int_t)c->unchanged, "badges",
			 (json_int_t)c->badges);
}

/*
 * The commit: the checked rows applied in slices. A slice is one
 * transaction of a few hundred rows with their events, at most
 * AEOGATE_IMPORT_SLICE_MS of work; between two slices the loop decides the
 * badge reads, exit buttons, door timers and requests that came meanwhile
 * (the slicer's priority is below every other source's). Rows are applied
 * in the file's order, so what is applied at any time is the file up to a
 * line.
 *
 * While it applies (core_import), changes to people, badges and levels are
 * refused (ops_import_gate): every row stays as it was checked until its
 * slice. When they changed between the import's start and its commit, a
 * pass of read-only slices first checks every row again, and one that the
 * records now refuse refuses the import before anything is applied.
 *
 * It owns the session from the commit on: if the client leaves, the rows,
 * all checked, are applied all the same (the reply goes nowhere). A slice
 * the store fails is rolled back and the import stops there; so does a
 * stop of aeogated, between two slices. The reply then says how many rows
 * (the file up to which line) are applied: importing the same file again
 * applies the rest, the rows applied coming out unchanged.
 */
struct import_apply {
	struct core *core;
	struct import_session *sess;
	struct ctl_deferred *reply;
	/* A defer source: one slice per turn of the loop. */
	sd_event_source *slicer;
	char operator_id[sizeof(((struct ctl_request *)NULL)->operator_id)];
	/* People, badges or levels changed since the import began: check every row again. */
	bool recheck;
	bool checking; /* in that pass, not yet applying */
	int64_t pos;   /* the staging walk goes on after this row */
	/* Rows committed, the file's line of the last of them, and their counts. */
	int64_t applied, applied_line;
	struct import_counts counts;
	/* The slice in progress. */
	int64_t deadline_ms, rows, last_pos, last_line;
	struct import_counts slice_counts;
	struct import_row row;
	struct row_errors re; /* the first row the records refuse */
};

/* A walk callback's "the slice is full": the walk stops there, to go on next turn. */
#define SLICE_FULL 2

static int slice_row_done(struct import_apply *a, const struct staged_row *sr)
{
	a->last_pos = sr->pos;
	a->last_line = sr->line;
	if (++a->rows >= AEOGATE_IMPORT_SLICE_ROWS || now_mono_ms() >= a->deadline_ms)
		return SLICE_FULL;
	return 0;
}

static int append_event(struct import_apply *a, const char *kind, const char *person,
			const char *credential, json_t *detail)
{
	struct event e = {.kind = kind, .person = person, .credential = credential};
	char *text = ops_detail_text_by(a->operator_id, detail);
	int r;

	if (!text)
		return -ENOMEM;
	e.detail = text;
	r = core_append(a->core, &e);
	free(text);
	return r;
}

static int apply_person(struct import_apply *a, const struct import_row *row,
			const struct row_plan *plan)
{
	struct store *s = core_store(a->sess->core);
	unsigned cols = a->sess->columns;
	struct person p = plan->before;
	json_t *before, *levels;
	int r = 0;

	if (!plan->exists) {
		memset(&p, 0, sizeof(p));
		snprintf(p.id, sizeof(p.id), "%s", row->id);
		snprintf(p.name, sizeof(p.name), "%s", row->name);
		strcpy(p.status, "active");
		p.valid_from = row->valid_from;
		p.valid_until = row->valid_until;
		p.created_ms = core_wall_ms(a->sess->core);
		r = store_person_add(s, &p);
		for (size_t i = 0; r == 0 && i < row->n_levels; i++)
			r = store_person_level_add(s, p.id, row->levels[i]);
		if (r < 0)
			return r;
		levels = json_array();
		for (size_t i = 0; i < row->n_levels; i++)
			json_array_append_new(levels, json_string(row->levels[i]));
		/* As person.add: the whole record after. */
		return append_event(
		    a, "person.added", p.id, NULL,
		    json_pack("{s:o}", "after", ops_person_json_levels(&p, levels)));
	}
	if (!plan->name && !plan->validity && !plan->levels)
		return 0;
	before = ops_person_trail_json(s, &p);
	if (plan->name)
		r = store_person_set_name(s, p.id, row->name);
	if (r == 0 && plan->validity)
		r = store_person_set_validity(
		    s, p.id,
		    (cols & (1u << PEOPLE_COL_VALID_FROM)) ? row->valid_from : p.valid_from,
		    (cols & (1u << PEOPLE_COL_VALID_UNTIL)) ? row->valid_until : p.valid_until);
	if (r == 0 && plan->levels) {
		char held[AEOGATE_LEVELS_PER_PERSON_MAX][AEOGATE_ID_MAX + 1];
		struct level_names ln = {.names = held};

		r = store_person_levels(s, p.id, level_name_cb, &ln);
		for (size_t i = 0; r == 0 && i < ln.n; i++) {
			bool keep = false;

			for (size_t j = 0; j < row->n_levels && !keep; j++)
				keep = !strcmp(held[i], row->levels[j]);
			if (!keep)
				r = store_person_level_remove(s, p.id, held[i]);
		}
		for (size_t j = 0; r == 0 && j < row->n_levels; j++)
			if ((r = store_person_level_add(s, p.id, row->levels[j])) == -EEXIST)
				r = 0;
	}
	if (r == 0)
		r = store_person_get(s, p.id, &p);
	if (r < 0) {
		json_decref(before);
		return r;
	}
	/* As person.update: one event, the fields that changed before and after. */
	return append_event(a, "person.updated", p.id, NULL,
			    ops_changed_detail(before, ops_person_trail_json(s, &p)));
}

static int apply_row(struct import_apply *a, const struct import_row *row,
		     const struct row_plan *plan)
{
	struct store *s = core_store(a->sess->core);
	int r = apply_person(a, row, plan);

	if (r == 0 && plan->vetting) {
		/* As person.vet: the record replaced, before and after. */
		json_t *before = ops_vetting_or_null(s, row->id);

		r = store_vetting_put(s, &row->vetting);
		if (r == 0)
			r = append_event(a, "person.vetted", row->id, NULL,
					 json_pack("{s:o,s:o}", "before", before, "after",
						   ops_vetting_json(&row->vetting)));
		else
			json_decref(before);
	}
	for (size_t i = 0; r == 0 && i < row->n_creds; i++) {
		struct credential cr = {0};

		if (!plan->new_cred[i])
			continue;
		/* As badge.issue: the badge after. */
		snprintf(cr.id, sizeof(cr.id), "%s", row->creds[i]);
		snprintf(cr.person, sizeof(cr.person), "%s", row->id);
		strcpy(cr.status, "active");
		cr.issued_ms = core_wall_ms(a->sess->core);
		r = store_credential_add(s, &cr);
		if (r == 0)
			r = append_event(a, "badge.issued", cr.person, cr.id,
					 json_pack("{s:o}", "after", ops_credential_json(&cr)));
	}
	return r;
}

/* The items of a kept list into items[max][size]; *ret_n of them. */
static void split(const char *list, void *items, size_t size, size_t max, size_t *ret_n)
{
	const char *p = list;
	size_t n = 0;

	while (*p && n < max) {
		size_t len = strcspn(p, ";");

		snprintf((char *)items + n++ * size, size, "%.*s", (int)len, p);
		p += len + (p[len] == ';');
	}
	*ret_n = n;
}

/* A kept row back into the shape the checks take (it was checked when kept). */
static void row_from_staged(const struct staged_row *sr, struct import_row *row)
{
	memset(row, 0, sizeof(*row));
	row->line = sr->line;
	snprintf(row->id, sizeof(row->id), "%s", sr->id);
	snprintf(row->name, sizeof(row->name), "%s", sr->name);
	row->valid_from = sr->valid_from;
	row->valid_until = sr->valid_until;
	split(sr->levels, row->levels, sizeof(row->levels[0]), AEOGATE_LEVELS_PER_PERSON_MAX,
	      &row->n_levels);
	split(sr->credentials, row->creds, sizeof(row->creds[0]),
	      AEOGATE_IMPORT_CREDENTIALS_PER_ROW, &row->n_creds);
	if (sr->vetting_status) {
		struct vetting *v = &row->vetting;

		row->has_vetting = true;
		snprintf(v->person, sizeof(v->person), "%s", sr->id);
		snprintf(v->status, sizeof(v->status), "%s", sr->vetting_status);
		v->checked_ms = sr->vetting_checked;
		v->recheck_due_ms = sr->vetting_recheck_due;
		snprintf(v->reference, sizeof(v->reference), "%s", sr->vetting_reference);
	}
}

/* The pass that checks every row again: the records changed since they were checked. */
static int check_cb(const struct staged_row *sr, void *userdata)
{
	struct import_apply *a = userdata;
	struct row_plan plan;
	int r;

	a->re.line = sr->line;
	row_from_staged(sr, &a->row);
	r = plan_row(a->sess, &a->row, &plan, &a->re);
	if (r < 0)
		return r;
	if (a->re.n)
		return 1;
	return slice_row_done(a, sr);
}

/*
 * Applies a row: as kept when nothing changed since it was checked (a row
 * that changes nothing is not even read), else as the check pass planned
 * it again. Should the records refuse a write after all, the slice is
 * rolled back and the import stops there.
 */
static int apply_cb(const struct staged_row *sr, void *userdata)
{
	struct import_apply *a = userdata;
	struct row_plan plan;
	int r = 0;

	a->re.line = sr->line;
	row_from_staged(sr, &a->row);
	if (a->recheck) {
		r = plan_row(a->sess, &a->row, &plan, &a->re);
		if (r < 0)
			return r;
		if (a->re.n)
			return 1;
	} else {
		plan_from_bits(sr->plan, &plan);
		if (sr->plan && plan.exists)
			r = store_person_get(core_store(a->core), a->row.id, &plan.before);
	}
	count_plan(&a->slice_counts, &plan);
	/* A kept plan of 0 changes nothing; a row checked again may change what it did not. */
	if (r == 0 && (a->recheck || sr->plan))
		r = apply_row(a, &a->row, &plan);
	if (r == -EEXIST || r == -ENOENT || r == -EINVAL) {
		row_error(&a->re, PEOPLE_COL_ID, "'%s' conflicts with a change made meanwhile",
			  a->row.id);
		return 1;
	}
	if (r < 0)
		return r;
	return slice_row_done(a, sr);
}

/* The families of events (and of ops) that change what an import checks. */
static bool import_family(const char *name)
{
	/* visitor.add enrols a person and issues a badge; visitor.end returns badges. */
	static const char *const families[] = {"person.", "badge.", "level.", "visitor."};

	for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++)
		if (!strncmp(name, families[i], strlen(families[i])))
			return true;
	return false;
}

static int admin_change_cb(const struct event *e, void *userdata)
{
	return import_family(e->kind);
}

static int publish_cb(const struct event *e, void *userdata)
{
	core_publish(userdata, e);
	return 0;
}

int ops_import_gate(struct ctl_request *req, struct core *c)
{
	struct import_apply *a = core_import(c);

	if (!a || !import_family(req->op))
		return 0;
	if (a->checking)
		return ctl_fail(req, "unavailable",
				"a person import is checking its %lld rows again before applying "
				"them; changes to people, badges and levels wait until it is done",
				(long long)a->sess->rows);
	return ctl_fail(req, "unavailable",
			"a person import is applying its rows (%lld of %lld applied); changes to "
			"people, badges and levels wait until it is done",
			(long long)a->applied, (long long)a->sess->rows);
}

static void apply_free(struct import_apply *a)
{
	audit_batch_end(core_audit(a->core));
	core_set_import(a->core, NULL);
	sd_event_source_disable_unref(a->slicer);
	session_free(a->sess);
	free(a);
}

/* The last slice is applied: the counts of the rows as applied. */
static void apply_done(struct import_apply *a)
{
	struct ctl_deferred *reply = a->reply;
	json_t *res = json_pack("{s:b,s:I,s:I}", "committed", true, "rows",
				(json_int_t)a->sess->rows, "bad", (json_int_t)0);

	json_object_update_new(res, counts_json(&a->counts));
	apply_free(a);
	/* Last: answering lets the connection's next request in. */
	ctl_deferred_reply(reply, res);
}

/*
 * The import stops before its end, at a slice boundary: why (r: 1 a row the
 * records refuse, -ECANCELED aeogated stops, else the store's error) and
 * what is applied.
 */
static void apply_stop(struct import_apply *a, int r)
{
	struct ctl_deferred *reply = a->reply;
	const char *code = "failed_precondition";
	char why[sizeof(a->re.first) + 64], done[160];

	if (r == 1) {
		snprintf(why, sizeof(why),
			 "line %lld: %s (the records changed since the file was checked)",
			 (long long)a->re.line, a->re.first);
	} else if (r == -ECANCELED) {
		code = "unavailable";
		snprintf(why, sizeof(why), "aeogated is stopping");
	} else {
		code = ops_store_error_text(r, "import", why, sizeof(why));
		if (!strcmp(code, "unavailable"))
			snprintf(why, sizeof(why), "storage is failing (%s)", strerror(-r));
	}
	if (a->applied == 0)
		snprintf(done, sizeof(done), "nothing committed");
	else
		snprintf(done, sizeof(done),
			 "%lld of %lld rows applied (to line %lld, events in the trail); import "
			 "the same file again to apply the rest",
			 (long long)a->applied, (long long)a->sess->rows,
			 (long long)a->applied_line);
	apply_free(a);
	ctl_deferred_fail(reply, code, "%s; %s", why, done);
}

/* One slice: a read-only one of the check pass, or one transaction of rows applied. */
static int on_slice(sd_event_source *src, void *userdata)
{
	struct import_apply *a = userdata;
	struct store *s = core_store(a->core);
	char hash[EVENT_HASH_HEX];
	int64_t first = 0;
	int r;

	a->deadline_ms = now_mono_ms() + AEOGATE_IMPORT_SLICE_MS;
	a->rows = 0;
	memset(&a->slice_counts, 0, sizeof(a->slice_counts));
	if (a->checking) {
		/* One read transaction: one state of the records, SQLite's locks taken once. */
		bool held = store_begin(s) == 0;

		r = staging_walk(a->sess->staging, a->pos, check_cb, a);
		if (held)
			store_rollback(s);
		if (r == SLICE_FULL) {
			a->pos = a->last_pos;
		} else if (r == 0) {
			a->checking = false;
			a->pos = 0;
		} else {
			apply_stop(a, r);
		}
		return 0;
	}
	/* Events wait for storage: this slice's would only fail behind them. */
	if (core_events_queued(a->core)) {
		apply_stop(a, -EBUSY);
		return 0;
	}
	r = store_begin(s);
	if (r == 0)
		r = store_event_last(s, &first, hash);
	if (r == 0)
		r = staging_walk(a->sess->staging, a->pos, apply_cb, a);
	if (r == 0 || r == SLICE_FULL) {
		int c = store_commit(s);

		if (c < 0)
			r = c;
	}
	if (r != 0 && r != SLICE_FULL) {
		ops_abort(a->core);
		apply_stop(a, r);
		return 0;
	}
	a->applied += a->rows;
	if (a->rows) {
		a->applied_line = a->last_line;
		a->pos = a->last_pos;
	}
	a->counts.added += a->slice_counts.added;
	a->counts.updated += a->slice_counts.updated;
	a->counts.unchanged += a->slice_counts.unchanged;
	a->counts.badges += a->slice_counts.badges;
	/* Committed: subscribers hear of every change, in order, read back from the store. */
	store_event_list(s, first, 0, publish_cb, a->core);
	if (r == 0)
		apply_done(a);
	return 0;
}

void ops_import_stop(struct core *c)
{
	struct import_apply *a = core_import(c);

	if (a)
		apply_stop(a, -ECANCELED);
}

static int op_import_commit(struct ctl_request *req, json_t **ret)
{
	struct import_session *sess = session_of(req);
	struct import_apply *a;
	struct core *c;
	int r;

	if (!sess)
		return -1;
	c = sess->core;
	if (sess->dry_run) {
		*ret = json_pack("{s:b,s:I,s:I}", "committed", false, "rows",
				 (json_int_t)sess->rows, "bad", (json_int_t)sess->bad);
		json_object_update_new(*ret, counts_json(&sess->counts));
		ctl_conn_detach(req->conn, session_free);
		return 0;
	}
	if (sess->bad) {
		r = ctl_fail(req, "invalid_argument",
			     "%lld of %lld rows are bad; nothing committed", (long long)sess->bad,
			     (long long)sess->rows);
		ctl_conn_detach(req->conn, session_free);
		return r;
	}
	/* Another import applying: this one may try again when it is done (the session stays). */
	if (ops_import_gate(req, c) < 0)
		return -1;
	if (core_events_queued(c))
		return ctl_fail(
		    req, "unavailable",
		    "storage is failing; changes are refused until buffered events are stored");
	/*
	 * Every change to people, badges and levels is an event of its family:
	 * none since the import began means the rows are as they were checked.
	 */
	r = store_event_list(core_store(c), sess->since_seq, 0, admin_change_cb, NULL);
	if (r < 0)
		return ops_store_error(req, r, "import");
	a = calloc(1, sizeof(*a));
	if (!a)
		return ctl_fail(req, "internal", "out of memory");
	a->core = c;
	a->recheck = a->checking = r == 1;
	snprintf(a->operator_id, sizeof(a->operator_id), "%s", req->operator_id);
	r = sd_event_add_defer(ctl_request_loop(req), &a->slicer, on_slice, a);
	/* Below every other source: whatever the loop has pending goes first. */
	if (r >= 0)
		r = sd_event_source_set_priority(a->slicer, SD_EVENT_PRIORITY_IDLE);
	/* Every turn of the loop until the last slice (a defer source is one-shot by default). */
	if (r >= 0)
		r = sd_event_source_set_enabled(a->slicer, SD_EVENT_ON);
	if (r >= 0 && !(a->reply = ctl_defer(req)))
		r = -ENOMEM;
	if (r < 0) {
		sd_event_source_disable_unref(a->slicer);
		free(a);
		return ctl_fail(req, "internal", "cannot start the import: %s", strerror(-r));
	}
	/* Ours from now on: the rows are applied even if the client leaves. */
	a->sess = ctl_conn_take(req->conn, session_free);
	core_set_import(c, a);
	/* One count checkpoint for the import's events, not one per checkpoint_events. */
	audit_batch_begin(core_audit(c));
	return 0;
}

static int op_import_abort(struct ctl_request *req, json_t **ret)
{
	bool had = req->conn && ctl_conn_attached(req->conn, session_free);

	if (had)
		ctl_conn_detach(req->conn, session_free);
	*ret = json_pack("{s:b}", "aborted", had);
	return 0;
}

/* ---- export ---- */

static int export_cred_cb(const struct credential *cr, void *userdata)
{
	/* Badges that still open, or may again: revoked and returned ones are history. */
	if (strcmp(cr->status, "revoked") != 0 && strcmp(cr->status, "returned") != 0)
		return json_array_append_new(userdata, json_string(cr->id));
	return 0;
}

struct export_page {
	struct store *s;
	json_t *rows;
	size_t seen; /* persons walked, terminated ones too */
	char last[AEOGATE_ID_MAX + 1];
	int error;
};

static int export_person_cb(const struct person *p, void *userdata)
{
	struct export_page *ep = userdata;
	json_t *o, *creds;
	int r;

	snprintf(ep->last, sizeof(ep->last), "%s", p->id);
	ep->seen++;
	/* A leaver's record is final: it is not the HR system's to edit. */
	if (!strcmp(p->status, "terminated"))
		return 0;
	o = ops_person_json(ep->s, p);
	creds = json_array();
	r = store_credential_list(ep->s, p->id, export_cred_cb, creds);
	if (r < 0) {
		json_decref(o);
		json_decref(creds);
		return ep->error = r;
	}
	json_object_set_new(o, "credentials", creds);
	json_object_set_new(o, "vetting", ops_vetting_or_null(ep->s, p->id));
	return json_array_append_new(ep->rows, o);
}

/*
 * person.export: a page of persons (not terminated) in the CSV's terms:
 * the person, their live badges and vetting. Paged by id like
 * person.list; "next" is the id to go on after, null at the end (a page
 * may be empty and not the end: its persons were all terminated).
 */
static int op_person_export(struct ctl_request *req, json_t **ret)
{
	struct core *c = req->userdata;
	struct export_page ep = {.s = core_store(c)};
	const char *after = NULL;
	int64_t limit = AEOGATE_ROWS_PER_PAGE;
	int r;

	if (ctl_arg_id(req, "after", false, &after) < 0 ||
	    ctl_arg_int(req, "limit", false, 1, AEOGATE_ROWS_PER_PAGE, &limit) < 0)
		return -1;
	ep.rows = json_array();
	r = store_person_list(ep.s, after, (size_t)limit, export_person_cb, &ep);
	if (r < 0 || ep.error < 0) {
		json_decref(ep.rows);
		return ops_store_error(req, ep.error < 0 ? ep.error : r, "person export");
	}
	*ret = json_pack("{s:o,s:o}", "rows", ep.rows, "next",
			 ep.seen == (size_t)limit ? json_string(ep.last) : json_null());
	return 0;
}

const struct ctl_op ops_import[] = {
    {"person.import_begin", ROLES_MANAGE, op_import_begin},
    {"person.import_rows", ROLES_MANAGE, op_import_rows},
    {"person.import_commit", ROLES_MANAGE, op_import_commit},
    {"person.import_abort", ROLES_MANAGE, op_import_abort},
    {"person.export", ROLES_MANAGE, op_person_export},
    {NULL, 0, NULL},
};
