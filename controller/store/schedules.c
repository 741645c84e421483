/* SPDX-License-Identifier: MIT */
/* Schedules, the schedule of each level, and holidays (schema 008). */
#include <errno.h>
#include <string.h>

#include "schedule.h"
#include "store-internal.h"

const char *const store_schedules_sql[_ST_MAX] = {
    [ST_SCHEDULE_ADD] = "INSERT INTO schedules(name) VALUES (?1)",
    [ST_SCHEDULE_EXISTS] = "SELECT 1 FROM schedules WHERE name = ?1",
    [ST_SCHEDULE_COUNT] = "SELECT count(*) FROM schedules",
    [ST_SCHEDULE_REMOVE] = "DELETE FROM schedules WHERE name = ?1",
    [ST_SCHEDULE_INTERVAL_ADD] = "INSERT INTO schedule_intervals(schedule, days, start_min, "
				 "end_min) VALUES (?1, ?2, ?3, ?4)",
    [ST_SCHEDULE_INTERVAL_REMOVE] = "DELETE FROM schedule_intervals WHERE schedule = ?1 AND "
				    "days = ?2 AND start_min = ?3 AND end_min = ?4",
    [ST_SCHEDULE_INTERVAL_COUNT] = "SELECT count(*) FROM schedule_intervals WHERE schedule = ?1",
    /* LEFT JOIN: a schedule without intervals still shows, once, with NULLs. */
    [ST_SCHEDULE_WALK] = "SELECT s.name, i.days, i.start_min, i.end_min FROM schedules s "
			 "LEFT JOIN schedule_intervals i ON i.schedule = s.name "
			 "ORDER BY s.name, i.rowid",
    [ST_SCHEDULE_WALK_ONE] = "SELECT s.name, i.days, i.start_min, i.end_min FROM schedules s "
			     "LEFT JOIN schedule_intervals i ON i.schedule = s.name "
			     "WHERE s.name = ?1 ORDER BY i.rowid",
    [ST_SCHEDULE_LEVEL_USERS] = "SELECT level FROM level_schedules WHERE schedule = ?1 "
				"ORDER BY level",
    [ST_SCHEDULE_DOOR_USERS] = "SELECT door FROM door_schedules WHERE schedule = ?1 "
			       "ORDER BY door",
    [ST_LEVEL_SCHEDULE_GET] = "SELECT schedule FROM level_schedules WHERE level = ?1",
    [ST_LEVEL_SCHEDULE_SET] = "INSERT INTO level_schedules(level, schedule) VALUES (?1, ?2) "
			      "ON CONFLICT(level) DO UPDATE SET schedule = excluded.schedule",
    [ST_LEVEL_SCHEDULE_CLEAR] = "DELETE FROM level_schedules WHERE level = ?1",
    /*
     * The read's query: a prefix seek on person_levels, an exact probe of
     * level_zones and of level_schedules, all on primary keys.
     */
    [ST_PERSON_ZONE_SCHEDULES] = "SELECT ls.schedule FROM person_levels pl "
				 "JOIN level_zones lz ON lz.level = pl.level AND lz.zone = ?2 "
				 "LEFT JOIN level_schedules ls ON ls.level = pl.level "
				 "WHERE pl.person = ?1",
    [ST_HOLIDAY_ADD] = "INSERT INTO holidays(date, name) VALUES (?1, ?2)",
    [ST_HOLIDAY_GET] = "SELECT name FROM holidays WHERE date = ?1",
    [ST_HOLIDAY_REMOVE] = "DELETE FROM holidays WHERE date = ?1",
    [ST_HOLIDAY_LIST] = "SELECT date, name FROM holidays ORDER BY date",
    [ST_HOLIDAY_COUNT] = "SELECT count(*) FROM holidays",
};

/*
 * What may use a schedule, one statement each, selecting the users' names
 * for ?1: a schedule in use (by a level, by a door) is not removed.
 */
static const struct {
	const char *what;
	enum stmt id;
} schedule_users[] = {
    {"level", ST_SCHEDULE_LEVEL_USERS},
    {"door", ST_SCHEDULE_DOOR_USERS},
};

int store_schedule_add(struct store *s, const char *name)
{
	return stmt_run(s, ST_SCHEDULE_ADD, "t", name);
}

int store_schedule_exists(struct store *s, const char *name)
{
	return stmt_get(s, NULL, NULL, ST_SCHEDULE_EXISTS, "t", name);
}

int store_schedule_count(struct store *s, int64_t *ret_count)
{
	return stmt_found(s, stmt_get(s, &int_row, ret_count, ST_SCHEDULE_COUNT, ""),
			  "no count of schedules");
}

int store_schedule_remove(struct store *s, const char *name)
{
	return stmt_run_changed(s, ST_SCHEDULE_REMOVE, "schedule", name, "t", name);
}

int store_schedule_interval_add(struct store *s, const char *name,
				const struct schedule_interval *iv)
{
	int r = stmt_run(s, ST_SCHEDULE_INTERVAL_ADD, "tiii", name, (int64_t)iv->days,
			 (int64_t)iv->start_min, (int64_t)iv->end_min);

	if (r == -ENOENT)
		store_fail(s, r, "no such schedule: %s", name);
	return r;
}

int store_schedule_interval_remove(struct store *s, const char *name,
				   const struct schedule_interval *iv)
{
	return stmt_run_changed(s, ST_SCHEDULE_INTERVAL_REMOVE, "interval of the schedule", name,
				"tiii", name, (int64_t)iv->days, (int64_t)iv->start_min,
				(int64_t)iv->end_min);
}

