/* SPDX-License-Identifier: MIT */
/*
 * aeogated: the controller. Order at start is the safety order: config,
 * then every lock to its locked level, then the database, then the socket,
 * then inputs and readers, then READY=1. At stop: locks first.
 */
#include <errno.h>
#include <inttypes.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>
#include <unistd.h>

#include "audit.h"
#include "bus.h"
#include "collide.h"
#include "core.h"
#include "offline.h"
#include "backup.h"
#include "reload.h"
#include "ctlsock.h"
#include "expiry.h"
#include "ops.h"
#include "reserve.h"
#include "privdrop.h"
#include "state.h"
#include "store.h"
#include "users.h"
#include "util.h"
#include "worker.h"

/* The journal: a line at a syslog LOG_* priority, as sd-daemon(3) prefixes it. */
static void journal(void *userdata, int priority, const char *line)
{
	fprintf(stderr, "<%d>%s\n", priority, line);
}

/* How a pruning run ended: runs end on a timer, where no request can carry the news. */
static void prune_log_news(struct audit *a)
{
	bool failed = false;
	const char *news = audit_prune_news(a, &failed);

	if (news)
		journal(NULL, failed ? LOG_WARNING : LOG_INFO, news);
}

/* How a streamed export ended: one journal line, a warning when it failed. */
static void stream_log(void *userdata, const char *op, const char *operator_id, int r,
		       uint64_t bytes, const char *message)
{
	char line[512];

	if (r == 0)
		snprintf(line, sizeof(line), "%s by %s: %" PRIu64 " bytes streamed", op,
			 operator_id, bytes);
	else
		snprintf(line, sizeof(line), "%s by %s failed after %" PRIu64 " bytes: %s", op,
			 operator_id, bytes, message);
	journal(userdata, r == 0 ? LOG_INFO : LOG_WARNING, line);
}

/* Signs a checkpoint every checkpoint_minutes when events came in between. */
static int on_checkpoint_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	audit_tick(userdata);
	prune_log_news(userdata); /* a scheduled run that could not start */
	/* A oneshot timer: re-arm it for the next minute. */
	sd_event_source_set_time_relative(s, 60ull * 1000 * 1000);
	sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
	return 0;
}

static int on_prune_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	if (audit_prune_step(userdata)) {
		sd_event_source_set_time_relative(s, AEOGATE_PRUNE_STEP_GAP_MS * 1000ull);
		sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
	}
	prune_log_news(userdata);
	return 0;
}

/*
 * Expiry warnings: a run at start and one a day, in steps of a bounded
 * number of items with the loop serving the doors in between.
 */
static int on_expiry_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	int r = expiry_step(userdata);
	uint64_t next = 24ull * 60 * 60 * 1000 * 1000;

	if (r > 0)
		next = AEOGATE_PRUNE_STEP_GAP_MS * 1000ull;
	else if (r < 0) {
		char line[128];

		snprintf(line, sizeof(line), "expiry warnings: %s; trying again in a minute",
			 strerror(-r));
		journal(NULL, LOG_WARNING, line);
		next = 60ull * 1000 * 1000;
	}
	sd_event_source_set_time_relative(s, next);
	sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
	return 0;
}

/*
 * Alarm escalation: every second, a cheap indexed look for open alarms past
 * [audit] alarm_ack_limit; sooner again when a step was full.
 */
static int on_escalate_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	int r = audit_alarms_escalate(userdata);
	uint64_t next = 1000ull * 1000;

	/*
	 * A full step (r > 0: a backlog, e.g. after an upgrade found many
	 * overdue alarms) waits the same second: escalations are at most
	 * ESCALATE_STEP_ALARMS events a second, never a storm the doors queue behind.
	 */
	if (r < 0 && r != -EBUSY) {
		char line[128];

		snprintf(line, sizeof(line), "alarm escalation: %s; trying again in a minute",
			 strerror(-r));
		journal(NULL, LOG_WARNING, line);
		next = 60ull * 1000 * 1000;
	}
	sd_event_source_set_time_relative(s, next);
	sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
	return 0;
}

