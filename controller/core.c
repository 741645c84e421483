/* SPDX-License-Identifier: MIT */
/*
 * The core wires the modules together for one controller: a read from any
 * backend is decoded, decided, committed to the audit chain and only then
 * acted on. Storage trouble never stops a decision: events that cannot be
 * written wait in a bounded queue, and what overflows it is counted.
 */
#include <errno.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <syslog.h>
#include <systemd/sd-event.h>
#include <unistd.h>

#include "aeogate/credential.h"
#include "aeogate/wiegand.h"
#include "area.h"
#include "audit.h"
#include "bus.h"
#include "calendar.h"
#include "core.h"
#include "metrics.h"
#include "policy.h"
#include "door.h"
#include "doormode.h"
#include "interlock.h"
#include "lockdown.h"
#include "pin.h"
#include "pinpad.h"
#include "reserve.h"
#include "two_person.h"
#include "store.h"
#include "util.h"
#include "worker.h"

/* An event waiting for storage; owns copies of its strings. */
struct queued_event {
	struct event e;
	char *strings[8];
};

struct core {
	const struct config *cfg;
	struct decision_metrics metrics; /* /metrics (metrics.h) */
	struct core_clock clock;
	struct hal_callbacks hal_cb;
	struct door_hooks door_hooks;
	struct hal_door hal_doors[AEOGATE_DOORS_MAX];
	struct door doors[AEOGATE_DOORS_MAX];
	sd_event_source *door_timers[AEOGATE_DOORS_MAX];
	sd_event_source *feedback_timers[AEOGATE_DOORS_MAX];
	struct door_timer_ctx {
		struct core *core;
		unsigned index;
	} timer_ctx[AEOGATE_DOORS_MAX];
	/* Each door's mode: what sets it, what it is now, the timer of its next change. */
	struct door_mode_slot {
		struct door_mode_inputs in;
		enum policy_door_mode effective;
		sd_event_source *timer; /* CLOCK_REALTIME: an until is a wall-clock time */
		/* Its door schedule (door schedule DOOR ...), when it has one. */
		bool has_schedule;
		char schedule[AEOGATE_ID_MAX + 1];
		enum policy_door_mode schedule_mode;
		bool first_person_in;
		bool first_person_arrived; /* a badge was granted inside the current interval */
	} modes[AEOGATE_DOORS_MAX];
	struct hal_reader readers[AEOGATE_READERS_MAX];
	/* Lockdown and threat level, as stored (schema 15); applied to the doors. */
	struct lockdown_state site;
	/* Interlock: when each door's exit button began to wait (monotonic ms; 0: none). */
	int64_t rex_waiting_since[AEOGATE_DOORS_MAX];
	sd_event_source *interlock_timer;
	/* Card + PIN: badges waiting for their PIN, their timers, and the thread that checks. */
	struct pinpad pinpad;
	sd_event_source *pin_timers[AEOGATE_READERS_MAX];
	struct door_timer_ctx pin_timer_ctx[AEOGATE_READERS_MAX];
	struct worker *pin_worker; /* NULL: PINs are checked inline (no loop, or no thread) */
	unsigned pin_checks[AEOGATE_READERS_MAX]; /* PIN checks on the worker, per reader */
	/* Two-person and escort: the badge waiting at each door, and its timer. */
	struct two_person pairs;
	sd_event_source *pair_timers[AEOGATE_DOORS_MAX];
	bool stopping;		   /* core_stop ran: no attempt is granted from now on */
	bool starting; /* inputs reported while starting are initial levels, not edges */
	sd_event_source *retry_timer;
	struct store *store;
	/* Schedules and holidays, reloaded by the ops that change them. */
	struct calendar *calendar;
	struct audit_chain chain;
	struct bus *bus;
	/*
	 * While a read is handled, what it publishes waits here (copies, in
	 * order) until the lock has moved: subscribers run after the door.
	 */
	bool holding;
	struct queued_event *held;
	size_t n_held, held_cap;
	struct users *users;
	struct audit *audit;
	struct import_apply *import;
	struct queued_event queue[AEOGATE_EVENT_QUEUE_MAX];
	size_t queue_head, queue_len;
	uint64_t lost;
	uint64_t lost_recorded; /* of lost, how many a stored event already counts */
	bool storage_failing;
	uint64_t reserve_released; /* bytes given back by the commit before the alarm */
	int64_t failing_since_ms;  /* when the alarm.storage now in the queue was raised */
	struct reserve *reserve;
	core_storage_fn storage_fn;
	void *storage_userdata;
	struct core_decision last;
	int clock_fd; /* timerfd that wakes when someone sets the wall clock */
	sd_event_source *clock_src;
	int64_t wall_minus_mono; /* what the wall clock read against the monotonic one */
	sd_event *loop; /* set by core_start: where a door or reader added by reload runs */
};

static int64_t clock_wall(struct core *c)
{
	return c->clock.wall_ms(c->clock.userdata);
}

static int64_t clock_mono(struct core *c)
{
	return c->clock.mono_ms(c->clock.userdata);
}

int64_t core_wall_ms(struct core *c)
{
	return clock_wall(c);
}

int64_t core_mono_ms(struct core *c)
{
	return clock_mono(c);
}

struct store *core_store(struct core *c)
{
	return c->store;
}

struct calendar *core_calendar(struct core *c)
{
	return c->calendar;
}

int core_calendar_reload(struct core *c)
{
	return c->store ? calendar_load(c->calendar, c->store) : -ENODEV;
}

const struct config *core_config(struct core *c)
{
	return c->cfg;
}

struct hal_door *core_hal_door(struct core *c, unsigned index)
{
	return index < c->cfg->n_doors ? &c->hal_doors[index] : NULL;
}

struct hal_reader *core_hal_reader(struct core *c, unsigned index)
{
	return index < c->cfg->n_readers ? &c->readers[index] : NULL;
}

struct door *core_door(struct core *c, unsigned index)
{
	return index < c->cfg->n_doors ? &c->doors[index] : NULL;
}

uint64_t core_events_lost(struct core *c)
{
	return c->lost;
}

size_t core_events_queued(struct core *c)
{
	return c->queue_len;
}

void core_set_users(struct core *c, struct users *u)
{
	c->users = u;
}

struct users *core_users(struct core *c)
{
	return c->users;
}

void core_set_audit(struct core *c, struct audit *a)
{
	c->audit = a;
}

struct audit *core_audit(struct core *c)
{
	return c->audit;
}

void core_set_import(struct core *c, struct import_apply *ia)
{
	c->import = ia;
}

struct import_apply *core_import(struct core *c)
{
	return c->import;
}

void core_set_reserve(struct core *c, struct reserve *r)
{
	c->reserve = r;
}

struct reserve *core_reserve(struct core *c)
{
	return c->reserve;
}

void core_set_storage_callback(struct core *c, core_storage_fn fn, void *userdata)
{
	c->storage_fn = fn;
	c->storage_userdata = userdata;
}

int64_t core_storage_failing_since(struct core *c)
{
	return c->storage_failing ? c->failing_since_ms : 0;
}

static void storage_news(struct core *c, enum core_storage_news news, int error, uint64_t bytes)
{
	if (c->storage_fn)
		c->storage_fn(c->storage_userdata, news, error, bytes);
}

/* What the record owes: events held or dropped that no stored event accounts for yet. */
static void owed_update(struct core *c)
{
	(void)reserve_set_owed(c->reserve, c->queue_len + (c->lost - c->lost_recorded));
}

void core_set_bus(struct core *c, struct bus *b)
{
	c->bus = b;
}

/* ---- the event queue ---- */

static void queued_free(struct queued_event *q)
{
	for (size_t i = 0; i < sizeof(q->strings) / sizeof(q->strings[0]); i++)
		free(q->strings[i]);
	memset(q, 0, sizeof(*q));
}

/* A deep copy of e into q (seq, prev and hash too); -ENOMEM leaves q cleared. */
static int queued_copy(struct queued_event *q, const struct event *e)
{
	const char *src[8] = {e->kind,	 e->door,	e->reader, e->zone,
			      e->person, e->credential, e->reason, e->detail};

	memset(q, 0, sizeof(*q));
	for (size_t i = 0; i < 8; i++) {
		if (src[i] && !(q->strings[i] = strdup(src[i]))) {
			queued_free(q);
			return -ENOMEM;
		}
	}
	q->e.seq = e->seq;
	q->e.ts_ms = e->ts_ms;
	q->e.kind = q->strings[0];
	q->e.door = q->strings[1];
	q->e.reader = q->strings[2];
	q->e.zone = q->strings[3];
	q->e.person = q->strings[4];
	q->e.credential = q->strings[5];
	q->e.reason = q->strings[6];
	q->e.detail = q->strings[7];
	memcpy(q->e.prev, e->prev, EVENT_HASH_HEX);
	memcpy(q->e.hash, e->hash, EVENT_HASH_HEX);
	return 0;
}

static int queue_push(struct core *c, const struct event *e)
{
	struct queued_event *q;

	if (c->queue_len >= AEOGATE_EVENT_QUEUE_MAX) {
		c->lost++;
		return -ENOBUFS;
	}
	q = &c->queue[(c->queue_head + c->queue_len) % AEOGATE_EVENT_QUEUE_MAX];
	if (queued_copy(q, e) < 0) {
		c->lost++;
		return -ENOMEM;
	}
	/* Waiting for storage: the chain assigns seq, prev and hash when it takes it. */
	q->e.seq = 0;
	q->e.prev[0] = q->e.hash[0] = '\0';
	c->queue_len++;
	return 0;
}

static void arm_retry(struct core *c);

/* Hands the events a read held back to the bus, in order, and forgets them. */
static void held_release(struct core *c)
{
	c->holding = false;
	for (size_t i = 0; i < c->n_held; i++) {
		bus_publish(c->bus, &c->held[i].e);
		queued_free(&c->held[i]);
	}
	c->n_held = 0;
}

/* Forgets the events held back without publishing them: they were rolled back. */
static void held_drop(struct core *c)
{
	c->holding = false;
	for (size_t i = 0; i < c->n_held; i++)
		queued_free(&c->held[i]);
	c->n_held = 0;
}

/* Keeps a copy of e for held_release; -ENOMEM when it cannot. */
static int held_push(struct core *c, const struct event *e)
{
	if (c->n_held == c->held_cap) {
		size_t cap = c->held_cap ? 2 * c->held_cap : 8;
		struct queued_event *h = realloc(c->held, cap * sizeof(*h));

		if (!h)
			return -ENOMEM;
		c->held = h;
		c->held_cap = cap;
	}
	if (queued_copy(&c->held[c->n_held], e) < 0)
		return -ENOMEM;
	c->n_held++;
	return 0;
}

static void publish(struct core *c, const struct event *e)
{
	if (c->holding && held_push(c, e) == 0)
		return;
	/* Without memory to hold it, it goes now, after what was held: order is kept. */
	if (c->holding)
		held_release(c);
	bus_publish(c->bus, e);
}

static int append(struct core *c, struct event *e)
{
	uint64_t freed;
	int r;

	if (!c->store)
		return -ENODEV;
	r = audit_append(&c->chain, c->store, e);
	if (r != -ENOSPC || !(freed = reserve_release(c->reserve)))
		return r;
	/* The disk is full: give back the reserve and commit again; the alarm follows. */
	c->reserve_released = freed;
	storage_news(c, CORE_STORAGE_RESERVE_RELEASED, r, freed);
	arm_retry(c);
	return audit_append(&c->chain, c->store, e);
}

/* Raised once the event whose commit needed the reserve is stored. */
static void reserve_alarm(struct core *c)
{
	char detail[96];
	int64_t avail = reserve_free_bytes(c->reserve);
	struct event alarm = {.kind = "alarm.storage", .reason = "disk_full", .detail = detail};

	snprintf(detail, sizeof(detail), "{\"free_bytes\":%lld,\"reserve_released\":%llu}",
		 (long long)(avail < 0 ? 0 : avail), (unsigned long long)c->reserve_released);
	c->reserve_released = 0;
	alarm.ts_ms = clock_wall(c);
	if (append(c, &alarm) == 0)
		publish(c, &alarm);
}

static void storage_event(struct core *c, const char *kind, const char *detail)
{
	struct event e = {.ts_ms = clock_wall(c), .kind = kind, .detail = detail};

	if (append(c, &e) == 0)
		publish(c, &e);
}

/*
 * Hands an event that could not be stored to subscribers now, as it is:
 * no seq, no chain, and detail.stored false. The stored copy, with its seq,
 * follows once storage takes it.
 */
