/* SPDX-License-Identifier: MIT */
/*
 * Table reports (README.md, "Reports"): the auditor's questions about the
 * controller's state rather than a run of events — alarms and their
 * response times, entitlements, leavers, validity, the access points as
 * configured. Each report is a column list and a page function that reads
 * the store and appends rows of cells; the running state a client carries
 * between pages (cursor, count, report chain) is bound to this process by
 * the audit service's MAC (audit_mac). api/ops_reports.c translates the
 * report.* ops to these functions; the catalogue of names and parameters is
 * controller/lib/reports.c.
 */
#ifndef AEOGATE_REPORT_TABLES_H
#define AEOGATE_REPORT_TABLES_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aeogate/event.h"
#include "audit.h"

struct core;

struct report_params {
	int64_t at_ms;		/* "as of": validity and entitlements; open alarms' age */
	int64_t from_ms, to_ms; /* 0: no bound */
	int64_t within_days;	/* validity: -1 when not given */
	int64_t ack_limit_ms;	/* alarms: the configured limit when the report began */
};

struct report_def;

/* One page of one report; exists for the duration of a request. */
struct report_run {
	struct core *core;
	const struct report_def *def;
	struct report_params p;
	json_t *columns;
	char cursor[160]; /* where the next page starts: "" at the start */
	bool done;
	int64_t count;
	char chain[EVENT_HASH_HEX];
	json_t *rows; /* this page's */
	size_t bytes;
	size_t seen; /* records looked at on this page */
	int err;
};

struct report_def {
	const char *name; /* in the catalogue (reports.h), which says what parameters it takes */
	const char *const *columns;
	/* Adds this page's rows, moves the cursor, sets done; negative errno. */
	int (*page)(struct report_run *run);
};

/* The table report called name, or NULL. */
const struct report_def *report_table_find(const char *name);
/* The report's columns as a JSON array of names. */
json_t *report_columns_json(const struct report_def *def);
/* A report's parameters as the statement and the paging state carry them. */
json_t *report_params_json(const struct report_params *p);
int report_params_from_json(const json_t *o, struct report_params *ret); /* -EINVAL */
/* The paging state handed to the client, under this process's MAC; NULL on ENOMEM. */
int report_state_mac(const struct report_run *run, char ret[AUDIT_MAC_HEX]);
json_t *report_state_json(const struct report_run *run);

#endif
