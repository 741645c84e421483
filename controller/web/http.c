/* SPDX-License-Identifier: MIT */
/*
 * HTTP: the /api routes, each one control-socket op carrying the session
 * token, and the static files of ui/. The controller authorizes; here we
 * check only sizes, CSRF and that a session cookie is present.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "web.h"

#define CSP                                                                                        \
	"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "          \
	"connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

/* Bodies go out in pieces so one large events page cannot hog the loop. */
#define CHUNK 16384

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
};

struct pss;

struct route {
	enum method method;
	const char *pattern; /* ":id" matches one identifier segment */
	const char *op;
	unsigned flags;
	int (*query)(struct pss *p, json_t *args); /* adds args from the query string */
};

/* Per HTTP connection; reset at the start of each request (keep-alive). */
struct pss {
	struct lws *wsi;
	const struct route *route;
	char id[AEOGATE_ID_MAX + 1];
	char token[WEB_TOKEN_MAX + 1];
	bool has_token;
	char source[AEOGATE_LOGIN_SOURCE_MAX + 1];
	char *body;
	size_t body_len;
	bool rejecting; /* answered early; ignore the rest of the body */
	struct ctlc *ctl;
	json_t *pending_args; /* the real op's args while the demo check runs */
	struct wexport *exp;  /* an export being produced (R_EXPORT) */
	int step;
	/* The response. */
	bool responding;
	bool headers_sent;
	bool close_after;
	unsigned status;
	unsigned char *resp; /* LWS_PRE headroom, then resp_len bytes (or a chunk of the file) */
	size_t resp_len, resp_off;
	bool file_open; /* the body is read from file_fd, not resp */
	int file_fd;
	const char *ctype;     /* NULL: application/json */
	char disposition[160]; /* Content-Disposition, when a download */
	char set_cookie[256];
	long retry_after;
};

size_t http_pss_size(void)
{
	return sizeof(struct pss);
}

static int q_events(struct pss *p, json_t *args);
static int q_persons(struct pss *p, json_t *args);
static int q_badges(struct pss *p, json_t *args);
static int q_alarms(struct pss *p, json_t *args);

static const struct route routes[] = {
    {M_POST, "/api/login", "auth.login", R_ANON | R_BODY | R_LOGIN, NULL},
    {M_POST, "/api/logout", "auth.logout", R_LOGOUT, NULL},
    {M_GET, "/api/me", "auth.whoami", R_ME, NULL},
    {M_GET, "/api/status", "system.status", 0, NULL},
    {M_GET, "/api/events", "events.list", 0, q_events},
    {M_GET, "/api/doors", "door.list", 0, NULL},
    {M_GET, "/api/readers", "reader.list", 0, NULL},
    {M_GET, "/api/zones", "zone.list", 0, NULL},
    {M_GET, "/api/levels", "level.list", 0, NULL},
    {M_POST, "/api/levels", "level.add", R_BODY, NULL},
    {M_POST, "/api/levels/update", "level.update", R_BODY, NULL},
    {M_POST, "/api/levels/remove", "level.remove", R_BODY, NULL},
    {M_GET, "/api/persons", "person.list", 0, q_persons},
    {M_POST, "/api/persons", "person.add", R_BODY, NULL},
    {M_GET, "/api/persons/:id", "person.show", R_ID, NULL},
    {M_POST, "/api/persons/:id/suspend", "person.suspend", R_ID, NULL},
    {M_POST, "/api/persons/:id/reinstate", "person.reinstate", R_ID, NULL},
    {M_POST, "/api/persons/:id/terminate", "person.terminate", R_ID, NULL},
    {M_POST, "/api/persons/:id/update", "person.update", R_ID | R_BODY, NULL},
    {M_GET, "/api/badges", "badge.list", 0, q_badges},
    {M_POST, "/api/badges", "badge.issue", R_BODY, NULL},
    {M_POST, "/api/badges/revoke", "badge.revoke", R_BODY, NULL},
    {M_POST, "/api/badges/suspend", "badge.suspend", R_BODY, NULL},
    {M_POST, "/api/badges/lost", "badge.lost", R_BODY, NULL},
    {M_POST, "/api/badges/return", "badge.return", R_BODY, NULL},
    {M_POST, "/api/badges/reinstate", "badge.reinstate", R_BODY, NULL},
    {M_GET, "/api/alarms", "alarm.list", 0, q_alarms},
    {M_POST, "/api/alarms/ack", "alarm.ack", R_BODY, NULL},
    {M_POST, "/api/alarms/close", "alarm.close", R_BODY, NULL},
    {M_GET, "/api/reports", "auth.whoami", R_REPORTS, NULL},
    {M_POST, "/api/exports", "audit.export_begin", R_BODY | R_EXPORT, NULL},
    {M_GET, "/api/exports/:id/file", "auth.whoami", R_DL_FILE, NULL},
    {M_GET, "/api/exports/:id/manifest", "auth.whoami", R_DL_MANIFEST, NULL},
    {M_GET, "/api/users", "user.list", 0, NULL},
    {M_POST, "/api/users", "user.add", R_BODY, NULL},
    {M_POST, "/api/sim/present", "sim.present", R_BODY | R_DEMO, NULL},
    {M_POST, "/api/sim/door", "sim.door", R_BODY | R_DEMO, NULL},
    {M_POST, "/api/sim/rex", "sim.rex", R_BODY | R_DEMO, NULL},
};

