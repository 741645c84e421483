/* SPDX-License-Identifier: MIT */
/*
 * What one received message does to the hub's store (hub.h). Every
 * message is one transaction: an event is stored exactly once, only when it
 * continues its controller's verified chain (the link check is chain.h's,
 * the one the controller and the offline verifier run); an event that
 * arrives early is held until the seqs before it are in; a duplicate is
 * dropped and counted; anything that does not verify is an alarm and is
 * not stored.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "chain.h"
#include "hub.h"
#include "signature.h"
#include "util.h"

/* Topic levels: aeogate/SITE/CONTROLLER/KIND. */
struct topic {
	char site[AEOGATE_ID_MAX + 1];
	char controller[AEOGATE_ID_MAX + 1];
	char kind[16];
};

static int topic_parse(const char *t, struct topic *ret)
{
	char copy[3 * (AEOGATE_ID_MAX + 1) + 32], *parts[5];
	int n = 0;

	if (strlen(t) >= sizeof(copy))
		return -EINVAL;
	snprintf(copy, sizeof(copy), "%s", t);
	/* strtok would merge empty levels ("a//b"): split by hand. */
	parts[n++] = copy;
	for (char *p = copy; *p; p++)
		if (*p == '/') {
			*p = '\0';
			if (n == 5)
				return -EINVAL;
			parts[n++] = p + 1;
		}
	if (n != 4 || strcmp(parts[0], "aeogate") || !id_is_valid(parts[1]) ||
	    !id_is_valid(parts[2]) || strlen(parts[3]) >= sizeof(ret->kind))
		return -EINVAL;
	snprintf(ret->site, sizeof(ret->site), "%s", parts[1]);
	snprintf(ret->controller, sizeof(ret->controller), "%s", parts[2]);
	snprintf(ret->kind, sizeof(ret->kind), "%s", parts[3]);
	return 0;
}

