/* SPDX-License-Identifier: MIT */
/*
 * The core: how a wall-clock step is measured, and a badge read driven
 * through core_reader_read on a simulated board over a store in a private
 * temporary directory: what it decides, that the lock moves before any
 * subscriber of the event bus hears of the read, and card + PIN (a badge
 * that waits, keys, wrong PINs, duress, the wait running out).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <systemd/sd-event.h>

#include "aeogate/config.h"
#include "aeogate/hal.h"
#include "aeogate/limits.h"
#include "aeogate/wiegand.h"
#include "bus.h"
#include "checkpoint.h"
#include "core.h"
#include "door.h"
#include "lockdown.h"
#include "schedule.h"
#include "store.h"
#include "util.h"
#include "pin.h"
#include "store.h"
#include "worker.h"

static void test_no_jump_while_both_clocks_advance(void **state)
{
	int64_t offset = 1700000000000 - 5000; /* wall - mono at start */

	assert_int_equal(core_clock_jump(offset, 1700000060000, 65000), 0);
}

static void test_forward_step_is_positive(void **state)
{
	int64_t offset = 1700000000000 - 5000;

	/* One minute of monotonic time, but the wall clock moved an hour. */
	assert_int_equal(core_clock_jump(offset, 1700003600000, 65000), 3540000);
}

static void test_backward_step_is_negative(void **state)
{
	int64_t offset = 1700000000000 - 5000;

	assert_int_equal(core_clock_jump(offset, 1699999990000, 6000), -11000);
}

static void test_threshold_is_one_second(void **state)
{
	assert_int_equal(CORE_CLOCK_JUMP_MS, 1000);
}

/* ---- core_reader_read on a simulated board ---- */

#define NOW_MS 1795786091123LL /* 2026-11-28T13:28:11.123Z */

struct fixture {
	char dir[64];
	char path[128];
	struct config cfg;
	struct core *core;
	struct store *store;
	struct bus *bus;
	struct hal_door_ops rec_ops; /* the sim door, recording each lock command */
	/* What happened, in the order it happened: step numbers from one counter. */
	unsigned step;
	unsigned lock_step;	  /* the last lock command */
	unsigned releases;	  /* lock commands that released it */
	bool lock_released;	  /* what it commanded */
	unsigned first_heard;	  /* when a subscriber first ran */
	bool released_when_heard; /* the lock's state then, as the HAL last wrote it */
	unsigned heard, heard_stored;
	int64_t heard_seq;
	struct devkey key;
	unsigned checkpoints;
	int64_t wall_ms; /* the injected wall clock; 0: NOW_MS */
	int64_t mono; /* the injected monotonic clock, ms */
	/* What the recorder subscriber heard: kinds and reasons, in order. */
	char kinds[16][32];
	char reasons[16][32];
	char readers[16][32];
	int64_t seqs[16];
	size_t n_events;
	sd_event *loop; /* when a test starts the core */
};

/* the_fixture: for the recording door op and the clock, which have no userdata. */

static struct fixture *the_fixture;

static int64_t fixed_wall(void *u)
{
	return the_fixture && the_fixture->wall_ms ? the_fixture->wall_ms : NOW_MS;
}

static int64_t fixed_mono(void *u)
{
	return the_fixture ? the_fixture->mono : 1000;
}

static int rec_set_output(struct hal_door *d, enum hal_output o, bool energized)
{
	struct fixture *f = the_fixture;

	if (o == HAL_OUTPUT_LOCK) {
		f->lock_step = ++f->step;
		/* A strike: energized releases it. */
		f->lock_released = energized;
		f->releases += energized;
	}
	return hal_door_sim_ops.set_output(d, o, energized);
}

static void heard(struct fixture *f, const struct event *e)
{
	if (!f->first_heard) {
		f->first_heard = ++f->step;
		f->released_when_heard = core_hal_door(f->core, 0)->lock_released;
	}
	f->heard++;
	f->heard_seq = e->seq;
}

/* A follower (every event, stored or not). */
static void on_follower(void *userdata, const struct event *e)
{
	heard(userdata, e);
}

/* Alarm-style bookkeeping: stored events only. */
static void on_stored(void *userdata, const struct event *e)
{
	struct fixture *f = userdata;

	heard(f, e);
	f->heard_stored++;
}

/* A subscriber that stalls and signs a checkpoint over every event, as the audit's does. */
static void on_checkpointer(void *userdata, const struct event *e)
{
	struct fixture *f = userdata;
	struct checkpoint cp;

	heard(f, e);
	f->heard_stored++;
	assert_int_equal(checkpoint_sign(&f->key, e->seq, e->hash, NOW_MS, &cp), 0);
	assert_int_equal(store_checkpoint_add(f->store, &cp), 0);
	assert_int_equal(store_sync(f->store), 0);
	f->checkpoints++;
}

static void enrol(struct store *s, const char *person, const char *level, const char *cred)
{
	struct person p = {.status = "active", .created_ms = NOW_MS};
	struct credential c = {.status = "active", .issued_ms = NOW_MS};

	snprintf(p.id, sizeof(p.id), "%s", person);
	snprintf(p.name, sizeof(p.name), "%s", person);
	if (store_person_add(s, &p) == 0 && level)
		assert_int_equal(store_person_level_add(s, person, level), 0);
	snprintf(c.id, sizeof(c.id), "%s", cred);
	snprintf(c.person, sizeof(c.person), "%s", person);
	assert_int_equal(store_credential_add(s, &c), 0);
}

