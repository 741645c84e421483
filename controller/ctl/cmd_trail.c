// SPDX-License-Identifier: MIT
/*
 * aeogatectl person set, level set, level remove: admin-trail changes that
 * aeogated records with the operator and the values before and after.
 */
#include <stdio.h>
#include <string.h>

#include "audit_cmds.h"
#include "ctl.h"
#include "print.h"

/* person set: what it changed. */
static void print_person_change(const json_t *res)
{
	static const struct column rows[] = {
	    {"id", "id"},
	    {"name", "name"},
	    {"status", "status"},
	    {"valid_from", "valid_from"},
	    {"valid_until", "valid_until"},
	    {"levels", "levels"},
	    {"responder", "responder", COLUMN_IF_PRESENT},
	    {"clearance", "clearance", COLUMN_IF_PRESENT},
	};

	print_record(res, rows, ELEMENTSOF(rows));
}

/*
 * Sends op with args (the changes ctl_parse collected) and the one
 * operand as args[key]; "nothing to change" when there are none.
 */
int send_change(struct ctl_ctx *ctx, struct ctl_parsed *o, const char *nothing, const char *key,
		const char *op, void (*print)(const json_t *res))
{
	json_t *args;
	int r = -1;

	if (nothing && !json_object_size(o->args))
		r = ctl_usage_error(ctx, "%s", nothing);
	if (r < 0 && !o->args && !(o->args = json_object()))
		r = ctl_fail("out of memory");
	if (r < 0)
		r = ctl_args_set(o->args, key, o->operands[0]) ? CTL_EXIT_USAGE : -1;
	if (r >= 0) {
		ctl_parsed_free(o);
		return CTL_EXIT_USAGE;
	}
	args = json_incref(o->args);
	ctl_parsed_free(o);
	return ctl_call_finish(ctx, op, args, o->json, print);
}

int cmd_person_set(struct ctl_ctx *ctx, int argc, char **argv)
{
	static const struct ctl_opt opts[] = {
	    {"name", CTL_OPT_ARG, .key = "name"},
	    {"valid-from", CTL_OPT_ARG, .key = "valid_from", .none_null = true},
	    {"valid-until", CTL_OPT_ARG, .key = "valid_until", .none_null = true},
	    {"add-level", CTL_OPT_LIST, .key = "add_levels", .fail = CTL_EXIT_USAGE},
	    {"remove-level", CTL_OPT_LIST, .key = "remove_levels", .fail = CTL_EXIT_USAGE},
	    {"responder", CTL_OPT_VALUE},
	    {"clearance", CTL_OPT_VALUE},
	    CTL_JSON,
	    {0},
	};
	struct ctl_parsed o = {0};
	int r;

	r = ctl_parse(ctx, argc, argv, opts, 1, "expected one person ID", &o);
	if (r >= 0)
		return r;
	r = ctl_person_site_options(ctx, o.value[5], o.value[6], &o.args);
	if (r >= 0) {
		ctl_parsed_free(&o);
		return r;
	}
	return send_change(ctx, &o, "nothing to change", "id", "person.update",
			   print_person_change);
}

/* level set: "NAME  ZONES  SCHEDULE"; level remove: "NAME  removed". */
static void print_level_set(const json_t *res)
{
	char b[1024];

	printf("%s  %s  %s\n", json_field(res, "name", b, 256),
	       json_join(res, "zones", b + 256, 512), json_field(res, "schedule", b + 768, 256));
}

static void print_level_removed(const json_t *res)
{
	char b[1024];

	printf("%s  removed\n", json_field(res, "name", b, sizeof(b)));
}

/* level set NAME [--add-zone Z]... [--remove-zone Z]..., level remove NAME */
int cmd_level_change(struct ctl_ctx *ctx, int argc, char **argv)
{
	static const struct ctl_opt opts[] = {
	    {"add-zone", CTL_OPT_LIST, .key = "add_zones", .fail = CTL_EXIT_USAGE},
	    {"remove-zone", CTL_OPT_LIST, .key = "remove_zones", .fail = CTL_EXIT_USAGE},
	    {"schedule", CTL_OPT_ARG, .key = "schedule", .none_null = true},
	    CTL_JSON,
	    {0},
	};
	bool set = !strcmp(ctx->cmd->name, "set");
	/* The zone and schedule options are known to level remove, and refused. */
	struct ctl_parsed o = {.refuse = set ? 0 : 1u << 0 | 1u << 1 | 1u << 2};
	int r;

	r = ctl_parse(ctx, argc, argv, opts, 1, "expected one level NAME", &o);
	if (r >= 0)
		return r;
	if (set)
		return send_change(ctx, &o,
				   "nothing to change: --add-zone, --remove-zone or --schedule",
				   "name", "level.update", print_level_set);
	return send_change(ctx, &o, NULL, "name", "level.remove", print_level_removed);
}

