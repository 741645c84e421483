/* SPDX-License-Identifier: MIT */
/*
 * Control-socket ops for schedules and holidays, and a level's schedule
 * (for level.add, level.update and level.list in ops_people.c). Every
 * change lands in one transaction with its admin-trail event (operator,
 * before/after); the core's calendar is reloaded after the commit, so the
 * next read decides on it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "core.h"
#include "ctlsock.h"
#include "ops.h"
#include "schedule.h"
#include "store.h"
#include "util.h"

/* ---- schedules ---- */

/*
 * An array of interval specs (argument name) parsed into ret (at most
 * max); *ret_n how many. Fails the request naming the bad spec. Returns 0,
 * 1 when absent and not required, -1 after failing the request.
 */
static int arg_intervals(struct ctl_request *req, const char *name, bool required,
			 struct schedule_interval *ret, size_t max, size_t *ret_n)
{
	json_t *v, *item;
	size_t i;
	int r = ctl_arg_array(req, name, required, max, &v);

	*ret_n = 0;
	if (r != 0)
		return r;
	json_array_foreach(v, i, item)
	{
		const char *spec = json_string_value(item), *why = NULL;

		if (!spec || strlen(spec) != json_string_length(item))
			return ctl_fail(req, "invalid_argument", "'%s' must hold interval strings",
					name);
		if (schedule_interval_parse(spec, &ret[i], &why) < 0)
			return ctl_fail(req, "invalid_argument", "interval '%.*s': %s",
					SCHEDULE_SPEC_MAX, spec, why);
	}
	*ret_n = json_array_size(v);
	return 0;
}

static json_t *interval_json(const struct schedule_interval *iv)
{
	char spec[SCHEDULE_SPEC_MAX + 1];

	return schedule_interval_format(iv, spec, sizeof(spec)) < 0 ? json_null()
								    : json_string(spec);
}

static int intervals_cb(const char *schedule, const struct schedule_interval *iv, void *userdata)
{
	return iv ? json_array_append_new(userdata, interval_json(iv)) : 0;
}

/* {"name","intervals"}: what the trail records before and after; NULL after failing req. */
static json_t *schedule_trail_json(struct ctl_request *req, const char *name)
{
	json_t *ivs = json_array();
	int r = store_schedule_walk(core_store(req->userdata), name, intervals_cb, ivs);

	if (r < 0) {
		json_decref(ivs);
		ops_store_error(req, r, "schedule");
		return NULL;
	}
	return json_pack("{s:s,s:o}", "name", name, "intervals", ivs);
}

/* Appends a user of a schedule to userdata's array "levels" (or "doors", ...). */
static int users_cb(const char *what, const char *user, void *userdata)
{
	char key[32];
	json_t *arr;

	snprintf(key, sizeof(key), "%ss", what);
	arr = json_object_get(userdata, key);
	if (!arr && json_object_set_new(userdata, key, arr = json_array()) < 0)
		return -ENOMEM;
	return json_array_append_new(arr, json_string(user)) < 0 ? -ENOMEM : 0;
}

/* {"name","intervals","levels"}: a schedule as list and show print it. */
static json_t *schedule_json(struct ctl_request *req, const char *name)
{
	json_t *o = schedule_trail_json(req, name);
	int r;

	if (!o)
		return NULL;
	json_object_set_new(o, "levels", json_array());
	r = store_schedule_users(core_store(req->userdata), name, users_cb, o);
	if (r < 0) {
		json_decref(o);
		ops_store_error(req, r, "schedule");
		return NULL;
	}
	return o;
}

/* The schedule named by argument arg (an id); fails the request when there is none. */
static int find_schedule_arg(struct ctl_request *req, const char *arg, const char **ret)
{
	const char *name;
	int r;

	if (ctl_arg_id(req, arg, true, &name) < 0)
		return -1;
	r = store_schedule_exists(core_store(req->userdata), name);
	if (r < 0)
		return ops_store_error(req, r, "schedule");
	if (r == 0)
		return ctl_fail(req, "not_found", "no schedule '%s'", name);
	*ret = name;
	return 0;
}

static int find_schedule(struct ctl_request *req, const char **ret)
{
	return find_schedule_arg(req, "name", ret);
}

/*
 * Commits a change of schedules or holidays with its event, then reloads
 * the calendar so the next read decides on it. ret (when given) is the
 * result, dropped when the commit fails.
 */
static int commit_calendar(struct ctl_request *req, struct event *e, json_t *detail, json_t **ret)
{
	struct core *c = req->userdata;

	if (ops_commit(req, c, e, detail) < 0) {
		if (ret) {
			json_decref(*ret);
			*ret = NULL;
		}
		return -1;
	}
	/* A failure leaves the calendar stale: scheduled levels deny until it loads. */
	(void)core_calendar_reload(c);
	return 0;
}

