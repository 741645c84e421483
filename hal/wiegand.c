/* SPDX-License-Identifier: MIT */
/*
 * Wiegand card formats: one table row per format, and generic code that
 * extracts fields and checks parity from the row. Positions count from 0 at
 * the first bit on the wire (the most significant bit).
 *
 * Layouts and parity groups (sources: the RF IDeas proximity card format
 * page and the ooaccess.com 37-bit page for the HID formats; the Proxmark3
 * client, client/src/wiegand_formats.c, for all six):
 *   H10301 (26): P0 even over 1-12, FC 1-8, CN 9-24, P25 odd over 13-24.
 *   H10302 / H10304 (37): P0 even over 1-18, P36 odd over 18-35 (bit 18 is
 *     in both groups); H10302 CN 1-35, H10304 FC 1-16 and CN 17-35.
 *   H10306 (34): P0 even over 1-16, FC 1-16, CN 17-32, P33 odd over 17-32.
 *   Corporate 1000 35 and 48: company id 2-13 / 2-23, card 14-33 / 24-46,
 *     an odd parity bit at 0 over every other bit and two interleaved
 *     parity bits at 1 (even) and at the end (odd), each covering two out of
 *     every three positions. The interleaved groups are the Proxmark3
 *     Pack_C1k35s / Pack_C1k48s masks (0xB6DB6DB6, 0x6DB6DB6C and their high
 *     words), which an independent 35-bit encoder (after proxmark.org forum
 *     topic 1767) agrees with. Note the asymmetry: in the 35-bit format the
 *     trailing odd bit also covers the even bit at 1, in the 48-bit format
 *     it does not.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "aeogate/wiegand.h"

struct wiegand_parity {
	uint8_t at;	     /* position of the parity bit */
	bool odd;	     /* odd parity over the group (bit included), else even */
	uint8_t first, last; /* covered positions, inclusive */
	bool interleaved;    /* if set, positions p with p % 3 == hole are skipped */
	uint8_t hole;
};

struct wiegand_layout {
	const char *name;
	uint8_t bits;
	uint8_t fac_first, fac_len; /* fac_len 0: the format has no facility */
	uint8_t num_first, num_len;
	uint8_t nparity;
	/* In encoding order: a group may cover a parity bit listed before it. */
	struct wiegand_parity parity[3];
};

/*
 * One row per format. Parity groups: { at, odd, first, last } covers every
 * position in [first, last]; { ..., true, h } skips those with p % 3 == h.
 */
/* clang-format off */
#define EVEN(at, first, last)        { (at), false, (first), (last), false, 0 }
#define ODD(at, first, last)         { (at), true, (first), (last), false, 0 }
#define EVEN3(at, first, last, hole) { (at), false, (first), (last), true, (hole) }
#define ODD3(at, first, last, hole)  { (at), true, (first), (last), true, (hole) }

static const struct wiegand_layout layouts[_WIEGAND_FORMAT_MAX] = {
	/*                   name     bits  facility  number  n  parity groups, in encoding order */
	[WIEGAND_H10301] = { "h10301", 26,   1, 8,     9, 16,  2, { EVEN(0, 1, 12), ODD(25, 13, 24) } },
	[WIEGAND_H10302] = { "h10302", 37,   0, 0,     1, 35,  2, { EVEN(0, 1, 18), ODD(36, 18, 35) } },
	[WIEGAND_H10304] = { "h10304", 37,   1, 16,   17, 19,  2, { EVEN(0, 1, 18), ODD(36, 18, 35) } },
	[WIEGAND_H10306] = { "h10306", 34,   1, 16,   17, 16,  2, { EVEN(0, 1, 16), ODD(33, 17, 32) } },
	/* 1: 2,3, 5,6 .. 32,33; 34: 1,2, 4,5 .. 31,32 (even bit 1 included); 0: all */
	[WIEGAND_C1K35]  = { "c1k35",  35,   2, 12,   14, 20,  3,
			     { EVEN3(1, 2, 33, 1), ODD3(34, 1, 33, 0), ODD(0, 1, 34) } },
	/* 1: 3,4, 6,7 .. 45,46; 47: 2,3, 5,6 .. 44,45; 0: all */
	[WIEGAND_C1K48]  = { "c1k48",  48,   2, 22,   24, 23,  3,
			     { EVEN3(1, 2, 46, 2), ODD3(47, 2, 45, 1), ODD(0, 1, 47) } },
};
/* clang-format on */

