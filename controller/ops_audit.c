/* SPDX-License-Identifier: MIT */
/*
 * Control-socket ops of the audit trail: the device key, checkpoints,
 * paged exports with signed statements, live chain verification, the alarm
 * lifecycle and the badge lifecycle (README.md, "Audit trail and reports").
 *
 * Exports are paged so that neither side holds more than a page: the
 * controller keeps no state between pages; instead each page hands the
 * client the export's running state (rows so far, the export chain, the
 * last seq looked at) with a MAC under a key that lives only in this
 * process. The seal op signs only a state carrying a valid MAC, so the
 * device never signs row counts or digests it did not compute itself.
 */
#include <errno.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "checkpoint.h"
#include "core.h"
#include "export.h"
#include "ops.h"
#include "ops_audit.h"
#include "util.h"

static struct audit_svc {
	struct core *core;
	struct devkey key;
	bool ready;
	unsigned char mac_key[crypto_auth_KEYBYTES];
	struct audit_settings settings;
	int64_t last_cp_seq;  /* seq of the newest checkpoint */
	int64_t last_cp_mono; /* when it was made, monotonic ms */
	int64_t events_since_cp;
	int clock_synced; /* as last recorded: 1, 0, or negative when unknown */
	bool alarm_backlog; /* an alarm row could not be written since the last checkpoint */
} svc;

static int alarm_raise_cb(const struct event *e, void *userdata);

static const char *const alarm_kinds[] = {"door.forced", "door.held", "alarm.tamper",
					  "alarm.storage", NULL};

static bool is_alarm_kind(const char *kind)
{
	for (size_t i = 0; alarm_kinds[i]; i++)
		if (kind && !strcmp(kind, alarm_kinds[i]))
			return true;
	return false;
}

/* ---- checkpoints ---- */

static int make_checkpoint(int64_t seq, const char *hash, struct checkpoint *ret)
{
	struct checkpoint cp;
	int r;

	/* A checkpoint vouches that alarms up to it are recorded: catch up first. */
	if (svc.alarm_backlog) {
		r = store_event_list(core_store(svc.core), svc.last_cp_seq, 0, alarm_raise_cb, NULL);
		if (r < 0)
			return r;
		svc.alarm_backlog = false;
	}

	r = checkpoint_sign(&svc.key, seq, hash, core_wall_ms(svc.core), &cp);
	if (r < 0)
		return r;
	r = store_checkpoint_add(core_store(svc.core), &cp);
	if (r < 0)
		return r;
	svc.last_cp_seq = seq;
	svc.last_cp_mono = core_mono_ms(svc.core);
	svc.events_since_cp = 0;
	if (ret)
		*ret = cp;
	return 0;
}

static int checkpoint_head(struct checkpoint *ret)
{
	char hash[EVENT_HASH_HEX];
	int64_t seq;
	int r = store_event_last(core_store(svc.core), &seq, hash);

	if (r < 0)
		return r;
	return make_checkpoint(seq, hash, ret);
}

static int alarm_raise_cb(const struct event *e, void *userdata)
{
	if (is_alarm_kind(e->kind))
		return store_alarm_raise(core_store(svc.core), e->kind, e->door, e->zone, e->seq,
					 e->ts_ms);
	return 0;
}

int ops_audit_init(struct core *c, const char *state_dir, const struct audit_settings *settings,
		   char *err, size_t errlen)
{
	struct checkpoint cp;
	bool created = false;
	int64_t last_alarm = 0, head = 0;
	char hash[EVENT_HASH_HEX];
	int r;

	svc.core = c;
	svc.settings = *settings;
	r = devkey_load_or_create(state_dir, &svc.key, &created);
	if (r < 0) {
		snprintf(err, errlen, "%s/device.key: %s", state_dir,
			 r == -EPERM	 ? "readable by group or others; chmod 600 it"
			 : r == -EBADMSG ? "not an Ed25519 secret key"
					 : strerror(-r));
		return r;
	}
	crypto_auth_keygen(svc.mac_key);
	r = store_checkpoint_last(core_store(c), &cp);
	if (r == 0)
		svc.last_cp_seq = cp.seq;
	else if (r != -ENOENT)
		goto err_store;
	svc.last_cp_mono = core_mono_ms(c);
	if ((r = store_event_last(core_store(c), &head, hash)) < 0)
		goto err_store;
	svc.events_since_cp = head - svc.last_cp_seq;
	/*
	 * Alarms of events stored while nobody counted them (a crash between the
	 * two writes). Every event up to the last checkpoint went through
	 * ops_audit_on_event before the checkpoint was signed, so only what
	 * follows both the last alarm and the last checkpoint needs a look:
	 * a start costs at most checkpoint_events rows, not the whole log.
	 */
	if ((r = store_alarm_last_seq(core_store(c), &last_alarm)) < 0)
		goto err_store;
	if (last_alarm < svc.last_cp_seq)
		last_alarm = svc.last_cp_seq;
	if ((r = store_event_list(core_store(c), last_alarm, 0, alarm_raise_cb, NULL)) < 0)
		goto err_store;
	svc.clock_synced = clock_synced();
	svc.ready = true;
	return 0;
err_store:
	snprintf(err, errlen, "audit: %s", store_last_error(core_store(c)));
	return r;
}

