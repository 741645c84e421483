/* SPDX-License-Identifier: MIT */
/*
 * Control-socket ops for badges, all of badge.*: issue, revoke and list,
 * and the lifecycle (suspend, lost, return, reinstate). Every change lands
 * in one transaction together with its event (the admin trail).
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

static int get_credential_arg(struct ctl_request *req, char *out, size_t len)
{
	const char *raw;
	int r;

	if (ctl_arg_string(req, "credential", true, AEOGATE_CREDENTIAL_MAX, &raw) < 0)
		return -1;
	r = credential_normalize(raw, out, len);
	if (r == -ERANGE)
		return ctl_fail(req, "invalid_argument",
				"'credential': '%s' does not fit its format's facility or number",
				raw);
	if (r < 0)
		return ctl_fail(
		    req, "invalid_argument",
		    "'credential': '%s' is not FORMAT:FACILITY:NUMBER (h10301, h10302, "
		    "h10304, h10306, c1k35, c1k48), uid:HEX (4, 7 or 10 bytes) or fmt:TEXT "
		    "(1 to 40 letters and digits)",
		    raw);
	return 0;
}

int ops_badge_prepare(struct ctl_request *req, struct core *c, const struct person *p,
		      struct credential *cr)
{
	struct store *s = core_store(c);
	struct credential existing;
	struct collision twin;
	int r;

	if (get_credential_arg(req, cr->id, sizeof(cr->id)) < 0)
		return -1;
	if (store_credential_get(s, cr->id, &existing) == 0)
		return ctl_fail(req, "already_exists",
				"credential %s is already issued to '%s' (%s)", cr->id,
				existing.person, existing.status);
	/* A badge no reader could tell from an enrolled one would be read as either holder. */
	r = collide_find(core_config(c), s, cr->id, &twin, 1);
	if (r < 0)
		return ops_store_error(req, r, "credential");
	if (r > 0)
		return ctl_fail(req, "already_exists",
				"credential %s is the same frame as %s, issued to '%s', on readers "
				"that accept both formats: %s",
				cr->id, twin.credential, twin.person, twin.readers);
	snprintf(cr->person, sizeof(cr->person), "%s", p->id);
	strcpy(cr->status, "active");
	cr->issued_ms = core_wall_ms(c);
	return 0;
}

static int op_badge_issue(struct ctl_request *req, json_t **ret)
{
	struct core *c = req->userdata;
	struct store *s = core_store(c);
	struct credential cr = {0};
	struct person p;
	int r;

	if (ops_find_person(req, "person", &p) < 0 ||
	    ctl_arg_validity(req, &cr.valid_from, &cr.valid_until) < 0)
		return -1;
	if (strcmp(p.status, "terminated") == 0)
		return ctl_fail(req, "failed_precondition",
				"person '%s' is terminated; badges cannot be issued", p.id);
	if (ops_badge_prepare(req, c, &p, &cr) < 0)
		return -1;
	if (ops_begin(req, c) < 0)
		return -1;
	r = store_credential_add(s, &cr);
	if (r < 0) {
		ops_abort(c);
		return ops_store_error(req, r, "credential");
	}
	*ret = ops_credential_json(&cr);
	struct event e = {.kind = "badge.issued", .person = p.id, .credential = cr.id};
	if (ops_commit(req, c, &e, json_pack("{s:O}", "after", *ret)) < 0) {
		json_decref(*ret);
		*ret = NULL;
		return -1;
	}
	return 0;
}

static int op_badge_revoke(struct ctl_request *req, json_t **ret)
{
	struct core *c = req->userdata;
	struct store *s = core_store(c);
	char id[AEOGATE_CREDENTIAL_MAX + 1], before[16];
	struct credential cr;
	int r;

	if (get_credential_arg(req, id, sizeof(id)) < 0)
		return -1;
	r = store_credential_get(s, id, &cr);
	if (r == -ENOENT)
		return ctl_fail(req, "not_found", "no credential %s", id);
	if (r < 0)
		return ops_store_error(req, r, "credential");
	if (strcmp(cr.status, "revoked") == 0)
		return ctl_fail(req, "failed_precondition", "credential %s is already revoked", id);
	strcpy(before, cr.status);
	if (ops_begin(req, c) < 0)
		return -1;
	r = store_credential_set_status(s, id, "revoked", core_wall_ms(c));
	if (r < 0) {
		ops_abort(c);
		return ops_store_error(req, r, "credential");
	}
	store_credential_get(s, id, &cr);
	struct event e = {.kind = "badge.revoked", .person = cr.person, .credential = cr.id};
	if (ops_commit(req, c, &e,
		       json_pack("{s:{s:s},s:{s:s}}", "before", "status", before, "after", "status",
				 "revoked")) < 0)
		return -1;
	*ret = ops_credential_json(&cr);
	return 0;
}

