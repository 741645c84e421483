/* SPDX-License-Identifier: MIT */
/*
 * Control-socket ops of the audit trail: the device key, checkpoints,
 * paged exports with signed statements, live chain verification and
 * pruning (README.md, "Audit trail and reports"). Each op translates its
 * request into a call of the audit domain (controller/audit) and its
 * result into the reply. Alarm ops are in ops_alarms.c, badge ops in
 * ops_badges.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "core.h"
#include "ops.h"
#include "store.h"
#include "util.h"

json_t *ops_checkpoint_json(const struct checkpoint *cp)
{
	char ts[32];

	time_format_ms(cp->ts_ms, ts, sizeof(ts));
	return json_pack("{s:I,s:s,s:s,s:s,s:s}", "seq", (json_int_t)cp->seq, "hash", cp->hash,
			 "ts", ts, "key_id", cp->key_id, "signature", cp->signature);
}

static int op_audit_pubkey(struct ctl_request *req, json_t **ret)
{
	struct audit *a = core_audit(req->userdata);
	*ret = json_pack("{s:s,s:s,s:s}", "public_key", audit_public_key(a), "key_id",
			 audit_key_id(a), "algorithm", "ed25519");
	return 0;
}

static int op_audit_checkpoint(struct ctl_request *req, json_t **ret)
{
	struct audit *a = core_audit(req->userdata);
	struct checkpoint cp;
	int r = audit_checkpoint_head(a, &cp);

	if (r < 0)
		return ops_store_error(req, r, "checkpoint");
	/* Asked for by a person: witnessed outside the database when the reply says so. */
	audit_head_flush(a);
	*ret = ops_checkpoint_json(&cp);
	return 0;
}

/* ---- exports ---- */

static json_t *state_json(struct audit *a, const struct audit_export *x)
{
	char mac[AUDIT_MAC_HEX];

	audit_export_mac(a, x, mac);
	return json_pack("{s:I,s:I,s:s,s:s}", "after", (json_int_t)x->after, "count",
			 (json_int_t)x->count, "chain", x->chain, "mac", mac);
}

static int get_filter(struct ctl_request *req, struct audit_export *x)
{
	char err[160];

	if (export_filter_from_json(json_object_get(req->args, "filter"), &x->filter, err,
				    sizeof(err)) < 0)
		return ctl_fail(req, "invalid_argument", "%s", err);
	x->narrows = export_filter_narrows(&x->filter);
	return 0;
}

/* The arguments of export_page and export_seal: the filter, the range and a valid state. */
static int get_export_args(struct audit *a, struct ctl_request *req, struct audit_export *x)
{
	const json_t *st = json_object_get(req->args, "state");
	const char *given, *chain;

	if (get_filter(req, x) < 0 ||
	    ctl_arg_int(req, "range_first", true, 0, INT64_MAX, &x->range_first) < 0 ||
	    ctl_arg_int(req, "range_last", true, 0, INT64_MAX, &x->range_last) < 0)
		return -1;
	chain = json_string_value(json_object_get(st, "chain"));
	given = json_string_value(json_object_get(st, "mac"));
	if (!json_is_integer(json_object_get(st, "after")) ||
	    !json_is_integer(json_object_get(st, "count")) || !chain ||
	    strlen(chain) != EVENT_HASH_HEX - 1 || !given)
		return ctl_fail(req, "invalid_argument", "'state': not an export state");
	x->after = json_integer_value(json_object_get(st, "after"));
	x->count = json_integer_value(json_object_get(st, "count"));
	memcpy(x->chain, chain, EVENT_HASH_HEX);
	if (audit_export_check(a, x, given) < 0)
		return ctl_fail(req, "invalid_argument",
				"'state': not issued by this controller for this export (it "
				"restarted, or the state or filter was changed); start again");
	return 0;
}

