// SPDX-License-Identifier: MIT
/*
 * Signed change sets and commands (controller/lib/changeset.c): key files,
 * envelopes signed and opened, every way an envelope can be unsigned or
 * wrongly signed, the size bound from both sides, and the body's checks.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <sodium.h>

#include "aeogate/limits.h"
#include "changeset.h"

static const char BODY[] =
    "{\"type\":\"changeset\",\"site\":\"hq\",\"version\":1,"
    "\"issued\":\"2026-12-07T08:00:00.000Z\",\"signer\":\"office:hq\","
    "\"ops\":[{\"op\":\"badge.revoke\",\"args\":{\"credential\":\"h10301:12:1001\"}}]}";

struct fixture {
	char dir[64];
	struct changeset_seckey sk;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	strcpy(f->dir, "/tmp/test_changeset.XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	if (changeset_keygen(f->dir, &f->sk) < 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	if (system(cmd) != 0)
		return -1;
	changeset_seckey_wipe(&f->sk);
	free(f);
	return 0;
}

static void path_of(const struct fixture *f, const char *name, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/%s", f->dir, name);

	assert_true(n > 0 && (size_t)n < len);
}

static void write_text(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static void test_keygen_files_load_back_as_the_same_pair(void **state)
{
	struct fixture *f = *state;
	struct changeset_pubkey pk;
	struct changeset_seckey sk;
	char path[128];
	struct stat st;

	path_of(f, "office.key", path, sizeof(path));
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(changeset_seckey_load(path, &sk), 0);
	path_of(f, "office.pub", path, sizeof(path));
	assert_int_equal(changeset_pubkey_load(path, &pk), 0);
	assert_memory_equal(pk.pk, f->sk.pub.pk, sizeof(pk.pk));
	assert_memory_equal(sk.sk, f->sk.sk, sizeof(sk.sk));
	assert_string_equal(pk.key_id, sk.pub.key_id);
	assert_int_equal(strlen(pk.key_id), 16);
	/* A second keygen never overwrites the secret key. */
	assert_int_equal(changeset_keygen(f->dir, &sk), -EEXIST);
}

static void test_key_id_is_the_first_8_bytes_of_sha256(void **state)
{
	struct fixture *f = *state;
	unsigned char h[crypto_hash_sha256_BYTES];
	char want[17];

	crypto_hash_sha256(h, f->sk.pub.pk, sizeof(f->sk.pub.pk));
	sodium_bin2hex(want, sizeof(want), h, 8);
	assert_string_equal(f->sk.pub.key_id, want);
}

