/* SPDX-License-Identifier: MIT */
/*
 * CSV for aeogatectl's people files (README "Bulk enrolment"), on Debian's
 * libcsv: RFC 4180 records read from a stream in bounded memory, each with
 * the line of the file it begins on (a quoted field may span lines), and
 * fields written so that libcsv reads them back as they were.
 */
#ifndef AEOGATE_CSVIO_H
#define AEOGATE_CSVIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "aeogate/limits.h"

/* Fields of a record kept for the callback; the rest are only counted. */
#define CSVIO_FIELDS_KEPT 16

struct csvio_field {
	const char *data; /* NUL-terminated; may hold NUL bytes before len */
	size_t len;
};

struct csvio_record {
	int64_t line; /* the line the record begins on, from 1 */
	const struct csvio_field *fields;
	size_t n_kept;	 /* fields[] holds min(n_fields, CSVIO_FIELDS_KEPT) */
	size_t n_fields; /* fields the record has */
};

/* Called once per record; 0 to go on, anything else stops the reader and is returned. */
typedef int (*csvio_record_fn)(void *userdata, const struct csvio_record *rec);

struct csvio_reader;

int csvio_reader_new(csvio_record_fn fn, void *userdata, struct csvio_reader **ret);
void csvio_reader_free(struct csvio_reader *r); /* accepts NULL */

/*
 * Feeds the next len bytes of the file (any split). A UTF-8 byte order
 * mark at the very start is skipped. Returns 0, the callback's non-zero
 * value, or: -EBADMSG the file is not RFC 4180 CSV (a stray quote),
 * -EMSGSIZE a field longer than AEOGATE_IMPORT_FIELD_MAX, -ENOMEM. After
 * an error the reader takes nothing more; csvio_reader_line says where.
 */
int csvio_reader_feed(struct csvio_reader *r, const void *buf, size_t len);
/* The end of the file: the last record, or -EBADMSG for a quote left open. */
int csvio_reader_finish(struct csvio_reader *r);
/* The line of the record being read (where an error stopped the reader). */
int64_t csvio_reader_line(const struct csvio_reader *r);

/*
 * Writes one field (NULL: empty), then "," or, after the last, the CRLF
 * that ends an RFC 4180 record. A value libcsv would not read back as it is
 * (a comma, quote, line break, spaces at either end, a leading byte order
 * mark) is quoted.
 * 0, or -EIO.
 */
int csvio_write_field(FILE *f, const char *v, bool last);

#endif