static int setup(void **state)
{
	static const char *const cage[] = {"bonded-cage"};
	struct core_clock clock = {.wall_ms = fixed_wall, .mono_ms = fixed_mono};
	struct fixture *f = calloc(1, sizeof(*f));
	char err[512], db[160];
	bool created;
	FILE *fp;

	assert_non_null(f);
	the_fixture = f;
	snprintf(f->dir, sizeof(f->dir), "/tmp/aeogate-test-core.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/sim.ini", f->dir);
	fp = fopen(f->path, "w");
	assert_non_null(fp);
	fputs("[controller]\n"
	      "[door cage-1]\nzone = bonded-cage\nlock = sim\n"
	      "[reader cage-1-in]\ntype = sim\ndoor = cage-1\nformats = h10301,h10302,h10304\n"
	      "[reader cage-1-out]\ntype = sim\ndoor = cage-1\ndirection = out\n"
	      "[policy]\npin_attempts = 3\npin_timeout = 10s\n",
	      fp);
	fclose(fp);
	assert_int_equal(config_load(f->path, &f->cfg, err, sizeof(err)), 0);
	assert_int_equal(core_new(&f->cfg, &clock, &f->core), 0);
	assert_int_equal(core_lock_all(f->core), 0);
	f->mono = 1000;
	f->rec_ops = hal_door_sim_ops;
	f->rec_ops.set_output = rec_set_output;
	core_hal_door(f->core, 0)->ops = &f->rec_ops;
	snprintf(db, sizeof(db), "%s/aeogate.db", f->dir);
	assert_int_equal(store_open(db, "normal", &f->store, err, sizeof(err)), 0);
	assert_int_equal(core_attach_store(f->core, f->store), 0);
	assert_int_equal(devkey_load_or_create(f->dir, &f->key, &created), 0);

	assert_int_equal(store_level_add(f->store, "cage", cage, 1), 0);
	enrol(f->store, "ALICE", "cage", "h10301:12:3456");
	enrol(f->store, "BOB", NULL, "h10301:12:3457"); /* no level: no access */
	/* One 37-bit frame, two badges: h10302:0:524290 is h10304:1:2 on the wire. */
	enrol(f->store, "ALICE", NULL, "h10302:0:524290");
	enrol(f->store, "BOB", NULL, "h10304:1:2");

	assert_int_equal(bus_new(&f->bus), 0);
	core_set_bus(f->core, f->bus);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	static const char *const files[] = {"sim.ini",	      "aeogate.db", "aeogate.db-wal",
					    "aeogate.db-shm", "device.key", "device.pub"};
	char path[160];

	core_free(f->core);
	sd_event_unref(f->loop);
	store_close(f->store);
	bus_free(f->bus);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", f->dir, files[i]);
		unlink(path);
	}
	rmdir(f->dir);
	free(f);
	the_fixture = NULL;
	return 0;
}

static void present(struct fixture *f, const char *card, struct core_decision *ret)
{
	struct hal_read r = {.kind = HAL_READ_WIEGAND};
	struct wiegand_card wc;
	int n;

	assert_int_equal(wiegand_card_from_string(card, &wc), 0);
	n = wiegand_encode(&wc, r.bits, sizeof(r.bits));
	assert_true(n > 0);
	r.nbits = (size_t)n;
	core_reader_read(f->core, 0, &r, ret);
}

static void test_read_grants_an_enrolled_badge_with_access(void **state)
{
	struct fixture *f = *state;
	struct core_decision d;

	present(f, "h10301:12:3456", &d);
	assert_true(d.granted);
	assert_int_equal(d.reason, REASON_NONE);
	assert_string_equal(d.person, "ALICE");
	assert_string_equal(d.credential, "h10301:12:3456");
	assert_true(d.seq > 0);
	assert_true(f->lock_released);
	assert_true(core_hal_door(f->core, 0)->lock_released);
	assert_memory_equal(core_last_decision(f->core), &d, sizeof(d));
}

static void test_read_denies_a_badge_without_access(void **state)
{
	struct fixture *f = *state;
	struct core_decision d;

	present(f, "h10301:12:3457", &d);
	assert_false(d.granted);
	assert_int_equal(d.reason, REASON_NO_ACCESS);
	assert_string_equal(d.person, "BOB");
	assert_true(d.seq > 0);
	assert_false(core_hal_door(f->core, 0)->lock_released);
}

static void test_read_denies_an_unknown_badge(void **state)
{
	struct fixture *f = *state;
	struct core_decision d;

	present(f, "h10301:12:9999", &d);
	assert_false(d.granted);
	assert_int_equal(d.reason, REASON_UNKNOWN_CREDENTIAL);
	assert_string_equal(d.person, "");
	assert_string_equal(d.credential, "h10301:12:9999");
	assert_false(core_hal_door(f->core, 0)->lock_released);
}

static void test_read_that_could_be_two_badges_is_attributed_to_neither(void **state)
{
	struct fixture *f = *state;
	struct core_decision d;

	present(f, "h10302:0:524290", &d);
	assert_false(d.granted);
	assert_int_equal(d.reason, REASON_AMBIGUOUS_CREDENTIAL);
	assert_string_equal(d.person, "");
	assert_int_equal(strncmp(d.credential, "raw:37:", 7), 0);
	assert_false(core_hal_door(f->core, 0)->lock_released);
}

