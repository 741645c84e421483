/* SPDX-License-Identifier: MIT */
/*
 * What the ops files share: store errors as reply codes, the admin trail
 * (a change and its event in one transaction), and the JSON of a person
 * and a badge.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "ctlsock.h"
#include "ops.h"
#include "policy.h"
#include "store.h"
#include "util.h"

const char *ops_store_error_text(int r, const char *what, char *buf, size_t len)
{
	switch (r) {
	case -ENOENT:
		snprintf(buf, len, "%s does not exist", what);
		return "not_found";
	case -EEXIST:
		snprintf(buf, len, "%s already exists", what);
		return "already_exists";
	case -EINVAL:
		snprintf(buf, len, "%s: value refused", what);
		return "invalid_argument";
	case -ENOSPC:
	case -EIO:
	case -EBUSY:
		snprintf(buf, len, "storage is failing (%s); try again", strerror(-r));
		return "unavailable";
	default:
		snprintf(buf, len, "%s: %s", what, strerror(-r));
		return "internal";
	}
}

int ops_store_error(struct ctl_request *req, int r, const char *what)
{
	char msg[sizeof(req->error_message)];
	const char *code = ops_store_error_text(r, what, msg, sizeof(msg));

	return ctl_fail(req, code, "%s", msg);
}

/*
 * Starts a change; refused while older events still wait for storage, and
 * while a person import applies its rows if it is one the import's checks
 * rest on (ops_import_gate).
 */
int ops_begin(struct ctl_request *req, struct core *c)
{
	int r;

	if (ops_import_gate(req, c) < 0)
		return -1;
	if (core_events_queued(c))
		return ctl_fail(
		    req, "unavailable",
		    "storage is failing; changes are refused until buffered events are stored");
	r = store_begin(core_store(c));
	if (r < 0)
		return ops_store_error(req, r, "transaction");
	return 0;
}

void ops_abort(struct core *c)
{
	store_rollback(core_store(c));
	core_chain_reload(c);
}

char *ops_detail_text(struct ctl_request *req, json_t *detail)
{
	return ops_detail_text_by(req->operator_id, detail);
}

char *ops_detail_text_by(const char *operator_id, json_t *detail)
{
	char *text;

	if (!detail)
		detail = json_object();
	json_object_set_new(detail, "operator", json_string(operator_id));
	text = json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(detail);
	return text;
}

static int commit(struct ctl_request *req, struct core *c, struct event *e, json_t *detail,
		  int (*record)(struct core *c, const struct event *e, void *arg),
		  void (*act)(struct core *c, void *arg), void *arg)
{
	char *text = ops_detail_text(req, detail);
	int r;

	if (!text) {
		ops_abort(c);
		return ctl_fail(req, "internal", "out of memory");
	}
	e->detail = text;
	r = core_append(c, e);
	if (r == 0 && record)
		r = record(c, e, arg);
	if (r == 0)
		r = store_commit(core_store(c));
	if (r < 0) {
		ops_abort(c);
		free(text);
		e->detail = NULL;
		return ops_store_error(req, r, "change");
	}
	if (act)
		act(c, arg);
	core_publish(c, e);
	free(text);
	e->detail = NULL;
	return 0;
}

/*
 * Appends the event that records the change and commits both. detail is a
 * JSON object (consumed) to which the operator is added.
 */
int ops_commit(struct ctl_request *req, struct core *c, struct event *e, json_t *detail)
{
	return commit(req, c, e, detail, NULL, NULL, NULL);
}

int ops_commit_record(struct ctl_request *req, struct core *c, struct event *e, json_t *detail,
		      int (*record)(struct core *c, const struct event *e, void *arg), void *arg)
{
	return commit(req, c, e, detail, record, NULL, arg);
}

int ops_commit_then(struct ctl_request *req, struct core *c, struct event *e, json_t *detail,
		    void (*act)(struct core *c, void *arg), void *arg)
{
	return commit(req, c, e, detail, NULL, act, arg);
}

static int level_name_cb(const char *level, void *userdata)
{
	return json_array_append_new(userdata, json_string(level));
}

