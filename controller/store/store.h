/* SPDX-License-Identifier: MIT */
/*
 * The store: every line of SQL in aeogate lives in controller/store/, one
 * file per table family behind store-internal.h. SQLite in WAL mode,
 * schema/NNN_*.sql migrations embedded at build time and tracked with
 * PRAGMA user_version, prepared statements only (cached per statement).
 *
 * Errors are negative errno: -ENOENT no such row, -EEXIST duplicate key,
 * -EINVAL a value the schema refuses, -ENOSPC / -EIO when SQLite cannot
 * write (disk full, I/O error), -EPROTO for a database from a newer schema.
 * Times are UTC milliseconds since the epoch; 0 means "no bound" for
 * validity fields.
 *
 * List functions call cb once per row: cb returns 0 to go on, anything else
 * stops the walk and is returned as is. A callback may call other store
 * functions but not re-enter the list it is called from (-EBUSY); a write
 * it makes outside store_begin/commit commits only when the walk ends.
 */
#ifndef AEOGATE_STORE_H
#define AEOGATE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aeogate/event.h"
#include "aeogate/limits.h"

struct store;

/* Highest schema version compiled into this binary. */
int store_schema_version(void);

/*
 * Opens (creating if needed) the database at path and migrates it to the
 * current schema, each migration in one transaction. durability is
 * "normal" or "full" (PRAGMA synchronous). On failure writes a one-line
 * explanation into err.
 */
int store_open(const char *path, const char *durability, struct store **ret, char *err,
	       size_t errlen);
/*
 * Opens an existing database read-only, for checks beside a running
 * controller (aeogated --check-config); -EPROTO unless it is at this
 * binary's schema version (a read-only connection cannot migrate).
 */
int store_open_readonly(const char *path, struct store **ret, char *err, size_t errlen);
void store_close(struct store *s); /* accepts NULL */

/*
 * Checkpoints that copied the whole WAL into the database file (the WAL
 * then starts over at the next commit): controller/store/wal.c; system.status
 * reports it.
 */
uint64_t store_wal_checkpoints(struct store *s);

/*
 * s being the deciding connection: a long reader of the same database (a
 * backup, a streamed export) holds a snapshot from pin to unpin, on any
 * thread. Meanwhile, and until the checkpoint thread has caught up after
 * it, the writer never checkpoints inline (wal.c says why). No-ops for a
 * store without the checkpoint thread.
 */
void store_wal_pin(struct store *s);
void store_wal_unpin(struct store *s);
/* Checkpoints the writer ran itself, inside a commit (wal.c); on the writer's thread. */
uint64_t store_wal_inline_checkpoints(struct store *s);
/*
 * Pages the deciding connection has written to the WAL since it opened
 * (SQLite's SQLITE_DBSTATUS_CACHE_WRITE): each is a 4 KiB frame, so the
 * count per commit is what a commit costs in writes (bench/decide.c).
 */
uint64_t store_pages_written(struct store *s);

/*
 * SQLite's message for the last failed call on s (or the store's own
 * explanation), for logs; valid until the next store call.
 */
const char *store_last_error(struct store *s);

/*
 * The database file's path ("" for an in-memory one), for a second
 * connection of its own (a streamed export's reader, store_open_readonly).
 */
const char *store_path(struct store *s);

/* The user_version of the open database. */
int store_user_version(struct store *s);

/* PRAGMA quick_check: 0 when the file is sound, -EIO when it is not. */
int store_integrity_check(struct store *s);

/* Explicit transactions, for changes that must land together with their event. */
int store_begin(struct store *s);
/*
 * A transaction that takes SQLite's locks only as its statements need
 * them: a decision's lookups and its event share one (one set of lock
 * calls instead of one per statement) without waiting for the write lock
 * before the first lookup.
 */
int store_begin_deferred(struct store *s);
int store_commit(struct store *s);
int store_rollback(struct store *s);
/*
 * A batch: several changes, each begun and ended as above, that land
 * together or not at all (a signed change set, README "Many sites").
 * Inside it store_begin opens a savepoint, store_commit releases it into
 * the batch's transaction and store_rollback undoes only that change.
 * store_batch_end commits the whole (commit true) or rolls it back; a
 * change still open makes it roll back (-EINVAL). store_batch_begin:
 * -EBUSY when a batch is open.
 */
int store_batch_begin(struct store *s);
int store_batch_end(struct store *s, bool commit);

/* Topology from the config, refreshed at every start (insert or update). */
int store_zone_upsert(struct store *s, const char *zone);
int store_door_upsert(struct store *s, const char *door, const char *zone);
int store_reader_upsert(struct store *s, const char *reader, const char *door, const char *type);

/*
 * A door's manual mode (schema 9): mode is "card", "card_and_pin",
 * "unlocked" or "locked"; until_ms 0 means until changed. A door without
 * one is in its default mode.
 */
struct door_mode_row {
	char door[AEOGATE_ID_MAX + 1];
	char mode[16];
	int64_t until_ms;
	int64_t set_ms;
};

