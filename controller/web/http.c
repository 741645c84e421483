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
#include <strings.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image.h"
#include "reports.h"
#include "lwshttp.h"
#include "web.h"

/* A people CSV over AEOGATE_WEB_IMPORT_MAX. */
#define IMPORT_TOO_LARGE                                                                           \
	"the file is larger than the dashboard takes (32 MiB); use aeogatectl person import"

/* A site plan over AEOGATE_SITE_PLAN_MAX, a photo over AEOGATE_PHOTO_MAX, or of another type. */
#define UPLOAD_TOO_LARGE "the image is larger than 1 MiB (AEOGATE_SITE_PLAN_MAX)"
#define PHOTO_TOO_LARGE	 "the photo is larger than 512 KiB (AEOGATE_PHOTO_MAX)"
#define UPLOAD_WRONG_TYPE                                                                          \
	"send the image as image/png or image/jpeg (SVG and other types are refused)"

/* A download's file goes out in pieces of the body's size. */
#define CHUNK WEB_BODY_CHUNK

/* Per HTTP connection; reset at the start of each request (keep-alive). */
struct pss {
	struct lws *wsi;
	const struct route *route;
	char id[AEOGATE_ID_MAX + 1];
	char token[WEB_TOKEN_MAX + 1];
	bool has_token;
	char source[AEOGATE_LOGIN_SOURCE_MAX + 1];
	struct web_rq rq; /* where the request is in its life, and its body */
	struct ctlc *ctl;
	json_t *pending_args; /* the real op's args while the demo check runs */
	struct wexport *exp;  /* an export being produced (R_EXPORT) */
	struct wimport *imp;  /* a people import: its spooled body, then its session (R_IMPORT) */
	struct wpeople_export *pexp; /* the people CSV being written (R_PEOPLE_EXPORT) */
	/* An image (R_UPLOAD): its body, then sent in blob.data pieces; up_sent past up_len: the
	 * op. */
	unsigned char *up;
	size_t up_len, up_want, up_sent;
	json_t *up_args; /* the route's args (:id) for its op, sent after the pieces */
	bool up_final;
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

bool web_session_cookie(struct lws *wsi, char *buf, size_t len)
{
	char cookies[4096];
	int n;

	n = lws_hdr_copy(wsi, cookies, sizeof(cookies), WSI_TOKEN_HTTP_COOKIE);
	if (n <= 0)
		return false;
	return web_cookie_token(cookies, buf, len);
}
/* The response is ready (len bytes in resp, or the open file): send it when writable. */
static int respond_start(struct pss *p, unsigned status, size_t len)
{
	web_rq_answered(&p->rq);
	p->resp_len = len;
	p->resp_off = 0;
	p->status = status;
	p->responding = true;
	p->headers_sent = false;
	lws_set_timeout(p->wsi, NO_PENDING_TIMEOUT, 0);
	lws_callback_on_writable(p->wsi);
	return 0;
}

static int respond_text(struct pss *p, unsigned status, char *text)
{
	size_t n = strlen(text);

	web_rq_answered(&p->rq);
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
	return respond_start(p, status, n);
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
	if (web_add_common_headers(p->wsi, &q, end, true))
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
	web_rq_reset(&p->rq);
	free(p->resp);
	p->resp = NULL;
	p->resp_len = p->resp_off = 0;
	wexport_abandon(p->exp);
	p->exp = NULL;
	wimport_free(p->imp);
	p->imp = NULL;
	wpeople_export_free(p->pexp);
	p->pexp = NULL;
	free(p->up);
	p->up = NULL;
	json_decref(p->up_args);
	p->up_args = NULL;
	p->up_len = p->up_want = p->up_sent = 0;
	p->up_final = false;
	if (p->file_open)
		close(p->file_fd);
	p->file_open = false;
	p->ctype = NULL;
	p->disposition[0] = '\0';
	p->route = NULL;
	p->has_token = false;
	explicit_bzero(p->token, sizeof(p->token));
	p->id[0] = p->source[0] = p->set_cookie[0] = '\0';
	p->responding = p->headers_sent = p->close_after = false;
	p->retry_after = 0;
	p->step = 0;
}

/* Query arguments as lws parsed them (web_urlarg_fn). */
static const char *lws_urlarg(void *ctx, const char *name_eq, char *buf, size_t len)
{
	return lws_get_urlarg_by_name(ctx, name_eq, buf, (int)len);
}

static void ctl_line(void *owner, json_t *msg);
static void ctl_closed(void *owner);
static void ctl_data(void *owner, const char *p, size_t n);

static const struct ctlc_ops http_ctl_ops = {
    .line = ctl_line,
    .closed = ctl_closed,
    .data = ctl_data,
};

static int people_dispatch(struct pss *p, json_t *args);
static int upload_dispatch(struct pss *p, json_t *args);
static int upload_step(struct pss *p);
static int respond_image(struct pss *p, json_t *result);

/*
 * Sends the request's op to the controller. Called only when web_rq_headers
 * or web_rq_body_done says so, which they do once per request.
 */
static int dispatch(struct pss *p)
{
	const struct route *r = p->route;
	struct web_request rq = {
	    .route = r,
	    .id = p->id,
	    .body = p->rq.body,
	    .body_len = p->rq.body_len,
	    .urlarg = lws_urlarg,
	    .urlarg_ctx = p->wsi,
	    .source = p->source,
	};
	const char *code, *message;
	unsigned status;
	json_t *args;
	int ret;

	ret = web_request_args(&rq, &args, &status, &code, &message);
	/* The args hold what is needed; do not keep the body for the reply's wait. */
	free(p->rq.body);
	p->rq.body = NULL;
	p->rq.body_len = 0;
	if (ret < 0)
		return respond_error(p, status, code, message);
	if (r->flags & (R_IMPORT | R_PEOPLE_EXPORT))
		return people_dispatch(p, args);
	if (r->flags & R_UPLOAD)
		return upload_dispatch(p, args);
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
	ret = ctlc_open(p->wsi, &http_ctl_ops, p, &p->ctl);
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
	/* A body within our bound can still re-encode past the socket's (long numbers). */
	if (ret == -E2BIG)
		return respond_error(p, 413, "message_too_large", "the request is too large");
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
		 clear ? "; Max-Age=0" : "", web_config_of(p->wsi)->tls ? "; Secure" : "");
}

