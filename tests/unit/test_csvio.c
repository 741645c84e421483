// SPDX-License-Identifier: MIT
/*
 * The people CSV reader and writer (controller/lib/csv/csvio.c, on libcsv):
 * records and the line each begins on, however the file is split into
 * reads; the bounds; what the writer quotes reads back as it was.
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

#include "csvio.h"

/* What the callback saw, one line per record: "LINE|N|field|field...". */
struct seen {
	char text[4096];
	size_t len;
};

static int collect(void *userdata, const struct csvio_record *rec)
{
	struct seen *s = userdata;

	s->len += (size_t)snprintf(s->text + s->len, sizeof(s->text) - s->len, "%lld|%zu",
				   (long long)rec->line, rec->n_fields);
	for (size_t i = 0; i < rec->n_kept; i++)
		s->len += (size_t)snprintf(s->text + s->len, sizeof(s->text) - s->len, "|%s",
					   rec->fields[i].data);
	s->len += (size_t)snprintf(s->text + s->len, sizeof(s->text) - s->len, "\n");
	return 0;
}

/* Reads in pieces of step bytes (0: all at once); returns the reader's result. */
static int read_all(const char *in, size_t len, size_t step, struct seen *s, int64_t *ret_line)
{
	struct csvio_reader *r;
	int rc = 0;

	memset(s, 0, sizeof(*s));
	assert_int_equal(csvio_reader_new(collect, s, &r), 0);
	for (size_t off = 0; rc == 0 && off < len;) {
		size_t n = step && len - off > step ? step : len - off;

		rc = csvio_reader_feed(r, in + off, n);
		off += n;
	}
	if (rc == 0)
		rc = csvio_reader_finish(r);
	if (ret_line)
		*ret_line = csvio_reader_line(r);
	csvio_reader_free(r);
	return rc;
}

static void test_records_and_their_lines(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
	    {"id,name\nE1,Ann\n", "1|2|id|name\n2|2|E1|Ann\n"},
	    /* CRLF, and no line break after the last record. */
	    {"id,name\r\nE1,Ann\r\nE2,Bo", "1|2|id|name\n2|2|E1|Ann\n3|2|E2|Bo\n"},
	    /* Commas and doubled quotes inside quotes. */
	    {"a,b\n\"Smith, \"\"Jo\"\"\",x\n", "1|2|a|b\n2|2|Smith, \"Jo\"|x\n"},
	    /* A quoted line break: the record begins on its first line, the next after it. */
	    {"a,b\n\"one\ntwo\",x\nnext,y\n", "1|2|a|b\n2|2|one\ntwo|x\n4|2|next|y\n"},
	    {"a,b\r\nx,\"l1\r\nl2\r\nl3\"\r\nz,w\r\n", "1|2|a|b\n2|2|x|l1\r\nl2\r\nl3\n5|2|z|w\n"},
	    /* Blank lines are no record, but they are lines. */
	    {"a\n\n\nb\n\r\nc\n", "1|1|a\n4|1|b\n6|1|c\n"},
	    /* A byte order mark is not part of the header. */
	    {"\xef\xbb\xbfid,name\nE1,Ann\n", "1|2|id|name\n2|2|E1|Ann\n"},
	    /* Spaces around an unquoted value go, inside quotes they stay. */
	    {"  a ,\" b \"\n", "1|2|a| b \n"},
	    /* Empty fields, and a record that is one empty quoted field. */
	    {"a,,\n\"\"\n", "1|3|a||\n2|1|\n"},
	    /* More fields than are kept are still counted. */
	    {"1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18\n",
	     "1|18|1|2|3|4|5|6|7|8|9|10|11|12|13|14|15|16\n"},
	};
	static const size_t steps[] = {0, 1, 2, 3, 7};
	struct seen s;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		for (size_t j = 0; j < sizeof(steps) / sizeof(steps[0]); j++) {
			int rc = read_all(cases[i].in, strlen(cases[i].in), steps[j], &s, NULL);

			if (rc != 0 || strcmp(s.text, cases[i].out) != 0)
				fail_msg("case %zu, pieces of %zu: rc %d, got\n%s\nwant\n%s", i,
					 steps[j], rc, s.text, cases[i].out);
		}
}

