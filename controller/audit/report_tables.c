/* SPDX-License-Identifier: MIT */
/* Table reports' rows, paging state and catalogue of page functions: see report_tables.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aeogate/wiegand.h"
#include "apb.h"
#include "audit.h"
#include "checkpoint.h"
#include "core.h"
#include "export.h"
#include "report_tables.h"
#include "reports.h"
#include "store.h"
#include "util.h"

#define DAY_MS (24LL * 60 * 60 * 1000)

/* Persons looked at per page of the person-driven reports. */
#define REPORT_PERSONS_PER_PAGE 200

static json_t *str_or_null(const char *s)
{
	return s && s[0] ? json_string(s) : json_null();
}

/* Chains and keeps one row (consumed); 1 when the page is full. */
static int add_row(struct report_run *run, json_t *row)
{
	json_t *cells;
	char *text;
	int r;

	if (!row)
		return -ENOMEM;
	cells = report_row_cells(row, run->columns);
	if (!cells) {
		json_decref(row);
		return -ENOMEM;
	}
	r = report_chain_next(run->chain, cells, run->chain);
	text = json_dumps(cells, JSON_COMPACT);
	run->bytes += text ? strlen(text) : 0;
	free(text);
	json_decref(cells);
	if (r < 0) {
		json_decref(row);
		return r;
	}
	run->count++;
	json_array_append_new(run->rows, row);
	return run->bytes >= AEOGATE_EXPORT_PAGE_BYTES ? 1 : 0;
}

/* ---- alarms ---- */

static const char *const alarm_cols[] = {"alarm",
					 "kind",
					 "door",
					 "zone",
					 "raised_seq",
					 "raised",
					 "acknowledged",
					 "acknowledged_by",
					 "comment",
					 "ack_elapsed_ms",
					 "closed",
					 "closed_by",
					 "state",
					 "ack_late",
					 NULL};

static int alarm_cb(const struct alarm *a, void *userdata)
{
	struct report_run *run = userdata;
	/* Not acknowledged: the close, or (still open) the report's time, is the response. */
	int64_t answered = a->ack_ms ? a->ack_ms : a->closed_ms ? a->closed_ms : run->p.at_ms;
	bool late = answered - a->raised_ms > run->p.ack_limit_ms;

	run->seen++;
	snprintf(run->cursor, sizeof(run->cursor), "%" PRId64, a->id);
	return add_row(
	    run, json_pack("{s:I,s:s,s:o,s:o,s:I,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:s,s:b}", "alarm",
			   (json_int_t)a->id, "kind", a->kind, "door", str_or_null(a->door), "zone",
			   str_or_null(a->zone), "raised_seq", (json_int_t)a->raised_seq, "raised",
			   time_to_json(a->raised_ms), "acknowledged", time_to_json(a->ack_ms),
			   "acknowledged_by", str_or_null(a->ack_by), "comment",
			   str_or_null(a->ack_comment), "ack_elapsed_ms",
			   a->ack_ms ? json_integer(a->ack_ms - a->raised_ms) : json_null(),
			   "closed", time_to_json(a->closed_ms), "closed_by",
			   str_or_null(a->closed_by), "state", a->state, "ack_late", late));
}

static int alarms_page(struct report_run *run)
{
	int64_t after = run->cursor[0] ? strtoll(run->cursor, NULL, 10) : 0;
	int r = store_alarm_list(
	    core_store(run->core), false, after, run->p.from_ms ? run->p.from_ms : INT64_MIN,
	    run->p.to_ms ? run->p.to_ms : INT64_MAX, AEOGATE_ROWS_PER_PAGE, alarm_cb, run);

	if (r < 0)
		return r;
	run->done = r == 0 && run->seen < AEOGATE_ROWS_PER_PAGE;
	return 0;
}

/* ---- entitlements ---- */

static const char *const ent_cols[] = {"person",      "name",  "status", "valid_from",
				       "valid_until", "level", "zone",	 "active_badges",
				       "entitled",    NULL};

struct person_page {
	struct report_run *run;
	json_t *level_zones; /* entitlements: level → [zones] */
	bool stopped;
};

static int level_zones_cb(const char *level, const char *const *zones, size_t n, void *userdata)
{
	json_t *z = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(z, json_string(zones[i]));
	return json_object_set_new(userdata, level, z);
}