static int op_schedule_add(struct ctl_request *req, json_t **ret)
{
	struct core *c = req->userdata;
	struct store *s = core_store(c);
	struct schedule_interval ivs[AEOGATE_SCHEDULE_INTERVALS_MAX];
	const char *name;
	json_t *after;
	size_t n = 0;
	int64_t count = 0;
	int r;

	if (ctl_arg_id(req, "name", true, &name) < 0 ||
	    arg_intervals(req, "intervals", true, ivs, AEOGATE_SCHEDULE_INTERVALS_MAX, &n) < 0)
		return -1;
	if (n == 0)
		return ctl_fail(req, "invalid_argument", "a schedule needs at least one interval");
	/* "level set NAME --schedule none" clears a level's schedule: no schedule has that name. */
	if (!strcmp(name, "none"))
		return ctl_fail(
		    req, "invalid_argument",
		    "'none' is not a schedule name (--schedule none means no schedule)");
	r = store_schedule_count(s, &count);
	if (r < 0)
		return ops_store_error(req, r, "schedule");
	if (count >= AEOGATE_SCHEDULES_MAX)
		return ctl_fail(req, "failed_precondition", "a site has at most %d schedules",
				AEOGATE_SCHEDULES_MAX);
	if (ops_begin(req, c) < 0)
		return -1;
	r = store_schedule_add(s, name);
	if (r == -EEXIST) {
		ops_abort(c);
		return ctl_fail(req, "already_exists", "schedule '%s' already exists", name);
	}
	for (size_t i = 0; r == 0 && i < n; i++) {
		r = store_schedule_interval_add(s, name, &ivs[i]);
		if (r == -EEXIST)
			r = 0; /* named twice: the same interval */
	}
	if (r < 0) {
		ops_abort(c);
		return ops_store_error(req, r, "schedule");
	}
	if (!(after = schedule_trail_json(req, name)) || !(*ret = schedule_json(req, name))) {
		ops_abort(c);
		json_decref(after);
		return -1;
	}
	struct event e = {.kind = "schedule.added"};
	return commit_calendar(req, &e, json_pack("{s:s,s:o}", "schedule", name, "after", after),
			       ret);
}

static int op_schedule_update(struct ctl_request *req, json_t **ret)
{
	struct core *c = req->userdata;
	struct store *s = core_store(c);
	struct schedule_interval add[AEOGATE_SCHEDULE_INTERVALS_MAX],
	    rem[AEOGATE_SCHEDULE_INTERVALS_MAX];
	size_t n_add = 0, n_rem = 0;
	const char *name;
	json_t *before, *after;
	int64_t count = 0;
	int r = 0;

	if (find_schedule(req, &name) < 0 ||
	    arg_intervals(req, "add_intervals", false, add, AEOGATE_SCHEDULE_INTERVALS_MAX,
			  &n_add) < 0 ||
	    arg_intervals(req, "remove_intervals", false, rem, AEOGATE_SCHEDULE_INTERVALS_MAX,
			  &n_rem) < 0)
		return -1;
	if (!n_add && !n_rem)
		return ctl_fail(req, "invalid_argument",
				"nothing to change: give add_intervals or remove_intervals");
	if (!(before = schedule_trail_json(req, name)))
		return -1;
	if (ops_begin(req, c) < 0) {
		json_decref(before);
		return -1;
	}
	for (size_t i = 0; r == 0 && i < n_rem; i++) {
		r = store_schedule_interval_remove(s, name, &rem[i]);
		if (r == -ENOENT) {
			char spec[SCHEDULE_SPEC_MAX + 1] = "?";

			ops_abort(c);
			json_decref(before);
			(void)schedule_interval_format(&rem[i], spec, sizeof(spec));
			return ctl_fail(req, "failed_precondition",
					"schedule '%s' has no interval '%s'", name, spec);
		}
	}
	for (size_t i = 0; r == 0 && i < n_add; i++) {
		r = store_schedule_interval_add(s, name, &add[i]);
		if (r == -EEXIST)
			r = 0;
	}
	if (r == 0)
		r = store_schedule_interval_count(s, name, &count);
	if (r < 0) {
		ops_abort(c);
		json_decref(before);
		return ops_store_error(req, r, "schedule");
	}
	if (count == 0 || count > AEOGATE_SCHEDULE_INTERVALS_MAX) {
		ops_abort(c);
		json_decref(before);
		return ctl_fail(req, count ? "invalid_argument" : "failed_precondition",
				"a schedule has 1-%d intervals%s", AEOGATE_SCHEDULE_INTERVALS_MAX,
				count ? "" : "; remove the schedule instead");
	}
	if (!(after = schedule_trail_json(req, name)) || !(*ret = schedule_json(req, name))) {
		ops_abort(c);
		json_decref(before);
		json_decref(after);
		return -1;
	}
	struct event e = {.kind = "schedule.updated"};
	r = commit_calendar(req, &e,
			    json_pack("{s:s,s:{s:O},s:{s:O}}", "schedule", name, "before",
				      "intervals", json_object_get(before, "intervals"), "after",
				      "intervals", json_object_get(after, "intervals")),
			    ret);
	json_decref(before);
	json_decref(after);
	return r;
}