static int op_export_begin(struct ctl_request *req, json_t **ret)
{
	struct audit *a = core_audit(req->userdata);
	struct audit_export x = {0};
	char first_prev[EVENT_HASH_HEX], last_hash[EVENT_HASH_HEX];
	const char *what = "export";
	int r;

	if (get_filter(req, &x) < 0)
		return -1;
	r = audit_export_begin(a, &x, first_prev, last_hash, &what);
	if (r < 0)
		return ops_store_error(req, r, what);
	*ret = json_pack("{s:o,s:I,s:I,s:s,s:s,s:o}", "filter", export_filter_to_json(&x.filter),
			 "range_first", (json_int_t)x.range_first, "range_last",
			 (json_int_t)x.range_last, "first_prev", first_prev, "last_hash", last_hash,
			 "state", state_json(a, &x));
	return 0;
}

static int op_export_page(struct ctl_request *req, json_t **ret)
{
	struct audit *a = core_audit(req->userdata);
	struct audit_export x = {0};
	int64_t limit = AEOGATE_ROWS_PER_PAGE;
	json_t *rows;
	int r;

	if (get_export_args(a, req, &x) < 0 ||
	    ctl_arg_int(req, "limit", false, 1, AEOGATE_ROWS_PER_PAGE, &limit) < 0)
		return -1;
	rows = json_array();
	r = audit_export_page(a, &x, (size_t)limit, rows);
	if (r < 0) {
		json_decref(rows);
		return ops_store_error(req, r, "export");
	}
	*ret = json_pack("{s:o,s:o,s:b}", "rows", rows, "state", state_json(a, &x), "done",
			 x.after >= x.range_last);
	return 0;
}

/*
 * The seal of a finished export: the checkpoint at its last seq and the
 * signed statement, as {"statement","signature","public_key"}. NULL with
 * *ret_code and msg on failure (-EAGAIN: pages are left).
 */
static json_t *export_sealed(struct core *c, const struct audit_export *x, const char *report,
			     const char *operator_id, const char **ret_code, char *msg, size_t len)
{
	struct audit *a = core_audit(c);
	struct checkpoint cp;
	const char *what = "checkpoint";
	char first_prev[EVENT_HASH_HEX], last_hash[EVENT_HASH_HEX];
	char now[32], sig[DEVKEY_SIG_HEX], *text;
	json_t *statement;
	int r;

	r = audit_export_seal(a, x, &cp, first_prev, last_hash, &what);
	if (r == -EAGAIN) {
		*ret_code = "failed_precondition";
		snprintf(msg, len, "the export has pages left to read");
		return NULL;
	}
	if (r == -ENOENT) {
		/* Pruned since the export began: what was read can no longer be signed for. */
		*ret_code = "failed_precondition";
		snprintf(msg, len,
			 "the %s of seq %" PRId64 "-%" PRId64 " is gone (pruned during the "
			 "export); export again",
			 what, x->range_first, x->range_last);
		return NULL;
	}
	if (r < 0) {
		*ret_code = r == -ENOSPC || r == -EIO || r == -EBUSY ? "unavailable" : "internal";
		snprintf(msg, len, "%s: %s", what, strerror(-r));
		return NULL;
	}
	time_format_ms(core_wall_ms(c), now, sizeof(now));
	statement = json_pack(
	    "{s:s,s:o,s:o,s:I,s:I,s:s,s:s,s:I,s:s,s:o,s:s,s:s,s:s,s:s,s:s}", "type",
	    EXPORT_STATEMENT_TYPE, "filter", export_filter_to_json(&x->filter), "report",
	    report ? json_string(report) : json_null(), "range_first", (json_int_t)x->range_first,
	    "range_last", (json_int_t)x->range_last, "first_prev", first_prev, "last_hash",
	    last_hash, "rows", (json_int_t)x->count, "export_chain", x->chain, "checkpoint",
	    ops_checkpoint_json(&cp), "key_id", audit_key_id(a), "generator",
	    "aeogated " AEOGATE_VERSION, "generated_at", now, "operator", operator_id, "site",
	    core_config(c)->site_name);
	text = statement ? export_statement_text(statement) : NULL;
	if (!text || audit_sign(a, text, sig, sizeof(sig)) < 0) {
		free(text);
		json_decref(statement);
		*ret_code = "internal";
		snprintf(msg, len, "cannot sign the statement");
		return NULL;
	}
	free(text);
	return json_pack("{s:o,s:s,s:s}", "statement", statement, "signature", sig, "public_key",
			 audit_public_key(a));
}