static int level_name_cb(const char *level, void *userdata)
{
	return json_array_append_new(userdata, json_string(level));
}

static bool valid_at(int64_t from, int64_t until, int64_t at)
{
	return (!from || from <= at) && (!until || at < until);
}

struct badge_count {
	int64_t at_ms;
	int64_t usable;	     /* active and valid at at_ms */
	int64_t open;	     /* not revoked or returned */
	int64_t revoked_max; /* latest revocation time */
};

static int badge_count_cb(const struct credential *cr, void *userdata)
{
	struct badge_count *b = userdata;

	if (!strcmp(cr->status, "active") && valid_at(cr->valid_from, cr->valid_until, b->at_ms))
		b->usable++;
	if (strcmp(cr->status, "revoked") && strcmp(cr->status, "returned"))
		b->open++;
	if (cr->revoked_ms > b->revoked_max)
		b->revoked_max = cr->revoked_ms;
	return 0;
}

static int ent_person_cb(const struct person *p, void *userdata)
{
	struct person_page *pp = userdata;
	struct report_run *run = pp->run;
	struct store *s = core_store(run->core);
	struct badge_count b = {.at_ms = run->p.at_ms};
	json_t *levels = json_array(), *lv;
	bool entitled;
	size_t i;
	int r = 0;

	run->seen++;
	snprintf(run->cursor, sizeof(run->cursor), "%s", p->id);
	/* Leavers hold no entitlement; the leavers report accounts for them. */
	if (!strcmp(p->status, "terminated"))
		goto out;
	if ((r = store_person_levels(s, p->id, level_name_cb, levels)) < 0 ||
	    (r = store_credential_list(s, p->id, badge_count_cb, &b)) < 0)
		goto out;
	entitled = !strcmp(p->status, "active") &&
		   valid_at(p->valid_from, p->valid_until, b.at_ms) && b.usable > 0;
	json_array_foreach(levels, i, lv)
	{
		const json_t *zones = json_object_get(pp->level_zones, json_string_value(lv)), *z;
		size_t j;

		json_array_foreach(zones, j, z)
		{
			r = add_row(run,
				    json_pack("{s:s,s:s,s:s,s:o,s:o,s:O,s:O,s:I,s:b}", "person",
					      p->id, "name", p->name, "status", p->status,
					      "valid_from", time_to_json(p->valid_from),
					      "valid_until", time_to_json(p->valid_until), "level",
					      lv, "zone", z, "active_badges", (json_int_t)b.usable,
					      "entitled", entitled));
			if (r < 0)
				goto out;
		}
	}
	/* A person's rows stay on one page: the cursor names whole persons. */
	r = run->bytes >= AEOGATE_EXPORT_PAGE_BYTES ? 1 : 0;
out:
	json_decref(levels);
	pp->stopped = r > 0;
	return r;
}

static int person_pages(struct report_run *run, int (*cb)(const struct person *, void *),
			json_t *level_zones)
{
	struct person_page pp = {.run = run, .level_zones = level_zones};
	int r = store_person_list(core_store(run->core), run->cursor[0] ? run->cursor : NULL,
				  REPORT_PERSONS_PER_PAGE, cb, &pp);

	if (r < 0)
		return r;
	run->done = !pp.stopped && run->seen < REPORT_PERSONS_PER_PAGE;
	return 0;
}

static int entitlements_page(struct report_run *run)
{
	json_t *lz = json_object();
	int r = store_level_list(core_store(run->core), level_zones_cb, lz);

	if (r == 0)
		r = person_pages(run, ent_person_cb, lz);
	json_decref(lz);
	return r;
}

/* ---- leavers ---- */

static const char *const leaver_cols[] = {
    "person",	      "name",	       "terminated",   "revoked",      "gap_ms", "open_badges",
    "attempts_after", "first_attempt", "last_attempt", "attempt_seqs", NULL};

struct attempts {
	int64_t n, first_ms, last_ms;
	char seqs[AEOGATE_REPORT_ATTEMPTS_LISTED * 21];
};

