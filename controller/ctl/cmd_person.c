// SPDX-License-Identifier: MIT
/* aeogatectl person add|list|show|suspend|reinstate|terminate */
#include <stdio.h>
#include <string.h>

#include "aeogate/limits.h"
#include "ctl.h"
#include "print.h"

static const struct column person_rows[] = {
    {"id", "id"},
    {"name", "name"},
    {"status", "status"},
    {"valid from", "valid_from"},
    {"valid until", "valid_until"},
    {"levels", "levels"},
    {"created", "created"},
    {"terminated", "terminated", COLUMN_UNLESS_NULL},
    {"revoked", "revoked", COLUMN_IF_PRESENT},
    {"pin", "pin", COLUMN_IF_PRESENT},
};

static void print_person(const json_t *p)
{
	print_record(p, person_rows, ELEMENTSOF(person_rows));
}

int cmd_person_add(struct ctl_ctx *ctx, int argc, char **argv)
{
	enum { NAME, FROM, UNTIL, LEVEL };
	static const struct ctl_opt opts[] = {
	    [NAME] = {"name", CTL_OPT_VALUE},
	    [FROM] = {"valid-from", CTL_OPT_VALUE},
	    [UNTIL] = {"valid-until", CTL_OPT_VALUE},
	    [LEVEL] = {"level", CTL_OPT_LIST, .label = "--level", .fail = CTL_EXIT_FAIL},
	    CTL_JSON,
	    {0},
	};
	struct ctl_parsed o = {0};
	json_t *args, *levels;
	int r;

	r = ctl_parse(ctx, argc, argv, opts, CTL_OPERANDS_ANY, NULL, &o);
	if (r >= 0)
		return r;
	levels = o.list[LEVEL];
	if (o.n != 1 || !o.value[NAME]) {
		ctl_parsed_free(&o);
		return ctl_usage_error(ctx,
				       o.n != 1 ? "expected one person ID" : "--name is required");
	}

	args = json_pack("{ss ss}", "id", o.operands[0], "name", o.value[NAME]);
	if (!args) {
		ctl_parsed_free(&o);
		return ctl_fail("invalid text in ID or name");
	}
	if ((o.value[FROM] && ctl_args_set(args, "valid_from", o.value[FROM])) ||
	    (o.value[UNTIL] && ctl_args_set(args, "valid_until", o.value[UNTIL])) ||
	    (json_array_size(levels) && json_object_set(args, "levels", levels) < 0)) {
		ctl_parsed_free(&o);
		json_decref(args);
		return CTL_EXIT_FAIL;
	}
	ctl_parsed_free(&o);
	return ctl_call_finish(ctx, "person.add", args, o.json, print_person);
}

static const struct column person_cols[] = {
    {"ID", "id"},
    {"NAME", "name"},
    {"STATUS", "status"},
    {"VALID-FROM", "valid_from"},
    {"VALID-UNTIL", "valid_until"},
    {"LEVELS", "levels"},
};

static void print_persons(const json_t *all)
{
	print_records(all, person_cols, ELEMENTSOF(person_cols));
}

int cmd_person_list(struct ctl_ctx *ctx, int argc, char **argv)
{
	static const struct ctl_opt opts[] = {CTL_JSON, {0}};
	struct ctl_parsed o = {0};
	json_t *all = NULL;
	int r;

	r = ctl_parse(ctx, argc, argv, opts, 0, NULL, &o);
	if (r >= 0)
		return r;
	r = ctl_list_pages(ctx, "person.list", &all);
	if (r)
		return r;
	return ctl_finish(all, o.json, print_persons);
}

/* show: the person and their badges. */
static void print_person_badges(const json_t *result)
{
	const json_t *creds = json_object_get(result, "credentials");

	print_person(result);
	if (json_is_array(creds) && json_array_size(creds)) {
		fputc('\n', stdout);
		print_badges(creds);
	} else {
		print_kv(stdout, "badges", "none");
	}
}

int cmd_person_show(struct ctl_ctx *ctx, int argc, char **argv)
{
	static const struct ctl_query q = {
	    .operand = "expected one person ID", .key = "id", .print = print_person_badges};

	return ctl_query_run(ctx, argc, argv, &q);
}

/* suspend, reinstate and terminate: the op is named after the command. */
int cmd_person_change(struct ctl_ctx *ctx, int argc, char **argv)
{
	static const struct ctl_query q = {
	    .operand = "expected one person ID", .key = "id", .print = print_person};

	return ctl_query_run(ctx, argc, argv, &q);
}