static int alarm(struct hub_ingest *in, const struct hub_controller *c, const char *kind,
		 int64_t seq, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int alarm(struct hub_ingest *in, const struct hub_controller *c, const char *kind,
		 int64_t seq, const char *fmt, ...)
{
	char msg[400];
	va_list ap;
	int r;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	r = hub_store_alarm_add(in->store, c->site, c->controller, kind, seq, msg);
	if (r > 0) {
		in->alarms++;
		if (in->on_alarm)
			in->on_alarm(in->u, c->site, c->controller, kind, seq, msg);
	}
	return r < 0 ? r : 0;
}

static bool is_hex(const char *s, size_t n)
{
	if (!s || strlen(s) != n)
		return false;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return false;
	return true;
}

/* Holds an early event until the seqs it needs are in; bounded. */
static int hold(struct hub_ingest *in, struct hub_controller *c, const struct event *e,
		const char *text)
{
	int64_t max = in->pending_max ? in->pending_max : HUB_PENDING_MAX;
	int r;

	if (c->pending >= max) {
		c->refused++;
		in->refused++;
		return alarm(in, c, "gap", c->verified_seq + 1,
			     "seq %lld is missing and %lld later events wait for it: later "
			     "arrivals are refused until it comes",
			     (long long)c->verified_seq + 1, (long long)max);
	}
	r = hub_store_pending_add(in->store, c->site, c->controller, e, text);
	if (r > 0) {
		c->pending++;
		in->held++;
	} else if (r == 0) {
		/* The same event is held already. */
		c->duplicates++;
		in->duplicates++;
	}
	return r < 0 ? r : 0;
}

/* Stores e, which continues the chain at one of its ends, and checks a checkpoint at it. */
static int store(struct hub_ingest *in, struct hub_controller *c, const struct event *e,
		 const char *text)
{
	struct hub_checkpoint cp;
	int r = hub_store_event_add(in->store, c->site, c->controller, e, text);

	if (r < 0)
		return r;
	in->events++;
	/* A checkpoint that came before its event is checked now. */
	r = hub_store_checkpoint_get(in->store, c->site, c->controller, e->seq, &cp);
	if (r == 0 && strcmp(cp.hash, e->hash) != 0)
		return alarm(in, c, "checkpoint_mismatch", e->seq,
			     "seq %lld: hash differs from the one the device's checkpoint signed: "
			     "the chain was rewritten",
			     (long long)e->seq);
	return r == -ENOENT ? 0 : r;
}

/*
 * One event for c (its row in memory, written back by the caller). Its
 * JSON text is what the store keeps. The stored chain grows at its end
 * (the next seq, linked by the chain's own check) and, for a chain that was
 * anchored late on a checkpoint, at its start (the seq before, whose hash
 * is what the first stored event follows).
 */
static int event_accept(struct hub_ingest *in, struct hub_controller *c, const char *text)
{
	struct audit_verifier v = {0};
	char stored[EVENT_HASH_HEX], own[EVENT_HASH_HEX], *detail = NULL;
	struct event e;
	json_t *o;
	int r;

	o = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(o) || util_json_depth(o) > AEOGATE_JSON_DEPTH_MAX ||
	    event_from_json(o, &e, &detail) < 0) {
		json_decref(o);
		return -EBADMSG;
	}
	/*
	 * Its hash must match its content whatever its place: a copy altered on
	 * the way is refused here, so an early one is never held in place of
	 * the genuine event, and a late one is never taken for a duplicate.
	 */
	if (audit_hash(e.prev, &e, own) < 0 || strcmp(own, e.hash) != 0) {
		c->refused++;
		in->refused++;
		r = alarm(in, c, "chain_broken", e.seq,
			  "seq %lld: content does not match its hash: altered", (long long)e.seq);
		goto out;
	}
	if (c->first_seq && e.seq >= c->first_seq && e.seq <= c->verified_seq) {
		r = hub_store_event_hash(in->store, c->site, c->controller, e.seq, stored);
		if (r == 0 && !strcmp(stored, e.hash)) {
			c->duplicates++;
			in->duplicates++;
		} else if (r == 0) {
			c->refused++;
			in->refused++;
			r = alarm(
			    in, c, "conflict", e.seq,
			    "seq %lld: a different event (hash %.16s) arrived after the stored "
			    "one (hash %.16s): altered on the way or the chain was rewritten",
			    (long long)e.seq, e.hash, stored);
		}
		goto out;
	}
	if (c->first_seq && e.seq < c->first_seq) {
		/* Before the anchored start: it must be what the first stored event follows. */
		if (e.seq < c->first_seq - 1) {
			r = hold(in, c, &e, text);
		} else if (strcmp(e.hash, c->first_prev) != 0) {
			c->refused++;
			in->refused++;
			r = alarm(
			    in, c, "conflict", e.seq,
			    "seq %lld: its hash %.16s is not the one seq %lld follows (%.16s): "
			    "altered on the way or the chain was rewritten",
			    (long long)e.seq, e.hash, (long long)c->first_seq, c->first_prev);
		} else if ((r = store(in, c, &e, text)) >= 0) {
			c->first_seq = e.seq;
			snprintf(c->first_prev, sizeof(c->first_prev), "%s", e.prev);
		}
		goto out;
	}
	if (e.seq > c->verified_seq + 1) {
		r = hold(in, c, &e, text);
		goto out;
	}
	if (c->verified_seq)
		audit_verifier_resume(&v, c->verified_seq, c->verified_hash);
	r = audit_verify_next(&v, &e);
	if (r == -EBADMSG || r == -EPIPE) {
		c->refused++;
		in->refused++;
		r = alarm(in, c, "chain_broken", e.seq,
			  "seq %lld: does not link to the seq before it (prev differs): "
			  "inserted, reordered or the chain was rewritten",
			  (long long)e.seq);
		goto out;
	}
	if (r < 0 || (r = store(in, c, &e, text)) < 0)
		goto out;
	if (!c->first_seq) {
		c->first_seq = e.seq;
		snprintf(c->first_prev, sizeof(c->first_prev), "%s", e.prev);
	}
	c->verified_seq = e.seq;
	snprintf(c->verified_hash, sizeof(c->verified_hash), "%s", e.hash);
out:
	free(detail);
	json_decref(o);
	return r;
}

