/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aeogate/config.h"
#include "core.h"
#include "door.h"
#include "reload.h"

/* What the new file does to each slot of the running config. */
struct reload_plan {
	bool door_added[AEOGATE_DOORS_MAX], door_removed[AEOGATE_DOORS_MAX];
	bool reader_added[AEOGATE_READERS_MAX], reader_removed[AEOGATE_READERS_MAX];
};

static void add(json_t *changed, const char *what, const char *name, const char *key)
{
	char buf[192];

	snprintf(buf, sizeof(buf), "%s %s: %s", what, name, key);
	json_array_append_new(changed, json_string(buf));
}

static void record(struct core *c, const char *kind, json_t *detail)
{
	char *text = json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS);
	struct event e = {.kind = kind, .detail = text};

	(void)core_emit(c, &e);
	free(text);
	json_decref(detail);
}

#define DIFFERS(a, b, field) (memcmp(&(a)->field, &(b)->field, sizeof((a)->field)) != 0)

/* The config key of a running door that the new file changes, or NULL. */
static const char *door_rewired(const struct door_config *o, const struct door_config *n)
{
	static const struct {
		const char *key;
		size_t off, len;
	} keys[] = {
#define K(key, field)                                                                              \
	{key, offsetof(struct door_config, field), sizeof(((struct door_config *)0)->field)}
	    K("zone", zone),
	    K("lock", lock),
	    K("lock_type", lock_type),
	    K("lock", backend),
	    K("contact", contact),
	    K("rex", rex),
	    K("tamper", tamper),
	    K("led_green", led_green),
	    K("led_red", led_red),
	    K("buzzer", buzzer),
	    K("debounce", debounce_ms),
	    K("interlock", interlock),
#undef K
	};

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (memcmp((const char *)o + keys[i].off, (const char *)n + keys[i].off,
			   keys[i].len) != 0)
			return keys[i].key;
	return NULL;
}

static const char *reader_rewired(const struct reader_config *o, const struct reader_config *n)
{
	if (DIFFERS(o, n, door))
		return "door";
	if (DIFFERS(o, n, type))
		return "type";
	if (DIFFERS(o, n, direction))
		return "direction";
	if (DIFFERS(o, n, d0))
		return "d0";
	if (DIFFERS(o, n, d1))
		return "d1";
	if (DIFFERS(o, n, connstring))
		return "connstring";
	if (DIFFERS(o, n, frame_gap_ms))
		return "frame_gap";
	if (DIFFERS(o, n, hold_off_ms))
		return "hold_off";
	if (DIFFERS(o, n, port))
		return "port";
	if (DIFFERS(o, n, baud))
		return "baud";
	if (DIFFERS(o, n, address))
		return "address";
	if (DIFFERS(o, n, secure))
		return "secure";
	if (DIFFERS(o, n, scbk))
		return "scbk";
	if (DIFFERS(o, n, install))
		return "install";
	return NULL;
}

/*
 * Lays the new file out on the running config's slots (the core's state
 * is indexed by them): a door or reader kept stays at its slot, one gone
 * leaves its slot marked removed, one added takes a slot an earlier reload
 * freed or a new one at the end. Writes *laid; -EINVAL with err when the
 * file cannot be applied while running.
 */
static int layout(const struct config *cur, const struct config *next, struct config *laid,
		  struct reload_plan *plan, char *err, size_t errlen)
{
	bool used_d[AEOGATE_DOORS_MAX] = {0}, used_r[AEOGATE_READERS_MAX] = {0};

