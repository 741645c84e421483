/* SPDX-License-Identifier: MIT */
/*
 * The health half of system.status (aeogatectl status): uptime, doors with
 * state and mode, readers online and offline, open alarms, the last event,
 * the database's size, clock synchronization and the last backup. Free
 * space on the state directory's file system is the reserve's free_bytes.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "door.h"
#include "doormode.h"
#include "metrics.h"
#include "ops.h"
#include "util.h"

/*
 * Seconds since this process started, on the boot-time clock (not the
 * wall clock, which may be stepped): /proc/self/stat's starttime against
 * /proc/uptime. -1 when either cannot be read.
 */
static int64_t uptime_s(void)
{
	char buf[1024], *p;
	unsigned long long start = 0;
	double up = 0;
	FILE *f;
	int field;

	f = fopen("/proc/self/stat", "re");
	if (!f)
		return -1;
	p = fgets(buf, sizeof(buf), f);
	fclose(f);
	/* The command name may hold spaces: fields are counted after its ')'. */
	if (!p || !(p = strrchr(buf, ')')))
		return -1;
	for (field = 2; field < 22 && p; field++)
		p = strchr(p + 1, ' ');
	if (!p || sscanf(p + 1, "%llu", &start) != 1)
		return -1;
	f = fopen("/proc/uptime", "re");
	if (!f)
		return -1;
	if (fscanf(f, "%lf", &up) != 1)
		up = -1;
	fclose(f);
	if (up < 0)
		return -1;
	return (int64_t)(up - (double)start / (double)sysconf(_SC_CLK_TCK));
}

static json_t *db_bytes(struct core *c)
{
	const char *db = store_path(core_store(c));
	char wal[4096 + 8];
	struct stat st;
	int64_t n;

	if (!db[0] || stat(db, &st) < 0)
		return json_null();
	n = st.st_size;
	snprintf(wal, sizeof(wal), "%s-wal", db);
	if (stat(wal, &st) == 0)
		n += st.st_size;
	return json_integer((json_int_t)n);
}

static json_t *last_event(struct core *c)
{
	char hash[EVENT_HASH_HEX];
	struct event e;
	int64_t seq = 0;
	json_t *o;

	if (store_event_last(core_store(c), &seq, hash) < 0 || !seq ||
	    store_event_get(core_store(c), seq, &e) < 0)
		return json_null();
	o = json_pack("{s:I,s:o,s:s}", "seq", (json_int_t)e.seq, "ts", time_to_json(e.ts_ms),
		      "kind", e.kind);
	event_clear(&e);
	return o ? o : json_null();
}

static json_t *last_backup(struct core *c)
{
	char detail[1024];
	int64_t seq, ts;
	json_t *d, *o;

	if (store_backup_last(core_store(c), &seq, &ts, detail, sizeof(detail)) < 0)
		return json_null();
	d = json_loads(detail, 0, NULL);
	o = json_pack("{s:I,s:o,s:O?,s:O?,s:O?}", "event", (json_int_t)seq, "ts", time_to_json(ts),
		      "seq", json_object_get(d, "seq"), "to", json_object_get(d, "to"), "bytes",
		      json_object_get(d, "bytes"));
	json_decref(d);
	return o ? o : json_null();
}

void ops_health_status(struct core *c, json_t *o)
{
	const struct config *cfg = core_config(c);
	json_t *doors = json_array(), *offline = json_array();
	int64_t alarms = -1, up = uptime_s();
	int synced = clock_synced();
	size_t online = 0;

	for (unsigned i = 0; i < cfg->n_doors; i++) {
		int64_t until;
		const char *mode = door_mode_to_string(core_door_mode(c, i, &until));

		if (cfg->doors[i].removed) /* a reload took it out */
			continue;
		json_array_append_new(
		    doors, json_pack("{s:s,s:s,s:s}", "name", cfg->doors[i].name, "state",
				     door_state_to_string(door_get_state(core_door(c, i))), "mode",
				     mode ? mode : "card"));
	}
	for (unsigned i = 0; i < cfg->n_readers; i++) {
		if (cfg->readers[i].removed)
			continue;
		if (core_hal_reader(c, i)->online)
			online++;
		else
			json_array_append_new(offline, json_string(cfg->readers[i].name));
	}
	(void)store_alarms_open_count(core_store(c), &alarms);
	json_object_set_new(o, "uptime_s", up < 0 ? json_null() : json_integer((json_int_t)up));
	json_object_set_new(o, "doors", doors);
	json_object_set_new(o, "readers_online", json_integer((json_int_t)online));
	json_object_set_new(o, "readers_offline", offline);
	json_object_set_new(o, "alarms_open",
			    alarms < 0 ? json_null() : json_integer((json_int_t)alarms));
	json_object_set_new(o, "last_event", last_event(c));
	json_object_set_new(o, "db_bytes", db_bytes(c));
	json_object_set_new(o, "clock_synced", synced < 0 ? json_null() : json_boolean(synced > 0));
	json_object_set_new(o, "last_backup", last_backup(c));
}

/*
 * system.metrics: what aeogate-web renders at /metrics. Counters are this
 * process's since start, except events_stored (the log's newest seq).
 */
static int op_system_metrics(struct ctl_request *req, json_t **ret)
{
	struct core *c = req->userdata;
	const struct config *cfg = core_config(c);
	const struct decision_metrics *m = core_metrics(c);
	json_t *doors = json_object(), *alarms = json_object();
	char hash[EVENT_HASH_HEX], detail[8];
	int64_t last = 0, bseq, bts;
	size_t online = 0;

	for (unsigned i = 0; i < cfg->n_doors; i++) {
		const char *st = door_state_to_string(door_get_state(core_door(c, i)));
		json_t *n = json_object_get(doors, st);

		if (cfg->doors[i].removed)
			continue;
		json_object_set_new(doors, st, json_integer(n ? json_integer_value(n) + 1 : 1));
	}
	for (unsigned i = 0; i < cfg->n_readers; i++)
		online += !cfg->readers[i].removed && core_hal_reader(c, i)->online;
	(void)store_alarms_open_by_kind(core_store(c), alarms);
	(void)store_event_last(core_store(c), &last, hash);
	*ret = json_pack(
	    "{s:o,s:o,s:I,s:I,s:I,s:I,s:o,s:o}", "decisions", metrics_decisions_json(m), "latency",
	    metrics_latency_json(m), "events_stored", (json_int_t)last, "storage_faults",
	    (json_int_t)m->storage_faults, "events_lost", (json_int_t)core_events_lost(c),
	    "readers_online", (json_int_t)online, "doors", doors, "alarms_open", alarms);
	if (*ret && store_backup_last(core_store(c), &bseq, &bts, detail, sizeof(detail)) == 0)
		json_object_set_new(*ret, "last_backup_ts", json_real((double)bts / 1000.0));
	return *ret ? 0 : ctl_fail(req, "internal", "out of memory");
}

const struct ctl_op ops_health[] = {
    {"system.metrics", ROLE_ANON | ROLES_SIGNED_IN, op_system_metrics},
    {0},
};
