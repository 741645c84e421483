// SPDX-License-Identifier: MIT
/*
 * The INI config (controller/config.c): each test writes a file into a
 * private mkdtemp directory and loads it. Errors are checked for their
 * exact "file:line: key:" prefix, since that is what an installer reads.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "aeogate/config.h"
#include "aeogate/wiegand.h"

struct fixture {
	char dir[64];
	char path[128];
	struct config cfg; /* large: keep it off the stack */
	char err[512];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_config.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/aeogate.ini", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	unlink(f->path);
	assert_int_equal(rmdir(f->dir), 0);
	free(f);
	return 0;
}

static void write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "we");

	assert_non_null(fp);
	assert_int_equal(fputs(text, fp) >= 0, 1);
	assert_int_equal(fclose(fp), 0);
}

/* Writes text and loads it; returns config_load's result. */
static int load(struct fixture *f, const char *text)
{
	write_file(f->path, text);
	f->err[0] = '\0';
	return config_load(f->path, &f->cfg, f->err, sizeof(f->err));
}

/* The demo site (config/demo.ini), with a door and a reader left at their defaults. */
static const char full_example[] = "; aeogate demo site\n"
				   "[controller]\n"
				   "site_name = Demo cargo site (simulated board)\n"
				   "timezone = Europe/Amsterdam\n"
				   "durability = full\n"
				   "demo = true\n"
				   "state_dir = /srv/aeogate\n"
				   "socket = /run/test/ctl.sock\n"
				   "\n"
				   "[door dock-1]\n"
				   "zone = dock\n"
				   "lock = sim\n"
				   "lock_type = strike\n"
				   "contact = sim\n"
				   "rex = sim\n"
				   "strike_time = 3s\n"
				   "held_time = 2m\n"
				   "debounce_ms = 20\n"
				   "\n"
				   "[door cage-1]\n"
				   "zone = bonded-cage\n"
				   "lock = sim\n"
				   "lock_type = maglock\n"
				   "\n"
				   "[door office-1]\n"
				   "zone = office\n"
				   "lock = sim ; inline comment\n"
				   "\n"
				   "[reader dock-1-in]\n"
				   "type = sim\n"
				   "door = dock-1\n"
				   "direction = in\n"
				   "formats = h10301, c1k48\n"
				   "\n"
				   "[reader cage-1-out]\n"
				   "door = cage-1\n"
				   "direction = out\n"
				   "\n"
				   "[reader office-1-in]\n"
				   "type = sim\n"
				   "door = office-1\n";

static void test_loads_the_full_example_with_values_and_defaults(void **state)
{
	struct fixture *f = *state;
	const struct config *c = &f->cfg;

	assert_int_equal(load(f, full_example), 0);
	assert_string_equal(c->path, f->path);
	assert_string_equal(c->site_name, "Demo cargo site (simulated board)");
	assert_string_equal(c->timezone, "Europe/Amsterdam");
	assert_string_equal(c->durability, "full");
	assert_true(c->demo);
	assert_string_equal(c->state_dir, "/srv/aeogate");
	assert_string_equal(c->socket, "/run/test/ctl.sock");

	assert_int_equal(c->n_doors, 3);
	assert_string_equal(c->doors[0].name, "dock-1");
	assert_string_equal(c->doors[0].zone, "dock");
	assert_int_equal(c->doors[0].backend, DOOR_BACKEND_SIM);
	assert_int_equal(c->doors[0].lock_type, LOCK_STRIKE);
	assert_true(c->doors[0].lock.set && c->doors[0].lock.sim);
	assert_true(c->doors[0].contact.set && c->doors[0].contact.sim);
	assert_true(c->doors[0].rex.set && c->doors[0].rex.sim);
	assert_false(c->doors[0].tamper.set);
	assert_false(c->doors[0].led_green.set);
	assert_int_equal(c->doors[0].strike_time_ms, 3000);
	assert_int_equal(c->doors[0].held_time_ms, 120000);
	assert_int_equal(c->doors[0].debounce_ms, 20);
	assert_int_equal(c->doors[0].line, 10);

	assert_string_equal(c->doors[1].name, "cage-1");
	assert_string_equal(c->doors[1].zone, "bonded-cage");
	assert_int_equal(c->doors[1].lock_type, LOCK_MAGLOCK);
	assert_false(c->doors[1].contact.set);
	/* Defaults. */
	assert_int_equal(c->doors[1].strike_time_ms, 5000);
	assert_int_equal(c->doors[1].held_time_ms, 30000);
	assert_int_equal(c->doors[1].debounce_ms, 7);
	assert_int_equal(c->doors[2].lock_type, LOCK_STRIKE);
	assert_true(c->doors[2].lock.sim);

	assert_int_equal(c->n_readers, 3);
	assert_string_equal(c->readers[0].name, "dock-1-in");
	assert_string_equal(c->readers[0].door, "dock-1");
	assert_int_equal(c->readers[0].door_index, 0);
	assert_int_equal(c->readers[0].type, READER_SIM);
	assert_string_equal(c->readers[0].direction, "in");
	assert_int_equal(c->readers[0].formats_mask,
			 (1u << WIEGAND_H10301) | (1u << WIEGAND_C1K48));

	assert_string_equal(c->readers[1].name, "cage-1-out");
	assert_int_equal(c->readers[1].door_index, 1);
	assert_string_equal(c->readers[1].direction, "out");
	/* Defaults. */
	assert_int_equal(c->readers[1].type, READER_SIM);
	assert_int_equal(c->readers[1].formats_mask, WIEGAND_ALL_FORMATS);
	assert_int_equal(c->readers[1].frame_gap_ms, 25);
	assert_int_equal(c->readers[1].hold_off_ms, 1000);
	assert_int_equal(c->readers[2].door_index, 2);

	assert_int_equal(config_door_find(c, "cage-1"), 1);
	assert_int_equal(config_door_find(c, "nope"), -ENOENT);
	assert_int_equal(config_reader_find(c, "office-1-in"), 2);
	assert_int_equal(config_reader_find(c, "dock-1"), -ENOENT);
}