static void publish_unstored(struct core *c, const struct event *e)
{
	json_t *d = e->detail ? json_loads(e->detail, 0, NULL) : json_object();
	struct event u = *e;
	char *detail;

	if (!d || !json_is_object(d)) {
		json_decref(d);
		d = json_object();
	}
	json_object_set_new(d, "stored", json_false());
	detail = json_dumps(d, JSON_COMPACT);
	json_decref(d);
	u.seq = 0;
	u.prev[0] = u.hash[0] = '\0';
	u.detail = detail;
	if (detail)
		publish(c, &u);
	free(detail);
}

/* Writes queued events in order; stops at the first failure. */
static int queue_flush(struct core *c)
{
	while (c->queue_len) {
		struct queued_event *q = &c->queue[c->queue_head];
		int r = append(c, &q->e);

		if (r < 0)
			return r;
		publish(c, &q->e);
		queued_free(q);
		c->queue_head = (c->queue_head + 1) % AEOGATE_EVENT_QUEUE_MAX;
		c->queue_len--;
	}
	if (c->storage_failing) {
		char detail[96];

		c->storage_failing = false;
		snprintf(detail, sizeof(detail), "{\"lost\":%llu}", (unsigned long long)c->lost);
		storage_event(c, "system.storage_recovered", detail);
		c->lost_recorded = c->lost;
		owed_update(c);
		storage_news(c, CORE_STORAGE_RECOVERED, 0, c->lost);
	}
	return 0;
}

static void arm_retry(struct core *c)
{
	if (!c->retry_timer)
		return;
	sd_event_source_set_time_relative(c->retry_timer, 1000 * 1000);
	sd_event_source_set_enabled(c->retry_timer, SD_EVENT_ONESHOT);
}

static void reserve_check(struct core *c)
{
	char detail[96];

	if (reserve_held(c->reserve) == reserve_wanted(c->reserve) || c->queue_len)
		return;
	if (reserve_restore(c->reserve) <= 0)
		return;
	snprintf(detail, sizeof(detail), "{\"reserve\":%llu}",
		 (unsigned long long)reserve_held(c->reserve));
	storage_event(c, "system.storage_reserve_restored", detail);
	storage_news(c, CORE_STORAGE_RESERVE_RESTORED, 0, reserve_held(c->reserve));
}

static int on_retry(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct core *c = userdata;

	if (queue_flush(c) == 0)
		reserve_check(c);
	/* Retry until everything is stored and the reserve is held again. */
	if (c->queue_len || reserve_held(c->reserve) != reserve_wanted(c->reserve))
		arm_retry(c);
	return 0;
}

/* Stores e (and anything queued before it); 0 when stored, negative errno when not. */
static int emit_try(struct core *c, struct event *e)
{
	int r;

	if (!e->ts_ms)
		e->ts_ms = clock_wall(c);
	/* Order is part of the record: nothing overtakes a queued event. */
	if (c->queue_len && (r = queue_flush(c)) < 0)
		return r;
	r = append(c, e);
	if (r < 0)
		return r;
	publish(c, e);
	if (c->reserve_released)
		reserve_alarm(c);
	return 0;
}

/*
 * e could not be stored: it waits in the queue, in order, and goes to
 * subscribers now. The first failure raises alarm.storage the same way, so
 * guards hear of it at once, not when storage comes back.
 */
static void emit_failed(struct core *c, struct event *e, int error)
{
	c->metrics.storage_faults++;
	e->seq = 0;
	e->prev[0] = e->hash[0] = '\0';
	if (!c->storage_failing) {
		struct event alarm = {.ts_ms = e->ts_ms,
				      .kind = "alarm.storage",
				      .reason = error == -ENOSPC ? "disk_full" : "io_error"};

		c->storage_failing = true;
		c->failing_since_ms = e->ts_ms;
		storage_news(c, CORE_STORAGE_FAILING, error, c->queue_len);
		queue_push(c, &alarm);
		publish_unstored(c, &alarm);
	}
	queue_push(c, e);
	publish_unstored(c, e);
	owed_update(c);
	arm_retry(c);
}

int core_emit(struct core *c, struct event *e)
{
	int r = emit_try(c, e);

	if (r < 0)
		emit_failed(c, e, r);
	return r;
}

int core_append(struct core *c, struct event *e)
{
	if (c->queue_len)
		return -EBUSY;
	if (!e->ts_ms)
		e->ts_ms = clock_wall(c);
	return append(c, e);
}

void core_publish(struct core *c, const struct event *e)
{
	publish(c, e);
}

int core_chain_reload(struct core *c)
{
	return c->store ? audit_chain_load(&c->chain, c->store) : -ENODEV;
}

int core_batch_begin(struct core *c)
{
	int r;

	if (!c->store)
		return -ENODEV;
	if (c->queue_len)
		return -EBUSY;
	r = store_batch_begin(c->store);
	if (r == 0)
		c->holding = true;
	return r;
}

int core_batch_end(struct core *c, bool commit)
{
	int r = store_batch_end(c->store, commit);

	if (commit && r == 0) {
		held_release(c);
		return 0;
	}
	held_drop(c);
	/* The chain and the calendar may have taken what is now undone. */
	core_chain_reload(c);
	(void)core_calendar_reload(c);
	return r;
}

int core_append_finish(struct core *c, int r)
{
	if (r == 0)
		r = store_commit(c->store);
	if (r < 0) {
		store_rollback(c->store);
		core_chain_reload(c);
	}
	return r;
}

/* ---- doors ---- */

static void rearm_door(struct core *c, unsigned i)
{
	int64_t deadline;

	if (!c->door_timers[i])
		return;
	deadline = door_deadline(&c->doors[i]);
	if (!deadline) {
		sd_event_source_set_enabled(c->door_timers[i], SD_EVENT_OFF);
		return;
	}
	sd_event_source_set_time(c->door_timers[i], (uint64_t)deadline * 1000);
	sd_event_source_set_enabled(c->door_timers[i], SD_EVENT_ONESHOT);
}

static int on_door_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct door_timer_ctx *t = userdata;

	door_tick(&t->core->doors[t->index], clock_mono(t->core));
	rearm_door(t->core, t->index);
	return 0;
}

static void interlock_soon(struct core *c);

/* Readers with their own LEDs and buzzer (OSDP) show a door's grant or denial too. */
static void readers_feedback(struct core *c, unsigned door, bool granted, unsigned ms)
{
	for (size_t i = 0; i < c->cfg->n_readers; i++)
		if (!c->cfg->readers[i].removed && c->cfg->readers[i].door_index == door)
			(void)hal_reader_feedback(core_hal_reader(c, (unsigned)i), granted, ms);
}

static void hook_set_lock(void *userdata, unsigned door, bool released)
{
	struct core *c = userdata;

	if (released)
		readers_feedback(c, door, true, c->cfg->doors[door].strike_time_ms);
	(void)hal_door_set_lock(&c->hal_doors[door], released);
	/* Readers with LEDs of their own (OSDP) show the lock as their permanent colour. */
	for (size_t i = 0; i < c->cfg->n_readers; i++)
		if (c->cfg->readers[i].door_index == door)
			hal_reader_door_state(core_hal_reader(c, (unsigned)i), released);
	/* The green LED tells the person the door is open for them; unwired is fine. */
	(void)hal_door_set_output(&c->hal_doors[door], HAL_OUTPUT_LED_GREEN, released);
	interlock_soon(c);
}

/* How long the red LED and buzzer signal a denial. */
#define DENY_FEEDBACK_MS 1000

static int on_feedback_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct door_timer_ctx *t = userdata;
	struct hal_door *hd = &t->core->hal_doors[t->index];

	(void)hal_door_set_output(hd, HAL_OUTPUT_LED_RED, false);
	(void)hal_door_set_output(hd, HAL_OUTPUT_BUZZER, false);
	return 0;
}

static void deny_feedback(struct core *c, unsigned door)
{
	struct hal_door *hd = &c->hal_doors[door];

	(void)hal_door_set_output(hd, HAL_OUTPUT_LED_RED, true);
	(void)hal_door_set_output(hd, HAL_OUTPUT_BUZZER, true);
	readers_feedback(c, door, false, DENY_FEEDBACK_MS);
	if (c->feedback_timers[door]) {
		sd_event_source_set_time_relative(c->feedback_timers[door],
						  (uint64_t)DENY_FEEDBACK_MS * 1000);
		sd_event_source_set_enabled(c->feedback_timers[door], SD_EVENT_ONESHOT);
	}
}

static void hook_emit(void *userdata, unsigned door, const char *kind)
{
	struct core *c = userdata;
	const struct door_config *dc = &c->cfg->doors[door];
	struct event e = {.kind = kind, .door = dc->name, .zone = dc->zone};

	core_emit(c, &e);
}

/* One event in its own transaction (below, with the decision's). */
static bool event_txn_begin(struct core *c, bool deferred);
static int decision_commit(struct core *c, struct event *e);

/* ---- door modes ---- */

enum policy_door_mode core_door_mode(struct core *c, unsigned door, int64_t *ret_until_ms)
{
	const struct door_mode_slot *m = &c->modes[door];

	if (ret_until_ms)
		*ret_until_ms =
		    door_mode_manual_in_force(&m->in, clock_wall(c)) ? m->in.manual_until_ms : 0;
	return m->effective;
}

/*
 * The door takes mode: unlocked keeps the lock released; entering locked
 * closes a release window still open (a grant's, a remote unlock's), since
 * from then on no badge lets anyone in; the decision reads the rest.
 */
static void door_mode_apply(struct core *c, unsigned i, enum policy_door_mode mode)
{
	enum policy_door_mode was = c->modes[i].effective;

	c->modes[i].effective = mode;
	if (mode == POLICY_DOOR_LOCKED && was != POLICY_DOOR_LOCKED && c->doors[i].released)
		door_lock_now(&c->doors[i]);
	else /* a door locked down stays locked whatever its mode: it takes it at the release */
		door_set_unlocked(&c->doors[i],
				  mode == POLICY_DOOR_UNLOCKED && !core_door_locked_down(c, i));
	rearm_door(c, i);
}

/* A calendar change whose reload failed: try again before deciding on old intervals. */
static void calendar_refresh(struct core *c)
{
	if (calendar_stale(c->calendar) && c->store)
		(void)calendar_load(c->calendar, c->store);
}

/* Whether door i's schedule holds at now; a schedule the calendar cannot vouch for does not. */
static bool door_schedule_holds(struct core *c, unsigned i, int64_t now)
{
	const struct door_mode_slot *m = &c->modes[i];
	const struct schedule_interval *iv;
	struct schedule_moment at;
	size_t n;

	if (!m->has_schedule)
		return false;
	calendar_refresh(c);
	if (calendar_find(c->calendar, m->schedule, &iv, &n) < 0 ||
	    calendar_moment(c->calendar, now, &at) < 0)
		return false;
	return schedule_contains(iv, n, &at);
}

/*
 * The schedule's part of door i's mode inputs at now: its mode while the
 * schedule holds (with first-person-in, only once a badge was granted in
 * this interval, which ends with the interval).
 */
static void door_schedule_inputs(struct core *c, unsigned i, int64_t now)
{
	struct door_mode_slot *m = &c->modes[i];
	bool holds = door_schedule_holds(c, i, now);

	if (!holds)
		m->first_person_arrived = false;
	m->in.scheduled = holds && (!m->first_person_in || m->first_person_arrived);
	m->in.scheduled_mode = m->schedule_mode;
}

static void door_mode_rearm(struct core *c, unsigned i)
{
	sd_event_source *t = c->modes[i].timer;
	int64_t now = clock_wall(c), at;

	if (!t)
		return;
	at = door_mode_deadline(&c->modes[i].in, now);
	/* A schedule's boundaries fall on whole minutes: look again at the next one. */
	if (c->modes[i].has_schedule) {
		int64_t minute = (now / 60000 + 1) * 60000;

		if (!at || minute < at)
			at = minute;
	}
	if (!at) {
		sd_event_source_set_enabled(t, SD_EVENT_OFF);
		return;
	}
	sd_event_source_set_time(t, (uint64_t)at * 1000);
	sd_event_source_set_enabled(t, SD_EVENT_ONESHOT);
}

/*
 * The manual mode's until has passed: the door takes what its schedule or
 * the default gives it. The row goes in one transaction with its event;
 * when storage cannot take them the door goes back all the same (the
 * event waits in memory like any other, and the row, past its until, is
 * expired again at the next start). Subscribers hear of it once the lock
 * has moved.
 */
static void door_mode_record(struct core *c, unsigned i, enum door_mode_cause cause,
			     enum policy_door_mode was, enum policy_door_mode mode, bool clear_row)
{
	const struct door_config *dc = &c->cfg->doors[i];
	char detail[96];
	struct event e = {
	    .kind = "door.mode", .door = dc->name, .zone = dc->zone, .detail = detail};
	bool txn;
	int error;

