// SPDX-License-Identifier: MIT
/*
 * The site and who may enter it: zones, doors and readers (the config's
 * topology), persons, access levels and the levels each person holds.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store-internal.h"

#define PERSON_COLS "id, name, status, valid_from, valid_until, created_ms, terminated_ms"

ROW_SHAPE(person_row, struct person, COL(struct person, id), COL(struct person, name),
	  COL(struct person, status), COL(struct person, valid_from),
	  COL(struct person, valid_until), COL(struct person, created_ms),
	  COL(struct person, terminated_ms));

const char *const store_people_sql[_ST_MAX] = {
    [ST_ZONE_UPSERT] = "INSERT INTO zones(name) VALUES (?1) ON CONFLICT(name) DO NOTHING",
    [ST_DOOR_UPSERT] = "INSERT INTO doors(name, zone) VALUES (?1, ?2) "
		       "ON CONFLICT(name) DO UPDATE SET zone = excluded.zone",
    [ST_READER_UPSERT] =
	"INSERT INTO readers(name, door, type) VALUES (?1, ?2, ?3) "
	"ON CONFLICT(name) DO UPDATE SET door = excluded.door, type = excluded.type",
    [ST_ZONE_EXISTS] = "SELECT 1 FROM zones WHERE name = ?1",

    /* An empty status means the schema's default, as if the column were left out. */
    [ST_PERSON_ADD] = "INSERT INTO persons(" PERSON_COLS ") "
		      "VALUES (?1, ?2, coalesce(nullif(?3, ''), 'active'), ?4, ?5, ?6, ?7)",
    [ST_PERSON_GET] = "SELECT " PERSON_COLS " FROM persons WHERE id = ?1",
    [ST_PERSON_EXISTS] = "SELECT 1 FROM persons WHERE id = ?1",
    [ST_PERSON_NAME] = "SELECT name FROM persons INDEXED BY persons_id_name WHERE id = ?1",
    /* persons_name (schema 21): a name, whatever its case, without reading everyone. */
    [ST_PERSON_BY_NAME] = "SELECT id FROM persons WHERE name = ?1 COLLATE NOCASE ORDER BY name "
			  "COLLATE NOCASE LIMIT ?2",
    /* Terminating twice keeps the first time; any other status clears it. */
    [ST_PERSON_SET_STATUS] = "UPDATE persons SET status = ?2, terminated_ms = CASE WHEN ?2 = "
			     "'terminated' THEN coalesce(terminated_ms, ?3) ELSE NULL END "
			     "WHERE id = ?1",
    [ST_PERSON_SET_VALIDITY] = "UPDATE persons SET valid_from = ?2, valid_until = ?3 WHERE id = ?1",
    [ST_PERSON_SET_NAME] = "UPDATE persons SET name = ?2 WHERE id = ?1",
    [ST_PERSON_LIST] = "SELECT " PERSON_COLS " FROM persons ORDER BY id LIMIT ?1",
    [ST_PERSON_LIST_AFTER] =
	"SELECT " PERSON_COLS " FROM persons WHERE id > ?1 ORDER BY id LIMIT ?2",

    [ST_PERSON_LEVEL_ADD] = "INSERT INTO person_levels(person, level) VALUES (?1, ?2)",
    [ST_PERSON_LEVEL_REMOVE] = "DELETE FROM person_levels WHERE person = ?1 AND level = ?2",
    [ST_PERSON_LEVEL_COUNT] = "SELECT count(*) FROM person_levels WHERE person = ?1",
    [ST_PERSON_LEVELS] = "SELECT level FROM person_levels WHERE person = ?1 ORDER BY level",
    /* Both primary keys cover this: a prefix seek on person, an exact probe on (level, zone). */
    [ST_PERSON_HAS_ZONE] = "SELECT 1 FROM person_levels pl JOIN level_zones lz "
			   "ON lz.level = pl.level AND lz.zone = ?2 "
			   "WHERE pl.person = ?1 LIMIT 1",

    [ST_SAVEPOINT_LEVEL] = "SAVEPOINT level_add",
    [ST_RELEASE_LEVEL] = "RELEASE level_add",
    [ST_ROLLBACK_TO_LEVEL] = "ROLLBACK TO level_add",
    [ST_LEVEL_ADD] = "INSERT INTO levels(name) VALUES (?1)",
    /* A zone named twice in one level is the same grant, not a conflict. */
    [ST_LEVEL_ZONE_ADD] = "INSERT INTO level_zones(level, zone) VALUES (?1, ?2) "
			  "ON CONFLICT DO NOTHING",
    [ST_LEVEL_ZONE_INSERT] = "INSERT INTO level_zones(level, zone) VALUES (?1, ?2)",
    [ST_LEVEL_ZONE_DELETE] = "DELETE FROM level_zones WHERE level = ?1 AND zone = ?2",
    [ST_LEVEL_EXISTS] = "SELECT 1 FROM levels WHERE name = ?1",
    [ST_LEVEL_LIST] = "SELECT l.name, lz.zone FROM levels l "
		      "LEFT JOIN level_zones lz ON lz.level = l.name ORDER BY l.name, lz.zone",
    [ST_LEVEL_HOLDERS] = "SELECT count(*) FROM person_levels WHERE level = ?1",
    [ST_LEVEL_ZONES_DELETE] = "DELETE FROM level_zones WHERE level = ?1",
    [ST_LEVEL_DELETE] = "DELETE FROM levels WHERE name = ?1",
};