const char *ops_audit_key_id(void)
{
	return svc.key.id;
}

void ops_audit_on_event(const struct event *e)
{
	if (!svc.ready)
		return;
	/*
	 * A failure here is not lost: ops_audit_init replays alarm events after
	 * the last checkpoint at the next start, and no checkpoint is signed
	 * past an alarm that could not be recorded.
	 */
	if (is_alarm_kind(e->kind) &&
	    store_alarm_raise(core_store(svc.core), e->kind, e->door, e->zone, e->seq, e->ts_ms) < 0)
		svc.alarm_backlog = true;
	svc.events_since_cp++;
	if (svc.settings.checkpoint_events && svc.events_since_cp >= svc.settings.checkpoint_events)
		(void)make_checkpoint(e->seq, e->hash, NULL);
}

/*
 * Records when the clock's synchronization flips (a time service lost or
 * regained), so an auditor knows which stretch of timestamps a time
 * service vouched for; system.start and clock.jump carry the state too.
 */
static void clock_sync_check(void)
{
	int now = clock_synced();
	char detail[64];

	if (now < 0 || now == svc.clock_synced)
		return;
	snprintf(detail, sizeof(detail), "{\"clock_synced\":%s,\"was\":%s}", now ? "true" : "false",
		 svc.clock_synced < 0 ? "null"
		 : svc.clock_synced   ? "true"
				      : "false");
	struct event e = {.kind = "clock.sync_changed", .detail = detail};
	/* A failed write is queued by core_emit (or counted lost): do not record it twice. */
	(void)core_emit(svc.core, &e);
	svc.clock_synced = now;
}

void ops_audit_tick(void)
{
	int64_t due;

	if (svc.ready)
		clock_sync_check();
	if (!svc.ready || !svc.settings.checkpoint_minutes || svc.events_since_cp == 0)
		return;
	due = svc.last_cp_mono + (int64_t)svc.settings.checkpoint_minutes * 60 * 1000;
	if (core_mono_ms(svc.core) >= due)
		(void)checkpoint_head(NULL);
}

static json_t *checkpoint_json(const struct checkpoint *cp)
{
	char ts[32];

	time_format_ms(cp->ts_ms, ts, sizeof(ts));
	return json_pack("{s:I,s:s,s:s,s:s,s:s}", "seq", (json_int_t)cp->seq, "hash", cp->hash,
			 "ts", ts, "key_id", cp->key_id, "signature", cp->signature);
}

int ops_audit_checkpoint_head(struct checkpoint *ret)
{
	return checkpoint_head(ret);
}

json_t *ops_audit_checkpoint_json(const struct checkpoint *cp)
{
	return checkpoint_json(cp);
}

int ops_audit_sign(const char *text, char *ret_sig, size_t len)
{
	char sig[DEVKEY_SIG_HEX];
	int r;

	if (len < DEVKEY_SIG_HEX)
		return -ENOBUFS;
	r = devkey_sign(&svc.key, text, strlen(text), sig);
	if (r < 0)
		return r;
	memcpy(ret_sig, sig, DEVKEY_SIG_HEX);
	return 0;
}

const char *ops_audit_public_key(void)
{
	return svc.key.pk_hex;
}