	snprintf(detail, sizeof(detail), "{\"cause\":\"%s\",\"mode\":\"%s\",\"was\":\"%s\"}",
		 door_mode_cause_to_string(cause), door_mode_to_string(mode),
		 door_mode_to_string(was));
	e.ts_ms = clock_wall(c);
	c->holding = true;
	txn = event_txn_begin(c, false);
	if (txn && clear_row && store_door_mode_clear(c->store, dc->name) < 0) {
		(void)store_rollback(c->store);
		txn = false;
	}
	error = txn ? decision_commit(c, &e) : emit_try(c, &e);
	if (error < 0)
		emit_failed(c, &e, error);
	door_mode_apply(c, i, mode);
	held_release(c);
}

static void door_mode_expire(struct core *c, unsigned i)
{
	struct door_mode_slot *m = &c->modes[i];
	int64_t now = clock_wall(c);

	m->in.manual = false;
	door_schedule_inputs(c, i, now);
	door_mode_record(c, i, DOOR_MODE_CAUSE_EXPIRED, m->in.manual_mode,
			 door_mode_effective(&m->in, now), true);
}

/*
 * Door i follows its schedule: when the effective mode changes (the
 * schedule's boundary, the first person in, a changed door schedule), the
 * change is recorded as door.mode with cause before the lock moves.
 */
static void door_mode_follow(struct core *c, unsigned i, enum door_mode_cause cause)
{
	struct door_mode_slot *m = &c->modes[i];
	int64_t now = clock_wall(c);
	enum policy_door_mode mode;

	door_schedule_inputs(c, i, now);
	mode = door_mode_effective(&m->in, now);
	if (mode != m->effective)
		door_mode_record(c, i, cause, m->effective, mode, false);
}

static int on_mode_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct door_timer_ctx *t = userdata;
	struct door_mode_slot *m = &t->core->modes[t->index];

	if (m->in.manual && !door_mode_manual_in_force(&m->in, clock_wall(t->core)))
		door_mode_expire(t->core, t->index);
	else
		door_mode_follow(t->core, t->index, DOOR_MODE_CAUSE_SCHEDULE);
	door_mode_rearm(t->core, t->index);
	return 0;
}

/* The loop looks at door i's mode again as soon as it can (after the op that asked). */
static void door_mode_soon(struct core *c, unsigned i)
{
	sd_event_source *t = c->modes[i].timer;

	if (!t)
		return;
	sd_event_source_set_time(t, (uint64_t)clock_wall(c) * 1000);
	sd_event_source_set_enabled(t, SD_EVENT_ONESHOT);
}

void core_door_schedule_set(struct core *c, unsigned door, const char *schedule,
			    enum policy_door_mode mode, bool first_person_in)
{
	struct door_mode_slot *m = &c->modes[door];

	m->has_schedule = schedule != NULL;
	snprintf(m->schedule, sizeof(m->schedule), "%s", schedule ? schedule : "");
	m->schedule_mode = mode;
	m->first_person_in = first_person_in;
	m->first_person_arrived = false;
	door_mode_soon(c, door);
}

bool core_door_schedule(struct core *c, unsigned door, const char **ret_schedule,
			enum policy_door_mode *ret_mode, bool *ret_first_person_in,
			bool *ret_active)
{
	const struct door_mode_slot *m = &c->modes[door];

	if (!m->has_schedule)
		return false;
	*ret_schedule = m->schedule;
	*ret_mode = m->schedule_mode;
	*ret_first_person_in = m->first_person_in;
	*ret_active = m->in.scheduled;
	return true;
}

enum policy_door_mode core_door_mode_unset(struct core *c, unsigned door)
{
	struct door_mode_inputs in;
	int64_t now = clock_wall(c);

	door_schedule_inputs(c, door, now);
	in = c->modes[door].in;
	in.manual = false;
	return door_mode_effective(&in, now);
}

void core_door_mode_clear(struct core *c, unsigned door)
{
	struct door_mode_slot *m = &c->modes[door];
	int64_t now = clock_wall(c);

	m->in.manual = false;
	door_schedule_inputs(c, door, now);
	door_mode_apply(c, door, door_mode_effective(&m->in, now));
	door_mode_rearm(c, door);
}

/* A badge was granted at door i: the first person in of a first-person-in schedule. */
static void door_first_person(struct core *c, unsigned i)
{
	struct door_mode_slot *m = &c->modes[i];

	if (!m->has_schedule || !m->first_person_in || m->first_person_arrived ||
	    !door_schedule_holds(c, i, clock_wall(c)))
		return;
	m->first_person_arrived = true;
	door_mode_follow(c, i, DOOR_MODE_CAUSE_FIRST_PERSON);
}

void core_door_mode_set(struct core *c, unsigned door, enum policy_door_mode mode, int64_t until_ms)
{
	struct door_mode_slot *m = &c->modes[door];

	m->in.manual = true;
	m->in.manual_mode = mode;
	m->in.manual_until_ms = until_ms;
	door_schedule_inputs(c, door, clock_wall(c));
	door_mode_apply(c, door, door_mode_effective(&m->in, clock_wall(c)));
	door_mode_rearm(c, door);
}

void core_door_release(struct core *c, unsigned door, unsigned ms)
{
	door_release_for(&c->doors[door], clock_mono(c), ms);
	rearm_door(c, door);
}

/*
 * At start, after every lock went locked: each door's manual mode from the
 * store. One whose until passed while aeogated was stopped is not applied;
 * its timer is due at once and records it as expired once the loop runs
 * (after system.start).
 */
static int door_mode_load(struct core *c, sd_event *e, unsigned i)
{
	struct door_mode_slot *m = &c->modes[i];
	struct door_mode_row row;
	struct door_schedule_row srow;
	enum policy_door_mode mode;
	int r = sd_event_add_time(e, &m->timer, CLOCK_REALTIME, UINT64_MAX, 0, on_mode_timer,
				  &c->timer_ctx[i]);

	if (r < 0)
		return r;
	sd_event_source_set_enabled(m->timer, SD_EVENT_OFF);
	r = c->store ? store_door_schedule_get(c->store, c->cfg->doors[i].name, &srow) : -ENOENT;
	if (r < 0 && r != -ENOENT)
		return r;
	if (r == 0) {
		if (door_mode_from_string(srow.mode, &mode) < 0)
			return -EINVAL;
		/* Its mode is taken once the loop runs, recorded as door.mode (schedule). */
		core_door_schedule_set(c, i, srow.schedule, mode, srow.first_person_in);
	}
	r = c->store ? store_door_mode_get(c->store, c->cfg->doors[i].name, &row) : -ENOENT;
	if (r == -ENOENT)
		return 0;
	/* A door that was set locked must not come up in card mode unnoticed. */
	if (r < 0)
		return r;
	if (door_mode_from_string(row.mode, &mode) < 0)
		return -EINVAL;
	core_door_mode_set(c, i, mode, row.until_ms);
	return 0;
}

static int door_modes_load(struct core *c, sd_event *e)
{
	for (size_t i = 0; i < c->cfg->n_doors; i++) {
		int r = door_mode_load(c, e, (unsigned)i);

		if (r < 0)
			return r;
	}
	return 0;
}

/* ---- reads ---- */

/*
 * The access event's detail: the reader's direction and what was read, and
 * for an ambiguous read every enrolled badge the frame matched. Returns a
 * string to free, or NULL (the event is still recorded, without detail).
 */
static char *read_detail(const struct reader_config *rc, const struct hal_read *r,
			 const struct credential_candidates *matched, const char *const *holders)
{
	json_t *d, *list;
	char *text;

	if (!matched) {
		/* The decision path: no JSON objects, one formatted line. */
		if (r->kind == HAL_READ_WIEGAND)
			return asprintf(&text, "{\"bits\":%zu,\"direction\":\"%s\"}", r->nbits,
					rc->direction) < 0
				   ? NULL
				   : text;
		if (r->kind == HAL_READ_FMT)
			return asprintf(&text, "{\"direction\":\"%s\",\"fmt_chars\":%zu}",
					rc->direction, strlen(r->text)) < 0
				   ? NULL
				   : text;
		return asprintf(&text, "{\"direction\":\"%s\",\"uid_bytes\":%zu}", rc->direction,
				r->uid_len) < 0
			   ? NULL
			   : text;
	}
	d = json_pack("{s:s,s:I}", "direction", rc->direction, "bits", (json_int_t)r->nbits);
	list = json_array();
	for (size_t i = 0; d && list && i < matched->n; i++)
		json_array_append_new(list, json_pack("{s:s,s:s}", "credential", matched->creds[i],
						      "person", holders[i]));
	if (!d || !list || json_object_set_new(d, "candidates", list) < 0) {
		json_decref(d);
		return NULL;
	}
	text = json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(d);
	return text;
}

/*
 * The clearance facts: whether the door's zone requires vetting and, only
 * then, the person's record. A lookup that fails denies (internal_error).
 */
static enum reason load_vetting(struct store *s, const char *zone, const char *person,
				struct policy_facts *f)
{
	static const struct {
		const char *status;
		enum policy_vetting_status v;
	} statuses[] = {
	    {"cleared", POLICY_VETTING_CLEARED},
	    {"pending", POLICY_VETTING_PENDING},
	    {"failed", POLICY_VETTING_FAILED},
	};
	struct vetting v;
	int r = store_zone_vetting_get(s, zone);

	if (r < 0)
		return REASON_INTERNAL_ERROR;
	f->zone_requires_vetting = r == 1;
	f->vetting = POLICY_VETTING_NONE;
	if (!f->zone_requires_vetting)
		return REASON_NONE;
	r = store_vetting_get(s, person, &v);
	if (r == -ENOENT)
		return REASON_NONE;
	if (r < 0)
		return REASON_INTERNAL_ERROR;
	for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
		if (!strcmp(v.status, statuses[i].status))
			f->vetting = statuses[i].v;
	f->vetting_recheck_due_ms = v.recheck_due_ms;
	return REASON_NONE;
}

/*
 * A decision's lookups and its event share one transaction, so SQLite's
 * locks are taken once per read rather than once per statement (issue
 * 12). Only while nothing is queued: a queued event goes first, by
 * emit_try. A change that is not a decision (a door's mode) takes its
 * write lock at once (not deferred).
 */
static bool event_txn_begin(struct core *c, bool deferred)
{
	if (!c->store || c->queue_len)
		return false;
	return (deferred ? store_begin_deferred(c->store) : store_begin(c->store)) == 0;
}

static bool decision_begin(struct core *c)
{
	return event_txn_begin(c, true);
}

/*
 * Appends the n events inside the decision's transaction, in order, and
 * commits: 0 when all are stored (then published). On any failure the
 * transaction is rolled back, the chain is put back as it was, and
 * -EAGAIN tells the caller to hand each event the way of every other
 * (emit_try: a full disk gives back the reserve, a failure queues it), so
 * failures behave exactly as without the shared transaction.
 */
static int decision_commit_n(struct core *c, struct event *const *ev, size_t n)
{
	struct audit_chain was = c->chain;
	size_t i;

	for (i = 0; i < n; i++) {
		if (!ev[i]->ts_ms)
			ev[i]->ts_ms = clock_wall(c);
		if (audit_append(&c->chain, c->store, ev[i]) < 0)
			break;
	}
	if (i == n && store_commit(c->store) == 0) {
		for (i = 0; i < n; i++)
			publish(c, ev[i]);
		return 0;
	}
	(void)store_rollback(c->store);
	c->chain = was;
	return -EAGAIN;
}

/*
 * Commits one event in the transaction opened for it (with whatever rows
 * go with it), else hands it the ordinary way: 0 when stored, negative
 * errno when not (the caller then queues it, emit_failed).
 */
static int decision_commit(struct core *c, struct event *e)
{
	return decision_commit_n(c, &e, 1) == 0 ? 0 : emit_try(c, e);
}

/* ---- where everyone is: anti-passback, occupancy ---- */

static bool reader_out(const struct reader_config *rc)
{
	return !strcmp(rc->direction, "out");
}

/*
 * A grant moves its person: the location rows go into the decision's
 * transaction (so they commit with the access event or not at all), and a
 * soft anti-passback violation fills *violation, to commit right after
 * the access event. Returns 1 with a violation, 0 without, negative errno
 * when the rows could not be written (the caller rolls back).
 */
static int area_on_grant(struct core *c, const struct reader_config *rc, const struct event *access,
			 struct event *violation)
{
	bool out = reader_out(rc), soft = false;
	int r = area_grant(c->store, access->zone, access->door, out, access->person, access->ts_ms,
			   &soft);

