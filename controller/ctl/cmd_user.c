// SPDX-License-Identifier: MIT
/* aeogatectl user add|list|disable|enable|passwd: dashboard users. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aeogate/limits.h"
#include "ctl.h"
#include "print.h"

static const struct column user_rows[] = {
    {"name", "name"},
    {"role", "role"},
    {"disabled", "disabled"},
    {"created", "created"},
    /* Only in the reply to --generate: shown this once, kept nowhere. */
    {"password", "password", COLUMN_IF_PRESENT},
};

static const struct column user_cols[] = {
    {"NAME", "name"},
    {"ROLE", "role"},
    {"DISABLED", "disabled"},
    {"CREATED", "created"},
};

static void print_user(const json_t *u)
{
	print_record(u, user_rows, ELEMENTSOF(user_rows));
	if (json_object_get(u, "password"))
		fprintf(stderr, "The password is shown this once: copy it now.\n");
}

static void print_users(const json_t *arr)
{
	print_records(arr, user_cols, ELEMENTSOF(user_cols));
}

/*
 * Sends op with {name: NAME, role: role (when given), password: read now}
 * or, with generate, {..., generate: true}: the controller makes the
 * password up and the reply carries it once (print_user shows it). User
 * add and user passwd. The connection is made first, so a password is
 * never asked for when the controller is not there.
 */
static int send_password(struct ctl_ctx *ctx, const char *op, const char *name, const char *role,
			 bool generate, bool json)
{
	char password[AEOGATE_PASSWORD_MAX_BYTES + 2] = "";
	json_t *args;
	int r;

	if (ctl_connect(ctx))
		return CTL_EXIT_FAIL;
	if (!generate && ctl_read_secret("password", password, sizeof(password)))
		return CTL_EXIT_FAIL;
	args = json_object();
	if (!args)
		return ctl_fail("out of memory");
	r = ctl_args_set(args, "name", name) || (role && ctl_args_set(args, "role", role));
	if (!r && !generate)
		r = ctl_args_set(args, "password", password);
	if (!r && generate && json_object_set_new(args, "generate", json_true()) < 0)
		r = ctl_fail("out of memory");
	explicit_bzero(password, sizeof(password));
	if (r) {
		json_decref(args);
		return CTL_EXIT_FAIL;
	}
	return ctl_call_finish(ctx, op, args, json, print_user);
}

int cmd_user_add(struct ctl_ctx *ctx, int argc, char **argv)
{
	static const struct ctl_opt opts[] = {
	    {"role", CTL_OPT_VALUE}, {"generate", CTL_OPT_FLAG}, CTL_JSON, {0}};
	struct ctl_parsed o = {0};
	int r;

	r = ctl_parse(ctx, argc, argv, opts, CTL_OPERANDS_ANY, NULL, &o);
	if (r >= 0)
		return r;
	if (o.n != 1 || !o.value[0])
		return ctl_usage_error(ctx,
				       o.n != 1 ? "expected one user NAME" : "--role is required");
	return send_password(ctx, "user.add", o.operands[0], o.value[0], o.set[1], o.json);
}

int cmd_user_list(struct ctl_ctx *ctx, int argc, char **argv)
{
	static const struct ctl_query q = {.print = print_users};

	return ctl_query_run(ctx, argc, argv, &q);
}

/* user disable|enable NAME: the op is the command's word. */
int cmd_user_change(struct ctl_ctx *ctx, int argc, char **argv)
{
	static const struct ctl_query q = {
	    .operand = "expected one user NAME", .key = "name", .print = print_user};

	return ctl_query_run(ctx, argc, argv, &q);
}

int cmd_user_passwd(struct ctl_ctx *ctx, int argc, char **argv)
{
	static const struct ctl_opt opts[] = {{"generate", CTL_OPT_FLAG}, CTL_JSON, {0}};
	struct ctl_parsed o = {0};
	int r;

	r = ctl_parse(ctx, argc, argv, opts, 1, "expected one user NAME", &o);
	if (r >= 0)
		return r;
	return send_password(ctx, "user.passwd", o.operands[0], NULL, o.set[0], o.json);
}
