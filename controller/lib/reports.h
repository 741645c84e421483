/* SPDX-License-Identifier: MIT */
/*
 * The report catalogue (README.md, "Reports"): every report an auditor can
 * ask for, once, for aeogated (which computes table reports), aeogatectl
 * (`report NAME`) and aeogate-web (GET /api/reports, POST /api/exports).
 *
 * An event report is a signed export of the event kinds it lists, verified
 * like any export. A table report is computed by aeogated from its state
 * (ops report.begin, .page, .seal); every table report takes "at", some
 * take a time range or a number of days as well.
 */
#ifndef AEOGATE_REPORTS_H
#define AEOGATE_REPORTS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define REPORT_TAKES_RANGE  (1u << 0) /* a table report's from, to */
#define REPORT_TAKES_WITHIN (1u << 1) /* a table report's within_days */

struct report_info {
	const char *name;
	const char *title; /* one line for the dashboard */
	bool table;
	unsigned params;	  /* of a table report: REPORT_TAKES_* */
	const char *const *kinds; /* of an event report: kind patterns, NULL-terminated */
};

/* The catalogue, in the order every list shows it. */
extern const struct report_info reports_catalogue[];
extern const size_t reports_catalogue_n;

/* The report called name, or NULL. */
const struct report_info *reports_find(const char *name);

/* The names as "access, exceptions, ...": every report, or only the table reports. */
void reports_names(bool tables_only, char *buf, size_t len);

/* An event report's kinds as a JSON array of strings (NULL without memory). */
json_t *reports_kinds_json(const struct report_info *r);

/* The catalogue as [{name, title, type, kinds, params}] for GET /api/reports. */
json_t *reports_json(void);

#endif
