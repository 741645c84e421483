/* SPDX-License-Identifier: MIT */
/*
 * Control-socket ops of the audit trail: the device key, checkpoints,
 * paged exports with signed statements, live chain verification and
 * pruning (README.md, "Audit trail and reports"). Alarm ops are in
 * ops_alarms.c, badge ops in ops_badges.c.
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
#include <limits.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "aeogate/credential.h"
#include "audit.h"
#include "checkpoint.h"
#include "core.h"
#include "export.h"
#include "ops.h"
#include "ops_audit.h"
#include "retention.h"
#include "util.h"

enum prune_phase {
	PRUNE_IDLE,
	PRUNE_SCAN,
	PRUNE_DELETE,
	PRUNE_DONE,
	PRUNE_FAILED,
};

struct prune_kind {
	char kind[AEOGATE_ID_MAX + 1];
	int64_t n;
};

struct prune_job {
	int64_t id;
	enum prune_phase phase;
	bool dry_run;
	bool resumed;	      /* finishing a run an earlier audit.pruned declared */
	char operator_id[96]; /* "schedule" for the daily run */
	int64_t now_ms;	      /* cutoffs are now_ms − retention(kind) */
	int64_t head;	      /* the newest seq when the scan began: always kept */
	int64_t first;	      /* the oldest seq kept when the run began */
	int64_t pos;	      /* scan: last seq checked; delete: last seq deleted */
	char pos_hash[EVENT_HASH_HEX];
	int64_t last; /* S: the last seq to prune (first − 1: none) */
	char last_hash[EVENT_HASH_HEX];
	int64_t count; /* rows first..last */
	struct prune_kind kinds[AEOGATE_PRUNE_KINDS_REPORTED];
	size_t n_kinds;
	int64_t other; /* rows of kinds beyond the table */
	int64_t step_rows;
	int64_t step_deadline; /* monotonic ms: a checking step yields to the loop then */
	int64_t blocked_seq;   /* the row the prefix stops at */
	char blocked_kind[AEOGATE_ID_MAX + 1];
	char blocked_why[192];
	int64_t anchor_cp_id; /* the checkpoint signed at last */
	int64_t event_seq;    /* the audit.pruned event */
	int64_t deleted, alarms_deleted;
	struct witness gap; /* a recorded truncation this step crossed (gap.seq 0: none) */
	int64_t gap_first;
	int64_t bad_seq;
	char error[320];
	bool news; /* the end of this run is not logged yet */
	char news_text[400];
};

/* The audit service: created by main, passed to everything that needs it. */
struct audit {
	struct core *core;
	struct devkey key;
	char state_dir[PATH_MAX];
	struct head_record head; /* the head record this process last wrote or trusted */
	bool have_head;
	bool ready;
	unsigned char mac_key[crypto_auth_KEYBYTES];
	struct audit_settings settings;
	int64_t last_cp_seq;  /* seq of the newest checkpoint */
	int64_t last_cp_mono; /* when it was made, monotonic ms */
	int64_t events_since_cp;
	int clock_synced;   /* as last recorded: 1, 0, or negative when unknown */
	bool alarm_backlog; /* an alarm row could not be written since the last checkpoint */
	struct retention_rule retention[AEOGATE_RETENTION_RULES_MAX];
	size_t n_retention;
	int64_t prune_next_mono; /* when the tick starts the next scheduled run */
	void (*prune_wake)(void *userdata);
	void *prune_wake_data;
	struct prune_job job; /* the current or last pruning run */
};

static int alarm_raise_cb(const struct event *e, void *userdata);
static bool prune_running(struct audit *a);
static void prune_start(struct audit *a, bool dry_run, const char *operator_id);

