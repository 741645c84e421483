/* SPDX-License-Identifier: MIT */
/*
 * Control-socket ops for doors (list, mode, remote unlock), readers and
 * the simulated board.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "aeogate/credential.h"
#include "aeogate/osdp.h"
#include "aeogate/wiegand.h"
#include "audit.h"
#include "door.h"
#include "doormode.h"
#include "ops.h"
#include "util.h"

/* The door's schedule as door list shows it, or null. */
static json_t *door_schedule_json(struct core *c, unsigned i)
{
	const char *schedule;
	enum policy_door_mode mode;
	bool fpi, active;

	if (!core_door_schedule(c, i, &schedule, &mode, &fpi, &active))
		return json_null();
	return json_pack("{s:s,s:s,s:b,s:b}", "schedule", schedule, "mode",
			 door_mode_to_string(mode), "first_person_in", fpi, "active", active);
}

/*
 * Lockdown and interlock at door i: whether it is locked down, its interlock
 * group (null: none), the door of the group holding it locked now (null:
 * none), and whether its exit button waits for that door.
 */
static void door_site_json(struct core *c, unsigned i, json_t *o)
{
	const struct config *cfg = core_config(c);
	bool waiting;
	int holder = core_door_interlock(c, i, &waiting);

	json_object_set_new(o, "locked_down", json_boolean(core_door_locked_down(c, i)));
	json_object_set_new(o, "interlock",
			    cfg->doors[i].interlock[0] ? json_string(cfg->doors[i].interlock)
						       : json_null());
	json_object_set_new(o, "interlock_held_by",
			    holder >= 0 ? json_string(cfg->doors[holder].name) : json_null());
	json_object_set_new(o, "rex_waiting", json_boolean(waiting));
}

static json_t *door_json(struct core *c, unsigned i)
{
	const struct config *cfg = core_config(c);
	const struct door_config *dc = &cfg->doors[i];
	struct hal_door *hd = core_hal_door(c, i);
	struct door *d = core_door(c, i);
	json_t *readers = json_array();
	int64_t until;
	const char *mode = door_mode_to_string(core_door_mode(c, i, &until));

	json_t *o;

	for (size_t r = 0; r < cfg->n_readers; r++)
		if (!cfg->readers[r].removed && cfg->readers[r].door_index == i)
			json_array_append_new(readers, json_string(cfg->readers[r].name));
	o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:o,s:s,s:o,s:o}", "name", dc->name, "zone",
		      dc->zone, "backend", dc->backend == DOOR_BACKEND_GPIOD ? "gpiod" : "sim",
		      "lock_type", dc->lock_type == LOCK_MAGLOCK ? "maglock" : "strike", "state",
		      door_state_to_string(door_get_state(d)), "lock",
		      hd->lock_released ? "released" : "locked", "contact",
		      d->open ? "open" : "closed", "readers", readers, "mode", mode ? mode : "card",
		      "until", time_to_json(until), "schedule", door_schedule_json(c, i));
	if (o)
		door_site_json(c, i, o);
	return o;
}

/* BEGIN osdp ops */
/* ISTATR / OSTATR: one boolean per input or output; null before the first report. */
static json_t *io_json(const uint8_t *v, size_t n, bool have)
{
	json_t *a;

	if (!have)
		return json_null();
	a = json_array();
	for (size_t i = 0; a && i < n; i++)
		json_array_append_new(a, json_boolean(v[i] != 0));
	return a ? a : json_null();
}

/* RSTATR: each attached reader's status; null before the first report. */
static json_t *rstat_json(const uint8_t *v, size_t n, bool have)
{
	static const char *const names[] = {"normal", "disconnected", "tamper"};
	json_t *a;

	if (!have)
		return json_null();
	a = json_array();
	for (size_t i = 0; a && i < n; i++)
		json_array_append_new(a, json_string(v[i] < 3 ? names[v[i]] : "unknown"));
	return a ? a : json_null();
}