int store_door_mode_get(struct store *s, const char *door, struct door_mode_row *ret); /* -ENOENT */
int store_door_mode_put(struct store *s, const struct door_mode_row *m); /* insert or replace */
int store_door_mode_clear(struct store *s, const char *door);		 /* no row is fine */

/* A door's schedule: inside it the door takes mode (first_person_in: after the first grant). */
struct door_schedule_row {
	char door[AEOGATE_ID_MAX + 1];
	char mode[16];
	char schedule[AEOGATE_ID_MAX + 1];
	bool first_person_in;
	int64_t set_ms;
};

int store_door_schedule_get(struct store *s, const char *door,
			    struct door_schedule_row *ret); /* -ENOENT */
int store_door_schedule_put(struct store *s,
			    const struct door_schedule_row *d);	  /* -ENOENT: no such schedule */
int store_door_schedule_clear(struct store *s, const char *door); /* no row is fine */
/*
 * A person's PIN (schema 12): only its salted slow hash (argon2id, as
 * controller/policy/pin.c makes it), the wrong PINs in a row and whether
 * they locked it. A person without a row has no PIN.
 */
struct pin_row {
	char person[AEOGATE_ID_MAX + 1];
	char hash[AEOGATE_PIN_HASH_MAX + 1];
	int64_t wrong_pins;
	bool locked;
	int64_t set_ms;
};

int store_pin_get(struct store *s, const char *person, struct pin_row *ret); /* -ENOENT */
/* A new PIN: insert or replace the hash, its count and lock set back. */
int store_pin_put(struct store *s, const char *person, const char *hash, int64_t set_ms);
int store_pin_clear(struct store *s, const char *person); /* -ENOENT when there is none */
/*
 * The count and lock after an attempt, written only while hash is still
 * the person's PIN (a PIN replaced meanwhile starts afresh); 0 either way.
 */
int store_pin_counters_set(struct store *s, const char *person, const char *hash,
			   int64_t wrong_pins, bool locked);

/*
 * Lockdown and threat level (schema 15): whether the whole site is locked
 * down, the zones locked down one by one, the site's threat level (0-5).
 */
int store_site_get(struct store *s, bool *ret_site, int *ret_threat_level);
/* Calls cb for each zone locked down on its own; a non-zero return stops and is returned. */
int store_lockdown_zones(struct store *s, int (*cb)(const char *zone, void *userdata),
			 void *userdata);
/* Replaces the lockdown: the site flag and exactly these zones. -ENOENT: no such zone. */
int store_lockdown_set(struct store *s, bool site, const char *const *zones, size_t n);
int store_threat_level_set(struct store *s, int level); /* -EINVAL outside 0-5 */

/* ---- the uplink's cursor (sync.c, schema 24) ---- */

/* How far aeogate-sync forwarded: the acknowledged event prefix and checkpoint seq. */
int store_sync_cursor_get(struct store *s, int64_t *ret_forwarded, int64_t *ret_checkpoint);
/* Raises either to the value given; a lower one leaves it (never backwards). -EINVAL below 0. */
int store_sync_cursor_set(struct store *s, int64_t forwarded, int64_t checkpoint, int64_t now_ms);
/* A person's responder mark and clearance; a person without a row: no, 0. */
struct person_site {
	bool responder;
	int64_t clearance;
};
int store_person_site_get(struct store *s, const char *person, struct person_site *ret);
int store_person_site_set(struct store *s, const char *person, const struct person_site *ps);

/*
 * The waits for another person per zone (schema 17): the two-person rule
 * and escorts, each with its window. A zone without a row waits for no
 * one, with the default windows.
 */
#define STORE_TWO_PERSON_WINDOW_MS 10000
#define STORE_ESCORT_WINDOW_MS	   30000
struct zone_pairing {
	bool two_person;
	int64_t two_person_window_ms;
	bool escort;
	int64_t escort_window_ms;
};

void store_zone_pairing_default(struct zone_pairing *ret);
int store_zone_pairing_get(struct store *s, const char *zone, struct zone_pairing *ret);
int store_zone_pairing_set(struct store *s, const char *zone, const struct zone_pairing *z);

/*
 * The visitor register (schema 17): a visitor is a person with a row here.
 * document is the type of ID document checked, never its number; vehicle
 * "" when none; ended_ms 0 while the visit goes on. on_site is derived
 * from the visitor's last granted access event (its reader's direction).
 */
struct visitor {
	char person[AEOGATE_ID_MAX + 1];
	char name[AEOGATE_TEXT_MAX + 1];
	char company[AEOGATE_VISITOR_TEXT_MAX + 1];
	char host[AEOGATE_ID_MAX + 1];
	char document[AEOGATE_VISITOR_TEXT_MAX + 1];
	char vehicle[AEOGATE_VISITOR_TEXT_MAX + 1];
	int64_t until_ms;
	int64_t added_ms;
	int64_t ended_ms;
	bool on_site;
};