static void test_malformed_files_stop_at_their_record(void **state)
{
	static const struct {
		const char *in;
		int err;
		int64_t line;
	} cases[] = {
	    /* A quote inside an unquoted field, or text after a closing quote. */
	    {"a,b\nx,Ann \"Q\" Lee\n", -EBADMSG, 2},
	    {"a,b\nok,1\n\"x\"y,2\n", -EBADMSG, 3},
	    /* A quote left open at the end of the file. */
	    {"a,b\n\"open,1\n2,3\n", -EBADMSG, 2},
	};
	struct seen s;
	int64_t line;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = read_all(cases[i].in, strlen(cases[i].in), 0, &s, &line);

		assert_int_equal(rc, cases[i].err);
		assert_int_equal(line, cases[i].line);
	}
}

static void test_field_bound_both_sides(void **state)
{
	size_t max = AEOGATE_IMPORT_FIELD_MAX;
	char *in = malloc(max + 64);
	struct seen s;
	int64_t line;

	(void)state;
	/* Exactly the bound: read. */
	memset(in, 'x', max);
	memcpy(in + max, "\n", 2);
	assert_int_equal(read_all(in, strlen(in), 0, &s, NULL), 0);
	/* One byte more, finished or still open (quoted, no end in sight): refused. */
	memcpy(in, "id\n", 3);
	memset(in + 3, 'x', max + 1);
	memcpy(in + 3 + max + 1, "\n", 2);
	assert_int_equal(read_all(in, strlen(in), 0, &s, &line), -EMSGSIZE);
	assert_int_equal(line, 2);
	in[3] = '"';
	memset(in + 4, 'x', max + 1);
	in[4 + max + 1] = '\0';
	assert_int_equal(read_all(in, strlen(in), 1000, &s, &line), -EMSGSIZE);
	assert_int_equal(line, 2);
	free(in);
}

static int stop_second(void *userdata, const struct csvio_record *rec)
{
	int *n = userdata;

	return ++*n == 2 ? 42 : 0;
}

static void test_callback_stops_the_reader(void **state)
{
	struct csvio_reader *r;
	int n = 0;

	(void)state;
	assert_int_equal(csvio_reader_new(stop_second, &n, &r), 0);
	assert_int_equal(csvio_reader_feed(r, "a\nb\nc\n", 6), 42);
	assert_int_equal(csvio_reader_feed(r, "d\n", 2), 42);
	assert_int_equal(csvio_reader_finish(r), 42);
	assert_int_equal(n, 2);
	csvio_reader_free(r);
}

static void test_written_fields_read_back(void **state)
{
	static const char *const values[] = {
	    /* First: at the start of a file an unquoted byte order mark would be dropped. */
	    "\xef\xbb\xbf mark",
	    "plain",
	    "with, comma",
	    "with \"quotes\"",
	    "two\nlines",
	    "cr\r\nlf",
	    " leading",
	    "trailing ",
	    "\ttab",
	    "",
	    "é ü",
	};
	size_t n = sizeof(values) / sizeof(values[0]);
	char *buf = NULL, want[1024] = "1|11";
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct seen s;

	(void)state;
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(csvio_write_field(f, values[i], i == n - 1), 0);
		strcat(want, "|");
		strcat(want, values[i]);
	}
	strcat(want, "\n");
	fclose(f);
	assert_true(len > 2 && !strcmp(buf + len - 2, "\r\n"));
	assert_int_equal(read_all(buf, len, 0, &s, NULL), 0);
	assert_string_equal(s.text, want);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_records_and_their_lines),
	    cmocka_unit_test(test_malformed_files_stop_at_their_record),
	    cmocka_unit_test(test_field_bound_both_sides),
	    cmocka_unit_test(test_callback_stops_the_reader),
	    cmocka_unit_test(test_written_fields_read_back),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
