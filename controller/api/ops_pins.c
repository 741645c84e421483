/* SPDX-License-Identifier: MIT */
/*
 * Control-socket ops for card + PIN: a person's PIN set (hashed on the PIN
 * worker thread, never on the loop), cleared or unlocked, each one change
 * and its admin-trail event in one transaction; and sim.keys, keys typed
 * on a simulated reader's keypad, which reach the core exactly as a real
 * keypad's (HAL_READ_KEY through the reader's read callback).
 */
#include <errno.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops.h"
#include "pin.h"
#include "util.h"
#include "worker.h"

/* A person's PIN as replies and the trail show it: never the PIN, nor its hash. */
static json_t *pin_state_json(const struct pin_row *p)
{
	if (!p)
		return json_pack("{s:s,s:i,s:b}", "pin", "none", "wrong_pins", 0, "locked", 0);
	return json_pack("{s:s,s:I,s:b}", "pin", p->locked ? "locked" : "set", "wrong_pins",
			 (json_int_t)p->wrong_pins, "locked", p->locked);
}

json_t *ops_pin_status_json(struct store *s, const char *person)
{
	struct pin_row p;
	int r = store_pin_get(s, person, &p);

	if (r == -ENOENT)
		return json_string("none");
	if (r < 0)
		return json_null();
	return json_string(p.locked ? "locked" : "set");
}

enum pin_change {
	PIN_CHANGE_SET,
	PIN_CHANGE_CLEAR,
	PIN_CHANGE_UNLOCK,
};

/* Why a PIN change failed, for a reply now or a deferred one. */
struct pin_error {
	const char *code;
	char message[160];
};