static void test_controller_defaults(void **state)
{
	struct fixture *f = *state;
	const struct config *c = &f->cfg;

	assert_int_equal(load(f, "[door d]\nzone = z\nlock = sim\n"), 0);
	assert_string_equal(c->state_dir, "/var/lib/aeogate");
	assert_string_equal(c->socket, "/run/aeogate/aeogated.sock");
	assert_string_equal(c->site_name, "aeogate");
	assert_string_equal(c->timezone, "UTC");
	assert_string_equal(c->durability, "normal");
	assert_false(c->demo);
	assert_true(c->storage_reserve == 64ull << 20);
	assert_false(c->storage_failure_grant);
	assert_string_equal(c->web_group, "aeogate-web");
	assert_int_equal(c->socket_timeout_ms, AEOGATE_CTL_TIMEOUT_MS);
	assert_int_equal(c->n_doors, 1);
	assert_int_equal(c->n_readers, 0);
	assert_int_equal(load(f, "[controller]\nweb_group = www-data\nsocket_timeout = 250ms\n"),
			 0);
	assert_string_equal(c->web_group, "www-data");
	assert_int_equal(c->socket_timeout_ms, 250);
}

/* [policy]: card + PIN defaults (10s, 5, plus_one) and the values a site may choose. */
static void test_policy_keys(void **state)
{
	struct fixture *f = *state;
	const struct config *c = &f->cfg;

	assert_int_equal(load(f, "[door d]\nzone = z\nlock = sim\n"), 0);
	assert_int_equal(c->pin_timeout_ms, 10000);
	assert_int_equal(c->pin_attempts, 5);
	assert_true(c->duress_plus_one);
	assert_int_equal(load(f, "[policy]\npin_timeout = 1s\npin_attempts = 1\nduress = none\n"),
			 0);
	assert_int_equal(c->pin_timeout_ms, 1000);
	assert_int_equal(c->pin_attempts, 1);
	assert_false(c->duress_plus_one);
	assert_int_equal(load(f, "[policy]\npin_timeout = 5m\npin_attempts = 100\n"
				 "duress = plus_one\n"),
			 0);
	assert_int_equal(c->pin_timeout_ms, 300000);
	assert_int_equal(c->pin_attempts, 100);
	assert_true(c->duress_plus_one);
}

static void test_storage_reserve_sizes(void **state)
{
	static const struct {
		const char *v;
		uint64_t want;
	} cases[] = {
	    {"0", 0},	       {"4096", 4096},		{"512K", 512 << 10}, {"512k", 512 << 10},
	    {"64M", 64 << 20}, {"1G", 1ull << 30}, {"4G", 4ull << 30},
	};
	struct fixture *f = *state;
	char text[128];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(text, sizeof(text), "[controller]\nstorage_reserve = %s\n", cases[i].v);
		assert_int_equal(load(f, text), 0);
		assert_true(f->cfg.storage_reserve == cases[i].want);
	}
	assert_int_equal(load(f, "[controller]\nstorage_failure = grant\n"), 0);
	assert_true(f->cfg.storage_failure_grant);
}

