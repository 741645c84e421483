/* SPDX-License-Identifier: MIT */
/*
 * The control socket server. Every byte read is bounded before it is parsed;
 * every byte written goes through a per-connection buffer so a slow reader
 * costs memory up to a bound, then its connection, never the loop's time.
 * No peer can take every connection (caps per kind of peer and per uid), and
 * one connection gets at most one read and a bounded batch of requests per
 * loop iteration, so a badge read never waits behind a flood.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/eventfd.h>
#include <sys/un.h>
#include <sys/uio.h>
#include <systemd/sd-event.h>
#include <unistd.h>

#include "aeogate/limits.h"
#include "audit.h"
#include "ctlsock.h"
#include "util.h"

/* Catch-up reads this many stored events per step. */
#define FOLLOW_PAGE 256

_Static_assert(AEOGATE_CONN_UNPRIV_MAX + AEOGATE_CONN_WEB_MAX + 16 <= AEOGATE_CONN_MAX,
	       "root and the admin group must keep connection slots of their own");
_Static_assert(AEOGATE_CONN_PER_UID_MAX <= AEOGATE_CONN_UNPRIV_MAX, "per-uid cap above the total");

/* Created on accept, freed when the peer or we close. */
struct ctl_conn {
	struct ctl_server *srv;
	int fd;
	sd_event_source *io;
	uid_t uid;
	gid_t gid;
	bool privileged; /* root or aeogate-admin */
	bool web;	 /* in aeogate-web's group */
	char *in;
	size_t in_len;
	char *out;
	size_t out_len, out_cap, out_off;
	size_t out_lines;	/* replies (lines) queued and not yet taken by the kernel */
	sd_event_source *timer; /* the no-progress timeout; off for followers */
	uint64_t progress_usec; /* CLOCK_MONOTONIC: last request read or reply byte taken */
	bool eof;		/* the peer will send nothing more */
	bool closing;		/* close once out is flushed */
	bool following;
	bool catching_up;
	bool awaiting;	    /* a deferred reply is pending: read nothing more until it is sent */
	uint64_t serial;    /* names the connection for deferred replies */
	int64_t follow_seq; /* last seq sent to a follower */
	struct ctl_stream *stream; /* carrying a stream (ctl_stream_start): nothing else runs */
	/* What an op keeps for the connection's life (ctl_conn_attach). */
	void *attached;
	void (*release)(void *attached);
	struct ctl_conn *next;
};

struct ctl_server {
	sd_event *loop;
	struct ctl_server_config cfg;
	char *path;
	int fd;
	sd_event_source *io;
	struct ctl_conn *conns;
	size_t n_conns;
	uint64_t rejected;
	uint64_t next_serial;
	uint64_t timeout_usec;
	struct ctl_stream *streams; /* started or waiting for their reply to be flushed */
	size_t n_streams;
	int stream_efd; /* a stream's thread says it is done; -1 until the first stream */
	sd_event_source *stream_src;
};

/*
 * Created by ctl_stream_start for one request; freed by stream_end on the
 * loop, after its thread was joined. The thread reads only fd, cancel_fd,
 * timeout_ms, ops and job, and writes only result, bytes and broken before
 * it sets finished.
 */
struct ctl_stream {
	struct ctl_server *srv;
	struct ctl_conn *conn; /* NULL once the connection is gone */
	const struct ctl_stream_ops *ops;
	void *job;
	json_t *id;
	char id_text[32]; /* the id as the thread writes it in the reply */
	char op[64];
	char operator_id[96];
	int fd;	       /* the connection's, not ours */
	int cancel_fd; /* the loop asks the thread to stop */
	int timeout_ms;
	pthread_t thread;
	bool started, joined;
	atomic_bool finished;
	int result;
	uint64_t bytes;
	bool broken;  /* the transport failed: the peer may hold half a frame */
	bool replied; /* the thread sent the reply: frames and a trailer follow */
	struct ctl_stream *next;
};

/* A reply owed to one request of one connection; see ctl_defer. */
struct ctl_deferred {
	struct ctl_server *srv;
	uint64_t serial;
	json_t *id;
};

uint64_t ctl_request_rejected(const struct ctl_request *req)
{
	return req->conn ? req->conn->srv->rejected : 0;
}

int ctl_fail_extra(struct ctl_request *req, json_t *extra, const char *code, const char *fmt, ...)
{
	va_list ap;

	json_decref(req->error_extra);
	req->error_extra = extra;
	req->error_code = code;
	va_start(ap, fmt);
	vsnprintf(req->error_message, sizeof(req->error_message), fmt, ap);
	va_end(ap);
	utf8_trim(req->error_message);
	return -1;
}

int ctl_fail(struct ctl_request *req, const char *code, const char *fmt, ...)
{
	va_list ap;

	req->error_code = code;
	va_start(ap, fmt);
	vsnprintf(req->error_message, sizeof(req->error_message), fmt, ap);
	va_end(ap);
	utf8_trim(req->error_message);
	return -1;
}

/* ---- output ---- */

static void conn_free(struct ctl_conn *c);
static void stream_stop(struct ctl_stream *st);
static void stream_end(struct ctl_stream *st);
static int conn_update_events(struct ctl_conn *c);

static size_t count_lines(const char *p, size_t len)
{
	const char *end = p + len;
	size_t n = 0;

	while (p < end && (p = memchr(p, '\n', (size_t)(end - p)))) {
		n++;
		p++;
	}
	return n;
}

static size_t out_pending(const struct ctl_conn *c)
{
	return c->out_len - c->out_off;
}

