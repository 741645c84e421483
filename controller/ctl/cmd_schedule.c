// SPDX-License-Identifier: MIT
/*
 * aeogatectl schedule add|set|remove|list|show and holiday add|remove|list:
 * when levels are in force. aeogated parses and checks the interval specs
 * ("mon-fri 07:00-17:00") and dates; changes are in the admin trail.
 */
#include <stdio.h>
#include <string.h>

#include "audit_cmds.h"
#include "ctl.h"
#include "print.h"

/* A schedule's intervals joined with "; " (a spec holds commas itself). */
static const char *intervals_text(const json_t *sched, char *buf, size_t len)
{
	const json_t *v;
	size_t i, used = 0;

	buf[0] = '\0';
	json_array_foreach(json_object_get(sched, "intervals"), i, v)
	{
		int n = snprintf(buf + used, len - used, "%s%s", used ? "; " : "",
				 json_string_value(v) ? json_string_value(v) : "?");

		if (n < 0 || (size_t)n >= len - used)
			break;
		used += (size_t)n;
	}
	return used ? buf : "-";
}

/* schedule show, add, set: one interval per line, then what uses it. */
static void print_schedule(const json_t *res)
{
	static const struct column users[] = {
	    {"levels", "levels", COLUMN_IF_PRESENT},
	    {"doors", "doors", COLUMN_IF_PRESENT},
	};
	char b[256];
	const json_t *v;
	size_t i;

	print_kv(stdout, "name", json_field(res, "name", b, sizeof(b)));
	json_array_foreach(json_object_get(res, "intervals"), i, v)
	    print_kv(stdout, "interval", json_string_value(v));
	print_record(res, users, ELEMENTSOF(users));
}

static void print_schedules(const json_t *arr)
{
	static const char *const headers[] = {"NAME", "INTERVALS", "LEVELS"};
	struct table *t = table_new(headers, ELEMENTSOF(headers));
	const json_t *rec;
	size_t i;

	if (!t)
		return;
	json_array_foreach(arr, i, rec)
	{
		char name[128], ivs[1024], levels[512];
		const char *row[] = {json_field(rec, "name", name, sizeof(name)),
				     intervals_text(rec, ivs, sizeof(ivs)),
				     json_join(rec, "levels", levels, sizeof(levels))};

		table_add(t, row);
	}
	table_print(t, stdout);
	table_free(t);
}

/* schedule remove, holiday remove: "NAME  removed". */
static void print_removed(const json_t *res)
{
	char b[128];
	const char *what = json_object_get(res, "date") ? "date" : "name";

	printf("%s  removed\n", json_field(res, what, b, sizeof(b)));
}

/*
 * schedule add NAME --interval SPEC...
 * schedule set NAME (--add-interval SPEC | --remove-interval SPEC)...
 * schedule remove NAME
 */
int cmd_schedule_change(struct ctl_ctx *ctx, int argc, char **argv)
{
	static const struct ctl_opt opts[] = {
	    {"interval", CTL_OPT_LIST, .key = "intervals", .label = "--interval",
	     .fail = CTL_EXIT_USAGE},
	    {"add-interval", CTL_OPT_LIST, .key = "add_intervals", .label = "--add-interval",
	     .fail = CTL_EXIT_USAGE},
	    {"remove-interval", CTL_OPT_LIST, .key = "remove_intervals",
	     .label = "--remove-interval", .fail = CTL_EXIT_USAGE},
	    CTL_JSON,
	    {0},
	};
	const char *cmd = ctx->cmd->name;
	/* The options each subcommand takes (bits of opts); the others are named as wrong. */
	unsigned takes = !strcmp(cmd, "add")   ? 1u << 0
			 : !strcmp(cmd, "set") ? 1u << 1 | 1u << 2
					       : 0;
	struct ctl_parsed o = {0};
	int r;

	r = ctl_parse(ctx, argc, argv, opts, 1, "expected one schedule NAME", &o);
	if (r >= 0)
		return r;
	for (unsigned i = 0; i < 3; i++)
		if (o.set[i] && !(takes & (1u << i))) {
			ctl_parsed_free(&o);
			return ctl_usage_error(ctx, "--%s is not an option of schedule %s",
					       opts[i].name, cmd);
		}
	if (!strcmp(cmd, "add")) {
		if (!o.set[0]) {
			ctl_parsed_free(&o);
			return ctl_usage_error(ctx, "at least one --interval is required");
		}
		return send_change(ctx, &o, NULL, "name", "schedule.add", print_schedule);
	}
	if (!strcmp(cmd, "set"))
		return send_change(ctx, &o,
				   "nothing to change: --add-interval or --remove-interval", "name",
				   "schedule.update", print_schedule);
	return send_change(ctx, &o, NULL, "name", "schedule.remove", print_removed);
}

/* schedule list, schedule show NAME */
int cmd_schedule_query(struct ctl_ctx *ctx, int argc, char **argv)
{
	static const struct ctl_query list = {.array = true, .print = print_schedules};
	static const struct ctl_query show = {
	    .operand = "expected one schedule NAME", .key = "name", .print = print_schedule};

	return ctl_query_run(ctx, argc, argv, !strcmp(ctx->cmd->name, "list") ? &list : &show);
}

static void print_holiday(const json_t *res)
{
	char d[32], n[300];

	printf("%s  %s\n", json_field(res, "date", d, sizeof(d)),
	       json_field(res, "name", n, sizeof(n)));
}

/* holiday add DATE --name TEXT, holiday remove DATE */
int cmd_holiday_change(struct ctl_ctx *ctx, int argc, char **argv)
{
	static const struct ctl_opt opts[] = {
	    {"name", CTL_OPT_ARG, .key = "name"},
	    CTL_JSON,
	    {0},
	};
	bool add = !strcmp(ctx->cmd->name, "add");
	struct ctl_parsed o = {0};
	int r;

	r = ctl_parse(ctx, argc, argv, opts, 1, "expected one DATE (YYYY-MM-DD)", &o);
	if (r >= 0)
		return r;
	if (!add && o.set[0]) {
		ctl_parsed_free(&o);
		return ctl_usage_error(ctx, "--name is not an option of holiday remove");
	}
	if (!add)
		return send_change(ctx, &o, NULL, "date", "holiday.remove", print_removed);
	if (!o.set[0]) {
		ctl_parsed_free(&o);
		return ctl_usage_error(ctx, "--name is required");
	}
	return send_change(ctx, &o, NULL, "date", "holiday.add", print_holiday);
}

static void print_holidays(const json_t *arr)
{
	static const struct column cols[] = {{"DATE", "date"}, {"NAME", "name"}};

	print_records(arr, cols, ELEMENTSOF(cols));
}

int cmd_holiday_list(struct ctl_ctx *ctx, int argc, char **argv)
{
	static const struct ctl_query q = {.array = true, .print = print_holidays};

	return ctl_query_run(ctx, argc, argv, &q);
}
