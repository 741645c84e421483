/* SPDX-License-Identifier: MIT */
/*
 * aeogated: the controller. Order at start is the safety order: config,
 * then every lock to its locked level, then the database, then the socket,
 * then inputs and readers, then READY=1. At stop: locks first.
 */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>
#include <unistd.h>

#include "core.h"
#include "ctlsock.h"
#include "ops.h"
#include "store.h"
#include "util.h"

/* BEGIN users wiring */
#include "users.h"
#include "worker.h"
/* END users wiring */

/* BEGIN audit wiring */
#include "ops_audit.h"

/* Signs a checkpoint every checkpoint_minutes when events came in between. */
static void prune_log_news(void);

static int on_checkpoint_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	ops_audit_tick();
	prune_log_news(); /* a scheduled run that could not start */
	/* A oneshot timer: re-arm it for the next minute. */
	sd_event_source_set_time_relative(s, 60ull * 1000 * 1000);
	sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
	return 0;
}

/* Pruning runs in bounded steps, the loop serving the doors in between. */
static sd_event_source *prune_timer;

static void prune_log_news(void)
{
	bool failed = false;
	const char *news = ops_audit_prune_news(&failed);

	if (news)
		fprintf(stderr, "%s%s\n", failed ? SD_WARNING : SD_INFO, news);
}

static int on_prune_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	if (ops_audit_prune_step()) {
		sd_event_source_set_time_relative(s, AEOGATE_PRUNE_STEP_GAP_MS * 1000ull);
		sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
	}
	prune_log_news();
	return 0;
}

/* The audit service's lines (checkpoints, start findings) go to the journal. */
static void audit_report(void *userdata, int priority, const char *line)
{
	fprintf(stderr, "<%d>%s\n", priority, line);
}

static void prune_wake(void *userdata)
{
	if (!prune_timer)
		return;
	sd_event_source_set_time_relative(prune_timer, 0);
	sd_event_source_set_enabled(prune_timer, SD_EVENT_ONESHOT);
}
/* END audit wiring */

static void usage(FILE *f)
{
	fprintf(f, "usage: aeogated -c FILE [--state-dir DIR] [--socket PATH] [--check-config]\n"
		   "       aeogated --help | --version\n");
}

static int64_t wall_ms(void *userdata)
{
	return now_wall_ms();
}

static int64_t mono_ms(void *userdata)
{
	return now_mono_ms();
}

static void on_event(void *userdata, const struct event *e)
{
	/* BEGIN audit wiring */
	/* Alarms raised and checkpoints counted, before subscribers hear of it. */
	ops_audit_on_event(e);
	/* END audit wiring */
	ctl_server_publish(userdata, e);
}

static int backlog(void *userdata, int64_t since, size_t limit,
		   int (*cb)(const struct event *e, void *cbdata), void *cbdata)
{
	return store_event_list(core_store(userdata), since, limit, cb, cbdata);
}