static void test_bad_key_files_are_refused(void **state)
{
	struct fixture *f = *state;
	static const struct {
		const char *text;
		int want;
	} pubs[] = {
	    {"", -EBADMSG},
	    {"abc\n", -EBADMSG},
	    /* 63 and 65 digits */
	    {"000000000000000000000000000000000000000000000000000000000000000\n", -EBADMSG},
	    {"00000000000000000000000000000000000000000000000000000000000000000\n", -EBADMSG},
	    /* 64 characters, one not hex */
	    {"000000000000000000000000000000000000000000000000000000000000000g\n", -EBADMSG},
	    /* two lines */
	    {"0000000000000000000000000000000000000000000000000000000000000000\n\n", -EBADMSG},
	    {"0000000000000000000000000000000000000000000000000000000000000000", 0},
	    {"0000000000000000000000000000000000000000000000000000000000000000\n", 0},
	};
	struct changeset_pubkey pk;
	struct changeset_seckey sk;
	char path[128], big[600];

	path_of(f, "t.pub", path, sizeof(path));
	for (size_t i = 0; i < sizeof(pubs) / sizeof(pubs[0]); i++) {
		write_text(path, pubs[i].text, 0644);
		if (changeset_pubkey_load(path, &pk) != pubs[i].want)
			fail_msg("public key file %zu: want %d", i, pubs[i].want);
	}
	memset(big, '0', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	write_text(path, big, 0644);
	assert_int_equal(changeset_pubkey_load(path, &pk), -EBADMSG);
	path_of(f, "missing.pub", path, sizeof(path));
	assert_int_equal(changeset_pubkey_load(path, &pk), -ENOENT);

	/* The secret key: readable by the group is refused whatever it holds. */
	path_of(f, "office.key", path, sizeof(path));
	assert_int_equal(chmod(path, 0640), 0);
	assert_int_equal(changeset_seckey_load(path, &sk), -EPERM);
	assert_int_equal(chmod(path, 0604), 0);
	assert_int_equal(changeset_seckey_load(path, &sk), -EPERM);
	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(changeset_seckey_load(path, &sk), 0);
	/* A public key where the secret one belongs, and a secret half that does not match. */
	path_of(f, "t.key", path, sizeof(path));
	write_text(path, pubs[6].text, 0600);
	assert_int_equal(changeset_seckey_load(path, &sk), -EBADMSG);
	memset(big, 'a', 128);
	big[128] = '\n';
	big[129] = '\0';
	write_text(path, big, 0600);
	assert_int_equal(changeset_seckey_load(path, &sk), -EBADMSG);
	assert_non_null(strstr(changeset_strerror(-EPERM), "600"));
}

static void test_signed_envelope_opens_to_the_same_bytes(void **state)
{
	struct fixture *f = *state;
	char *env, *body = NULL, *text = NULL;
	size_t len = 0;
	json_t *j;

	assert_int_equal(changeset_sign(BODY, strlen(BODY), &f->sk, &env), 0);
	j = json_loads(env, 0, NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "body")), BODY);
	assert_int_equal(strlen(json_string_value(json_object_get(j, "signature"))), 128);
	assert_string_equal(json_string_value(json_object_get(j, "key_id")), f->sk.pub.key_id);
	json_decref(j);
	assert_int_equal(changeset_open(env, strlen(env), &f->sk.pub, &body, &len), 0);
	assert_int_equal(len, strlen(BODY));
	/* A body must be UTF-8: a JSON string holds nothing else. */
	assert_int_equal(changeset_sign("\xff\xfe", 2, &f->sk, &text), -EINVAL);
	assert_int_equal(changeset_sign("{\"a\":\"\0\"}", 8, &f->sk, &text), -EINVAL);
	assert_string_equal(body, BODY);
	free(body);
	free(env);
}

/* Replaces the first occurrence of from by to in a copy of s. */
static char *replace(const char *s, const char *from, const char *to)
{
	const char *p = strstr(s, from);
	char *out;

	assert_non_null(p);
	out = malloc(strlen(s) - strlen(from) + strlen(to) + 1);
	assert_non_null(out);
	memcpy(out, s, (size_t)(p - s));
	strcpy(out + (p - s), to);
	strcat(out, p + strlen(from));
	return out;
}

static void test_tampered_unsigned_and_foreign_envelopes_are_refused(void **state)
{
	struct fixture *f = *state;
	struct changeset_seckey other;
	char dir2[64], *env, *bad, *body;
	size_t len;
	json_t *j;

	assert_int_equal(changeset_sign(BODY, strlen(BODY), &f->sk, &env), 0);

	/* One character of the body changed: the version. */
	bad = replace(env, "\\\"version\\\":1", "\\\"version\\\":2");
	assert_int_equal(changeset_open(bad, strlen(bad), &f->sk.pub, &body, &len), -EBADMSG);
	assert_string_equal(changeset_open_reason(-EBADMSG), "bad_signature");
	free(bad);

	/* The signature gone, empty, or no envelope at all: unsigned. */
	j = json_loads(env, 0, NULL);
	json_object_del(j, "signature");
	bad = json_dumps(j, JSON_COMPACT);
	assert_int_equal(changeset_open(bad, strlen(bad), &f->sk.pub, &body, &len), -ENOMSG);
	free(bad);
	json_object_set_new(j, "signature", json_string(""));
	bad = json_dumps(j, JSON_COMPACT);
	assert_int_equal(changeset_open(bad, strlen(bad), &f->sk.pub, &body, &len), -ENOMSG);
	free(bad);
	json_decref(j);
	assert_int_equal(changeset_open(BODY, strlen(BODY), &f->sk.pub, &body, &len), -ENOMSG);
	assert_int_equal(changeset_open("not json", 8, &f->sk.pub, &body, &len), -ENOMSG);
	assert_int_equal(changeset_open("[]", 2, &f->sk.pub, &body, &len), -ENOMSG);
	assert_string_equal(changeset_open_reason(-ENOMSG), "unsigned");

	/* A signature that is not hex, and a key_id of another key. */
	bad = replace(env, "\"signature\":\"", "\"signature\":\"zz");
	assert_int_equal(changeset_open(bad, strlen(bad), &f->sk.pub, &body, &len), -EBADMSG);
	free(bad);
	bad = replace(env, f->sk.pub.key_id, "0000000000000000");
	assert_int_equal(changeset_open(bad, strlen(bad), &f->sk.pub, &body, &len), -EBADMSG);
	free(bad);
	free(env);

	/* Signed by another office's key: its own key_id, verified against ours. */
	strcpy(dir2, "/tmp/test_changeset2.XXXXXX");
	assert_non_null(mkdtemp(dir2));
	assert_int_equal(changeset_keygen(dir2, &other), 0);
	assert_int_equal(changeset_sign(BODY, strlen(BODY), &other, &env), 0);
	assert_int_equal(changeset_open(env, strlen(env), &f->sk.pub, &body, &len), -EBADMSG);
	/* ... and with its key_id made ours, the signature still fails. */
	bad = replace(env, other.pub.key_id, f->sk.pub.key_id);
	assert_int_equal(changeset_open(bad, strlen(bad), &f->sk.pub, &body, &len), -EBADMSG);
	free(bad);
	free(env);
	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir2);
		assert_int_equal(system(cmd), 0);
	}
}