static int op_export_seal(struct ctl_request *req, json_t **ret)
{
	struct audit *a = core_audit(req->userdata);
	struct audit_export x = {0};
	const char *report = NULL, *code = "internal";
	char msg[256];

	if (get_export_args(a, req, &x) < 0 || ctl_arg_id(req, "report", false, &report) < 0)
		return -1;
	*ret = export_sealed(req->userdata, &x, report, req->operator_id, &code, msg, sizeof(msg));
	if (!*ret)
		return ctl_fail(req, code, "%s", msg);
	return 0;
}

/* ---- streamed exports ---- */

/* One audit.export_stream, from the op to the trailer. */
struct export_job {
	struct core *core; /* on the loop only: finish */
	struct store *writer; /* the deciding store: store_wal_pin/unpin only, on the thread */
	struct audit_export x;
	enum export_format fmt;
	char first_prev[EVENT_HASH_HEX], last_hash[EVENT_HASH_HEX];
	char *db_path;
	char report[AEOGATE_ID_MAX + 1]; /* "" when none */
	char operator_id[96];
	uint64_t slow_rows;
	char what[256];		   /* what run could not read */
	struct ctl_stream *stream; /* on the thread */
};

static int export_job_write(void *userdata, const char *p, size_t n)
{
	struct export_job *j = userdata;

	return ctl_stream_write(j->stream, p, n);
}

/* The range is fixed (in the thread's snapshot): the reply, as audit.export_begin's. */
static int export_job_begun(void *userdata)
{
	struct export_job *j = userdata;
	json_t *res =
	    json_pack("{s:o,s:I,s:I,s:s,s:s,s:s}", "filter", export_filter_to_json(&j->x.filter),
		      "range_first", (json_int_t)j->x.range_first, "range_last",
		      (json_int_t)j->x.range_last, "first_prev", j->first_prev, "last_hash",
		      j->last_hash, "format", export_format_name(j->fmt));
	int r = res ? ctl_stream_reply(j->stream, res) : -ENOMEM;

	json_decref(res);
	return r;
}

/* On the stream's thread: its own read-only connection, the rows straight to the socket. */
static int export_job_run(void *job, struct ctl_stream *st)
{
	struct export_job *j = job;

	int r;

	j->stream = st;
	/* A long snapshot, as a backup's: the WAL it lets grow is the checkpoint thread's. */
	store_wal_pin(j->writer);
	r = audit_export_stream(j->db_path, &j->x, j->fmt, j->first_prev, j->last_hash,
				export_job_begun, export_job_write, j, &j->slow_rows, j->what,
				sizeof(j->what));
	store_wal_unpin(j->writer);
	return r;
}

static json_t *export_job_finish(void *job, int r, const char **ret_code, char *msg, size_t len)
{
	struct export_job *j = job;

	switch (r) {
	case 0:
		return export_sealed(j->core, &j->x, j->report[0] ? j->report : NULL,
				     j->operator_id, ret_code, msg, len);
	case -ESTALE:
		*ret_code = "failed_precondition";
		snprintf(msg, len,
			 "the %s of seq %" PRId64 "-%" PRId64
			 " changed since the export began (the "
			 "log was pruned); export again",
			 j->what, j->x.range_first, j->x.range_last);
		return NULL;
	case -EPIPE:
		snprintf(msg, len, "the client went away after %" PRId64 " rows", j->x.count);
		return NULL;
	case -ETIMEDOUT:
		*ret_code = "too_slow";
		snprintf(msg, len,
			 "the client read nothing for the socket timeout after %" PRId64 " rows",
			 j->x.count);
		return NULL;
	case -ECANCELED:
		*ret_code = "unavailable";
		snprintf(msg, len, "aeogated is stopping");
		return NULL;
	case -E2BIG:
		snprintf(msg, len, "seq %" PRId64 ": a row larger than %d bytes", j->x.after + 1,
			 AEOGATE_EXPORT_FRAME_MAX);
		return NULL;
	default:
		*ret_code = r == -ENOSPC || r == -EIO || r == -EBUSY || r == -EPROTO ? "unavailable"
										     : "internal";
		snprintf(msg, len, "%s (%s)", j->what[0] ? j->what : "export", strerror(-r));
		return NULL;
	}
}

