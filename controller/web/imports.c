/* SPDX-License-Identifier: MIT */
/*
 * The people CSV for the browser (README "Bulk enrolment", "Dashboard").
 *
 * POST /api/persons/import: the body (text/csv) is spooled to an anonymous
 * temporary file as it arrives, under AEOGATE_WEB_IMPORT_MAX, so memory
 * does not grow with the file. Once it is complete, the file is read back
 * through the same import session aeogatectl person import runs
 * (controller/lib/csv/people_import.h) on ONE control-socket connection,
 * with the user's session token: person.import_begin, person.import_rows
 * in batches, person.import_commit (or import_abort). The controller
 * checks the roles and every value; the reply gives the counts and the bad
 * rows as {line, column, reason}.
 *
 * GET /api/persons/export: person.export's pages, written with the
 * writer aeogatectl person export uses into an anonymous temporary file,
 * then sent as a download: the same bytes as the command's.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "people_export.h"
#include "people_import.h"
#include "web.h"

/* Bytes read back from the spooled file at a time: a few batches' worth. */
#define IMPORT_READ_BYTES (64 * 1024)

/* Created by wimport_new for one POST /api/persons/import, owned by that request. */
struct wimport {
	int fd; /* the spooled body */
	long long size;
	struct people_import *pi;
	bool asked;    /* a request was handed out: the next call brings its result */
	bool finished; /* the whole file went in (or it was refused) */
	int end;       /* people_import_finish's or _feed's refusal: -ENODATA, -EBADMSG */
	json_t *errors;
	long long errors_total;
	char *buf;
};

static unsigned n_imports;

/* A JSON string of text that may not be UTF-8 (a header cell quoted in a reason). */
static json_t *text_json(const char *s)
{
	json_t *v = json_string(s);
	char *copy;

	if (v)
		return v;
	copy = strdup(s);
	if (!copy)
		return NULL;
	for (char *p = copy; *p; p++)
		if ((unsigned char)*p >= 0x80)
			*p = '?';
	v = json_string(copy);
	free(copy);
	return v;
}

/* people_import_error_fn: the first bad rows are listed, all are counted. */
static void on_error(void *userdata, int64_t line, const char *column, const char *reason)
{
	struct wimport *x = userdata;

	x->errors_total++;
	if (json_array_size(x->errors) >= AEOGATE_WEB_IMPORT_ERRORS_MAX)
		return;
	json_array_append_new(x->errors,
			      json_pack("{s:I,s:o,s:o}", "line", (json_int_t)line, "column",
					text_json(column), "reason", text_json(reason)));
}

void wimport_free(struct wimport *x)
{
	if (!x)
		return;
	if (x->fd >= 0)
		close(x->fd);
	people_import_free(x->pi);
	json_decref(x->errors);
	free(x->buf);
	free(x);
	n_imports--;
}

int wimport_new(bool dry_run, struct wimport **ret)
{
	struct wimport *x;
	int r;

	if (n_imports >= AEOGATE_WEB_IMPORTS_MAX)
		return -EBUSY;
	x = calloc(1, sizeof(*x));
	if (!x)
		return -ENOMEM;
	n_imports++;
	x->fd = web_tmpfile("people");
	if (x->fd < 0) {
		r = x->fd;
		wimport_free(x);
		return r;
	}
	x->errors = json_array();
	x->buf = malloc(IMPORT_READ_BYTES);
	if (!x->errors || !x->buf || people_import_new(dry_run, on_error, x, &x->pi) < 0) {
		wimport_free(x);
		return -ENOMEM;
	}
	*ret = x;
	return 0;
}

