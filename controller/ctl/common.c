// SPDX-License-Identifier: MIT
/* Helpers shared by every aeogatectl command: options, usage, one round trip. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "print.h"

void ctl_print_usage(const struct ctl_cmd *cmd, FILE *f)
{
	fprintf(f, "usage: aeogatectl %s%s%s %s\n", cmd->group, cmd->name ? " " : "",
		cmd->name ? cmd->name : "", cmd->args);
}

int ctl_usage_error(struct ctl_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	fputs("aeogatectl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	ctl_print_usage(ctx->cmd, stderr);
	return CTL_EXIT_USAGE;
}

int ctl_fail(const char *fmt, ...)
{
	va_list ap;

	fputs("aeogatectl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return CTL_EXIT_FAIL;
}

int ctl_getopt(struct ctl_ctx *ctx, int argc, char **argv, const struct option *opts)
{
	return ctl_getopt_short(ctx, argc, argv, ":h", opts);
}

int ctl_getopt_json(struct ctl_ctx *ctx, int argc, char **argv, bool *ret_json)
{
	static const struct option opts[] = {
	    {"json", no_argument, NULL, OPT_JSON},
	    CTL_COMMON_OPTIONS,
	    {0},
	};
	int c;

	*ret_json = false;
	while ((c = ctl_getopt(ctx, argc, argv, opts)) != -1) {
		if (c != OPT_JSON)
			return ctl_optfail(ctx, c);
		*ret_json = true;
	}
	return -1;
}

int ctl_getopt_short(struct ctl_ctx *ctx, int argc, char **argv, const char *shortopts,
		     const struct option *opts)
{
	for (;;) {
		int c = getopt_long(argc, argv, shortopts, opts, NULL);

		switch (c) {
		case OPT_SOCKET:
			ctx->socket = optarg;
			continue;
		case ':':
			ctl_usage_error(ctx, "option '%s' needs a value", argv[optind - 1]);
			return '?';
		case '?':
			if (optopt)
				ctl_usage_error(ctx, "unknown option '-%c'", optopt);
			else
				ctl_usage_error(ctx, "unknown option '%s'", argv[optind - 1]);
			return '?';
		default:
			return c;
		}
	}
}

int ctl_optfail(struct ctl_ctx *ctx, int c)
{
	if (c == 'h') {
		ctl_print_usage(ctx->cmd, stdout);
		return CTL_EXIT_OK;
	}
	/* ctl_getopt has already said what was wrong. */
	return CTL_EXIT_USAGE;
}

int ctl_parse_u64(const char *s, unsigned long long max, long long *ret)
{
	unsigned long long v;
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return -EINVAL;
	*ret = (long long)v;
	return 0;
}

int ctl_connect(struct ctl_ctx *ctx)
{
	int r;

	if (ctx->client)
		return 0;
	r = ctl_client_connect(ctx->socket, &ctx->client);
	if (r == -ENOENT || r == -ECONNREFUSED)
		return ctl_fail("cannot connect to %s: %s — is aeogated running?", ctx->socket,
				strerror(-r));
	if (r == -EACCES)
		return ctl_fail("cannot connect to %s: %s — run as root or as a member of "
				"the aeogate-admin group",
				ctx->socket, strerror(-r));
	if (r < 0)
		return ctl_fail("cannot connect to %s: %s", ctx->socket,
				r == -ETIMEDOUT ? "aeogated is not accepting connections"
						: strerror(-r));
	return 0;
}

int ctl_call(struct ctl_ctx *ctx, const char *op, json_t *args, json_t **ret_result)
{
	struct ctl_error err = {0};
	int r;

	if (ctl_connect(ctx)) {
		json_decref(args);
		return CTL_EXIT_FAIL;
	}
	r = ctl_client_call(ctx->client, op, args, ret_result, &err);
	json_decref(args);
	if (r == -EINTR)
		return CTL_EXIT_INTERRUPTED;
	if (r < 0)
		return ctl_fail("%s: %s", op, ctl_client_strerror(r));
	if (r > 0) {
		if (err.message[0])
			return ctl_fail("%s: %s", err.code, err.message);
		return ctl_fail("%s", err.code);
	}
	return CTL_EXIT_OK;
}

int ctl_call_str(struct ctl_ctx *ctx, const char *op, const char *key, const char *value,
		 json_t **ret_result)
{
	json_t *args = json_pack("{ss}", key, value);

	if (!args)
		return ctl_fail("%s: '%s' is not valid UTF-8", op, value);
	return ctl_call(ctx, op, args, ret_result);
}

int ctl_args_set(json_t *args, const char *key, const char *value)
{
	json_t *v = json_string(value);
	int r;

	if (!v)
		return ctl_fail("%s: '%s' is not valid UTF-8", key, value);
	if (json_is_array(args))
		r = json_array_append_new(args, v);
	else
		r = json_object_set_new(args, key, v);
	if (r < 0)
		return ctl_fail("out of memory");
	return 0;
}

int ctl_finish(json_t *result, bool json, void (*print)(const json_t *result))
{
	if (json)
		print_json(stdout, result);
	else
		print(result);
	json_decref(result);
	return CTL_EXIT_OK;
}
