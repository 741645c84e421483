/* SPDX-License-Identifier: MIT */
/*
 * The office's signed messages, handed over by aeogate-sync (README "Signed
 * change sets and commands"): sync.apply takes a change set, sync.command
 * a command, sync.state tells what was applied. Each message is an
 * envelope verified against [sync] office_pubkey (controller/lib/changeset.c).
 *
 * A change set's ops run through the very handlers a local request uses,
 * from an allow-list of enrolment ops, as requests of the change set's
 * signer ("office:hq"), so each records its usual event with that operator.
 * They run in one batch (core_batch_begin): all of them and the
 * sync.applied event commit together, or nothing does. A command runs the
 * one handler its name maps to, outside any batch: a lockdown moves locks,
 * and a lock moves only once its event is stored.
 *
 * Every refusal of a message that could be the office's (unsigned, wrongly
 * signed, replayed, out of order, invalid) records sync.rejected; the
 * reply's error carries the reason. A change set that is the office's, for
 * this site and the next version, yet cannot apply (an op refused, or one
 * no change set may carry) is refused whole, and its version is consumed:
 * it would fail again each time it came, and the versions after it could
 * never apply. The office sees the refusal in the events and sends a
 * corrected change set as a new version. Trouble on this side (storage failing,
 * an import applying) is no refusal: the reply says unavailable and
 * nothing is recorded, so that aeogate-sync may hand the message in again.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aeogate/limits.h"
#include "changeset.h"
#include "core.h"
#include "ops.h"
#include "store.h"
#include "util.h"

/* sync.rejected's reasons, README "Signed change sets and commands". */
#define REASON_UNSIGNED	     "unsigned"
#define REASON_BAD_SIGNATURE "bad_signature"
#define REASON_REPLAY	     "replay"
#define REASON_OUT_OF_ORDER  "out_of_order"
#define REASON_INVALID	     "invalid"

/*
 * What a change set may do: enrolment. Never users, PINs, photos, doors,
 * readers or lockdowns (those are commands, or stay local).
 */
static const char *const changeset_ops[] = {
    "person.add",	"person.update",
    "person.suspend",	"person.reinstate",
    "person.terminate", "person.vet",
    "badge.issue",	"badge.revoke",
    "badge.suspend",	"badge.reinstate",
    "badge.lost",	"badge.return",
    "level.add",	"level.update",
    "level.remove",	"schedule.add",
    "schedule.update",	"schedule.remove",
    "holiday.add",	"holiday.remove",
    "zone.set",		NULL,
};

static bool listed(const char *const *list, const char *name)
{
	for (size_t i = 0; list[i]; i++)
		if (!strcmp(list[i], name))
			return true;
	return false;
}

/* The op as the control socket serves it, from the same tables. */
static const struct ctl_op *op_find(const char *name)
{
	for (size_t t = 0; ops_tables[t]; t++)
		for (const struct ctl_op *o = ops_tables[t]; o->name; o++)
			if (!strcmp(o->name, name))
				return o;
	return NULL;
}

/* The office key and the ids a message must name; fails the request when [sync] lacks them. */
static int fleet_config(struct ctl_request *req, struct changeset_pubkey *ret_key)
{
	const struct config *cfg = core_config(req->userdata);

	if (!cfg->sync_office_pubkey[0])
		return ctl_fail(req, "not_configured",
				"no [sync] office_pubkey in %s: signed messages are refused",
				cfg->path);
	if (!cfg->sync_site[0])
		return ctl_fail(req, "not_configured",
				"no [sync] site in %s: signed messages are refused", cfg->path);
	memcpy(ret_key->pk, cfg->sync_office_pk, sizeof(ret_key->pk));
	devkey_id(ret_key->pk, ret_key->key_id);
	return 0;
}

static int applied_version(struct ctl_request *req, int64_t *ret)
{
	const struct config *cfg = core_config(req->userdata);
	int r = store_sync_applied_get(core_store(req->userdata), cfg->sync_site, ret);

	return r < 0 ? ops_store_error(req, r, "applied version") : 0;
}