int store_visitor_add(struct store *s, const struct visitor *v);
int store_visitor_get(struct store *s, const char *person, struct visitor *ret); /* -ENOENT */
/* 1 when person is a visitor, 0 when not, negative errno. */
int store_visitor_is(struct store *s, const char *person);
/* -ENOENT: no visit of person in progress. */
int store_visitor_end(struct store *s, const char *person, int64_t ended_ms);
/* The visitor's badges still out become returned; how many, or negative errno. */
int64_t store_visitor_badges_return(struct store *s, const char *person, int64_t at_ms);
/* A page of the register by id after `after` (NULL: from the start), at most limit. */
int store_visitor_list(struct store *s, const char *after, bool on_site_only, size_t limit,
		       int (*cb)(const struct visitor *v, void *userdata), void *userdata);
/* Visits that overlap [from_ms, to_ms), by person after `after`, at most limit. */
int store_visitor_report(struct store *s, int64_t from_ms, int64_t to_ms, const char *after,
			 size_t limit, int (*cb)(const struct visitor *v, void *userdata),
			 void *userdata);

/* Persons. status is "active", "suspended" or "terminated". */
struct person {
	char id[AEOGATE_ID_MAX + 1];
	char name[AEOGATE_TEXT_MAX + 1];
	char status[16];
	int64_t valid_from;
	int64_t valid_until;
	int64_t created_ms;
	int64_t terminated_ms; /* 0 unless terminated */
};

/*
 * Clearance (personnel vetting): one record per person, the latest; a zone
 * may require it (zone_settings). status is "cleared", "pending" or
 * "failed"; the reference is a case number, never the check's content.
 */
struct vetting {
	char person[AEOGATE_ID_MAX + 1];
	char status[16];
	int64_t checked_ms;
	int64_t recheck_due_ms;
	char reference[AEOGATE_VETTING_REFERENCE_MAX + 1]; /* "" when none */
};

int store_vetting_get(struct store *s, const char *person, struct vetting *ret); /* -ENOENT */
int store_vetting_put(struct store *s, const struct vetting *v); /* insert or replace */
/* 1 when the zone requires vetting, 0 when not (or never set), negative errno. */
int store_zone_vetting_get(struct store *s, const char *zone);
int store_zone_vetting_set(struct store *s, const char *zone, bool required);

/*
 * The vetting report's rows: every person (not terminated) holding a level
 * that includes a zone requiring vetting, with their record (status ""
 * when none). Overdue (re-check due at or before at_ms) first, then by
 * person id; starting after (after_rank, after_id), rank 0 overdue, 1 not.
 */
struct vetting_report_row {
	int64_t rank; /* 0 overdue, 1 not */
	char person[AEOGATE_ID_MAX + 1];
	char name[AEOGATE_TEXT_MAX + 1];
	char status[16];
	int64_t checked_ms;
	int64_t recheck_due_ms;
	char reference[AEOGATE_VETTING_REFERENCE_MAX + 1];
};
int store_vetting_report(struct store *s, int64_t at_ms, int64_t after_rank, const char *after_id,
			 size_t limit,
			 int (*cb)(const struct vetting_report_row *r, void *userdata),
			 void *userdata);

/*
 * Area rules and where everyone is (controller/store/locations.c, schema
 * 14). A zone's rules: apb "off", "soft", "hard" or "timed" (with
 * apb_minutes), max_occupancy -1 for no limit, and its count of soft
 * anti-passback violations. A person's location: the zone they are in,
 * since when, by which door; none (-ENOENT) when in no zone.
 */
struct zone_area_row {
	char apb[8];
	int64_t apb_minutes;
	int64_t max_occupancy;
	int64_t soft_violations;
};
/* A zone never set reads as no rules (off, no limit, no violations). */
int store_zone_area_get(struct store *s, const char *zone, struct zone_area_row *ret);
int store_zone_area_set(struct store *s, const char *zone, const char *apb, int64_t apb_minutes,
			int64_t max_occupancy);
int store_zone_soft_violation(struct store *s, const char *zone); /* the count, plus one */

struct location_row {
	char person[AEOGATE_ID_MAX + 1];
	char name[AEOGATE_TEXT_MAX + 1]; /* "" for a person no longer on file */
	char zone[AEOGATE_ID_MAX + 1];
	int64_t since_ms;
	char door[AEOGATE_ID_MAX + 1];
};
/* One person's location, name left "" (lists have it); -ENOENT when in no zone. */
int store_location_get(struct store *s, const char *person, struct location_row *ret);
int store_location_put(struct store *s, const char *person, const char *zone, int64_t since_ms,
		       const char *door);
int store_location_clear(struct store *s, const char *person); /* none there: 0 */
/* Everyone in a zone (zone NULL: every zone), or one person (person not NULL), by zone and since.
 */
int store_location_list(struct store *s, const char *zone, const char *person,
			int (*cb)(const struct location_row *r, void *userdata), void *userdata);
int store_zone_occupancy(struct store *s, const char *zone, int64_t *ret);
/* The person's last granted entry into zone (timed anti-passback); 0 when none. */
int store_zone_entry_get(struct store *s, const char *person, const char *zone, int64_t *ret_ms);
int store_zone_entry_put(struct store *s, const char *person, const char *zone, int64_t at_ms);
int store_zone_entries_clear(struct store *s, const char *person, const char *zone); /* NULL: all */

