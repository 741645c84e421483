// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aeogate/limits.h"
#include "csvio.h"
#include "people_csv.h"
#include "people_import.h"

/*
 * Bytes of rows in one person.import_rows request: what is left of the
 * message bound (AEOGATE_MSG_MAX) after the envelope, with a margin.
 */
#define IMPORT_BATCH_BYTES (AEOGATE_MSG_MAX - 4096)

/* A batch of rows ready to send, in the file's order. */
struct batch {
	struct batch *next;
	json_t *rows;
};

enum step {
	STEP_HEADER, /* the header is being read */
	STEP_BEGIN,  /* person.import_begin is due */
	STEP_ROWS,   /* batches go out as they fill */
	STEP_END,    /* the commit or the abort is due */
	STEP_WAIT,   /* the commit or the abort was handed out */
	STEP_DONE,
};

struct people_import {
	struct csvio_reader *rd;
	people_import_error_fn fn;
	void *userdata;
	bool dry_run;
	enum step step;
	bool finished;		       /* the file ended */
	bool refused;		       /* the file as a whole (header, shape): nothing goes on */
	int col_of[CSVIO_FIELDS_KEPT]; /* the column of each header field */
	size_t n_header;
	unsigned columns;
	json_t *batch; /* the rows being gathered */
	size_t batch_bytes;
	struct batch *ready, **ready_tail;
	const char *sent; /* the op handed out last */
	int64_t rows, bad_local, bad;
	json_t *result;
};

