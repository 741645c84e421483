/* SPDX-License-Identifier: MIT */
/* Image type and size from the bytes (image.h). */
#include <errno.h>
#include <string.h>

#include "image.h"

static const unsigned char png_magic[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
/* The last chunk of every PNG: length 0, "IEND", its CRC. */
static const unsigned char png_iend[12] = {0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xae, 0x42, 0x60, 0x82};

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint32_t be16(const unsigned char *p)
{
	return (uint32_t)p[0] << 8 | p[1];
}

static int probe_png(const unsigned char *p, size_t len, struct image_info *ret)
{
	/* Signature, IHDR (length 13), IEND at the end. */
	if (len < sizeof(png_magic) + 25 + sizeof(png_iend))
		return -EBADMSG;
	if (be32(p + 8) != 13 || memcmp(p + 12, "IHDR", 4) != 0)
		return -EBADMSG;
	if (memcmp(p + len - sizeof(png_iend), png_iend, sizeof(png_iend)) != 0)
		return -EBADMSG;
	ret->type = "image/png";
	ret->width = be32(p + 16);
	ret->height = be32(p + 20);
	return 0;
}

/* A SOFn marker carries the frame size; C4 (DHT), C8 (JPG) and CC (DAC) do not. */
static int is_sof(unsigned m)
{
	return m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc;
}

static int probe_jpeg(const unsigned char *p, size_t len, struct image_info *ret)
{
	size_t pos = 2;

	if (len < 4 || p[len - 2] != 0xff || p[len - 1] != 0xd9)
		return -EBADMSG;
	/* The segments before the first frame header, each checked against the end. */
	for (;;) {
		unsigned m;
		size_t seg;

		if (pos >= len || p[pos] != 0xff)
			return -EBADMSG;
		while (pos < len && p[pos] == 0xff)
			pos++;
		if (pos >= len)
			return -EBADMSG;
		m = p[pos++];
		if (m == 0x01 || (m >= 0xd0 && m <= 0xd7))
			continue; /* no length */
		if (m == 0xd8 || m == 0xd9 || m == 0xda || m == 0x00)
			return -EBADMSG; /* a second start, the end or the scan before any frame */
		if (pos + 2 > len)
			return -EBADMSG;
		seg = be16(p + pos);
		if (seg < 2 || pos + seg > len)
			return -EBADMSG;
		if (is_sof(m)) {
			if (seg < 8)
				return -EBADMSG;
			ret->type = "image/jpeg";
			ret->height = be16(p + pos + 3);
			ret->width = be16(p + pos + 5);
			return 0;
		}
		pos += seg;
	}
}

int image_probe(const void *data, size_t len, size_t max_bytes, uint32_t max_side,
		struct image_info *ret)
{
	const unsigned char *p = data;
	struct image_info info = {0};
	int r;

	if (!len || len > max_bytes)
		return -EMSGSIZE;
	if (len >= sizeof(png_magic) && !memcmp(p, png_magic, sizeof(png_magic)))
		r = probe_png(p, len, &info);
	else if (len >= 3 && p[0] == 0xff && p[1] == 0xd8 && p[2] == 0xff)
		r = probe_jpeg(p, len, &info);
	else
		return -EMEDIUMTYPE;
	if (r < 0)
		return r;
	if (!info.width || !info.height || info.width > max_side || info.height > max_side)
		return -E2BIG;
	*ret = info;
	return 0;
}

const char *image_probe_error(int r)
{
	switch (r) {
	case -EMSGSIZE:
		return "the image is empty or larger than allowed";
	case -EMEDIUMTYPE:
		return "the file is not a PNG or JPEG image (SVG and other types are refused)";
	case -EBADMSG:
		return "the image is malformed or truncated";
	case -E2BIG:
		return "the image's width or height is 0 or larger than allowed";
	}
	return "the image cannot be read";
}
