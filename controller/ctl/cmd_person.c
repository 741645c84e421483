// SPDX-License-Identifier: MIT
/* aeogatectl person add|list|show|suspend|reinstate|terminate */
#include <stdio.h>
#include <string.h>

#include "aeogate/limits.h"
#include "ctl.h"
#include "print.h"

static void print_person(const json_t *p)
{
	char num[32], levels[1024];

	print_kv(stdout, "id", json_field(p, "id", num, sizeof(num)));
	print_kv(stdout, "name", json_field(p, "name", num, sizeof(num)));
	print_kv(stdout, "status", json_field(p, "status", num, sizeof(num)));
	print_kv(stdout, "valid from", json_field(p, "valid_from", num, sizeof(num)));
	print_kv(stdout, "valid until", json_field(p, "valid_until", num, sizeof(num)));
	print_kv(stdout, "levels", json_join(p, "levels", levels, sizeof(levels)));
	print_kv(stdout, "created", json_field(p, "created", num, sizeof(num)));
	if (!json_is_null(json_object_get(p, "terminated")))
		print_kv(stdout, "terminated", json_field(p, "terminated", num, sizeof(num)));
	if (json_object_get(p, "revoked"))
		print_kv(stdout, "revoked", json_field(p, "revoked", num, sizeof(num)));
}

int cmd_person_add(struct ctl_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"name", required_argument, NULL, OPT_NAME},
	    {"valid-from", required_argument, NULL, OPT_VALID_FROM},
	    {"valid-until", required_argument, NULL, OPT_VALID_UNTIL},
	    {"level", required_argument, NULL, OPT_LEVEL},
	    {"json", no_argument, NULL, OPT_JSON},
	    CTL_COMMON_OPTIONS,
	    {0},
	};
	const char *name = NULL, *from = NULL, *until = NULL;
	json_t *args, *levels, *result;
	bool json = false;
	int c, r;

	levels = json_array();
	if (!levels)
		return ctl_fail("out of memory");
	while ((c = ctl_getopt(ctx, argc, argv, opts)) != -1) {
		switch (c) {
		case OPT_NAME:
			name = optarg;
			break;
		case OPT_VALID_FROM:
			from = optarg;
			break;
		case OPT_VALID_UNTIL:
			until = optarg;
			break;
		case OPT_LEVEL:
			if (ctl_args_set(levels, "--level", optarg)) {
				json_decref(levels);
				return CTL_EXIT_FAIL;
			}
			break;
		case OPT_JSON:
			json = true;
			break;
		default:
			json_decref(levels);
			return ctl_optfail(ctx, c);
		}
	}
	if (argc - optind != 1 || !name) {
		json_decref(levels);
		return ctl_usage_error(ctx, argc - optind != 1 ? "expected one person ID"
							       : "--name is required");
	}

	args = json_pack("{ss ss}", "id", argv[optind], "name", name);
	if (!args) {
		json_decref(levels);
		return ctl_fail("invalid text in ID or name");
	}
	if ((from && ctl_args_set(args, "valid_from", from)) ||
	    (until && ctl_args_set(args, "valid_until", until)) ||
	    (json_array_size(levels) && json_object_set(args, "levels", levels) < 0)) {
		json_decref(levels);
		json_decref(args);
		return CTL_EXIT_FAIL;
	}
	json_decref(levels);

	r = ctl_call(ctx, "person.add", args, &result);
	if (r)
		return r;
	return ctl_finish(result, json, print_person);
}

/*
 * person.list is paged by id: ask for the page after the last id seen until
 * a page comes back empty. A page that does not move forward ends the walk,
 * so a confused daemon cannot loop us forever.
 */
