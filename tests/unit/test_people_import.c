// SPDX-License-Identifier: MIT
/*
 * The people import session as the clients run it
 * (controller/lib/csv/people_import.c; aeogatectl person import and
 * aeogate-web's POST /api/persons/import): the requests it hands out, in
 * order, however the file is split into reads; batches that never pass the
 * row count or the message bound; the file's own errors as line, column,
 * reason; commit or abort; a refused file sends nothing more.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "aeogate/limits.h"
#include "people_import.h"

struct run {
	char errors[4096]; /* "LINE column: reason\n"... */
	size_t elen;
	char ops[4096]; /* "begin rows:N ... commit|abort" */
	size_t olen;
	int64_t rows_sent;
	size_t max_batch_bytes, max_batch_rows;
	int64_t controller_bad; /* the bad count each rows reply reports for its first row */
};

static void on_error(void *userdata, int64_t line, const char *column, const char *reason)
{
	struct run *r = userdata;

	r->elen += (size_t)snprintf(r->errors + r->elen, sizeof(r->errors) - r->elen,
				    "%lld %s: %s\n", (long long)line, column, reason);
}

/* Answers every request due as a controller would; 0 or a negative errno. */
static int answer(struct run *run, struct people_import *pi)
{
	const char *op;
	json_t *args, *res;
	int r;

	while ((r = people_import_next(pi, &op, &args)) > 0) {
		const char *shortop = strrchr(op, '_') ? strrchr(op, '_') + 1 : op;
		json_t *rows = json_object_get(args, "rows");

		if (rows) {
			size_t bytes = json_dumpb(args, NULL, 0, JSON_COMPACT);

			if (bytes > run->max_batch_bytes)
				run->max_batch_bytes = bytes;
			if (json_array_size(rows) > run->max_batch_rows)
				run->max_batch_rows = json_array_size(rows);
			run->rows_sent += (int64_t)json_array_size(rows);
			run->olen +=
			    (size_t)snprintf(run->ops + run->olen, sizeof(run->ops) - run->olen,
					     "rows:%zu ", json_array_size(rows));
			res = json_pack("{s:I,s:[]}", "bad", (json_int_t)run->controller_bad,
					"errors");
			if (run->controller_bad)
				json_array_append_new(
				    json_object_get(res, "errors"),
				    json_pack("{s:O,s:s,s:s}", "line",
					      json_object_get(json_array_get(rows, 0), "line"),
					      "column", "levels", "reason", "no level 'x'"));
			run->controller_bad = 0;
		} else {
			run->olen +=
			    (size_t)snprintf(run->ops + run->olen, sizeof(run->ops) - run->olen,
					     "%s%s ", shortop, r == 2 ? "(long)" : "");
			res = json_pack("{s:b,s:i,s:i,s:i,s:i}", "committed", 1, "added", 1,
					"updated", 0, "unchanged", 0, "badges", 0);
		}
		json_decref(args);
		assert_int_equal(people_import_reply(pi, res), 0);
		json_decref(res);
	}
	return r;
}

/* Runs a whole file fed in pieces of step bytes (0: at once); the finish result. */
static int run_file(struct run *run, const char *in, size_t len, size_t step, bool dry_run,
		    struct people_import **ret)
{
	struct people_import *pi;
	int r = 0;

	memset(run, 0, sizeof(*run));
	assert_int_equal(people_import_new(dry_run, on_error, run, &pi), 0);
	for (size_t off = 0; r == 0 && off < len;) {
		size_t n = step && len - off > step ? step : len - off;

		r = people_import_feed(pi, in + off, n);
		off += n;
		if (r == 0)
			assert_int_equal(answer(run, pi), 0);
	}
	if (r == 0)
		r = people_import_finish(pi);
	if (r == 0)
		assert_int_equal(answer(run, pi), 0);
	*ret = pi;
	return r;
}

static void test_same_requests_however_the_file_is_split(void **state)
{
	(void)state;
	static const char file[] = "\xef\xbb\xbfID,name,levels\r\nE1,\"Ann, A\",dock\r\n"
				   "E2,\"Bo\nBreak\",\r\nE3,Cy,dock;cage\r\n";
	struct run whole, piece;
	struct people_import *pi;

	assert_int_equal(run_file(&whole, file, sizeof(file) - 1, 0, false, &pi), 0);
	assert_string_equal(whole.ops, "begin rows:3 commit(long) ");
	assert_string_equal(whole.errors, "");
	assert_int_equal(people_import_rows(pi), 3);
	assert_int_equal(people_import_bad(pi), 0);
	assert_non_null(people_import_result(pi));
	people_import_free(pi);
	for (size_t step = 1; step < 12; step++) {
		assert_int_equal(run_file(&piece, file, sizeof(file) - 1, step, false, &pi), 0);
		assert_string_equal(piece.ops, whole.ops);
		people_import_free(pi);
	}
}

