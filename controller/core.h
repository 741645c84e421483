/* SPDX-License-Identifier: MIT */
/*
 * The controller core: owns the doors, readers, store and audit chain, and
 * runs the one-way pipeline of a badge read: hal → decode → decide → audit
 * (committed) → door (lock moves) → subscribers. Everything here runs on the
 * sd-event loop thread.
 */
#ifndef AEOGATE_CORE_H
#define AEOGATE_CORE_H

#include <stdbool.h>
#include <stdint.h>

#include "aeogate/config.h"
#include "aeogate/event.h"
#include "aeogate/hal.h"
#include "aeogate/reason.h"
#include "doormode.h"

struct sd_event;
struct store;
struct core;
struct door;

struct bus;

struct core_clock {
	int64_t (*wall_ms)(void *userdata); /* UTC ms, for records and validity */
	int64_t (*mono_ms)(void *userdata); /* CLOCK_MONOTONIC ms, for door timers */
	void *userdata;
};

/*
 * Creates the core for a loaded config. Drives no hardware yet: main calls
 * core_lock_all first (before the store exists), then core_attach_store,
 * then core_start.
 */
int core_new(const struct config *cfg, const struct core_clock *clock, struct core **ret);
void core_free(struct core *c); /* locks every door first; accepts NULL */

/* Opens every door's outputs and drives each lock to its locked level. */
int core_lock_all(struct core *c);
int core_attach_store(struct core *c, struct store *s);
/*
 * Where committed events go (controller/bus.h); NULL: nowhere. A read's
 * events are published after its lock moved.
 */
void core_set_bus(struct core *c, struct bus *b);
/* Starts inputs, readers and timers on the loop. */
int core_start(struct core *c, struct sd_event *e);
/* Locks every door (stop path); safe to call more than once. */
void core_stop(struct core *c);

/*
 * Reload (controller/reload.h). core_reader_remove and core_door_remove
 * run while the config still holds the slot: what is under way there is
 * decided (a PIN being checked, a badge waiting for its PIN or a second
 * person) with its event, then the reader closes, or the door's lock goes
 * locked and its lines are given back. core_door_add and core_reader_add
 * run once the config holds the new one at the slot: the door opens with
 * its lock locked, is recorded, starts and takes its mode; a reader opens
 * (its door added first). Negative errno: the slot is left closed.
 */
void core_reader_remove(struct core *c, unsigned reader);
void core_door_remove(struct core *c, unsigned door);
int core_door_add(struct core *c, unsigned door);
int core_reader_add(struct core *c, unsigned reader);
/* Records reader's row (name, door, type) in the store, as at start. */
int core_reader_record(struct core *c, unsigned reader);

struct store *core_store(struct core *c);
const struct config *core_config(struct core *c);
int64_t core_wall_ms(struct core *c);
int64_t core_mono_ms(struct core *c);

/*
 * Schedules and holidays in memory (controller/calendar.h), loaded by
 * core_attach_store. An op that changes them reloads it after its commit;
 * a failed reload leaves it stale, and scheduled levels deny until a read
 * or the next change loads it again.
 */
struct calendar;
struct calendar *core_calendar(struct core *c);
int core_calendar_reload(struct core *c);

/*
 * Appends an event to the hash chain: assigns seq, ts (when 0), prev and
 * hash, commits it, then publishes it on the bus (inside a read: once the
 * lock has moved). Returns 0 once it is durable; on a
 * storage failure the event is kept in a bounded in-memory queue and the
 * error returned (the caller still acts: a decision never waits on storage).
 */
int core_emit(struct core *c, struct event *e);

/*
 * For changes that must land atomically with their event (the admin
 * trail): inside store_begin/commit, core_append assigns the chain and
 * writes the row without publishing; after a commit core_publish hands it
 * to subscribers, after a rollback core_chain_reload forgets it.
 * core_append refuses with -EBUSY while older events wait in the queue.
 */