/*
 * Queues bytes for the peer. Requests stop being read long before a
 * connection could reach AEOGATE_CTL_OUT_MAX (see conn_backlogged), so
 * -ENOBUFS means a bug or a peer we must cut off; followers have their own
 * bound (AEOGATE_FOLLOW_BACKLOG_MAX).
 */
static int out_append(struct ctl_conn *c, const char *data, size_t len)
{
	if (c->out_off && c->out_off == c->out_len)
		c->out_off = c->out_len = 0;
	if (!c->following && out_pending(c) + len > AEOGATE_CTL_OUT_MAX)
		return -ENOBUFS;
	if (c->out_len + len > c->out_cap) {
		size_t cap = c->out_cap ? c->out_cap : 4096;
		char *n;

		while (cap < c->out_len + len)
			cap *= 2;
		n = realloc(c->out, cap);
		if (!n)
			return -ENOMEM;
		c->out = n;
		c->out_cap = cap;
	}
	memcpy(c->out + c->out_len, data, len);
	c->out_len += len;
	/* Compact JSON never holds a raw newline: each one ends a reply or an event. */
	c->out_lines += count_lines(data, len);
	return 0;
}

/*
 * Back-pressure: while this much waits for the peer to read, its further
 * requests stay unread (nothing is dropped). The timeout cuts off a peer
 * that never reads.
 */
static bool conn_backlogged(const struct ctl_conn *c)
{
	return c->out_lines >= AEOGATE_CTL_PENDING_REPLIES_MAX ||
	       out_pending(c) >= AEOGATE_CTL_PENDING_BYTES_MAX;
}

static bool conn_line_ready(const struct ctl_conn *c)
{
	return c->in_len && memchr(c->in, '\n', c->in_len);
}

/* A request read or reply bytes taken: the no-progress timeout starts again. */
static void conn_progress(struct ctl_conn *c)
{
	(void)sd_event_now(c->srv->loop, CLOCK_MONOTONIC, &c->progress_usec);
}

static int send_json(struct ctl_conn *c, json_t *msg)
{
	char *s = json_dumps(msg, JSON_COMPACT);
	int r;

	if (!s)
		return -ENOMEM;
	r = out_append(c, s, strlen(s));
	if (r == 0)
		r = out_append(c, "\n", 1);
	free(s);
	return r;
}

/* extra: more members of the error object (borrowed; NULL: none), as ctl_fail_extra gives. */
static void send_error_extra(struct ctl_conn *c, json_t *id, const char *code, const char *msg,
			     json_t *extra)
{
	json_t *m = json_pack("{s:O?,s:b,s:{s:s,s:s}}", "id", id, "ok", 0, "error", "code", code,
			      "message", msg);

	if (m && extra)
		json_object_update_missing(json_object_get(m, "error"), extra);
	if (m)
		send_json(c, m);
	json_decref(m);
}

static void send_error(struct ctl_conn *c, json_t *id, const char *code, const char *msg)
{
	send_error_extra(c, id, code, msg, NULL);
}

/* Writes what the socket takes now; the rest waits for EPOLLOUT. */
static int conn_flush(struct ctl_conn *c)
{
	while (out_pending(c)) {
		ssize_t n =
		    send(c->fd, c->out + c->out_off, out_pending(c), MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				break;
			return -errno;
		}
		c->out_lines -= count_lines(c->out + c->out_off, (size_t)n);
		c->out_off += (size_t)n;
		if (n > 0)
			conn_progress(c);
	}
	if (!out_pending(c))
		c->out_off = c->out_len = c->out_lines = 0;
	return 0;
}

/* ---- followers ---- */

/*
 * One event as the line a follower receives, malloc'd; NULL when out of
 * memory: {"event": {...}, "person_name": "...", "person_has_photo": true},
 * the name only when the event names a person the store knows, the flag
 * only when that person has a photo.
 */
static char *event_line(struct ctl_server *s, const struct event *e)
{
	json_t *ev = event_to_json(e);
	char name[AEOGATE_TEXT_MAX + 1];
	json_t *m;

	/* Not stored (storage failing): no place in the chain yet. */
	if (ev && e->seq == 0) {
		json_object_set_new(ev, "seq", json_null());
		json_object_del(ev, "prev");
		json_object_del(ev, "hash");
	}
	m = ev ? json_pack("{s:o}", "event", ev) : NULL;
	if (m && e->person && s->cfg.person_name &&
	    s->cfg.person_name(s->cfg.userdata, e->person, name, sizeof(name)) == 0)
		json_object_set_new(m, "person_name", json_string(name));
	if (m && e->person && s->cfg.person_photo &&
	    s->cfg.person_photo(s->cfg.userdata, e->person) == 1)
		json_object_set_new(m, "person_has_photo", json_true());
	char *line = m ? json_dumps(m, JSON_COMPACT) : NULL;

	json_decref(m);
	return line;
}

static int send_event_line(struct ctl_conn *c, int64_t seq, const char *line)
{
	int r = out_append(c, line, strlen(line));

	if (r == 0)
		r = out_append(c, "\n", 1);
	if (r == 0)
		c->follow_seq = seq;
	return r;
}

static int send_event(struct ctl_conn *c, const struct event *e)
{
	char *line = event_line(c->srv, e);
	int r = line ? send_event_line(c, e->seq, line) : -ENOMEM;

	free(line);
	return r;
}

static int backlog_cb(const struct event *e, void *userdata)
{
	return send_event(userdata, e) < 0 ? -ENOMEM : 0;
}

/*
 * Sends stored events after follow_seq, a page at a time while the buffer
 * has room. Caught up when a page comes back short: events are published in
 * the same loop iteration they are stored, so none can slip in between.
 */
