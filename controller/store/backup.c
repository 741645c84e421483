/* SPDX-License-Identifier: MIT */
/*
 * Online backups and the device keys a database records (schema 019).
 *
 * A backup copies the snapshot its source connection holds: the caller
 * opens a read transaction first (store_begin_deferred and a read), so the
 * copy is the database at one seq whatever the deciding connection commits
 * meanwhile. In WAL mode a reader never blocks the writer, and SQLite only
 * restarts a backup for changes made through the same process's pager, so
 * the steps run to the end. The copy is then made self-contained
 * (journal_mode = DELETE, no -wal beside it) and gets the checkpoint that
 * signs its last event.
 */
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "store-internal.h"

/* Between two backup steps; see store_backup_copy. */
#define STORE_BACKUP_PAUSE_US 2000

int store_device_key_record(struct store *s, const char *key_id, const char *public_key,
			    int64_t now_ms)
{
	sqlite3_stmt *st = NULL;
	int rc;

	rc = sqlite3_prepare_v2(s->db,
				"INSERT OR IGNORE INTO device_keys (key_id, public_key, first_ms) "
				"VALUES (?, ?, ?)",
				-1, &st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(st, 1, key_id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, public_key, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, now_ms);
		rc = sqlite3_step(st);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : sql_fail(s, rc);
}

int store_device_keys(struct store *s,
		      int (*cb)(const char *key_id, const char *public_key, int64_t first_ms,
				void *userdata),
		      void *userdata)
{
	sqlite3_stmt *st = NULL;
	int rc, r = 0;

	rc = sqlite3_prepare_v2(
	    s->db, "SELECT key_id, public_key, first_ms FROM device_keys ORDER BY first_ms", -1,
	    &st, NULL);
	if (rc != SQLITE_OK) {
		sqlite3_finalize(st);
		return sql_fail(s, rc);
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		r = cb((const char *)sqlite3_column_text(st, 0),
		       (const char *)sqlite3_column_text(st, 1), sqlite3_column_int64(st, 2),
		       userdata);
		if (r)
			break;
	}
	sqlite3_finalize(st);
	if (r)
		return r;
	return rc == SQLITE_DONE ? 0 : sql_fail(s, rc);
}

static int dest_exec(struct store *s, sqlite3 *d, const char *sql)
{
	int rc = sqlite3_exec(d, sql, NULL, NULL, NULL);

	if (rc != SQLITE_OK)
		return store_fail(s, rc == SQLITE_FULL ? -ENOSPC : -EIO, "backup copy: %s: %s", sql,
				  sqlite3_errmsg(d));
	return 0;
}

int store_backup_copy(struct store *s, const char *dest_path, int pages_per_step,
		      const struct checkpoint *cp, bool (*cancelled)(void *userdata),
		      void *userdata)
{
	sqlite3_backup *b;
	sqlite3_stmt *st = NULL;
	sqlite3 *d = NULL;
	int rc, r = 0, fd = -1;

	rc = sqlite3_open_v2(
	    dest_path, &d, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		r = store_fail(s, -EIO, "%s: %s", dest_path, sqlite3_errmsg(d));
		goto out;
	}
	/*
	 * No sync from SQLite: the steps below hand the copy to the disk
	 * themselves, a step at a time, and whoever keeps the copy makes it
	 * durable with one fsync that then finds nothing left to write.
	 */
	if ((r = dest_exec(s, d, "PRAGMA synchronous = OFF")) < 0)
		goto out;
	/* Our own descriptor of the copy, for sync_file_range only (SQLite keeps its own). */
	fd = open(dest_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		r = store_fail(s, -errno, "%s: %s", dest_path, strerror(errno));
		goto out;
	}
	b = sqlite3_backup_init(d, "main", s->db, "main");
	if (!b) {
		r = store_fail(s, -EIO, "%s: %s", dest_path, sqlite3_errmsg(d));
		goto out;
	}
	/* Small steps: between two, the writer and the checkpointer get the disk. */
	do {
		rc = sqlite3_backup_step(b, pages_per_step);
		if (cancelled && cancelled(userdata)) {
			rc = SQLITE_ABORT;
			break;
		}
		/*
		 * What this step wrote goes to the disk now, and the step after
		 * waits until it is there. Left to writeback, hundreds of MiB of
		 * copy were queued at the disk at once, and every fsync of the
		 * deciding connection (a WAL restart, the head record) waited
		 * behind all of it: the 50-250 ms decisions at the end of a
		 * backup. Paced, at most one step (about 1 MiB) of the copy is
		 * ever queued ahead of a commit, whatever the database's size.
		 */
		if (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED ||
		    rc == SQLITE_DONE)
			(void)sync_file_range(fd, 0, 0,
					      SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE |
						  SYNC_FILE_RANGE_WAIT_AFTER);
		/* And a pause, in which the writer and the checkpointer have the disk alone. */
		if (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
			usleep(STORE_BACKUP_PAUSE_US);
	} while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
	sqlite3_backup_finish(b);
	if (rc == SQLITE_ABORT) {
		r = store_fail(s, -ECANCELED, "backup cancelled");
		goto out;
	}
	if (rc != SQLITE_DONE) {
		r = store_fail(s, rc == SQLITE_FULL ? -ENOSPC : -EIO, "backup copy: %s",
			       sqlite3_errstr(rc));
		goto out;
	}
	/* One file that opens alone: no -wal to carry beside it. */
	if ((r = dest_exec(s, d, "PRAGMA journal_mode = DELETE")) < 0)
		goto out;
	if (cp) {
		rc = sqlite3_prepare_v2(
		    d,
		    "INSERT INTO checkpoints (seq, hash, ts_ms, key_id, signature) "
		    "VALUES (?, ?, ?, ?, ?)",
		    -1, &st, NULL);
		if (rc == SQLITE_OK) {
			sqlite3_bind_int64(st, 1, cp->seq);
			sqlite3_bind_text(st, 2, cp->hash, -1, SQLITE_STATIC);
			sqlite3_bind_int64(st, 3, cp->ts_ms);
			sqlite3_bind_text(st, 4, cp->key_id, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 5, cp->signature, -1, SQLITE_STATIC);
			rc = sqlite3_step(st);
		}
		sqlite3_finalize(st);
		if (rc != SQLITE_DONE) {
			r = store_fail(s, rc == SQLITE_FULL ? -ENOSPC : -EIO,
				       "backup copy: the checkpoint: %s", sqlite3_errmsg(d));
			goto out;
		}
	}
out:
	if (d && sqlite3_close(d) != SQLITE_OK && r == 0)
		r = store_fail(s, -EIO, "%s: cannot close", dest_path);
	/* The header, the journal mode and the checkpoint written at the end: to the disk too. */
	if (fd >= 0) {
		if (r == 0)
			(void)sync_file_range(fd, 0, 0,
					      SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE |
						  SYNC_FILE_RANGE_WAIT_AFTER);
		close(fd);
	}
	return r;
}