int core_append(struct core *c, struct event *e);
void core_publish(struct core *c, const struct event *e);
int core_chain_reload(struct core *c);
/*
 * Ends such a transaction: commits when r is 0; when r is not, or the
 * commit fails, rolls back and forgets the events the chain took. Returns
 * r or the commit's error.
 */
int core_append_finish(struct core *c, int r);
/*
 * A batch of such changes that lands together or not at all (a signed
 * change set, README "Many sites"): between core_batch_begin and
 * core_batch_end each change's store_begin/commit is a savepoint of one
 * transaction (store_batch_begin), and the events they append are held
 * back: published once the batch commits, forgotten (with the chain and
 * the calendar reloaded) when it rolls back. Nothing that moves a lock
 * belongs in a batch: its event is not durable until the end.
 * core_batch_begin: -EBUSY while events wait for storage or a batch is
 * open. core_batch_end: 0, or the commit's error (then rolled back).
 */
int core_batch_begin(struct core *c);
int core_batch_end(struct core *c, bool commit);

/* The result of the last read handled, for sim.present. */
struct core_decision {
	bool granted;
	/*
	 * Card + PIN: the badge passed every other rule and its reader now
	 * waits for the PIN; granted is false, reason REASON_NONE, seq 0, and
	 * the outcome is an event of its own later (access.granted or
	 * access.denied pin_required, wrong_pin).
	 */
	bool pending;
	/*
	 * What it waits for when pending: "pin", or (two-person, escort: an
	 * access.pending event recorded, seq set) "second_person", "escort".
	 */
	const char *awaiting;
	enum reason reason;
	int64_t seq;
	char credential[AEOGATE_CREDENTIAL_MAX + 1];
	char person[AEOGATE_ID_MAX + 1];
};

/* Handles one read from a reader: the path every backend's read takes. */
void core_reader_read(struct core *c, unsigned reader_index, const struct hal_read *r,
		      struct core_decision *ret);

/* The decision of the most recent read (sim.present reads it right after presenting). */
const struct core_decision *core_last_decision(struct core *c);

/*
 * Card + PIN (README, "Card + PIN"): keys typed on reader while no badge
 * waited there for its PIN, dropped and counted, for reader.list.
 */
uint64_t core_keys_dropped(struct core *c, unsigned reader);
/*
 * The thread that hashes and checks PINs (controller/worker.h), started by
 * core_start; NULL before, and when it could not start (PINs are then
 * checked on the loop: main says so).
 */
struct worker;
struct worker *core_pin_worker(struct core *c);

/* Door and reader state for door.list / reader.list. */
struct hal_door *core_hal_door(struct core *c, unsigned index);
struct hal_reader *core_hal_reader(struct core *c, unsigned index);
struct door *core_door(struct core *c, unsigned index);

/*
 * Door modes (controller/policy/doormode.h). A door's effective mode, and
 * in *ret_until_ms (may be NULL) when the manual mode now in force ends (0:
 * none, or until changed).
 */
enum policy_door_mode core_door_mode(struct core *c, unsigned door, int64_t *ret_until_ms);
/*
 * The door's manual mode is now mode, until until_ms (UTC; 0: until
 * changed), and takes effect at once. Called once its row and door.mode
 * event are committed (and by core_start for the stored one); the mode's
 * end is recorded by the core itself (door.mode, cause expired) on a timer
 * of the loop.
 */
void core_door_mode_set(struct core *c, unsigned door, enum policy_door_mode mode,
			int64_t until_ms);
/* Releases the lock once for ms (a remote unlock, its event already committed). */
void core_door_release(struct core *c, unsigned door, unsigned ms);

/*
 * The door's manual mode is cleared (door mode DOOR --clear, after its
 * row and event committed): it takes what its schedule or the default
 * gives it.
 */
void core_door_mode_clear(struct core *c, unsigned door);
/* The mode the door would take now without its manual mode. */
enum policy_door_mode core_door_mode_unset(struct core *c, unsigned door);

/*
 * The door's schedule (door schedule DOOR ...; schedule NULL: none): inside
 * it the door takes mode, with first_person_in only after the first badge
 * granted in the interval. Applied by the loop right after the caller
 * returns and at every minute's boundary, each change of the door's
 * effective mode recorded as door.mode (cause schedule or first_person).
 */