/* The door's mode reaches the decision and the lock: one table over the four modes. */
static void test_read_follows_the_door_mode(void **state)
{
	struct fixture *f = *state;
	static const struct {
		enum policy_door_mode mode;
		bool granted;
		enum reason reason;
		bool released_before, released_after; /* the lock, as the HAL last drove it */
	} cases[] = {
	    {POLICY_DOOR_CARD, true, REASON_NONE, false, true},
	    {POLICY_DOOR_LOCKED, false, REASON_DOOR_LOCKED, false, false},
	    /* ALICE has no PIN: the badge alone is refused at once (the PIN tests below). */
	    {POLICY_DOOR_CARD_AND_PIN, false, REASON_PIN_REQUIRED, false, false},
	    {POLICY_DOOR_UNLOCKED, true, REASON_NONE, true, true},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct core_decision d;
		int64_t until = -1;

		/* Each case from a locked door in card mode. */
		core_door_mode_set(f->core, 0, POLICY_DOOR_CARD, 0);
		door_lock_now(core_door(f->core, 0));
		core_door_mode_set(f->core, 0, cases[i].mode, NOW_MS + 60000);
		assert_int_equal(core_door_mode(f->core, 0, &until), cases[i].mode);
		assert_int_equal(until, NOW_MS + 60000);
		if (f->lock_released != cases[i].released_before)
			fail_msg("mode %s: lock %d before the read",
				 door_mode_to_string(cases[i].mode), f->lock_released);
		present(f, "h10301:12:3456", &d);
		if (d.granted != cases[i].granted || d.reason != cases[i].reason)
			fail_msg("mode %s: granted %d reason %s",
				 door_mode_to_string(cases[i].mode), d.granted,
				 reason_to_string(d.reason));
		if (f->lock_released != cases[i].released_after)
			fail_msg("mode %s: lock %d after the read",
				 door_mode_to_string(cases[i].mode), f->lock_released);
	}
	/* Entering locked closes a release window a grant left open. */
	core_door_mode_set(f->core, 0, POLICY_DOOR_CARD, 0);
	struct core_decision d;
	present(f, "h10301:12:3456", &d);
	assert_true(d.granted);
	assert_true(f->lock_released);
	core_door_mode_set(f->core, 0, POLICY_DOOR_LOCKED, 0);
	assert_false(f->lock_released);
	assert_int_equal(door_deadline(core_door(f->core, 0)), 0);

	/* A manual mode whose until has passed is no longer in force: until reads 0. */
	core_door_mode_set(f->core, 0, POLICY_DOOR_LOCKED, NOW_MS);
	int64_t until = -1;
	assert_int_equal(core_door_mode(f->core, 0, &until), POLICY_DOOR_CARD);
	assert_int_equal(until, 0);
}

static void test_lock_moves_before_any_subscriber_runs(void **state)
{
	struct fixture *f = *state;
	struct core_decision d;

	assert_int_equal(bus_subscribe(f->bus, BUS_STORED_ONLY, on_checkpointer, f), 0);
	assert_int_equal(bus_subscribe(f->bus, 0, on_follower, f), 0);
	f->step = f->lock_step = 0;
	present(f, "h10301:12:3456", &d);
	assert_true(d.granted);
	/* The lock command came first; the subscribers ran after it, seeing it released. */
	assert_true(f->lock_step > 0);
	assert_true(f->first_heard > f->lock_step);
	assert_true(f->released_when_heard);
	/* Both heard the read, and the checkpointing one signed over it. */
	assert_int_equal(f->heard, 2);
	assert_int_equal(f->heard_stored, 1);
	assert_int_equal(f->heard_seq, d.seq);
	assert_int_equal(f->checkpoints, 1);
	/* Outside a read nothing is held back: the next event is heard as it is stored. */
	struct event e = {.kind = "door.closed", .door = "cage-1", .zone = "bonded-cage"};
	assert_int_equal(core_emit(f->core, &e), 0);
	assert_int_equal(f->heard, 4);
	assert_int_equal(f->heard_seq, e.seq);
}

static void test_a_stalled_subscriber_does_not_delay_the_lock(void **state)
{
	struct fixture *f = *state;
	struct core_decision d;

	/* Every subscriber signs a checkpoint: the lock command still comes before all of them. */
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(bus_subscribe(f->bus, BUS_STORED_ONLY, on_checkpointer, f), 0);
	f->step = f->lock_step = 0;
	present(f, "h10301:12:3456", &d);
	assert_true(d.granted);
	assert_int_equal(f->lock_step, 1);
	assert_int_equal(f->first_heard, 2);
	assert_int_equal(f->checkpoints, 4);
}

static void test_unstored_events_skip_stored_only_subscribers(void **state)
{
	struct fixture *f = *state;
	struct event unstored = {.kind = "alarm.storage", .reason = "io_error"};
	struct event stored = {.seq = 7, .kind = "door.forced"};

	assert_int_equal(bus_subscribe(f->bus, BUS_STORED_ONLY, on_stored, f), 0);
	assert_int_equal(bus_subscribe(f->bus, 0, on_follower, f), 0);
	bus_publish(f->bus, &unstored);
	assert_int_equal(f->heard, 1); /* the follower only */
	assert_int_equal(f->heard_stored, 0);
	assert_int_equal(f->heard_seq, 0);
	bus_publish(f->bus, &stored);
	assert_int_equal(f->heard, 3);
	assert_int_equal(f->heard_stored, 1);
}

static void test_bus_refuses_more_subscribers_than_its_bound(void **state)
{
	struct fixture *f = *state;

	for (unsigned i = 0; i < AEOGATE_BUS_SUBSCRIBERS_MAX; i++)
		assert_int_equal(bus_subscribe(f->bus, 0, on_follower, f), 0);
	assert_int_equal(bus_subscribe(f->bus, 0, on_follower, f), -ENOSPC);
}

/* ---- levels with schedules (the site's zone: UTC here; NOW_MS is Saturday 13:28:11) ---- */

static void add_schedule(struct fixture *f, const char *name, const char *const *specs)
{
	assert_int_equal(store_schedule_add(f->store, name), 0);
	for (; specs && *specs; specs++) {
		struct schedule_interval iv;

		assert_int_equal(schedule_interval_parse(*specs, &iv, NULL), 0);
		assert_int_equal(store_schedule_interval_add(f->store, name, &iv), 0);
	}
}

/* The decision for ALICE's badge at a UTC time "2026-11-28T13:00:00Z". */
static enum reason decide_at(struct fixture *f, const char *utc)
{
	struct core_decision d;