static void test_expiry_warning_days_both_sides(void **state)
{
	struct fixture *f = *state;
	char text[128];

	assert_int_equal(load(f, "[controller]\n"), 0);
	assert_int_equal(f->cfg.expiry_warning_days, 14);
	assert_int_equal(load(f, "[policy]\nexpiry_warning_days = 0\n"), 0);
	assert_int_equal(f->cfg.expiry_warning_days, 0);
	snprintf(text, sizeof(text), "[policy]\nexpiry_warning_days = %d\n",
		 AEOGATE_EXPIRY_WARNING_DAYS_MAX);
	assert_int_equal(load(f, text), 0);
	assert_int_equal(f->cfg.expiry_warning_days, AEOGATE_EXPIRY_WARNING_DAYS_MAX);
	snprintf(text, sizeof(text), "[policy]\nexpiry_warning_days = %d\n",
		 AEOGATE_EXPIRY_WARNING_DAYS_MAX + 1);
	assert_int_equal(load(f, text), -EINVAL);
	assert_non_null(strstr(f->err, "expiry_warning_days"));
	assert_int_equal(load(f, "[policy]\nexpiry_warning_days = -1\n"), -EINVAL);
	assert_int_equal(load(f, "[policy]\nno_such_key = 1\n"), -EINVAL);
}

static void test_loads_the_shipped_demo_config(void **state)
{
	struct fixture *f = *state;
	char demo[PATH_MAX];
	const char *tail;

	/* ctest runs in the build tree; find the source tree from this file's path. */
	snprintf(demo, sizeof(demo), "%s", __FILE__);
	tail = strstr(demo, "tests/unit/test_config.c");
	if (demo[0] != '/' || !tail)
		skip();
	snprintf(demo + (tail - demo), sizeof(demo) - (size_t)(tail - demo), "config/demo.ini");
	if (config_load(demo, &f->cfg, f->err, sizeof(f->err)) != 0)
		fail_msg("%s", f->err);
	assert_int_equal(f->cfg.n_doors, 3);
	assert_int_equal(f->cfg.n_readers, 4);
}

static void test_durations(void **state)
{
	static const struct {
		const char *text;
		unsigned ms;
	} ok[] = {
	    {"5", 5000},      {"5s", 5000},    {"500ms", 500},	     {"2m", 120000}, {"1ms", 1},
	    {"600s", 600000}, {"10m", 600000}, {"600000ms", 600000}, {"007s", 7000},
	};
	static const char *const bad[] = {
	    "0",    "0ms", "-5",   "5h",   "5 s", "s",	      "ms",
	    "5.5s", "5S",  "5sec", "601s", "11m", "600001ms", "99999999999999999999999",
	    "+5",
	};
	struct fixture *f = *state;
	char text[256];

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		snprintf(text, sizeof(text), "[door d]\nzone = z\nlock = sim\nstrike_time = %s\n",
			 ok[i].text);
		if (load(f, text) != 0)
			fail_msg("strike_time = %s refused: %s", ok[i].text, f->err);
		assert_int_equal(f->cfg.doors[0].strike_time_ms, ok[i].ms);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char want[200];

		snprintf(text, sizeof(text), "[door d]\nzone = z\nlock = sim\nstrike_time = %s\n",
			 bad[i]);
		snprintf(want, sizeof(want), "%s:4: strike_time: ", f->path);
		if (load(f, text) != -EINVAL)
			fail_msg("strike_time = %s accepted", bad[i]);
		if (strncmp(f->err, want, strlen(want)) != 0)
			fail_msg("strike_time = %s: '%s' does not start with '%s'", bad[i], f->err,
				 want);
	}

	/* held_time goes up to an hour. */
	assert_int_equal(load(f, "[door d]\nzone = z\nlock = sim\nheld_time = 60m\n"), 0);
	assert_int_equal(f->cfg.doors[0].held_time_ms, 3600000);
	assert_int_equal(load(f, "[door d]\nzone = z\nlock = sim\nheld_time = 3600s\n"), 0);
	assert_int_equal(load(f, "[door d]\nzone = z\nlock = sim\nheld_time = 61m\n"), -EINVAL);
	assert_non_null(strstr(f->err, ":4: held_time: "));
	assert_int_equal(load(f, "[door d]\nzone = z\nlock = sim\nheld_time = 3600001ms\n"),
			 -EINVAL);
	assert_non_null(strstr(f->err, ":4: held_time: "));
}