void core_door_schedule_set(struct core *c, unsigned door, const char *schedule,
			    enum policy_door_mode mode, bool first_person_in);
/* false when the door has no schedule; else its settings and whether its mode applies now. */
bool core_door_schedule(struct core *c, unsigned door, const char **ret_schedule,
			enum policy_door_mode *ret_mode, bool *ret_first_person_in,
			bool *ret_active);

/*
 * Lockdown and threat level (controller/policy/lockdown.h), loaded by
 * core_start from the store. core_lockdown_set takes the new state once
 * its rows and event are committed: doors entering the lockdown lock at
 * once, whatever their mode; doors leaving it take their effective mode.
 */
struct lockdown_state;
const struct lockdown_state *core_lockdown(struct core *c);
void core_lockdown_set(struct core *c, const struct lockdown_state *s);
bool core_door_locked_down(struct core *c, unsigned door);
/*
 * Interlock (controller/policy/interlock.h): the index of the door of
 * door's group that holds it locked now, or -1; *ret_rex_waiting (may be
 * NULL) whether its exit button waits for it.
 */
int core_door_interlock(struct core *c, unsigned door, bool *ret_rex_waiting);

/*
 * A wall-clock step of at least this many ms (against the monotonic clock)
 * is recorded as a clock.jump event with the delta, old and new time.
 */
#define CORE_CLOCK_JUMP_MS 1000

/* How far the wall clock moved against the monotonic clock since before_offset. */
int64_t core_clock_jump(int64_t before_offset, int64_t wall_ms, int64_t mono_ms);

/*
 * The storage reserve (controller/reserve.h) the core gives back when a
 * commit fails for lack of space; NULL: none.
 */
struct reserve;
void core_set_reserve(struct core *c, struct reserve *r);
struct reserve *core_reserve(struct core *c);

/* What happened to storage, for main to log at once (only mains log). */
enum core_storage_news {
	CORE_STORAGE_RESERVE_RELEASED, /* bytes: released; events are still stored */
	CORE_STORAGE_FAILING,	       /* error: why; events wait in memory from now */
	CORE_STORAGE_RECOVERED,	       /* bytes: events lost in all, if any */
	CORE_STORAGE_RESERVE_RESTORED, /* bytes: held again */
};
typedef void (*core_storage_fn)(void *userdata, enum core_storage_news news, int error,
				uint64_t bytes);
void core_set_storage_callback(struct core *c, core_storage_fn fn, void *userdata);
/*
 * The news as a line for the journal (state_dir and the storage_failure
 * choice from cfg); returns its syslog LOG_* priority.
 */
int core_storage_news_text(const struct config *cfg, enum core_storage_news news, int error,
			   uint64_t n, char *buf, size_t len);

/* While events wait in memory for storage: when it began (UTC ms); 0 otherwise. */
int64_t core_storage_failing_since(struct core *c);

/* Events that storage could not keep (counted, never hidden). */
uint64_t core_events_lost(struct core *c);
/* Decisions, their latency and storage faults since start (metrics.h). */
struct decision_metrics;
const struct decision_metrics *core_metrics(struct core *c);
size_t core_events_queued(struct core *c);

/*
 * Extension slot for the dashboard's users and sessions (controller/users.c);
 * NULL until main sets it.
 */
struct users;
void core_set_users(struct core *c, struct users *u);
struct users *core_users(struct core *c);

/* The same for the audit service (controller/audit/audit.h), which the audit ops reach. */
struct audit;
void core_set_audit(struct core *c, struct audit *a);
struct audit *core_audit(struct core *c);

/*
 * The person import that is applying its rows (controller/api/ops_import.c),
 * NULL when none: the ops refuse the changes that could contradict rows it
 * checked (ops_begin).
 */
struct import_apply;
void core_set_import(struct core *c, struct import_apply *ia);
struct import_apply *core_import(struct core *c);

#endif
