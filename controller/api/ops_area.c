/* SPDX-License-Identifier: MIT */
/*
 * Control-socket ops for where everyone is (issue 14, sections 1-2): the
 * muster list, anti-passback status and forgiveness, and a zone's area
 * settings (apb, max_occupancy) as zone.set and zone.list carry them. The
 * rules themselves are controller/policy/apb.c; the rows controller/area.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "area.h"
#include "ops.h"
#include "util.h"

static json_t *max_json(int64_t max)
{
	return max < 0 ? json_null() : json_integer(max);
}

int ops_area_zone_fields(struct core *c, const char *zone, json_t *obj)
{
	struct store *s = core_store(c);
	struct area_rules rules;
	int64_t violations = 0, occupancy = 0;
	char apb[APB_TEXT_MAX];
	int r = area_rules_get(s, zone, &rules, &violations);

	if (r < 0 || (r = store_zone_occupancy(s, zone, &occupancy)) < 0)
		return r;
	json_object_set_new(obj, "occupancy", json_integer(occupancy));
	json_object_set_new(obj, "max_occupancy", max_json(rules.max_occupancy));
	json_object_set_new(obj, "apb", json_string(apb_to_string(&rules, apb, sizeof(apb))));
	json_object_set_new(obj, "apb_violations", json_integer(violations));
	return 0;
}

int ops_area_zone_parse(struct ctl_request *req, const char *zone, struct ops_area_change *ret)
{
	struct ops_area_change ch = {0};
	const char *apb;
	json_t *max = json_object_get(req->args, "max_occupancy");
	int r;

	r = area_rules_get(core_store(req->userdata), zone, &ch.before, NULL);
	if (r < 0)
		return ops_store_error(req, r, "zone");
	ch.after = ch.before;
	r = ctl_arg_string(req, "apb", false, APB_TEXT_MAX - 1, &apb);
	if (r < 0)
		return -1;
	if (r == 0) {
		if (apb_from_string(apb, &ch.after) < 0)
			return ctl_fail(req, "invalid_argument",
					"'apb' must be off, soft, hard or timed:MINUTES (1-%d), "
					"not '%s'",
					APB_MINUTES_MAX, apb);
		ch.apb = true;
	}
	if (max) {
		const char *text = json_string_value(max);
		int64_t n = -2;

		/* N or none (null), as a number or as the text the command line sends. */
		if (json_is_integer(max)) {
			n = json_integer_value(max);
		} else if (json_is_null(max) || (text && !strcmp(text, "none"))) {
			n = -1;
		} else if (text && text[0] >= '0' && text[0] <= '9' && strlen(text) <= 6) {
			char *end;

			n = strtoll(text, &end, 10);
			if (*end)
				n = -2;
		}
		if (n < -1 || n > AEOGATE_OCCUPANCY_MAX || (json_is_integer(max) && n < 0))
			return ctl_fail(req, "invalid_argument",
					"'max_occupancy' must be a number 0-%d or none",
					AEOGATE_OCCUPANCY_MAX);
		ch.after.max_occupancy = n;
		ch.max = true;
	}
	*ret = ch;
	return ch.apb || ch.max ? 0 : 1;
}

void ops_area_zone_diff(const struct ops_area_change *ch, json_t *before, json_t *after)
{
	char b[APB_TEXT_MAX], a[APB_TEXT_MAX];

	if (ch->apb) {
		json_object_set_new(before, "apb",
				    json_string(apb_to_string(&ch->before, b, sizeof(b))));
		json_object_set_new(after, "apb",
				    json_string(apb_to_string(&ch->after, a, sizeof(a))));
	}
	if (ch->max) {
		json_object_set_new(before, "max_occupancy", max_json(ch->before.max_occupancy));
		json_object_set_new(after, "max_occupancy", max_json(ch->after.max_occupancy));
	}
}

int ops_area_zone_apply(struct store *s, const char *zone, const struct ops_area_change *ch)
{
	return store_zone_area_set(s, zone, apb_mode_name(ch->after.apb), ch->after.apb_minutes,
				   ch->after.max_occupancy);
}

/* ---- muster, apb status ---- */

