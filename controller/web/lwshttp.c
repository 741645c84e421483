/* SPDX-License-Identifier: MIT */
/* HTTP answers with libwebsockets, shared by aeogate-web and aeogate-hub serve (lwshttp.h). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lwshttp.h"
#include "reqparse.h"

int web_add_common_headers(struct lws *wsi, unsigned char **p, unsigned char *end, bool api)
{
	const char *cache = api ? "no-store" : "no-cache";

	for (size_t i = 0; i < web_security_headers_n; i++)
		if (lws_add_http_header_by_name(
			wsi, (const unsigned char *)web_security_headers[i].name,
			(const unsigned char *)web_security_headers[i].value,
			(int)strlen(web_security_headers[i].value), p, end))
			return -1;
	return lws_add_http_header_by_name(
	    wsi, (const unsigned char *)"cache-control:", (const unsigned char *)cache,
	    (int)strlen(cache), p, end);
}

int web_static_serve(struct lws *wsi, const char *root, const char *path)
{
	unsigned char hdr[1024], *q = hdr, *end = hdr + sizeof(hdr);
	char full[PATH_MAX], real[PATH_MAX];
	size_t rootlen = strlen(root);
	const char *mime;
	struct stat st;
	int n;

	if (!web_static_path_ok(path) || !(mime = web_mime_for(path)))
		return -ENOENT;
	if (snprintf(full, sizeof(full), "%s%s", root, path) >= (int)sizeof(full))
		return -ENOENT;
	/* The resolved file must still be inside the root (no symlink escapes). */
	if (!realpath(full, real) || strncmp(real, root, rootlen) != 0 || real[rootlen] != '/')
		return -ENOENT;
	if (stat(real, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > AEOGATE_WEB_STATIC_FILE_MAX)
		return -ENOENT;
	if (web_add_common_headers(wsi, &q, end, false))
		return -1;
	n = lws_serve_http_file(wsi, real, mime, (const char *)hdr, (int)(q - hdr));
	if (n < 0 || (n > 0 && lws_http_transaction_completed(wsi)))
		return -1;
	return 0;
}

int web_body_write(struct lws *wsi, unsigned char *buf, size_t len, size_t *off)
{
	size_t n = len - *off;
	bool last;

	if (n > WEB_BODY_CHUNK)
		n = WEB_BODY_CHUNK;
	last = *off + n == len;
	if (lws_write(wsi, buf + LWS_PRE + *off, n, last ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) <
	    (int)n)
		return -1;
	*off += n;
	if (!last) {
		lws_callback_on_writable(wsi);
		return 0;
	}
	return 1;
}