#undef EVEN
#undef ODD
#undef EVEN3
#undef ODD3

static const struct wiegand_layout *layout_get(enum wiegand_format f)
{
	if ((unsigned)f >= _WIEGAND_FORMAT_MAX)
		return NULL;
	return &layouts[f];
}

const char *wiegand_format_name(enum wiegand_format f)
{
	const struct wiegand_layout *l = layout_get(f);

	return l ? l->name : NULL;
}

int wiegand_format_from_name(const char *s)
{
	if (!s)
		return -EINVAL;
	for (unsigned i = 0; i < _WIEGAND_FORMAT_MAX; i++)
		if (strcasecmp(s, layouts[i].name) == 0)
			return (int)i;
	return -EINVAL;
}

size_t wiegand_format_bits(enum wiegand_format f)
{
	const struct wiegand_layout *l = layout_get(f);

	return l ? l->bits : 0;
}

static uint64_t field_max(uint8_t len)
{
	return len >= 64 ? UINT64_MAX : (UINT64_C(1) << len) - 1;
}

static uint64_t field_get(const uint8_t *bits, uint8_t first, uint8_t len)
{
	uint64_t v = 0;

	for (uint8_t i = 0; i < len; i++)
		v = (v << 1) | bits[first + i];
	return v;
}

static void field_set(uint8_t *bits, uint8_t first, uint8_t len, uint64_t v)
{
	for (uint8_t i = 0; i < len; i++)
		bits[first + len - 1 - i] = (v >> i) & 1;
}

/* Ones in the group's covered positions, the parity bit itself excluded. */
static unsigned parity_ones(const struct wiegand_parity *p, const uint8_t *bits)
{
	unsigned ones = 0;

	for (unsigned i = p->first; i <= p->last; i++) {
		if (i == p->at || (p->interleaved && i % 3 == p->hole))
			continue;
		ones += bits[i];
	}
	return ones;
}

static bool parity_ok(const struct wiegand_layout *l, const uint8_t *bits)
{
	for (unsigned i = 0; i < l->nparity; i++) {
		const struct wiegand_parity *p = &l->parity[i];
		unsigned total = parity_ones(p, bits) + bits[p->at];

		if ((total & 1) != (p->odd ? 1u : 0u))
			return false;
	}
	return true;
}

int wiegand_decode(const uint8_t *bits, size_t nbits, unsigned mask, struct wiegand_card *ret_cards,
		   size_t max)
{
	size_t n = 0;
	bool length_known = false;

	if (!bits || nbits == 0 || nbits > AEOGATE_WIEGAND_MAX_BITS || !ret_cards || max == 0)
		return -EINVAL;
	for (size_t i = 0; i < nbits; i++)
		if (bits[i] > 1)
			return -EINVAL;

	for (unsigned f = 0; f < _WIEGAND_FORMAT_MAX && n < max; f++) {
		const struct wiegand_layout *l = &layouts[f];

		if (!(mask & (1u << f)) || l->bits != nbits)
			continue;
		length_known = true;
		if (!parity_ok(l, bits))
			continue;
		ret_cards[n++] = (struct wiegand_card){
		    .format = (enum wiegand_format)f,
		    .facility = (uint32_t)field_get(bits, l->fac_first, l->fac_len),
		    .number = field_get(bits, l->num_first, l->num_len),
		};
	}
	if (n > 0)
		return (int)n;
	return length_known ? -EBADMSG : -ENOMSG;
}

static int card_check_range(const struct wiegand_layout *l, uint64_t facility, uint64_t number)
{
	if (facility > field_max(l->fac_len) || number > field_max(l->num_len))
		return -ERANGE;
	return 0;
}

int wiegand_encode(const struct wiegand_card *c, uint8_t *bits, size_t max)
{
	const struct wiegand_layout *l;
	int r;

	if (!c || !bits)
		return -EINVAL;
	l = layout_get(c->format);
	if (!l)
		return -EINVAL;
	r = card_check_range(l, c->facility, c->number);
	if (r < 0)
		return r;
	if (max < l->bits)
		return -EINVAL;

	memset(bits, 0, l->bits);
	field_set(bits, l->fac_first, l->fac_len, c->facility);
	field_set(bits, l->num_first, l->num_len, c->number);
	for (unsigned i = 0; i < l->nparity; i++) {
		const struct wiegand_parity *p = &l->parity[i];

		bits[p->at] = (parity_ones(p, bits) & 1) ^ (p->odd ? 1 : 0);
	}
	return l->bits;
}