static int export_fail(struct pss *p, int r);
static int import_step(struct pss *p, json_t *result);
static int people_export_step(struct pss *p, json_t *result);

/* Sends the next page request of an export, or answers once it is sealed. */
static int export_step(struct pss *p, json_t *result)
{
	struct wexport *x = p->exp;
	const char *op;
	json_t *args = NULL;
	int r = wexport_next(x, result, &op, &args);

	if (r == 2) {
		/* The reply of a stream: its frames are the file, its trailer comes as a line. */
		ctlc_stream(p->ctl);
		lws_set_timeout(p->wsi, PENDING_TIMEOUT_HTTP_CONTENT,
				AEOGATE_WEB_REQUEST_TIMEOUT_S);
		return 0;
	}
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
	if (r == 0) {
		ctlc_close(p->ctl);
		p->ctl = NULL;
		/* Sealed: the list of held exports owns it now. */
		p->exp = NULL;
		return respond_json(p, 200, wexport_summary(x));
	}
	return export_fail(p, r);
}

static int export_fail(struct pss *p, int r)
{
	ctlc_close(p->ctl);
	p->ctl = NULL;
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

/* A streamed export's bytes: to its file; a failure answers the request and stops the stream. */
static void ctl_data(void *owner, const char *data, size_t n)
{
	struct pss *p = owner;
	int r;

	if (p->rq.state != WEB_RQ_DISPATCHED || !p->exp) {
		ctlc_close(p->ctl);
		p->ctl = NULL;
		return;
	}
	r = wexport_data(p->exp, data, n);
	if (r < 0) {
		export_fail(p, r);
		return;
	}
	/* Each frame is progress: the request may take as long as the rows do. */
	lws_set_timeout(p->wsi, PENDING_TIMEOUT_HTTP_CONTENT, AEOGATE_WEB_REQUEST_TIMEOUT_S);
}

/* Streams a held export's file or manifest as an attachment, to its own session only. */
/* Answers 200 with the file fd (taken over) as an attachment called name. */
static int respond_file(struct pss *p, int fd, off_t size, const char *type, const char *name)
{
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
	return respond_start(p, 200, (size_t)size);
}

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
	return respond_file(p, fd, size, type, name);
}