void ops_audit_mac(const char *text, char ret[OPS_AUDIT_MAC_HEX])
{
	unsigned char mac[crypto_auth_BYTES];

	crypto_auth(mac, (const unsigned char *)text, strlen(text), svc.mac_key);
	sodium_bin2hex(ret, OPS_AUDIT_MAC_HEX, mac, sizeof(mac));
}

unsigned ops_audit_alarm_ack_limit_ms(void)
{
	return svc.settings.alarm_ack_limit_ms ? svc.settings.alarm_ack_limit_ms
					       : AUDIT_ALARM_ACK_LIMIT_MS_DEFAULT;
}

static int op_audit_pubkey(struct ctl_request *req, json_t **ret)
{
	*ret = json_pack("{s:s,s:s,s:s}", "public_key", svc.key.pk_hex, "key_id", svc.key.id,
			 "algorithm", "ed25519");
	return 0;
}

static int op_audit_checkpoint(struct ctl_request *req, json_t **ret)
{
	struct checkpoint cp;
	int r = checkpoint_head(&cp);

	if (r < 0)
		return ops_store_error(req, r, "checkpoint");
	*ret = checkpoint_json(&cp);
	return 0;
}

/* ---- exports ---- */

struct export_args {
	struct export_filter filter;
	bool narrows;
	int64_t range_first, range_last;
	/* The running state, MAC-checked. */
	int64_t after, count;
	char chain[EVENT_HASH_HEX];
};

static void state_mac(const struct export_args *a, char out[2 * crypto_auth_BYTES + 1])
{
	unsigned char mac[crypto_auth_BYTES];
	json_t *fj = export_filter_to_json(&a->filter);
	char *ftext = json_dumps(fj, JSON_COMPACT | JSON_SORT_KEYS);
	char *text = NULL;

	if (ftext &&
	    asprintf(&text, "%s\n%" PRId64 "\n%" PRId64 "\n%" PRId64 "\n%" PRId64 "\n%s", ftext,
		     a->range_first, a->range_last, a->after, a->count, a->chain) < 0)
		text = NULL;
	/* Without memory the MAC is of nothing, and no state will ever match it. */
	crypto_auth(mac, (const unsigned char *)(text ? text : ""), text ? strlen(text) : 0,
		    svc.mac_key);
	if (!text)
		mac[0] ^= 0xff;
	sodium_bin2hex(out, 2 * crypto_auth_BYTES + 1, mac, sizeof(mac));
	free(text);
	free(ftext);
	json_decref(fj);
}

static json_t *state_json(const struct export_args *a)
{
	char mac[2 * crypto_auth_BYTES + 1];

	state_mac(a, mac);
	return json_pack("{s:I,s:I,s:s,s:s}", "after", (json_int_t)a->after, "count",
			 (json_int_t)a->count, "chain", a->chain, "mac", mac);
}

static int get_filter(struct ctl_request *req, struct export_args *a)
{
	char err[160];

	if (export_filter_from_json(json_object_get(req->args, "filter"), &a->filter, err,
				    sizeof(err)) < 0)
		return ctl_fail(req, "invalid_argument", "%s", err);
	a->narrows = export_filter_narrows(&a->filter);
	return 0;
}

/* The arguments of export_page and export_seal: the filter, the range and a valid state. */
static int get_export_args(struct ctl_request *req, struct export_args *a)
{
	const json_t *st = json_object_get(req->args, "state");
	char mac[2 * crypto_auth_BYTES + 1];
	const char *given, *chain;

	if (get_filter(req, a) < 0 ||
	    ctl_arg_int(req, "range_first", true, 0, INT64_MAX, &a->range_first) < 0 ||
	    ctl_arg_int(req, "range_last", true, 0, INT64_MAX, &a->range_last) < 0)
		return -1;
	chain = json_string_value(json_object_get(st, "chain"));
	given = json_string_value(json_object_get(st, "mac"));
	if (!json_is_integer(json_object_get(st, "after")) ||
	    !json_is_integer(json_object_get(st, "count")) || !chain ||
	    strlen(chain) != EVENT_HASH_HEX - 1 || !given)
		return ctl_fail(req, "invalid_argument", "'state': not an export state");
	a->after = json_integer_value(json_object_get(st, "after"));
	a->count = json_integer_value(json_object_get(st, "count"));
	memcpy(a->chain, chain, EVENT_HASH_HEX);
	state_mac(a, mac);
	if (strlen(given) != strlen(mac) || sodium_memcmp(given, mac, strlen(mac)) != 0)
		return ctl_fail(req, "invalid_argument",
				"'state': not issued by this controller for this export (it "
				"restarted, or the state or filter was changed); start again");
	return 0;
}