/* An OSDP reader's identity (PDID), capabilities (PDCAP), session and link counters. */
static json_t *reader_osdp_json(const struct reader_config *rc, struct hal_reader *hr)
{
	struct osdp_pd_info in;
	json_t *caps, *o;
	char vendor[8], serial[12], fw[16];

	if (hal_osdp_reader_info(hr, &in) < 0)
		return json_null();
	caps = json_array();
	for (size_t k = 0; caps && k < in.n_caps; k++)
		json_array_append_new(
		    caps, json_pack("{s:i,s:i,s:i}", "function", in.caps[k].function, "compliance",
				    in.caps[k].compliance, "count", in.caps[k].count));
	snprintf(vendor, sizeof(vendor), "%06x", in.vendor);
	snprintf(serial, sizeof(serial), "%08x", in.serial);
	snprintf(fw, sizeof(fw), "%u.%u.%u", in.firmware[0], in.firmware[1], in.firmware[2]);
	o = json_pack("{s:i,s:s,s:b,s:s?,s:i,s:s?,s:s?,s:o,s:b,s:b,s:I,s:I,s:I}", "address",
		      in.address, "port", rc->port, "secure", in.secure, "vendor",
		      in.have_id ? vendor : NULL, "model", in.model, "serial",
		      in.have_id ? serial : NULL, "firmware", in.have_id ? fw : NULL,
		      "capabilities", caps ? caps : json_array(), "tamper", in.tamper,
		      "power_failure", in.power, "polls", (json_int_t)in.polls, "naks",
		      (json_int_t)in.naks, "crc_errors", (json_int_t)in.crc_errors);
	if (o && !in.have_id)
		json_object_set_new(o, "model", json_null());
	if (o) {
		json_object_set_new(o, "baud", json_integer(in.baud));
		json_object_set_new(o, "inputs", io_json(in.inputs, in.n_inputs, in.have_istat));
		json_object_set_new(o, "outputs", io_json(in.outputs, in.n_outputs, in.have_ostat));
		json_object_set_new(o, "readers",
				    rstat_json(in.readers, in.n_readers, in.have_rstat));
	}
	return o ? o : json_null();
}

/* END osdp ops */

static json_t *reader_json(struct core *c, unsigned i)
{
	const struct config *cfg = core_config(c);
	const struct reader_config *rc = &cfg->readers[i];
	struct hal_reader *hr = core_hal_reader(c, i);
	json_t *formats = json_array();

	if (rc->type != READER_NFC)
		for (int f = 0; f < _WIEGAND_FORMAT_MAX; f++)
			if (rc->formats_mask & (1u << f))
				json_array_append_new(formats, json_string(wiegand_format_name(f)));
	json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:o,s:b,s:I,s:I}", "name", rc->name, "door",
			      rc->door, "zone", cfg->doors[rc->door_index].zone, "type",
			      reader_type_name(rc->type), "direction", rc->direction, "formats",
			      formats, "online", hr->online, "noise", (json_int_t)hr->noise_count,
			      "keys_dropped", (json_int_t)core_keys_dropped(c, i));

	if (o && rc->type == READER_OSDP)
		json_object_set_new(o, "osdp", reader_osdp_json(rc, hr));
	return o;
}

static int op_door_list(struct ctl_request *req, json_t **ret)
{
	struct core *c = req->userdata;
	json_t *arr = json_array();

	for (size_t i = 0; i < core_config(c)->n_doors; i++)
		if (!core_config(c)->doors[i].removed) /* a reload took it out */
			json_array_append_new(arr, door_json(c, (unsigned)i));
	*ret = arr;
	return 0;
}

static int op_reader_list(struct ctl_request *req, json_t **ret)
{
	struct core *c = req->userdata;
	json_t *arr = json_array();

	for (size_t i = 0; i < core_config(c)->n_readers; i++)
		if (!core_config(c)->readers[i].removed)
			json_array_append_new(arr, reader_json(c, (unsigned)i));
	*ret = arr;
	return 0;
}

