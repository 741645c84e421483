/* SPDX-License-Identifier: MIT */
/* Card + PIN: each person's PIN hash, wrong PINs in a row and lock (schema 12). */
#include <errno.h>

#include "store-internal.h"

ROW_SHAPE(pin_row_shape, struct pin_row, COL(struct pin_row, person), COL(struct pin_row, hash),
	  COL(struct pin_row, wrong_pins), COL(struct pin_row, locked),
	  COL(struct pin_row, set_ms));

const char *const store_pins_sql[_ST_MAX] = {
    [ST_PIN_GET] = "SELECT person, hash, wrong_pins, locked, set_ms FROM person_pins "
		   "WHERE person = ?1",
    [ST_PIN_PUT] = "INSERT INTO person_pins(person, hash, wrong_pins, locked, set_ms) "
		   "VALUES (?1, ?2, 0, 0, ?3) "
		   "ON CONFLICT(person) DO UPDATE SET hash = excluded.hash, wrong_pins = 0, "
		   "locked = 0, set_ms = excluded.set_ms",
    [ST_PIN_CLEAR] = "DELETE FROM person_pins WHERE person = ?1",
    [ST_PIN_COUNTERS_SET] = "UPDATE person_pins SET wrong_pins = ?3, locked = ?4 "
			    "WHERE person = ?1 AND hash = ?2",
};

int store_pin_get(struct store *s, const char *person, struct pin_row *ret)
{
	return stmt_found(s, stmt_get(s, &pin_row_shape, ret, ST_PIN_GET, "t", person),
			  "no PIN for %s", person);
}

int store_pin_put(struct store *s, const char *person, const char *hash, int64_t set_ms)
{
	return stmt_run(s, ST_PIN_PUT, "tti", person, hash, set_ms);
}

int store_pin_clear(struct store *s, const char *person)
{
	return stmt_run_changed(s, ST_PIN_CLEAR, "PIN of", person, "t", person);
}

int store_pin_counters_set(struct store *s, const char *person, const char *hash,
			   int64_t wrong_pins, bool locked)
{
	return stmt_run(s, ST_PIN_COUNTERS_SET, "ttii", person, hash, wrong_pins,
			(int64_t)(locked ? 1 : 0));
}