static void report(struct people_import *pi, int64_t line, const char *column, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void report(struct people_import *pi, int64_t line, const char *column, const char *fmt, ...)
{
	char reason[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	pi->fn(pi->userdata, line, column, reason);
}

int people_import_new(bool dry_run, people_import_error_fn fn, void *userdata,
		      struct people_import **ret)
{
	struct people_import *pi = calloc(1, sizeof(*pi));

	if (!pi)
		return -ENOMEM;
	pi->fn = fn;
	pi->userdata = userdata;
	pi->dry_run = dry_run;
	pi->ready_tail = &pi->ready;
	pi->batch = json_array();
	if (!pi->batch) {
		free(pi);
		return -ENOMEM;
	}
	*ret = pi;
	return 0;
}

void people_import_free(struct people_import *pi)
{
	if (!pi)
		return;
	while (pi->ready) {
		struct batch *b = pi->ready;

		pi->ready = b->next;
		json_decref(b->rows);
		free(b);
	}
	csvio_reader_free(pi->rd);
	json_decref(pi->batch);
	json_decref(pi->result);
	free(pi);
}

static int header(struct people_import *pi, const struct csvio_record *rec)
{
	char names[256] = "";
	bool bad = false;

	for (int i = 0; i < _PEOPLE_COL_MAX; i++)
		snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s", i ? "," : "",
			 people_csv_column_name(i));
	if (rec->n_fields > CSVIO_FIELDS_KEPT) {
		report(pi, rec->line, "header", "%zu columns; the columns are %s", rec->n_fields,
		       names);
		pi->refused = true;
		return -EBADMSG;
	}
	for (size_t i = 0; i < rec->n_kept; i++) {
		const struct csvio_field *f = &rec->fields[i];
		char name[32];
		int col;

		snprintf(name, sizeof(name), "%s", f->data);
		for (char *p = name; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');
		col = f->len < sizeof(name) && strlen(f->data) == f->len ? people_csv_column(name)
									 : -1;
		pi->col_of[i] = col;
		if (!f->len) {
			report(pi, rec->line, "header", "column %zu has no name", i + 1);
			bad = true;
		} else if (col < 0) {
			report(pi, rec->line, "header",
			       "'%.64s' is not a column; the columns are %s", f->data, names);
			bad = true;
		} else if (pi->columns & (1u << col)) {
			report(pi, rec->line, people_csv_column_name(col), "named twice");
			bad = true;
		}
		if (col >= 0)
			pi->columns |= 1u << col;
	}
	for (int col = 0; col < _PEOPLE_COL_MAX; col++)
		if (people_csv_column_required(col) && !(pi->columns & (1u << col))) {
			report(pi, rec->line, people_csv_column_name(col),
			       "required column missing (the header must name id and name)");
			bad = true;
		}
	if (bad) {
		pi->refused = true;
		return -EBADMSG;
	}
	pi->n_header = rec->n_kept;
	pi->step = STEP_BEGIN;
	return 0;
}

/* The rows gathered so far become a batch to send. */
static int seal_batch(struct people_import *pi)
{
	struct batch *b;

	if (!json_array_size(pi->batch))
		return 0;
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->rows = pi->batch;
	pi->batch = json_array();
	if (!pi->batch) {
		pi->batch = b->rows;
		free(b);
		return -ENOMEM;
	}
	pi->batch_bytes = 0;
	*pi->ready_tail = b;
	pi->ready_tail = &b->next;
	return 0;
}

static int on_record(void *userdata, const struct csvio_record *rec)
{
	struct people_import *pi = userdata;
	bool bad = false;
	json_t *row;
	size_t n;

	if (pi->step == STEP_HEADER)
		return header(pi, rec);
	pi->rows++;
	if (rec->n_fields > pi->n_header) {
		report(pi, rec->line, "row", "too many columns: %zu, the header has %zu",
		       rec->n_fields, pi->n_header);
		pi->bad_local++;
		return 0;
	}
	if (rec->n_fields < pi->n_header) {
		report(pi, rec->line, people_csv_column_name(pi->col_of[rec->n_fields]),
		       "missing: the row has %zu columns, the header %zu", rec->n_fields,
		       pi->n_header);
		pi->bad_local++;
		return 0;
	}
	row = json_pack("{s:I}", "line", (json_int_t)rec->line);
	if (!row)
		return -ENOMEM;
	for (size_t i = 0; i < rec->n_kept; i++) {
		const struct csvio_field *f = &rec->fields[i];
		const char *col = people_csv_column_name(pi->col_of[i]);
		json_t *v;

		if (memchr(f->data, '\0', f->len)) {
			report(pi, rec->line, col, "contains a NUL byte");
			bad = true;
			continue;
		}
		/* jansson takes only valid UTF-8: the check is its own. */
		v = json_stringn(f->data, f->len);
		if (!v) {
			report(pi, rec->line, col, "not valid UTF-8");
			bad = true;
			continue;
		}
		json_object_set_new(row, col, v);
	}
	n = bad ? 0 : json_dumpb(row, NULL, 0, JSON_COMPACT);
	if (!bad && n + 1 > IMPORT_BATCH_BYTES) {
		report(pi, rec->line, "row", "%zu bytes, more than a row can hold", n);
		bad = true;
	}
	if (bad) {
		json_decref(row);
		pi->bad_local++;
		return 0;
	}
	if (pi->batch_bytes + n + 1 > IMPORT_BATCH_BYTES ||
	    json_array_size(pi->batch) == AEOGATE_IMPORT_BATCH_ROWS) {
		int r = seal_batch(pi);

		if (r < 0) {
			json_decref(row);
			return r;
		}
	}
	json_array_append_new(pi->batch, row);
	pi->batch_bytes += n + 1;
	return 0;
}

/* A reader's error: reported once, as a refusal of the file. */
static int reader_error(struct people_import *pi, int r)
{
	if (r == -ENOMEM)
		return r;
	if (!pi->refused) {
		pi->refused = true;
		if (r == -EMSGSIZE)
			report(pi, csvio_reader_line(pi->rd), "row",
			       "a field longer than %d bytes: this is not a people file",
			       AEOGATE_IMPORT_FIELD_MAX);
		else
			report(pi, csvio_reader_line(pi->rd), "row",
			       "not RFC 4180 CSV (a quote inside a field must be doubled and the "
			       "field quoted, and nothing may follow a closing quote)");
	}
	return -EBADMSG;
}

int people_import_feed(struct people_import *pi, const void *buf, size_t len)
{
	int r;

	if (pi->refused)
		return -EBADMSG;
	if (pi->finished)
		return -EINVAL;
	if (!pi->rd && (r = csvio_reader_new(on_record, pi, &pi->rd)) < 0)
		return r;
	r = csvio_reader_feed(pi->rd, buf, len);
	return r < 0 ? reader_error(pi, r) : 0;
}

int people_import_finish(struct people_import *pi)
{
	int r;

	if (pi->refused)
		return -EBADMSG;
	if (pi->finished)
		return 0;
	if (!pi->rd && (r = csvio_reader_new(on_record, pi, &pi->rd)) < 0)
		return r;
	r = csvio_reader_finish(pi->rd);
	if (r < 0)
		return reader_error(pi, r);
	if (pi->step == STEP_HEADER)
		return -ENODATA;
	r = seal_batch(pi);
	if (r < 0)
		return r;
	pi->finished = true;
	return 0;
}

int people_import_next(struct people_import *pi, const char **ret_op, json_t **ret_args)
{
	json_t *cols;

	if (pi->refused || pi->sent)
		return 0;
	switch (pi->step) {
	case STEP_BEGIN:
		cols = json_array();
		for (size_t i = 0; cols && i < pi->n_header; i++)
			json_array_append_new(cols,
					      json_string(people_csv_column_name(pi->col_of[i])));
		*ret_args = json_pack("{s:o,s:b}", "columns", cols, "dry_run", pi->dry_run);
		if (!*ret_args)
			return -ENOMEM;
		*ret_op = pi->sent = "person.import_begin";
		pi->step = STEP_ROWS;
		return 1;
	case STEP_ROWS:
		if (pi->ready) {
			struct batch *b = pi->ready;

			pi->ready = b->next;
			if (!pi->ready)
				pi->ready_tail = &pi->ready;
			*ret_args = json_pack("{s:o}", "rows", b->rows);
			free(b);
			if (!*ret_args)
				return -ENOMEM;
			*ret_op = pi->sent = "person.import_rows";
			return 1;
		}
		if (!pi->finished || pi->rows == 0)
			return 0;
		pi->step = STEP_END;
		/* fall through */
	case STEP_END:
		pi->step = STEP_WAIT;
		*ret_args = NULL;
		if (pi->dry_run || pi->bad + pi->bad_local == 0) {
			*ret_op = pi->sent = "person.import_commit";
			return 2;
		}
		*ret_op = pi->sent = "person.import_abort";
		return 1;
	default:
		return 0;
	}
}

int people_import_reply(struct people_import *pi, const json_t *result)
{
	const char *sent = pi->sent;
	const json_t *errors, *e;
	size_t i;

	pi->sent = NULL;
	if (!sent)
		return -EINVAL;
	if (!strcmp(sent, "person.import_rows")) {
		errors = json_object_get(result, "errors");
		if (!json_is_array(errors) || !json_is_integer(json_object_get(result, "bad")))
			return -EPROTO;
		json_array_foreach(errors, i, e)
		{
			pi->fn(pi->userdata, json_integer_value(json_object_get(e, "line")),
			       json_string_value(json_object_get(e, "column")) ?: "?",
			       json_string_value(json_object_get(e, "reason")) ?: "?");
		}
		pi->bad += json_integer_value(json_object_get(result, "bad"));
	} else if (!strcmp(sent, "person.import_commit")) {
		if (!json_is_object(result))
			return -EPROTO;
		json_decref(pi->result);
		pi->result = json_incref((json_t *)result);
		pi->step = STEP_DONE;
	} else if (!strcmp(sent, "person.import_abort")) {
		pi->step = STEP_DONE;
	}
	return 0;
}

int64_t people_import_rows(const struct people_import *pi)
{
	return pi->rows;
}

int64_t people_import_bad(const struct people_import *pi)
{
	return pi->bad + pi->bad_local;
}

bool people_import_dry_run(const struct people_import *pi)
{
	return pi->dry_run;
}

const json_t *people_import_result(const struct people_import *pi)
{
	return pi->result;
}