static int parse_uid(struct ctl_request *req, const char *hex, struct hal_read *read)
{
	size_t n = strlen(hex);

	if (n % 2 || n == 0)
		return ctl_fail(req, "invalid_argument", "'uid' must be an even number of hex digits");
	if (n / 2 > AEOGATE_UID_MAX_BYTES)
		return ctl_fail(req, "invalid_argument", "'uid' is longer than %d bytes",
				AEOGATE_UID_MAX_BYTES);
	for (size_t i = 0; i < n; i += 2) {
		unsigned v;
		if (!isxdigit((unsigned char)hex[i]) || !isxdigit((unsigned char)hex[i + 1]))
			return ctl_fail(req, "invalid_argument", "'uid' must be hex digits");
		sscanf(hex + i, "%2x", &v);
		read->uid[i / 2] = (uint8_t)v;
	}
	read->uid_len = n / 2;
	if (read->uid_len != 4 && read->uid_len != 7 && read->uid_len != 10)
		return ctl_fail(req, "invalid_argument",
				"'uid' must be 4, 7 or 10 bytes (ISO 14443A), not %zu", read->uid_len);
	read->kind = HAL_READ_UID;
	return 0;
}

static int find_reader(struct ctl_request *req, int *ret)
{
	struct core *c = req->userdata;
	const char *name;
	int i;

	if (ctl_arg_id(req, "reader", true, &name) < 0)
		return -1;
	i = config_reader_find(core_config(c), name);
	if (i < 0)
		return ctl_fail(req, "not_found", "no reader '%s'", name);
	*ret = i;
	return 0;
}

static int find_door(struct ctl_request *req, int *ret)
{
	struct core *c = req->userdata;
	const char *name;
	int i;

	if (ctl_arg_id(req, "door", true, &name) < 0)
		return -1;
	i = config_door_find(core_config(c), name);
	if (i < 0)
		return ctl_fail(req, "not_found", "no door '%s'", name);
	*ret = i;
	return 0;
}

/* An optional comment on a change: display text, at most AEOGATE_TEXT_MAX bytes. */
int ops_arg_comment(struct ctl_request *req, bool required, const char **ret)
{
	int r = ctl_arg_string(req, "comment", required, AEOGATE_TEXT_MAX, ret);

	if (r == 0 && !text_is_valid(*ret))
		return ctl_fail(req, "invalid_argument",
				"'comment' must be printable UTF-8 without control characters");
	return r;
}

/* What door.mode hands the core once its change is committed. */
struct mode_change {
	unsigned door;
	bool clear;
	enum policy_door_mode mode;
	int64_t until_ms;
};

static void mode_change_apply(struct core *c, void *arg)
{
	const struct mode_change *m = arg;

	if (m->clear)
		core_door_mode_clear(c, m->door);
	else
		core_door_mode_set(c, m->door, m->mode, m->until_ms);
}

/*
 * door.mode: the door's manual mode, now, until a time or until changed.
 * The row and its door.mode event commit together; then the door takes
 * the mode (the lock moves for unlocked), then subscribers hear of it.
 */
