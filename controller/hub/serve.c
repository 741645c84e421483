/* SPDX-License-Identifier: MIT */
/*
 * aeogate-hub serve -c FILE [--listen ADDR:PORT] [--ui DIR] [--allowed-hosts HOST,...]
 *
 * The office's dashboard page (ui/hub/) and GET /api/fleet, read from the
 * hub's store opened read-only for each request: no secrets, no actions,
 * no session. It answers on loopback by default; anything further goes
 * through the site's authenticating reverse proxy (README "Many sites").
 * The request rules (static paths, types, Host, security headers) and
 * the file and body writing are aeogate-web's own (reqparse.c, lwshttp.c).
 */
#include <errno.h>
#include <getopt.h>
#include <libwebsockets.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fleet.h"
#include "hub.h"
#include "hub_cmds.h"
#include "lwshttp.h"
#include "reqparse.h"
#include "util.h"

#ifndef AEOGATE_HUB_UI_DIR
#define AEOGATE_HUB_UI_DIR "/usr/share/aeogate/ui"
#endif

#define SERVE_USAGE                                                                                \
	"usage: aeogate-hub serve [-c FILE] [--listen ADDR:PORT] [--ui DIR] "                      \
	"[--allowed-hosts HOST[:PORT],...]\n"

/* The dashboard's own files, besides ui/hub/: shared with the controller's dashboard. */
static const char *const shared_files[] = {"/style.css", "/format.js"};

/* Made once by hub_cmd_serve; the lws context's user data. */
struct serve {
	const char *db;
	char ui_dir[PATH_MAX]; /* realpath of the ui root */
	struct web_hosts hosts;
	unsigned long served, refused;
};

/* Per HTTP connection; reset at the start of each request (keep-alive). */
struct pss {
	unsigned status;
	const char *ctype;
	unsigned char *resp; /* LWS_PRE headroom, then resp_len bytes */
	size_t resp_len, resp_off;
	bool responding, headers_sent, close_after, allow;
};

static volatile sig_atomic_t interrupted;
static struct lws_context *context;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
	if (context)
		lws_cancel_service(context);
}

static struct serve *serve_of(struct lws *wsi)
{
	return lws_context_user(lws_get_context(wsi));
}

/* Takes text (malloc'd, or NULL when out of memory) as the response. */
static int respond(struct lws *wsi, struct pss *p, unsigned status, char *text)
{
	size_t n = text ? strlen(text) : 0;

	free(p->resp);
	p->resp = text ? malloc(LWS_PRE + n) : NULL;
	if (!p->resp) {
		free(text);
		return -1;
	}
	memcpy(p->resp + LWS_PRE, text, n);
	free(text);
	if (status >= 400)
		serve_of(wsi)->refused++;
	else
		serve_of(wsi)->served++;
	p->status = status;
	p->resp_len = n;
	p->resp_off = 0;
	p->responding = true;
	p->headers_sent = false;
	lws_callback_on_writable(wsi);
	return 0;
}

static int respond_json(struct lws *wsi, struct pss *p, unsigned status, json_t *v)
{
	char *text = v ? json_dumps(v, JSON_COMPACT) : NULL;

	json_decref(v);
	return respond(wsi, p, status, text);
}

static int respond_error(struct lws *wsi, struct pss *p, unsigned status, const char *code,
			 const char *message)
{
	return respond_json(wsi, p, status,
			    json_pack("{s:{s:s, s:s}}", "error", "code", code, "message", message));
}

static int fleet(struct lws *wsi, struct pss *p)
{
	struct serve *s = serve_of(wsi);
	struct hub_store *store;
	json_t *v;
	int r;

	r = hub_store_open_readonly(s->db, &store);
	if (r == 0) {
		r = hub_fleet_json(store, now_wall_ms(), &v);
		hub_store_close(store);
	}
	if (r == 0)
		return respond_json(wsi, p, 200, v);
	fprintf(stderr, "<4>aeogate-hub: serve: %s: %s\n", s->db, strerror(-r));
	return respond_error(wsi, p, 503, "unavailable",
			     r == -ENOENT ? "the hub's store does not exist yet: start aeogate-hub "
					    "run"
					  : "the hub's store cannot be read now");
}

static bool is_shared(const char *path)
{
	for (size_t i = 0; i < sizeof(shared_files) / sizeof(shared_files[0]); i++)
		if (!strcmp(path, shared_files[i]))
			return true;
	return false;
}