static int follower_catch_up(struct ctl_conn *c)
{
	struct ctl_server *s = c->srv;

	while (c->catching_up && out_pending(c) < AEOGATE_FOLLOW_BACKLOG_MAX / 2) {
		int64_t before = c->follow_seq;
		int r = s->cfg.backlog(s->cfg.userdata, c->follow_seq, FOLLOW_PAGE, backlog_cb, c);

		if (r < 0)
			return r;
		if (c->follow_seq - before < FOLLOW_PAGE)
			c->catching_up = false;
	}
	return 0;
}

static void cut_off(struct ctl_conn *c, const char *code, const char *why)
{
	json_t *m = json_pack("{s:{s:s,s:s}}", "error", "code", code, "message", why);

	/* Best effort: if even this does not fit, the peer just sees the close. */
	c->out_off = c->out_len = c->out_lines = 0;
	if (m)
		send_json(c, m);
	json_decref(m);
	conn_flush(c);
	conn_free(c);
}

void ctl_server_publish(struct ctl_server *s, const struct event *e)
{
	struct ctl_conn *c, *next;
	char *line = NULL; /* encoded once, for every follower that is live */

	if (!s)
		return;
	for (c = s->conns; c; c = next) {
		next = c->next;
		if (!c->following || c->closing)
			continue;
		if (c->catching_up)
			continue; /* it will read this one from the store */
		if (e->seq && e->seq <= c->follow_seq)
			continue;
		if (e->seq && e->seq != c->follow_seq + 1) {
			c->catching_up = true;
			continue;
		}
		if (out_pending(c) > AEOGATE_FOLLOW_BACKLOG_MAX) {
			s->rejected++;
			cut_off(c, "too_slow",
				"follower fell too far behind; reconnect with since");
			continue;
		}
		if (!line && !(line = event_line(s, e))) {
			conn_free(c); /* cannot send it: the follower resumes with since */
			continue;
		}
		if (send_event_line(c, e->seq ? e->seq : c->follow_seq, line) < 0 ||
		    conn_flush(c) < 0) {
			conn_free(c);
			continue;
		}
		conn_update_events(c);
	}
	free(line);
}

/* ---- requests ---- */

static const struct ctl_op *find_op(struct ctl_server *s, const char *name)
{
	for (const struct ctl_op *const *t = s->cfg.tables; *t; t++)
		for (const struct ctl_op *op = *t; op->name; op++)
			if (strcmp(op->name, name) == 0)
				return op;
	return NULL;
}

/* Handles one complete line; returns false when the connection must close. */
static bool handle_line(struct ctl_conn *c, const char *line, size_t len)
{
	struct ctl_server *s = c->srv;
	struct ctl_request req = {
	    .conn = c, .userdata = s->cfg.userdata, .peer_uid = c->uid, .peer_web = c->web};
	json_error_t jerr;
	json_t *msg, *id, *op, *args, *token, *result = NULL, *reply;
	const struct ctl_op *o;
	bool keep = true;

	conn_progress(c);

	msg = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!msg || !json_is_object(msg)) {
		char m[200];
		snprintf(m, sizeof(m), "not a JSON object: %s", msg ? "wrong type" : jerr.text);
		s->rejected++;
		send_error(c, NULL, "bad_json", m);
		json_decref(msg);
		return false;
	}
	if (util_json_depth(msg) > AEOGATE_JSON_DEPTH_MAX) {
		s->rejected++;
		send_error(c, NULL, "too_deep",
			   "message nested deeper than "
			   "8 levels");
		json_decref(msg);
		return false;
	}

	id = json_object_get(msg, "id");
	if (id && !json_is_integer(id) && !json_is_null(id)) {
		s->rejected++;
		send_error(c, NULL, "bad_request", "id must be an integer");
		json_decref(msg);
		return true;
	}
	op = json_object_get(msg, "op");
	args = json_object_get(msg, "args");
	token = json_object_get(msg, "token");
	if (!json_is_string(op) || (args && !json_is_object(args) && !json_is_null(args)) ||
	    (token && !json_is_string(token) && !json_is_null(token))) {
		s->rejected++;
		send_error(
		    c, id, "bad_request",
		    "a request needs op (string), and args (object) and token (string) if any");
		json_decref(msg);
		return true;
	}
	req.request_id = id;
	req.op = json_string_value(op);
	req.args = json_is_object(args) ? json_incref(args) : json_object();
	req.token = json_is_string(token) ? json_string_value(token) : NULL;

	if (req.token) {
		if (!s->cfg.auth || s->cfg.auth(s->cfg.auth_userdata, req.token, &req.role,
						req.operator_id, sizeof(req.operator_id)) < 0) {
			ctl_fail(&req, "unauthenticated",
				 "session expired or unknown; log in again");
			goto reply;
		}
	} else if (c->privileged) {
		req.role = ROLE_LOCAL;
		snprintf(req.operator_id, sizeof(req.operator_id), "uid:%u", (unsigned)c->uid);
	} else {
		req.role = ROLE_ANON;
		snprintf(req.operator_id, sizeof(req.operator_id), "uid:%u", (unsigned)c->uid);
	}

	o = find_op(s, req.op);
	if (!o) {
		ctl_fail(&req, "unknown_op", "no op '%.64s'", req.op);
		goto reply;
	}
	if (!(o->roles & req.role)) {
		if (req.role == ROLE_ANON)
			ctl_fail(&req, "unauthenticated",
				 "'%s' needs a session or a local administrator", o->name);
		else
			ctl_fail(&req, "permission_denied", "role %s may not %s",
				 role_to_string(req.role), o->name);
		goto reply;
	}
	if (o->fn(&req, &result) < 0 && !req.error_code)
		ctl_fail(&req, "internal", "%s failed", o->name);

