/* SPDX-License-Identifier: MIT */
/*
 * Control-socket ops for personnel and rights: persons, levels, zones
 * (badges: ops_badges.c). Every change lands in one transaction together
 * with the event that records it (the admin trail), naming the operator.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aeogate/credential.h"
#include "collide.h"
#include "core.h"
#include "ctlsock.h"
#include "ops.h"
#include "store.h"
#include "util.h"

static int op_person_add(struct ctl_request *req, json_t **ret)
{
	struct core *c = req->userdata;
	struct store *s = core_store(c);
	const char *id, *name, *levels[AEOGATE_LEVELS_PER_PERSON_MAX];
	struct person p = {0};
	size_t n_levels = 0;
	int r;

	if (ctl_arg_id(req, "id", true, &id) < 0 ||
	    ctl_arg_string(req, "name", true, AEOGATE_TEXT_MAX, &name) < 0 ||
	    ctl_arg_validity(req, &p.valid_from, &p.valid_until) < 0 ||
	    ctl_arg_id_array(req, "levels", false, levels, AEOGATE_LEVELS_PER_PERSON_MAX,
			     &n_levels) < 0)
		return -1;
	if (!text_is_valid(name))
		return ctl_fail(req, "invalid_argument",
				"'name' must be printable UTF-8 without control characters");
	snprintf(p.id, sizeof(p.id), "%s", id);
	snprintf(p.name, sizeof(p.name), "%s", name);
	strcpy(p.status, "active");
	p.created_ms = core_wall_ms(c);

	if (ops_begin(req, c) < 0)
		return -1;
	r = store_person_add(s, &p);
	if (r < 0) {
		ops_abort(c);
		return r == -EEXIST ? ctl_fail(req, "already_exists", "person '%s' already exists", id)
				    : ops_store_error(req, r, "person");
	}
	for (size_t i = 0; i < n_levels; i++) {
		r = store_person_level_add(s, id, levels[i]);
		if (r < 0 && r != -EEXIST) {
			ops_abort(c);
			return r == -ENOENT ? ctl_fail(req, "not_found", "no level '%s'", levels[i])
					    : ops_store_error(req, r, "level assignment");
		}
	}
	*ret = ops_person_json(s, &p);
	struct event e = {.kind = "person.added", .person = id};
	if (ops_commit(req, c, &e, json_pack("{s:O}", "after", *ret)) < 0) {
		json_decref(*ret);
		*ret = NULL;
		return -1;
	}
	return 0;
}

static int person_list_cb(const struct person *p, void *userdata)
{
	void **ctx = userdata;
	json_t *o = ops_person_json(core_store(ctx[1]), p);

	if (o)
		ops_person_flags(ctx[1], p, o);
	return json_array_append_new(ctx[0], o);
}

static int op_person_list(struct ctl_request *req, json_t **ret)
{
	struct core *c = req->userdata;
	const char *after = NULL;
	int64_t limit = AEOGATE_ROWS_PER_PAGE;
	json_t *arr;
	void *ctx[2];
	int r;

	if (ctl_arg_id(req, "after", false, &after) < 0 ||
	    ctl_arg_int(req, "limit", false, 1, AEOGATE_ROWS_PER_PAGE, &limit) < 0)
		return -1;
	arr = json_array();
	ctx[0] = arr;
	ctx[1] = c;
	r = store_person_list(core_store(c), after, (size_t)limit, person_list_cb, ctx);
	if (r < 0) {
		json_decref(arr);
		return ops_store_error(req, r, "person list");
	}
	*ret = arr;
	return 0;
}

static int op_person_show(struct ctl_request *req, json_t **ret)
{
	struct core *c = req->userdata;
	struct person p;
	json_t *o, *creds;

	if (ops_find_person(req, "id", &p) < 0)
		return -1;
	o = ops_person_json(core_store(c), &p);
	ops_person_flags(c, &p, o);
	creds = json_array();
	struct ops_credential_list l = {.arr = creds, .now_ms = core_wall_ms(c)};
	store_credential_list(core_store(c), p.id, ops_credential_list_cb, &l);
	json_object_set_new(o, "credentials", creds);
	json_object_set_new(o, "pin", ops_pin_status_json(core_store(c), p.id));
	/* The panel shows the face, or says there is none, without asking for it blind. */
	json_object_set_new(o, "photo", ops_person_photo_json(c, p.id));
	/* A visitor (visitor add) or anyone else: the escort rule tells them apart. */
	json_object_set_new(
	    o, "type",
	    json_string(store_visitor_is(core_store(c), p.id) == 1 ? "visitor" : "employee"));
	*ret = o;
	return 0;
}

