// SPDX-License-Identifier: MIT
/*
 * The audit trail's own rows: signed checkpoints of the chain, alarms and
 * their handling, recorded access-rights reviews, and pruning (the one way
 * events and checkpoints are ever deleted).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "store-internal.h"

#define CHECKPOINT_COLS "id, seq, hash, ts_ms, key_id, signature"
#define ALARM_COLS                                                                                 \
	"id, kind, door, zone, raised_seq, raised_ms, state, ack_ms, ack_by, ack_comment, "        \
	"closed_ms, closed_by, "                                                                   \
	"coalesce((SELECT e.person FROM events e WHERE e.seq = alarms.raised_seq), ''), "          \
	"coalesce((SELECT min(st.ts_ms) FROM alarm_steps st WHERE st.alarm = alarms.id "           \
	"AND st.kind = 'alarm.escalated'), 0)"

ROW_SHAPE(checkpoint_row, struct checkpoint, COL(struct checkpoint, id),
	  COL(struct checkpoint, seq), COL(struct checkpoint, hash), COL(struct checkpoint, ts_ms),
	  COL(struct checkpoint, key_id), COL(struct checkpoint, signature));

ROW_SHAPE(alarm_row, struct alarm, COL(struct alarm, id), COL(struct alarm, kind),
	  COL(struct alarm, door), COL(struct alarm, zone), COL(struct alarm, raised_seq),
	  COL(struct alarm, raised_ms), COL(struct alarm, state), COL(struct alarm, ack_ms),
	  COL(struct alarm, ack_by), COL(struct alarm, ack_comment), COL(struct alarm, closed_ms),
	  COL(struct alarm, closed_by), COL(struct alarm, person), COL(struct alarm, escalated_ms));

ROW_SHAPE(review_row, struct review, COL(struct review, id), COL(struct review, ts_ms),
	  COL(struct review, reviewer), COL(struct review, comment),
	  COL(struct review, operator_id));

const char *const store_audit_sql[_ST_MAX] = {
    [ST_CHECKPOINT_ADD] = "INSERT INTO checkpoints(seq, hash, ts_ms, key_id, signature) "
			  "VALUES (?1, ?2, ?3, ?4, ?5)",
    /*
     * The checkpoint furthest along the chain, not the newest row: an export
     * or a pruning anchor signs an older seq, and alarm replay at start
     * begins after this one.
     */
    [ST_CHECKPOINT_LAST] = "SELECT " CHECKPOINT_COLS " FROM checkpoints "
			   "ORDER BY seq DESC, id DESC LIMIT 1",
    [ST_CHECKPOINT_LIST] = "SELECT " CHECKPOINT_COLS " FROM checkpoints "
			   "WHERE seq > ?1 AND seq <= ?2 ORDER BY seq, id",
    [ST_ALARM_RAISE] = "INSERT INTO alarms(kind, door, zone, raised_seq, raised_ms) "
		       "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT(raised_seq) DO NOTHING",
    [ST_ALARM_GET] = "SELECT " ALARM_COLS " FROM alarms WHERE id = ?1",
    [ST_ALARM_ACK] = "UPDATE alarms SET state = 'acknowledged', ack_ms = ?2, ack_by = ?3, "
		     "ack_comment = ?4 WHERE id = ?1 AND state = 'open'",
    [ST_ALARM_CLOSE] = "UPDATE alarms SET state = 'closed', closed_ms = ?2, closed_by = ?3 "
		       "WHERE id = ?1 AND state <> 'closed'",
    [ST_ALARM_LIST] = "SELECT " ALARM_COLS " FROM alarms WHERE id > ?1 AND raised_ms >= ?2 "
		      "AND raised_ms < ?3 ORDER BY id LIMIT ?4",
    [ST_ALARM_LIST_OPEN] = "SELECT " ALARM_COLS " FROM alarms WHERE id > ?1 AND raised_ms >= ?2 "
			   "AND raised_ms < ?3 AND state <> 'closed' ORDER BY id LIMIT ?4",
    [ST_ALARM_LAST_SEQ] = "SELECT coalesce(max(raised_seq), 0) FROM alarms",
    [ST_ALARM_BY_SEQ] = "SELECT " ALARM_COLS " FROM alarms WHERE raised_seq = ?1",
    [ST_ALARM_STEP_ADD] = "INSERT INTO alarm_steps(alarm, seq, kind, ts_ms) "
			  "VALUES (?1, ?2, ?3, ?4)",
    [ST_ALARM_STEPS] = "SELECT seq FROM alarm_steps WHERE alarm = ?1 ORDER BY seq",
    /* Open (unacknowledged) alarms raised before ?1 that were never escalated. */
    [ST_ALARM_ESCALATION_DUE] =
	"SELECT " ALARM_COLS " FROM alarms WHERE state = 'open' "
	"AND id > ?3 AND raised_ms <= ?1 AND NOT EXISTS (SELECT 1 FROM alarm_steps st "
	"WHERE st.alarm = alarms.id AND st.kind = 'alarm.escalated') "
	"ORDER BY id LIMIT ?2",
    [ST_REVIEW_ADD] = "INSERT INTO reviews(ts_ms, reviewer, comment, operator) "
		      "VALUES (?1, ?2, ?3, ?4)",
    [ST_REVIEW_LAST] = "SELECT id, ts_ms, reviewer, comment, operator FROM reviews "
		       "ORDER BY id DESC LIMIT 1",
    /* Pruning removes a prefix of the chain: the caller bounds it to one step. */
    [ST_PRUNE_EVENTS] = "DELETE FROM events WHERE seq <= ?1",
    [ST_PRUNE_CHECKPOINTS] = "DELETE FROM checkpoints WHERE seq < ?1",
    [ST_PRUNE_ALARMS] = "DELETE FROM alarms WHERE raised_seq <= ?1 AND state = 'closed' "
			"AND closed_ms < ?2",
    [ST_PRUNE_ALARM_STEPS] = "DELETE FROM alarm_steps WHERE alarm NOT IN (SELECT id FROM alarms)",
    /* The triggers of schema 6 let only a pruning delete events and checkpoints. */
    [ST_PRUNE_GUARD] = "UPDATE audit_guard SET pruning = ?1 WHERE id = 1",
};