static void test_size_bound_from_both_sides(void **state)
{
	struct fixture *f = *state;
	size_t n = AEOGATE_SIGNED_MAX;
	char *big = malloc(n + 2), *env = NULL, *body;
	size_t len, lo, hi;

	assert_non_null(big);
	/* A body of plain letters is not escaped: find the largest that signs. */
	memset(big, 'a', n + 1);
	big[n + 1] = '\0';
	assert_int_equal(changeset_sign(big, n, &f->sk, &env), -E2BIG);
	lo = 0;
	hi = n;
	while (lo + 1 < hi) {
		size_t mid = (lo + hi) / 2;

		if (changeset_sign(big, mid, &f->sk, &env) == 0) {
			free(env);
			lo = mid;
		} else {
			hi = mid;
		}
	}
	assert_int_equal(changeset_sign(big, lo, &f->sk, &env), 0);
	assert_true(strlen(env) <= AEOGATE_SIGNED_MAX);
	assert_int_equal(changeset_open(env, strlen(env), &f->sk.pub, &body, &len), 0);
	assert_int_equal(len, lo);
	free(body);
	free(env);
	assert_int_equal(changeset_sign(big, lo + 1, &f->sk, &env), -E2BIG);

	/* The receiver's bound: one byte over is refused before it is parsed. */
	assert_int_equal(changeset_open(big, AEOGATE_SIGNED_MAX + 1, &f->sk.pub, &body, &len),
			 -E2BIG);
	assert_int_equal(changeset_open(big, AEOGATE_SIGNED_MAX, &f->sk.pub, &body, &len), -ENOMSG);
	free(big);
}

static void test_body_common_and_typed_fields(void **state)
{
	struct changeset_body b;
	char err[256];
	const char *cmd = "{\"type\":\"command\",\"site\":\"hq\",\"controller\":\"gw-1\","
			  "\"id\":\"0123456789abcdef0123456789abcdef\","
			  "\"issued\":\"2026-12-07T08:00:00.000Z\",\"signer\":\"office:hq\","
			  "\"command\":\"lockdown\",\"args\":{\"comment\":\"drill\"}}";

	(void)state;
	assert_int_equal(changeset_body_parse(BODY, strlen(BODY), &b, err, sizeof(err)), 0);
	assert_int_equal(b.type, CHANGESET_TYPE_CHANGESET);
	assert_string_equal(b.site, "hq");
	assert_int_equal(b.version, 1);
	assert_string_equal(b.signer, "office:hq");
	assert_int_equal(b.issued_ms, 1796630400000LL);
	assert_int_equal(json_array_size(b.ops), 1);
	changeset_body_done(&b);
	changeset_body_done(&b); /* twice is harmless */

	assert_int_equal(changeset_body_parse(cmd, strlen(cmd), &b, err, sizeof(err)), 0);
	assert_int_equal(b.type, CHANGESET_TYPE_COMMAND);
	assert_string_equal(b.id, "0123456789abcdef0123456789abcdef");
	assert_string_equal(b.controller, "gw-1");
	assert_string_equal(b.command, "lockdown");
	assert_string_equal(json_string_value(json_object_get(b.args, "comment")), "drill");
	changeset_body_done(&b);
}

