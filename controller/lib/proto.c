// SPDX-License-Identifier: MIT
/* The control socket's wire format for its clients (include/aeogate/proto.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "aeogate/limits.h"
#include "aeogate/proto.h"

unsigned proto_error_http_status(const char *code)
{
#define PROTO_ERROR_ROW(c, status) {c, status},
	static const struct {
		const char *code;
		unsigned status;
	} codes[] = {PROTO_ERROR_CODES(PROTO_ERROR_ROW)};
#undef PROTO_ERROR_ROW

	for (size_t i = 0; code && i < sizeof(codes) / sizeof(codes[0]); i++)
		if (strcmp(codes[i].code, code) == 0)
			return codes[i].status;
	return 500;
}

int proto_request_format(int64_t id, const char *op, const json_t *args, const char *token,
			 size_t headroom, char **ret_buf, size_t *ret_len)
{
	json_t *req = json_pack("{sI ss}", "id", (json_int_t)id, "op", op);
	char *text, *buf;
	size_t n;

	if (!req)
		return -ENOMEM;
	if ((args && json_object_set(req, "args", (json_t *)args) < 0) ||
	    (token && json_object_set_new(req, "token", json_string(token)) < 0)) {
		json_decref(req);
		return -ENOMEM;
	}
	text = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	if (!text)
		return -ENOMEM;
	n = strlen(text);
	/* The controller takes AEOGATE_MSG_MAX bytes before the newline. */
	if (n > AEOGATE_MSG_MAX) {
		free(text);
		return -E2BIG;
	}
	buf = malloc(headroom + n + 1);
	if (!buf) {
		free(text);
		return -ENOMEM;
	}
	memcpy(buf + headroom, text, n);
	buf[headroom + n] = '\n';
	free(text);
	*ret_buf = buf;
	*ret_len = n + 1;
	return 0;
}

int proto_line_parse(const char *line, size_t len, json_t **ret)
{
	json_error_t jerr;
	json_t *j = json_loadb(line, len, 0, &jerr);

	if (!json_is_object(j)) {
		json_decref(j);
		return -EBADMSG;
	}
	*ret = j;
	return 0;
}

int proto_reply_parse(const json_t *reply, struct proto_reply *ret)
{
	const json_t *ok = json_object_get(reply, "ok");
	const json_t *err = json_object_get(reply, "error");

	*ret = (struct proto_reply){
	    .ok = json_is_true(ok),
	    .id = json_object_get(reply, "id"),
	    .result = json_object_get(reply, "result"),
	    .code = json_string_value(json_object_get(err, "code")),
	    .message = json_string_value(json_object_get(err, "message")),
	};
	if (json_is_true(ok))
		return ret->result ? 0 : -EBADMSG;
	if (json_is_false(ok))
		return json_is_object(err) ? 0 : -EBADMSG;
	return -EBADMSG;
}

long proto_frames_feed(struct proto_frames *f, const char *p, size_t n,
		       int (*data)(void *userdata, const char *p, size_t n), void *userdata)
{
	size_t used = 0;

	while (used < n && !f->done) {
		if (f->left) {
			size_t take = n - used < f->left ? n - used : (size_t)f->left;
			int r = data(userdata, p + used, take);

			if (r < 0)
				return r;
			f->left -= take;
			f->bytes += take;
			used += take;
			continue;
		}
		/* A length line: digits and a newline. */
		if (p[used] != '\n') {
			if (p[used] < '0' || p[used] > '9' || f->head_len >= 10)
				return -EBADMSG;
			f->head[f->head_len++] = p[used++];
			continue;
		}
		used++;
		if (!f->head_len)
			return -EBADMSG;
		f->head[f->head_len] = '\0';
		f->left = strtoull(f->head, NULL, 10);
		f->head_len = 0;
		if (f->left > AEOGATE_EXPORT_FRAME_MAX)
			return -EBADMSG;
		if (!f->left)
			f->done = true;
	}
	return (long)used;
}
