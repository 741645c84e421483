// SPDX-License-Identifier: MIT
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "print.h"

struct table {
	size_t ncols;
	size_t nrows;
	size_t cap;
	char **cells; /* nrows * ncols, row 0 is the header */
	size_t width[TABLE_COLS_MAX];
};

/* Columns are measured in code points so UTF-8 names keep the table aligned. */
static size_t text_width(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}

struct table *table_new(const char *const *headers, size_t ncols)
{
	struct table *t;

	if (ncols == 0 || ncols > TABLE_COLS_MAX)
		return NULL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->ncols = ncols;
	if (table_add(t, headers) < 0) {
		table_free(t);
		return NULL;
	}
	return t;
}

void table_free(struct table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t);
}

int table_add(struct table *t, const char *const *cells)
{
	if (t->nrows == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		char **n = reallocarray(t->cells, cap * t->ncols, sizeof(*n));

		if (!n)
			return -ENOMEM;
		t->cells = n;
		t->cap = cap;
	}
	for (size_t c = 0; c < t->ncols; c++) {
		char *s = strdup(cells[c] ? cells[c] : "-");
		size_t w;

		if (!s) {
			for (size_t k = 0; k < c; k++)
				free(t->cells[t->nrows * t->ncols + k]);
			return -ENOMEM;
		}
		t->cells[t->nrows * t->ncols + c] = s;
		w = text_width(s);
		if (w > t->width[c])
			t->width[c] = w;
	}
	t->nrows++;
	return 0;
}

void table_print(const struct table *t, FILE *f)
{
	for (size_t r = 0; r < t->nrows; r++) {
		for (size_t c = 0; c < t->ncols; c++) {
			const char *s = t->cells[r * t->ncols + c];
			bool last = c + 1 == t->ncols;

			fputs(s, f);
			if (!last)
				fprintf(f, "%*s", (int)(t->width[c] - text_width(s) + 2), "");
		}
		fputc('\n', f);
	}
}

void print_kv(FILE *f, const char *key, const char *value)
{
	fprintf(f, "%-12s %s\n", key, value ? value : "-");
}

void print_json(FILE *f, const json_t *j)
{
	json_dumpf(j, f, JSON_INDENT(2));
	fputc('\n', f);
}

void print_json_line(FILE *f, const json_t *j)
{
	json_dumpf(j, f, JSON_COMPACT);
	fputc('\n', f);
}

const char *json_field(const json_t *obj, const char *key, char *buf, size_t len)
{
	const json_t *v = json_object_get(obj, key);

	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_integer(v)) {
		snprintf(buf, len, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return buf;
	}
	if (json_is_boolean(v))
		return json_is_true(v) ? "yes" : "no";
	return "-";
}

const char *json_join(const json_t *obj, const char *key, char *buf, size_t len)
{
	const json_t *arr = json_object_get(obj, key);
	size_t i, used = 0;
	json_t *v;

	if (!json_is_array(arr) || json_array_size(arr) == 0)
		return "-";
	buf[0] = '\0';
	json_array_foreach(arr, i, v)
	{
		const char *s = json_string_value(v);
		int n;

		if (!s)
			continue;
		n = snprintf(buf + used, len - used, "%s%s", used ? "," : "", s);
		if (n < 0 || (size_t)n >= len - used) {
			/* Mark the cut so a long list is never mistaken for a complete one. */
			if (len > 4)
				memcpy(buf + len - 4, "...", 4);
			break;
		}
		used += (size_t)n;
	}
	return buf;
}

void print_fields(FILE *f, const json_t *obj, const char *const *keys, size_t n)
{
	char b[300];

	for (size_t i = 0; i < n; i++)
		print_kv(f, keys[i], json_field(obj, keys[i], b, sizeof(b)));
}

/* A member as text: joined with commas when an array, else json_field. */
static const char *member(const json_t *obj, const char *key, char *buf, size_t len)
{
	if (json_is_array(json_object_get(obj, key)))
		return json_join(obj, key, buf, len);
	return json_field(obj, key, buf, len);
}

void print_records(const json_t *arr, const struct column *cols, size_t ncols)
{
	const char *headers[TABLE_COLS_MAX];
	struct table *t;
	const json_t *rec;
	size_t i;

	/* A table wider than the bound is a programming error: print nothing, never overrun. */
	if (ncols > TABLE_COLS_MAX)
		return;
	for (size_t k = 0; k < ncols; k++)
		headers[k] = cols[k].header;
	t = table_new(headers, ncols);
	if (!t)
		return;
	json_array_foreach(arr, i, rec)
	{
		char buf[TABLE_COLS_MAX][512];
		const char *row[TABLE_COLS_MAX];

		for (size_t k = 0; k < ncols; k++)
			row[k] = member(rec, cols[k].key, buf[k], sizeof(buf[k]));
		table_add(t, row);
	}
	table_print(t, stdout);
	table_free(t);
}

void print_record(const json_t *obj, const struct column *rows, size_t n)
{
	char buf[1024];

	for (size_t i = 0; i < n; i++) {
		const json_t *v = json_object_get(obj, rows[i].key);

		if ((rows[i].flags & COLUMN_UNLESS_NULL) && json_is_null(v))
			continue;
		if ((rows[i].flags & COLUMN_IF_PRESENT) && !v)
			continue;
		print_kv(stdout, rows[i].header, member(obj, rows[i].key, buf, sizeof(buf)));
	}
}
