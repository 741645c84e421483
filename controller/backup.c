/* SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "backup.h"
#include "core.h"
#include "store.h"

#define BACKUP_PREFIX "aeogate-"
#define BACKUP_SUFFIX ".db"

struct backup_sched {
	struct core *core;
	sd_event_source *timer, *done_src;
	int efd;
	uint64_t every_us;
	unsigned keep;
	char dir[256];
	char db_path[PATH_MAX];
	/* One run: written by its thread, read by the loop after the eventfd says it ended. */
	pthread_t thread;
	bool running;
	int64_t now_ms;
	char path[PATH_MAX - 8];
	struct checkpoint cp;
	int64_t bytes;
	unsigned removed;
	int result;
	char what[PATH_MAX + 320];
	/* Failures in a row: the first raises alarm.backup, the next ones are counted only. */
	unsigned failures;
};

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Removes the oldest backups in dir beyond keep (names sort by their time). */
static unsigned prune_old(const char *dir, unsigned keep)
{
	char **names = NULL, path[PATH_MAX + 300];
	size_t n = 0, cap = 0;
	unsigned removed = 0;
	struct dirent *de;
	DIR *d = opendir(dir);

	if (!d)
		return 0;
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);

		if (strncmp(de->d_name, BACKUP_PREFIX, strlen(BACKUP_PREFIX)) ||
		    len <= strlen(BACKUP_SUFFIX) ||
		    strcmp(de->d_name + len - strlen(BACKUP_SUFFIX), BACKUP_SUFFIX))
			continue;
		if (n == cap) {
			char **m = realloc(names, (cap = cap ? 2 * cap : 16) * sizeof(*names));

			if (!m)
				break;
			names = m;
		}
		if (!(names[n] = strdup(de->d_name)))
			break;
		n++;
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_names);
	for (size_t i = 0; i + keep < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (unlink(path) == 0)
			removed++;
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return removed;
}