static int op_badge_list(struct ctl_request *req, json_t **ret)
{
	struct core *c = req->userdata;
	const char *person = NULL, *after = NULL;
	int64_t limit = AEOGATE_ROWS_PER_PAGE;
	json_t *arr;
	int r;

	if (ctl_arg_id(req, "person", false, &person) < 0 ||
	    ctl_arg_string(req, "after", false, AEOGATE_CREDENTIAL_MAX, &after) < 0 ||
	    ctl_arg_int(req, "limit", false, 1, AEOGATE_ROWS_PER_PAGE, &limit) < 0)
		return -1;
	if (person) {
		struct person p;
		r = store_person_get(core_store(c), person, &p);
		if (r == -ENOENT)
			return ctl_fail(req, "not_found", "no person '%s'", person);
	}
	arr = json_array();
	struct ops_credential_list l = {.arr = arr, .now_ms = core_wall_ms(c)};
	/* One person's badges at once; the site's a page at a time, by id, as person.list. */
	if (person)
		r = store_credential_list(core_store(c), person, ops_credential_list_cb, &l);
	else
		r = store_credential_page(core_store(c), after, (size_t)limit,
					  ops_credential_list_cb, &l);
	if (r < 0) {
		json_decref(arr);
		return ops_store_error(req, r, "credential list");
	}
	ops_person_names(c, arr);
	*ret = arr;
	return 0;
}

static int badge_change(struct ctl_request *req, json_t **ret, const char *const *from,
			const char *to, const char *kind)
{
	struct core *c = req->userdata;
	struct store *s = core_store(c);
	char id[AEOGATE_CREDENTIAL_MAX + 1], before[16];
	const char *raw, *why = NULL;
	struct credential cr;
	bool allowed = false;
	json_t *detail;
	int r;

	if (ctl_arg_string(req, "credential", true, AEOGATE_CREDENTIAL_MAX, &raw) < 0)
		return -1;
	if (credential_normalize(raw, id, sizeof(id)) < 0)
		return ctl_fail(req, "invalid_argument", "'credential': '%s' is not a credential",
				raw);
	if (!strcmp(to, "lost")) {
		if (ctl_arg_string(req, "reason", false, 16, &why) < 0)
			return -1;
		if (why && strcmp(why, "lost") && strcmp(why, "stolen"))
			return ctl_fail(req, "invalid_argument",
					"'reason' must be \"lost\" or \"stolen\"");
	}
	r = store_credential_get(s, id, &cr);
	if (r == -ENOENT)
		return ctl_fail(req, "not_found", "no credential %s", id);
	if (r < 0)
		return ops_store_error(req, r, "credential");
	for (size_t i = 0; from[i]; i++)
		allowed |= !strcmp(cr.status, from[i]);
	if (!allowed)
		return ctl_fail(req, "failed_precondition", "credential %s is %s", id, cr.status);
	snprintf(before, sizeof(before), "%s", cr.status);
	if (ops_begin(req, c) < 0)
		return -1;
	r = store_credential_set_status(s, id, to, core_wall_ms(c));
	if (r < 0) {
		ops_abort(c);
		return ops_store_error(req, r, "credential");
	}
	store_credential_get(s, id, &cr);
	detail = json_pack("{s:{s:s},s:{s:s}}", "before", "status", before, "after", "status", to);
	if (!strcmp(to, "lost"))
		json_object_set_new(detail, "reason", json_string(why ? why : "lost"));
	struct event e = {.kind = kind, .person = cr.person, .credential = cr.id};
	if (ops_commit(req, c, &e, detail) < 0)
		return -1;
	*ret = ops_credential_json(&cr);
	return 0;
}

static int op_badge_suspend(struct ctl_request *req, json_t **ret)
{
	static const char *const from[] = {"active", NULL};
	return badge_change(req, ret, from, "suspended", "badge.suspended");
}

static int op_badge_lost(struct ctl_request *req, json_t **ret)
{
	static const char *const from[] = {"active", "suspended", NULL};
	return badge_change(req, ret, from, "lost", "badge.lost");
}

static int op_badge_return(struct ctl_request *req, json_t **ret)
{
	static const char *const from[] = {"active", "suspended", "lost", NULL};
	return badge_change(req, ret, from, "returned", "badge.returned");
}

static int op_badge_reinstate(struct ctl_request *req, json_t **ret)
{
	/* A lost badge that turns up is reinstated too; revoked and returned are final. */
	static const char *const from[] = {"suspended", "lost", NULL};
	return badge_change(req, ret, from, "active", "badge.reinstated");
}

const struct ctl_op ops_badges[] = {
    {"badge.issue", ROLES_MANAGE, op_badge_issue},
    {"badge.revoke", ROLES_MANAGE, op_badge_revoke},
    {"badge.list", ROLES_SIGNED_IN, op_badge_list},
    {"badge.suspend", ROLES_MANAGE, op_badge_suspend},
    {"badge.lost", ROLES_MANAGE, op_badge_lost},
    {"badge.return", ROLES_MANAGE, op_badge_return},
    {"badge.reinstate", ROLES_MANAGE, op_badge_reinstate},
    {NULL, 0, NULL},
};