/* Topology. */

int store_zone_upsert(struct store *s, const char *zone)
{
	return stmt_run(s, ST_ZONE_UPSERT, "t", zone);
}

int store_door_upsert(struct store *s, const char *door, const char *zone)
{
	return stmt_run(s, ST_DOOR_UPSERT, "tt", door, zone);
}

int store_reader_upsert(struct store *s, const char *reader, const char *door, const char *type)
{
	return stmt_run(s, ST_READER_UPSERT, "ttt", reader, door, type);
}

int store_zone_exists(struct store *s, const char *zone)
{
	return stmt_get(s, NULL, NULL, ST_ZONE_EXISTS, "t", zone);
}

int store_level_exists(struct store *s, const char *name)
{
	return stmt_get(s, NULL, NULL, ST_LEVEL_EXISTS, "t", name);
}

/* Persons. */

int store_person_add(struct store *s, const struct person *p)
{
	int r;

	r = validity_check(s, p->valid_from, p->valid_until);
	if (r < 0)
		return r;
	return stmt_run(s, ST_PERSON_ADD, "tttmmim", p->id, p->name, p->status, p->valid_from,
			p->valid_until, p->created_ms, p->terminated_ms);
}

int store_person_get(struct store *s, const char *id, struct person *ret)
{
	return stmt_found(s, stmt_get(s, &person_row, ret, ST_PERSON_GET, "t", id),
			  "no such person: %s", id);
}

int store_person_name(struct store *s, const char *id, char *buf, size_t len)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r;

	r = stmt_prepare(s, ST_PERSON_NAME, &st, "t", id);
	if (r < 0)
		return r;
	r = stmt_row(s, st);
	if (r <= 0)
		return r < 0 ? r : -ENOENT;
	return col_copy(s, st, 0, buf, len);
}

int store_person_by_name(struct store *s, const char *name, char ids[][AEOGATE_ID_MAX + 1],
			 size_t max, size_t *ret_n)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	size_t n = 0;
	int r;

	r = stmt_prepare(s, ST_PERSON_BY_NAME, &st, "ti", name, (int64_t)max);
	if (r < 0)
		return r;
	while ((r = stmt_row(s, st)) > 0 && n < max)
		if ((r = col_copy(s, st, 0, ids[n++], AEOGATE_ID_MAX + 1)) < 0)
			return r;
	if (r < 0)
		return r;
	*ret_n = n;
	return 0;
}

int store_person_set_status(struct store *s, const char *id, const char *status, int64_t ts_ms)
{
	return stmt_run_changed(s, ST_PERSON_SET_STATUS, "person", id, "tti", id, status, ts_ms);
}

