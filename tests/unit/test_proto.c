// SPDX-License-Identifier: MIT
/*
 * The control socket's wire format for its clients (controller/lib/proto.c):
 * request lines and their bound, reply parts, error codes.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "aeogate/limits.h"
#include "aeogate/proto.h"

static void test_request_line_has_id_op_args_token_and_newline(void **state)
{
	json_t *args = json_pack("{ss}", "id", "E1");
	char *buf;
	size_t len;

	assert_int_equal(proto_request_format(7, "person.show", args, "tok", 3, &buf, &len), 0);
	assert_int_equal(len, strlen("{\"id\":7,\"op\":\"person.show\",\"args\":{\"id\":\"E1\"},"
				     "\"token\":\"tok\"}\n"));
	assert_memory_equal(buf + 3,
			    "{\"id\":7,\"op\":\"person.show\",\"args\":{\"id\":\"E1\"},"
			    "\"token\":\"tok\"}\n",
			    len);
	free(buf);
	json_decref(args);

	assert_int_equal(proto_request_format(1, "system.status", NULL, NULL, 0, &buf, &len), 0);
	assert_memory_equal(buf, "{\"id\":1,\"op\":\"system.status\"}\n", len);
	free(buf);
}

/* The controller takes AEOGATE_MSG_MAX bytes before the newline, and no more. */
static void test_request_line_bound_is_the_controllers(void **state)
{
	/* {"id":1,"op":"x","args":{"p":"…"}} is 32 bytes around the padding. */
	size_t pad = AEOGATE_MSG_MAX - strlen("{\"id\":1,\"op\":\"x\",\"args\":{\"p\":\"\"}}");
	char *text = malloc(pad + 2), *buf;
	json_t *args;
	size_t len;

	memset(text, 'a', pad + 1);
	text[pad] = '\0';
	args = json_pack("{ss}", "p", text);
	assert_int_equal(proto_request_format(1, "x", args, NULL, 0, &buf, &len), 0);
	assert_int_equal(len, (size_t)AEOGATE_MSG_MAX + 1);
	free(buf);
	json_decref(args);

	text[pad] = 'a';
	text[pad + 1] = '\0';
	args = json_pack("{ss}", "p", text);
	assert_int_equal(proto_request_format(1, "x", args, NULL, 0, &buf, &len), -E2BIG);
	json_decref(args);
	free(text);
}

static void test_reply_parts(void **state)
{
	static const struct {
		const char *line;
		int r;
		bool ok;
		const char *code;
	} cases[] = {
	    {"{\"id\":1,\"ok\":true,\"result\":{}}", 0, true, NULL},
	    {"{\"id\":1,\"ok\":true}", -EBADMSG, true, NULL},
	    {"{\"id\":1,\"ok\":false,\"error\":{\"code\":\"not_found\",\"message\":\"m\"}}", 0,
	     false, "not_found"},
	    {"{\"id\":1,\"ok\":false,\"error\":\"x\"}", -EBADMSG, false, NULL},
	    {"{\"id\":1,\"ok\":1}", -EBADMSG, false, NULL},
	    {"{\"error\":{\"code\":\"too_slow\"}}", -EBADMSG, false, "too_slow"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct proto_reply rep;
		json_t *j;

		assert_int_equal(proto_line_parse(cases[i].line, strlen(cases[i].line), &j), 0);
		assert_int_equal(proto_reply_parse(j, &rep), cases[i].r);
		assert_int_equal(rep.ok, cases[i].ok);
		if (cases[i].code)
			assert_string_equal(rep.code, cases[i].code);
		else
			assert_null(rep.code);
		json_decref(j);
	}
}

static void test_line_must_be_an_object(void **state)
{
	json_t *j = NULL;

	assert_int_equal(proto_line_parse("[1,2]", 5, &j), -EBADMSG);
	assert_int_equal(proto_line_parse("not json", 8, &j), -EBADMSG);
	assert_int_equal(proto_line_parse("{\"a\":1} trailing", 16, &j), -EBADMSG);
	assert_null(j);
}

static void test_error_codes_map_to_http_status(void **state)
{
	assert_int_equal(proto_error_http_status("unauthenticated"), 401);
	assert_int_equal(proto_error_http_status("csrf_failed"), 403);
	assert_int_equal(proto_error_http_status("throttled"), 429);
	assert_int_equal(proto_error_http_status("unavailable"), 503);
	assert_int_equal(proto_error_http_status("internal"), 500);
	assert_int_equal(proto_error_http_status("no_such_code"), 500);
	assert_int_equal(proto_error_http_status(NULL), 500);
}

struct sink {
	char buf[256];
	size_t len;
};

static int sink_data(void *userdata, const char *p, size_t n)
{
	struct sink *k = userdata;

	assert_true(k->len + n <= sizeof(k->buf));
	memcpy(k->buf + k->len, p, n);
	k->len += n;
	return 0;
}

/* The same bytes fed whole and one at a time give the same data and stop at the trailer. */
static void test_frames_decode_in_pieces_of_any_size(void **state)
{
	static const char wire[] = "5\nhello3\n\r\n,12\nline\nbreaks\n0\n{\"id\":1}\n";
	size_t trailer = strlen(wire) - strlen("{\"id\":1}\n");

	(void)state;
	for (size_t piece = 1; piece <= sizeof(wire); piece++) {
		struct proto_frames f = {0};
		struct sink k = {0};
		size_t at = 0;

		while (at < sizeof(wire) - 1 && !f.done) {
			size_t n = sizeof(wire) - 1 - at < piece ? sizeof(wire) - 1 - at : piece;
			long used = proto_frames_feed(&f, wire + at, n, sink_data, &k);

			assert_true(used >= 0);
			at += (size_t)used;
			if ((size_t)used < n)
				break;
		}
		assert_true(f.done);
		assert_int_equal(at, trailer);
		assert_int_equal(k.len, 20);
		assert_memory_equal(k.buf, "hello\r\n,line\nbreaks\n", 20);
		assert_int_equal(f.bytes, 20);
	}
}

static void test_frames_refuse_malformed_lengths(void **state)
{
	static const char *const bad[] = {"x\n",	   "\n",	"-1\n",
					  "12345678901\n", "4194305\n", " 3\nabc0\n"};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct proto_frames f = {0};
		struct sink k = {0};

		assert_int_equal(proto_frames_feed(&f, bad[i], strlen(bad[i]), sink_data, &k),
				 -EBADMSG);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_request_line_has_id_op_args_token_and_newline),
	    cmocka_unit_test(test_request_line_bound_is_the_controllers),
	    cmocka_unit_test(test_reply_parts),
	    cmocka_unit_test(test_line_must_be_an_object),
	    cmocka_unit_test(test_error_codes_map_to_http_status),
	    cmocka_unit_test(test_frames_decode_in_pieces_of_any_size),
	    cmocka_unit_test(test_frames_refuse_malformed_lengths),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