static void export_job_free(void *job)
{
	struct export_job *j = job;

	free(j->db_path);
	free(j);
}

static const struct ctl_stream_ops export_stream_ops = {
    .run = export_job_run,
    .finish = export_job_finish,
    .free = export_job_free,
};

static int op_export_stream(struct ctl_request *req, json_t **ret)
{
	struct core *c = req->userdata;
	const char *format = NULL, *report = NULL, *path;
	struct export_job *j;
	int r;

	j = calloc(1, sizeof(*j));
	if (!j)
		return ctl_fail(req, "internal", "out of memory");
	j->core = c;
	j->writer = core_store(c);
	if (get_filter(req, &j->x) < 0 || ctl_arg_string(req, "format", true, 16, &format) < 0 ||
	    ctl_arg_id(req, "report", false, &report) < 0)
		goto err;
	if (export_format_parse(format, &j->fmt) < 0) {
		ctl_fail(req, "invalid_argument", "'format' must be \"csv\" or \"jsonl\"");
		goto err;
	}
	path = store_path(core_store(c));
	if (!path[0]) {
		ctl_fail(req, "failed_precondition",
			 "the database is in memory: nothing to stream");
		goto err;
	}
	snprintf(j->report, sizeof(j->report), "%s", report ? report : "");
	snprintf(j->operator_id, sizeof(j->operator_id), "%s", req->operator_id);
	j->db_path = strdup(path);
	if (!j->db_path) {
		ctl_fail(req, "internal", "out of memory");
		goto err;
	}
	/* The range, its rows and the reply come from the stream's thread. */
	r = ctl_stream_start(req, &export_stream_ops, j);
	if (r < 0) {
		if (r == -EBUSY)
			ctl_fail(req, "unavailable",
				 "%d exports are streaming already; try again when one is done",
				 AEOGATE_EXPORT_STREAMS_MAX);
		else
			ctl_fail(req, "internal", "cannot start the stream: %s", strerror(-r));
		goto err;
	}
	*ret = NULL;
	return 0;
err:
	export_job_free(j);
	return -1;
}

/* ---- live verification ---- */

static int op_audit_verify(struct ctl_request *req, json_t **ret)
{
	struct audit *a = core_audit(req->userdata);
	struct audit_verify_page v;
	int64_t after = 0, limit = AEOGATE_EXPORT_SCAN_MAX;
	const char *prev = NULL;
	json_t *bad, *notes;
	int r;

	if (ctl_arg_int(req, "after", false, 0, INT64_MAX, &after) < 0 ||
	    ctl_arg_string(req, "prev", after > 0, EVENT_HASH_HEX - 1, &prev) < 0 ||
	    ctl_arg_int(req, "limit", false, 1, AEOGATE_EXPORT_SCAN_MAX, &limit) < 0)
		return -1;
	r = audit_verify(a, after, prev, (size_t)limit, &v);
	if (r < 0)
		return ops_store_error(req, r, "event log");
	bad = json_null();
	if (v.bad_seq) {
		bad = json_pack("{s:I,s:s}", "seq", (json_int_t)v.bad_seq, "problem", v.problem);
		if (v.bad_last)
			json_object_set_new(bad, "last", json_integer(v.bad_last));
	}
	notes = json_array();
	if (v.have_note)
		json_array_append_new(notes,
				      json_pack("{s:I,s:s,s:s}", "seq", (json_int_t)v.note_seq,
						"kind", v.note_kind, "message", v.note));
	*ret = json_pack("{s:I,s:I,s:s,s:b,s:o,s:o}", "checked", (json_int_t)v.checked, "last_seq",
			 (json_int_t)v.last_seq, "last_hash", v.last_hash, "done", v.done, "bad",
			 bad, "notes", notes);
	if (after == 0) {
		json_object_set_new(*ret, "first_seq", json_integer(v.first_seq));
		json_object_set_new(
		    *ret, "anchor",
		    v.anchored
			? json_pack("{s:I,s:I,s:s,s:I}", "seq", (json_int_t)v.anchor_seq,
				    "checkpoint", (json_int_t)v.anchor_cp_id, "key_id",
				    v.anchor_key_id, "pruned_by", (json_int_t)v.anchor_pruned_by)
			: json_null());
	}
	return 0;
}

