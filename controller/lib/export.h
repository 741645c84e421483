/* SPDX-License-Identifier: MIT */
/*
 * Audit exports: the file formats, the filter, the export chain and the
 * writers (libaeogate-common, export_format.c). Shared by aeogated (which
 * writes the rows of streamed exports straight from the events, pages them
 * out for the paged ops, and signs the statement), aeogatectl and
 * aeogate-web (which write the files of paged table reports, and take a
 * streamed export's bytes as they come); export_verify.h checks them on any machine,
 * with no daemon. README.md, "Audit trail and reports",
 * documents the formats for auditors who verify with their own tools.
 *
 * Rows are events plus one column, export_chain:
 *
 *   export_chain[i] = hex SHA-256( "<export_chain[i-1]>\n<seq>\n<hash>\n" )
 *
 * starting from 64 zeros. It chains the rows that are in this file, so a
 * filtered export (which skips events) still has every row bound to the one
 * before it; the signed statement names the last value.
 */
#ifndef AEOGATE_EXPORT_H
#define AEOGATE_EXPORT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "aeogate/event.h"
#include "aeogate/limits.h"

#define EXPORT_STATEMENT_TYPE "aeogate-export-v1"
#define EXPORT_CSV_HEADER                                                                          \
	"seq,ts,kind,door,reader,zone,person,credential,reason,detail,prev,hash,export_chain,"     \
	"person_name"
#define EXPORT_CSV_COLS 14
/*
 * The columns up to export_chain: what the chain and the signature cover.
 * person_name, after them, is the person's name when the file was written
 * (read from the people table, never part of an event), so it is outside
 * the hashed content; files written before it existed end at export_chain
 * and verify the same.
 */
#define EXPORT_CSV_SIGNED_COLS 13

/* The columns of a row, in file order (EXPORT_CSV_HEADER); person_name is last. */
extern const char *const export_csv_cols[EXPORT_CSV_COLS];

enum export_format {
	EXPORT_CSV,
	EXPORT_JSONL,
};

int export_format_parse(const char *s, enum export_format *ret); /* "csv", "jsonl"; -EINVAL */
const char *export_format_name(enum export_format f);

/*
 * Which events an export holds: from_ms <= ts < to_ms (0: no bound), the
 * person and the zone when set, and a kind matching any pattern when there
 * are patterns ("access.granted" exactly, "access.*" by prefix).
 */
struct export_filter {
	int64_t from_ms;
	int64_t to_ms;
	char person[AEOGATE_ID_MAX + 1];
	char zone[AEOGATE_ID_MAX + 1];
	char door[AEOGATE_ID_MAX + 1]; /* "" when not asked for (the History page's door) */
	char kinds[AEOGATE_EXPORT_KINDS_MAX][AEOGATE_ID_MAX + 1];
	size_t n_kinds;
};

/* A kind or kind pattern: dotted lower-case words, optionally ending in ".*". */
bool export_kind_valid(const char *k);
/* Adds a kind pattern (kept sorted, duplicates dropped); -EINVAL, -E2BIG. */
int export_filter_add_kind(struct export_filter *f, const char *k);
bool export_filter_match(const struct export_filter *f, const struct event *e);
/*
 * True when the filter narrows by kind, person, zone or door. An export that is
 * not filtered holds every event from its first to its last seq, gap-free,
 * whatever their ts (a clock jump must not hide an event); the time range
 * only chooses those two seqs.
 */
bool export_filter_narrows(const struct export_filter *f);
/*
 * {"from","to","kinds","person","zone"} and "door" only when set (so every
 * statement signed before doors were a filter reads the same): times as
 * text or null, the canonical form signed.
 */
json_t *export_filter_to_json(const struct export_filter *f);
/* The inverse; -EINVAL with a reason in err. */
int export_filter_from_json(const json_t *j, struct export_filter *ret, char *err, size_t errlen);

/* The next export_chain value (see above). */
void export_chain_next(const char prev[EVENT_HASH_HEX], int64_t seq, const char *hash,
		       char ret[EVENT_HASH_HEX]);

