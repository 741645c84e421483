// SPDX-License-Identifier: MIT
/*
 * image_probe (controller/lib/image.c): PNG and JPEG told by their bytes,
 * their size from the header, truncated and foreign files refused, each
 * bound hit from both sides.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "image.h"

/* A PNG of w×h: signature, IHDR, IEND (the chunks' CRCs are not checked but IEND's). */
static size_t make_png(unsigned char *b, uint32_t w, uint32_t h)
{
	static const unsigned char head[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n',
					     0,	   0,	0,   13,  'I',	'H',  'D',  'R'};
	static const unsigned char tail[] = {8, 6, 0,	0,   0,	  1,   2,    3,	   4,	 0,   0,
					     0, 0, 'I', 'E', 'N', 'D', 0xae, 0x42, 0x60, 0x82};
	size_t n = 0;

	memcpy(b, head, sizeof(head));
	n += sizeof(head);
	b[n++] = w >> 24, b[n++] = w >> 16, b[n++] = w >> 8, b[n++] = w;
	b[n++] = h >> 24, b[n++] = h >> 16, b[n++] = h >> 8, b[n++] = h;
	memcpy(b + n, tail, sizeof(tail));
	return n + sizeof(tail);
}

/* A JPEG of w×h: SOI, an APP0 segment, SOF0, EOI. */
static size_t make_jpeg(unsigned char *b, uint32_t w, uint32_t h)
{
	const unsigned char j[] = {0xff,     0xd8, 0xff, 0xe0, 0,  6,	 'J',	 'F',	   'I',
				   'F',	     0xff, 0xc0, 0,    11, 8,	 h >> 8, h & 0xff, w >> 8,
				   w & 0xff, 1,	   1,	 0x11, 0,  0xff, 0xd9};

	memcpy(b, j, sizeof(j));
	return sizeof(j);
}

static void test_reads_png_and_jpeg_sizes(void **state)
{
	unsigned char b[64];
	struct image_info info;
	size_t n;

	(void)state;
	n = make_png(b, 640, 480);
	assert_int_equal(image_probe(b, n, 1024, 8192, &info), 0);
	assert_string_equal(info.type, "image/png");
	assert_int_equal(info.width, 640);
	assert_int_equal(info.height, 480);
	n = make_jpeg(b, 1024, 8192);
	assert_int_equal(image_probe(b, n, 1024, 8192, &info), 0);
	assert_string_equal(info.type, "image/jpeg");
	assert_int_equal(info.width, 1024);
	assert_int_equal(info.height, 8192);
}

static void test_refuses_by_bound_type_and_shape(void **state)
{
	static const char svg[] =
	    "<svg xmlns=\"http://www.w3.org/2000/svg\"><script>x</script></svg>";
	static const unsigned char gif[] = "GIF89a\x01\x00\x01\x00";
	unsigned char b[64];
	struct image_info info = {0};
	size_t n;

	(void)state;
	/* Size: one byte over the bound, and empty. */
	n = make_png(b, 1, 1);
	assert_int_equal(image_probe(b, n, n, 8192, &info), 0);
	assert_int_equal(image_probe(b, n, n - 1, 8192, &info), -EMSGSIZE);
	assert_int_equal(image_probe(b, 0, 1024, 8192, &info), -EMSGSIZE);
	/* Type: SVG and GIF are not images here. */
	assert_int_equal(image_probe(svg, sizeof(svg) - 1, 1024, 8192, &info), -EMEDIUMTYPE);
	assert_int_equal(image_probe(gif, sizeof(gif) - 1, 1024, 8192, &info), -EMEDIUMTYPE);
	/* Truncated: no IEND, no EOI; a PNG signature alone. */
	n = make_png(b, 10, 10);
	assert_int_equal(image_probe(b, n - 1, 1024, 8192, &info), -EBADMSG);
	assert_int_equal(image_probe(b, 8, 1024, 8192, &info), -EBADMSG);
	n = make_jpeg(b, 10, 10);
	assert_int_equal(image_probe(b, n - 1, 1024, 8192, &info), -EBADMSG);
	/* A JPEG whose segment runs past the end. */
	b[5] = 0x7f;
	assert_int_equal(image_probe(b, n, 1024, 8192, &info), -EBADMSG);
	/* A PNG whose first chunk is not IHDR. */
	n = make_png(b, 10, 10);
	b[12] = 'X';
	assert_int_equal(image_probe(b, n, 1024, 8192, &info), -EBADMSG);
	/* Sides: the bound from both sides, and 0. */
	n = make_png(b, 8193, 10);
	assert_int_equal(image_probe(b, n, 1024, 8192, &info), -E2BIG);
	n = make_jpeg(b, 10, 0);
	assert_int_equal(image_probe(b, n, 1024, 8192, &info), -E2BIG);
	n = make_jpeg(b, 8192, 8192);
	assert_int_equal(image_probe(b, n, 1024, 8192, &info), 0);
	assert_string_equal(
	    image_probe_error(-EMEDIUMTYPE),
	    "the file is not a PNG or JPEG image (SVG and other types are refused)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_reads_png_and_jpeg_sizes),
	    cmocka_unit_test(test_refuses_by_bound_type_and_shape),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
