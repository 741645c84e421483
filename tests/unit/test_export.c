// SPDX-License-Identifier: MIT
/*
 * Export files (controller/lib/export_format.c, export_verify.c): the RFC 4180 reader on
 * hand-written edge cases, formula neutralization written and read back, kind patterns, the
 * filter's JSON form, and the report chain of table reports.
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
#include <jansson.h>
#include <sodium.h>

#include "chain.h"
#include "export.h"
#include "export_verify.h"

#define FIELDS_MAX	       16
#define AUDIT_GENESIS_FOR_TEST "0000000000000000000000000000000000000000000000000000000000000000"

/* Reads every record of text; returns the record count, fields joined by '|' per record. */
static int read_all(const char *text, size_t len, char out[][256], size_t max_records, int *ret_err)
{
	FILE *f = fmemopen((void *)text, len, "r");
	char buf[512], *fields[FIELDS_MAX];
	int n, records = 0;

	assert_non_null(f);
	while ((n = csv_read_record(f, buf, sizeof(buf), fields, FIELDS_MAX)) > 0) {
		assert_true((size_t)records < max_records);
		out[records][0] = '\0';
		for (int i = 0; i < n; i++) {
			strcat(out[records], fields[i]);
			if (i < n - 1)
				strcat(out[records], "|");
		}
		records++;
	}
	*ret_err = n;
	fclose(f);
	return records;
}

static void test_csv_reader_rfc4180_cases(void **state)
{
	static const struct {
		const char *in;
		int records;
		const char *want[3];
	} cases[] = {
	    {"a,b,c\r\n", 1, {"a|b|c"}},
	    {"a,b,c", 1, {"a|b|c"}},		   /* no line end at the end of the file */
	    {"a,,c\r\n,,\r\n", 2, {"a||c", "||"}}, /* empty cells */
	    {"\"x,y\",z\r\n", 1, {"x,y|z"}},	   /* a quoted comma */
	    {"\"say \"\"hi\"\"\",2\r\n", 1, {"say \"hi\"|2"}},	   /* doubled quotes */
	    {"\"line1\r\nline2\",3\r\n", 1, {"line1\r\nline2|3"}}, /* an embedded CRLF */
	    {"\"a\nb\"\n\"\"\n", 2, {"a\nb", ""}}, /* LF line ends, an empty quoted cell */
	    {"1\r\n2\r\n3\r\n", 3, {"1", "2", "3"}},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char got[4][256];
		int err, n = read_all(cases[i].in, strlen(cases[i].in), got, 4, &err);

		assert_int_equal(err, 0);
		assert_int_equal(n, cases[i].records);
		for (int r = 0; r < n; r++)
			assert_string_equal(got[r], cases[i].want[r]);
	}
}

static void test_csv_reader_refuses_malformed_records(void **state)
{
	static const char *const bad[] = {
	    "\"unterminated,1\r\n", /* a quote never closed */
	    "ab\"c\",1\r\n",	    /* a quote in the middle of a cell */
	    "\"a\"b,1\r\n",	    /* text after a closing quote */
	    "a\rb\r\n",		    /* a lone CR outside quotes */
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char got[4][256];
		int err;

		read_all(bad[i], strlen(bad[i]), got, 4, &err);
		assert_int_equal(err, -EBADMSG);
	}
}

static void test_csv_reader_bounds_record_and_fields(void **state)
{
	char buf[8], *fields[2];
	FILE *f = fmemopen((void *)"abcdefghij\r\n", 12, "r");

	assert_int_equal(csv_read_record(f, buf, sizeof(buf), fields, 2), -EMSGSIZE);
	fclose(f);
	f = fmemopen((void *)"a,b,c\r\n", 7, "r");
	assert_int_equal(csv_read_record(f, buf, sizeof(buf), fields, 2), -EMSGSIZE);
	fclose(f);
	/* Exactly at the bound: 7 characters and NUL in 8 bytes. */
	f = fmemopen((void *)"abcdefg\r\n", 9, "r");
	assert_int_equal(csv_read_record(f, buf, sizeof(buf), fields, 2), 1);
	assert_string_equal(fields[0], "abcdefg");
	fclose(f);
}

