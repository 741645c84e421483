// SPDX-License-Identifier: MIT
/* aeogatectl alarm list|ack|close|history, and the badge lifecycle: suspend, lost, return,
 * reinstate. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit_cmds.h"
#include "ctl.h"
#include "print.h"

static const struct column alarm_cols[] = {
    {"ID", "id"},
    {"KIND", "kind"},
    {"DOOR", "door"},
    {"PERSON", "person"},
    {"STATE", "state"},
    {"RAISED", "raised"},
    {"ACKNOWLEDGED", "acknowledged"},
    {"BY", "acknowledged_by"},
    {"CLOSED", "closed"},
};

static void print_alarms(const json_t *arr)
{
	print_records(arr, alarm_cols, ELEMENTSOF(alarm_cols));
}

/* One alarm, as a table of one. */
static void print_alarm(const json_t *res)
{
	json_t *one = json_pack("[O]", res);

	print_alarms(one);
	json_decref(one);
}

int cmd_alarm_list(struct ctl_ctx *ctx, int argc, char **argv)
{
	static const struct ctl_opt opts[] = {{"open", CTL_OPT_FLAG}, CTL_JSON, {0}};
	struct ctl_parsed o = {0};
	json_t *all;
	long long after = 0;
	int r;

	r = ctl_parse(ctx, argc, argv, opts, 0, NULL, &o);
	if (r >= 0)
		return r;
	all = json_array();
	for (;;) {
		json_t *page, *a;
		size_t i, n;

		r = ctl_call(ctx, "alarm.list",
			     json_pack("{s:b,s:I,s:I}", "open", o.set[0], "after",
				       (json_int_t)after, "limit", (json_int_t)CTL_PAGE_ROWS),
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
	return ctl_finish(all, o.json, print_alarms);
}

/* alarm ack ID --comment TEXT, alarm close ID [--outcome TEXT] [--comment TEXT] */
int cmd_alarm_change(struct ctl_ctx *ctx, int argc, char **argv)
{
	static const struct ctl_opt opts[] = {
	    {"comment", CTL_OPT_VALUE}, {"outcome", CTL_OPT_VALUE}, CTL_JSON, {0}};
	bool ack = !strcmp(ctx->cmd->name, "ack");
	struct ctl_parsed o = {0};
	const char *comment, *outcome;
	long long id;
	json_t *args;
	int r;

	r = ctl_parse(ctx, argc, argv, opts, CTL_OPERANDS_ANY, NULL, &o);
	if (r >= 0)
		return r;
	comment = o.value[0];
	outcome = o.value[1];
	if (o.n != 1 || ctl_parse_u64(o.operands[0], INT64_MAX, &id) < 0 || id == 0)
		return ctl_usage_error(ctx, "expected one alarm ID (a number)");
	if (ack && !comment)
		return ctl_usage_error(ctx, "--comment is required: say what was found");
	if (ack && outcome)
		return ctl_usage_error(ctx, "--outcome belongs to alarm close");
	if (outcome && !outcome[0])
		return ctl_usage_error(ctx, "--outcome must not be empty");
	args = json_pack("{s:I}", "id", (json_int_t)id);
	if ((comment && ctl_args_set(args, "comment", comment)) ||
	    (outcome && ctl_args_set(args, "outcome", outcome))) {
		json_decref(args);
		return CTL_EXIT_USAGE;
	}
	return ctl_call_finish(ctx, ack ? "alarm.ack" : "alarm.close", args, o.json, print_alarm);
}

/* One line per event of an alarm's history: "TIME  KIND  BY  WHAT". */
static void print_alarm_history(const json_t *res)
{
	const json_t *hist = json_object_get(res, "history"), *e;
	size_t i;

	print_alarm(json_object_get(res, "alarm"));
	printf("\n");
	json_array_foreach(hist, i, e)
	{
		const json_t *d = json_object_get(e, "detail");
		const char *by = json_string_value(json_object_get(d, "operator"));
		const char *comment = json_string_value(json_object_get(d, "comment"));
		const char *outcome = json_string_value(json_object_get(d, "outcome"));

		printf("%-24s  %-20s  %-16s", json_string_value(json_object_get(e, "ts")),
		       json_string_value(json_object_get(e, "kind")), by ? by : "-");
		if (comment)
			printf("  comment: %s", comment);
		if (outcome)
			printf("  outcome: %s", outcome);
		printf("\n");
	}
}

/* alarm history ID */
int cmd_alarm_history(struct ctl_ctx *ctx, int argc, char **argv)
{
	static const struct ctl_opt opts[] = {CTL_JSON, {0}};
	struct ctl_parsed o = {0};
	long long id;
	int r;

	r = ctl_parse(ctx, argc, argv, opts, CTL_OPERANDS_ANY, NULL, &o);
	if (r >= 0)
		return r;
	if (o.n != 1 || ctl_parse_u64(o.operands[0], INT64_MAX, &id) < 0 || id == 0)
		return ctl_usage_error(ctx, "expected one alarm ID (a number)");
	return ctl_call_finish(ctx, "alarm.history", json_pack("{s:I}", "id", (json_int_t)id),
			       o.json, print_alarm_history);
}

/* One lifecycle change: "CREDENTIAL  PERSON  STATUS". */
static void print_lifecycle(const json_t *res)
{
	char b[128];

	printf("%s", json_field(res, "id", b, sizeof(b)));
	printf("  %s", json_field(res, "person", b, sizeof(b)));
	printf("  %s\n", json_field(res, "status", b, sizeof(b)));
}

/* badge suspend|lost|return|reinstate CREDENTIAL */
int cmd_badge_lifecycle(struct ctl_ctx *ctx, int argc, char **argv)
{
	static const struct ctl_opt opts[] = {{"stolen", CTL_OPT_FLAG}, CTL_JSON, {0}};
	const char *name = ctx->cmd->name;
	bool lost = !strcmp(name, "lost");
	/* --stolen is known to every lifecycle command but taken only by lost. */
	struct ctl_parsed o = {.refuse = lost ? 0 : 1u << 0};
	json_t *args;
	char op[32];
	int r;

	r = ctl_parse(ctx, argc, argv, opts, 1, "expected one CREDENTIAL", &o);
	if (r >= 0)
		return r;
	snprintf(op, sizeof(op), "badge.%s", name);
	args = json_object();
	if (ctl_args_set(args, "credential", o.operands[0])) {
		json_decref(args);
		return CTL_EXIT_USAGE;
	}
	if (lost)
		json_object_set_new(args, "reason", json_string(o.set[0] ? "stolen" : "lost"));
	return ctl_call_finish(ctx, op, args, o.json, print_lifecycle);
}
