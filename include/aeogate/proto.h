/* SPDX-License-Identifier: MIT */
/*
 * The control socket's wire format (docs/control-socket.md), written once
 * for its clients (aeogatectl, aeogate-web): a request line
 * {"id","op","args","token"} and its bound, a reply line's parts, and the
 * error codes a reply can carry. Transport (sockets, buffering, waiting)
 * stays with each client: one blocks with a deadline, the other lives in
 * the libwebsockets loop. Pure code (libaeogate-common, controller/lib/proto.c).
 */
#ifndef AEOGATE_PROTO_H
#define AEOGATE_PROTO_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The error codes of an ok:false reply and the HTTP status aeogate-web
 * answers each with (docs/control-socket.md, "Error codes"; docs/web.md).
 * csrf_failed is aeogate-web's own. A code not listed here is a 500.
 */
#define PROTO_ERROR_CODES(X)                                                                       \
	X("unauthenticated", 401)                                                                  \
	X("permission_denied", 403)                                                                \
	X("csrf_failed", 403)                                                                      \
	X("not_found", 404)                                                                        \
	X("invalid_argument", 400)                                                                 \
	X("bad_request", 400)                                                                      \
	X("bad_json", 400)                                                                         \
	X("too_deep", 400)                                                                         \
	X("already_exists", 409)                                                                   \
	X("failed_precondition", 409)                                                              \
	X("message_too_large", 413)                                                                \
	X("throttled", 429)                                                                        \
	X("unknown_op", 501)                                                                       \
	X("unavailable", 503)

/* The HTTP status of an error code (500 for NULL or a code not in the list). */
unsigned proto_error_http_status(const char *code);

/*
 * One request line: {"id":id,"op":op,"args":args,"token":token} in compact
 * JSON and its newline, args and token left out when NULL (args is
 * borrowed). The line starts headroom bytes into a new allocation (for a
 * writer that needs room in front, like lws_write's LWS_PRE): *ret_buf is
 * that allocation (the caller frees it), *ret_len the line's length with
 * its newline. -E2BIG when the line without its newline is longer than
 * AEOGATE_MSG_MAX (the controller's bound), -ENOMEM.
 */
int proto_request_format(int64_t id, const char *op, const json_t *args, const char *token,
			 size_t headroom, char **ret_buf, size_t *ret_len);

/* One line (len bytes, without its newline) as a JSON object: 0, or -EBADMSG. */
int proto_line_parse(const char *line, size_t len, json_t **ret);

/* A reply's parts, borrowed from the reply object. */
struct proto_reply {
	bool ok;
	const json_t *id;     /* NULL when absent */
	const json_t *result; /* ok: the result */
	const char *code;     /* not ok: error.code, NULL when absent or not a string */
	const char *message;  /* not ok: error.message, likewise */
};

/*
 * Splits a reply into its parts. Every part is filled in whatever the
 * reply holds; the return says whether it is a well-formed reply: 0, or
 * -EBADMSG when "ok" is not a boolean, an ok reply has no result, or a
 * refusal's error is not an object.
 */
int proto_reply_parse(const json_t *reply, struct proto_reply *ret);

/*
 * The frames of a stream (docs/control-socket.md, "Streams"): after the
 * reply of a streaming op, "N\n" and N bytes of data, again and again,
 * until "0\n"; then the trailer, one more reply line. A decoder is fed the
 * bytes as they arrive, in pieces of any size, and hands the data on; it
 * holds nothing but the count of a frame's bytes still to come.
 */
struct proto_frames {
	uint64_t left; /* data bytes of the current frame still to come */
	char head[24]; /* the length line being read */
	size_t head_len;
	bool done;	/* "0\n" was read: what follows is the trailer */
	uint64_t bytes; /* data bytes handed on so far */
};

/*
 * Feeds n bytes. data gets every data byte in order (a negative return
 * stops the decoder and is returned as is). Returns the bytes consumed,
 * fewer than n only once done (the rest is the trailer's), or -EBADMSG for
 * a length line that is not a decimal count of at most
 * AEOGATE_EXPORT_FRAME_MAX.
 */
long proto_frames_feed(struct proto_frames *f, const char *p, size_t n,
		       int (*data)(void *userdata, const char *p, size_t n), void *userdata);

#endif
