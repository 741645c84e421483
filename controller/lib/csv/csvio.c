// SPDX-License-Identifier: MIT
#include <csv.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "csvio.h"

struct csvio_reader {
	struct csv_parser p;
	csvio_record_fn fn;
	void *userdata;
	int64_t line;	  /* the line the next byte fed belongs to */
	bool line_start;  /* the next byte fed begins a line */
	int64_t rec_line; /* where the record being read began */
	bool between;	  /* no byte of a record seen since the last ended */
	bool started;	  /* a byte of the file was fed (for the byte order mark) */
	size_t bom;	  /* bytes of a byte order mark matched so far */
	int error;	  /* sticky: the reader stopped */
	size_t n_fields;  /* fields of the record being read */
	struct csvio_field fields[CSVIO_FIELDS_KEPT];
	char *buf; /* the kept fields' bytes, each NUL-terminated */
	size_t buf_len;
};

#define CSVIO_BUF_MAX (CSVIO_FIELDS_KEPT * (AEOGATE_IMPORT_FIELD_MAX + 1))

static void on_field(void *s, size_t len, void *userdata)
{
	struct csvio_reader *r = userdata;

	r->between = false;
	if (r->error)
		return;
	if (len > AEOGATE_IMPORT_FIELD_MAX) {
		r->error = -EMSGSIZE;
		return;
	}
	if (r->n_fields < CSVIO_FIELDS_KEPT) {
		struct csvio_field *f = &r->fields[r->n_fields];

		/* Fields are stored back to back; pointers are set when the record ends. */
		if (len)
			memcpy(r->buf + r->buf_len, s, len);
		r->buf[r->buf_len + len] = '\0';
		f->data = NULL;
		f->len = len;
		r->buf_len += len + 1;
	}
	r->n_fields++;
}

static void on_record(int c, void *userdata)
{
	struct csvio_reader *r = userdata;
	struct csvio_record rec = {.line = r->rec_line, .fields = r->fields};
	size_t off = 0;

	if (!r->error) {
		rec.n_fields = r->n_fields;
		rec.n_kept = r->n_fields < CSVIO_FIELDS_KEPT ? r->n_fields : CSVIO_FIELDS_KEPT;
		for (size_t i = 0; i < rec.n_kept; i++) {
			r->fields[i].data = r->buf + off;
			off += r->fields[i].len + 1;
		}
		r->error = r->fn(r->userdata, &rec);
	}
	r->n_fields = 0;
	r->buf_len = 0;
	r->between = true;
}

int csvio_reader_new(csvio_record_fn fn, void *userdata, struct csvio_reader **ret)
{
	struct csvio_reader *r = calloc(1, sizeof(*r));

	if (!r)
		return -ENOMEM;
	r->buf = malloc(CSVIO_BUF_MAX);
	/* Strict: a quote inside an unquoted field, or text after a closing quote, is an error. */
	if (!r->buf || csv_init(&r->p, CSV_STRICT | CSV_STRICT_FINI) != 0) {
		free(r->buf);
		free(r);
		return -ENOMEM;
	}
	r->fn = fn;
	r->userdata = userdata;
	r->line = 1;
	r->line_start = true;
	r->rec_line = 1;
	r->between = true;
	*ret = r;
	return 0;
}

void csvio_reader_free(struct csvio_reader *r)
{
	if (!r)
		return;
	csv_free(&r->p);
	free(r->buf);
	free(r);
}

int64_t csvio_reader_line(const struct csvio_reader *r)
{
	return r->rec_line;
}

/* Feeds one piece of a line (ending at its newline, if it has one). */
static int feed_piece(struct csvio_reader *r, const char *p, size_t n)
{
	/*
	 * A record begins on the first line that gives libcsv a byte of it: a
	 * line that leaves it between records with nothing pending (a blank
	 * line) is not its start.
	 */
	if (r->line_start && r->between)
		r->rec_line = r->line;
	if (csv_parse(&r->p, p, n, on_field, on_record, r) != n && !r->error)
		r->error = csv_error(&r->p) == CSV_ENOMEM ? -ENOMEM : -EBADMSG;
	if (r->between && r->p.entry_pos)
		r->between = false;
	/* The libcsv buffer of a field being read is bounded too, not only a finished field. */
	if (!r->error && r->p.entry_pos > AEOGATE_IMPORT_FIELD_MAX)
		r->error = -EMSGSIZE;
	r->line_start = n && p[n - 1] == '\n';
	if (r->line_start)
		r->line++;
	return r->error;
}

int csvio_reader_feed(struct csvio_reader *r, const void *buf, size_t len)
{
	static const unsigned char bom[] = {0xef, 0xbb, 0xbf};
	const char *p = buf, *end = p + len;

	if (r->error)
		return r->error;
	/* A byte order mark (spreadsheets write one) is not part of the header. */
	while (!r->started && p < end) {
		if ((unsigned char)*p != bom[r->bom]) {
			r->started = true;
			/* A partial mark was data after all. */
			if (r->bom && feed_piece(r, (const char *)bom, r->bom) != 0)
				return r->error;
			break;
		}
		p++;
		if (++r->bom == sizeof(bom))
			r->started = true;
	}
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);

		if (feed_piece(r, p, n) != 0)
			return r->error;
		p += n;
	}
	return 0;
}

int csvio_reader_finish(struct csvio_reader *r)
{
	if (r->error)
		return r->error;
	if (!r->started && r->bom && feed_piece(r, "\xef\xbb\xbf", r->bom) != 0)
		return r->error;
	if (csv_fini(&r->p, on_field, on_record, r) != 0 && !r->error)
		r->error = -EBADMSG;
	return r->error;
}

int csvio_write_field(FILE *f, const char *v, bool last)
{
	size_t n = v ? strlen(v) : 0;
	int r = 0;

	/* A value starting with a byte order mark would lose it at the start of a file. */
	if (n && (strpbrk(v, ",\"\r\n") || strchr(" \t", v[0]) || strchr(" \t", v[n - 1]) ||
		  !strncmp(v, "\xef\xbb\xbf", 3)))
		r = csv_fwrite(f, v, n);
	else if (n)
		r = fwrite(v, 1, n, f) == n ? 0 : EOF;
	if (r != 0 || fputs(last ? "\r\n" : ",", f) < 0)
		return -EIO;
	return 0;
}