int store_person_set_validity(struct store *s, const char *id, int64_t valid_from,
			      int64_t valid_until)
{
	int r;

	r = validity_check(s, valid_from, valid_until);
	if (r < 0)
		return r;
	return stmt_run_changed(s, ST_PERSON_SET_VALIDITY, "person", id, "tmm", id, valid_from,
				valid_until);
}

int store_person_set_name(struct store *s, const char *id, const char *name)
{
	return stmt_run_changed(s, ST_PERSON_SET_NAME, "person", id, "tt", id, name);
}

int store_person_list(struct store *s, const char *after_id, size_t limit,
		      int (*cb)(const struct person *p, void *userdata), void *userdata)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	struct person p;
	int r;

	if (after_id)
		r = stmt_prepare(s, ST_PERSON_LIST_AFTER, &st, "ti", after_id, sql_limit(limit));
	else
		r = stmt_prepare(s, ST_PERSON_LIST, &st, "i", sql_limit(limit));
	if (r < 0)
		return r;
	while ((r = stmt_next(s, st, &person_row, &p)) > 0)
		if ((r = cb(&p, userdata)) != 0)
			return r;
	return r;
}

/* Level assignments. */

int store_person_level_add(struct store *s, const char *person, const char *level)
{
	int64_t n = 0;
	int r;

	/*
	 * stmt_get resets the SELECT before the INSERT: an autocommit write
	 * commits only once no other statement is active, and a commit
	 * deferred to a cleanup reset would lose its error.
	 */
	r = stmt_get(s, &int_row, &n, ST_PERSON_LEVEL_COUNT, "t", person);
	if (r < 0)
		return r;
	if (n >= AEOGATE_LEVELS_PER_PERSON_MAX)
		return store_fail(s, -E2BIG, "person %s already holds %d levels", person,
				  AEOGATE_LEVELS_PER_PERSON_MAX);
	return stmt_run(s, ST_PERSON_LEVEL_ADD, "tt", person, level);
}

int store_person_level_remove(struct store *s, const char *person, const char *level)
{
	return stmt_run_changed(s, ST_PERSON_LEVEL_REMOVE, "level assignment", level, "tt", person,
				level);
}

int store_person_levels(struct store *s, const char *person,
			int (*cb)(const char *level, void *userdata), void *userdata)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	bool any = false;
	int r;

	r = stmt_prepare(s, ST_PERSON_LEVELS, &st, "t", person);
	if (r < 0)
		return r;
	while ((r = stmt_row(s, st)) > 0) {
		any = true;
		r = cb(col_text(st, 0), userdata);
		if (r != 0)
			return r;
	}
	if (r < 0 || any)
		return r;
	/* No levels: tell a person without any from a person who does not exist. */
	r = stmt_get(s, NULL, NULL, ST_PERSON_EXISTS, "t", person);
	if (r == 0)
		return store_fail(s, -ENOENT, "no such person: %s", person);
	return r < 0 ? r : 0;
}

int store_person_has_zone(struct store *s, const char *person, const char *zone)
{
	return stmt_get(s, NULL, NULL, ST_PERSON_HAS_ZONE, "tt", person, zone);
}

/* Levels. */

static int level_add_rows(struct store *s, const char *name, const char *const *zones,
			  size_t n_zones)
{
	int r;

	r = stmt_run(s, ST_LEVEL_ADD, "t", name);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n_zones; i++) {
		r = stmt_run(s, ST_LEVEL_ZONE_ADD, "tt", name, zones[i]);
		if (r == -ENOENT)
			return store_fail(s, r, "no such zone: %s", zones[i]);
		if (r < 0)
			return r;
	}
	return 0;
}

