/* SPDX-License-Identifier: MIT */
/*
 * Control-socket ops for visitors (visitor.add, visitor.end, visitor.list)
 * and the two-person and escort settings zone.set takes (README,
 * "Two-person rule and escort", "Visitors"). The rules themselves are
 * controller/policy/two_person.c; these ops translate requests and record
 * each change with its event in one transaction.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core.h"
#include "ctlsock.h"
#include "ops.h"
#include "store.h"
#include "util.h"

/* ---- zone.set: --two-person, --two-person-window, --escort, --escort-window ---- */

/* A window argument: a duration ("10s", "500ms", "2m"), 1 ms to the ceiling. */
static int window_arg(struct ctl_request *req, const char *name, int64_t *ret_ms, bool *given)
{
	const char *v;
	uint64_t ms;
	int r = ctl_arg_string(req, name, false, 32, &v);

	if (r != 0)
		return r < 0 ? -1 : 0;
	if (duration_parse_ms(v, AEOGATE_PAIR_WINDOW_MAX_MS, &ms) < 0 || ms == 0)
		return ctl_fail(
		    req, "invalid_argument",
		    "'%s' must be a duration (10s, 500ms, 2m) above 0 and at most %d s, "
		    "not '%s'",
		    name, AEOGATE_PAIR_WINDOW_MAX_MS / 1000, v);
	*ret_ms = (int64_t)ms;
	*given = true;
	return 0;
}

/* An on/off argument given as one of two words. */
static int switch_arg(struct ctl_request *req, const char *name, const char *on, const char *off,
		      bool *ret, bool *given)
{
	const char *v;
	int r = ctl_arg_string(req, name, false, 16, &v);

	if (r != 0)
		return r < 0 ? -1 : 0;
	if (strcmp(v, on) && strcmp(v, off))
		return ctl_fail(req, "invalid_argument", "'%s' must be %s or %s, not '%s'", name,
				on, off, v);
	*ret = !strcmp(v, on);
	*given = true;
	return 0;
}

int ops_zone_pairing_args(struct ctl_request *req, struct store *s, const char *zone,
			  struct zone_pairing *ret_before, struct zone_pairing *ret_after,
			  bool *ret_given)
{
	struct zone_pairing z;
	bool given = false;
	int r = store_zone_pairing_get(s, zone, &z);

	if (r < 0)
		return ops_store_error(req, r, "zone");
	*ret_before = z;
	if (switch_arg(req, "two_person", "on", "off", &z.two_person, &given) < 0 ||
	    window_arg(req, "two_person_window", &z.two_person_window_ms, &given) < 0 ||
	    switch_arg(req, "escort", "required", "none", &z.escort, &given) < 0 ||
	    window_arg(req, "escort_window", &z.escort_window_ms, &given) < 0)
		return -1;
	*ret_after = z;
	*ret_given = given;
	return 0;
}

/* Seconds, whole when they are (windows are set in seconds, mostly). */
static json_t *seconds_json(int64_t ms)
{
	return ms % 1000 ? json_real((double)ms / 1000.0) : json_integer(ms / 1000);
}

void ops_zone_pairing_json(json_t *obj, const struct zone_pairing *z)
{
	json_object_set_new(obj, "two_person", json_string(z->two_person ? "on" : "off"));
	json_object_set_new(obj, "two_person_window", seconds_json(z->two_person_window_ms));
	json_object_set_new(obj, "escort", json_string(z->escort ? "required" : "none"));
	json_object_set_new(obj, "escort_window", seconds_json(z->escort_window_ms));
}

/* ---- visitors ---- */

static json_t *visitor_json(const struct visitor *v)
{
	return json_pack(
	    "{s:s,s:s,s:s,s:s,s:s,s:s,s:o,s:o,s:o,s:o,s:b}", "id", v->person, "type", "visitor",
	    "name", v->name, "company", v->company, "host", v->host, "document", v->document,
	    "vehicle", v->vehicle[0] ? json_string(v->vehicle) : json_null(), "until",
	    time_to_json(v->until_ms), "added", time_to_json(v->added_ms), "ended",
	    v->ended_ms ? time_to_json(v->ended_ms) : json_null(), "on_site", v->on_site);
}

