// SPDX-License-Identifier: MIT
/*
 * aeogatectl person import FILE.csv [--dry-run] and person export FILE.csv
 * (README "Bulk enrolment").
 *
 * import reads the file as a stream (csvio.h, libcsv) and hands its rows
 * to aeogated in batches of one import session (controller/api/ops_import.c):
 * aeogated checks each batch against the site's records and the rows
 * before it and keeps the rows outside the site's database; the commit
 * applies them, in slices between badge reads, or nothing when a row is
 * bad. Here only the file's shape is checked (header, columns per row,
 * UTF-8); every value is the controller's to judge. Memory stays that of
 * one batch, whatever the file's size.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "csvio.h"
#include "ctl.h"
#include "people_csv.h"
#include "util.h"

/*
 * Bytes of rows in one person.import_rows request: what is left of the
 * message bound (AEOGATE_MSG_MAX) after the envelope, with a margin.
 */
#define IMPORT_BATCH_BYTES (AEOGATE_MSG_MAX - 4096)

/* Read from the file at a time. */
#define IMPORT_READ_BYTES (64 * 1024)

/*
 * How long the commit may take to answer: aeogated applies the rows in
 * slices between badge reads, about 5 s for the largest import
 * (AEOGATE_IMPORT_ROWS_MAX) on an idle reference machine; this leaves room
 * for a site whose loop is very busy, and still ends a wait on a daemon
 * that hangs.
 */
#define IMPORT_COMMIT_TIMEOUT_MS (10 * 60 * 1000)

struct import_run {
	struct ctl_ctx *ctx;
	const char *file;
	bool dry_run;
	bool header_done;
	int col_of[CSVIO_FIELDS_KEPT]; /* the column of each header field */
	size_t n_header;
	unsigned columns;
	json_t *batch; /* rows to send */
	size_t batch_bytes;
	int64_t rows;	   /* rows read after the header */
	int64_t bad_local; /* rows refused here (the file's shape) */
	int64_t bad;	   /* rows refused by aeogated */
	int exit;	   /* set when the run stops early: the exit code */
	/* Progress, on a terminal only. */
	bool tty;
	bool shown; /* a progress line is on the terminal */
	int64_t last_progress_ms;
	long long size, fed;
};

/* Erases the progress line, if one is shown (the next tick draws it again). */
static void progress_end(struct import_run *ir)
{
	if (ir->shown)
		fputs("\r\033[K", stderr);
	ir->shown = false;
}

