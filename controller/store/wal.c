/* SPDX-License-Identifier: MIT */
/*
 * WAL checkpoints off the decision path. The deciding connection never
 * checkpoints (wal_autocheckpoint = 0): a checkpoint copies the WAL into
 * the database file and, with synchronous = NORMAL, syncs it, which put a
 * 13-19 ms pause into about one commit in 90. Instead a WAL hook counts the
 * WAL's pages after each commit and, past AEOGATE_WAL_CHECKPOINT_PAGES,
 * wakes this thread, which runs a PASSIVE checkpoint on a connection of its
 * own: it never waits for the writer and the writer never waits for it.
 * SQLite starts the WAL over at the next commit once a checkpoint caught up.
 * Only a sustained burst, which the thread cannot catch up with, makes the
 * writer checkpoint itself (AEOGATE_WAL_CHECKPOINT_INLINE_PAGES).
 *
 * Except while a long reader (a backup, a streamed export) pins its
 * snapshot, and after it until the WAL starts over: it cannot start over
 * under such a reader and grows past that size, and the writer's own
 * checkpoint then copied the whole grown WAL into the database file, and
 * synced both, inside the first decision after the backup (traced:
 * fdatasync of aeogate.db and its pwrites on the loop's thread). The WAL
 * is larger for that while; the thread copies it, and the writer steps in
 * only if it grows by the inline size again beyond what the reader left.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "store-internal.h"

struct store_wal {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool wake, stop;
	sqlite3 *db;	    /* the checkpointer's own connection, used by its thread only */
	uint64_t caught_up; /* checkpoints that copied the whole WAL, under mu */
	atomic_uint pins;   /* long readers holding a snapshot (store_wal_pin) */
	atomic_bool grown;  /* one let go, and the WAL has not started over since */
	/* The writer's thread only: */
	int grown_base;	      /* WAL pages at the first commit after the pin let go */
	uint64_t inline_runs; /* checkpoints the writer ran itself */
	int file_fd;	      /* the database file, for its filesystem's free space */
	long page_size;	      /* the database's, in bytes */
	int inline_pages;     /* the writer's own checkpoint past this (inline_limit) */
	int checked_at;	      /* WAL pages when inline_pages was last worked out */
};

/*
 * The WAL size past which the writer checkpoints itself: a quarter of the
 * filesystem's free space, within AEOGATE_WAL_CHECKPOINT_INLINE_PAGES_MIN
 * and AEOGATE_WAL_CHECKPOINT_INLINE_PAGES. On a roomy disk a burst of
 * back-to-back commits pays that copy and its syncs rarely; on a small or
 * nearly full one the WAL stays as small as SQLite's own default keeps it,
 * so that a buffer of events written after the disk had room again does
 * not grow the WAL into that room. The thread starts at a quarter of it.
 * Worked out again every 256 pages and when the WAL started over.
 */
static int inline_limit(struct store_wal *w, int pages)
{
	struct statvfs v;
	long long free_pages;

	if (pages >= w->checked_at && pages < w->checked_at + 256 && w->inline_pages)
		return w->inline_pages;
	w->checked_at = pages;
	w->inline_pages = AEOGATE_WAL_CHECKPOINT_INLINE_PAGES_MIN;
	if (w->file_fd < 0 || w->page_size <= 0 || fstatvfs(w->file_fd, &v) < 0)
		return w->inline_pages;
	free_pages = (long long)v.f_bavail * (long long)v.f_frsize / w->page_size;
	if (free_pages / 4 > AEOGATE_WAL_CHECKPOINT_INLINE_PAGES)
		w->inline_pages = AEOGATE_WAL_CHECKPOINT_INLINE_PAGES;
	else if (free_pages / 4 > AEOGATE_WAL_CHECKPOINT_INLINE_PAGES_MIN)
		w->inline_pages = (int)(free_pages / 4);
	return w->inline_pages;
}