/*
 * A member of the body an envelope claims to carry, read without trusting
 * it (for the record of a refusal): the integer version, or the string id.
 */
static json_t *claimed(const char *payload, size_t len, const char *member)
{
	json_t *env = json_loadb(payload, len, 0, NULL), *body, *v = NULL;
	json_t *b = json_object_get(env, "body");

	if (json_is_string(b)) {
		body = json_loadb(json_string_value(b), json_string_length(b), 0, NULL);
		v = json_object_get(body, member);
		if (json_is_integer(v) || (json_is_string(v) && id_is_valid(json_string_value(v))))
			json_incref(v);
		else
			v = NULL;
		json_decref(body);
	}
	json_decref(env);
	return v ? v : json_null();
}

struct applied_record {
	const char *site, *signer;
	int64_t version, now_ms;
};

static int record_applied(struct core *c, const struct event *e, void *arg)
{
	const struct applied_record *a = arg;

	return store_sync_applied_set(core_store(c), a->site, a->version, a->signer, a->now_ms,
				      e->seq);
}

/*
 * Records sync.rejected {reason, version or id, message} and fails the
 * request with code "rejected", its reason and extra members (consumed).
 * what (consumed) is {"version": N} or {"id": "..."}. With consume, the
 * refused change set's version is taken as handled, in the same
 * transaction (see op_sync_apply). When the record cannot be stored, the
 * request fails as the storage does instead.
 */
/*
 * How many sync.rejected may be recorded now (a token bucket: a burst of
 * AEOGATE_SYNC_REJECT_BURST, then one a second), and how many refusals
 * were not recorded since the last one. One aeogated, one bucket.
 */
static struct {
	double tokens;
	int64_t at_ms;
	uint64_t suppressed;
	bool started;
} reject_rate;

static bool reject_recordable(struct core *c)
{
	int64_t now = core_mono_ms(c);

	if (!reject_rate.started) {
		reject_rate.tokens = AEOGATE_SYNC_REJECT_BURST;
		reject_rate.at_ms = now;
		reject_rate.started = true;
	}
	reject_rate.tokens += (double)(now - reject_rate.at_ms) / 1000.0;
	if (reject_rate.tokens > AEOGATE_SYNC_REJECT_BURST)
		reject_rate.tokens = AEOGATE_SYNC_REJECT_BURST;
	reject_rate.at_ms = now;
	if (reject_rate.tokens < 1) {
		reject_rate.suppressed++;
		return false;
	}
	reject_rate.tokens -= 1;
	return true;
}

static int vreject(struct ctl_request *req, const char *reason, json_t *what, json_t *extra,
		   struct applied_record *consume, const char *fmt, va_list ap)
{
	struct core *c = req->userdata;
	struct event e = {.kind = "sync.rejected"};
	char msg[sizeof(req->error_message)];
	json_t *detail;
	int r;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	utf8_trim(msg);
	/*
	 * A refusal that changes nothing is recorded within the rate; beyond
	 * it, only counted (a consumed version changes state: always recorded).
	 */
	if (!consume && !reject_recordable(c)) {
		json_decref(what);
		if (!extra)
			extra = json_object();
		json_object_set_new(extra, "reason", json_string(reason));
		json_object_set_new(extra, "seq", json_null());
		return ctl_fail_extra(req, extra, "rejected", "%s", msg);
	}
	detail = json_pack("{s:s,s:s}", "reason", reason, "message", msg);
	if (!detail || json_object_update(detail, what) < 0) {
		json_decref(detail);
		json_decref(what);
		json_decref(extra);
		return ctl_fail(req, "internal", "out of memory");
	}
	json_decref(what);
	if (reject_rate.suppressed) {
		json_object_set_new(detail, "suppressed",
				    json_integer((json_int_t)reject_rate.suppressed));
		reject_rate.suppressed = 0;
	}
	if (ops_begin(req, c) < 0) {
		json_decref(detail);
		json_decref(extra);
		return -1;
	}
	r = consume ? ops_commit_record(req, c, &e, detail, record_applied, consume)
		    : ops_commit(req, c, &e, detail);
	if (r < 0) {
		json_decref(extra);
		return -1;
	}
	if (!extra)
		extra = json_object();
	if (consume)
		json_object_set_new(extra, "applied_version", json_integer(consume->version));
	json_object_set_new(extra, "reason", json_string(reason));
	json_object_set_new(extra, "seq", json_integer(e.seq));
	return ctl_fail_extra(req, extra, "rejected", "%s", msg);
}