static int op_door_mode(struct ctl_request *req, json_t **ret)
{
	struct core *c = req->userdata;
	const struct door_config *dc;
	const char *name = NULL, *comment = NULL;
	struct mode_change m = {0};
	struct door_mode_row row = {0};
	enum policy_door_mode was;
	int64_t now = core_wall_ms(c);
	json_t *detail;
	int idx = 0, r;

	json_t *clear = json_object_get(req->args, "clear");

	if (clear && !json_is_boolean(clear))
		return ctl_fail(req, "invalid_argument", "'clear' must be true or false");
	m.clear = json_is_true(clear);
	if (find_door(req, &idx) < 0 || ctl_arg_string(req, "mode", !m.clear, 32, &name) < 0 ||
	    ctl_arg_time(req, "until", false, &m.until_ms) < 0 ||
	    ops_arg_comment(req, false, &comment) < 0)
		return -1;
	if (m.clear && (name || m.until_ms))
		return ctl_fail(req, "invalid_argument", "'clear' takes no mode or until");
	if (m.clear)
		name = door_mode_to_string(core_door_mode_unset(c, (unsigned)idx));
	else if (door_mode_from_string(name, &m.mode) < 0)
		return ctl_fail(req, "invalid_argument",
				"'mode' must be card, card_and_pin, unlocked or locked, not '%s'",
				name);
	if (m.until_ms && m.until_ms <= now)
		return ctl_fail(req, "invalid_argument", "'until' must be in the future");
	m.door = (unsigned)idx;
	dc = &core_config(c)->doors[idx];
	was = core_door_mode(c, m.door, NULL);
	snprintf(row.door, sizeof(row.door), "%s", dc->name);
	snprintf(row.mode, sizeof(row.mode), "%s", name);
	row.until_ms = m.until_ms;
	row.set_ms = now;

	if (ops_begin(req, c) < 0)
		return -1;
	r = m.clear ? store_door_mode_clear(core_store(c), dc->name)
		    : store_door_mode_put(core_store(c), &row);
	if (r < 0) {
		ops_abort(c);
		return ops_store_error(req, r, "door mode");
	}
	detail = json_pack("{s:s,s:s,s:s,s:o}", "cause",
			   door_mode_cause_to_string(DOOR_MODE_CAUSE_MANUAL), "mode", name, "was",
			   door_mode_to_string(was), "until", time_to_json(m.until_ms));
	if (detail && comment)
		json_object_set_new(detail, "comment", json_string(comment));
	if (detail && m.clear)
		json_object_set_new(detail, "cleared", json_true());
	struct event e = {.kind = "door.mode", .door = dc->name, .zone = dc->zone};
	if (ops_commit_then(req, c, &e, detail, mode_change_apply, &m) < 0)
		return -1;
	*ret = door_json(c, m.door);
	return 0;
}

/* What door.schedule hands the core once its change is committed. */
struct schedule_change {
	unsigned door;
	bool clear;
	enum policy_door_mode mode;
	bool first_person_in;
	char schedule[AEOGATE_ID_MAX + 1];
};

static void schedule_change_apply(struct core *c, void *arg)
{
	const struct schedule_change *m = arg;

	core_door_schedule_set(c, m->door, m->clear ? NULL : m->schedule, m->mode,
			       m->first_person_in);
}

/* A boolean argument; absent is false. */
static int arg_bool(struct ctl_request *req, const char *name, bool *ret)
{
	json_t *v = json_object_get(req->args, name);

	if (v && !json_is_boolean(v))
		return ctl_fail(req, "invalid_argument", "'%s' must be true or false", name);
	*ret = v && json_is_true(v);
	return 0;
}

/*
 * door.schedule: the mode a door takes inside a schedule (optionally only
 * after the first badge granted in each interval), or clear: none. The row
 * and a door.updated event (before/after) commit together; the door's
 * effective mode then follows at once, recorded as door.mode (schedule)
 * when it changes.
 */