static int set_person_status(struct ctl_request *req, json_t **ret, const char *from,
			     const char *to, const char *kind)
{
	struct core *c = req->userdata;
	struct store *s = core_store(c);
	struct person p;
	char before[16];
	int r;

	if (ops_find_person(req, "id", &p) < 0)
		return -1;
	if (strcmp(p.status, from) != 0)
		return ctl_fail(req, "failed_precondition", "person '%s' is %s, not %s", p.id,
				p.status, from);
	strcpy(before, p.status);
	if (ops_begin(req, c) < 0)
		return -1;
	r = store_person_set_status(s, p.id, to, core_wall_ms(c));
	if (r < 0) {
		ops_abort(c);
		return ops_store_error(req, r, "person");
	}
	store_person_get(s, p.id, &p);
	struct event e = {.kind = kind, .person = p.id};
	if (ops_commit(req, c, &e,
		       json_pack("{s:{s:s},s:{s:s}}", "before", "status", before, "after", "status",
				 to)) < 0)
		return -1;
	*ret = ops_person_json(s, &p);
	return 0;
}

static int op_person_suspend(struct ctl_request *req, json_t **ret)
{
	return set_person_status(req, ret, "active", "suspended", "person.suspended");
}

static int op_person_reinstate(struct ctl_request *req, json_t **ret)
{
	return set_person_status(req, ret, "suspended", "active", "person.reinstated");
}

static int live_credential_cb(const struct credential *cr, void *userdata)
{
	if (strcmp(cr->status, "revoked") != 0 && strcmp(cr->status, "returned") != 0)
		return json_array_append_new(userdata, json_string(cr->id));
	return 0;
}

static int op_person_terminate(struct ctl_request *req, json_t **ret)
{
	struct core *c = req->userdata;
	struct store *s = core_store(c);
	struct person p;
	json_t *revoked;
	size_t n = 0;
	char before[16];
	int64_t now = core_wall_ms(c);
	int r;

	if (ops_find_person(req, "id", &p) < 0)
		return -1;
	if (strcmp(p.status, "terminated") == 0)
		return ctl_fail(req, "failed_precondition", "person '%s' is already terminated",
				p.id);
	strcpy(before, p.status);
	if (ops_begin(req, c) < 0)
		return -1;
	revoked = json_array();
	store_credential_list(s, p.id, live_credential_cb, revoked);
	/* Termination and the revocation of every badge are one transaction. */
	r = store_person_set_status(s, p.id, "terminated", now);
	if (r == 0)
		r = store_credential_revoke_person(s, p.id, now, &n);
	if (r < 0) {
		json_decref(revoked);
		ops_abort(c);
		return ops_store_error(req, r, "person");
	}
	store_person_get(s, p.id, &p);
	struct event e = {.kind = "person.terminated", .person = p.id};
	if (ops_commit(req, c, &e,
		       json_pack("{s:{s:s},s:{s:s},s:o}", "before", "status", before, "after",
				 "status", "terminated", "revoked", revoked)) < 0)
		return -1;
	*ret = ops_person_json(s, &p);
	json_object_set_new(*ret, "revoked", json_integer((json_int_t)n));
	return 0;
}

/*
 * An optional time argument that may be null: absent leaves the value,
 * null clears it ("no bound"), a time sets it.
 */
