/* SPDX-License-Identifier: MIT */
/* Area rules, where everyone is and their last entries (schema 014). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "store-internal.h"

ROW_SHAPE(zone_area_shape, struct zone_area_row, COL(struct zone_area_row, apb),
	  COL(struct zone_area_row, apb_minutes), COL(struct zone_area_row, max_occupancy),
	  COL(struct zone_area_row, soft_violations));

ROW_SHAPE(location_shape, struct location_row, COL(struct location_row, person),
	  COL(struct location_row, name), COL(struct location_row, zone),
	  COL(struct location_row, since_ms), COL(struct location_row, door));

/* An area event's strings are borrowed from the row. */
ROW_SHAPE(area_event_shape, struct area_event, COL(struct area_event, seq),
	  COL(struct area_event, ts_ms), COL(struct area_event, kind), COL(struct area_event, door),
	  COL(struct area_event, zone), COL(struct area_event, person),
	  COL(struct area_event, direction));

const char *const store_locations_sql[_ST_MAX] = {
    [ST_ZONE_AREA_GET] = "SELECT apb, apb_minutes, coalesce(max_occupancy, -1), soft_violations "
			 "FROM zone_area WHERE zone = ?1",
    [ST_ZONE_AREA_SET] =
	"INSERT INTO zone_area(zone, apb, apb_minutes, max_occupancy) "
	"VALUES (?1, ?2, ?3, CASE WHEN ?4 < 0 THEN NULL ELSE ?4 END) "
	"ON CONFLICT(zone) DO UPDATE SET apb = excluded.apb, apb_minutes = excluded.apb_minutes, "
	"max_occupancy = excluded.max_occupancy",
    [ST_ZONE_SOFT_VIOLATION] =
	"INSERT INTO zone_area(zone, soft_violations) VALUES (?1, 1) "
	"ON CONFLICT(zone) DO UPDATE SET soft_violations = soft_violations + 1",
    /* A grant reads it: the location alone, not the name (a second B-tree probe). */
    [ST_LOCATION_GET] = "SELECT person, '', zone, since_ms, door FROM person_locations "
			"WHERE person = ?1",
    [ST_LOCATION_PUT] = "INSERT INTO person_locations(person, zone, since_ms, door) "
			"VALUES (?1, ?2, ?3, ?4) ON CONFLICT(person) DO UPDATE SET "
			"zone = excluded.zone, since_ms = excluded.since_ms, door = excluded.door",
    [ST_LOCATION_CLEAR] = "DELETE FROM person_locations WHERE person = ?1",
    [ST_LOCATION_LIST] = "SELECT l.person, coalesce(p.name, ''), l.zone, l.since_ms, l.door "
			 "FROM person_locations l LEFT JOIN persons p ON p.id = l.person "
			 "WHERE (?1 IS NULL OR l.zone = ?1) AND (?2 IS NULL OR l.person = ?2) "
			 "ORDER BY l.zone, l.since_ms, l.person",
    [ST_ZONE_OCCUPANCY] = "SELECT count(*) FROM person_locations WHERE zone = ?1",
    [ST_ZONE_ENTRY_GET] = "SELECT at_ms FROM zone_entries WHERE person = ?1 AND zone = ?2",
    [ST_ZONE_ENTRY_PUT] = "INSERT INTO zone_entries(person, zone, at_ms) VALUES (?1, ?2, ?3) "
			  "ON CONFLICT(person, zone) DO UPDATE SET at_ms = excluded.at_ms",
    [ST_ZONE_ENTRIES_CLEAR] =
	"DELETE FROM zone_entries WHERE person = ?1 AND (?2 IS NULL OR zone = ?2)",
    /* One person's, newest first, through events_person: never the whole log. */
    [ST_AREA_EVENTS] =
	"SELECT seq, ts_ms, kind, coalesce(door, ''), coalesce(zone, ''), coalesce(person, ''), "
	"CASE WHEN json_valid(detail) THEN coalesce(json_extract(detail, '$.direction'), '') "
	"ELSE '' END FROM events "
	"WHERE person = ?1 AND ts_ms <= ?2 AND kind IN ('access.granted', 'apb.forgiven') "
	"ORDER BY seq DESC",
};