/* Writes one export row whose person is v, reads it back and returns the person cell. */
static void roundtrip_person(const char *v, char *out, size_t len)
{
	json_t *row = json_pack("{s:I,s:s,s:s,s:s,s:s,s:s}", "seq", (json_int_t)1, "ts",
				"2026-11-28T13:28:11.123Z", "kind", "person.added", "person", v,
				"prev", "00", "hash", "11");
	char *text = NULL, buf[1024], *fields[EXPORT_CSV_COLS + 1];
	size_t size = 0;
	FILE *f = open_memstream(&text, &size);

	assert_int_equal(export_write_row(f, EXPORT_CSV, row), 0);
	fclose(f);
	json_decref(row);
	f = fmemopen(text, size, "r");
	assert_int_equal(csv_read_record(f, buf, sizeof(buf), fields, EXPORT_CSV_COLS),
			 EXPORT_CSV_COLS);
	fclose(f);
	snprintf(out, len, "%s", fields[6]);
	free(text);
}

static void test_formula_cells_are_neutralized_and_read_back(void **state)
{
	static const char *const risky[] = {"=SUM(A1)", "+1", "-X1", "@cmd", "\tx", "'quoted"};
	static const char *const safe[] = {"E1", "a=b", "x-1", "Ann, \"the\" Example"};
	char cell[512];

	for (size_t i = 0; i < sizeof(risky) / sizeof(risky[0]); i++) {
		roundtrip_person(risky[i], cell, sizeof(cell));
		assert_int_equal(cell[0], '\'');
		/* The reader's rule: remove exactly one leading apostrophe. */
		assert_string_equal(cell + 1, risky[i]);
	}
	for (size_t i = 0; i < sizeof(safe) / sizeof(safe[0]); i++) {
		roundtrip_person(safe[i], cell, sizeof(cell));
		assert_string_equal(cell, safe[i]);
	}
}

static void test_kind_patterns(void **state)
{
	static const char *const ok[] = {"access.denied", "door.*", "a", "clock.jump", "a_b.c_1"};
	static const char *const bad[] = {"",	   "*",	   ".*",       "door.", "Door.x",
					  "door*", "a..b", "door.*.x", "a.b*",	"door.**"};
	struct export_filter f = {0};
	struct event e = {.ts_ms = 5, .kind = "door.forced"};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		assert_true(export_kind_valid(ok[i]));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(export_kind_valid(bad[i]));
	assert_int_equal(export_filter_add_kind(&f, "door.*"), 0);
	assert_true(export_filter_match(&f, &e));
	e.kind = "doorway.x"; /* a prefix pattern matches whole words only up to its dot */
	assert_false(export_filter_match(&f, &e));
	e.kind = "access.denied";
	assert_false(export_filter_match(&f, &e));
	assert_int_equal(export_filter_add_kind(&f, "access.denied"), 0);
	assert_true(export_filter_match(&f, &e));
	assert_int_equal(export_filter_add_kind(&f, "bad kind"), -EINVAL);
}

static void test_kinds_are_sorted_deduplicated_and_bounded(void **state)
{
	struct export_filter f = {0};
	char k[32];

	assert_int_equal(export_filter_add_kind(&f, "z.a"), 0);
	assert_int_equal(export_filter_add_kind(&f, "a.z"), 0);
	assert_int_equal(export_filter_add_kind(&f, "z.a"), 0);
	assert_int_equal(f.n_kinds, 2);
	assert_string_equal(f.kinds[0], "a.z");
	for (int i = 2; i < AEOGATE_EXPORT_KINDS_MAX; i++) {
		snprintf(k, sizeof(k), "k.n%d", i);
		assert_int_equal(export_filter_add_kind(&f, k), 0);
	}
	assert_int_equal(export_filter_add_kind(&f, "one.more"), -E2BIG);
}

