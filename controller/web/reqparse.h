/* SPDX-License-Identifier: MIT */
/*
 * aeogate-web's request parsing, with no libwebsockets in it: the route
 * table and path matching, query arguments, the JSON body that becomes an
 * op's args, the static-file path check and the session cookie (the HTTP
 * status of a controller error is aeogate/proto.h's). http.c
 * feeds it what lws parsed; tests/fuzz/fuzz_web_request.c feeds it
 * arbitrary bytes.
 */
#ifndef AEOGATE_WEB_REQPARSE_H
#define AEOGATE_WEB_REQPARSE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "aeogate/limits.h"

#define WEB_COOKIE    "aeogate_session"
#define WEB_TOKEN_MAX 128

enum method { M_GET = 1, M_POST = 2 };

enum route_flag {
	R_ANON = 1 << 0,	/* no session needed (login) */
	R_BODY = 1 << 1,	/* the JSON body is the op's args */
	R_DEMO = 1 << 2,	/* only when system.status says demo */
	R_LOGIN = 1 << 3,	/* sets the cookie, hands out the CSRF token */
	R_LOGOUT = 1 << 4,	/* clears the cookie */
	R_ME = 1 << 5,		/* adds the CSRF token to the reply */
	R_ID = 1 << 6,		/* :id in the path → args.id */
	R_EXPORT = 1 << 7,	/* pages an export into a held file (exports.c) */
	R_DL_FILE = 1 << 8,	/* after whoami: the held export's file */
	R_DL_MANIFEST = 1 << 9, /* after whoami: the held export's manifest */
	R_REPORTS = 1 << 10,	/* after whoami: the reports there are, to roles that export */
	/* The people CSV (imports.c). */
	R_IMPORT = 1 << 14,	   /* the body is a CSV file, spooled, run as an import session */
	R_PEOPLE_EXPORT = 1 << 15, /* pages person.export into a CSV download */
	R_METRICS = 1 << 16,	   /* /metrics: its own access rule, Prometheus text (metrics.c) */
	/* The site plan (README "Site plan"). */
	R_UPLOAD = 1 << 17, /* the body is a PNG/JPEG image, sent in blob.* pieces, then the op */
	R_IMAGE = 1 << 18,  /* the reply's base64 data is answered as the image itself */
};

/*
 * One query argument, with lws_get_urlarg_by_name's contract: name_eq is
 * "name="; returns the value (inside buf) or NULL when absent or when the
 * name=value fragment does not fit buf.
 */
typedef const char *(*web_urlarg_fn)(void *ctx, const char *name_eq, char *buf, size_t len);

struct route {
	enum method method;
	const char *pattern; /* ":id" matches one identifier segment */
	const char *op;
	unsigned flags;
	/* Adds args from the query string; -1 when one is malformed. */
	int (*query)(web_urlarg_fn get, void *ctx, json_t *args);
};

/*
 * The route for a method and path (id receives :id), or NULL;
 * *ret_path_known tells whether the path matched under another method.
 */
const struct route *web_route_find(enum method m, const char *path, char *id, size_t idlen,
				   bool *ret_path_known);

/* What a request carries towards its op, once lws has parsed it. */
struct web_request {
	const struct route *route;
	const char *id;	  /* the captured :id (R_ID) */
	const char *body; /* may be NULL when body_len is 0 */
	size_t body_len;
	web_urlarg_fn urlarg;
	void *urlarg_ctx;
	const char *source; /* the peer, for login and logout */
};

/*
 * The op's args (a new reference to an object) from the body, :id, query
 * and source: 0, or -EINVAL/-ENOMEM with the response's status, error code
 * and message (static strings).
 */
int web_request_args(const struct web_request *rq, json_t **ret, unsigned *ret_status,
		     const char **ret_code, const char **ret_message);

/*
 * One request's lifecycle, as libwebsockets reports it, kept here without
 * lws so the fuzz target can drive it in every order lws uses. lws calls
 * LWS_CALLBACK_HTTP with the headers; a POST with Content-Length: 0 then
 * still gets an empty HTTP_BODY (in = NULL) and HTTP_BODY_COMPLETION, one
 * without Content-Length gets neither, and a GET that carries a body gets
 * both. A request reaches the controller only through web_rq_headers or
 * web_rq_body_done returning true, and they do so once per request at most:
 * both leave WEB_RQ_NEW / WEB_RQ_BODY for WEB_RQ_DISPATCHED, which nothing
 * leaves but web_rq_reset at the next request.
 */