static int pin_fail(struct pin_error *err, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int pin_fail(struct pin_error *err, const char *code, const char *fmt, ...)
{
	va_list ap;

	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	return -1;
}

/* The store's errors as reply codes (as ops_store_error maps them). */
static int pin_store_fail(struct pin_error *err, int r)
{
	if (r == -ENOSPC || r == -EIO || r == -EBUSY)
		return pin_fail(err, "unavailable", "storage is failing (%s); try again",
				strerror(-r));
	return pin_fail(err, "internal", "PIN: %s", strerror(-r));
}

/*
 * Sets (hash), clears or unlocks person's PIN, and records it: the row and
 * its event (person.pin_set with action set or clear, or
 * person.pin_unlocked; detail before and after, never PIN material, and
 * the operator) commit together, or neither does. A new PIN also sets the
 * count of wrong PINs back and lifts a lock. *ret: the PIN's state after.
 */
static int pin_change(struct core *c, const char *person, const char *operator,
		      enum pin_change what, const char *hash, json_t **ret, struct pin_error *err)
{
	static const char *const actions[] = {"set", "clear", "unlock"};
	struct store *s = core_store(c);
	struct pin_row before, after = {0};
	struct person p;
	json_t *detail;
	char *text;
	bool had;
	int r, failed = 0;

	if (core_events_queued(c))
		return pin_fail(err, "unavailable",
				"storage is failing; changes are refused until buffered events "
				"are stored");
	if ((r = store_begin(s)) < 0)
		return pin_store_fail(err, r);
	r = store_person_get(s, person, &p);
	if (r == -ENOENT)
		failed = pin_fail(err, "not_found", "no person '%s'", person);
	else if (r < 0)
		failed = pin_store_fail(err, r);
	else if (what == PIN_CHANGE_SET && !strcmp(p.status, "terminated"))
		failed = pin_fail(err, "failed_precondition",
				  "person '%s' is terminated: no PIN is set for them", person);
	else if ((r = store_pin_get(s, person, &before)) < 0 && r != -ENOENT)
		failed = pin_store_fail(err, r);
	else if (r == -ENOENT && what != PIN_CHANGE_SET)
		failed = pin_fail(err, "not_found", "person '%s' has no PIN", person);
	if (failed) {
		store_rollback(s);
		return -1;
	}
	had = r == 0;

	snprintf(after.person, sizeof(after.person), "%s", person);
	switch (what) {
	case PIN_CHANGE_SET:
		r = store_pin_put(s, person, hash, core_wall_ms(c));
		break;
	case PIN_CHANGE_CLEAR:
		r = store_pin_clear(s, person);
		break;
	case PIN_CHANGE_UNLOCK:
		r = store_pin_counters_set(s, person, before.hash, 0, false);
		break;
	}
	if (r < 0) {
		ops_abort(c);
		return pin_store_fail(err, r);
	}
	detail = json_pack("{s:s,s:o,s:o,s:s}", "action", actions[what], "before",
			   pin_state_json(had ? &before : NULL), "after",
			   pin_state_json(what == PIN_CHANGE_CLEAR ? NULL : &after),
			   "operator", operator);
	text = detail ? json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(detail);
	if (!text) {
		ops_abort(c);
		return pin_fail(err, "internal", "out of memory");
	}
	struct event e = {.kind =
			      what == PIN_CHANGE_UNLOCK ? "person.pin_unlocked" : "person.pin_set",
			  .person = person,
			  .detail = text};
	r = core_append(c, &e);
	if (r == 0)
		r = store_commit(s);
	if (r < 0) {
		ops_abort(c);
		free(text);
		return pin_store_fail(err, r);
	}
	core_publish(c, &e);
	free(text);
	*ret = pin_state_json(what == PIN_CHANGE_CLEAR ? NULL : &after);
	if (*ret)
		json_object_set_new(*ret, "person", json_string(person));
	return 0;
}

/* A new PIN on its way through the worker: hashed there, recorded back on the loop. */
struct pin_set_job {
	struct core *core;
	struct ctl_deferred *reply;
	char person[AEOGATE_ID_MAX + 1];
	char operator[96];
	char pin[PIN_DIGITS_MAX + 1];
	char hash[PIN_HASH_MAX + 1];
	int r;
};

static void pin_set_run(void *data)
{
	struct pin_set_job *j = data;

	j->r = pin_hash(j->pin, j->hash);
	sodium_memzero(j->pin, sizeof(j->pin));
}

static void pin_set_done(void *data)
{
	struct pin_set_job *j = data;
	struct pin_error err = {0};
	json_t *result = NULL;

	if (j->r < 0)
		ctl_deferred_fail(j->reply, "internal", "cannot hash the PIN: %s", strerror(-j->r));
	else if (pin_change(j->core, j->person, j->operator, PIN_CHANGE_SET, j->hash, &result,
			    &err) < 0)
		ctl_deferred_fail(j->reply, err.code, "%s", err.message);
	else
		ctl_deferred_reply(j->reply, result);
	sodium_memzero(j, sizeof(*j));
	free(j);
}

/*
 * person.pin {id, pin} or {id, clear: true}. The PIN is checked here (4-8
 * digits; the message never repeats it) and hashed on the PIN worker; the
 * reply waits for it, the loop does not.
 */
static int op_person_pin(struct ctl_request *req, json_t **ret)
{
	struct core *c = req->userdata;
	json_t *pin = json_object_get(req->args, "pin");
	json_t *clear = json_object_get(req->args, "clear");
	struct pin_error err = {0};
	struct pin_set_job *j;
	const char *id;

	if (ctl_arg_id(req, "id", true, &id) < 0)
		return -1;
	if (clear && !json_is_boolean(clear))
		return ctl_fail(req, "invalid_argument", "'clear' must be true or false");
	if (json_is_true(clear)) {
		if (pin && !json_is_null(pin))
			return ctl_fail(req, "invalid_argument", "give either 'pin' or 'clear'");
		if (pin_change(c, id, req->operator_id, PIN_CHANGE_CLEAR, NULL, ret, &err) < 0)
			return ctl_fail(req, err.code, "%s", err.message);
		return 0;
	}
	if (!pin || json_is_null(pin))
		return ctl_fail(req, "invalid_argument", "missing argument 'pin'");
	if (!json_is_string(pin) || json_string_length(pin) > PIN_DIGITS_MAX ||
	    !pin_is_valid(json_string_value(pin)))
		return ctl_fail(req, "invalid_argument", "'pin' must be %d to %d digits (0-9)",
				PIN_DIGITS_MIN, PIN_DIGITS_MAX);
	if (!core_pin_worker(c))
		return ctl_fail(req, "unavailable", "no PIN worker thread: PINs cannot be set now");
	j = calloc(1, sizeof(*j));
	if (!j)
		return ctl_fail(req, "unavailable", "out of memory");
	j->core = c;
	j->r = -ECANCELED; /* a job dropped unrun stores nothing */
	snprintf(j->person, sizeof(j->person), "%s", id);
	snprintf(j->operator, sizeof(j->operator), "%s", req->operator_id);
	snprintf(j->pin, sizeof(j->pin), "%s", json_string_value(pin));
	j->reply = ctl_defer(req);
	if (j->reply && worker_submit(core_pin_worker(c), j, pin_set_run, pin_set_done) == 0)
		return 0;
	sodium_memzero(j, sizeof(*j));
	free(j);
	return ctl_fail(req, "unavailable", "too many PIN checks in progress; try again");
}

/* person.pin_unlock {id}: a locked PIN works again, its count of wrong PINs back to 0. */
static int op_person_pin_unlock(struct ctl_request *req, json_t **ret)
{
	struct pin_error err = {0};
	const char *id;

	if (ctl_arg_id(req, "id", true, &id) < 0)
		return -1;
	if (pin_change(req->userdata, id, req->operator_id, PIN_CHANGE_UNLOCK, NULL, ret, &err) < 0)
		return ctl_fail(req, err.code, "%s", err.message);
	return 0;
}

/* A keypad key as the Wiegand framer reports it: 0-9, 10 = '*', 11 = '#'; -1: not a key. */
static int key_of(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch == '*')
		return PIN_KEY_STAR;
	if (ch == '#')
		return PIN_KEY_HASH;
	return -1;
}

