/* SPDX-License-Identifier: MIT */
/*
 * aeogate-web's request handling, up to the control-socket line it sends,
 * without libwebsockets: controller/web/reqparse.c is what http.c calls
 * once lws has parsed a request. The input is
 *
 *   <METHOD> <path>[?<query>] "\n" <Cookie header value> "\n" <body>
 *
 * Missing lines are empty. The path goes, as http.c's begin() sends it,
 * either to the static-file check or to the route table; a route's request
 * is built by web_request_args from the body (POST only, at most
 * AEOGATE_WEB_BODY_MAX as lws delivers it), the :id and the query, whose
 * arguments are looked up the way lws_get_urlarg_by_name (lws 4.1) does:
 * '&'-separated name=value fragments, %XX and '+' decoded, the search
 * stopping at a fragment too long for the caller's buffer. The request is
 * then framed as ctlc_send frames it and parsed as the controller's
 * handle_line parses it.
 *
 * Before that, the request goes through its lifecycle (web_rq) in each
 * order lws 4.1 calls http.c: the body declared with its Content-Length
 * and delivered whole or in pieces, an empty POST with Content-Length: 0
 * (lws then still calls HTTP_BODY with NULL, 0 and HTTP_BODY_COMPLETION),
 * a POST without Content-Length (no body callbacks, though lws may hand
 * over what follows on the connection as body), a GET that carries a body,
 * and a request answered before its body is read.
 *
 * What lws does first is not here (header parsing, its own URI
 * normalization), nor the export body, which exports.c checks when it
 * makes a temporary file (audit.export_begin is covered on the controller
 * side by fuzz_ctlsock).
 *
 * Checks: every order dispatches the request exactly once (none when it
 * was answered first or its body is over AEOGATE_WEB_BODY_MAX), with the
 * whole body when it waited for one, and nothing is appended after; a
 * captured :id is an identifier; a refused body or query gets a
 * 400 (or 500) with the code proto_error_http_status maps to it; an accepted one
 * gives args that are an object no deeper than the web's bound, with :id,
 * the login fields and the source where the route says; the framed line is
 * one line of JSON the controller accepts (an object, op, args, token,
 * nesting within AEOGATE_JSON_DEPTH_MAX); a static path that passes has no
 * "." or ".." segment and no empty one; a session cookie that is taken is
 * 64 hex digits; nothing crashes or leaks (ASan).
 */
#include <errno.h>
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "aeogate/proto.h"
#include "fuzz.h"
#include "reqparse.h"
#include "util.h"

/* As lws would hold them: the path, the query string and the Cookie header. */
#define URI_MAX	   4096
#define COOKIE_MAX 4096

struct query {
	char frags[URI_MAX]; /* decoded fragments, each NUL-terminated */
	size_t len[URI_MAX];
	size_t n;
};

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static void query_parse(struct query *q, const char *s, size_t n)
{
	size_t o = 0, start = 0;

	q->n = 0;
	for (size_t i = 0; i <= n && o < sizeof(q->frags) - 1; i++) {
		char c = i < n ? s[i] : '&';

		if (c == '&') {
			q->len[q->n++] = o - start;
			q->frags[o++] = '\0';
			start = o;
			continue;
		}
		if (c == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
			c = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
			i += 2;
		} else if (c == '+') {
			c = ' ';
		}
		q->frags[o++] = c;
	}
}

/* lws_get_urlarg_by_name over the fragments (web_urlarg_fn). */
static const char *urlarg(void *ctx, const char *name_eq, char *buf, size_t len)
{
	const struct query *q = ctx;
	const char *f = q->frags;
	size_t sl = strlen(name_eq);

	for (size_t i = 0; i < q->n; f += q->len[i] + 1, i++) {
		if (q->len[i] >= len)
			return NULL; /* lws_hdr_copy_fragment fails: the search ends */
		memcpy(buf, f, q->len[i]);
		buf[q->len[i]] = '\0';
		if (!strncmp(buf, name_eq, sl))
			return buf + sl;
	}
	return NULL;
}