	*laid = *next;
	laid->n_doors = cur->n_doors;
	for (size_t i = 0; i < cur->n_doors; i++) {
		int j = cur->doors[i].removed ? -1 : config_door_find(next, cur->doors[i].name);
		const char *key;

		if (j < 0) {
			laid->doors[i] = cur->doors[i];
			laid->doors[i].removed = true;
			plan->door_removed[i] = !cur->doors[i].removed;
			continue;
		}
		used_d[j] = true;
		laid->doors[i] = next->doors[j];
		key = door_rewired(&cur->doors[i], &next->doors[j]);
		if (key) {
			snprintf(
			    err, errlen,
			    "door %s: %s changes only with a restart (or remove the door by one "
			    "reload and add it back by another)",
			    cur->doors[i].name, key);
			return -EINVAL;
		}
	}
	for (size_t j = 0; j < next->n_doors; j++) {
		size_t slot = 0;

		if (used_d[j])
			continue;
		/* A slot freed by an earlier reload (not by this one: its door is going now). */
		while (slot < cur->n_doors &&
		       !(cur->doors[slot].removed && !plan->door_added[slot]))
			slot++;
		if (slot == cur->n_doors && (slot = laid->n_doors++) >= AEOGATE_DOORS_MAX) {
			snprintf(err, errlen, "door %s: no free door slot (at most %d); restart",
				 next->doors[j].name, AEOGATE_DOORS_MAX);
			return -EINVAL;
		}
		laid->doors[slot] = next->doors[j];
		plan->door_added[slot] = true;
	}

	laid->n_readers = cur->n_readers;
	for (size_t i = 0; i < cur->n_readers; i++) {
		int j =
		    cur->readers[i].removed ? -1 : config_reader_find(next, cur->readers[i].name);
		const char *key;

		if (j < 0) {
			laid->readers[i] = cur->readers[i];
			laid->readers[i].removed = true;
			plan->reader_removed[i] = !cur->readers[i].removed;
			continue;
		}
		used_r[j] = true;
		laid->readers[i] = next->readers[j];
		key = reader_rewired(&cur->readers[i], &next->readers[j]);
		if (key) {
			snprintf(err, errlen,
				 "reader %s: %s changes only with a restart (or remove the reader "
				 "by one reload and add it back by another)",
				 cur->readers[i].name, key);
			return -EINVAL;
		}
	}
	for (size_t j = 0; j < next->n_readers; j++) {
		size_t slot = 0;

		if (used_r[j])
			continue;
		while (slot < cur->n_readers &&
		       !(cur->readers[slot].removed && !plan->reader_added[slot]))
			slot++;
		if (slot == cur->n_readers && (slot = laid->n_readers++) >= AEOGATE_READERS_MAX) {
			snprintf(err, errlen,
				 "reader %s: no free reader slot (at most %d); restart",
				 next->readers[j].name, AEOGATE_READERS_MAX);
			return -EINVAL;
		}
		laid->readers[slot] = next->readers[j];
		plan->reader_added[slot] = true;
	}
	/* Each reader's door by its slot, now that doors have theirs. */
	for (size_t i = 0; i < laid->n_readers; i++) {
		struct reader_config *rc = &laid->readers[i];
		int d = rc->removed ? (int)rc->door_index : config_door_find(laid, rc->door);

		if (d < 0) { /* config_load checked it: cannot happen */
			snprintf(err, errlen, "reader %s: door %s not found", rc->name, rc->door);
			return -EINVAL;
		}
		rc->door_index = (unsigned)d;
	}
	return 0;
}

/*
 * Everything but doors, readers and the keys a reload applies must be as it
 * runs: the laid-out file with those taken from the running config must be
 * the running config, byte for byte (both were zeroed before they were
 * filled, padding included).
 */
static bool rest_unchanged(const struct config *cur, const struct config *laid,
			   struct config *scratch)
{
	*scratch = *laid;
	memcpy(scratch->doors, cur->doors, sizeof(scratch->doors));
	memcpy(scratch->readers, cur->readers, sizeof(scratch->readers));
	scratch->n_doors = cur->n_doors;
	scratch->n_readers = cur->n_readers;
	return memcmp(scratch, cur, sizeof(*cur)) == 0;
}