/* person vet: the record as stored. */
static void print_vetting(const json_t *res)
{
	static const struct column rows[] = {
	    {"person", "person"},	    {"status", "status"},	{"checked", "checked"},
	    {"recheck due", "recheck_due"}, {"reference", "reference"},
	};

	print_record(res, rows, ELEMENTSOF(rows));
}

/* person vet ID --status S --checked DATE --recheck-due DATE [--reference TEXT] */
int cmd_person_vet(struct ctl_ctx *ctx, int argc, char **argv)
{
	static const struct ctl_opt opts[] = {
	    {"status", CTL_OPT_ARG, .key = "status"},
	    {"checked", CTL_OPT_ARG, .key = "checked"},
	    {"recheck-due", CTL_OPT_ARG, .key = "recheck_due"},
	    {"reference", CTL_OPT_ARG, .key = "reference"},
	    CTL_JSON,
	    {0},
	};
	struct ctl_parsed o = {0};
	int r;

	r = ctl_parse(ctx, argc, argv, opts, 1, "expected one person ID", &o);
	if (r >= 0)
		return r;
	if (!o.set[0] || !o.set[1] || !o.set[2]) {
		ctl_parsed_free(&o);
		return ctl_usage_error(ctx, "--status, --checked and --recheck-due are required");
	}
	return send_change(ctx, &o, NULL, "id", "person.vet", print_vetting);
}

/* zone show and zone set: the zone with its settings. */
static void print_zone(const json_t *res)
{
	static const struct column rows[] = {
	    {"name", "name"},
	    {"doors", "doors"},
	    {"vetting", "vetting"},
	    {"apb", "apb"},
	    {"occupancy", "occupancy"},
	    {"max_occupancy", "max_occupancy"},
	    {"apb_violations", "apb_violations"},
	    {"two-person", "two_person"},
	    {"two-person window (s)", "two_person_window"},
	    {"escort", "escort"},
	    {"escort window (s)", "escort_window"},
	};

	print_record(res, rows, ELEMENTSOF(rows));
}

int cmd_zone_show(struct ctl_ctx *ctx, int argc, char **argv)
{
	static const struct ctl_query q = {
	    .operand = "expected one ZONE", .key = "zone", .print = print_zone};

	return ctl_query_run(ctx, argc, argv, &q);
}

/*
 * zone set ZONE [--vetting required|none] [--apb MODE] [--max-occupancy N|none]
 * [--two-person on|off] [--two-person-window DURATION] [--escort required|none]
 * [--escort-window DURATION]
 */
int cmd_zone_set(struct ctl_ctx *ctx, int argc, char **argv)
{
	static const struct ctl_opt opts[] = {
	    {"vetting", CTL_OPT_ARG, .key = "vetting"},
	    {"apb", CTL_OPT_ARG, .key = "apb"},
	    {"max-occupancy", CTL_OPT_ARG, .key = "max_occupancy"},
	    {"two-person", CTL_OPT_ARG, .key = "two_person"},
	    {"two-person-window", CTL_OPT_ARG, .key = "two_person_window"},
	    {"escort", CTL_OPT_ARG, .key = "escort"},
	    {"escort-window", CTL_OPT_ARG, .key = "escort_window"},
	    CTL_JSON,
	    {0},
	};
	struct ctl_parsed o = {0};
	int r;

	r = ctl_parse(ctx, argc, argv, opts, 1, "expected one ZONE", &o);
	if (r >= 0)
		return r;
	return send_change(ctx, &o,
			   "nothing to change: --vetting required|none, --apb MODE, --max-occupancy "
			   "N|none, --two-person on|off, --two-person-window DURATION, --escort "
			   "required|none, --escort-window DURATION",
			   "zone", "zone.set", print_zone);
}