static int arg_time_or_null(struct ctl_request *req, const char *name, bool *present, int64_t *ms)
{
	const json_t *v = json_object_get(req->args, name);

	*present = v != NULL;
	if (!v || json_is_null(v)) {
		*ms = 0;
		return 0;
	}
	return ctl_arg_time(req, name, true, ms) < 0 ? -1 : 0;
}

/* The members of before/after that differ: the detail of an update. */
json_t *ops_changed_detail(json_t *before, json_t *after)
{
	json_t *b = json_object(), *a = json_object(), *v;
	const char *k;

	json_object_foreach(after, k, v)
	{
		json_t *old = json_object_get(before, k);

		if (!json_equal(old, v)) {
			json_object_set(b, k, old ? old : json_null());
			json_object_set(a, k, v);
		}
	}
	json_decref(before);
	json_decref(after);
	return json_pack("{s:o,s:o}", "before", b, "after", a);
}

json_t *ops_person_trail_json(struct store *s, const struct person *p)
{
	json_t *full = ops_person_json(s, p);
	json_t *o = json_pack("{s:O,s:O,s:O,s:O}", "name", json_object_get(full, "name"),
			      "valid_from", json_object_get(full, "valid_from"), "valid_until",
			      json_object_get(full, "valid_until"), "levels",
			      json_object_get(full, "levels"));
	/* responder and clearance (lockdown, threat level): in the trail like the rest. */
	static const char *const site[] = {"responder", "clearance"};

	for (size_t i = 0; i < 2; i++)
		if (json_object_get(full, site[i]))
			json_object_set(o, site[i], json_object_get(full, site[i]));
	json_decref(full);
	return o;
}

static int op_person_update(struct ctl_request *req, json_t **ret)
{
	struct core *c = req->userdata;
	struct store *s = core_store(c);
	const char *name = NULL, *add[AEOGATE_LEVELS_PER_PERSON_MAX],
		   *rem[AEOGATE_LEVELS_PER_PERSON_MAX];
	size_t n_add = 0, n_rem = 0;
	bool has_from, has_until;
	int64_t from, until, clearance;
	int responder;
	struct person p;
	json_t *before, *detail;
	int r;

	if (ops_find_person(req, "id", &p) < 0 ||
	    ctl_arg_string(req, "name", false, AEOGATE_TEXT_MAX, &name) < 0 ||
	    arg_time_or_null(req, "valid_from", &has_from, &from) < 0 ||
	    arg_time_or_null(req, "valid_until", &has_until, &until) < 0 ||
	    ctl_arg_id_array(req, "add_levels", false, add, AEOGATE_LEVELS_PER_PERSON_MAX, &n_add) <
		0 ||
	    ctl_arg_id_array(req, "remove_levels", false, rem, AEOGATE_LEVELS_PER_PERSON_MAX,
			     &n_rem) < 0 ||
	    ops_person_site_args(req, &responder, &clearance) < 0)
		return -1;
	if (!name && !has_from && !has_until && !n_add && !n_rem && responder < 0 && clearance < 0)
		return ctl_fail(req, "invalid_argument",
				"nothing to change: give name, valid_from, valid_until, "
				"add_levels, remove_levels, responder or clearance");
	if (name && !text_is_valid(name))
		return ctl_fail(req, "invalid_argument",
				"'name' must be printable UTF-8 without control characters");
	if (!strcmp(p.status, "terminated"))
		return ctl_fail(req, "failed_precondition", "person '%s' is terminated", p.id);
	if (!has_from)
		from = p.valid_from;
	if (!has_until)
		until = p.valid_until;
	if (from && until && from >= until)
		return ctl_fail(req, "invalid_argument", "valid_from must be before valid_until");
	before = ops_person_trail_json(s, &p);
	if (ops_begin(req, c) < 0) {
		json_decref(before);
		return -1;
	}
	r = name ? store_person_set_name(s, p.id, name) : 0;
	if (r == 0 && (has_from || has_until))
		r = store_person_set_validity(s, p.id, from, until);
	if (r == 0 && (responder >= 0 || clearance >= 0)) {
		struct person_site ps;

		r = store_person_site_get(s, p.id, &ps);
		if (responder >= 0)
			ps.responder = responder;
		if (clearance >= 0)
			ps.clearance = clearance;
		if (r == 0)
			r = store_person_site_set(s, p.id, &ps);
	}
	for (size_t i = 0; r == 0 && i < n_rem; i++) {
		r = store_person_level_remove(s, p.id, rem[i]);
		if (r == -ENOENT) {
			ops_abort(c);
			json_decref(before);
			return ctl_fail(req, "failed_precondition",
					"person '%s' does not hold '%s'", p.id, rem[i]);
		}
	}
	for (size_t i = 0; r == 0 && i < n_add; i++) {
		r = store_person_level_add(s, p.id, add[i]);
		if (r == -EEXIST)
			r = 0; /* already held: the same grant */
		else if (r == -ENOENT) {
			ops_abort(c);
			json_decref(before);
			return ctl_fail(req, "not_found", "no level '%s'", add[i]);
		}
	}
	if (r < 0) {
		ops_abort(c);
		json_decref(before);
		return r == -E2BIG
			   ? ctl_fail(req, "invalid_argument", "a person holds at most %d levels",
				      AEOGATE_LEVELS_PER_PERSON_MAX)
			   : ops_store_error(req, r, "person");
	}
	store_person_get(s, p.id, &p);
	detail = ops_changed_detail(before, ops_person_trail_json(s, &p));
	struct event e = {.kind = "person.updated", .person = p.id};
	if (ops_commit(req, c, &e, detail) < 0)
		return -1;
	*ret = ops_person_json(s, &p);
	return 0;
}

