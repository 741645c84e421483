/* SPDX-License-Identifier: MIT */
/*
 * The columns of the people CSV (README "Bulk enrolment"): what
 * `aeogatectl person import` reads and `person export` writes, and the
 * members of the rows person.import_rows takes. One table, so the file's
 * header, the request's keys and the export's columns cannot drift apart.
 */
#ifndef AEOGATE_PEOPLE_CSV_H
#define AEOGATE_PEOPLE_CSV_H

#include <stdbool.h>

enum people_col {
	PEOPLE_COL_ID,
	PEOPLE_COL_NAME,
	PEOPLE_COL_VALID_FROM,
	PEOPLE_COL_VALID_UNTIL,
	PEOPLE_COL_LEVELS,
	PEOPLE_COL_CREDENTIALS,
	PEOPLE_COL_VETTING_STATUS,
	PEOPLE_COL_VETTING_CHECKED,
	PEOPLE_COL_VETTING_RECHECK_DUE,
	PEOPLE_COL_VETTING_REFERENCE,
	_PEOPLE_COL_MAX,
};

/* Separates the items of a levels or credentials cell. */
#define PEOPLE_CSV_LIST_SEP ';'

/* The column's name in the header ("valid_until"); NULL out of range. */
const char *people_csv_column_name(enum people_col col);

/* The column a header names (exact, lower case), or -1. */
int people_csv_column(const char *name);

/* id and name: a file without them is refused. */
bool people_csv_column_required(enum people_col col);

/* A bit per column (1u << col): every column, and the required ones. */
#define PEOPLE_CSV_ALL	    ((1u << _PEOPLE_COL_MAX) - 1)
#define PEOPLE_CSV_REQUIRED ((1u << PEOPLE_COL_ID) | (1u << PEOPLE_COL_NAME))

/* The four vetting columns, as a mask. */
#define PEOPLE_CSV_VETTING                                                                         \
	((1u << PEOPLE_COL_VETTING_STATUS) | (1u << PEOPLE_COL_VETTING_CHECKED) |                  \
	 (1u << PEOPLE_COL_VETTING_RECHECK_DUE) | (1u << PEOPLE_COL_VETTING_REFERENCE))

#endif
