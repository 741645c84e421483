/* SPDX-License-Identifier: MIT */
/*
 * Credentials as stored (DESIGN.md, "Credentials"): h10301:FC:CN,
 * h10304:FC:CN, c1k35:CO:CN, c1k48:CO:CN, raw:BITS:HEX, uid:HEX, fmt:TEXT
 * (OSDP formatted card data: 1 to AEOGATE_FMT_MAX letters and digits). One
 * module (controller/lib/credential.c) turns what a reader read and what a
 * person typed into that text, so a badge enrolled once matches every read
 * of it. Errors are negative errno.
 */
#ifndef AEOGATE_CREDENTIAL_H
#define AEOGATE_CREDENTIAL_H

#include <stddef.h>
#include <stdint.h>

#include "aeogate/hal.h"
#include "aeogate/limits.h"
#include "aeogate/reason.h"

/* "uid:" and two lower-case hex digits per byte; -EINVAL for 0 or too many bytes, -ENOSPC. */
int credential_uid_to_string(const uint8_t *uid, size_t n, char *out, size_t len);

/*
 * Normalizes a credential given by a person ("H10301:012:3456",
 * "uid:04A1B2C3") into its stored form; -EINVAL when malformed (a typed
 * UID is 4, 7 or 10 bytes), -ENOSPC when out is too small.
 */
int credential_normalize(const char *in, char *out, size_t len);

/*
 * The read a reader would make of a stored credential: a Wiegand frame of
 * its format with correct parity (the one encoder, hal/wiegand.c), or a
 * UID. -EINVAL when malformed, -ERANGE when the numbers do not fit the
 * format, -EOPNOTSUPP for raw:BITS:HEX (a frame that decodes to no badge).
 */
int credential_to_read(const char *credential, struct hal_read *ret);

/* What one read may be: a frame can decode in several formats. */
struct credential_candidates {
	char creds[AEOGATE_FORMATS_MAX][AEOGATE_CREDENTIAL_MAX + 1];
	size_t n;
};

/*
 * The stored text of a read: its UID, or every card its Wiegand frame
 * decodes to in the formats of mask. REASON_NONE when there is one at
 * least; otherwise the frame itself (raw:BITS:HEX, so nothing read is lost
 * to the auditor) with REASON_BAD_PARITY or REASON_UNKNOWN_FORMAT.
 */
enum reason credential_from_read(const struct hal_read *r, unsigned mask,
				 struct credential_candidates *ret);

#endif