/* Checkpoints. */

int store_checkpoint_add(struct store *s, const struct checkpoint *cp)
{
	return stmt_run(s, ST_CHECKPOINT_ADD, "ititt", cp->seq, cp->hash, cp->ts_ms, cp->key_id,
			cp->signature);
}

int store_checkpoint_add_id(struct store *s, const struct checkpoint *cp, int64_t *ret_id)
{
	int r = store_checkpoint_add(s, cp);

	if (r < 0)
		return r;
	*ret_id = sqlite3_last_insert_rowid(s->db);
	return 0;
}

int store_checkpoint_last(struct store *s, struct checkpoint *ret)
{
	return stmt_found(s, stmt_get(s, &checkpoint_row, ret, ST_CHECKPOINT_LAST, ""),
			  "no checkpoint yet");
}

int store_checkpoint_list(struct store *s, int64_t after, int64_t upto,
			  int (*cb)(const struct checkpoint *cp, void *userdata), void *userdata)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	struct checkpoint cp;
	int r;

	r = stmt_prepare(s, ST_CHECKPOINT_LIST, &st, "ii", after, upto > 0 ? upto : INT64_MAX);
	if (r < 0)
		return r;
	while ((r = stmt_next(s, st, &checkpoint_row, &cp)) > 0)
		if ((r = cb(&cp, userdata)) != 0)
			return r;
	return r;
}

/* Alarms. */

int store_alarm_raise(struct store *s, const char *kind, const char *door, const char *zone,
		      int64_t seq, int64_t ts_ms)
{
	return stmt_run(s, ST_ALARM_RAISE, "tttii", kind, door, zone, seq, ts_ms);
}

int store_alarm_get(struct store *s, int64_t id, struct alarm *ret)
{
	return stmt_found(s, stmt_get(s, &alarm_row, ret, ST_ALARM_GET, "i", id),
			  "no such alarm: %" PRId64, id);
}

int store_alarm_get_by_seq(struct store *s, int64_t raised_seq, struct alarm *ret)
{
	return stmt_found(s, stmt_get(s, &alarm_row, ret, ST_ALARM_BY_SEQ, "i", raised_seq),
			  "no alarm raised by event %" PRId64, raised_seq);
}

int store_alarm_ack(struct store *s, int64_t id, int64_t ts_ms, const char *by, const char *comment)
{
	char key[24];

	snprintf(key, sizeof(key), "%" PRId64, id);
	return stmt_run_changed(s, ST_ALARM_ACK, "open alarm", key, "iitt", id, ts_ms, by, comment);
}

int store_alarm_close(struct store *s, int64_t id, int64_t ts_ms, const char *by)
{
	char key[24];

	snprintf(key, sizeof(key), "%" PRId64, id);
	return stmt_run_changed(s, ST_ALARM_CLOSE, "unclosed alarm", key, "iit", id, ts_ms, by);
}

