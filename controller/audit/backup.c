/* SPDX-License-Identifier: MIT */
/*
 * Backups of the live database (aeogatectl backup, [backup] schedules): a
 * copy at one seq, signed by a checkpoint of that seq, made on a thread
 * with a read-only connection of its own so that decisions never wait.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "audit-internal.h"
#include "core.h"

/* Pages per backup step: 256 pages of 4 KiB is 1 MiB read between two looks at cancel. */
#define BACKUP_PAGES_PER_STEP 256

int audit_backup_copy(struct audit *a, const char *db_path, const char *dest_path, int64_t now_ms,
		      bool (*cancelled)(void *userdata), void *userdata, struct checkpoint *ret_cp,
		      char *ret_what, size_t what_len)
{
	struct checkpoint cp = {0};
	char err[256], hash[EVENT_HASH_HEX];
	struct store *s = NULL;
	int64_t seq = 0;
	int r;

	r = store_open_readonly(db_path, &s, err, sizeof(err));
	if (r < 0) {
		snprintf(ret_what, what_len, "%s", err);
		return r;
	}
	/* Pinned before the snapshot is taken, let go after it is: see store_wal_pin. */
	store_wal_pin(core_store(a->core));
	/* The read that fixes the snapshot: the copy ends at this seq. */
	if ((r = store_begin_deferred(s)) < 0 || (r = store_event_last(s, &seq, hash)) < 0) {
		snprintf(ret_what, what_len, "snapshot: %s", store_last_error(s));
		goto out;
	}
	if (seq > 0 && (r = checkpoint_sign(&a->key, seq, hash, now_ms, &cp)) < 0) {
		snprintf(ret_what, what_len, "checkpoint: %s", strerror(-r));
		goto out;
	}
	r = store_backup_copy(s, dest_path, BACKUP_PAGES_PER_STEP, seq > 0 ? &cp : NULL, cancelled,
			      userdata);
	if (r < 0) {
		snprintf(ret_what, what_len, "%s", store_last_error(s));
		goto out;
	}
	*ret_cp = cp;
out:
	(void)store_rollback(s);
	store_close(s);
	store_wal_unpin(core_store(a->core));
	return r;
}