static int op_level_add(struct ctl_request *req, json_t **ret)
{
	struct core *c = req->userdata;
	struct store *s = core_store(c);
	const char *name, *zones[AEOGATE_ZONES_PER_LEVEL_MAX], *schedule;
	bool has_schedule;
	size_t n = 0;
	json_t *zarr;
	int r;

	if (ctl_arg_id(req, "name", true, &name) < 0 ||
	    ctl_arg_id_array(req, "zones", true, zones, AEOGATE_ZONES_PER_LEVEL_MAX, &n) < 0 ||
	    ops_level_schedule_arg(req, &has_schedule, &schedule) < 0)
		return -1;
	if (n == 0)
		return ctl_fail(req, "invalid_argument", "a level needs at least one zone");
	for (size_t i = 0; i < n; i++)
		if (store_zone_exists(s, zones[i]) != 1)
			return ctl_fail(req, "not_found",
					"no zone '%s' (zones come from the doors in the config)",
					zones[i]);
	if (ops_begin(req, c) < 0)
		return -1;
	r = store_level_add(s, name, zones, n);
	if (r == 0 && schedule)
		r = store_level_schedule_set(s, name, schedule);
	if (r < 0) {
		ops_abort(c);
		return r == -EEXIST ? ctl_fail(req, "already_exists", "level '%s' already exists", name)
				    : ops_store_error(req, r, "level");
	}
	zarr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(zarr, json_string(zones[i]));
	*ret = json_pack("{s:s,s:o,s:o}", "name", name, "zones", zarr, "schedule",
			 schedule ? json_string(schedule) : json_null());
	struct event e = {.kind = "level.added"};
	if (ops_commit(req, c, &e, json_pack("{s:O}", "after", *ret)) < 0) {
		json_decref(*ret);
		*ret = NULL;
		return -1;
	}
	return 0;
}

struct level_find {
	const char *name;
	json_t *zones; /* set when found */
};

static int level_find_cb(const char *level, const char *const *zones, size_t n, void *userdata)
{
	struct level_find *f = userdata;

	if (strcmp(level, f->name) != 0)
		return 0;
	f->zones = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(f->zones, json_string(zones[i]));
	return 1;
}