/* FILE:LINE: column: reason, on stderr. */
static void row_error(struct import_run *ir, int64_t line, const char *column, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void row_error(struct import_run *ir, int64_t line, const char *column, const char *fmt, ...)
{
	va_list ap;

	progress_end(ir);
	fprintf(stderr, "%s:%lld: %s: ", ir->file, (long long)line, column);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void progress(struct import_run *ir, bool force)
{
	int64_t now;

	if (!ir->tty)
		return;
	now = mono_ms();
	if (!force && now - ir->last_progress_ms < 1000)
		return;
	ir->last_progress_ms = now;
	ir->shown = true;
	fprintf(stderr, "\r\033[K%s: %lld rows read, %lld bad (%lld%%)", ir->file,
		(long long)ir->rows, (long long)(ir->bad + ir->bad_local),
		ir->size > 0 ? ir->fed * 100 / ir->size : 100LL);
	fflush(stderr);
}

/* While the commit applies the rows: the time it has taken so far. */
static void progress_applying(void *userdata)
{
	struct import_run *ir = userdata;

	if (!ir->tty)
		return;
	ir->shown = true;
	fprintf(stderr, "\r\033[K%s: %lld rows checked; applying them (%llds)", ir->file,
		(long long)ir->rows, (long long)((mono_ms() - ir->last_progress_ms) / 1000));
	fflush(stderr);
}

static int header(struct import_run *ir, const struct csvio_record *rec)
{
	char names[256] = "";
	json_t *cols, *args, *res;
	bool bad = false;
	int r;

	for (int i = 0; i < _PEOPLE_COL_MAX; i++)
		snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s", i ? "," : "",
			 people_csv_column_name(i));
	if (rec->n_fields > CSVIO_FIELDS_KEPT) {
		row_error(ir, rec->line, "header", "%zu columns; the columns are %s", rec->n_fields,
			  names);
		return ir->exit = CTL_EXIT_FAIL;
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
		ir->col_of[i] = col;
		if (!f->len) {
			row_error(ir, rec->line, "header", "column %zu has no name", i + 1);
			bad = true;
		} else if (col < 0) {
			row_error(ir, rec->line, "header",
				  "'%.64s' is not a column; the columns are %s", f->data, names);
			bad = true;
		} else if (ir->columns & (1u << col)) {
			row_error(ir, rec->line, people_csv_column_name(col), "named twice");
			bad = true;
		}
		if (col >= 0)
			ir->columns |= 1u << col;
	}
	for (int col = 0; col < _PEOPLE_COL_MAX; col++)
		if (people_csv_column_required(col) && !(ir->columns & (1u << col))) {
			row_error(ir, rec->line, people_csv_column_name(col),
				  "required column missing (the header must name id and name)");
			bad = true;
		}
	if (bad)
		return ir->exit = CTL_EXIT_FAIL;
	ir->n_header = rec->n_kept;
	ir->header_done = true;

	cols = json_array();
	for (size_t i = 0; i < ir->n_header; i++)
		json_array_append_new(cols, json_string(people_csv_column_name(ir->col_of[i])));
	args = json_pack("{s:o,s:b}", "columns", cols, "dry_run", ir->dry_run);
	r = ctl_call(ir->ctx, "person.import_begin", args, &res);
	if (r)
		return ir->exit = r;
	json_decref(res);
	return 0;
}

static int flush(struct import_run *ir)
{
	json_t *res, *errors, *e;
	size_t i;
	int r;

	if (!json_array_size(ir->batch))
		return 0;
	r = ctl_call(ir->ctx, "person.import_rows", json_pack("{s:O}", "rows", ir->batch), &res);
	json_array_clear(ir->batch);
	ir->batch_bytes = 0;
	if (r)
		return ir->exit = r;
	errors = json_object_get(res, "errors");
	json_array_foreach(errors, i, e)
	{
		row_error(ir, json_integer_value(json_object_get(e, "line")),
			  json_string_value(json_object_get(e, "column")) ?: "?", "%s",
			  json_string_value(json_object_get(e, "reason")) ?: "?");
	}
	ir->bad += json_integer_value(json_object_get(res, "bad"));
	json_decref(res);
	progress(ir, false);
	return 0;
}

static int on_record(void *userdata, const struct csvio_record *rec)
{
	struct import_run *ir = userdata;
	bool bad = false;
	json_t *row;
	size_t n;

	if (!ir->header_done)
		return header(ir, rec);
	ir->rows++;
	if (rec->n_fields > ir->n_header) {
		row_error(ir, rec->line, "row", "too many columns: %zu, the header has %zu",
			  rec->n_fields, ir->n_header);
		ir->bad_local++;
		return 0;
	}
	if (rec->n_fields < ir->n_header) {
		row_error(ir, rec->line, people_csv_column_name(ir->col_of[rec->n_fields]),
			  "missing: the row has %zu columns, the header %zu", rec->n_fields,
			  ir->n_header);
		ir->bad_local++;
		return 0;
	}
	row = json_pack("{s:I}", "line", (json_int_t)rec->line);
	for (size_t i = 0; i < rec->n_kept; i++) {
		const struct csvio_field *f = &rec->fields[i];
		const char *col = people_csv_column_name(ir->col_of[i]);
		json_t *v;

		if (memchr(f->data, '\0', f->len)) {
			row_error(ir, rec->line, col, "contains a NUL byte");
			bad = true;
			continue;
		}
		/* jansson takes only valid UTF-8: the check is its own. */
		v = json_stringn(f->data, f->len);
		if (!v) {
			row_error(ir, rec->line, col, "not valid UTF-8");
			bad = true;
			continue;
		}
		json_object_set_new(row, col, v);
	}
	n = bad ? 0 : json_dumpb(row, NULL, 0, JSON_COMPACT);
	if (!bad && n + 1 > IMPORT_BATCH_BYTES) {
		row_error(ir, rec->line, "row", "%zu bytes, more than a row can hold", n);
		bad = true;
	}
	if (bad) {
		json_decref(row);
		ir->bad_local++;
		return 0;
	}
	if (ir->batch_bytes + n + 1 > IMPORT_BATCH_BYTES ||
	    json_array_size(ir->batch) == AEOGATE_IMPORT_BATCH_ROWS) {
		int r = flush(ir);

		if (r) {
			json_decref(row);
			return r;
		}
	}
	json_array_append_new(ir->batch, row);
	ir->batch_bytes += n + 1;
	return 0;
}

/* Reads the whole file through the reader; 0, or the exit code. */
static int read_file(struct import_run *ir, FILE *f)
{
	struct csvio_reader *rd;
	char *buf = malloc(IMPORT_READ_BYTES);
	size_t n;
	int r;

	if (!buf || csvio_reader_new(on_record, ir, &rd) < 0) {
		free(buf);
		return ctl_fail("out of memory");
	}
	r = 0;
	while (r == 0 && (n = fread(buf, 1, IMPORT_READ_BYTES, f)) > 0) {
		ir->fed += (long long)n;
		r = csvio_reader_feed(rd, buf, n);
	}
	if (r == 0 && ferror(f))
		r = -EIO;
	if (r == 0)
		r = csvio_reader_finish(rd);
	if (r < 0) {
		switch (r) {
		case -EBADMSG:
			row_error(ir, csvio_reader_line(rd), "row",
				  "not RFC 4180 CSV (a quote inside a field must be doubled and "
				  "the field quoted, and nothing may follow a closing quote)");
			break;
		case -EMSGSIZE:
			row_error(ir, csvio_reader_line(rd), "row",
				  "a field longer than %d bytes: this is not a people file",
				  AEOGATE_IMPORT_FIELD_MAX);
			break;
		case -EIO:
			ctl_fail("cannot read %s: %s", ir->file, strerror(errno));
			break;
		default:
			ctl_fail("%s: %s", ir->file, strerror(-r));
		}
		r = CTL_EXIT_FAIL;
	} else if (r > 0 || ir->exit) {
		r = ir->exit ? ir->exit : r;
	}
	csvio_reader_free(rd);
	free(buf);
	return r;
}

static void print_summary(const json_t *res, bool dry_run)
{
	printf("added %lld, updated %lld, unchanged %lld, badges %lld%s\n",
	       (long long)json_integer_value(json_object_get(res, "added")),
	       (long long)json_integer_value(json_object_get(res, "updated")),
	       (long long)json_integer_value(json_object_get(res, "unchanged")),
	       (long long)json_integer_value(json_object_get(res, "badges")),
	       dry_run ? " (dry run: nothing committed)" : "");
}

int cmd_person_import(struct ctl_ctx *ctx, int argc, char **argv)
{
	enum { DRY_RUN };
	static const struct ctl_opt opts[] = {
	    [DRY_RUN] = {"dry-run", CTL_OPT_FLAG},
	    {0},
	};
	struct ctl_parsed o = {0};
	struct import_run ir = {.ctx = ctx};
	json_t *res = NULL;
	struct stat st;
	FILE *f;
	int r;

	r = ctl_parse(ctx, argc, argv, opts, 1, "expected one FILE.csv", &o);
	if (r >= 0)
		return r;
	ir.file = o.operands[0];
	ir.dry_run = o.set[DRY_RUN];
	f = fopen(ir.file, "re");
	if (!f)
		return ctl_fail("cannot open %s: %s", ir.file, strerror(errno));
	if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode))
		ir.size = (long long)st.st_size;
	ir.tty = isatty(STDERR_FILENO);
	ir.batch = json_array();
	if (!ir.batch) {
		fclose(f);
		return ctl_fail("out of memory");
	}
	r = read_file(&ir, f);
	fclose(f);
	if (r == 0 && !ir.header_done)
		r = ctl_fail("%s: empty file: a header row is required (id,name,...)", ir.file);
	if (r == 0)
		r = flush(&ir);
	progress_end(&ir);
	if (r == 0 && ir.rows == 0)
		r = ctl_fail("%s: no rows after the header; nothing to import", ir.file);
	json_decref(ir.batch);
	if (r == 0 && (ir.dry_run || ir.bad + ir.bad_local == 0)) {
		ir.last_progress_ms = mono_ms();
		r = ctl_call_wait(ctx, "person.import_commit", NULL, IMPORT_COMMIT_TIMEOUT_MS,
				  progress_applying, &ir, &res);
		progress_end(&ir);
	}
	if (r == 0 && res) {
		print_summary(res, ir.dry_run);
		json_decref(res);
	}
	if (r == 0 && ir.bad + ir.bad_local) {
		if (!ir.dry_run && ctl_call(ctx, "person.import_abort", NULL, &res) == 0)
			json_decref(res);
		r = ctl_fail("%s: %lld of %lld rows are bad; nothing committed", ir.file,
			     (long long)(ir.bad + ir.bad_local), (long long)ir.rows);
	}
	/* Any other way out leaves the session to the connection's end: aeogated drops it. */
	return r;
}