static void test_filter_json_round_trip_and_refusals(void **state)
{
	struct export_filter f = {0}, g;
	json_t *j, *bad;
	char err[160];

	f.from_ms = 1795872491123LL;
	snprintf(f.person, sizeof(f.person), "E1");
	export_filter_add_kind(&f, "access.*");
	j = export_filter_to_json(&f);
	assert_int_equal(export_filter_from_json(j, &g, err, sizeof(err)), 0);
	assert_int_equal(g.from_ms, f.from_ms);
	assert_int_equal(g.to_ms, 0);
	assert_string_equal(g.person, "E1");
	assert_string_equal(g.zone, "");
	assert_int_equal(g.n_kinds, 1);
	assert_true(export_filter_narrows(&g));
	json_decref(j);

	bad = json_pack("{s:s,s:s}", "from", "2026-02-01", "to", "2026-01-01");
	assert_int_equal(export_filter_from_json(bad, &g, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "before"));
	json_decref(bad);
	bad = json_pack("{s:[s]}", "kinds", "Access");
	assert_int_equal(export_filter_from_json(bad, &g, err, sizeof(err)), -EINVAL);
	json_decref(bad);
	bad = json_pack("{s:s}", "person", "has space");
	assert_int_equal(export_filter_from_json(bad, &g, err, sizeof(err)), -EINVAL);
	json_decref(bad);
	bad = json_pack("[]");
	assert_int_equal(export_filter_from_json(bad, &g, err, sizeof(err)), -EINVAL);
	json_decref(bad);
}

static void test_export_chain_matches_its_definition(void **state)
{
	char got[EVENT_HASH_HEX], want[EVENT_HASH_HEX];
	unsigned char h[crypto_hash_sha256_BYTES];
	const char *prev = "0000000000000000000000000000000000000000000000000000000000000000";
	char text[256];

	export_chain_next(prev, 7, "ab", got);
	snprintf(text, sizeof(text), "%s\n7\nab\n", prev);
	crypto_hash_sha256(h, (const unsigned char *)text, strlen(text));
	sodium_bin2hex(want, sizeof(want), h, sizeof(h));
	assert_string_equal(got, want);
}

static void test_report_cells_and_chain_agree_across_formats(void **state)
{
	json_t *cols = json_pack("[s,s,s,s,s]", "s", "i", "b", "n", "e");
	json_t *row = json_pack("{s:s,s:I,s:b,s:n,s:s}", "s", "-x", "i", (json_int_t)-31, "b", 1,
				"n", "e", "");
	json_t *cells = report_row_cells(row, cols);
	char *text = json_dumps(cells, JSON_COMPACT), chain[EVENT_HASH_HEX], want[EVENT_HASH_HEX];
	unsigned char h[crypto_hash_sha256_BYTES];
	char buf[256], *fields[8], *csv = NULL;
	size_t size = 0;
	FILE *f;

	/* Integers in decimal, booleans as words, "" and null both null. */
	assert_string_equal(text, "[\"-x\",\"-31\",\"true\",null,null]");
	assert_int_equal(report_chain_next(AUDIT_GENESIS_FOR_TEST, cells, chain), 0);
	snprintf(buf, sizeof(buf), "%s\n%s\n", AUDIT_GENESIS_FOR_TEST, text);
	crypto_hash_sha256(h, (const unsigned char *)buf, strlen(buf));
	sodium_bin2hex(want, sizeof(want), h, sizeof(h));
	assert_string_equal(chain, want);

	/* The CSV of the row reads back to the same cells (apostrophes removed). */
	f = open_memstream(&csv, &size);
	assert_int_equal(report_write_header(f, EXPORT_CSV, cols), 0);
	assert_int_equal(report_write_row(f, EXPORT_CSV, cols, row), 0);
	fclose(f);
	f = fmemopen(csv, size, "r");
	assert_int_equal(csv_read_record(f, buf, sizeof(buf), fields, 8), 5);
	assert_string_equal(fields[0], "s");
	assert_int_equal(csv_read_record(f, buf, sizeof(buf), fields, 8), 5);
	assert_string_equal(fields[0], "'-x");
	assert_string_equal(fields[1], "'-31");
	assert_string_equal(fields[2], "true");
	assert_string_equal(fields[3], "");
	assert_string_equal(fields[4], "");
	fclose(f);
	free(csv);
	free(text);
	json_decref(cells);
	json_decref(row);
	json_decref(cols);
}

