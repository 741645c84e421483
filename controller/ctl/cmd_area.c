/* SPDX-License-Identifier: MIT */
/* aeogatectl muster [ZONE], apb status [PERSON], apb forgive PERSON [--zone Z] (issue 14). */
#include <stdio.h>

#include "audit_cmds.h"
#include "ctl.h"
#include "print.h"

/* The roll-call list: one line per person inside, by zone and time of entry. */
static void print_muster(const json_t *arr)
{
	static const struct column cols[] = {
	    {"ZONE", "zone"},	{"PERSON", "person"}, {"NAME", "name"},
	    {"SINCE", "since"}, {"DOOR", "door"},
	};

	print_records(arr, cols, ELEMENTSOF(cols));
}

int cmd_muster(struct ctl_ctx *ctx, int argc, char **argv)
{
	static const struct ctl_query q = {.op = "muster.list",
					   .operand = "expected at most one ZONE",
					   .key = "zone",
					   .optional = true,
					   .array = true,
					   .print = print_muster};

	return ctl_query_run(ctx, argc, argv, &q);
}

int cmd_apb_status(struct ctl_ctx *ctx, int argc, char **argv)
{
	static const struct ctl_query q = {.op = "apb.status",
					   .operand = "expected at most one PERSON",
					   .key = "person",
					   .optional = true,
					   .array = true,
					   .print = print_muster};

	return ctl_query_run(ctx, argc, argv, &q);
}

static void print_forgiven(const json_t *res)
{
	const json_t *was = json_object_get(res, "was");
	char b[512];

	printf("%s  forgiven", json_field(res, "person", b, 128));
	if (json_is_object(was))
		printf("  (was in %s since %s)", json_field(was, "zone", b + 128, 128),
		       json_field(was, "since", b + 256, 128));
	printf("\n");
}

int cmd_apb_forgive(struct ctl_ctx *ctx, int argc, char **argv)
{
	static const struct ctl_opt opts[] = {
	    {"zone", CTL_OPT_ARG, .key = "zone"},
	    CTL_JSON,
	    {0},
	};
	struct ctl_parsed o = {0};
	int r = ctl_parse(ctx, argc, argv, opts, 1, "expected one PERSON", &o);

	if (r >= 0)
		return r;
	return send_change(ctx, &o, NULL, "person", "apb.forgive", print_forgiven);
}