	if (r < 0)
		return r;
	if (!soft)
		return 0;
	*violation = *access;
	violation->kind = "apb.violation";
	violation->reason = NULL;
	violation->detail = out ? "{\"apb\":\"soft\",\"direction\":\"out\"}"
				: "{\"apb\":\"soft\",\"direction\":\"in\"}";
	return 1;
}

/* ---- card + PIN ---- */

uint64_t core_keys_dropped(struct core *c, unsigned reader)
{
	return pinpad_keys_dropped(&c->pinpad, reader);
}

struct worker *core_pin_worker(struct core *c)
{
	return c->pin_worker;
}

static void pin_rearm(struct core *c, unsigned reader)
{
	sd_event_source *t = reader < c->cfg->n_readers ? c->pin_timers[reader] : NULL;
	int64_t at;

	if (!t)
		return;
	at = pinpad_deadline(&c->pinpad, reader);
	if (!at) {
		sd_event_source_set_enabled(t, SD_EVENT_OFF);
		return;
	}
	sd_event_source_set_time(t, (uint64_t)at * 1000);
	sd_event_source_set_enabled(t, SD_EVENT_ONESHOT);
}

/*
 * The card + PIN rule after the PIN was checked: the person's count and
 * lock move (pin_rule_attempt) inside the decision's transaction, so they
 * commit with the access event. The row is the person's as it is now, but
 * only while it still holds the hash the badge was checked against: a PIN
 * set or cleared meanwhile starts afresh. Returns the reason; *ret_wrong
 * is the count of wrong PINs in a row after this one.
 */
static enum reason pin_count(struct core *c, const struct pin_attempt *a, enum pin_check check,
			     bool txn, unsigned *ret_wrong)
{
	struct pin_state st = {.enrolled = true};
	struct pin_row row;
	enum reason reason;
	int r = txn ? store_pin_get(c->store, a->person, &row) : -ENOENT;
	bool same = r == 0 && !strcmp(row.hash, a->hash);

	if (r < 0 && r != -ENOENT)
		return REASON_INTERNAL_ERROR;
	if (same) {
		st.wrong = row.wrong_pins > 0 && row.wrong_pins <= AEOGATE_PIN_ATTEMPTS_MAX
			       ? (unsigned)row.wrong_pins
			   : row.wrong_pins > 0 ? AEOGATE_PIN_ATTEMPTS_MAX
						: 0;
		st.locked = row.locked;
	}
	reason = pin_rule_attempt(&st, check, c->cfg->pin_attempts);
	*ret_wrong = st.wrong;
	if (same && (st.wrong != row.wrong_pins || st.locked != row.locked) &&
	    store_pin_counters_set(c->store, a->person, a->hash, st.wrong, st.locked) < 0)
		return REASON_INTERNAL_ERROR;
	return reason;
}

/*
 * The read's detail with one more member (value is taken); NULL when it
 * cannot be made (the event is still recorded, with the read's detail).
 */
static char *detail_with(const char *read_detail, const char *key, json_t *value)
{
	json_t *d = json_loads(read_detail ? read_detail : "{}", 0, NULL);
	char *text;

	if (!d || !json_is_object(d)) {
		json_decref(d);
		d = json_object();
	}
	if (!d || json_object_set_new(d, key, value) < 0) {
		json_decref(d);
		return NULL;
	}
	text = json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(d);
	return text;
}

static enum reason site_recheck(struct core *c, unsigned door, const char *person);

/* The read's detail with the count of wrong PINs in a row; NULL: use it as it is. */
static char *pin_detail(const char *read_detail, unsigned wrong)
{
	return wrong ? detail_with(read_detail, "wrong_pins", json_integer(wrong)) : NULL;
}

/*
 * The events of one outcome that waited (card + PIN, two-person, escort),
 * committed in the decision's transaction when txn, else each the way of
 * every other event, before the lock moves (the caller holds publishing).
 * An access.granted that cannot be recorded becomes access.denied
 * storage_failure, unless the site chose otherwise. Returns true when
 * every grant among them stands.
 */
static bool outcome_commit(struct core *c, bool txn, struct event *const *ev, size_t n)
{
	bool granted = true;

	if (txn && decision_commit_n(c, ev, n) == 0)
		return true;
	for (size_t i = 0; i < n; i++) {
		int error = emit_try(c, ev[i]);

		if (error >= 0)
			continue;
		if (!strcmp(ev[i]->kind, "access.granted") && !c->cfg->storage_failure_grant) {
			granted = false;
			ev[i]->kind = "access.denied";
			ev[i]->reason = reason_to_string(REASON_STORAGE_FAILURE);
		}
		emit_failed(c, ev[i], error);
	}
	return granted;
}

static bool pair_read(struct core *c, bool txn, unsigned reader, const char *person,
		      const char *credential, const char *detail, struct event *extra,
		      struct core_decision *dec, enum reason *ret_reason);

/*
 * The one access event that ends an attempt, with the facts as they were
 * at its badge; then the lock moves (or the reader signals the denial),
 * then subscribers hear of it. With check the PIN was compared (reason is
 * then the rule's); without, reason is the outcome (pin_required ...). A
 * duress PIN grants exactly as the PIN does, and alarm.duress commits in
 * the same transaction as the grant. Once the core stops, nothing is
 * granted: an attempt still open is denied pin_required (a duress PIN
 * still raises its alarm).
 */
static void pin_decide(struct core *c, const struct pin_attempt *a, enum reason reason,
		       const enum pin_check *check)
{
	const struct reader_config *rc = &c->cfg->readers[a->reader];
	const struct door_config *dc = &c->cfg->doors[rc->door_index];
	bool duress = check && *check == PIN_CHECK_DURESS;
	bool txn = decision_begin(c), granted;
	struct event access = {0}, alarm = {0}, violation = {0};
	struct event *ev[3] = {&access, &alarm, &violation};
	size_t n = duress ? 2 : 1;
	unsigned wrong = 0;
	char *detail;

	if (c->stopping) {
		check = NULL;
		reason = REASON_PIN_REQUIRED;
	}
	if (check)
		reason = pin_count(c, a, *check, txn, &wrong);
	/*
	 * The person's facts are those at the badge, but a door a guard has set
	 * locked since lets no one in: its mode is read now (memory, not slow).
	 */
	if (reason == REASON_NONE && c->modes[rc->door_index].effective == POLICY_DOOR_LOCKED)
		reason = REASON_DOOR_LOCKED;
	/* So are a lockdown, a threat level and an interlock that began meanwhile. */
	if (reason == REASON_NONE)
		reason = site_recheck(c, rc->door_index, a->person);
	/* The PIN passed: the waits for another person come last (a duress alarm commits too). */
	if (reason == REASON_NONE) {
		struct core_decision pdec = {0};
		struct event early = {.ts_ms = clock_wall(c),
				      .kind = "alarm.duress",
				      .door = dc->name,
				      .reader = rc->name,
				      .zone = dc->zone,
				      .person = a->person,
				      .credential = a->credential[0] ? a->credential : NULL};
		enum reason pr;

		if (pair_read(c, txn, a->reader, a->person, a->credential, a->detail,
			      duress ? &early : NULL, &pdec, &pr))
			return;
		reason = pr;
	}
	granted = reason == REASON_NONE;
	detail = pin_detail(a->detail, reason == REASON_WRONG_PIN ? wrong : 0);

	access.ts_ms = clock_wall(c);
	access.kind = granted ? "access.granted" : "access.denied";
	access.door = dc->name;
	access.reader = rc->name;
	access.zone = dc->zone;
	access.person = a->person;
	access.credential = a->credential[0] ? a->credential : NULL;
	access.reason = granted ? NULL : reason_to_string(reason);
	access.detail = detail ? detail : a->detail;
	/* Nothing in the grant tells a duress PIN: the alarm is its own event, for guards. */
	alarm = access;
	alarm.kind = "alarm.duress";
	alarm.reason = NULL;
	alarm.detail = NULL;

	c->holding = true;
	if (txn && granted) {
		int moved = area_on_grant(c, rc, &access, &violation);

		if (moved < 0) {
			/* The rows could not be written: the event goes the way of every other. */
			(void)store_rollback(c->store);
			txn = false;
		} else if (moved) {
			ev[n++] = &violation;
		}
	}
	if (!txn || decision_commit_n(c, ev, n) < 0) {
		for (size_t i = 0; i < n; i++) {
			int error;

			/* A violation belongs to a grant: none once the grant could not be kept. */
			if (ev[i] == &violation && !granted)
				continue;
			error = emit_try(c, ev[i]);

			if (error >= 0)
				continue;
			/* No grant that cannot be recorded, unless the site chose otherwise. */
			if (ev[i] == &access && granted && !c->cfg->storage_failure_grant) {
				granted = false;
				access.kind = "access.denied";
				access.reason = reason_to_string(REASON_STORAGE_FAILURE);
			}
			emit_failed(c, ev[i], error);
		}
	}
	free(detail);
	if (granted) {
		door_grant(&c->doors[rc->door_index], clock_mono(c));
		rearm_door(c, rc->door_index);
	} else {
		deny_feedback(c, rc->door_index);
	}
	held_release(c);
}

/* A PIN check for the worker thread: a copy of all it needs, freed by pin_job_done. */
struct pin_job {
	struct core *core;
	struct pin_attempt attempt;
	char pin[PIN_DIGITS_MAX + 1];
	bool duress;
	int check; /* pin_check's answer */
};

/* On the worker: only the job's own data. */
static void pin_job_run(void *data)
{
	struct pin_job *j = data;

	j->check = pin_check(j->attempt.hash, j->pin, j->duress);
	sodium_memzero(j->pin, sizeof(j->pin));
}

/* Back on the loop: the attempt's outcome. */
static void pin_job_done(void *data)
{
	struct pin_job *j = data;
	enum pin_check check = j->check == PIN_CHECK_OK	      ? PIN_CHECK_OK
			       : j->check == PIN_CHECK_DURESS ? PIN_CHECK_DURESS
							      : PIN_CHECK_WRONG;

	if (j->core->pin_checks[j->attempt.reader])
		j->core->pin_checks[j->attempt.reader]--;
	/* A hash that is not ours (a broken row) fails closed. */
	if (j->check < 0)
		pin_decide(j->core, &j->attempt, REASON_INTERNAL_ERROR, NULL);
	else
		pin_decide(j->core, &j->attempt, REASON_NONE, &check);
	sodium_memzero(j, sizeof(*j));
	free(j);
}

/* worker_drain's match: the checks of one reader. */
static bool pin_job_at_reader(void *data, void *userdata)
{
	const struct pin_job *j = data;

	return j->attempt.reader == *(const unsigned *)userdata;
}

/* # ended a PIN: it is checked off the loop, so no other reader waits for the hash. */
static void pin_check_submit(struct core *c, const struct pin_attempt *a, const char *pin)
{
	struct pin_job *j = calloc(1, sizeof(*j));

	if (!j) {
		pin_decide(c, a, REASON_INTERNAL_ERROR, NULL);
		return;
	}
	j->core = c;
	j->attempt = *a;
	snprintf(j->pin, sizeof(j->pin), "%s", pin);
	j->duress = c->cfg->duress_plus_one;
	j->check = -ECANCELED; /* a job dropped unrun fails closed */
	if (!c->pin_worker) {
		pin_job_run(j);
		pin_job_done(j);
		return;
	}
	if (worker_submit(c->pin_worker, j, pin_job_run, pin_job_done) == 0) {
		c->pin_checks[a->reader]++;
		return;
	}
	/* AEOGATE_WORKER_QUEUE_MAX checks already wait: fail closed rather than queue more. */
	sodium_memzero(j, sizeof(*j));
	free(j);
	pin_decide(c, a, REASON_INTERNAL_ERROR, NULL);
}

/* A key from the reader's keypad (HAL_READ_KEY). */
static void pin_key(struct core *c, unsigned reader, int key)
{
	static const enum pin_check wrong = PIN_CHECK_WRONG;
	struct pin_attempt a;
	char pin[PIN_DIGITS_MAX + 1] = "";

	switch (pinpad_key(&c->pinpad, reader, key, clock_mono(c), &a, pin)) {
	case PINPAD_MORE:
	case PINPAD_DROPPED:
		break;
	case PINPAD_TIMEOUT:
		pin_decide(c, &a, REASON_PIN_REQUIRED, NULL);
		break;
	case PINPAD_WRONG:
		pin_decide(c, &a, REASON_NONE, &wrong);
		break;
	case PINPAD_CHECK:
		pin_check_submit(c, &a, pin);
		break;
	}
	sodium_memzero(pin, sizeof(pin));
	sodium_memzero(&a, sizeof(a));
	pin_rearm(c, reader);
}