int store_zone_area_get(struct store *s, const char *zone, struct zone_area_row *ret)
{
	const struct store_zone_slot *c = store_zone_cached(s, zone, STORE_ZONE_AREA);
	struct store_zone_slot *fill;
	int r;

	if (c) {
		*ret = c->area;
		return 0;
	}
	r = stmt_get(s, &zone_area_shape, ret, ST_ZONE_AREA_GET, "t", zone);
	if (r < 0)
		return r;
	if (r == 0)
		*ret = (struct zone_area_row){.apb = "off", .max_occupancy = -1};
	if ((fill = store_zone_cache_slot(s, zone))) {
		fill->area = *ret;
		fill->have |= STORE_ZONE_AREA;
	}
	return 0;
}

int store_zone_area_set(struct store *s, const char *zone, const char *apb, int64_t apb_minutes,
			int64_t max_occupancy)
{
	store_zone_cache_forget(s);
	return stmt_run(s, ST_ZONE_AREA_SET, "ttii", zone, apb, apb_minutes, max_occupancy);
}

int store_zone_soft_violation(struct store *s, const char *zone)
{
	store_zone_cache_forget(s);
	return stmt_run(s, ST_ZONE_SOFT_VIOLATION, "t", zone);
}

int store_location_get(struct store *s, const char *person, struct location_row *ret)
{
	return stmt_found(s, stmt_get(s, &location_shape, ret, ST_LOCATION_GET, "t", person),
			  "%s is in no zone", person);
}

int store_location_put(struct store *s, const char *person, const char *zone, int64_t since_ms,
		       const char *door)
{
	return stmt_run(s, ST_LOCATION_PUT, "ttit", person, zone, since_ms, door);
}

int store_location_clear(struct store *s, const char *person)
{
	return stmt_run(s, ST_LOCATION_CLEAR, "t", person);
}

int store_location_list(struct store *s, const char *zone, const char *person,
			int (*cb)(const struct location_row *r, void *userdata), void *userdata)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	struct location_row row;
	int r = stmt_prepare(s, ST_LOCATION_LIST, &st, "tt", zone, person);

	if (r < 0)
		return r;
	while ((r = stmt_next(s, st, &location_shape, &row)) > 0)
		if ((r = cb(&row, userdata)) != 0)
			return r;
	return r;
}

int store_zone_occupancy(struct store *s, const char *zone, int64_t *ret)
{
	int64_t n = 0;
	int r = stmt_get(s, &int_row, &n, ST_ZONE_OCCUPANCY, "t", zone);

	if (r < 0)
		return r;
	*ret = n;
	return 0;
}

int store_zone_entry_get(struct store *s, const char *person, const char *zone, int64_t *ret_ms)
{
	int64_t at = 0;
	int r = stmt_get(s, &int_row, &at, ST_ZONE_ENTRY_GET, "tt", person, zone);

	if (r < 0)
		return r;
	*ret_ms = r ? at : 0;
	return 0;
}

int store_zone_entry_put(struct store *s, const char *person, const char *zone, int64_t at_ms)
{
	return stmt_run(s, ST_ZONE_ENTRY_PUT, "tti", person, zone, at_ms);
}

int store_zone_entries_clear(struct store *s, const char *person, const char *zone)
{
	return stmt_run(s, ST_ZONE_ENTRIES_CLEAR, "tt", person, zone);
}

int store_area_events(struct store *s, const char *person, int64_t upto_ms,
		      int (*cb)(const struct area_event *e, void *userdata), void *userdata)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	struct area_event row;
	int r = stmt_prepare(s, ST_AREA_EVENTS, &st, "ti", person, upto_ms);

	if (r < 0)
		return r;
	while ((r = stmt_next(s, st, &area_event_shape, &row)) > 0)
		if ((r = cb(&row, userdata)) != 0)
			return r;
	return r;
}