/*
 * Writes one row: row is the event's JSON object plus "export_chain" and,
 * when the person has a name, "person_name" (CSV: an empty cell without). CSV
 * cells starting with = + - @ TAB CR or ' get a leading apostrophe, so a
 * spreadsheet shows them as text; a reader removes exactly one leading
 * apostrophe from any cell that has one. Returns 0 or -EIO.
 */
int export_write_header(FILE *f, enum export_format fmt);
int export_write_row(FILE *f, enum export_format fmt, const json_t *row);

/*
 * Rows written straight from the event into a buffer, for streamed
 * exports: byte for byte what export_write_row writes for the event's JSON
 * object, without building it. Rows the direct writer cannot be sure of (a
 * detail that is not already canonical JSON, text that is not UTF-8, a
 * control character in a JSONL string) go through export_write_row itself
 * and are counted in slow_rows. The buffer grows to hold what is appended
 * (the caller empties it by setting len to 0), up to AEOGATE_EXPORT_FRAME_MAX.
 */
struct export_buf {
	char *p;
	size_t len, cap;
	uint64_t slow_rows;
	/* The last detail found canonical (n 0: none), when it fits. */
	size_t canon_n;
	char canon[128];
	/* The last day formatted, "YYYY-MM-DDT": rows come in time order. */
	int64_t ts_day;
	bool ts_valid;
	char ts_date[11];
};
void export_buf_free(struct export_buf *b);
/* The CSV header row (nothing for JSONL); -E2BIG, -ENOMEM. */
int export_header_format(struct export_buf *b, enum export_format fmt);
/* One row with its export_chain value and person_name (NULL: none); -E2BIG, -ENOMEM. */
int export_row_format(struct export_buf *b, enum export_format fmt, const struct event *e,
		      const char chain[EVENT_HASH_HEX], const char *person_name);

/*
 * Reads one RFC 4180 record (quoted cells may hold commas, quotes and line
 * breaks) into buf, pointing fields[] into it. Returns the number of
 * fields, 0 at end of file, -EMSGSIZE over buflen or max fields, -EBADMSG
 * when malformed.
 */
int csv_read_record(FILE *f, char *buf, size_t buflen, char **fields, size_t max);

/* The bytes the device key signs for a statement: "aeogate-export-v1\n" + canonical JSON. */
char *export_statement_text(const json_t *statement);

/*
 * Table reports (alarms, entitlements, leavers, validity, access-points):
 * rows of the controller's state rather than events. Each row is a flat
 * object whose members are the report's columns, in order, with string,
 * integer, boolean or null values. A row's cells are the JSON array of
 * their texts: a string as it is, an integer in decimal, a boolean as
 * true/false, null (and "") as null. The rows are chained
 *
 *   report_chain[i] = hex SHA-256( "<report_chain[i-1]>\n<cells as compact JSON>\n" )
 *
 * from 64 zeros, so CSV and JSONL of one report give the same chain; the
 * signed statement ("aeogate-report-v1\n" + canonical JSON) names the
 * columns, the row count and the last report_chain value.
 */
#define REPORT_STATEMENT_TYPE "aeogate-report-v1"

/* The text of one cell (see above): NULL for null or "", buf holds numbers. */
const char *report_cell_text(const json_t *v, char *buf, size_t len);
/* The cells of row in the order of columns (an array of strings); NULL on ENOMEM. */
json_t *report_row_cells(const json_t *row, const json_t *columns);
/* The next report_chain value; -ENOMEM. */
int report_chain_next(const char prev[EVENT_HASH_HEX], const json_t *cells,
		      char ret[EVENT_HASH_HEX]);
/* "aeogate-report-v1\n" + canonical JSON of the statement (malloc'd), NULL on ENOMEM. */
char *report_statement_text(const json_t *statement);
/* CSV: a header row of the columns; JSONL: nothing. -EIO. */
int report_write_header(FILE *f, enum export_format fmt, const json_t *columns);
/* One row: CSV cells (neutralized as exports are), or the object as one JSON line. */
int report_write_row(FILE *f, enum export_format fmt, const json_t *columns, const json_t *row);

#endif
