// SPDX-License-Identifier: MIT
/* aeogatectl user add|list|disable|enable|passwd: dashboard users. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "aeogate/limits.h"
#include "ctl.h"
#include "print.h"

static const struct column user_rows[] = {
    {"name", "name"},
    {"role", "role"},
    {"disabled", "disabled"},
    {"created", "created"},
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
}

static void print_users(const json_t *arr)
{
	print_records(arr, user_cols, ELEMENTSOF(user_cols));
}

/*
 * Reads the new password: prompted twice with echo off on a terminal, or
 * the first line of stdin otherwise (scripts and the demo pipe it in).
 * Returns 0, or 1 after printing why not.
 */
static int read_password(char *buf, size_t len)
{
	bool tty = isatty(STDIN_FILENO);
	struct termios old, noecho;
	char again[AEOGATE_PASSWORD_MAX_BYTES + 2];
	size_t n;

	if (tty) {
		if (tcgetattr(STDIN_FILENO, &old) < 0)
			return ctl_fail("cannot read the terminal: %s", strerror(errno));
		noecho = old;
		noecho.c_lflag &= ~(tcflag_t)ECHO;
		fprintf(stderr, "New password: ");
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &noecho);
	}
	if (!fgets(buf, (int)len, stdin)) {
		if (tty)
			tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		return ctl_fail("no password given on stdin");
	}
	if (tty) {
		fprintf(stderr, "\nRepeat password: ");
		if (!fgets(again, sizeof(again), stdin))
			again[0] = '\0';
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fprintf(stderr, "\n");
	}
	n = strlen(buf);
	if (n && buf[n - 1] != '\n' && !feof(stdin))
		return ctl_fail("password longer than %d bytes", AEOGATE_PASSWORD_MAX_BYTES);
	buf[strcspn(buf, "\r\n")] = '\0';
	if (tty) {
		again[strcspn(again, "\r\n")] = '\0';
		if (strcmp(buf, again) != 0)
			return ctl_fail("the passwords do not match");
	}
	return 0;
}

/*
 * Sends op with {name: NAME, role: role (when given), password: read now}:
 * user add and user passwd. The connection is made first, so a password
 * is never asked for when the controller is not there.
 */
static int send_password(struct ctl_ctx *ctx, const char *op, const char *name, const char *role,
			 bool json)
{
	char password[AEOGATE_PASSWORD_MAX_BYTES + 2];
	json_t *args;

	if (ctl_connect(ctx))
		return CTL_EXIT_FAIL;
	if (read_password(password, sizeof(password)))
		return CTL_EXIT_FAIL;
	args = json_object();
	if (!args)
		return ctl_fail("out of memory");
	if (ctl_args_set(args, "name", name) || (role && ctl_args_set(args, "role", role)) ||
	    ctl_args_set(args, "password", password)) {
		explicit_bzero(password, sizeof(password));
		json_decref(args);
		return CTL_EXIT_FAIL;
	}
	explicit_bzero(password, sizeof(password));
	return ctl_call_finish(ctx, op, args, json, print_user);
}

int cmd_user_add(struct ctl_ctx *ctx, int argc, char **argv)
{
	static const struct ctl_opt opts[] = {{"role", CTL_OPT_VALUE}, CTL_JSON, {0}};
	struct ctl_parsed o = {0};
	int r;

	r = ctl_parse(ctx, argc, argv, opts, CTL_OPERANDS_ANY, NULL, &o);
	if (r >= 0)
		return r;
	if (o.n != 1 || !o.value[0])
		return ctl_usage_error(ctx,
				       o.n != 1 ? "expected one user NAME" : "--role is required");
	return send_password(ctx, "user.add", o.operands[0], o.value[0], o.json);
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
	static const struct ctl_opt opts[] = {CTL_JSON, {0}};
	struct ctl_parsed o = {0};
	int r;

	r = ctl_parse(ctx, argc, argv, opts, 1, "expected one user NAME", &o);
	if (r >= 0)
		return r;
	return send_password(ctx, "user.passwd", o.operands[0], NULL, o.json);
}
