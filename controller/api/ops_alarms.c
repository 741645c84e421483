/* SPDX-License-Identifier: MIT */
/*
 * Control-socket ops for alarms: list, acknowledge (with a comment) and
 * close. Alarms are raised by the audit service as their events are
 * committed (controller/audit); acknowledging and closing are changes with
 * their own events in the admin trail.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "core.h"
#include "chain.h"
#include "ctlsock.h"
#include "ops.h"
#include "store.h"
#include "util.h"

static json_t *alarm_json(const struct alarm *a)
{
	json_t *o = json_pack(
	    "{s:I,s:s,s:o,s:o,s:s,s:I,s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "id", (json_int_t)a->id,
	    "kind", a->kind, "door", a->door[0] ? json_string(a->door) : json_null(), "zone",
	    a->zone[0] ? json_string(a->zone) : json_null(), "state", a->state, "raised_seq",
	    (json_int_t)a->raised_seq, "raised", time_to_json(a->raised_ms), "acknowledged",
	    time_to_json(a->ack_ms), "acknowledged_by",
	    a->ack_by[0] ? json_string(a->ack_by) : json_null(), "comment",
	    a->ack_comment[0] ? json_string(a->ack_comment) : json_null(), "closed",
	    time_to_json(a->closed_ms), "closed_by",
	    a->closed_by[0] ? json_string(a->closed_by) : json_null(), "person",
	    a->person[0] ? json_string(a->person) : json_null());

	if (o) {
		json_object_set_new(o, "priority", json_integer(event_kind_priority(a->kind)));
		json_object_set_new(o, "escalated", time_to_json(a->escalated_ms));
	}
	return o;
}

static int alarm_list_cb(const struct alarm *a, void *userdata)
{
	return json_array_append_new(userdata, alarm_json(a));
}

static int op_alarm_list(struct ctl_request *req, json_t **ret)
{
	struct core *c = req->userdata;
	const json_t *open = json_object_get(req->args, "open");
	int64_t after = 0, limit = AEOGATE_ROWS_PER_PAGE, from = INT64_MIN, to = INT64_MAX;
	json_t *arr;
	int r;

	if (open && !json_is_boolean(open))
		return ctl_fail(req, "invalid_argument", "'open' must be true or false");
	if (ctl_arg_int(req, "after", false, 0, INT64_MAX, &after) < 0 ||
	    ctl_arg_int(req, "limit", false, 1, AEOGATE_ROWS_PER_PAGE, &limit) < 0 ||
	    ctl_arg_time(req, "from", false, &from) < 0 || ctl_arg_time(req, "to", false, &to) < 0)
		return -1;
	arr = json_array();
	/* Raised while storage fails, it has no row yet: guards see it first, unstored. */
	if (after == 0 && core_storage_failing_since(c)) {
		json_t *a = json_pack(
		    "{s:n,s:s,s:n,s:n,s:s,s:n,s:o,s:n,s:n,s:n,s:n,s:n,s:n,s:b}", "id", "kind",
		    "alarm.storage", "door", "zone", "state", "open", "raised_seq", "raised",
		    time_to_json(core_storage_failing_since(c)), "acknowledged", "acknowledged_by",
		    "comment", "closed", "closed_by", "person", "stored", false);
		json_object_set_new(a, "priority",
				    json_integer(event_kind_priority("alarm.storage")));
		json_object_set_new(a, "escalated", json_null());
		json_array_append_new(arr, a);
		limit = limit > 1 ? limit - 1 : 1;
	}
	r = store_alarm_list(core_store(c), json_is_true(open), after, from, to, (size_t)limit,
			     alarm_list_cb, arr);
	if (r < 0 && !core_storage_failing_since(c)) {
		json_decref(arr);
		return ops_store_error(req, r, "alarm list");
	}
	ops_person_names(c, arr);
	*ret = arr;
	return 0;
}

/* The step row of an acknowledgement or closing, in the event's transaction. */
static int record_step(struct core *c, const struct event *e, void *arg)
{
	return store_alarm_step_add(core_store(c), *(const int64_t *)arg, e->seq, e->kind,
				    e->ts_ms);
}