/*
 * The events that move one person, ts <= upto_ms, newest first (a
 * callback's non-zero return stops the walk): access.granted with its
 * detail.direction ("" when it has none) and apb.forgiven. The event's
 * strings are valid only during the callback.
 */
struct area_event {
	int64_t seq;
	int64_t ts_ms;
	const char *kind;
	const char *door;
	const char *zone;
	const char *person;
	const char *direction;
};
int store_area_events(struct store *s, const char *person, int64_t upto_ms,
		      int (*cb)(const struct area_event *e, void *userdata), void *userdata);

/*
 * Schedules (controller/store/schedules.c): a name and its intervals
 * (controller/policy/schedule.h), a level's schedule, and holidays (local
 * dates "YYYY-MM-DD" with a name).
 */
struct schedule_interval;

int store_schedule_add(struct store *s, const char *name);    /* -EEXIST */
int store_schedule_exists(struct store *s, const char *name); /* 1, 0 or negative errno */
int store_schedule_count(struct store *s, int64_t *ret_count);
/* Removes the schedule and its intervals; -ENOENT. Callers refuse it while it is in use. */
int store_schedule_remove(struct store *s, const char *name);
/* -EEXIST when the schedule has the interval already, -ENOENT unknown schedule. */
int store_schedule_interval_add(struct store *s, const char *name,
				const struct schedule_interval *iv);
int store_schedule_interval_remove(struct store *s, const char *name,
				   const struct schedule_interval *iv); /* -ENOENT */
int store_schedule_interval_count(struct store *s, const char *name, int64_t *ret_count);
/*
 * Every schedule (name NULL) or one, by name, each interval in the order it
 * was added: cb once per interval, or once with iv NULL for a schedule
 * without any. The name is valid only during the callback.
 */
int store_schedule_walk(struct store *s, const char *name,
			int (*cb)(const char *schedule, const struct schedule_interval *iv,
				  void *userdata),
			void *userdata);
/*
 * What uses a schedule, by kind ("level", and next "door"), each by name:
 * a schedule in use is not removed.
 */
int store_schedule_users(struct store *s, const char *name,
			 int (*cb)(const char *what, const char *user, void *userdata),
			 void *userdata);
/* The level's schedule into ret (AEOGATE_ID_MAX + 1 bytes): 1, 0 when it has none, errno. */
int store_level_schedule_get(struct store *s, const char *level, char *ret, size_t len);
/* Sets (schedule NULL: clears) the level's schedule; -ENOENT unknown level or schedule. */
int store_level_schedule_set(struct store *s, const char *level, const char *schedule);
/*
 * The decision's one query for levels: for each of the person's levels
 * that includes zone, cb with the level's schedule, or NULL when it has
 * none (valid only during the callback). None: no level includes it.
 */
int store_person_zone_schedules(struct store *s, const char *person, const char *zone,
				int (*cb)(const char *schedule, void *userdata), void *userdata);

int store_holiday_add(struct store *s, const char *date, const char *name); /* -EEXIST */
/* The holiday's name into ret; -ENOENT when the date is none. */
int store_holiday_get(struct store *s, const char *date, char *ret, size_t len);
int store_holiday_remove(struct store *s, const char *date); /* -ENOENT */
int store_holiday_count(struct store *s, int64_t *ret_count);
/* Every holiday by date; the strings are valid only during the callback. */
int store_holiday_list(struct store *s,
		       int (*cb)(const char *date, const char *name, void *userdata),
		       void *userdata);

/*
 * Expiry warnings (schema 11, controller/expiry.c): a person's or a
 * badge's validity, or a person's vetting re-check, falling due.
 */
struct expiry_item {
	char what[8];			       /* "person", "badge" or "vetting" */
	char item[AEOGATE_CREDENTIAL_MAX + 1]; /* the person's id, or the badge's */
	char person[AEOGATE_ID_MAX + 1];
	int64_t due_ms;
};
/*
 * Items falling due in (after_ms, until_ms] that were not warned of for
 * that due date, soonest first, at most limit.
 */
int store_expiry_due(struct store *s, int64_t after_ms, int64_t until_ms, size_t limit,
		     int (*cb)(const struct expiry_item *it, void *userdata), void *userdata);
/* Records that event seq warned of it; -EEXIST when it was warned of already. */
int store_expiry_warned(struct store *s, const struct expiry_item *it, int64_t seq);

int store_person_add(struct store *s, const struct person *p);		   /* -EEXIST */
int store_person_get(struct store *s, const char *id, struct person *ret); /* -ENOENT */
/*
 * The person's name into buf, read at the time of asking (exports and
 * streams show it beside the id; it is never part of an event). -ENOENT
 * when there is no such person; col_copy's error when it does not fit.
 */
int store_person_name(struct store *s, const char *id, char *buf, size_t len);
/* The ids of the people with this name, whatever its case (at most max, in *ret_n). */
int store_person_by_name(struct store *s, const char *name, char ids[][AEOGATE_ID_MAX + 1],
			 size_t max, size_t *ret_n);