enum web_rq_state {
	WEB_RQ_NEW,	   /* headers being checked */
	WEB_RQ_BODY,	   /* reading the body of a POST */
	WEB_RQ_DISPATCHED, /* its op is with the controller: the client has nothing more to add */
	WEB_RQ_ANSWERED,   /* a response is set; what is left of a body is dropped */
};

/* Per request; zero-initialized is a new request. */
struct web_rq {
	enum web_rq_state state;
	char *body; /* NUL-terminated; NULL until a byte arrives */
	size_t body_len;
};

/* Frees the body and starts a new request. */
void web_rq_reset(struct web_rq *rq);
/*
 * The headers passed their checks: true when the request is to be
 * dispatched now (a GET, or a POST whose Content-Length is 0 or absent),
 * false when it waits for its body. clen is the declared Content-Length.
 */
bool web_rq_headers(struct web_rq *rq, enum method m, long long clen);
/*
 * A piece of body: appended while the request reads one, ignored in any
 * other state (and when empty). -EMSGSIZE past AEOGATE_WEB_BODY_MAX,
 * -ENOMEM; the body is unchanged then.
 */
int web_rq_body(struct web_rq *rq, const void *in, size_t len);
/* The body is complete: true when the request is to be dispatched now. */
bool web_rq_body_done(struct web_rq *rq);
/* A response was set: nothing more is dispatched or read for this request. */
void web_rq_answered(struct web_rq *rq);

/*
 * Whom aeogate-web answers (DNS rebinding, cross-site requests): a Host
 * header must name the listen address and port, "localhost" when that
 * address is loopback, any IP address when it is a wildcard (0.0.0.0, ::)
 * or an interface name, or one of the allowed names; a browser's Origin
 * must moreover have the scheme that is served (http, or https under TLS).
 * A name resolved through DNS is never accepted unless it is allowed: that
 * is what a rebinding page would send.
 */
struct web_hosts {
	bool tls;
	unsigned port; /* the listen port */
	bool loopback; /* the listen address is loopback: "localhost" too */
	bool any_ip;   /* a wildcard or interface listen: any IP address */
	char listen[AEOGATE_WEB_HOST_NAME_MAX + 1]; /* lower case, IPv6 without brackets */
	unsigned n;
	struct {
		char name[AEOGATE_WEB_HOST_NAME_MAX + 1]; /* lower case */
		unsigned port;				  /* 0: the listen port */
	} allowed[AEOGATE_WEB_ALLOWED_HOSTS_MAX];
};

/* -EINVAL when addr is not a host name or address (brackets allowed for IPv6). */
int web_hosts_init(struct web_hosts *h, const char *addr, unsigned port, bool tls);
/*
 * Adds a comma-separated list of host or host:port (IPv6 in brackets).
 * -EINVAL for a malformed or empty entry, -E2BIG past
 * AEOGATE_WEB_ALLOWED_HOSTS_MAX; nothing is added then.
 */
int web_hosts_allow(struct web_hosts *h, const char *list);
/* The Host header's value (NULL when absent) names this server. */
bool web_host_ok(const struct web_hosts *h, const char *host);
/* An Origin header's value is this server: scheme://host[:port], nothing more. */
bool web_origin_ok(const struct web_hosts *h, const char *origin);

/*
 * A Content-Type header's value is application/json: the media type
 * exactly, in any case, with or without parameters (RFC 9110 8.3.1).
 */
bool web_content_type_json(const char *value);

/* A Content-Type header's value is text/csv, with or without parameters. */
bool web_content_type_csv(const char *value);

/* A Content-Type header's value is image/png or image/jpeg (with or without parameters). */
bool web_content_type_image(const char *value);

/* Only plain names: no "..", no hidden files, no encoded anything. */
bool web_static_path_ok(const char *path);

/* The Content-Type a static file is served with, by its extension; NULL: not served. */
const char *web_mime_for(const char *path);

/*
 * The headers every response carries (CSP, nosniff, no framing, no
 * referrer), for aeogate-web and aeogate-hub serve alike; names end in ':'.
 */
struct web_header {
	const char *name, *value;
};
extern const struct web_header web_security_headers[];
extern const size_t web_security_headers_n;

/* 64 lower-case hex digits. */
bool web_is_hex_token(const char *s, size_t len);

/* The session cookie's value out of a Cookie header; false when absent or malformed. */
bool web_cookie_token(const char *cookies, char *buf, size_t len);

#endif
