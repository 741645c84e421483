/* SPDX-License-Identifier: MIT */
/*
 * The offline verifier of audit exports and table reports (export.h
 * describes the files; README.md, "Audit trail and reports", the checks).
 * aeogatectl runs it with no daemon; libaeogate-common, so it never links
 * the database.
 */
#ifndef AEOGATE_EXPORT_VERIFY_H
#define AEOGATE_EXPORT_VERIFY_H

#include <stdbool.h>
#include <stdint.h>

struct export_verify_result {
	int64_t rows;
	int64_t first_seq, last_seq; /* of the rows in the file; 0 when none */
	int64_t range_first, range_last;
	int64_t bad_seq; /* the first seq found bad; 0 when the problem has none */
	bool key_pinned; /* checked against a key the caller gave */
	char key_id[17];
	char message[512]; /* what is wrong, or a summary when all is well */
};

/*
 * Verifies an export file (or a table report, by its statement's type)
 * against its manifest, offline. pk (32 bytes) is
 * the device public key the caller trusts, or NULL to take the manifest's
 * own key (then only the file's consistency with that key is proven).
 * Returns 0 when every check passes, -EBADMSG when one fails (message and
 * bad_seq say which), or another negative errno when a file cannot be read.
 */
int export_verify(const char *path, const char *manifest_path, const unsigned char *pk,
		  struct export_verify_result *ret);

#endif