static void test_gpiod_backend_is_inferred_from_the_lock(void **state)
{
	struct fixture *f = *state;
	const struct door_config *d = &f->cfg.doors[0];

	assert_int_equal(load(f, "[door d]\n"
				 "zone = z\n"
				 "lock = gpiochip0:17\n"
				 "contact = gpiochip0:4\n"
				 "rex = gpiochip0:GPIO5 active_low\n"
				 "tamper = gpiochip1:6\n"
				 "led_green = gpiochip0:22\n"
				 "led_red = gpiochip0:23\n"
				 "buzzer = gpiochip0:24\n"),
			 0);
	assert_int_equal(d->backend, DOOR_BACKEND_GPIOD);
	assert_string_equal(d->lock.chip, "gpiochip0");
	assert_int_equal(d->lock.offset, 17);
	assert_false(d->lock.active_low);
	assert_string_equal(d->rex.line, "GPIO5");
	assert_int_equal(d->rex.offset, -1);
	assert_true(d->rex.active_low);
	assert_string_equal(d->tamper.chip, "gpiochip1");
	assert_int_equal(d->buzzer.offset, 24);

	assert_int_equal(load(f, "[door d]\nzone = z\nlock = sim\n"), 0);
	assert_int_equal(d->backend, DOOR_BACKEND_SIM);
}

static void test_wiegand_and_nfc_readers(void **state)
{
	struct fixture *f = *state;
	const struct reader_config *r = &f->cfg.readers[0];

	assert_int_equal(load(f, "[door d]\nzone = z\nlock = gpiochip0:17\n"
				 "[reader r]\ntype = wiegand\ndoor = d\n"
				 "d0 = gpiochip0:10\nd1 = gpiochip0:11 active_low\n"
				 "frame_gap_ms = 40\nformats = h10304,h10302\n"),
			 0);
	assert_int_equal(r->type, READER_WIEGAND);
	assert_int_equal(r->d0.offset, 10);
	assert_true(r->d1.active_low);
	assert_int_equal(r->frame_gap_ms, 40);
	assert_int_equal(r->formats_mask, (1u << WIEGAND_H10304) | (1u << WIEGAND_H10302));

	assert_int_equal(load(f, "[door d]\nzone = z\nlock = sim\n"
				 "[reader r]\ntype = nfc\ndoor = d\n"
				 "connstring = pn532_uart:/dev/ttyS1\nhold_off_ms = 0\n"),
			 0);
	assert_int_equal(r->type, READER_NFC);
	assert_string_equal(r->connstring, "pn532_uart:/dev/ttyS1");
	assert_int_equal(r->hold_off_ms, 0);
}

static void test_osdp_readers_share_a_port(void **state)
{
	struct fixture *f = *state;
	const struct reader_config *a = &f->cfg.readers[0], *b = &f->cfg.readers[1];

	assert_int_equal(
	    load(f, "[door d]\nzone = z\nlock = sim\n"
		    "[reader a]\ntype = osdp\ndoor = d\nport = /dev/ttyUSB0\nsecure = off\n"
		    "[reader b]\ntype = osdp\ndoor = d\nport = /dev/ttyUSB0\nsecure = off\n"
		    "address = 126\nbaud = 115200\ndirection = out\nformats = h10301\n"),
	    0);
	assert_int_equal(a->type, READER_OSDP);
	assert_string_equal(a->port, "/dev/ttyUSB0");
	assert_int_equal(a->baud, 115200); /* the default */
	assert_int_equal(a->address, 0);
	assert_false(a->install);
	assert_int_equal(b->address, 126);
	assert_string_equal(b->direction, "out");
	assert_int_equal(b->formats_mask, 1u << WIEGAND_H10301);
	assert_int_equal(b->secure, OSDP_SECURE_OFF);
}

struct error_case {
	const char *name;
	const char *text;
	int line;
	const char *key;
	const char *problem; /* a substring of the problem, or NULL */
};

#define DOOR "[door d]\nzone = z\nlock = sim\n" /* lines 1-3 */

