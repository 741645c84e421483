/* SPDX-License-Identifier: MIT */
/*
 * Table reports: the auditor's questions that are about the controller's
 * state rather than a run of events (README.md, "Reports"): alarms and
 * their response times, entitlements, leavers, validity and the access
 * points as configured; and recorded access-rights reviews.
 *
 * A report is paged out like an export (report.begin, report.page,
 * report.seal): each page hands the client the running state (a cursor,
 * the row count, the report chain) under the process-local MAC key of
 * the audit service (audit_mac), so the seal signs only what this process
 * computed. The signed statement binds the rows to a checkpoint of the event chain made
 * at the seal: the report says what the state was at that seq.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aeogate/wiegand.h"
#include "audit.h"
#include "checkpoint.h"
#include "core.h"
#include "export.h"
#include "ops.h"
#include "report_tables.h"
#include "reports.h"
#include "util.h"

static int get_report(struct ctl_request *req, struct report_run *run)
{
	const struct report_info *info;
	const char *name;
	char names[256];

	if (ctl_arg_string(req, "report", true, AEOGATE_ID_MAX, &name) < 0)
		return -1;
	info = reports_find(name);
	run->def = info && info->table ? report_table_find(name) : NULL;
	if (!run->def) {
		reports_names(true, names, sizeof(names));
		return ctl_fail(req, "invalid_argument", "no table report '%s' (%s)", name, names);
	}
	run->core = req->userdata;
	return 0;
}

/* report.page and report.seal: the report, its params and a state this process issued. */
static int get_run(struct ctl_request *req, struct report_run *run)
{
	const json_t *st = json_object_get(req->args, "state");
	const char *cursor = json_string_value(json_object_get(st, "cursor"));
	const char *chain = json_string_value(json_object_get(st, "chain"));
	const char *given = json_string_value(json_object_get(st, "mac"));
	char mac[AUDIT_MAC_HEX];

	if (get_report(req, run) < 0)
		return -1;
	if (report_params_from_json(json_object_get(req->args, "params"), &run->p) < 0)
		return ctl_fail(req, "invalid_argument", "'params': not the params of a report");
	if (!cursor || strlen(cursor) >= sizeof(run->cursor) || !chain ||
	    strlen(chain) != EVENT_HASH_HEX - 1 || !given ||
	    !json_is_boolean(json_object_get(st, "done")) ||
	    !json_is_integer(json_object_get(st, "count")))
		return ctl_fail(req, "invalid_argument", "'state': not a report state");
	snprintf(run->cursor, sizeof(run->cursor), "%s", cursor);
	memcpy(run->chain, chain, EVENT_HASH_HEX);
	run->done = json_is_true(json_object_get(st, "done"));
	run->count = json_integer_value(json_object_get(st, "count"));
	if (report_state_mac(run, mac) < 0)
		return ctl_fail(req, "internal", "out of memory");
	if (strlen(given) != strlen(mac) || strcmp(given, mac) != 0)
		return ctl_fail(req, "invalid_argument",
				"'state': not issued by this controller for this report (it "
				"restarted, or the state or params were changed); start again");
	return 0;
}

static int op_report_begin(struct ctl_request *req, json_t **ret)
{
	struct core *c = req->userdata;
	struct report_run run = {0};
	int64_t within = -1;
	json_t *state;

	if (get_report(req, &run) < 0 || ctl_arg_time(req, "at", false, &run.p.at_ms) < 0 ||
	    ctl_arg_time(req, "from", false, &run.p.from_ms) < 0 ||
	    ctl_arg_time(req, "to", false, &run.p.to_ms) < 0 ||
	    ctl_arg_int(req, "within_days", false, 0, AEOGATE_REPORT_WITHIN_DAYS_MAX, &within) < 0)
		return -1;
	if (!(reports_find(run.def->name)->params & REPORT_TAKES_RANGE) &&
	    (run.p.from_ms || run.p.to_ms))
		return ctl_fail(req, "invalid_argument",
				"the %s report is a state as of --at; --from/--to do not apply",
				run.def->name);
	if (!(reports_find(run.def->name)->params & REPORT_TAKES_WITHIN) && within >= 0)
		return ctl_fail(req, "invalid_argument", "--within applies to the validity report");
	if (run.p.from_ms && run.p.to_ms && run.p.from_ms >= run.p.to_ms)
		return ctl_fail(req, "invalid_argument", "'from' must be before 'to'");
	run.p.within_days = within;
	if (!run.p.at_ms)
		run.p.at_ms = core_wall_ms(c);
	if (!strcmp(run.def->name, "alarms"))
		run.p.ack_limit_ms = audit_alarm_ack_limit_ms(core_audit(c));
	memcpy(run.chain, AUDIT_GENESIS, EVENT_HASH_HEX);
	state = report_state_json(&run);
	if (!state)
		return ctl_fail(req, "internal", "out of memory");
	*ret = json_pack("{s:s,s:o,s:o,s:o}", "report", run.def->name, "params",
			 report_params_json(&run.p), "columns", report_columns_json(run.def), "state", state);
	return 0;
}