static int attempt_cb(int64_t seq, int64_t ts_ms, void *userdata)
{
	struct attempts *a = userdata;
	size_t len = strlen(a->seqs);

	if (!a->n)
		a->first_ms = ts_ms;
	a->last_ms = ts_ms;
	if (a->n < AEOGATE_REPORT_ATTEMPTS_LISTED)
		snprintf(a->seqs + len, sizeof(a->seqs) - len, "%s%" PRId64, len ? " " : "", seq);
	a->n++;
	return 0;
}

static int leaver_cb(const struct person *p, void *userdata)
{
	struct person_page *pp = userdata;
	struct report_run *run = pp->run;
	struct store *s = core_store(run->core);
	struct badge_count b = {.at_ms = run->p.at_ms};
	struct attempts a = {0};
	int r;

	run->seen++;
	snprintf(run->cursor, sizeof(run->cursor), "%s", p->id);
	if (strcmp(p->status, "terminated") || p->terminated_ms < run->p.from_ms ||
	    (run->p.to_ms && p->terminated_ms >= run->p.to_ms))
		return 0;
	if ((r = store_credential_list(s, p->id, badge_count_cb, &b)) < 0 ||
	    (r = store_person_access_after(s, p->id, p->terminated_ms, attempt_cb, &a)) < 0)
		return r;
	r = add_row(
	    run,
	    json_pack("{s:s,s:s,s:o,s:o,s:o,s:I,s:I,s:o,s:o,s:o}", "person", p->id, "name", p->name,
		      "terminated", time_to_json(p->terminated_ms), "revoked",
		      time_to_json(b.revoked_max), "gap_ms",
		      b.revoked_max ? json_integer(b.revoked_max - p->terminated_ms) : json_null(),
		      "open_badges", (json_int_t)b.open, "attempts_after", (json_int_t)a.n,
		      "first_attempt", a.n ? time_to_json(a.first_ms) : json_null(), "last_attempt",
		      a.n ? time_to_json(a.last_ms) : json_null(), "attempt_seqs",
		      str_or_null(a.seqs)));
	pp->stopped = r > 0;
	return r;
}

static int leavers_page(struct report_run *run)
{
	return person_pages(run, leaver_cb, NULL);
}

/* ---- validity ---- */

static const char *const validity_cols[] = {"valid_until", "state",  "days_left", "type",
					    "id",	   "person", "name",	  "status",
					    "valid_from",  NULL};

static int64_t floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

static int validity_cb(const struct validity_row *v, void *userdata)
{
	struct report_run *run = userdata;
	struct person p = {0};
	int64_t left = v->valid_until - run->p.at_ms;

	run->seen++;
	snprintf(run->cursor, sizeof(run->cursor), "%" PRId64 "\t%s\t%s", v->valid_until, v->type,
		 v->id);
	(void)store_person_get(core_store(run->core), v->person, &p);
	return add_row(run,
		       json_pack("{s:o,s:s,s:I,s:s,s:s,s:s,s:o,s:s,s:o}", "valid_until",
				 time_to_json(v->valid_until), "state",
				 left <= 0 ? "expired" : "expiring", "days_left",
				 (json_int_t)floor_div(left, DAY_MS), "type", v->type, "id", v->id,
				 "person", v->person, "name", str_or_null(p.name), "status",
				 v->status, "valid_from", time_to_json(v->valid_from)));
}

static int validity_page(struct report_run *run)
{
	int64_t before =
	    run->p.within_days >= 0 ? run->p.at_ms + run->p.within_days * DAY_MS : INT64_MAX;
	int64_t after_until = INT64_MIN;
	char type[16] = "", id[AEOGATE_CREDENTIAL_MAX + 1] = "";
	int r;

	if (run->cursor[0]) {
		long long u;
		char *tab = strchr(run->cursor, '\t'), *tab2 = tab ? strchr(tab + 1, '\t') : NULL;

		if (!tab2 || (size_t)(tab2 - tab - 1) >= sizeof(type) ||
		    strlen(tab2 + 1) >= sizeof(id) || sscanf(run->cursor, "%lld", &u) != 1)
			return -EINVAL;
		after_until = u;
		memcpy(type, tab + 1, (size_t)(tab2 - tab - 1));
		type[tab2 - tab - 1] = '\0';
		snprintf(id, sizeof(id), "%s", tab2 + 1);
	}
	r = store_validity_list(core_store(run->core), before, after_until, type, id,
				AEOGATE_ROWS_PER_PAGE, validity_cb, run);
	if (r < 0)
		return r;
	run->done = r == 0 && run->seen < AEOGATE_ROWS_PER_PAGE;
	return 0;
}