static int list_all(struct ctl_ctx *ctx, json_t **ret)
{
	json_t *all = json_array();
	char after[AEOGATE_ID_MAX + 1] = "";

	if (!all)
		return ctl_fail("out of memory");
	for (;;) {
		json_t *args, *page;
		const char *last;
		size_t n;
		int r;

		args = json_pack("{sI}", "limit", (json_int_t)CTL_PAGE_ROWS);
		if (after[0])
			json_object_set_new(args, "after", json_string(after));
		r = ctl_call(ctx, "person.list", args, &page);
		if (r) {
			json_decref(all);
			return r;
		}
		if (!json_is_array(page)) {
			json_decref(page);
			json_decref(all);
			return ctl_fail("person.list: malformed reply from aeogated");
		}
		n = json_array_size(page);
		last = n ? json_string_value(json_object_get(json_array_get(page, n - 1), "id"))
			 : NULL;
		json_array_extend(all, page);
		if (n == 0 || !last || strlen(last) > AEOGATE_ID_MAX || strcmp(last, after) <= 0) {
			json_decref(page);
			break;
		}
		snprintf(after, sizeof(after), "%s", last);
		json_decref(page);
	}
	*ret = all;
	return CTL_EXIT_OK;
}

int cmd_person_list(struct ctl_ctx *ctx, int argc, char **argv)
{
	static const char *const headers[] = {"ID",	    "NAME",	   "STATUS",
					      "VALID-FROM", "VALID-UNTIL", "LEVELS"};
	json_t *all = NULL, *p;
	struct table *t;
	bool json = false;
	size_t i;
	int r;

	r = ctl_getopt_json(ctx, argc, argv, &json);
	if (r >= 0)
		return r;
	if (argc != optind)
		return ctl_usage_error(ctx, "unexpected argument '%s'", argv[optind]);

	r = list_all(ctx, &all);
	if (r)
		return r;

	if (json) {
		print_json(stdout, all);
		json_decref(all);
		return CTL_EXIT_OK;
	}
	t = table_new(headers, 6);
	if (!t) {
		json_decref(all);
		return ctl_fail("out of memory");
	}
	json_array_foreach(all, i, p)
	{
		char b[6][32], levels[512];
		const char *row[6] = {
		    json_field(p, "id", b[0], sizeof(b[0])),
		    json_field(p, "name", b[1], sizeof(b[1])),
		    json_field(p, "status", b[2], sizeof(b[2])),
		    json_field(p, "valid_from", b[3], sizeof(b[3])),
		    json_field(p, "valid_until", b[4], sizeof(b[4])),
		    json_join(p, "levels", levels, sizeof(levels)),
		};
		table_add(t, row);
	}
	table_print(t, stdout);
	table_free(t);
	json_decref(all);
	return CTL_EXIT_OK;
}

/* Parses "[--json] ID" for the commands that take one person id. */
static int one_id(struct ctl_ctx *ctx, int argc, char **argv, const char **ret_id, bool *ret_json)
{
	int r = ctl_getopt_json(ctx, argc, argv, ret_json);

	if (r >= 0)
		return r == CTL_EXIT_OK ? -1 : -2;
	if (argc - optind != 1) {
		ctl_usage_error(ctx, "expected one person ID");
		return -2;
	}
	*ret_id = argv[optind];
	return 0;
}

/* one_id's -1 (help printed) and -2 (usage error) as exit codes. */
static int one_id_exit(int r)
{
	return r == -1 ? CTL_EXIT_OK : CTL_EXIT_USAGE;
}

int cmd_person_show(struct ctl_ctx *ctx, int argc, char **argv)
{
	json_t *result, *creds;
	const char *id;
	bool json;
	int r;

	r = one_id(ctx, argc, argv, &id, &json);
	if (r < 0)
		return one_id_exit(r);
	r = ctl_call_str(ctx, "person.show", "id", id, &result);
	if (r)
		return r;
	if (json) {
		print_json(stdout, result);
	} else {
		print_person(result);
		creds = json_object_get(result, "credentials");
		if (json_is_array(creds) && json_array_size(creds)) {
			fputc('\n', stdout);
			print_badges(creds);
		} else {
			print_kv(stdout, "badges", "none");
		}
	}
	json_decref(result);
	return CTL_EXIT_OK;
}

/* suspend, reinstate and terminate: the op is named after the command. */
int cmd_person_change(struct ctl_ctx *ctx, int argc, char **argv)
{
	char op[32];
	json_t *result;
	const char *id;
	bool json;
	int r;

	r = one_id(ctx, argc, argv, &id, &json);
	if (r < 0)
		return one_id_exit(r);
	snprintf(op, sizeof(op), "person.%s", ctx->cmd->name);
	r = ctl_call_str(ctx, op, "id", id, &result);
	if (r)
		return r;
	return ctl_finish(result, json, print_person);
}