/* The reference: the event's JSON object through export_write_row, as paged exports wrote it. */
static char *reference_row(enum export_format fmt, const struct event *e, const char *chain,
			   const char *person_name, size_t *ret_len)
{
	json_t *row = event_to_json(e);
	char *text = NULL;
	FILE *f = open_memstream(&text, ret_len);

	assert_non_null(row);
	assert_non_null(f);
	json_object_set_new(row, "export_chain", json_string(chain));
	if (person_name)
		json_object_set_new(row, "person_name", json_string(person_name));
	assert_int_equal(export_write_row(f, fmt, row), 0);
	fclose(f);
	json_decref(row);
	return text;
}

/* Bytes drawn from an alphabet that hits every rule of both writers. */
static char *random_text(unsigned *seed, bool detail)
{
	static const char *const atoms[] = {"a", "Z",  "0", ",",    "\"",   "\r",    "\n", "\t",
					    "=", "+",  "-", "@",    "'",    " ",     "\\", "/",
					    "é", "東", "🚪", "\x01", "\xff", "\xc3",  "{",  "}",
					    ":", "[",  "]", "1.5",  "null", "\u2028"};
	static const char *const details[] = {"{\"direction\":\"in\"}",
					      "{\"a\":1,\"b\":[1,2,{\"c\":null}]}",
					      "{\"b\":1,\"a\":2}",
					      "{ \"a\": 1 }",
					      "{\"q\":\"say \\\"hi\\\" \\\\\"}",
					      "{\"n\":\"line\\nbreak\"}",
					      "{\"r\":1.5}",
					      "{}",
					      "[1,2]",
					      "not json",
					      "{\"u\":\"é🚪\"}",
					      "{\"x\":-0}",
					      "{\"big\":12345678901234567890}",
					      "{\"a\":1,\"a\":2}",
					      "\"s\"",
					      "=1+2"};
	char buf[256] = "";
	size_t n = 0;
	unsigned k;

	*seed = *seed * 1103515245u + 12345u;
	if (detail)
		return strdup(details[(*seed >> 8) % (sizeof(details) / sizeof(details[0]))]);
	k = (*seed >> 8) % 8;
	for (unsigned i = 0; i < k; i++) {
		const char *a;

		*seed = *seed * 1103515245u + 12345u;
		a = atoms[(*seed >> 8) % (sizeof(atoms) / sizeof(atoms[0]))];
		if (n + strlen(a) + 1 > sizeof(buf))
			break;
		memcpy(buf + n, a, strlen(a));
		n += strlen(a);
	}
	buf[n] = '\0';
	return strdup(buf);
}

