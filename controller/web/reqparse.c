/* SPDX-License-Identifier: MIT */
/* aeogate-web's request parsing without libwebsockets (reqparse.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "reqparse.h"
#include "util.h"

static int q_events(web_urlarg_fn get, void *ctx, json_t *args);
static int q_persons(web_urlarg_fn get, void *ctx, json_t *args);
static int q_badges(web_urlarg_fn get, void *ctx, json_t *args);
static int q_alarms(web_urlarg_fn get, void *ctx, json_t *args);
static int q_import(web_urlarg_fn get, void *ctx, json_t *args);
static int q_history(web_urlarg_fn get, void *ctx, json_t *args);
static int q_alarm_history(web_urlarg_fn get, void *ctx, json_t *args);

static const struct route routes[] = {
    {M_POST, "/api/login", "auth.login", R_ANON | R_BODY | R_LOGIN, NULL},
    {M_POST, "/api/logout", "auth.logout", R_LOGOUT, NULL},
    {M_GET, "/api/me", "auth.whoami", R_ME, NULL},
    {M_GET, "/api/status", "system.status", 0, NULL},
    {M_GET, "/metrics", "system.metrics", R_ANON | R_METRICS, NULL},
    {M_GET, "/api/events", "events.list", 0, q_events},
    /* The History page: events.search, one page below before= */
    {M_GET, "/api/history", "events.search", 0, q_history},
    {M_GET, "/api/doors", "door.list", 0, NULL},
    {M_POST, "/api/doors/mode", "door.mode", R_BODY, NULL},
    {M_POST, "/api/doors/unlock", "door.unlock", R_BODY, NULL},
    /* door schedule DOOR --mode MODE --schedule S [--first-person-in] | --clear */
    {M_POST, "/api/doors/schedule", "door.schedule", R_BODY, NULL},
    {M_GET, "/api/readers", "reader.list", 0, NULL},
    {M_GET, "/api/zones", "zone.list", 0, NULL},
    {M_POST, "/api/zones/set", "zone.set", R_BODY, NULL},
    {M_GET, "/api/muster", "muster.list", 0, NULL},
    /* site lockdown|release [--zone Z]... --comment T; site threat LEVEL --comment T */
    {M_POST, "/api/site/lockdown", "site.lockdown", R_BODY, NULL},
    {M_POST, "/api/site/release", "site.release", R_BODY, NULL},
    {M_POST, "/api/site/threat", "site.threat", R_BODY, NULL},
    /* The site plan: the image (admin uploads it), door markers on it. */
    {M_GET, "/api/site/plan", "site.plan_show", 0, NULL},
    {M_GET, "/api/site/plan/image", "site.plan_image", R_IMAGE, NULL},
    {M_POST, "/api/site/plan", "site.plan_set", R_UPLOAD, NULL},
    {M_POST, "/api/site/plan/remove", "site.plan_remove", 0, NULL},
    {M_POST, "/api/site/markers", "site.marker_set", R_BODY, NULL},
    {M_POST, "/api/site/markers/remove", "site.marker_remove", R_BODY, NULL},
    {M_GET, "/api/schedules", "schedule.list", 0, NULL},
    {M_POST, "/api/schedules", "schedule.add", R_BODY, NULL},
    {M_POST, "/api/schedules/update", "schedule.update", R_BODY, NULL},
    {M_POST, "/api/schedules/remove", "schedule.remove", R_BODY, NULL},
    {M_GET, "/api/holidays", "holiday.list", 0, NULL},
    {M_POST, "/api/holidays", "holiday.add", R_BODY, NULL},
    {M_POST, "/api/holidays/remove", "holiday.remove", R_BODY, NULL},
    {M_GET, "/api/levels", "level.list", 0, NULL},
    {M_POST, "/api/levels", "level.add", R_BODY, NULL},
    {M_POST, "/api/levels/update", "level.update", R_BODY, NULL},
    {M_POST, "/api/levels/remove", "level.remove", R_BODY, NULL},
    {M_GET, "/api/persons", "person.list", 0, q_persons},
    {M_POST, "/api/persons", "person.add", R_BODY, NULL},
    /* The people CSV, before :id would take "import" and "export" for ids. */
    {M_POST, "/api/persons/import", "person.import_begin", R_IMPORT, q_import},
    {M_GET, "/api/persons/export", "person.export", R_PEOPLE_EXPORT, NULL},
    {M_GET, "/api/persons/:id", "person.show", R_ID, NULL},
    {M_POST, "/api/persons/:id/suspend", "person.suspend", R_ID, NULL},
    {M_POST, "/api/persons/:id/reinstate", "person.reinstate", R_ID, NULL},
    {M_POST, "/api/persons/:id/terminate", "person.terminate", R_ID, NULL},
    {M_POST, "/api/persons/:id/update", "person.update", R_ID | R_BODY, NULL},
    /* person pin ID (the PIN in the body, or clear), person pin-unlock ID */
    {M_POST, "/api/persons/:id/pin", "person.pin", R_ID | R_BODY, NULL},
    {M_POST, "/api/persons/:id/pin-unlock", "person.pin_unlock", R_ID, NULL},
    /* A person's photo (README "Person photos"): the image itself, a new one, none. */
    {M_GET, "/api/persons/:id/photo", "person.photo_image", R_ID | R_IMAGE, NULL},
    {M_POST, "/api/persons/:id/photo", "person.photo_set", R_ID | R_UPLOAD, NULL},
    {M_POST, "/api/persons/:id/photo/remove", "person.photo_remove", R_ID, NULL},
    {M_GET, "/api/visitors", "visitor.list", 0, NULL},
    {M_POST, "/api/visitors", "visitor.add", R_BODY, NULL},
    {M_POST, "/api/visitors/end", "visitor.end", R_BODY, NULL},
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
    {M_GET, "/api/alarms/history", "alarm.history", 0, q_alarm_history},
    {M_GET, "/api/reports", "auth.whoami", R_REPORTS, NULL},
    {M_POST, "/api/exports", "audit.export_begin", R_BODY | R_EXPORT, NULL},
    {M_GET, "/api/exports/:id/file", "auth.whoami", R_DL_FILE, NULL},
    {M_GET, "/api/exports/:id/manifest", "auth.whoami", R_DL_MANIFEST, NULL},
    {M_GET, "/api/users", "user.list", 0, NULL},
    {M_POST, "/api/users", "user.add", R_BODY, NULL},
    {M_POST, "/api/users/disable", "user.disable", R_BODY, NULL},
    {M_POST, "/api/users/enable", "user.enable", R_BODY, NULL},
    {M_POST, "/api/users/passwd", "user.passwd", R_BODY, NULL},
    /* The signed-in user's own password: current and new. */
    {M_POST, "/api/me/password", "user.passwd_self", R_BODY, NULL},
    {M_POST, "/api/sim/present", "sim.present", R_BODY | R_DEMO, NULL},
    {M_POST, "/api/sim/door", "sim.door", R_BODY | R_DEMO, NULL},
    {M_POST, "/api/sim/rex", "sim.rex", R_BODY | R_DEMO, NULL},
};

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