/* The level's zones (a new array), or NULL after failing the request. */
static json_t *level_zones(struct ctl_request *req, const char *name)
{
	struct level_find f = {.name = name};
	int r = store_level_list(core_store(req->userdata), level_find_cb, &f);

	if (r < 0) {
		ops_store_error(req, r, "level");
		return NULL;
	}
	if (!f.zones)
		ctl_fail(req, "not_found", "no level '%s'", name);
	return f.zones;
}

static int op_level_update(struct ctl_request *req, json_t **ret)
{
	struct core *c = req->userdata;
	struct store *s = core_store(c);
	const char *name, *add[AEOGATE_ZONES_PER_LEVEL_MAX], *rem[AEOGATE_ZONES_PER_LEVEL_MAX],
	    *schedule;
	bool has_schedule;
	size_t n_add = 0, n_rem = 0;
	json_t *before, *after, *sched_before, *sched_after;
	int r = 0;

	if (ctl_arg_id(req, "name", true, &name) < 0 ||
	    ctl_arg_id_array(req, "add_zones", false, add, AEOGATE_ZONES_PER_LEVEL_MAX, &n_add) <
		0 ||
	    ctl_arg_id_array(req, "remove_zones", false, rem, AEOGATE_ZONES_PER_LEVEL_MAX, &n_rem) <
		0 ||
	    ops_level_schedule_arg(req, &has_schedule, &schedule) < 0)
		return -1;
	if (!n_add && !n_rem && !has_schedule)
		return ctl_fail(req, "invalid_argument",
				"nothing to change: give add_zones, remove_zones or schedule");
	if (!(before = level_zones(req, name)))
		return -1;
	if (ops_begin(req, c) < 0) {
		json_decref(before);
		return -1;
	}
	for (size_t i = 0; r == 0 && i < n_rem; i++)
		if ((r = store_level_zone_remove(s, name, rem[i])) == -ENOENT) {
			ops_abort(c);
			json_decref(before);
			return ctl_fail(req, "failed_precondition", "level '%s' does not open '%s'",
					name, rem[i]);
		}
	for (size_t i = 0; r == 0 && i < n_add; i++) {
		r = store_level_zone_add(s, name, add[i]);
		if (r == -EEXIST)
			r = 0;
		else if (r == -ENOENT) {
			ops_abort(c);
			json_decref(before);
			return ctl_fail(req, "not_found",
					"no zone '%s' (zones come from the doors in the config)",
					add[i]);
		}
	}
	sched_before = ops_level_schedule_json(s, name);
	if (r == 0 && has_schedule)
		r = store_level_schedule_set(s, name, schedule);
	if (r < 0) {
		ops_abort(c);
		json_decref(before);
		json_decref(sched_before);
		return ops_store_error(req, r, "level");
	}
	if (!(after = level_zones(req, name))) {
		ops_abort(c);
		json_decref(before);
		json_decref(sched_before);
		return -1;
	}
	if (json_array_size(after) == 0 || json_array_size(after) > AEOGATE_ZONES_PER_LEVEL_MAX) {
		ops_abort(c);
		json_decref(before);
		json_decref(sched_before);
		json_decref(after);
		return ctl_fail(req, "invalid_argument",
				"a level opens 1-%d zones; remove the level instead",
				AEOGATE_ZONES_PER_LEVEL_MAX);
	}
	sched_after = ops_level_schedule_json(s, name);
	*ret = json_pack("{s:s,s:O,s:O}", "name", name, "zones", after, "schedule", sched_after);
	before = json_pack("{s:o}", "zones", before);
	after = json_pack("{s:o}", "zones", after);
	/* The schedule is in the record when this change named it. */
	if (has_schedule) {
		json_object_set(before, "schedule", sched_before);
		json_object_set(after, "schedule", sched_after);
	}
	json_decref(sched_before);
	json_decref(sched_after);
	struct event e = {.kind = "level.updated"};
	if (ops_commit(
		req, c, &e,
		json_pack("{s:s,s:o,s:o}", "level", name, "before", before, "after", after)) < 0) {
		json_decref(*ret);
		*ret = NULL;
		return -1;
	}
	return 0;
}