static int64_t walk_from(const struct export_args *a)
{
	return a->narrows && a->filter.from_ms ? a->filter.from_ms : INT64_MIN;
}

static int64_t walk_to(const struct export_args *a)
{
	return a->narrows && a->filter.to_ms ? a->filter.to_ms : INT64_MAX;
}

static int op_export_begin(struct ctl_request *req, json_t **ret)
{
	struct store *s = core_store(req->userdata);
	struct export_args a = {0};
	struct event e;
	char first_prev[EVENT_HASH_HEX] = AUDIT_GENESIS, last_hash[EVENT_HASH_HEX] = AUDIT_GENESIS;
	int r;

	if (get_filter(req, &a) < 0)
		return -1;
	r = store_event_range(s, a.filter.from_ms ? a.filter.from_ms : INT64_MIN,
			      a.filter.to_ms ? a.filter.to_ms : INT64_MAX, &a.range_first,
			      &a.range_last);
	if (r < 0)
		return ops_store_error(req, r, "event range");
	if (a.range_first) {
		if ((r = store_event_get(s, a.range_first, &e)) < 0)
			return ops_store_error(req, r, "first event");
		memcpy(first_prev, e.prev, EVENT_HASH_HEX);
		event_clear(&e);
		if ((r = store_event_get(s, a.range_last, &e)) < 0)
			return ops_store_error(req, r, "last event");
		memcpy(last_hash, e.hash, EVENT_HASH_HEX);
		event_clear(&e);
	}
	a.after = a.range_first ? a.range_first - 1 : 0;
	memcpy(a.chain, AUDIT_GENESIS, EVENT_HASH_HEX);
	*ret = json_pack("{s:o,s:I,s:I,s:s,s:s,s:o}", "filter", export_filter_to_json(&a.filter),
			 "range_first", (json_int_t)a.range_first, "range_last",
			 (json_int_t)a.range_last, "first_prev", first_prev, "last_hash", last_hash,
			 "state", state_json(&a));
	return 0;
}

struct page_ctx {
	struct export_args *a;
	json_t *rows;
	size_t bytes;
	int64_t limit, scanned;
};

static int page_cb(const struct event *e, void *userdata)
{
	struct page_ctx *p = userdata;
	struct export_args *a = p->a;
	json_t *row;
	char *text;

	p->scanned++;
	a->after = e->seq;
	if (!a->narrows || export_filter_match(&a->filter, e)) {
		export_chain_next(a->chain, e->seq, e->hash, a->chain);
		row = event_to_json(e);
		if (!row)
			return -ENOMEM;
		json_object_set_new(row, "export_chain", json_string(a->chain));
		text = json_dumps(row, JSON_COMPACT);
		p->bytes += text ? strlen(text) : 0;
		free(text);
		json_array_append_new(p->rows, row);
		a->count++;
	}
	/* Stop at a row boundary: the state names the last event looked at. */
	if (p->bytes >= AEOGATE_EXPORT_PAGE_BYTES ||
	    (int64_t)json_array_size(p->rows) >= p->limit || p->scanned >= AEOGATE_EXPORT_SCAN_MAX)
		return 1;
	return 0;
}

static int op_export_page(struct ctl_request *req, json_t **ret)
{
	struct store *s = core_store(req->userdata);
	struct export_args a = {0};
	struct page_ctx p = {.a = &a, .limit = AEOGATE_ROWS_PER_PAGE};
	int r;

	if (get_export_args(req, &a) < 0 ||
	    ctl_arg_int(req, "limit", false, 1, AEOGATE_ROWS_PER_PAGE, &p.limit) < 0)
		return -1;
	p.rows = json_array();
	if (a.after < a.range_last) {
		r = store_event_walk(s, a.after, a.range_last, walk_from(&a), walk_to(&a), page_cb,
				     &p);
		if (r < 0) {
			json_decref(p.rows);
			return ops_store_error(req, r, "export");
		}
		if (r == 0)
			a.after = a.range_last; /* the walk ran out: nothing more in range */
	}
	*ret = json_pack("{s:o,s:o,s:b}", "rows", p.rows, "state", state_json(&a), "done",
			 a.after >= a.range_last);
	return 0;
}

