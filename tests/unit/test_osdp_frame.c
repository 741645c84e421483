/* SPDX-License-Identifier: MIT */
/* OSDP framing: CRC-16, checksum, building commands, finding replies in a stream. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "aeogate/osdp.h"

/*
 * The CRC is CRC-16/AUG-CCITT (polynomial 0x1021, preset 0x1d0f, no
 * reflection, no final xor); the CRC catalogue's check value over the
 * digits "123456789" is 0xe5cc.
 */
static void test_crc16_check_value(void **state)
{
	(void)state;
	assert_int_equal(osdp_crc16((const uint8_t *)"123456789", 9), 0xe5cc);
	assert_int_equal(osdp_crc16(NULL, 0), 0x1d0f);
}

static void test_checksum_sums_to_zero(void **state)
{
	const uint8_t f[] = {0x53, 0x00, 0x07, 0x00, 0x00, 0x60};
	uint8_t all[7];

	(void)state;
	memcpy(all, f, sizeof(f));
	all[6] = osdp_checksum(f, sizeof(f));
	assert_int_equal(all[6], (uint8_t)(0x100 - ((0x53 + 0x07 + 0x60) & 0xff)));
	uint8_t sum = 0;
	for (size_t i = 0; i < sizeof(all); i++)
		sum = (uint8_t)(sum + all[i]);
	assert_int_equal(sum, 0);
}

/* A POLL to address 1 with sequence number 2, by hand: header, code, CRC little-endian. */
static void test_build_poll(void **state)
{
	uint8_t out[32];
	const uint8_t head[] = {0x53, 0x01, 0x08, 0x00, 0x06, 0x60};
	uint16_t crc = osdp_crc16(head, sizeof(head));
	int n;

	(void)state;
	n = osdp_frame_build(out, sizeof(out), 1, 2, true, NULL, 0, OSDP_CMD_POLL, NULL, 0, NULL);
	assert_int_equal(n, 8);
	assert_memory_equal(out, head, sizeof(head));
	assert_int_equal(out[6], crc & 0xff);
	assert_int_equal(out[7], crc >> 8);
}

static void test_build_refuses_bad_arguments(void **state)
{
	uint8_t out[AEOGATE_OSDP_FRAME_MAX + 16], big[AEOGATE_OSDP_FRAME_MAX] = {0};

	(void)state;
	assert_int_equal(
	    osdp_frame_build(out, sizeof(out), 1, 4, true, NULL, 0, 0x60, NULL, 0, NULL), -EINVAL);
	assert_int_equal(osdp_frame_build(out, 7, 1, 0, true, NULL, 0, 0x60, NULL, 0, NULL),
			 -ENOBUFS);
	assert_int_equal(
	    osdp_frame_build(out, sizeof(out), 1, 0, true, NULL, 0, 0x6b, big, sizeof(big), NULL),
	    -ENOBUFS);
}

static void test_parse_round_trip(void **state)
{
	const uint8_t data[] = {0x00, 0x01, 0x1a, 0x00, 0xde, 0xad, 0xbe, 0xc0};
	uint8_t out[64];
	struct osdp_frame f;
	size_t used;
	int n;

	(void)state;
	n = osdp_frame_build(out, sizeof(out), 5 | OSDP_ADDR_REPLY, 3, true, NULL, 0,
			     OSDP_REPLY_RAW, data, sizeof(data), NULL);
	assert_true(n > 0);
	assert_int_equal(osdp_frame_parse(out, (size_t)n, &f, &used), OSDP_PARSE_FRAME);
	assert_int_equal(used, n);
	assert_int_equal(f.addr, 5);
	assert_true(f.reply);
	assert_int_equal(f.seq, 3);
	assert_true(f.crc);
	assert_int_equal(f.code, OSDP_REPLY_RAW);
	assert_int_equal(f.len, sizeof(data));
	assert_memory_equal(f.data, data, sizeof(data));
	assert_null(f.scb);

	/* The checksum form parses too. */
	n = osdp_frame_build(out, sizeof(out), 5, 1, false, NULL, 0, OSDP_CMD_POLL, NULL, 0, NULL);
	assert_int_equal(n, 7);
	assert_int_equal(osdp_frame_parse(out, (size_t)n, &f, &used), OSDP_PARSE_FRAME);
	assert_false(f.crc);
	assert_int_equal(f.len, 0);
}