/*
 * Whatever waited and can go now: the seqs after the stored chain (and
 * stale copies inside it, as duplicates or conflicts), then the seq before
 * its start. Nothing taken here is held again, so this ends.
 */
static int drain(struct hub_ingest *in, struct hub_controller *c)
{
	for (;;) {
		int64_t lo = c->first_seq ? c->first_seq : 1, hi = c->verified_seq + 1;
		char *held = NULL;
		int r;

		r = hub_store_pending_take(in->store, c->site, c->controller, lo, hi, &held);
		if (r == -ENOENT && c->first_seq > 1)
			r = hub_store_pending_take(in->store, c->site, c->controller,
						   c->first_seq - 1, c->first_seq - 1, &held);
		if (r == -ENOENT)
			return 0;
		if (r < 0)
			return r;
		c->pending--;
		r = event_accept(in, c, held);
		free(held);
		if (r < 0 && r != -EBADMSG)
			return r;
	}
}

/*
 * A controller whose older events were pruned before the hub heard of it
 * never sends seq 1. When nothing is stored yet and the latest signed
 * checkpoint's event is held, the held events that chain back from it are
 * bound to the device key: the stored chain starts at the lowest of them.
 * Earlier seqs still in flight are taken later, at the start (drain).
 */
static int anchor(struct hub_ingest *in, struct hub_controller *c)
{
	struct hub_checkpoint cp;
	char prev[EVENT_HASH_HEX], before[EVENT_HASH_HEX];
	int64_t seq;
	int r;

	if (c->first_seq || !c->pending)
		return 0;
	r = hub_store_checkpoint_at_or_before(in->store, c->site, c->controller, INT64_MAX, &cp);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	seq = cp.seq;
	r = hub_store_pending_find(in->store, c->site, c->controller, seq, cp.hash, prev);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	while (seq > 1 && (r = hub_store_pending_find(in->store, c->site, c->controller, seq - 1,
						      prev, before)) == 0) {
		seq--;
		memcpy(prev, before, sizeof(prev));
	}
	if (r < 0 && r != -ENOENT)
		return r;
	/* seq is the lowest held event of the chain; it follows prev. */
	c->first_seq = seq;
	snprintf(c->first_prev, sizeof(c->first_prev), "%s", prev);
	c->verified_seq = seq - 1;
	snprintf(c->verified_hash, sizeof(c->verified_hash), "%s", prev);
	return drain(in, c);
}

static int ingest_event(struct hub_ingest *in, struct hub_controller *c, const char *text)
{
	int r = event_accept(in, c, text);

	if (r < 0)
		return r;
	r = drain(in, c);
	return r < 0 ? r : anchor(in, c);
}

/* Pins the key on first contact; a different one later is an alarm. 1: it is the pinned key. */
static int key_check(struct hub_ingest *in, struct hub_controller *c, const char *pk_hex,
		     const char *what)
{
	unsigned char pk[DEVKEY_PK_BYTES];

	if (devkey_pk_from_hex(pk_hex, pk) < 0)
		return -EBADMSG;
	if (!c->public_key[0]) {
		snprintf(c->public_key, sizeof(c->public_key), "%s", pk_hex);
		devkey_id(pk, c->key_id);
		return 1;
	}
	if (strcasecmp(c->public_key, pk_hex) == 0)
		return 1;
	{
		char id[DEVKEY_ID_HEX];
		int r;

		devkey_id(pk, id);
		r = alarm(in, c, "key_changed", 0,
			  "%s names device key %s, not the key %s pinned on first contact: "
			  "another device, or the controller was replaced",
			  what, id, c->key_id);
		return r < 0 ? r : 0;
	}
}