reply:
	if (req.stream && !req.error_code) {
		/* The reply comes from the stream's thread once earlier replies have left. */
		json_decref(result);
		c->stream = req.stream;
		c->stream->conn = c;
		c->stream->id = id ? json_incref(id) : NULL;
		if (json_is_integer(id))
			snprintf(c->stream->id_text, sizeof(c->stream->id_text),
				 "%" JSON_INTEGER_FORMAT, json_integer_value(id));
		else
			snprintf(c->stream->id_text, sizeof(c->stream->id_text), "null");
		json_decref(req.args);
		json_decref(msg);
		return keep;
	}
	if (req.deferred && !req.error_code) {
		/* The reply comes later; stop reading until it has been sent. */
		json_decref(result);
		c->awaiting = true;
		json_decref(req.args);
		json_decref(msg);
		return keep;
	}
	if (req.deferred) {
		/* The handler deferred, then failed: answer now and forget the deferral. */
		json_decref(req.deferred->id);
		free(req.deferred);
		req.deferred = NULL;
	}
	if (req.stream && req.error_code) {
		/* The handler started a stream, then failed: no stream. */
		stream_end(req.stream);
		req.stream = NULL;
	}
	if (req.error_code) {
		s->rejected++;
		send_error_extra(c, id, req.error_code, req.error_message, req.error_extra);
		json_decref(result);
	} else {
		reply = json_pack("{s:O?,s:b,s:o}", "id", id, "ok", 1, "result",
				  result ? result : json_null());
		if (reply) {
			char *text = json_dumps(reply, JSON_COMPACT);
			if (text && strlen(text) + 1 > AEOGATE_REPLY_MAX) {
				send_error(c, id, "internal",
					   "reply too large; ask for a smaller page");
			} else if (text && (out_append(c, text, strlen(text)) < 0 ||
					    out_append(c, "\n", 1) < 0)) {
				keep = false;
			}
			free(text);
		}
		json_decref(reply);
		if (req.follow) {
			/* Followers are bounded by bytes queued, not by the timeout. */
			sd_event_source_set_enabled(c->timer, SD_EVENT_OFF);
			c->following = true;
			c->catching_up = true;
			c->follow_seq = req.follow_since;
			if (follower_catch_up(c) < 0)
				keep = false;
		}
	}
	json_decref(req.error_extra);
	json_decref(req.args);
	json_decref(msg);
	return keep;
}

/* Whether buffered requests may be handled now. */
static bool conn_can_process(const struct ctl_conn *c)
{
	return !c->closing && !c->following && !c->awaiting && !c->stream && !conn_backlogged(c);
}

static int conn_update_events(struct ctl_conn *c)
{
	uint32_t ev = 0;

	if (conn_can_process(c) && !c->eof && c->in_len <= AEOGATE_MSG_MAX)
		ev |= EPOLLIN;
	if (c->following)
		ev |= EPOLLIN; /* to notice the peer closing */
	/*
	 * Writable also wakes us for requests already buffered that
	 * back-pressure or the per-iteration batch left unhandled.
	 */
	if (out_pending(c) || (c->following && c->catching_up) ||
	    (conn_can_process(c) && conn_line_ready(c)))
		ev |= EPOLLOUT;
	return sd_event_source_set_io_events(c->io, ev);
}

/*
 * Handles the complete lines buffered, until a reply is owed (deferred) or
 * the replies queued reach the back-pressure bound: at most
 * AEOGATE_CTL_PENDING_REPLIES_MAX requests per call.
 */
static int conn_process(struct ctl_conn *c)
{
	char *nl;

	while (conn_can_process(c) && (nl = memchr(c->in, '\n', c->in_len))) {
		size_t len = (size_t)(nl - c->in);
		bool keep = handle_line(c, c->in, len);

		memmove(c->in, nl + 1, c->in_len - len - 1);
		c->in_len -= len + 1;
		if (!keep)
			return -EPROTO;
		if (c->following)
			c->in_len = 0;
	}
	return 0;
}

/*
 * One recv per wake-up, then the lines it completed: a client that writes
 * without pause gets one turn per loop iteration like everyone else.
 */
static int conn_read(struct ctl_conn *c)
{
	ssize_t n;
	int r;

	if (c->following || c->in_len <= AEOGATE_MSG_MAX) {
		/* Followers only listen; anything they send is read and discarded. */
		size_t off = c->following ? 0 : c->in_len;

		n = recv(c->fd, c->in + off, AEOGATE_MSG_MAX + 1 - off, MSG_DONTWAIT);
		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -errno;
		if (n == 0) {
			if (c->following)
				return -ECONNRESET;
			/* A half-close: answer what was sent, then close. */
			c->eof = true;
		}
		if (c->following)
			return 0;
		c->in_len += (size_t)n;
	}
	r = conn_process(c);
	if (r < 0)
		return r;
	if (c->in_len > AEOGATE_MSG_MAX && !conn_line_ready(c)) {
		c->srv->rejected++;
		send_error(c, NULL, "message_too_large", "message longer than 65536 bytes");
		return -EMSGSIZE;
	}
	return 0;
}

/* After work on c: flush, then free it or wait for what it needs next. */
static void stream_launch(struct ctl_conn *c);