/*
 * The PIN facts at the badge: denied at once pin_required (no PIN
 * enrolled) or pin_locked; else *ret_wait and REASON_NONE, the row in
 * *ret. A lookup that fails denies.
 */
static enum reason pin_badge(struct core *c, const char *person, struct pin_row *ret,
			     bool *ret_wait)
{
	struct pin_state st = {0};
	enum reason reason;
	int r = store_pin_get(c->store, person, ret);

	if (r < 0 && r != -ENOENT)
		return REASON_INTERNAL_ERROR;
	if (r == 0) {
		st.enrolled = true;
		st.locked = ret->locked;
	}
	reason = pin_rule_badge(&st);
	*ret_wait = reason == REASON_NONE;
	return reason;
}

/*
 * The badge waits on its reader for the PIN; one that waited there before
 * is denied pin_required now (a second badge replaces the first).
 */
static void pin_wait(struct core *c, unsigned reader, const struct core_decision *dec,
		     const char *hash, const char *detail)
{
	struct pin_attempt a = {.reader = reader}, replaced;

	snprintf(a.person, sizeof(a.person), "%s", dec->person);
	snprintf(a.credential, sizeof(a.credential), "%s", dec->credential);
	snprintf(a.hash, sizeof(a.hash), "%s", hash);
	if (!detail || strlen(detail) >= sizeof(a.detail))
		detail = "{}";
	snprintf(a.detail, sizeof(a.detail), "%s", detail);
	if (pinpad_badge(&c->pinpad, &a, clock_mono(c), c->cfg->pin_timeout_ms, &replaced))
		pin_decide(c, &replaced, REASON_PIN_REQUIRED, NULL);
	pin_rearm(c, reader);
	sodium_memzero(&a, sizeof(a));
}

static int on_pin_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct door_timer_ctx *t = userdata;
	struct pin_attempt a;

	if (pinpad_expire(&t->core->pinpad, t->index, clock_mono(t->core), false, &a))
		pin_decide(t->core, &a, REASON_PIN_REQUIRED, NULL);
	pin_rearm(t->core, t->index);
	return 0;
}

static int pin_timer_add(struct core *c, sd_event *e, unsigned i)
{
	int r;

	c->pin_timer_ctx[i] = (struct door_timer_ctx){.core = c, .index = i};
	r = sd_event_add_time(e, &c->pin_timers[i], CLOCK_MONOTONIC, UINT64_MAX, 0, on_pin_timer,
			      &c->pin_timer_ctx[i]);
	if (r < 0)
		return r;
	sd_event_source_set_enabled(c->pin_timers[i], SD_EVENT_OFF);
	return 0;
}

/* A timer per reader for its waiting badge, and the thread that checks PINs. */
static int pin_start(struct core *c, sd_event *e)
{
	for (size_t i = 0; i < c->cfg->n_readers; i++) {
		int r = pin_timer_add(c, e, (unsigned)i);

		if (r < 0)
			return r;
	}
	/* Without a thread PINs are checked inline; main tells the journal. */
	if (worker_new(e, &c->pin_worker) < 0)
		c->pin_worker = NULL;
	return 0;
}

/*
 * At stop, before the locks: checks under way finish (worker_free answers
 * them) and every attempt still open is denied pin_required.
 */
static void pin_stop(struct core *c)
{
	struct pin_attempt a;

	c->stopping = true;
	worker_free(c->pin_worker);
	c->pin_worker = NULL;
	for (size_t i = 0; i < c->cfg->n_readers; i++) {
		if (pinpad_expire(&c->pinpad, (unsigned)i, clock_mono(c), true, &a))
			pin_decide(c, &a, REASON_PIN_REQUIRED, NULL);
		pin_rearm(c, (unsigned)i);
	}
}

/* ---- two-person rule and escort: the waits for another person ---- */

static void pair_rearm(struct core *c, unsigned door)
{
	sd_event_source *t = door < c->cfg->n_doors ? c->pair_timers[door] : NULL;
	int64_t at;

	if (!t)
		return;
	at = two_person_deadline(&c->pairs, door);
	if (!at) {
		sd_event_source_set_enabled(t, SD_EVENT_OFF);
		return;
	}
	sd_event_source_set_time(t, (uint64_t)at * 1000);
	sd_event_source_set_enabled(t, SD_EVENT_ONESHOT);
}

/* An access event of attempt a at its reader, now. */
static void pair_event(struct core *c, struct event *e, const struct two_person_attempt *a,
		       const char *kind, enum reason reason, const char *detail)
{
	const struct reader_config *rc = &c->cfg->readers[a->reader];
	const struct door_config *dc = &c->cfg->doors[rc->door_index];

	*e = (struct event){
	    .ts_ms = clock_wall(c),
	    .kind = kind,
	    .door = dc->name,
	    .reader = rc->name,
	    .zone = dc->zone,
	    .person = a->person,
	    .credential = a->credential[0] ? a->credential : NULL,
	    .reason = reason == REASON_NONE ? NULL : reason_to_string(reason),
	    .detail = detail,
	};
}

/* An attempt that waited in vain (its window ran out, it was replaced, the core stops). */
static void pair_deny(struct core *c, const struct two_person_attempt *a, bool txn)
{
	struct event e;
	struct event *ev[1] = {&e};

	pair_event(c, &e, a, "access.denied", two_person_reason(a->awaiting), a->detail);
	c->holding = true;
	(void)outcome_commit(c, txn, ev, 1);
	deny_feedback(c, c->cfg->readers[a->reader].door_index);
	held_release(c);
}

/*
 * a now waits at its door: access.pending (detail.awaiting) is recorded,
 * the lock stays. One that waited there before and that a could not
 * complete is denied in the same transaction; extra (a duress alarm) too.
 */
static void pair_wait(struct core *c, bool txn, const struct two_person_attempt *a,
		      const struct two_person_attempt *replaced, struct event *extra,
		      struct core_decision *dec)
{
	const char *awaiting = two_person_await_name(a->awaiting);
	char *detail = detail_with(a->detail, "awaiting", json_string(awaiting));
	struct event denied, pending;
	struct event *ev[3];
	size_t n = 0;

	if (replaced) {
		pair_event(c, &denied, replaced, "access.denied",
			   two_person_reason(replaced->awaiting), replaced->detail);
		ev[n++] = &denied;
	}
	pair_event(c, &pending, a, "access.pending", REASON_NONE, detail ? detail : a->detail);
	ev[n++] = &pending;
	if (extra)
		ev[n++] = extra;
	c->holding = true;
	(void)outcome_commit(c, txn, ev, n);
	free(detail);
	held_release(c);
	pair_rearm(c, c->cfg->readers[a->reader].door_index);
	dec->granted = false;
	dec->pending = true;
	dec->awaiting = awaiting;
	dec->reason = REASON_NONE;
	dec->seq = pending.seq;
}

/*
 * b completes first's wait: two access.granted events, each naming the
 * other in detail.with, committed together before the one unlock. A door
 * a guard set locked meanwhile lets neither in.
 */
static void pair_complete(struct core *c, bool txn, const struct two_person_attempt *first,
			  const struct two_person_attempt *b, struct event *extra,
			  struct core_decision *dec)
{
	unsigned door = c->cfg->readers[b->reader].door_index;
	enum reason reason =
	    c->modes[door].effective == POLICY_DOOR_LOCKED ? REASON_DOOR_LOCKED : REASON_NONE;
	const char *kind;
	char *d1 = detail_with(first->detail, "with", json_string(b->person));
	char *d2 = detail_with(b->detail, "with", json_string(first->person));
	struct event e1, e2, v1 = {0}, v2 = {0};
	struct event *ev[5] = {&e1, &e2};
	size_t n = 2;
	bool granted;

	/* A lockdown, a threat level or an interlock that began during the wait holds both. */
	if (reason == REASON_NONE)
		reason = site_recheck(c, door, first->person);
	if (reason == REASON_NONE)
		reason = site_recheck(c, door, b->person);
	kind = reason == REASON_NONE ? "access.granted" : "access.denied";
	pair_event(c, &e1, first, kind, reason, d1 ? d1 : first->detail);
	pair_event(c, &e2, b, kind, reason, d2 ? d2 : b->detail);
	if (extra)
		ev[n++] = extra;
	c->holding = true;
	/* Both go in: where everyone is moves with the grants, in their transaction. */
	if (txn && reason == REASON_NONE) {
		int m1 = area_on_grant(c, &c->cfg->readers[first->reader], &e1, &v1);
		int m2 = m1 < 0 ? m1 : area_on_grant(c, &c->cfg->readers[b->reader], &e2, &v2);

		if (m1 < 0 || m2 < 0) {
			/* The rows could not be written: the events go the way of every other. */
			(void)store_rollback(c->store);
			txn = false;
		} else {
			if (m1)
				ev[n++] = &v1;
			if (m2)
				ev[n++] = &v2;
		}
	}
	granted = outcome_commit(c, txn, ev, n) && reason == REASON_NONE;
	free(d1);
	free(d2);
	if (granted) {
		door_grant(&c->doors[door], clock_mono(c));
		rearm_door(c, door);
	} else {
		deny_feedback(c, door);
	}
	held_release(c);
	pair_rearm(c, door);
	if (granted)
		door_first_person(c, door);
	dec->granted = granted;
	dec->pending = false;
	dec->reason = granted		      ? REASON_NONE
		      : reason != REASON_NONE ? reason
					      : REASON_STORAGE_FAILURE;
	dec->seq = e2.seq;
}

/*
 * The last rule of a read that passed every other one (README, "Decisions
 * and denial reasons"): at a door into a two-person or escort zone (an
 * "in" reader) the badge waits for, or completes, another person's. Returns
 * true when it did (the outcome is recorded and the door acted on; *dec
 * says which); false when the badge is decided alone, with *ret_reason a
 * denial when the zone's rules or the person's kind could not be read.
 */
static bool pair_read(struct core *c, bool txn, unsigned reader, const char *person,
		      const char *credential, const char *detail, struct event *extra,
		      struct core_decision *dec, enum reason *ret_reason)
{
	const struct reader_config *rc = &c->cfg->readers[reader];
	const struct door_config *dc = &c->cfg->doors[rc->door_index];
	struct two_person_attempt a = {.reader = reader}, other;
	struct two_person_rules rules;
	struct zone_pairing z;
	bool replaced;
	int v;

	*ret_reason = REASON_NONE;
	if (!c->store || strcmp(rc->direction, "in"))
		return false;
	if (store_zone_pairing_get(c->store, dc->zone, &z) < 0) {
		*ret_reason = REASON_INTERNAL_ERROR;
		return false;
	}
	if (!z.two_person && !z.escort)
		return false;
	v = store_visitor_is(c->store, person);
	if (v < 0) {
		*ret_reason = REASON_INTERNAL_ERROR;
		return false;
	}
	/* Stopping: no one waits any more, and whoever would have waited does not pass alone. */
	if (c->stopping && ((v == 1 && z.escort) || z.two_person)) {
		*ret_reason =
		    v == 1 && z.escort ? REASON_ESCORT_REQUIRED : REASON_TWO_PERSON_TIMEOUT;
		return false;
	}
	rules = (struct two_person_rules){z.two_person, z.two_person_window_ms, z.escort,
					  z.escort_window_ms};
	a.visitor = v == 1;
	snprintf(a.person, sizeof(a.person), "%s", person);
	snprintf(a.credential, sizeof(a.credential), "%s", credential ? credential : "");
	if (!detail || strlen(detail) >= sizeof(a.detail))
		detail = "{}";
	snprintf(a.detail, sizeof(a.detail), "%s", detail);
	switch (two_person_badge(&c->pairs, rc->door_index, &a, &rules, clock_mono(c), &other,
				 &replaced)) {
	case TWO_PERSON_PASS:
		return false;
	case TWO_PERSON_WAIT:
		pair_wait(c, txn, &a, replaced ? &other : NULL, extra, dec);
		return true;
	case TWO_PERSON_COMPLETE:
		pair_complete(c, txn, &other, &a, extra, dec);
		return true;
	}
	*ret_reason = REASON_INTERNAL_ERROR;
	return false;
}

static int on_pair_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct door_timer_ctx *t = userdata;
	struct two_person_attempt a;

	if (two_person_expire(&t->core->pairs, t->index, clock_mono(t->core), false, &a))
		pair_deny(t->core, &a, decision_begin(t->core));
	pair_rearm(t->core, t->index);
	return 0;
}