static int op_export_seal(struct ctl_request *req, json_t **ret)
{
	struct core *c = req->userdata;
	struct store *s = core_store(c);
	struct export_args a = {0};
	struct checkpoint cp;
	struct event e;
	const char *report = NULL;
	char first_prev[EVENT_HASH_HEX] = AUDIT_GENESIS, last_hash[EVENT_HASH_HEX] = AUDIT_GENESIS;
	char now[32], sig[DEVKEY_SIG_HEX], *text;
	json_t *statement;
	int r;

	if (get_export_args(req, &a) < 0 || ctl_arg_id(req, "report", false, &report) < 0)
		return -1;
	if (a.range_first ? a.after < a.range_last : a.after != 0)
		return ctl_fail(req, "failed_precondition", "the export has pages left to read");
	if (a.range_first) {
		if ((r = store_event_get(s, a.range_first, &e)) < 0)
			return ops_store_error(req, r, "first event");
		memcpy(first_prev, e.prev, EVENT_HASH_HEX);
		event_clear(&e);
		if ((r = store_event_get(s, a.range_last, &e)) < 0)
			return ops_store_error(req, r, "last event");
		memcpy(last_hash, e.hash, EVENT_HASH_HEX);
		event_clear(&e);
		r = make_checkpoint(a.range_last, last_hash, &cp);
	} else {
		r = checkpoint_head(&cp);
	}
	if (r < 0)
		return ops_store_error(req, r, "checkpoint");
	time_format_ms(core_wall_ms(c), now, sizeof(now));
	statement = json_pack(
	    "{s:s,s:o,s:o,s:I,s:I,s:s,s:s,s:I,s:s,s:o,s:s,s:s,s:s,s:s,s:s}", "type",
	    EXPORT_STATEMENT_TYPE, "filter", export_filter_to_json(&a.filter), "report",
	    report ? json_string(report) : json_null(), "range_first", (json_int_t)a.range_first,
	    "range_last", (json_int_t)a.range_last, "first_prev", first_prev, "last_hash",
	    last_hash, "rows", (json_int_t)a.count, "export_chain", a.chain, "checkpoint",
	    checkpoint_json(&cp), "key_id", svc.key.id, "generator", "aeogated " AEOGATE_VERSION,
	    "generated_at", now, "operator", req->operator_id, "site", core_config(c)->site_name);
	text = statement ? export_statement_text(statement) : NULL;
	if (!text || devkey_sign(&svc.key, text, strlen(text), sig) < 0) {
		free(text);
		json_decref(statement);
		return ctl_fail(req, "internal", "cannot sign the statement");
	}
	free(text);
	*ret = json_pack("{s:o,s:s,s:s}", "statement", statement, "signature", sig, "public_key",
			 svc.key.pk_hex);
	return 0;
}

/* ---- live verification ---- */

struct live_ctx {
	int64_t prev_seq;
	char prev_hash[EVENT_HASH_HEX];
	int64_t checked;
	int64_t bad_seq;
	char problem[256];
};

static int live_cb(const struct event *e, void *userdata)
{
	struct live_ctx *v = userdata;
	char h[EVENT_HASH_HEX];

	if (e->seq != v->prev_seq + 1) {
		v->bad_seq = e->seq > v->prev_seq + 1 ? v->prev_seq + 1 : e->seq;
		snprintf(v->problem, sizeof(v->problem), "%s",
			 e->seq > v->prev_seq + 1 ? "missing: the event was deleted"
						  : "out of order");
		return 1;
	}
	if (strcmp(e->prev, v->prev_hash) != 0) {
		v->bad_seq = e->seq;
		snprintf(v->problem, sizeof(v->problem),
			 "does not follow seq %" PRId64
			 " in the chain: an event was altered, inserted or reordered",
			 v->prev_seq);
		return 1;
	}
	if (audit_hash(e->prev, e, h) < 0 || strcmp(h, e->hash) != 0) {
		v->bad_seq = e->seq;
		snprintf(v->problem, sizeof(v->problem),
			 "content does not match its hash: the event was altered");
		return 1;
	}
	v->prev_seq = e->seq;
	memcpy(v->prev_hash, e->hash, EVENT_HASH_HEX);
	v->checked++;
	return 0;
}

