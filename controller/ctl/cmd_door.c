// SPDX-License-Identifier: MIT
/*
 * aeogatectl door mode, door schedule and door unlock: changes at the
 * doors that aeogated records (door.mode, door.updated,
 * door.remote_unlock) with the operator.
 */
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "print.h"

/* The door after the change, as door list shows it. */
static void print_door(const json_t *res)
{
	static const struct column rows[] = {
	    {"door", "name"}, {"mode", "mode"},	  {"until", "until", COLUMN_UNLESS_NULL},
	    {"lock", "lock"}, {"state", "state"},
	};
	const json_t *sch = json_object_get(res, "schedule");
	char text[160];

	print_record(res, rows, ELEMENTSOF(rows));
	if (!json_is_object(sch))
		return;
	snprintf(
	    text, sizeof(text), "%s inside %s%s%s", json_string_value(json_object_get(sch, "mode")),
	    json_string_value(json_object_get(sch, "schedule")),
	    json_is_true(json_object_get(sch, "first_person_in")) ? ", after the first person in"
								  : "",
	    json_is_true(json_object_get(sch, "active")) ? " (now)" : "");
	print_kv(stdout, "schedule", text);
}

/* Sends op with o's args, args[door] = the first operand; frees o. */
static int send_door(struct ctl_ctx *ctx, struct ctl_parsed *o, const char *op)
{
	json_t *args;
	bool json = o->json;

	if (!o->args && !(o->args = json_object())) {
		ctl_parsed_free(o);
		return ctl_fail("out of memory");
	}
	if (ctl_args_set(o->args, "door", o->operands[0]) ||
	    (!strcmp(op, "door.mode") && !json_object_get(o->args, "clear") &&
	     ctl_args_set(o->args, "mode", o->operands[1]))) {
		ctl_parsed_free(o);
		return CTL_EXIT_USAGE;
	}
	args = json_incref(o->args);
	ctl_parsed_free(o);
	return ctl_call_finish(ctx, op, args, json, print_door);
}

/* door mode DOOR card|card_and_pin|unlocked|locked [--until T] [--comment TEXT] */
int cmd_door_mode(struct ctl_ctx *ctx, int argc, char **argv)
{
	static const struct ctl_opt opts[] = {
	    {"until", CTL_OPT_ARG, .key = "until"},
	    {"comment", CTL_OPT_ARG, .key = "comment"},
	    {"clear", CTL_OPT_FLAG},
	    CTL_JSON,
	    {0},
	};
	struct ctl_parsed o = {0};
	bool clear = false;
	int r;

	for (int i = 1; i < argc; i++)
		clear |= !strcmp(argv[i], "--clear");
	r = ctl_parse(ctx, argc, argv, opts, clear ? 1 : 2,
		      clear ? "expected one DOOR with --clear" : "expected a DOOR and its MODE",
		      &o);
	if (r >= 0)
		return r;
	if (clear) {
		if (o.set[0]) {
			ctl_parsed_free(&o);
			return ctl_usage_error(ctx, "--clear takes no MODE or --until");
		}
		if (!o.args && !(o.args = json_object())) {
			ctl_parsed_free(&o);
			return ctl_fail("out of memory");
		}
		json_object_set_new(o.args, "clear", json_true());
	}
	return send_door(ctx, &o, "door.mode");
}

/* door unlock DOOR [--for DURATION] --comment TEXT */
int cmd_door_unlock(struct ctl_ctx *ctx, int argc, char **argv)
{
	static const struct ctl_opt opts[] = {
	    {"for", CTL_OPT_ARG, .key = "for"},
	    {"comment", CTL_OPT_ARG, .key = "comment"},
	    CTL_JSON,
	    {0},
	};
	struct ctl_parsed o = {0};
	int r;

	r = ctl_parse(ctx, argc, argv, opts, 1, "expected one DOOR", &o);
	if (r >= 0)
		return r;
	if (!o.set[1]) {
		ctl_parsed_free(&o);
		return ctl_usage_error(ctx, "--comment is required: say who is let in and why");
	}
	return send_door(ctx, &o, "door.unlock");
}

/* door schedule DOOR --mode MODE --schedule S [--first-person-in] | door schedule DOOR --clear */
int cmd_door_schedule(struct ctl_ctx *ctx, int argc, char **argv)
{
	static const struct ctl_opt opts[] = {
	    {"mode", CTL_OPT_ARG, .key = "mode"},
	    {"schedule", CTL_OPT_ARG, .key = "schedule"},
	    {"first-person-in", CTL_OPT_FLAG},
	    {"clear", CTL_OPT_FLAG},
	    CTL_JSON,
	    {0},
	};
	struct ctl_parsed o = {0};
	int r;

	r = ctl_parse(ctx, argc, argv, opts, 1, "expected one DOOR", &o);
	if (r >= 0)
		return r;
	if (o.set[3] ? o.set[0] || o.set[1] || o.set[2] : !o.set[0] || !o.set[1]) {
		ctl_parsed_free(&o);
		return ctl_usage_error(ctx, "give --mode and --schedule (and maybe "
					    "--first-person-in), or --clear alone");
	}
	if (!o.args && !(o.args = json_object())) {
		ctl_parsed_free(&o);
		return ctl_fail("out of memory");
	}
	json_object_set_new(o.args, o.set[3] ? "clear" : "first_person_in",
			    json_boolean(o.set[3] || o.set[2]));
	return send_door(ctx, &o, "door.schedule");
}