/* Cuts the next line off *p (up to n bytes) into a C string of at most cap-1 bytes. */
static size_t take_line(const uint8_t **p, size_t *n, char *out, size_t cap)
{
	const uint8_t *nl = memchr(*p, '\n', *n);
	size_t len = nl ? (size_t)(nl - *p) : *n, k = len < cap - 1 ? len : cap - 1;

	memcpy(out, *p, k);
	out[k] = '\0';
	*p += nl ? len + 1 : len;
	*n -= nl ? len + 1 : len;
	return k;
}

static bool id_chars(const char *s)
{
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '.' || *s == '_' || *s == '-'))
			return false;
	return true;
}

/* The static-file check: what passes resolves inside the root. */
static void check_static(const char *path)
{
	const char *seg, *next;

	if (strcmp(path, "/") == 0)
		path = "/index.html";
	if (!web_static_path_ok(path))
		return;
	CHECK(path[0] == '/' && strlen(path) <= 256);
	for (seg = path + 1; seg; seg = next ? next + 1 : NULL) {
		size_t n;

		next = strchr(seg, '/');
		n = next ? (size_t)(next - seg) : strlen(seg);
		CHECK(n > 0 || !next); /* no empty segment but a trailing one */
		CHECK(seg[0] != '.');  /* neither ".", ".." nor a hidden file */
		for (size_t i = 0; i < n; i++)
			CHECK(seg[i] != '%' && seg[i] != '\\');
	}
	CHECK(!strstr(path, ".."));
}

/* The line ctlc_send writes, parsed as the controller's handle_line parses it. */
static void check_line(const char *op, json_t *args, const char *token)
{
	json_t *req = json_object(), *msg;
	json_error_t err;
	char *line;
	size_t n;

	CHECK(req);
	json_object_set_new(req, "id", json_integer(1));
	json_object_set_new(req, "op", json_string(op));
	json_object_set(req, "args", args);
	if (token)
		json_object_set_new(req, "token", json_string(token));
	line = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	CHECK(line);
	n = strlen(line);
	CHECK(!memchr(line, '\n', n)); /* one line: the framing holds */
	/* Over AEOGATE_MSG_MAX ctlc_send refuses it (a 500); it is still valid JSON. */
	msg = json_loadb(line, n, JSON_REJECT_DUPLICATES, &err);
	if (!msg)
		fprintf(stderr, "the controller cannot parse: %s (%s)\n", line, err.text);
	CHECK(json_is_object(msg));
	CHECK(util_json_depth(msg) <= AEOGATE_JSON_DEPTH_MAX);
	CHECK(json_is_string(json_object_get(msg, "op")));
	CHECK(json_is_object(json_object_get(msg, "args")));
	CHECK(json_equal(json_object_get(msg, "args"), args));
	json_decref(msg);
	free(line);
}

/* How lws delivers a request's body to http.c. */
enum schedule {
	S_LENGTH,    /* Content-Length: body_len, the body in one piece */
	S_PIECES,    /* the same, in pieces */
	S_NO_LENGTH, /* no Content-Length: dispatched at once, later bytes are no body of its */
	S_ANSWERED,  /* refused at the headers (401, 403, 415...), then the body arrives */
	S_SCHEDULES,
};

/* Feeds body to rq in pieces of at most piece bytes; false when it was refused as too large. */
static bool feed(struct web_rq *rq, const uint8_t *body, size_t body_len, size_t piece)
{
	for (size_t off = 0; off < body_len; off += piece) {
		size_t n = body_len - off < piece ? body_len - off : piece;
		size_t before = rq->body_len;
		int r = web_rq_body(rq, body + off, n);

		if (r == -EMSGSIZE) {
			/* http.c answers 413: the request ends here. */
			CHECK(rq->state == WEB_RQ_BODY && rq->body_len == before);
			web_rq_answered(rq);
			return false;
		}
		CHECK(r == 0);
		if (rq->state == WEB_RQ_BODY)
			CHECK(rq->body_len == before + n && rq->body_len <= AEOGATE_WEB_BODY_MAX);
		else
			CHECK(rq->body_len == before); /* dispatched or answered: nothing more */
	}
	return true;
}

/*
 * Runs one schedule; *ret_dispatches counts what would reach the
 * controller, and rq holds the body the request is dispatched with.
 */