static void test_batches_stay_within_rows_and_bytes(void **state)
{
	(void)state;
	size_t cap = 2 * 1024 * 1024, len = 0;
	char *file = malloc(cap);
	struct run run;
	struct people_import *pi;

	len += (size_t)snprintf(file + len, cap - len, "id,name\n");
	/* Short rows: the row count bounds a batch. */
	for (int i = 0; i < 1200; i++)
		len += (size_t)snprintf(file + len, cap - len, "S%d,n\n", i);
	/* Long rows (3000-byte names): the message bound does. */
	for (int i = 0; i < 60; i++) {
		len += (size_t)snprintf(file + len, cap - len, "L%d,", i);
		memset(file + len, 'x', 3000);
		len += 3000;
		file[len++] = '\n';
	}
	assert_int_equal(run_file(&run, file, len, 4096, false, &pi), 0);
	assert_int_equal(run.rows_sent, 1260);
	assert_int_equal(run.max_batch_rows, AEOGATE_IMPORT_BATCH_ROWS);
	assert_true(run.max_batch_bytes < AEOGATE_MSG_MAX - 1024);
	assert_non_null(strstr(run.ops, "commit(long)"));
	people_import_free(pi);
	free(file);
}

static void test_the_files_errors_and_abort(void **state)
{
	(void)state;
	static const char file[] = "id,name\nE1,Ann\nE2,Bo,extra\nE3\nE4,\xff\n";
	struct run run;
	struct people_import *pi;

	assert_int_equal(run_file(&run, file, sizeof(file) - 1, 0, false, &pi), 0);
	assert_string_equal(run.errors, "3 row: too many columns: 3, the header has 2\n"
					"4 name: missing: the row has 1 columns, the header 2\n"
					"5 name: not valid UTF-8\n");
	assert_string_equal(run.ops, "begin rows:1 abort ");
	assert_int_equal(people_import_bad(pi), 3);
	assert_null(people_import_result(pi));
	people_import_free(pi);
	/* A dry run still counts what the good rows would do. */
	assert_int_equal(run_file(&run, file, sizeof(file) - 1, 0, true, &pi), 0);
	assert_string_equal(run.ops, "begin rows:1 commit(long) ");
	people_import_free(pi);
}

static void test_controller_errors_are_counted(void **state)
{
	(void)state;
	static const char file[] = "id,name,levels\nE1,Ann,x\n";
	struct run run;
	struct people_import *pi;
	const char *op;
	json_t *args, *res;

	memset(&run, 0, sizeof(run));
	assert_int_equal(people_import_new(false, on_error, &run, &pi), 0);
	assert_int_equal(people_import_feed(pi, file, sizeof(file) - 1), 0);
	assert_int_equal(people_import_finish(pi), 0);
	assert_int_equal(people_import_next(pi, &op, &args), 1);
	assert_string_equal(op, "person.import_begin");
	json_decref(args);
	/* One request at a time: nothing more until its reply. */
	assert_int_equal(people_import_next(pi, &op, &args), 0);
	assert_int_equal(people_import_reply(pi, NULL), 0);
	run.controller_bad = 1;
	assert_int_equal(answer(&run, pi), 0);
	assert_string_equal(run.errors, "2 levels: no level 'x'\n");
	assert_string_equal(run.ops, "rows:1 abort ");
	assert_int_equal(people_import_bad(pi), 1);
	/* A malformed reply is refused. */
	people_import_free(pi);
	assert_int_equal(people_import_new(false, on_error, &run, &pi), 0);
	assert_int_equal(people_import_feed(pi, file, sizeof(file) - 1), 0);
	assert_int_equal(people_import_finish(pi), 0);
	assert_int_equal(people_import_next(pi, &op, &args), 1);
	json_decref(args);
	assert_int_equal(people_import_reply(pi, NULL), 0);
	assert_int_equal(people_import_next(pi, &op, &args), 1);
	json_decref(args);
	res = json_pack("{s:s}", "bad", "many");
	assert_int_equal(people_import_reply(pi, res), -EPROTO);
	json_decref(res);
	people_import_free(pi);
}

static void test_refused_files_send_nothing(void **state)
{
	(void)state;
	static const struct {
		const char *file;
		int result;
		const char *errors;
	} cases[] = {
	    {"", -ENODATA, ""},
	    {"\xef\xbb\xbf", -ENODATA, ""},
	    {"id,nom\nE1,Ann\n", -EBADMSG,
	     "1 header: 'nom' is not a column; the columns are id,name,valid_from,valid_until,"
	     "levels,credentials,vetting_status,vetting_checked,vetting_recheck_due,"
	     "vetting_reference\n"
	     "1 name: required column missing (the header must name id and name)\n"},
	    {"id,name,id\n", -EBADMSG, "1 id: named twice\n"},
	    {"id,name\nE1,\"Ann\"x\n", -EBADMSG,
	     "2 row: not RFC 4180 CSV (a quote inside a field must be doubled and the field "
	     "quoted, and nothing may follow a closing quote)\n"},
	};
	struct run run;
	struct people_import *pi;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(
		    run_file(&run, cases[i].file, strlen(cases[i].file), 0, false, &pi),
		    cases[i].result);
		assert_string_equal(run.errors, cases[i].errors);
		assert_int_equal(answer(&run, pi), 0);
		assert_null(strstr(run.ops, "commit"));
		people_import_free(pi);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_same_requests_however_the_file_is_split),
	    cmocka_unit_test(test_batches_stay_within_rows_and_bytes),
	    cmocka_unit_test(test_the_files_errors_and_abort),
	    cmocka_unit_test(test_controller_errors_are_counted),
	    cmocka_unit_test(test_refused_files_send_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
