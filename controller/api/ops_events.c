/* SPDX-License-Identifier: MIT */
/* Control-socket ops for the event log and the controller's status. */
#include <errno.h>
#include <string.h>

#include "audit.h"
#include "export.h"
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

/*
 * events.search (the History page): the log newest first, filtered, one
 * page at a time below "before" (keyset paging by seq: a page never depends
 * on how many rows came before it, and the log is never loaded). A person
 * is an id or a name; a name that several people share is refused with
 * their ids, so the page never mixes people silently.
 */
static int search_person(struct ctl_request *req, const char *text, char id[AEOGATE_ID_MAX + 1])
{
	struct store *s = core_store(req->userdata);
	char ids[AEOGATE_SEARCH_NAMES_MAX][AEOGATE_ID_MAX + 1];
	char name[AEOGATE_TEXT_MAX + 1], list[AEOGATE_SEARCH_NAMES_MAX * (AEOGATE_ID_MAX + 2)];
	size_t n = 0, used = 0;
	int r;

	if (strlen(text) <= AEOGATE_ID_MAX && store_person_name(s, text, name, sizeof(name)) == 0) {
		snprintf(id, AEOGATE_ID_MAX + 1, "%s", text);
		return 0;
	}
	r = store_person_by_name(s, text, ids, AEOGATE_SEARCH_NAMES_MAX, &n);
	if (r < 0)
		return ops_store_error(req, r, "person");
	if (n == 1) {
		memcpy(id, ids[0], AEOGATE_ID_MAX + 1);
		return 0;
	}
	if (n == 0) {
		/* Not enrolled (or never): events may still name it as an id. */
		if (strlen(text) > AEOGATE_ID_MAX)
			return ctl_fail(req, "not_found", "no person with the id or name '%s'",
					text);
		snprintf(id, AEOGATE_ID_MAX + 1, "%s", text);
		return 0;
	}
	list[0] = '\0';
	for (size_t i = 0; i < n && used < sizeof(list); i++) {
		int k = snprintf(list + used, sizeof(list) - used, "%s%s", i ? ", " : "", ids[i]);

		if (k < 0)
			break;
		used += (size_t)k;
	}
	return ctl_fail(req, "invalid_argument",
			"'%s' is the name of %zu%s people (%s): give the id", text, n,
			n == AEOGATE_SEARCH_NAMES_MAX ? " or more" : "", list);
}

static int search_cb(const struct event *e, void *userdata)
{
	return json_array_append_new(userdata, event_to_json(e));
}

