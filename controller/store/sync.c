/* SPDX-License-Identifier: MIT */
/* The uplink's durable cursor (schema 24): how far aeogate-sync forwarded. */
#include <errno.h>

#include "store-internal.h"

const char *const store_sync_sql[_ST_MAX] = {
    [ST_SYNC_CURSOR_GET] = "SELECT forwarded_seq, checkpoint_seq FROM sync_cursor WHERE id = 1",
    /* MAX(): a cursor never moves back, whatever a late or replayed request says. */
    [ST_SYNC_CURSOR_SET] = "INSERT INTO sync_cursor(id, forwarded_seq, checkpoint_seq, updated_ms) "
			   "VALUES (1, ?1, ?2, ?3) ON CONFLICT(id) DO UPDATE SET "
			   "forwarded_seq = MAX(forwarded_seq, excluded.forwarded_seq), "
			   "checkpoint_seq = MAX(checkpoint_seq, excluded.checkpoint_seq), "
			   "updated_ms = excluded.updated_ms",
};

struct sync_cursor_row {
	int64_t forwarded;
	int64_t checkpoint;
};

ROW_SHAPE(sync_cursor_shape, struct sync_cursor_row, COL(struct sync_cursor_row, forwarded),
	  COL(struct sync_cursor_row, checkpoint));

int store_sync_cursor_get(struct store *s, int64_t *ret_forwarded, int64_t *ret_checkpoint)
{
	struct sync_cursor_row row = {0};
	int r = stmt_get(s, &sync_cursor_shape, &row, ST_SYNC_CURSOR_GET, "");

	/* No row (cannot happen after the migration): nothing forwarded yet. */
	if (r < 0)
		return r;
	*ret_forwarded = row.forwarded;
	*ret_checkpoint = row.checkpoint;
	return 0;
}

int store_sync_cursor_set(struct store *s, int64_t forwarded, int64_t checkpoint, int64_t now_ms)
{
	if (forwarded < 0 || checkpoint < 0)
		return store_fail(s, -EINVAL, "a sync cursor is never negative");
	return stmt_run(s, ST_SYNC_CURSOR_SET, "iii", forwarded, checkpoint, now_ms);
}
