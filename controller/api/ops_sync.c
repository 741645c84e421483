/* SPDX-License-Identifier: MIT */
/*
 * Control-socket ops of the uplink (README "Many sites"), for aeogate-sync,
 * a local peer: its durable cursor (sync.cursor) and the signed checkpoints
 * it publishes after the events they sign (sync.checkpoints). The office's
 * change sets and commands (sync.apply, sync.command, sync.state) are
 * another file's.
 */
#include <errno.h>

#include "audit.h"
#include "ops.h"
#include "util.h"

/*
 * sync.cursor: {} reads the cursor; {"forwarded_seq":N} (and/or
 * "checkpoint_seq") raises it. A lower value is a no-op that returns what is
 * stored (a late write after a restart must not send the uplink back); one
 * past the newest event is refused, it would skip events never sent.
 */
static int op_sync_cursor(struct ctl_request *req, json_t **ret)
{
	struct core *c = req->userdata;
	struct store *s = core_store(c);
	int64_t last = 0, fwd = -1, cp = -1, cur_fwd = 0, cur_cp = 0;
	char hash[EVENT_HASH_HEX];
	int r;

	if (ctl_arg_int(req, "forwarded_seq", false, 0, INT64_MAX, &fwd) < 0 ||
	    ctl_arg_int(req, "checkpoint_seq", false, 0, INT64_MAX, &cp) < 0)
		return -1;
	store_event_last(s, &last, hash);
	if (fwd > last)
		return ctl_fail(req, "invalid_argument",
				"'forwarded_seq' %lld is past the newest event (%lld)",
				(long long)fwd, (long long)last);
	if (cp > last)
		return ctl_fail(req, "invalid_argument",
				"'checkpoint_seq' %lld is past the newest event (%lld)",
				(long long)cp, (long long)last);
	if (fwd >= 0 || cp >= 0) {
		r = store_sync_cursor_set(s, fwd < 0 ? 0 : fwd, cp < 0 ? 0 : cp, now_wall_ms());
		if (r < 0)
			return ops_store_error(req, r, "sync cursor");
	}
	r = store_sync_cursor_get(s, &cur_fwd, &cur_cp);
	if (r < 0)
		return ops_store_error(req, r, "sync cursor");
	*ret = json_pack("{s:I,s:I,s:I}", "forwarded_seq", (json_int_t)cur_fwd, "checkpoint_seq",
			 (json_int_t)cur_cp, "last_seq", (json_int_t)last);
	return 0;
}

struct cp_page {
	json_t *arr;
	const char *public_key;
	size_t max;
};

static int cp_cb(const struct checkpoint *cp, void *userdata)
{
	struct cp_page *p = userdata;
	json_t *o;

	if (json_array_size(p->arr) >= p->max)
		return 1; /* a full page: the caller asks again after the last seq */
	o = ops_checkpoint_json(cp);
	if (!o)
		return -ENOMEM;
	json_object_set_new(o, "public_key", json_string(p->public_key));
	return json_array_append_new(p->arr, o) < 0 ? -ENOMEM : 0;
}

/*
 * sync.checkpoints {"after":A,"upto":U,"limit":N}: the signed checkpoints
 * with A < seq <= U (U absent: the newest event), by seq, at most N (the
 * page bound), each with the device's public key so a receiver that never
 * saw this controller can check it.
 */
static int op_sync_checkpoints(struct ctl_request *req, json_t **ret)
{
	struct core *c = req->userdata;
	struct cp_page p = {.public_key = audit_public_key(core_audit(c))};
	int64_t after = 0, upto = 0, limit = AEOGATE_ROWS_PER_PAGE;
	int r;

	if (ctl_arg_int(req, "after", false, 0, INT64_MAX, &after) < 0 ||
	    ctl_arg_int(req, "upto", false, 1, INT64_MAX, &upto) < 0 ||
	    ctl_arg_int(req, "limit", false, 1, AEOGATE_ROWS_PER_PAGE, &limit) < 0)
		return -1;
	p.max = (size_t)limit;
	p.arr = json_array();
	if (!p.arr)
		return ctl_fail(req, "internal", "out of memory");
	r = store_checkpoint_list(core_store(c), after, upto, cp_cb, &p);
	if (r < 0) {
		json_decref(p.arr);
		return ops_store_error(req, r, "checkpoint list");
	}
	*ret = json_pack("{s:o}", "checkpoints", p.arr);
	return 0;
}

const struct ctl_op ops_sync[] = {
    {"sync.cursor", ROLE_LOCAL, op_sync_cursor},
    {"sync.checkpoints", ROLE_LOCAL, op_sync_checkpoints},
    {NULL, 0, NULL},
};
