/* SPDX-License-Identifier: MIT */
/*
 * aeogate-web --socket PATH --listen ADDR:PORT [--tls-cert FILE --tls-key FILE] [--ui DIR]
 *             [--allowed-hosts HOST[:PORT],...]
 *
 * Serves the dashboard (ui/), the JSON API under /api and the event stream
 * at /api/stream, speaking to aeogated only over its control socket.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "web.h"

#ifndef AEOGATE_UI_SOURCE_DIR
#define AEOGATE_UI_SOURCE_DIR "ui"
#endif
#ifndef AEOGATE_UI_INSTALL_DIR
#define AEOGATE_UI_INSTALL_DIR "/usr/share/aeogate/ui"
#endif
#ifndef AEOGATE_INSTALL_BINDIR
#define AEOGATE_INSTALL_BINDIR "/usr/sbin"
#endif

static volatile sig_atomic_t interrupted;
static struct lws_context *context;

static void on_signal(int sig)
{
	interrupted = 1;
	if (context)
		lws_cancel_service(context);
}

/*
 * Type=notify with WatchdogSec= (aeogate-web.service): the loop itself
 * pings, from a timer of its own at half the interval, so a loop that
 * stops serving stops pinging and systemd restarts the process.
 */
static struct lws_sorted_usec_list watchdog_sul;
static uint64_t watchdog_usec;

static void on_watchdog(struct lws_sorted_usec_list *sul)
{
	(void)sd_notify(0, "WATCHDOG=1");
	lws_sul_schedule(context, 0, sul, on_watchdog, (lws_usec_t)(watchdog_usec / 2));
}

static void usage(FILE *f)
{
	fprintf(f, "usage: aeogate-web --socket PATH [--listen ADDR:PORT] [--tls-cert FILE "
		   "--tls-key FILE] [--ui DIR]\n"
		   "                   [--allowed-hosts HOST[:PORT],...] [--config INI] "
		   "[--metrics-token-file FILE]\n");
}

/* An installed binary serves the installed UI; one in a build tree, the source ui/. */
static const char *default_ui_dir(void)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n > 0) {
		exe[n] = '\0';
		if (strncmp(exe, AEOGATE_INSTALL_BINDIR "/", strlen(AEOGATE_INSTALL_BINDIR) + 1) ==
		    0)
			return AEOGATE_UI_INSTALL_DIR;
	}
	return AEOGATE_UI_SOURCE_DIR;
}

static void lws_log_to_stderr(int level, const char *line)
{
	fprintf(stderr, "%s%s", level & LLL_ERR ? "<3>" : "<4>", line);
}