/* ---- export ---- */

/* A time as the file gives it: the date alone at midnight UTC, else the full time. */
static void cell_time(const json_t *v, char *buf, size_t len)
{
	int64_t ms;

	buf[0] = '\0';
	if (!json_is_string(v) || time_parse_ms(json_string_value(v), &ms) < 0)
		return;
	time_format_ms(ms, buf, len);
	if (ms % (24LL * 3600 * 1000) == 0 && len > 10)
		buf[10] = '\0';
}

/* The items of an array of strings, joined by the list separator. */
static char *cell_list(const json_t *arr)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	const json_t *v;
	size_t i;

	if (!m)
		return NULL;
	json_array_foreach(arr, i, v)
	{
		if (i)
			fputc(PEOPLE_CSV_LIST_SEP, m);
		fputs(json_string_value(v) ?: "", m);
	}
	if (fclose(m) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

static int export_row(FILE *f, const json_t *p)
{
	const json_t *vet = json_object_get(p, "vetting");
	char from[32], until[32], checked[32] = "", due[32] = "";
	char *levels = cell_list(json_object_get(p, "levels"));
	char *creds = cell_list(json_object_get(p, "credentials"));
	const char *cells[_PEOPLE_COL_MAX];
	int r = 0;

	if (!levels || !creds) {
		free(levels);
		free(creds);
		return -ENOMEM;
	}
	cell_time(json_object_get(p, "valid_from"), from, sizeof(from));
	cell_time(json_object_get(p, "valid_until"), until, sizeof(until));
	cells[PEOPLE_COL_ID] = json_string_value(json_object_get(p, "id"));
	cells[PEOPLE_COL_NAME] = json_string_value(json_object_get(p, "name"));
	cells[PEOPLE_COL_VALID_FROM] = from;
	cells[PEOPLE_COL_VALID_UNTIL] = until;
	cells[PEOPLE_COL_LEVELS] = levels;
	cells[PEOPLE_COL_CREDENTIALS] = creds;
	cells[PEOPLE_COL_VETTING_STATUS] = json_string_value(json_object_get(vet, "status"));
	cell_time(json_object_get(vet, "checked"), checked, sizeof(checked));
	cell_time(json_object_get(vet, "recheck_due"), due, sizeof(due));
	cells[PEOPLE_COL_VETTING_CHECKED] = checked;
	cells[PEOPLE_COL_VETTING_RECHECK_DUE] = due;
	cells[PEOPLE_COL_VETTING_REFERENCE] = json_string_value(json_object_get(vet, "reference"));
	for (int i = 0; r == 0 && i < _PEOPLE_COL_MAX; i++)
		r = csvio_write_field(f, cells[i], i == _PEOPLE_COL_MAX - 1);
	free(levels);
	free(creds);
	return r;
}

int cmd_person_export(struct ctl_ctx *ctx, int argc, char **argv)
{
	static const struct ctl_opt opts[] = {{0}};
	char after[AEOGATE_ID_MAX + 1] = "";
	struct ctl_parsed o = {0};
	long long n = 0;
	const char *file;
	FILE *f;
	int r;

	r = ctl_parse(ctx, argc, argv, opts, 1, "expected one FILE.csv", &o);
	if (r >= 0)
		return r;
	file = o.operands[0];
	/* Connect first: no file is left behind when aeogated cannot be reached. */
	if ((r = ctl_connect(ctx)))
		return r;
	f = fopen(file, "we");
	if (!f)
		return ctl_fail("cannot write %s: %s", file, strerror(errno));
	for (int i = 0; r == 0 && i < _PEOPLE_COL_MAX; i++)
		r = csvio_write_field(f, people_csv_column_name(i), i == _PEOPLE_COL_MAX - 1);
	for (;;) {
		json_t *args, *page, *rows, *row, *next;
		size_t i;

		if (r < 0)
			break;
		args = json_pack("{s:I}", "limit", (json_int_t)CTL_PAGE_ROWS);
		if (after[0])
			json_object_set_new(args, "after", json_string(after));
		r = ctl_call(ctx, "person.export", args, &page);
		if (r) {
			fclose(f);
			return r;
		}
		rows = json_object_get(page, "rows");
		next = json_object_get(page, "next");
		json_array_foreach(rows, i, row)
		{
			if (r == 0)
				r = export_row(f, row);
			n++;
		}
		/* A page that does not move forward ends the walk: a confused daemon cannot loop
		 * us. */
		if (r < 0 || !json_is_string(next) ||
		    strlen(json_string_value(next)) > AEOGATE_ID_MAX ||
		    strcmp(json_string_value(next), after) <= 0) {
			json_decref(page);
			break;
		}
		snprintf(after, sizeof(after), "%s", json_string_value(next));
		json_decref(page);
	}
	if (fclose(f) != 0 && r == 0)
		r = -EIO;
	if (r < 0)
		return ctl_fail("cannot write %s: %s", file, strerror(-r));
	printf("%s: %lld persons\n", file, n);
	return CTL_EXIT_OK;
}