/* ---- access points ---- */

static const char *const ap_cols[] = {"type",	     "name",	  "zone",	    "door",
				      "backend",     "lock_type", "strike_time_ms", "held_time_ms",
				      "reader_type", "direction", "formats",	    NULL};

static int access_points_page(struct report_run *run)
{
	const struct config *cfg = core_config(run->core);
	int r = 0;

	/* The site is small (AEOGATE_DOORS_MAX, AEOGATE_READERS_MAX): one page. */
	for (size_t i = 0; i < cfg->n_doors && r >= 0; i++) {
		bool seen = cfg->doors[i].removed; /* a reload took it out */

		for (size_t j = 0; j < i; j++)
			seen |= !cfg->doors[j].removed &&
				!strcmp(cfg->doors[j].zone, cfg->doors[i].zone);
		if (!seen)
			r = add_row(run, json_pack("{s:s,s:s,s:s}", "type", "zone", "name",
						   cfg->doors[i].zone, "zone", cfg->doors[i].zone));
	}
	for (size_t i = 0; i < cfg->n_doors && r >= 0; i++) {
		const struct door_config *d = &cfg->doors[i];

		if (d->removed)
			continue;
		r = add_row(
		    run, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:I,s:I}", "type", "door", "name",
				   d->name, "zone", d->zone, "door", d->name, "backend",
				   d->backend == DOOR_BACKEND_GPIOD ? "gpiod" : "sim", "lock_type",
				   d->lock_type == LOCK_MAGLOCK ? "maglock" : "strike",
				   "strike_time_ms", (json_int_t)d->strike_time_ms, "held_time_ms",
				   (json_int_t)d->held_time_ms));
	}
	for (size_t i = 0; i < cfg->n_readers && r >= 0; i++) {
		const struct reader_config *rc = &cfg->readers[i];
		char formats[128] = "";

		if (rc->removed)
			continue;
		for (int f = 0; rc->type != READER_NFC && f < _WIEGAND_FORMAT_MAX; f++)
			if (rc->formats_mask & (1u << f)) {
				size_t len = strlen(formats);

				snprintf(formats + len, sizeof(formats) - len, "%s%s",
					 len ? " " : "", wiegand_format_name(f));
			}
		r = add_row(run,
			    json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:o}", "type", "reader", "name",
				      rc->name, "zone", cfg->doors[rc->door_index].zone, "door",
				      rc->door, "reader_type", reader_type_name(rc->type),
				      "direction", rc->direction, "formats", str_or_null(formats)));
	}
	run->done = true;
	return r < 0 ? r : 0;
}

/* vetting: who may enter a vetting-required zone, and their clearance; overdue first. */
static const char *const vetting_cols[] = {"person",	  "name",      "status",  "checked",
					   "recheck_due", "reference", "overdue", NULL};

static int vetting_cb(const struct vetting_report_row *v, void *userdata)
{
	struct report_run *run = userdata;

	run->seen++;
	snprintf(run->cursor, sizeof(run->cursor), "%" PRId64 "\t%s", v->rank, v->person);
	return add_row(run, json_pack("{s:s,s:s,s:o,s:o,s:o,s:o,s:b}", "person", v->person, "name",
				      v->name, "status",
				      v->status[0] ? json_string(v->status) : json_null(),
				      "checked", time_to_json(v->checked_ms), "recheck_due",
				      time_to_json(v->recheck_due_ms), "reference",
				      v->reference[0] ? json_string(v->reference) : json_null(),
				      "overdue", v->rank == 0));
}

static int vetting_page(struct report_run *run)
{
	long long rank = -1;
	const char *id = "";
	int r;

	if (run->cursor[0]) {
		char *tab = strchr(run->cursor, '\t');

		if (!tab || sscanf(run->cursor, "%lld", &rank) != 1)
			return -EINVAL;
		id = tab + 1;
	}
	r = store_vetting_report(core_store(run->core), run->p.at_ms, rank, id,
				 AEOGATE_ROWS_PER_PAGE, vetting_cb, run);
	if (r < 0)
		return r;
	run->done = r == 0 && run->seen < AEOGATE_ROWS_PER_PAGE;
	return 0;
}