static int serve_file(struct lws *wsi, struct pss *p, const char *path)
{
	int r;

	if (!strcmp(path, "/"))
		path = "/hub/index.html";
	/* The page's own files, and the dashboard's shared ones: nothing else of ui/. */
	if (strncmp(path, "/hub/", 5) && !is_shared(path))
		r = -ENOENT;
	else
		r = web_static_serve(wsi, serve_of(wsi)->ui_dir, path);
	if (r == -ENOENT)
		return respond_error(wsi, p, 404, "not_found", "no such file");
	if (r == 0)
		serve_of(wsi)->served++;
	return r < 0 ? -1 : 0;
}

static int begin(struct lws *wsi, struct pss *p, const char *path)
{
	char host[AEOGATE_WEB_HOST_NAME_MAX + 16];

	/* DNS rebinding: the page answers only to the names it listens as. */
	if (lws_hdr_total_length(wsi, WSI_TOKEN_HOST) <= 0 ||
	    lws_hdr_copy(wsi, host, sizeof(host), WSI_TOKEN_HOST) < 0 ||
	    !web_host_ok(&serve_of(wsi)->hosts, host)) {
		p->close_after = true;
		return respond_error(wsi, p, 421, "misdirected_request",
				     "this server answers only to its listen address and "
				     "--allowed-hosts");
	}
	if (!lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI)) {
		/* Whatever body follows is not read: the connection ends with the answer. */
		p->close_after = true;
		p->allow = true;
		return respond_error(wsi, p, 405, "method_not_allowed",
				     "the hub's dashboard is read-only: GET only");
	}
	if (!strcmp(path, "/api/fleet"))
		return fleet(wsi, p);
	if (!strncmp(path, "/api/", 5) || !strcmp(path, "/api"))
		return respond_error(wsi, p, 404, "not_found", "the only endpoint is /api/fleet");
	return serve_file(wsi, p, path);
}

static int write_headers(struct lws *wsi, struct pss *p)
{
	unsigned char buf[LWS_PRE + 2048], *start = buf + LWS_PRE, *q = start,
					   *end = buf + sizeof(buf) - 1;

	if (lws_add_http_common_headers(wsi, p->status, p->ctype ? p->ctype : "application/json",
					p->resp_len, &q, end) ||
	    web_add_common_headers(wsi, &q, end, true))
		return -1;
	if (p->allow && lws_add_http_header_by_name(wsi, (const unsigned char *)"allow:",
						    (const unsigned char *)"GET", 3, &q, end))
		return -1;
	if (p->close_after &&
	    lws_add_http_header_by_name(wsi, (const unsigned char *)"connection:",
					(const unsigned char *)"close", 5, &q, end))
		return -1;
	return lws_finalize_write_http_header(wsi, start, &q, end) ? -1 : 0;
}

static int writeable(struct lws *wsi, struct pss *p)
{
	int r;

	if (!p->responding)
		return 0;
	if (!p->headers_sent) {
		if (write_headers(wsi, p) < 0)
			return -1;
		p->headers_sent = true;
		lws_callback_on_writable(wsi);
		return 0;
	}
	r = web_body_write(wsi, p->resp, p->resp_len, &p->resp_off);
	if (r <= 0)
		return r;
	p->responding = false;
	free(p->resp);
	p->resp = NULL;
	if (p->close_after || lws_http_transaction_completed(wsi))
		return -1;
	return 0;
}

static int serve_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
			  size_t len)
{
	struct pss *p = user;

	switch (reason) {
	case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
		return -1; /* no WebSocket here: the page polls */
	case LWS_CALLBACK_HTTP:
		free(p->resp);
		memset(p, 0, sizeof(*p));
		return begin(wsi, p, in);
	case LWS_CALLBACK_HTTP_BODY:
	case LWS_CALLBACK_HTTP_BODY_COMPLETION:
		return 0; /* refused with 405 before: nothing is read */
	case LWS_CALLBACK_HTTP_WRITEABLE:
		return p ? writeable(wsi, p) : 0;
	case LWS_CALLBACK_CLOSED_HTTP:
	case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
		if (p) {
			free(p->resp);
			p->resp = NULL;
			p->responding = false;
		}
		return 0;
	default:
		return lws_callback_http_dummy(wsi, reason, user, in, len);
	}
}

