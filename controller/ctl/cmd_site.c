// SPDX-License-Identifier: MIT
/* aeogatectl status, level add|list, zone|door|reader list */
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "print.h"

static const struct column status_rows[] = {
    {"version", "version"}, {"site", "site"},	      {"timezone", "timezone"},
    {"demo", "demo"},	    {"schema", "schema"},     {"last seq", "last_seq"},
    {"started", "started"}, {"lockdown", "lockdown"}, {"threat level", "threat_level"},
};

static const struct column health_rows[] = {
    {"uptime (s)", "uptime_s"},
    {"readers online", "readers_online"},
    {"readers offline", "readers_offline"},
    {"open alarms", "alarms_open"},
    {"database bytes", "db_bytes"},
    {"free bytes", "free_bytes"},
    {"clock synchronized", "clock_synced"},
};

/* The health block (issue 16.4): the scalars, then doors, last event and last backup. */
static void print_health(const json_t *result)
{
	const json_t *d, *ev = json_object_get(result, "last_event"),
			 *bk = json_object_get(result, "last_backup");
	char ts[64];
	size_t i;

	print_record(result, health_rows, ELEMENTSOF(health_rows));
	json_array_foreach(json_object_get(result, "doors"), i, d)
	{
		printf("%-20s %s, %s, mode %s\n", i ? "" : "doors",
		       json_string_value(json_object_get(d, "name")) ?: "?",
		       json_string_value(json_object_get(d, "state")) ?: "?",
		       json_string_value(json_object_get(d, "mode")) ?: "?");
	}
	if (json_is_object(ev))
		printf("%-20s seq %lld %s at %s\n", "last event",
		       (long long)json_integer_value(json_object_get(ev, "seq")),
		       json_string_value(json_object_get(ev, "kind")) ?: "?",
		       json_field(ev, "ts", ts, sizeof(ts)));
	else
		printf("%-20s -\n", "last event");
	if (json_is_object(bk))
		printf("%-20s %s, seq %lld, to %s\n", "last backup",
		       json_field(bk, "ts", ts, sizeof(ts)),
		       (long long)json_integer_value(json_object_get(bk, "seq")),
		       json_string_value(json_object_get(bk, "to")) ?: "?");
	else
		printf("%-20s never\n", "last backup");
}

static void print_status(const json_t *result)
{
	print_record(result, status_rows, ELEMENTSOF(status_rows));
	print_health(result);
}

int cmd_status(struct ctl_ctx *ctx, int argc, char **argv)
{
	static const struct ctl_query q = {.op = "system.status", .print = print_status};

	return ctl_query_run(ctx, argc, argv, &q);
}

static const struct column level_rows[] = {
    {"level", "name"}, {"zones", "zones"}, {"schedule", "schedule", COLUMN_IF_PRESENT}};

static void print_level(const json_t *result)
{
	print_record(result, level_rows, ELEMENTSOF(level_rows));
}

int cmd_level_add(struct ctl_ctx *ctx, int argc, char **argv)
{
	static const struct ctl_opt opts[] = {
	    {"zone", CTL_OPT_LIST, .label = "--zone", .fail = CTL_EXIT_FAIL},
	    {"schedule", CTL_OPT_ARG, .key = "schedule"},
	    CTL_JSON,
	    {0},
	};
	struct ctl_parsed o = {0};
	json_t *args;
	int r;

	r = ctl_parse(ctx, argc, argv, opts, CTL_OPERANDS_ANY, NULL, &o);
	if (r >= 0)
		return r;
	if (o.n != 1 || json_array_size(o.list[0]) == 0) {
		ctl_parsed_free(&o);
		return ctl_usage_error(ctx, o.n != 1 ? "expected one level NAME"
						     : "at least one --zone is required");
	}
	args = o.args ? json_incref(o.args) : json_object();
	if (args && json_object_set(args, "zones", o.list[0]) < 0) {
		json_decref(args);
		args = NULL;
	}
	ctl_parsed_free(&o);
	if (!args || ctl_args_set(args, "name", o.operands[0])) {
		json_decref(args);
		return CTL_EXIT_FAIL;
	}
	return ctl_call_finish(ctx, "level.add", args, o.json, print_level);
}