static void *backup_main(void *userdata)
{
	struct backup_sched *b = userdata;
	char tmp[PATH_MAX + 8], stamp[32];
	time_t t = (time_t)(b->now_ms / 1000);
	struct stat st;
	struct tm tm;
	uint64_t one = 1;
	int r, dfd;

	gmtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	snprintf(b->path, sizeof(b->path), "%s/" BACKUP_PREFIX "%s" BACKUP_SUFFIX, b->dir, stamp);
	snprintf(tmp, sizeof(tmp), "%s.tmp", b->path);
	unlink(tmp);
	/* Pinned until the copy is synced and renamed too: see ops_backup.c's backup_job_run. */
	store_wal_pin(core_store(b->core));
	r = audit_backup_copy(core_audit(b->core), b->db_path, tmp, b->now_ms, NULL, NULL, &b->cp,
			      b->what, sizeof(b->what));
	if (r == 0) {
		int fd = open(tmp, O_RDONLY | O_CLOEXEC);

		/* The copy was not synced (store_backup_copy): this one is kept, so now. */
		if (fd < 0 || fsync(fd) < 0 || fstat(fd, &st) < 0) {
			r = -errno;
			snprintf(b->what, sizeof(b->what), "%s: %s", tmp, strerror(errno));
		} else {
			b->bytes = st.st_size;
		}
		if (fd >= 0)
			close(fd);
	}
	if (r == 0 && rename(tmp, b->path) < 0) {
		r = -errno;
		snprintf(b->what, sizeof(b->what), "%s: %s", b->path, strerror(errno));
	}
	if (r < 0) {
		unlink(tmp);
	} else {
		if ((dfd = open(b->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
			(void)fsync(dfd);
			close(dfd);
		}
		b->removed = prune_old(b->dir, b->keep);
	}
	store_wal_unpin(core_store(b->core));
	b->result = r;
	(void)!write(b->efd, &one, sizeof(one));
	return NULL;
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct backup_sched *b = userdata;
	sigset_t all, old;
	int e;

	(void)s;
	(void)usec;
	sd_event_source_set_time_relative(b->timer, b->every_us);
	sd_event_source_set_enabled(b->timer, SD_EVENT_ONESHOT);
	if (b->running)
		return 0; /* the last one still runs: this turn is skipped */
	b->now_ms = core_wall_ms(b->core);
	b->what[0] = '\0';
	b->bytes = 0;
	b->removed = 0;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	e = pthread_create(&b->thread, NULL, backup_main, b);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (e) {
		b->result = -e;
		snprintf(b->what, sizeof(b->what), "no thread: %s", strerror(e));
		uint64_t one = 1;
		(void)!write(b->efd, &one, sizeof(one));
		return 0;
	}
	b->running = true;
	return 0;
}

static int on_done(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct backup_sched *b = userdata;
	json_t *d;
	char *text;
	uint64_t n;

	(void)s;
	(void)revents;
	if (read(fd, &n, sizeof(n)) != sizeof(n))
		return 0;
	if (b->running) {
		pthread_join(b->thread, NULL);
		b->running = false;
	}
	if (b->result == 0) {
		d = json_pack("{s:I,s:I,s:s,s:s,s:i,s:i}", "seq", (json_int_t)b->cp.seq, "bytes",
			      (json_int_t)b->bytes, "key_id", b->cp.key_id, "to", b->path,
			      "removed", (int)b->removed, "failed_before", (int)b->failures);
		b->failures = 0;
	} else if (b->failures++) {
		return 0; /* alarm.backup is open already; the next success says how many failed */
	} else {
		d = json_pack("{s:s,s:s,s:s}", "dir", b->dir, "error", strerror(-b->result), "what",
			      b->what);
	}
	text = d ? json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	struct event e = {.kind = b->result == 0 ? "system.backup" : "alarm.backup",
			  .detail = text};
	(void)core_emit(b->core, &e);
	free(text);
	json_decref(d);
	return 0;
}

int backup_dir_check(const char *dir, char *why, size_t len)
{
	struct stat st;
	int r;

	if (stat(dir, &st) < 0) {
		r = -errno;
		snprintf(why, len, "%s: %s", dir, strerror(errno));
		return r;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(why, len, "%s: not a directory", dir);
		return -ENOTDIR;
	}
	/* access() answers for this process's ids and mounts: a read-only sandbox says EROFS. */
	if (access(dir, W_OK | X_OK) < 0) {
		r = -errno;
		snprintf(why, len, "%s: not writable by uid %u: %s", dir, (unsigned)getuid(),
			 strerror(errno));
		return r;
	}
	return 0;
}

void backup_sched_fail_now(struct backup_sched *b, int error, const char *what)
{
	uint64_t one = 1;

	if (!b || b->running)
		return;
	b->result = error;
	snprintf(b->what, sizeof(b->what), "%s", what);
	(void)!write(b->efd, &one, sizeof(one));
}

int backup_sched_new(struct core *c, sd_event *loop, const char *dir, uint64_t every_ms,
		     unsigned keep, struct backup_sched **ret)
{
	struct backup_sched *b = calloc(1, sizeof(*b));
	const char *db = store_path(core_store(c));
	int r;

	if (!b)
		return -ENOMEM;
	b->core = c;
	b->every_us = every_ms * 1000;
	b->keep = keep;
	snprintf(b->dir, sizeof(b->dir), "%s", dir);
	snprintf(b->db_path, sizeof(b->db_path), "%s", db);
	b->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (b->efd < 0) {
		r = -errno;
		goto err;
	}
	if ((r = sd_event_add_io(loop, &b->done_src, b->efd, EPOLLIN, on_done, b)) < 0 ||
	    (r = sd_event_add_time_relative(loop, &b->timer, CLOCK_MONOTONIC, b->every_us, 0,
					    on_timer, b)) < 0)
		goto err;
	*ret = b;
	return 0;
err:
	backup_sched_free(b);
	return r;
}

void backup_sched_free(struct backup_sched *b)
{
	if (!b)
		return;
	if (b->running)
		pthread_join(b->thread, NULL);
	sd_event_source_unref(b->timer);
	sd_event_source_unref(b->done_src);
	if (b->efd >= 0)
		close(b->efd);
	free(b);
}
