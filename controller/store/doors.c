/* SPDX-License-Identifier: MIT */
/*
 * Door modes: each door's manual mode, when it has one (schema 9), and its
 * schedule, when it has one (schema 13).
 */
#include <errno.h>

#include "store-internal.h"

ROW_SHAPE(door_mode_row, struct door_mode_row, COL(struct door_mode_row, door),
	  COL(struct door_mode_row, mode), COL(struct door_mode_row, until_ms),
	  COL(struct door_mode_row, set_ms));

const char *const store_doors_sql[_ST_MAX] = {
    [ST_DOOR_MODE_GET] = "SELECT door, mode, until_ms, set_ms FROM door_modes WHERE door = ?1",
    [ST_DOOR_MODE_PUT] = "INSERT INTO door_modes(door, mode, until_ms, set_ms) "
			 "VALUES (?1, ?2, ?3, ?4) "
			 "ON CONFLICT(door) DO UPDATE SET mode = excluded.mode, "
			 "until_ms = excluded.until_ms, set_ms = excluded.set_ms",
    [ST_DOOR_MODE_CLEAR] = "DELETE FROM door_modes WHERE door = ?1",
    [ST_DOOR_SCHEDULE_GET] = "SELECT door, mode, schedule, first_person_in, set_ms "
			     "FROM door_schedules WHERE door = ?1",
    [ST_DOOR_SCHEDULE_PUT] = "INSERT INTO door_schedules(door, mode, schedule, first_person_in, "
			     "set_ms) VALUES (?1, ?2, ?3, ?4, ?5) "
			     "ON CONFLICT(door) DO UPDATE SET mode = excluded.mode, "
			     "schedule = excluded.schedule, "
			     "first_person_in = excluded.first_person_in, set_ms = excluded.set_ms",
    [ST_DOOR_SCHEDULE_CLEAR] = "DELETE FROM door_schedules WHERE door = ?1",
};

ROW_SHAPE(door_schedule_row, struct door_schedule_row, COL(struct door_schedule_row, door),
	  COL(struct door_schedule_row, mode), COL(struct door_schedule_row, schedule),
	  COL(struct door_schedule_row, first_person_in), COL(struct door_schedule_row, set_ms));

int store_door_schedule_get(struct store *s, const char *door, struct door_schedule_row *ret)
{
	return stmt_found(s, stmt_get(s, &door_schedule_row, ret, ST_DOOR_SCHEDULE_GET, "t", door),
			  "no schedule set for door %s", door);
}

int store_door_schedule_put(struct store *s, const struct door_schedule_row *d)
{
	int r = stmt_run(s, ST_DOOR_SCHEDULE_PUT, "tttii", d->door, d->mode, d->schedule,
			 (int64_t)d->first_person_in, d->set_ms);

	if (r == -ENOENT)
		return store_fail(s, r, "no such schedule: %s", d->schedule);
	return r;
}

int store_door_schedule_clear(struct store *s, const char *door)
{
	return stmt_run(s, ST_DOOR_SCHEDULE_CLEAR, "t", door);
}

int store_door_mode_get(struct store *s, const char *door, struct door_mode_row *ret)
{
	return stmt_found(s, stmt_get(s, &door_mode_row, ret, ST_DOOR_MODE_GET, "t", door),
			  "no mode set for door %s", door);
}

int store_door_mode_put(struct store *s, const struct door_mode_row *m)
{
	return stmt_run(s, ST_DOOR_MODE_PUT, "ttmi", m->door, m->mode, m->until_ms, m->set_ms);
}

int store_door_mode_clear(struct store *s, const char *door)
{
	return stmt_run(s, ST_DOOR_MODE_CLEAR, "t", door);
}