int wimport_spool(struct wimport *x, const void *p, size_t n)
{
	const char *c = p;

	if (x->size + (long long)n > AEOGATE_WEB_IMPORT_MAX)
		return -EFBIG;
	while (n) {
		ssize_t w = write(x->fd, c, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -EIO;
		c += w;
		n -= (size_t)w;
		x->size += w;
	}
	return 0;
}

int wimport_start(struct wimport *x)
{
	if (x->size == 0)
		return -ENODATA;
	return lseek(x->fd, 0, SEEK_SET) < 0 ? -errno : 0;
}

int wimport_next(struct wimport *x, const json_t *result, const char **ret_op, json_t **ret_args)
{
	int r;

	if (x->asked && people_import_reply(x->pi, result) < 0)
		return -EPROTO;
	x->asked = false;
	for (;;) {
		ssize_t n;

		r = people_import_next(x->pi, ret_op, ret_args);
		x->asked = r > 0;
		if (r != 0 || x->finished)
			return r;
		/* A local file: one read is short, and it is what the next requests carry. */
		n = read(x->fd, x->buf, IMPORT_READ_BYTES);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -EIO;
		r = n ? people_import_feed(x->pi, x->buf, (size_t)n) : people_import_finish(x->pi);
		if (r == -ENOMEM)
			return r;
		if (r < 0 || n == 0) {
			x->finished = true;
			x->end = r;
		}
	}
}

json_t *wimport_reply(const struct wimport *x, unsigned *ret_status)
{
	const json_t *res = people_import_result(x->pi);
	long long rows = people_import_rows(x->pi), bad = people_import_bad(x->pi);
	bool dry_run = people_import_dry_run(x->pi);
	char message[256];
	json_t *out;

	if (x->end == -ENODATA)
		snprintf(message, sizeof(message),
			 "empty file: a header row is required (id,name,...)");
	else if (x->end < 0)
		snprintf(message, sizeof(message),
			 "the file cannot be read as a people file; "
			 "nothing committed");
	else if (rows == 0)
		snprintf(message, sizeof(message), "no rows after the header; nothing to import");
	else if (bad)
		snprintf(message, sizeof(message), "%lld of %lld rows are bad; nothing committed",
			 bad, rows);
	else if (res)
		snprintf(message, sizeof(message),
			 "added %lld, updated %lld, unchanged %lld, "
			 "badges %lld%s",
			 (long long)json_integer_value(json_object_get(res, "added")),
			 (long long)json_integer_value(json_object_get(res, "updated")),
			 (long long)json_integer_value(json_object_get(res, "unchanged")),
			 (long long)json_integer_value(json_object_get(res, "badges")),
			 dry_run ? " (dry run: nothing committed)" : "");
	else
		snprintf(message, sizeof(message), "the import ended without a commit");
	out = json_pack("{s:b,s:b,s:I,s:I,s:O,s:I,s:s}", "dry_run", dry_run, "committed",
			res && json_is_true(json_object_get(res, "committed")), "rows",
			(json_int_t)rows, "bad", (json_int_t)bad, "errors", x->errors,
			"errors_total", (json_int_t)x->errors_total, "message", message);
	if (out && res) {
		static const char *const counts[] = {"added", "updated", "unchanged", "badges"};

		for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++)
			json_object_set_new(
			    out, counts[i],
			    json_integer(json_integer_value(json_object_get(res, counts[i]))));
	}
	*ret_status = 200;
	if (out && (x->end < 0 || rows == 0 || bad || !res)) {
		/* Nothing went in: an error, with the whole account beside it. */
		*ret_status = 422;
		json_object_set_new(
		    out, "error",
		    json_pack("{s:s,s:s}", "code", "invalid_argument", "message", message));
	}
	return out;
}

/* ---- export ---- */

/* Created by wpeople_export_new for one GET /api/persons/export, owned by that request. */
struct wpeople_export {
	int fd;
	FILE *f;
	char after[AEOGATE_ID_MAX + 1];
	long long rows;
	bool asked;
};

void wpeople_export_free(struct wpeople_export *x)
{
	if (!x)
		return;
	if (x->f)
		fclose(x->f);
	if (x->fd >= 0)
		close(x->fd);
	free(x);
}

int wpeople_export_new(struct wpeople_export **ret)
{
	struct wpeople_export *x = calloc(1, sizeof(*x));
	int fd;

	if (!x)
		return -ENOMEM;
	x->fd = web_tmpfile("people");
	if (x->fd < 0) {
		int r = x->fd;

		free(x);
		return r;
	}
	fd = fcntl(x->fd, F_DUPFD_CLOEXEC, 0);
	x->f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!x->f) {
		if (fd >= 0)
			close(fd);
		wpeople_export_free(x);
		return -EIO;
	}
	if (people_export_header(x->f) < 0) {
		wpeople_export_free(x);
		return -EIO;
	}
	*ret = x;
	return 0;
}

int wpeople_export_next(struct wpeople_export *x, const json_t *result, const char **ret_op,
			json_t **ret_args)
{
	const json_t *rows, *row, *next;
	size_t i;
	int r;

	if (x->asked) {
		rows = json_object_get(result, "rows");
		next = json_object_get(result, "next");
		if (!json_is_array(rows))
			return -EPROTO;
		json_array_foreach(rows, i, row)
		{
			r = people_export_row(x->f, row);
			if (r < 0)
				return r;
			x->rows++;
		}
		if (ftello(x->f) > AEOGATE_WEB_EXPORT_FILE_MAX)
			return -EFBIG;
		/* A page that does not move forward ends the walk: a confused controller cannot
		 * loop us. */
		if (!json_is_string(next) || strlen(json_string_value(next)) > AEOGATE_ID_MAX ||
		    strcmp(json_string_value(next), x->after) <= 0) {
			if (fflush(x->f) != 0 || ferror(x->f))
				return -EIO;
			return 0;
		}
		snprintf(x->after, sizeof(x->after), "%s", json_string_value(next));
	}
	x->asked = true;
	*ret_args = json_pack("{s:I}", "limit", (json_int_t)AEOGATE_ROWS_PER_PAGE);
	if (x->after[0] && *ret_args)
		json_object_set_new(*ret_args, "after", json_string(x->after));
	*ret_op = "person.export";
	return *ret_args ? 1 : -ENOMEM;
}

int wpeople_export_open(struct wpeople_export *x, off_t *ret_size, char *name, size_t namelen)
{
	time_t now = time(NULL);
	char stamp[32];
	struct tm tm;
	off_t size;
	int fd;

	size = lseek(x->fd, 0, SEEK_END);
	if (size < 0)
		return -errno;
	fd = fcntl(x->fd, F_DUPFD_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	snprintf(name, namelen, "aeogate-people-%s.csv", stamp);
	*ret_size = size;
	return fd;
}
