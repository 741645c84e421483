/* SPDX-License-Identifier: MIT */
/*
 * aeogate-hub status: every controller the hub has heard of, with what is
 * stored (the verified chain's last seq), what the controller says it has
 * and has forwarded (its retained status), the lag between the two, its
 * pinned key, and the hub's alarms.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "fleet.h"
#include "hub.h"
#include "hub_cmds.h"
#include "print.h"
#include "util.h"

static int add_controller(void *u, const struct hub_controller *c)
{
	json_t *arr = u;
	char ts[32] = "";

	if (c->status_ms)
		time_format_ms(c->status_ms, ts, sizeof(ts));
	json_array_append_new(
	    arr,
	    json_pack("{ss ss ss sI sI sI sI sI sI sI so so sI sI sI sI sI sI so}", "site", c->site,
		      "controller", c->controller, "state",
		      !c->status_ms ? "unknown"
		      : c->online   ? "online"
				    : "offline",
		      "stored_seq", (json_int_t)c->verified_seq, "first_seq",
		      (json_int_t)c->first_seq, "last_seq", (json_int_t)c->status_last_seq,
		      "forwarded_seq", (json_int_t)c->forwarded_seq, "lag",
		      (json_int_t)hub_controller_lag(c), "applied_version",
		      (json_int_t)c->applied_version, "checkpoint_seq",
		      (json_int_t)c->checkpoint_seq, "key_id",
		      c->key_id[0] ? json_string(c->key_id) : json_null(), "public_key",
		      c->public_key[0] ? json_string(c->public_key) : json_null(), "held",
		      (json_int_t)c->pending, "duplicates", (json_int_t)c->duplicates, "refused",
		      (json_int_t)c->refused, "alarms", (json_int_t)c->open_alarms, "doors",
		      (json_int_t)c->doors, "controller_alarms", (json_int_t)c->alarms, "status_at",
		      ts[0] ? json_string(ts) : json_null()));
	return 0;
}

static int add_alarm(void *u, int64_t id, int64_t at_ms, const char *site, const char *controller,
		     const char *kind, int64_t seq, const char *message)
{
	json_t *arr = u;
	char ts[32];

	time_format_ms(at_ms, ts, sizeof(ts));
	json_array_append_new(arr, json_pack("{sI ss ss ss ss sI ss}", "id", (json_int_t)id, "at",
					     ts, "site", site, "controller", controller, "kind",
					     kind, "seq", (json_int_t)seq, "message", message));
	return 0;
}

static void print_status(const json_t *all)
{
	const json_t *ctls = json_object_get(all, "controllers"), *alarms;
	const json_t *c, *a;
	size_t i;

	printf("%-12s %-16s %-8s %10s %10s %10s %8s %8s %-17s %6s %6s %6s\n", "SITE", "CONTROLLER",
	       "STATE", "STORED", "LAST-SEQ", "FORWARDED", "LAG", "APPLIED", "KEY", "HELD", "DUPS",
	       "ALARMS");
	json_array_foreach(ctls, i, c)
	{
		const char *key = json_string_value(json_object_get(c, "key_id"));

		printf(
		    "%-12s %-16s %-8s %10lld %10lld %10lld %8lld %8lld %-17s %6lld %6lld %6lld\n",
		    json_string_value(json_object_get(c, "site")),
		    json_string_value(json_object_get(c, "controller")),
		    json_string_value(json_object_get(c, "state")),
		    (long long)json_integer_value(json_object_get(c, "stored_seq")),
		    (long long)json_integer_value(json_object_get(c, "last_seq")),
		    (long long)json_integer_value(json_object_get(c, "forwarded_seq")),
		    (long long)json_integer_value(json_object_get(c, "lag")),
		    (long long)json_integer_value(json_object_get(c, "applied_version")),
		    key ? key : "not pinned",
		    (long long)json_integer_value(json_object_get(c, "held")),
		    (long long)json_integer_value(json_object_get(c, "duplicates")),
		    (long long)json_integer_value(json_object_get(c, "alarms")));
	}
	if (!json_array_size(ctls))
		puts("(no controller has reported yet)");
	alarms = json_object_get(all, "alarms");
	if (!json_array_size(alarms)) {
		puts("\nalarms: none");
		return;
	}
	printf("\nalarms: %zu\n", json_array_size(alarms));
	json_array_foreach(alarms, i, a)
	    printf("  %s %s %s/%s seq %lld: %s\n", json_string_value(json_object_get(a, "at")),
		   json_string_value(json_object_get(a, "kind")),
		   json_string_value(json_object_get(a, "site")),
		   json_string_value(json_object_get(a, "controller")),
		   (long long)json_integer_value(json_object_get(a, "seq")),
		   json_string_value(json_object_get(a, "message")));
}

int hub_cmd_status(struct hub_opts *o, int argc, char **argv)
{
	struct hub_config cfg;
	struct hub_store *store = NULL;
	bool json = false;
	json_t *all;
	int r;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			json = true;
		} else {
			fprintf(stderr,
				"aeogate-hub: status: unexpected argument '%s'\n"
				"usage: aeogate-hub status [--json] [-c FILE]\n",
				argv[i]);
			return 2;
		}
	}
	if (hub_load(o, &cfg, &store))
		return 1;
	all = json_pack("{s[] s[]}", "controllers", "alarms");
	r = all ? hub_store_controller_each(store, add_controller,
					    json_object_get(all, "controllers"))
		: -ENOMEM;
	if (r == 0)
		r = hub_store_alarm_each(store, add_alarm, json_object_get(all, "alarms"));
	if (r < 0) {
		hub_fail("%s: %s", cfg.db, strerror(-r));
	} else if (json) {
		print_json(stdout, all);
	} else {
		print_status(all);
	}
	json_decref(all);
	hub_store_close(store);
	hub_config_free(&cfg);
	return r < 0 ? 1 : 0;
}
