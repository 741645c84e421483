/* SPDX-License-Identifier: MIT */
/*
 * Control-socket ops for the site as a whole: lockdown and release (of the
 * site or of zones) and the threat level (README, "Lockdown and threat
 * levels"), each with its row and its event in one transaction; the doors
 * move once it is committed, before subscribers hear of it.
 */
#include <errno.h>
#include <string.h>

#include "lockdown.h"
#include "ops.h"
#include "util.h"

/* The lockdown as status shows it: null, "site", or the zones locked down. */
static json_t *lockdown_json(const struct lockdown_state *s)
{
	json_t *zones;

	if (s->site)
		return json_string("site");
	if (!s->n_zones)
		return json_null();
	zones = json_array();
	for (size_t i = 0; i < s->n_zones; i++)
		json_array_append_new(zones, json_string(s->zones[i]));
	return zones;
}

void ops_site_status(struct core *c, json_t *status)
{
	const struct lockdown_state *s = core_lockdown(c);

	json_object_set_new(status, "lockdown", lockdown_json(s));
	json_object_set_new(status, "threat_level", json_integer(s->threat_level));
}

/* The required comment: what happened, for the trail. */
static int arg_required_comment(struct ctl_request *req, const char **ret)
{
	if (ops_arg_comment(req, true, ret) < 0)
		return -1;
	if (!(*ret)[0])
		return ctl_fail(req, "invalid_argument", "'comment' must not be empty: say why");
	return 0;
}

/*
 * The zones of a lockdown or release: absent or empty for the whole site;
 * each must be a zone of the site (a door leads into it).
 */
static int arg_zones(struct ctl_request *req, const char **zones, size_t *ret_n)
{
	struct core *c = req->userdata;
	const struct config *cfg = core_config(c);

	*ret_n = 0;
	if (ctl_arg_id_array(req, "zones", false, zones, AEOGATE_DOORS_MAX, ret_n) < 0)
		return -1;
	for (size_t i = 0; i < *ret_n; i++) {
		bool known = false;

		for (size_t d = 0; d < cfg->n_doors && !known; d++)
			known = !cfg->doors[d].removed && !strcmp(cfg->doors[d].zone, zones[i]);
		if (!known)
			return ctl_fail(req, "not_found",
					"no zone '%s' (zones come from the doors in the config)",
					zones[i]);
		/* A zone named twice is the same zone. */
		for (size_t j = 0; j < i; j++)
			if (!strcmp(zones[j], zones[i])) {
				zones[i--] = zones[--*ret_n];
				break;
			}
	}
	return 0;
}

static void lockdown_act(struct core *c, void *arg)
{
	core_lockdown_set(c, arg);
}

/* Stores next (the lockdown rows) with its event kind, then the doors follow. */
static int lockdown_commit(struct ctl_request *req, const char *kind, const char *comment,
			   const char *const *zones, size_t n, struct lockdown_state *next,
			   json_t **ret)
{
	struct core *c = req->userdata;
	const char *names[AEOGATE_DOORS_MAX];
	json_t *given = json_null(), *detail;
	int r;

	for (size_t i = 0; i < next->n_zones; i++)
		names[i] = next->zones[i];
	if (n) {
		given = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(given, json_string(zones[i]));
	}
	if (ops_begin(req, c) < 0) {
		json_decref(given);
		return -1;
	}
	r = store_lockdown_set(core_store(c), next->site, names, next->n_zones);
	if (r < 0) {
		ops_abort(c);
		json_decref(given);
		return ops_store_error(req, r, "lockdown");
	}
	detail = json_pack("{s:s,s:o,s:o,s:o}", "comment", comment, "zones", given, "before",
			   lockdown_json(core_lockdown(c)), "after", lockdown_json(next));
	struct event e = {.kind = kind};
	if (ops_commit_then(req, c, &e, detail, lockdown_act, next) < 0)
		return -1;
	*ret = json_object();
	ops_site_status(c, *ret);
	return 0;
}