static int op_report_page(struct ctl_request *req, json_t **ret)
{
	struct report_run run = {0};
	json_t *state;
	int r;

	if (get_run(req, &run) < 0)
		return -1;
	run.rows = json_array();
	run.columns = report_columns_json(run.def);
	if (!run.done) {
		r = run.def->page(&run);
		if (r < 0) {
			json_decref(run.rows);
			json_decref(run.columns);
			return ops_store_error(req, r, "report");
		}
	}
	json_decref(run.columns);
	state = report_state_json(&run);
	if (!state) {
		json_decref(run.rows);
		return ctl_fail(req, "internal", "out of memory");
	}
	*ret = json_pack("{s:o,s:o,s:b}", "rows", run.rows, "state", state, "done", run.done);
	return 0;
}

static json_t *review_json(const struct review *rv)
{
	return json_pack("{s:I,s:o,s:s,s:s,s:s}", "id", (json_int_t)rv->id, "ts",
			 time_to_json(rv->ts_ms), "reviewer", rv->reviewer, "comment", rv->comment,
			 "operator", rv->operator_id);
}

static int op_report_seal(struct ctl_request *req, json_t **ret)
{
	struct core *c = req->userdata;
	struct report_run run = {0};
	struct checkpoint cp;
	struct review rv;
	char now[32], sig[DEVKEY_SIG_HEX], *text;
	json_t *statement;
	int r;

	if (get_run(req, &run) < 0)
		return -1;
	if (!run.done)
		return ctl_fail(req, "failed_precondition", "the report has pages left to read");
	r = audit_checkpoint_head(core_audit(c), &cp);
	if (r < 0)
		return ops_store_error(req, r, "checkpoint");
	time_format_ms(core_wall_ms(c), now, sizeof(now));
	statement = json_pack("{s:s,s:s,s:o,s:o,s:I,s:s,s:o,s:s,s:s,s:s,s:s,s:s}", "type",
			      REPORT_STATEMENT_TYPE, "report", run.def->name, "params",
			      report_params_json(&run.p), "columns", report_columns_json(run.def), "rows",
			      (json_int_t)run.count, "report_chain", run.chain, "checkpoint",
			      ops_checkpoint_json(&cp), "key_id", audit_key_id(core_audit(c)),
			      "generator", "aeogated " AEOGATE_VERSION, "generated_at", now,
			      "operator", req->operator_id, "site", core_config(c)->site_name);
	if (statement && !strcmp(run.def->name, "entitlements")) {
		/* The entitlements report names the latest access-rights review. */
		r = store_review_last(core_store(c), &rv);
		if (r < 0 && r != -ENOENT) {
			json_decref(statement);
			return ops_store_error(req, r, "review");
		}
		json_object_set_new(statement, "review", r == 0 ? review_json(&rv) : json_null());
	}
	text = statement ? report_statement_text(statement) : NULL;
	if (!text || audit_sign(core_audit(c), text, sig, sizeof(sig)) < 0) {
		free(text);
		json_decref(statement);
		return ctl_fail(req, "internal", "cannot sign the statement");
	}
	free(text);
	*ret = json_pack("{s:o,s:s,s:s}", "statement", statement, "signature", sig, "public_key",
			 audit_public_key(core_audit(c)));
	return 0;
}

/* ---- access-rights reviews ---- */

static int op_review_sign(struct ctl_request *req, json_t **ret)
{
	struct core *c = req->userdata;
	struct review rv = {.ts_ms = core_wall_ms(c)};
	const char *reviewer, *comment;
	int r;

	if (ctl_arg_string(req, "reviewer", true, AEOGATE_TEXT_MAX, &reviewer) < 0 ||
	    ctl_arg_string(req, "comment", true, AEOGATE_TEXT_MAX, &comment) < 0)
		return -1;
	if (!text_is_valid(reviewer) || !text_is_valid(comment))
		return ctl_fail(req, "invalid_argument",
				"'reviewer' and 'comment' must be printable UTF-8 without control "
				"characters");
	snprintf(rv.reviewer, sizeof(rv.reviewer), "%s", reviewer);
	snprintf(rv.comment, sizeof(rv.comment), "%s", comment);
	snprintf(rv.operator_id, sizeof(rv.operator_id), "%s", req->operator_id);
	if (ops_begin(req, c) < 0)
		return -1;
	r = store_review_add(core_store(c), &rv, &rv.id);
	if (r < 0) {
		ops_abort(c);
		return ops_store_error(req, r, "review");
	}
	*ret = review_json(&rv);
	struct event e = {.kind = "review.signed", .ts_ms = rv.ts_ms};
	if (ops_commit(req, c, &e,
		       json_pack("{s:I,s:s,s:s,s:s}", "review", (json_int_t)rv.id, "scope",
				 "entitlements", "reviewer", rv.reviewer, "comment", rv.comment)) <
	    0) {
		json_decref(*ret);
		*ret = NULL;
		return -1;
	}
	return 0;
}

#define ROLES_AUDIT (ROLE_AUDITOR | ROLE_MANAGER | ROLE_ADMIN | ROLE_LOCAL)

const struct ctl_op ops_reports[] = {
    {"report.begin", ROLES_AUDIT, op_report_begin},
    {"report.page", ROLES_AUDIT, op_report_page},
    {"report.seal", ROLES_AUDIT, op_report_seal},
    {"review.sign", ROLES_MANAGE, op_review_sign},
    {NULL, 0, NULL},
};