static const struct error_case error_cases[] = {
    {"unknown section", DOOR "[gate g]\nzone = z\n", 4, "section", "unknown section [gate g]"},
    {"unknown key in controller", "[controller]\nsite_name = x\ncolour = red\n", 3, "colour",
     "unknown key in [controller]"},
    {"unknown key in door", DOOR "strike = 5s\n", 4, "strike", "unknown key"},
    {"unknown key in reader", DOOR "[reader r]\ndoor = d\nbits = 26\n", 6, "bits", "unknown key"},
    {"key twice", DOOR "zone = y\n", 4, "zone", "set twice"},
    {"key twice in controller", "[controller]\ndemo = true\n\ndemo = false\n", 4, "demo",
     "set twice"},
    {"empty value", DOOR "contact =\n", 4, "contact", "empty value"},
    {"bad lock_type", DOOR "lock_type = magnet\n", 4, "lock_type", "strike or maglock"},
    {"bad duration", DOOR "held_time = soon\n", 4, "held_time", NULL},
    {"duration over the max", DOOR "strike_time = 11m\n", 4, "strike_time", "at most 600s"},
    {"held time over the max", DOOR "held_time = 2h\n", 4, "held_time", "at most 60m"},
    {"zero duration", DOOR "strike_time = 0s\n", 4, "strike_time", NULL},
    {"bad debounce", DOOR "debounce_ms = 1001\n", 4, "debounce_ms", "0-1000"},
    {"bad durability", "[controller]\ndurability = fast\n", 2, "durability", "normal or full"},
    {"bad demo flag", "[controller]\ndemo = maybe\n", 2, "demo", "invalid value"},
    {"reserve with a bad unit", "[controller]\nstorage_reserve = 64X\n", 2, "storage_reserve",
     "invalid value"},
    {"reserve with two units", "[controller]\nstorage_reserve = 64MM\n", 2, "storage_reserve",
     "invalid value"},
    {"reserve over the max", "[controller]\nstorage_reserve = 5G\n", 2, "storage_reserve",
     "at most 4096M"},
    {"negative reserve", "[controller]\nstorage_reserve = -1\n", 2, "storage_reserve", NULL},
    {"bad storage_failure", "[controller]\nstorage_failure = open\n", 2, "storage_failure",
     "deny or grant"},
    {"socket timeout below the floor", "[controller]\nsocket_timeout = 99ms\n", 2, "socket_timeout",
     "from 100ms to 10m"},
    {"socket timeout over the max", "[controller]\nsocket_timeout = 11m\n", 2, "socket_timeout",
     "from 100ms to 10m"},
    {"web group not a name", "[controller]\nweb_group = a b\n", 2, "web_group", "invalid value"},
    {"site name with a control character", "[controller]\nsite_name = a\tb\x01\n", 2, "site_name",
     NULL},
    {"reader naming an undefined door", DOOR "[reader r]\ntype = sim\n\ndoor = dokc\n", 7, "door",
     "no door 'dokc'"},
    {"reader naming no door", DOOR "[reader r]\ntype = sim\n", 4, "door", "names no door"},
    {"reader with an invalid door name", DOOR "[reader r]\ndoor = a/b\n", 5, "door", NULL},
    {"bad reader type", DOOR "[reader r]\ntype = rs485\ndoor = d\n", 5, "type", NULL},
    /* BEGIN osdp cases */
    {"osdp reader without a port", DOOR "[reader r]\ntype = osdp\ndoor = d\nsecure = off\n", 4,
     "port", "needs a port"},
    {"osdp port not a path", DOOR "[reader r]\ntype = osdp\nport = ttyS1\n", 6, "port", NULL},
    {"osdp baud not a standard rate", DOOR "[reader r]\ntype = osdp\nbaud = 115201\n", 6, "baud",
     "230400"},
    {"osdp baud too slow", DOOR "[reader r]\ntype = osdp\nbaud = 4800\n", 6, "baud", NULL},
    {"osdp address over 126", DOOR "[reader r]\ntype = osdp\naddress = 127\n", 6, "address",
     "0-126"},
    {"osdp secure not a policy", DOOR "[reader r]\ntype = osdp\nsecure = maybe\n", 6, "secure",
     "required, preferred or off"},
    {"osdp key inline", DOOR "[reader r]\ntype = osdp\nscbk = 00112233445566778899aabbccddeeff\n",
     6, "scbk", "path"},
    {"osdp install not yes or no", DOOR "[reader r]\ntype = osdp\ninstall = true\n", 6, "install",
     "yes or no"},
    {"two osdp readers on one address",
     DOOR "[reader a]\ntype = osdp\ndoor = d\nport = /dev/ttyS1\n"
	  "secure = off\n[reader b]\ntype = osdp\ndoor = d\nport = /dev/ttyS1\nsecure = off\n",
     9, "address", "share port /dev/ttyS1 and address 0"},
    {"two osdp readers on one port at two bauds",
     DOOR "[reader a]\ntype = osdp\ndoor = d\n"
	  "port = /dev/ttyS1\nsecure = off\n[reader b]\ntype = osdp\ndoor = d\nport = /dev/ttyS1\n"
	  "secure = off\naddress = 1\nbaud = 9600\n",
     9, "baud", "different bauds"},
    {"osdp secure channel without a key file",
     DOOR "[reader r]\ntype = osdp\ndoor = d\n"
	  "port = /dev/ttyS1\n",
     4, "scbk", "needs a scbk key file path"},
    /* END osdp cases */
    {"bad direction", DOOR "[reader r]\ndoor = d\ndirection = up\n", 6, "direction", "in or out"},
    {"wiegand reader without d1", DOOR "[reader r]\ntype = wiegand\ndoor = d\nd0 = gpiochip0:10\n",
     4, "d1", "needs both d0 and d1"},
    {"wiegand reader without d0", DOOR "[reader r]\ntype = wiegand\ndoor = d\nd1 = gpiochip0:10\n",
     4, "d0", "needs both d0 and d1"},
    {"wiegand data line on the simulated board", DOOR "[reader r]\ntype = wiegand\nd0 = sim\n", 6,
     "d0", "not a GPIO line"},
    {"nfc reader without connstring", DOOR "[reader r]\ntype = nfc\ndoor = d\n", 4, "connstring",
     "needs a connstring"},
    {"connstring without a driver", DOOR "[reader r]\ntype = nfc\nconnstring = /dev/ttyS1\n", 6,
     "connstring", NULL},
    {"frame gap out of range", DOOR "[reader r]\ndoor = d\nframe_gap_ms = 4\n", 6, "frame_gap_ms",
     "5-500"},
    {"hold off out of range", DOOR "[reader r]\ndoor = d\nhold_off_ms = 60001\n", 6, "hold_off_ms",
     "0-60000"},
    {"door without zone", "[controller]\ndemo = false\n\n[door d]\nlock = sim\n", 4, "zone",
     "has no zone"},
    {"door without lock", "\n[door d]\nzone = z\ncontact = sim\n", 2, "lock", "no lock line"},
    {"door mixing sim and GPIO lines", "[door d]\nzone = z\nlock = gpiochip0:17\ncontact = sim\n",
     1, "contact", "mixes simulated and GPIO"},
    {"door mixing GPIO into a sim door", "[door d]\nzone = z\nlock = sim\nbuzzer = gpiochip0:3\n",
     1, "buzzer", "mixes simulated and GPIO"},
    {"bad line spec", DOOR "contact = gpiochip0\n", 4, "contact", "is not a line"},
    {"bad formats list", DOOR "[reader r]\ndoor = d\nformats = h10301,h9999\n", 6, "formats",
     "not a list of formats"},
    {"empty formats list", DOOR "[reader r]\ndoor = d\nformats = ,\n", 6, "formats", NULL},
    {"invalid door name", "[door dock 1]\nzone = z\nlock = sim\n", 1, "door",
     "'dock 1' is not a valid name"},
    {"invalid reader name", DOOR "[reader r!]\ndoor = d\n", 4, "reader", "not a valid name"},
    {"door defined twice", DOOR "[door e]\nzone = z\nlock = sim\n[door d]\nzone = z\n", 7, "door",
     "defined twice"},
    {"invalid zone name", "[door d]\nzone = bonded cage\n", 2, "zone", NULL},
    {"a key before any section", "site_name = x\n[controller]\n", 1, "site_name",
     "outside any section"},
    {"a line that is not key = value", DOOR "just words\n", 4, "syntax", NULL},
    {"unknown key in policy", "[policy]\npin_tries = 3\n", 2, "pin_tries",
     "unknown key in [policy]"},
    {"pin timeout below a second", "[policy]\npin_timeout = 999ms\n", 2, "pin_timeout",
     "from 1s to 5m"},
    {"pin timeout over five minutes", "[policy]\npin_timeout = 6m\n", 2, "pin_timeout",
     "from 1s to 5m"},
    {"pin timeout not a duration", "[policy]\npin_timeout = soon\n", 2, "pin_timeout", NULL},
    {"no pin attempts", "[policy]\npin_attempts = 0\n", 2, "pin_attempts", "1-100"},
    {"too many pin attempts", "[policy]\npin_attempts = 101\n", 2, "pin_attempts", "1-100"},
    {"unknown duress scheme", "[policy]\nduress = reverse\n", 2, "duress", "none or plus_one"},
    {"policy key twice", "[policy]\nduress = none\nduress = plus_one\n", 3, "duress", "set twice"},
};