/* ---- pruning ---- */

static json_t *prune_job_json(struct audit *a)
{
	const struct audit_prune_job *job = audit_prune_job(a);
	static const char *const phases[] = {"idle", "scanning", "deleting", "done", "failed"};
	json_t *o;

	o = json_pack("{s:I,s:s,s:b,s:b,s:s}", "job", (json_int_t)job->id, "state",
		      phases[job->phase], "dry_run", job->dry_run, "resumed", job->resumed,
		      "operator", job->operator_id);
	json_object_set_new(o, "first", job->first ? json_integer(job->first) : json_null());
	json_object_set_new(o, "last", job->count ? json_integer(job->last) : json_null());
	json_object_set_new(o, "count", json_integer(job->count));
	json_object_set_new(o, "kinds", audit_prune_kinds_json(job));
	json_object_set_new(o, "scanned_to",
			    json_integer(job->phase == AUDIT_PRUNE_SCAN ? job->pos : 0));
	json_object_set_new(o, "blocked_by",
			    job->blocked_seq
				? json_pack("{s:I,s:s,s:s}", "seq", (json_int_t)job->blocked_seq,
					    "kind", job->blocked_kind, "why", job->blocked_why)
				: json_null());
	json_object_set_new(o, "anchor",
			    job->anchor_cp_id
				? json_pack("{s:I,s:I,s:s}", "checkpoint",
					    (json_int_t)job->anchor_cp_id, "seq",
					    (json_int_t)job->last, "key_id", audit_key_id(a))
				: json_null());
	json_object_set_new(o, "event",
			    job->event_seq ? json_integer(job->event_seq) : json_null());
	json_object_set_new(o, "deleted", json_integer(job->deleted));
	json_object_set_new(o, "alarms_deleted", json_integer(job->alarms_deleted));
	json_object_set_new(
	    o, "error",
	    job->phase == AUDIT_PRUNE_FAILED
		? json_pack("{s:I,s:s}", "seq", (json_int_t)job->bad_seq, "message", job->error)
		: json_null());
	return o;
}

static int op_audit_prune(struct ctl_request *req, json_t **ret)
{
	struct audit *a = core_audit(req->userdata);
	const json_t *dry = json_object_get(req->args, "dry_run");
	int r;

	if (dry && !json_is_boolean(dry))
		return ctl_fail(req, "invalid_argument", "'dry_run' must be true or false");
	r = audit_prune_start(a, json_is_true(dry), req->operator_id);
	if (r == -ENOENT)
		return ctl_fail(req, "failed_precondition",
				"no retention is configured ([audit] retention): every event is "
				"kept");
	if (r == -EBUSY)
		return ctl_fail(req, "failed_precondition",
				"a pruning is running (job %" PRId64 ", by %s); wait for it "
				"(audit.prune_status)",
				audit_prune_job(a)->id, audit_prune_job(a)->operator_id);
	*ret = prune_job_json(a);
	return 0;
}

static int op_audit_prune_status(struct ctl_request *req, json_t **ret)
{
	struct audit *a = core_audit(req->userdata);
	*ret = prune_job_json(a);
	return 0;
}

#define ROLES_AUDIT (ROLE_AUDITOR | ROLE_MANAGER | ROLE_ADMIN | ROLE_LOCAL)

const struct ctl_op ops_audit[] = {
    {"audit.pubkey", ROLES_SIGNED_IN, op_audit_pubkey},
    {"audit.checkpoint", ROLES_AUDIT, op_audit_checkpoint},
    {"audit.export_begin", ROLES_AUDIT, op_export_begin},
    {"audit.export_page", ROLES_AUDIT, op_export_page},
    {"audit.export_seal", ROLES_AUDIT, op_export_seal},
    {"audit.export_stream", ROLES_AUDIT, op_export_stream},
    {"audit.verify", ROLES_AUDIT, op_audit_verify},
    {"audit.prune", ROLE_ADMIN | ROLE_LOCAL, op_audit_prune},
    {"audit.prune_status", ROLES_AUDIT, op_audit_prune_status},
    {NULL, 0, NULL},
};