int store_schedule_interval_count(struct store *s, const char *name, int64_t *ret_count)
{
	return stmt_found(s,
			  stmt_get(s, &int_row, ret_count, ST_SCHEDULE_INTERVAL_COUNT, "t", name),
			  "no count of intervals of %s", name);
}

/* One interval row; the schema's CHECKs hold, so a value outside them is a broken file. */
static int interval_read(struct store *s, sqlite3_stmt *st, struct schedule_interval *iv)
{
	int64_t days = sqlite3_column_int64(st, 1), start = sqlite3_column_int64(st, 2),
		end = sqlite3_column_int64(st, 3);

	if (days < 1 || days > 255 || start < 0 || start > 1439 || end < 1 || end > 1440)
		return store_fail(s, -EIO, "stored interval out of range (%lld %lld-%lld)",
				  (long long)days, (long long)start, (long long)end);
	iv->days = (uint8_t)days;
	iv->start_min = (uint16_t)start;
	iv->end_min = (uint16_t)end;
	return 0;
}

int store_schedule_walk(struct store *s, const char *name,
			int (*cb)(const char *schedule, const struct schedule_interval *iv,
				  void *userdata),
			void *userdata)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r;

	r = name ? stmt_prepare(s, ST_SCHEDULE_WALK_ONE, &st, "t", name)
		 : stmt_prepare(s, ST_SCHEDULE_WALK, &st, "");
	if (r < 0)
		return r;
	while ((r = stmt_row(s, st)) > 0) {
		struct schedule_interval iv;
		const char *schedule = col_text(st, 0);
		bool none = sqlite3_column_type(st, 1) == SQLITE_NULL;

		if (!schedule)
			return store_fail(s, -ENOMEM, "out of memory reading a schedule");
		if (!none && (r = interval_read(s, st, &iv)) < 0)
			return r;
		if ((r = cb(schedule, none ? NULL : &iv, userdata)) != 0)
			return r;
	}
	return r;
}

int store_schedule_users(struct store *s, const char *name,
			 int (*cb)(const char *what, const char *user, void *userdata),
			 void *userdata)
{
	for (size_t i = 0; i < sizeof(schedule_users) / sizeof(schedule_users[0]); i++) {
		_cleanup_stmt_ sqlite3_stmt *st = NULL;
		int r = stmt_prepare(s, schedule_users[i].id, &st, "t", name);

		if (r < 0)
			return r;
		while ((r = stmt_row(s, st)) > 0) {
			const char *user = col_text(st, 0);

			if (!user)
				return store_fail(s, -ENOMEM, "out of memory reading a user");
			if ((r = cb(schedule_users[i].what, user, userdata)) != 0)
				return r;
		}
		if (r < 0)
			return r;
	}
	return 0;
}

/* One text column of the row of key: 1 with it in ret, 0 when there is no row, errno. */
static int text_get(struct store *s, enum stmt id, const char *key, char *ret, size_t len)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r = stmt_prepare(s, id, &st, "t", key);

	if (r < 0)
		return r;
	r = stmt_row(s, st);
	if (r <= 0)
		return r;
	r = col_copy(s, st, 0, ret, len);
	return r < 0 ? r : 1;
}

int store_level_schedule_get(struct store *s, const char *level, char *ret, size_t len)
{
	return text_get(s, ST_LEVEL_SCHEDULE_GET, level, ret, len);
}

int store_level_schedule_set(struct store *s, const char *level, const char *schedule)
{
	int r;

	if (!schedule)
		return stmt_run(s, ST_LEVEL_SCHEDULE_CLEAR, "t", level);
	r = stmt_run(s, ST_LEVEL_SCHEDULE_SET, "tt", level, schedule);
	if (r == -ENOENT)
		store_fail(s, r, "no such level or schedule: %s, %s", level, schedule);
	return r;
}

int store_person_zone_schedules(struct store *s, const char *person, const char *zone,
				int (*cb)(const char *schedule, void *userdata), void *userdata)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r = stmt_prepare(s, ST_PERSON_ZONE_SCHEDULES, &st, "tt", person, zone);

	if (r < 0)
		return r;
	while ((r = stmt_row(s, st)) > 0) {
		const char *schedule = col_text(st, 0);

		if (!schedule && sqlite3_column_type(st, 0) != SQLITE_NULL)
			return store_fail(s, -ENOMEM, "out of memory reading a schedule");
		if ((r = cb(schedule, userdata)) != 0)
			return r;
	}
	return r;
}

int store_holiday_add(struct store *s, const char *date, const char *name)
{
	return stmt_run(s, ST_HOLIDAY_ADD, "tt", date, name);
}

int store_holiday_get(struct store *s, const char *date, char *ret, size_t len)
{
	return stmt_found(s, text_get(s, ST_HOLIDAY_GET, date, ret, len), "no such holiday: %s",
			  date);
}

int store_holiday_remove(struct store *s, const char *date)
{
	return stmt_run_changed(s, ST_HOLIDAY_REMOVE, "holiday", date, "t", date);
}

int store_holiday_count(struct store *s, int64_t *ret_count)
{
	return stmt_found(s, stmt_get(s, &int_row, ret_count, ST_HOLIDAY_COUNT, ""),
			  "no count of holidays");
}

int store_holiday_list(struct store *s,
		       int (*cb)(const char *date, const char *name, void *userdata),
		       void *userdata)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r = stmt_prepare(s, ST_HOLIDAY_LIST, &st, "");

	if (r < 0)
		return r;
	while ((r = stmt_row(s, st)) > 0) {
		const char *date = col_text(st, 0), *name = col_text(st, 1);

		if (!date || !name)
			return store_fail(s, -ENOMEM, "out of memory reading a holiday");
		if ((r = cb(date, name, userdata)) != 0)
			return r;
	}
	return r;
}