json_t *ops_person_json(struct store *s, const struct person *p)
{
	json_t *levels = json_array(), *o, *site;

	store_person_levels(s, p->id, level_name_cb, levels);
	o = ops_person_json_levels(p, levels);
	/* responder and clearance (lockdown, threat level) */
	site = ops_person_site_json(s, p->id);
	if (o && json_is_object(site))
		json_object_update(o, site);
	json_decref(site);
	return o;
}

json_t *ops_person_json_levels(const struct person *p, json_t *levels)
{
	return json_pack("{s:s,s:s,s:s,s:o,s:o,s:o,s:o,s:o}", "id", p->id, "name", p->name,
			 "status", p->status, "valid_from", time_to_json(p->valid_from),
			 "valid_until", time_to_json(p->valid_until), "created",
			 time_to_json(p->created_ms), "terminated", time_to_json(p->terminated_ms),
			 "levels", levels);
}

json_t *ops_credential_json(const struct credential *cr)
{
	return json_pack("{s:s,s:s,s:s,s:o,s:o,s:o,s:o}", "id", cr->id, "person", cr->person,
			 "status", cr->status, "valid_from", time_to_json(cr->valid_from),
			 "valid_until", time_to_json(cr->valid_until), "issued",
			 time_to_json(cr->issued_ms), "revoked", time_to_json(cr->revoked_ms));
}

int ops_find_person(struct ctl_request *req, const char *arg, struct person *p)
{
	const char *id;
	int r;

	if (ctl_arg_id(req, arg, true, &id) < 0)
		return -1;
	r = store_person_get(core_store(req->userdata), id, p);
	if (r == -ENOENT)
		return ctl_fail(req, "not_found", "no person '%s'", id);
	if (r < 0)
		return ops_store_error(req, r, "person");
	return 0;
}

static json_t *flags_json(const enum reason *r, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < n; i++)
		json_array_append_new(a, json_string(reason_to_string(r[i])));
	return a;
}

int ops_credential_list_cb(const struct credential *cr, void *userdata)
{
	struct ops_credential_list *l = userdata;
	enum reason flags[POLICY_FLAGS_MAX];
	json_t *o = ops_credential_json(cr);

	if (o)
		json_object_set_new(
		    o, "flags", flags_json(flags, policy_credential_flags(cr, l->now_ms, flags)));
	return json_array_append_new(l->arr, o);
}

void ops_person_flags(struct core *c, const struct person *p, json_t *o)
{
	static const struct {
		const char *status;
		enum policy_vetting_status v;
	} vetting[] = {
	    {"cleared", POLICY_VETTING_CLEARED},
	    {"pending", POLICY_VETTING_PENDING},
	    {"failed", POLICY_VETTING_FAILED},
	};
	enum policy_vetting_status vs = POLICY_VETTING_NONE;
	enum reason flags[POLICY_FLAGS_MAX];
	struct vetting v;

	if (store_vetting_get(core_store(c), p->id, &v) == 0)
		for (size_t i = 0; i < sizeof(vetting) / sizeof(vetting[0]); i++)
			if (!strcmp(v.status, vetting[i].status))
				vs = vetting[i].v;
	json_object_set_new(
	    o, "flags",
	    flags_json(flags, policy_person_flags(
				  p, vs, vs == POLICY_VETTING_CLEARED ? v.recheck_due_ms : 0,
				  core_wall_ms(c), flags)));
}

void ops_person_names(struct core *c, json_t *rows)
{
	char id[AEOGATE_ID_MAX + 1] = "", name[AEOGATE_TEXT_MAX + 1];
	bool found = false, photo = false;
	size_t i;
	json_t *row;

	json_array_foreach(rows, i, row)
	{
		const char *person = json_string_value(json_object_get(row, "person"));

		if (!person || !*person || strlen(person) > AEOGATE_ID_MAX)
			continue;
		/* Rows of one person often come together (a shift's reads): ask once. */
		if (strcmp(id, person) != 0) {
			snprintf(id, sizeof(id), "%s", person);
			found = store_person_name(core_store(c), person, name, sizeof(name)) == 0;
			photo = found && store_person_has_photo(core_store(c), person) == 1;
		}
		if (found)
			json_object_set_new(row, "person_name", json_string(name));
		/* The dashboard shows the face beside the row (README "Person photos"). */
		if (photo)
			json_object_set_new(row, "person_has_photo", json_true());
	}
}
