/* SPDX-License-Identifier: MIT */
/*
 * Live verification of the stored chain (audit.verify): page by page, the
 * links and hashes, the checkpoints signed over them, where the kept chain
 * starts (its anchor after pruning, or a recorded truncation) and, at the
 * end, the signed head record. Pruning checks the same anchor and
 * checkpoints before it deletes anything (prune.c).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit-internal.h"
#include "core.h"

struct live_ctx {
	const struct devkey *key;
	struct audit_verifier link; /* the last event verified (chain.h) */
	int64_t checked;
	int64_t bad_seq;
	int64_t bad_last; /* the end of a missing range; 0 for one seq */
	char problem[256];
	struct audit_verify_page *page; /* its note: a finding the log itself records */
	struct witness gap;		/* a recorded truncation on this page (gap.seq 0: none) */
	int64_t gap_first;
};

static void live_note(struct live_ctx *v, const struct event *e, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void live_note(struct live_ctx *v, const struct event *e, const char *fmt, ...)
{
	char msg[sizeof(v->page->note)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	v->page->have_note = true;
	v->page->note_seq = e->seq;
	snprintf(v->page->note_kind, sizeof(v->page->note_kind), "%s", e->kind);
	snprintf(v->page->note, sizeof(v->page->note), "%s", msg);
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
			  e->seq, audit_head_problem_text(problem));
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
	struct audit_verifier *link = &v->link;
	bool gap = false, finding = e->kind && (!strcmp(e->kind, "audit.truncated") ||
						!strcmp(e->kind, "audit.head_invalid"));
	int r;

	if (e->seq > link->seq + 1 && truncation_check(v->key->pk, link->seq, e, &v->gap) == 0) {
		/* Recorded at start: the chain goes on from the signed witness, not from link->seq.
		 */
		v->gap_first = link->seq + 1;
		audit_verifier_accept_gap(link, e);
		gap = true;
	}
	r = audit_verify_next(link, e);
	if (r == -EPIPE && e->seq != link->seq + 1) {
		v->bad_seq = e->seq > link->seq + 1 ? link->seq + 1 : e->seq;
		v->bad_last = e->seq > link->seq + 2 ? e->seq - 1 : 0;
		snprintf(v->problem, sizeof(v->problem), "%s",
			 e->seq > link->seq + 2	  ? "missing: the events were deleted"
			 : e->seq > link->seq + 1 ? "missing: the event was deleted"
						  : "out of order");
		return 1;
	}
	if (r == -EPIPE) {
		v->bad_seq = e->seq;
		snprintf(v->problem, sizeof(v->problem),
			 "does not follow seq %" PRId64
			 " in the chain: an event was altered, inserted or reordered",
			 link->seq);
		return 1;
	}
	if (r < 0) {
		v->bad_seq = e->seq;
		snprintf(v->problem, sizeof(v->problem),
			 "content does not match its hash: the event was altered");
		return 1;
	}
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
	bool have;
	int r;

	/* A record still being written would look older than the one signed. */
	audit_head_flush(a);
	have = a->have_head;
	r = head_read(a->state_dir, &file);

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
			 r == -ENOENT	 ? audit_head_problem_text("missing")
			 : r == -EBADMSG ? audit_head_problem_text("malformed")
			 : r == 0	 ? audit_head_problem_text("bad_signature")
					 : audit_head_problem_text("unreadable"));
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

int audit_anchor_check(struct audit *a, struct audit_anchor *an)
{
	struct store *s = core_store(a->core);
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

int audit_checkpoints_check(struct audit *a, int64_t from, int64_t to, const struct witness *gap,
			    int64_t gap_first, int64_t *ret_bad_seq, char *problem, size_t len)
{
	struct cp_check k = {.store = core_store(a->core), .key = &a->key};
	int r;

	if (gap && gap->seq) {
		k.gap = gap;
		k.gap_first = gap_first;
	}
	r = store_checkpoint_list(k.store, from, to, cp_check_cb, &k);
	if (r < 0)
		return r;
	*ret_bad_seq = k.bad_seq;
	if (k.bad_seq)
		snprintf(problem, len, "%s", k.problem);
	return 0;
}

int audit_verify(struct audit *a, int64_t after, const char *prev, size_t limit,
		 struct audit_verify_page *ret)
{
	struct store *s = core_store(a->core);
	struct audit_verify_page *page = ret;
	struct live_ctx v = {.key = &a->key, .page = page};
	struct audit_anchor an = {0};
	int64_t head = 0, start, bad_seq = 0;
	char head_hash[EVENT_HASH_HEX];
	bool done;
	int r;

	memset(page, 0, sizeof(*page));
	audit_verifier_resume(&v.link, after, prev ? prev : AUDIT_GENESIS);
	start = after;
	if ((r = store_event_last(s, &head, head_hash)) < 0)
		return r;
	/* The first page starts where the kept chain starts, from its anchor. */
	if (after == 0) {
		if ((r = audit_anchor_check(a, &an)) < 0)
			return r;
		if (an.bad_seq) {
			v.bad_seq = an.bad_seq;
			snprintf(v.problem, sizeof(v.problem), "%s", an.problem);
		} else if (an.first > 1 && !an.truncated) {
			audit_verifier_resume(&v.link, an.first - 1, an.prev);
			start = an.first - 1;
			page->anchored = true;
			page->anchor_seq = an.first - 1;
			page->anchor_cp_id = an.cp_id;
			page->anchor_pruned_by = an.pruned_by;
			memcpy(page->anchor_key_id, an.key_id, DEVKEY_ID_HEX);
		}
		page->first_seq = an.first;
	}
	r = v.bad_seq ? 0 : store_event_list(s, v.link.seq, limit, live_cb, &v);
	if (r < 0)
		return r;
	done = !v.bad_seq && v.link.seq >= head;
	/* At the end: the log must reach the head record signed outside it. */
	if (done && (r = live_head_check(a, &v, s, head)) < 0)
		return r;
	/* Checkpoints over what this page proved, and at the end those beyond the log's end. */
	if (!v.bad_seq) {
		r = audit_checkpoints_check(a, start, done ? 0 : v.link.seq, &v.gap, v.gap_first,
					    &bad_seq, v.problem, sizeof(v.problem));
		if (r < 0)
			return r;
		v.bad_seq = bad_seq;
	}
	page->checked = v.checked;
	page->last_seq = v.link.seq;
	memcpy(page->last_hash, v.link.hash, EVENT_HASH_HEX);
	page->done = done && !v.bad_seq;
	page->bad_seq = v.bad_seq;
	page->bad_last = v.bad_seq ? v.bad_last : 0;
	memcpy(page->problem, v.problem, sizeof(page->problem));
	return 0;
}