static void lifecycle(struct web_rq *rq, enum method m, enum schedule sch, const uint8_t *body,
		      size_t body_len, unsigned *ret_dispatches)
{
	unsigned d = 0;
	bool fits;

	web_rq_reset(rq);
	CHECK(rq->state == WEB_RQ_NEW && !rq->body && rq->body_len == 0);
	switch (sch) {
	case S_LENGTH:
	case S_PIECES:
		d += web_rq_headers(rq, m, (long long)body_len);
		if (m == M_POST && body_len == 0) {
			d += web_rq_body(rq, NULL, 0) == 0 && web_rq_body_done(rq);
			break;
		}
		fits = feed(rq, body, body_len, sch == S_PIECES ? 1 + body_len / 3 : body_len);
		if (body_len)
			d += web_rq_body_done(rq);
		if (!fits)
			CHECK(m == M_POST && body_len > AEOGATE_WEB_BODY_MAX);
		break;
	case S_NO_LENGTH:
		d += web_rq_headers(rq, m, 0);
		feed(rq, body, body_len, body_len ? body_len : 1);
		break;
	case S_ANSWERED:
		web_rq_answered(rq);
		d += web_rq_headers(rq, m, (long long)body_len);
		feed(rq, body, body_len, body_len ? body_len : 1);
		d += web_rq_body(rq, NULL, 0) == 0 && web_rq_body_done(rq);
		break;
	default:
		abort();
	}
	/* Whatever else lws calls now changes nothing. */
	CHECK(web_rq_body(rq, "x", 1) == 0);
	d += web_rq_body_done(rq);
	d += web_rq_headers(rq, m, 0);
	*ret_dispatches = d;
}

static void check_route(enum method m, const char *path, const struct query *q, const uint8_t *body,
			size_t body_len, const char *token)
{
	char id[AEOGATE_ID_MAX + 1] = "";
	const struct route *r;
	struct web_request rq;
	struct web_rq life = {0};
	const char *code = NULL, *message = NULL;
	unsigned status = 0, dispatches;
	json_t *args;
	bool known;
	int ret;

	r = web_route_find(m, path, id, sizeof(id), &known);
	if (!r)
		return; /* 404, or 405 when known */
	CHECK(known && r->method == m && r->op);
	if (r->flags & R_ID)
		CHECK(strlen(id) >= 1 && strlen(id) <= AEOGATE_ID_MAX && id_chars(id));

	for (enum schedule sch = S_PIECES; sch < S_SCHEDULES; sch++) {
		lifecycle(&life, m, sch, body, body_len, &dispatches);
		if (sch == S_ANSWERED)
			CHECK(dispatches == 0);
		else if (sch == S_NO_LENGTH)
			CHECK(dispatches == 1 && life.body_len == 0);
		else if (m == M_POST && body_len > AEOGATE_WEB_BODY_MAX)
			CHECK(dispatches == 0);
		else
			CHECK(dispatches == 1);
	}
	/* The request as http.c dispatches it: the body lws declared and delivered whole. */
	lifecycle(&life, m, S_LENGTH, body, body_len, &dispatches);
	if (dispatches == 0) {
		web_rq_reset(&life);
		return; /* 413 */
	}
	CHECK(dispatches == 1 && life.state == WEB_RQ_DISPATCHED);
	/* A GET dispatches before any body; a POST with the whole of it. */
	CHECK(life.body_len == (m == M_GET ? 0 : body_len));
	CHECK(!life.body_len ||
	      (life.body[body_len] == '\0' && !memcmp(life.body, body, body_len)));

	rq = (struct web_request){
	    .route = r,
	    .id = id,
	    .body = life.body,
	    .body_len = life.body_len,
	    .urlarg = urlarg,
	    .urlarg_ctx = (void *)q,
	    .source = "192.0.2.1",
	};
	ret = web_request_args(&rq, &args, &status, &code, &message);
	web_rq_reset(&life);
	if (ret < 0) {
		CHECK(!args);
		CHECK(ret == -EINVAL || ret == -ENOMEM);
		CHECK(status == 400 || status == 500);
		CHECK(code && message && proto_error_http_status(code) == status);
		return;
	}
	CHECK(json_is_object(args));
	CHECK(util_json_depth(args) <= AEOGATE_JSON_DEPTH_MAX - 2);
	if (r->flags & R_ID)
		CHECK(!strcmp(json_string_value(json_object_get(args, "id")), id));
	if (r->flags & R_LOGIN) {
		CHECK(json_object_size(args) == 3);
		CHECK(json_is_string(json_object_get(args, "username")));
		CHECK(json_is_string(json_object_get(args, "password")));
	}
	if (r->flags & (R_LOGIN | R_LOGOUT))
		CHECK(!strcmp(json_string_value(json_object_get(args, "source")), "192.0.2.1"));
	if (!(r->flags & (R_BODY | R_ID | R_LOGOUT)) && !r->query)
		CHECK(json_object_size(args) == 0);
	check_line(r->op, args, (r->flags & R_ANON) ? NULL : token);
	json_decref(args);
}