/* "level L1, level L2" into buf, the users of a schedule; how many in *n. */
struct users_text {
	char buf[160];
	size_t len, n;
};

static int users_text_cb(const char *what, const char *user, void *userdata)
{
	struct users_text *u = userdata;
	int w;

	if (u->n++ >= 3)
		return 0; /* the first few are enough to act on; the count says the rest */
	w = snprintf(u->buf + u->len, sizeof(u->buf) - u->len, "%s%s '%s'", u->len ? ", " : "",
		     what, user);
	if (w > 0)
		u->len =
		    u->len + (size_t)w >= sizeof(u->buf) ? sizeof(u->buf) - 1 : u->len + (size_t)w;
	return 0;
}

static int op_schedule_remove(struct ctl_request *req, json_t **ret)
{
	struct core *c = req->userdata;
	struct store *s = core_store(c);
	struct users_text users = {0};
	const char *name;
	json_t *before;
	int r;

	if (find_schedule(req, &name) < 0)
		return -1;
	r = store_schedule_users(s, name, users_text_cb, &users);
	if (r < 0)
		return ops_store_error(req, r, "schedule");
	if (users.n)
		/* A level or door loses its schedule by its own change, recorded as such. */
		return ctl_fail(req, "failed_precondition",
				"schedule '%s' is in use by %s%s; give %s another schedule or none "
				"first",
				name, users.buf, users.n > 3 ? " and more" : "",
				users.n > 1 ? "them" : "it");
	if (!(before = schedule_trail_json(req, name)))
		return -1;
	if (ops_begin(req, c) < 0) {
		json_decref(before);
		return -1;
	}
	r = store_schedule_remove(s, name);
	if (r < 0) {
		ops_abort(c);
		json_decref(before);
		return ops_store_error(req, r, "schedule");
	}
	*ret = json_pack("{s:s,s:b}", "name", name, "removed", true);
	struct event e = {.kind = "schedule.removed"};
	return commit_calendar(
	    req, &e, json_pack("{s:s,s:o,s:n}", "schedule", name, "before", before, "after"), ret);
}

static int schedule_list_cb(const char *schedule, const struct schedule_interval *iv,
			    void *userdata)
{
	json_t *names = userdata;
	size_t n = json_array_size(names);

	/* One row per interval: each schedule's name once. */
	if (n && !strcmp(json_string_value(json_array_get(names, n - 1)), schedule))
		return 0;
	return json_array_append_new(names, json_string(schedule)) < 0 ? -ENOMEM : 0;
}

static int op_schedule_list(struct ctl_request *req, json_t **ret)
{
	json_t *names = json_array(), *arr = json_array(), *v;
	size_t i;
	int r = store_schedule_walk(core_store(req->userdata), NULL, schedule_list_cb, names);

	if (r < 0) {
		json_decref(names);
		json_decref(arr);
		return ops_store_error(req, r, "schedule list");
	}
	json_array_foreach(names, i, v)
	{
		json_t *o = schedule_json(req, json_string_value(v));

		if (!o) {
			json_decref(names);
			json_decref(arr);
			return -1;
		}
		json_array_append_new(arr, o);
	}
	json_decref(names);
	*ret = arr;
	return 0;
}

static int op_schedule_show(struct ctl_request *req, json_t **ret)
{
	const char *name;

	if (find_schedule(req, &name) < 0)
		return -1;
	*ret = schedule_json(req, name);
	return *ret ? 0 : -1;
}

/* ---- holidays ---- */

/* A local date "YYYY-MM-DD" that exists (argument "date"). */
static int arg_date(struct ctl_request *req, const char **ret)
{
	const char *date;
	int64_t ms;

	if (ctl_arg_string(req, "date", true, 10, &date) < 0)
		return -1;
	/* The calendar check of a UTC time is the same for a date: 2026-02-30 is none. */
	if (strlen(date) != 10 || time_parse_ms(date, &ms) < 0)
		return ctl_fail(req, "invalid_argument",
				"'date': '%s' is not a date like 2026-12-25", date);
	*ret = date;
	return 0;
}

