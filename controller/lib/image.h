/* SPDX-License-Identifier: MIT */
/*
 * What an uploaded image is, from its bytes alone (README "Site plan"):
 * PNG or JPEG, told by magic bytes, never by a name or a Content-Type; the
 * pixel size read from the header (PNG IHDR, JPEG SOFn); a file that does
 * not end where its format says it ends (PNG IEND, JPEG EOI) is refused as
 * truncated. Nothing is decoded: the browser draws the image, and SVG (a
 * document that can carry script) is not an image here. Pure, no I/O.
 */
#ifndef AEOGATE_IMAGE_H
#define AEOGATE_IMAGE_H

#include <stddef.h>
#include <stdint.h>

struct image_info {
	const char *type; /* "image/png" or "image/jpeg" (static) */
	uint32_t width, height;
};

/*
 * 0 with *ret filled; -EMSGSIZE larger than max_bytes or empty;
 * -EMEDIUMTYPE neither PNG nor JPEG; -EBADMSG a PNG or JPEG whose header
 * or end is malformed; -E2BIG a side longer than max_side pixels (or 0).
 */
int image_probe(const void *data, size_t len, size_t max_bytes, uint32_t max_side,
		struct image_info *ret);

/* The refusal's words for the user, for each error image_probe returns. */
const char *image_probe_error(int r);

#endif