/*
 * The header line also as a Host, Origin and Content-Type value: what
 * passes names the listen address (127.0.0.1:8080 or localhost) or an
 * allowed name, and an accepted Host is an accepted Origin with the
 * served scheme and no other.
 */
static void check_headers(const char *v)
{
	static struct web_hosts h;
	static bool ready;
	char origin[COOKIE_MAX + 16];
	const char *t = v + strspn(v, " \t");

	if (!ready) {
		CHECK(web_hosts_init(&h, "127.0.0.1", 8080, false) == 0);
		CHECK(web_hosts_allow(&h, "dash.example,other.example:9443") == 0);
		ready = true;
	}
	if (web_host_ok(&h, v)) {
		CHECK(!strncasecmp(v, "127.0.0.1:8080", 14) ||
		      !strncasecmp(v, "localhost:8080", 14) ||
		      !strncasecmp(v, "dash.example:8080", 17) ||
		      !strncasecmp(v, "other.example:9443", 18));
		CHECK(!strchr(v, '/') && !strchr(v, '@') && !strchr(v, ' '));
		snprintf(origin, sizeof(origin), "http://%s", v);
		CHECK(web_origin_ok(&h, origin));
		snprintf(origin, sizeof(origin), "https://%s", v);
		CHECK(!web_origin_ok(&h, origin));
	}
	if (web_origin_ok(&h, v))
		CHECK(!strncasecmp(v, "http://", 7) && web_host_ok(&h, v + 7));
	if (web_content_type_json(v))
		CHECK(!strncasecmp(t, "application/json", 16) &&
		      (t[16 + strspn(t + 16, " \t")] == '\0' ||
		       t[16 + strspn(t + 16, " \t")] == ';'));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char reqline[URI_MAX + 16], cookie[COOKIE_MAX];
	static struct query q;
	char token[WEB_TOKEN_MAX + 1];
	const char *path, *qs;
	enum method m = 0;

	if (size > AEOGATE_WEB_BODY_MAX + URI_MAX + COOKIE_MAX)
		return 0;
	take_line(&data, &size, reqline, sizeof(reqline));
	take_line(&data, &size, cookie, sizeof(cookie));

	if (!strncmp(reqline, "GET ", 4))
		m = M_GET;
	else if (!strncmp(reqline, "POST ", 5))
		m = M_POST;
	path = strchr(reqline, ' ');
	path = path ? path + 1 : reqline;
	qs = strchr(path, '?');
	if (qs) {
		reqline[qs - reqline] = '\0';
		qs++;
		query_parse(&q, qs, strlen(qs));
	} else {
		q.n = 0;
	}

	if (web_cookie_token(cookie, token, sizeof(token)))
		CHECK(strlen(token) == 64 && web_is_hex_token(token, 64));
	else
		snprintf(token, sizeof(token), "%064d", 0);
	/* Too small for a token: refused, never overrun. */
	{
		char small[64];

		CHECK(!web_cookie_token(cookie, small, sizeof(small)));
	}

	check_headers(cookie);

	if (strncmp(path, "/api/", 5) != 0 && strcmp(path, "/api") != 0) {
		check_static(path);
		return 0;
	}
	check_route(m, path, &q, data, size, token);
	return 0;
}