int store_alarm_list(struct store *s, bool open_only, int64_t after, int64_t from_ms, int64_t to_ms,
		     size_t limit, int (*cb)(const struct alarm *a, void *userdata), void *userdata)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	struct alarm a;
	int r;

	r = stmt_prepare(s, open_only ? ST_ALARM_LIST_OPEN : ST_ALARM_LIST, &st, "iiii", after,
			 from_ms, to_ms, sql_limit(limit));
	if (r < 0)
		return r;
	while ((r = stmt_next(s, st, &alarm_row, &a)) > 0)
		if ((r = cb(&a, userdata)) != 0)
			return r;
	return r;
}

int store_alarm_last_seq(struct store *s, int64_t *ret)
{
	/* An aggregate always answers a row: none would be a broken database. */
	return stmt_found(s, stmt_get(s, &int_row, ret, ST_ALARM_LAST_SEQ, ""), "no alarm seq");
}

int store_alarm_step_add(struct store *s, int64_t alarm, int64_t seq, const char *kind,
			 int64_t ts_ms)
{
	return stmt_run(s, ST_ALARM_STEP_ADD, "iiti", alarm, seq, kind, ts_ms);
}

int store_alarm_steps(struct store *s, int64_t alarm, int (*cb)(int64_t seq, void *userdata),
		      void *userdata)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int64_t seq;
	int r;

	r = stmt_prepare(s, ST_ALARM_STEPS, &st, "i", alarm);
	if (r < 0)
		return r;
	while ((r = stmt_next(s, st, &int_row, &seq)) > 0)
		if ((r = cb(seq, userdata)) != 0)
			return r;
	return r;
}

int store_alarm_escalation_due(struct store *s, int64_t after_id, int64_t raised_before_ms,
			       size_t limit, int (*cb)(const struct alarm *a, void *userdata),
			       void *userdata)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	struct alarm a;
	int r;

	r = stmt_prepare(s, ST_ALARM_ESCALATION_DUE, &st, "iii", raised_before_ms, sql_limit(limit),
			 after_id);
	if (r < 0)
		return r;
	while ((r = stmt_next(s, st, &alarm_row, &a)) > 0)
		if ((r = cb(&a, userdata)) != 0)
			return r;
	return r;
}

/* Access-rights reviews. */

int store_review_add(struct store *s, const struct review *rv, int64_t *ret_id)
{
	int r;

	r = stmt_run(s, ST_REVIEW_ADD, "ittt", rv->ts_ms, rv->reviewer, rv->comment,
		     rv->operator_id);
	if (r < 0)
		return r;
	*ret_id = sqlite3_last_insert_rowid(s->db);
	return 0;
}

int store_review_last(struct store *s, struct review *ret)
{
	return stmt_found(s, stmt_get(s, &review_row, ret, ST_REVIEW_LAST, ""), "no review yet");
}

/* Pruning. */

static int prune_rows(struct store *s, int64_t upto, int64_t alarms_closed_before,
		      int64_t *ret_events, int64_t *ret_alarms)
{
	int r;

	r = stmt_run(s, ST_PRUNE_EVENTS, "i", upto);
	if (r < 0)
		return r;
	*ret_events = sqlite3_changes(s->db);
	r = stmt_run(s, ST_PRUNE_CHECKPOINTS, "i", upto);
	if (r < 0)
		return r;
	r = stmt_run(s, ST_PRUNE_ALARMS, "ii", upto, alarms_closed_before);
	if (r < 0)
		return r;
	*ret_alarms = sqlite3_changes(s->db);
	return stmt_run(s, ST_PRUNE_ALARM_STEPS, "");
}

int store_prune(struct store *s, int64_t upto, int64_t alarms_closed_before, int64_t *ret_events,
		int64_t *ret_alarms)
{
	int64_t events = 0, alarms = 0;
	int r, r2;

	/* The guard flag must never be committed set: only inside the caller's transaction. */
	if (sqlite3_get_autocommit(s->db))
		return store_fail(s, -EINVAL, "pruning runs only inside a transaction");
	r = stmt_run(s, ST_PRUNE_GUARD, "i", (int64_t)1);
	if (r < 0)
		return r;
	r = prune_rows(s, upto, alarms_closed_before, &events, &alarms);
	/* Cleared whatever happened; the caller rolls a failure back anyway. */
	r2 = stmt_run(s, ST_PRUNE_GUARD, "i", (int64_t)0);
	if (r < 0)
		return r;
	if (r2 < 0)
		return r2;
	if (ret_events)
		*ret_events = events;
	if (ret_alarms)
		*ret_alarms = alarms;
	return 0;
}