/* A register field: printable, at most AEOGATE_VISITOR_TEXT_MAX bytes. */
static int text_arg(struct ctl_request *req, const char *name, bool required, const char **ret)
{
	int r = ctl_arg_string(req, name, required, AEOGATE_VISITOR_TEXT_MAX, ret);

	if (r != 0)
		return r;
	if (!text_is_valid(*ret) || !(*ret)[0])
		return ctl_fail(req, "invalid_argument",
				"'%s' must be printable UTF-8 without control characters", name);
	return 0;
}

/*
 * The register keeps the type of ID document checked, never its number:
 * a value with a digit in it is refused rather than stored.
 */
static int document_arg(struct ctl_request *req, const char **ret)
{
	if (text_arg(req, "document", true, ret) < 0)
		return -1;
	for (const char *p = *ret; *p; p++)
		if (*p >= '0' && *p <= '9')
			return ctl_fail(req, "invalid_argument",
					"'document' is the type of ID document checked (passport, "
					"id_card, driving_licence ...), never its number");
	return 0;
}

/* The host: an active person who is not a visitor. */
static int host_arg(struct ctl_request *req, struct store *s, struct person *ret)
{
	int r;

	if (ops_find_person(req, "host", ret) < 0)
		return -1;
	if (strcmp(ret->status, "active"))
		return ctl_fail(req, "failed_precondition", "host '%s' is %s", ret->id,
				ret->status);
	r = store_visitor_is(s, ret->id);
	if (r < 0)
		return ops_store_error(req, r, "visitor");
	if (r == 1)
		return ctl_fail(req, "invalid_argument", "host '%s' is a visitor", ret->id);
	return 0;
}

/*
 * visitor.add: a person (type visitor) whose validity ends at until, the
 * register record, the levels and the badge given, and visitor.added with
 * the operator, all in one transaction. The badge stops working at until
 * by itself: it and the person end there.
 */
