/* SPDX-License-Identifier: MIT */
/*
 * The control socket (docs/control-socket.md): newline-delimited JSON over a
 * Unix stream socket, one reply per request, and event streams for
 * followers. The server owns framing, size and depth bounds, peer
 * authorization, per-peer connection caps, back-pressure and timeouts
 * (docs/control-socket.md, "Limits"); the ops themselves live in
 * ops_*.c files as tables of struct ctl_op.
 */
#ifndef AEOGATE_CTLSOCK_H
#define AEOGATE_CTLSOCK_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "aeogate/event.h"

#include "aeogate/roles.h"

struct sd_event;
struct ctl_server;
struct ctl_conn;
struct ctl_stream;

struct ctl_request {
	const char *op;
	json_t *request_id;   /* the client's id (borrowed), NULL when absent */
	json_t *args;	      /* never NULL: an empty object when absent */
	const char *token;    /* NULL when none */
	unsigned role;	      /* exactly one ROLE_* bit */
	char operator_id[96]; /* "user:alice" or "uid:1000", for the admin trail */
	uid_t peer_uid;
	bool peer_web; /* the peer is aeogate-web (its group): it may name a remote source */
	struct ctl_conn *conn;
	void *userdata; /* what main gave ctl_server_new (struct core *) */
	/* Set through ctl_fail. */
	const char *error_code;
	char error_message[256];
	json_t *error_extra; /* set through ctl_fail_extra: more members of the error object */
	/* Set by events.follow: after the reply the connection streams events. */
	bool follow;
	int64_t follow_since;
	/* Set by ctl_defer: the reply comes later, through ctl_deferred_*. */
	struct ctl_deferred *deferred;
	/* Set by ctl_stream_start: the connection carries a stream, reply included. */
	struct ctl_stream *stream;
};

typedef int (*ctl_handler_fn)(struct ctl_request *req, json_t **ret_result);

struct ctl_op {
	const char *name;
	unsigned roles; /* ROLE_* bits allowed to call it */
	ctl_handler_fn fn;
};

/*
 * Resolves a session token to a role bit and an operator id; returns 0,
 * or -EACCES when the token is unknown or expired.
 */
typedef int (*ctl_auth_fn)(void *userdata, const char *token, unsigned *ret_role,
			   char *ret_operator, size_t len);

/*
 * Fetches stored events after since for a follower catching up, ascending,
 * at most limit; cb as in store_event_list.
 */
typedef int (*ctl_backlog_fn)(void *userdata, int64_t since, size_t limit,
			      int (*cb)(const struct event *e, void *cbdata), void *cbdata);

/*
 * The name of person id into buf, read now (never part of the event):
 * 0, or negative errno (-ENOENT: no such person).
 */
typedef int (*ctl_person_name_fn)(void *userdata, const char *id, char *buf, size_t len);
/* Whether person id has a photo (README "Person photos"), read now: 1, 0, or negative errno. */
typedef int (*ctl_person_photo_fn)(void *userdata, const char *id);

/*
 * How a stream ended (ctl_stream_start), for main to log (only mains log):
 * the op, who asked, the outcome (0, or the negative errno run or the
 * transport gave), the data bytes sent, and the trailer's error message
 * when it carried one ("" otherwise).
 */
typedef void (*ctl_stream_log_fn)(void *userdata, const char *op, const char *operator_id, int r,
				  uint64_t bytes, const char *message);

struct ctl_server_config {
	const char *path;
	const struct ctl_op *const *tables; /* NULL-terminated list of {NULL}-terminated tables */
	void *userdata;
	ctl_auth_fn auth; /* may be NULL: then tokens are refused */
	void *auth_userdata;
	ctl_backlog_fn backlog;
	/*
	 * May be NULL. Each event line a follower receives carries, beside the
	 * event (outside it, so what was hashed stays as it is), "person_name".
	 */
	ctl_person_name_fn person_name;
	/* May be NULL. With the name, "person_has_photo": true when the person has one. */
	ctl_person_photo_fn person_photo;
	gid_t admin_gid; /* aeogate-admin, or (gid_t)-1 when the group does not exist */
	gid_t web_gid;	 /* aeogate-web's group, or (gid_t)-1: see ctl_request.peer_web */
	/* No-progress timeout (limits.h AEOGATE_CTL_TIMEOUT_MS); 0 means that default. */
	unsigned timeout_ms;
	ctl_stream_log_fn stream_log; /* may be NULL */
};

int ctl_server_new(struct sd_event *e, const struct ctl_server_config *cfg,
		   struct ctl_server **ret);