/* A stream: junk, a frame cut in two, a frame with a flipped bit, a good frame. */
static void test_parse_stream(void **state)
{
	uint8_t buf[128], frame[32];
	struct osdp_frame f;
	size_t used, at = 0, len;
	int n;

	(void)state;
	n = osdp_frame_build(frame, sizeof(frame), 0x81, 1, true, NULL, 0, OSDP_REPLY_ACK, NULL, 0,
			     NULL);
	assert_int_equal(n, 8);
	len = (size_t)n;

	/* Bytes before a SOM are junk, dropped up to the SOM. */
	memcpy(buf, "\x01\x02\x03", 3);
	memcpy(buf + 3, frame, len);
	assert_int_equal(osdp_frame_parse(buf, 3 + len, &f, &used), OSDP_PARSE_JUNK);
	assert_int_equal(used, 3);

	/* Half a frame: wait. */
	assert_int_equal(osdp_frame_parse(frame, 4, &f, &used), OSDP_PARSE_MORE);
	assert_int_equal(used, 0);
	assert_int_equal(osdp_frame_parse(frame, len - 1, &f, &used), OSDP_PARSE_MORE);

	/* One bit wrong: the check fails, one byte goes and the hunt goes on. */
	memcpy(buf, frame, len);
	buf[5] ^= 0x01;
	assert_int_equal(osdp_frame_parse(buf, len, &f, &used), OSDP_PARSE_BAD_CHECK);
	assert_int_equal(used, 1);

	/* A SOM followed by an impossible length is junk of one byte. */
	memcpy(buf, "\x53\x00\x02\x00\x04", 5);
	assert_int_equal(osdp_frame_parse(buf, 5, &f, &used), OSDP_PARSE_JUNK);
	assert_int_equal(used, 1);
	memcpy(buf, "\x53\x00\xff\xff\x04", 5);
	assert_int_equal(osdp_frame_parse(buf, 5, &f, &used), OSDP_PARSE_JUNK);
	assert_int_equal(used, 1);

	/* Two frames back to back come out one by one. */
	memcpy(buf, frame, len);
	memcpy(buf + len, frame, len);
	while (at < 2 * len) {
		assert_int_equal(osdp_frame_parse(buf + at, 2 * len - at, &f, &used),
				 OSDP_PARSE_FRAME);
		at += used;
	}
	assert_int_equal(at, 2 * len);
}

/* A security block with a MAC: the MAC is split off before the check bytes. */
static void test_parse_secure_block(void **state)
{
	const uint8_t scb[] = {0x02, 0x15};
	const uint8_t mac[] = {0xaa, 0xbb, 0xcc, 0xdd};
	uint8_t out[64];
	struct osdp_frame f;
	size_t used;
	int n;

	(void)state;
	n = osdp_frame_build(out, sizeof(out), 0x82, 2, true, scb, sizeof(scb), OSDP_REPLY_ACK,
			     NULL, 0, mac);
	assert_true(n > 0);
	assert_int_equal(osdp_frame_parse(out, (size_t)n, &f, &used), OSDP_PARSE_FRAME);
	assert_non_null(f.scb);
	assert_int_equal(f.scb_len, 2);
	assert_int_equal(f.scb[1], 0x15);
	assert_non_null(f.mac);
	assert_memory_equal(f.mac, mac, 4);
	assert_int_equal(f.code, OSDP_REPLY_ACK);
	assert_int_equal(f.len, 0);

	/* An SCB whose length runs past the frame is junk. */
	out[5] = 0x40;
	uint16_t c = osdp_crc16(out, (size_t)n - 2);
	out[n - 2] = (uint8_t)c;
	out[n - 1] = (uint8_t)(c >> 8);
	assert_int_equal(osdp_frame_parse(out, (size_t)n, &f, &used), OSDP_PARSE_JUNK);
	assert_int_equal(used, n);
}

static void test_sequence_numbers(void **state)
{
	(void)state;
	assert_int_equal(osdp_seq_next(0), 1);
	assert_int_equal(osdp_seq_next(1), 2);
	assert_int_equal(osdp_seq_next(2), 3);
	assert_int_equal(osdp_seq_next(3), 1); /* 0 is only ever the reset */
}

/*
 * The standard's examples (SIA OSDP 2.2, Annex E), as the libosdp project
 * transcribed them (data only): COMSET broadcast and ID, each with CRC-16
 * and with the checksum.
 */