int wiegand_aliases(const struct wiegand_card *c, unsigned mask, struct wiegand_card *ret,
		    size_t max)
{
	uint8_t bits[AEOGATE_WIEGAND_MAX_BITS];
	struct wiegand_card cards[_WIEGAND_FORMAT_MAX];
	size_t n = 0;
	int nbits, m;

	if (!c || (!ret && max))
		return -EINVAL;
	nbits = wiegand_encode(c, bits, sizeof(bits));
	if (nbits < 0)
		return nbits;
	m = wiegand_decode(bits, (size_t)nbits, mask & ~(1u << c->format), cards,
			   _WIEGAND_FORMAT_MAX);
	for (int i = 0; i < m && n < max; i++)
		ret[n++] = cards[i];
	return (int)n;
}

int wiegand_card_to_string(const struct wiegand_card *c, char *buf, size_t len)
{
	const char *name;
	int n;

	if (!c || !buf)
		return -EINVAL;
	name = wiegand_format_name(c->format);
	if (!name)
		return -EINVAL;
	n = snprintf(buf, len, "%s:%" PRIu32 ":%" PRIu64, name, c->facility, c->number);
	if (n < 0)
		return -EINVAL;
	if ((size_t)n >= len)
		return -ENOSPC;
	return n;
}

/*
 * Strict unsigned decimal: digits only, at least one, leading zeros allowed.
 * Sets *overflow instead of failing so that syntax errors win over range.
 */
static const char *parse_decimal(const char *s, uint64_t *ret, bool *overflow)
{
	uint64_t v = 0;
	const char *p = s;

	for (; *p >= '0' && *p <= '9'; p++) {
		unsigned d = (unsigned)(*p - '0');

		if (v > (UINT64_MAX - d) / 10)
			*overflow = true;
		else
			v = v * 10 + d;
	}
	if (p == s)
		return NULL;
	*ret = v;
	return p;
}

int wiegand_card_from_string(const char *s, struct wiegand_card *ret)
{
	const struct wiegand_layout *l;
	const char *colon, *p;
	char name[8];
	uint64_t facility, number;
	bool overflow = false;
	int f;

	if (!s || !ret)
		return -EINVAL;
	colon = strchr(s, ':');
	if (!colon || (size_t)(colon - s) >= sizeof(name))
		return -EINVAL;
	memcpy(name, s, (size_t)(colon - s));
	name[colon - s] = '\0';
	f = wiegand_format_from_name(name);
	if (f < 0)
		return -EINVAL;
	l = &layouts[f];

	p = parse_decimal(colon + 1, &facility, &overflow);
	if (!p || *p != ':')
		return -EINVAL;
	p = parse_decimal(p + 1, &number, &overflow);
	if (!p || *p != '\0')
		return -EINVAL;
	if (overflow || card_check_range(l, facility, number) < 0)
		return -ERANGE;

	*ret = (struct wiegand_card){
	    .format = (enum wiegand_format)f,
	    .facility = (uint32_t)facility,
	    .number = number,
	};
	return 0;
}

int wiegand_raw_to_string(const uint8_t *bits, size_t nbits, char *buf, size_t len)
{
	uint64_t v = 0;
	int digits, n;

	if (!bits || !buf || nbits == 0 || nbits > AEOGATE_WIEGAND_MAX_BITS)
		return -EINVAL;
	for (size_t i = 0; i < nbits; i++) {
		if (bits[i] > 1)
			return -EINVAL;
		v = (v << 1) | bits[i];
	}
	digits = (int)((nbits + 3) / 4);
	n = snprintf(buf, len, "raw:%zu:%0*" PRIx64, nbits, digits, v);
	if (n < 0)
		return -EINVAL;
	if ((size_t)n >= len)
		return -ENOSPC;
	return n;
}

int wiegand_bits_from_string(const char *s, uint8_t *bits, size_t max)
{
	size_t n, limit = max < AEOGATE_WIEGAND_MAX_BITS ? max : AEOGATE_WIEGAND_MAX_BITS;

	if (!s || !bits)
		return -EINVAL;
	for (n = 0; s[n]; n++)
		if (s[n] != '0' && s[n] != '1')
			return -EINVAL;
	if (n == 0)
		return -EINVAL;
	if (n > limit)
		return -E2BIG;
	for (size_t i = 0; i < n; i++)
		bits[i] = (uint8_t)(s[i] - '0');
	return (int)n;
}