static int op_events_search(struct ctl_request *req, json_t **ret)
{
	struct core *c = req->userdata;
	struct store *s = core_store(c);
	struct store_event_search q = {0};
	const char *person = NULL, *kind = NULL, *result = NULL, *rkind = NULL;
	char pid[AEOGATE_ID_MAX + 1], prefix[AEOGATE_ID_MAX + 1], hash[EVENT_HASH_HEX];
	int64_t from = 0, to = 0, before = 0, limit = 50, last = 0, lo = 1, first, lastr;
	json_t *arr;
	bool empty = false;
	int r;

	if (ctl_arg_time(req, "from", false, &from) < 0 ||
	    ctl_arg_time(req, "to", false, &to) < 0 ||
	    ctl_arg_id(req, "door", false, &q.door) < 0 ||
	    ctl_arg_id(req, "zone", false, &q.zone) < 0 ||
	    ctl_arg_string(req, "person", false, AEOGATE_TEXT_MAX, &person) < 0 ||
	    ctl_arg_string(req, "kind", false, AEOGATE_ID_MAX, &kind) < 0 ||
	    ctl_arg_string(req, "result", false, 16, &result) < 0 ||
	    ctl_arg_int(req, "before", false, 1, INT64_MAX, &before) < 0 ||
	    ctl_arg_int(req, "limit", false, 1, AEOGATE_SEARCH_PAGE_MAX, &limit) < 0)
		return -1;
	if (from && to && from >= to)
		return ctl_fail(req, "invalid_argument", "'from' must be before 'to'");
	if (kind && !export_kind_valid(kind))
		return ctl_fail(req, "invalid_argument",
				"'kind': '%s' is not a kind or a pattern such as door.*", kind);
	if (result) {
		if (!strcmp(result, "granted"))
			rkind = "access.granted";
		else if (!strcmp(result, "denied"))
			rkind = "access.denied";
		else
			return ctl_fail(req, "invalid_argument",
					"'result' must be \"granted\" or \"denied\"");
	}
	if (person && *person) {
		if (search_person(req, person, pid) < 0)
			return -1;
		q.person = pid;
	}
	/* The kind: exact, or a prefix; a result narrows it to one access kind. */
	if (kind) {
		size_t n = strlen(kind);

		if (kind[n - 1] == '*') {
			snprintf(prefix, sizeof(prefix), "%.*s", (int)(n - 1), kind);
			q.kind_prefix = prefix;
		} else {
			q.kind_exact = kind;
		}
	}
	if (rkind) {
		if ((q.kind_exact && strcmp(q.kind_exact, rkind)) ||
		    (q.kind_prefix && strncmp(rkind, q.kind_prefix, strlen(q.kind_prefix))))
			empty = true; /* access.granted is not a door.* event: nothing matches */
		q.kind_exact = rkind;
		q.kind_prefix = NULL;
	}
	store_event_last(s, &last, hash);
	q.hi = before && before <= last ? before : last + 1;
	if (from || to) {
		r = store_event_range(s, from ? from : INT64_MIN, to ? to : INT64_MAX, &first,
				      &lastr);
		if (r < 0)
			return ops_store_error(req, r, "event range");
		if (!first)
			empty = true;
		lo = first;
		if (lastr + 1 < q.hi)
			q.hi = lastr + 1;
	}
	q.lo = lo;
	/* Not led by a person's index: the window bounds the rows one page reads. */
	if (!q.person && q.hi - q.lo > AEOGATE_SEARCH_WINDOW)
		q.lo = q.hi - AEOGATE_SEARCH_WINDOW;
	q.limit = (size_t)limit;
	arr = json_array();
	if (!empty && q.hi > q.lo) {
		r = store_event_search(s, &q, search_cb, arr);
		if (r < 0) {
			json_decref(arr);
			return ops_store_error(req, r, "event search");
		}
	}
	ops_person_names(c, arr);
	/*
	 * Where the next page starts: below the last row of a full page, below
	 * the window when it stopped short of the range, else nowhere (done).
	 */
	json_t *next = json_null();
	if (!empty && json_array_size(arr) == (size_t)limit)
		next = json_integer(json_integer_value(
		    json_object_get(json_array_get(arr, json_array_size(arr) - 1), "seq")));
	else if (!empty && q.lo > lo)
		next = json_integer(q.lo);
	*ret = json_pack("{s:o,s:o,s:o,s:I}", "events", arr, "next_before", next, "person",
			 q.person ? json_string(q.person) : json_null(), "searched_from",
			 (json_int_t)(empty ? 0 : q.lo));
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
		/* Checkpoints the writer ran itself, between two commits (a burst the thread
		 * could not keep up with): each one a pause of the loop. */
		json_object_set_new(
		    *ret, "wal_inline_checkpoints",
		    json_integer((json_int_t)store_wal_inline_checkpoints(core_store(c))));
	}
	return 0;
}

const struct ctl_op ops_events[] = {
    {"events.list", ROLES_SIGNED_IN, op_events_list},
    {"events.follow", ROLES_SIGNED_IN, op_events_follow},
    {"events.search", ROLES_SIGNED_IN, op_events_search},
    {"system.status", ROLES_SIGNED_IN, op_system_status},
    {NULL, 0, NULL},
};
