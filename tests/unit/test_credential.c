// SPDX-License-Identifier: MIT
/*
 * Credential text (controller/lib/credential.c): what a person types and
 * what a reader reads become the one stored form.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "aeogate/credential.h"
#include "aeogate/limits.h"

static void test_credential_normalize(void **state)
{
	static const struct {
		const char *in, *out;
	} ok[] = {
	    {"H10301:012:3456", "h10301:12:3456"},
	    {"h10301:12:3456", "h10301:12:3456"},
	    {"h10301:0:0", "h10301:0:0"},
	    {"h10301:255:65535", "h10301:255:65535"},
	    {"UID:04A1B2C3", "uid:04a1b2c3"},
	    {"uid:04a1b2c3", "uid:04a1b2c3"},
	    {"Uid:04A1B2C3D4E5F6", "uid:04a1b2c3d4e5f6"},
	    {"uid:04A1B2C3D4E5F6A7B8C9", "uid:04a1b2c3d4e5f6a7b8c9"},
	    {"c1k48:4194303:8388607", "c1k48:4194303:8388607"},
	    {"h10302:0:34359738367", "h10302:0:34359738367"},
	};
	static const struct {
		const char *in;
		int err;
	} bad[] = {
	    {"uid:04a1b2c3d4", -EINVAL},	     /* 5 bytes */
	    {"uid:04a1b2c", -EINVAL},		     /* odd digits */
	    {"uid:", -EINVAL},			     /* empty */
	    {"uid:04a1b2cg", -EINVAL},		     /* not hex */
	    {"uid:04a1 2c3", -EINVAL},		     /* space */
	    {"uid:04a1b2c3d4e5f6a7b8c9d0", -EINVAL}, /* 11 bytes */
	    {"h10301:256:1", -ERANGE},		     /* facility is 8 bits */
	    {"h10301:1:65536", -ERANGE},	     /* card is 16 bits */
	    {"h10301:99999999999999999999999:1", -ERANGE},
	    {"h10301:12", -EINVAL},
	    {"h10301:12:3456:7", -EINVAL},
	    {"h10301::3456", -EINVAL},
	    {"h10301:-1:3456", -EINVAL},
	    {"h10301:12:34x", -EINVAL},
	    {"h99999:12:3456", -EINVAL},
	    {"04a1b2c3", -EINVAL},
	    {"", -EINVAL},
	};
	char out[AEOGATE_CREDENTIAL_MAX + 1];

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		if (credential_normalize(ok[i].in, out, sizeof(out)) != 0)
			fail_msg("'%s' refused", ok[i].in);
		assert_string_equal(out, ok[i].out);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r = credential_normalize(bad[i].in, out, sizeof(out));

		if (r != bad[i].err)
			fail_msg("'%s': %d, want %d", bad[i].in, r, bad[i].err);
	}
	assert_int_equal(credential_normalize(NULL, out, sizeof(out)), -EINVAL);

	/* An output buffer one byte short is refused, not overrun. */
	assert_int_equal(credential_normalize("uid:04a1b2c3", out, 12), -ENOSPC);
	assert_int_equal(credential_normalize("uid:04a1b2c3", out, 13), 0);
	assert_int_equal(credential_normalize("h10301:12:3456", out, 14), -ENOSPC);
	assert_int_equal(credential_normalize("h10301:12:3456", out, 15), 0);
}

static void test_a_read_uid_is_the_text_a_typed_uid_becomes(void **state)
{
	struct hal_read r = {.kind = HAL_READ_UID, .uid = {0x04, 0xa1, 0xb2, 0xc3}, .uid_len = 4};
	struct credential_candidates c;
	char typed[AEOGATE_CREDENTIAL_MAX + 1];

	(void)state;
	assert_int_equal(credential_from_read(&r, ~0u, &c), REASON_NONE);
	assert_int_equal(c.n, 1);
	assert_int_equal(credential_normalize("UID:04A1B2C3", typed, sizeof(typed)), 0);
	assert_string_equal(c.creds[0], typed);

	r.uid_len = 0;
	assert_int_equal(credential_from_read(&r, ~0u, &c), REASON_UNKNOWN_FORMAT);
	assert_int_equal(c.n, 0);
	r.uid_len = AEOGATE_UID_MAX_BYTES + 1;
	assert_int_equal(credential_from_read(&r, ~0u, &c), REASON_UNKNOWN_FORMAT);
}