unsigned web_status_for(const char *code)
{
	static const struct {
		const char *code;
		unsigned status;
	} map[] = {
	    {"unauthenticated", 401},	{"permission_denied", 403},
	    {"csrf_failed", 403},	{"not_found", 404},
	    {"invalid_argument", 400},	{"bad_request", 400},
	    {"bad_json", 400},		{"too_deep", 400},
	    {"already_exists", 409},	{"failed_precondition", 409},
	    {"message_too_large", 413}, {"throttled", 429},
	    {"unknown_op", 501},	{"unavailable", 503},
	};

	for (size_t i = 0; code && i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(map[i].code, code) == 0)
			return map[i].status;
	return 500;
}

static bool is_hex_token(const char *s, size_t len)
{
	if (len != 64)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

bool web_session_cookie(struct lws *wsi, char *buf, size_t len)
{
	char cookies[4096];
	const char *p;
	int n;

	n = lws_hdr_copy(wsi, cookies, sizeof(cookies), WSI_TOKEN_HTTP_COOKIE);
	if (n <= 0)
		return false;
	for (p = cookies; p && *p;) {
		const char *end;
		size_t vlen;

		while (*p == ' ' || *p == ';')
			p++;
		end = strchr(p, ';');
		if (strncmp(p, WEB_COOKIE "=", sizeof(WEB_COOKIE)) == 0) {
			const char *v = p + sizeof(WEB_COOKIE);

			vlen = end ? (size_t)(end - v) : strlen(v);
			if (!is_hex_token(v, vlen) || vlen >= len)
				return false;
			memcpy(buf, v, vlen);
			buf[vlen] = '\0';
			return true;
		}
		p = end;
	}
	return false;
}

/* Adds the headers every response carries. */
static int add_security_headers(struct lws *wsi, unsigned char **p, unsigned char *end, bool api)
{
	static const struct {
		const char *name, *value;
	} h[] = {
	    {"content-security-policy:", CSP},
	    {"x-content-type-options:", "nosniff"},
	    {"referrer-policy:", "no-referrer"},
	    {"x-frame-options:", "DENY"},
	    {"cross-origin-opener-policy:", "same-origin"},
	};

	for (size_t i = 0; i < sizeof(h) / sizeof(h[0]); i++)
		if (lws_add_http_header_by_name(wsi, (const unsigned char *)h[i].name,
						(const unsigned char *)h[i].value,
						(int)strlen(h[i].value), p, end))
			return -1;
	return lws_add_http_header_by_name(wsi, (const unsigned char *)"cache-control:",
					   (const unsigned char *)(api ? "no-store" : "no-cache"),
					   api ? 8 : 8, p, end);
}

static int respond_text(struct pss *p, unsigned status, char *text)
{
	size_t n = strlen(text);

	free(p->resp);
	p->resp = malloc(LWS_PRE + n);
	if (!p->resp) {
		free(text);
		p->close_after = true;
		lws_set_timeout(p->wsi, PENDING_TIMEOUT_HTTP_CONTENT, LWS_TO_KILL_ASYNC);
		return 0;
	}
	memcpy(p->resp + LWS_PRE, text, n);
	free(text);
	p->resp_len = n;
	p->resp_off = 0;
	p->status = status;
	p->responding = true;
	p->headers_sent = false;
	lws_set_timeout(p->wsi, NO_PENDING_TIMEOUT, 0);
	lws_callback_on_writable(p->wsi);
	return 0;
}

/* Responds with a JSON value (stolen). */
static int respond_json(struct pss *p, unsigned status, json_t *v)
{
	char *text = v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;

	json_decref(v);
	return respond_text(
	    p, text ? status : 500,
	    text ? text : strdup("{\"error\":{\"code\":\"internal\",\"message\":\"oom\"}}"));
}

static int respond_error(struct pss *p, unsigned status, const char *code, const char *message)
{
	return respond_json(p, status,
			    json_pack("{s:{s:s, s:s}}", "error", "code", code, "message", message));
}

static int write_headers(struct pss *p)
{
	unsigned char buf[LWS_PRE + 2048], *start = buf + LWS_PRE, *q = start,
					   *end = buf + sizeof(buf) - 1;
	char ra[24];

	if (lws_add_http_common_headers(p->wsi, p->status, p->ctype ? p->ctype : "application/json",
					p->resp_len, &q, end))
		return -1;
	if (add_security_headers(p->wsi, &q, end, true))
		return -1;
	if (p->disposition[0] &&
	    lws_add_http_header_by_name(p->wsi, (const unsigned char *)"content-disposition:",
					(const unsigned char *)p->disposition,
					(int)strlen(p->disposition), &q, end))
		return -1;
	if (p->set_cookie[0] &&
	    lws_add_http_header_by_name(
		p->wsi, (const unsigned char *)"set-cookie:", (const unsigned char *)p->set_cookie,
		(int)strlen(p->set_cookie), &q, end))
		return -1;
	if (p->retry_after > 0) {
		snprintf(ra, sizeof(ra), "%ld", p->retry_after);
		if (lws_add_http_header_by_name(
			p->wsi, (const unsigned char *)"retry-after:", (const unsigned char *)ra,
			(int)strlen(ra), &q, end))
			return -1;
	}
	if (p->close_after &&
	    lws_add_http_header_by_name(p->wsi, (const unsigned char *)"connection:",
					(const unsigned char *)"close", 5, &q, end))
		return -1;
	return lws_finalize_write_http_header(p->wsi, start, &q, end) ? -1 : 0;
}

static void request_reset(struct pss *p)
{
	ctlc_close(p->ctl);
	p->ctl = NULL;
	json_decref(p->pending_args);
	p->pending_args = NULL;
	free(p->body);
	p->body = NULL;
	p->body_len = 0;
	free(p->resp);
	p->resp = NULL;
	p->resp_len = p->resp_off = 0;
	wexport_abandon(p->exp);
	p->exp = NULL;
	if (p->file_open)
		close(p->file_fd);
	p->file_open = false;
	p->ctype = NULL;
	p->disposition[0] = '\0';
	p->route = NULL;
	p->has_token = false;
	explicit_bzero(p->token, sizeof(p->token));
	p->id[0] = p->source[0] = p->set_cookie[0] = '\0';
	p->rejecting = p->responding = p->headers_sent = p->close_after = false;
	p->retry_after = 0;
	p->step = 0;
}

/* Matches path against a route pattern; captures :id. */
static bool pattern_match(const char *pattern, const char *path, char *id, size_t idlen)
{
	while (*pattern && *path) {
		if (strncmp(pattern, ":id", 3) == 0) {
			size_t n = strcspn(path, "/");

			if (n == 0 || n >= idlen)
				return false;
			for (size_t i = 0; i < n; i++) {
				char c = path[i];

				if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
				      (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
					return false;
			}
			memcpy(id, path, n);
			id[n] = '\0';
			pattern += 3;
			path += n;
			continue;
		}
		if (*pattern != *path)
			return false;
		pattern++;
		path++;
	}
	return !*pattern && !*path;
}

static const struct route *route_find(enum method m, const char *path, char *id, size_t idlen,
				      bool *ret_path_known)
{
	*ret_path_known = false;
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		if (!pattern_match(routes[i].pattern, path, id, idlen))
			continue;
		*ret_path_known = true;
		if (routes[i].method == m)
			return &routes[i];
	}
	return NULL;
}

/* An integer query argument; 1 when absent, -1 when malformed. */
static int query_int(struct pss *p, const char *name_eq, json_t *args, const char *key)
{
	char buf[64];
	const char *v = lws_get_urlarg_by_name(p->wsi, name_eq, buf, sizeof(buf));
	char *end;
	long long n;

	if (!v)
		return 1;
	errno = 0;
	n = strtoll(v, &end, 10);
	if (!*v || *end || errno || n < 0)
		return -1;
	json_object_set_new(args, key, json_integer(n));
	return 0;
}

static int query_id(struct pss *p, const char *name_eq, json_t *args, const char *key)
{
	char buf[AEOGATE_ID_MAX + 16];
	const char *v = lws_get_urlarg_by_name(p->wsi, name_eq, buf, sizeof(buf));

	if (!v)
		return 1;
	if (!*v || strlen(v) > AEOGATE_ID_MAX)
		return -1;
	json_object_set_new(args, key, json_string(v));
	return 0;
}

static int q_events(struct pss *p, json_t *args)
{
	if (query_int(p, "since=", args, "since") < 0 || query_int(p, "limit=", args, "limit") < 0)
		return -1;
	return 0;
}

static int q_persons(struct pss *p, json_t *args)
{
	if (query_id(p, "after=", args, "after") < 0 || query_int(p, "limit=", args, "limit") < 0)
		return -1;
	return 0;
}

static int q_badges(struct pss *p, json_t *args)
{
	return query_id(p, "person=", args, "person") < 0 ? -1 : 0;
}

static int q_alarms(struct pss *p, json_t *args)
{
	/* lws copies name=value into buf: a value too long for it reads as absent. */
	char buf[64];
	const char *v = lws_get_urlarg_by_name(p->wsi, "open=", buf, sizeof(buf));

	if (v) {
		if (!strcmp(v, "1") || !strcmp(v, "true"))
			json_object_set_new(args, "open", json_true());
		else if (!strcmp(v, "0") || !strcmp(v, "false"))
			json_object_set_new(args, "open", json_false());
		else
			return -1;
	}
	if (query_int(p, "after=", args, "after") < 0 || query_int(p, "limit=", args, "limit") < 0)
		return -1;
	return 0;
}

static size_t json_depth(json_t *v)
{
	size_t max = 0, d;
	const char *key;
	json_t *child;
	size_t i;

	if (json_is_object(v)) {
		json_object_foreach(v, key, child)
		{
			d = json_depth(child);
			if (d > max)
				max = d;
		}
		return max + 1;
	}
	if (json_is_array(v)) {
		json_array_foreach(v, i, child)
		{
			d = json_depth(child);
			if (d > max)
				max = d;
		}
		return max + 1;
	}
	return 0;
}

static void ctl_line(void *owner, json_t *msg);
static void ctl_closed(void *owner);

static const struct ctlc_ops http_ctl_ops = {
    .line = ctl_line,
    .closed = ctl_closed,
};

static int dispatch(struct pss *p)
{
	const struct route *r = p->route;
	json_t *args = NULL;
	int ret;

	if (p->body_len || (r->flags & R_BODY)) {
		json_error_t err;

		args =
		    json_loadb(p->body ? p->body : "", p->body_len, JSON_REJECT_DUPLICATES, &err);
		if (!json_is_object(args)) {
			json_decref(args);
			return respond_error(p, 400, "bad_json", "the body must be a JSON object");
		}
		/* Requests are flat; the controller bounds nesting at 8 levels. */
		if (json_depth(args) > AEOGATE_JSON_DEPTH_MAX - 2) {
			json_decref(args);
			return respond_error(p, 400, "too_deep", "the body is nested too deeply");
		}
		if (!(r->flags & R_BODY)) {
			json_decref(args);
			args = NULL;
		}
	}
	free(p->body);
	p->body = NULL;
	p->body_len = 0;
	if (!args)
		args = json_object();
	if (!args)
		return respond_error(p, 500, "internal", "out of memory");
	if (r->flags & R_ID)
		json_object_set_new(args, "id", json_string(p->id));
	if (r->query && r->query(p, args) < 0) {
		json_decref(args);
		return respond_error(p, 400, "invalid_argument", "malformed query argument");
	}
	if (r->flags & R_LOGIN) {
		json_t *u = json_object_get(args, "username"),
		       *pw = json_object_get(args, "password");
		json_t *la;

		if (!json_is_string(u) || !json_is_string(pw)) {
			json_decref(args);
			return respond_error(p, 400, "invalid_argument",
					     "username and password are required");
		}
		la = json_pack("{s:O, s:O, s:s}", "username", u, "password", pw, "source",
			       p->source);
		json_decref(args);
		args = la;
		if (!args)
			return respond_error(p, 500, "internal", "out of memory");
	}
	if (r->flags & R_LOGOUT)
		json_object_set_new(args, "source", json_string(p->source));
	if (r->flags & R_EXPORT) {
		char err[200] = "";

		ret = wexport_new(p->token, args, &p->exp, err, sizeof(err));
		json_decref(args);
		args = NULL;
		if (ret == -EINVAL)
			return respond_error(p, 400, "invalid_argument", err);
		if (ret == -EBUSY)
			return respond_error(p, 503, "unavailable",
					     "too many exports are held for download; try again "
					     "in a few minutes");
		if (ret < 0)
			return respond_error(p, 500, "internal",
					     err[0] ? err : "cannot start the export");
	}

	if (ctlc_count() >= AEOGATE_WEB_INFLIGHT_MAX) {
		json_decref(args);
		return respond_error(p, 503, "unavailable", "too many requests in flight");
	}
	ret = ctlc_open(lws_get_vhost(p->wsi), &http_ctl_ops, p, &p->ctl);
	if (ret < 0) {
		json_decref(args);
		p->ctl = NULL;
		return respond_error(p, 503, "unavailable", "the controller is not reachable");
	}
	if (r->flags & R_DEMO) {
		p->pending_args = args;
		p->step = 0;
		ret = ctlc_send(p->ctl, "system.status", NULL, p->token);
	} else if (r->flags & R_EXPORT) {
		const char *op;

		ret = wexport_next(p->exp, NULL, &op, &args);
		if (ret > 0)
			ret = ctlc_send(p->ctl, op, args, p->token);
		json_decref(args);
	} else {
		/* Only login goes without a token: never speak as this process. */
		ret = ctlc_send(p->ctl, r->op, args, (r->flags & R_ANON) ? NULL : p->token);
		json_decref(args);
	}
	if (ret < 0)
		return respond_error(p, 500, "internal", "cannot send the request");
	lws_set_timeout(p->wsi, PENDING_TIMEOUT_HTTP_CONTENT, AEOGATE_WEB_REQUEST_TIMEOUT_S);
	return 0;
}

static long parse_retry_after(const char *message)
{
	const char *s = message ? strstr(message, "retry_after=") : NULL;

	return s ? strtol(s + strlen("retry_after="), NULL, 10) : 0;
}

static void set_cookie(struct pss *p, const char *token, bool clear)
{
	snprintf(p->set_cookie, sizeof(p->set_cookie),
		 "%s=%s; HttpOnly; SameSite=Strict; Path=/%s%s", WEB_COOKIE, clear ? "" : token,
		 clear ? "; Max-Age=0" : "", web_cfg.tls ? "; Secure" : "");
}

/* Sends the next page request of an export, or answers once it is sealed. */
static int export_step(struct pss *p, json_t *result)
{
	struct wexport *x = p->exp;
	const char *op;
	json_t *args = NULL;
	int r = wexport_next(x, result, &op, &args);

	if (r > 0) {
		r = ctlc_send(p->ctl, op, args, p->token);
		json_decref(args);
		if (r < 0)
			goto fail;
		/* Each page is progress: the request may take as long as the pages do. */
		lws_set_timeout(p->wsi, PENDING_TIMEOUT_HTTP_CONTENT,
				AEOGATE_WEB_REQUEST_TIMEOUT_S);
		return 0;
	}
fail:
	ctlc_close(p->ctl);
	p->ctl = NULL;
	if (r == 0) {
		/* Sealed: the list of held exports owns it now. */
		p->exp = NULL;
		return respond_json(p, 200, wexport_summary(x));
	}
	wexport_abandon(p->exp);
	p->exp = NULL;
	if (r == -EFBIG)
		return respond_error(p, 413, "message_too_large",
				     "the export is larger than the dashboard holds; narrow the "
				     "range or use aeogatectl audit export");
	return respond_error(p, 500, "internal",
			     r == -EPROTO ? "the controller's export reply was malformed"
					  : "cannot write the export file");
}

/* Streams a held export's file or manifest as an attachment, to its own session only. */
static int download(struct pss *p)
{
	const struct wexport *x;
	const char *name, *type, *text;
	size_t len;
	off_t size;
	char *copy;
	int fd, r = wexport_find(p->id, p->token, &x);

	if (r == -ENOENT)
		return respond_error(p, 404, "not_found", "no such export (it may have expired)");
	if (r < 0)
		return respond_error(p, 403, "permission_denied",
				     "the export belongs to another session");
	if (p->route->flags & R_DL_MANIFEST) {
		text = wexport_manifest(x, &len);
		copy = strndup(text, len);
		if (!copy)
			return respond_error(p, 500, "internal", "out of memory");
		snprintf(p->disposition, sizeof(p->disposition),
			 "attachment; filename=\"%s.manifest.json\"", wexport_file_name(x));
		return respond_text(p, 200, copy);
	}
	fd = wexport_open_file(x, &size, &name, &type);
	if (fd < 0)
		return respond_error(p, 500, "internal", "cannot read the export file");
	free(p->resp);
	p->resp = malloc(LWS_PRE + CHUNK);
	if (!p->resp) {
		close(fd);
		return respond_error(p, 500, "internal", "out of memory");
	}
	p->file_fd = fd;
	p->file_open = true;
	p->ctype = type;
	snprintf(p->disposition, sizeof(p->disposition), "attachment; filename=\"%s\"", name);
	p->resp_len = (size_t)size;
	p->resp_off = 0;
	p->status = 200;
	p->responding = true;
	p->headers_sent = false;
	lws_set_timeout(p->wsi, NO_PENDING_TIMEOUT, 0);
	lws_callback_on_writable(p->wsi);
	return 0;
}

static int ctl_reply(struct pss *p, json_t *msg)
{
	const struct route *r = p->route;
	json_t *result = json_object_get(msg, "result");

	if (!json_is_true(json_object_get(msg, "ok"))) {
		json_t *e = json_object_get(msg, "error");
		const char *code = json_string_value(json_object_get(e, "code"));
		const char *message = json_string_value(json_object_get(e, "message"));
		unsigned status = web_status_for(code);

		if (!code)
			code = "internal";
		if (status == 429)
			p->retry_after = parse_retry_after(message);
		if ((r->flags & R_LOGOUT) || status == 401) {
			/* The session is gone either way: drop what the browser holds. */
			set_cookie(p, NULL, true);
			csrf_forget(p->token);
			wexport_forget_session(p->token);
		}
		ctlc_close(p->ctl);
		p->ctl = NULL;
		wexport_abandon(p->exp);
		p->exp = NULL;
		return respond_json(p, status,
				    json_pack("{s:{s:s, s:s}}", "error", "code", code, "message",
					      message ? message : code));
	}

	if ((r->flags & R_DEMO) && p->step == 0) {
		json_t *args = p->pending_args;

		if (!json_is_true(json_object_get(result, "demo"))) {
			ctlc_close(p->ctl);
			p->ctl = NULL;
			return respond_error(p, 409, "failed_precondition",
					     "the simulator is available only in demo mode");
		}
		p->step = 1;
		p->pending_args = NULL;
		if (ctlc_send(p->ctl, r->op, args, p->token) < 0)
			respond_error(p, 500, "internal", "cannot send the request");
		json_decref(args);
		return 0;
	}
	if (r->flags & R_EXPORT)
		return export_step(p, result);

	ctlc_close(p->ctl);
	p->ctl = NULL;
	if (r->flags & (R_DL_FILE | R_DL_MANIFEST))
		return download(p);
	if (r->flags & R_REPORTS) {
		/*
		 * The list is aeogate-web's, but who may produce a report is the
		 * controller's ROLES_AUDIT (audit.export_*, report.*): show the
		 * list to the same roles, so a guard gets the 403 its export would.
		 */
		const char *role = json_string_value(json_object_get(result, "role"));

		if (!role || !(strcmp(role, "auditor") == 0 || strcmp(role, "manager") == 0 ||
			       strcmp(role, "admin") == 0 || strcmp(role, "local") == 0))
			return respond_error(p, 403, "permission_denied",
					     "reports are for auditors, managers and admins");
		return respond_json(p, 200, wexport_reports_json());
	}
	if (r->flags & R_LOGIN) {
		const char *token = json_string_value(json_object_get(result, "token"));
		const char *csrf;

		if (!token || !is_hex_token(token, strlen(token)))
			return respond_error(p, 500, "internal", "the controller sent no token");
		csrf = csrf_get(token, true);
		set_cookie(p, token, false);
		return respond_json(
		    p, 200,
		    json_pack("{s:O?, s:O?, s:s, s:O?, s:O?}", "user",
			      json_object_get(result, "user"), "role",
			      json_object_get(result, "role"), "csrf", csrf, "idle_expires_s",
			      json_object_get(result, "idle_expires_s"), "absolute_expires_s",
			      json_object_get(result, "absolute_expires_s")));
	}
	if (r->flags & R_LOGOUT) {
		csrf_forget(p->token);
		wexport_forget_session(p->token);
		set_cookie(p, NULL, true);
		return respond_json(p, 200, json_pack("{s:b}", "logged_out", 1));
	}
	if (r->flags & R_ME) {
		json_t *out = json_deep_copy(result);

		if (json_is_object(out))
			json_object_set_new(out, "csrf", json_string(csrf_get(p->token, true)));
		return respond_json(p, 200, out);
	}
	return respond_json(p, 200, json_incref(result ? result : json_null()));
}

static void ctl_line(void *owner, json_t *msg)
{
	ctl_reply(owner, msg);
}

static void ctl_closed(void *owner)
{
	struct pss *p = owner;

	p->ctl = NULL;
	if (!p->responding)
		respond_error(p, 503, "unavailable", "the controller closed the connection");
}

static const char *mime_for(const char *path)
{
	static const struct {
		const char *ext, *mime;
	} t[] = {
	    {".html", "text/html; charset=utf-8"},
	    {".js", "text/javascript; charset=utf-8"},
	    {".mjs", "text/javascript; charset=utf-8"},
	    {".css", "text/css; charset=utf-8"},
	    {".svg", "image/svg+xml"},
	    {".png", "image/png"},
	    {".ico", "image/x-icon"},
	    {".json", "application/json"},
	    {".txt", "text/plain; charset=utf-8"},
	    {".woff2", "font/woff2"},
	    {".wav", "audio/wav"},
	    {".ogg", "audio/ogg"},
	};
	const char *dot = strrchr(path, '.');

	for (size_t i = 0; dot && i < sizeof(t) / sizeof(t[0]); i++)
		if (strcmp(dot, t[i].ext) == 0)
			return t[i].mime;
	return NULL;
}

/* Only plain names: no "..", no hidden files, no encoded anything. */
static bool static_path_ok(const char *path)
{
	const char *seg;

	if (path[0] != '/' || strlen(path) > 256)
		return false;
	for (const char *c = path; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		      (*c >= '0' && *c <= '9') || *c == '.' || *c == '_' || *c == '-' || *c == '/'))
			return false;
	for (seg = path; seg; seg = strchr(seg + 1, '/'))
		if (seg[1] == '.' || (seg[1] == '/'))
			return false;
	return !strstr(path, "..");
}