static int op_level_remove(struct ctl_request *req, json_t **ret)
{
	struct core *c = req->userdata;
	struct store *s = core_store(c);
	const char *name;
	json_t *before, *sched_before;
	int64_t holders = 0;
	int r;

	if (ctl_arg_id(req, "name", true, &name) < 0)
		return -1;
	if (!(before = level_zones(req, name)))
		return -1;
	r = store_level_holders(s, name, &holders);
	if (r == 0 && holders) {
		json_decref(before);
		/* Rights are taken from people one by one, each its own record. */
		return ctl_fail(req, "failed_precondition",
				"level '%s' is held by %lld person(s); remove it from them first "
				"(person set ID --remove-level %s)",
				name, (long long)holders, name);
	}
	if (r < 0 || ops_begin(req, c) < 0) {
		json_decref(before);
		return r < 0 ? ops_store_error(req, r, "level") : -1;
	}
	/* Its schedule goes with it (schema 10: ON DELETE CASCADE); the trail keeps it. */
	sched_before = ops_level_schedule_json(s, name);
	r = store_level_remove(s, name);
	if (r < 0) {
		ops_abort(c);
		json_decref(before);
		json_decref(sched_before);
		return ops_store_error(req, r, "level");
	}
	*ret = json_pack("{s:s,s:b}", "name", name, "removed", true);
	before = json_pack("{s:s,s:o}", "name", name, "zones", before);
	if (!json_is_null(sched_before))
		json_object_set(before, "schedule", sched_before);
	json_decref(sched_before);
	struct event e = {.kind = "level.removed"};
	if (ops_commit(req, c, &e,
		       json_pack("{s:s,s:o,s:n}", "level", name, "before", before, "after")) < 0) {
		json_decref(*ret);
		*ret = NULL;
		return -1;
	}
	return 0;
}

static int level_list_cb(const char *level, const char *const *zones, size_t n, void *userdata)
{
	void **ctx = userdata;
	json_t *z = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(z, json_string(zones[i]));
	return json_array_append_new(ctx[0],
				     json_pack("{s:s,s:o,s:o}", "name", level, "zones", z,
					       "schedule", ops_level_schedule_json(ctx[1], level)));
}

static int op_level_list(struct ctl_request *req, json_t **ret)
{
	struct core *c = req->userdata;
	json_t *arr = json_array();
	void *ctx[2] = {arr, core_store(c)};
	int r = store_level_list(core_store(c), level_list_cb, ctx);

	if (r < 0) {
		json_decref(arr);
		return ops_store_error(req, r, "level list");
	}
	*ret = arr;
	return 0;
}

/* ---- clearance: vetting records and zone settings ---- */

json_t *ops_vetting_json(const struct vetting *v)
{
	return json_pack("{s:s,s:s,s:o,s:o,s:o}", "person", v->person, "status", v->status,
			 "checked", time_to_json(v->checked_ms), "recheck_due",
			 time_to_json(v->recheck_due_ms), "reference",
			 v->reference[0] ? json_string(v->reference) : json_null());
}

json_t *ops_vetting_or_null(struct store *s, const char *person)
{
	struct vetting v;

	return store_vetting_get(s, person, &v) == 0 ? ops_vetting_json(&v) : json_null();
}

bool ops_vetting_status_is_valid(const char *status)
{
	static const char *const statuses[] = {"cleared", "pending", "failed"};

	for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
		if (!strcmp(status, statuses[i]))
			return true;
	return false;
}

