// SPDX-License-Identifier: MIT
/*
 * /api/fleet's body (controller/hub/fleet.c) from a real SQLite store in
 * memory, at an injected time: each controller's state (unknown before its
 * first status, online, offline), the age of its status, its lag (never
 * negative), the sites listed once each in order, the alarms and the totals.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fleet.h"
#include "hub.h"

#define NOW_MS 1796600000000LL

static int setup(void **state)
{
	struct hub_store *s;

	assert_int_equal(hub_store_open(":memory:", &s), 0);
	*state = s;
	return 0;
}

static int teardown(void **state)
{
	hub_store_close(*state);
	return 0;
}

/* A controller row as ingest would leave it. */
static void put(struct hub_store *s, const char *site, const char *name, int64_t status_ms,
		bool online, int64_t last_seq, int64_t verified_seq, const char *key_id)
{
	struct hub_controller c;

	assert_int_equal(hub_store_controller_get(s, site, name, &c), 0);
	c.status_ms = status_ms;
	c.online = online;
	c.status_last_seq = last_seq;
	c.forwarded_seq = last_seq;
	c.verified_seq = verified_seq;
	c.applied_version = 4;
	c.checkpoint_seq = verified_seq / 2;
	snprintf(c.key_id, sizeof(c.key_id), "%s", key_id);
	assert_int_equal(hub_store_controller_put(s, &c), 0);
}

static void add_events(struct hub_store *s, const char *site, const char *name, int n)
{
	for (int i = 1; i <= n; i++) {
		struct event e = {.seq = i, .ts_ms = NOW_MS - 100000 + i};

		snprintf(e.hash, sizeof(e.hash), "%064d", i);
		assert_int_equal(hub_store_event_add(s, site, name, &e, "{}"), 0);
	}
}

static const json_t *find(const json_t *fleet, const char *name)
{
	const json_t *c;
	size_t i;

	json_array_foreach(json_object_get(fleet, "controllers"), i, c)
	{
		if (!strcmp(json_string_value(json_object_get(c, "controller")), name))
			return c;
	}
	fail_msg("no controller %s", name);
	return NULL;
}

static json_int_t num(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	assert_true(json_is_integer(v));
	return json_integer_value(v);
}

static void test_an_empty_store_is_an_empty_fleet(void **state)
{
	json_t *f;

	assert_int_equal(hub_fleet_json(*state, NOW_MS, &f), 0);
	assert_string_equal(json_string_value(json_object_get(f, "generated")),
			    "2026-12-06T23:33:20.000Z");
	assert_int_equal(json_array_size(json_object_get(f, "controllers")), 0);
	assert_int_equal(json_array_size(json_object_get(f, "alarms")), 0);
	assert_int_equal(json_array_size(json_object_get(f, "sites")), 0);
	assert_int_equal(num(json_object_get(f, "totals"), "controllers"), 0);
	assert_int_equal(num(json_object_get(f, "totals"), "events"), 0);
	json_decref(f);
}

static void test_each_controller_shows_its_state_age_lag_and_alarms(void **state)
{
	struct hub_store *s = *state;
	const json_t *a, *b, *c, *t, *alarm;
	json_t *f;

	put(s, "s1", "a", NOW_MS - 5400, true, 10, 10, "aaaa");
	put(s, "s1", "b", NOW_MS - 120000, false, 9, 4, "bbbb");
	/* A store ahead of an old status: the lag is 0, not negative. */
	put(s, "s2", "c", 0, false, 2, 6, "");
	add_events(s, "s1", "a", 10);
	add_events(s, "s1", "b", 4);
	add_events(s, "s2", "c", 6);
	assert_int_equal(hub_store_alarm_add(s, "s1", "b", "bad_checkpoint", 4, "forged"), 1);

	assert_int_equal(hub_fleet_json(s, NOW_MS, &f), 0);
	a = find(f, "a");
	b = find(f, "b");
	c = find(f, "c");
	assert_true(json_is_true(json_object_get(a, "online")));
	assert_string_equal(json_string_value(json_object_get(a, "state")), "online");
	assert_int_equal(num(a, "status_age_s"), 5);
	assert_int_equal(num(a, "lag"), 0);
	assert_string_equal(json_string_value(json_object_get(a, "key_id")), "aaaa");
	assert_int_equal(num(a, "applied_version"), 4);
	assert_int_equal(num(a, "checkpoint_seq"), 5);
	assert_int_equal(num(a, "open_alarms"), 0);

	assert_true(json_is_false(json_object_get(b, "online")));
	assert_string_equal(json_string_value(json_object_get(b, "state")), "offline");
	assert_int_equal(num(b, "status_age_s"), 120);
	assert_int_equal(num(b, "lag"), 5);
	assert_int_equal(num(b, "last_seq"), 9);
	assert_int_equal(num(b, "verified_seq"), 4);
	assert_int_equal(num(b, "open_alarms"), 1);

	assert_string_equal(json_string_value(json_object_get(c, "state")), "unknown");
	assert_true(json_is_false(json_object_get(c, "online")));
	assert_true(json_is_null(json_object_get(c, "status_age_s")));
	assert_true(json_is_null(json_object_get(c, "status_at")));
	assert_true(json_is_null(json_object_get(c, "key_id")));
	assert_int_equal(num(c, "lag"), 0);

	assert_int_equal(json_array_size(json_object_get(f, "sites")), 2);
	assert_string_equal(json_string_value(json_array_get(json_object_get(f, "sites"), 0)),
			    "s1");
	assert_string_equal(json_string_value(json_array_get(json_object_get(f, "sites"), 1)),
			    "s2");
	alarm = json_array_get(json_object_get(f, "alarms"), 0);
	assert_string_equal(json_string_value(json_object_get(alarm, "controller")), "b");
	assert_string_equal(json_string_value(json_object_get(alarm, "kind")), "bad_checkpoint");
	assert_int_equal(num(alarm, "seq"), 4);
	assert_non_null(json_string_value(json_object_get(alarm, "ts")));
	t = json_object_get(f, "totals");
	assert_int_equal(num(t, "controllers"), 3);
	assert_int_equal(num(t, "online"), 1);
	assert_int_equal(num(t, "events"), 20);
	assert_int_equal(num(t, "alarms"), 1);
	/* No key material in the page's data. */
	{
		char *text = json_dumps(f, JSON_COMPACT);

		assert_null(strstr(text, "public_key"));
		free(text);
	}
	json_decref(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_an_empty_store_is_an_empty_fleet, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_each_controller_shows_its_state_age_lag_and_alarms,
					    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
