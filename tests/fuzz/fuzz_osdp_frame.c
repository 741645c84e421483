/* SPDX-License-Identifier: MIT */
/*
 * The OSDP frame parser over a byte stream, as hal/osdp.c feeds it from the
 * RS-485 port: whatever arrives, every call makes progress or asks for
 * more, never reads past what it was given, and every frame it returns is
 * consistent (its parts lie inside it and add up to its length). A frame
 * built back from a parsed one is byte for byte the same. FMT replies go
 * through the FMT record decoder too.
 */
#include "fuzz.h"
#include <stdint.h>
#include <string.h>

#include "aeogate/osdp.h"

static void check_frame(const uint8_t *buf, size_t n, const struct osdp_frame *f, size_t used)
{
	uint8_t again[AEOGATE_OSDP_FRAME_MAX];
	size_t check = f->crc ? 2 : 1;
	int len;

	CHECK(used == f->raw_len && f->raw == buf && used <= n);
	CHECK(used >= OSDP_HEADER_LEN + 1 + check && used <= AEOGATE_OSDP_FRAME_MAX);
	CHECK(f->seq <= 3 && f->addr <= 0x7f);
	CHECK(f->data >= buf && f->data + f->len <= buf + used - check);
	CHECK(OSDP_HEADER_LEN + f->scb_len + 1 + f->len + (f->mac ? 4 : 0) + check == used);
	if (f->scb)
		CHECK(f->scb_len >= 2 && f->scb[0] == f->scb_len);
	len =
	    osdp_frame_build(again, sizeof(again), (uint8_t)(f->addr | (f->reply ? 0x80 : 0)),
			     f->seq, f->crc, f->scb, f->scb_len, f->code, f->data, f->len, f->mac);
	CHECK(len == (int)used);
	CHECK(memcmp(again, buf, used) == 0);
	if (f->code == OSDP_REPLY_FMT) {
		/* The FMT record decoder: a NUL-terminated text of exactly the count, or an error.
		 */
		char text[AEOGATE_FMT_MAX + 1];
		int r = osdp_fmt_decode(f->data, f->len, text, sizeof(text));
		CHECK(r < 0 || ((size_t)r == f->len - 3 && strlen(text) == (size_t)r));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t off = 0;

	while (off < size) {
		struct osdp_frame f;
		size_t used = 0;
		enum osdp_parse_result r = osdp_frame_parse(data + off, size - off, &f, &used);

		CHECK(used <= size - off);
		if (r == OSDP_PARSE_MORE && used == 0)
			break;
		CHECK(used > 0);
		if (r == OSDP_PARSE_FRAME)
			check_frame(data + off, size - off, &f, used);
		off += used;
	}
	return 0;
}