/* site.lockdown {zones?, comment}: every door of the site (or the zones) locked down. */
static int op_site_lockdown(struct ctl_request *req, json_t **ret)
{
	struct core *c = req->userdata;
	struct lockdown_state next = *core_lockdown(c);
	const char *zones[AEOGATE_DOORS_MAX], *comment;
	size_t n;
	int r;

	if (arg_zones(req, zones, &n) < 0 || arg_required_comment(req, &comment) < 0)
		return -1;
	r = lockdown_lock(&next, zones, n);
	if (r == -EALREADY)
		return ctl_fail(req, "failed_precondition", "%s",
				next.site ? "the whole site is locked down already"
					  : "every zone given is locked down already");
	if (r < 0)
		return ctl_fail(req, "invalid_argument", "at most %d zones", AEOGATE_DOORS_MAX);
	return lockdown_commit(req, "site.lockdown", comment, zones, n, &next, ret);
}

/* site.release {zones?, comment}: the site (everything) or the zones given released. */
static int op_site_release(struct ctl_request *req, json_t **ret)
{
	struct core *c = req->userdata;
	struct lockdown_state next = *core_lockdown(c);
	const char *zones[AEOGATE_DOORS_MAX], *comment;
	size_t n;
	int r;

	if (arg_zones(req, zones, &n) < 0 || arg_required_comment(req, &comment) < 0)
		return -1;
	r = lockdown_release(&next, zones, n);
	if (r == -EBUSY)
		return ctl_fail(req, "failed_precondition",
				"the whole site is locked down: release it without --zone");
	if (r == -ENOENT)
		return ctl_fail(req, "failed_precondition", "%s",
				n ? "a zone given is not locked down" : "no lockdown holds");
	if (r < 0)
		return ctl_fail(req, "internal", "release: %s", strerror(-r));
	return lockdown_commit(req, "site.release", comment, zones, n, &next, ret);
}

/* site.threat {level, comment}: the site's threat level, 0-5. */
static int op_site_threat(struct ctl_request *req, json_t **ret)
{
	struct core *c = req->userdata;
	struct lockdown_state next = *core_lockdown(c);
	const char *comment;
	int64_t level;
	int r;

	if (ctl_arg_int(req, "level", true, 0, LOCKDOWN_LEVEL_MAX, &level) < 0 ||
	    arg_required_comment(req, &comment) < 0)
		return -1;
	if (ops_begin(req, c) < 0)
		return -1;
	r = store_threat_level_set(core_store(c), (int)level);
	if (r < 0) {
		ops_abort(c);
		return ops_store_error(req, r, "threat level");
	}
	struct event e = {.kind = "site.threat"};
	json_t *detail =
	    json_pack("{s:s,s:{s:i},s:{s:i}}", "comment", comment, "before", "threat_level",
		      next.threat_level, "after", "threat_level", (int)level);
	next.threat_level = (int)level;
	if (ops_commit_then(req, c, &e, detail, lockdown_act, &next) < 0)
		return -1;
	*ret = json_object();
	ops_site_status(c, *ret);
	return 0;
}

int ops_person_site_args(struct ctl_request *req, int *ret_responder, int64_t *ret_clearance)
{
	const json_t *v = json_object_get(req->args, "responder");

	*ret_responder = -1;
	*ret_clearance = -1;
	if (v && !json_is_boolean(v))
		return ctl_fail(req, "invalid_argument", "'responder' must be true or false");
	if (v)
		*ret_responder = json_is_true(v);
	if (ctl_arg_int(req, "clearance", false, 0, LOCKDOWN_LEVEL_MAX, ret_clearance) < 0)
		return -1;
	return 0;
}

json_t *ops_person_site_json(struct store *s, const char *person)
{
	struct person_site ps = {0};

	if (store_person_site_get(s, person, &ps) < 0)
		return json_null();
	return json_pack("{s:b,s:I}", "responder", ps.responder, "clearance",
			 (json_int_t)ps.clearance);
}

const struct ctl_op ops_site[] = {
    {"site.lockdown", ROLES_MANAGE, op_site_lockdown},
    {"site.release", ROLES_MANAGE, op_site_release},
    {"site.threat", ROLES_MANAGE, op_site_threat},
    {NULL, 0, NULL},
};