static void *wal_main(void *userdata)
{
	struct store_wal *w = userdata;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (!w->wake && !w->stop)
			pthread_cond_wait(&w->cv, &w->mu);
		if (w->stop)
			break;
		int log = -1, done = -2, rc;

		w->wake = false;
		pthread_mutex_unlock(&w->mu);
		/* A busy or failing checkpoint is retried at the next wake; nothing waits on it. */
		rc = sqlite3_wal_checkpoint_v2(w->db, NULL, SQLITE_CHECKPOINT_PASSIVE, &log, &done);
		pthread_mutex_lock(&w->mu);
		/* All copied: the next commit starts the WAL over. */
		if (rc == SQLITE_OK && log == done)
			w->caught_up++;
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

static int wal_hook(void *userdata, sqlite3 *db, const char *name, int pages)
{
	struct store_wal *w = userdata;
	int limit = AEOGATE_WAL_CHECKPOINT_INLINE_PAGES_MIN, budget;
	bool held = atomic_load(&w->pins) > 0;

	/* A long reader's grown WAL is the thread's, until it started over. */
	if (held) {
		w->grown_base = 0;
	} else if (atomic_load(&w->grown)) {
		if (pages < AEOGATE_WAL_CHECKPOINT_INLINE_PAGES_MIN) {
			atomic_store(&w->grown, false);
			w->grown_base = 0;
		} else {
			if (!w->grown_base)
				w->grown_base = pages;
			limit += w->grown_base;
		}
	}
	if (pages < AEOGATE_WAL_CHECKPOINT_PAGES)
		return SQLITE_OK;
	/* The thread starts at a quarter of the writer's own limit (250 to 4000 pages). */
	budget = inline_limit(w, pages);
	if (pages < budget / 4)
		return SQLITE_OK;
	limit += budget - AEOGATE_WAL_CHECKPOINT_INLINE_PAGES_MIN;
	/*
	 * In a burst of back-to-back commits the thread never catches up with
	 * the writer, and the WAL only starts over once a checkpoint did: past
	 * this size the writer checkpoints itself, between two commits, as
	 * SQLite's automatic checkpoint would, so the WAL stays bounded.
	 */
	if (!held && pages >= limit) {
		w->inline_runs++;
		(void)sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
		return SQLITE_OK;
	}
	/* Held only to set a flag: the checkpoint itself runs unlocked. */
	pthread_mutex_lock(&w->mu);
	w->wake = true;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	return SQLITE_OK;
}

static void wal_free(struct store_wal *w)
{
	if (w->file_fd >= 0)
		close(w->file_fd);
	free(w);
}

int store_wal_start(struct store *s, const char *path)
{
	struct store_wal *w;
	sqlite3_stmt *st = NULL;
	sigset_t all, old;
	int rc, e;

	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->file_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (sqlite3_prepare_v2(s->db, "PRAGMA page_size", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		w->page_size = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	rc = sqlite3_open_v2(path, &w->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		sqlite3_close(w->db);
		wal_free(w);
		return -EIO;
	}
	sqlite3_busy_timeout(w->db, STORE_BUSY_TIMEOUT_MS);
	/* A connection learns the file is in WAL mode when it first reads it. */
	if (sqlite3_exec(w->db, "PRAGMA journal_mode = WAL", NULL, NULL, NULL) != SQLITE_OK) {
		sqlite3_close(w->db);
		wal_free(w);
		return -EIO;
	}
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	/* Signals are the loop's (sd-event): the thread is born with all of them blocked. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	e = pthread_create(&w->thread, NULL, wal_main, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (e) {
		pthread_cond_destroy(&w->cv);
		pthread_mutex_destroy(&w->mu);
		sqlite3_close(w->db);
		wal_free(w);
		return -e;
	}
	/* The pragma installs SQLite's own hook; ours replaces it after. */
	rc = sqlite3_exec(s->db, "PRAGMA wal_autocheckpoint = 0", NULL, NULL, NULL);
	sqlite3_wal_hook(s->db, wal_hook, w);
	s->wal = w;
	return rc == SQLITE_OK ? 0 : -EIO;
}

void store_wal_stop(struct store *s)
{
	struct store_wal *w = s->wal;

	if (!w)
		return;
	sqlite3_wal_hook(s->db, NULL, NULL);
	pthread_mutex_lock(&w->mu);
	w->stop = true;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	/* Closed before the main connection, so the last close checkpoints as before. */
	sqlite3_close(w->db);
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	wal_free(w);
	s->wal = NULL;
}

uint64_t store_wal_checkpoints(struct store *s)
{
	uint64_t n;

	if (!s->wal)
		return 0;
	pthread_mutex_lock(&s->wal->mu);
	n = s->wal->caught_up;
	pthread_mutex_unlock(&s->wal->mu);
	return n;
}

void store_wal_pin(struct store *s)
{
	if (s->wal)
		atomic_fetch_add(&s->wal->pins, 1);
}

void store_wal_unpin(struct store *s)
{
	if (!s->wal)
		return;
	/* Before the count drops: the thread must not see no pin and an unmarked WAL. */
	atomic_store(&s->wal->grown, true);
	atomic_fetch_sub(&s->wal->pins, 1);
}

uint64_t store_wal_inline_checkpoints(struct store *s)
{
	return s->wal ? s->wal->inline_runs : 0;
}

uint64_t store_pages_written(struct store *s)
{
	int cur = 0, hi = 0;

	if (sqlite3_db_status(s->db, SQLITE_DBSTATUS_CACHE_WRITE, &cur, &hi, 0) != SQLITE_OK)
		return 0;
	return cur < 0 ? 0 : (uint64_t)cur;
}