static int ctl_reply(struct pss *p, json_t *msg)
{
	const struct route *r = p->route;
	struct proto_reply rep;
	json_t *result;

	/* A malformed reply is answered like a refusal without a code: 500. */
	proto_reply_parse(msg, &rep);
	result = (json_t *)rep.result;
	if (!rep.ok) {
		const char *code = rep.code;
		const char *message = rep.message;
		unsigned status = proto_error_http_status(code);
		bool signed_out;

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
		/* An ended or unknown session asking who it is: signed out, as with no cookie. */
		signed_out = (r->flags & R_ME) && status == 401;
		ctlc_close(p->ctl);
		p->ctl = NULL;
		wexport_abandon(p->exp);
		p->exp = NULL;
		wimport_free(p->imp);
		p->imp = NULL;
		wpeople_export_free(p->pexp);
		p->pexp = NULL;
		if (signed_out)
			return respond_json(p, 200, json_pack("{s:b}", "signed_in", 0));
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
	if (r->flags & R_IMPORT)
		return import_step(p, result);
	if (r->flags & R_PEOPLE_EXPORT)
		return people_export_step(p, result);
	if ((r->flags & R_UPLOAD) && !p->up_final)
		return upload_step(p);

	ctlc_close(p->ctl);
	p->ctl = NULL;
	if (r->flags & (R_DL_FILE | R_DL_MANIFEST))
		return download(p);
	if (r->flags & R_IMAGE)
		return respond_image(p, result);
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
		return respond_json(p, 200, reports_json());
	}
	if (r->flags & R_LOGIN) {
		const char *token = json_string_value(json_object_get(result, "token"));
		const char *csrf;

		if (!token || !web_is_hex_token(token, strlen(token)))
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
	if (r->flags & R_METRICS) {
		char *text = web_metrics_render(result, stream_clients(p->wsi));

		if (!text)
			return respond_error(p, 500, "internal", "out of memory");
		p->ctype = "text/plain; version=0.0.4; charset=utf-8";
		return respond_text(p, 200, text);
	}
	if (r->flags & R_ME) {
		json_t *out = json_deep_copy(result);

		if (json_is_object(out)) {
			json_object_set_new(out, "signed_in", json_true());
			json_object_set_new(out, "csrf", json_string(csrf_get(p->token, true)));
		}
		return respond_json(p, 200, out);
	}
	return respond_json(p, 200, json_incref(result ? result : json_null()));
}

/* ---- an image upload (R_UPLOAD) and an image download (R_IMAGE) ---- */

/* An upload for a person (R_ID: a photo) or the site plan: each its own bound. */
static size_t upload_max(const struct route *r)
{
	return (r->flags & R_ID) ? AEOGATE_PHOTO_MAX : AEOGATE_SITE_PLAN_MAX;
}

/* A piece of an image's body: -EMSGSIZE past its Content-Length. */
static int upload_body(struct pss *p, const void *in, size_t len)
{
	if (p->rq.state != WEB_RQ_BODY || !len)
		return 0;
	if (len > p->up_want - p->up_len)
		return -EMSGSIZE;
	memcpy(p->up + p->up_len, in, len);
	p->up_len += len;
	return 0;
}

/*
 * The image is checked here first (the controller checks it again): a
 * refusal costs the controller nothing. Then, on one connection,
 * blob.begin, blob.data pieces (upload_step), and the route's op.
 */
static int upload_dispatch(struct pss *p, json_t *args)
{
	struct image_info info;
	int r;

	/* Kept for the route's op (a photo's person), sent after the pieces. */
	json_decref(p->up_args);
	p->up_args = args;
	if (!p->up || !p->up_len)
		return respond_error(p, 400, "invalid_argument",
				     "the body is empty: send the image file (PNG or JPEG)");
	r = image_probe(p->up, p->up_len, upload_max(p->route), AEOGATE_IMAGE_SIDE_MAX, &info);
	if (r < 0)
		return respond_error(p,
				     r == -EMEDIUMTYPE ? 415
				     : r == -EMSGSIZE  ? 413
						       : 400,
				     r == -EMEDIUMTYPE ? "unsupported_media_type"
						       : "invalid_argument",
				     image_probe_error(r));
	if (ctlc_count() >= AEOGATE_WEB_INFLIGHT_MAX)
		return respond_error(p, 503, "unavailable", "too many requests in flight");
	if (ctlc_open(p->wsi, &http_ctl_ops, p, &p->ctl) < 0) {
		p->ctl = NULL;
		return respond_error(p, 503, "unavailable", "the controller is not reachable");
	}
	args = json_pack("{s:I}", "bytes", (json_int_t)p->up_len);
	r = args ? ctlc_send(p->ctl, "blob.begin", args, p->token) : -ENOMEM;
	json_decref(args);
	if (r < 0)
		return respond_error(p, 500, "internal", "cannot send the request");
	lws_set_timeout(p->wsi, PENDING_TIMEOUT_HTTP_CONTENT, AEOGATE_WEB_REQUEST_TIMEOUT_S);
	return 0;
}

/* The last piece was taken: the next one, or the route's op once all are. */
static int upload_step(struct pss *p)
{
	size_t n = p->up_len - p->up_sent;
	json_t *args;
	char *b64;
	int r;

	if (n == 0) {
		p->up_final = true;
		args = p->up_args ? p->up_args : json_object();
		p->up_args = NULL;
		r = args ? ctlc_send(p->ctl, p->route->op, args, p->token) : -ENOMEM;
	} else {
		if (n > AEOGATE_BLOB_CHUNK)
			n = AEOGATE_BLOB_CHUNK;
		b64 = malloc(sodium_base64_encoded_len(n, sodium_base64_VARIANT_ORIGINAL));
		if (!b64)
			return respond_error(p, 500, "internal", "out of memory");
		sodium_bin2base64(b64, sodium_base64_encoded_len(n, sodium_base64_VARIANT_ORIGINAL),
				  p->up + p->up_sent, n, sodium_base64_VARIANT_ORIGINAL);
		p->up_sent += n;
		args = json_pack("{s:s}", "data", b64);
		free(b64);
		r = args ? ctlc_send(p->ctl, "blob.data", args, p->token) : -ENOMEM;
	}
	json_decref(args);
	if (r < 0) {
		ctlc_close(p->ctl);
		p->ctl = NULL;
		return respond_error(p, 500, "internal", "cannot send the request");
	}
	lws_set_timeout(p->wsi, PENDING_TIMEOUT_HTTP_CONTENT, AEOGATE_WEB_REQUEST_TIMEOUT_S);
	return 0;
}

/* The image of a reply {type, data}: its bytes, as what they are. */
static int respond_image(struct pss *p, json_t *result)
{
	const char *type = json_string_value(json_object_get(result, "type"));
	const char *data = json_string_value(json_object_get(result, "data"));
	size_t cap, n = 0;

	if (!type || !data)
		return respond_error(p, 500, "internal", "the controller's reply was malformed");
	/* Only the two types the controller stores, as static strings. */
	if (!strcmp(type, "image/png"))
		p->ctype = "image/png";
	else if (!strcmp(type, "image/jpeg"))
		p->ctype = "image/jpeg";
	else
		return respond_error(p, 500, "internal", "the stored image has an unknown type");
	cap = strlen(data) / 4 * 3 + 3;
	free(p->resp);
	p->resp = malloc(LWS_PRE + cap);
	if (!p->resp || sodium_base642bin(p->resp + LWS_PRE, cap, data, strlen(data), NULL, &n,
					  NULL, sodium_base64_VARIANT_ORIGINAL) != 0) {
		p->ctype = NULL;
		return respond_error(p, 500, "internal", "the controller's image was malformed");
	}
	return respond_start(p, 200, n);
}

/* ---- the people CSV (imports.c) ---- */

/* A piece of an import's body, to its spool file: 0, -EMSGSIZE past the bound, -EIO. */
static int import_body(struct pss *p, const void *in, size_t len)
{
	int r;

	if (p->rq.state != WEB_RQ_BODY || !len)
		return 0;
	r = wimport_spool(p->imp, in, len);
	if (r == -EFBIG) {
		p->close_after = true;
		respond_error(p, 413, "message_too_large", IMPORT_TOO_LARGE);
		return 0;
	}
	return r < 0 ? -EIO : 0;
}

/* Sends an import's or a people export's next request, or answers when it is over. */
static int people_send(struct pss *p, int r, const char *op, json_t *args)
{
	if (r > 0) {
		bool commit = r == 2;

		r = ctlc_send(p->ctl, op, args, p->token);
		json_decref(args);
		if (r == 0) {
			/* Each step is progress; the commit applies the rows in slices, so it may
			 * take long. */
			lws_set_timeout(p->wsi, PENDING_TIMEOUT_HTTP_CONTENT,
					commit ? AEOGATE_WEB_IMPORT_COMMIT_TIMEOUT_S
					       : AEOGATE_WEB_REQUEST_TIMEOUT_S);
			return 0;
		}
		r = -EIO;
	}
	ctlc_close(p->ctl);
	p->ctl = NULL;
	if (r == -EFBIG)
		return respond_error(p, 413, "message_too_large",
				     "the people file is larger than the dashboard holds; use "
				     "aeogatectl person export");
	if (r == -EPROTO)
		return respond_error(p, 500, "internal", "the controller's reply was malformed");
	if (r < 0)
		return respond_error(p, 500, "internal", "cannot run the request");
	return 0;
}

/* The import is over: its account. */
static int import_done(struct pss *p)
{
	json_t *out;
	unsigned status;

	ctlc_close(p->ctl);
	p->ctl = NULL;
	out = wimport_reply(p->imp, &status);
	wimport_free(p->imp);
	p->imp = NULL;
	return respond_json(p, status, out);
}

static int import_step(struct pss *p, json_t *result)
{
	const char *op = NULL;
	json_t *args = NULL;
	int r = wimport_next(p->imp, result, &op, &args);

	return r != 0 ? people_send(p, r, op, args) : import_done(p);
}

static int people_export_step(struct pss *p, json_t *result)
{
	const char *op = NULL;
	json_t *args = NULL;
	char name[64];
	off_t size;
	int fd, r = wpeople_export_next(p->pexp, result, &op, &args);

	if (r != 0)
		return people_send(p, r, op, args);
	ctlc_close(p->ctl);
	p->ctl = NULL;
	fd = wpeople_export_open(p->pexp, &size, name, sizeof(name));
	wpeople_export_free(p->pexp);
	p->pexp = NULL;
	if (fd < 0)
		return respond_error(p, 500, "internal", "cannot read the people file");
	return respond_file(p, fd, size, "text/csv; charset=utf-8", name);
}

/*
 * POST /api/persons/import once its body is spooled, GET /api/persons/export:
 * both run step by step on one connection. An import whose file is refused
 * before any request (no header) is answered without one.
 */
static int people_dispatch(struct pss *p, json_t *args)
{
	const char *op = NULL;
	json_t *next_args = NULL;
	int r;

	json_decref(args);
	if (p->route->flags & R_IMPORT) {
		r = p->imp ? wimport_start(p->imp) : -ENODATA;
		if (r == -ENODATA)
			return respond_error(p, 400, "invalid_argument",
					     "the body is empty: send the people CSV file (a "
					     "header row id,name,..., then one row per person)");
		if (r == 0)
			r = wimport_next(p->imp, NULL, &op, &next_args);
		if (r == 0)
			return import_done(p);
	} else {
		r = wpeople_export_new(&p->pexp);
		if (r == 0)
			r = wpeople_export_next(p->pexp, NULL, &op, &next_args);
	}
	if (r < 0)
		return respond_error(p, 500, "internal", "cannot start the request");
	if (ctlc_count() >= AEOGATE_WEB_INFLIGHT_MAX) {
		json_decref(next_args);
		return respond_error(p, 503, "unavailable", "too many requests in flight");
	}
	if (ctlc_open(p->wsi, &http_ctl_ops, p, &p->ctl) < 0) {
		json_decref(next_args);
		p->ctl = NULL;
		return respond_error(p, 503, "unavailable", "the controller is not reachable");
	}
	return people_send(p, r, op, next_args);
}

static void ctl_line(void *owner, json_t *msg)
{
	struct pss *p = owner;

	if (p->rq.state == WEB_RQ_DISPATCHED)
		ctl_reply(p, msg);
}

static void ctl_closed(void *owner)
{
	struct pss *p = owner;

	p->ctl = NULL;
	if (p->rq.state == WEB_RQ_DISPATCHED)
		respond_error(p, 503, "unavailable", "the controller closed the connection");
}

static int serve_static(struct pss *p, const char *path)
{
	int r;

	if (strcmp(path, "/") == 0)
		path = "/index.html";
	web_rq_answered(&p->rq);
	r = web_static_serve(p->wsi, web_config_of(p->wsi)->ui_dir, path);
	if (r == -ENOENT)
		return respond_error(p, 404, "not_found", "no such file");
	return r < 0 ? -1 : 0;
}

/*
 * A header's value into buf: 1, 0 when absent, -1 when it does not fit
 * (which no value we accept does).
 */
static int header(struct lws *wsi, enum lws_token_indexes t, char *buf, size_t len)
{
	if (!lws_hdr_total_length(wsi, t))
		return 0;
	return lws_hdr_copy(wsi, buf, (int)len, t) >= 0 ? 1 : -1;
}

/* DNS rebinding: the Host must name this server (web_host_ok). */
static bool host_ok(struct lws *wsi)
{
	char host[AEOGATE_WEB_HOST_NAME_MAX + 16];

	return header(wsi, WSI_TOKEN_HOST, host, sizeof(host)) > 0 &&
	       web_host_ok(&web_config_of(wsi)->hosts, host);
}

/*
 * Cross-site requests: a browser's Origin must be this server, scheme
 * included. Requests without one (a same-origin GET, curl) pass; the
 * session cookie and the CSRF token still have to be right.
 */
static bool origin_ok(struct lws *wsi)
{
	char origin[AEOGATE_WEB_HOST_NAME_MAX + 32];
	int r = header(wsi, WSI_TOKEN_ORIGIN, origin, sizeof(origin));

	return r == 0 || (r > 0 && web_origin_ok(&web_config_of(wsi)->hosts, origin));
}

#define MISDIRECTED                                                                                \
	"this server answers only to its listen address and --allowed-hosts (DNS rebinding)"
#define BAD_ORIGIN "the request comes from another site (Origin)"

static int begin(struct pss *p, const char *path)
{
	enum method m;
	bool known;
	char buf[64], ctype[128], csrf[WEB_CSRF_HEX + 8];
	long long clen = 0;
	int n;

	if (!host_ok(p->wsi)) {
		p->close_after = true;
		respond_error(p, 421, "misdirected_request", MISDIRECTED);
		return 0;
	}
	if (lws_hdr_total_length(p->wsi, WSI_TOKEN_GET_URI))
		m = M_GET;
	else if (lws_hdr_total_length(p->wsi, WSI_TOKEN_POST_URI))
		m = M_POST;
	else {
		p->close_after = true;
		respond_error(p, 405, "method_not_allowed", "only GET and POST");
		return 0;
	}
	/* /metrics is a route (Prometheus expects the path), not a file. */
	if (strncmp(path, "/api/", 5) != 0 && strcmp(path, "/api") != 0 &&
	    strcmp(path, "/metrics") != 0) {
		if (m != M_GET) {
			p->close_after = true;
			respond_error(p, 405, "method_not_allowed", "only GET for files");
			return 0;
		}
		return serve_static(p, path);
	}

	p->route = web_route_find(m, path, p->id, sizeof(p->id), &known);
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
		} else {
			/*
			 * No length: the request has no body, but lws 4.1 reads
			 * whatever follows on the connection as one, so another
			 * request on it would never be seen. Answer, then close.
			 */
			p->close_after = true;
		}
	}