static void test_reports_every_error_with_file_line_and_key(void **state)
{
	struct fixture *f = *state;

	for (size_t i = 0; i < sizeof(error_cases) / sizeof(error_cases[0]); i++) {
		const struct error_case *c = &error_cases[i];
		char want[256];
		int r = load(f, c->text);

		if (r != -EINVAL)
			fail_msg("%s: config_load returned %d, want -EINVAL", c->name, r);
		snprintf(want, sizeof(want), "%s:%d: %s: ", f->path, c->line, c->key);
		if (strncmp(f->err, want, strlen(want)) != 0)
			fail_msg("%s: '%s' does not start with '%s'", c->name, f->err, want);
		if (c->problem && !strstr(f->err, c->problem))
			fail_msg("%s: '%s' does not say '%s'", c->name, f->err, c->problem);
		if (strchr(f->err, '\n'))
			fail_msg("%s: the message is not one line: '%s'", c->name, f->err);
	}
}

static void test_refuses_a_line_longer_than_inih_reads(void **state)
{
	struct fixture *f = *state;
	char text[512], want[256];
	/* inih hands the reader a 200-byte buffer: 198 characters, '\n' and NUL. */
	char name[200];

	memset(name, 'a', sizeof(name));
	/* "site_name = " is 12 characters; 12 + 186 = 198 fits. */
	name[186] = '\0';
	snprintf(text, sizeof(text), "[controller]\nsite_name = %s\n", name);
	assert_int_equal(load(f, text), 0);
	assert_int_equal(strlen(f->cfg.site_name), 186);

	name[186] = 'a';
	name[187] = '\0';
	snprintf(text, sizeof(text), "[controller]\nsite_name = %s\n", name);
	assert_int_equal(load(f, text), -EINVAL);
	snprintf(want, sizeof(want), "%s:2: line: longer than 198 characters", f->path);
	assert_string_equal(f->err, want);
}