struct cp_check {
	struct store *store;
	int64_t bad_seq;
	char problem[256];
};

static int cp_check_cb(const struct checkpoint *cp, void *userdata)
{
	struct cp_check *k = userdata;
	struct event e;
	int r;

	if (strcmp(cp->key_id, svc.key.id) != 0 || checkpoint_verify(svc.key.pk, cp) != 0) {
		k->bad_seq = cp->seq;
		snprintf(k->problem, sizeof(k->problem),
			 "checkpoint %" PRId64 " does not carry this device's signature", cp->id);
		return 1;
	}
	r = store_event_get(k->store, cp->seq, &e);
	if (r == -ENOENT) {
		k->bad_seq = cp->seq;
		snprintf(k->problem, sizeof(k->problem),
			 "signed by checkpoint %" PRId64
			 " but no longer in the log: events were deleted (truncated)",
			 cp->id);
		return 1;
	}
	if (r < 0)
		return r;
	if (strcmp(e.hash, cp->hash) != 0) {
		k->bad_seq = cp->seq;
		snprintf(k->problem, sizeof(k->problem),
			 "hash differs from the one checkpoint %" PRId64
			 " signed: the chain was rewritten",
			 cp->id);
		event_clear(&e);
		return 1;
	}
	event_clear(&e);
	return 0;
}

static int op_audit_verify(struct ctl_request *req, json_t **ret)
{
	struct core *c = req->userdata;
	struct store *s = core_store(c);
	struct live_ctx v = {0};
	struct cp_check k = {.store = s};
	int64_t after = 0, limit = AEOGATE_EXPORT_SCAN_MAX, head = 0, start;
	const char *prev = NULL;
	char head_hash[EVENT_HASH_HEX];
	bool done;
	int r;

	if (ctl_arg_int(req, "after", false, 0, INT64_MAX, &after) < 0 ||
	    ctl_arg_string(req, "prev", after > 0, EVENT_HASH_HEX - 1, &prev) < 0 ||
	    ctl_arg_int(req, "limit", false, 1, AEOGATE_EXPORT_SCAN_MAX, &limit) < 0)
		return -1;
	v.prev_seq = start = after;
	snprintf(v.prev_hash, sizeof(v.prev_hash), "%s", prev ? prev : AUDIT_GENESIS);
	if ((r = store_event_last(s, &head, head_hash)) < 0)
		return ops_store_error(req, r, "event log");
	r = store_event_list(s, after, (size_t)limit, live_cb, &v);
	if (r < 0)
		return ops_store_error(req, r, "event log");
	done = !v.bad_seq && v.prev_seq >= head;
	/* Checkpoints over what this page proved, and at the end those beyond the log's end. */
	if (!v.bad_seq) {
		r = store_checkpoint_list(s, start, done ? 0 : v.prev_seq, cp_check_cb, &k);
		if (r < 0)
			return ops_store_error(req, r, "checkpoints");
		if (k.bad_seq) {
			v.bad_seq = k.bad_seq;
			snprintf(v.problem, sizeof(v.problem), "%s", k.problem);
		}
	}
	*ret = json_pack(
	    "{s:I,s:I,s:s,s:b,s:o}", "checked", (json_int_t)v.checked, "last_seq",
	    (json_int_t)v.prev_seq, "last_hash", v.prev_hash, "done", done && !v.bad_seq, "bad",
	    v.bad_seq ? json_pack("{s:I,s:s}", "seq", (json_int_t)v.bad_seq, "problem", v.problem)
		      : json_null());
	return 0;
}

/* ---- alarms ---- */

static json_t *alarm_json(const struct alarm *a)
{
	return json_pack("{s:I,s:s,s:o,s:o,s:s,s:I,s:o,s:o,s:o,s:o,s:o,s:o}", "id",
			 (json_int_t)a->id, "kind", a->kind, "door",
			 a->door[0] ? json_string(a->door) : json_null(), "zone",
			 a->zone[0] ? json_string(a->zone) : json_null(), "state", a->state,
			 "raised_seq", (json_int_t)a->raised_seq, "raised",
			 time_to_json(a->raised_ms), "acknowledged", time_to_json(a->ack_ms),
			 "acknowledged_by", a->ack_by[0] ? json_string(a->ack_by) : json_null(),
			 "comment", a->ack_comment[0] ? json_string(a->ack_comment) : json_null(),
			 "closed", time_to_json(a->closed_ms), "closed_by",
			 a->closed_by[0] ? json_string(a->closed_by) : json_null());
}

