/* SPDX-License-Identifier: MIT */
/* Control-socket connections adopted into the lws loop as raw sockets. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "web.h"

struct outbuf {
	struct outbuf *next;
	size_t len;
	char *buf; /* LWS_PRE headroom, then len bytes (proto_request_format) */
};

/* Created by ctlc_open; freed when its wsi closes (LWS_CALLBACK_RAW_CLOSE). */
struct ctlc {
	struct lws *wsi;
	const struct ctlc_ops *ops;
	void *owner;   /* NULL once the owner went away */
	bool adopting; /* inside lws_adopt: a close must not free us */
	bool closed;
	int64_t next_id;
	struct outbuf *out, **out_tail;
	/* One reply line, grown as needed up to AEOGATE_REPLY_MAX (a page of records). */
	size_t in_len, in_cap;
	char *in;
	bool framed; /* a stream's frames come, until their end (ctlc_stream) */
	struct proto_frames frames;
};

static unsigned live;

unsigned ctlc_count(void)
{
	return live;
}

static void ctlc_free(struct ctlc *c)
{
	while (c->out) {
		struct outbuf *o = c->out;

		c->out = o->next;
		free(o->buf);
		free(o);
	}
	free(c->in);
	free(c);
	live--;
}

int ctlc_open(struct lws *parent, const struct ctlc_ops *ops, void *owner, struct ctlc **ret)
{
	const char *path = web_config_of(parent)->socket_path;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	lws_adopt_desc_t info = {0};
	struct ctlc *c;
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	/* A Unix socket connects at once or fails at once (EAGAIN: backlog full). */
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = -errno;

		close(fd);
		return e;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		return -ENOMEM;
	}
	live++;
	c->ops = ops;
	c->owner = owner;
	c->out_tail = &c->out;
	c->next_id = 1;
	c->adopting = true;
	info.vh = lws_get_vhost(parent);
	info.type = LWS_ADOPT_SOCKET;
	info.fd.sockfd = fd;
	info.vh_prot_name = CTLC_PROTOCOL;
	info.opaque = c;
	c->wsi = lws_adopt_descriptor_vhost_via_info(&info);
	c->adopting = false;
	if (!c->wsi || c->closed) {
		/* lws closed the fd already. */
		ctlc_free(c);
		return -ENOMEM;
	}
	*ret = c;
	return 0;
}

int ctlc_send(struct ctlc *c, const char *op, json_t *args, const char *token)
{
	struct outbuf *o = malloc(sizeof(*o));
	int r;

	if (!o)
		return -ENOMEM;
	r = proto_request_format(c->next_id++, op, args, token, LWS_PRE, &o->buf, &o->len);
	if (r < 0) {
		free(o);
		return r;
	}
	o->next = NULL;
	*c->out_tail = o;
	c->out_tail = &o->next;
	lws_callback_on_writable(c->wsi);
	return 0;
}

void ctlc_stream(struct ctlc *c)
{
	c->framed = true;
	c->frames = (struct proto_frames){0};
}

static int frame_data(void *userdata, const char *p, size_t n)
{
	struct ctlc *c = userdata;

	if (!c->owner)
		return -EPIPE;
	c->ops->data(c->owner, p, n);
	return c->owner ? 0 : -EPIPE;
}

void ctlc_close(struct ctlc *c)
{
	if (!c)
		return;
	c->owner = NULL;
	if (c->wsi && !c->closed)
		lws_set_timeout(c->wsi, PENDING_TIMEOUT_KILLED_BY_PARENT, LWS_TO_KILL_ASYNC);
}

/* Splits what arrived into lines and hands each to the owner; -1 to close. */
static int ctlc_rx(struct ctlc *c, const char *in, size_t len)
{
	while (len) {
		if (c->framed) {
			long used = proto_frames_feed(&c->frames, in, len, frame_data, c);

			if (used < 0 || !c->owner || !c->ops->data)
				return -1; /* malformed, or the owner is done with us */
			in += used;
			len -= (size_t)used;
			if (c->frames.done)
				c->framed = false; /* the trailer is a line */
			continue;
		}
		const char *nl = memchr(in, '\n', len);
		size_t take = nl ? (size_t)(nl - in) : len;
		int r;
		json_t *msg;

		if (c->in_len + take > AEOGATE_REPLY_MAX)
			return -1; /* the controller keeps this bound; it is broken */
		if (c->in_len + take + 1 > c->in_cap) {
			size_t cap = c->in_cap ? c->in_cap : 4096;
			char *n;

			while (cap < c->in_len + take + 1)
				cap *= 2;
			if (cap > AEOGATE_REPLY_MAX + 1)
				cap = AEOGATE_REPLY_MAX + 1;
			n = realloc(c->in, cap);
			if (!n)
				return -1;
			c->in = n;
			c->in_cap = cap;
		}
		memcpy(c->in + c->in_len, in, take);
		c->in_len += take;
		in += take;
		len -= take;
		if (!nl)
			break;
		in++;
		len--;
		c->in[c->in_len] = '\0';
		r = proto_line_parse(c->in, c->in_len, &msg);
		c->in_len = 0;
		/* A big reply's buffer does not stay with a long-lived stream. */
		if (c->in_cap > 65536) {
			free(c->in);
			c->in = NULL;
			c->in_cap = 0;
		}
		if (r < 0)
			return -1;
		if (c->owner)
			c->ops->line(c->owner, msg);
		json_decref(msg);
		if (!c->owner)
			return -1; /* the owner is done with us */
	}
	return 0;
}

int ctlc_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
		  size_t len)
{
	struct ctlc *c = lws_get_opaque_user_data(wsi);

	switch (reason) {
	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
		return 1; /* adopted sockets only, never a browser's WebSocket */
	case LWS_CALLBACK_RAW_RX:
		if (!c)
			return -1;
		return ctlc_rx(c, in, len);
	case LWS_CALLBACK_RAW_WRITEABLE:
		if (!c || !c->out)
			return 0;
		{
			struct outbuf *o = c->out;

			if (lws_write(wsi, (unsigned char *)o->buf + LWS_PRE, o->len,
				      LWS_WRITE_RAW) < (int)o->len)
				return -1;
			c->out = o->next;
			if (!c->out)
				c->out_tail = &c->out;
			free(o->buf);
			free(o);
			if (c->out)
				lws_callback_on_writable(wsi);
		}
		return 0;
	case LWS_CALLBACK_RAW_CLOSE:
		if (!c)
			return 0;
		c->closed = true;
		lws_set_opaque_user_data(wsi, NULL);
		if (c->adopting)
			return 0; /* ctlc_open reports the failure and frees */
		if (c->owner)
			c->ops->closed(c->owner);
		ctlc_free(c);
		return 0;
	default:
		return 0;
	}
}
