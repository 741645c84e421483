/* SPDX-License-Identifier: MIT */
/* The op tables the control socket serves, and helpers the ops_*.c files share. */
#ifndef AEOGATE_OPS_H
#define AEOGATE_OPS_H

#include <jansson.h>

#include "apb.h"
#include "args.h"
#include "core.h"
#include "image.h"
#include "ctlsock.h"
#include "store.h"

/* One const table per noun, each {NULL}-terminated. */
extern const struct ctl_op ops_people[];  /* person.*, level.*, zone.list */
extern const struct ctl_op ops_badges[];  /* badge.* */
extern const struct ctl_op ops_doors[];	  /* door.*, reader.list, sim.* */
extern const struct ctl_op ops_alarms[];  /* alarm.* */
extern const struct ctl_op ops_audit[];	  /* audit.* */
extern const struct ctl_op ops_reports[]; /* report.*, review.* */
extern const struct ctl_op ops_users[];	  /* auth.*, user.* */
extern const struct ctl_op ops_events[];  /* events.*, system.status */
extern const struct ctl_op ops_schedules[]; /* schedule.*, holiday.* */
extern const struct ctl_op ops_pins[];	  /* person.pin, person.pin_unlock, sim.keys */
extern const struct ctl_op ops_import[];  /* person.import_*, person.export */
extern const struct ctl_op ops_area[];	  /* muster.list, apb.status, apb.forgive */
extern const struct ctl_op ops_backup[];  /* backup.stream */
extern const struct ctl_op ops_health[];  /* system.metrics */
/* blob.begin, blob.data, site.plan_*, site.marker_* (ops_siteplan.c) */
extern const struct ctl_op ops_siteplan[];
extern const struct ctl_op ops_site[];	  /* site.lockdown, site.release, site.threat */
extern const struct ctl_op ops_photos[];  /* person.photo_* (ops_photos.c) */
extern const struct ctl_op ops_sync[];	  /* sync.cursor, sync.checkpoints (ops_sync.c) */
extern const struct ctl_op ops_fleet[];	  /* sync.apply, sync.command, sync.state (ops_fleet.c) */

/*
 * Every table the control socket serves, NULL-terminated: fixed when the
 * program is built (tables.c), never filled in at run time.
 */
extern const struct ctl_op *const ops_tables[];

/* system.status's health members (ops_health.c): uptime_s, doors, readers, alarms, db_bytes, ... */
void ops_health_status(struct core *c, json_t *o);

/*
 * The image staged on req's connection by blob.begin and blob.data
 * (ops_siteplan.c), complete and checked by image_probe against max bytes
 * and AEOGATE_IMAGE_SIDE_MAX: 0 with its bytes (owned by the connection,
 * valid until ops_blob_drop), what image_probe found and its SHA-256 in hex
 * (ret_sha256, 65 bytes); -1 after failing the request (nothing staged,
 * incomplete, or refused, the upload dropped).
 */
int ops_blob_image(struct ctl_request *req, size_t max, const unsigned char **ret, size_t *ret_len,
		   struct image_info *ret_info, char ret_sha256[65]);
/* Releases the upload staged on req's connection, if any. */
void ops_blob_drop(struct ctl_request *req);
/*
 * The reply of an image op, {type, sha256, data} with the bytes in base64:
 * 0 with *ret, or -1 after failing the request. Frees img either way.
 */
int ops_image_reply(struct ctl_request *req, const char *type, const char *sha256, void *img,
		    size_t len, json_t **ret);

/* Fails the request with the code a store error maps to. */
int ops_store_error(struct ctl_request *req, int r, const char *what);
/* The same as text: returns the code, the message in buf (len bytes). */
const char *ops_store_error_text(int r, const char *what, char *buf, size_t len);

/* A change and its admin-trail event, in one transaction. */
int ops_begin(struct ctl_request *req, struct core *c);
void ops_abort(struct core *c);
int ops_commit(struct ctl_request *req, struct core *c, struct event *e, json_t *detail);
/*
 * ops_commit with record(c, e, arg) run after e is appended, in its
 * transaction (e->seq is known): rows that index the event commit with it
 * or not at all. A negative return aborts the change.
 */
int ops_commit_record(struct ctl_request *req, struct core *c, struct event *e, json_t *detail,
		      int (*record)(struct core *c, const struct event *e, void *arg), void *arg);
/*
 * ops_commit with act(c, arg) run between the commit and the publication:
 * a change that moves a lock moves it once its event is stored, before
 * subscribers hear of it. act runs only when the commit succeeded.
 */
int ops_commit_then(struct ctl_request *req, struct core *c, struct event *e, json_t *detail,
		    void (*act)(struct core *c, void *arg), void *arg);
/*
 * An event's detail as the trail keeps it: detail (a JSON object, consumed;
 * NULL: none) with the operator, compact, keys sorted. Free it; NULL on ENOMEM.
 */
char *ops_detail_text(struct ctl_request *req, json_t *detail);
/* The same for a change made on behalf of operator_id after its request was answered or left. */
char *ops_detail_text_by(const char *operator_id, json_t *detail);

/*
 * While a person import applies its rows (ops_import.c), a change to people,
 * badges or levels (an op of those families, another import's commit
 * included) could contradict the rows it checked: it is refused,
 * unavailable, naming the import. Returns -1 with req failed, or 0.
 */