int config_reload(struct core *c, struct config *cur, char *err, size_t errlen)
{
	struct config *next = malloc(sizeof(*next)), *laid = malloc(sizeof(*laid));
	struct reload_plan *plan = calloc(1, sizeof(*plan));
	json_t *changed = json_array();
	int r = 0;

	if (!next || !laid || !plan || !changed) {
		r = -ENOMEM;
		goto out;
	}
	if (config_load(cur->path, next, err, errlen) < 0)
		goto refuse;
	/* What the command line set, it still sets. */
	memcpy(next->state_dir, cur->state_dir, sizeof(next->state_dir));
	memcpy(next->socket, cur->socket, sizeof(next->socket));
	if (layout(cur, next, laid, plan, err, errlen) < 0)
		goto refuse;
	if (!rest_unchanged(cur, laid, next)) {
		snprintf(err, errlen,
			 "only doors and readers added or removed, door strike_time and held_time "
			 "and reader formats change without a restart; this file changes more");
		goto refuse;
	}

	/*
	 * The file is good: from here on it is applied. Readers go before the
	 * doors they belong to, each door locked as it goes.
	 */
	for (size_t i = 0; i < cur->n_readers; i++)
		if (plan->reader_removed[i]) {
			core_reader_remove(c, (unsigned)i);
			add(changed, "reader", cur->readers[i].name, "removed");
		}
	for (size_t i = 0; i < cur->n_doors; i++)
		if (plan->door_removed[i]) {
			core_door_remove(c, (unsigned)i);
			add(changed, "door", cur->doors[i].name, "removed");
		}
	for (size_t i = 0; i < cur->n_doors; i++) {
		const struct door_config *o = &cur->doors[i], *n = &laid->doors[i];

		if (o->removed || n->removed)
			continue;
		if (o->strike_time_ms != n->strike_time_ms)
			add(changed, "door", o->name, "strike_time");
		if (o->held_time_ms != n->held_time_ms)
			add(changed, "door", o->name, "held_time");
		door_set_timings(core_door(c, (unsigned)i), n->strike_time_ms, n->held_time_ms);
	}
	for (size_t i = 0; i < cur->n_readers; i++)
		if (!cur->readers[i].removed && !laid->readers[i].removed &&
		    cur->readers[i].formats_mask != laid->readers[i].formats_mask)
			add(changed, "reader", cur->readers[i].name, "formats");

	/* One loop, one writer: the core reads the new values from its next read on. */
	*cur = *laid;

	/* A new door is locked before its readers open. */
	for (size_t i = 0; i < cur->n_doors; i++) {
		char why[160];

		if (!plan->door_added[i])
			continue;
		r = core_door_add(c, (unsigned)i);
		if (r == 0) {
			add(changed, "door", cur->doors[i].name, "added");
			continue;
		}
		/* Not there after all: it and its readers stay out, and the event says why. */
		snprintf(why, sizeof(why), "not added: %s", strerror(-r));
		add(changed, "door", cur->doors[i].name, why);
		cur->doors[i].removed = true;
		for (size_t k = 0; k < cur->n_readers; k++)
			if (plan->reader_added[k] && cur->readers[k].door_index == i) {
				cur->readers[k].removed = true;
				plan->reader_added[k] = false;
				add(changed, "reader", cur->readers[k].name,
				    "not added: its door was not");
			}
	}
	for (size_t i = 0; i < cur->n_readers; i++) {
		char why[160];

		if (!plan->reader_added[i])
			continue;
		r = core_reader_record(c, (unsigned)i);
		if (r == 0)
			r = core_reader_add(c, (unsigned)i);
		if (r == 0) {
			add(changed, "reader", cur->readers[i].name, "added");
			continue;
		}
		snprintf(why, sizeof(why), "not added: %s", strerror(-r));
		add(changed, "reader", cur->readers[i].name, why);
		cur->readers[i].removed = true;
	}
	record(c, "config.reloaded", json_pack("{s:O,s:s}", "changed", changed, "path", cur->path));
	r = 1;
	goto out;
refuse:
	record(c, "config.rejected", json_pack("{s:s,s:s}", "reason", err, "path", cur->path));
	r = 0;
out:
	json_decref(changed);
	free(next);
	free(laid);
	free(plan);
	return r;
}
