/* SPDX-License-Identifier: MIT */
/*
 * The client side of the control socket (docs/control-socket.md), shared by
 * aeogatectl and aeogate-sync: one connection, newline-delimited JSON, one
 * reply per request. Every read is bounded in size (AEOGATE_REPLY_MAX with
 * the newline) and in time, so a dead or misbehaving daemon can never hang
 * a client or grow its memory.
 */
#ifndef AEOGATE_CTL_CLIENT_H
#define AEOGATE_CTL_CLIENT_H

#include <jansson.h>
#include <signal.h>

/* How long we wait for a reply before giving up on the daemon. */
#define CTL_CLIENT_TIMEOUT_MS 30000

struct ctl_client;

/* The controller's refusal: {"code","message"} of an ok:false reply. */
struct ctl_error {
	char code[64];
	char message[512];
};

/*
 * Connects to the socket at path. Returns 0, -ENAMETOOLONG when the path
 * does not fit sockaddr_un, -ETIMEDOUT when the listen backlog stays full,
 * or the connect(2) error (-ENOENT, -ECONNREFUSED, -EACCES, ...).
 */
int ctl_client_connect(const char *path, struct ctl_client **ret);
void ctl_client_free(struct ctl_client *c); /* accepts NULL */

/*
 * The connection's socket, for a caller that polls it in its own loop
 * (aeogate-sync): after POLLIN, ctl_client_read with timeout 0 takes each
 * complete line until -ETIMEDOUT. Lines already buffered are returned
 * without the socket being readable, so a caller that paused reading
 * calls ctl_client_read first, not poll.
 */
int ctl_client_fd(const struct ctl_client *c);

/*
 * Signals (e.g. SIGINT, SIGTERM) left unblocked while waiting for input:
 * the caller blocks them and passes the mask to wait with, so a signal
 * interrupts a wait without a race (ppoll). NULL: the current mask.
 */
void ctl_client_set_wait_mask(struct ctl_client *c, const sigset_t *mask);

/*
 * Sends {"id","op","args"} and waits for its reply. args is borrowed and
 * may be NULL. Returns 0 and a new reference in *ret_result when ok, 1 when
 * the controller refused (ret_err filled in), or a transport error:
 * -ETIMEDOUT, -EPIPE (connection closed), -EMSGSIZE (reply too large),
 * -EBADMSG (reply not a well-formed reply object), -EINTR, or another -errno.
 */
int ctl_client_call(struct ctl_client *c, const char *op, json_t *args, json_t **ret_result,
		    struct ctl_error *ret_err);
/*
 * Sends {"id","op","args"} and returns the whole reply object, ok or not
 * (a new reference in *ret_reply), for a caller that needs more of a
 * refusal than its code and message (aeogate-sync: the reason a change set
 * was rejected). Transport errors as ctl_client_call.
 */
int ctl_client_request(struct ctl_client *c, const char *op, json_t *args, json_t **ret_reply);
/*
 * The same for a reply that may take longer (a person import applying its
 * rows): waits up to timeout_ms instead, and calls tick (NULL: none) about
 * once a second meanwhile.
 */
int ctl_client_call_wait(struct ctl_client *c, const char *op, json_t *args, int timeout_ms,
			 void (*tick)(void *userdata), void *userdata, json_t **ret_result,
			 struct ctl_error *ret_err);

/*
 * Reads the next line as a JSON object, waiting at most timeout_ms (-1:
 * forever). Returns 0 with a new reference in *ret, or -ETIMEDOUT, -EPIPE
 * (closed by the peer), -EMSGSIZE, -EBADMSG, -EINTR (a signal of the wait
 * mask arrived), or another -errno.
 */
int ctl_client_read(struct ctl_client *c, int timeout_ms, json_t **ret);

/*
 * After a streaming op's reply (ctl_client_call): the frames' data, handed
 * to data in pieces, then the trailer, like ctl_client_call's reply: 0 and
 * its result, 1 with ret_err filled in, or a transport error (-EBADMSG for
 * a malformed frame, data's own negative return, ...). Each wait for the
 * daemon is bounded by CTL_CLIENT_TIMEOUT_MS.
 */
int ctl_client_stream(struct ctl_client *c, int (*data)(void *userdata, const char *p, size_t n),
		      void *userdata, json_t **ret_result, struct ctl_error *ret_err);

/* A human sentence for a transport error of the calls above. */
const char *ctl_client_strerror(int err);

#endif
