/* SPDX-License-Identifier: MIT */
/* Person photos (schema 23, store.h): one image per person, out of the event chain. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store-internal.h"

const char *const store_photos_sql[_ST_MAX] = {
    [ST_PHOTO_GET] = "SELECT type, width, height, bytes, sha256, updated_ms, updated_by "
		     "FROM person_photos WHERE person = ?1",
    /* The primary key's index alone: asked for each event line the stream sends. */
    [ST_PHOTO_HAS] = "SELECT 1 FROM person_photos WHERE person = ?1",
    [ST_PHOTO_IMAGE] = "SELECT image FROM person_photos WHERE person = ?1",
    [ST_PHOTO_PUT] = "INSERT INTO person_photos(person, type, width, height, bytes, sha256, "
		     "updated_ms, updated_by, image) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) "
		     "ON CONFLICT(person) DO UPDATE SET type = excluded.type, "
		     "width = excluded.width, height = excluded.height, bytes = excluded.bytes, "
		     "sha256 = excluded.sha256, updated_ms = excluded.updated_ms, "
		     "updated_by = excluded.updated_by, image = excluded.image",
    [ST_PHOTO_CLEAR] = "DELETE FROM person_photos WHERE person = ?1",
};

ROW_SHAPE(photo_shape, struct person_photo, COL(struct person_photo, type),
	  COL(struct person_photo, width), COL(struct person_photo, height),
	  COL(struct person_photo, bytes), COL(struct person_photo, sha256),
	  COL(struct person_photo, updated_ms), COL(struct person_photo, updated_by));

int store_person_photo_get(struct store *s, const char *person, struct person_photo *ret)
{
	return stmt_found(s, stmt_get(s, &photo_shape, ret, ST_PHOTO_GET, "t", person),
			  "%s has no photo", person);
}

int store_person_has_photo(struct store *s, const char *person)
{
	return stmt_get(s, NULL, NULL, ST_PHOTO_HAS, "t", person);
}

int store_person_photo_image(struct store *s, const char *person, void **ret, size_t *ret_len)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	const void *blob;
	void *copy;
	int n, r = stmt_prepare(s, ST_PHOTO_IMAGE, &st, "t", person);

	if (r < 0)
		return r;
	r = stmt_row(s, st);
	if (r < 0)
		return r;
	if (r == 0)
		return store_fail(s, -ENOENT, "%s has no photo", person);
	blob = sqlite3_column_blob(st, 0);
	n = sqlite3_column_bytes(st, 0);
	if (!blob || n <= 0 || n > AEOGATE_PHOTO_MAX)
		return store_fail(s, -EIO, "the photo of %s is empty or too large", person);
	copy = malloc((size_t)n);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, blob, (size_t)n);
	*ret = copy;
	*ret_len = (size_t)n;
	return 0;
}

int store_person_photo_put(struct store *s, const char *person, const struct person_photo *p,
			   const void *image, size_t len)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r;

	if (!len || len > AEOGATE_PHOTO_MAX)
		return store_fail(s, -EINVAL, "a photo is 1 byte to 512 KiB");
	r = stmt_prepare(s, ST_PHOTO_PUT, &st, "ttiiitit", person, p->type, p->width, p->height,
			 (int64_t)len, p->sha256, p->updated_ms, p->updated_by);
	if (r < 0)
		return r;
	if (sqlite3_bind_blob(st, 9, image, (int)len, SQLITE_STATIC) != SQLITE_OK)
		return sql_fail(s, sqlite3_errcode(s->db));
	r = stmt_exec(s, st);
	/* The foreign key: a photo of nobody. */
	if (r == -ENOENT)
		return store_fail(s, -ENOENT, "no such person: %s", person);
	return r;
}

int store_person_photo_clear(struct store *s, const char *person)
{
	int r = stmt_run(s, ST_PHOTO_CLEAR, "t", person);

	if (r == 0 && sqlite3_changes(s->db) == 0)
		r = store_fail(s, -ENOENT, "%s has no photo", person);
	return r;
}