static int mkdir_parents(const char *path, mode_t mode)
{
	char buf[PATH_MAX];

	if (strlen(path) >= sizeof(buf))
		return -ENAMETOOLONG;
	strcpy(buf, path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static void emit_system(struct core *c, const char *kind, const char *detail)
{
	struct event e = {.kind = kind, .detail = detail};

	core_emit(c, &e);
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"state-dir", required_argument, NULL, 's'},
	    {"socket", required_argument, NULL, 'S'},
	    {"check-config", no_argument, NULL, 'k'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {},
	};
	static struct config cfg;
	const char *config_path = NULL, *state_dir = NULL, *socket_path = NULL;
	bool check_only = false;
	char err[512], db_path[PATH_MAX + 16], detail[128];
	struct core_clock clock = {.wall_ms = wall_ms, .mono_ms = mono_ms};
	struct core *core = NULL;
	struct store *store = NULL;
	struct ctl_server *ctl = NULL;
	struct worker *password_worker = NULL;
	sd_event *loop = NULL;
	struct group *gr;
	sigset_t mask;
	int opt, r, ret = EXIT_FAILURE;

	while ((opt = getopt_long(argc, argv, "c:h", options, NULL)) != -1) {
		switch (opt) {
		case 'c':
			config_path = optarg;
			break;
		case 's':
			state_dir = optarg;
			break;
		case 'S':
			socket_path = optarg;
			break;
		case 'k':
			check_only = true;
			break;
		case 'h':
			usage(stdout);
			return EXIT_SUCCESS;
		case 'V':
			printf("aeogated %s\n", AEOGATE_VERSION);
			return EXIT_SUCCESS;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!config_path || optind != argc) {
		usage(stderr);
		return 2;
	}

	r = config_load(config_path, &cfg, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, SD_ERR "%s\n", err);
		return EXIT_FAILURE;
	}
	if (state_dir)
		snprintf(cfg.state_dir, sizeof(cfg.state_dir), "%s", state_dir);
	if (socket_path)
		snprintf(cfg.socket, sizeof(cfg.socket), "%s", socket_path);
	if (check_only) {
		printf("%s: ok: %zu doors, %zu readers\n", config_path, cfg.n_doors, cfg.n_readers);
		return EXIT_SUCCESS;
	}

	r = core_new(&cfg, &clock, &core);
	if (r < 0) {
		fprintf(stderr, SD_ERR "cannot start: %s\n", strerror(-r));
		return EXIT_FAILURE;
	}
	/* Safety invariant 1: locks are locked before anything else runs. */
	r = core_lock_all(core);
	if (r < 0) {
		fprintf(stderr, SD_EMERG "cannot drive every lock to locked: %s\n", strerror(-r));
		goto out;
	}

	r = mkdir_parents(cfg.state_dir, 0750);
	if (r < 0) {
		fprintf(stderr, SD_ERR "state directory %s: %s\n", cfg.state_dir, strerror(-r));
		goto out;
	}
	snprintf(db_path, sizeof(db_path), "%s/aeogate.db", cfg.state_dir);
	r = store_open(db_path, cfg.durability, &store, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, SD_ERR "%s: %s\n", db_path, err);
		goto out;
	}
	r = core_attach_store(core, store);
	if (r < 0) {
		fprintf(stderr, SD_ERR "%s: cannot record the configured doors: %s\n", db_path,
			strerror(-r));
		goto out;
	}

	/* BEGIN audit wiring (device key, checkpoints, alarms) */
	{
		struct audit_settings as = {.checkpoint_events = cfg.checkpoint_events,
					    .checkpoint_minutes = cfg.checkpoint_minutes,
					    .alarm_ack_limit_ms = cfg.alarm_ack_limit_ms,
					    .retention = cfg.retention,
					    .n_retention = cfg.n_retention,
					    .report = audit_report};

		r = ops_audit_init(core, cfg.state_dir, &as, err, sizeof(err));
		if (r < 0) {
			fprintf(stderr, SD_ERR "%s\n", err);
			goto out;
		}
		fprintf(stderr, SD_INFO "device key %s (%s/device.pub)\n", ops_audit_key_id(),
			cfg.state_dir);
	}
	/* END audit wiring */

	r = sd_event_default(&loop);
	if (r < 0)
		goto out;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	if ((r = sd_event_add_signal(loop, NULL, SIGTERM, NULL, NULL)) < 0 ||
	    (r = sd_event_add_signal(loop, NULL, SIGINT, NULL, NULL)) < 0) {
		fprintf(stderr, SD_ERR "signals: %s\n", strerror(-r));
		goto out;
	}
	/* Pings the service manager when WatchdogSec= is set; a no-op otherwise. */
	(void)sd_event_set_watchdog(loop, true);

	{
		char sockdir[PATH_MAX];
		char *slash;

		snprintf(sockdir, sizeof(sockdir), "%s", cfg.socket);
		slash = strrchr(sockdir, '/');
		if (slash && slash != sockdir) {
			*slash = '\0';
			(void)mkdir_parents(sockdir, 0755);
		}
	}
	gr = getgrnam("aeogate-admin");
	{
		static const struct ctl_op *tables[] = {ops_admin, ops_door, ops_events, NULL,
							NULL,	   NULL,     NULL};
		struct ctl_server_config sc = {
		    .path = cfg.socket,
		    .tables = tables,
		    .userdata = core,
		    .backlog = backlog,
		    .admin_gid = gr ? gr->gr_gid : (gid_t)-1,
		};
		/* BEGIN users wiring (tables, auth) */
		/* Dashboard users and sessions; without them tokens are refused. */
		core_set_users(core, users_new(core));
		if (!core_users(core))
			fprintf(stderr, SD_WARNING "dashboard users: out of memory\n");
		/* Password checks run on a worker thread so no badge read waits for one. */
		r = worker_new(loop, &password_worker);
		if (r < 0)
			fprintf(stderr, SD_WARNING "password worker: %s; checking inline\n",
				strerror(-r));
		users_set_worker(core_users(core), password_worker);
		tables[3] = ops_user;
		sc.auth = users_token_resolve;
		sc.auth_userdata = core_users(core);
		/* END users wiring (tables, auth) */
		/* BEGIN audit wiring (tables) */
		{
			size_t i = 0;

			while (tables[i])
				i++;
			tables[i] = ops_audit;
			tables[i + 1] = ops_report;
		}
		/* END audit wiring (tables) */
		r = ctl_server_new(loop, &sc, &ctl);
		if (r < 0) {
			fprintf(stderr, SD_ERR "control socket %s: %s\n", cfg.socket, strerror(-r));
			goto out;
		}
	}
	core_set_event_callback(core, on_event, ctl);

	/* BEGIN audit wiring (checkpoint timer) */
	r = sd_event_add_time_relative(loop, NULL, CLOCK_MONOTONIC, 60ull * 1000 * 1000, 0,
				       on_checkpoint_timer, NULL);
	if (r < 0) {
		fprintf(stderr, SD_ERR "checkpoint timer: %s\n", strerror(-r));
		goto out;
	}
	r = sd_event_add_time_relative(loop, &prune_timer, CLOCK_MONOTONIC, 0, 0, on_prune_timer,
				       NULL);
	if (r < 0) {
		fprintf(stderr, SD_ERR "pruning timer: %s\n", strerror(-r));
		goto out;
	}
	sd_event_source_set_enabled(prune_timer, SD_EVENT_OFF);
	ops_audit_set_prune_waker(prune_wake, NULL);
	/* END audit wiring */

	r = core_start(core, loop);
	if (r < 0) {
		fprintf(stderr, SD_ERR "cannot start doors and readers: %s\n", strerror(-r));
		goto out;
	}
	ops_events_set_started(now_wall_ms());
	snprintf(detail, sizeof(detail), "{\"clock_synced\":%s,\"version\":\"%s\",\"schema\":%d}",
		 clock_synced() > 0 ? "true" : "false", AEOGATE_VERSION, store_user_version(store));
	emit_system(core, "system.start", detail);

	fprintf(stderr, SD_INFO "aeogated %s ready: %zu doors, %zu readers, socket %s\n",
		AEOGATE_VERSION, cfg.n_doors, cfg.n_readers, cfg.socket);
	sd_notify(0, "READY=1\nSTATUS=deciding");

	r = sd_event_loop(loop);
	sd_notify(0, "STOPPING=1");
	core_stop(core);
	emit_system(core, "system.stop", NULL);
	ops_audit_stop(); /* a checkpoint and head record over system.stop */
	fprintf(stderr, SD_INFO "aeogated stopping: every lock is locked\n");
	ret = r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
out:
	/* Whatever failed, the doors end locked (core_free locks before closing). */
	core_set_event_callback(core, NULL, NULL);
	/* Pending sign-ins are answered (as failed) while the socket still exists. */
	worker_free(password_worker);
	ctl_server_free(ctl);
	users_free(core ? core_users(core) : NULL);
	core_free(core);
	store_close(store);
	/* BEGIN audit wiring (pruning timer) */
	ops_audit_set_prune_waker(NULL, NULL);
	prune_timer = sd_event_source_unref(prune_timer);
	/* END audit wiring */
	sd_event_unref(loop);
	return ret;
}