static int alarm_change(struct ctl_request *req, json_t **ret, bool ack)
{
	struct core *c = req->userdata;
	struct store *s = core_store(c);
	const char *comment = NULL, *outcome = NULL;
	struct alarm a;
	int64_t id, now = core_wall_ms(c);
	json_t *detail;
	int r;

	if (ctl_arg_int(req, "id", true, 1, INT64_MAX, &id) < 0 ||
	    ctl_arg_string(req, "comment", ack, AEOGATE_TEXT_MAX, &comment) < 0 ||
	    (!ack && ctl_arg_string(req, "outcome", false, AEOGATE_TEXT_MAX, &outcome) < 0))
		return -1;
	if (comment && !text_is_valid(comment))
		return ctl_fail(req, "invalid_argument",
				"'comment' must be printable UTF-8 without control characters");
	if (outcome && (!outcome[0] || !text_is_valid(outcome)))
		return ctl_fail(
		    req, "invalid_argument",
		    "'outcome' must be non-empty printable UTF-8 without control characters");
	r = store_alarm_get(s, id, &a);
	if (r == -ENOENT)
		return ctl_fail(req, "not_found", "no alarm %" PRId64, id);
	if (r < 0)
		return ops_store_error(req, r, "alarm");
	if (ack ? strcmp(a.state, "open") != 0 : strcmp(a.state, "closed") == 0)
		return ctl_fail(req, "failed_precondition", "alarm %" PRId64 " is %s", id, a.state);
	if (ops_begin(req, c) < 0)
		return -1;
	r = ack ? store_alarm_ack(s, id, now, req->operator_id, comment)
		: store_alarm_close(s, id, now, req->operator_id);
	if (r < 0) {
		ops_abort(c);
		return ops_store_error(req, r, "alarm");
	}
	detail = json_pack("{s:I,s:s,s:I,s:I}", "alarm", (json_int_t)id, "alarm_kind", a.kind,
			   "raised_seq", (json_int_t)a.raised_seq, "elapsed_ms",
			   (json_int_t)(now - a.raised_ms));
	if (comment)
		json_object_set_new(detail, "comment", json_string(comment));
	if (outcome)
		json_object_set_new(detail, "outcome", json_string(outcome));
	struct event e = {.kind = ack ? "alarm.acknowledged" : "alarm.closed",
			  .door = a.door[0] ? a.door : NULL,
			  .zone = a.zone[0] ? a.zone : NULL};
	if (ops_commit_record(req, c, &e, detail, record_step, &id) < 0)
		return -1;
	if (store_alarm_get(s, id, &a) == 0)
		*ret = alarm_json(&a);
	else
		*ret = json_pack("{s:I}", "id", (json_int_t)id);
	return 0;
}

static int op_alarm_ack(struct ctl_request *req, json_t **ret)
{
	return alarm_change(req, ret, true);
}

static int op_alarm_close(struct ctl_request *req, json_t **ret)
{
	return alarm_change(req, ret, false);
}

struct history {
	struct store *store;
	json_t *events;
};

static int history_step(int64_t seq, void *userdata)
{
	struct history *h = userdata;
	struct event e = {0};
	int r = store_event_get(h->store, seq, &e);

	/* A pruned event leaves its place in the history empty, never an error. */
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	r = json_array_append_new(h->events, event_to_json(&e));
	event_clear(&e);
	return r;
}

/* The alarm and its whole history: the raising event, then every step. */
static int op_alarm_history(struct ctl_request *req, json_t **ret)
{
	struct core *c = req->userdata;
	struct store *s = core_store(c);
	struct history h = {.store = s};
	struct alarm a;
	int64_t id;
	int r;

	if (ctl_arg_int(req, "id", true, 1, INT64_MAX, &id) < 0)
		return -1;
	r = store_alarm_get(s, id, &a);
	if (r == -ENOENT)
		return ctl_fail(req, "not_found", "no alarm %" PRId64, id);
	if (r < 0)
		return ops_store_error(req, r, "alarm");
	h.events = json_array();
	r = history_step(a.raised_seq, &h);
	if (r == 0)
		r = store_alarm_steps(s, id, history_step, &h);
	if (r < 0) {
		json_decref(h.events);
		return ops_store_error(req, r, "alarm history");
	}
	*ret = json_pack("{s:o,s:o}", "alarm", alarm_json(&a), "history", h.events);
	return 0;
}

const struct ctl_op ops_alarms[] = {
    {"alarm.list", ROLES_SIGNED_IN, op_alarm_list},
    {"alarm.ack", ROLES_RESPOND, op_alarm_ack},
    {"alarm.close", ROLES_RESPOND, op_alarm_close},
    {"alarm.history", ROLES_SIGNED_IN, op_alarm_history},
    {NULL, 0, NULL},
};