int store_level_add(struct store *s, const char *name, const char *const *zones, size_t n_zones)
{
	int r;

	if (n_zones == 0)
		return store_fail(s, -EINVAL, "level %s opens no zone", name);
	if (n_zones > AEOGATE_ZONES_PER_LEVEL_MAX)
		return store_fail(s, -E2BIG, "level %s names %zu zones, at most %d", name, n_zones,
				  AEOGATE_ZONES_PER_LEVEL_MAX);
	for (size_t i = 0; i < n_zones; i++)
		if (!zones[i])
			return store_fail(s, -EINVAL, "level %s: zone %zu missing", name, i);

	/* A savepoint, not BEGIN: the level may be part of a caller's transaction. */
	r = stmt_run(s, ST_SAVEPOINT_LEVEL, "");
	if (r < 0)
		return r;
	r = level_add_rows(s, name, zones, n_zones);
	if (r < 0) {
		/* Keep the message of the failure, not of the unwinding. */
		sqlite3_step(s->stmt[ST_ROLLBACK_TO_LEVEL]);
		sqlite3_reset(s->stmt[ST_ROLLBACK_TO_LEVEL]);
		sqlite3_step(s->stmt[ST_RELEASE_LEVEL]);
		sqlite3_reset(s->stmt[ST_RELEASE_LEVEL]);
		return r;
	}
	return stmt_run(s, ST_RELEASE_LEVEL, "");
}

int store_level_list(struct store *s,
		     int (*cb)(const char *level, const char *const *zones, size_t n_zones,
			       void *userdata),
		     void *userdata)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	/* Zone names are copied: column text lives only until the next step. */
	char(*zones)[AEOGATE_ID_MAX + 1] = NULL;
	const char *zone_ptrs[AEOGATE_ZONES_PER_LEVEL_MAX];
	char level[AEOGATE_ID_MAX + 1] = "";
	size_t n = 0;
	bool have_level = false;
	int r;

	zones = malloc(AEOGATE_ZONES_PER_LEVEL_MAX * sizeof(*zones));
	if (!zones)
		return store_fail(s, -ENOMEM, "out of memory");
	r = stmt_prepare(s, ST_LEVEL_LIST, &st, "");
	if (r < 0)
		goto out;

	for (;;) {
		const char *name;

		r = stmt_row(s, st);
		if (r < 0)
			goto out;
		name = r > 0 ? col_text(st, 0) : NULL;
		if (have_level && (!name || strcmp(name, level) != 0)) {
			for (size_t i = 0; i < n; i++)
				zone_ptrs[i] = zones[i];
			r = cb(level, zone_ptrs, n, userdata);
			if (r != 0)
				goto out;
			have_level = false;
		}
		if (!name)
			break;
		if (!have_level) {
			r = col_copy(s, st, 0, level, sizeof(level));
			if (r < 0)
				goto out;
			have_level = true;
			n = 0;
		}
		/* LEFT JOIN: a level whose zones are all gone still shows, with none. */
		if (sqlite3_column_type(st, 1) == SQLITE_NULL)
			continue;
		if (n == AEOGATE_ZONES_PER_LEVEL_MAX) {
			r = store_fail(s, -EIO, "stored level %s opens more than %d zones", level,
				       AEOGATE_ZONES_PER_LEVEL_MAX);
			goto out;
		}
		r = col_copy(s, st, 1, zones[n], sizeof(zones[n]));
		if (r < 0)
			goto out;
		n++;
	}
	r = 0;
out:
	free(zones);
	return r;
}

int store_level_zone_add(struct store *s, const char *level, const char *zone)
{
	return stmt_run(s, ST_LEVEL_ZONE_INSERT, "tt", level, zone);
}

int store_level_zone_remove(struct store *s, const char *level, const char *zone)
{
	return stmt_run_changed(s, ST_LEVEL_ZONE_DELETE, "zone of the level", zone, "tt", level,
				zone);
}

int store_level_holders(struct store *s, const char *level, int64_t *ret_count)
{
	/* An aggregate always answers a row: none would be a broken database. */
	return stmt_found(s, stmt_get(s, &int_row, ret_count, ST_LEVEL_HOLDERS, "t", level),
			  "no count of level %s", level);
}

int store_level_remove(struct store *s, const char *level)
{
	int r;

	r = stmt_run(s, ST_LEVEL_ZONES_DELETE, "t", level);
	if (r < 0)
		return r;
	return stmt_run_changed(s, ST_LEVEL_DELETE, "level", level, "t", level);
}