#define EARLY(status, code, msg)                                                                   \
	do {                                                                                       \
		if (m == M_POST && clen != 0)                                                      \
			p->close_after = true;                                                     \
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
	if (!origin_ok(p->wsi))
		EARLY(403, "bad_origin", BAD_ORIGIN);
	lws_get_peer_simple(p->wsi, p->source, sizeof(p->source));
	p->has_token = web_session_cookie(p->wsi, p->token, sizeof(p->token));
	/*
	 * Who-am-I before sign-in is a question with an answer, not an error: a
	 * signed-out page asks it first and must log nothing (issue 17).
	 */
	if ((p->route->flags & R_ME) && !p->has_token) {
		respond_json(p, 200, json_pack("{s:b}", "signed_in", 0));
		return 0;
	}
	if (!(p->route->flags & R_ANON) && !p->has_token)
		EARLY(401, "unauthenticated", "sign in first");
	if (p->route->flags & R_METRICS) {
		char auth[AEOGATE_WEB_METRICS_TOKEN_MAX + 16];
		const struct web_config *cfg = web_config_of(p->wsi);

		if (header(p->wsi, WSI_TOKEN_HTTP_AUTHORIZATION, auth, sizeof(auth)) <= 0)
			auth[0] = '\0';
		if (!web_metrics_allowed(cfg, auth[0] ? auth : NULL, p->source))
			EARLY(cfg->metrics_token[0] ? 401 : 403, "permission_denied",
			      cfg->metrics_token[0] ? "/metrics needs its bearer token"
						    : "/metrics answers loopback only");
	}
	if (m == M_GET)
		goto headers_done;

	if (p->route->flags & R_UPLOAD) {
		/* An image: its own bound and types; held whole, it is checked before it goes on.
		 */
		if (clen > (long long)upload_max(p->route))
			EARLY(413, "message_too_large",
			      (p->route->flags & R_ID) ? PHOTO_TOO_LARGE : UPLOAD_TOO_LARGE);
		if (clen != 0 &&
		    (header(p->wsi, WSI_TOKEN_HTTP_CONTENT_TYPE, ctype, sizeof(ctype)) <= 0 ||
		     !web_content_type_image(ctype)))
			EARLY(415, "unsupported_media_type", UPLOAD_WRONG_TYPE);
	} else if (p->route->flags & R_IMPORT) {
		/* A people CSV: its own bound and type; the body goes to a file (import_headers).
		 */
		if (clen > AEOGATE_WEB_IMPORT_MAX)
			EARLY(413, "message_too_large", IMPORT_TOO_LARGE);
		if (clen != 0 &&
		    (header(p->wsi, WSI_TOKEN_HTTP_CONTENT_TYPE, ctype, sizeof(ctype)) <= 0 ||
		     !web_content_type_csv(ctype)))
			EARLY(415, "unsupported_media_type", "send the people file as text/csv");
	} else {
		if (clen > AEOGATE_WEB_BODY_MAX)
			EARLY(413, "message_too_large", "the body is too large");
		if (clen != 0 &&
		    (header(p->wsi, WSI_TOKEN_HTTP_CONTENT_TYPE, ctype, sizeof(ctype)) <= 0 ||
		     !web_content_type_json(ctype)))
			EARLY(415, "unsupported_media_type", "send application/json");
	}
	if (!(p->route->flags & R_ANON)) {
		n = lws_hdr_custom_copy(p->wsi, csrf, sizeof(csrf), "x-csrf-token:", 13);
		if (n <= 0)
			n = lws_hdr_custom_copy(p->wsi, csrf, sizeof(csrf), "X-CSRF-Token:", 13);
		if (n <= 0 || !csrf_check(p->token, csrf))
			EARLY(403, "csrf_failed", "missing or wrong X-CSRF-Token");
	}
	if ((p->route->flags & R_IMPORT) && clen != 0) {
		/* The spool file exists before a byte arrives: the body never waits in memory. */
		char dry[16];
		const char *v = lws_get_urlarg_by_name(p->wsi, "dry_run=", dry, sizeof(dry));
		int r = wimport_new(v && (!strcmp(v, "1") || !strcmp(v, "true")), &p->imp);

		if (r == -EBUSY)
			EARLY(503, "unavailable",
			      "another people import is running; try again when it is done");
		if (r < 0)
			EARLY(500, "internal", "cannot create a temporary file for the import");
	}
	if ((p->route->flags & R_UPLOAD) && clen > 0) {
		p->up = malloc((size_t)clen);
		if (!p->up)
			EARLY(500, "internal", "out of memory");
		p->up_want = (size_t)clen;
	}
headers_done:
	if (web_rq_headers(&p->rq, m, clen))
		return dispatch(p);
	return 0;
#undef EARLY
}