/*
 * The History search: events with lo <= seq < hi matching every filter
 * given (NULL: any), newest first, at most limit. kind_exact is one kind,
 * kind_prefix the start of several ("door."). A person, door, exact kind or
 * zone leads through its index; without one, the seq range bounds the rows
 * read. cb as store_event_list's.
 */
struct store_event_search {
	int64_t lo, hi;
	const char *door, *zone, *person, *kind_exact, *kind_prefix;
	size_t limit;
};
int store_event_search(struct store *s, const struct store_event_search *q,
		       int (*cb)(const struct event *e, void *userdata), void *userdata);
int store_person_set_status(struct store *s, const char *id, const char *status, int64_t ts_ms);
int store_person_set_validity(struct store *s, const char *id, int64_t valid_from,
			      int64_t valid_until);
/* Calls cb for each person ordered by id, starting after after_id (NULL: from the start), at most
 * limit. */
int store_person_list(struct store *s, const char *after_id, size_t limit,
		      int (*cb)(const struct person *p, void *userdata), void *userdata);

/*
 * Level assignments. -ENOENT when person or level does not exist, -E2BIG
 * beyond AEOGATE_LEVELS_PER_PERSON_MAX.
 */
int store_person_level_add(struct store *s, const char *person, const char *level);
int store_person_level_remove(struct store *s, const char *person, const char *level);
int store_person_levels(struct store *s, const char *person,
			int (*cb)(const char *level, void *userdata), void *userdata);

/* Credentials. status is "active", "suspended", "lost", "revoked" or "returned". */
struct credential {
	char id[AEOGATE_CREDENTIAL_MAX + 1]; /* normalized: h10301:12:3456, uid:04a1b2c3 */
	char person[AEOGATE_ID_MAX + 1];
	char status[16];
	int64_t valid_from;
	int64_t valid_until;
	int64_t issued_ms;
	int64_t revoked_ms; /* 0 unless revoked */
};

int store_credential_add(struct store *s, const struct credential *c); /* -EEXIST, -ENOENT person */
int store_credential_get(struct store *s, const char *id, struct credential *ret);
int store_credential_set_status(struct store *s, const char *id, const char *status, int64_t ts_ms);
/* Revokes every active, suspended or lost credential of a person; *ret_count how many. */
int store_credential_revoke_person(struct store *s, const char *person, int64_t ts_ms,
				   size_t *ret_count);
/* The credentials of one person, ordered by id (-EINVAL without a person). */
int store_credential_list(struct store *s, const char *person,
			  int (*cb)(const struct credential *c, void *userdata), void *userdata);
/* At most limit credentials of the site after after_id (NULL: from the first), by id. */
int store_credential_page(struct store *s, const char *after_id, size_t limit,
			  int (*cb)(const struct credential *c, void *userdata), void *userdata);

/* Credentials whose id starts with prefix ("h10302:"), ordered by id. */
int store_credential_list_prefix(struct store *s, const char *prefix,
				 int (*cb)(const struct credential *c, void *userdata),
				 void *userdata);

/* Access levels: a name and the zones it opens. */
int store_level_add(struct store *s, const char *name, const char *const *zones,
		    size_t n_zones); /* -EEXIST, -ENOENT unknown zone, -EINVAL none, -E2BIG */
int store_level_exists(struct store *s, const char *name); /* 1, 0 or negative errno */
int store_level_list(struct store *s,
		     int (*cb)(const char *level, const char *const *zones, size_t n_zones,
			       void *userdata),
		     void *userdata);
int store_zone_exists(struct store *s, const char *zone); /* 1, 0 or negative errno */

/* 1 when one of the person's levels opens zone, 0 when none, negative errno. */
int store_person_has_zone(struct store *s, const char *person, const char *zone);

/*
 * Events. The audit chain computes seq, prev and hash; the store only keeps
 * them. store_event_append fails with -EEXIST if seq is taken.
 */
int store_event_append(struct store *s, const struct event *e);
/* Seq and hash of the newest event; *ret_seq = 0 and an all-zero hash when empty. */
int store_event_last(struct store *s, int64_t *ret_seq, char ret_hash[EVENT_HASH_HEX]);
/*
 * Calls cb for events with seq > since, ascending, at most limit (0: no
 * limit). The event's strings are valid only during the callback.
 */
int store_event_list(struct store *s, int64_t since, size_t limit,
		     int (*cb)(const struct event *e, void *userdata), void *userdata);
int store_event_get(struct store *s, int64_t seq, struct event *ret); /* event_clear after */

/*
 * Dashboard users. role is "guard", "manager", "auditor" or "admin";
 * pwhash is an argon2id encoded string (never a password).
 */
struct user {
	char name[AEOGATE_ID_MAX + 1];
	char role[16];
	char pwhash[256];
	bool disabled;
	int64_t created_ms;
};

int store_user_add(struct store *s, const struct user *u);		 /* -EEXIST */
int store_user_get(struct store *s, const char *name, struct user *ret); /* -ENOENT */
int store_user_set_disabled(struct store *s, const char *name, bool disabled);
int store_user_set_pwhash(struct store *s, const char *name, const char *pwhash);
int store_user_list(struct store *s, int (*cb)(const struct user *u, void *userdata),
		    void *userdata);

