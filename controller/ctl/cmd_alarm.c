// SPDX-License-Identifier: MIT
/* aeogatectl alarm list|ack|close, and the badge lifecycle: suspend, lost, return, reinstate. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit_cmds.h"
#include "ctl.h"
#include "print.h"

static void print_alarms(const json_t *arr)
{
	static const char *const heads[] = {"ID",     "KIND",	      "DOOR", "STATE",
					    "RAISED", "ACKNOWLEDGED", "BY",   "CLOSED"};
	static const char *const keys[] = {
	    "id", "kind", "door", "state", "raised", "acknowledged", "acknowledged_by", "closed"};
	struct table *t = table_new(heads, 8);
	const json_t *a;
	size_t i;

	if (!t)
		return;
	json_array_foreach(arr, i, a)
	{
		char b[8][128];
		const char *cells[8];

		for (size_t k = 0; k < 8; k++)
			cells[k] = json_field(a, keys[k], b[k], sizeof(b[k]));
		table_add(t, cells);
	}
	table_print(t, stdout);
	table_free(t);
}

int cmd_alarm_list(struct ctl_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"open", no_argument, NULL, OPT_AUDIT_OPEN},
	    {"json", no_argument, NULL, OPT_JSON},
	    CTL_COMMON_OPTIONS,
	    {0},
	};
	json_t *all = json_array();
	bool json = false, open = false;
	long long after = 0;
	int c, r;

	while ((c = ctl_getopt(ctx, argc, argv, opts)) != -1) {
		if (c == OPT_JSON)
			json = true;
		else if (c == OPT_AUDIT_OPEN)
			open = true;
		else {
			json_decref(all);
			return ctl_optfail(ctx, c);
		}
	}
	if (argc != optind) {
		json_decref(all);
		return ctl_usage_error(ctx, "unexpected argument '%s'", argv[optind]);
	}
	for (;;) {
		json_t *page, *a;
		size_t i, n;

		r = ctl_call(ctx, "alarm.list",
			     json_pack("{s:b,s:I,s:I}", "open", open, "after", (json_int_t)after,
				       "limit", (json_int_t)CTL_PAGE_ROWS),
			     &page);
		if (r) {
			json_decref(all);
			return r;
		}
		n = 0;
		json_array_foreach(page, i, a)
		{
			/* An alarm raised while storage fails has no id yet: it pages nothing. */
			if (json_is_integer(json_object_get(a, "id"))) {
				after = json_integer_value(json_object_get(a, "id"));
				n++;
			}
			json_array_append(all, a);
		}
		json_decref(page);
		if (n == 0)
			break;
	}
	if (json)
		print_json(stdout, all);
	else
		print_alarms(all);
	json_decref(all);
	return CTL_EXIT_OK;
}

/* alarm ack ID --comment TEXT, alarm close ID [--comment TEXT] */
int cmd_alarm_change(struct ctl_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"comment", required_argument, NULL, OPT_AUDIT_COMMENT},
	    {"json", no_argument, NULL, OPT_JSON},
	    CTL_COMMON_OPTIONS,
	    {0},
	};
	bool ack = !strcmp(ctx->cmd->name, "ack"), json = false;
	const char *comment = NULL;
	long long id;
	json_t *args, *res;
	int c, r;

	while ((c = ctl_getopt(ctx, argc, argv, opts)) != -1) {
		if (c == OPT_JSON)
			json = true;
		else if (c == OPT_AUDIT_COMMENT)
			comment = optarg;
		else
			return ctl_optfail(ctx, c);
	}
	if (argc - optind != 1 || ctl_parse_u64(argv[optind], INT64_MAX, &id) < 0 || id == 0)
		return ctl_usage_error(ctx, "expected one alarm ID (a number)");
	if (ack && !comment)
		return ctl_usage_error(ctx, "--comment is required: say what was found");
	args = json_pack("{s:I}", "id", (json_int_t)id);
	if (comment && ctl_args_set(args, "comment", comment)) {
		json_decref(args);
		return CTL_EXIT_USAGE;
	}
	r = ctl_call(ctx, ack ? "alarm.ack" : "alarm.close", args, &res);
	if (r)
		return r;
	if (json) {
		print_json(stdout, res);
	} else {
		json_t *one = json_pack("[O]", res);

		print_alarms(one);
		json_decref(one);
	}
	json_decref(res);
	return CTL_EXIT_OK;
}

/* badge suspend|lost|return|reinstate CREDENTIAL */
int cmd_badge_lifecycle(struct ctl_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"stolen", no_argument, NULL, OPT_AUDIT_STOLEN},
	    {"json", no_argument, NULL, OPT_JSON},
	    CTL_COMMON_OPTIONS,
	    {0},
	};
	const char *name = ctx->cmd->name;
	bool json = false, stolen = false;
	char op[32], b[128];
	json_t *args, *res;
	int c, r;

	while ((c = ctl_getopt(ctx, argc, argv, opts)) != -1) {
		if (c == OPT_JSON)
			json = true;
		else if (c == OPT_AUDIT_STOLEN && !strcmp(name, "lost"))
			stolen = true;
		else
			return ctl_optfail(ctx, c == OPT_AUDIT_STOLEN ? '?' : c);
	}
	if (argc - optind != 1)
		return ctl_usage_error(ctx, "expected one CREDENTIAL");
	snprintf(op, sizeof(op), "badge.%s", name);
	args = json_object();
	if (ctl_args_set(args, "credential", argv[optind])) {
		json_decref(args);
		return CTL_EXIT_USAGE;
	}
	if (!strcmp(name, "lost"))
		json_object_set_new(args, "reason", json_string(stolen ? "stolen" : "lost"));
	r = ctl_call(ctx, op, args, &res);
	if (r)
		return r;
	if (json) {
		print_json(stdout, res);
	} else {
		printf("%s", json_field(res, "id", b, sizeof(b)));
		printf("  %s", json_field(res, "person", b, sizeof(b)));
		printf("  %s\n", json_field(res, "status", b, sizeof(b)));
	}
	json_decref(res);
	return CTL_EXIT_OK;
}