static int op_door_schedule(struct ctl_request *req, json_t **ret)
{
	struct core *c = req->userdata;
	struct store *s = core_store(c);
	const struct door_config *dc;
	struct schedule_change m = {0};
	struct door_schedule_row row = {0};
	const char *mode = NULL, *schedule = NULL;
	json_t *before;
	int idx = 0, r;

	if (find_door(req, &idx) < 0 || arg_bool(req, "clear", &m.clear) < 0 ||
	    arg_bool(req, "first_person_in", &m.first_person_in) < 0 ||
	    ctl_arg_string(req, "mode", !m.clear, 32, &mode) < 0 ||
	    ctl_arg_id(req, "schedule", !m.clear, &schedule) < 0)
		return -1;
	if (m.clear && (mode || schedule || m.first_person_in))
		return ctl_fail(req, "invalid_argument",
				"'clear' takes no mode, schedule or first_person_in");
	if (mode && door_mode_from_string(mode, &m.mode) < 0)
		return ctl_fail(req, "invalid_argument",
				"'mode' must be card, card_and_pin, unlocked or locked, not '%s'",
				mode);
	if (schedule) {
		r = store_schedule_exists(s, schedule);
		if (r < 0)
			return ops_store_error(req, r, "schedule");
		if (r == 0)
			return ctl_fail(req, "not_found", "no such schedule: %s", schedule);
	}
	m.door = (unsigned)idx;
	dc = &core_config(c)->doors[idx];
	before = door_schedule_json(c, m.door);
	json_object_del(before, "active");
	snprintf(m.schedule, sizeof(m.schedule), "%s", schedule ? schedule : "");
	snprintf(row.door, sizeof(row.door), "%s", dc->name);
	snprintf(row.mode, sizeof(row.mode), "%s", door_mode_to_string(m.mode));
	snprintf(row.schedule, sizeof(row.schedule), "%s", m.schedule);
	row.first_person_in = m.first_person_in;
	row.set_ms = core_wall_ms(c);

	if (ops_begin(req, c) < 0) {
		json_decref(before);
		return -1;
	}
	r = m.clear ? store_door_schedule_clear(s, dc->name) : store_door_schedule_put(s, &row);
	if (r < 0) {
		json_decref(before);
		ops_abort(c);
		return ops_store_error(req, r, "door schedule");
	}
	struct event e = {.kind = "door.updated", .door = dc->name, .zone = dc->zone};
	json_t *after =
	    m.clear ? json_null()
		    : json_pack("{s:s,s:s,s:b}", "schedule", m.schedule, "mode",
				door_mode_to_string(m.mode), "first_person_in", m.first_person_in);
	if (ops_commit_then(req, c, &e,
			    json_pack("{s:s,s:{s:o},s:{s:o}}", "door", dc->name, "before",
				      "schedule", before, "after", "schedule", after),
			    schedule_change_apply, &m) < 0)
		return -1;
	*ret = door_json(c, m.door);
	return 0;
}

static void release_apply(struct core *c, void *arg)
{
	const unsigned *v = arg; /* door, ms */

	core_door_release(c, v[0], v[1]);
}

/*
 * door.unlock: a guard releases the lock once (the truck driver at the
 * gate), for the door's strike time or 'for'. Recorded with the operator
 * and a required comment before the lock moves; the opening that follows
 * is authorized. It works on a door whose mode is locked too: the guard's
 * decision, on the record.
 */
static int op_door_unlock(struct ctl_request *req, json_t **ret)
{
	struct core *c = req->userdata;
	const struct door_config *dc;
	const char *comment, *dur = NULL;
	unsigned v[2];
	uint64_t ms;
	int idx = 0;

	if (find_door(req, &idx) < 0 || ctl_arg_string(req, "for", false, 16, &dur) < 0 ||
	    ops_arg_comment(req, true, &comment) < 0)
		return -1;
	dc = &core_config(c)->doors[idx];
	ms = dc->strike_time_ms;
	if (dur && (duration_parse_ms(dur, AEOGATE_STRIKE_TIME_MAX_MS, &ms) < 0 || ms == 0))
		return ctl_fail(req, "invalid_argument",
				"'for': '%s' is not a duration from 1ms to %dm, like 30s or 500ms",
				dur, AEOGATE_STRIKE_TIME_MAX_MS / 60000);
	v[0] = (unsigned)idx;
	v[1] = (unsigned)ms;
	if (ops_begin(req, c) < 0)
		return -1;
	struct event e = {.kind = "door.remote_unlock", .door = dc->name, .zone = dc->zone};
	if (ops_commit_then(req, c, &e,
			    json_pack("{s:s,s:I}", "comment", comment, "for_ms", (json_int_t)ms),
			    release_apply, v) < 0)
		return -1;
	*ret = door_json(c, v[0]);
	return 0;
}