/*
 * Answers a refused WebSocket upgrade at once, as LWS_CALLBACK_HTTP_CONFIRM_UPGRADE
 * must (lws ends the transaction when it returns): 1 when answered, -1 to
 * hang up.
 */
static int refuse_upgrade(struct lws *wsi, unsigned status, const char *code, const char *message)
{
	unsigned char buf[LWS_PRE + 2048], *start = buf + LWS_PRE, *q = start,
					   *end = buf + sizeof(buf) - 1;
	json_t *v = json_pack("{s:{s:s, s:s}}", "error", "code", code, "message", message);
	char *text = v ? json_dumps(v, JSON_COMPACT) : NULL;
	size_t n = text ? strlen(text) : 0;
	int ret = -1;

	json_decref(v);
	if (!text)
		return -1;
	if (lws_add_http_common_headers(wsi, status, "application/json", n, &q, end) ||
	    web_add_common_headers(wsi, &q, end, true) ||
	    lws_add_http_header_by_name(wsi, (const unsigned char *)"connection:",
					(const unsigned char *)"close", 5, &q, end) ||
	    lws_finalize_write_http_header(wsi, start, &q, end))
		goto out;
	if (n > sizeof(buf) - LWS_PRE)
		goto out;
	memcpy(start, text, n);
	if (lws_write(wsi, start, n, LWS_WRITE_HTTP_FINAL) == (int)n)
		ret = 1;
out:
	free(text);
	return ret;
}

