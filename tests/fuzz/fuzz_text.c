/* SPDX-License-Identifier: MIT */
/*
 * The small text parsers that take what a person or a client typed:
 * credential_normalize, wiegand_card_from_string, wiegand_bits_from_string,
 * time_parse_ms, id_is_valid, text_is_valid. The input is one C string
 * (cut at the first NUL). Checks: normalizing is idempotent and its output
 * parses; a parsed time formats back to text that parses to the same time;
 * a parsed card formats back to the normalized text.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "aeogate/credential.h"
#include "aeogate/wiegand.h"
#include "fuzz.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char s[512], norm[AEOGATE_CREDENTIAL_MAX + 1], again[AEOGATE_CREDENTIAL_MAX + 1];
	uint8_t bits[AEOGATE_WIEGAND_MAX_BITS];
	struct wiegand_card card, back;
	int64_t ms, ms2;
	int r;

	if (size >= sizeof(s))
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';

	r = credential_normalize(s, norm, sizeof(norm));
	if (r == 0) {
		CHECK(strlen(norm) <= AEOGATE_CREDENTIAL_MAX);
		CHECK(credential_normalize(norm, again, sizeof(again)) == 0);
		CHECK(strcmp(norm, again) == 0);
	}
	/* A buffer too small for the result must be refused, not overrun. */
	(void)credential_normalize(s, norm, 6);

	if (wiegand_card_from_string(s, &card) == 0) {
		r = wiegand_card_to_string(&card, norm, sizeof(norm));
		CHECK(r > 0);
		CHECK(wiegand_card_from_string(norm, &back) == 0);
		CHECK(back.format == card.format && back.facility == card.facility &&
		      back.number == card.number);
		/* Whatever parses fits its format: it encodes. */
		CHECK(wiegand_encode(&card, bits, sizeof(bits)) == (int)wiegand_format_bits(card.format));
	}

	r = wiegand_bits_from_string(s, bits, sizeof(bits));
	CHECK(r == -EINVAL || r == -E2BIG || (r >= 1 && r <= AEOGATE_WIEGAND_MAX_BITS));

	if (time_parse_ms(s, &ms) == 0) {
		char t[32];

		CHECK(ms >= 0);
		time_format_ms(ms, t, sizeof(t));
		CHECK(time_parse_ms(t, &ms2) == 0);
		CHECK(ms == ms2);
	}

	if (id_is_valid(s))
		CHECK(strlen(s) >= 1 && strlen(s) <= AEOGATE_ID_MAX);
	if (text_is_valid(s))
		CHECK(strlen(s) >= 1 && strlen(s) <= AEOGATE_TEXT_MAX);
	return 0;
}
