/* SPDX-License-Identifier: MIT */
/* The site plan and its door markers (schema 22, store.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store-internal.h"

const char *const store_siteplan_sql[_ST_MAX] = {
    [ST_PLAN_GET] = "SELECT type, width, height, bytes, sha256, updated_ms, updated_by "
		    "FROM site_plan WHERE id = 1",
    [ST_PLAN_IMAGE] = "SELECT image FROM site_plan WHERE id = 1",
    [ST_PLAN_PUT] = "INSERT INTO site_plan(id, type, width, height, bytes, sha256, updated_ms, "
		    "updated_by, image) VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
		    "ON CONFLICT(id) DO UPDATE SET type = excluded.type, width = excluded.width, "
		    "height = excluded.height, bytes = excluded.bytes, sha256 = excluded.sha256, "
		    "updated_ms = excluded.updated_ms, updated_by = excluded.updated_by, "
		    "image = excluded.image",
    [ST_PLAN_CLEAR] = "DELETE FROM site_plan WHERE id = 1",
    [ST_MARKER_GET] = "SELECT door, x, y FROM door_markers WHERE door = ?1",
    [ST_MARKER_PUT] = "INSERT INTO door_markers(door, x, y) VALUES (?1, ?2, ?3) "
		      "ON CONFLICT(door) DO UPDATE SET x = excluded.x, y = excluded.y",
    [ST_MARKER_CLEAR] = "DELETE FROM door_markers WHERE door = ?1",
    [ST_MARKER_LIST] = "SELECT door, x, y FROM door_markers ORDER BY door",
};

ROW_SHAPE(site_plan_shape, struct site_plan, COL(struct site_plan, type),
	  COL(struct site_plan, width), COL(struct site_plan, height), COL(struct site_plan, bytes),
	  COL(struct site_plan, sha256), COL(struct site_plan, updated_ms),
	  COL(struct site_plan, updated_by));

int store_site_plan_get(struct store *s, struct site_plan *ret)
{
	return stmt_found(s, stmt_get(s, &site_plan_shape, ret, ST_PLAN_GET, ""), "no site plan");
}

int store_site_plan_image(struct store *s, void **ret, size_t *ret_len)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	const void *blob;
	void *copy;
	int n, r = stmt_prepare(s, ST_PLAN_IMAGE, &st, "");

	if (r < 0)
		return r;
	r = stmt_row(s, st);
	if (r < 0)
		return r;
	if (r == 0)
		return store_fail(s, -ENOENT, "no site plan");
	blob = sqlite3_column_blob(st, 0);
	n = sqlite3_column_bytes(st, 0);
	if (!blob || n <= 0 || n > AEOGATE_SITE_PLAN_MAX)
		return store_fail(s, -EIO, "the site plan's image is empty or too large");
	copy = malloc((size_t)n);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, blob, (size_t)n);
	*ret = copy;
	*ret_len = (size_t)n;
	return 0;
}

int store_site_plan_put(struct store *s, const struct site_plan *p, const void *image, size_t len)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r;

	if (!len || len > AEOGATE_SITE_PLAN_MAX)
		return store_fail(s, -EINVAL, "the site plan's image is empty or too large");
	r = stmt_prepare(s, ST_PLAN_PUT, &st, "tiiitit", p->type, p->width, p->height, (int64_t)len,
			 p->sha256, p->updated_ms, p->updated_by);
	if (r < 0)
		return r;
	if (sqlite3_bind_blob(st, 8, image, (int)len, SQLITE_STATIC) != SQLITE_OK)
		return sql_fail(s, sqlite3_errcode(s->db));
	return stmt_exec(s, st);
}

int store_site_plan_clear(struct store *s)
{
	return stmt_run_changed(s, ST_PLAN_CLEAR, "site plan", "", "");
}

static int marker_read(struct store *s, sqlite3_stmt *st, struct door_marker *m)
{
	int r = col_copy(s, st, 0, m->door, sizeof(m->door));

	if (r < 0)
		return r;
	m->x = sqlite3_column_double(st, 1);
	m->y = sqlite3_column_double(st, 2);
	return 0;
}

int store_door_marker_get(struct store *s, const char *door, struct door_marker *ret)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	struct door_marker m = {0};
	int r = stmt_prepare(s, ST_MARKER_GET, &st, "t", door);

	if (r < 0)
		return r;
	r = stmt_row(s, st);
	if (r < 0)
		return r;
	if (r == 0)
		return store_fail(s, -ENOENT, "door %s has no marker", door);
	r = marker_read(s, st, &m);
	if (r < 0)
		return r;
	*ret = m;
	return 0;
}

int store_door_marker_put(struct store *s, const struct door_marker *m)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r;

	/* The CHECK says so too; a NaN would pass neither. */
	if (!(m->x >= 0 && m->x <= 1 && m->y >= 0 && m->y <= 1))
		return store_fail(s, -EINVAL, "a marker's x and y are between 0 and 1");
	r = stmt_prepare(s, ST_MARKER_PUT, &st, "t", m->door);
	if (r < 0)
		return r;
	if (sqlite3_bind_double(st, 2, m->x) != SQLITE_OK ||
	    sqlite3_bind_double(st, 3, m->y) != SQLITE_OK)
		return sql_fail(s, sqlite3_errcode(s->db));
	return stmt_exec(s, st);
}

int store_door_marker_clear(struct store *s, const char *door)
{
	return stmt_run_changed(s, ST_MARKER_CLEAR, "marker of door", door, "t", door);
}

int store_door_markers(struct store *s, int (*cb)(const struct door_marker *m, void *userdata),
		       void *userdata)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r = stmt_prepare(s, ST_MARKER_LIST, &st, "");

	if (r < 0)
		return r;
	while ((r = stmt_row(s, st)) > 0) {
		struct door_marker m = {0};

		r = marker_read(s, st, &m);
		if (r < 0)
			return r;
		r = cb(&m, userdata);
		if (r != 0)
			return r;
	}
	return r;
}