int main(int argc, char **argv)
{
	const char *listen = "127.0.0.1:8080", *cert = NULL, *key = NULL, *ui = NULL,
		   *allowed = NULL, *config = NULL, *metrics_token_file = NULL;
	struct web_config cfg = {0};
	/* Every option takes one value, kept as given: the table says where. */
	const struct {
		const char *name;
		const char **value;
	} settings[] = {
	    {"socket", &cfg.socket_path},
	    {"listen", &listen},
	    {"tls-cert", &cert},
	    {"tls-key", &key},
	    {"ui", &ui},
	    {"allowed-hosts", &allowed},
	    /* aeogate.ini, for its [web] section (metrics_token_file), or the file itself. */
	    {"config", &config},
	    {"metrics-token-file", &metrics_token_file},
	};
	enum { N_SETTINGS = sizeof(settings) / sizeof(settings[0]), OPT_FIRST = 0x100 };
	struct option opts[N_SETTINGS + 2] = {[N_SETTINGS] = {"help", no_argument, NULL, 'h'}};
	const struct lws_protocols protocols[] = {
	    {"http", http_callback, http_pss_size(), 0, 0, NULL, 0},
	    {STREAM_PROTOCOL, stream_callback, stream_pss_size(), 1024, 0, NULL, 0},
	    {CTLC_PROTOCOL, ctlc_callback, 0, 0, 0, NULL, 0},
	    {NULL, NULL, 0, 0, 0, NULL, 0},
	};
	struct lws_context_creation_info info;
	static char ui_real[PATH_MAX], addr[256];
	char *colon, *end;
	long port;
	int c;

	for (size_t i = 0; i < N_SETTINGS; i++)
		opts[i] =
		    (struct option){settings[i].name, required_argument, NULL, OPT_FIRST + (int)i};
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c >= OPT_FIRST && c < OPT_FIRST + N_SETTINGS) {
			*settings[c - OPT_FIRST].value = optarg;
			continue;
		}
		usage(c == 'h' ? stdout : stderr);
		return c == 'h' ? 0 : 2;
	}
	if (optind != argc || !cfg.socket_path || !cert != !key) {
		usage(stderr);
		return 2;
	}
	if (web_metrics_config(&cfg, config, metrics_token_file) < 0)
		return 1;
	snprintf(addr, sizeof(addr), "%s", listen);
	colon = strrchr(addr, ':');
	if (!colon) {
		fprintf(stderr, "<3>aeogate-web: --listen: expected ADDR:PORT\n");
		return 2;
	}
	*colon = '\0';
	port = strtol(colon + 1, &end, 10);
	if (*end || port < 1 || port > 65535 || !addr[0]) {
		fprintf(stderr, "<3>aeogate-web: --listen: bad port in '%s'\n", listen);
		return 2;
	}
	if (web_hosts_init(&cfg.hosts, addr, (unsigned)port, cert != NULL) < 0) {
		fprintf(stderr, "<3>aeogate-web: --listen: bad address in '%s'\n", listen);
		return 2;
	}
	if (allowed) {
		int r = web_hosts_allow(&cfg.hosts, allowed);

		if (r < 0) {
			fprintf(stderr,
				"<3>aeogate-web: --allowed-hosts: %s in '%s' (expected "
				"HOST[:PORT],... with at most %d names)\n",
				r == -E2BIG ? "too many names" : "malformed name", allowed,
				AEOGATE_WEB_ALLOWED_HOSTS_MAX);
			return 2;
		}
	}
	if (!ui)
		ui = default_ui_dir();
	if (!realpath(ui, ui_real) || access(ui_real, R_OK | X_OK) < 0) {
		fprintf(stderr, "<3>aeogate-web: ui directory %s: %s\n", ui, strerror(errno));
		return 1;
	}
	cfg.ui_dir = ui_real;
	cfg.tls = cert != NULL;
	if (sodium_init() < 0) {
		fprintf(stderr, "<3>aeogate-web: libsodium failed to initialize\n");
		return 1;
	}

	lws_set_log_level(LLL_ERR | LLL_WARN, lws_log_to_stderr);
	memset(&info, 0, sizeof(info));
	info.port = (int)port;
	info.iface = addr;
	info.protocols = protocols;
	info.user = &cfg;
	info.vhost_name = "aeogate";
	/* HTTP/1.1 only: ws over h2 and header framing stay simple and predictable. */
	info.alpn = "http/1.1";
	info.fd_limit_per_thread = AEOGATE_WEB_FDS_MAX;
	info.timeout_secs = 20;
	info.keepalive_timeout = 30;
	info.options = LWS_SERVER_OPTION_VALIDATE_UTF8;
	if (cert) {
		info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
		info.ssl_cert_filepath = cert;
		info.ssl_private_key_filepath = key;
	}
	signal(SIGPIPE, SIG_IGN);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	context = lws_create_context(&info);
	if (!context) {
		fprintf(stderr, "<3>aeogate-web: cannot listen on %s\n", listen);
		return 1;
	}
	fprintf(stderr, "<6>aeogate-web: listening on %s://%s:%ld/ (ui %s, controller %s)\n",
		cert ? "https" : "http", addr, port, cfg.ui_dir, cfg.socket_path);
	/* The listener is up: systemd may order what needs the dashboard after us. */
	if (sd_watchdog_enabled(0, &watchdog_usec) > 0 && watchdog_usec >= 2)
		lws_sul_schedule(context, 0, &watchdog_sul, on_watchdog,
				 (lws_usec_t)(watchdog_usec / 2));
	(void)sd_notifyf(0, "READY=1\nSTATUS=serving %s://%s:%ld/", cert ? "https" : "http", addr,
			 port);
	while (!interrupted)
		if (lws_service(context, 0) < 0)
			break;
	(void)sd_notify(0, "STOPPING=1");
	lws_sul_cancel(&watchdog_sul);
	lws_context_destroy(context);
	fprintf(stderr, "<6>aeogate-web: stopped\n");
	return 0;
}
