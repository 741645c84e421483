/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aeogate/config.h"
#include "core.h"
#include "door.h"
#include "reload.h"

static void add(json_t *changed, const char *what, const char *name, const char *key)
{
	char buf[160];

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

int config_reload(struct core *c, struct config *cur, char *err, size_t errlen)
{
	struct config *next = malloc(sizeof(*next)), *same = malloc(sizeof(*same));
	json_t *changed = json_array();
	int r = 0;

	if (!next || !same || !changed) {
		r = -ENOMEM;
		goto out;
	}
	if (config_load(cur->path, next, err, errlen) < 0)
		goto refuse;
	/* What the command line set, it still sets. */
	memcpy(next->state_dir, cur->state_dir, sizeof(next->state_dir));
	memcpy(next->socket, cur->socket, sizeof(next->socket));
	if (next->n_doors != cur->n_doors || next->n_readers != cur->n_readers) {
		snprintf(err, errlen, "doors or readers added or removed: that needs a restart");
		goto refuse;
	}
	/*
	 * Everything but what a reload applies (and the lines the sections are
	 * on) must be as it runs: the new file with those taken from the
	 * running config must be the running config, byte for byte (both were
	 * zeroed before they were filled, padding included).
	 */
	*same = *next;
	for (size_t i = 0; i < cur->n_doors; i++) {
		same->doors[i].strike_time_ms = cur->doors[i].strike_time_ms;
		same->doors[i].held_time_ms = cur->doors[i].held_time_ms;
		same->doors[i].line = cur->doors[i].line;
		same->doors[i].interlock_line = cur->doors[i].interlock_line;
	}
	for (size_t i = 0; i < cur->n_readers; i++) {
		same->readers[i].formats_mask = cur->readers[i].formats_mask;
		same->readers[i].line = cur->readers[i].line;
	}
	if (memcmp(same, cur, sizeof(*cur)) != 0) {
		snprintf(err, errlen,
			 "only door strike_time and held_time and reader formats change without a "
			 "restart; this file changes more");
		goto refuse;
	}
	for (size_t i = 0; i < cur->n_doors; i++) {
		const struct door_config *o = &cur->doors[i], *n = &next->doors[i];

		if (o->strike_time_ms != n->strike_time_ms)
			add(changed, "door", o->name, "strike_time");
		if (o->held_time_ms != n->held_time_ms)
			add(changed, "door", o->name, "held_time");
		door_set_timings(core_door(c, (unsigned)i), n->strike_time_ms, n->held_time_ms);
	}
	for (size_t i = 0; i < cur->n_readers; i++)
		if (cur->readers[i].formats_mask != next->readers[i].formats_mask)
			add(changed, "reader", cur->readers[i].name, "formats");
	/* One loop, one writer: the core reads the new values from its next read on. */
	*cur = *next;
	record(c, "config.reloaded", json_pack("{s:O,s:s}", "changed", changed, "path", cur->path));
	r = 1;
	goto out;
refuse:
	record(c, "config.rejected", json_pack("{s:s,s:s}", "reason", err, "path", cur->path));
	r = 0;
out:
	json_decref(changed);
	free(next);
	free(same);
	return r;
}