/*
 * Signed checkpoints of the event chain (controller/audit/checkpoint.h signs
 * them). signature is 128 hex digits, key_id 16.
 */
struct checkpoint {
	int64_t id;
	int64_t seq;
	char hash[EVENT_HASH_HEX];
	int64_t ts_ms;
	char key_id[17];
	char signature[129];
};

/* ---- health (health.c) ---- */

/* Alarms not closed, counted by kind into the object ret (kind: count). */
#include <jansson.h>
int store_alarms_open_by_kind(struct store *s, json_t *ret);
/* Alarms not closed (open or acknowledged). */
int store_alarms_open_count(struct store *s, int64_t *ret);
/* The newest system.backup event: seq, time and detail text; -ENOENT when none. */
int store_backup_last(struct store *s, int64_t *ret_seq, int64_t *ret_ts_ms, char *ret_detail,
		      size_t len);

/* ---- backups and device keys (backup.c) ---- */

/* Records a device public key (64 hex digits) once, at its first start on this database. */
int store_device_key_record(struct store *s, const char *key_id, const char *public_key,
			    int64_t now_ms);
/* Each recorded key, oldest first; cb returning non-zero stops and is returned. */
int store_device_keys(struct store *s,
		      int (*cb)(const char *key_id, const char *public_key, int64_t first_ms,
				void *userdata),
		      void *userdata);
/*
 * Copies s's database, as s's open read transaction sees it, to dest_path
 * (a new file) with SQLite's online backup API, pages_per_step pages a
 * step, then adds cp (may be NULL) to the copy's checkpoints. cancelled
 * (may be NULL) is asked between steps. -ECANCELED, -ENOSPC, -EIO.
 */
int store_backup_copy(struct store *s, const char *dest_path, int pages_per_step,
		      const struct checkpoint *cp, bool (*cancelled)(void *userdata),
		      void *userdata);

int store_checkpoint_add(struct store *s, const struct checkpoint *cp); /* fills nothing back */
int store_checkpoint_add_id(struct store *s, const struct checkpoint *cp, int64_t *ret_id);
/* The checkpoint of the highest seq (the newest of those); -ENOENT when none. */
int store_checkpoint_last(struct store *s, struct checkpoint *ret);
/* Checkpoints with after < seq <= upto (upto 0: no bound), by seq. */
int store_checkpoint_list(struct store *s, int64_t after, int64_t upto,
			  int (*cb)(const struct checkpoint *cp, void *userdata), void *userdata);

/*
 * First and last seq of the events with from_ms <= ts < to_ms; both 0 when
 * there are none.
 */
int store_event_range(struct store *s, int64_t from_ms, int64_t to_ms, int64_t *ret_first,
		      int64_t *ret_last);
/*
 * Events with after < seq <= upto and from_ms <= ts < to_ms, ascending, no
 * limit: cb stops the walk by returning non-zero. Strings as in
 * store_event_list.
 */
int store_event_walk(struct store *s, int64_t after, int64_t upto, int64_t from_ms, int64_t to_ms,
		     int (*cb)(const struct event *e, void *userdata), void *userdata);
/*
 * The same walk, each event with its person's name (NULL: no person, or
 * none enrolled by that id), read in the same step: for exports, whose
 * person_name is outside the hashed content.
 */
int store_event_walk_named(
    struct store *s, int64_t after, int64_t upto, int64_t from_ms, int64_t to_ms,
    int (*cb)(const struct event *e, const char *person_name, void *userdata), void *userdata);

/* Alarms: raised by an alarm event, acknowledged, closed. */
struct alarm {
	int64_t id;
	char kind[AEOGATE_ID_MAX + 1];
	char door[AEOGATE_ID_MAX + 1]; /* "" when not about a door */
	char zone[AEOGATE_ID_MAX + 1];
	int64_t raised_seq;
	int64_t raised_ms;
	char state[16]; /* open, acknowledged, closed */
	int64_t ack_ms; /* 0 until acknowledged */
	char ack_by[96];
	char ack_comment[AEOGATE_TEXT_MAX + 1];
	int64_t closed_ms;
	char closed_by[96];
	char person[AEOGATE_ID_MAX + 1]; /* the raising event's person ("" when none, or pruned) */
	int64_t escalated_ms;		 /* 0 until alarm.escalated was recorded */
};

/* Records the alarm an event raised; a second call for the same seq does nothing. */
int store_alarm_raise(struct store *s, const char *kind, const char *door, const char *zone,
		      int64_t seq, int64_t ts_ms);
int store_alarm_get(struct store *s, int64_t id, struct alarm *ret); /* -ENOENT */
/* -ENOENT when no open alarm id (unknown, or already acknowledged / closed). */
int store_alarm_ack(struct store *s, int64_t id, int64_t ts_ms, const char *by,
		    const char *comment);