/*
 * Every WebSocket upgrade comes here first, on this protocol: the only one
 * we serve is /api/stream with its subprotocol (whose own filter then
 * checks the session and the stream cap). Without this, an upgrade that
 * names no subprotocol was bound to this HTTP protocol and left open and
 * silent, outside the stream cap.
 */
static int confirm_upgrade(struct lws *wsi, const char *up)
{
	char uri[64], protos[64];

	if (!host_ok(wsi))
		return refuse_upgrade(wsi, 421, "misdirected_request", MISDIRECTED);
	if (!up || strcasecmp(up, "websocket") != 0)
		return refuse_upgrade(wsi, 400, "bad_request", "only WebSocket upgrades");
	if (header(wsi, WSI_TOKEN_GET_URI, uri, sizeof(uri)) <= 0 ||
	    strcmp(uri, "/api/stream") != 0)
		return refuse_upgrade(wsi, 404, "not_found", "the only WebSocket is /api/stream");
	if (!origin_ok(wsi))
		return refuse_upgrade(wsi, 403, "bad_origin", BAD_ORIGIN);
	/*
	 * Exactly the one name: lws binds the first name in the list that any
	 * of our protocols has, and the others (http, aeogate-ctl) are not for
	 * browsers.
	 */
	if (header(wsi, WSI_TOKEN_PROTOCOL, protos, sizeof(protos)) <= 0 ||
	    strcmp(protos, STREAM_PROTOCOL) != 0)
		return refuse_upgrade(
		    wsi, 400, "bad_request",
		    "/api/stream needs the WebSocket subprotocol " STREAM_PROTOCOL);
	return 0;
}

