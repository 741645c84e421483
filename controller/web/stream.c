/* SPDX-License-Identifier: MIT */
/*
 * WebSocket /api/stream?since=SEQ: one events.follow connection to the
 * controller per browser, carrying the browser's session token, so the
 * controller authorizes the stream and resumes it from since without gaps
 * or duplicates. Each browser has a bounded queue; one that does not keep
 * up is cut off (it reconnects and resumes), never slowing the others.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "web.h"

/* Close codes in the application range, so the UI can tell why. */
enum {
	CLOSE_UNAUTHENTICATED = 4401,
	CLOSE_FORBIDDEN = 4403,
	CLOSE_TOO_SLOW = 4408,
	CLOSE_CONTROLLER_GONE = 4503,
};

struct frame {
	struct frame *next;
	size_t len;
	unsigned char data[]; /* LWS_PRE headroom, then len bytes */
};

/* Per WebSocket connection, created at the upgrade (FILTER_PROTOCOL_CONNECTION). */
struct spss {
	struct lws *wsi;
	char token[WEB_TOKEN_MAX + 1];
	long long since; /* -1: from now on */
	struct ctlc *ctl;
	bool following;
	bool counted;
	struct frame *head, **tail;
	size_t queued;
	int close_status; /* 0 while open */
	char close_reason[64];
};

/* Per vhost, created at LWS_CALLBACK_PROTOCOL_INIT and freed by lws with the vhost. */
struct svhd {
	unsigned streams; /* established, against AEOGATE_WEB_STREAMS_MAX */
};

static struct svhd *vhd_of(struct lws *wsi)
{
	return lws_protocol_vh_priv_get(lws_get_vhost(wsi), lws_get_protocol(wsi));
}

unsigned stream_clients(struct lws *wsi)
{
	struct lws_vhost *vh = lws_get_vhost(wsi);
	const struct lws_protocols *pr = lws_vhost_name_to_protocol(vh, STREAM_PROTOCOL);
	struct svhd *v = pr ? lws_protocol_vh_priv_get(vh, pr) : NULL;

	return v ? v->streams : 0;
}

size_t stream_pss_size(void)
{
	return sizeof(struct spss);
}

static void queue_free(struct spss *s)
{
	while (s->head) {
		struct frame *f = s->head;

		s->head = f->next;
		free(f);
	}
	s->tail = &s->head;
	s->queued = 0;
}

/* Ends the stream with a close frame once the queue is written. */
static void stream_end(struct spss *s, int status, const char *reason)
{
	ctlc_close(s->ctl);
	s->ctl = NULL;
	if (s->close_status)
		return;
	s->close_status = status;
	snprintf(s->close_reason, sizeof(s->close_reason), "%s", reason);
	lws_callback_on_writable(s->wsi);
	/* A browser that reads nothing would never see it: do not wait for ever. */
	lws_set_timeout(s->wsi, PENDING_TIMEOUT_CLOSE_SEND, 5);
}

