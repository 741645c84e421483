/* SPDX-License-Identifier: MIT */
/*
 * The people CSV written from person.export's pages (README "Bulk
 * enrolment"): aeogatectl person export and the dashboard's GET
 * /api/persons/export write the same bytes, in the columns person import
 * reads, so export → edit → import round-trips.
 */
#ifndef AEOGATE_PEOPLE_EXPORT_H
#define AEOGATE_PEOPLE_EXPORT_H

#include <jansson.h>
#include <stdio.h>

/* The header row: 0, or -EIO. */
int people_export_header(FILE *f);
/* One person as person.export gives it: 0, -ENOMEM or -EIO. */
int people_export_row(FILE *f, const json_t *person);

#endif