static void test_direct_rows_are_the_reference_bytes(void **state)
{
	struct export_buf bufs[2] = {{0}, {0}};
	unsigned seed = 7;
	size_t fast = 0;
	/* Names as people have them, quoted and formula-leading ones too, and none. */
	static const char *const names[5] = {"Zoë Ångström-Ørsted", NULL, "O'Brien, \"Bob\"",
					     "=SUM(A1)", "Lee"};

	(void)state;
	for (int i = 0; i < 20000; i++) {
		char *f[8], chain[EVENT_HASH_HEX];
		struct event e = {.seq = i * 7919 - 3, .ts_ms = (int64_t)i * 86399999 - 100000};

		for (int j = 0; j < 8; j++) {
			seed = seed * 1103515245u + 12345u;
			/* Mostly ordinary text, so the direct path is taken and checked. */
			f[j] = (seed >> 9) % 5 == 0		 ? NULL
			       : (seed >> 12) % 3 == 0 && j != 7 ? strdup("dock-1")
								 : random_text(&seed, j == 7);
		}
		e.kind = f[0] ? f[0] : "access.granted";
		e.door = f[1];
		e.reader = f[2];
		e.zone = f[3];
		e.person = f[4];
		e.credential = f[5];
		e.reason = f[6];
		e.detail = f[7];
		snprintf(e.prev, sizeof(e.prev), "%064x", (unsigned)i);
		snprintf(e.hash, sizeof(e.hash), "%064x", (unsigned)i + 1);
		snprintf(chain, sizeof(chain), "%064x", seed);
		for (int fmt = EXPORT_CSV; fmt <= EXPORT_JSONL; fmt++) {
			/* One buffer per format for all rows, as an export keeps it (its caches
			 * too). */
			struct export_buf *b = &bufs[fmt];
			uint64_t slow = b->slow_rows;
			size_t n;
			char *want = reference_row(fmt, &e, chain, names[i % 5], &n);

			b->len = 0;
			assert_int_equal(export_row_format(b, fmt, &e, chain, names[i % 5]), 0);
			if (b->len != n || memcmp(b->p, want, n) != 0)
				fail_msg("row %d (%s) differs:\n%.*s\nwant\n%s", i,
					 fmt == EXPORT_CSV ? "csv" : "jsonl", (int)b->len, b->p,
					 want);
			fast += b->slow_rows == slow;
			free(want);
		}
		for (int j = 0; j < 8; j++)
			free(f[j]);
	}
	/* The direct writer must carry most rows, or it is not what is measured. */
	export_buf_free(&bufs[0]);
	export_buf_free(&bufs[1]);
	print_message("%zu of 40000 rows took the direct path\n", fast);
	assert_true(fast > 4000);
}

static void test_direct_rows_take_ordinary_events_without_the_reference(void **state)
{
	struct event e = {.seq = 42,
			  .ts_ms = 1767600007001,
			  .kind = "access.denied",
			  .door = "dock-1",
			  .reader = "dock-1-in",
			  .zone = "dock",
			  .person = "-X1",
			  .credential = "h10301:1:2",
			  .reason = "no_access",
			  .detail = "{\"after\":{\"name\":\"Zoë \\\"q\\\", x\"}}"};
	struct export_buf b = {0};

	(void)state;
	memset(e.prev, 'a', 64);
	memset(e.hash, 'b', 64);
	assert_int_equal(export_header_format(&b, EXPORT_CSV), 0);
	assert_int_equal(export_row_format(&b, EXPORT_CSV, &e, e.hash, "Zoë, \"Z\""), 0);
	assert_int_equal(export_row_format(&b, EXPORT_JSONL, &e, e.hash, "Zoë, \"Z\""), 0);
	assert_int_equal(b.slow_rows, 0);
	assert_non_null(
	    strstr(b.p, "42,2026-01-05T08:00:07.001Z,access.denied,dock-1,dock-1-in,dock,'-X1,"));
	/* The name is the last cell, after export_chain: outside what is hashed. */
	assert_non_null(strstr(b.p, "bbbb,\"Zoë, \"\"Z\"\"\"\r\n"));
	assert_non_null(strstr(b.p, "bbbb\",\"person_name\":\"Zoë, \\\"Z\\\"\"}\n"));
	assert_non_null(strstr(b.p, EXPORT_CSV_HEADER "\r\n"));
	assert_non_null(strstr(EXPORT_CSV_HEADER, ",export_chain,person_name"));
	export_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_csv_reader_rfc4180_cases),
	    cmocka_unit_test(test_csv_reader_refuses_malformed_records),
	    cmocka_unit_test(test_csv_reader_bounds_record_and_fields),
	    cmocka_unit_test(test_formula_cells_are_neutralized_and_read_back),
	    cmocka_unit_test(test_kind_patterns),
	    cmocka_unit_test(test_kinds_are_sorted_deduplicated_and_bounded),
	    cmocka_unit_test(test_filter_json_round_trip_and_refusals),
	    cmocka_unit_test(test_export_chain_matches_its_definition),
	    cmocka_unit_test(test_report_cells_and_chain_agree_across_formats),
	    cmocka_unit_test(test_direct_rows_are_the_reference_bytes),
	    cmocka_unit_test(test_direct_rows_take_ordinary_events_without_the_reference),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
