// SPDX-License-Identifier: MIT
/*
 * aeogatectl site lockdown, site release, site threat: the site-wide
 * states aeogated records (site.lockdown, site.release, site.threat) with
 * the operator and the comment; and person set's --responder and
 * --clearance, which person set (cmd_trail.c) sends with its other changes.
 */
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "print.h"

/* The site's state after the change, as status shows it. */
static void print_site(const json_t *res)
{
	static const struct column rows[] = {
	    {"lockdown", "lockdown"},
	    {"threat level", "threat_level"},
	};

	print_record(res, rows, ELEMENTSOF(rows));
}

/* site lockdown|release [--zone Z]... --comment TEXT */
int cmd_site_lockdown(struct ctl_ctx *ctx, int argc, char **argv)
{
	static const struct ctl_opt opts[] = {
	    {"zone", CTL_OPT_LIST, .key = "zones", .label = "--zone", .fail = CTL_EXIT_USAGE},
	    {"comment", CTL_OPT_ARG, .key = "comment"},
	    CTL_JSON,
	    {0},
	};
	struct ctl_parsed o = {0};
	char op[32];
	json_t *args;
	int r;

	r = ctl_parse(ctx, argc, argv, opts, 0, NULL, &o);
	if (r >= 0)
		return r;
	if (!o.set[1]) {
		ctl_parsed_free(&o);
		return ctl_usage_error(ctx, "--comment is required: say why");
	}
	snprintf(op, sizeof(op), "site.%s", ctx->cmd->name);
	args = json_incref(o.args);
	ctl_parsed_free(&o);
	return ctl_call_finish(ctx, op, args, o.json, print_site);
}

/* A whole number 0-99 (the controller says which are allowed); -1 when it is not one. */
static long long small_number(const char *s)
{
	long long v;

	return ctl_parse_u64(s, 99, &v) < 0 ? -1 : v;
}

/* site threat LEVEL --comment TEXT */
int cmd_site_threat(struct ctl_ctx *ctx, int argc, char **argv)
{
	static const struct ctl_opt opts[] = {
	    {"comment", CTL_OPT_ARG, .key = "comment"},
	    CTL_JSON,
	    {0},
	};
	struct ctl_parsed o = {0};
	long long level;
	json_t *args;
	int r;

	r = ctl_parse(ctx, argc, argv, opts, 1, "expected one threat LEVEL (0-5)", &o);
	if (r >= 0)
		return r;
	level = small_number(o.operands[0]);
	if (level < 0 || !o.set[0]) {
		ctl_parsed_free(&o);
		return ctl_usage_error(ctx, level < 0 ? "the threat LEVEL is a number 0-5"
						      : "--comment is required: say why");
	}
	args = json_incref(o.args);
	json_object_set_new(args, "level", json_integer(level));
	ctl_parsed_free(&o);
	return ctl_call_finish(ctx, "site.threat", args, o.json, print_site);
}

int ctl_person_site_options(struct ctl_ctx *ctx, const char *responder, const char *clearance,
			    json_t **args)
{
	long long n = clearance ? small_number(clearance) : 0;

	if (responder && strcmp(responder, "yes") && strcmp(responder, "no"))
		return ctl_usage_error(ctx, "--responder takes yes or no, not '%s'", responder);
	if (n < 0)
		return ctl_usage_error(ctx, "--clearance takes a number 0-5, not '%s'", clearance);
	if ((responder || clearance) && !*args && !(*args = json_object()))
		return ctl_fail("out of memory");
	if (responder)
		json_object_set_new(*args, "responder", json_boolean(!strcmp(responder, "yes")));
	if (clearance)
		json_object_set_new(*args, "clearance", json_integer(n));
	return -1;
}