/*
 * sim.keys {reader, keys}: each key goes through the simulated reader's
 * read callback as HAL_READ_KEY, the path a real keypad's burst takes.
 * The outcome (after a check on the worker) arrives as an event; the
 * reply says how many keys were typed and how many found no badge waiting.
 */
static int op_sim_keys(struct ctl_request *req, json_t **ret)
{
	struct core *c = req->userdata;
	const struct config *cfg = core_config(c);
	struct hal_read read = {.kind = HAL_READ_KEY};
	const char *name, *keys;
	uint64_t dropped;
	int idx;

	if (ctl_arg_id(req, "reader", true, &name) < 0 ||
	    ctl_arg_string(req, "keys", true, AEOGATE_SIM_KEYS_MAX, &keys) < 0)
		return -1;
	idx = config_reader_find(cfg, name);
	if (idx < 0)
		return ctl_fail(req, "not_found", "no reader '%s'", name);
	for (const char *k = keys; *k; k++)
		if (key_of(*k) < 0)
			return ctl_fail(req, "invalid_argument",
					"'keys' must be keypad keys: 0-9, * (clear) and # (enter)");
	if (core_hal_reader(c, (unsigned)idx)->ops != &hal_reader_sim_ops)
		return ctl_fail(req, "failed_precondition", "reader '%s' is not simulated", name);
	dropped = core_keys_dropped(c, (unsigned)idx);
	for (const char *k = keys; *k; k++) {
		read.key = key_of(*k);
		if (hal_sim_reader_present(core_hal_reader(c, (unsigned)idx), &read) < 0)
			return ctl_fail(req, "internal", "reader '%s' refused a key", name);
	}
	*ret = json_pack("{s:s,s:I,s:I,s:I}", "reader", cfg->readers[idx].name, "keys",
			 (json_int_t)strlen(keys), "dropped",
			 (json_int_t)(core_keys_dropped(c, (unsigned)idx) - dropped),
			 "keys_dropped", (json_int_t)core_keys_dropped(c, (unsigned)idx));
	return 0;
}

const struct ctl_op ops_pins[] = {
    {"person.pin", ROLES_MANAGE, op_person_pin},
    {"person.pin_unlock", ROLES_MANAGE, op_person_pin_unlock},
    {"sim.keys", ROLES_MANAGE, op_sim_keys},
    {NULL, 0, NULL},
};