	assert_int_equal(time_parse_ms(utc, &f->wall_ms), 0);
	present(f, "h10301:12:3456", &d);
	assert_int_equal(d.granted, d.reason == REASON_NONE);
	assert_int_equal(d.granted, core_hal_door(f->core, 0)->lock_released);
	/* Each read starts from a locked door. */
	core_stop(f->core);
	return d.reason;
}

static int setup_utc(void **state)
{
	setenv("TZ", "UTC", 1);
	tzset();
	return setup(state);
}

static void test_level_grants_only_inside_its_schedule(void **state)
{
	static const char *const day[] = {"sat 13:00-14:00", NULL};
	struct fixture *f = *state;

	add_schedule(f, "saturday", day);
	assert_int_equal(store_level_schedule_set(f->store, "cage", "saturday"), 0);
	assert_int_equal(core_calendar_reload(f->core), 0);
	assert_int_equal(decide_at(f, "2026-11-28T13:00:00Z"), REASON_NONE);
	assert_int_equal(decide_at(f, "2026-11-28T12:59:59Z"), REASON_OUTSIDE_SCHEDULE);
	assert_int_equal(decide_at(f, "2026-11-28T13:59:59Z"), REASON_NONE);
	assert_int_equal(decide_at(f, "2026-11-28T14:00:00Z"), REASON_OUTSIDE_SCHEDULE);
	assert_int_equal(decide_at(f, "2026-11-29T13:30:00Z"), REASON_OUTSIDE_SCHEDULE);
	/* The schedule removed from the level: always in force again. */
	assert_int_equal(store_level_schedule_set(f->store, "cage", NULL), 0);
	assert_int_equal(decide_at(f, "2026-11-28T14:00:00Z"), REASON_NONE);
}

static void test_any_level_in_force_grants(void **state)
{
	static const char *const cage[] = {"bonded-cage"};
	static const char *const day[] = {"sat 13:00-14:00", NULL};
	static const char *const night[] = {"fri,sat 22:00-06:00", NULL};
	struct fixture *f = *state;
	struct core_decision d;

	add_schedule(f, "saturday", day);
	add_schedule(f, "nights", night);
	assert_int_equal(store_level_add(f->store, "cage-nights", cage, 1), 0);
	assert_int_equal(store_person_level_add(f->store, "ALICE", "cage-nights"), 0);
	assert_int_equal(store_level_schedule_set(f->store, "cage", "saturday"), 0);
	assert_int_equal(store_level_schedule_set(f->store, "cage-nights", "nights"), 0);
	assert_int_equal(core_calendar_reload(f->core), 0);
	assert_int_equal(decide_at(f, "2026-11-28T13:30:00Z"), REASON_NONE); /* the day level */
	assert_int_equal(decide_at(f, "2026-11-29T05:59:00Z"), REASON_NONE); /* the night one */
	assert_int_equal(decide_at(f, "2026-11-28T18:00:00Z"), REASON_OUTSIDE_SCHEDULE);
	/* A level without a schedule among them is always in force. */
	assert_int_equal(store_level_schedule_set(f->store, "cage-nights", NULL), 0);
	assert_int_equal(decide_at(f, "2026-11-28T18:00:00Z"), REASON_NONE);
	/* no_access keeps its meaning: no level of BOB's includes the zone. */
	present(f, "h10301:12:3457", &d);
	assert_int_equal(d.reason, REASON_NO_ACCESS);
}

static void test_on_a_holiday_only_hol_intervals_apply(void **state)
{
	static const char *const day[] = {"all 08:00-18:00", NULL};
	struct fixture *f = *state;
	struct schedule_interval hol;

	add_schedule(f, "days", day);
	assert_int_equal(store_level_schedule_set(f->store, "cage", "days"), 0);
	assert_int_equal(core_calendar_reload(f->core), 0);
	assert_int_equal(store_holiday_add(f->store, "2026-11-28", "Inventory"), 0);
	/* Not reloaded yet: the calendar is what the last reload saw. */
	assert_int_equal(decide_at(f, "2026-11-28T13:30:00Z"), REASON_NONE);
	assert_int_equal(core_calendar_reload(f->core), 0);
	assert_int_equal(decide_at(f, "2026-11-28T13:30:00Z"), REASON_OUTSIDE_SCHEDULE);
	assert_int_equal(decide_at(f, "2026-11-27T13:30:00Z"), REASON_NONE);
	assert_int_equal(schedule_interval_parse("hol 13:00-14:00", &hol, NULL), 0);
	assert_int_equal(store_schedule_interval_add(f->store, "days", &hol), 0);
	assert_int_equal(core_calendar_reload(f->core), 0);
	assert_int_equal(decide_at(f, "2026-11-28T13:30:00Z"), REASON_NONE);
	assert_int_equal(decide_at(f, "2026-11-28T15:00:00Z"), REASON_OUTSIDE_SCHEDULE);
}

static void test_a_schedule_the_calendar_cannot_vouch_for_denies(void **state)
{
	struct fixture *f = *state;

	/* Without intervals a schedule holds at no time; it never means "no schedule". */
	add_schedule(f, "empty", NULL);
	assert_int_equal(store_level_schedule_set(f->store, "cage", "empty"), 0);
	assert_int_equal(core_calendar_reload(f->core), 0);
	assert_int_equal(decide_at(f, "2026-11-28T13:30:00Z"), REASON_OUTSIDE_SCHEDULE);
	/* A schedule stored but not in the calendar (no reload): fail closed. */
	add_schedule(f, "unseen", NULL);
	assert_int_equal(store_level_schedule_set(f->store, "cage", "unseen"), 0);
	assert_int_equal(decide_at(f, "2026-11-28T13:30:00Z"), REASON_INTERNAL_ERROR);
}

/* ---- card + PIN ---- */