static void test_missing_file_is_negative_errno_naming_the_file(void **state)
{
	struct fixture *f = *state;
	char path[200];

	snprintf(path, sizeof(path), "%s/does-not-exist.ini", f->dir);
	assert_int_equal(config_load(path, &f->cfg, f->err, sizeof(f->err)), -ENOENT);
	assert_non_null(strstr(f->err, path));
}

static void test_empty_file_is_a_valid_empty_site(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load(f, ""), 0);
	assert_int_equal(f->cfg.n_doors, 0);
	assert_int_equal(load(f, "; only a comment\n\n# and another\n"), 0);
}

static void test_line_spec_parse(void **state)
{
	static const struct {
		const char *text;
		bool sim, active_low;
		const char *chip, *line;
		int offset;
	} ok[] = {
	    {"sim", true, false, "", "", -1},
	    {"gpiochip0:17", false, false, "gpiochip0", "17", 17},
	    {"gpiochip0:GPIO17 active_low", false, true, "gpiochip0", "GPIO17", -1},
	    {"gpiochip0:17  active_low", false, true, "gpiochip0", "17", 17},
	    {"gpiochip0:0", false, false, "gpiochip0", "0", 0},
	    {"gpiochip0:4095", false, false, "gpiochip0", "4095", 4095},
	    {"/dev/gpiochip2:PA7", false, false, "/dev/gpiochip2", "PA7", -1},
	    {"pinctrl-bcm2711:GPIO_17", false, false, "pinctrl-bcm2711", "GPIO_17", -1},
	};
	static const char *const bad[] = {
	    "",
	    "SIM",
	    "sim active_low",
	    "gpiochip0",
	    ":17",
	    "gpiochip0:",
	    "gpiochip0:17 active_high",
	    "gpiochip0:17 active_low extra",
	    "gpiochip0:4096",
	    "gpiochip0:99999999999999999999",
	    "gpio chip0:17",
	    "gpio$chip:17",
	    "gpiochip0:17\x01",
	};
	struct line_spec ls;
	char longest[80];

	(void)state;
	/* chip and line hold 63 characters; 64 is refused. */
	memset(longest, 'c', 63);
	snprintf(longest + 63, sizeof(longest) - 63, ":1");
	assert_int_equal(line_spec_parse(longest, &ls), 0);
	assert_int_equal(strlen(ls.chip), 63);
	memset(longest, 'c', 64);
	snprintf(longest + 64, sizeof(longest) - 64, ":1");
	assert_int_equal(line_spec_parse(longest, &ls), -EINVAL);
	snprintf(longest, sizeof(longest), "gpiochip0:");
	memset(longest + 10, 'L', 64);
	longest[74] = '\0';
	assert_int_equal(line_spec_parse(longest, &ls), -EINVAL);
	longest[73] = '\0';
	assert_int_equal(line_spec_parse(longest, &ls), 0);
	assert_int_equal(strlen(ls.line), 63);

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		memset(&ls, 0xff, sizeof(ls));
		if (line_spec_parse(ok[i].text, &ls) != 0)
			fail_msg("'%s' refused", ok[i].text);
		assert_true(ls.set);
		assert_int_equal(ls.sim, ok[i].sim);
		assert_int_equal(ls.active_low, ok[i].active_low);
		assert_string_equal(ls.chip, ok[i].chip);
		assert_string_equal(ls.line, ok[i].line);
		assert_int_equal(ls.offset, ok[i].offset);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct line_spec untouched;

		memset(&ls, 0x5a, sizeof(ls));
		untouched = ls;
		if (line_spec_parse(bad[i], &ls) != -EINVAL)
			fail_msg("'%s' accepted", bad[i]);
		/* ret_* parameters are written only on success. */
		assert_memory_equal(&ls, &untouched, sizeof(ls));
	}
	assert_int_equal(line_spec_parse(NULL, &ls), -EINVAL);
}

