// SPDX-License-Identifier: MIT
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "aeogate/limits.h"
#include "aeogate/proto.h"
#include "ctl_client.h"
#include "util.h"

/*
 * A reply is at most AEOGATE_REPLY_MAX bytes with its newline (a full page
 * of records); an event line is bounded tighter, by AEOGATE_MSG_MAX.
 */
#define CTL_CLIENT_BUF AEOGATE_REPLY_MAX

struct ctl_client {
	int fd;
	int64_t next_id;
	bool has_mask;
	sigset_t mask;
	size_t len;
	char *buf; /* CTL_CLIENT_BUF bytes */
};

/* Waits for events on the socket until deadline (-1: forever). */
static int wait_fd(struct ctl_client *c, short events, int64_t deadline)
{
	struct pollfd pfd = {.fd = c->fd, .events = events};
	struct timespec ts, *tsp = NULL;
	int r;

	if (deadline >= 0) {
		int64_t left = deadline - now_mono_ms();

		if (left <= 0)
			return -ETIMEDOUT;
		ts.tv_sec = left / 1000;
		ts.tv_nsec = (left % 1000) * 1000000;
		tsp = &ts;
	}
	r = ppoll(&pfd, 1, tsp, c->has_mask ? &c->mask : NULL);
	if (r < 0)
		return -errno;
	if (r == 0)
		return -ETIMEDOUT;
	return 0;
}

int ctl_client_connect(const char *path, struct ctl_client **ret)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int64_t deadline = now_mono_ms() + CTL_CLIENT_TIMEOUT_MS;
	struct ctl_client *c;
	int r;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);

	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->buf = malloc(CTL_CLIENT_BUF);
	if (!c->buf) {
		r = -ENOMEM;
		goto err_free;
	}
	c->next_id = 1;
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (c->fd < 0) {
		r = -errno;
		goto err_free;
	}
	/*
	 * A non-blocking connect on a Unix socket fails with EAGAIN while the
	 * daemon's listen backlog is full; there is nothing to poll for, so
	 * retry briefly until the deadline.
	 */
	while (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN) {
			r = -errno;
			goto err_close;
		}
		if (now_mono_ms() >= deadline) {
			r = -ETIMEDOUT;
			goto err_close;
		}
		nanosleep(&(struct timespec){.tv_nsec = 10 * 1000000}, NULL);
	}
	*ret = c;
	return 0;

err_close:
	close(c->fd);
err_free:
	free(c->buf);
	free(c);
	return r;
}

void ctl_client_free(struct ctl_client *c)
{
	if (!c)
		return;
	if (c->fd >= 0)
		close(c->fd);
	free(c->buf);
	free(c);
}

int ctl_client_fd(const struct ctl_client *c)
{
	return c->fd;
}

void ctl_client_set_wait_mask(struct ctl_client *c, const sigset_t *mask)
{
	c->has_mask = mask != NULL;
	if (mask)
		c->mask = *mask;
}