int http_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
		  size_t len)
{
	struct pss *p = user;

	switch (reason) {
	case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
		return confirm_upgrade(wsi, in);

	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
		return 1; /* this protocol never becomes a WebSocket */

	case LWS_CALLBACK_HTTP:
		request_reset(p);
		p->wsi = wsi;
		return begin(p, in);

	case LWS_CALLBACK_HTTP_BODY: {
		/* Also called with in = NULL, len = 0 for Content-Length: 0. */
		int r = p->imp	? import_body(p, in, len)
			: p->up ? upload_body(p, in, len)
				: web_rq_body(&p->rq, in, len);

		if (r == -EMSGSIZE) {
			p->close_after = true;
			respond_error(p, 413, "message_too_large", "the body is too large");
			return 0;
		}
		return r < 0 ? -1 : 0;
	}

	case LWS_CALLBACK_HTTP_BODY_COMPLETION:
		if (web_rq_body_done(&p->rq))
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
		if (p->file_open) {
			n = p->resp_len - p->resp_off;
			if (n > CHUNK)
				n = CHUNK;
			last = p->resp_off + n == p->resp_len;
			/* A download: one chunk of the file at a time, so memory stays flat. */
			if (n && pread(p->file_fd, p->resp + LWS_PRE, n, (off_t)p->resp_off) !=
				     (ssize_t)n)
				return -1;
			if (n && lws_write(wsi, p->resp + LWS_PRE, n,
					   last ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) < (int)n)
				return -1;
			p->resp_off += n;
			if (!last) {
				lws_callback_on_writable(wsi);
				return 0;
			}
		} else {
			int r = web_body_write(wsi, p->resp, p->resp_len, &p->resp_off);

			if (r <= 0)
				return r;
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
