/* SPDX-License-Identifier: MIT */
/*
 * The one client of a paged export or table report: aeogatectl (`report`
 * of a table) and aeogate-web (POST /api/exports of a table report) both
 * drive it. Event exports and event reports are streamed instead
 * (audit.export_stream, docs/control-socket.md "Streams"); the paged event
 * ops stay for scripts, and this pages them too.
 *
 * An event export pages audit.export_begin, audit.export_page until done,
 * audit.export_seal; a table report report.begin, report.page, report.seal.
 * The pager owns no connection and no loop: export_pager_next takes the
 * result of the request it asked for last (NULL the first time) and says
 * what to ask next, so a blocking caller loops over it and an event-driven
 * one calls it from its reply callback. It writes each page's rows to the
 * caller's file with the export writer (export.h), so memory stays one
 * page, whatever the size of the export.
 */
#ifndef AEOGATE_EXPORT_PAGER_H
#define AEOGATE_EXPORT_PAGER_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "export.h"

struct export_pager;

/*
 * begin_args (stolen): an event export's filter {"from", "to", "kinds",
 * "person", "zone"}, or a table report's begin arguments {"report", "from",
 * "to", "at", "within_days"}. report names an event report (sent with the seal), or is NULL.
 * max_bytes (0: no bound) ends the export with -EFBIG once the file grows
 * past it; sync makes the file durable (fsync) before the seal is asked.
 * -ENOMEM.
 */
int export_pager_new(bool table, enum export_format fmt, json_t *begin_args, const char *report,
		     int64_t max_bytes, bool sync, struct export_pager **ret);
/* Accepts NULL. Neither closes the file nor removes it. */
void export_pager_free(struct export_pager *p);

/* Where the rows go: set before the begin op's result is given. */
void export_pager_set_file(struct export_pager *p, FILE *f);

/*
 * Takes the result of the last op (NULL the first time; the pager keeps
 * what it needs) and returns 1 with the next op and its arguments (a new
 * reference for the caller to send), 0 when the seal arrived (the export
 * is complete), -EPROTO for a reply that is not the op's, -EIO when the
 * file cannot be written (errno tells why), -EFBIG past max_bytes,
 * -ENOMEM.
 */
int export_pager_next(struct export_pager *p, const json_t *result, const char **ret_op,
		      json_t **ret_args);

/* The begin op's result (report, columns) and the seal (statement, signature), once given. */
const json_t *export_pager_begin(const struct export_pager *p);
const json_t *export_pager_seal(const struct export_pager *p);
/* Rows written so far. */
int64_t export_pager_rows(const struct export_pager *p);

/*
 * The manifest beside the file (`audit verify FILE` reads FILE.manifest.json):
 * the seal's statement, signature and public key, the format and the
 * file's name. NULL without memory.
 */
json_t *export_manifest_json(const json_t *seal, enum export_format fmt, const char *file);

#endif