static int pair_timer_add(struct core *c, sd_event *e, unsigned i)
{
	int r = sd_event_add_time(e, &c->pair_timers[i], CLOCK_MONOTONIC, UINT64_MAX, 0,
				  on_pair_timer, &c->timer_ctx[i]);

	if (r < 0)
		return r;
	sd_event_source_set_enabled(c->pair_timers[i], SD_EVENT_OFF);
	return 0;
}

/* A timer per door for the badge waiting there. */
static int pair_start(struct core *c, sd_event *e)
{
	for (size_t i = 0; i < c->cfg->n_doors; i++) {
		int r = pair_timer_add(c, e, (unsigned)i);

		if (r < 0)
			return r;
	}
	return 0;
}

/* At stop, before the locks: every badge still waiting is denied with its timeout reason. */
static void pair_stop(struct core *c)
{
	struct two_person_attempt a;

	for (size_t i = 0; i < c->cfg->n_doors; i++) {
		if (two_person_expire(&c->pairs, (unsigned)i, clock_mono(c), true, &a))
			pair_deny(c, &a, decision_begin(c));
		pair_rearm(c, (unsigned)i);
	}
}

/* The person's levels that include the door's zone, each with its schedule's intervals. */
struct read_levels {
	struct calendar *calendar;
	struct policy_level levels[AEOGATE_LEVELS_PER_PERSON_MAX];
	size_t n;
	bool scheduled; /* one of them has a schedule: the moment is needed */
};

static int read_level_cb(const char *schedule, void *userdata)
{
	struct read_levels *rl = userdata;
	struct policy_level *l;

	if (rl->n == sizeof(rl->levels) / sizeof(rl->levels[0]))
		return -E2BIG;
	l = &rl->levels[rl->n++];
	*l = (struct policy_level){0};
	if (!schedule)
		return 0;
	rl->scheduled = true;
	/* A schedule the calendar does not know (or a stale calendar) denies: fail closed. */
	return calendar_find(rl->calendar, schedule, &l->schedule, &l->n_intervals);
}

/*
 * The levels facts: one query names the person's levels for the zone and
 * their schedules; the intervals and holidays come from the calendar in
 * memory, and the local moment is computed only when a schedule applies.
 */
static enum reason load_levels(struct core *c, const char *zone, const char *person,
			       struct read_levels *rl, struct schedule_moment *moment,
			       struct policy_facts *f)
{
	int r;

	calendar_refresh(c);
	rl->calendar = c->calendar;
	r = store_person_zone_schedules(c->store, person, zone, read_level_cb, rl);
	if (r < 0)
		return REASON_INTERNAL_ERROR;
	f->levels_known = true;
	f->levels = rl->levels;
	f->n_levels = rl->n;
	/* No moment leaves f->moment NULL, and a level with a schedule then denies. */
	if (rl->scheduled && calendar_moment(c->calendar, f->now_ms, moment) == 0)
		f->moment = moment;
	return REASON_NONE;
}

static enum reason load_site(struct core *c, unsigned door, const char *person,
			     struct policy_facts *f);

void core_reader_read(struct core *c, unsigned reader_index, const struct hal_read *r,
		      struct core_decision *ret)
{
	const struct reader_config *rc = &c->cfg->readers[reader_index];
	const struct door_config *dc = &c->cfg->doors[rc->door_index];
	struct core_decision dec = {0};
	struct credential_candidates cand, matched = {0};
	struct credential cred, creds[AEOGATE_FORMATS_MAX];
	const char *holders[AEOGATE_FORMATS_MAX];
	struct person person;
	struct read_levels levels;
	struct schedule_moment moment;
	struct policy_facts facts = {.now_ms = clock_wall(c)};
	struct area_facts area;
	struct event e = {0}, violation = {0};
	struct event *ev[2] = {&e, &violation};
	size_t n = 1;
	struct pin_row pin;
	char *detail;
	enum reason reason;
	bool txn, wait = false, together = false;
	uint64_t t0 = metrics_now_ns();
	int error;

	if (r->kind == HAL_READ_KEY) {
		pin_key(c, reader_index, r->key);
		return;
	}

	txn = decision_begin(c);
	reason = credential_from_read(r, rc->formats_mask, &cand);
	if (reason == REASON_NONE) {
		/* Two formats can fit one frame: the badge is whichever one was enrolled. */
		for (size_t i = 0; i < cand.n; i++) {
			int q = c->store ? store_credential_get(c->store, cand.creds[i],
								&creds[matched.n])
					 : -ENODEV;
			if (q == 0) {
				memcpy(matched.creds[matched.n], cand.creds[i],
				       sizeof(cand.creds[0]));
				holders[matched.n] = creds[matched.n].person;
				matched.n++;
			} else if (q != -ENOENT) {
				reason = REASON_INTERNAL_ERROR;
				break;
			}
		}
	}
	if (reason == REASON_NONE && matched.n > 1) {
		/* The frame could be either badge: name both, attribute it to neither. */
		reason = REASON_AMBIGUOUS_CREDENTIAL;
		if (wiegand_raw_to_string(r->bits, r->nbits, cand.creds[0], sizeof(cand.creds[0])) <
		    0)
			cand.n = 0;
	} else if (reason == REASON_NONE && matched.n == 1) {
		cred = creds[0];
		memmove(cand.creds[0], matched.creds[0], sizeof(cand.creds[0]));
		facts.credential = &cred;
		if (store_person_get(c->store, cred.person, &person) == 0)
			facts.person = &person;
		levels.n = 0;
		levels.scheduled = false;
		reason = load_levels(c, dc->zone, cred.person, &levels, &moment, &facts);
		if (reason == REASON_NONE)
			reason = load_vetting(c->store, dc->zone, cred.person, &facts);
		if (reason == REASON_NONE)
			reason = area_load(c->store, dc->zone, reader_out(rc), cred.person, &area);
		facts.area = &area;
		if (reason == REASON_NONE)
			reason = load_site(c, rc->door_index, cred.person, &facts);
		facts.door_mode = c->modes[rc->door_index].effective;
		if (reason == REASON_NONE)
			reason = policy_decide(&facts);
		/* Card + PIN: the badge alone never opens; its reader waits for the PIN. */
		if (reason == REASON_NONE && facts.door_mode == POLICY_DOOR_CARD_AND_PIN)
			reason = pin_badge(c, cred.person, &pin, &wait);
	} else if (reason == REASON_NONE) {
		reason = REASON_UNKNOWN_CREDENTIAL;
	}

	dec.granted = reason == REASON_NONE && !wait;
	dec.pending = wait;
	dec.reason = reason;
	if (cand.n)
		snprintf(dec.credential, sizeof(dec.credential), "%s", cand.creds[0]);
	if (matched.n == 1)
		snprintf(dec.person, sizeof(dec.person), "%s", cred.person);

	detail = read_detail(rc, r, matched.n > 1 ? &matched : NULL, holders);
	if (dec.granted) {
		enum reason pr;

		if (pair_read(c, txn, reader_index, dec.person, dec.credential, detail, NULL, &dec,
			      &pr)) {
			free(detail);
			c->last = dec;
			if (ret)
				*ret = dec;
			return;
		}
		if (pr != REASON_NONE) {
			dec.granted = false;
			reason = dec.reason = pr;
		}
	}
	if (wait) {
		dec.awaiting = "pin";
		/* Nothing is decided yet, so nothing is recorded: the outcome is its own event. */
		if (txn)
			(void)store_rollback(c->store);
		pin_wait(c, reader_index, &dec, pin.hash, detail);
		sodium_memzero(&pin, sizeof(pin));
		free(detail);
		c->last = dec;
		if (ret)
			*ret = dec;
		return;
	}
	e.kind = dec.granted ? "access.granted" : "access.denied";
	e.door = dc->name;
	e.reader = rc->name;
	e.zone = dc->zone;
	e.person = matched.n == 1 ? dec.person : NULL;
	e.credential = cand.n ? dec.credential : NULL;
	e.reason = dec.granted ? NULL : reason_to_string(reason);
	e.detail = detail;

	/*
	 * The event is committed (or queued, if storage fails) before the lock
	 * moves; subscribers (alarms, checkpoints, followers) hear of it after.
	 */
	e.ts_ms = facts.now_ms;
	c->holding = true;
	if (txn && dec.granted) {
		int moved = area_on_grant(c, rc, &e, &violation);

		if (moved < 0) {
			/* The rows could not be written: the event goes the way of every other. */
			(void)store_rollback(c->store);
			txn = false;
		}
		n += moved > 0;
	}
	if (txn && n > 1) {
		together = decision_commit_n(c, ev, n) == 0;
		error = together ? 0 : emit_try(c, &e);
	} else {
		error = txn ? decision_commit(c, &e) : emit_try(c, &e);
	}
	if (error < 0) {
		/* No grant that cannot be recorded, unless the site chose otherwise. */
		if (dec.granted && !c->cfg->storage_failure_grant) {
			dec.granted = false;
			dec.reason = REASON_STORAGE_FAILURE;
			e.kind = "access.denied";
			e.reason = reason_to_string(dec.reason);
		}
		emit_failed(c, &e, error);
	}
	/* The violation's own event: stored with the grant, or after it the ordinary way. */
	if (n > 1 && !together && dec.granted)
		core_emit(c, &violation);
	free(detail);
	dec.seq = e.seq;
	if (dec.granted) {
		door_grant(&c->doors[rc->door_index], clock_mono(c));
		rearm_door(c, rc->door_index);
	} else {
		deny_feedback(c, rc->door_index);
	}
	metrics_decision(&c->metrics, dec.granted, dec.granted ? REASON_NONE : dec.reason,
			 metrics_now_ns() - t0);
	held_release(c);
	if (dec.granted)
		door_first_person(c, rc->door_index);
	c->last = dec;
	if (ret)
		*ret = dec;
}

const struct decision_metrics *core_metrics(struct core *c)
{
	return &c->metrics;
}

const struct core_decision *core_last_decision(struct core *c)
{
	return &c->last;
}

/* ---- HAL callbacks ---- */

/*
 * A backend reports only for what is open, and a reload closes a reader
 * or door before its slot goes: one that still reported here would be
 * dropped, never taken for the slot's next tenant.
 */
static bool reader_gone(struct core *c, unsigned i)
{
	return i >= c->cfg->n_readers || c->cfg->readers[i].removed;
}

static void on_read(void *userdata, unsigned reader_index, const struct hal_read *r)
{
	if (reader_gone(userdata, reader_index))
		return;
	core_reader_read(userdata, reader_index, r, NULL);
}

static bool interlock_rex_wait(struct core *c, unsigned door);

static void on_input(void *userdata, unsigned door_index, enum hal_input in, bool active)
{
	struct core *c = userdata;
	const struct door_config *dc = &c->cfg->doors[door_index];
	struct door *d = &c->doors[door_index];
	int64_t now = clock_mono(c);

	if (door_index >= c->cfg->n_doors || c->cfg->doors[door_index].removed)
		return;
	if (c->starting)
		return; /* core_start reads the initial levels itself */

	switch (in) {
	case HAL_INPUT_CONTACT:
		door_contact(d, active, now);
		interlock_soon(c);
		break;
	case HAL_INPUT_REX:
		/* Held by its interlock group: the button waits for the other door. */
		if (active && interlock_rex_wait(c, door_index))
			break;
		if (active) {
			struct event e = {.kind = "door.rex", .door = dc->name, .zone = dc->zone};
			core_emit(c, &e);
			door_rex(d, now);
		}
		break;
	case HAL_INPUT_TAMPER: {
		struct event e = {.kind = active ? "alarm.tamper" : "alarm.tamper_restored",
				  .door = dc->name,
				  .zone = dc->zone};
		core_emit(c, &e);
		break;
	}
	default:
		break;
	}
	rearm_door(c, door_index);
}

static void on_reader_status(void *userdata, unsigned reader_index, bool online, const char *why)
{
	struct core *c = userdata;
	const struct reader_config *rc;
	const struct door_config *dc;
	json_t *d;
	char *detail;
	struct event e = {.kind = online ? "reader.online" : "reader.offline"};

	if (reader_gone(c, reader_index))
		return;
	rc = &c->cfg->readers[reader_index];
	dc = &c->cfg->doors[rc->door_index];
	d = json_pack("{s:s}", "why", why ? why : "");
	detail = d ? json_dumps(d, JSON_COMPACT) : NULL;
	e.door = dc->name;
	e.reader = rc->name;
	e.zone = dc->zone;
	e.detail = detail;
	c->readers[reader_index].online = online;
	core_emit(c, &e);
	free(detail);
	json_decref(d);
}