static int alarm_list_cb(const struct alarm *a, void *userdata)
{
	return json_array_append_new(userdata, alarm_json(a));
}

static int op_alarm_list(struct ctl_request *req, json_t **ret)
{
	struct core *c = req->userdata;
	const json_t *open = json_object_get(req->args, "open");
	int64_t after = 0, limit = AEOGATE_ROWS_PER_PAGE, from = INT64_MIN, to = INT64_MAX;
	json_t *arr;
	int r;

	if (open && !json_is_boolean(open))
		return ctl_fail(req, "invalid_argument", "'open' must be true or false");
	if (ctl_arg_int(req, "after", false, 0, INT64_MAX, &after) < 0 ||
	    ctl_arg_int(req, "limit", false, 1, AEOGATE_ROWS_PER_PAGE, &limit) < 0 ||
	    ctl_arg_time(req, "from", false, &from) < 0 || ctl_arg_time(req, "to", false, &to) < 0)
		return -1;
	arr = json_array();
	r = store_alarm_list(core_store(c), json_is_true(open), after, from, to, (size_t)limit,
			     alarm_list_cb, arr);
	if (r < 0) {
		json_decref(arr);
		return ops_store_error(req, r, "alarm list");
	}
	*ret = arr;
	return 0;
}

static int alarm_change(struct ctl_request *req, json_t **ret, bool ack)
{
	struct core *c = req->userdata;
	struct store *s = core_store(c);
	const char *comment = NULL;
	struct alarm a;
	int64_t id, now = core_wall_ms(c);
	json_t *detail;
	int r;

	if (ctl_arg_int(req, "id", true, 1, INT64_MAX, &id) < 0 ||
	    ctl_arg_string(req, "comment", ack, AEOGATE_TEXT_MAX, &comment) < 0)
		return -1;
	if (comment && !text_is_valid(comment))
		return ctl_fail(req, "invalid_argument",
				"'comment' must be printable UTF-8 without control characters");
	r = store_alarm_get(s, id, &a);
	if (r == -ENOENT)
		return ctl_fail(req, "not_found", "no alarm %" PRId64, id);
	if (r < 0)
		return ops_store_error(req, r, "alarm");
	if (ack ? strcmp(a.state, "open") != 0 : strcmp(a.state, "closed") == 0)
		return ctl_fail(req, "failed_precondition", "alarm %" PRId64 " is %s", id, a.state);
	if (ops_begin(req, c) < 0)
		return -1;
	r = ack ? store_alarm_ack(s, id, now, req->operator_id, comment)
		: store_alarm_close(s, id, now, req->operator_id);
	if (r < 0) {
		ops_abort(c);
		return ops_store_error(req, r, "alarm");
	}
	detail = json_pack("{s:I,s:s,s:I,s:I}", "alarm", (json_int_t)id, "alarm_kind", a.kind,
			   "raised_seq", (json_int_t)a.raised_seq, "elapsed_ms",
			   (json_int_t)(now - a.raised_ms));
	if (comment)
		json_object_set_new(detail, "comment", json_string(comment));
	struct event e = {.kind = ack ? "alarm.acknowledged" : "alarm.closed",
			  .door = a.door[0] ? a.door : NULL,
			  .zone = a.zone[0] ? a.zone : NULL};
	if (ops_commit(req, c, &e, detail) < 0)
		return -1;
	store_alarm_get(s, id, &a);
	*ret = alarm_json(&a);
	return 0;
}

static int op_alarm_ack(struct ctl_request *req, json_t **ret)
{
	return alarm_change(req, ret, true);
}

static int op_alarm_close(struct ctl_request *req, json_t **ret)
{
	return alarm_change(req, ret, false);
}

/* ---- badge lifecycle ---- */