/* Hands a line to main's log (only mains log); nothing when main gave no reporter. */
static void report(struct audit *a, int priority, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void report(struct audit *a, int priority, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	if (!a->settings.report)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	a->settings.report(a->settings.report_data, priority, line);
}

/* ---- checkpoints and the head record ---- */

/*
 * The checkpoint line in the journal: a witness outside the database, so a
 * database and a head record rolled back together still disagree with it.
 */
static void report_checkpoint(struct audit *a, const struct checkpoint *cp)
{
	char ts[32];

	time_format_ms(cp->ts_ms, ts, sizeof(ts));
	report(a, LOG_INFO, "checkpoint seq=%" PRId64 " hash=%s sig=%s ts=%s key=%s", cp->seq,
	       cp->hash, cp->signature, ts, cp->key_id);
}

/*
 * Moves the head record up to (seq, hash), an event already committed. The
 * WAL is fsync'd first, so even with durability "normal" a power cut cannot
 * leave the head record claiming commits the database lost.
 */
static void head_advance(struct audit *a, int64_t seq, const char *hash)
{
	struct head_record h;
	int r;

	if (a->have_head && seq <= a->head.seq)
		return;
	r = store_sync(core_store(a->core));
	if (r == 0)
		r = head_sign(&a->key, seq, hash, core_wall_ms(a->core), &h);
	if (r == 0)
		r = head_write(a->state_dir, &h);
	if (r < 0) {
		report(a, LOG_WARNING,
		       "%s/" HEAD_FILE ": cannot record the head at seq %" PRId64 ": %s",
		       a->state_dir, seq, strerror(-r));
		return;
	}
	a->head = h;
	a->have_head = true;
}

static int make_checkpoint(struct audit *a, int64_t seq, const char *hash, struct checkpoint *ret)
{
	struct checkpoint cp;
	int r;

	/* A checkpoint vouches that alarms up to it are recorded: catch up first. */
	if (a->alarm_backlog) {
		r = store_event_list(core_store(a->core), a->last_cp_seq, 0, alarm_raise_cb, a);
		if (r < 0)
			return r;
		a->alarm_backlog = false;
	}

	r = checkpoint_sign(&a->key, seq, hash, core_wall_ms(a->core), &cp);
	if (r < 0)
		return r;
	r = store_checkpoint_add(core_store(a->core), &cp);
	if (r < 0)
		return r;
	report_checkpoint(a, &cp);
	head_advance(a, seq, hash);
	if (seq > a->last_cp_seq) {
		a->last_cp_seq = seq;
		a->events_since_cp = 0;
	}
	a->last_cp_mono = core_mono_ms(a->core);
	if (ret)
		*ret = cp;
	return 0;
}

static int checkpoint_head(struct audit *a, struct checkpoint *ret)
{
	char hash[EVENT_HASH_HEX];
	int64_t seq;
	int r = store_event_last(core_store(a->core), &seq, hash);

	if (r < 0)
		return r;
	return make_checkpoint(a, seq, hash, ret);
}

static int alarm_raise_cb(const struct event *e, void *userdata)
{
	struct audit *a = userdata;

	if (audit_is_alarm_kind(e->kind))
		return store_alarm_raise(core_store(a->core), e->kind, e->door, e->zone, e->seq,
					 e->ts_ms);
	return 0;
}

/* ---- the head record at start ---- */

/* Appends an audit finding at start, through the chain or (for a truncation) after a gap. */
static int record_finding(struct audit *a, struct audit_chain *after_gap, const char *kind,
			  json_t *detail, int64_t *ret_seq)
{
	struct store *s = core_store(a->core);
	char *text = detail ? json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	struct event e = {.ts_ms = core_wall_ms(a->core), .kind = kind, .detail = text};
	int r;

	json_decref(detail);
	if (!text)
		return -ENOMEM;
	if (after_gap) {
		/* The chain goes on from the signed witness: no seq in the gap is ever reused. */
		r = audit_append(after_gap, s, &e);
		if (r == 0)
			r = core_chain_reload(a->core);
	} else {
		r = core_emit(a->core, &e);
	}
	if (r == 0) {
		*ret_seq = e.seq;
		/* Replay at start begins after the checkpoint signed below: raise it now. */
		r = alarm_raise_cb(&e, a);
	}
	free(text);
	return r;
}

static const char *const head_problems[][2] = {
    {"missing", "was missing: someone deleted the witness outside the database"},
    {"bad_signature", "does not carry this device's signature: it was altered; not trusted"},
    {"malformed", "is not a head record: it was altered or damaged; not trusted"},
    {"unreadable", "could not be read; not trusted"},
    {"hash_differs", "signed another hash than the log holds at its seq: the chain was "
		     "rewritten"},
};

static const char *head_problem_text(const char *problem)
{
	for (size_t i = 0; i < sizeof(head_problems) / sizeof(head_problems[0]); i++)
		if (problem && !strcmp(problem, head_problems[i][0]))
			return head_problems[i][1];
	return "is not trusted";
}

/*
 * Compares the log with what this device signed outside it: the head
 * record, and the furthest checkpoint left in the database. A log whose
 * newest seq is behind them lost its newest events: audit.truncated
 * records seq first..last missing (its prev is the signed hash, so the
 * chain continues after the highest seq ever signed). A head record that
 * is missing (where checkpoints show there was one), unreadable, or not
 * signed by this device is audit.head_invalid, and never trusted. Both
 * raise an alarm; a checkpoint (and head record) then covers them.
 */
static int start_check(struct audit *a, char *err, size_t errlen)
{
	struct store *s = core_store(a->core);
	struct head_record h;
	struct checkpoint cp;
	struct witness w = {0};
	struct event e;
	const char *problem = NULL;
	char hash[EVENT_HASH_HEX];
	bool have_cp, have_w = false, recorded = false;
	int64_t last = 0, seq = 0;
	int r, hr;

	if ((r = store_event_last(s, &last, hash)) < 0)
		goto err_store;
	r = store_checkpoint_last(s, &cp);
	if (r < 0 && r != -ENOENT)
		goto err_store;
	have_cp = r == 0;
	hr = head_read(a->state_dir, &h);
	if (hr == 0 && head_verify(a->key.pk, &h) == 0) {
		a->head = h;
		a->have_head = true;
		witness_from_head(&h, &w);
		have_w = true;
	} else if (hr == 0) {
		problem = "bad_signature";
	} else if (hr == -EBADMSG) {
		problem = "malformed";
	} else if (hr == -ENOENT) {
		/* Before schema 6 there was no head record to lose. */
		if (have_cp && store_opened_version(s) >= 6)
			problem = "missing";
		else if (have_cp)
			report(a, LOG_NOTICE,
			       "%s/" HEAD_FILE ": no head record yet (database from "
			       "before schema 6): one is written now",
			       a->state_dir);
	} else {
		problem = "unreadable";
	}
	/* A checkpoint further than the head record (or without one) bounds the log too. */
	if (have_cp && (!have_w || cp.seq > w.seq) && !strcmp(cp.key_id, a->key.id) &&
	    checkpoint_verify(a->key.pk, &cp) == 0) {
		witness_from_checkpoint(&cp, &w);
		have_w = true;
	}

	if (have_w && w.seq > last) {
		struct audit_chain ch = {.seq = w.seq};

		memcpy(ch.hash, w.hash, EVENT_HASH_HEX);
		r = record_finding(a, &ch, "audit.truncated", truncation_detail(last + 1, &w),
				   &seq);
		if (r < 0) {
			snprintf(err, errlen,
				 "audit: seq %" PRId64 "-%" PRId64
				 " are missing at the end of the log, and the truncation cannot be "
				 "recorded: %s",
				 last + 1, w.seq,
				 r == -ENOMEM ? "out of memory" : store_last_error(s));
			return r;
		}
		report(
		    a, LOG_CRIT,
		    "audit: seq %" PRId64 "-%" PRId64 " missing at the end of the log: the newest "
		    "events were deleted (signed %s at seq %" PRId64 ", signature %s); recorded as "
		    "audit.truncated seq %" PRId64 ", alarm raised",
		    last + 1, w.seq, !strcmp(w.type, "head") ? "head record" : "checkpoint", w.seq,
		    w.signature, seq);
		recorded = true;
	} else if (a->have_head) {
		r = store_event_get(s, a->head.seq, &e);
		if (r == 0 && strcmp(e.hash, a->head.hash) != 0)
			problem = "hash_differs";
		if (r == 0)
			event_clear(&e);
		else if (r != -ENOENT)
			goto err_store;
	}

	if (problem) {
		json_t *d = json_pack("{s:s,s:s}", "problem", problem, "file", HEAD_FILE);

		if (d && hr == 0)
			json_object_set_new(d, "head",
					    json_pack("{s:I,s:s,s:s,s:s,s:s}", "seq",
						      (json_int_t)h.seq, "hash", h.hash, "ts", h.ts,
						      "key_id", h.key_id, "signature",
						      h.signature));
		r = record_finding(a, NULL, "audit.head_invalid", d, &seq);
		report(a, LOG_CRIT, "audit: the signed head record %s/" HEAD_FILE " %s; %s",
		       a->state_dir, head_problem_text(problem),
		       r == 0 ? "recorded as audit.head_invalid, alarm raised"
			      : "audit.head_invalid could not be stored yet");
		if (problem && !strcmp(problem, "hash_differs"))
			a->have_head = false; /* replaced by the checkpoint below */
		recorded = true;
	}
	/* What was found is itself vouched for at once, outside the database too. */
	if (recorded || (!a->have_head && have_cp)) {
		if ((r = store_event_last(s, &last, hash)) < 0)
			goto err_store;
		if (last && (r = make_checkpoint(a, last, hash, NULL)) < 0)
			report(a, LOG_WARNING, "audit: cannot sign a checkpoint at start: %s",
			       store_last_error(s));
	}
	return 0;
err_store:
	snprintf(err, errlen, "audit: %s", store_last_error(s));
	return r;
}

static int audit_start(struct audit *a, struct core *c, const char *state_dir,
		       const struct audit_settings *settings, char *err, size_t errlen)
{
	struct checkpoint cp;
	bool created = false;
	int64_t last_alarm = 0, head = 0;
	char hash[EVENT_HASH_HEX];
	int r;

	a->core = c;
	a->settings = *settings;
	a->n_retention = settings->n_retention <= AEOGATE_RETENTION_RULES_MAX
			     ? settings->n_retention
			     : AEOGATE_RETENTION_RULES_MAX;
	if (a->n_retention)
		memcpy(a->retention, settings->retention, a->n_retention * sizeof(a->retention[0]));
	a->settings.retention = NULL;
	a->prune_next_mono = core_mono_ms(c) + AUDIT_PRUNE_FIRST_DELAY_MS;
	r = devkey_load_or_create(state_dir, &a->key, &created);
	if (r < 0) {
		snprintf(err, errlen, "%s/device.key: %s", state_dir,
			 r == -EPERM	 ? "readable by group or others; chmod 600 it"
			 : r == -EBADMSG ? "not an Ed25519 secret key"
					 : strerror(-r));
		return r;
	}
	crypto_auth_keygen(a->mac_key);
	if (snprintf(a->state_dir, sizeof(a->state_dir), "%s", state_dir) >=
	    (int)sizeof(a->state_dir)) {
		snprintf(err, errlen, "%s: path too long", state_dir);
		return -ENAMETOOLONG;
	}
	a->have_head = false;
	r = start_check(a, err, errlen);
	if (r < 0)
		return r;
	r = store_checkpoint_last(core_store(c), &cp);
	if (r == 0)
		a->last_cp_seq = cp.seq;
	else if (r != -ENOENT)
		goto err_store;
	a->last_cp_mono = core_mono_ms(c);
	if ((r = store_event_last(core_store(c), &head, hash)) < 0)
		goto err_store;
	a->events_since_cp = head - a->last_cp_seq;
	/*
	 * Alarms of events stored while nobody counted them (a crash between the
	 * two writes). Every event up to the last checkpoint went through
	 * ops_audit_on_event before the checkpoint was signed, so only what
	 * follows both the last alarm and the last checkpoint needs a look:
	 * a start costs at most checkpoint_events rows, not the whole log.
	 */
	if ((r = store_alarm_last_seq(core_store(c), &last_alarm)) < 0)
		goto err_store;
	if (last_alarm < a->last_cp_seq)
		last_alarm = a->last_cp_seq;
	if ((r = store_event_list(core_store(c), last_alarm, 0, alarm_raise_cb, a)) < 0)
		goto err_store;
	a->clock_synced = clock_synced();
	a->ready = true;
	return 0;
err_store:
	snprintf(err, errlen, "audit: %s", store_last_error(core_store(c)));
	return r;
}

int ops_audit_init(struct audit **ret, struct core *c, const char *state_dir,
		   const struct audit_settings *settings, char *err, size_t errlen)
{
	struct audit *a = calloc(1, sizeof(*a));
	int r;

	if (!a) {
		snprintf(err, errlen, "audit: out of memory");
		return -ENOMEM;
	}
	r = audit_start(a, c, state_dir, settings, err, errlen);
	if (r < 0) {
		ops_audit_free(a);
		return r;
	}
	*ret = a;
	return 0;
}

void ops_audit_free(struct audit *a)
{
	if (!a)
		return;
	sodium_memzero(a, sizeof(*a)); /* the device key and the MAC key */
	free(a);
}

const char *ops_audit_key_id(struct audit *a)
{
	return a->key.id;
}

void ops_audit_stop(struct audit *a)
{
	char hash[EVENT_HASH_HEX];
	int64_t seq;

	if (!a->ready || store_event_last(core_store(a->core), &seq, hash) < 0 || seq == 0)
		return;
	/* The head record covers system.stop: a clean stop leaves nothing unsigned. */
	if (seq > a->last_cp_seq || !a->have_head || a->head.seq < seq) {
		if (make_checkpoint(a, seq, hash, NULL) < 0)
			report(a, LOG_WARNING, "audit: cannot sign a checkpoint at stop: %s",
			       store_last_error(core_store(a->core)));
	}
}

void ops_audit_on_event(struct audit *a, const struct event *e)
{
	if (!a->ready)
		return;
	/*
	 * A failure here is not lost: ops_audit_init replays alarm events after
	 * the last checkpoint at the next start, and no checkpoint is signed
	 * past an alarm that could not be recorded.
	 */
	if (audit_is_alarm_kind(e->kind) &&
	    store_alarm_raise(core_store(a->core), e->kind, e->door, e->zone, e->seq, e->ts_ms) < 0)
		a->alarm_backlog = true;
	a->events_since_cp++;
	if (a->settings.checkpoint_events && a->events_since_cp >= a->settings.checkpoint_events)
		(void)make_checkpoint(a, e->seq, e->hash, NULL);
}

/*
 * Records when the clock's synchronization flips (a time service lost or
 * regained), so an auditor knows which stretch of timestamps a time
 * service vouched for; system.start and clock.jump carry the state too.
 */
static void clock_sync_check(struct audit *a)
{
	int now = clock_synced();
	char detail[64];

	if (now < 0 || now == a->clock_synced)
		return;
	snprintf(detail, sizeof(detail), "{\"clock_synced\":%s,\"was\":%s}", now ? "true" : "false",
		 a->clock_synced < 0 ? "null"
		 : a->clock_synced   ? "true"
				     : "false");
	struct event e = {.kind = "clock.sync_changed", .detail = detail};
	/* A failed write is queued by core_emit (or counted lost): do not record it twice. */
	(void)core_emit(a->core, &e);
	a->clock_synced = now;
}

void ops_audit_tick(struct audit *a)
{
	int64_t due;

	if (a->ready)
		clock_sync_check(a);
	/* Retention: 5 minutes after start, then daily; a run in progress is left to finish. */
	if (a->ready && a->n_retention && core_mono_ms(a->core) >= a->prune_next_mono) {
		a->prune_next_mono = core_mono_ms(a->core) + AUDIT_PRUNE_INTERVAL_MS;
		if (!prune_running(a))
			prune_start(a, false, "schedule");
	}
	if (!a->ready || !a->settings.checkpoint_minutes || a->events_since_cp == 0)
		return;
	due = a->last_cp_mono + (int64_t)a->settings.checkpoint_minutes * 60 * 1000;
	if (core_mono_ms(a->core) >= due)
		(void)checkpoint_head(a, NULL);
}

static json_t *checkpoint_json(const struct checkpoint *cp)
{
	char ts[32];

	time_format_ms(cp->ts_ms, ts, sizeof(ts));
	return json_pack("{s:I,s:s,s:s,s:s,s:s}", "seq", (json_int_t)cp->seq, "hash", cp->hash,
			 "ts", ts, "key_id", cp->key_id, "signature", cp->signature);
}

int ops_audit_checkpoint_head(struct audit *a, struct checkpoint *ret)
{
	return checkpoint_head(a, ret);
}

json_t *ops_audit_checkpoint_json(const struct checkpoint *cp)
{
	return checkpoint_json(cp);
}

int ops_audit_sign(struct audit *a, const char *text, char *ret_sig, size_t len)
{
	char sig[DEVKEY_SIG_HEX];
	int r;

	if (len < DEVKEY_SIG_HEX)
		return -ENOBUFS;
	r = devkey_sign(&a->key, text, strlen(text), sig);
	if (r < 0)
		return r;
	memcpy(ret_sig, sig, DEVKEY_SIG_HEX);
	return 0;
}

const char *ops_audit_public_key(struct audit *a)
{
	return a->key.pk_hex;
}

void ops_audit_mac(struct audit *a, const char *text, char ret[OPS_AUDIT_MAC_HEX])
{
	unsigned char mac[crypto_auth_BYTES];

	crypto_auth(mac, (const unsigned char *)text, strlen(text), a->mac_key);
	sodium_bin2hex(ret, OPS_AUDIT_MAC_HEX, mac, sizeof(mac));
}

unsigned ops_audit_alarm_ack_limit_ms(struct audit *a)
{
	return a->settings.alarm_ack_limit_ms ? a->settings.alarm_ack_limit_ms
					      : AUDIT_ALARM_ACK_LIMIT_MS_DEFAULT;
}

static int op_audit_pubkey(struct ctl_request *req, json_t **ret)
{
	struct audit *a = core_audit(req->userdata);
	*ret = json_pack("{s:s,s:s,s:s}", "public_key", a->key.pk_hex, "key_id", a->key.id,
			 "algorithm", "ed25519");
	return 0;
}

static int op_audit_checkpoint(struct ctl_request *req, json_t **ret)
{
	struct audit *a = core_audit(req->userdata);
	struct checkpoint cp;
	int r = checkpoint_head(a, &cp);

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

static void state_mac(struct audit *a, const struct export_args *x,
		      char out[2 * crypto_auth_BYTES + 1])
{
	unsigned char mac[crypto_auth_BYTES];
	json_t *fj = export_filter_to_json(&x->filter);
	char *ftext = json_dumps(fj, JSON_COMPACT | JSON_SORT_KEYS);
	char *text = NULL;

	if (ftext &&
	    asprintf(&text, "%s\n%" PRId64 "\n%" PRId64 "\n%" PRId64 "\n%" PRId64 "\n%s", ftext,
		     x->range_first, x->range_last, x->after, x->count, x->chain) < 0)
		text = NULL;
	/* Without memory the MAC is of nothing, and no state will ever match it. */
	crypto_auth(mac, (const unsigned char *)(text ? text : ""), text ? strlen(text) : 0,
		    a->mac_key);
	if (!text)
		mac[0] ^= 0xff;
	sodium_bin2hex(out, 2 * crypto_auth_BYTES + 1, mac, sizeof(mac));
	free(text);
	free(ftext);
	json_decref(fj);
}

static json_t *state_json(struct audit *a, const struct export_args *x)
{
	char mac[2 * crypto_auth_BYTES + 1];

	state_mac(a, x, mac);
	return json_pack("{s:I,s:I,s:s,s:s}", "after", (json_int_t)x->after, "count",
			 (json_int_t)x->count, "chain", x->chain, "mac", mac);
}

static int get_filter(struct audit *a, struct ctl_request *req, struct export_args *x)
{
	char err[160];

	if (export_filter_from_json(json_object_get(req->args, "filter"), &x->filter, err,
				    sizeof(err)) < 0)
		return ctl_fail(req, "invalid_argument", "%s", err);
	x->narrows = export_filter_narrows(&x->filter);
	return 0;
}

/* The arguments of export_page and export_seal: the filter, the range and a valid state. */
static int get_export_args(struct audit *a, struct ctl_request *req, struct export_args *x)
{
	const json_t *st = json_object_get(req->args, "state");
	char mac[2 * crypto_auth_BYTES + 1];
	const char *given, *chain;

	if (get_filter(a, req, x) < 0 ||
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
	state_mac(a, x, mac);
	if (strlen(given) != strlen(mac) || sodium_memcmp(given, mac, strlen(mac)) != 0)
		return ctl_fail(req, "invalid_argument",
				"'state': not issued by this controller for this export (it "
				"restarted, or the state or filter was changed); start again");
	return 0;
}

static int64_t walk_from(const struct export_args *x)
{
	return x->narrows && x->filter.from_ms ? x->filter.from_ms : INT64_MIN;
}

static int64_t walk_to(const struct export_args *x)
{
	return x->narrows && x->filter.to_ms ? x->filter.to_ms : INT64_MAX;
}

static int op_export_begin(struct ctl_request *req, json_t **ret)
{
	struct audit *a = core_audit(req->userdata);
	struct store *s = core_store(req->userdata);
	struct export_args x = {0};
	struct event e;
	char first_prev[EVENT_HASH_HEX] = AUDIT_GENESIS, last_hash[EVENT_HASH_HEX] = AUDIT_GENESIS;
	int r;

	if (get_filter(a, req, &x) < 0)
		return -1;
	r = store_event_range(s, x.filter.from_ms ? x.filter.from_ms : INT64_MIN,
			      x.filter.to_ms ? x.filter.to_ms : INT64_MAX, &x.range_first,
			      &x.range_last);
	if (r < 0)
		return ops_store_error(req, r, "event range");
	if (x.range_first) {
		if ((r = store_event_get(s, x.range_first, &e)) < 0)
			return ops_store_error(req, r, "first event");
		memcpy(first_prev, e.prev, EVENT_HASH_HEX);
		event_clear(&e);
		if ((r = store_event_get(s, x.range_last, &e)) < 0)
			return ops_store_error(req, r, "last event");
		memcpy(last_hash, e.hash, EVENT_HASH_HEX);
		event_clear(&e);
	}
	x.after = x.range_first ? x.range_first - 1 : 0;
	memcpy(x.chain, AUDIT_GENESIS, EVENT_HASH_HEX);
	*ret = json_pack("{s:o,s:I,s:I,s:s,s:s,s:o}", "filter", export_filter_to_json(&x.filter),
			 "range_first", (json_int_t)x.range_first, "range_last",
			 (json_int_t)x.range_last, "first_prev", first_prev, "last_hash", last_hash,
			 "state", state_json(a, &x));
	return 0;
}

struct page_ctx {
	struct export_args *x;
	json_t *rows;
	size_t bytes;
	int64_t limit, scanned;
};

static int page_cb(const struct event *e, void *userdata)
{
	struct page_ctx *p = userdata;
	struct export_args *x = p->x;
	json_t *row;
	char *text;

	p->scanned++;
	x->after = e->seq;
	if (!x->narrows || export_filter_match(&x->filter, e)) {
		export_chain_next(x->chain, e->seq, e->hash, x->chain);
		row = event_to_json(e);
		if (!row)
			return -ENOMEM;
		json_object_set_new(row, "export_chain", json_string(x->chain));
		text = json_dumps(row, JSON_COMPACT);
		p->bytes += text ? strlen(text) : 0;
		free(text);
		json_array_append_new(p->rows, row);
		x->count++;
	}
	/* Stop at a row boundary: the state names the last event looked at. */
	if (p->bytes >= AEOGATE_EXPORT_PAGE_BYTES ||
	    (int64_t)json_array_size(p->rows) >= p->limit || p->scanned >= AEOGATE_EXPORT_SCAN_MAX)
		return 1;
	return 0;
}

static int op_export_page(struct ctl_request *req, json_t **ret)
{
	struct audit *a = core_audit(req->userdata);
	struct store *s = core_store(req->userdata);
	struct export_args x = {0};
	struct page_ctx p = {.x = &x, .limit = AEOGATE_ROWS_PER_PAGE};
	int r;

	if (get_export_args(a, req, &x) < 0 ||
	    ctl_arg_int(req, "limit", false, 1, AEOGATE_ROWS_PER_PAGE, &p.limit) < 0)
		return -1;
	p.rows = json_array();
	if (x.after < x.range_last) {
		r = store_event_walk(s, x.after, x.range_last, walk_from(&x), walk_to(&x), page_cb,
				     &p);
		if (r < 0) {
			json_decref(p.rows);
			return ops_store_error(req, r, "export");
		}
		if (r == 0)
			x.after = x.range_last; /* the walk ran out: nothing more in range */
	}
	*ret = json_pack("{s:o,s:o,s:b}", "rows", p.rows, "state", state_json(a, &x), "done",
			 x.after >= x.range_last);
	return 0;
}

static int op_export_seal(struct ctl_request *req, json_t **ret)
{
	struct audit *a = core_audit(req->userdata);
	struct core *c = req->userdata;
	struct store *s = core_store(c);
	struct export_args x = {0};
	struct checkpoint cp;
	struct event e;
	const char *report = NULL;
	char first_prev[EVENT_HASH_HEX] = AUDIT_GENESIS, last_hash[EVENT_HASH_HEX] = AUDIT_GENESIS;
	char now[32], sig[DEVKEY_SIG_HEX], *text;
	json_t *statement;
	int r;

	if (get_export_args(a, req, &x) < 0 || ctl_arg_id(req, "report", false, &report) < 0)
		return -1;
	if (x.range_first ? x.after < x.range_last : x.after != 0)
		return ctl_fail(req, "failed_precondition", "the export has pages left to read");
	if (x.range_first) {
		if ((r = store_event_get(s, x.range_first, &e)) < 0)
			return ops_store_error(req, r, "first event");
		memcpy(first_prev, e.prev, EVENT_HASH_HEX);
		event_clear(&e);
		if ((r = store_event_get(s, x.range_last, &e)) < 0)
			return ops_store_error(req, r, "last event");
		memcpy(last_hash, e.hash, EVENT_HASH_HEX);
		event_clear(&e);
		r = make_checkpoint(a, x.range_last, last_hash, &cp);
	} else {
		r = checkpoint_head(a, &cp);
	}
	if (r < 0)
		return ops_store_error(req, r, "checkpoint");
	time_format_ms(core_wall_ms(c), now, sizeof(now));
	statement = json_pack(
	    "{s:s,s:o,s:o,s:I,s:I,s:s,s:s,s:I,s:s,s:o,s:s,s:s,s:s,s:s,s:s}", "type",
	    EXPORT_STATEMENT_TYPE, "filter", export_filter_to_json(&x.filter), "report",
	    report ? json_string(report) : json_null(), "range_first", (json_int_t)x.range_first,
	    "range_last", (json_int_t)x.range_last, "first_prev", first_prev, "last_hash",
	    last_hash, "rows", (json_int_t)x.count, "export_chain", x.chain, "checkpoint",
	    checkpoint_json(&cp), "key_id", a->key.id, "generator", "aeogated " AEOGATE_VERSION,
	    "generated_at", now, "operator", req->operator_id, "site", core_config(c)->site_name);
	text = statement ? export_statement_text(statement) : NULL;
	if (!text || devkey_sign(&a->key, text, strlen(text), sig) < 0) {
		free(text);
		json_decref(statement);
		return ctl_fail(req, "internal", "cannot sign the statement");
	}
	free(text);
	*ret = json_pack("{s:o,s:s,s:s}", "statement", statement, "signature", sig, "public_key",
			 a->key.pk_hex);
	return 0;
}

/* ---- live verification ---- */

struct live_ctx {
	const struct devkey *key;
	int64_t prev_seq;
	char prev_hash[EVENT_HASH_HEX];
	int64_t checked;
	int64_t bad_seq;
	int64_t bad_last; /* the end of a missing range; 0 for one seq */
	char problem[256];
	json_t *notes; /* findings the log itself records (audit.truncated, audit.head_invalid) */
	struct witness gap; /* a recorded truncation on this page (gap.seq 0: none) */
	int64_t gap_first;
};

static void live_note(struct live_ctx *v, const struct event *e, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void live_note(struct live_ctx *v, const struct event *e, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_array_append_new(v->notes, json_pack("{s:I,s:s,s:s}", "seq", (json_int_t)e->seq,
						  "kind", e->kind, "message", msg));
}

/* A truncation recorded at start: what verify --live says of it on every run. */
static void note_truncation(struct live_ctx *v, const struct event *e, const struct witness *w,
			    int64_t first)
{
	bool head = !strcmp(w->type, "head");

	live_note(v, e,
		  "seq %" PRId64 "-%" PRId64 ": missing at the end of the log: the newest events "
		  "were deleted (signed %s at seq %" PRId64 "); recorded by audit.truncated at "
		  "seq %" PRId64 ", from which the chain continues, anchored to the signed %s",
		  first, w->seq, head ? "head record" : "checkpoint", w->seq, e->seq,
		  head ? "head record" : "checkpoint");
}

/* An audit.* finding the log records; a recorded gap was checked by the caller. */
static void note_finding(struct live_ctx *v, const struct event *e)
{
	json_t *d = e->detail ? json_loads(e->detail, 0, NULL) : NULL;
	const char *problem = json_string_value(json_object_get(d, "problem"));

	if (!strcmp(e->kind, "audit.head_invalid"))
		live_note(v, e,
			  "seq %" PRId64 ": audit.head_invalid: at start the signed head record "
			  "(" HEAD_FILE ") %s",
			  e->seq, head_problem_text(problem));
	else
		live_note(v, e,
			  "seq %" PRId64 ": audit.truncated: seq %" PRId64 "-%" PRId64
			  " were recorded missing at start",
			  e->seq, (int64_t)json_integer_value(json_object_get(d, "first")),
			  (int64_t)json_integer_value(json_object_get(d, "last")));
	json_decref(d);
}

static int live_cb(const struct event *e, void *userdata)
{
	struct live_ctx *v = userdata;
	char h[EVENT_HASH_HEX];
	bool gap = false, finding = e->kind && (!strcmp(e->kind, "audit.truncated") ||
						!strcmp(e->kind, "audit.head_invalid"));

	if (e->seq > v->prev_seq + 1 &&
	    truncation_check(v->key->pk, v->prev_seq, e, &v->gap) == 0) {
		/* Recorded at start: the chain goes on from the signed witness, not from prev_seq.
		 */
		v->gap_first = v->prev_seq + 1;
		v->prev_seq = e->seq - 1;
		memcpy(v->prev_hash, e->prev, EVENT_HASH_HEX);
		gap = true;
	}
	if (e->seq != v->prev_seq + 1) {
		v->bad_seq = e->seq > v->prev_seq + 1 ? v->prev_seq + 1 : e->seq;
		v->bad_last = e->seq > v->prev_seq + 2 ? e->seq - 1 : 0;
		snprintf(v->problem, sizeof(v->problem), "%s",
			 e->seq > v->prev_seq + 2   ? "missing: the events were deleted"
			 : e->seq > v->prev_seq + 1 ? "missing: the event was deleted"
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
	if (gap)
		note_truncation(v, e, &v->gap, v->gap_first);
	else if (finding)
		note_finding(v, e);
	/* One finding per page, so the checkpoints of the page know its gap. */
	return gap || finding ? 1 : 0;
}

/*
 * Compares the end of the log with the head record: the one this process
 * signed last, and the file an auditor would look at. Sets v->bad_* when
 * they disagree; 0 or negative errno when the store fails.
 */
static int live_head_check(struct audit *a, struct live_ctx *v, struct store *s, int64_t last)
{
	struct head_record file, h;
	struct event e;
	bool have = a->have_head;
	int r = head_read(a->state_dir, &file);

	h = a->head;
	if (r == 0 && head_verify(a->key.pk, &file) == 0 && (!have || file.seq >= h.seq)) {
		h = file;
		have = true;
	}
	/* The newest events first: that is what a deleted tail looks like. */
	if (have && h.seq > last) {
		v->bad_seq = last + 1;
		v->bad_last = h.seq > last + 1 ? h.seq : 0;
		snprintf(v->problem, sizeof(v->problem),
			 "missing at the end of the log: the newest events were deleted (signed "
			 "head record at seq %" PRId64 ")",
			 h.seq);
		return 0;
	}
	if (have) {
		r = store_event_get(s, h.seq, &e);
		if (r < 0 && r != -ENOENT)
			return r;
		/* ENOENT: pruned since (a gap would have failed the walk). */
		if (r == 0 && strcmp(e.hash, h.hash) != 0) {
			v->bad_seq = h.seq;
			snprintf(
			    v->problem, sizeof(v->problem),
			    "hash differs from the one the signed head record holds: the chain "
			    "was rewritten");
		}
		if (r == 0)
			event_clear(&e);
		if (v->bad_seq)
			return 0;
	}
	r = head_read(a->state_dir, &file);
	if (r == -ENOENT && !a->have_head)
		return 0; /* none signed yet: no checkpoint since a database from before schema 6 */
	if (r == 0 && head_verify(a->key.pk, &file) == 0 && file.seq >= a->head.seq)
		return 0;
	v->bad_seq = a->have_head ? a->head.seq : r == 0 ? file.seq : last ? last : 1;
	if (r == 0 && head_verify(a->key.pk, &file) == 0)
		snprintf(v->problem, sizeof(v->problem),
			 "the signed head record (" HEAD_FILE ") names seq %" PRId64
			 ", older than the head this controller signed: it was replaced",
			 file.seq);
	else
		snprintf(v->problem, sizeof(v->problem),
			 "the signed head record (" HEAD_FILE ") %s",
			 r == -ENOENT	 ? head_problem_text("missing")
			 : r == -EBADMSG ? head_problem_text("malformed")
			 : r == 0	 ? head_problem_text("bad_signature")
					 : head_problem_text("unreadable"));
	return 0;
}

struct cp_check {
	const struct devkey *key;
	struct store *store;
	int64_t bad_seq;
	char problem[256];
	const struct witness *gap; /* a recorded truncation: gap_first..gap->seq are gone */
	int64_t gap_first;
};

/*
 * Where the kept chain starts. After pruning, the oldest row kept (first)
 * is no longer preceded by its predecessor: a checkpoint this device signed
 * at first - 1 vouches for first's prev, and the newest audit.pruned event
 * must have declared the rows up to first - 1 pruned (its row is checked
 * with the rest of the chain). Anything else is a deletion.
 */
struct anchor {
	int64_t first; /* the oldest seq kept; 0 when the log is empty */
	char prev[EVENT_HASH_HEX];
	int64_t cp_id; /* the checkpoint at first - 1; 0 when first is 1 */
	char key_id[DEVKEY_ID_HEX];
	int64_t pruned_by; /* seq of the audit.pruned event that declared it */
	int64_t declared_last;
	int64_t declared_cp; /* the anchor checkpoint it names */
	int64_t bad_seq;     /* set when the start is not vouched for */
	char problem[256];
	bool truncated; /* first is an audit.truncated recording seq 1..first-1 missing */
};

struct anchor_scan {
	const struct devkey *key;
	const char *prev;
	int64_t found_id;
	char found_key[DEVKEY_ID_HEX];
	int64_t seen_id;
	const char *seen_why;
};

static int anchor_cp_cb(const struct checkpoint *cp, void *userdata)
{
	struct anchor_scan *sc = userdata;

	if (strcmp(cp->key_id, sc->key->id) != 0 || checkpoint_verify(sc->key->pk, cp) != 0) {
		sc->seen_id = cp->id;
		sc->seen_why = "does not carry this device's signature";
		return 0;
	}
	if (strcmp(cp->hash, sc->prev) != 0) {
		sc->seen_id = cp->id;
		sc->seen_why = "signed another hash than the prev of the oldest row";
		return 0;
	}
	sc->found_id = cp->id;
	memcpy(sc->found_key, cp->key_id, DEVKEY_ID_HEX);
	return 1;
}

/* Negative errno when the store fails; otherwise 0, with a->bad_seq set when not vouched. */
static int anchor_check(struct audit *a, struct store *s, struct anchor *an)
{
	struct anchor_scan sc = {.key = &a->key};
	struct event p;
	json_t *d;
	int r;

	memset(an, 0, sizeof(*an));
	if ((r = store_event_first(s, &an->first, an->prev)) < 0)
		return r;
	if (an->first == 0)
		return 0;
	if (an->first == 1) {
		if (strcmp(an->prev, AUDIT_GENESIS) != 0) {
			an->bad_seq = 1;
			snprintf(an->problem, sizeof(an->problem),
				 "the first event does not start from the genesis hash: it was "
				 "altered");
		}
		return 0;
	}
	/* Every older event deleted, and the start recorded it: the walk checks the record. */
	if ((r = store_event_get(s, an->first, &p)) < 0)
		return r;
	an->truncated = truncation_check(a->key.pk, 0, &p, NULL) == 0;
	event_clear(&p);
	if (an->truncated)
		return 0;
	sc.prev = an->prev;
	r = store_checkpoint_list(s, an->first - 2, an->first - 1, anchor_cp_cb, &sc);
	if (r < 0)
		return r;
	if (!sc.found_id) {
		an->bad_seq = an->first;
		if (sc.seen_id)
			snprintf(an->problem, sizeof(an->problem),
				 "the log starts here, but checkpoint %" PRId64 " at seq %" PRId64
				 ", which must vouch for its prev, %s",
				 sc.seen_id, an->first - 1, sc.seen_why);
		else
			snprintf(an->problem, sizeof(an->problem),
				 "the log starts here, but no signed checkpoint at seq %" PRId64
				 " vouches for its prev: events before it were deleted",
				 an->first - 1);
		return 0;
	}
	an->cp_id = sc.found_id;
	memcpy(an->key_id, sc.found_key, DEVKEY_ID_HEX);
	r = store_event_last_pruned(s, &p);
	if (r == -ENOENT) {
		an->bad_seq = an->first;
		snprintf(
		    an->problem, sizeof(an->problem),
		    "the log starts here, but no audit.pruned event records that seq 1-%" PRId64
		    " were pruned: they were deleted",
		    an->first - 1);
		return 0;
	}
	if (r < 0)
		return r;
	d = p.detail ? json_loads(p.detail, 0, NULL) : NULL;
	an->pruned_by = p.seq;
	an->declared_last = json_integer_value(json_object_get(d, "last"));
	an->declared_cp =
	    json_integer_value(json_object_get(json_object_get(d, "anchor"), "checkpoint"));
	json_decref(d);
	event_clear(&p);
	if (an->declared_last < an->first - 1) {
		an->bad_seq = an->first;
		snprintf(an->problem, sizeof(an->problem),
			 "the log starts here, but the last pruning (audit.pruned, seq %" PRId64
			 ") declared only seq %" PRId64 " and before pruned: events were deleted",
			 an->pruned_by, an->declared_last);
	}
	return 0;
}

static int cp_check_cb(const struct checkpoint *cp, void *userdata)
{
	struct cp_check *k = userdata;
	struct event e;
	int r;

	/* Over events a recorded truncation names: gone, as recorded; its witness must agree. */
	if (k->gap && cp->seq >= k->gap_first && cp->seq <= k->gap->seq) {
		if (cp->seq == k->gap->seq && strcmp(cp->hash, k->gap->hash) != 0 &&
		    !strcmp(cp->key_id, k->key->id) && checkpoint_verify(k->key->pk, cp) == 0) {
			k->bad_seq = cp->seq;
			snprintf(k->problem, sizeof(k->problem),
				 "checkpoint %" PRId64 " signed another hash than the witness the "
				 "truncation record holds: the chain was rewritten",
				 cp->id);
			return 1;
		}
		return 0;
	}
	if (strcmp(cp->key_id, k->key->id) != 0 || checkpoint_verify(k->key->pk, cp) != 0) {
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
	struct audit *a = core_audit(req->userdata);
	struct core *c = req->userdata;
	struct store *s = core_store(c);
	struct live_ctx v = {.key = &a->key};
	struct cp_check k = {.store = s, .key = &a->key};
	struct anchor an = {0};
	int64_t after = 0, limit = AEOGATE_EXPORT_SCAN_MAX, head = 0, start;
	const char *prev = NULL;
	char head_hash[EVENT_HASH_HEX];
	json_t *anchor = json_null(), *bad;
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
	/* The first page starts where the kept chain starts, from its anchor. */
	if (after == 0) {
		if ((r = anchor_check(a, s, &an)) < 0)
			return ops_store_error(req, r, "event log");
		if (an.bad_seq) {
			v.bad_seq = an.bad_seq;
			snprintf(v.problem, sizeof(v.problem), "%s", an.problem);
		} else if (an.first > 1 && !an.truncated) {
			v.prev_seq = start = an.first - 1;
			memcpy(v.prev_hash, an.prev, EVENT_HASH_HEX);
			anchor = json_pack("{s:I,s:I,s:s,s:I}", "seq", (json_int_t)(an.first - 1),
					   "checkpoint", (json_int_t)an.cp_id, "key_id", an.key_id,
					   "pruned_by", (json_int_t)an.pruned_by);
		}
	}
	v.notes = json_array();
	r = v.bad_seq ? 0 : store_event_list(s, v.prev_seq, (size_t)limit, live_cb, &v);
	if (r < 0)
		goto err_store;
	done = !v.bad_seq && v.prev_seq >= head;
	/* At the end: the log must reach the head record signed outside it. */
	if (done && (r = live_head_check(a, &v, s, head)) < 0)
		goto err_store;
	/* Checkpoints over what this page proved, and at the end those beyond the log's end. */
	if (!v.bad_seq) {
		if (v.gap.seq) {
			k.gap = &v.gap;
			k.gap_first = v.gap_first;
		}
		r = store_checkpoint_list(s, start, done ? 0 : v.prev_seq, cp_check_cb, &k);
		if (r < 0)
			goto err_store;
		if (k.bad_seq) {
			v.bad_seq = k.bad_seq;
			snprintf(v.problem, sizeof(v.problem), "%s", k.problem);
		}
	}
	bad = json_null();
	if (v.bad_seq) {
		bad = json_pack("{s:I,s:s}", "seq", (json_int_t)v.bad_seq, "problem", v.problem);
		if (v.bad_last)
			json_object_set_new(bad, "last", json_integer(v.bad_last));
	}
	*ret = json_pack("{s:I,s:I,s:s,s:b,s:o,s:o}", "checked", (json_int_t)v.checked, "last_seq",
			 (json_int_t)v.prev_seq, "last_hash", v.prev_hash, "done",
			 done && !v.bad_seq, "bad", bad, "notes", v.notes);
	if (after == 0) {
		json_object_set_new(*ret, "first_seq", json_integer(an.first));
		json_object_set_new(*ret, "anchor", anchor);
	} else {
		json_decref(anchor);
	}
	return 0;
err_store:
	json_decref(anchor);
	json_decref(v.notes);
	return ops_store_error(req, r, "event log");
}

/* ---- retention: pruning a prefix of the chain ---- */

/*
 * A run: scan from the oldest row kept while every row is past its kind's
 * retention (and checks out: links, hashes, checkpoints), then sign a
 * checkpoint at the last such row S and record audit.pruned in one
 * transaction, then delete up to S in steps. Each delete step first signs
 * a checkpoint at its own last row, so between steps the oldest row kept
 * is always anchored (see anchor_check). A run cut short by a restart is
 * finished by the next one: the audit.pruned event says how far it goes.
 */

static bool prune_running(struct audit *a)
{
	return a->job.phase == PRUNE_SCAN || a->job.phase == PRUNE_DELETE;
}

static void prune_fail(struct audit *a, int64_t bad_seq, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void prune_fail(struct audit *a, int64_t bad_seq, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(a->job.error, sizeof(a->job.error), fmt, ap);
	va_end(ap);
	a->job.bad_seq = bad_seq;
	a->job.phase = PRUNE_FAILED;
	a->job.news = true;
	snprintf(a->job.news_text, sizeof(a->job.news_text), "pruning (job %" PRId64 ") failed: %s",
		 a->job.id, a->job.error);
}

static void prune_count_kind(struct audit *a, const char *kind)
{
	size_t i;

	for (i = 0; i < a->job.n_kinds; i++)
		if (!strcmp(a->job.kinds[i].kind, kind)) {
			a->job.kinds[i].n++;
			return;
		}
	if (a->job.n_kinds == AEOGATE_PRUNE_KINDS_REPORTED) {
		a->job.other++;
		return;
	}
	snprintf(a->job.kinds[i].kind, sizeof(a->job.kinds[i].kind), "%s", kind);
	a->job.kinds[i].n = 1;
	a->job.n_kinds++;
}

/* NULL when e may go; otherwise why the prefix must stop at it. */
static const char *prune_blocker(struct audit *a, const struct event *e, char *why, size_t len)
{
	const struct retention_rule *rule =
	    retention_rule_for(a->retention, a->n_retention, e->kind);
	struct alarm al;
	char until[32];
	int r;

	if (e->seq >= a->job.head)
		return "the newest event is always kept: the chain continues from it";
	if (!rule) {
		snprintf(why, len, "no retention rule applies to %s: kept forever", e->kind);
		return why;
	}
	if (!rule->days) {
		snprintf(why, len, "%s is kept forever (%s:forever)", e->kind, rule->pattern);
		return why;
	}
	if (e->ts_ms >= a->job.now_ms - (int64_t)rule->days * 86400000) {
		time_format_ms(e->ts_ms + (int64_t)rule->days * 86400000, until, sizeof(until));
		snprintf(why, len, "%s is kept %ud (%s:%ud): until %s", e->kind, rule->days,
			 rule->pattern, rule->days, until);
		return why;
	}
	if (audit_is_alarm_kind(e->kind)) {
		r = store_alarm_get_by_seq(core_store(a->core), e->seq, &al);
		if (r == -ENOENT) {
			snprintf(why, len, "it raised an alarm that is not recorded yet");
			return why;
		}
		if (r < 0) {
			snprintf(why, len, "its alarm cannot be read: %s",
				 store_last_error(core_store(a->core)));
			return why;
		}
		if (strcmp(al.state, "closed") != 0) {
			snprintf(why, len, "it raised alarm %" PRId64 ", still %s", al.id,
				 al.state);
			return why;
		}
	}
	return NULL;
}

/* 0 go on, 1 the prefix ends here, 2 this step is full, 3 the chain is broken (job failed). */
static int prune_scan_cb(const struct event *e, void *userdata)
{
	struct audit *a = userdata;
	char h[EVENT_HASH_HEX], why[192];
	const char *blocker;

	/*
	 * A truncation recorded at start: nothing of the gap is left to delete,
	 * and the prefix may end at its last seq, which the signed witness
	 * anchors (the anchor checkpoint signs the witness's hash there).
	 */
	if (e->seq > a->job.pos + 1 && !a->job.gap.seq &&
	    truncation_check(a->key.pk, a->job.pos, e, &a->job.gap) == 0) {
		a->job.gap_first = a->job.pos + 1;
		a->job.pos = a->job.last = e->seq - 1;
		memcpy(a->job.pos_hash, e->prev, EVENT_HASH_HEX);
		memcpy(a->job.last_hash, e->prev, EVENT_HASH_HEX);
	}
	if (e->seq != a->job.pos + 1) {
		prune_fail(a, a->job.pos + 1,
			   "seq %" PRId64 ": missing: refusing to prune a broken chain",
			   a->job.pos + 1);
		return 3;
	}
	if (strcmp(e->prev, a->job.pos_hash) != 0 || audit_hash(e->prev, e, h) < 0 ||
	    strcmp(h, e->hash) != 0) {
		prune_fail(a, e->seq,
			   "seq %" PRId64 ": does not verify (altered, inserted or reordered): "
			   "refusing to prune a broken chain",
			   e->seq);
		return 3;
	}
	a->job.pos = e->seq;
	memcpy(a->job.pos_hash, e->hash, EVENT_HASH_HEX);
	blocker = prune_blocker(a, e, why, sizeof(why));
	if (blocker) {
		a->job.blocked_seq = e->seq;
		snprintf(a->job.blocked_kind, sizeof(a->job.blocked_kind), "%s", e->kind);
		snprintf(a->job.blocked_why, sizeof(a->job.blocked_why), "%s", blocker);
		return 1;
	}
	a->job.last = e->seq;
	memcpy(a->job.last_hash, e->hash, EVENT_HASH_HEX);
	a->job.count++;
	prune_count_kind(a, e->kind);
	/* One recorded gap per step, so the step's checkpoint check knows it. */
	if (++a->job.step_rows >= AEOGATE_PRUNE_STEP_ROWS || a->job.gap.seq ||
	    (a->job.step_rows % 32 == 0 && core_mono_ms(a->core) >= a->job.step_deadline))
		return 2;
	return 0;
}

static json_t *prune_kinds_json(struct audit *a)
{
	json_t *o = json_object();

	for (size_t i = 0; i < a->job.n_kinds; i++)
		json_object_set_new(o, a->job.kinds[i].kind, json_integer(a->job.kinds[i].n));
	if (a->job.other)
		json_object_set_new(o, "other", json_integer(a->job.other));
	return o;
}

/* Signs the anchor at S and records audit.pruned, in one transaction. */
static int prune_commit_plan(struct audit *a)
{
	struct store *s = core_store(a->core);
	struct checkpoint cp;
	char rules[1024], *text;
	json_t *detail;
	int r;

	if (core_events_queued(a->core)) {
		prune_fail(a, 0,
			   "storage is failing; nothing is pruned until buffered events are "
			   "stored");
		return -EBUSY;
	}
	r = checkpoint_sign(&a->key, a->job.last, a->job.last_hash, core_wall_ms(a->core), &cp);
	if (r < 0) {
		prune_fail(a, 0, "cannot sign the anchor checkpoint: %s", strerror(-r));
		return r;
	}
	retention_format(a->retention, a->n_retention, rules, sizeof(rules));
	if ((r = store_begin(s)) < 0)
		goto err_store;
	if ((r = store_checkpoint_add_id(s, &cp, &a->job.anchor_cp_id)) < 0)
		goto err_rollback;
	detail = json_pack(
	    "{s:I,s:I,s:I,s:{s:I,s:I,s:s},s:s,s:o,s:s}", "first", (json_int_t)a->job.first, "last",
	    (json_int_t)a->job.last, "count", (json_int_t)a->job.count, "anchor", "checkpoint",
	    (json_int_t)a->job.anchor_cp_id, "seq", (json_int_t)a->job.last, "key_id", cp.key_id,
	    "retention", rules, "kinds", prune_kinds_json(a), "operator", a->job.operator_id);
	text = detail ? json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(detail);
	if (!text) {
		r = -ENOMEM;
		goto err_rollback;
	}
	struct event e = {.kind = "audit.pruned", .detail = text};
	r = core_append(a->core, &e);
	if (r == 0)
		r = store_commit(s);
	if (r < 0) {
		free(text);
		goto err_rollback;
	}
	report_checkpoint(a, &cp);
	a->job.event_seq = e.seq;
	core_publish(a->core, &e);
	free(text);
	return 0;
err_rollback:
	store_rollback(s);
	core_chain_reload(a->core);
err_store:
	prune_fail(a, 0, "cannot record the pruning: %s", store_last_error(s));
	return r;
}

static void prune_finish(struct audit *a)
{
	a->job.phase = PRUNE_DONE;
	a->job.news = true;
	if (a->job.dry_run)
		snprintf(a->job.news_text, sizeof(a->job.news_text),
			 "pruning (dry run, job %" PRId64 "): %" PRId64 " events could go",
			 a->job.id, a->job.count);
	else if (a->job.count == 0)
		snprintf(a->job.news_text, sizeof(a->job.news_text),
			 "pruning (job %" PRId64 "): nothing is past its retention (oldest kept: "
			 "seq %" PRId64 ")",
			 a->job.id, a->job.first);
	else
		snprintf(a->job.news_text, sizeof(a->job.news_text),
			 "pruned seq %" PRId64 "-%" PRId64 " (%" PRId64 " events, %" PRId64
			 " closed alarms) under checkpoint %" PRId64
			 "; audit.pruned is seq %" PRId64,
			 a->job.first, a->job.last, a->job.deleted, a->job.alarms_deleted,
			 a->job.anchor_cp_id, a->job.event_seq);
}

static void prune_scan_step(struct audit *a)
{
	struct store *s = core_store(a->core);
	struct cp_check k = {.store = s, .key = &a->key};
	int64_t from = a->job.pos;
	int walk, r;

	a->job.step_rows = 0;
	a->job.step_deadline = core_mono_ms(a->core) + AEOGATE_PRUNE_STEP_MS;
	memset(&a->job.gap, 0, sizeof(a->job.gap));
	walk = store_event_list(s, a->job.pos, AEOGATE_PRUNE_STEP_ROWS, prune_scan_cb, a);
	if (walk < 0) {
		prune_fail(a, 0, "reading the log: %s", store_last_error(s));
		return;
	}
	if (walk == 3)
		return;
	/* The checkpoints over what this step read must match it too. */
	if (a->job.pos > from) {
		if (a->job.gap.seq) {
			k.gap = &a->job.gap;
			k.gap_first = a->job.gap_first;
		}
		r = store_checkpoint_list(s, from, a->job.pos, cp_check_cb, &k);
		if (r < 0) {
			prune_fail(a, 0, "reading checkpoints: %s", store_last_error(s));
			return;
		}
		if (k.bad_seq) {
			prune_fail(a, k.bad_seq, "seq %" PRId64 ": %s: refusing to prune",
				   k.bad_seq, k.problem);
			return;
		}
	}
	if (walk == 2)
		return; /* this step is full: more to read */
	/* The prefix ends here (blocked, or the log ended). */
	if (a->job.dry_run || a->job.count == 0) {
		prune_finish(a);
		return;
	}
	if (prune_commit_plan(a) < 0)
		return;
	a->job.phase = PRUNE_DELETE;
	a->job.pos = a->job.first - 1;
}

struct first_kept {
	int64_t seq;
	char prev[EVENT_HASH_HEX];
};

static int first_kept_cb(const struct event *e, void *userdata)
{
	struct first_kept *fk = userdata;

	fk->seq = e->seq;
	memcpy(fk->prev, e->prev, EVENT_HASH_HEX);
	return 0;
}

static void prune_delete_step(struct audit *a)
{
	struct store *s = core_store(a->core);
	int64_t b = a->job.pos + AEOGATE_PRUNE_STEP_ROWS < a->job.last
			? a->job.pos + AEOGATE_PRUNE_STEP_ROWS
			: a->job.last;
	int64_t closed_before =
	    core_wall_ms(a->core) - (int64_t)AEOGATE_RETENTION_ALARM_FLOOR_DAYS * 86400000;
	int64_t n_ev = 0, n_al = 0;
	struct checkpoint cp;
	bool anchored = false;
	int r;

	if ((r = store_begin(s)) < 0)
		goto err;
	/*
	 * Anchor the rows kept after this step (the last step has the run's
	 * anchor at S): a checkpoint just before the first row kept, over its
	 * prev, which is b's hash unless b falls into a recorded truncation.
	 */
	if (b < a->job.last) {
		struct first_kept fk = {0};

		if ((r = store_event_list(s, b, 1, first_kept_cb, &fk)) < 0)
			goto err_rollback;
		if (!fk.seq) {
			r = -ENOENT;
			goto err_rollback;
		}
		r = checkpoint_sign(&a->key, fk.seq - 1, fk.prev, core_wall_ms(a->core), &cp);
		if (r < 0 || (r = store_checkpoint_add(s, &cp)) < 0)
			goto err_rollback;
		anchored = true;
	}
	if ((r = store_prune(s, b, closed_before, &n_ev, &n_al)) < 0 || (r = store_commit(s)) < 0)
		goto err_rollback;
	if (anchored)
		report_checkpoint(a, &cp);
	a->job.pos = b;
	a->job.deleted += n_ev;
	a->job.alarms_deleted += n_al;
	if (a->job.pos >= a->job.last)
		prune_finish(a);
	return;
err_rollback:
	store_rollback(s);
err:
	prune_fail(a, 0, "deleting seq %" PRId64 "-%" PRId64 ": %s (the run resumes next time)",
		   a->job.pos + 1, b, store_last_error(s));
}

bool ops_audit_prune_step(struct audit *a)
{
	if (!a->ready)
		return false;
	if (a->job.phase == PRUNE_SCAN)
		prune_scan_step(a);
	else if (a->job.phase == PRUNE_DELETE)
		prune_delete_step(a);
	return prune_running(a);
}

void ops_audit_set_prune_waker(struct audit *a, void (*fn)(void *userdata), void *userdata)
{
	a->prune_wake = fn;
	a->prune_wake_data = userdata;
}

const char *ops_audit_prune_news(struct audit *a, bool *ret_failed)
{
	if (!a->job.news)
		return NULL;
	a->job.news = false;
	if (ret_failed)
		*ret_failed = a->job.phase == PRUNE_FAILED;
	return a->job.news_text;
}

/* Starts a run (the caller checked none is running); its outcome is in a->job. */
static void prune_start(struct audit *a, bool dry_run, const char *operator_id)
{
	struct store *s = core_store(a->core);
	struct anchor an;
	char hash[EVENT_HASH_HEX];
	int64_t id = a->job.id + 1;
	int r;

	memset(&a->job, 0, sizeof(a->job));
	a->job.id = id;
	a->job.dry_run = dry_run;
	a->job.phase = PRUNE_SCAN;
	snprintf(a->job.operator_id, sizeof(a->job.operator_id), "%s", operator_id);
	a->job.now_ms = core_wall_ms(a->core);
	if ((r = anchor_check(a, s, &an)) < 0 ||
	    (r = store_event_last(s, &a->job.head, hash)) < 0) {
		prune_fail(a, 0, "reading the log: %s", store_last_error(s));
		return;
	}
	if (an.bad_seq) {
		prune_fail(a, an.bad_seq, "seq %" PRId64 ": %s: refusing to prune", an.bad_seq,
			   an.problem);
		return;
	}
	a->job.first = an.first;
	/* A log whose start was truncated (and recorded) is scanned from seq 0, across the gap. */
	a->job.pos = a->job.last = an.first && !an.truncated ? an.first - 1 : 0;
	memcpy(a->job.pos_hash, an.first && !an.truncated ? an.prev : AUDIT_GENESIS,
	       EVENT_HASH_HEX);
	/* An earlier run declared more than is gone: finish it before anything else. */
	if (an.first > 1 && an.declared_last >= an.first) {
		a->job.resumed = true;
		a->job.last = an.declared_last;
		a->job.count = an.declared_last - an.first + 1;
		a->job.anchor_cp_id = an.declared_cp;
		a->job.event_seq = an.pruned_by;
		if (dry_run) {
			prune_finish(a);
			return;
		}
		a->job.phase = PRUNE_DELETE;
	}
	if (a->prune_wake)
		a->prune_wake(a->prune_wake_data);
}

static json_t *prune_job_json(struct audit *a)
{
	static const char *const phases[] = {"idle", "scanning", "deleting", "done", "failed"};
	json_t *o;

	o = json_pack("{s:I,s:s,s:b,s:b,s:s}", "job", (json_int_t)a->job.id, "state",
		      phases[a->job.phase], "dry_run", a->job.dry_run, "resumed", a->job.resumed,
		      "operator", a->job.operator_id);
	json_object_set_new(o, "first", a->job.first ? json_integer(a->job.first) : json_null());
	json_object_set_new(o, "last", a->job.count ? json_integer(a->job.last) : json_null());
	json_object_set_new(o, "count", json_integer(a->job.count));
	json_object_set_new(o, "kinds", prune_kinds_json(a));
	json_object_set_new(o, "scanned_to",
			    json_integer(a->job.phase == PRUNE_SCAN ? a->job.pos : 0));
	json_object_set_new(o, "blocked_by",
			    a->job.blocked_seq
				? json_pack("{s:I,s:s,s:s}", "seq", (json_int_t)a->job.blocked_seq,
					    "kind", a->job.blocked_kind, "why", a->job.blocked_why)
				: json_null());
	json_object_set_new(o, "anchor",
			    a->job.anchor_cp_id
				? json_pack("{s:I,s:I,s:s}", "checkpoint",
					    (json_int_t)a->job.anchor_cp_id, "seq",
					    (json_int_t)a->job.last, "key_id", a->key.id)
				: json_null());
	json_object_set_new(o, "event",
			    a->job.event_seq ? json_integer(a->job.event_seq) : json_null());
	json_object_set_new(o, "deleted", json_integer(a->job.deleted));
	json_object_set_new(o, "alarms_deleted", json_integer(a->job.alarms_deleted));
	json_object_set_new(
	    o, "error",
	    a->job.phase == PRUNE_FAILED
		? json_pack("{s:I,s:s}", "seq", (json_int_t)a->job.bad_seq, "message", a->job.error)
		: json_null());
	return o;
}

static int op_audit_prune(struct ctl_request *req, json_t **ret)
{
	struct audit *a = core_audit(req->userdata);
	const json_t *dry = json_object_get(req->args, "dry_run");

	if (dry && !json_is_boolean(dry))
		return ctl_fail(req, "invalid_argument", "'dry_run' must be true or false");
	if (!a->n_retention)
		return ctl_fail(req, "failed_precondition",
				"no retention is configured ([audit] retention): every event is "
				"kept");
	if (prune_running(a))
		return ctl_fail(req, "failed_precondition",
				"a pruning is running (job %" PRId64 ", by %s); wait for it "
				"(audit.prune_status)",
				a->job.id, a->job.operator_id);
	prune_start(a, json_is_true(dry), req->operator_id);
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
    {"audit.verify", ROLES_AUDIT, op_audit_verify},
    {"audit.prune", ROLE_ADMIN | ROLE_LOCAL, op_audit_prune},
    {"audit.prune_status", ROLES_AUDIT, op_audit_prune_status},
    {NULL, 0, NULL},
};