static int serve_static(struct pss *p, const char *path)
{
	unsigned char hdr[1024], *q = hdr, *end = hdr + sizeof(hdr);
	char full[PATH_MAX], real[PATH_MAX];
	const char *mime;
	struct stat st;
	size_t rootlen = strlen(web_cfg.ui_dir);
	int n;

	if (strcmp(path, "/") == 0)
		path = "/index.html";
	if (!static_path_ok(path) || !(mime = mime_for(path)))
		goto not_found;
	if (snprintf(full, sizeof(full), "%s%s", web_cfg.ui_dir, path) >= (int)sizeof(full))
		goto not_found;
	/* The resolved file must still be inside the root (no symlink escapes). */
	if (!realpath(full, real) || strncmp(real, web_cfg.ui_dir, rootlen) != 0 ||
	    real[rootlen] != '/')
		goto not_found;
	if (stat(real, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > AEOGATE_WEB_STATIC_FILE_MAX)
		goto not_found;
	if (add_security_headers(p->wsi, &q, end, false))
		return -1;
	n = lws_serve_http_file(p->wsi, real, mime, (const char *)hdr, (int)(q - hdr));
	if (n < 0 || (n > 0 && lws_http_transaction_completed(p->wsi)))
		return -1;
	return 0;

not_found:
	respond_error(p, 404, "not_found", "no such file");
	return 0;
}

static int begin(struct pss *p, const char *path)
{
	enum method m;
	bool known;
	char buf[64], csrf[WEB_CSRF_HEX + 8];
	long long clen = 0;
	int n;

	if (lws_hdr_total_length(p->wsi, WSI_TOKEN_GET_URI))
		m = M_GET;
	else if (lws_hdr_total_length(p->wsi, WSI_TOKEN_POST_URI))
		m = M_POST;
	else {
		p->close_after = true;
		respond_error(p, 405, "method_not_allowed", "only GET and POST");
		return 0;
	}
	if (strncmp(path, "/api/", 5) != 0 && strcmp(path, "/api") != 0) {
		if (m != M_GET) {
			p->close_after = true;
			respond_error(p, 405, "method_not_allowed", "only GET for files");
			return 0;
		}
		return serve_static(p, path);
	}

	p->route = route_find(m, path, p->id, sizeof(p->id), &known);
	if (m == M_POST) {
		/* Whatever we answer before reading the body, the connection ends after. */
		n = lws_hdr_copy(p->wsi, buf, sizeof(buf), WSI_TOKEN_HTTP_CONTENT_LENGTH);
		if (n > 0) {
			char *end;

			clen = strtoll(buf, &end, 10);
			if (*end || clen < 0)
				clen = LLONG_MAX;
		} else if (lws_hdr_total_length(p->wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING)) {
			clen = -1; /* chunked: bounded as it arrives */
		}
	}
#define EARLY(status, code, msg)                                                                   \
	do {                                                                                       \
		if (m == M_POST && clen != 0) {                                                    \
			p->close_after = true;                                                     \
			p->rejecting = true;                                                       \
		}                                                                                  \
		respond_error(p, status, code, msg);                                               \
		return 0;                                                                          \
	} while (0)

	if (!p->route) {
		if (known)
			EARLY(405, "method_not_allowed", "method not allowed here");
		EARLY(404, "not_found", "no such endpoint");
	}
	/*
	 * libwebsockets 4.1 never signals the end of a chunked body, so such a
	 * request would hang until its timeout holding a descriptor; every
	 * client we serve sends Content-Length.
	 */
	if (m == M_POST && clen == -1)
		EARLY(411, "length_required", "send the body with a Content-Length");
	lws_get_peer_simple(p->wsi, p->source, sizeof(p->source));
	p->has_token = web_session_cookie(p->wsi, p->token, sizeof(p->token));
	if (!(p->route->flags & R_ANON) && !p->has_token)
		EARLY(401, "unauthenticated", "sign in first");
	if (m == M_GET)
		return dispatch(p);

	if (clen > AEOGATE_WEB_BODY_MAX)
		EARLY(413, "message_too_large", "the body is too large");
	n = lws_hdr_copy(p->wsi, buf, sizeof(buf), WSI_TOKEN_HTTP_CONTENT_TYPE);
	if (clen != 0 && (n <= 0 || strncmp(buf, "application/json", 16) != 0))
		EARLY(415, "unsupported_media_type", "send application/json");
	if (!(p->route->flags & R_ANON)) {
		n = lws_hdr_custom_copy(p->wsi, csrf, sizeof(csrf), "x-csrf-token:", 13);
		if (n <= 0)
			n = lws_hdr_custom_copy(p->wsi, csrf, sizeof(csrf), "X-CSRF-Token:", 13);
		if (n <= 0 || !csrf_check(p->token, csrf))
			EARLY(403, "csrf_failed", "missing or wrong X-CSRF-Token");
	}
	if (clen == 0)
		dispatch(p);
	return 0;
#undef EARLY
}

int http_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
		  size_t len)
{
	struct pss *p = user;

	switch (reason) {
	case LWS_CALLBACK_HTTP:
		request_reset(p);
		p->wsi = wsi;
		return begin(p, in);

	case LWS_CALLBACK_HTTP_BODY:
		if (p->rejecting || p->responding)
			return 0;
		if (p->body_len + len > AEOGATE_WEB_BODY_MAX) {
			p->rejecting = p->close_after = true;
			respond_error(p, 413, "message_too_large", "the body is too large");
			return 0;
		}
		{
			char *nb = realloc(p->body, p->body_len + len + 1);

			if (!nb)
				return -1;
			p->body = nb;
			memcpy(p->body + p->body_len, in, len);
			p->body_len += len;
			p->body[p->body_len] = '\0';
		}
		return 0;

	case LWS_CALLBACK_HTTP_BODY_COMPLETION:
		if (p->rejecting || p->responding || !p->route)
			return 0;
		dispatch(p);
		return 0;

	case LWS_CALLBACK_HTTP_WRITEABLE: {
		size_t n;
		bool last;

		if (!p || !p->responding)
			return 0;
		if (!p->headers_sent) {
			if (write_headers(p) < 0)
				return -1;
			p->headers_sent = true;
			lws_callback_on_writable(wsi);
			return 0;
		}
		n = p->resp_len - p->resp_off;
		if (n > CHUNK)
			n = CHUNK;
		last = p->resp_off + n == p->resp_len;
		if (p->file_open) {
			/* A download: one chunk of the file at a time, so memory stays flat. */
			if (n && pread(p->file_fd, p->resp + LWS_PRE, n, (off_t)p->resp_off) !=
				     (ssize_t)n)
				return -1;
			if (n && lws_write(wsi, p->resp + LWS_PRE, n,
					   last ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) < (int)n)
				return -1;
		} else if (lws_write(wsi, p->resp + LWS_PRE + p->resp_off, n,
				     last ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) < (int)n) {
			return -1;
		}
		p->resp_off += n;
		if (!last) {
			lws_callback_on_writable(wsi);
			return 0;
		}
		p->responding = false;
		free(p->resp);
		p->resp = NULL;
		if (p->file_open)
			close(p->file_fd);
		p->file_open = false;
		if (p->close_after)
			return -1;
		if (lws_http_transaction_completed(wsi))
			return -1;
		return 0;
	}

	case LWS_CALLBACK_CLOSED_HTTP:
	case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
		/* lws may free the pss after either; nothing may outlive it. */
		if (p)
			request_reset(p);
		return 0;

	default:
		return lws_callback_http_dummy(wsi, reason, user, in, len);
	}
}