static int op_holiday_add(struct ctl_request *req, json_t **ret)
{
	struct core *c = req->userdata;
	struct store *s = core_store(c);
	const char *date, *name;
	int64_t count = 0;
	int r;

	if (arg_date(req, &date) < 0 ||
	    ctl_arg_string(req, "name", true, AEOGATE_TEXT_MAX, &name) < 0)
		return -1;
	if (!text_is_valid(name))
		return ctl_fail(req, "invalid_argument",
				"'name' must be printable UTF-8 without control characters");
	r = store_holiday_count(s, &count);
	if (r < 0)
		return ops_store_error(req, r, "holiday");
	if (count >= AEOGATE_HOLIDAYS_MAX)
		return ctl_fail(req, "failed_precondition",
				"at most %d holidays; remove past ones first",
				AEOGATE_HOLIDAYS_MAX);
	if (ops_begin(req, c) < 0)
		return -1;
	r = store_holiday_add(s, date, name);
	if (r < 0) {
		ops_abort(c);
		return r == -EEXIST ? ctl_fail(req, "already_exists",
					       "%s is already a holiday; remove it first", date)
				    : ops_store_error(req, r, "holiday");
	}
	*ret = json_pack("{s:s,s:s}", "date", date, "name", name);
	struct event e = {.kind = "holiday.added"};
	return commit_calendar(req, &e, json_pack("{s:s,s:O}", "date", date, "after", *ret), ret);
}

static int op_holiday_remove(struct ctl_request *req, json_t **ret)
{
	struct core *c = req->userdata;
	struct store *s = core_store(c);
	char name[AEOGATE_TEXT_MAX + 1];
	const char *date;
	int r;

	if (arg_date(req, &date) < 0)
		return -1;
	r = store_holiday_get(s, date, name, sizeof(name));
	if (r == -ENOENT)
		return ctl_fail(req, "not_found", "no holiday on %s", date);
	if (r < 0)
		return ops_store_error(req, r, "holiday");
	if (ops_begin(req, c) < 0)
		return -1;
	r = store_holiday_remove(s, date);
	if (r < 0) {
		ops_abort(c);
		return ops_store_error(req, r, "holiday");
	}
	*ret = json_pack("{s:s,s:b}", "date", date, "removed", true);
	struct event e = {.kind = "holiday.removed"};
	return commit_calendar(req, &e,
			       json_pack("{s:s,s:{s:s,s:s},s:n}", "date", date, "before", "date",
					 date, "name", name, "after"),
			       ret);
}

static int holiday_list_cb(const char *date, const char *name, void *userdata)
{
	return json_array_append_new(userdata, json_pack("{s:s,s:s}", "date", date, "name", name));
}

static int op_holiday_list(struct ctl_request *req, json_t **ret)
{
	json_t *arr = json_array();
	int r = store_holiday_list(core_store(req->userdata), holiday_list_cb, arr);

	if (r < 0) {
		json_decref(arr);
		return ops_store_error(req, r, "holiday list");
	}
	*ret = arr;
	return 0;
}

/* ---- a level's schedule (level.add, level.update, level.list) ---- */

int ops_level_schedule_arg(struct ctl_request *req, bool *present, const char **ret)
{
	const json_t *v = json_object_get(req->args, "schedule");

	*present = v != NULL;
	*ret = NULL;
	if (!v || json_is_null(v))
		return 0;
	return find_schedule_arg(req, "schedule", ret);
}

json_t *ops_level_schedule_json(struct store *s, const char *level)
{
	char schedule[AEOGATE_ID_MAX + 1];

	return store_level_schedule_get(s, level, schedule, sizeof(schedule)) == 1
		   ? json_string(schedule)
		   : json_null();
}

const struct ctl_op ops_schedules[] = {
    {"schedule.add", ROLES_MANAGE, op_schedule_add},
    {"schedule.update", ROLES_MANAGE, op_schedule_update},
    {"schedule.remove", ROLES_MANAGE, op_schedule_remove},
    {"schedule.list", ROLES_SIGNED_IN, op_schedule_list},
    {"schedule.show", ROLES_SIGNED_IN, op_schedule_show},
    {"holiday.add", ROLES_MANAGE, op_holiday_add},
    {"holiday.remove", ROLES_MANAGE, op_holiday_remove},
    {"holiday.list", ROLES_SIGNED_IN, op_holiday_list},
    {NULL, 0, NULL},
};