static int badge_change(struct ctl_request *req, json_t **ret, const char *const *from,
			const char *to, const char *kind)
{
	struct core *c = req->userdata;
	struct store *s = core_store(c);
	char id[AEOGATE_CREDENTIAL_MAX + 1], before[16];
	const char *raw, *why = NULL;
	struct credential cr;
	bool allowed = false;
	json_t *detail;
	int r;

	if (ctl_arg_string(req, "credential", true, AEOGATE_CREDENTIAL_MAX, &raw) < 0)
		return -1;
	if (credential_normalize(raw, id, sizeof(id)) < 0)
		return ctl_fail(req, "invalid_argument", "'credential': '%s' is not a credential",
				raw);
	if (!strcmp(to, "lost")) {
		if (ctl_arg_string(req, "reason", false, 16, &why) < 0)
			return -1;
		if (why && strcmp(why, "lost") && strcmp(why, "stolen"))
			return ctl_fail(req, "invalid_argument",
					"'reason' must be \"lost\" or \"stolen\"");
	}
	r = store_credential_get(s, id, &cr);
	if (r == -ENOENT)
		return ctl_fail(req, "not_found", "no credential %s", id);
	if (r < 0)
		return ops_store_error(req, r, "credential");
	for (size_t i = 0; from[i]; i++)
		allowed |= !strcmp(cr.status, from[i]);
	if (!allowed)
		return ctl_fail(req, "failed_precondition", "credential %s is %s", id, cr.status);
	snprintf(before, sizeof(before), "%s", cr.status);
	if (ops_begin(req, c) < 0)
		return -1;
	r = store_credential_set_status(s, id, to, core_wall_ms(c));
	if (r < 0) {
		ops_abort(c);
		return ops_store_error(req, r, "credential");
	}
	store_credential_get(s, id, &cr);
	detail = json_pack("{s:{s:s},s:{s:s}}", "before", "status", before, "after", "status", to);
	if (!strcmp(to, "lost"))
		json_object_set_new(detail, "reason", json_string(why ? why : "lost"));
	struct event e = {.kind = kind, .person = cr.person, .credential = cr.id};
	if (ops_commit(req, c, &e, detail) < 0)
		return -1;
	*ret = ops_credential_json(&cr);
	return 0;
}

static int op_badge_suspend(struct ctl_request *req, json_t **ret)
{
	static const char *const from[] = {"active", NULL};
	return badge_change(req, ret, from, "suspended", "badge.suspended");
}

static int op_badge_lost(struct ctl_request *req, json_t **ret)
{
	static const char *const from[] = {"active", "suspended", NULL};
	return badge_change(req, ret, from, "lost", "badge.lost");
}

static int op_badge_return(struct ctl_request *req, json_t **ret)
{
	static const char *const from[] = {"active", "suspended", "lost", NULL};
	return badge_change(req, ret, from, "returned", "badge.returned");
}

static int op_badge_reinstate(struct ctl_request *req, json_t **ret)
{
	/* A lost badge that turns up is reinstated too; revoked and returned are final. */
	static const char *const from[] = {"suspended", "lost", NULL};
	return badge_change(req, ret, from, "active", "badge.reinstated");
}

#define ROLES_AUDIT   (ROLE_AUDITOR | ROLE_MANAGER | ROLE_ADMIN | ROLE_LOCAL)
#define ROLES_RESPOND (ROLE_GUARD | ROLE_MANAGER | ROLE_ADMIN | ROLE_LOCAL)

const struct ctl_op ops_audit[] = {
    {"audit.pubkey", ROLES_SIGNED_IN, op_audit_pubkey},
    {"audit.checkpoint", ROLES_AUDIT, op_audit_checkpoint},
    {"audit.export_begin", ROLES_AUDIT, op_export_begin},
    {"audit.export_page", ROLES_AUDIT, op_export_page},
    {"audit.export_seal", ROLES_AUDIT, op_export_seal},
    {"audit.verify", ROLES_AUDIT, op_audit_verify},
    {"alarm.list", ROLES_SIGNED_IN, op_alarm_list},
    {"alarm.ack", ROLES_RESPOND, op_alarm_ack},
    {"alarm.close", ROLES_RESPOND, op_alarm_close},
    {"badge.suspend", ROLES_MANAGE, op_badge_suspend},
    {"badge.lost", ROLES_MANAGE, op_badge_lost},
    {"badge.return", ROLES_MANAGE, op_badge_return},
    {"badge.reinstate", ROLES_MANAGE, op_badge_reinstate},
    {NULL, 0, NULL},
};