static void enqueue(struct spss *s, json_t *msg)
{
	char *text = json_dumps(msg, JSON_COMPACT);
	struct frame *f;
	size_t n;

	if (!text)
		return stream_end(s, 1011, "out of memory");
	n = strlen(text);
	if (s->queued + n > AEOGATE_WEB_STREAM_QUEUE_MAX) {
		free(text);
		/*
		 * Too slow: drop what is queued and cut it off now, without
		 * a close frame it would not read anyway.
		 */
		queue_free(s);
		ctlc_close(s->ctl);
		s->ctl = NULL;
		s->close_status = CLOSE_TOO_SLOW;
		lws_set_timeout(s->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
		return;
	}
	f = malloc(sizeof(*f) + LWS_PRE + n);
	if (!f) {
		free(text);
		return stream_end(s, 1011, "out of memory");
	}
	memcpy(f->data + LWS_PRE, text, n);
	free(text);
	f->len = n;
	f->next = NULL;
	*s->tail = f;
	s->tail = &f->next;
	s->queued += n;
	lws_callback_on_writable(s->wsi);
}

static void ctl_line(void *owner, json_t *msg)
{
	struct spss *s = owner;
	json_t *err = json_object_get(msg, "error");

	if (!s->following) {
		struct proto_reply rep;

		proto_reply_parse(msg, &rep);
		if (!rep.ok) {
			enqueue(s, msg);
			return stream_end(s,
					  proto_error_http_status(rep.code) == 401
					      ? CLOSE_UNAUTHENTICATED
					      : CLOSE_FORBIDDEN,
					  rep.code ? rep.code : "refused");
		}
		s->following = true;
		{
			json_t *hello = json_pack("{s:b, s:O?}", "following", 1, "since",
						  json_object_get(rep.result, "since"));

			if (hello)
				enqueue(s, hello);
			json_decref(hello);
		}
		return;
	}
	enqueue(s, msg);
	if (err && s->ctl)
		stream_end(s, CLOSE_TOO_SLOW, "controller cut the stream");
}

static void ctl_closed(void *owner)
{
	struct spss *s = owner;

	s->ctl = NULL;
	stream_end(s, CLOSE_CONTROLLER_GONE, "controller connection lost");
}

static const struct ctlc_ops stream_ctl_ops = {
    .line = ctl_line,
    .closed = ctl_closed,
};

/*
 * http.c's LWS_CALLBACK_HTTP_CONFIRM_UPGRADE has checked the Host, the
 * Origin (cross-site WebSocket hijacking), the path and the subprotocol.
 */
static int filter(struct lws *wsi, struct spss *s)
{
	char uri[64], buf[32];
	const char *v;

	if (!s || lws_hdr_copy(wsi, uri, sizeof(uri), WSI_TOKEN_GET_URI) <= 0 ||
	    strcmp(uri, "/api/stream") != 0)
		return 1;
	if (!vhd_of(wsi) || vhd_of(wsi)->streams >= AEOGATE_WEB_STREAMS_MAX)
		return 1;
	if (!web_session_cookie(wsi, s->token, sizeof(s->token)))
		return 1;
	s->since = -1;
	v = lws_get_urlarg_by_name(wsi, "since=", buf, sizeof(buf));
	if (v) {
		char *end;

		s->since = strtoll(v, &end, 10);
		if (!*v || *end || s->since < 0)
			return 1;
	}
	return 0;
}

int stream_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
		    size_t len)
{
	struct spss *s = user;

	switch (reason) {
	case LWS_CALLBACK_PROTOCOL_INIT:
		return lws_protocol_vh_priv_zalloc(lws_get_vhost(wsi), lws_get_protocol(wsi),
						   sizeof(struct svhd))
			   ? 0
			   : -1;

	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
		return filter(wsi, s);

	case LWS_CALLBACK_ESTABLISHED: {
		json_t *args = json_object();

		s->wsi = wsi;
		s->tail = &s->head;
		s->counted = true;
		vhd_of(wsi)->streams++;
		{
			/* Bound what the kernel holds for a client that stops reading, too. */
			int fd = (int)lws_get_socket_fd(wsi), sz = AEOGATE_WEB_STREAM_SNDBUF;

			if (fd >= 0)
				(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
		}
		if (ctlc_count() >= AEOGATE_WEB_INFLIGHT_MAX + AEOGATE_WEB_STREAMS_MAX ||
		    ctlc_open(wsi, &stream_ctl_ops, s, &s->ctl) < 0) {
			s->ctl = NULL;
			json_decref(args);
			stream_end(s, CLOSE_CONTROLLER_GONE, "controller not reachable");
			return 0;
		}
		if (s->since >= 0)
			json_object_set_new(args, "since", json_integer(s->since));
		if (ctlc_send(s->ctl, "events.follow", args, s->token) < 0)
			stream_end(s, 1011, "cannot send");
		json_decref(args);
		return 0;
	}

	case LWS_CALLBACK_SERVER_WRITEABLE:
		if (s->head) {
			struct frame *f = s->head;

			if (lws_write(wsi, f->data + LWS_PRE, f->len, LWS_WRITE_TEXT) < (int)f->len)
				return -1;
			s->head = f->next;
			if (!s->head)
				s->tail = &s->head;
			s->queued -= f->len;
			free(f);
			if (s->head || s->close_status)
				lws_callback_on_writable(wsi);
			return 0;
		}
		if (s->close_status) {
			lws_close_reason(wsi, (enum lws_close_status)s->close_status,
					 (unsigned char *)s->close_reason, strlen(s->close_reason));
			return -1;
		}
		return 0;

	case LWS_CALLBACK_RECEIVE:
		return 0; /* the browser has nothing to say on this stream */

	case LWS_CALLBACK_CLOSED:
		ctlc_close(s->ctl);
		s->ctl = NULL;
		queue_free(s);
		if (s->counted)
			vhd_of(wsi)->streams--;
		s->counted = false;
		return 0;

	default:
		return 0;
	}
}