static int op_visitor_add(struct ctl_request *req, json_t **ret)
{
	struct core *c = req->userdata;
	struct store *s = core_store(c);
	const char *id, *name, *company, *document, *vehicle = "";
	const char *levels[AEOGATE_LEVELS_PER_PERSON_MAX];
	struct person p = {0}, host;
	struct visitor v = {0};
	struct credential cr = {0};
	bool badge;
	size_t n_levels = 0;
	int r;

	if (ctl_arg_id(req, "id", true, &id) < 0 ||
	    ctl_arg_string(req, "name", true, AEOGATE_TEXT_MAX, &name) < 0 ||
	    text_arg(req, "company", true, &company) < 0 || host_arg(req, s, &host) < 0 ||
	    document_arg(req, &document) < 0 || text_arg(req, "vehicle", false, &vehicle) < 0 ||
	    ctl_arg_time(req, "until", true, &v.until_ms) < 0 ||
	    ctl_arg_id_array(req, "levels", false, levels, AEOGATE_LEVELS_PER_PERSON_MAX,
			     &n_levels) < 0)
		return -1;
	if (!text_is_valid(name))
		return ctl_fail(req, "invalid_argument",
				"'name' must be printable UTF-8 without control characters");
	p.created_ms = core_wall_ms(c);
	if (v.until_ms <= p.created_ms)
		return ctl_fail(req, "invalid_argument", "'until' must be in the future");
	snprintf(p.id, sizeof(p.id), "%s", id);
	snprintf(p.name, sizeof(p.name), "%s", name);
	strcpy(p.status, "active");
	p.valid_until = v.until_ms;
	badge = json_object_get(req->args, "credential") != NULL;
	if (badge && ops_badge_prepare(req, c, &p, &cr) < 0)
		return -1;
	cr.valid_until = v.until_ms;
	snprintf(v.person, sizeof(v.person), "%s", id);
	snprintf(v.name, sizeof(v.name), "%s", name);
	snprintf(v.company, sizeof(v.company), "%s", company);
	snprintf(v.host, sizeof(v.host), "%s", host.id);
	snprintf(v.document, sizeof(v.document), "%s", document);
	snprintf(v.vehicle, sizeof(v.vehicle), "%s", vehicle);
	v.added_ms = p.created_ms;

	if (ops_begin(req, c) < 0)
		return -1;
	r = store_person_add(s, &p);
	if (r < 0) {
		ops_abort(c);
		return r == -EEXIST
			   ? ctl_fail(req, "already_exists", "person '%s' already exists", id)
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
	r = store_visitor_add(s, &v);
	if (r == 0 && badge)
		r = store_credential_add(s, &cr);
	if (r < 0) {
		ops_abort(c);
		return ops_store_error(req, r, "visitor");
	}
	*ret = visitor_json(&v);
	json_object_set_new(*ret, "credential", badge ? json_string(cr.id) : json_null());
	struct event e = {
	    .kind = "visitor.added", .person = id, .credential = badge ? cr.id : NULL};
	if (ops_commit(req, c, &e, json_pack("{s:O}", "after", *ret)) < 0) {
		json_decref(*ret);
		*ret = NULL;
		return -1;
	}
	return 0;
}

/* The visitor named by argument "id". */
static int find_visitor(struct ctl_request *req, struct store *s, struct visitor *ret)
{
	const char *id;
	int r;

	if (ctl_arg_id(req, "id", true, &id) < 0)
		return -1;
	r = store_visitor_get(s, id, ret);
	if (r == -ENOENT)
		return ctl_fail(req, "not_found", "no visitor '%s'", id);
	return r < 0 ? ops_store_error(req, r, "visitor") : 0;
}

/*
 * visitor.end: the visit ends and its badges are returned (they deny
 * credential_revoked from now on); visitor.ended with the operator.
 */
static int op_visitor_end(struct ctl_request *req, json_t **ret)
{
	struct core *c = req->userdata;
	struct store *s = core_store(c);
	struct visitor v;
	int64_t now = core_wall_ms(c);
	int64_t returned;
	json_t *before;
	int r;

	if (find_visitor(req, s, &v) < 0)
		return -1;
	if (v.ended_ms)
		return ctl_fail(req, "failed_precondition", "the visit of '%s' has already ended",
				v.person);
	before = visitor_json(&v);
	if (ops_begin(req, c) < 0) {
		json_decref(before);
		return -1;
	}
	r = store_visitor_end(s, v.person, now);
	returned = r == 0 ? store_visitor_badges_return(s, v.person, now) : r;
	if (r < 0 || returned < 0 || (r = store_visitor_get(s, v.person, &v)) < 0) {
		ops_abort(c);
		json_decref(before);
		return ops_store_error(req, r < 0 ? r : (int)returned, "visitor");
	}
	*ret = visitor_json(&v);
	struct event e = {.kind = "visitor.ended", .person = v.person};
	if (ops_commit(req, c, &e,
		       json_pack("{s:o,s:O,s:I}", "before", before, "after", *ret,
				 "badges_returned", (json_int_t)returned)) < 0) {
		json_decref(*ret);
		*ret = NULL;
		return -1;
	}
	return 0;
}

static int visitor_list_cb(const struct visitor *v, void *userdata)
{
	return json_array_append_new(userdata, visitor_json(v)) < 0 ? -ENOMEM : 0;
}

/*
 * visitor.list [on_site] [after] [limit]: a page of the register by id
 * (as person.list); with on_site only those inside now.
 */
static int op_visitor_list(struct ctl_request *req, json_t **ret)
{
	struct core *c = req->userdata;
	json_t *on_site = json_object_get(req->args, "on_site"), *arr;
	const char *after = NULL;
	int64_t limit = AEOGATE_ROWS_PER_PAGE;
	int r;

	if (on_site && !json_is_boolean(on_site))
		return ctl_fail(req, "invalid_argument", "'on_site' must be true or false");
	if (ctl_arg_id(req, "after", false, &after) < 0 ||
	    ctl_arg_int(req, "limit", false, 1, AEOGATE_ROWS_PER_PAGE, &limit) < 0)
		return -1;
	arr = json_array();
	r = store_visitor_list(core_store(c), after, json_is_true(on_site), (size_t)limit,
			       visitor_list_cb, arr);
	if (r < 0) {
		json_decref(arr);
		return ops_store_error(req, r, "visitor list");
	}
	*ret = arr;
	return 0;
}

static int op_visitor_show(struct ctl_request *req, json_t **ret)
{
	struct visitor v;

	if (find_visitor(req, core_store(req->userdata), &v) < 0)
		return -1;
	*ret = visitor_json(&v);
	return 0;
}

const struct ctl_op ops_visitors[] = {
    {"visitor.add", ROLES_MANAGE, op_visitor_add},
    {"visitor.end", ROLES_MANAGE, op_visitor_end},
    {"visitor.list", ROLES_SIGNED_IN, op_visitor_list},
    {"visitor.show", ROLES_SIGNED_IN, op_visitor_show},
    {NULL, 0, NULL},
};