static int op_sim_present(struct ctl_request *req, json_t **ret)
{
	struct core *c = req->userdata;
	struct hal_read read = {0};
	const char *bits = NULL, *uid = NULL, *cred = NULL;
	const struct core_decision *dec;
	struct event e = {0};
	json_t *ev = json_null();
	int idx = 0, r;

	if (find_reader(req, &idx) < 0 ||
	    ctl_arg_string(req, "bits", false, 4 * AEOGATE_WIEGAND_MAX_BITS, &bits) < 0 ||
	    ctl_arg_string(req, "uid", false, 4 * AEOGATE_UID_MAX_BYTES, &uid) < 0 ||
	    ctl_arg_string(req, "credential", false, AEOGATE_CREDENTIAL_MAX, &cred) < 0)
		return -1;
	if ((bits != NULL) + (uid != NULL) + (cred != NULL) != 1)
		return ctl_fail(req, "invalid_argument",
				"give exactly one of 'bits', 'uid' or 'credential'");
	if (cred) {
		/* An enrolled badge as its reader would read it: the frame encoded here. */
		r = credential_to_read(cred, &read);
		if (r == -EOPNOTSUPP)
			return ctl_fail(req, "invalid_argument",
					"'credential' raw:BITS:HEX is no badge; present its bits");
		if (r == -ERANGE)
			return ctl_fail(req, "invalid_argument",
					"'credential' %s: the numbers do not fit the format", cred);
		if (r < 0)
			return ctl_fail(
			    req, "invalid_argument",
			    "'credential' must be FORMAT:FACILITY:NUMBER (h10301, h10302, "
			    "h10304, h10306, c1k35, c1k48) or uid:HEX");
	} else if (bits) {
		r = wiegand_bits_from_string(bits, read.bits, AEOGATE_WIEGAND_MAX_BITS);
		if (r == -E2BIG)
			return ctl_fail(req, "invalid_argument", "'bits' is longer than %d bits",
					AEOGATE_WIEGAND_MAX_BITS);
		if (r < 0)
			return ctl_fail(req, "invalid_argument",
					"'bits' must be a string of 0 and 1 characters");
		read.kind = HAL_READ_WIEGAND;
		read.nbits = (size_t)r;
	} else if (parse_uid(req, uid, &read) < 0) {
		return -1;
	}

	r = hal_sim_reader_present(core_hal_reader(c, (unsigned)idx), &read);
	if (r == -EOPNOTSUPP)
		return ctl_fail(req, "failed_precondition",
				"reader '%s' is not simulated (type %s)",
				core_config(c)->readers[idx].name,
				reader_type_name(core_config(c)->readers[idx].type));
	dec = core_last_decision(c);
	if (dec->seq && store_event_get(core_store(c), dec->seq, &e) == 0) {
		ev = event_to_json(&e);
		event_clear(&e);
	}
	/* Card + PIN: nothing is decided yet; "pending" names what the reader waits for. */
	*ret = json_pack("{s:b,s:s?,s:s?,s:s?,s:s?,s:I,s:o}", "granted", dec->granted, "pending",
			 dec->pending ? (dec->awaiting ? dec->awaiting : "pin") : NULL, "reason",
			 dec->granted || dec->pending ? NULL : reason_to_string(dec->reason),
			 "credential", dec->credential[0] ? dec->credential : NULL, "person",
			 dec->person[0] ? dec->person : NULL, "seq", (json_int_t)dec->seq, "event",
			 ev);
	return 0;
}

