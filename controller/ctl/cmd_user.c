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

/* Past every shared option value in ctl.h. */
enum { OPT_ROLE = 0x200 };

static void print_user(const json_t *u)
{
	char buf[64];

	print_kv(stdout, "name", json_field(u, "name", buf, sizeof(buf)));
	print_kv(stdout, "role", json_field(u, "role", buf, sizeof(buf)));
	print_kv(stdout, "disabled", json_field(u, "disabled", buf, sizeof(buf)));
	print_kv(stdout, "created", json_field(u, "created", buf, sizeof(buf)));
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

int cmd_user_add(struct ctl_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"role", required_argument, NULL, OPT_ROLE},
	    {"json", no_argument, NULL, OPT_JSON},
	    CTL_COMMON_OPTIONS,
	    {0},
	};
	char password[AEOGATE_PASSWORD_MAX_BYTES + 2];
	const char *role = NULL;
	json_t *args, *result;
	bool json = false;
	int c, r;

	while ((c = ctl_getopt(ctx, argc, argv, opts)) != -1) {
		switch (c) {
		case OPT_ROLE:
			role = optarg;
			break;
		case OPT_JSON:
			json = true;
			break;
		default:
			return ctl_optfail(ctx, c);
		}
	}
	if (argc - optind != 1 || !role)
		return ctl_usage_error(ctx, argc - optind != 1 ? "expected one user NAME"
							       : "--role is required");
	if (ctl_connect(ctx))
		return CTL_EXIT_FAIL;
	if (read_password(password, sizeof(password)))
		return CTL_EXIT_FAIL;
	args = json_object();
	if (!args)
		return ctl_fail("out of memory");
	if (ctl_args_set(args, "name", argv[optind]) || ctl_args_set(args, "role", role) ||
	    ctl_args_set(args, "password", password)) {
		explicit_bzero(password, sizeof(password));
		json_decref(args);
		return CTL_EXIT_FAIL;
	}
	explicit_bzero(password, sizeof(password));
	r = ctl_call(ctx, "user.add", args, &result);
	if (r)
		return r;
	return ctl_finish(result, json, print_user);
}

int cmd_user_list(struct ctl_ctx *ctx, int argc, char **argv)
{
	static const char *const headers[] = {"NAME", "ROLE", "DISABLED", "CREATED"};
	json_t *result, *u;
	struct table *t;
	bool json = false;
	size_t i;
	int r;

	r = ctl_getopt_json(ctx, argc, argv, &json);
	if (r >= 0)
		return r;
	if (argc != optind)
		return ctl_usage_error(ctx, "unexpected argument '%s'", argv[optind]);
	r = ctl_call(ctx, "user.list", NULL, &result);
	if (r)
		return r;
	if (json) {
		print_json(stdout, result);
		json_decref(result);
		return CTL_EXIT_OK;
	}
	t = table_new(headers, 4);
	if (!t) {
		json_decref(result);
		return ctl_fail("out of memory");
	}
	json_array_foreach(result, i, u)
	{
		char name[80], role[32], dis[16], created[40];
		const char *cells[] = {
		    json_field(u, "name", name, sizeof(name)),
		    json_field(u, "role", role, sizeof(role)),
		    json_field(u, "disabled", dis, sizeof(dis)),
		    json_field(u, "created", created, sizeof(created)),
		};

		table_add(t, cells);
	}
	table_print(t, stdout);
	table_free(t);
	json_decref(result);
	return CTL_EXIT_OK;
}

/* user disable|enable NAME: the op is the command's word. */
int cmd_user_change(struct ctl_ctx *ctx, int argc, char **argv)
{
	json_t *result;
	bool json = false;
	char op[32];
	int r;

	r = ctl_getopt_json(ctx, argc, argv, &json);
	if (r >= 0)
		return r;
	if (argc - optind != 1)
		return ctl_usage_error(ctx, "expected one user NAME");
	snprintf(op, sizeof(op), "user.%s", ctx->cmd->name);
	r = ctl_call_str(ctx, op, "name", argv[optind], &result);
	if (r)
		return r;
	return ctl_finish(result, json, print_user);
}

int cmd_user_passwd(struct ctl_ctx *ctx, int argc, char **argv)
{
	char password[AEOGATE_PASSWORD_MAX_BYTES + 2];
	json_t *args, *result;
	bool json = false;
	int r;

	r = ctl_getopt_json(ctx, argc, argv, &json);
	if (r >= 0)
		return r;
	if (argc - optind != 1)
		return ctl_usage_error(ctx, "expected one user NAME");
	if (ctl_connect(ctx))
		return CTL_EXIT_FAIL;
	if (read_password(password, sizeof(password)))
		return CTL_EXIT_FAIL;
	args = json_object();
	if (!args)
		return ctl_fail("out of memory");
	if (ctl_args_set(args, "name", argv[optind]) || ctl_args_set(args, "password", password)) {
		explicit_bzero(password, sizeof(password));
		json_decref(args);
		return CTL_EXIT_FAIL;
	}
	explicit_bzero(password, sizeof(password));
	r = ctl_call(ctx, "user.passwd", args, &result);
	if (r)
		return r;
	return ctl_finish(result, json, print_user);
}