static void lws_log_to_stderr(int level, const char *line)
{
	fprintf(stderr, "%s%s", level & LLL_ERR ? "<3>" : "<4>", line);
}

/* "ADDR:PORT" (IPv6 in brackets) into addr and *port: 0, or -EINVAL. */
static int parse_listen(const char *listen, char *addr, size_t len, unsigned *port)
{
	char *colon, *end;
	long v;

	if (snprintf(addr, len, "%s", listen) >= (int)len)
		return -EINVAL;
	colon = strrchr(addr, ':');
	if (!colon || colon == addr)
		return -EINVAL;
	*colon = '\0';
	v = strtol(colon + 1, &end, 10);
	if (*end || v < 1 || v > 65535)
		return -EINVAL;
	*port = (unsigned)v;
	return 0;
}

int hub_cmd_serve(struct hub_opts *o, int argc, char **argv)
{
	static const struct option opts[] = {{"listen", required_argument, NULL, 'l'},
					     {"ui", required_argument, NULL, 'u'},
					     {"allowed-hosts", required_argument, NULL, 'a'},
					     {"help", no_argument, NULL, 'h'},
					     {0}};
	const struct lws_protocols protocols[] = {
	    {"http", serve_callback, sizeof(struct pss), 0, 0, NULL, 0},
	    {NULL, NULL, 0, 0, 0, NULL, 0},
	};
	const char *listen = "127.0.0.1:8091", *ui = AEOGATE_HUB_UI_DIR, *allowed = NULL;
	struct lws_context_creation_info info;
	struct serve s = {0};
	struct hub_config cfg;
	char addr[256];
	unsigned port;
	int c, r;

	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (c == 'l')
			listen = optarg;
		else if (c == 'u')
			ui = optarg;
		else if (c == 'a')
			allowed = optarg;
		else if (c == 'h') {
			fputs(SERVE_USAGE, stdout);
			return 0;
		} else {
			fputs(SERVE_USAGE, stderr);
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "aeogate-hub: serve: unexpected argument '%s'\n" SERVE_USAGE,
			argv[optind]);
		return 2;
	}
	if (parse_listen(listen, addr, sizeof(addr), &port) < 0 ||
	    web_hosts_init(&s.hosts, addr, port, false) < 0) {
		fprintf(stderr, "aeogate-hub: serve: --listen: expected ADDR:PORT, not '%s'\n",
			listen);
		return 2;
	}
	if (allowed && web_hosts_allow(&s.hosts, allowed) < 0) {
		fprintf(stderr,
			"aeogate-hub: serve: --allowed-hosts: '%s' is not HOST[:PORT],... "
			"(at most %d names)\n",
			allowed, AEOGATE_WEB_ALLOWED_HOSTS_MAX);
		return 2;
	}
	if (!realpath(ui, s.ui_dir) || access(s.ui_dir, R_OK | X_OK) < 0)
		return hub_fail("serve: --ui %s: %m", ui);
	if (hub_load(o, &cfg, NULL))
		return 1;
	s.db = cfg.db;

	lws_set_log_level(LLL_ERR | LLL_WARN, lws_log_to_stderr);
	memset(&info, 0, sizeof(info));
	info.port = (int)port;
	info.iface = addr;
	info.protocols = protocols;
	info.user = &s;
	info.vhost_name = "aeogate-hub";
	info.alpn = "http/1.1";
	info.fd_limit_per_thread = HUB_SERVE_FDS_MAX;
	info.max_http_header_data = HUB_SERVE_HEADER_MAX;
	info.timeout_secs = 20;
	info.keepalive_timeout = 30;
	signal(SIGPIPE, SIG_IGN);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	context = lws_create_context(&info);
	if (!context) {
		hub_config_free(&cfg);
		return hub_fail("serve: cannot listen on %s", listen);
	}
	fprintf(stderr, "aeogate-hub: serving http://%s:%u/ (ui %s, store %s)\n", addr, port,
		s.ui_dir, s.db);
	r = 0;
	while (!interrupted && r >= 0)
		r = lws_service(context, 0);
	lws_context_destroy(context);
	context = NULL;
	fprintf(stderr, "aeogate-hub: serve stopped: %lu answered, %lu refused\n", s.served,
		s.refused);
	hub_config_free(&cfg);
	return 0;
}
