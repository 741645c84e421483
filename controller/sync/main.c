/* SPDX-License-Identifier: MIT */
/*
 * aeogate-sync: the controller's uplink (README "Many sites"). A client of
 * aeogated's control socket on one side, of an MQTT broker on the other:
 *
 * - up: every chained event, from the durable cursor (sync.cursor) on, as
 *   events.follow gives it, published QoS 1 in seq order; the cursor moves
 *   over the gap-free prefix the broker acknowledged (window.c), stored at
 *   most every SYNC_PERSIST_MS or SYNC_PERSIST_EVENTS. Signed checkpoints
 *   follow the events they sign. A retained status, with "offline" as the
 *   last will.
 * - down: change sets and commands passed verbatim to sync.apply and
 *   sync.command; a missing version is asked for, a command acknowledged.
 *
 * aeogated stays off the network: this process holds the broker's
 * connection, and a broker or WAN outage only makes the backlog grow in
 * the controller's own database. Nothing here is on a decision's path.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "aeogate/limits.h"
#include "config.h"
#include "ctl_client.h"
#include "mqtt.h"
#include "window.h"
#include "util.h"

#define SYNC_WINDOW	 AEOGATE_SYNC_WINDOW
#define SYNC_QUEUE_MAX	 AEOGATE_SYNC_QUEUE_MAX
#define SYNC_DRAIN_PER_S AEOGATE_SYNC_DRAIN_PER_S
/* A downlink message aeogated could not take now ("unavailable") is tried again after this. */
#define SYNC_HELD_RETRY_MS 1000
/* Events sent again per step of a replay (one events.list page). */
#define SYNC_REPLAY_PAGE 100
#define SYNC_DRAIN_BURST (SYNC_DRAIN_PER_S / 10)
/* The cursor is stored at most this often, or after this many acknowledged events. */
#define SYNC_PERSIST_MS	    200
#define SYNC_PERSIST_EVENTS 500
/* Checkpoints published per query (more wait for the next round), and how often to look. */
#define SYNC_CHECKPOINT_BATCH	50
#define SYNC_CHECKPOINT_POLL_MS 1000
/* Status: at most once a second while things change, and at least every 30 s. */
#define SYNC_STATUS_MIN_MS     1000
#define SYNC_STATUS_REFRESH_MS 30000
/* Reconnecting to aeogated: from this delay, doubling up to the 5 s. */
#define SYNC_CTL_BACKOFF_MIN_MS 200
#define SYNC_CTL_BACKOFF_MAX_MS 5000
/* How long a clean stop waits for the broker to take "offline" and the last events. */
#define SYNC_STOP_WAIT_MS 2000

#define TOPIC_MAX (16 + 2 * AEOGATE_ID_MAX + 32)

struct queued {
	int64_t seq;
	char *json; /* the event as events.follow gave it, compact */
};

struct sync {
	struct sync_config cfg;
	const char *socket;
	struct sync_mqtt *mqtt;
	bool mqtt_up;

	char t_events[TOPIC_MAX], t_checkpoints[TOPIC_MAX], t_status[TOPIC_MAX];
	char t_requests[TOPIC_MAX], t_acks[TOPIC_MAX];
	char t_enrol[TOPIC_MAX], t_enrol_me[TOPIC_MAX], t_commands[TOPIC_MAX];
	char t_replay[TOPIC_MAX];

	/* The control socket: one connection for requests, one for the event stream. */
	struct ctl_client *req, *follow;
	bool ctl_up, have_cursor, ctl_warned;
	int64_t ctl_retry_at;
	int ctl_backoff_ms;

	/* Up: the stream's events waiting to be published, then in flight. */
	struct queued queue[SYNC_QUEUE_MAX];
	size_t q_head, q_n;
	int64_t recv_seq; /* the newest seq taken from the stream (or the cursor at start) */
	struct sync_window win;
	int64_t persisted, persist_at;
	double tokens;
	int64_t tokens_at;

	/* Checkpoints: one batch in flight at a time. */
	int64_t cp_acked, cp_persisted, cp_batch_seq;
	int cp_mids[SYNC_CHECKPOINT_BATCH];
	size_t cp_out; /* of the batch, not yet acknowledged */
	size_t cp_n;
	int64_t cp_query_at;

	/* Status. */
	json_t *info; /* version, last_seq, public_key, key_id, doors, alarms, applied_version */
	char *status_sent;
	int64_t status_at;
	bool status_dirty;

	/* Downlink messages waiting for aeogated (while it restarts), oldest first. */
	struct sync_mqtt_msg *held, **held_tail;
	size_t n_held;

	bool warned_apply, warned_command, warned_state;