static void conn_settle(struct ctl_conn *c)
{
	if (c->stream && c->stream->started)
		return; /* the stream's thread owns the socket until it is done */
	if (conn_flush(c) < 0) {
		conn_free(c);
		return;
	}
	if (!out_pending(c) && (c->closing || (c->eof && !c->awaiting && !c->stream &&
					       !(conn_can_process(c) && conn_line_ready(c))))) {
		conn_free(c);
		return;
	}
	/* Earlier replies have left: the stream may begin, its reply first. */
	if (c->stream && !out_pending(c)) {
		stream_launch(c);
		return;
	}
	conn_update_events(c);
}

static int on_conn_io(sd_event_source *src, int fd, uint32_t revents, void *userdata)
{
	struct ctl_conn *c = userdata;
	int r = 0;

	if (revents & EPOLLIN)
		r = conn_read(c);
	else if (!c->following)
		r = conn_process(c); /* writable: buffered requests get their turn */
	if (r == -ECONNRESET || r == -EPIPE) {
		conn_free(c);
		return 0;
	}
	if (r < 0)
		c->closing = true;
	if (c->following && c->catching_up && follower_catch_up(c) < 0)
		c->closing = true;
	if (revents & (EPOLLHUP | EPOLLERR) && !(revents & EPOLLIN)) {
		conn_free(c);
		return 0;
	}
	conn_settle(c);
	return 0;
}

/*
 * The no-progress timeout (AEOGATE_CTL_TIMEOUT_MS): a peer that reads none
 * of its replies is cut off, and so is an unprivileged one that sends no
 * request. Work of ours (a deferred reply) and privileged idle connections
 * only push the timer on.
 */
static int on_conn_timer(sd_event_source *src, uint64_t usec, void *userdata)
{
	struct ctl_conn *c = userdata;
	struct ctl_server *s = c->srv;
	uint64_t now = usec;
	char why[128];

	(void)sd_event_now(s->loop, CLOCK_MONOTONIC, &now);
	if (c->following)
		return 0;
	/* A stream's thread keeps its own no-progress bound. */
	if (c->stream)
		c->progress_usec = now;
	if (now - c->progress_usec >= s->timeout_usec) {
		unsigned ms = (unsigned)(s->timeout_usec / 1000);

		if (out_pending(c)) {
			s->rejected++;
			snprintf(why, sizeof(why), "read none of its replies for %u ms", ms);
			cut_off(c, "too_slow", why);
			return 0;
		}
		if (!c->privileged && !c->web && !c->awaiting) {
			s->rejected++;
			snprintf(why, sizeof(why), "no request for %u ms", ms);
			cut_off(c, "idle_timeout", why);
			return 0;
		}
		c->progress_usec = now;
	}
	(void)sd_event_source_set_time(src, c->progress_usec + s->timeout_usec);
	(void)sd_event_source_set_enabled(src, SD_EVENT_ONESHOT);
	return 0;
}

static void conn_free(struct ctl_conn *c)
{
	struct ctl_server *s = c->srv;

	if (c->stream) {
		struct ctl_stream *st = c->stream;

		c->stream = NULL;
		st->conn = NULL;
		stream_stop(st);
		/* Nothing can be delivered any more: no statement is signed for nobody. */
		if (st->result >= 0)
			st->result = -ECANCELED;
		stream_end(st);
	}

	for (struct ctl_conn **p = &s->conns; *p; p = &(*p)->next) {
		if (*p == c) {
			*p = c->next;
			break;
		}
	}
	s->n_conns--;
	if (c->release)
		c->release(c->attached);
	sd_event_source_disable_unref(c->io);
	sd_event_source_disable_unref(c->timer);
	close(c->fd);
	free(c->in);
	free(c->out);
	free(c);
}

/*
 * Whether the peer is root or in the admin group, and whether it is in
 * aeogate-web's group: by its primary gid, or by its user's groups.
 */
static void peer_classify(struct ctl_server *s, uid_t uid, gid_t gid, bool *ret_admin,
			  bool *ret_web)
{
	gid_t admin = s->cfg.admin_gid, web = s->cfg.web_gid;
	struct passwd pw, *res = NULL;
	char buf[4096];
	gid_t groups[64];
	int n = 64;

	*ret_admin = uid == 0 || (admin != (gid_t)-1 && gid == admin);
	*ret_web = web != (gid_t)-1 && gid == web;
	if ((*ret_admin || admin == (gid_t)-1) && (*ret_web || web == (gid_t)-1))
		return;
	if (getpwuid_r(uid, &pw, buf, sizeof(buf), &res) != 0 || !res)
		return;
	if (getgrouplist(pw.pw_name, pw.pw_gid, groups, &n) < 0)
		return;
	for (int i = 0; i < n; i++) {
		if (admin != (gid_t)-1 && groups[i] == admin)
			*ret_admin = true;
		if (web != (gid_t)-1 && groups[i] == web)
			*ret_web = true;
	}
}

/*
 * Whether one more connection from this peer fits (limits.h, "connections
 * per kind of peer"); 0, or -EUSERS with the reason written to why.
 */
