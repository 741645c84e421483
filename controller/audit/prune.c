/* SPDX-License-Identifier: MIT */
/*
 * Pruning a prefix of the chain (README.md, "Retention"), in bounded steps
 * between which the loop serves the doors.
 *
 * A run: scan from the oldest row kept while every row is past its kind's
 * retention (and checks out: links, hashes, checkpoints), then sign a
 * checkpoint at the last such row S and record audit.pruned in one
 * transaction, then delete up to S in steps. Each delete step first signs
 * a checkpoint at its own last row, so between steps the oldest row kept
 * is always anchored (see audit_anchor_check). A run cut short by a restart
 * is finished by the next one: the audit.pruned event says how far it goes.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit-internal.h"
#include "core.h"
#include "util.h"

static void prune_start(struct audit *a, bool dry_run, const char *operator_id);

bool audit_prune_running(struct audit *a)
{
	return a->job.phase == AUDIT_PRUNE_SCAN || a->job.phase == AUDIT_PRUNE_DELETE;
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
	a->job.phase = AUDIT_PRUNE_FAILED;
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
	struct audit_verifier link;
	char why[192];
	const char *blocker;
	int r;

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
	audit_verifier_resume(&link, a->job.pos, a->job.pos_hash);
	r = audit_verify_next(&link, e);
	if (r == -EPIPE && e->seq != a->job.pos + 1) {
		prune_fail(a, a->job.pos + 1,
			   "seq %" PRId64 ": missing: refusing to prune a broken chain",
			   a->job.pos + 1);
		return 3;
	}
	if (r < 0) {
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

json_t *audit_prune_kinds_json(const struct audit_prune_job *job)
{
	json_t *o = json_object();

	for (size_t i = 0; i < job->n_kinds; i++)
		json_object_set_new(o, job->kinds[i].kind, json_integer(job->kinds[i].n));
	if (job->other)
		json_object_set_new(o, "other", json_integer(job->other));
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
	detail = json_pack("{s:I,s:I,s:I,s:{s:I,s:I,s:s},s:s,s:o,s:s}", "first",
			   (json_int_t)a->job.first, "last", (json_int_t)a->job.last, "count",
			   (json_int_t)a->job.count, "anchor", "checkpoint",
			   (json_int_t)a->job.anchor_cp_id, "seq", (json_int_t)a->job.last,
			   "key_id", cp.key_id, "retention", rules, "kinds",
			   audit_prune_kinds_json(&a->job), "operator", a->job.operator_id);
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
	audit_report_checkpoint(a, &cp);
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
	a->job.phase = AUDIT_PRUNE_DONE;
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
	int64_t from = a->job.pos, bad_seq = 0;
	char problem[256];
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
		r = audit_checkpoints_check(a, from, a->job.pos, &a->job.gap, a->job.gap_first,
					    &bad_seq, problem, sizeof(problem));
		if (r < 0) {
			prune_fail(a, 0, "reading checkpoints: %s", store_last_error(s));
			return;
		}
		if (bad_seq) {
			prune_fail(a, bad_seq, "seq %" PRId64 ": %s: refusing to prune", bad_seq,
				   problem);
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
	a->job.phase = AUDIT_PRUNE_DELETE;
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
		audit_report_checkpoint(a, &cp);
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

bool audit_prune_step(struct audit *a)
{
	if (!a->ready)
		return false;
	if (a->job.phase == AUDIT_PRUNE_SCAN)
		prune_scan_step(a);
	else if (a->job.phase == AUDIT_PRUNE_DELETE)
		prune_delete_step(a);
	return audit_prune_running(a);
}

void audit_set_prune_waker(struct audit *a, void (*fn)(void *userdata), void *userdata)
{
	a->prune_wake = fn;
	a->prune_wake_data = userdata;
}

const char *audit_prune_news(struct audit *a, bool *ret_failed)
{
	if (!a->job.news)
		return NULL;
	a->job.news = false;
	if (ret_failed)
		*ret_failed = a->job.phase == AUDIT_PRUNE_FAILED;
	return a->job.news_text;
}

/* Starts a run (the caller checked none is running); its outcome is in a->job. */
static void prune_start(struct audit *a, bool dry_run, const char *operator_id)
{
	struct store *s = core_store(a->core);
	struct audit_anchor an;
	char hash[EVENT_HASH_HEX];
	int64_t id = a->job.id + 1;
	int r;

	memset(&a->job, 0, sizeof(a->job));
	a->job.id = id;
	a->job.dry_run = dry_run;
	a->job.phase = AUDIT_PRUNE_SCAN;
	snprintf(a->job.operator_id, sizeof(a->job.operator_id), "%s", operator_id);
	a->job.now_ms = core_wall_ms(a->core);
	if ((r = audit_anchor_check(a, &an)) < 0 ||
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
		a->job.phase = AUDIT_PRUNE_DELETE;
	}
	if (a->prune_wake)
		a->prune_wake(a->prune_wake_data);
}

int audit_prune_start(struct audit *a, bool dry_run, const char *operator_id)
{
	if (!a->n_retention)
		return -ENOENT;
	if (audit_prune_running(a))
		return -EBUSY;
	prune_start(a, dry_run, operator_id);
	return 0;
}

const struct audit_prune_job *audit_prune_job(struct audit *a)
{
	return &a->job;
}

/* Retention: 5 minutes after start, then daily; a run in progress is left to finish. */
void audit_prune_tick(struct audit *a)
{
	if (!a->n_retention || core_mono_ms(a->core) < a->prune_next_mono)
		return;
	a->prune_next_mono = core_mono_ms(a->core) + AUDIT_PRUNE_INTERVAL_MS;
	if (!audit_prune_running(a))
		prune_start(a, false, "schedule");
}
