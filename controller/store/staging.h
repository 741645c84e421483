/* SPDX-License-Identifier: MIT */
/*
 * The staging area of a person import (controller/api/ops_import.c): the
 * rows of one file, checked and kept until the import is applied or
 * dropped. A private temporary SQLite database of its own
 * connection (deleted when closed), not the site's database: its pages
 * spill to a temporary file past a small cache, so an import costs the
 * controller bounded memory whatever the file's size, and nothing of it
 * touches the site's database, its WAL or its transactions before the
 * commit. It also answers what the file says twice: a person id or a
 * badge on two lines.
 *
 * Errors are negative errno: -EEXIST a key the file already named,
 * -ENOENT none, -ENOSPC the temporary file's disk is full, -EIO otherwise.
 */
#ifndef AEOGATE_STAGING_H
#define AEOGATE_STAGING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct staging;

/* A new, empty staging area. */
int staging_open(struct staging **ret);
void staging_close(struct staging *st); /* accepts NULL; deletes its file */

/*
 * A row as kept: its checked values, what the commit applies. Lists are
 * joined by ';' ("" for none); times are UTC ms, 0 for no bound.
 */
struct staged_row {
	int64_t pos; /* where the row is kept: staging_walk goes on after it */
	int64_t line;
	const char *id;
	const char *name;
	int64_t valid_from, valid_until;
	const char *levels;
	const char *credentials;
	const char *vetting_status; /* NULL: the row says nothing of vetting */
	int64_t vetting_checked, vetting_recheck_due;
	const char *vetting_reference; /* "" for none */
	int64_t plan; /* what the row changed when it was checked: the caller's bits, 0 nothing */
};

/*
 * Keeps a row of the file: row (NULL for a row that was refused, kept only
 * so that its id is known), person id on line. -EEXIST when an earlier line
 * named id: *ret_line is that line.
 */
int staging_row_add(struct staging *st, const char *id, int64_t line, const struct staged_row *row,
		    int64_t *ret_line);

/* Groups the changes of one batch (fewer, larger writes to the temporary file). */
int staging_begin(struct staging *st);
int staging_commit(struct staging *st);

/*
 * Keeps a badge the file gives person on line. -EEXIST when an earlier
 * line named it: *ret_line and ret_person (len bytes) say where.
 */
int staging_credential_add(struct staging *st, const char *credential, int64_t line,
			   const char *person, int64_t *ret_line, char *ret_person, size_t len);

/* Where the file names a badge: 0, or -ENOENT when it does not. */
int staging_credential_get(struct staging *st, const char *credential, int64_t *ret_line,
			   char *ret_person, size_t len);

/*
 * Calls cb for every kept row that was not refused, in the order they were
 * added, from the one after pos after (0: from the first); its strings are
 * valid during the call. cb returns 0 to go on, anything else stops the
 * walk and is returned: a walk in slices goes on later after the last
 * row's pos.
 */
int staging_walk(struct staging *st, int64_t after,
		 int (*cb)(const struct staged_row *row, void *userdata), void *userdata);

#endif