static int conn_admit(struct ctl_server *s, uid_t uid, bool admin, bool web, char *why, size_t len)
{
	size_t n_web = 0, n_unpriv = 0, n_uid = 0;

	for (struct ctl_conn *c = s->conns; c; c = c->next) {
		if (c->privileged)
			continue;
		if (c->web) {
			n_web++;
		} else {
			n_unpriv++;
			n_uid += c->uid == uid;
		}
	}
	if (s->n_conns >= AEOGATE_CONN_MAX)
		snprintf(why, len, "too many connections (at most %d)", AEOGATE_CONN_MAX);
	else if (admin)
		return 0;
	else if (web && n_web >= AEOGATE_CONN_WEB_MAX)
		snprintf(why, len, "too many connections from aeogate-web (at most %d)",
			 AEOGATE_CONN_WEB_MAX);
	else if (web)
		return 0;
	else if (n_uid >= AEOGATE_CONN_PER_UID_MAX)
		snprintf(why, len, "too many connections from uid %u (at most %d)", (unsigned)uid,
			 AEOGATE_CONN_PER_UID_MAX);
	else if (n_unpriv >= AEOGATE_CONN_UNPRIV_MAX)
		snprintf(why, len, "too many connections from unprivileged users (at most %d)",
			 AEOGATE_CONN_UNPRIV_MAX);
	else
		return 0;
	return -EUSERS;
}

/* Answers a connection we will not serve, without blocking, and closes it. */
static void refuse(struct ctl_server *s, int cfd, const char *why)
{
	char line[256];
	int n = snprintf(line, sizeof(line),
			 "{\"id\":null,\"ok\":false,\"error\":{\"code\":\"unavailable\","
			 "\"message\":\"%s\"}}\n",
			 why);

	s->rejected++;
	if (n > 0 && (size_t)n < sizeof(line))
		(void)!send(cfd, line, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);
	close(cfd);
}

static int on_accept(sd_event_source *src, int fd, uint32_t revents, void *userdata)
{
	struct ctl_server *s = userdata;
	struct ucred cred;
	socklen_t len = sizeof(cred);
	struct ctl_conn *c, *same = NULL;
	bool admin, web;
	char why[128];
	int cfd;

	cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (cfd < 0)
		return 0;
	if (getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
		close(cfd);
		return 0;
	}
	/* A peer already connected was looked up once: a flood costs no group lookups. */
	for (c = s->conns; c && !same; c = c->next)
		if (c->uid == cred.uid && c->gid == cred.gid)
			same = c;
	if (same) {
		admin = same->privileged;
		web = same->web;
	} else {
		peer_classify(s, cred.uid, cred.gid, &admin, &web);
	}
	if (conn_admit(s, cred.uid, admin, web, why, sizeof(why)) < 0) {
		refuse(s, cfd, why);
		return 0;
	}
	c = calloc(1, sizeof(*c));
	if (!c || !(c->in = malloc(AEOGATE_MSG_MAX + 1))) {
		free(c);
		close(cfd);
		return 0;
	}
	c->srv = s;
	c->fd = cfd;
	c->serial = ++s->next_serial;
	c->uid = cred.uid;
	c->gid = cred.gid;
	c->privileged = admin;
	c->web = web;
	conn_progress(c);
	if (sd_event_add_io(s->loop, &c->io, cfd, EPOLLIN, on_conn_io, c) < 0 ||
	    sd_event_add_time(s->loop, &c->timer, CLOCK_MONOTONIC,
			      c->progress_usec + s->timeout_usec, 0, on_conn_timer, c) < 0) {
		sd_event_source_disable_unref(c->io);
		free(c->in);
		free(c);
		close(cfd);
		return 0;
	}
	c->next = s->conns;
	s->conns = c;
	s->n_conns++;
	return 0;
}