/* An event a reader backend reports itself (OSDP secure channel, key set, tamper). */
static void on_reader_event(void *userdata, unsigned reader_index, const char *kind,
			    const char *detail)
{
	struct core *c = userdata;
	const struct reader_config *rc = &c->cfg->readers[reader_index];
	const struct door_config *dc = &c->cfg->doors[rc->door_index];
	struct event e = {
	    .kind = kind, .door = dc->name, .reader = rc->name, .zone = dc->zone, .detail = detail};

	if (reader_gone(c, reader_index))
		return;
	core_emit(c, &e);
}

static void on_noise(void *userdata, unsigned reader_index, const char *reason, size_t nbits)
{
	struct core *c = userdata;
	const struct reader_config *rc = &c->cfg->readers[reader_index];
	const struct door_config *dc = &c->cfg->doors[rc->door_index];
	char detail[48];
	struct event e = {.kind = "reader.noise",
			  .door = dc->name,
			  .reader = rc->name,
			  .zone = dc->zone,
			  .reason = reason,
			  .detail = detail};

	if (reader_gone(c, reader_index))
		return;
	snprintf(detail, sizeof(detail), "{\"bits\":%zu}", nbits);
	core_emit(c, &e);
}

/* ---- wall-clock jumps (DESIGN.md invariant 5) ---- */

int64_t core_clock_jump(int64_t before_offset, int64_t wall_ms, int64_t mono_ms)
{
	return (wall_ms - mono_ms) - before_offset;
}

static int arm_clock_fd(struct core *c)
{
	/* Never expires; it exists to be cancelled when the clock is set. */
	struct itimerspec its = {.it_value = {.tv_sec = INT32_MAX}};

	if (timerfd_settime(c->clock_fd, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, &its, NULL) <
	    0)
		return -errno;
	return 0;
}

static int on_clock_set(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct core *c = userdata;
	uint64_t n;
	int64_t wall = clock_wall(c), mono = clock_mono(c);
	int64_t delta = core_clock_jump(c->wall_minus_mono, wall, mono);
	char detail[160], from[32], to[32];

	(void)!read(fd, &n, sizeof(n)); /* ECANCELED: the clock was set */
	arm_clock_fd(c);
	c->wall_minus_mono = wall - mono;
	/* Small corrections are NTP doing its job; a step is a record of its own. */
	if (delta > -CORE_CLOCK_JUMP_MS && delta < CORE_CLOCK_JUMP_MS)
		return 0;
	time_format_ms(wall - delta, from, sizeof(from));
	time_format_ms(wall, to, sizeof(to));
	/* Whether a time service vouches for the new time tells a correction from tampering. */
	snprintf(detail, sizeof(detail),
		 "{\"clock_synced\":%s,\"delta_ms\":%lld,\"from\":\"%s\",\"to\":\"%s\"}",
		 clock_synced() > 0 ? "true" : "false", (long long)delta, from, to);
	struct event e = {.ts_ms = wall, .kind = "clock.jump", .detail = detail};
	core_emit(c, &e);
	return 0;
}

static int watch_clock(struct core *c, sd_event *e)
{
	int r;

	c->wall_minus_mono = clock_wall(c) - clock_mono(c);
	c->clock_fd = timerfd_create(CLOCK_REALTIME, TFD_CLOEXEC | TFD_NONBLOCK);
	if (c->clock_fd < 0)
		return -errno;
	r = arm_clock_fd(c);
	if (r < 0)
		return r;
	return sd_event_add_io(e, &c->clock_src, c->clock_fd, EPOLLIN, on_clock_set, c);
}

/* ---- life cycle ---- */

int core_new(const struct config *cfg, const struct core_clock *clock, struct core **ret)
{
	struct core *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	c->cfg = cfg;
	c->clock = *clock;
	c->hal_cb = (struct hal_callbacks){
	    .userdata = c,
	    .read = on_read,
	    .input = on_input,
	    .reader_status = on_reader_status,
	    .noise = on_noise,
	    .reader_event = on_reader_event,
	};
	c->door_hooks = (struct door_hooks){
		.userdata = c,
		.set_lock = hook_set_lock,
		.emit = hook_emit,
	};
	for (size_t i = 0; i < cfg->n_doors; i++)
		door_init(&c->doors[i], (unsigned)i, cfg->doors[i].strike_time_ms,
			  cfg->doors[i].held_time_ms, &c->door_hooks);
	memcpy(c->chain.hash, AUDIT_GENESIS, EVENT_HASH_HEX);
	c->clock_fd = -1;
	if (calendar_new(&c->calendar) < 0) {
		free(c);
		return -ENOMEM;
	}
	*ret = c;
	return 0;
}

int core_lock_all(struct core *c)
{
	int first_error = 0;

	for (size_t i = 0; i < c->cfg->n_doors; i++) {
		int r = hal_door_open(&c->hal_doors[i], (unsigned)i, &c->cfg->doors[i], &c->hal_cb);
		if (r < 0 && !first_error)
			first_error = r;
	}
	return first_error;
}

int core_attach_store(struct core *c, struct store *s)
{
	int r;

	c->store = s;
	r = audit_chain_load(&c->chain, s);
	if (r < 0)
		return r;
	for (size_t i = 0; i < c->cfg->n_doors; i++) {
		const struct door_config *d = &c->cfg->doors[i];
		if ((r = store_zone_upsert(s, d->zone)) < 0 ||
		    (r = store_door_upsert(s, d->name, d->zone)) < 0)
			return r;
	}
	for (size_t i = 0; i < c->cfg->n_readers; i++) {
		const struct reader_config *rc = &c->cfg->readers[i];
		if ((r = store_reader_upsert(s, rc->name, rc->door, reader_type_name(rc->type))) <
		    0)
			return r;
	}
	return calendar_load(c->calendar, s);
}

static int site_start(struct core *c, sd_event *e);

/* Door i's timers, its inputs and their initial levels (its lock went locked at open). */
static int door_start(struct core *c, sd_event *e, unsigned i)
{
	bool open = false;
	int r;

	c->timer_ctx[i] = (struct door_timer_ctx){.core = c, .index = i};
	r = sd_event_add_time(e, &c->door_timers[i], CLOCK_MONOTONIC, UINT64_MAX, 0, on_door_timer,
			      &c->timer_ctx[i]);
	if (r < 0)
		return r;
	sd_event_source_set_enabled(c->door_timers[i], SD_EVENT_OFF);
	r = sd_event_add_time(e, &c->feedback_timers[i], CLOCK_MONOTONIC, UINT64_MAX, 0,
			      on_feedback_timer, &c->timer_ctx[i]);
	if (r < 0)
		return r;
	sd_event_source_set_enabled(c->feedback_timers[i], SD_EVENT_OFF);
	r = hal_door_start(&c->hal_doors[i], e);
	if (r < 0)
		return r;
	if (hal_door_get_input(&c->hal_doors[i], HAL_INPUT_CONTACT, &open) == 0)
		door_set_initial_contact(&c->doors[i], open, clock_mono(c));
	rearm_door(c, i);
	return 0;
}

int core_start(struct core *c, sd_event *e)
{
	int r;

	r = watch_clock(c, e);
	if (r < 0)
		return r;
	r = sd_event_add_time(e, &c->retry_timer, CLOCK_MONOTONIC, UINT64_MAX, 0, on_retry, c);
	if (r < 0)
		return r;
	sd_event_source_set_enabled(c->retry_timer, SD_EVENT_OFF);

	c->loop = e;
	c->starting = true;
	for (size_t i = 0; i < c->cfg->n_doors; i++) {
		r = door_start(c, e, (unsigned)i);
		if (r < 0)
			goto out;
	}
	c->starting = false;
	/*
	 * Every lock went locked first; now the lockdown (so that a door it
	 * covers never releases, not even for an instant, for a stored
	 * unlocked mode), then each door takes its mode.
	 */
	r = site_start(c, e);
	if (r < 0)
		return r;
	r = door_modes_load(c, e);
	if (r < 0)
		return r;
	r = pin_start(c, e);
	if (r < 0)
		return r;
	r = pair_start(c, e);
	if (r < 0)
		return r;
	for (size_t i = 0; i < c->cfg->n_readers; i++) {
		/* A reader that cannot open now keeps retrying in its backend; it never stops the
		 * controller. */
		r = hal_reader_open(&c->readers[i], (unsigned)i, &c->cfg->readers[i], &c->hal_cb,
				    e);
		if (r < 0)
			return r;
	}
	return 0;
out:
	c->starting = false;
	return r;
}

void core_stop(struct core *c)
{
	if (!c)
		return;
	pin_stop(c);
	pair_stop(c);
	for (size_t i = 0; i < c->cfg->n_doors; i++) {
		if (c->hal_doors[i].ops)
			(void)hal_door_set_lock(&c->hal_doors[i], false);
		c->doors[i].released = false;
		c->doors[i].unlocked = false;
		c->doors[i].relock_at = 0;
	}
}

void core_free(struct core *c)
{
	if (!c)
		return;
	core_stop(c);
	for (size_t i = 0; i < c->cfg->n_readers; i++) {
		hal_reader_close(&c->readers[i]);
		sd_event_source_unref(c->pin_timers[i]);
	}
	for (size_t i = 0; i < c->cfg->n_doors; i++) {
		sd_event_source_unref(c->door_timers[i]);
		sd_event_source_unref(c->feedback_timers[i]);
		sd_event_source_unref(c->modes[i].timer);
		sd_event_source_unref(c->pair_timers[i]);
		hal_door_close(&c->hal_doors[i]);
	}
	sd_event_source_unref(c->retry_timer);
	sd_event_source_unref(c->interlock_timer);
	sd_event_source_disable_unref(c->clock_src);
	if (c->clock_fd >= 0)
		close(c->clock_fd);
	while (c->queue_len) {
		queued_free(&c->queue[c->queue_head]);
		c->queue_head = (c->queue_head + 1) % AEOGATE_EVENT_QUEUE_MAX;
		c->queue_len--;
	}
	free(c->held);
	calendar_free(c->calendar);
	free(c);
}

/* ---- reload: doors and readers added and removed (reload.h) ---- */

void core_reader_remove(struct core *c, unsigned i)
{
	struct pin_attempt a;

	if (i >= c->cfg->n_readers || c->cfg->readers[i].removed)
		return;
	/*
	 * What is under way at the reader is decided before it goes, never
	 * later against whatever takes its slot: a PIN being checked (the
	 * worker finishes it and those before it, others' checks run on), a badge
	 * waiting for its PIN (pin_required).
	 */
	if (c->pin_checks[i] && c->pin_worker)
		worker_drain(c->pin_worker, pin_job_at_reader, &i);
	c->pin_checks[i] = 0;
	if (pinpad_expire(&c->pinpad, i, clock_mono(c), true, &a))
		pin_decide(c, &a, REASON_PIN_REQUIRED, NULL);
	c->pinpad.slots[i] = (struct pinpad_slot){0};
	/* An online reader's going is on the record, as any reader going offline is. */
	if (c->readers[i].online)
		on_reader_status(c, i, false, "removed from the config");
	/* Its backend stops: a frame half received or a read not yet handed over is dropped. */
	hal_reader_close(&c->readers[i]);
	c->pin_timers[i] = sd_event_source_disable_unref(c->pin_timers[i]);
	c->readers[i] = (struct hal_reader){0};
}

int core_reader_add(struct core *c, unsigned i)
{
	int r;

	if (!c->loop || i >= c->cfg->n_readers || c->cfg->readers[i].removed)
		return -EINVAL;
	c->pinpad.slots[i] = (struct pinpad_slot){0};
	r = pin_timer_add(c, c->loop, i);
	if (r < 0)
		return r;
	r = hal_reader_open(&c->readers[i], i, &c->cfg->readers[i], &c->hal_cb, c->loop);
	if (r < 0)
		c->pin_timers[i] = sd_event_source_disable_unref(c->pin_timers[i]);
	return r;
}