/* OSDP FMT: the characters a reader formatted are the text fmt:TEXT a typed one becomes. */
static void test_a_read_fmt_is_the_text_a_typed_fmt_becomes(void **state)
{
	struct hal_read r = {.kind = HAL_READ_FMT, .text = "0012345678"};
	struct credential_candidates c;
	char typed[AEOGATE_CREDENTIAL_MAX + 1];
	char longest[AEOGATE_FMT_MAX + 6];

	(void)state;
	assert_int_equal(credential_from_read(&r, ~0u, &c), REASON_NONE);
	assert_int_equal(c.n, 1);
	assert_int_equal(credential_normalize("FMT:0012345678", typed, sizeof(typed)), 0);
	assert_string_equal(c.creds[0], typed);
	assert_string_equal(typed, "fmt:0012345678");

	/* Letters keep their case; nothing but letters and digits; 1 to 40 of them. */
	assert_int_equal(credential_normalize("fmt:AbC1", typed, sizeof(typed)), 0);
	assert_string_equal(typed, "fmt:AbC1");
	assert_int_equal(credential_normalize("fmt:", typed, sizeof(typed)), -EINVAL);
	assert_int_equal(credential_normalize("fmt:12 34", typed, sizeof(typed)), -EINVAL);
	assert_int_equal(credential_normalize("fmt:12;34", typed, sizeof(typed)), -EINVAL);
	memcpy(longest, "fmt:", 4);
	memset(longest + 4, '7', AEOGATE_FMT_MAX);
	longest[4 + AEOGATE_FMT_MAX] = '\0';
	assert_int_equal(credential_normalize(longest, typed, sizeof(typed)), 0);
	longest[4 + AEOGATE_FMT_MAX] = '7';
	longest[5 + AEOGATE_FMT_MAX] = '\0';
	assert_int_equal(credential_normalize(longest, typed, sizeof(typed)), -EINVAL);

	/* A read the normal form refuses is no credential. */
	snprintf(r.text, sizeof(r.text), "12 34");
	assert_int_equal(credential_from_read(&r, ~0u, &c), REASON_UNKNOWN_FORMAT);
	assert_int_equal(c.n, 0);
}

static void test_an_unknown_frame_is_kept_raw(void **state)
{
	struct hal_read r = {.kind = HAL_READ_WIEGAND, .nbits = 5, .bits = {1, 0, 1, 1, 0}};
	struct credential_candidates c;

	(void)state;
	assert_int_equal(credential_from_read(&r, ~0u, &c), REASON_UNKNOWN_FORMAT);
	assert_int_equal(c.n, 1);
	assert_int_equal(strncmp(c.creds[0], "raw:5:", 6), 0);
}

/* credential_to_read: a badge becomes the read its reader makes, which reads back as the badge. */
static void test_a_credential_encodes_to_the_read_that_reads_back_as_it(void **state)
{
	static const struct {
		const char *in, *stored;
		enum hal_read_kind kind;
		size_t n; /* bits, or UID bytes */
	} ok[] = {
	    {"h10301:12:3456", "h10301:12:3456", HAL_READ_WIEGAND, 26},
	    {"H10301:012:3456", "h10301:12:3456", HAL_READ_WIEGAND, 26},
	    {"h10301:255:65535", "h10301:255:65535", HAL_READ_WIEGAND, 26},
	    {"h10302:0:34359738367", "h10302:0:34359738367", HAL_READ_WIEGAND, 37},
	    {"h10304:1200:52002", "h10304:1200:52002", HAL_READ_WIEGAND, 37},
	    {"h10306:300:4000", "h10306:300:4000", HAL_READ_WIEGAND, 34},
	    {"c1k35:1001:500000", "c1k35:1001:500000", HAL_READ_WIEGAND, 35},
	    {"c1k48:4194303:8388607", "c1k48:4194303:8388607", HAL_READ_WIEGAND, 48},
	    {"UID:04A1B2C3", "uid:04a1b2c3", HAL_READ_UID, 4},
	    {"uid:04a1b2c3d4e5f6a7b8c9", "uid:04a1b2c3d4e5f6a7b8c9", HAL_READ_UID, 10},
	};
	static const struct {
		const char *in;
		int err;
	} bad[] = {
	    {"", -EINVAL},
	    {"nope", -EINVAL},
	    {"h10304:1200", -EINVAL},
	    {"h10304:1200:52002:1", -EINVAL},
	    {"x1234:1:2", -EINVAL},
	    {"h10304:65536:1", -ERANGE}, /* facility is 16 bits */
	    {"h10301:12:65536", -ERANGE},
	    {"uid:zz112233", -EINVAL},
	    {"uid:0102", -EINVAL},
	    {"raw:26:0123456", -EOPNOTSUPP},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct hal_read r;
		struct credential_candidates c;
		bool found = false;

		assert_int_equal(credential_to_read(ok[i].in, &r), 0);
		assert_int_equal(r.kind, ok[i].kind);
		assert_int_equal(ok[i].kind == HAL_READ_UID ? r.uid_len : r.nbits, ok[i].n);
		assert_int_equal(credential_from_read(&r, ~0u, &c), REASON_NONE);
		for (size_t k = 0; k < c.n; k++)
			found |= !strcmp(c.creds[k], ok[i].stored);
		if (!found)
			fail_msg("%s read back as %zu other credentials", ok[i].in, c.n);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct hal_read r = {.kind = HAL_READ_KEY};

		if (credential_to_read(bad[i].in, &r) != bad[i].err)
			fail_msg("'%s': expected %d", bad[i].in, bad[i].err);
		assert_int_equal(r.kind, HAL_READ_KEY); /* untouched */
	}
	assert_int_equal(credential_to_read(NULL, NULL), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_credential_normalize),
	    cmocka_unit_test(test_a_read_uid_is_the_text_a_typed_uid_becomes),
	    cmocka_unit_test(test_a_read_fmt_is_the_text_a_typed_fmt_becomes),
	    cmocka_unit_test(test_an_unknown_frame_is_kept_raw),
	    cmocka_unit_test(test_a_credential_encodes_to_the_read_that_reads_back_as_it),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