static void on_record(void *userdata, const struct event *e)
{
	struct fixture *f = userdata;

	if (f->n_events >= sizeof(f->kinds) / sizeof(f->kinds[0]))
		fail_msg("more events than the recorder holds");
	snprintf(f->kinds[f->n_events], sizeof(f->kinds[0]), "%s", e->kind);
	snprintf(f->reasons[f->n_events], sizeof(f->reasons[0]), "%s", e->reason ? e->reason : "");
	snprintf(f->readers[f->n_events], sizeof(f->readers[0]), "%s", e->reader ? e->reader : "");
	f->seqs[f->n_events] = e->seq;
	f->n_events++;
}

/* ALICE's PIN is pin, door cage-1 wants card + PIN, and events are recorded. */
static void pin_setup(struct fixture *f, const char *pin)
{
	char hash[PIN_HASH_MAX + 1];

	assert_int_equal(pin_hash(pin, hash), 0);
	assert_int_equal(store_pin_put(f->store, "ALICE", hash, NOW_MS), 0);
	core_door_mode_set(f->core, 0, POLICY_DOOR_CARD_AND_PIN, 0);
	door_lock_now(core_door(f->core, 0));
	assert_int_equal(bus_subscribe(f->bus, 0, on_record, f), 0);
}

static void present_on(struct fixture *f, unsigned reader, const char *card,
		       struct core_decision *ret)
{
	struct hal_read r = {.kind = HAL_READ_WIEGAND};
	struct wiegand_card wc;
	int n;

	assert_int_equal(wiegand_card_from_string(card, &wc), 0);
	n = wiegand_encode(&wc, r.bits, sizeof(r.bits));
	assert_true(n > 0);
	r.nbits = (size_t)n;
	core_reader_read(f->core, reader, &r, ret);
}

/* Keys on reader's keypad, as the Wiegand framer reports them. */
static void keys(struct fixture *f, unsigned reader, const char *text)
{
	struct hal_read r = {.kind = HAL_READ_KEY};

	for (; *text; text++) {
		r.key = *text == '*' ? PIN_KEY_STAR : *text == '#' ? PIN_KEY_HASH : *text - '0';
		core_reader_read(f->core, reader, &r, NULL);
	}
}

static void expect_event(struct fixture *f, size_t i, const char *kind, const char *reason)
{
	if (i >= f->n_events)
		fail_msg("event %zu: none (%zu heard)", i, f->n_events);
	if (strcmp(f->kinds[i], kind) || strcmp(f->reasons[i], reason))
		fail_msg("event %zu: %s %s, want %s %s", i, f->kinds[i], f->reasons[i], kind,
			 reason);
}

static void expect_pending(struct fixture *f)
{
	struct core_decision d;

	present(f, "h10301:12:3456", &d);
	assert_true(d.pending);
	assert_false(d.granted);
	assert_int_equal(d.reason, REASON_NONE);
	assert_int_equal(d.seq, 0);
	assert_string_equal(d.person, "ALICE");
}

static void test_card_and_pin_waits_then_grants_on_the_pin(void **state)
{
	struct fixture *f = *state;
	struct event e;
	struct pin_row row;

	pin_setup(f, "4711");
	expect_pending(f);
	/* Nothing decided, nothing recorded, the lock still locked. */
	assert_int_equal(f->n_events, 0);
	assert_false(f->lock_released);
	keys(f, 0, "9*4711#"); /* * clears the stray 9 */
	assert_int_equal(f->n_events, 1);
	expect_event(f, 0, "access.granted", "");
	assert_true(f->lock_released);
	assert_int_equal(store_event_get(f->store, f->seqs[0], &e), 0);
	assert_string_equal(e.person, "ALICE");
	assert_string_equal(e.credential, "h10301:12:3456");
	assert_string_equal(e.reader, "cage-1-in");
	event_clear(&e);
	assert_int_equal(store_pin_get(f->store, "ALICE", &row), 0);
	assert_int_equal(row.wrong_pins, 0);
	assert_false(row.locked);
}

/* pin_attempts = 3 in the fixture: the third wrong PIN in a row is wrong_pin and locks. */
static void test_wrong_pins_lock_until_reset(void **state)
{
	struct fixture *f = *state;
	struct core_decision d;
	struct pin_row row;
	struct event e;

	pin_setup(f, "4711");
	/* Two wrong, then the right one: the count starts again. */
	expect_pending(f);
	keys(f, 0, "1111#");
	expect_pending(f);
	keys(f, 0, "123#"); /* too short: wrong, no check needed */
	assert_int_equal(store_pin_get(f->store, "ALICE", &row), 0);
	assert_int_equal(row.wrong_pins, 2);
	expect_pending(f);
	keys(f, 0, "4711#");
	assert_int_equal(store_pin_get(f->store, "ALICE", &row), 0);
	assert_int_equal(row.wrong_pins, 0);
	expect_event(f, 0, "access.denied", "wrong_pin");
	expect_event(f, 1, "access.denied", "wrong_pin");
	expect_event(f, 2, "access.granted", "");
	assert_int_equal(store_event_get(f->store, f->seqs[1], &e), 0);
	assert_non_null(strstr(e.detail, "\"wrong_pins\":2"));
	event_clear(&e);

	for (int i = 0; i < 3; i++) {
		expect_pending(f);
		keys(f, 0, "0000#");
	}
	expect_event(f, 5, "access.denied", "wrong_pin"); /* the third: still wrong_pin */
	assert_int_equal(store_pin_get(f->store, "ALICE", &row), 0);
	assert_int_equal(row.wrong_pins, 3);
	assert_true(row.locked);
	/* From now on: pin_locked at the badge, at once, recorded. */
	present(f, "h10301:12:3456", &d);
	assert_false(d.pending);
	assert_int_equal(d.reason, REASON_PIN_LOCKED);
	assert_true(d.seq > 0);
	expect_event(f, 6, "access.denied", "pin_locked");
	/* A new PIN lifts the lock and the count. */
	char hash[PIN_HASH_MAX + 1];
	assert_int_equal(pin_hash("2580", hash), 0);
	assert_int_equal(store_pin_put(f->store, "ALICE", hash, NOW_MS), 0);
	expect_pending(f);
	keys(f, 0, "2580#");
	expect_event(f, 7, "access.granted", "");
	assert_true(f->lock_released);
}