static int sim_input(struct ctl_request *req, unsigned door, enum hal_input in, bool active)
{
	struct core *c = req->userdata;
	int r = hal_sim_door_set_input(core_hal_door(c, door), in, active);

	if (r == -EOPNOTSUPP)
		return ctl_fail(req, "failed_precondition", "door '%s' is not simulated",
				core_config(c)->doors[door].name);
	if (r < 0)
		return ctl_fail(req, "internal", "%s", strerror(-r));
	return 0;
}

static int op_sim_door(struct ctl_request *req, json_t **ret)
{
	const char *state;
	int idx = 0;

	if (find_door(req, &idx) < 0 || ctl_arg_string(req, "state", true, 8, &state) < 0)
		return -1;
	if (strcmp(state, "open") && strcmp(state, "close"))
		return ctl_fail(req, "invalid_argument", "'state' must be open or close");
	if (sim_input(req, (unsigned)idx, HAL_INPUT_CONTACT, strcmp(state, "open") == 0) < 0)
		return -1;
	*ret = door_json(req->userdata, (unsigned)idx);
	return 0;
}

static int op_sim_rex(struct ctl_request *req, json_t **ret)
{
	int idx = 0;

	if (find_door(req, &idx) < 0 || sim_input(req, (unsigned)idx, HAL_INPUT_REX, true) < 0 ||
	    sim_input(req, (unsigned)idx, HAL_INPUT_REX, false) < 0)
		return -1;
	*ret = door_json(req->userdata, (unsigned)idx);
	return 0;
}

/* BEGIN osdp op */
/* reader.text: a line on an OSDP reader's display. */
static int op_reader_text(struct ctl_request *req, json_t **ret)
{
	struct core *c = req->userdata;
	const char *text = NULL;
	int idx = 0, r;

	if (find_reader(req, &idx) < 0 ||
	    ctl_arg_string(req, "text", true, 4 * OSDP_TEXT_MAX, &text) < 0)
		return -1;
	r = hal_reader_text(core_hal_reader(c, (unsigned)idx), text);
	if (r == -EOPNOTSUPP)
		return ctl_fail(req, "failed_precondition", "reader '%s' has no display (type %s)",
				core_config(c)->readers[idx].name,
				reader_type_name(core_config(c)->readers[idx].type));
	if (r == -E2BIG)
		return ctl_fail(req, "invalid_argument", "'text' is longer than %d characters",
				OSDP_TEXT_MAX);
	if (r < 0)
		return ctl_fail(req, "invalid_argument",
				"'text' must be printable ASCII characters (space to ~)");
	*ret = reader_json(c, (unsigned)idx);
	return 0;
}

/* reader.output: drive an OSDP reader's output (OUT), on or off, optionally for a while. */
static int op_reader_output(struct ctl_request *req, json_t **ret)
{
	struct core *c = req->userdata;
	const struct reader_config *rc;
	const char *state = NULL, *dur = NULL;
	int64_t n = 0;
	uint64_t ms = 0;
	int idx = 0, r;

	if (find_reader(req, &idx) < 0 ||
	    ctl_arg_int(req, "output", true, 0, OSDP_IO_MAX - 1, &n) < 0 ||
	    ctl_arg_string(req, "state", true, 8, &state) < 0 ||
	    ctl_arg_string(req, "for", false, 16, &dur) < 0)
		return -1;
	rc = &core_config(c)->readers[idx];
	if (strcmp(state, "on") && strcmp(state, "off"))
		return ctl_fail(req, "invalid_argument", "'state' must be on or off, not '%s'",
				state);
	/* OUT's timer counts tenths of a second in 16 bits: at most 6553.5 s. */
	if (dur && (duration_parse_ms(dur, 6553500, &ms) < 0 || ms == 0))
		return ctl_fail(req, "invalid_argument",
				"'for': '%s' is not a duration from 1ms to 109m, like 5s or 500ms",
				dur);
	r = hal_reader_output(core_hal_reader(c, (unsigned)idx), (unsigned)n, !strcmp(state, "on"),
			      (unsigned)ms);
	if (r == -EOPNOTSUPP || r == -ENODEV)
		return ctl_fail(req, "failed_precondition", "reader '%s' has no outputs (type %s)",
				rc->name, reader_type_name(rc->type));
	if (r == -EAGAIN)
		return ctl_fail(req, "unavailable",
				"reader '%s' has not reported its capabilities yet", rc->name);
	if (r == -ERANGE)
		return ctl_fail(req, "invalid_argument", "reader '%s' has no output %lld", rc->name,
				(long long)n);
	if (r < 0)
		return ctl_fail(req, "invalid_argument", "cannot drive output %lld: %s",
				(long long)n, strerror(-r));
	*ret = reader_json(c, (unsigned)idx);
	return 0;
}