/* The list commands: one request, a table of what it returns. */
#define LIST_PRINTER(name, ...)                                                                    \
	static void name(const json_t *arr)                                                        \
	{                                                                                          \
		static const struct column cols[] = {__VA_ARGS__};                                 \
                                                                                                   \
		print_records(arr, cols, ELEMENTSOF(cols));                                        \
	}

LIST_PRINTER(print_levels, {"NAME", "name"}, {"ZONES", "zones"}, {"SCHEDULE", "schedule"})
LIST_PRINTER(print_zones, {"NAME", "name"}, {"DOORS", "doors"}, {"VETTING", "vetting"},
	     {"APB", "apb"}, {"OCCUPANCY", "occupancy"}, {"MAX", "max_occupancy"})
LIST_PRINTER(print_doors, {"NAME", "name"}, {"ZONE", "zone"}, {"STATE", "state"}, {"LOCK", "lock"},
	     {"CONTACT", "contact"}, {"TYPE", "lock_type"}, {"MODE", "mode"}, {"UNTIL", "until"},
	     {"READERS", "readers"}, {"LOCKDOWN", "locked_down"}, {"INTERLOCK", "interlock"},
	     {"HELD-BY", "interlock_held_by"}, {"REX-WAITING", "rex_waiting"})
LIST_PRINTER(print_reader_rows, {"NAME", "name"}, {"DOOR", "door"}, {"ZONE", "zone"},
	     {"TYPE", "type"}, {"DIRECTION", "direction"}, {"ONLINE", "online"},
	     {"FORMATS", "formats"}, {"KEYS-DROPPED", "keys_dropped"})
/* BEGIN osdp reader table */
LIST_PRINTER(print_osdp_rows, {"READER", "name"}, {"ADDRESS", "address"}, {"SECURE", "secure"},
	     {"VENDOR", "vendor"}, {"MODEL", "model"}, {"SERIAL", "serial"},
	     {"FIRMWARE", "firmware"}, {"CAPABILITIES", "capabilities"}, {"POLLS", "polls"},
	     {"NAKS", "naks"}, {"CRC-ERRORS", "crc_errors"})

/* The readers, then a second table for the OSDP ones: identity, session, link counters. */
static void print_readers(const json_t *arr)
{
	json_t *osdp = json_array(), *r;
	size_t i;

	print_reader_rows(arr);
	json_array_foreach(arr, i, r)
	{
		json_t *o = json_object_get(r, "osdp");
		json_t *row;

		if (!json_is_object(o) || !(row = json_deep_copy(o)))
			continue;
		json_object_set(row, "name", json_object_get(r, "name"));
		json_object_set_new(
		    row, "capabilities",
		    json_integer((json_int_t)json_array_size(json_object_get(o, "capabilities"))));
		json_array_append_new(osdp, row);
	}
	if (osdp && json_array_size(osdp)) {
		printf("\n");
		print_osdp_rows(osdp);
	}
	json_decref(osdp);
}
/* END osdp reader table */

/* level list, zone list, door list, reader list: the group names the op and the table. */
int cmd_list(struct ctl_ctx *ctx, int argc, char **argv)
{
	static const struct {
		const char *group;
		struct ctl_query q;
	} lists[] = {
	    {"level", {.array = true, .print = print_levels}},
	    {"zone", {.array = true, .print = print_zones}},
	    {"door", {.array = true, .print = print_doors}},
	    {"reader", {.array = true, .print = print_readers}},
	};

	for (size_t i = 0; i < ELEMENTSOF(lists); i++)
		if (!strcmp(lists[i].group, ctx->cmd->group))
			return ctl_query_run(ctx, argc, argv, &lists[i].q);
	return ctl_fail("no list of %s", ctx->cmd->group);
}