/* person.vet: the person's one vetting record, replaced (before/after in the trail). */
static int op_person_vet(struct ctl_request *req, json_t **ret)
{
	struct core *c = req->userdata;
	struct store *s = core_store(c);
	const char *status, *reference = NULL;
	struct vetting v = {0};
	struct person p;
	json_t *before;
	int r;

	if (ops_find_person(req, "id", &p) < 0 ||
	    ctl_arg_string(req, "status", true, sizeof(v.status) - 1, &status) < 0 ||
	    ctl_arg_time(req, "checked", true, &v.checked_ms) < 0 ||
	    ctl_arg_time(req, "recheck_due", true, &v.recheck_due_ms) < 0 ||
	    ctl_arg_string(req, "reference", false, AEOGATE_VETTING_REFERENCE_MAX, &reference) < 0)
		return -1;
	if (!ops_vetting_status_is_valid(status))
		return ctl_fail(req, "invalid_argument",
				"'status' must be cleared, pending or failed, not '%s'", status);
	if (reference && !text_is_valid(reference))
		return ctl_fail(req, "invalid_argument",
				"'reference' must be printable UTF-8 without control characters");
	if (v.recheck_due_ms <= v.checked_ms)
		return ctl_fail(req, "invalid_argument",
				"the re-check must be due after the check");
	snprintf(v.person, sizeof(v.person), "%s", p.id);
	snprintf(v.status, sizeof(v.status), "%s", status);
	snprintf(v.reference, sizeof(v.reference), "%s", reference ? reference : "");
	before = ops_vetting_or_null(s, p.id);
	if (ops_begin(req, c) < 0) {
		json_decref(before);
		return -1;
	}
	r = store_vetting_put(s, &v);
	if (r < 0) {
		ops_abort(c);
		json_decref(before);
		return ops_store_error(req, r, "vetting");
	}
	*ret = ops_vetting_json(&v);
	struct event e = {.kind = "person.vetted", .person = p.id};
	if (ops_commit(req, c, &e, json_pack("{s:o,s:O}", "before", before, "after", *ret)) < 0) {
		json_decref(*ret);
		*ret = NULL;
		return -1;
	}
	return 0;
}

/* A configured zone named by argument "zone" (zones are the config's). */
static int find_zone(struct ctl_request *req, const char **ret)
{
	const struct config *cfg = core_config((struct core *)req->userdata);
	const char *zone;

	if (ctl_arg_id(req, "zone", true, &zone) < 0)
		return -1;
	for (size_t i = 0; i < cfg->n_doors; i++)
		if (!cfg->doors[i].removed && !strcmp(cfg->doors[i].zone, zone)) {
			*ret = cfg->doors[i].zone;
			return 0;
		}
	return ctl_fail(req, "not_found", "no zone '%s' in the configuration", zone);
}

static json_t *zone_json(struct core *c, const char *zone)
{
	const struct config *cfg = core_config(c);
	json_t *doors = json_array();
	int v = store_zone_vetting_get(core_store(c), zone);
	struct zone_pairing z;
	json_t *obj;

	for (size_t j = 0; j < cfg->n_doors; j++)
		if (!cfg->doors[j].removed && strcmp(cfg->doors[j].zone, zone) == 0)
			json_array_append_new(doors, json_string(cfg->doors[j].name));
	obj = json_pack("{s:s,s:o,s:s}", "name", zone, "doors", doors, "vetting",
			v == 1 ? "required" : "none");
	if (!obj)
		return NULL;
	(void)ops_area_zone_fields(c, zone, obj);
	if (store_zone_pairing_get(core_store(c), zone, &z) == 0)
		ops_zone_pairing_json(obj, &z);
	return obj;
}

static int op_zone_show(struct ctl_request *req, json_t **ret)
{
	const char *zone;

	if (find_zone(req, &zone) < 0)
		return -1;
	*ret = zone_json(req->userdata, zone);
	return 0;
}

/*
 * zone.set: how sensitive a zone is (the manager's, not the installer's):
 * vetting, the area rules (apb, max_occupancy, ops_area.c) and the waits
 * for another person (two_person, escort and their windows). Only what was
 * given changes; the trail shows it before and after.
 */
