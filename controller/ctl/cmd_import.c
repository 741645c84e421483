// SPDX-License-Identifier: MIT
/*
 * aeogatectl person import FILE.csv [--dry-run] and person export FILE.csv
 * (README "Bulk enrolment").
 *
 * import reads the file as a stream (people_import.h, on libcsv: the same
 * session the dashboard runs for POST /api/persons/import) and hands its rows
 * to aeogated in batches of one import session (controller/api/ops_import.c):
 * aeogated checks each batch against the site's records and the rows
 * before it and keeps the rows outside the site's database; the commit
 * applies them, in slices between badge reads, or nothing when a row is
 * bad. Here only the file's shape is checked (header, columns per row,
 * UTF-8); every value is the controller's to judge. Memory stays that of
 * one batch, whatever the file's size.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"
#include "people_export.h"
#include "people_import.h"
#include "util.h"

/* Read from the file at a time. */
#define IMPORT_READ_BYTES (64 * 1024)

struct import_run {
	struct ctl_ctx *ctx;
	const char *file;
	struct people_import *pi;
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

/* FILE:LINE: column: reason, on stderr (people_import_error_fn). */
static void row_error(void *userdata, int64_t line, const char *column, const char *reason)
{
	struct import_run *ir = userdata;

	progress_end(ir);
	fprintf(stderr, "%s:%lld: %s: %s\n", ir->file, (long long)line, column, reason);
}

static void progress(struct import_run *ir, bool force)
{
	int64_t now;

	if (!ir->tty)
		return;
	now = now_mono_ms();
	if (!force && now - ir->last_progress_ms < 1000)
		return;
	ir->last_progress_ms = now;
	ir->shown = true;
	fprintf(stderr, "\r\033[K%s: %lld rows read, %lld bad (%lld%%)", ir->file,
		(long long)people_import_rows(ir->pi), (long long)people_import_bad(ir->pi),
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
		(long long)people_import_rows(ir->pi),
		(long long)((now_mono_ms() - ir->last_progress_ms) / 1000));
	fflush(stderr);
}

/* Sends the requests the import has due, each answered before the next; 0 or the exit code. */
static int send_due(struct import_run *ir)
{
	const char *op;
	json_t *args, *res;
	int r;

	while ((r = people_import_next(ir->pi, &op, &args)) > 0) {
		if (r == 2) {
			ir->last_progress_ms = now_mono_ms();
			r = ctl_call_wait(ir->ctx, op, args, PEOPLE_IMPORT_COMMIT_TIMEOUT_MS,
					  progress_applying, ir, &res);
			progress_end(ir);
		} else {
			r = ctl_call(ir->ctx, op, args, &res);
		}
		if (r)
			return r;
		r = people_import_reply(ir->pi, res);
		json_decref(res);
		if (r < 0)
			return ctl_fail("the controller's reply to %s was malformed", op);
		progress(ir, false);
	}
	return r < 0 ? ctl_fail("out of memory") : 0;
}

/* Reads the whole file through the import, sending as it goes; 0, or the exit code. */
static int read_file(struct import_run *ir, FILE *f)
{
	char *buf = malloc(IMPORT_READ_BYTES);
	size_t n;
	int r = 0;

	if (!buf)
		return ctl_fail("out of memory");
	while (r == 0 && (n = fread(buf, 1, IMPORT_READ_BYTES, f)) > 0) {
		ir->fed += (long long)n;
		r = people_import_feed(ir->pi, buf, n);
		if (r == 0)
			r = send_due(ir);
	}
	free(buf);
	if (r == 0 && ferror(f))
		return ctl_fail("cannot read %s: %s", ir->file, strerror(errno));
	if (r == 0)
		r = people_import_finish(ir->pi);
	if (r == -ENODATA)
		return ctl_fail("%s: empty file: a header row is required (id,name,...)", ir->file);
	if (r == -EBADMSG)
		return CTL_EXIT_FAIL; /* its errors are on stderr */
	if (r < 0)
		return ctl_fail("%s: %s", ir->file, strerror(-r));
	return r ? r : send_due(ir);
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
	struct stat st;
	FILE *f;
	int r;

	r = ctl_parse(ctx, argc, argv, opts, 1, "expected one FILE.csv", &o);
	if (r >= 0)
		return r;
	ir.file = o.operands[0];
	f = fopen(ir.file, "re");
	if (!f)
		return ctl_fail("cannot open %s: %s", ir.file, strerror(errno));
	if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode))
		ir.size = (long long)st.st_size;
	ir.tty = isatty(STDERR_FILENO);
	if (people_import_new(o.set[DRY_RUN], row_error, &ir, &ir.pi) < 0) {
		fclose(f);
		return ctl_fail("out of memory");
	}
	r = read_file(&ir, f);
	fclose(f);
	progress_end(&ir);
	if (r == 0 && people_import_rows(ir.pi) == 0)
		r = ctl_fail("%s: no rows after the header; nothing to import", ir.file);
	if (r == 0 && people_import_result(ir.pi))
		print_summary(people_import_result(ir.pi), people_import_dry_run(ir.pi));
	if (r == 0 && people_import_bad(ir.pi))
		r = ctl_fail("%s: %lld of %lld rows are bad; nothing committed", ir.file,
			     (long long)people_import_bad(ir.pi),
			     (long long)people_import_rows(ir.pi));
	/* Any other way out leaves the session to the connection's end: aeogated drops it. */
	people_import_free(ir.pi);
	return r;
}

/* ---- export ---- */

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
	r = people_export_header(f);
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
				r = people_export_row(f, row);
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