/* -ENOENT when no alarm id that is not closed. */
int store_alarm_close(struct store *s, int64_t id, int64_t ts_ms, const char *by);
/* Alarms with id > after raised in [from_ms, to_ms), by id, at most limit (0: none). */
int store_alarm_list(struct store *s, bool open_only, int64_t after, int64_t from_ms, int64_t to_ms,
		     size_t limit, int (*cb)(const struct alarm *a, void *userdata),
		     void *userdata);
/* The newest raised_seq recorded, 0 when none. */
int store_alarm_last_seq(struct store *s, int64_t *ret);
/*
 * The alarm workflow's index (schema 20): each event that handled alarm
 * (alarm.acknowledged, alarm.escalated, alarm.closed), in the transaction
 * of that event. store_alarm_steps walks their seqs in order.
 */
int store_alarm_step_add(struct store *s, int64_t alarm, int64_t seq, const char *kind,
			 int64_t ts_ms);
int store_alarm_steps(struct store *s, int64_t alarm, int (*cb)(int64_t seq, void *userdata),
		      void *userdata);
/*
 * Open alarms after id after_id raised at or before raised_before_ms and not
 * escalated yet, by id, at most limit: alarms_state seeks to them, so a step
 * reads what it escalates, not every open alarm before it.
 */
int store_alarm_escalation_due(struct store *s, int64_t after_id, int64_t raised_before_ms,
			       size_t limit, int (*cb)(const struct alarm *a, void *userdata),
			       void *userdata);
/* The alarm an event raised; -ENOENT when it raised none. */
int store_alarm_get_by_seq(struct store *s, int64_t raised_seq, struct alarm *ret);

/*
 * Retention. The oldest event kept: its seq and prev (seq 0 when the log is
 * empty). Pruning deletes a prefix of the chain, so the oldest row's prev
 * is vouched for by a signed checkpoint at seq - 1.
 */
int store_event_first(struct store *s, int64_t *ret_seq, char ret_prev[EVENT_HASH_HEX]);
/* The newest audit.pruned event (event_clear after); -ENOENT when none. */
int store_event_last_pruned(struct store *s, struct event *ret);
/*
 * Inside the caller's transaction (-EINVAL outside one): deletes the
 * events with seq <= upto, the checkpoints with seq < upto (they vouch for
 * rows no longer kept; the caller has signed one at upto), and the closed
 * alarms raised by those events that were closed before
 * alarms_closed_before. The caller bounds how many events that is. Counts
 * deleted into *ret_events, *ret_alarms (each may be NULL). Events and
 * checkpoints are append-only otherwise (schema 6 triggers: any other
 * UPDATE or DELETE fails, -EPERM here).
 */
int store_prune(struct store *s, int64_t upto, int64_t alarms_closed_before, int64_t *ret_events,
		int64_t *ret_alarms);
/*
 * The user_version the database had when store_open found it, before
 * migrating (0 for a new file): tells a database from before the head
 * record (schema 6) from one whose head record went missing.
 */
int store_opened_version(struct store *s);
/*
 * Makes every commit so far durable (fsync of the WAL), whatever
 * PRAGMA synchronous: called before a head record claims them.
 */
int store_sync(struct store *s);
/* The WAL's path ("" for an in-memory database), for store_sync_wal_file. */
int store_wal_file(struct store *s, char *buf, size_t len);
/*
 * store_sync without the connection, for another thread: fsync of the WAL
 * file at path (0 when there is none). 0 or negative errno.
 */
int store_sync_wal_file(const char *wal);

/* A recorded access-rights review (schema/003_reviews.sql). */
struct review {
	int64_t id;
	int64_t ts_ms;
	char reviewer[AEOGATE_TEXT_MAX + 1];
	char comment[AEOGATE_TEXT_MAX + 1];
	char operator_id[96];
};

/* Stores r (its id is ignored) and writes the new id into *ret_id. */
int store_review_add(struct store *s, const struct review *r, int64_t *ret_id);
int store_review_last(struct store *s, struct review *ret); /* -ENOENT when none */

/* A person or credential with a validity end, for the validity report. */
struct validity_row {
	char type[16]; /* "credential" or "person" */
	char id[AEOGATE_CREDENTIAL_MAX + 1];
	char person[AEOGATE_ID_MAX + 1];
	char status[16];
	int64_t valid_from; /* 0: no bound */
	int64_t valid_until;
};

/*
 * Persons (not terminated) and credentials (active, suspended or lost)
 * whose valid_until is before before_ms, ordered by (valid_until, type,
 * id) and starting after the key (after_until, after_type, after_id); at
 * most limit.
 */
int store_validity_list(struct store *s, int64_t before_ms, int64_t after_until,
			const char *after_type, const char *after_id, size_t limit,
			int (*cb)(const struct validity_row *v, void *userdata), void *userdata);

/* Access events (granted or denied) of a person with ts > after_ms, by seq. */
int store_person_access_after(struct store *s, const char *person, int64_t after_ms,
			      int (*cb)(int64_t seq, int64_t ts_ms, void *userdata),
			      void *userdata);

