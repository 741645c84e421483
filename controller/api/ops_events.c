/* SPDX-License-Identifier: MIT */
/* Control-socket ops for the event log and the controller's status. */
#include <errno.h>
#include <string.h>

#include "audit.h"
#include "ops.h"
#include "reserve.h"
#include "util.h"

static int64_t started_ms;

void ops_events_set_started(int64_t ms)
{
	started_ms = ms;
}

static int event_cb(const struct event *e, void *userdata)
{
	return json_array_append_new(userdata, event_to_json(e));
}

static int op_events_list(struct ctl_request *req, json_t **ret)
{
	struct core *c = req->userdata;
	int64_t since = 0, limit = AEOGATE_ROWS_PER_PAGE;
	json_t *names = json_object_get(req->args, "names");
	json_t *arr;
	int r;

	if (ctl_arg_int(req, "since", false, 0, INT64_MAX, &since) < 0 ||
	    ctl_arg_int(req, "limit", false, 1, AEOGATE_ROWS_PER_PAGE, &limit) < 0)
		return -1;
	if (names && !json_is_boolean(names))
		return ctl_fail(req, "invalid_argument", "'names' must be true or false");
	arr = json_array();
	r = store_event_list(core_store(c), since, (size_t)limit, event_cb, arr);
	if (r < 0) {
		json_decref(arr);
		return ops_store_error(req, r, "event list");
	}
	/*
	 * With names (the dashboard asks), each event gains "person_name";
	 * aeogatectl does not ask, so `events --json` stays the hashed objects.
	 */
	if (json_is_true(names))
		ops_person_names(c, arr);
	*ret = arr;
	return 0;
}

static int op_events_follow(struct ctl_request *req, json_t **ret)
{
	struct core *c = req->userdata;
	int64_t since, last = 0;
	char hash[EVENT_HASH_HEX];

	store_event_last(core_store(c), &last, hash);
	since = last;
	if (ctl_arg_int(req, "since", false, 0, INT64_MAX, &since) < 0)
		return -1;
	req->follow = true;
	req->follow_since = since;
	*ret = json_pack("{s:b,s:I}", "following", 1, "since", (json_int_t)since);
	return 0;
}

static int op_system_status(struct ctl_request *req, json_t **ret)
{
	struct core *c = req->userdata;
	const struct config *cfg = core_config(c);
	int64_t last = 0;
	char hash[EVENT_HASH_HEX] = "";

	store_event_last(core_store(c), &last, hash);
	*ret = json_pack("{s:s,s:s,s:s,s:b,s:i,s:I,s:s,s:o,s:I,s:I,s:s}", "version", AEOGATE_VERSION,
			 "site", cfg->site_name, "timezone", cfg->timezone, "demo", cfg->demo,
			 "schema", store_user_version(core_store(c)), "last_seq", (json_int_t)last,
			 "last_hash", hash, "started", time_to_json(started_ms), "events_queued",
			 (json_int_t)core_events_queued(c), "events_lost",
			 (json_int_t)core_events_lost(c), "role", role_to_string(req->role));
	json_object_set_new(*ret, "ctl_rejected", json_integer((json_int_t)ctl_request_rejected(req)));
	ops_site_status(c, *ret); /* lockdown, threat_level */
	ops_health_status(c, *ret);
	{
		struct reserve *rs = core_reserve(c);
		int64_t avail = reserve_free_bytes(rs);

		json_object_set_new(*ret, "events_queue_max",
				    json_integer(AEOGATE_EVENT_QUEUE_MAX));
		json_object_set_new(*ret, "storage_failing",
				    json_boolean(core_storage_failing_since(c) != 0));
		json_object_set_new(*ret, "free_bytes",
				    avail < 0 ? json_null() : json_integer((json_int_t)avail));
		json_object_set_new(*ret, "storage_reserve",
				    json_integer((json_int_t)reserve_wanted(rs)));
		json_object_set_new(*ret, "storage_reserve_held",
				    json_integer((json_int_t)reserve_held(rs)));
		/* Checkpoints that caught the WAL up (store/wal.c): a WAL that never
		 * catches up shows as a number that stops growing. */
		json_object_set_new(*ret, "wal_checkpoints",
				    json_integer((json_int_t)store_wal_checkpoints(core_store(c))));
	}
	return 0;
}

const struct ctl_op ops_events[] = {
	{"events.list", ROLES_SIGNED_IN, op_events_list},
	{"events.follow", ROLES_SIGNED_IN, op_events_follow},
	{"system.status", ROLES_SIGNED_IN, op_system_status},
	{NULL, 0, NULL},
};