/*
 * muster: who was inside a zone at --at, rebuilt from the events that move
 * people (access.granted with its direction, apb.forgiven) by the same
 * transitions the controller applies as they happen (policy/apb.c), so the
 * report at the present moment is the muster list. By person, a page of
 * persons at a time (as the entitlements): each person's events are read
 * newest first through events_person, back to their last entry, never the
 * whole log, so a page costs the same on a log of 10 million events.
 *
 * An entry puts the person in its zone whatever came before, so the last
 * entry up to --at decides, unless an exit from that zone or a forgive
 * (of that zone, or of every zone) came after it: walking back, those are
 * remembered until the entry is found.
 */
static const char *const muster_cols[] = {"zone", "person", "name", "since", "door", NULL};

struct muster_walk {
	json_t *cleared;  /* zones an exit or a forgive after the entry would clear */
	bool cleared_all; /* a forgive of every zone after the entry */
	bool found;
	struct area_location loc; /* the entry's */
};

static int muster_event_cb(const struct area_event *e, void *userdata)
{
	struct muster_walk *w = userdata;
	bool forgive = !strcmp(e->kind, "apb.forgiven");

	if (forgive && !e->zone[0]) {
		w->cleared_all = true;
		return 0;
	}
	if (forgive || !strcmp(e->direction, "out"))
		return json_object_set_new(w->cleared, e->zone, json_true()) < 0 ? -ENOMEM : 0;
	if (strcmp(e->direction, "in"))
		return 0;
	/* The last entry: the same transition as at the door, then the walk ends. */
	area_move(&w->loc, e->zone, e->door, false, e->ts_ms);
	w->found = true;
	return 1;
}

static int muster_person_cb(const struct person *p, void *userdata)
{
	struct person_page *pp = userdata;
	struct report_run *run = pp->run;
	struct muster_walk w = {.cleared = json_object()};
	int r;

	run->seen++;
	snprintf(run->cursor, sizeof(run->cursor), "%s", p->id);
	if (!w.cleared)
		return -ENOMEM;
	r = store_area_events(core_store(run->core), p->id, run->p.at_ms, muster_event_cb, &w);
	if (r >= 0 && w.found && !w.cleared_all && !json_object_get(w.cleared, w.loc.zone))
		r = add_row(run, json_pack("{s:s,s:s,s:s,s:o,s:s}", "zone", w.loc.zone, "person",
					   p->id, "name", p->name, "since",
					   time_to_json(w.loc.since_ms), "door", w.loc.door));
	json_decref(w.cleared);
	if (r < 0)
		return r;
	r = run->bytes >= AEOGATE_EXPORT_PAGE_BYTES ? 1 : 0;
	pp->stopped = r > 0;
	return r;
}

static int muster_page(struct report_run *run)
{
	return person_pages(run, muster_person_cb, NULL);
}

/*
 * visitors: the visitor register for a period (every visit that overlaps
 * it), by visitor id; returned says whether the badge came back (visitor
 * end), overdue flags a badge not returned by the visit's --until.
 */
static const char *const visitor_cols[] = {"visitor",  "name",	   "company", "host",
					   "document", "vehicle",  "added",   "until",
					   "ended",    "returned", "overdue", NULL};

static int visitors_cb(const struct visitor *v, void *userdata)
{
	struct report_run *run = userdata;
	bool returned = v->ended_ms != 0;
	bool overdue = returned ? v->ended_ms > v->until_ms : v->until_ms <= run->p.at_ms;

	run->seen++;
	snprintf(run->cursor, sizeof(run->cursor), "%s", v->person);
	return add_row(
	    run, json_pack("{s:s,s:s,s:s,s:s,s:s,s:o,s:o,s:o,s:o,s:s,s:s}", "visitor", v->person,
			   "name", v->name, "company", v->company, "host", v->host, "document",
			   v->document, "vehicle", str_or_null(v->vehicle), "added",
			   time_to_json(v->added_ms), "until", time_to_json(v->until_ms), "ended",
			   v->ended_ms ? time_to_json(v->ended_ms) : json_null(), "returned",
			   returned ? "yes" : "no", "overdue", overdue ? "yes" : "no"));
}