static int op_zone_set(struct ctl_request *req, json_t **ret)
{
	struct core *c = req->userdata;
	struct store *s = core_store(c);
	const char *zone, *vetting = NULL;
	struct ops_area_change area;
	struct zone_pairing pair_before, pair_after;
	bool pair_given;
	json_t *before, *after;
	int was, r = 0, ra;

	if (find_zone(req, &zone) < 0 || ctl_arg_string(req, "vetting", false, 16, &vetting) < 0 ||
	    (ra = ops_area_zone_parse(req, zone, &area)) < 0 ||
	    ops_zone_pairing_args(req, s, zone, &pair_before, &pair_after, &pair_given) < 0)
		return -1;
	if (vetting && strcmp(vetting, "required") && strcmp(vetting, "none"))
		return ctl_fail(req, "invalid_argument",
				"'vetting' must be required or none, not '%s'", vetting);
	if (!vetting && ra == 1 && !pair_given)
		return ctl_fail(req, "invalid_argument",
				"nothing to change: give vetting, apb, max_occupancy, two_person, "
				"two_person_window, escort or escort_window");
	was = store_zone_vetting_get(s, zone);
	if (was < 0)
		return ops_store_error(req, was, "zone");
	if (ops_begin(req, c) < 0)
		return -1;
	if (vetting)
		r = store_zone_vetting_set(s, zone, !strcmp(vetting, "required"));
	if (r >= 0 && ra == 0)
		r = ops_area_zone_apply(s, zone, &area);
	if (r >= 0 && pair_given)
		r = store_zone_pairing_set(s, zone, &pair_after);
	if (r < 0) {
		ops_abort(c);
		return ops_store_error(req, r, "zone");
	}
	/* The settings given, as they were and are. */
	before = json_object();
	after = json_object();
	if (vetting) {
		json_object_set_new(before, "vetting", json_string(was == 1 ? "required" : "none"));
		json_object_set_new(after, "vetting", json_string(vetting));
	}
	if (ra == 0)
		ops_area_zone_diff(&area, before, after);
	if (pair_given) {
		ops_zone_pairing_json(before, &pair_before);
		ops_zone_pairing_json(after, &pair_after);
	}
	struct event e = {.kind = "zone.updated", .zone = zone};
	if (ops_commit(req, c, &e,
		       json_pack("{s:s,s:o,s:o}", "zone", zone, "before", before, "after", after)) <
	    0)
		return -1;
	*ret = zone_json(c, zone);
	return 0;
}

static int op_zone_list(struct ctl_request *req, json_t **ret)
{
	struct core *c = req->userdata;
	const struct config *cfg = core_config(c);
	json_t *arr = json_array();

	/* Zones are the config's: every zone some door belongs to, in config order. */
	for (size_t i = 0; i < cfg->n_doors; i++) {
		const char *zone = cfg->doors[i].zone;
		bool seen = cfg->doors[i].removed; /* a reload took it out */

		for (size_t j = 0; j < i; j++)
			if (!cfg->doors[j].removed && strcmp(cfg->doors[j].zone, zone) == 0)
				seen = true;
		if (seen)
			continue;
		json_array_append_new(arr, zone_json(c, zone));
	}
	*ret = arr;
	return 0;
}

const struct ctl_op ops_people[] = {
    {"person.add", ROLES_MANAGE, op_person_add},
    {"person.list", ROLES_SIGNED_IN, op_person_list},
    {"person.show", ROLES_SIGNED_IN, op_person_show},
    {"person.suspend", ROLES_MANAGE, op_person_suspend},
    {"person.reinstate", ROLES_MANAGE, op_person_reinstate},
    {"person.terminate", ROLES_MANAGE, op_person_terminate},
    {"person.update", ROLES_MANAGE, op_person_update},
    {"person.vet", ROLES_MANAGE, op_person_vet},
    {"zone.show", ROLES_SIGNED_IN, op_zone_show},
    {"zone.set", ROLES_MANAGE, op_zone_set},
    {"level.add", ROLES_MANAGE, op_level_add},
    {"level.list", ROLES_SIGNED_IN, op_level_list},
    {"level.update", ROLES_MANAGE, op_level_update},
    {"level.remove", ROLES_MANAGE, op_level_remove},
    {"zone.list", ROLES_SIGNED_IN, op_zone_list},
    {NULL, 0, NULL},
};