static int location_cb(const struct location_row *l, void *userdata)
{
	return json_array_append_new(userdata,
				     json_pack("{s:s,s:s,s:s,s:o,s:s}", "zone", l->zone, "person",
					       l->person, "name", l->name, "since",
					       time_to_json(l->since_ms), "door", l->door));
}

/* A configured zone, when argument name is given: *ret NULL when not. */
static int optional_zone(struct ctl_request *req, const char *name, const char **ret)
{
	const struct config *cfg = core_config((struct core *)req->userdata);
	const char *zone;
	int r = ctl_arg_id(req, name, false, &zone);

	*ret = NULL;
	if (r < 0)
		return -1;
	if (r == 1)
		return 0;
	for (size_t i = 0; i < cfg->n_doors; i++)
		if (!cfg->doors[i].removed && !strcmp(cfg->doors[i].zone, zone)) {
			*ret = cfg->doors[i].zone;
			return 0;
		}
	return ctl_fail(req, "not_found", "no zone '%s' in the configuration", zone);
}

/* muster.list: who is in each zone now (or in one), since when, by which door. */
static int op_muster_list(struct ctl_request *req, json_t **ret)
{
	const char *zone;
	json_t *arr;
	int r;

	if (optional_zone(req, "zone", &zone) < 0)
		return -1;
	arr = json_array();
	r = store_location_list(core_store(req->userdata), zone, NULL, location_cb, arr);
	if (r < 0) {
		json_decref(arr);
		return ops_store_error(req, r, "muster");
	}
	*ret = arr;
	return 0;
}

/* apb.status: where everyone is (or one person: zone null when in none). */
static int op_apb_status(struct ctl_request *req, json_t **ret)
{
	struct store *s = core_store(req->userdata);
	struct person p;
	json_t *arr = NULL;
	int r;

	if (json_object_get(req->args, "person")) {
		if (ops_find_person(req, "person", &p) < 0)
			return -1;
	} else {
		p.id[0] = '\0';
	}
	arr = json_array();
	r = store_location_list(s, NULL, p.id[0] ? p.id : NULL, location_cb, arr);
	if (r < 0) {
		json_decref(arr);
		return ops_store_error(req, r, "apb status");
	}
	if (p.id[0] && json_array_size(arr) == 0)
		json_array_append_new(arr, json_pack("{s:n,s:s,s:s,s:n,s:n}", "zone", "person",
						     p.id, "name", p.name, "since", "door"));
	*ret = arr;
	return 0;
}

static json_t *location_json(const struct area_location *l)
{
	if (!l->zone[0])
		return json_null();
	return json_pack("{s:s,s:o,s:s}", "zone", l->zone, "since", time_to_json(l->since_ms),
			 "door", l->door);
}

/* apb.forgive: a person's location reset (anti-passback starts afresh), in the trail. */
static int op_apb_forgive(struct ctl_request *req, json_t **ret)
{
	struct core *c = req->userdata;
	struct store *s = core_store(c);
	struct area_location was;
	struct person p;
	const char *zone;
	int r;

	if (ops_find_person(req, "person", &p) < 0 || optional_zone(req, "zone", &zone) < 0)
		return -1;
	if (ops_begin(req, c) < 0)
		return -1;
	r = area_forgive_person(s, p.id, zone, &was);
	if (r < 0) {
		ops_abort(c);
		return ops_store_error(req, r, "apb forgive");
	}
	struct event e = {.kind = "apb.forgiven", .person = p.id, .zone = zone};
	*ret = json_pack("{s:s,s:o,s:o}", "person", p.id, "zone",
			 zone ? json_string(zone) : json_null(), "was", location_json(&was));
	if (ops_commit(req, c, &e,
		       json_pack("{s:o,s:O}", "zone", zone ? json_string(zone) : json_null(), "was",
				 json_object_get(*ret, "was"))) < 0) {
		json_decref(*ret);
		*ret = NULL;
		return -1;
	}
	return 0;
}

const struct ctl_op ops_area[] = {
    {"muster.list", ROLES_SIGNED_IN, op_muster_list},
    {"apb.status", ROLES_SIGNED_IN, op_apb_status},
    {"apb.forgive", ROLES_MANAGE, op_apb_forgive},
    {NULL, 0, NULL},
};
