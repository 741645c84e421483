/* SPDX-License-Identifier: MIT */
/*
 * Wiegand decoding, bytes → bits: the first byte picks the enabled formats,
 * every further byte is one bit (its low bit; a byte above 1 makes an
 * invalid bit, which must be refused, not read). Checks beyond "no crash":
 * every decoding re-encodes to the very same frame, and the normalized text
 * of every card parses back to the same card.
 */
#include "fuzz.h"
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "aeogate/wiegand.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t bits[AEOGATE_WIEGAND_MAX_BITS + 8];
	struct wiegand_card cards[AEOGATE_FORMATS_MAX];
	char text[AEOGATE_CREDENTIAL_MAX + 1];
	unsigned mask;
	size_t nbits;
	bool invalid = false;
	int n;

	if (size < 1)
		return 0;
	mask = data[0];
	nbits = size - 1;
	if (nbits > sizeof(bits))
		nbits = sizeof(bits);
	for (size_t i = 0; i < nbits; i++) {
		/* Mostly valid bits; 0xff marks a deliberately invalid one. */
		bits[i] = data[1 + i] == 0xff ? 2 : (data[1 + i] & 1);
		if (bits[i] > 1)
			invalid = true;
	}

	n = wiegand_decode(bits, nbits, mask, cards, AEOGATE_FORMATS_MAX);
	if (nbits == 0 || nbits > AEOGATE_WIEGAND_MAX_BITS || invalid)
		CHECK(n == -EINVAL);
	CHECK(n == -EINVAL || n == -ENOMSG || n == -EBADMSG || (n >= 1 && n <= AEOGATE_FORMATS_MAX));

	for (int i = 0; i < n; i++) {
		uint8_t again[AEOGATE_WIEGAND_MAX_BITS];
		struct wiegand_card back;
		int m;

		CHECK(mask & (1u << cards[i].format));
		CHECK(wiegand_format_bits(cards[i].format) == nbits);
		m = wiegand_encode(&cards[i], again, sizeof(again));
		CHECK(m == (int)nbits);
		CHECK(memcmp(again, bits, nbits) == 0);
		m = wiegand_card_to_string(&cards[i], text, sizeof(text));
		CHECK(m > 0 && (size_t)m < sizeof(text));
		CHECK(wiegand_card_from_string(text, &back) == 0);
		CHECK(back.format == cards[i].format && back.facility == cards[i].facility &&
		       back.number == cards[i].number);
	}

	/* Every frame that reaches a decision can be kept raw in its event. */
	if (nbits >= 1 && nbits <= AEOGATE_WIEGAND_MAX_BITS && !invalid) {
		int m = wiegand_raw_to_string(bits, nbits, text, sizeof(text));
		CHECK(m > 0 && (size_t)m < sizeof(text));
	}
	return 0;
}