static int visitors_page(struct report_run *run)
{
	int r = store_visitor_report(core_store(run->core), run->p.from_ms,
				     run->p.to_ms ? run->p.to_ms : INT64_MAX, run->cursor,
				     AEOGATE_ROWS_PER_PAGE, visitors_cb, run);

	if (r < 0)
		return r;
	run->done = r == 0 && run->seen < AEOGATE_ROWS_PER_PAGE;
	return 0;
}

static const struct report_def reports[] = {
    {"alarms", alarm_cols, alarms_page},
    {"entitlements", ent_cols, entitlements_page},
    {"leavers", leaver_cols, leavers_page},
    {"validity", validity_cols, validity_page},
    {"access-points", ap_cols, access_points_page},
    {"vetting", vetting_cols, vetting_page},
    {"muster", muster_cols, muster_page},
    {"visitors", visitor_cols, visitors_page},
};

/* ---- paging state ---- */

json_t *report_columns_json(const struct report_def *def)
{
	json_t *a = json_array();

	for (size_t i = 0; def->columns[i]; i++)
		json_array_append_new(a, json_string(def->columns[i]));
	return a;
}

json_t *report_params_json(const struct report_params *p)
{
	return json_pack("{s:o,s:o,s:o,s:o,s:o}", "at", time_to_json(p->at_ms), "from",
			 time_to_json(p->from_ms), "to", time_to_json(p->to_ms), "within_days",
			 p->within_days >= 0 ? json_integer(p->within_days) : json_null(),
			 "alarm_ack_limit_ms",
			 p->ack_limit_ms ? json_integer(p->ack_limit_ms) : json_null());
}

static int param_time(const json_t *o, const char *k, int64_t *ret)
{
	const json_t *v = json_object_get(o, k);

	*ret = 0;
	if (json_is_null(v))
		return 0;
	return json_is_string(v) ? time_parse_ms(json_string_value(v), ret) : -EINVAL;
}

int report_params_from_json(const json_t *o, struct report_params *ret)
{
	struct report_params p = {0};
	const json_t *w = json_object_get(o, "within_days"), *l;

	l = json_object_get(o, "alarm_ack_limit_ms");
	if (!json_is_object(o) || param_time(o, "at", &p.at_ms) < 0 || !p.at_ms ||
	    param_time(o, "from", &p.from_ms) < 0 || param_time(o, "to", &p.to_ms) < 0 ||
	    !(json_is_null(w) || json_is_integer(w)) || !(json_is_null(l) || json_is_integer(l)))
		return -EINVAL;
	p.within_days = json_is_integer(w) ? json_integer_value(w) : -1;
	p.ack_limit_ms = json_is_integer(l) ? json_integer_value(l) : 0;
	*ret = p;
	return 0;
}

int report_state_mac(const struct report_run *run, char ret[AUDIT_MAC_HEX])
{
	json_t *pj = report_params_json(&run->p);
	char *ptext = pj ? json_dumps(pj, JSON_COMPACT | JSON_SORT_KEYS) : NULL, *text = NULL;

	json_decref(pj);
	if (!ptext || asprintf(&text, "report\n%s\n%s\n%s\n%d\n%" PRId64 "\n%s", run->def->name,
			       ptext, run->cursor, run->done, run->count, run->chain) < 0) {
		free(ptext);
		return -ENOMEM;
	}
	audit_mac(core_audit(run->core), text, ret);
	free(text);
	free(ptext);
	return 0;
}

json_t *report_state_json(const struct report_run *run)
{
	char mac[AUDIT_MAC_HEX];

	if (report_state_mac(run, mac) < 0)
		return NULL;
	return json_pack("{s:s,s:b,s:I,s:s,s:s}", "cursor", run->cursor, "done", run->done, "count",
			 (json_int_t)run->count, "chain", run->chain, "mac", mac);
}

const struct report_def *report_table_find(const char *name)
{
	for (size_t i = 0; i < sizeof(reports) / sizeof(reports[0]); i++)
		if (!strcmp(reports[i].name, name))
			return &reports[i];
	return NULL;
}