/* Pruning runs in bounded steps, the loop serving the doors in between. */
static void prune_wake(void *userdata)
{
	sd_event_source *prune_timer = userdata;

	sd_event_source_set_time_relative(prune_timer, 0);
	sd_event_source_set_enabled(prune_timer, SD_EVENT_ONESHOT);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: aeogated -c FILE [--state-dir DIR] [--socket PATH] [--check-config]\n"
		   "       aeogated --verify-db FILE [--pubkey KEY]\n"
		   "       aeogated --restore FILE [--state-dir DIR] [--other-device]\n"
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

/* Alarms raised and checkpoints counted (stored events only: no row to raise or sign). */
static void audit_subscriber(void *userdata, const struct event *e)
{
	audit_on_event(userdata, e);
}

static void followers_on_event(void *userdata, const struct event *e)
{
	ctl_server_publish(userdata, e);
}

static int backlog(void *userdata, int64_t since, size_t limit,
		   int (*cb)(const struct event *e, void *cbdata), void *cbdata)
{
	return store_event_list(core_store(userdata), since, limit, cb, cbdata);
}

static int person_name(void *userdata, const char *id, char *buf, size_t len)
{
	return store_person_name(core_store(userdata), id, buf, len);
}

static int person_photo(void *userdata, const char *id)
{
	return store_person_has_photo(core_store(userdata), id);
}

/* SIGHUP (systemctl reload): the config read again (reload.h); the loop never stops for it. */
static int on_sighup(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
	struct core *c = userdata;
	struct config *cfg = (struct config *)core_config(c);
	char err[512];
	int r;

	(void)s;
	(void)si;
	r = config_reload(c, cfg, err, sizeof(err));
	if (r > 0)
		fprintf(stderr, SD_NOTICE "config reloaded from %s\n", cfg->path);
	else
		fprintf(stderr, SD_WARNING "config reload refused, the running one stays: %s\n",
			r < 0 ? strerror(-r) : err);
	return 0;
}

static void on_storage(void *userdata, enum core_storage_news news, int error, uint64_t n)
{
	char line[512];
	int priority = core_storage_news_text(userdata, news, error, n, line, sizeof(line));

	journal(NULL, priority, line);
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
	    /* Offline modes (offline.h), run by aeogatectl: no loop, no config. */
	    {"verify-db", required_argument, NULL, 'D'},
	    {"pubkey", required_argument, NULL, 'P'},
	    {"restore", required_argument, NULL, 'R'},
	    {"other-device", no_argument, NULL, 'O'},
	    {},
	};
	static struct config cfg;
	const char *config_path = NULL, *state_dir = NULL, *socket_path = NULL;
	const char *verify_db = NULL, *pubkey = NULL, *restore = NULL;
	bool check_only = false, other_device = false;
	char start_detail[1024], restored[768];
	char err[512], db_path[PATH_MAX + 16], detail[128];
	struct core_clock clock = {.wall_ms = wall_ms, .mono_ms = mono_ms};
	struct core *core = NULL;
	struct store *store = NULL;
	struct reserve *reserve = NULL;
	uint64_t owed = 0;
	struct ctl_server *ctl = NULL;
	struct bus *bus = NULL;
	struct audit *audit = NULL;
	sd_event_source *prune_timer = NULL, *expiry_timer = NULL;
	struct expiry *expiry = NULL;
	struct backup_sched *backups = NULL;
	struct worker *password_worker = NULL;
	sd_event *loop = NULL;
	struct group *gr;
	gid_t admin_gid, web_gid;
	struct privdrop privdrop;
	sigset_t mask;
	int opt, r, ret = EXIT_FAILURE;

	/*
	 * Whatever the caller's umask, what we create is ours and our group's
	 * to read: the state directory 0750, the database and keys 0640 or
	 * tighter. The control socket sets its own mode.
	 */
	umask(0027);
	/*
	 * Large blocks (argon2's 19 MiB per password check, export pages) are
	 * mapped and unmapped each time instead of staying in the heap after
	 * their first free, so RSS falls back once a check is done (glibc's
	 * dynamic threshold would otherwise keep them).
	 */
	(void)mallopt(M_MMAP_THRESHOLD, AEOGATE_MMAP_THRESHOLD_BYTES);
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
		case 'D':
			verify_db = optarg;
			break;
		case 'P':
			pubkey = optarg;
			break;
		case 'R':
			restore = optarg;
			break;
		case 'O':
			other_device = true;
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
	if (verify_db && optind == argc)
		return offline_verify_db(verify_db, pubkey);
	if (restore && optind == argc)
		return offline_restore(restore, state_dir ? state_dir : "/var/lib/aeogate",
				       other_device);
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
	snprintf(db_path, sizeof(db_path), "%s/aeogate.db", cfg.state_dir);
	if (check_only) {
		/* The badges already enrolled are checked against the readers' formats too. */
		if (access(db_path, F_OK) == 0) {
			r = store_open_readonly(db_path, &store, err, sizeof(err));
			if (r < 0)
				fprintf(stderr, SD_WARNING "enrolled badges not checked: %s\n",
					err);
			else
				collide_warn(&cfg, store, journal, NULL);
			store_close(store);
		}
		/* Run as the service's user in its sandbox (ExecStartPre=), this is the real
		 * answer. */
		if (cfg.backup_dir[0] && backup_dir_check(cfg.backup_dir, err, sizeof(err)) < 0)
			fprintf(stderr,
				SD_WARNING "[backup] dir: scheduled backups will fail: %s\n", err);
		printf("%s: ok: %zu doors, %zu readers\n", config_path, cfg.n_doors, cfg.n_readers);
		return EXIT_SUCCESS;
	}

	/* Started as root by hand: to whom it drops once devices and socket are open. */
	r = privdrop_prepare(&cfg, &privdrop, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, SD_ERR "%s\n", err);
		return EXIT_FAILURE;
	}

	/*
	 * Schedules are evaluated on the site's local clock (localtime_r in
	 * this process's zone); events and records stay UTC. Not set: the
	 * system's zone. config_load checked the name against the tzdata.
	 */
	if (cfg.timezone_set && setenv("TZ", cfg.timezone, 1) < 0) {
		fprintf(stderr, SD_ERR "timezone %s: %s\n", cfg.timezone, strerror(errno));
		return EXIT_FAILURE;
	}
	tzset();

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

	r = state_mkdir_parents(cfg.state_dir, 0750);
	if (r < 0) {
		fprintf(stderr, SD_ERR "state directory %s: %s\n", cfg.state_dir, strerror(-r));
		goto out;
	}
	r = state_check_private(db_path, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, SD_ERR "%s\n", err);
		goto out;
	}
	r = reserve_open(cfg.state_dir, cfg.storage_reserve, &reserve, &owed);
	if (r == -ENOSPC)
		fprintf(stderr,
			SD_WARNING
			"%s: no room for the %llu-byte storage reserve (storage_reserve); "
			"retrying while running\n",
			cfg.state_dir, (unsigned long long)cfg.storage_reserve);
	else if (r < 0) {
		fprintf(stderr, SD_ERR "%s: storage reserve: %s\n", cfg.state_dir, strerror(-r));
		goto out;
	}
	core_set_reserve(core, reserve);
	core_set_storage_callback(core, on_storage, &cfg);
	r = store_open(db_path, cfg.durability, &store, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, SD_ERR "%s: %s\n", db_path, err);
		goto out;
	}
	if (store_opened_version(store) && store_opened_version(store) < store_schema_version())
		fprintf(stderr, SD_NOTICE "%s: migrated from schema %d to %d\n", db_path,
			store_opened_version(store), store_schema_version());
	r = core_attach_store(core, store);
	if (r < 0) {
		fprintf(stderr, SD_ERR "%s: cannot record the configured doors: %s\n", db_path,
			strerror(-r));
		goto out;
	}
	collide_warn(&cfg, store, journal, NULL);

	{
		struct audit_settings as = {.checkpoint_events = cfg.checkpoint_events,
					    .checkpoint_minutes = cfg.checkpoint_minutes,
					    .alarm_ack_limit_ms = cfg.alarm_ack_limit_ms,
					    .retention = cfg.retention,
					    .n_retention = cfg.n_retention,
					    .report = journal};

		r = audit_new(&audit, core, cfg.state_dir, &as, err, sizeof(err));
		if (r < 0) {
			fprintf(stderr, SD_ERR "%s\n", err);
			goto out;
		}
		fprintf(stderr, SD_INFO "device key %s (%s/device.pub)\n", audit_key_id(audit),
			cfg.state_dir);
		core_set_audit(core, audit);
	}

	r = sd_event_default(&loop);
	if (r < 0)
		goto out;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	if ((r = sd_event_add_signal(loop, NULL, SIGTERM, NULL, NULL)) < 0 ||
	    (r = sd_event_add_signal(loop, NULL, SIGINT, NULL, NULL)) < 0 ||
	    (r = sd_event_add_signal(loop, NULL, SIGHUP, on_sighup, core)) < 0) {
		fprintf(stderr, SD_ERR "signals: %s\n", strerror(-r));
		goto out;
	}
	/* Pings the service manager when WatchdogSec= is set; a no-op otherwise. */
	(void)sd_event_set_watchdog(loop, true);

	state_socket_dir_create(cfg.socket);
	/* getgrnam's result is static: keep each gid before the next lookup. */
	gr = getgrnam("aeogate-admin");
	admin_gid = gr ? gr->gr_gid : (gid_t)-1;
	gr = getgrnam(cfg.web_group);
	web_gid = gr ? gr->gr_gid : (gid_t)-1;
	{
		struct ctl_server_config sc = {
		    .path = cfg.socket,
		    .tables = ops_tables,
		    .userdata = core,
		    .backlog = backlog,
		    .person_name = person_name,
		    .person_photo = person_photo,
		    .admin_gid = admin_gid,
		    .web_gid = web_gid,
		    .timeout_ms = cfg.socket_timeout_ms,
		    .stream_log = stream_log,
		};
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
		sc.auth = users_token_resolve;
		sc.auth_userdata = core_users(core);
		r = ctl_server_new(loop, &sc, &ctl);
		if (r < 0) {
			fprintf(stderr, SD_ERR "control socket %s: %s\n", cfg.socket, strerror(-r));
			goto out;
		}
	}
	/* Alarm rows before followers hear of the alarm. */
	if ((r = bus_new(&bus)) < 0 ||
	    (r = bus_subscribe(bus, BUS_STORED_ONLY, audit_subscriber, audit)) < 0 ||
	    (r = bus_subscribe(bus, 0, followers_on_event, ctl)) < 0) {
		fprintf(stderr, SD_ERR "event bus: %s\n", strerror(-r));
		goto out;
	}
	core_set_bus(core, bus);

	r = sd_event_add_time_relative(loop, NULL, CLOCK_MONOTONIC, 60ull * 1000 * 1000, 0,
				       on_checkpoint_timer, audit);
	if (r < 0) {
		fprintf(stderr, SD_ERR "checkpoint timer: %s\n", strerror(-r));
		goto out;
	}
	r = sd_event_add_time_relative(loop, NULL, CLOCK_MONOTONIC, 1000ull * 1000, 0,
				       on_escalate_timer, audit);
	if (r < 0) {
		fprintf(stderr, SD_ERR "alarm escalation timer: %s\n", strerror(-r));
		goto out;
	}
	r = sd_event_add_time_relative(loop, &prune_timer, CLOCK_MONOTONIC, 0, 0, on_prune_timer,
				       audit);
	if (r < 0) {
		fprintf(stderr, SD_ERR "pruning timer: %s\n", strerror(-r));
		goto out;
	}
	sd_event_source_set_enabled(prune_timer, SD_EVENT_OFF);
	audit_set_prune_waker(audit, prune_wake, prune_timer);
	if (cfg.expiry_warning_days) {
		if ((r = expiry_new(core, cfg.expiry_warning_days, &expiry)) < 0 ||
		    (r = sd_event_add_time_relative(loop, &expiry_timer, CLOCK_MONOTONIC, 0, 0,
						    on_expiry_timer, expiry)) < 0) {
			fprintf(stderr, SD_ERR "expiry warnings: %s\n", strerror(-r));
			goto out;
		}
		sd_event_source_set_enabled(expiry_timer, SD_EVENT_ONESHOT);
	}

	if (cfg.backup_dir[0] &&
	    (r = backup_sched_new(core, loop, cfg.backup_dir, cfg.backup_every_ms, cfg.backup_keep,
				  &backups)) < 0) {
		fprintf(stderr, SD_ERR "scheduled backups: %s\n", strerror(-r));
		goto out;
	}

	r = core_start(core, loop);
	if (r < 0) {
		fprintf(stderr, SD_ERR "cannot start doors and readers: %s\n", strerror(-r));
		goto out;
	}
	if (!core_pin_worker(core))
		fprintf(stderr, SD_WARNING "PIN worker: no thread; PINs are checked on the loop\n");
	/* Every device and the socket are open: no more root from here on. */
	r = privdrop_apply(&privdrop, cfg.state_dir, cfg.socket, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, SD_ERR "%s\n", err);
		goto out;
	}
	if (privdrop.drop)
		fprintf(stderr, SD_INFO "running as %s (uid %u, gid %u)\n", privdrop.user,
			(unsigned)privdrop.uid, (unsigned)privdrop.gid);
	else if (geteuid() == 0)
		fprintf(stderr, SD_WARNING "running as root: allow_root = true\n");
	/*
	 * Said now, as the user that will write them, not in a day when the
	 * first backup fails: the journal line, and alarm.backup once the loop
	 * runs. The doors run all the same.
	 */
	if (backups && (r = backup_dir_check(cfg.backup_dir, err, sizeof(err))) < 0) {
		fprintf(stderr,
			SD_WARNING "[backup] dir: scheduled backups will fail: %s; under systemd "
				   "the unit must list the directory in ReadWritePaths= (systemctl "
				   "edit aeogated; README, \"Backup and restore\")\n",
			err);
		backup_sched_fail_now(backups, r, err);
	}
	ops_events_set_started(now_wall_ms());
	/* A restore (aeogated --restore) is recorded by the first event after it. */
	if (!offline_restored_note(cfg.state_dir, restored, sizeof(restored)))
		restored[0] = '\0';
	snprintf(start_detail, sizeof(start_detail),
		 "{\"clock_synced\":%s,\"version\":\"%s\",\"schema\":%d%s%s}",
		 clock_synced() > 0 ? "true" : "false", AEOGATE_VERSION, store_user_version(store),
		 restored[0] ? ",\"restored\":" : "", restored);
	emit_system(core, "system.start", start_detail);
	if (restored[0])
		offline_restored_done(cfg.state_dir);
	if (owed) {
		/* The last run ended with events that storage never took: say how many. */
		snprintf(detail, sizeof(detail), "{\"lost\":%llu}", (unsigned long long)owed);
		fprintf(stderr, SD_WARNING "the last run lost %llu events it could not store\n",
			(unsigned long long)owed);
		struct event e = {.kind = "system.unclean_stop", .detail = detail};
		if (core_emit(core, &e) == 0)
			(void)reserve_set_owed(reserve, 0);
	}

	fprintf(stderr, SD_INFO "aeogated %s ready: %zu doors, %zu readers, socket %s\n",
		AEOGATE_VERSION, cfg.n_doors, cfg.n_readers, cfg.socket);
	sd_notify(0, "READY=1\nSTATUS=deciding");

	r = sd_event_loop(loop);
	sd_notify(0, "STOPPING=1");
	/* An import applying its rows stops between two slices; its client hears how far it got. */
	ops_import_stop(core);
	core_stop(core);
	emit_system(core, "system.stop", NULL);
	audit_stop(audit); /* a checkpoint and head record over system.stop */
	fprintf(stderr, SD_INFO "aeogated stopping: every lock is locked\n");
	ret = r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
out:
	/* Whatever failed, the doors end locked (core_free locks before closing). */
	if (core)
		core_set_bus(core, NULL);
	backup_sched_free(backups);
	/* Pending sign-ins are answered (as failed) while the socket still exists. */
	worker_free(password_worker);
	ctl_server_free(ctl);
	bus_free(bus);
	users_free(core ? core_users(core) : NULL);
	core_free(core);
	store_close(store);
	reserve_free(reserve);
	if (audit)
		audit_set_prune_waker(audit, NULL, NULL);
	sd_event_source_unref(prune_timer);
	sd_event_source_unref(expiry_timer);
	expiry_free(expiry);
	audit_free(audit);
	sd_event_unref(loop);
	return ret;
}
