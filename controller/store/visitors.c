/* SPDX-License-Identifier: MIT */
/* The two-person rule and escorts per zone, and the visitor register (schema 17). */
#include <errno.h>

#include "store-internal.h"

ROW_SHAPE(pairing_shape, struct zone_pairing, COL(struct zone_pairing, two_person),
	  COL(struct zone_pairing, two_person_window_ms), COL(struct zone_pairing, escort),
	  COL(struct zone_pairing, escort_window_ms));

ROW_SHAPE(visitor_shape, struct visitor, COL(struct visitor, person), COL(struct visitor, name),
	  COL(struct visitor, company), COL(struct visitor, host), COL(struct visitor, document),
	  COL(struct visitor, vehicle), COL(struct visitor, until_ms),
	  COL(struct visitor, added_ms), COL(struct visitor, ended_ms),
	  COL(struct visitor, on_site));

/*
 * The visitor's columns, and whether they are on site: in some zone by the
 * location table (schema 14, person_locations: a granted in read put them
 * there, no out read or apb forgive took them out; what muster lists), and
 * never once the visit ended.
 */
#define VISITOR_ON_SITE                                                                            \
	"(v.ended_ms IS NULL AND "                                                                 \
	"EXISTS (SELECT 1 FROM person_locations l WHERE l.person = v.person))"
#define VISITOR_COLUMNS                                                                            \
	"SELECT v.person, p.name, v.company, v.host, v.document, coalesce(v.vehicle, ''), "        \
	"v.until_ms, v.added_ms, coalesce(v.ended_ms, 0), " VISITOR_ON_SITE " "                    \
	"FROM visitors v JOIN persons p ON p.id = v.person "

const char *const store_visitors_sql[_ST_MAX] = {
    [ST_ZONE_PAIRING_GET] = "SELECT two_person, two_person_window_ms, escort, escort_window_ms "
			    "FROM zone_pairing WHERE zone = ?1",
    [ST_ZONE_PAIRING_PUT] =
	"INSERT INTO zone_pairing(zone, two_person, two_person_window_ms, escort, "
	"escort_window_ms) VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT(zone) DO UPDATE SET "
	"two_person = excluded.two_person, two_person_window_ms = excluded.two_person_window_ms, "
	"escort = excluded.escort, escort_window_ms = excluded.escort_window_ms",
    [ST_VISITOR_ADD] = "INSERT INTO visitors(person, company, host, document, vehicle, until_ms, "
		       "added_ms) VALUES (?1, ?2, ?3, ?4, nullif(?5, ''), ?6, ?7)",
    [ST_VISITOR_GET] = VISITOR_COLUMNS "WHERE v.person = ?1",
    [ST_VISITOR_IS] = "SELECT 1 FROM visitors WHERE person = ?1",
    [ST_VISITOR_END] = "UPDATE visitors SET ended_ms = ?2 WHERE person = ?1 AND ended_ms IS NULL",
    [ST_VISITOR_BADGES_RETURN] = "UPDATE credentials SET status = 'returned', revoked_ms = ?2 "
				 "WHERE person = ?1 AND status IN ('active', 'suspended', 'lost')",
    /* A page by id; with ?2 only those on site. */
    [ST_VISITOR_LIST] = VISITOR_COLUMNS "WHERE v.person > ?1 AND (?2 = 0 OR " VISITOR_ON_SITE
					") ORDER BY v.person LIMIT ?3",
    /* The register for a period: every visit that had begun by its end and not ended before it. */
    [ST_VISITOR_REPORT] = VISITOR_COLUMNS "WHERE v.added_ms < ?2 AND "
					  "coalesce(v.ended_ms, max(v.until_ms, ?2)) >= ?1 "
					  "AND v.person > ?3 ORDER BY v.person LIMIT ?4",
};

void store_zone_pairing_default(struct zone_pairing *ret)
{
	*ret = (struct zone_pairing){
	    .two_person_window_ms = STORE_TWO_PERSON_WINDOW_MS,
	    .escort_window_ms = STORE_ESCORT_WINDOW_MS,
	};
}

int store_zone_pairing_get(struct store *s, const char *zone, struct zone_pairing *ret)
{
	const struct store_zone_slot *c = store_zone_cached(s, zone, STORE_ZONE_PAIRING);
	struct store_zone_slot *fill;
	struct zone_pairing z;
	int r;

	if (c) {
		*ret = c->pairing;
		return 0;
	}
	r = stmt_get(s, &pairing_shape, &z, ST_ZONE_PAIRING_GET, "t", zone);
	if (r < 0)
		return r;
	if (r == 0)
		store_zone_pairing_default(&z);
	if ((fill = store_zone_cache_slot(s, zone))) {
		fill->pairing = z;
		fill->have |= STORE_ZONE_PAIRING;
	}
	*ret = z;
	return 0;
}

int store_zone_pairing_set(struct store *s, const char *zone, const struct zone_pairing *z)
{
	store_zone_cache_forget(s);
	return stmt_run(s, ST_ZONE_PAIRING_PUT, "tiiii", zone, (int64_t)(z->two_person ? 1 : 0),
			z->two_person_window_ms, (int64_t)(z->escort ? 1 : 0), z->escort_window_ms);
}

int store_visitor_add(struct store *s, const struct visitor *v)
{
	return stmt_run(s, ST_VISITOR_ADD, "tttttii", v->person, v->company, v->host, v->document,
			v->vehicle, v->until_ms, v->added_ms);
}

int store_visitor_get(struct store *s, const char *person, struct visitor *ret)
{
	return stmt_found(s, stmt_get(s, &visitor_shape, ret, ST_VISITOR_GET, "t", person),
			  "no visitor %s", person);
}

int store_visitor_is(struct store *s, const char *person)
{
	return stmt_get(s, NULL, NULL, ST_VISITOR_IS, "t", person);
}

int store_visitor_end(struct store *s, const char *person, int64_t ended_ms)
{
	return stmt_run_changed(s, ST_VISITOR_END, "visit in progress of", person, "ti", person,
				ended_ms);
}

static int visitor_walk(struct store *s, sqlite3_stmt *st,
			int (*cb)(const struct visitor *v, void *userdata), void *userdata)
{
	struct visitor v;
	int r;

	while ((r = stmt_next(s, st, &visitor_shape, &v)) > 0)
		if ((r = cb(&v, userdata)) != 0)
			return r;
	return r;
}

int store_visitor_list(struct store *s, const char *after, bool on_site_only, size_t limit,
		       int (*cb)(const struct visitor *v, void *userdata), void *userdata)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r = stmt_prepare(s, ST_VISITOR_LIST, &st, "tii", after ? after : "",
			     (int64_t)(on_site_only ? 1 : 0), sql_limit(limit));

	return r < 0 ? r : visitor_walk(s, st, cb, userdata);
}

int store_visitor_report(struct store *s, int64_t from_ms, int64_t to_ms, const char *after,
			 size_t limit, int (*cb)(const struct visitor *v, void *userdata),
			 void *userdata)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r = stmt_prepare(s, ST_VISITOR_REPORT, &st, "iiti", from_ms, to_ms, after ? after : "",
			     sql_limit(limit));

	return r < 0 ? r : visitor_walk(s, st, cb, userdata);
}

int64_t store_visitor_badges_return(struct store *s, const char *person, int64_t at_ms)
{
	int r = stmt_run(s, ST_VISITOR_BADGES_RETURN, "ti", person, at_ms);

	return r < 0 ? r : sqlite3_changes(s->db);
}
