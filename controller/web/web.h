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
#include <sys/types.h>

#include "aeogate/limits.h"
#include "aeogate/proto.h" /* the wire format, error codes and their HTTP status */
#include "reqparse.h" /* WEB_COOKIE, WEB_TOKEN_MAX, routes */

#define WEB_CSRF_HEX 65

/* The settings, made once by main and held as the lws context's user data. */
struct web_config {
	const char *socket_path;
	const char *ui_dir; /* realpath of the static root */
	bool tls;
	struct web_hosts hosts; /* whom we answer: Host and Origin */
	/* [web] metrics_token_file's token; "" when none: /metrics answers loopback only. */
	char metrics_token[AEOGATE_WEB_METRICS_TOKEN_MAX + 1];
};

static inline const struct web_config *web_config_of(struct lws *wsi)
{
	return lws_context_user(lws_get_context(wsi));
}

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
	/*
	 * A stream's data (after ctlc_stream), in pieces as they arrive; NULL
	 * for owners that never stream. To stop, the owner calls ctlc_close.
	 */
	void (*data)(void *owner, const char *p, size_t n);
};

/*
 * Connects and adopts into parent's vhost; -errno (-ENOENT, -ECONNREFUSED,
 * -EAGAIN...) on failure.
 */
int ctlc_open(struct lws *parent, const struct ctlc_ops *ops, void *owner, struct ctlc **ret);
/* Queues a request line {"id","op","args","token"}; args is borrowed (NULL: none). */
int ctlc_send(struct ctlc *c, const char *op, json_t *args, const char *token);
/*
 * From the line callback of a streaming op's reply: what follows is the
 * stream's frames (docs/control-socket.md, "Streams"), handed to
 * ops->data, then the trailer, handed to ops->line like any reply.
 */
void ctlc_stream(struct ctlc *c);
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
/* Dashboard streams established now, on wsi's vhost (for /metrics). */
unsigned stream_clients(struct lws *wsi);
/* /metrics (metrics.c): system.metrics' result as Prometheus text (malloc'd), NULL without memory.
 */
char *web_metrics_render(const json_t *result, unsigned stream_clients);
/*
 * Reads the /metrics token: token_file, else config_path's [web]
 * metrics_token_file (either may be NULL). 0 also when none is set;
 * negative errno (after printing why) when the file cannot be used.
 */
int web_metrics_config(struct web_config *cfg, const char *config_path, const char *token_file);
/* Whether a /metrics request may be answered: its bearer token, or loopback without one. */
bool web_metrics_allowed(const struct web_config *cfg, const char *authorization, const char *peer);
#define STREAM_PROTOCOL "aeogate-stream"

/*
 * Exports for download (exports.c): produced once per POST /api/exports into
 * an anonymous temporary file plus an in-memory manifest, then downloaded by
 * id, only by the session that made them, until they expire.
 */
#define WEB_EXPORT_ID_HEX 33 /* 16 random bytes in hex, with the NUL */
struct wexport;

/*
 * An anonymous read-write file in TMPDIR (or /tmp), for an export or an
 * uploaded file: nothing to clean up if the process dies (O_TMPFILE, or a
 * file named aeogate-web-WHAT-XXXXXX unlinked at once); negative errno.
 */
int web_tmpfile(const char *what);

/*
 * Validates the request body ({report? | kinds? person? zone?, from?, to?,
 * format}) and starts an export for the session, dropping the session's
 * oldest held export when it has its share. -EINVAL with err set, -EBUSY
 * when AEOGATE_WEB_EXPORTS_MAX are held, another -errno when no temporary
 * file can be made.
 */
int wexport_new(const char *token, const json_t *body, struct wexport **ret, char *err,
		size_t errlen);
/*
 * Feeds the controller's result for the previous request (NULL at first):
 * 1 with the next request's op and args (new reference) to send, 2 when
 * the result was a stream's reply (an event export: audit.export_stream),
 * so the connection's frames go to wexport_data and its trailer comes
 * here next, 0 when the export is sealed and held for download (the caller
 * no longer owns it), or -errno (-EFBIG over AEOGATE_WEB_EXPORT_FILE_MAX,
 * -EPROTO for a reply that does not fit, -EIO).
 */
int wexport_next(struct wexport *x, const json_t *result, const char **ret_op, json_t **ret_args);
/* A streamed export's bytes, straight to its file: 0, -EFBIG, -EIO. */
int wexport_data(struct wexport *x, const char *p, size_t n);
/* Frees an export that was never sealed; accepts NULL. */
void wexport_abandon(struct wexport *x);
/* {id, report, format, rows, range_first, range_last, bytes, key_id, file, manifest_file, url,
 * manifest_url, expires_s} */
json_t *wexport_summary(const struct wexport *x);
/* A held export by id: -ENOENT unknown or expired, -EPERM another session's. */
int wexport_find(const char *id, const char *token, const struct wexport **ret);
/* A new read-only fd of the export's file (the caller closes it), or -errno. */
int wexport_open_file(const struct wexport *x, off_t *ret_size, const char **ret_name,
		      const char **ret_type);
const char *wexport_manifest(const struct wexport *x, size_t *ret_len);
const char *wexport_file_name(const struct wexport *x);
/* Drops the exports of a session that logged out. */
void wexport_forget_session(const char *token);

/*
 * The people CSV (imports.c): POST /api/persons/import spools its body to an
 * anonymous temporary file, then runs one import session as aeogatectl
 * person import does; GET /api/persons/export pages person.export into
 * another and sends it as a download.
 */
struct wimport;
/* -EBUSY when AEOGATE_WEB_IMPORTS_MAX run, another -errno when no temporary file can be made. */
int wimport_new(bool dry_run, struct wimport **ret);
void wimport_free(struct wimport *x); /* accepts NULL */
/* A piece of the body, to the file: 0, -EFBIG past AEOGATE_WEB_IMPORT_MAX, -EIO. */
int wimport_spool(struct wimport *x, const void *p, size_t n);
/* The body is complete: 0, -ENODATA when it is empty. */
int wimport_start(struct wimport *x);
/*
 * Feeds the controller's (ok) result of the previous request (NULL at
 * first): 1 with the next request's op and args (new reference, may be
 * NULL), 2 when that is the commit (wait up to
 * AEOGATE_WEB_IMPORT_COMMIT_TIMEOUT_S), 0 when the import is over
 * (wimport_reply says how), or -errno (-EPROTO, -EIO, -ENOMEM).
 */
int wimport_next(struct wimport *x, const json_t *result, const char **ret_op, json_t **ret_args);
/* The response: 200, or 422 when nothing went in; {dry_run, committed, counts, errors...}. */
json_t *wimport_reply(const struct wimport *x, unsigned *ret_status);
/* PEOPLE_IMPORT_COMMIT_TIMEOUT_MS, as lws wants it. */
#define AEOGATE_WEB_IMPORT_COMMIT_TIMEOUT_S 600

struct wpeople_export;
int wpeople_export_new(struct wpeople_export **ret);
void wpeople_export_free(struct wpeople_export *x); /* accepts NULL */
/* As wimport_next: 1 with person.export's next page to ask for, 0 when written, -errno (-EFBIG). */
int wpeople_export_next(struct wpeople_export *x, const json_t *result, const char **ret_op,
			json_t **ret_args);
/* A new read-only fd of the written file (the caller closes it), its size and a file name. */
int wpeople_export_open(struct wpeople_export *x, off_t *ret_size, char *name, size_t namelen);

/* Shared helpers. */
/* Copies the session cookie's value; false when absent or malformed. */
bool web_session_cookie(struct lws *wsi, char *buf, size_t len);

#endif