/*
 * reader.comset: give an OSDP reader a new address and line speed
 * (COMSET). aeogated follows the reader at once; the config file still
 * names the old ones, and must be edited (the reader.comset event says so).
 */
static int op_reader_comset(struct ctl_request *req, json_t **ret)
{
	struct core *c = req->userdata;
	const struct reader_config *rc;
	struct osdp_pd_info in;
	int64_t addr = -1, baud = 0;
	int idx = 0, r;

	if (find_reader(req, &idx) < 0 ||
	    ctl_arg_int(req, "address", false, 0, OSDP_ADDR_MAX, &addr) < 0 ||
	    ctl_arg_int(req, "baud", false, 9600, 230400, &baud) < 0)
		return -1;
	rc = &core_config(c)->readers[idx];
	if (hal_osdp_reader_info(core_hal_reader(c, (unsigned)idx), &in) < 0)
		return ctl_fail(req, "failed_precondition", "reader '%s' is not an OSDP reader",
				rc->name);
	if (addr < 0 && baud == 0)
		return ctl_fail(req, "invalid_argument", "give 'address', 'baud' or both");
	if (addr < 0)
		addr = in.address;
	if (baud == 0)
		baud = in.baud;
	if (!osdp_baud_valid((unsigned)baud))
		return ctl_fail(req, "invalid_argument",
				"'baud' must be 9600, 19200, 38400, 57600, 115200 or 230400");
	r = hal_reader_comset(core_hal_reader(c, (unsigned)idx), (unsigned)addr, (unsigned)baud);
	if (r == -EADDRINUSE)
		return ctl_fail(req, "already_exists", "another reader on port %s has address %lld",
				rc->port, (long long)addr);
	if (r == -EBUSY)
		return ctl_fail(req, "failed_precondition",
				"other readers share port %s: its speed cannot change for one",
				rc->port);
	if (r < 0)
		return ctl_fail(req, "invalid_argument", "COMSET refused: %s", strerror(-r));
	*ret = reader_json(c, (unsigned)idx);
	json_object_set_new(
	    *ret, "comset",
	    json_pack("{s:I,s:I}", "address", (json_int_t)addr, "baud", (json_int_t)baud));
	return 0;
}
/* END osdp op */

const struct ctl_op ops_doors[] = {
    {"door.list", ROLES_SIGNED_IN, op_door_list},
    {"door.mode", ROLES_MANAGE, op_door_mode},
    {"door.unlock", ROLES_RESPOND, op_door_unlock},
    {"door.schedule", ROLES_MANAGE, op_door_schedule},
    {"reader.list", ROLES_SIGNED_IN, op_reader_list},
    {"reader.text", ROLES_MANAGE, op_reader_text},
    {"reader.output", ROLES_MANAGE, op_reader_output},
    {"reader.comset", ROLES_MANAGE, op_reader_comset},
    {"sim.present", ROLES_MANAGE, op_sim_present},
    {"sim.door", ROLES_MANAGE, op_sim_door},
    {"sim.rex", ROLES_MANAGE, op_sim_rex},
    {NULL, 0, NULL},
};