int ctl_server_new(sd_event *e, const struct ctl_server_config *cfg, struct ctl_server **ret)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct ctl_server *s;
	int r;

	if (strlen(cfg->path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->loop = e;
	s->cfg = *cfg;
	s->fd = -1;
	s->stream_efd = -1;
	s->timeout_usec =
	    (uint64_t)(cfg->timeout_ms ? cfg->timeout_ms : AEOGATE_CTL_TIMEOUT_MS) * 1000;
	s->path = strdup(cfg->path);
	if (!s->path) {
		r = -ENOMEM;
		goto err;
	}
	strcpy(sa.sun_path, cfg->path);
	s->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s->fd < 0) {
		r = -errno;
		goto err;
	}
	/*
	 * A socket file left by a crashed run would make bind fail, but one that
	 * still answers belongs to a running controller: never steal it.
	 */
	{
		int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (probe >= 0 && connect(probe, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			close(probe);
			r = -EADDRINUSE;
			goto err;
		}
		if (probe >= 0)
			close(probe);
	}
	(void)unlink(cfg->path);
	if (bind(s->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		goto err;
	}
	/*
	 * Anyone may connect (aeogate-web runs as its own user, outside the admin
	 * group); what a peer may do is decided per request from SO_PEERCRED or
	 * a session token, and an unprivileged peer without one can only log in.
	 * How many connections it may hold is capped by kind of peer (conn_admit).
	 */
	(void)chmod(cfg->path, 0666);
	/* A dashboard reconnecting after a restart opens many at once. */
	if (listen(s->fd, AEOGATE_CONN_MAX) < 0) {
		r = -errno;
		goto err;
	}
	r = sd_event_add_io(e, &s->io, s->fd, EPOLLIN, on_accept, s);
	if (r < 0)
		goto err;
	*ret = s;
	return 0;
err:
	if (s->fd >= 0)
		close(s->fd);
	free(s->path);
	free(s);
	return r;
}

void ctl_server_free(struct ctl_server *s)
{
	if (!s)
		return;
	while (s->conns)
		conn_free(s->conns);
	while (s->streams)
		stream_end(s->streams); /* none is left started once its connection is gone */
	sd_event_source_disable_unref(s->stream_src);
	if (s->stream_efd >= 0)
		close(s->stream_efd);
	sd_event_source_disable_unref(s->io);
	if (s->fd >= 0)
		close(s->fd);
	(void)unlink(s->path);
	free(s->path);
	free(s);
}

/* ---- state kept for a connection ---- */

int ctl_conn_attach(struct ctl_conn *c, void *data, void (*release)(void *data))
{
	if (c->release)
		return -EBUSY;
	c->attached = data;
	c->release = release;
	return 0;
}

void *ctl_conn_attached(struct ctl_conn *c, void (*release)(void *data))
{
	return c->release == release ? c->attached : NULL;
}

void ctl_conn_detach(struct ctl_conn *c, void (*release)(void *data))
{
	if (c->release != release)
		return;
	c->release = NULL;
	release(c->attached);
	c->attached = NULL;
}

void *ctl_conn_take(struct ctl_conn *c, void (*release)(void *data))
{
	void *data;

	if (c->release != release)
		return NULL;
	data = c->attached;
	c->release = NULL;
	c->attached = NULL;
	return data;
}

struct sd_event *ctl_request_loop(const struct ctl_request *req)
{
	return req->conn ? req->conn->srv->loop : NULL;
}

/* ---- deferred replies ---- */

struct ctl_deferred *ctl_defer(struct ctl_request *req)
{
	struct ctl_deferred *d;
	json_t *id;

	if (req->deferred)
		return req->deferred;
	d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->srv = req->conn->srv;
	d->serial = req->conn->serial;
	id = req->request_id;
	d->id = id ? json_incref(id) : NULL;
	req->deferred = d;
	return d;
}

static void deferred_send(struct ctl_deferred *d, json_t *msg)
{
	struct ctl_conn *c;

	for (c = d->srv->conns; c; c = c->next)
		if (c->serial == d->serial)
			break;
	if (c && msg) {
		if (send_json(c, msg) < 0)
			c->closing = true;
		c->awaiting = false;
		/* Requests that arrived meanwhile are answered now, in order. */
		if (conn_process(c) < 0)
			c->closing = true;
		conn_settle(c);
	}
	json_decref(msg);
	json_decref(d->id);
	free(d);
}

void ctl_deferred_reply(struct ctl_deferred *d, json_t *result)
{
	deferred_send(d, json_pack("{s:O?,s:b,s:o}", "id", d->id, "ok", 1, "result",
				   result ? result : json_null()));
}

void ctl_deferred_fail(struct ctl_deferred *d, const char *code, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	d->srv->rejected++;
	deferred_send(d, json_pack("{s:O?,s:b,s:{s:s,s:s}}", "id", d->id, "ok", 0, "error", "code",
				   code, "message", msg));
}

/* ---- streams ---- */

static int on_stream_done(sd_event_source *src, int fd, uint32_t revents, void *userdata)
{
	struct ctl_server *s = userdata;
	uint64_t n;
	bool again = true;

	(void)!read(fd, &n, sizeof(n));
	while (again) {
		again = false;
		for (struct ctl_stream *st = s->streams; st; st = st->next) {
			if (st->started && atomic_load(&st->finished)) {
				stream_end(st); /* changes the list: look again from the start */
				again = true;
				break;
			}
		}
	}
	return 0;
}

int ctl_stream_start(struct ctl_request *req, const struct ctl_stream_ops *ops, void *job)
{
	struct ctl_server *s = req->conn->srv;
	struct ctl_stream *st;

	if (req->stream)
		return -EINVAL;
	if (s->n_streams >= AEOGATE_EXPORT_STREAMS_MAX)
		return -EBUSY;
	if (s->stream_efd < 0) {
		s->stream_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (s->stream_efd < 0)
			return -errno;
		if (sd_event_add_io(s->loop, &s->stream_src, s->stream_efd, EPOLLIN, on_stream_done,
				    s) < 0) {
			close(s->stream_efd);
			s->stream_efd = -1;
			return -ENOMEM;
		}
	}
	st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	st->cancel_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (st->cancel_fd < 0) {
		free(st);
		return -errno;
	}
	st->srv = s;
	st->ops = ops;
	st->job = job;
	st->fd = -1;
	snprintf(st->op, sizeof(st->op), "%s", req->op);
	snprintf(st->operator_id, sizeof(st->operator_id), "%s", req->operator_id);
	st->next = s->streams;
	s->streams = st;
	s->n_streams++;
	req->stream = st;
	return 0;
}

/* Sends the iovecs whole, waiting for the peer to read; on the stream's thread. */
static int stream_send(struct ctl_stream *st, struct iovec *iov, int n)
{
	while (n > 0) {
		struct msghdr m = {.msg_iov = iov, .msg_iovlen = (size_t)n};
		struct pollfd p[2] = {{.fd = st->fd, .events = POLLOUT},
				      {.fd = st->cancel_fd, .events = POLLIN}};
		ssize_t w = sendmsg(st->fd, &m, MSG_NOSIGNAL | MSG_DONTWAIT);
		int r;

		if (w >= 0) {
			st->bytes += (uint64_t)w;
			while (n > 0 && (size_t)w >= iov->iov_len) {
				w -= (ssize_t)iov->iov_len;
				iov++;
				n--;
			}
			if (n > 0) {
				iov->iov_base = (char *)iov->iov_base + w;
				iov->iov_len -= (size_t)w;
			}
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN) {
			st->broken = true;
			return -EPIPE;
		}
		r = poll(p, 2, st->timeout_ms);
		if (r < 0 && errno != EINTR) {
			st->broken = true;
			return -errno;
		}
		if (r == 0) {
			st->broken = true;
			return -ETIMEDOUT;
		}
		if (p[1].revents) {
			st->broken = true;
			return -ECANCELED;
		}
	}
	return 0;
}

int ctl_stream_reply(struct ctl_stream *st, const json_t *result)
{
	char *text = json_dumps(result, JSON_COMPACT);
	char head[64];
	struct iovec iov[3];
	int r;

	if (!text)
		return -ENOMEM;
	if (st->replied || st->broken) {
		free(text);
		return -EINVAL;
	}
	iov[0].iov_base = head;
	iov[0].iov_len =
	    (size_t)snprintf(head, sizeof(head), "{\"id\":%s,\"ok\":true,\"result\":", st->id_text);
	iov[1].iov_base = text;
	iov[1].iov_len = strlen(text);
	iov[2].iov_base = "}\n";
	iov[2].iov_len = 2;
	/* Whatever happens next, the peer may have part of the reply: no other reply fits. */
	st->replied = true;
	r = stream_send(st, iov, 3);
	free(text);
	return r;
}

int ctl_stream_write(struct ctl_stream *st, const void *p, size_t n)
{
	char head[24];
	struct iovec iov[2];

	if (st->broken)
		return -EPIPE;
	if (!st->replied)
		return -EINVAL;
	if (n == 0)
		return 0; /* "0\n" is the end, written once by the thread itself */
	iov[0].iov_base = head;
	iov[0].iov_len = (size_t)snprintf(head, sizeof(head), "%zu\n", n);
	iov[1].iov_base = (void *)p;
	iov[1].iov_len = n;
	return stream_send(st, iov, 2);
}

static void *stream_main(void *userdata)
{
	struct ctl_stream *st = userdata;
	struct iovec end = {.iov_base = "0\n", .iov_len = 2};
	struct sched_param sp = {0};
	uint64_t one = 1;
	int r, t;

	/*
	 * A batch thread: it keeps its share of the CPU, but waking (the peer
	 * read some) it never preempts the loop, which decides badge reads.
	 */
	(void)pthread_setschedparam(pthread_self(), SCHED_BATCH, &sp);
	r = st->ops->run(st->job, st);
	/* The end of the frames, also after a failure: the trailer says what it was. */
	if (st->replied && !st->broken) {
		t = stream_send(st, &end, 1);
		if (r >= 0)
			r = t;
	}
	st->result = r;
	atomic_store(&st->finished, true);
	(void)!write(st->srv->stream_efd, &one, sizeof(one));
	return NULL;
}

/* The reply has left: the thread takes the socket; the loop stops watching it. */
static void stream_launch(struct ctl_conn *c)
{
	struct ctl_stream *st = c->stream;
	sigset_t all, old;
	int e;

	st->fd = c->fd;
	st->timeout_ms = (int)(c->srv->timeout_usec / 1000);
	sd_event_source_set_enabled(c->io, SD_EVENT_OFF);
	/* Signals are the loop's (sd-event): the thread is born with all of them blocked. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	e = pthread_create(&st->thread, NULL, stream_main, st);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	st->started = true;
	if (e) {
		/* No thread: end at once, as if run had failed before its reply. */
		st->result = -e;
		st->joined = true;
		atomic_store(&st->finished, true);
		stream_end(st);
	}
}

/* Asks a started stream's thread to stop and waits for it (a chunk's time at most). */
static void stream_stop(struct ctl_stream *st)
{
	uint64_t one = 1;

	if (!st->started || st->joined)
		return;
	(void)!write(st->cancel_fd, &one, sizeof(one));
	pthread_join(st->thread, NULL);
	st->joined = true;
}

/* On the loop, the thread done (or never started): the trailer, the log line, and free. */
static void stream_end(struct ctl_stream *st)
{
	struct ctl_server *s = st->srv;
	struct ctl_conn *c = st->conn;
	const char *code = "internal";
	char msg[256] = "";
	json_t *result, *m;
	int r;

	if (st->started && !st->joined) {
		pthread_join(st->thread, NULL);
		st->joined = true;
	}
	for (struct ctl_stream **pp = &s->streams; *pp; pp = &(*pp)->next) {
		if (*pp == st) {
			*pp = st->next;
			s->n_streams--;
			break;
		}
	}
	r = st->started ? st->result : -ECANCELED;
	result = st->ops->finish(st->job, r, &code, msg, sizeof(msg));
	if (!result) {
		s->rejected++;
		if (!msg[0])
			snprintf(msg, sizeof(msg), "%s", strerror(r < 0 ? -r : EIO));
	}
	if (s->cfg.stream_log)
		s->cfg.stream_log(s->cfg.userdata, st->op, st->operator_id,
				  result  ? 0
				  : r < 0 ? r
					  : -EIO,
				  st->bytes, result ? "" : msg);
	if (c) {
		c->stream = NULL;
		sd_event_source_set_enabled(c->io, SD_EVENT_ON);
		conn_progress(c);
		if (st->broken) {
			/* The peer is gone, or may hold half a frame: nothing more can be said. */
			json_decref(result);
			conn_free(c);
			c = NULL;
		} else {
			m = result ? json_pack("{s:O?,s:b,s:O}", "id", st->id, "ok", 1, "result",
					       result)
				   : json_pack("{s:O?,s:b,s:{s:s,s:s}}", "id", st->id, "ok", 0,
					       "error", "code", code, "message", msg);
			json_decref(result);
			if (!m || send_json(c, m) < 0)
				c->closing = true;
			json_decref(m);
			/* Requests that arrived meanwhile are answered now, in order. */
			if (conn_process(c) < 0)
				c->closing = true;
			conn_settle(c);
		}
	} else {
		json_decref(result);
	}
	close(st->cancel_fd);
	st->ops->free(st->job);
	json_decref(st->id);
	free(st);
}