void core_door_remove(struct core *c, unsigned i)
{
	const struct door_config *dc;
	struct two_person_attempt a;

	if (i >= c->cfg->n_doors || c->cfg->doors[i].removed)
		return;
	dc = &c->cfg->doors[i];
	/* A badge waiting there for a second person is denied, as at stop. */
	if (two_person_expire(&c->pairs, i, clock_mono(c), true, &a))
		pair_deny(c, &a, decision_begin(c));
	/*
	 * Locked first, and it stays so: its state machine forgets any
	 * release, so no timer or mode of it moves the lock again; closing
	 * locks once more, then gives its lines back.
	 */
	door_init(&c->doors[i], i, dc->strike_time_ms, dc->held_time_ms, &c->door_hooks);
	(void)hal_door_set_lock(&c->hal_doors[i], false);
	(void)hal_door_set_output(&c->hal_doors[i], HAL_OUTPUT_LED_GREEN, false);
	hal_door_close(&c->hal_doors[i]);
	c->door_timers[i] = sd_event_source_disable_unref(c->door_timers[i]);
	c->feedback_timers[i] = sd_event_source_disable_unref(c->feedback_timers[i]);
	c->pair_timers[i] = sd_event_source_disable_unref(c->pair_timers[i]);
	c->modes[i].timer = sd_event_source_disable_unref(c->modes[i].timer);
	c->modes[i] = (struct door_mode_slot){0};
	c->pairs.slots[i] = (struct two_person_slot){0};
	c->rex_waiting_since[i] = 0;
	c->hal_doors[i] = (struct hal_door){0};
	/* An exit button its interlock held waits no longer for this door. */
	interlock_soon(c);
}

int core_door_add(struct core *c, unsigned i)
{
	const struct door_config *dc;
	int r;

	if (!c->loop || i >= c->cfg->n_doors || c->cfg->doors[i].removed)
		return -EINVAL;
	dc = &c->cfg->doors[i];
	door_init(&c->doors[i], i, dc->strike_time_ms, dc->held_time_ms, &c->door_hooks);
	c->modes[i] = (struct door_mode_slot){0};
	c->pairs.slots[i] = (struct two_person_slot){0};
	c->rex_waiting_since[i] = 0;
	/* The safety order of a start, for one door: its lock locked before anything else. */
	r = hal_door_open(&c->hal_doors[i], i, dc, &c->hal_cb);
	if (r < 0)
		goto err;
	if (c->store && ((r = store_zone_upsert(c->store, dc->zone)) < 0 ||
			 (r = store_door_upsert(c->store, dc->name, dc->zone)) < 0))
		goto err;
	c->starting = true;
	r = door_start(c, c->loop, i);
	c->starting = false;
	if (r < 0)
		goto err;
	if ((r = pair_timer_add(c, c->loop, i)) < 0 || (r = door_mode_load(c, c->loop, i)) < 0)
		goto err;
	/* It takes its mode once the loop runs (a lockdown of its zone holds it locked). */
	door_mode_soon(c, i);
	return 0;
err:
	c->door_timers[i] = sd_event_source_disable_unref(c->door_timers[i]);
	c->feedback_timers[i] = sd_event_source_disable_unref(c->feedback_timers[i]);
	c->pair_timers[i] = sd_event_source_disable_unref(c->pair_timers[i]);
	c->modes[i].timer = sd_event_source_disable_unref(c->modes[i].timer);
	hal_door_close(&c->hal_doors[i]);
	c->hal_doors[i] = (struct hal_door){0};
	return r;
}

int core_reader_record(struct core *c, unsigned i)
{
	const struct reader_config *rc = &c->cfg->readers[i];

	return c->store
		   ? store_reader_upsert(c->store, rc->name, rc->door, reader_type_name(rc->type))
		   : 0;
}

int core_storage_news_text(const struct config *cfg, enum core_storage_news news, int error,
			   uint64_t n, char *buf, size_t len)
{
	switch (news) {
	case CORE_STORAGE_RESERVE_RELEASED:
		snprintf(buf, len,
			 "%s is full: released the %llu-byte storage reserve; events are still "
			 "stored, alarm.storage raised: make room there",
			 cfg->state_dir, (unsigned long long)n);
		return LOG_CRIT;
	case CORE_STORAGE_FAILING:
		snprintf(buf, len,
			 "storage failing (%s): alarm.storage raised; events wait in memory (at "
			 "most %d) and are published unstored; grants are %s",
			 strerror(-error), AEOGATE_EVENT_QUEUE_MAX,
			 cfg->storage_failure_grant ? "given (storage_failure = grant)"
						    : "refused (storage_failure = deny)");
		return LOG_ALERT;
	case CORE_STORAGE_RECOVERED:
		snprintf(buf, len, "storage recovered: buffered events stored, %llu lost",
			 (unsigned long long)n);
		return LOG_NOTICE;
	case CORE_STORAGE_RESERVE_RESTORED:
		snprintf(buf, len, "storage reserve of %llu bytes held again",
			 (unsigned long long)n);
		return LOG_NOTICE;
	}
	snprintf(buf, len, "storage: news %d", (int)news);
	return LOG_NOTICE;
}

/* ---- lockdown, threat level, interlock ---- */

const struct lockdown_state *core_lockdown(struct core *c)
{
	return &c->site;
}

bool core_door_locked_down(struct core *c, unsigned door)
{
	return door < c->cfg->n_doors && lockdown_covers(&c->site, c->cfg->doors[door].zone);
}

/*
 * The site's new lockdown and threat level (its rows and event already
 * committed): a door that enters the lockdown locks at once, whatever its
 * mode or release window; one that leaves it takes its effective mode
 * again (an unlocked door releases).
 */
void core_lockdown_set(struct core *c, const struct lockdown_state *s)
{
	struct lockdown_state was = c->site;

	c->site = *s;
	for (size_t i = 0; i < c->cfg->n_doors; i++) {
		const char *zone = c->cfg->doors[i].zone;
		bool now = lockdown_covers(&c->site, zone), before = lockdown_covers(&was, zone);

		if (c->cfg->doors[i].removed)
			continue;
		if (now && !before)
			door_lock_now(&c->doors[i]);
		else if (!now && before)
			door_set_unlocked(&c->doors[i],
					  c->modes[i].effective == POLICY_DOOR_UNLOCKED);
		rearm_door(c, (unsigned)i);
	}
}

/* The doors as the interlock sees them. */
static ptrdiff_t interlock_holder_of(struct core *c, unsigned door)
{
	struct interlock_door d[AEOGATE_DOORS_MAX];

	if (door >= c->cfg->n_doors || !c->cfg->doors[door].interlock[0])
		return -1;
	for (size_t i = 0; i < c->cfg->n_doors; i++)
		d[i] = (struct interlock_door){
		    .group = c->cfg->doors[i].removed ? "" : c->cfg->doors[i].interlock,
		    .open = c->doors[i].open,
		    .released = c->doors[i].released};
	return interlock_holder(d, c->cfg->n_doors, door);
}

int core_door_interlock(struct core *c, unsigned door, bool *ret_rex_waiting)
{
	if (ret_rex_waiting)
		*ret_rex_waiting = door < c->cfg->n_doors && c->rex_waiting_since[door] != 0;
	return (int)interlock_holder_of(c, door);
}

/*
 * The site facts of a read: whether the door's zone is locked down, the
 * threat level, and only when one of them can deny, the person's
 * responder mark and clearance (one lookup); whether the door's interlock
 * holds it. A lookup that fails denies.
 */
static enum reason load_site(struct core *c, unsigned door, const char *person,
			     struct policy_facts *f)
{
	struct person_site ps = {0};

	f->locked_down = core_door_locked_down(c, door);
	f->threat_level = c->site.threat_level;
	f->interlock_held = interlock_holder_of(c, door) >= 0;
	if (!f->locked_down && f->threat_level == 0)
		return REASON_NONE;
	if (store_person_site_get(c->store, person, &ps) < 0)
		return REASON_INTERNAL_ERROR;
	f->responder = ps.responder;
	f->clearance = (int)ps.clearance;
	return REASON_NONE;
}

/*
 * Card + PIN: the lockdown, threat level and interlock are read again
 * when the PIN ends the attempt, as the door's mode is. Returns the first
 * of the three rules that denies now, or REASON_NONE.
 */
static enum reason site_recheck(struct core *c, unsigned door, const char *person)
{
	struct credential cred = {.status = "active"};
	struct person p = {.status = "active"};
	struct policy_facts f = {.credential = &cred, .person = &p, .has_zone = 1};
	enum reason r;

	r = load_site(c, door, person, &f);
	if (r != REASON_NONE)
		return r;
	if ((r = rule_lockdown(&f)) != REASON_NONE || (r = rule_threat_level(&f)) != REASON_NONE)
		return r;
	return rule_interlock(&f);
}

static void interlock_rearm(struct core *c)
{
	int64_t at = 0;

	if (!c->interlock_timer)
		return;
	for (size_t i = 0; i < c->cfg->n_doors; i++) {
		int64_t due = c->rex_waiting_since[i] + AEOGATE_INTERLOCK_REX_WAIT_MS;

		if (c->rex_waiting_since[i] && (!at || due < at))
			at = due;
	}
	if (!at) {
		sd_event_source_set_enabled(c->interlock_timer, SD_EVENT_OFF);
		return;
	}
	sd_event_source_set_time(c->interlock_timer, (uint64_t)at * 1000);
	sd_event_source_set_enabled(c->interlock_timer, SD_EVENT_ONESHOT);
}

/*
 * A door's state changed: waiting exit buttons are looked at again once
 * the loop is back (not from inside the door machine that moved a lock).
 */
static void interlock_soon(struct core *c)
{
	bool any = false;

	for (size_t i = 0; i < c->cfg->n_doors && !any; i++)
		any = c->rex_waiting_since[i] != 0;
	if (!any || !c->interlock_timer)
		return;
	sd_event_source_set_time(c->interlock_timer, (uint64_t)clock_mono(c) * 1000);
	sd_event_source_set_enabled(c->interlock_timer, SD_EVENT_ONESHOT);
}

/* An exit button on a door its interlock holds: it waits (true), or goes on now (false). */
static bool interlock_rex_wait(struct core *c, unsigned door)
{
	if (interlock_holder_of(c, door) < 0)
		return false;
	if (!c->rex_waiting_since[door])
		c->rex_waiting_since[door] = clock_mono(c) ? clock_mono(c) : 1;
	interlock_rearm(c);
	return true;
}

/*
 * The waiting exit buttons: one whose door is no longer held opens it now
 * (door.rex with detail.interlock_wait_ms), one held past
 * AEOGATE_INTERLOCK_REX_WAIT_MS is dropped (door.rex_dropped). Doors are
 * taken in order and the holder is read afresh for each, so of two doors
 * waiting in one group only the first opens.
 */
static int on_interlock_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct core *c = userdata;
	int64_t now = clock_mono(c);

	for (size_t i = 0; i < c->cfg->n_doors; i++) {
		const struct door_config *dc = &c->cfg->doors[i];
		int64_t since = c->rex_waiting_since[i];
		ptrdiff_t holder;
		char detail[160];
		struct event e = {.door = dc->name, .zone = dc->zone, .detail = detail};

		if (!since)
			continue;
		holder = interlock_holder_of(c, (unsigned)i);
		switch (
		    interlock_rex_step(since, holder >= 0, now, AEOGATE_INTERLOCK_REX_WAIT_MS)) {
		case INTERLOCK_REX_WAIT:
			continue;
		case INTERLOCK_REX_OPEN:
			c->rex_waiting_since[i] = 0;
			snprintf(detail, sizeof(detail), "{\"interlock_wait_ms\":%lld}",
				 (long long)(now - since));
			e.kind = "door.rex";
			core_emit(c, &e);
			door_rex(&c->doors[i], now);
			rearm_door(c, (unsigned)i);
			break;
		case INTERLOCK_REX_DROP:
			c->rex_waiting_since[i] = 0;
			snprintf(detail, sizeof(detail),
				 "{\"held_by\":\"%s\",\"reason\":\"interlock\",\"waited_ms\":%lld}",
				 c->cfg->doors[holder].name, (long long)(now - since));
			e.kind = "door.rex_dropped";
			core_emit(c, &e);
			break;
		}
	}
	interlock_rearm(c);
	return 0;
}

static int site_zone_cb(const char *zone, void *userdata)
{
	struct lockdown_state *s = userdata;
	const char *z[] = {zone};
	int r = lockdown_lock(s, z, 1);

	return r == -EALREADY ? 0 : r;
}

/*
 * At start, after every lock went locked and before each door takes its
 * mode: the stored lockdown and threat level. A lockdown survives a
 * restart: its doors stay locked from the first moment on.
 */
static int site_start(struct core *c, sd_event *e)
{
	struct lockdown_state s = {0};
	int r = sd_event_add_time(e, &c->interlock_timer, CLOCK_MONOTONIC, UINT64_MAX, 0,
				  on_interlock_timer, c);

	if (r < 0)
		return r;
	sd_event_source_set_enabled(c->interlock_timer, SD_EVENT_OFF);
	if (!c->store)
		return 0;
	r = store_site_get(c->store, &s.site, &s.threat_level);
	if (r == 0 && !s.site)
		r = store_lockdown_zones(c->store, site_zone_cb, &s);
	if (r < 0)
		return r;
	core_lockdown_set(c, &s);
	return 0;
}