/* [sync]: every key aeogate-sync reads is accepted, the office key is loaded, a bad one names its
 * file. */
static void test_sync_section_loads_the_office_key(void **state)
{
	struct fixture *f = *state;
	char text[1024], key[160], want[512];
	static const char hex[] =
	    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

	snprintf(key, sizeof(key), "%s/office.pub", f->dir);
	write_file(key, hex);
	write_file(key, "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n");
	snprintf(text, sizeof(text),
		 "[sync]\nbroker = mqtts://127.0.0.1:8883\nca_file = /etc/aeogate/ca.pem\n"
		 "cert_file = /etc/aeogate/gw.pem\nkey_file = /etc/aeogate/gw.key\n"
		 "username = gw-1\npassword_file = /etc/aeogate/mqtt.pass\nclient_id = gw-1\n"
		 "site = hq\noffice_pubkey = %s\n",
		 key);
	assert_int_equal(load(f, text), 0);
	assert_true(f->cfg.sync_set);
	assert_string_equal(f->cfg.sync_site, "hq");
	assert_string_equal(f->cfg.sync_client_id, "gw-1");
	assert_string_equal(f->cfg.sync_broker, "mqtts://127.0.0.1:8883");
	assert_int_equal(f->cfg.sync_office_pk[0], 0x00);
	assert_int_equal(f->cfg.sync_office_pk[1], 0x11);
	assert_int_equal(f->cfg.sync_office_pk[31], 0xff);

	/* client_id defaults to the host name. */
	assert_int_equal(load(f, "[sync]\nsite = hq\n"), 0);
	assert_true(f->cfg.sync_client_id[0] != '\0');
	assert_string_equal(f->cfg.sync_office_pubkey, "");
	/* No [sync]: nothing set. */
	assert_int_equal(load(f, "[controller]\n"), 0);
	assert_false(f->cfg.sync_set);

	/* A key file that holds no key, and one that is missing: the line of the key, the file. */
	write_file(key, "not a key\n");
	snprintf(text, sizeof(text), "[sync]\nsite = hq\noffice_pubkey = %s\n", key);
	assert_int_equal(load(f, text), -EINVAL);
	snprintf(want, sizeof(want), "%s:3: office_pubkey: %s: not a key", f->path, key);
	assert_true(strncmp(f->err, want, strlen(want)) == 0);
	unlink(key);
	assert_int_equal(load(f, text), -EINVAL);
	assert_non_null(strstr(f->err, key));
	assert_non_null(strstr(f->err, "No such file"));

	assert_int_equal(load(f, "[sync]\nbroker = http://x\n"), -EINVAL);
	assert_non_null(strstr(f->err, ":2: broker: "));
	assert_int_equal(load(f, "[sync]\nsite = a b\n"), -EINVAL);
	assert_int_equal(load(f, "[sync]\nca_file = relative.pem\n"), -EINVAL);
	assert_int_equal(load(f, "[sync]\nbrokers = mqtt://x:1\n"), -EINVAL);
	assert_non_null(strstr(f->err, "unknown key in [sync]"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_loads_the_full_example_with_values_and_defaults,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_policy_keys, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_storage_reserve_sizes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_controller_defaults, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_loads_the_shipped_demo_config, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_durations, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_gpiod_backend_is_inferred_from_the_lock, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_wiegand_and_nfc_readers, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_osdp_readers_share_a_port, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reports_every_error_with_file_line_and_key, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_refuses_a_line_longer_than_inih_reads, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_missing_file_is_negative_errno_naming_the_file,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_empty_file_is_a_valid_empty_site, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_expiry_warning_days_both_sides, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sync_section_loads_the_office_key, setup,
					    teardown),
	    cmocka_unit_test(test_line_spec_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