const struct route *web_route_find(enum method m, const char *path, char *id, size_t idlen,
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
static int query_int(web_urlarg_fn get, void *ctx, const char *name_eq, json_t *args,
		     const char *key)
{
	char buf[64];
	const char *v = get(ctx, name_eq, buf, sizeof(buf));
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

static int query_id(web_urlarg_fn get, void *ctx, const char *name_eq, json_t *args,
		    const char *key)
{
	char buf[AEOGATE_ID_MAX + 16];
	const char *v = get(ctx, name_eq, buf, sizeof(buf));

	if (!v)
		return 1;
	if (!*v || strlen(v) > AEOGATE_ID_MAX)
		return -1;
	json_object_set_new(args, key, json_string(v));
	return 0;
}

static int q_events(web_urlarg_fn get, void *ctx, json_t *args)
{
	if (query_int(get, ctx, "since=", args, "since") < 0 ||
	    query_int(get, ctx, "limit=", args, "limit") < 0)
		return -1;
	/* The dashboard shows names beside ids. */
	return json_object_set_new(args, "names", json_true()) < 0 ? -1 : 0;
}

static int q_persons(web_urlarg_fn get, void *ctx, json_t *args)
{
	if (query_id(get, ctx, "after=", args, "after") < 0 ||
	    query_int(get, ctx, "limit=", args, "limit") < 0)
		return -1;
	return 0;
}

static int q_badges(web_urlarg_fn get, void *ctx, json_t *args)
{
	/* A credential's text is shorter than an id: query_id bounds both. */
	if (query_id(get, ctx, "person=", args, "person") < 0 ||
	    query_id(get, ctx, "after=", args, "after") < 0 ||
	    query_int(get, ctx, "limit=", args, "limit") < 0)
		return -1;
	return 0;
}

static int q_alarms(web_urlarg_fn get, void *ctx, json_t *args)
{
	/* lws copies name=value into buf: a value too long for it reads as absent. */
	char buf[64];
	const char *v = get(ctx, "open=", buf, sizeof(buf));

	if (v) {
		if (!strcmp(v, "1") || !strcmp(v, "true"))
			json_object_set_new(args, "open", json_true());
		else if (!strcmp(v, "0") || !strcmp(v, "false"))
			json_object_set_new(args, "open", json_false());
		else
			return -1;
	}
	if (query_int(get, ctx, "after=", args, "after") < 0 ||
	    query_int(get, ctx, "limit=", args, "limit") < 0)
		return -1;
	return 0;
}

/* A text query argument (a time, a name, a kind) the controller checks; -1 when empty or too long.
 */
static int query_text(web_urlarg_fn get, void *ctx, const char *name_eq, json_t *args,
		      const char *key)
{
	/* Room past the bound, so a value too long is refused rather than read as absent. */
	char buf[4 * AEOGATE_TEXT_MAX];
	const char *v = get(ctx, name_eq, buf, sizeof(buf));

	if (!v)
		return 1;
	if (strlen(v) > AEOGATE_TEXT_MAX)
		return -1;
	if (!*v)
		return 0; /* an empty field of the search form: no filter */
	json_object_set_new(args, key, json_string(v));
	return 0;
}

static int q_history(web_urlarg_fn get, void *ctx, json_t *args)
{
	static const char *const texts[] = {"from",   "to",   "door",  "zone",
					    "person", "kind", "result"};
	char name_eq[16];

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		snprintf(name_eq, sizeof(name_eq), "%s=", texts[i]);
		if (query_text(get, ctx, name_eq, args, texts[i]) < 0)
			return -1;
	}
	if (query_int(get, ctx, "before=", args, "before") < 0 ||
	    query_int(get, ctx, "limit=", args, "limit") < 0)
		return -1;
	return 0;
}

/* id=N: the alarm whose history; absent, the controller says it is required. */
static int q_alarm_history(web_urlarg_fn get, void *ctx, json_t *args)
{
	return query_int(get, ctx, "id=", args, "id");
}

/* dry_run=1|true|0|false; absent: a real import. */
static int q_import(web_urlarg_fn get, void *ctx, json_t *args)
{
	char buf[64];
	const char *v = get(ctx, "dry_run=", buf, sizeof(buf));

	if (!v)
		return 0;
	if (!strcmp(v, "1") || !strcmp(v, "true"))
		return json_object_set_new(args, "dry_run", json_true());
	if (!strcmp(v, "0") || !strcmp(v, "false"))
		return json_object_set_new(args, "dry_run", json_false());
	return -1;
}

/* The media type of a Content-Type value is type, in any case, with or without parameters. */
static bool media_type_is(const char *v, const char *type)
{
	size_t n = strlen(type);

	v += strspn(v, " \t");
	if (strncasecmp(v, type, n) != 0)
		return false;
	v += n;
	v += strspn(v, " \t");
	return *v == '\0' || *v == ';';
}

bool web_content_type_csv(const char *v)
{
	return media_type_is(v, "text/csv");
}

bool web_content_type_image(const char *v)
{
	return media_type_is(v, "image/png") || media_type_is(v, "image/jpeg");
}

#define FAIL(st, c, m)                                                                             \
	do {                                                                                       \
		*ret_status = (st);                                                                \
		*ret_code = (c);                                                                   \
		*ret_message = (m);                                                                \
		json_decref(args);                                                                 \
		return (st) == 500 ? -ENOMEM : -EINVAL;                                            \
	} while (0)

int web_request_args(const struct web_request *rq, json_t **ret, unsigned *ret_status,
		     const char **ret_code, const char **ret_message)
{
	const struct route *r = rq->route;
	json_t *args = NULL;

	*ret = NULL;
	if (rq->body_len || (r->flags & R_BODY)) {
		json_error_t err;

		args = json_loadb(rq->body ? rq->body : "", rq->body_len, JSON_REJECT_DUPLICATES,
				  &err);
		if (!json_is_object(args))
			FAIL(400, "bad_json", "the body must be a JSON object");
		/* Requests are flat; the controller bounds nesting at 8 levels. */
		if (util_json_depth(args) > AEOGATE_JSON_DEPTH_MAX - 2)
			FAIL(400, "too_deep", "the body is nested too deeply");
		if (!(r->flags & R_BODY)) {
			json_decref(args);
			args = NULL;
		}
	}
	if (!args)
		args = json_object();
	if (!args)
		FAIL(500, "internal", "out of memory");
	if (r->flags & R_ID)
		json_object_set_new(args, "id", json_string(rq->id));
	if (r->query && r->query(rq->urlarg, rq->urlarg_ctx, args) < 0)
		FAIL(400, "invalid_argument", "malformed query argument");
	if (r->flags & R_LOGIN) {
		json_t *u = json_object_get(args, "username"),
		       *pw = json_object_get(args, "password");
		json_t *la;

		if (!json_is_string(u) || !json_is_string(pw))
			FAIL(400, "invalid_argument", "username and password are required");
		la = json_pack("{s:O, s:O, s:s}", "username", u, "password", pw, "source",
			       rq->source);
		json_decref(args);
		args = la;
		if (!args)
			FAIL(500, "internal", "out of memory");
	}
	if (r->flags & R_LOGOUT)
		json_object_set_new(args, "source", json_string(rq->source));
	*ret = args;
	return 0;
}

#undef FAIL

void web_rq_reset(struct web_rq *rq)
{
	free(rq->body);
	*rq = (struct web_rq){.state = WEB_RQ_NEW};
}

/* The one way into WEB_RQ_DISPATCHED, and only from the state the caller names. */
static bool rq_dispatch_from(struct web_rq *rq, enum web_rq_state from)
{
	if (rq->state != from)
		return false;
	rq->state = WEB_RQ_DISPATCHED;
	return true;
}

bool web_rq_headers(struct web_rq *rq, enum method m, long long clen)
{
	if (m == M_POST && clen != 0 && rq->state == WEB_RQ_NEW) {
		rq->state = WEB_RQ_BODY;
		return false;
	}
	return rq_dispatch_from(rq, WEB_RQ_NEW);
}

int web_rq_body(struct web_rq *rq, const void *in, size_t len)
{
	char *nb;

	if (rq->state != WEB_RQ_BODY || len == 0)
		return 0;
	if (len > AEOGATE_WEB_BODY_MAX - rq->body_len)
		return -EMSGSIZE;
	nb = realloc(rq->body, rq->body_len + len + 1);
	if (!nb)
		return -ENOMEM;
	rq->body = nb;
	memcpy(rq->body + rq->body_len, in, len);
	rq->body_len += len;
	rq->body[rq->body_len] = '\0';
	return 0;
}

bool web_rq_body_done(struct web_rq *rq)
{
	return rq_dispatch_from(rq, WEB_RQ_BODY);
}

void web_rq_answered(struct web_rq *rq)
{
	rq->state = WEB_RQ_ANSWERED;
}

bool web_static_path_ok(const char *path)
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

#define CSP                                                                                        \
	"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "          \
	"connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

const struct web_header web_security_headers[] = {
    {"content-security-policy:", CSP},
    {"x-content-type-options:", "nosniff"},
    {"referrer-policy:", "no-referrer"},
    {"x-frame-options:", "DENY"},
    {"cross-origin-opener-policy:", "same-origin"},
};
const size_t web_security_headers_n =
    sizeof(web_security_headers) / sizeof(web_security_headers[0]);

const char *web_mime_for(const char *path)
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

bool web_is_hex_token(const char *s, size_t len)
{
	if (len != 64)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

bool web_cookie_token(const char *cookies, char *buf, size_t len)
{
	const char *p;

	for (p = cookies; p && *p;) {
		const char *end;
		size_t vlen;

		while (*p == ' ' || *p == ';')
			p++;
		end = strchr(p, ';');
		if (strncmp(p, WEB_COOKIE "=", sizeof(WEB_COOKIE)) == 0) {
			const char *v = p + sizeof(WEB_COOKIE);

			vlen = end ? (size_t)(end - v) : strlen(v);
			if (!web_is_hex_token(v, vlen) || vlen >= len)
				return false;
			memcpy(buf, v, vlen);
			buf[vlen] = '\0';
			return true;
		}
		p = end;
	}
	return false;
}

bool web_content_type_json(const char *v)
{
	return media_type_is(v, "application/json");
}

static bool is_ip(const char *name)
{
	unsigned char a[16];

	return inet_pton(AF_INET, name, a) == 1 || inet_pton(AF_INET6, name, a) == 1;
}

static void lower_copy(char *dst, const char *src, size_t n)
{
	for (size_t i = 0; i < n; i++)
		dst[i] = (char)((src[i] >= 'A' && src[i] <= 'Z') ? src[i] - 'A' + 'a' : src[i]);
	dst[n] = '\0';
}

/*
 * Splits host[:port], len bytes of s, into a lower-case name and a port
 * (dflt when absent): false when malformed. A name is letters, digits, '-'
 * and '.'; an IPv6 address goes in brackets.
 */
static bool split_host(const char *s, size_t len, unsigned dflt,
		       char name[static AEOGATE_WEB_HOST_NAME_MAX + 1], unsigned *ret_port)
{
	const char *end = s + len, *h = s, *rest;
	unsigned long port = 0;
	size_t n;

	if (len && s[0] == '[') {
		const char *close = memchr(s, ']', len);

		if (!close)
			return false;
		h = s + 1;
		n = (size_t)(close - h);
		rest = close + 1;
	} else {
		const char *colon = memchr(s, ':', len);

		n = colon ? (size_t)(colon - s) : len;
		rest = s + n;
		for (size_t i = 0; i < n; i++)
			if (!((h[i] >= 'a' && h[i] <= 'z') || (h[i] >= 'A' && h[i] <= 'Z') ||
			      (h[i] >= '0' && h[i] <= '9') || h[i] == '-' || h[i] == '.'))
				return false;
	}
	if (n == 0 || n > AEOGATE_WEB_HOST_NAME_MAX)
		return false;
	lower_copy(name, h, n);
	if (h != s) {
		unsigned char a[16];

		if (inet_pton(AF_INET6, name, a) != 1)
			return false;
	}
	if (rest == end) {
		*ret_port = dflt;
		return true;
	}
	if (*rest != ':' || end - rest < 2 || end - rest > 6 || rest[1] == '0')
		return false;
	for (const char *c = rest + 1; c < end; c++) {
		if (*c < '0' || *c > '9')
			return false;
		port = port * 10 + (unsigned long)(*c - '0');
	}
	if (port < 1 || port > 65535)
		return false;
	*ret_port = (unsigned)port;
	return true;
}

int web_hosts_init(struct web_hosts *h, const char *addr, unsigned port, bool tls)
{
	unsigned char a[16];
	unsigned ignored;

	*h = (struct web_hosts){.tls = tls, .port = port};
	if (inet_pton(AF_INET6, addr, a) == 1 && strlen(addr) <= AEOGATE_WEB_HOST_NAME_MAX)
		lower_copy(h->listen, addr, strlen(addr)); /* ::1 from "::1:8080" */
	else if (!split_host(addr, strlen(addr), port, h->listen, &ignored) || ignored != port)
		return -EINVAL;
	if (inet_pton(AF_INET, h->listen, a) == 1) {
		h->loopback = a[0] == 127;
		h->any_ip = !memcmp(a, "\0\0\0\0", 4);
	} else if (inet_pton(AF_INET6, h->listen, a) == 1) {
		static const unsigned char any[16], one[16] = {[15] = 1};

		h->loopback = !memcmp(a, one, 16);
		h->any_ip = !memcmp(a, any, 16);
	} else {
		/* An interface name or a host name: we cannot know its addresses. */
		h->loopback = strcmp(h->listen, "localhost") == 0;
		h->any_ip = !h->loopback;
	}
	return 0;
}

int web_hosts_allow(struct web_hosts *h, const char *list)
{
	unsigned n = h->n;
	const char *p = list;

	for (;;) {
		size_t len = strcspn(p, ",");
		unsigned port;

		if (n == AEOGATE_WEB_ALLOWED_HOSTS_MAX)
			return -E2BIG;
		/* port 0 stands for the listen port until a connection says which. */
		if (!split_host(p, len, 0, h->allowed[n].name, &port))
			return -EINVAL;
		h->allowed[n].port = port;
		n++;
		if (!p[len])
			break;
		p += len + 1;
	}
	h->n = n;
	return 0;
}

static bool name_ok(const struct web_hosts *h, const char *name, unsigned port)
{
	for (unsigned i = 0; i < h->n; i++)
		if (strcmp(h->allowed[i].name, name) == 0 &&
		    port == (h->allowed[i].port ? h->allowed[i].port : h->port))
			return true;
	if (port != h->port)
		return false;
	return strcmp(name, h->listen) == 0 || (h->loopback && strcmp(name, "localhost") == 0) ||
	       (h->any_ip && is_ip(name));
}

bool web_host_ok(const struct web_hosts *h, const char *host)
{
	char name[AEOGATE_WEB_HOST_NAME_MAX + 1];
	unsigned port;

	return host && split_host(host, strlen(host), h->tls ? 443 : 80, name, &port) &&
	       name_ok(h, name, port);
}

bool web_origin_ok(const struct web_hosts *h, const char *origin)
{
	const char *scheme = h->tls ? "https://" : "http://";
	size_t sl = strlen(scheme);
	char name[AEOGATE_WEB_HOST_NAME_MAX + 1];
	unsigned port;

	if (!origin || strncasecmp(origin, scheme, sl) != 0)
		return false;
	origin += sl;
	return split_host(origin, strlen(origin), h->tls ? 443 : 80, name, &port) &&
	       name_ok(h, name, port);
}