/* A duress PIN grants as the PIN does, and alarm.duress commits with the grant. */
static void test_duress_pin_grants_and_raises_the_alarm(void **state)
{
	struct fixture *f = *state;
	struct event plain, duress, alarm;

	pin_setup(f, "4719");
	expect_pending(f);
	keys(f, 0, "4719#");
	expect_pending(f);
	keys(f, 0, "4710#"); /* 9 + 1 wraps to 0 */
	assert_int_equal(f->n_events, 3);
	expect_event(f, 0, "access.granted", "");
	expect_event(f, 1, "access.granted", "");
	expect_event(f, 2, "alarm.duress", "");
	assert_int_equal(f->seqs[2], f->seqs[1] + 1);
	assert_true(f->lock_released);
	assert_int_equal(store_event_get(f->store, f->seqs[0], &plain), 0);
	assert_int_equal(store_event_get(f->store, f->seqs[1], &duress), 0);
	assert_int_equal(store_event_get(f->store, f->seqs[2], &alarm), 0);
	/* Nothing in the grant tells the duress PIN from the PIN. */
	assert_string_equal(duress.detail, plain.detail);
	assert_null(duress.reason);
	assert_string_equal(alarm.person, "ALICE");
	assert_string_equal(alarm.door, "cage-1");
	assert_int_equal(alarm.ts_ms, duress.ts_ms);
	event_clear(&plain);
	event_clear(&duress);
	event_clear(&alarm);
}

static void test_pin_wait_times_out_and_stray_keys_are_counted(void **state)
{
	struct fixture *f = *state;
	struct core_decision d;

	pin_setup(f, "4711");
	keys(f, 0, "12#");
	assert_int_equal(core_keys_dropped(f->core, 0), 3);
	assert_int_equal(core_keys_dropped(f->core, 1), 0);
	assert_int_equal(f->n_events, 0);

	expect_pending(f);
	keys(f, 0, "47");
	f->mono += 10000; /* pin_timeout */
	keys(f, 0, "1");
	expect_event(f, 0, "access.denied", "pin_required");
	assert_int_equal(core_keys_dropped(f->core, 0), 4);
	assert_false(f->lock_released);

	/* No PIN enrolled: pin_required at once, at the badge. */
	assert_int_equal(store_pin_clear(f->store, "ALICE"), 0);
	present(f, "h10301:12:3456", &d);
	assert_false(d.pending);
	assert_int_equal(d.reason, REASON_PIN_REQUIRED);
	assert_true(d.seq > 0);
	expect_event(f, 1, "access.denied", "pin_required");
}

static void test_second_badge_replaces_the_waiting_one(void **state)
{
	struct fixture *f = *state;

	pin_setup(f, "4711");
	expect_pending(f);
	keys(f, 0, "47");
	expect_pending(f);
	expect_event(f, 0, "access.denied", "pin_required");
	keys(f, 0, "4711#");
	expect_event(f, 1, "access.granted", "");
	assert_int_equal(f->n_events, 2);
}

/*
 * With the core started, the check runs on its worker: another reader's
 * badge is decided while it runs, and the outcome arrives through the loop.
 */
static void test_pin_check_runs_off_the_loop(void **state)
{
	struct fixture *f = *state;
	struct core_decision d;

	assert_int_equal(sd_event_new(&f->loop), 0);
	assert_int_equal(core_start(f->core, f->loop), 0);
	assert_non_null(core_pin_worker(f->core));
	pin_setup(f, "4711");
	expect_pending(f);
	keys(f, 0, "4711#");
	assert_int_equal(f->n_events, 0); /* the check's outcome waits for the loop */
	present_on(f, 1, "h10301:12:3457", &d);
	assert_false(d.granted);
	assert_int_equal(d.reason, REASON_NO_ACCESS);
	expect_event(f, 0, "access.denied", "no_access");
	for (int i = 0; i < 500 && f->n_events < 2; i++)
		assert_true(sd_event_run(f->loop, 100 * 1000) >= 0);
	expect_event(f, 1, "access.granted", "");
	assert_true(f->lock_released);
}

/*
 * A reload removes a reader while PINs are checked on the worker: the
 * removed reader's check finishes and is decided at its own door before
 * the reader goes (README, reload), and another reader's check queued
 * behind it is decided on its merits. Restarting the worker used to fail
 * the other reader's check closed (internal_error) with it.
 */
static bool heard_at(struct fixture *f, const char *kind, const char *reason, const char *reader)
{
	for (size_t i = 0; i < f->n_events; i++)
		if (!strcmp(f->kinds[i], kind) && !strcmp(f->reasons[i], reason) &&
		    !strcmp(f->readers[i], reader))
			return true;
	return false;
}

static void test_reader_removed_during_pin_checks_leaves_the_others_alone(void **state)
{
	struct fixture *f = *state;
	struct core_decision d;

	assert_int_equal(sd_event_new(&f->loop), 0);
	assert_int_equal(core_start(f->core, f->loop), 0);
	assert_non_null(core_pin_worker(f->core));
	pin_setup(f, "4711");
	expect_pending(f);
	present_on(f, 1, "h10301:12:3456", &d);
	assert_true(d.pending);
	/* Both checks handed to the worker before the loop runs: one runs, one waits. */
	keys(f, 0, "4711#");
	keys(f, 1, "4711#");
	assert_int_equal(f->n_events, 0);
	core_reader_remove(f->core, 0);
	/*
	 * The removed reader's check was decided before it went (the other's
	 * too when it had finished by then: both are handed back in order).
	 */
	expect_event(f, 0, "access.granted", "");
	assert_string_equal(f->readers[0], "cage-1-in");
	/* The grant's door timer (the fixture's clock is not the loop's) keeps the loop busy. */
	for (int i = 0; i < 10000 && !heard_at(f, "access.granted", "", "cage-1-out"); i++) {
		assert_true(sd_event_run(f->loop, 100 * 1000) >= 0);
		usleep(2000);
	}
	assert_true(heard_at(f, "access.granted", "", "cage-1-out"));
	assert_false(heard_at(f, "access.denied", "internal_error", "cage-1-out"));
}