static const char *jstr(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static int ingest_checkpoint(struct hub_ingest *in, struct hub_controller *c, const json_t *o)
{
	struct hub_checkpoint cp = {0};
	unsigned char pk[DEVKEY_PK_BYTES];
	char stored[EVENT_HASH_HEX];
	const json_t *seq = json_object_get(o, "seq");
	int r;

	if (!json_is_integer(seq) || json_integer_value(seq) <= 0 || !is_hex(jstr(o, "hash"), 64) ||
	    !jstr(o, "ts") || strlen(jstr(o, "ts")) >= sizeof(cp.ts) ||
	    time_parse_ms(jstr(o, "ts"), &cp.ts_ms) < 0 || !jstr(o, "signature") ||
	    strlen(jstr(o, "signature")) != 128 || !jstr(o, "public_key"))
		return -EBADMSG;
	cp.seq = json_integer_value(seq);
	snprintf(cp.hash, sizeof(cp.hash), "%s", jstr(o, "hash"));
	snprintf(cp.ts, sizeof(cp.ts), "%s", jstr(o, "ts"));
	snprintf(cp.signature, sizeof(cp.signature), "%s", jstr(o, "signature"));
	r = key_check(in, c, jstr(o, "public_key"), "a checkpoint");
	if (r <= 0) {
		if (r == 0) {
			c->refused++;
			in->refused++;
		}
		return r;
	}
	if (devkey_pk_from_hex(c->public_key, pk) < 0)
		return -EIO;
	snprintf(cp.key_id, sizeof(cp.key_id), "%s", c->key_id);
	if (checkpoint_sig_verify(pk, cp.seq, cp.hash, cp.ts_ms, cp.signature) != 0) {
		c->refused++;
		in->refused++;
		return alarm(
		    in, c, "bad_checkpoint", cp.seq,
		    "checkpoint at seq %lld: the signature does not verify under the pinned "
		    "key %s",
		    (long long)cp.seq, c->key_id);
	}
	r = hub_store_event_hash(in->store, c->site, c->controller, cp.seq, stored);
	if (r == 0 && strcmp(stored, cp.hash) != 0)
		return alarm(in, c, "checkpoint_mismatch", cp.seq,
			     "seq %lld: hash differs from the one the device's checkpoint signed: "
			     "the chain was rewritten",
			     (long long)cp.seq);
	if (r < 0 && r != -ENOENT)
		return r;
	r = hub_store_checkpoint_add(in->store, c->site, c->controller, &cp);
	if (r == 0 && cp.seq > c->checkpoint_seq)
		c->checkpoint_seq = cp.seq;
	return r < 0 ? r : anchor(in, c);
}

static int64_t jint(const json_t *o, const char *k, int64_t dflt)
{
	const json_t *v = json_object_get(o, k);

	return json_is_integer(v) ? json_integer_value(v) : dflt;
}

struct republish {
	struct hub_ingest *in;
	char topic[128 + 2 * AEOGATE_ID_MAX];
	int64_t last; /* the last version sent */
};

static int republish_one(void *u, int64_t version, const char *payload)
{
	struct republish *rp = u;
	int r = rp->in->republish(rp->in->u, rp->topic, payload);

	if (r < 0)
		return r;
	rp->last = version;
	return 0;
}

/*
 * The stored change sets from version FROM, at most MAX, to the controller
 * alone (its aeogate/SITE/enrolment/CONTROLLER); *ret_last is the last
 * version sent, 0 when none was.
 */
static int resend(struct hub_ingest *in, const struct hub_controller *c, int64_t from, int max,
		  int64_t *ret_last)
{
	struct republish rp = {.in = in};
	int r;

	snprintf(rp.topic, sizeof(rp.topic), "aeogate/%s/enrolment/%s", c->site, c->controller);
	r = hub_store_changeset_each(in->store, c->site, from, max, republish_one, &rp);
	*ret_last = rp.last;
	return r;
}

/* The controller's slot: what the hub sent it again (zeroed for a controller not held yet). */
static struct hub_resend *resend_slot(struct hub_ingest *in, const struct hub_controller *c)
{
	uint32_t h = 2166136261u; /* FNV-1a over "site/controller" */
	struct hub_resend *slot;
	const char *p;

	for (p = c->site; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	h = (h ^ '/') * 16777619u;
	for (p = c->controller; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	slot = &in->resend[h % HUB_RESEND_SLOTS];
	if (strcmp(slot->site, c->site) || strcmp(slot->controller, c->controller)) {
		memset(slot, 0, sizeof(*slot));
		snprintf(slot->site, sizeof(slot->site), "%s", c->site);
		snprintf(slot->controller, sizeof(slot->controller), "%s", c->controller);
		slot->applied = -1;
	}
	return slot;
}

/*
 * A change set the controller has not applied, although it was stored
 * before the controller's previous status and HUB_CATCHUP_AFTER_MS ago:
 * its delivery was lost (aeogate-sync acknowledged it to the broker, then
 * went away before aeogated applied it; a broker killed before it saved
 * its queue). A controller asks for a missing change set only when a later
 * one arrives out of order, so the last one of a quiet office would stay
 * missing. Sent again to that controller only, HUB_CATCHUP_MAX at most per
 * status; a duplicate is refused there as a replay and changes nothing.
 */
static void catch_up(struct hub_ingest *in, const struct hub_controller *c, int64_t prev_status_ms)
{
	struct hub_resend *slot;
	int64_t stored_ms, last, now = now_mono_ms();

	if (hub_store_changeset_stored_ms(in->store, c->site, c->applied_version + 1, &stored_ms) <
		0 ||
	    stored_ms > prev_status_ms || now_wall_ms() - stored_ms < HUB_CATCHUP_AFTER_MS)
		return;
	slot = resend_slot(in, c);
	if (slot->applied != c->applied_version) {
		slot->applied = c->applied_version;
		slot->next_ms = 0;
		slot->wait_ms = HUB_CATCHUP_AFTER_MS;
	}
	if (now < slot->next_ms)
		return;
	if (resend(in, c, c->applied_version + 1, HUB_CATCHUP_MAX, &last) < 0)
		return;
	in->catchups++;
	slot->next_ms = now + slot->wait_ms;
	slot->wait_ms = slot->wait_ms * 2 > HUB_CATCHUP_WAIT_MAX_MS ? HUB_CATCHUP_WAIT_MAX_MS
								    : slot->wait_ms * 2;
}

static int ingest_status(struct hub_ingest *in, struct hub_controller *c, const void *payload,
			 size_t len, const json_t *o)
{
	int64_t prev_forwarded, prev_applied, prev_status_ms = c->status_ms;
	int r;

	c->status_ms = now_wall_ms();
	if (!o) {
		/* The last will: the plain text offline. */
		if (len != 7 || memcmp(payload, "offline", 7) != 0)
			return -EBADMSG;
		c->online = false;
		return 0;
	}
	if (!jstr(o, "public_key"))
		return -EBADMSG;
	r = key_check(in, c, jstr(o, "public_key"), "its status");
	if (r <= 0)
		return r; /* another key's status says nothing about this controller */
	c->online = !jstr(o, "state") || !strcmp(jstr(o, "state"), "online");
	c->status_last_seq = jint(o, "last_seq", c->status_last_seq);
	prev_forwarded = c->forwarded_seq;
	c->forwarded_seq = jint(o, "forwarded_seq", c->forwarded_seq);
	/*
	 * The broker acknowledged events to the controller that never came
	 * here: forwarded past what is stored, at this status and the one
	 * before (a second or more apart, so what was on its way has come).
	 * A broker killed before it saved them does that. Ask the controller
	 * to send again from the first one missing; duplicates are dropped.
	 */
	if (in->republish && c->forwarded_seq > c->verified_seq &&
	    prev_forwarded > c->verified_seq) {
		char topic[64 + 2 * AEOGATE_ID_MAX], body[48];

		snprintf(topic, sizeof(topic), "aeogate/%s/%s/replay", c->site, c->controller);
		snprintf(body, sizeof(body), "{\"from\":%" PRId64 "}", c->verified_seq + 1);
		if (in->republish(in->u, topic, body) == 0)
			in->replays++;
	}
	prev_applied = c->applied_version;
	c->applied_version = jint(o, "applied_version", c->applied_version);
	if (in->republish && c->applied_version == prev_applied)
		catch_up(in, c, prev_status_ms);
	c->doors = jint(o, "doors", c->doors);
	c->alarms = jint(o, "alarms", c->alarms);
	return 0;
}

/*
 * {"from":N}: the stored change sets from version N, to that controller.
 * Within HUB_REQUEST_WINDOW_MS of a republish to it that began at or
 * before N, the versions up to the last one sent are on their way already:
 * only later ones go (a version stored since, which overtook them and was
 * refused, is among those). A republish that is itself lost is sent again
 * by a request after the window, or by the catch-up.
 */
static int ingest_request(struct hub_ingest *in, const struct hub_controller *c, const json_t *o)
{
	const json_t *jfrom = json_object_get(o, "from");
	struct hub_resend *slot;
	int64_t from, last, now = now_mono_ms();
	bool trimmed = false;
	int r;

	if (!json_is_integer(jfrom) || json_integer_value(jfrom) < 1)
		return -EBADMSG;
	if (!in->republish)
		return 0;
	from = json_integer_value(jfrom);
	slot = resend_slot(in, c);
	if (slot->sent_upto && now - slot->sent_ms < HUB_REQUEST_WINDOW_MS &&
	    from <= slot->sent_upto) {
		from = slot->sent_upto + 1;
		trimmed = true;
	}
	r = resend(in, c, from, HUB_REPUBLISH_MAX, &last);
	if (last) {
		slot->sent_upto = last;
		if (!trimmed)
			slot->sent_ms = now;
	}
	return r;
}

int hub_ingest_message(struct hub_ingest *in, const char *topic, const void *payload, size_t len)
{
	struct hub_controller c;
	struct topic t;
	json_t *o = NULL;
	char *text = NULL;
	int r;

	if (topic_parse(topic, &t) < 0 || len > HUB_PAYLOAD_MAX) {
		in->bad_messages++;
		return -EBADMSG;
	}
	if (strcmp(t.kind, "events") && strcmp(t.kind, "checkpoints") && strcmp(t.kind, "status") &&
	    strcmp(t.kind, "requests"))
		return 0; /* not ours (another level under the site) */
	o = json_loadb(payload, len, JSON_REJECT_DUPLICATES, NULL);
	if (o && (!json_is_object(o) || util_json_depth(o) > AEOGATE_JSON_DEPTH_MAX)) {
		json_decref(o);
		in->bad_messages++;
		return -EBADMSG;
	}
	if (!o && strcmp(t.kind, "status") != 0) {
		in->bad_messages++;
		return -EBADMSG;
	}
	r = hub_store_begin(in->store);
	if (r < 0)
		goto out;
	r = hub_store_controller_get(in->store, t.site, t.controller, &c);
	if (r < 0)
		goto fail;
	if (!strcmp(t.kind, "events")) {
		/* Kept as compact JSON: the row the export reads back. */
		text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
		r = text ? ingest_event(in, &c, text) : -ENOMEM;
	} else if (!strcmp(t.kind, "checkpoints")) {
		r = ingest_checkpoint(in, &c, o);
	} else if (!strcmp(t.kind, "status")) {
		r = ingest_status(in, &c, payload, len, o);
	} else {
		r = ingest_request(in, &c, o);
	}
	if (r == -EBADMSG) {
		/* Malformed: nothing of it is kept, the controller's row included. */
		in->bad_messages++;
		goto fail;
	}
	if (r < 0)
		goto fail;
	r = hub_store_controller_put(in->store, &c);
	if (r < 0)
		goto fail;
	r = hub_store_commit(in->store);
	if (r < 0)
		goto fail;
	goto out;
fail:
	hub_store_rollback(in->store);
out:
	free(text);
	json_decref(o);
	return r;
}
