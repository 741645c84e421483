/* SPDX-License-Identifier: MIT */
/*
 * One people import as the clients run it (README "Bulk enrolment"):
 * aeogatectl person import and the dashboard's POST /api/persons/import
 * feed the file's bytes in; out come the requests of one import session on
 * one control-socket connection (controller/api/ops_import.c):
 * person.import_begin once the header is read, person.import_rows with the
 * rows in batches that fit AEOGATE_MSG_MAX, then person.import_commit (or,
 * for a file with bad rows that is not a dry run, person.import_abort).
 * Only the file's shape is checked here (header, columns per row, UTF-8);
 * every value is the controller's to judge. Each bad row, whoever found
 * it, goes to the caller's error callback as LINE, column, reason: the
 * words aeogatectl prints as FILE:LINE: column: reason.
 *
 * No I/O and no loop: the caller moves bytes and requests. Memory is a few
 * batches, whatever the file's size, if the caller sends what
 * people_import_next hands out before feeding more.
 */
#ifndef AEOGATE_PEOPLE_IMPORT_H
#define AEOGATE_PEOPLE_IMPORT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * How long the commit may take to answer: aeogated applies the rows in
 * slices between badge reads, about 5 s for the largest import
 * (AEOGATE_IMPORT_ROWS_MAX) on an idle reference machine; this leaves room
 * for a site whose loop is very busy, and still ends a wait on a daemon
 * that hangs.
 */
#define PEOPLE_IMPORT_COMMIT_TIMEOUT_MS (10 * 60 * 1000)

/* One bad row (or header): line from 1, column ("header", "row" or a column's name). */
typedef void (*people_import_error_fn)(void *userdata, int64_t line, const char *column,
				       const char *reason);

struct people_import;

int people_import_new(bool dry_run, people_import_error_fn fn, void *userdata,
		      struct people_import **ret);
void people_import_free(struct people_import *pi); /* accepts NULL */

/*
 * The next len bytes of the file (any split). 0; -EBADMSG when the file is
 * refused as a whole (not RFC 4180 CSV, a field over
 * AEOGATE_IMPORT_FIELD_MAX, a bad header: already reported through the
 * callback; nothing is to be committed); -ENOMEM.
 */
int people_import_feed(struct people_import *pi, const void *buf, size_t len);
/*
 * The end of the file: 0, -EBADMSG as above, -ENODATA when the file had no
 * header row ("empty file"), -ENOMEM.
 */
int people_import_finish(struct people_import *pi);

/*
 * The next request to send (op static, args a new reference, NULL for
 * none): 1, or 2 when it is the commit (wait up to
 * PEOPLE_IMPORT_COMMIT_TIMEOUT_MS for it); 0 when none is due: feed more,
 * or, after people_import_finish, the session is over.
 */
int people_import_next(struct people_import *pi, const char **ret_op, json_t **ret_args);
/*
 * The controller's result (ok) for the request people_import_next gave
 * last: the errors of a batch go to the callback, the commit's counts are
 * kept. 0, or -EPROTO for a result that does not fit.
 */
int people_import_reply(struct people_import *pi, const json_t *result);

/* Rows after the header, and of those the bad ones (found here or by aeogated). */
int64_t people_import_rows(const struct people_import *pi);
int64_t people_import_bad(const struct people_import *pi);
bool people_import_dry_run(const struct people_import *pi);
/* The commit's reply ({committed, added, updated, unchanged, badges, ...}), borrowed; NULL if none.
 */
const json_t *people_import_result(const struct people_import *pi);

#endif