static void test_body_checks_refuse_each_bad_member(void **state)
{
	static const struct {
		const char *body, *why;
	} bad[] = {
	    {"[]", "JSON object"},
	    {"{\"type\":\"other\"}", "type"},
	    {"{\"type\":\"changeset\",\"site\":\"a b\"}", "site"},
	    {"{\"type\":\"changeset\",\"site\":\"hq\",\"issued\":\"yesterday\"}", "issued"},
	    {"{\"type\":\"changeset\",\"site\":\"hq\",\"issued\":\"2026-12-07T08:00:00Z\","
	     "\"signer\":\"hq\"}",
	     "signer"},
	    {"{\"type\":\"changeset\",\"site\":\"hq\",\"issued\":\"2026-12-07T08:00:00Z\","
	     "\"signer\":\"office:hq\",\"version\":0,\"ops\":[]}",
	     "version"},
	    {"{\"type\":\"changeset\",\"site\":\"hq\",\"issued\":\"2026-12-07T08:00:00Z\","
	     "\"signer\":\"office:hq\",\"version\":1}",
	     "ops"},
	    {"{\"type\":\"changeset\",\"site\":\"hq\",\"issued\":\"2026-12-07T08:00:00Z\","
	     "\"signer\":\"office:hq\",\"version\":1,\"ops\":[{\"args\":{}}]}",
	     "op 1"},
	    {"{\"type\":\"command\",\"site\":\"hq\",\"issued\":\"2026-12-07T08:00:00Z\","
	     "\"signer\":\"office:hq\",\"id\":\"0123456789ABCDEF0123456789ABCDEF\"}",
	     "id"},
	    {"{\"type\":\"command\",\"site\":\"hq\",\"issued\":\"2026-12-07T08:00:00Z\","
	     "\"signer\":\"office:hq\",\"id\":\"0123456789abcdef0123456789abcdef\"}",
	     "controller"},
	    {"{\"type\":\"command\",\"site\":\"hq\",\"issued\":\"2026-12-07T08:00:00Z\","
	     "\"signer\":\"office:hq\",\"id\":\"0123456789abcdef0123456789abcdef\","
	     "\"controller\":\"gw\",\"command\":\"lockdown\",\"args\":[]}",
	     "args"},
	};
	struct changeset_body b;
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (changeset_body_parse(bad[i].body, strlen(bad[i].body), &b, err, sizeof(err)) !=
		    -EINVAL)
			fail_msg("body %zu accepted", i);
		if (!strstr(err, bad[i].why))
			fail_msg("body %zu: '%s' does not name %s", i, err, bad[i].why);
	}
}

static void test_body_op_count_bound_from_both_sides(void **state)
{
	json_t *root = json_loads(BODY, 0, NULL), *ops = json_array();
	struct changeset_body b;
	char err[256], *text;

	(void)state;
	for (int i = 0; i < AEOGATE_CHANGESET_OPS_MAX; i++)
		json_array_append_new(ops, json_pack("{s:s}", "op", "person.add"));
	json_object_set_new(root, "ops", ops);
	text = json_dumps(root, JSON_COMPACT);
	assert_int_equal(changeset_body_parse(text, strlen(text), &b, err, sizeof(err)), 0);
	changeset_body_done(&b);
	free(text);
	json_array_append_new(ops, json_pack("{s:s}", "op", "person.add"));
	text = json_dumps(root, JSON_COMPACT);
	assert_int_equal(changeset_body_parse(text, strlen(text), &b, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "at most"));
	free(text);
	json_decref(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_keygen_files_load_back_as_the_same_pair),
	    cmocka_unit_test(test_key_id_is_the_first_8_bytes_of_sha256),
	    cmocka_unit_test(test_bad_key_files_are_refused),
	    cmocka_unit_test(test_signed_envelope_opens_to_the_same_bytes),
	    cmocka_unit_test(test_tampered_unsigned_and_foreign_envelopes_are_refused),
	    cmocka_unit_test(test_size_bound_from_both_sides),
	    cmocka_unit_test(test_body_common_and_typed_fields),
	    cmocka_unit_test(test_body_checks_refuse_each_bad_member),
	    cmocka_unit_test(test_body_op_count_bound_from_both_sides),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