/* A guard sets the door locked while a badge waits: the right PIN no longer opens it. */
static void test_door_locked_meanwhile_wins_over_the_pin(void **state)
{
	struct fixture *f = *state;

	pin_setup(f, "4711");
	expect_pending(f);
	core_door_mode_set(f->core, 0, POLICY_DOOR_LOCKED, 0);
	keys(f, 0, "4711#");
	expect_event(f, 0, "access.denied", "door_locked");
	assert_false(f->lock_released);
}

/*
 * Lockdown (issue 14.6): an unlocked door locks at once, badges are denied
 * door_locked_down except a responder's, a threat level above a person's
 * clearance denies threat_level, and the release gives the door its mode.
 */
static void test_lockdown_holds_the_door_and_release_gives_its_mode_back(void **state)
{
	struct fixture *f = *state;
	struct lockdown_state site = {0};
	struct person_site responder = {.responder = true};
	struct core_decision d;

	core_door_mode_set(f->core, 0, POLICY_DOOR_UNLOCKED, 0);
	assert_true(f->lock_released);
	assert_int_equal(lockdown_lock(&site, NULL, 0), 0);
	core_lockdown_set(f->core, &site);
	assert_true(core_door_locked_down(f->core, 0));
	assert_false(f->lock_released);
	present(f, "h10301:12:3456", &d);
	assert_false(d.granted);
	assert_int_equal(d.reason, REASON_DOOR_LOCKED_DOWN);
	assert_false(f->lock_released);
	/* A mode change under the lockdown does not release the lock either. */
	core_door_mode_set(f->core, 0, POLICY_DOOR_UNLOCKED, 0);
	assert_false(f->lock_released);

	assert_int_equal(store_person_site_set(f->store, "ALICE", &responder), 0);
	present(f, "h10301:12:3456", &d);
	assert_true(d.granted);
	assert_true(f->lock_released); /* for the strike time, not for the unlocked mode */
	assert_true(door_deadline(core_door(f->core, 0)) > 0);

	site.threat_level = 2;
	core_lockdown_set(f->core, &site);
	present(f, "h10301:12:3456", &d);
	assert_int_equal(d.reason, REASON_THREAT_LEVEL);
	responder.clearance = 2;
	assert_int_equal(store_person_site_set(f->store, "ALICE", &responder), 0);
	present(f, "h10301:12:3456", &d);
	assert_true(d.granted);

	assert_int_equal(lockdown_release(&site, NULL, 0), 0);
	core_lockdown_set(f->core, &site);
	assert_false(core_door_locked_down(f->core, 0));
	assert_true(f->lock_released);
	assert_int_equal(door_deadline(core_door(f->core, 0)), 0); /* unlocked: no relock */
}

/* A lockdown that begins while a badge waits for its PIN: the right PIN no longer opens. */
static void test_lockdown_meanwhile_wins_over_the_pin(void **state)
{
	struct fixture *f = *state;
	struct lockdown_state site = {0};
	const char *zone[] = {"bonded-cage"};

	pin_setup(f, "4711");
	expect_pending(f);
	assert_int_equal(lockdown_lock(&site, zone, 1), 0);
	core_lockdown_set(f->core, &site);
	keys(f, 0, "4711#");
	expect_event(f, 0, "access.denied", "door_locked_down");
	assert_false(f->lock_released);
}

/* At stop, a badge still waiting for its PIN is denied pin_required before the locks lock. */
static void test_stop_denies_the_waiting_badge(void **state)
{
	struct fixture *f = *state;

	pin_setup(f, "4711");
	expect_pending(f);
	core_stop(f->core);
	expect_event(f, 0, "access.denied", "pin_required");
	assert_false(f->lock_released);
	keys(f, 0, "4711#");
	assert_int_equal(f->n_events, 1);
}

/* ---- two-person rule and escort ---- */

/*
 * A two-person zone: ALICE's badge waits (pending, access.pending stored,
 * the lock untouched); CAROL's at the same door grants both, the two
 * grants heard only after the one release; a lone badge waiting at stop
 * is denied two_person_timeout; the out reader is not held.
 */
static void test_two_person_grants_both_after_one_release(void **state)
{
	struct fixture *f = *state;
	struct zone_pairing z;
	struct core_decision d;

	store_zone_pairing_default(&z);
	z.two_person = true;
	assert_int_equal(store_zone_pairing_set(f->store, "bonded-cage", &z), 0);
	enrol(f->store, "CAROL", "cage", "h10301:12:3458");
	assert_int_equal(bus_subscribe(f->bus, 0, on_record, f), 0);
	assert_int_equal(bus_subscribe(f->bus, 0, on_follower, f), 0);
	f->step = f->lock_step = f->releases = 0;

	present(f, "h10301:12:3456", &d);
	assert_false(d.granted);
	assert_true(d.pending);
	assert_string_equal(d.awaiting, "second_person");
	assert_true(d.seq > 0);
	assert_int_equal(f->releases, 0);
	expect_event(f, 0, "access.pending", "");

	/* The same person again is no second person: the first is denied, the new one waits. */
	present(f, "h10301:12:3456", &d);
	assert_true(d.pending);
	expect_event(f, 1, "access.denied", "two_person_timeout");
	expect_event(f, 2, "access.pending", "");
	assert_int_equal(f->releases, 0);

	f->mono += 9000;
	f->first_heard = 0;
	present(f, "h10301:12:3458", &d);
	assert_true(d.granted);
	assert_false(d.pending);
	expect_event(f, 3, "access.granted", "");
	expect_event(f, 4, "access.granted", "");
	assert_int_equal(f->seqs[4], d.seq);
	assert_int_equal(f->seqs[3] + 1, f->seqs[4]);
	assert_int_equal(f->releases, 1);
	/* Both grants were heard after the release, never before. */
	assert_true(f->first_heard > f->lock_step);
	assert_true(f->released_when_heard);

	/* Leaving is not held. */
	present_on(f, 1, "h10301:12:3456", &d);
	assert_true(d.granted);

	/* A lone badge still waiting at stop ends denied, before the locks go. */
	f->mono += 60000;
	present(f, "h10301:12:3458", &d);
	assert_true(d.pending);
	core_stop(f->core);
	expect_event(f, f->n_events - 1, "access.denied", "two_person_timeout");
}

