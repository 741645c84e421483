/* SPDX-License-Identifier: MIT */
/*
 * Human output of aeogatectl: aligned tables, key/value blocks and the
 * JSON documents printed under --json. Cells are copied; NULL prints as "-".
 */
#ifndef AEOGATE_CTL_PRINT_H
#define AEOGATE_CTL_PRINT_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

/* The widest table a command prints (door list: 13 columns), with room to grow. */
#define TABLE_COLS_MAX 16

struct table;

/* headers: ncols column titles (at most TABLE_COLS_MAX). NULL on ENOMEM. */
struct table *table_new(const char *const *headers, size_t ncols);
void table_free(struct table *t); /* accepts NULL */

/* Adds a row of ncols cells; -ENOMEM. */
int table_add(struct table *t, const char *const *cells);

/* Prints the header and rows, columns separated by two spaces. */
void table_print(const struct table *t, FILE *f);

/* "key  value" with the key padded to a fixed width; NULL value prints "-". */
void print_kv(FILE *f, const char *key, const char *value);

/* print_kv of each of keys[0..n) with its json_field. */
void print_fields(FILE *f, const json_t *obj, const char *const *keys, size_t n);

/* One member of a record: a table's column, or a row of a record block. */
struct column {
	const char *header;
	const char *key;
	unsigned flags; /* COLUMN_* (record blocks) */
};

enum {
	COLUMN_UNLESS_NULL = 1 << 0, /* left out when the member is null (absent shows "-") */
	COLUMN_IF_PRESENT = 1 << 1,  /* left out when the member is absent */
};

/* A table of the records of arr on stdout; array members joined with commas. */
void print_records(const json_t *arr, const struct column *cols, size_t ncols);

/* One record as print_kv rows on stdout; array members joined with commas. */
void print_record(const json_t *obj, const struct column *rows, size_t n);

/* One JSON document (object or array), indented, and a newline. */
void print_json(FILE *f, const json_t *j);

/* One JSON value on one line, exactly its members in their order. */
void print_json_line(FILE *f, const json_t *j);

/*
 * Field helpers for records: the member as text ("-" when null or absent;
 * numbers and booleans formatted), and an array of strings joined with
 * commas into buf ("-" when empty).
 */
const char *json_field(const json_t *obj, const char *key, char *buf, size_t len);
const char *json_join(const json_t *obj, const char *key, char *buf, size_t len);

#endif