static void test_sia_annex_e_check_vectors(void **state)
{
	static const uint8_t comset_crc[] = {0x53, 0x7f, 0x0d, 0x00, 0x04, 0x6e,
					     0x00, 0x80, 0x25, 0x00, 0x00};
	static const uint8_t id_crc[] = {0x53, 0x00, 0x09, 0x00, 0x04, 0x61, 0x00};
	static const uint8_t comset_sum[] = {0x53, 0x7f, 0x0c, 0x00, 0x00, 0x6e,
					     0x00, 0x80, 0x25, 0x00, 0x00};
	static const uint8_t id_sum[] = {0x53, 0x00, 0x08, 0x00, 0x00, 0x61, 0x00};
	uint8_t out[16];
	int n;

	(void)state;
	/* On the wire the CRC goes LSB first: 6e 38, c0 66. */
	assert_int_equal(osdp_crc16(comset_crc, sizeof(comset_crc)), 0x386e);
	assert_int_equal(osdp_crc16(id_crc, sizeof(id_crc)), 0x66c0);
	assert_int_equal(osdp_checksum(comset_sum, sizeof(comset_sum)), 0x0f);
	assert_int_equal(osdp_checksum(id_sum, sizeof(id_sum)), 0x44);

	/* The builder gives the example frames byte for byte. */
	n = osdp_frame_build(out, sizeof(out), 0, 0, true, NULL, 0, OSDP_CMD_ID,
			     (const uint8_t[]){0}, 1, NULL);
	assert_int_equal(n, 9);
	assert_memory_equal(out, id_crc, sizeof(id_crc));
	assert_int_equal(out[7], 0xc0);
	assert_int_equal(out[8], 0x66);
	n = osdp_frame_build(out, sizeof(out), OSDP_ADDR_BROADCAST, 0, true, NULL, 0,
			     OSDP_CMD_COMSET, comset_crc + 6, 5, NULL);
	assert_int_equal(n, 13);
	assert_memory_equal(out, comset_crc, sizeof(comset_crc));
	assert_int_equal(out[11], 0x6e);
	assert_int_equal(out[12], 0x38);
}

/* FMT (osdp_FMT): reader, direction, count, characters; every field checked. */
static void test_fmt_decode(void **state)
{
	static const struct {
		const char *name;
		uint8_t d[16];
		size_t len;
		int want; /* length, or -errno */
		const char *text;
	} cases[] = {
	    {"ten digits",
	     {0, 0, 10, '0', '0', '1', '2', '3', '4', '5', '6', '7', '8'},
	     13,
	     10,
	     "0012345678"},
	    {"read in reverse", {0, 1, 3, 'A', 'b', '9'}, 6, 3, "Ab9"},
	    {"direction 2", {0, 2, 1, '1'}, 4, -EBADMSG, NULL},
	    {"count beyond the data", {0, 0, 4, '1', '2'}, 5, -EBADMSG, NULL},
	    {"data beyond the count", {0, 0, 1, '1', '2'}, 5, -EBADMSG, NULL},
	    {"no characters", {0, 0, 0}, 3, -EBADMSG, NULL},
	    {"a control character", {0, 0, 2, '1', 0x07}, 5, -EBADMSG, NULL},
	    {"a space", {0, 0, 2, '1', ' '}, 5, -EBADMSG, NULL},
	    {"short header", {0, 0}, 2, -EBADMSG, NULL},
	};
	char out[8], exact[11];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char big[64];
		int r = osdp_fmt_decode(cases[i].d, cases[i].len, big, sizeof(big));
		if (r != cases[i].want)
			fail_msg("%s: got %d, want %d", cases[i].name, r, cases[i].want);
		if (cases[i].text)
			assert_string_equal(big, cases[i].text);
	}
	/* Ten characters and the NUL do not fit 8 bytes. */
	assert_int_equal(osdp_fmt_decode(cases[0].d, cases[0].len, out, sizeof(out)), -ENOSPC);
	/* Exactly enough: ten characters and the NUL. */
	assert_int_equal(osdp_fmt_decode(cases[0].d, cases[0].len, exact, sizeof(exact)), 10);
	assert_string_equal(exact, "0012345678");
}

static void test_baud_values(void **state)
{
	(void)state;
	assert_true(osdp_baud_valid(9600) && osdp_baud_valid(115200) && osdp_baud_valid(230400));
	assert_false(osdp_baud_valid(0) || osdp_baud_valid(12345) || osdp_baud_valid(460800));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_crc16_check_value),
	    cmocka_unit_test(test_checksum_sums_to_zero),
	    cmocka_unit_test(test_build_poll),
	    cmocka_unit_test(test_build_refuses_bad_arguments),
	    cmocka_unit_test(test_parse_round_trip),
	    cmocka_unit_test(test_parse_stream),
	    cmocka_unit_test(test_parse_secure_block),
	    cmocka_unit_test(test_sequence_numbers),
	    cmocka_unit_test(test_sia_annex_e_check_vectors),
	    cmocka_unit_test(test_fmt_decode),
	    cmocka_unit_test(test_baud_values),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
