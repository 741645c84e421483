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

/* Sets args[key] to the time text, or to null for "none" (no bound). */
static int time_or_none(json_t *args, const char *key, const char *v)
{
	if (!strcmp(v, "none"))
		return json_object_set_new(args, key, json_null()) < 0;
	return ctl_args_set(args, key, v);
}

int cmd_person_set(struct ctl_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"name", required_argument, NULL, OPT_NAME},
	    {"valid-from", required_argument, NULL, OPT_VALID_FROM},
	    {"valid-until", required_argument, NULL, OPT_VALID_UNTIL},
	    {"add-level", required_argument, NULL, OPT_LEVEL},
	    {"remove-level", required_argument, NULL, OPT_AUDIT_REMOVE},
	    {"json", no_argument, NULL, OPT_JSON},
	    CTL_COMMON_OPTIONS,
	    {0},
	};
	json_t *args = json_object(), *add = json_array(), *rem = json_array(), *res;
	bool json = false;
	char b[300], levels[1024];
	int c, r = 0;

	while (!r && (c = ctl_getopt(ctx, argc, argv, opts)) != -1) {
		switch (c) {
		case OPT_NAME:
			r = ctl_args_set(args, "name", optarg);
			break;
		case OPT_VALID_FROM:
			r = time_or_none(args, "valid_from", optarg);
			break;
		case OPT_VALID_UNTIL:
			r = time_or_none(args, "valid_until", optarg);
			break;
		case OPT_LEVEL:
			r = ctl_args_set(add, NULL, optarg);
			break;
		case OPT_AUDIT_REMOVE:
			r = ctl_args_set(rem, NULL, optarg);
			break;
		case OPT_JSON:
			json = true;
			break;
		default:
			json_decref(args);
			json_decref(add);
			json_decref(rem);
			return ctl_optfail(ctx, c);
		}
	}
	if (!r && argc - optind != 1)
		r = ctl_usage_error(ctx, "expected one person ID");
	if (!r && !json_object_size(args) && !json_array_size(add) && !json_array_size(rem))
		r = ctl_usage_error(ctx, "nothing to change");
	if (!r)
		r = ctl_args_set(args, "id", argv[optind]);
	if (r) {
		json_decref(args);
		json_decref(add);
		json_decref(rem);
		return CTL_EXIT_USAGE;
	}
	if (json_array_size(add))
		json_object_set(args, "add_levels", add);
	if (json_array_size(rem))
		json_object_set(args, "remove_levels", rem);
	json_decref(add);
	json_decref(rem);
	r = ctl_call(ctx, "person.update", args, &res);
	if (r)
		return r;
	if (json) {
		print_json(stdout, res);
	} else {
		static const char *const keys[] = {"id", "name", "status", "valid_from",
						   "valid_until"};

		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			print_kv(stdout, keys[i], json_field(res, keys[i], b, sizeof(b)));
		print_kv(stdout, "levels", json_join(res, "levels", levels, sizeof(levels)));
	}
	json_decref(res);
	return CTL_EXIT_OK;
}

/* level set NAME [--add-zone Z]... [--remove-zone Z]..., level remove NAME */
int cmd_level_change(struct ctl_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"add-zone", required_argument, NULL, OPT_ZONE},
	    {"remove-zone", required_argument, NULL, OPT_AUDIT_REMOVE},
	    {"json", no_argument, NULL, OPT_JSON},
	    CTL_COMMON_OPTIONS,
	    {0},
	};
	bool set = !strcmp(ctx->cmd->name, "set"), json = false;
	json_t *args = json_object(), *add = json_array(), *rem = json_array(), *res;
	char b[1024];
	int c, r = 0;

	while (!r && (c = ctl_getopt(ctx, argc, argv, opts)) != -1) {
		if (c == OPT_JSON)
			json = true;
		else if (set && c == OPT_ZONE)
			r = ctl_args_set(add, NULL, optarg);
		else if (set && c == OPT_AUDIT_REMOVE)
			r = ctl_args_set(rem, NULL, optarg);
		else {
			json_decref(args);
			json_decref(add);
			json_decref(rem);
			return ctl_optfail(ctx, c == 'h' ? c : '?');
		}
	}
	if (!r && argc - optind != 1)
		r = ctl_usage_error(ctx, "expected one level NAME");
	if (!r && set && !json_array_size(add) && !json_array_size(rem))
		r = ctl_usage_error(ctx, "nothing to change: --add-zone or --remove-zone");
	if (!r)
		r = ctl_args_set(args, "name", argv[optind]);
	if (r) {
		json_decref(args);
		json_decref(add);
		json_decref(rem);
		return CTL_EXIT_USAGE;
	}
	if (json_array_size(add))
		json_object_set(args, "add_zones", add);
	if (json_array_size(rem))
		json_object_set(args, "remove_zones", rem);
	json_decref(add);
	json_decref(rem);
	r = ctl_call(ctx, set ? "level.update" : "level.remove", args, &res);
	if (r)
		return r;
	if (json)
		print_json(stdout, res);
	else if (set)
		printf("%s  %s\n", json_field(res, "name", b, 256),
		       json_join(res, "zones", b + 256, 768));
	else
		printf("%s  removed\n", json_field(res, "name", b, sizeof(b)));
	json_decref(res);
	return CTL_EXIT_OK;
}
