/* SPDX-License-Identifier: MIT */
/*
 * The libwebsockets side of answering HTTP that aeogate-web and
 * aeogate-hub serve share: the headers every response carries, a static
 * file from a ui root, and a body sent in pieces from the writeable
 * callback. The rules themselves (paths, types, headers) are reqparse.c's.
 */
#ifndef AEOGATE_WEB_LWSHTTP_H
#define AEOGATE_WEB_LWSHTTP_H

#include <libwebsockets.h>
#include <stdbool.h>
#include <stddef.h>

/* A body goes out in pieces of this size so one large answer cannot hog the loop. */
#define WEB_BODY_CHUNK 16384

/*
 * Adds web_security_headers and cache-control (no-store for the API,
 * no-cache for files): 0, or -1 when the buffer is full.
 */
int web_add_common_headers(struct lws *wsi, unsigned char **p, unsigned char *end, bool api);

/*
 * Serves root/path (root a realpath; "/" is not mapped here) when the path
 * is a plain name of a served type and resolves to a regular file inside
 * root no larger than AEOGATE_WEB_STATIC_FILE_MAX: 0 when it is being sent,
 * -ENOENT when there is no such file to serve (the caller answers 404),
 * -1 to hang up.
 */
int web_static_serve(struct lws *wsi, const char *root, const char *path);

/*
 * Writes the next piece of a body held at buf + LWS_PRE (len bytes, *off
 * sent so far), the last one as LWS_WRITE_HTTP_FINAL: 1 when the body is
 * all sent, 0 when more remains (writeable is asked for again), -1 when
 * the connection failed.
 */
int web_body_write(struct lws *wsi, unsigned char *buf, size_t len, size_t *off);

#endif