/* Admin-trail changes: a person's name, a level's zones, a level removed. */
int store_person_set_name(struct store *s, const char *id, const char *name); /* -ENOENT */
/* -EEXIST when the level opens the zone already, -ENOENT unknown level or zone. */
int store_level_zone_add(struct store *s, const char *level, const char *zone);
int store_level_zone_remove(struct store *s, const char *level, const char *zone); /* -ENOENT */
/* Persons holding the level; for refusing to remove a level still in use. */
int store_level_holders(struct store *s, const char *level, int64_t *ret_count);
/* Removes the level and its zones; -ENOENT. Callers refuse it while persons hold it. */
int store_level_remove(struct store *s, const char *level);

/*
 * A streak of failed logins (schema/005_login_throttle.sql; the policy is
 * users.c's). key is "account:NAME" or "source:SOURCE"; times are UTC ms.
 */
struct login_throttle {
	char key[AEOGATE_ID_MAX + AEOGATE_LOGIN_SOURCE_MAX + 16];
	unsigned failures;
	int64_t last_failure_ms;
	int64_t blocked_until_ms; /* 0 when not delayed */
};

/* Inserts or replaces the row of t->key. */
int store_login_throttle_put(struct store *s, const struct login_throttle *t);
/* Deletes the row of key; 0 also when there was none. */
int store_login_throttle_delete(struct store *s, const char *key);
/* Deletes every row whose last failure is before before_ms. */
int store_login_throttle_forget(struct store *s, int64_t before_ms);
/* The newest limit rows by last failure; rows that do not fit struct login_throttle are skipped. */
int store_login_throttle_list(struct store *s, size_t limit,
			      int (*cb)(const struct login_throttle *t, void *userdata),
			      void *userdata);

/*
 * The site plan (schema 22, siteplan.c): at most one floor-plan image, as
 * checked when stored (image.h), and each door's marker on it in relative
 * coordinates 0..1. The image stays out of the event chain.
 */
struct site_plan {
	char type[16]; /* "image/png" or "image/jpeg" */
	int64_t width, height, bytes, updated_ms;
	char sha256[65];
	char updated_by[96]; /* who: the request's operator ("user:alice", "uid:0") */
};
/* -ENOENT: no plan. */
int store_site_plan_get(struct store *s, struct site_plan *ret);
/* The image's bytes, malloc'd (the caller frees *ret); -ENOENT: no plan. */
int store_site_plan_image(struct store *s, void **ret, size_t *ret_len);
int store_site_plan_put(struct store *s, const struct site_plan *p, const void *image, size_t len);
/* -ENOENT: no plan. */
int store_site_plan_clear(struct store *s);

/*
 * Person photos (schema 23, photos.c): at most one per person, as checked
 * when stored (image.h). The image stays out of the event chain.
 */
struct person_photo {
	char type[16]; /* "image/png" or "image/jpeg" */
	int64_t width, height, bytes, updated_ms;
	char sha256[65];
	char updated_by[96]; /* who: the request's operator */
};
/* -ENOENT: the person has no photo. */
int store_person_photo_get(struct store *s, const char *person, struct person_photo *ret);
/* 1 when the person has a photo, 0 when not, negative errno. */
int store_person_has_photo(struct store *s, const char *person);
/* The image's bytes, malloc'd (the caller frees *ret); -ENOENT: no photo. */
int store_person_photo_image(struct store *s, const char *person, void **ret, size_t *ret_len);
/* -ENOENT: no such person; -EINVAL: empty or over AEOGATE_PHOTO_MAX. */
int store_person_photo_put(struct store *s, const char *person, const struct person_photo *p,
			   const void *image, size_t len);
/* -ENOENT: the person has no photo. */
int store_person_photo_clear(struct store *s, const char *person);

struct door_marker {
	char door[AEOGATE_ID_MAX + 1];
	double x, y; /* 0..1 from the left, from the top */
};
/* -ENOENT: the door has no marker. */
int store_door_marker_get(struct store *s, const char *door, struct door_marker *ret);
int store_door_marker_put(struct store *s, const struct door_marker *m);
/* -ENOENT: the door has no marker. */
int store_door_marker_clear(struct store *s, const char *door);
/* Every marker, by door; a non-zero cb return stops the walk and is returned. */
int store_door_markers(struct store *s, int (*cb)(const struct door_marker *m, void *userdata),
		       void *userdata);

/*
 * The office's signed messages (fleet.c, schema 25, README "Signed change
 * sets and commands"). The version of the last change set applied for
 * site (0: none yet); setting it records the signer and the sync.applied
 * event's seq, inside the change set's batch.
 */
int store_sync_applied_get(struct store *s, const char *site, int64_t *ret_version);
int store_sync_applied_set(struct store *s, const char *site, int64_t version, const char *signer,
			   int64_t now_ms, int64_t seq);
/*
 * Takes command id once: -EEXIST when it was taken before. Forgets ids
 * older than AEOGATE_COMMAND_IDS_KEEP_MS and beyond the newest
 * AEOGATE_COMMAND_IDS_MAX.
 */
int store_sync_command_take(struct store *s, const char *id, int64_t issued_ms, int64_t now_ms);

#endif
