/* SPDX-License-Identifier: MIT */
/*
 * aeogate-web: the network-facing process. It translates HTTP and WebSocket
 * into control-socket requests carrying the user's session token and checks
 * nothing but sizes, CSRF and the presence of a session cookie: the
 * controller authorizes every request. Single-threaded: everything runs in
 * the libwebsockets service loop, including the control-socket connections,
 * which are adopted into it as raw sockets.
 */
#ifndef AEOGATE_WEB_H
#define AEOGATE_WEB_H

#include <jansson.h>
#include <libwebsockets.h>
#include <stdbool.h>
#include <stddef.h>

#include "aeogate/limits.h"

#define WEB_COOKIE    "aeogate_session"
#define WEB_TOKEN_MAX 128
#define WEB_CSRF_HEX  65

/* Process-wide settings, set once by main. */
struct web_config {
	const char *socket_path;
	const char *ui_dir; /* realpath of the static root */
	bool tls;
};

extern struct web_config web_cfg;

/*
 * A control-socket connection: one request/reply at a time, or an event
 * stream after events.follow. Owned by the lws wsi it is adopted into and
 * freed when that closes; the owner (an HTTP request or a stream) holds a
 * pointer that ctlc_close_cb clears.
 */
struct ctlc;

struct ctlc_ops {
	/* One line from the controller, parsed; msg is borrowed. */
	void (*line)(void *owner, json_t *msg);
	/* The connection is gone (controller closed it, or a protocol error). */
	void (*closed)(void *owner);
};

/* Connects and adopts; -errno (-ENOENT, -ECONNREFUSED, -EAGAIN...) on failure. */
int ctlc_open(struct lws_vhost *vh, const struct ctlc_ops *ops, void *owner, struct ctlc **ret);
/* Queues a request line {"id","op","args","token"}; args is borrowed (NULL: none). */
int ctlc_send(struct ctlc *c, const char *op, json_t *args, const char *token);
/* Detaches the owner and closes the connection asynchronously; accepts NULL. */
void ctlc_close(struct ctlc *c);
/* Live connections, for bounds. */
unsigned ctlc_count(void);

/* The lws protocol callback for control-socket connections. */
int ctlc_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
		  size_t len);
#define CTLC_PROTOCOL "aeogate-ctl"

/* CSRF tokens per session, keyed by a hash of the session token. */
/* Returns the CSRF token for the session, creating one when absent. */
const char *csrf_get(const char *session_token, bool create);
void csrf_forget(const char *session_token);
/* Constant-time check of a presented token; false when the session has none. */
bool csrf_check(const char *session_token, const char *presented);

/* HTTP: /api and static files. */
int http_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
		  size_t len);
size_t http_pss_size(void);

/* WebSocket /api/stream. */
int stream_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
		    size_t len);
size_t stream_pss_size(void);
#define STREAM_PROTOCOL "aeogate-stream"

/* Shared helpers. */
/* Copies the session cookie's value; false when absent or malformed. */
bool web_session_cookie(struct lws *wsi, char *buf, size_t len);
/* HTTP status for a controller error code. */
unsigned web_status_for(const char *code);

#endif
