/* SPDX-License-Identifier: MIT */
/*
 * /api/fleet's body (fleet.h): every controller the store knows, the
 * hub's alarms and the totals, in one read of the store.
 */
#include <errno.h>
#include <string.h>

#include "fleet.h"
#include "util.h"

int64_t hub_controller_lag(const struct hub_controller *c)
{
	int64_t lag = c->status_last_seq - c->verified_seq;

	return lag > 0 ? lag : 0;
}

struct fleet {
	json_t *controllers, *alarms, *sites;
	int64_t now_ms;
	json_int_t online;
};

static int add_controller(void *u, const struct hub_controller *c)
{
	struct fleet *f = u;
	bool online = c->status_ms && c->online;
	int64_t age_s = c->status_ms ? (f->now_ms - c->status_ms) / 1000 : 0;
	size_t n = json_array_size(f->sites);
	json_t *row;

	row = json_pack(
	    "{ss ss sb ss sI sI sI sI sI so sI sI so so}", "site", c->site, "controller",
	    c->controller, "online", online, "state",
	    !c->status_ms ? "unknown"
	    : online	  ? "online"
			  : "offline",
	    "last_seq", (json_int_t)c->status_last_seq, "verified_seq", (json_int_t)c->verified_seq,
	    "forwarded_seq", (json_int_t)c->forwarded_seq, "lag", (json_int_t)hub_controller_lag(c),
	    "applied_version", (json_int_t)c->applied_version, "key_id",
	    c->key_id[0] ? json_string(c->key_id) : json_null(), "checkpoint_seq",
	    (json_int_t)c->checkpoint_seq, "open_alarms", (json_int_t)c->open_alarms,
	    "status_age_s", c->status_ms ? json_integer(age_s > 0 ? age_s : 0) : json_null(),
	    "status_at", c->status_ms ? time_to_json(c->status_ms) : json_null());
	if (!row || json_array_append_new(f->controllers, row) < 0)
		return -ENOMEM;
	f->online += online;
	/* The store orders rows by site: a new site differs from the last one listed. */
	if (!n || strcmp(json_string_value(json_array_get(f->sites, n - 1)), c->site))
		if (json_array_append_new(f->sites, json_string(c->site)) < 0)
			return -ENOMEM;
	return 0;
}

static int add_alarm(void *u, int64_t id, int64_t at_ms, const char *site, const char *controller,
		     const char *kind, int64_t seq, const char *message)
{
	struct fleet *f = u;
	json_t *row;

	row = json_pack("{sI ss ss ss sI ss so}", "id", (json_int_t)id, "site", site, "controller",
			controller, "kind", kind, "seq", (json_int_t)seq, "message", message, "ts",
			time_to_json(at_ms));
	if (!row || json_array_append_new(f->alarms, row) < 0)
		return -ENOMEM;
	return 0;
}

int hub_fleet_json(struct hub_store *s, int64_t now_ms, json_t **ret)
{
	struct fleet f = {.now_ms = now_ms};
	int64_t events = 0;
	json_t *all;
	int r;

	all = json_pack("{so s[] s[] s[]}", "generated", time_to_json(now_ms), "sites",
			"controllers", "alarms");
	if (!all)
		return -ENOMEM;
	f.sites = json_object_get(all, "sites");
	f.controllers = json_object_get(all, "controllers");
	f.alarms = json_object_get(all, "alarms");
	r = hub_store_controller_each(s, add_controller, &f);
	if (r == 0)
		r = hub_store_alarm_each(s, add_alarm, &f);
	if (r == 0)
		r = hub_store_event_count(s, &events);
	if (r == 0 &&
	    json_object_set_new(all, "totals",
				json_pack("{sI sI sI sI}", "controllers",
					  (json_int_t)json_array_size(f.controllers), "online",
					  f.online, "events", (json_int_t)events, "alarms",
					  (json_int_t)json_array_size(f.alarms))) < 0)
		r = -ENOMEM;
	if (r < 0) {
		json_decref(all);
		return r;
	}
	*ret = all;
	return 0;
}
