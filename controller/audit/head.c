/* SPDX-License-Identifier: MIT */
/*
 * The signed head record (state_dir/head.sig, checkpoint.h) as the service
 * keeps it: moved up with every checkpoint, and compared with the log at
 * start, where a truncation or an untrustworthy record is itself recorded
 * (audit.truncated, audit.head_invalid) and raises an alarm.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "audit-internal.h"
#include "core.h"

/*
 * The head record's writer. Writing it costs three fsyncs (the WAL, the
 * new file, its folder) and a rename; on the loop's thread they were the
 * longest pauses between two decisions (tens of ms, more while a backup
 * keeps the disk busy), once per signed checkpoint. The loop signs the
 * record (microseconds) and hands it over; this thread makes the WAL
 * durable and then writes the record, so a power cut still never leaves
 * it claiming commits the database lost. Only the newest asked-for
 * record is written: one that a newer one overtook is simply skipped.
 */
struct head_writer {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool pending, busy, stop;
	struct head_record next; /* signed, to be written: under mu */
	int failed;		 /* the last write's error, for the loop to report */
	int64_t failed_seq;
	char wal[PATH_MAX];
};

static void *head_writer_main(void *userdata)
{
	struct audit *a = userdata;
	struct head_writer *w = a->hw;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (!w->pending && !w->stop)
			pthread_cond_wait(&w->cv, &w->mu);
		if (!w->pending)
			break;
		struct head_record h = w->next;
		int r;

		w->pending = false;
		w->busy = true;
		pthread_mutex_unlock(&w->mu);
		r = store_sync_wal_file(w->wal);
		if (r == 0)
			r = head_write(a->state_dir, &h);
		pthread_mutex_lock(&w->mu);
		if (r == 0) {
			a->head = h;
			a->have_head = true;
		} else {
			w->failed = r;
			w->failed_seq = h.seq;
		}
		w->busy = false;
		pthread_cond_broadcast(&w->cv);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

static int head_writer_start(struct audit *a)
{
	struct head_writer *w = calloc(1, sizeof(*w));
	sigset_t all, old;
	int r;

	if (!w)
		return -ENOMEM;
	if ((r = store_wal_file(core_store(a->core), w->wal, sizeof(w->wal))) < 0) {
		free(w);
		return r;
	}
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	a->hw = w;
	/* Signals are the loop's (sd-event): the thread is born with all of them blocked. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	r = -pthread_create(&w->thread, NULL, head_writer_main, a);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r < 0) {
		a->hw = NULL;
		pthread_cond_destroy(&w->cv);
		pthread_mutex_destroy(&w->mu);
		free(w);
	}
	return r;
}

/* Reports, on the loop, a write the thread could not make. Under w->mu. */
static void head_writer_report(struct audit *a)
{
	struct head_writer *w = a->hw;

	if (!w->failed)
		return;
	audit_report(a, LOG_WARNING,
		     "%s/" HEAD_FILE ": cannot record the head at seq %" PRId64 ": %s",
		     a->state_dir, w->failed_seq, strerror(-w->failed));
	w->failed = 0;
}

/* Moves the head record up to (seq, hash), an event already committed. */
void audit_head_advance(struct audit *a, int64_t seq, const char *hash)
{
	struct head_writer *w;
	struct head_record h;
	int r;

	if (!a->hw && (r = head_writer_start(a)) < 0) {
		audit_report(a, LOG_WARNING, "%s/" HEAD_FILE ": cannot start its writer: %s",
			     a->state_dir, strerror(-r));
		return;
	}
	w = a->hw;
	pthread_mutex_lock(&w->mu);
	head_writer_report(a);
	/* Behind what is written or already asked for: nothing to do. */
	if ((a->have_head && seq <= a->head.seq) || (w->pending && seq <= w->next.seq)) {
		pthread_mutex_unlock(&w->mu);
		return;
	}
	pthread_mutex_unlock(&w->mu);
	if ((r = head_sign(&a->key, seq, hash, core_wall_ms(a->core), &h)) < 0) {
		audit_report(a, LOG_WARNING,
			     "%s/" HEAD_FILE ": cannot sign the head at seq %" PRId64 ": %s",
			     a->state_dir, seq, strerror(-r));
		return;
	}
	pthread_mutex_lock(&w->mu);
	w->next = h;
	w->pending = true;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

void audit_head_flush(struct audit *a)
{
	struct head_writer *w = a->hw;

	if (!w)
		return;
	pthread_mutex_lock(&w->mu);
	while (w->pending || w->busy)
		pthread_cond_wait(&w->cv, &w->mu);
	head_writer_report(a);
	pthread_mutex_unlock(&w->mu);
}

void audit_head_stop(struct audit *a)
{
	struct head_writer *w = a->hw;

	if (!w)
		return;
	audit_head_flush(a);
	pthread_mutex_lock(&w->mu);
	w->stop = true;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	free(w);
	a->hw = NULL;
}

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
		r = audit_alarm_raise(a, &e);
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

const char *audit_head_problem_text(const char *problem)
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
/* A restore onto another device is waiting to be recorded (RESTORED_FILE). */
static bool restored_elsewhere(const char *state_dir)
{
	char path[PATH_MAX + 32];
	json_t *j;
	bool r;

	snprintf(path, sizeof(path), "%s/" RESTORED_FILE, state_dir);
	j = json_load_file(path, 0, NULL);
	r = json_is_true(json_object_get(j, "other_device"));
	json_decref(j);
	return r;
}

int audit_start_check(struct audit *a, char *err, size_t errlen)
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
		if (have_cp && store_opened_version(s) >= 6 && !restored_elsewhere(a->state_dir))
			problem = "missing";
		else if (have_cp)
			audit_report(a, LOG_NOTICE,
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
		audit_report(
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
		audit_report(a, LOG_CRIT, "audit: the signed head record %s/" HEAD_FILE " %s; %s",
			     a->state_dir, audit_head_problem_text(problem),
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
		if (last && (r = audit_checkpoint_at(a, last, hash, NULL)) < 0)
			audit_report(a, LOG_WARNING, "audit: cannot sign a checkpoint at start: %s",
				     store_last_error(s));
	}
	return 0;
err_store:
	snprintf(err, errlen, "audit: %s", store_last_error(s));
	return r;
}