static int send_all(struct ctl_client *c, const char *p, size_t n, int64_t deadline)
{
	while (n > 0) {
		ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL);

		if (w < 0) {
			int r;

			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				return errno == ECONNRESET ? -EPIPE : -errno;
			r = wait_fd(c, POLLOUT, deadline);
			if (r < 0)
				return r;
			continue;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/*
 * Adds what the socket has to the buffer, waiting for it until deadline:
 * 0 once some bytes came, -EPIPE when the peer closed, -EMSGSIZE when the
 * buffer is full, or wait_fd's error.
 */
static int fill(struct ctl_client *c, int64_t deadline)
{
	for (;;) {
		ssize_t n;
		int r;

		if (c->len == CTL_CLIENT_BUF)
			return -EMSGSIZE;
		n = recv(c->fd, c->buf + c->len, CTL_CLIENT_BUF - c->len, 0);
		if (n > 0) {
			c->len += (size_t)n;
			return 0;
		}
		if (n == 0)
			return -EPIPE;
		if (errno == EINTR)
			continue;
		if (errno == ECONNRESET)
			return -EPIPE;
		if (errno != EAGAIN)
			return -errno;
		r = wait_fd(c, POLLIN, deadline);
		if (r < 0)
			return r;
	}
}

static int read_line(struct ctl_client *c, int64_t deadline, json_t **ret)
{
	for (;;) {
		char *nl = memchr(c->buf, '\n', c->len);
		int r;

		if (nl) {
			size_t line = (size_t)(nl - c->buf);

			r = proto_line_parse(c->buf, line, ret);
			c->len -= line + 1;
			memmove(c->buf, nl + 1, c->len);
			return r;
		}
		r = fill(c, deadline);
		if (r < 0)
			return r;
	}
}

/* Parses a reply to request id: 0 and the result, 1 and the refusal, -EBADMSG. */
static int reply_take(json_t *reply, int64_t id, json_t **ret_result, struct ctl_error *ret_err)
{
	struct proto_reply rep;
	int r = proto_reply_parse(reply, &rep);

	if (r == 0 && rep.ok && (!json_is_integer(rep.id) || json_integer_value(rep.id) != id))
		r = -EBADMSG;
	if (r == 0 && rep.ok)
		*ret_result = json_incref((json_t *)rep.result);
	if (r == 0 && !rep.ok) {
		snprintf(ret_err->code, sizeof(ret_err->code), "%s", rep.code ? rep.code : "");
		snprintf(ret_err->message, sizeof(ret_err->message), "%s",
			 rep.message ? rep.message : "");
		if (!ret_err->code[0])
			snprintf(ret_err->code, sizeof(ret_err->code), "error");
		r = 1;
	}
	return r;
}

int ctl_client_stream(struct ctl_client *c, int (*data)(void *userdata, const char *p, size_t n),
		      void *userdata, json_t **ret_result, struct ctl_error *ret_err)
{
	struct proto_frames f = {0};
	json_t *reply = NULL;
	int r;

	for (;;) {
		long used = proto_frames_feed(&f, c->buf, c->len, data, userdata);

		if (used < 0)
			return (int)used;
		c->len -= (size_t)used;
		memmove(c->buf, c->buf + used, c->len);
		if (f.done)
			break;
		r = fill(c, now_mono_ms() + CTL_CLIENT_TIMEOUT_MS);
		if (r < 0)
			return r;
	}
	r = read_line(c, now_mono_ms() + CTL_CLIENT_TIMEOUT_MS, &reply);
	if (r < 0)
		return r;
	r = reply_take(reply, c->next_id - 1, ret_result, ret_err);
	json_decref(reply);
	return r;
}

int ctl_client_read(struct ctl_client *c, int timeout_ms, json_t **ret)
{
	return read_line(c, timeout_ms < 0 ? -1 : now_mono_ms() + timeout_ms, ret);
}

int ctl_client_call(struct ctl_client *c, const char *op, json_t *args, json_t **ret_result,
		    struct ctl_error *ret_err)
{
	return ctl_client_call_wait(c, op, args, CTL_CLIENT_TIMEOUT_MS, NULL, NULL, ret_result,
				    ret_err);
}

/* Sends a request and reads its reply line: 0 with the reply and its id, or a transport error. */
static int request_send_read(struct ctl_client *c, const char *op, json_t *args, int timeout_ms,
			     void (*tick)(void *userdata), void *userdata, json_t **ret_reply,
			     int64_t *ret_id)
{
	int64_t deadline = now_mono_ms() + timeout_ms;
	int64_t id = c->next_id++;
	json_t *reply = NULL;
	char *line;
	size_t n;
	int r;

	r = proto_request_format(id, op, args, NULL, 0, &line, &n);
	if (r < 0)
		return r;
	r = send_all(c, line, n, deadline);
	free(line);
	if (r < 0)
		return r;

	for (;;) {
		int64_t tick_at = now_mono_ms() + 1000;
		int64_t until = tick && tick_at < deadline ? tick_at : deadline;

		r = read_line(c, until, &reply);
		if (r != -ETIMEDOUT || until == deadline)
			break;
		tick(userdata); /* a partial line stays buffered for the next read */
	}
	if (r < 0)
		return r;
	*ret_reply = reply;
	*ret_id = id;
	return 0;
}

int ctl_client_call_wait(struct ctl_client *c, const char *op, json_t *args, int timeout_ms,
			 void (*tick)(void *userdata), void *userdata, json_t **ret_result,
			 struct ctl_error *ret_err)
{
	json_t *reply = NULL;
	int64_t id;
	int r = request_send_read(c, op, args, timeout_ms, tick, userdata, &reply, &id);

	if (r < 0)
		return r;
	r = reply_take(reply, id, ret_result, ret_err);
	json_decref(reply);
	return r;
}

int ctl_client_request(struct ctl_client *c, const char *op, json_t *args, json_t **ret_reply)
{
	struct ctl_error err;
	json_t *reply = NULL, *result = NULL;
	int64_t id;
	int r = request_send_read(c, op, args, CTL_CLIENT_TIMEOUT_MS, NULL, NULL, &reply, &id);

	if (r < 0)
		return r;
	/* The same checks as a call's (well-formed, our id when ok); the reply is returned whole.
	 */
	r = reply_take(reply, id, &result, &err);
	json_decref(result);
	if (r < 0) {
		json_decref(reply);
		return r;
	}
	*ret_reply = reply;
	return 0;
}

const char *ctl_client_strerror(int err)
{
	switch (err) {
	case -ETIMEDOUT:
		return "no reply from aeogated within 30 s";
	case -EPIPE:
		return "aeogated closed the connection";
	case -EMSGSIZE:
		return "reply from aeogated is larger than the message bound";
	case -EBADMSG:
		return "malformed reply from aeogated";
	case -E2BIG:
		return "request is larger than the 64 KiB message bound";
	default:
		return strerror(-err);
	}
}