static int reject(struct ctl_request *req, const char *reason, json_t *what, json_t *extra,
		  const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int reject(struct ctl_request *req, const char *reason, json_t *what, json_t *extra,
		  const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vreject(req, reason, what, extra, NULL, fmt, ap);
	va_end(ap);
	return r;
}

/* reject, with the change set's version consumed. */
static int reject_consuming(struct ctl_request *req, struct applied_record *consume,
			    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int reject_consuming(struct ctl_request *req, struct applied_record *consume,
			    const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vreject(req, REASON_INVALID,
		    json_pack("{s:I}", "version", (json_int_t)consume->version), NULL, consume, fmt,
		    ap);
	va_end(ap);
	return r;
}

/* Errors of an op that are this controller's trouble, not the message's: try again later. */
static bool transient(const char *code)
{
	return !strcmp(code, "unavailable") || !strcmp(code, "internal");
}

/*
 * Runs op with args as a request of signer, through the handler the
 * control socket would call. 0 with the result in *ret (may be NULL);
 * -1 with sub's error set.
 */
static int run_as(struct ctl_request *req, const struct ctl_op *o, json_t *args, const char *signer,
		  struct ctl_request *sub, json_t **ret)
{
	json_t *result = NULL;
	int r;

	memset(sub, 0, sizeof(*sub));
	sub->op = o->name;
	sub->args = args;
	sub->role = ROLE_LOCAL;
	sub->peer_uid = req->peer_uid;
	sub->conn = req->conn;
	sub->userdata = req->userdata;
	snprintf(sub->operator_id, sizeof(sub->operator_id), "%s", signer);
	r = o->fn(sub, &result);
	json_decref(sub->error_extra);
	sub->error_extra = NULL;
	if (r < 0 || sub->error_code) {
		json_decref(result);
		if (!sub->error_code)
			ctl_fail(sub, "internal", "%s failed", o->name);
		return -1;
	}
	/* The allow-lists hold no op that defers its reply or streams. */
	if (sub->deferred || sub->stream || sub->follow) {
		json_decref(result);
		return ctl_fail(sub, "internal", "%s cannot run for the office", o->name);
	}
	*ret = result;
	return 0;
}

/*
 * The change set's ops and its sync.applied event in one batch. 0 with the
 * event's seq; -1 with req failed: rejected (invalid, recorded) when an op
 * refused, or as the storage failed.
 */
static int apply_ops(struct ctl_request *req, const struct changeset_body *b, int64_t applied,
		     int64_t *ret_seq)
{
	struct core *c = req->userdata;
	struct applied_record rec = {
	    .site = b->site, .signer = b->signer, .version = b->version, .now_ms = core_wall_ms(c)};
	struct ctl_request sub;
	struct event e = {.kind = "sync.applied"};
	char failed[sizeof(sub.error_message) + 128] = "";
	const char *code = NULL;
	size_t i;
	json_t *op;
	int r;

	r = core_batch_begin(c);
	if (r < 0)
		return ops_store_error(req, r, "change set");
	json_array_foreach(b->ops, i, op)
	{
		const char *name = json_string_value(json_object_get(op, "op"));
		json_t *args = json_object_get(op, "args"), *result = NULL;
		const struct ctl_op *o = op_find(name);
		bool own = !args;

		if (own)
			args = json_object();
		r = run_as(req, o, args, b->signer, &sub, &result);
		if (own)
			json_decref(args);
		json_decref(result);
		if (r < 0) {
			code = sub.error_code;
			snprintf(failed, sizeof(failed), "op %zu (%s): %s: %s", i + 1, name,
				 sub.error_code, sub.error_message);
			break;
		}
	}
	if (!code) {
		/* The record of the whole, as the signer's request, in the same batch. */
		memset(&sub, 0, sizeof(sub));
		sub.op = req->op;
		sub.userdata = c;
		sub.role = ROLE_LOCAL;
		snprintf(sub.operator_id, sizeof(sub.operator_id), "%s", b->signer);
		if (ops_begin(&sub, c) < 0 ||
		    ops_commit_record(&sub, c, &e,
				      json_pack("{s:I,s:I,s:s,s:i}", "version",
						(json_int_t)b->version, "previous",
						(json_int_t)applied, "issued", b->issued, "ops",
						(int)json_array_size(b->ops)),
				      record_applied, &rec) < 0) {
			code = sub.error_code;
			snprintf(failed, sizeof(failed), "%s: %s", sub.error_code,
				 sub.error_message);
		}
	}
	r = core_batch_end(c, code == NULL);
	if (!code && r < 0)
		return ops_store_error(req, r, "change set");
	if (!code) {
		*ret_seq = e.seq;
		return 0;
	}
	if (transient(code))
		return ctl_fail(req, code, "change set %lld not applied: %s", (long long)b->version,
				failed);
	return reject_consuming(req, &rec, "change set %lld not applied, nothing of it: %s",
				(long long)b->version, failed);
}

/* sync.apply {payload}: one change set as received, applied in version order, once. */
static int op_sync_apply(struct ctl_request *req, json_t **ret)
{
	struct core *c = req->userdata;
	const struct config *cfg = core_config(c);
	json_t *p = json_object_get(req->args, "payload");
	struct changeset_pubkey key;
	struct changeset_body b = {0};
	char err[160], *body = NULL;
	size_t blen = 0;
	int64_t applied = 0, seq = 0;
	int r;

	if (fleet_config(req, &key) < 0)
		return -1;
	if (!json_is_string(p))
		return ctl_fail(req, "invalid_argument",
				"'payload' must be the envelope as a string");
	if (applied_version(req, &applied) < 0)
		return -1;
#define EXTRA json_pack("{s:I}", "applied_version", (json_int_t)applied)
#define CLAIMED                                                                                    \
	json_pack("{s:o}", "version",                                                              \
		  claimed(json_string_value(p), json_string_length(p), "version"))

	r = changeset_open(json_string_value(p), json_string_length(p), &key, &body, &blen);
	if (r == -ENOMEM)
		return ctl_fail(req, "internal", "out of memory");
	if (r == -E2BIG)
		return reject(req, REASON_INVALID, json_pack("{s:n}", "version"), EXTRA,
			      "the payload is longer than %d bytes", AEOGATE_SIGNED_MAX);
	if (r < 0)
		return reject(req, changeset_open_reason(r), CLAIMED, EXTRA,
			      r == -EBADMSG ? "the signature is not the office's (key %s)"
					    : "not a signed envelope (office key %s)",
			      key.key_id);
	r = changeset_body_parse(body, blen, &b, err, sizeof(err));
	free(body);
	if (r == -ENOMEM)
		return ctl_fail(req, "internal", "out of memory");
	if (r < 0)
		return reject(req, REASON_INVALID, CLAIMED, EXTRA, "%s", err);
	if (b.type != CHANGESET_TYPE_CHANGESET) {
		r = reject(req, REASON_INVALID, json_pack("{s:n}", "version"), EXTRA,
			   "a command, not a change set: hand it to sync.command");
		goto out;
	}
	if (strcmp(b.site, cfg->sync_site) != 0) {
		r = reject(req, REASON_INVALID,
			   json_pack("{s:I}", "version", (json_int_t)b.version), EXTRA,
			   "for site '%s'; this controller is of site '%s'", b.site,
			   cfg->sync_site);
		goto out;
	}
	if (b.version <= applied) {
		r = reject(req, REASON_REPLAY, json_pack("{s:I}", "version", (json_int_t)b.version),
			   EXTRA, "version %lld is applied already (applied: %lld)",
			   (long long)b.version, (long long)applied);
		goto out;
	}
	if (b.version > applied + 1) {
		r = reject(req, REASON_OUT_OF_ORDER,
			   json_pack("{s:I}", "version", (json_int_t)b.version), EXTRA,
			   "version %lld before %lld (applied: %lld)", (long long)b.version,
			   (long long)applied + 1, (long long)applied);
		goto out;
	}
	{
		size_t i;
		json_t *op;

		json_array_foreach(b.ops, i, op)
		{
			const char *name = json_string_value(json_object_get(op, "op"));

			if (!listed(changeset_ops, name) || !op_find(name)) {
				struct applied_record rec = {.site = b.site,
							     .signer = b.signer,
							     .version = b.version,
							     .now_ms = core_wall_ms(c)};

				r = reject_consuming(
				    req, &rec,
				    "op %zu: '%s' is not an enrolment op a change set may carry",
				    i + 1, id_is_valid(name) ? name : "?");
				goto out;
			}
		}
	}
	r = apply_ops(req, &b, applied, &seq);
	if (r < 0)
		goto out;
	*ret = json_pack("{s:I,s:s,s:I,s:i}", "applied_version", (json_int_t)b.version, "result",
			 "applied", "seq", (json_int_t)seq, "ops", (int)json_array_size(b.ops));
out:
	changeset_body_done(&b);
	return r;
#undef EXTRA
#undef CLAIMED
}

/* Takes the command's id, in a transaction of its own: -EEXIST when it was taken before. */
static int command_take(struct core *c, const struct changeset_body *b, int64_t now)
{
	struct store *s = core_store(c);
	int r = store_begin(s);

	if (r < 0)
		return r;
	r = store_sync_command_take(s, b->id, b->issued_ms, now);
	if (r == 0)
		r = store_commit(s);
	if (r < 0)
		store_rollback(s);
	return r;
}

/*
 * sync.command {payload}: one signed command, applied at most once. Its id
 * is taken (stored) before it runs, so that no crash or repeat can run it
 * twice; a command its op refuses stays taken, and the office sends a new
 * one.
 */
static int op_sync_command(struct ctl_request *req, json_t **ret)
{
	struct core *c = req->userdata;
	const struct config *cfg = core_config(c);
	json_t *p = json_object_get(req->args, "payload"), *result = NULL;
	struct changeset_pubkey key;
	struct changeset_body b = {0};
	struct ctl_request sub;
	const struct ctl_op *o;
	char err[160], *body = NULL;
	const struct changeset_command *command;
	size_t blen = 0;
	int64_t now = core_wall_ms(c), seq = 0;
	char hash[EVENT_HASH_HEX];
	int r;

	if (fleet_config(req, &key) < 0)
		return -1;
	if (!json_is_string(p))
		return ctl_fail(req, "invalid_argument",
				"'payload' must be the envelope as a string");
#define CLAIMED_ID                                                                                 \
	json_pack("{s:o}", "id", claimed(json_string_value(p), json_string_length(p), "id"))
#define ID_OF(b) json_pack("{s:s}", "id", (b).id)

	r = changeset_open(json_string_value(p), json_string_length(p), &key, &body, &blen);
	if (r == -ENOMEM)
		return ctl_fail(req, "internal", "out of memory");
	if (r == -E2BIG)
		return reject(req, REASON_INVALID, json_pack("{s:n}", "id"), NULL,
			      "the payload is longer than %d bytes", AEOGATE_SIGNED_MAX);
	if (r < 0)
		return reject(req, changeset_open_reason(r), CLAIMED_ID, CLAIMED_ID,
			      r == -EBADMSG ? "the signature is not the office's (key %s)"
					    : "not a signed envelope (office key %s)",
			      key.key_id);
	r = changeset_body_parse(body, blen, &b, err, sizeof(err));
	free(body);
	if (r == -ENOMEM)
		return ctl_fail(req, "internal", "out of memory");
	if (r < 0)
		return reject(req, REASON_INVALID, CLAIMED_ID, CLAIMED_ID, "%s", err);
	if (b.type != CHANGESET_TYPE_COMMAND) {
		r = reject(req, REASON_INVALID, json_pack("{s:n}", "id"), NULL,
			   "a change set, not a command: hand it to sync.apply");
		goto out;
	}
	if (strcmp(b.site, cfg->sync_site) != 0 || strcmp(b.controller, cfg->sync_client_id) != 0) {
		r = reject(req, REASON_INVALID, ID_OF(b), ID_OF(b),
			   "for %s/%s; this controller is %s/%s", b.site, b.controller,
			   cfg->sync_site, cfg->sync_client_id);
		goto out;
	}
	command = changeset_command_named(b.command);
	o = command ? op_find(command->op) : NULL;
	if (!o) {
		r = reject(req, REASON_INVALID, ID_OF(b), ID_OF(b),
			   "no command '%s' (lockdown, release, unlock)", b.command);
		goto out;
	}
	if (now - b.issued_ms > AEOGATE_COMMAND_SKEW_MAX_MS) {
		r = reject(req, REASON_REPLAY, ID_OF(b), ID_OF(b),
			   "issued %s, more than %d minutes ago", b.issued,
			   AEOGATE_COMMAND_SKEW_MAX_MS / 60000);
		goto out;
	}
	if (b.issued_ms - now > AEOGATE_COMMAND_SKEW_MAX_MS) {
		r = reject(req, REASON_OUT_OF_ORDER, ID_OF(b), ID_OF(b),
			   "issued %s, more than %d minutes ahead of this controller's clock",
			   b.issued, AEOGATE_COMMAND_SKEW_MAX_MS / 60000);
		goto out;
	}
	r = command_take(c, &b, now);
	if (r == -EEXIST) {
		r = reject(req, REASON_REPLAY, ID_OF(b), ID_OF(b), "command %s was taken before",
			   b.id);
		goto out;
	}
	if (r < 0) {
		r = ops_store_error(req, r, "command");
		goto out;
	}
	r = run_as(req, o, b.args, b.signer, &sub, &result);
	if (r < 0) {
		r = ctl_fail_extra(req, ID_OF(b), sub.error_code, "%s: %s", b.command,
				   sub.error_message);
		goto out;
	}
	/* The loop is single-threaded: the newest event is the one the op recorded. */
	if (store_event_last(core_store(c), &seq, hash) < 0)
		seq = 0;
	*ret = json_pack("{s:s,s:I,s:s,s:o}", "id", b.id, "seq", (json_int_t)seq, "command",
			 b.command, "result", result ? result : json_null());
out:
	changeset_body_done(&b);
	return r;
#undef CLAIMED_ID
#undef ID_OF
}

/* sync.state {}: what aeogate-sync puts in its status. */
static int op_sync_state(struct ctl_request *req, json_t **ret)
{
	const struct config *cfg = core_config(req->userdata);
	struct changeset_pubkey key;
	int64_t applied = 0;

	if (cfg->sync_site[0] && applied_version(req, &applied) < 0)
		return -1;
	if (cfg->sync_office_pubkey[0]) {
		memcpy(key.pk, cfg->sync_office_pk, sizeof(key.pk));
		devkey_id(key.pk, key.key_id);
	}
	*ret =
	    json_pack("{s:I,s:o,s:o,s:o}", "applied_version", (json_int_t)applied, "office_key_id",
		      cfg->sync_office_pubkey[0] ? json_string(key.key_id) : json_null(), "site",
		      cfg->sync_site[0] ? json_string(cfg->sync_site) : json_null(), "controller",
		      cfg->sync_client_id[0] ? json_string(cfg->sync_client_id) : json_null());
	return 0;
}

const struct ctl_op ops_fleet[] = {
    {"sync.apply", ROLE_LOCAL, op_sync_apply},
    {"sync.command", ROLE_LOCAL, op_sync_command},
    {"sync.state", ROLE_LOCAL, op_sync_state},
    {NULL, 0, NULL},
};