	/*
	 * A receiver's request to send again from this seq (0: none): the
	 * broker acknowledged those events, then lost them (a broker killed
	 * before it saved them). Only what the cursor has passed is sent
	 * again here; the rest is on its way anyway.
	 */
	int64_t replay_from;

	/* aeogated answered "unavailable" (busy, storage failing): try the held message again then.
	 */
	int64_t held_retry_at;
};

static void logf_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void logf_(const char *fmt, ...)
{
	va_list ap;

	fputs("aeogate-sync: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int topic(char *buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int topic(char *buf, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, TOPIC_MAX, fmt, ap);
	va_end(ap);
	return n < 0 || n >= TOPIC_MAX ? -ENAMETOOLONG : 0;
}

static int topics_make(struct sync *s)
{
	const char *site = s->cfg.site, *me = s->cfg.client_id;
	int r = 0;

	r |= topic(s->t_events, "aeogate/%s/%s/events", site, me);
	r |= topic(s->t_checkpoints, "aeogate/%s/%s/checkpoints", site, me);
	r |= topic(s->t_status, "aeogate/%s/%s/status", site, me);
	r |= topic(s->t_requests, "aeogate/%s/%s/requests", site, me);
	r |= topic(s->t_acks, "aeogate/%s/acks/%s", site, me);
	r |= topic(s->t_enrol, "aeogate/%s/enrolment", site);
	r |= topic(s->t_enrol_me, "aeogate/%s/enrolment/%s", site, me);
	r |= topic(s->t_replay, "aeogate/%s/%s/replay", site, me);
	r |= topic(s->t_commands, "aeogate/%s/commands/%s", site, me);
	return r ? -ENAMETOOLONG : 0;
}

/* ---- the control socket ---- */

static void ctl_down(struct sync *s, const char *why, int err)
{
	if (s->ctl_up) {
		logf_("lost aeogated (%s: %s); reconnecting", why, ctl_client_strerror(err));
		s->ctl_warned = true;
	}
	ctl_client_free(s->req);
	ctl_client_free(s->follow);
	s->req = s->follow = NULL;
	s->ctl_up = false;
	s->ctl_retry_at = now_mono_ms() + s->ctl_backoff_ms;
	s->ctl_backoff_ms = s->ctl_backoff_ms * 2 > SYNC_CTL_BACKOFF_MAX_MS
				? SYNC_CTL_BACKOFF_MAX_MS
				: s->ctl_backoff_ms * 2;
}

/*
 * A request on the request connection. 0 and the result, 1 when aeogated
 * refused (err filled in), negative on transport errors, after which the
 * connections are dropped and tried again. args (may be NULL) is stolen,
 * as jansson's _new functions do, so a call can build its arguments in
 * place and none is left behind on any path.
 */
static int call(struct sync *s, const char *op, json_t *args, json_t **ret, struct ctl_error *err)
{
	int r;

	if (!s->ctl_up) {
		json_decref(args);
		return -ENOTCONN;
	}
	r = ctl_client_call(s->req, op, args, ret, err);
	json_decref(args);
	if (r < 0)
		ctl_down(s, op, r);
	return r;
}

/* Starts the event stream after the newest seq we hold. */
static int follow_start(struct sync *s)
{
	struct ctl_error err;
	json_t *args = json_pack("{s:I}", "since", (json_int_t)s->recv_seq), *res = NULL;
	int r;

	ctl_client_free(s->follow);
	s->follow = NULL;
	r = ctl_client_connect(s->socket, &s->follow);
	if (r == 0)
		r = ctl_client_call(s->follow, "events.follow", args, &res, &err);
	json_decref(args);
	json_decref(res);
	if (r == 1) {
		logf_("events.follow refused: %s: %s", err.code, err.message);
		return -EPERM;
	}
	return r;
}

static void ctl_connect(struct sync *s)
{
	struct ctl_error err;
	json_t *res = NULL;
	int r;

	r = ctl_client_connect(s->socket, &s->req);
	if (r < 0) {
		if (!s->ctl_warned)
			logf_("cannot reach aeogated at %s: %s; trying again (every 5 s at most)",
			      s->socket, ctl_client_strerror(r));
		s->ctl_warned = true;
		ctl_down(s, "connect", r);
		return;
	}
	s->ctl_up = true;
	if (!s->have_cursor) {
		/* Where the uplink stopped last time: everything after it is sent again. */
		r = call(s, "sync.cursor", NULL, &res, &err);
		if (r == 1) {
			logf_("sync.cursor refused: %s: %s", err.code, err.message);
			ctl_down(s, "sync.cursor", -EPERM);
			return;
		}
		if (r < 0)
			return;
		s->persisted = json_integer_value(json_object_get(res, "forwarded_seq"));
		s->cp_persisted = json_integer_value(json_object_get(res, "checkpoint_seq"));
		s->cp_acked = s->cp_persisted;
		json_decref(res);
		if (s->persisted < 0 || sync_window_init(&s->win, SYNC_WINDOW, s->persisted) < 0) {
			logf_("bad cursor or out of memory");
			ctl_down(s, "sync.cursor", -EBADMSG);
			return;
		}
		s->recv_seq = s->persisted;
		s->have_cursor = true;
		logf_("forwarded up to seq %" PRId64 "; following from there", s->persisted);
	}
	r = follow_start(s);
	if (r < 0) {
		ctl_down(s, "events.follow", r);
		return;
	}
	/* The device key, for the status (the hub pins it on first contact). */
	r = call(s, "audit.pubkey", NULL, &res, &err);
	if (r < 0)
		return;
	if (r == 0) {
		json_object_set(s->info, "public_key", json_object_get(res, "public_key"));
		json_object_set(s->info, "key_id", json_object_get(res, "key_id"));
		json_decref(res);
	}
	s->ctl_backoff_ms = SYNC_CTL_BACKOFF_MIN_MS;
	s->ctl_warned = false;
	s->status_dirty = true;
	logf_("connected to aeogated at %s, following after seq %" PRId64, s->socket, s->recv_seq);
}

/* ---- up: events ---- */

static void queue_drop_head(struct sync *s)
{
	free(s->queue[s->q_head].json);
	s->queue[s->q_head].json = NULL;
	s->q_head = (s->q_head + 1) % SYNC_QUEUE_MAX;
	s->q_n--;
}

/* Event kinds after which the status's counts may have changed. */
static bool kind_touches_status(const char *kind)
{
	return kind && (!strncmp(kind, "alarm.", 6) || !strncmp(kind, "sync.", 5) ||
			!strncmp(kind, "config.", 7) || !strncmp(kind, "system.", 7) ||
			!strncmp(kind, "door.", 5));
}

/* Takes one line of the stream: 1 queued or skipped, 0 nothing buffered, negative to refollow. */
static int stream_take(struct sync *s)
{
	json_t *line = NULL, *ev, *seq;
	int r = ctl_client_read(s->follow, 0, &line);
	char *text;

	if (r == -ETIMEDOUT)
		return 0;
	if (r < 0)
		return r;
	ev = json_object_get(line, "event");
	if (!ev) {
		json_t *e = json_object_get(line, "error");

		const char *why = json_string_value(json_object_get(e, "message"));

		/* Cut off (too_slow) or another end: follow again from what we hold. */
		logf_("event stream ended: %s", why ? why : "unexpected line");
		json_decref(line);
		return -EPIPE;
	}
	seq = json_object_get(ev, "seq");
	/* Not chained (storage failing: no seq) or already held: nothing to send. */
	if (!json_is_integer(seq) || json_integer_value(seq) <= s->recv_seq) {
		json_decref(line);
		return 1;
	}
	text = json_dumps(ev, JSON_COMPACT);
	if (!text) {
		json_decref(line);
		return -ENOMEM;
	}
	if (kind_touches_status(json_string_value(json_object_get(ev, "kind"))))
		s->status_dirty = true;
	s->recv_seq = json_integer_value(seq);
	s->queue[(s->q_head + s->q_n) % SYNC_QUEUE_MAX] =
	    (struct queued){.seq = s->recv_seq, .json = text};
	s->q_n++;
	json_decref(line);
	return 1;
}

static void stream_read(struct sync *s)
{
	int r = 1;

	while (s->ctl_up && s->follow && s->q_n < SYNC_QUEUE_MAX && (r = stream_take(s)) > 0)
		;
	if (r < 0 && s->ctl_up) {
		r = follow_start(s);
		if (r < 0)
			ctl_down(s, "events.follow", r);
	}
}

static void tokens_refill(struct sync *s, int64_t now)
{
	s->tokens += (double)(now - s->tokens_at) * SYNC_DRAIN_PER_S / 1000.0;
	if (s->tokens > SYNC_DRAIN_BURST)
		s->tokens = SYNC_DRAIN_BURST;
	s->tokens_at = now;
}

static void publish_events(struct sync *s, int64_t now)
{
	tokens_refill(s, now);
	while (s->mqtt_up && s->q_n && !sync_window_full(&s->win) && s->tokens >= 1) {
		struct queued *q = &s->queue[s->q_head];
		int mid, r;

		r = sync_mqtt_publish(s->mqtt, s->t_events, q->json, strlen(q->json), false, &mid);
		if (r < 0) {
			/* Not connected after all: the reconnect's news brings us back. */
			logf_("cannot publish seq %" PRId64 ": %s", q->seq, strerror(-r));
			s->mqtt_up = false;
			return;
		}
		r = sync_window_push(&s->win, q->seq, mid);
		if (r < 0) {
			/* Cannot happen (seqs grow, the window had room): stop rather than skip. */
			logf_("window refused seq %" PRId64 ": %s", q->seq, strerror(-r));
			exit(1);
		}
		queue_drop_head(s);
		s->tokens -= 1;
	}
}

/* Stores the cursor when it moved far enough or long enough ago. */
static void persist(struct sync *s, int64_t now, bool force)
{
	int64_t acked = sync_window_acked(&s->win);
	struct ctl_error err;
	json_t *res = NULL;
	int r;

	if (!s->ctl_up || !s->have_cursor ||
	    (acked <= s->persisted && s->cp_acked <= s->cp_persisted))
		return;
	if (!force && now - s->persist_at < SYNC_PERSIST_MS &&
	    acked - s->persisted < SYNC_PERSIST_EVENTS)
		return;
	r = call(s, "sync.cursor",
		 json_pack("{s:I,s:I}", "forwarded_seq", (json_int_t)acked, "checkpoint_seq",
			   (json_int_t)s->cp_acked),
		 &res, &err);
	s->persist_at = now;
	if (r == 1)
		logf_("sync.cursor refused %" PRId64 ": %s: %s", acked, err.code, err.message);
	if (r != 0)
		return;
	s->persisted = acked;
	s->cp_persisted = s->cp_acked;
	json_decref(res);
}

/* ---- up: checkpoints ---- */

static void publish_checkpoints(struct sync *s, int64_t now)
{
	int64_t acked = sync_window_acked(&s->win);
	struct ctl_error err;
	json_t *res = NULL, *cps, *cp;
	size_t i;
	int r;

	if (!s->ctl_up || !s->mqtt_up || s->cp_out || acked <= s->cp_acked || now < s->cp_query_at)
		return;
	s->cp_query_at = now + SYNC_CHECKPOINT_POLL_MS;
	/* Only checkpoints over events the broker already holds: a receiver can check them. */
	r = call(s, "sync.checkpoints",
		 json_pack("{s:I,s:I,s:i}", "after", (json_int_t)s->cp_acked, "upto",
			   (json_int_t)acked, "limit", SYNC_CHECKPOINT_BATCH),
		 &res, &err);
	if (r == 1)
		logf_("sync.checkpoints refused: %s: %s", err.code, err.message);
	if (r != 0)
		return;
	cps = json_object_get(res, "checkpoints");
	s->cp_n = 0;
	json_array_foreach(cps, i, cp)
	{
		char *text = json_dumps(cp, JSON_COMPACT);
		int mid;

		if (!text || s->cp_n == SYNC_CHECKPOINT_BATCH)
			break;
		r = sync_mqtt_publish(s->mqtt, s->t_checkpoints, text, strlen(text), false, &mid);
		free(text);
		if (r < 0)
			break;
		s->cp_mids[s->cp_n++] = mid;
		s->cp_batch_seq = json_integer_value(json_object_get(cp, "seq"));
	}
	s->cp_out = s->cp_n;
	/*
	 * None found: cp_acked stays, a checkpoint may be signed just after the
	 * event it signs; the next query, a little later, finds it.
	 */
	if (s->cp_n)
		s->cp_query_at = now + SYNC_PERSIST_MS;
	json_decref(res);
}

static bool checkpoint_ack(struct sync *s, int mid)
{
	for (size_t i = 0; i < s->cp_n; i++) {
		if (s->cp_mids[i] != mid)
			continue;
		s->cp_mids[i] = -1;
		if (--s->cp_out == 0)
			s->cp_acked = s->cp_batch_seq;
		return true;
	}
	return false;
}

/* ---- status ---- */

static void status_refresh(struct sync *s)
{
	struct ctl_error err;
	json_t *res = NULL;
	int r = call(s, "system.status", NULL, &res, &err);

	if (r != 0)
		return;
	json_object_set(s->info, "version", json_object_get(res, "version"));
	json_object_set(s->info, "last_seq", json_object_get(res, "last_seq"));
	json_object_set_new(
	    s->info, "doors",
	    json_integer((json_int_t)json_array_size(json_object_get(res, "doors"))));
	json_object_set(s->info, "alarms", json_object_get(res, "alarms_open"));
	json_decref(res);
	r = call(s, "sync.state", NULL, &res, &err);
	if (r == 0) {
		json_object_set(s->info, "applied_version",
				json_object_get(res, "applied_version"));
		json_decref(res);
	} else if (r == 1 && !s->warned_state) {
		logf_("sync.state: %s: %s (applied_version stays null)", err.code, err.message);
		s->warned_state = true;
	}
}

static void publish_status(struct sync *s, int64_t now, bool force)
{
	bool due = now - s->status_at >= SYNC_STATUS_REFRESH_MS;
	json_t *st;
	char *text;
	int mid;

	if (!s->mqtt_up || !s->ctl_up)
		return;
	if (!force && !due && !(s->status_dirty && now - s->status_at >= SYNC_STATUS_MIN_MS))
		return;
	status_refresh(s);
	if (!s->ctl_up)
		return;
	st = json_pack(
	    "{s:s,s:O,s:O,s:I,s:O,s:O,s:O,s:O,s:O}", "state", "online", "version",
	    json_object_get(s->info, "version"), "last_seq", json_object_get(s->info, "last_seq"),
	    "forwarded_seq", (json_int_t)sync_window_acked(&s->win), "applied_version",
	    json_object_get(s->info, "applied_version"), "public_key",
	    json_object_get(s->info, "public_key"), "key_id", json_object_get(s->info, "key_id"),
	    "doors", json_object_get(s->info, "doors"), "alarms",
	    json_object_get(s->info, "alarms"));
	text = st ? json_dumps(st, JSON_COMPACT) : NULL;
	json_decref(st);
	s->status_at = now;
	s->status_dirty = false;
	if (!text)
		return;
	/* Unchanged and not yet due: the retained copy already says it. */
	if (!force && !due && s->status_sent && !strcmp(text, s->status_sent)) {
		free(text);
		return;
	}
	if (sync_mqtt_publish(s->mqtt, s->t_status, text, strlen(text), true, &mid) == 0) {
		free(s->status_sent);
		s->status_sent = text;
	} else {
		free(text);
	}
	(void)sd_notifyf(0, "STATUS=forwarded up to seq %" PRId64 " of %" PRId64,
			 sync_window_acked(&s->win),
			 (int64_t)json_integer_value(json_object_get(s->info, "last_seq")));
}

/* ---- up again: what a receiver asked to be sent again ---- */

/* {"from":N} on aeogate/SITE/CONTROLLER/replay. */
static void replay_request(struct sync *s, const struct sync_mqtt_msg *m)
{
	json_t *o = json_loadb(m->payload, m->len, 0, NULL);
	json_t *from = json_object_get(o, "from");
	int64_t n = json_is_integer(from) ? json_integer_value(from) : 0;

	json_decref(o);
	if (n < 1) {
		logf_("dropped a malformed request on %s", m->topic);
		return;
	}
	/* Already sending from before it: that covers this one. */
	if (s->replay_from && s->replay_from <= n)
		return;
	if (n <= sync_window_acked(&s->win)) {
		logf_("sending again from seq %" PRId64 " (a receiver lost them)", n);
		s->replay_from = n;
	}
}

/*
 * One page of a replay: the events from replay_from up to what the broker
 * acknowledged, as events.list gives them (the same objects the stream
 * does), QoS 1 outside the window: the cursor has passed them already, and
 * a receiver drops what it holds by seq. Paced by the same tokens.
 */
static void replay_step(struct sync *s, int64_t now)
{
	int64_t upto = sync_window_acked(&s->win);
	struct ctl_error err;
	json_t *res = NULL, *ev;
	size_t i;
	int r, mid;

	if (!s->replay_from || !s->ctl_up || !s->mqtt_up)
		return;
	tokens_refill(s, now);
	if (s->replay_from > upto || s->tokens < SYNC_REPLAY_PAGE) {
		if (s->replay_from > upto)
			s->replay_from = 0;
		return;
	}
	r = call(s, "events.list",
		 json_pack("{s:I,s:I}", "since", (json_int_t)(s->replay_from - 1), "limit",
			   (json_int_t)SYNC_REPLAY_PAGE),
		 &res, &err);
	if (r != 0) {
		if (r == 1)
			logf_("events.list refused: %s: %s", err.code, err.message);
		s->replay_from = 0;
		return;
	}
	json_array_foreach(res, i, ev)
	{
		int64_t seq = json_integer_value(json_object_get(ev, "seq"));
		char *text;

		if (seq < s->replay_from || seq > upto)
			break;
		text = json_dumps(ev, JSON_COMPACT);
		if (!text ||
		    sync_mqtt_publish(s->mqtt, s->t_events, text, strlen(text), false, &mid) < 0) {
			free(text);
			break;
		}
		free(text);
		s->tokens -= 1;
		s->replay_from = seq + 1;
	}
	if (json_array_size(res) == 0 || s->replay_from > upto)
		s->replay_from = 0;
	json_decref(res);
}

/* ---- down: change sets and commands ---- */

static void publish_json(struct sync *s, const char *t, json_t *msg)
{
	char *text = msg ? json_dumps(msg, JSON_COMPACT) : NULL;
	int mid;

	if (text && sync_mqtt_publish(s->mqtt, t, text, strlen(text), false, &mid) < 0)
		logf_("cannot publish on %s", t);
	free(text);
	json_decref(msg);
}

/* The "id" inside an envelope's body, for an acknowledgement of a refused command (or null). */
static json_t *command_id(const char *payload)
{
	json_t *env = json_loads(payload, 0, NULL), *body, *id = NULL;
	const char *text = json_string_value(json_object_get(env, "body"));

	if (text && (body = json_loads(text, 0, NULL))) {
		id = json_incref(json_object_get(body, "id"));
		json_decref(body);
	}
	json_decref(env);
	return id && json_is_string(id) ? id : (json_decref(id), json_null());
}

/* Passes one message to aeogated: 0 when done with it, -1 to keep it (aeogated went away). */
static int downlink(struct sync *s, const struct sync_mqtt_msg *m)
{
	bool command = !strcmp(m->topic, s->t_commands);
	const char *op = command ? "sync.command" : "sync.apply";
	json_t *args, *reply = NULL, *err, *res;
	const char *code;
	int r;

	if (!strcmp(m->topic, s->t_replay)) {
		replay_request(s, m);
		return 0;
	}
	if (!command && strcmp(m->topic, s->t_enrol) && strcmp(m->topic, s->t_enrol_me))
		return 0;
	args = json_pack("{s:s%}", "payload", m->payload, m->len);
	if (!args) {
		logf_("dropped a message on %s: not UTF-8 text", m->topic);
		return 0;
	}
	r = ctl_client_request(s->req, op, args, &reply);
	json_decref(args);
	if (r == -E2BIG) {
		logf_("dropped a message on %s: larger than a control-socket request", m->topic);
		return 0;
	}
	if (r < 0) {
		ctl_down(s, op, r);
		return -1;
	}
	err = json_object_get(reply, "error");
	res = json_object_get(reply, "result");
	code = json_string_value(json_object_get(err, "code"));
	if (json_is_true(json_object_get(reply, "ok"))) {
		if (command)
			publish_json(s, s->t_acks,
				     json_pack("{s:O,s:b,s:O}", "id", json_object_get(res, "id"),
					       "ok", 1, "seq", json_object_get(res, "seq")));
		else
			logf_("change set version %" PRId64 " applied",
			      (int64_t)json_integer_value(json_object_get(res, "applied_version")));
		s->status_dirty = true;
	} else if (code && !strcmp(code, "unavailable")) {
		/* aeogated's trouble, not the message's: nothing was recorded; kept and tried
		 * again. */
		logf_("aeogated is busy (%s): the message on %s is tried again in a second",
		      json_string_value(json_object_get(err, "message")), m->topic);
		s->held_retry_at = now_mono_ms() + SYNC_HELD_RETRY_MS;
		json_decref(reply);
		return -1;
	} else if (code && !strcmp(code, "unknown_op")) {
		bool *warned = command ? &s->warned_command : &s->warned_apply;

		if (!*warned)
			logf_("aeogated has no %s: messages on %s are dropped", op, m->topic);
		*warned = true;
	} else if (command) {
		json_t *id = json_object_get(err, "id");

		publish_json(
		    s, s->t_acks,
		    json_pack("{s:o,s:b,s:O}", "id",
			      json_is_string(id) ? json_incref(id) : command_id(m->payload), "ok",
			      0, "error", err));
	} else {
		const char *reason = json_string_value(json_object_get(err, "reason"));
		json_t *av = json_object_get(err, "applied_version");

		if (!av)
			av = json_object_get(reply, "applied_version");
		logf_("change set refused: %s%s%s", code ? code : "?", reason ? ": " : "",
		      reason ? reason : "");
		if (reason && !strcmp(reason, "out_of_order") && json_is_integer(av))
			publish_json(s, s->t_requests,
				     json_pack("{s:I}", "from", json_integer_value(av) + 1));
	}
	json_decref(reply);
	return 0;
}

/* ---- the loop ---- */

static void news(struct sync *s)
{
	struct sync_mqtt_news n;
	int64_t acked;

	sync_mqtt_take(s->mqtt, &n);
	for (char *line = n.log, *nl; line && *line; line = nl + 1) {
		nl = strchr(line, '\n');
		if (!nl)
			break;
		*nl = '\0';
		logf_("%s", line);
	}
	if (n.reconnected)
		s->status_dirty = true;
	s->mqtt_up = n.connected;
	acked = sync_window_acked(&s->win);
	for (size_t i = 0; i < n.n_acks; i++)
		if (!sync_window_ack(&s->win, n.acks[i]))
			(void)checkpoint_ack(s, n.acks[i]);
	/* forwarded_seq moved: the status says so (at most once a second). */
	if (sync_window_acked(&s->win) != acked)
		s->status_dirty = true;
	if (n.dropped)
		logf_("dropped %lu downlink messages (inbox full or too large)", n.dropped);
	/* Held until aeogated takes them (a restart); beyond the bound, the office asks again. */
	while (n.msgs) {
		struct sync_mqtt_msg *m = n.msgs;

		n.msgs = m->next;
		m->next = NULL;
		if (s->n_held >= AEOGATE_SYNC_INBOX_MAX) {
			logf_("aeogated is away: dropped a message on %s", m->topic);
			free(m->topic);
			free(m->payload);
			free(m);
			continue;
		}
		*s->held_tail = m;
		s->held_tail = &m->next;
		s->n_held++;
	}
	sync_mqtt_news_free(&n);
	while (s->held && s->ctl_up && now_mono_ms() >= s->held_retry_at) {
		struct sync_mqtt_msg *m = s->held;

		if (downlink(s, m) < 0)
			break;
		s->held = m->next;
		if (!s->held)
			s->held_tail = &s->held;
		s->n_held--;
		free(m->topic);
		free(m->payload);
		free(m);
	}
}

static int next_timeout(struct sync *s, int64_t now, int64_t watchdog_at)
{
	int64_t at = watchdog_at ? watchdog_at : now + 1000;

#define SOONER(t)                                                                                  \
	do {                                                                                       \
		if ((t) < at)                                                                      \
			at = (t);                                                                  \
	} while (0)
	/* Only timers whose work can be done now: one that cannot would spin the loop. */
	if (!s->ctl_up)
		SOONER(s->ctl_retry_at);
	if (s->q_n && s->mqtt_up && !sync_window_full(&s->win) && s->tokens < 1)
		SOONER(now + 1 + (int64_t)((1 - s->tokens) * 1000 / SYNC_DRAIN_PER_S));
	if (s->ctl_up &&
	    (sync_window_acked(&s->win) > s->persisted || s->cp_acked > s->cp_persisted))
		SOONER(s->persist_at + SYNC_PERSIST_MS);
	if (s->ctl_up && s->mqtt_up && sync_window_acked(&s->win) > s->cp_acked && !s->cp_out)
		SOONER(s->cp_query_at);
	if (s->held && s->ctl_up)
		SOONER(s->held_retry_at);
	if (s->replay_from && s->ctl_up && s->mqtt_up)
		SOONER(now + 1 + (int64_t)(SYNC_REPLAY_PAGE * 1000 / SYNC_DRAIN_PER_S));
	if (s->ctl_up && s->mqtt_up)
		SOONER(s->status_at +
		       (s->status_dirty ? SYNC_STATUS_MIN_MS : SYNC_STATUS_REFRESH_MS));
#undef SOONER
	return at <= now ? 0 : (int)(at - now);
}

/* A clean stop: the last acknowledgements stored, "offline" retained, then disconnect. */
static void stop_clean(struct sync *s)
{
	int64_t until = now_mono_ms() + SYNC_STOP_WAIT_MS;
	int mid;
	bool sent = false;

	if (s->mqtt_up)
		sent = sync_mqtt_publish(s->mqtt, s->t_status, "offline", 7, true, &mid) == 0;
	while (sent && now_mono_ms() < until) {
		struct pollfd p = {.fd = sync_mqtt_fd(s->mqtt), .events = POLLIN};
		struct sync_mqtt_news n;
		bool done = false;

		if (poll(&p, 1, (int)(until - now_mono_ms())) <= 0)
			break;
		sync_mqtt_take(s->mqtt, &n);
		for (size_t i = 0; i < n.n_acks; i++) {
			if (!sync_window_ack(&s->win, n.acks[i]) && n.acks[i] == mid)
				done = true;
		}
		sync_mqtt_news_free(&n);
		if (done)
			break;
	}
	persist(s, now_mono_ms(), true);
}

static int run(struct sync *s, int sfd)
{
	uint64_t wd_usec = 0;
	int64_t wd_every = 0, wd_at = 0;

	if (sd_watchdog_enabled(0, &wd_usec) > 0 && wd_usec >= 2000)
		wd_every = (int64_t)(wd_usec / 2000);
	if (wd_every)
		wd_at = now_mono_ms() + wd_every;
	(void)sd_notifyf(0, "READY=1\nSTATUS=forwarding to %s:%d as %s/%s", s->cfg.host,
			 s->cfg.port, s->cfg.site, s->cfg.client_id);
	for (;;) {
		struct pollfd p[3] = {
		    {.fd = sfd, .events = POLLIN},
		    {.fd = sync_mqtt_fd(s->mqtt), .events = POLLIN},
		    {.fd = -1, .events = POLLIN},
		};
		int64_t now = now_mono_ms();
		int r;

		if (!s->ctl_up && now >= s->ctl_retry_at)
			ctl_connect(s);
		news(s);
		stream_read(s);
		now = now_mono_ms();
		publish_events(s, now);
		replay_step(s, now);
		persist(s, now, false);
		publish_checkpoints(s, now);
		publish_status(s, now, false);
		if (wd_every && now >= wd_at) {
			(void)sd_notify(0, "WATCHDOG=1");
			wd_at = now + wd_every;
		}
		if (s->ctl_up && s->follow && s->q_n < SYNC_QUEUE_MAX)
			p[2].fd = ctl_client_fd(s->follow);
		r = poll(p, 3, next_timeout(s, now_mono_ms(), wd_at));
		if (r < 0 && errno != EINTR) {
			logf_("poll: %s", strerror(errno));
			return 1;
		}
		if (r > 0 && (p[0].revents & POLLIN)) {
			struct signalfd_siginfo si;

			if (read(sfd, &si, sizeof(si)) == sizeof(si) && si.ssi_signo != SIGHUP) {
				logf_("stopping (signal %u)", si.ssi_signo);
				(void)sd_notify(0, "STOPPING=1");
				stop_clean(s);
				return 0;
			}
		}
	}
}

static void usage(FILE *f)
{
	fputs("usage: aeogate-sync -c FILE [--socket PATH]\n"
	      "  -c, --config FILE  the [sync] section (README \"Many sites\")\n"
	      "  --socket PATH      aeogated's control socket (default: [controller] socket,\n"
	      "                     else /run/aeogate/aeogated.sock)\n"
	      "  --version          print the version\n",
	      f);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"socket", required_argument, NULL, 's'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	static struct sync s; /* large (the queue); one per process */
	const char *config = NULL, *sock = NULL;
	const char *subs[5];
	char err[1024];
	sigset_t mask;
	int c, sfd, r;

	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			config = optarg;
			break;
		case 's':
			sock = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("aeogate-sync %s\n", AEOGATE_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!config || optind != argc) {
		usage(stderr);
		return 2;
	}
	if (sync_config_load(config, &s.cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "aeogate-sync: %s\n", err);
		return 2;
	}
	s.socket = sock ? sock : s.cfg.socket;
	if (topics_make(&s) < 0) {
		fprintf(stderr, "aeogate-sync: site and client_id make too long a topic\n");
		return 2;
	}
	s.info = json_pack("{s:n,s:n,s:n,s:n,s:n,s:n,s:n}", "version", "last_seq", "public_key",
			   "key_id", "doors", "alarms", "applied_version");
	s.ctl_backoff_ms = SYNC_CTL_BACKOFF_MIN_MS;
	s.tokens_at = now_mono_ms();
	s.tokens = SYNC_DRAIN_BURST;
	s.status_at = -SYNC_STATUS_REFRESH_MS;
	s.held_tail = &s.held;

	/* Signals reach the loop through a signalfd; the MQTT thread inherits the mask. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (sfd < 0) {
		fprintf(stderr, "aeogate-sync: signalfd: %s\n", strerror(errno));
		return 1;
	}

	subs[0] = s.t_enrol;
	subs[1] = s.t_enrol_me;
	subs[2] = s.t_commands;
	subs[3] = s.t_replay;
	subs[4] = NULL;
	r = sync_mqtt_start(&s.cfg, s.t_status, subs, SYNC_WINDOW + SYNC_CHECKPOINT_BATCH + 8,
			    &s.mqtt, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "aeogate-sync: MQTT: %s\n", err);
		return 1;
	}
	logf_("site %s, controller %s, broker %s://%s:%d", s.cfg.site, s.cfg.client_id,
	      s.cfg.tls ? "mqtts" : "mqtt", s.cfg.host, s.cfg.port);
	r = run(&s, sfd);

	sync_mqtt_stop(s.mqtt);
	ctl_client_free(s.req);
	ctl_client_free(s.follow);
	while (s.q_n)
		queue_drop_head(&s);
	sync_window_free(&s.win);
	json_decref(s.info);
	free(s.status_sent);
	close(sfd);
	return r;
}
