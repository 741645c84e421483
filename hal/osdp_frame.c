/* SPDX-License-Identifier: MIT */
/*
 * OSDP framing (include/aeogate/osdp.h): CRC-16, checksum, building command
 * frames and finding reply frames in a byte stream. Every length read from
 * the wire is checked against what is there before it is used.
 */
#include <errno.h>
#include <string.h>

#include "aeogate/osdp.h"

uint16_t osdp_crc16(const uint8_t *p, size_t n)
{
	uint16_t crc = 0x1d0f;

	for (size_t i = 0; i < n; i++) {
		crc ^= (uint16_t)p[i] << 8;
		for (int b = 0; b < 8; b++)
			crc = crc & 0x8000 ? (uint16_t)(crc << 1) ^ 0x1021 : (uint16_t)(crc << 1);
	}
	return crc;
}

uint8_t osdp_checksum(const uint8_t *p, size_t n)
{
	uint8_t sum = 0;

	for (size_t i = 0; i < n; i++)
		sum = (uint8_t)(sum + p[i]);
	return (uint8_t)(0x100 - sum);
}

int osdp_frame_build(uint8_t *out, size_t max, uint8_t addr, uint8_t seq, bool crc,
		     const uint8_t *scb, size_t scb_len, uint8_t code, const uint8_t *data,
		     size_t len, const uint8_t *mac)
{
	size_t total = OSDP_HEADER_LEN + scb_len + 1 + len + (mac ? 4 : 0) + (crc ? 2 : 1);
	size_t at = 0;

	if (seq > 3 || (scb_len && !scb) || (len && !data) ||
	    (scb && (scb_len < 2 || scb[0] != scb_len)))
		return -EINVAL;
	if (total > max || total > AEOGATE_OSDP_FRAME_MAX)
		return -ENOBUFS;
	out[at++] = OSDP_SOM;
	out[at++] = addr;
	out[at++] = (uint8_t)(total & 0xff);
	out[at++] = (uint8_t)(total >> 8);
	out[at++] = (uint8_t)(seq | (crc ? OSDP_CTRL_CRC : 0) | (scb ? OSDP_CTRL_SCB : 0));
	if (scb_len) {
		memcpy(out + at, scb, scb_len);
		at += scb_len;
	}
	out[at++] = code;
	if (len) {
		memcpy(out + at, data, len);
		at += len;
	}
	if (mac) {
		memcpy(out + at, mac, 4);
		at += 4;
	}
	if (crc) {
		uint16_t c = osdp_crc16(out, at);
		out[at++] = (uint8_t)(c & 0xff);
		out[at++] = (uint8_t)(c >> 8);
	} else {
		out[at] = osdp_checksum(out, at);
		at++;
	}
	return (int)at;
}

/* Secure blocks that carry a MAC after the data (SCS_15 .. SCS_18). */
static bool scb_has_mac(uint8_t type)
{
	return type >= 0x15 && type <= 0x18;
}

enum osdp_parse_result osdp_frame_parse(const uint8_t *buf, size_t n, struct osdp_frame *ret,
					size_t *ret_used)
{
	size_t total, check, at, end;
	uint8_t ctrl;

	*ret_used = 0;
	if (n == 0)
		return OSDP_PARSE_MORE;
	if (buf[0] != OSDP_SOM) {
		const uint8_t *som = memchr(buf, OSDP_SOM, n);
		*ret_used = som ? (size_t)(som - buf) : n;
		return OSDP_PARSE_JUNK;
	}
	if (n < OSDP_HEADER_LEN)
		return OSDP_PARSE_MORE;
	total = (size_t)buf[2] | (size_t)buf[3] << 8;
	ctrl = buf[4];
	check = ctrl & OSDP_CTRL_CRC ? 2 : 1;
	/* The smallest frame has a code and its check bytes after the header. */
	if (total < OSDP_HEADER_LEN + 1 + check || total > AEOGATE_OSDP_FRAME_MAX ||
	    (ctrl & 0xf0)) {
		*ret_used = 1; /* a SOM byte inside junk: hunt for the next one */
		return OSDP_PARSE_JUNK;
	}
	if (n < total)
		return OSDP_PARSE_MORE;
	if (check == 2) {
		uint16_t c = osdp_crc16(buf, total - 2);
		if ((c & 0xff) != buf[total - 2] || (c >> 8) != buf[total - 1]) {
			*ret_used = 1;
			return OSDP_PARSE_BAD_CHECK;
		}
	} else if (osdp_checksum(buf, total - 1) != buf[total - 1]) {
		*ret_used = 1;
		return OSDP_PARSE_BAD_CHECK;
	}

	memset(ret, 0, sizeof(*ret));
	ret->addr = buf[1] & ~OSDP_ADDR_REPLY;
	ret->reply = buf[1] & OSDP_ADDR_REPLY;
	ret->seq = ctrl & OSDP_CTRL_SQN;
	ret->crc = check == 2;
	ret->raw = buf;
	ret->raw_len = total;
	at = OSDP_HEADER_LEN;
	end = total - check;
	if (ctrl & OSDP_CTRL_SCB) {
		size_t scb_len = buf[at];
		if (scb_len < 2 || at + scb_len >= end) {
			*ret_used = total;
			return OSDP_PARSE_JUNK;
		}
		ret->scb = buf + at;
		ret->scb_len = scb_len;
		at += scb_len;
		if (scb_has_mac(ret->scb[1])) {
			if (end < at + 1 + 4) {
				*ret_used = total;
				return OSDP_PARSE_JUNK;
			}
			end -= 4;
			ret->mac = buf + end;
		}
	}
	ret->code = buf[at++];
	ret->data = buf + at;
	ret->len = end - at;
	*ret_used = total;
	return OSDP_PARSE_FRAME;
}

int osdp_fmt_decode(const uint8_t *d, size_t len, char *out, size_t max)
{
	size_t n;

	/* reader number, read direction, character count, the characters */
	if (len < 3 || d[1] > 1)
		return -EBADMSG;
	n = d[2];
	if (n == 0 || n != len - 3)
		return -EBADMSG;
	for (size_t i = 0; i < n; i++)
		if (d[3 + i] < 0x21 || d[3 + i] > 0x7e)
			return -EBADMSG;
	if (n + 1 > max)
		return -ENOSPC;
	memcpy(out, d + 3, n);
	out[n] = '\0';
	return (int)n;
}