/* A visitor waits for an escort; another visitor is none; an employee is. */
static void test_visitor_waits_for_an_employee_escort(void **state)
{
	struct fixture *f = *state;
	struct zone_pairing z;
	struct core_decision d;
	struct visitor v = {.until_ms = NOW_MS + 3600000, .added_ms = NOW_MS};

	store_zone_pairing_default(&z);
	z.escort = true;
	assert_int_equal(store_zone_pairing_set(f->store, "bonded-cage", &z), 0);
	enrol(f->store, "V1", "cage", "h10301:12:5001");
	enrol(f->store, "V2", "cage", "h10301:12:5002");
	for (int i = 1; i <= 2; i++) {
		snprintf(v.person, sizeof(v.person), "V%d", i);
		strcpy(v.company, "Acme");
		strcpy(v.host, "ALICE");
		strcpy(v.document, "passport");
		assert_int_equal(store_visitor_add(f->store, &v), 0);
	}
	assert_int_equal(bus_subscribe(f->bus, 0, on_record, f), 0);
	f->releases = 0;

	/* An employee alone is not held by the escort rule. */
	present(f, "h10301:12:3456", &d);
	assert_true(d.granted);
	assert_int_equal(f->releases, 1);
	door_lock_now(core_door(f->core, 0));

	present(f, "h10301:12:5001", &d);
	assert_true(d.pending);
	assert_string_equal(d.awaiting, "escort");
	present(f, "h10301:12:5002", &d);
	assert_true(d.pending);
	expect_event(f, 2, "access.denied", "escort_required");
	present(f, "h10301:12:3456", &d);
	assert_true(d.granted);
	expect_event(f, 4, "access.granted", "");
	expect_event(f, 5, "access.granted", "");
	assert_int_equal(f->releases, 2);
}

/*
 * The zone settings are read from memory between reads (issue 12), yet a
 * change to any of them decides the very next read: vetting, then the
 * two-person rule, each set and cleared between two badges.
 */
static void test_zone_change_decides_the_next_read(void **state)
{
	struct fixture *f = *state;
	struct zone_pairing z;
	struct core_decision d;

	present(f, "h10301:12:3456", &d);
	assert_true(d.granted);
	door_lock_now(core_door(f->core, 0));

	assert_int_equal(store_zone_vetting_set(f->store, "bonded-cage", true), 0);
	present(f, "h10301:12:3456", &d);
	assert_false(d.granted);
	assert_int_equal(d.reason, REASON_VETTING_REQUIRED);
	assert_int_equal(store_zone_vetting_set(f->store, "bonded-cage", false), 0);
	present(f, "h10301:12:3456", &d);
	assert_true(d.granted);
	door_lock_now(core_door(f->core, 0));

	store_zone_pairing_default(&z);
	z.two_person = true;
	assert_int_equal(store_zone_pairing_set(f->store, "bonded-cage", &z), 0);
	present(f, "h10301:12:3456", &d);
	assert_true(d.pending);
	assert_string_equal(d.awaiting, "second_person");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_no_jump_while_both_clocks_advance),
	    cmocka_unit_test(test_forward_step_is_positive),
	    cmocka_unit_test(test_backward_step_is_negative),
	    cmocka_unit_test(test_threshold_is_one_second),
	    cmocka_unit_test_setup_teardown(test_read_grants_an_enrolled_badge_with_access, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_read_denies_a_badge_without_access, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_read_denies_an_unknown_badge, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_read_that_could_be_two_badges_is_attributed_to_neither, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_read_follows_the_door_mode, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_lockdown_holds_the_door_and_release_gives_its_mode_back, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_two_person_grants_both_after_one_release, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_visitor_waits_for_an_employee_escort, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_lock_moves_before_any_subscriber_runs, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_a_stalled_subscriber_does_not_delay_the_lock,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unstored_events_skip_stored_only_subscribers,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bus_refuses_more_subscribers_than_its_bound, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_level_grants_only_inside_its_schedule, setup_utc,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_any_level_in_force_grants, setup_utc, teardown),
	    cmocka_unit_test_setup_teardown(test_on_a_holiday_only_hol_intervals_apply, setup_utc,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_a_schedule_the_calendar_cannot_vouch_for_denies,
					    setup_utc, teardown),
	    cmocka_unit_test_setup_teardown(test_card_and_pin_waits_then_grants_on_the_pin, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_wrong_pins_lock_until_reset, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_duress_pin_grants_and_raises_the_alarm, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_pin_wait_times_out_and_stray_keys_are_counted,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_second_badge_replaces_the_waiting_one, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(
		test_reader_removed_during_pin_checks_leaves_the_others_alone, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pin_check_runs_off_the_loop, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_door_locked_meanwhile_wins_over_the_pin, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_lockdown_meanwhile_wins_over_the_pin, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_stop_denies_the_waiting_badge, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_zone_change_decides_the_next_read, setup,
					    teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