int ops_import_gate(struct ctl_request *req, struct core *c);
/* At a stop, after the loop: an import still applying stops at its slice boundary. */
void ops_import_stop(struct core *c);

/* A checkpoint as statements and audit.checkpoint name it. */
json_t *ops_checkpoint_json(const struct checkpoint *cp);
json_t *ops_person_json(struct store *s, const struct person *p);
/* The same with the person's levels given (an array of names, consumed), not looked up. */
json_t *ops_person_json_levels(const struct person *p, json_t *levels);
json_t *ops_credential_json(const struct credential *cr);

/* A person's PIN for person.show (ops_pins.c): "none", "set" or "locked"; never the PIN. */
json_t *ops_pin_status_json(struct store *s, const char *person);

/*
 * The admin trail's records (ops_people.c): the members of before/after
 * that differ (both consumed), a person as person.updated shows them, a
 * vetting record (or null when the person has none).
 */
json_t *ops_changed_detail(json_t *before, json_t *after);
json_t *ops_person_trail_json(struct store *s, const struct person *p);
json_t *ops_vetting_json(const struct vetting *v);
json_t *ops_vetting_or_null(struct store *s, const char *person);
/* A vetting status a record may have: cleared, pending or failed. */
bool ops_vetting_status_is_valid(const char *status);

/*
 * A new badge for p from argument "credential" (ops_badges.c): normalized,
 * not issued yet, no twin frame; fills cr's id, person, status and issue
 * time (validity is the caller's). Fails the request (-1) otherwise.
 */
int ops_badge_prepare(struct ctl_request *req, struct core *c, const struct person *p,
		      struct credential *cr);

/* Two-person, escort and visitors (ops_visitors.c). */
extern const struct ctl_op ops_visitors[]; /* visitor.* */
/*
 * zone.set's two-person and escort arguments: *ret_before is the zone's
 * setting now, *ret_after with the arguments given applied; *ret_given
 * says whether any was. Fails the request (-1) on a bad value.
 */
int ops_zone_pairing_args(struct ctl_request *req, struct store *s, const char *zone,
			  struct zone_pairing *ret_before, struct zone_pairing *ret_after,
			  bool *ret_given);
/* The zone's two_person, two_person_window, escort and escort_window members, set on obj. */
void ops_zone_pairing_json(json_t *obj, const struct zone_pairing *z);

/* The person named by argument arg; fails the request when there is none. */
int ops_find_person(struct ctl_request *req, const char *arg, struct person *p);
/*
 * store_credential_list callback (userdata: struct ops_credential_list):
 * appends ops_credential_json plus "flags", the badge's red flags now
 * (policy_credential_flags, as reason codes), to arr.
 */
struct ops_credential_list {
	json_t *arr;
	int64_t now_ms;
};
int ops_credential_list_cb(const struct credential *cr, void *userdata);
/* Sets "flags" on o: the person's red flags now (policy_person_flags, as reason codes). */
void ops_person_flags(struct core *c, const struct person *p, json_t *o);
/*
 * Adds "person_name" to each row (a JSON object) whose "person" names an
 * enrolled person: read now, for the dashboard to show beside the id; never
 * part of an event. Rows without a person, or whose person is gone, are
 * left as they are.
 */
void ops_person_names(struct core *c, json_t *rows);
/* The person's photo as person.photo_show describes it, or JSON null (ops_photos.c). */
json_t *ops_person_photo_json(struct core *c, const char *person);

/*
 * A level's schedule (ops_schedules.c). ops_level_schedule_arg reads the
 * optional argument "schedule": absent (*present false), null (none) or
 * the name of a schedule that exists (else it fails the request: -1).
 * ops_level_schedule_json is the level's schedule name, or null.
 */
int ops_level_schedule_arg(struct ctl_request *req, bool *present, const char **ret);
json_t *ops_level_schedule_json(struct store *s, const char *level);

/*
 * The argument "comment" of a change (ops_doors.c): display text, at most
 * AEOGATE_TEXT_MAX bytes, printable UTF-8. As ctl_arg_string.
 */
int ops_arg_comment(struct ctl_request *req, bool required, const char **ret);

/*
 * Lockdown and threat level (ops_site.c): adds lockdown (null, "site" or
 * the zones) and threat_level to system.status's result.
 */
void ops_site_status(struct core *c, json_t *status);
/* person.update's part: the arguments responder and clearance, and the person's values. */
int ops_person_site_args(struct ctl_request *req, int *ret_responder, int64_t *ret_clearance);
json_t *ops_person_site_json(struct store *s, const char *person);

/* When the controller started, for system.status. */
void ops_events_set_started(int64_t ms);

/*
 * A zone's area settings in zone.set and zone.list (ops_area.c): the
 * change asked for (apb, max_occupancy), parsed before the transaction,
 * written inside it, shown before/after in the trail.
 */
struct ops_area_change {
	bool apb, max; /* which were given */
	struct area_rules before, after;
};
/* 0 with a change, 1 when neither was given, -1 after failing the request. */
int ops_area_zone_parse(struct ctl_request *req, const char *zone, struct ops_area_change *ret);
void ops_area_zone_diff(const struct ops_area_change *ch, json_t *before, json_t *after);
int ops_area_zone_apply(struct store *s, const char *zone, const struct ops_area_change *ch);
/* Adds occupancy, max_occupancy, apb and apb_violations to a zone's object; negative errno. */
int ops_area_zone_fields(struct core *c, const char *zone, json_t *obj);

#endif
