/* SPDX-License-Identifier: MIT */
/*
 * The direct export row writer (export_row_format, controller/lib/
 * export_format.c) against the paged exporter's (event_to_json plus
 * export_chain through export_write_row): for every event, CSV and JSONL,
 * both must write the same bytes. Input as fuzz_canonical's: 16 bytes of
 * seq and ts, then the eight text fields separated by NUL (an empty field is
 * NULL): kind, door, reader, zone, person, credential, reason, detail.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain.h"
#include "export.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char text[4096], chain[EVENT_HASH_HEX];
	const char *field[8] = {0};
	struct event e = {0};
	size_t n = 0;

	if (size < 16 || size - 16 >= sizeof(text))
		return 0;
	memcpy(&e.seq, data, 8);
	memcpy(&e.ts_ms, data + 8, 8);
	/* Times the controller can write: 1970 to 2100. */
	e.ts_ms = (int64_t)((uint64_t)e.ts_ms % 4102444800000ull);
	memcpy(text, data + 16, size - 16);
	text[size - 16] = '\0';
	for (char *p = text; n < 8 && p <= text + (size - 16); n++) {
		field[n] = *p ? p : NULL;
		p += strlen(p) + 1;
	}
	e.kind = field[0];
	e.door = field[1];
	e.reader = field[2];
	e.zone = field[3];
	e.person = field[4];
	e.credential = field[5];
	e.reason = field[6];
	e.detail = field[7];
	memset(e.prev, 'a', 64);
	memset(e.hash, 'b', 64);
	export_chain_next(e.prev, e.seq, e.hash, chain);

	for (int fmt = EXPORT_CSV; fmt <= EXPORT_JSONL; fmt++) {
		struct export_buf b = {0};
		json_t *row = event_to_json(&e);
		char *want = NULL;
		size_t want_n = 0;
		FILE *f = open_memstream(&want, &want_n);
		int r;

		CHECK(row && f);
		json_object_set_new(row, "export_chain", json_string(chain));
		r = export_write_row(f, fmt, row);
		fclose(f);
		json_decref(row);
		if (r == 0) {
			CHECK(export_row_format(&b, fmt, &e, chain, NULL) == 0);
			CHECK(b.len == want_n);
			CHECK(memcmp(b.p, want, want_n) == 0);
		}
		free(want);
		export_buf_free(&b);
	}
	return 0;
}
