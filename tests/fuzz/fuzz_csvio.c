/* SPDX-License-Identifier: MIT */
/*
 * The people CSV reader (controller/lib/csv/csvio.c, on libcsv): a file of
 * any bytes. Checks: the records do not depend on how the file is split
 * into reads (whole, or at a split point taken from the input); each
 * record begins on a line no earlier than the one before and within the
 * file; kept fields stay within the field bound; and fields written by
 * csvio_write_field read back as they were.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "csvio.h"
#include "fuzz.h"

/* A digest of what the reader saw: records, their lines and fields. */
struct seen {
	uint64_t hash;
	int64_t last_line;
	int64_t max_line;
	size_t records;
	bool first_fields; /* keep the first record's fields */
	char fields[CSVIO_FIELDS_KEPT][AEOGATE_IMPORT_FIELD_MAX + 1];
	size_t lens[CSVIO_FIELDS_KEPT];
	size_t n;
};

static void mix(uint64_t *h, const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		*h = (*h ^ b[i]) * 1099511628211ull;
}

static int on_record(void *userdata, const struct csvio_record *rec)
{
	struct seen *s = userdata;

	CHECK(rec->line >= 1 && rec->line >= s->last_line && rec->line <= s->max_line);
	CHECK(rec->n_kept <= CSVIO_FIELDS_KEPT && rec->n_kept <= rec->n_fields);
	s->last_line = rec->line;
	mix(&s->hash, &rec->line, sizeof(rec->line));
	mix(&s->hash, &rec->n_fields, sizeof(rec->n_fields));
	for (size_t i = 0; i < rec->n_kept; i++) {
		CHECK(rec->fields[i].len <= AEOGATE_IMPORT_FIELD_MAX);
		CHECK(rec->fields[i].data[rec->fields[i].len] == '\0');
		mix(&s->hash, rec->fields[i].data, rec->fields[i].len + 1);
		if (s->first_fields && s->records == 0) {
			memcpy(s->fields[i], rec->fields[i].data, rec->fields[i].len + 1);
			s->lens[i] = rec->fields[i].len;
		}
	}
	if (s->first_fields && s->records == 0)
		s->n = rec->n_kept;
	s->records++;
	return 0;
}

static int read_split(const uint8_t *data, size_t size, size_t split, struct seen *s)
{
	struct csvio_reader *r;
	int rc;

	s->hash = 14695981039346656037ull;
	s->last_line = 1;
	s->max_line = 1;
	for (size_t i = 0; i < size; i++)
		s->max_line += data[i] == '\n';
	CHECK(csvio_reader_new(on_record, s, &r) == 0);
	rc = csvio_reader_feed(r, data, split);
	if (rc == 0)
		rc = csvio_reader_feed(r, data + split, size - split);
	if (rc == 0)
		rc = csvio_reader_finish(r);
	csvio_reader_free(r);
	mix(&s->hash, &rc, sizeof(rc));
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct seen a, b, c;
	size_t split = size ? data[0] % (size + 1) : 0;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	int ra, rb;

	if (size > 64 * 1024)
		return 0;
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	a.first_fields = true;
	ra = read_split(data, size, 0, &a);
	rb = read_split(data, size, split, &b);
	CHECK(ra == rb && a.hash == b.hash && a.records == b.records);
	CHECK(ra == 0 || ra == -EBADMSG || ra == -EMSGSIZE);

	/* The first record's fields, written and read back, are the same fields. */
	if (ra != 0 || a.records == 0)
		return 0;
	f = open_memstream(&buf, &len);
	CHECK(f);
	for (size_t i = 0; i < a.n; i++) {
		/* A field with a NUL byte cannot be written as text; leave the check there. */
		if (strlen(a.fields[i]) != a.lens[i]) {
			fclose(f);
			free(buf);
			return 0;
		}
		CHECK(csvio_write_field(f, a.fields[i], i + 1 == a.n) == 0);
	}
	fclose(f);
	memset(&c, 0, sizeof(c));
	c.first_fields = true;
	CHECK(read_split((const uint8_t *)buf, len, 0, &c) == 0);
	/* A lone empty field is a blank line, which is no record. */
	if (!(a.n == 1 && a.lens[0] == 0)) {
		CHECK(c.records == 1 && c.n == a.n);
		for (size_t i = 0; i < a.n; i++)
			CHECK(c.lens[i] == a.lens[i] &&
			      !memcmp(c.fields[i], a.fields[i], a.lens[i]));
	}
	free(buf);
	return 0;
}