void ctl_server_free(struct ctl_server *s); /* accepts NULL */

/* Hands a committed event to every follower (queued; never blocks). */
void ctl_server_publish(struct ctl_server *s, const struct event *e);

/*
 * Deferred replies, for ops whose work must not run on the loop (argon2 on a
 * worker thread). Inside a handler, ctl_defer takes over the reply; the
 * handler then returns 0 with no result. The connection reads no further
 * request until the deferred reply is sent, so replies stay in order.
 * ctl_deferred_reply (result consumed) or ctl_deferred_fail sends it and
 * frees d; if the peer has gone meanwhile, nothing is sent.
 */
struct ctl_deferred *ctl_defer(struct ctl_request *req);
void ctl_deferred_reply(struct ctl_deferred *d, json_t *result);
void ctl_deferred_fail(struct ctl_deferred *d, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Bulk streams (docs/control-socket.md, "Streams"): an op whose result is
 * data too large for a reply (an export) gets an ordinary reply, then the
 * connection carries the data as frames ("N\n" and N bytes; "0\n" ends
 * them), then one more reply line, the trailer, with the same id. All of
 * it but the trailer is produced on a thread of its own (run), which
 * writes straight to the socket and waits for the peer to read: nothing is
 * queued in memory beyond one frame, and a peer that reads slowly slows
 * only its stream; one that reads nothing for the socket timeout, or goes
 * away, stops it. The loop never waits for the thread, and reads no
 * further request of the connection until the trailer is sent.
 */
struct ctl_stream_ops {
	/*
	 * On the stream's thread: ctl_stream_reply first, then the data through
	 * ctl_stream_write; 0 or negative errno. Failing before the reply, the
	 * error is the only reply; after it, the trailer.
	 */
	int (*run)(void *job, struct ctl_stream *st);
	/*
	 * On the loop once run returned r, or the transport failed (-EPIPE: the
	 * peer went away; -ETIMEDOUT: it read nothing for the socket timeout;
	 * -ECANCELED: aeogated is stopping): the trailer's result, or NULL with
	 * an error code and message (also when nothing can be sent any more).
	 */
	json_t *(*finish)(void *job, int r, const char **ret_code, char *msg, size_t len);
	void (*free)(void *job); /* on the loop, last */
};

/*
 * Inside a handler: the reply and what follows come from job's run (job is
 * the stream's from now on, freed with ops->free whatever happens). The
 * handler then returns 0 with no result. -EBUSY when
 * AEOGATE_EXPORT_STREAMS_MAX streams run (job is not taken), -ENOMEM.
 */
int ctl_stream_start(struct ctl_request *req, const struct ctl_stream_ops *ops, void *job);
/* On the stream's thread, once: the ok reply with result (borrowed). 0 or as ctl_stream_write. */
int ctl_stream_reply(struct ctl_stream *st, const json_t *result);
/* On the stream's thread, after the reply: one frame of n bytes. 0, -EPIPE, -ETIMEDOUT or
 * -ECANCELED. */
int ctl_stream_write(struct ctl_stream *st, const void *p, size_t n);

/*
 * State an op keeps for the rest of a connection's life (an import
 * session): one per connection, named by its release function, which runs
 * when the connection closes, however it ends, or on ctl_conn_detach.
 * ctl_conn_attach: -EBUSY when the connection holds state already.
 * ctl_conn_attached: the state attached with release, or NULL.
 */
int ctl_conn_attach(struct ctl_conn *c, void *data, void (*release)(void *data));
void *ctl_conn_attached(struct ctl_conn *c, void (*release)(void *data));
void ctl_conn_detach(struct ctl_conn *c, void (*release)(void *data));
/*
 * Takes the state attached with release away from the connection without
 * releasing it: the caller owns it from now on, whatever becomes of the
 * connection (a person import that goes on applying after its client
 * left). NULL when none is attached with release.
 */
void *ctl_conn_take(struct ctl_conn *c, void (*release)(void *data));

/* The loop the server runs on, for an op's work spread over turns of it. */
struct sd_event *ctl_request_loop(const struct ctl_request *req);

/* Counters for status and tests: requests refused (malformed, too large, denied). */
uint64_t ctl_request_rejected(const struct ctl_request *req);

/* Records an error for the reply; returns -1 so handlers can `return ctl_fail(...)`. */
int ctl_fail(struct ctl_request *req, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/*
 * ctl_fail with more members of the error object beside code and message
 * (extra, consumed; e.g. sync.apply's reason and applied_version).
 */
int ctl_fail_extra(struct ctl_request *req, json_t *extra, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
