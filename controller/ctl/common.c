// SPDX-License-Identifier: MIT
/* Helpers shared by every aeogatectl command: options, usage, one round trip. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "ctl.h"
#include "print.h"

void ctl_print_usage(const struct ctl_cmd *cmd, FILE *f)
{
	fprintf(f, "usage: %s %s%s%s %s\n", program_invocation_short_name, cmd->group,
		cmd->name ? " " : "", cmd->name ? cmd->name : "", cmd->args);
}

/* "aeogatectl: " and the message, on stderr. */
static void say(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));
static void say(const char *fmt, va_list ap)
{
	/* aeogatectl, or aeogate-hub running the same commands. */
	fprintf(stderr, "%s: ", program_invocation_short_name);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

int ctl_usage_error(struct ctl_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say(fmt, ap);
	va_end(ap);
	ctl_print_usage(ctx->cmd, stderr);
	return CTL_EXIT_USAGE;
}

int ctl_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say(fmt, ap);
	va_end(ap);
	return CTL_EXIT_FAIL;
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

/* getopt_long's value for the i-th option of a command's table. */
#define OPT_VAL(i) (0x1000 + (int)(i))

void ctl_parsed_free(struct ctl_parsed *o)
{
	for (size_t i = 0; i < CTL_OPTS_MAX; i++) {
		json_decref(o->list[i]);
		o->list[i] = NULL;
	}
	json_decref(o->args);
	o->args = NULL;
}

/* The array a LIST option appends to, made on first use; NULL on ENOMEM. */
static json_t *list_of(struct ctl_parsed *o, const struct ctl_opt *opt, size_t i)
{
	json_t *arr;

	if (!opt->key) {
		if (!o->list[i])
			o->list[i] = json_array();
		return o->list[i];
	}
	if (!o->args && !(o->args = json_object()))
		return NULL;
	arr = json_object_get(o->args, opt->key);
	if (!arr && json_object_set_new(o->args, opt->key, arr = json_array()) < 0)
		return NULL;
	return arr;
}

/* Takes the value of the i-th option: -1 to go on, else the exit code. */
static int take(struct ctl_ctx *ctx, const struct ctl_opt *opt, size_t i, const char *v,
		struct ctl_parsed *o)
{
	json_t *arr;

	if (o->refuse & (1u << i))
		return CTL_EXIT_USAGE;
	o->set[i] = true;
	switch (opt->kind) {
	case CTL_OPT_JSON:
		o->json = true;
		return -1;
	case CTL_OPT_FLAG:
		return -1;
	case CTL_OPT_VALUE:
		o->value[i] = v;
		return -1;
	case CTL_OPT_NUMBER:
		if (ctl_parse_u64(v, (unsigned long long)opt->max, &o->num[i]) < 0 ||
		    o->num[i] < opt->min)
			return opt->bad(ctx, v);
		return -1;
	case CTL_OPT_ARG:
		if (!o->args && !(o->args = json_object()))
			return ctl_fail("out of memory");
		if (opt->none_null && !strcmp(v, "none"))
			return json_object_set_new(o->args, opt->key, json_null()) < 0
				   ? CTL_EXIT_USAGE
				   : -1;
		return ctl_args_set(o->args, opt->key, v) ? CTL_EXIT_USAGE : -1;
	case CTL_OPT_LIST:
		arr = list_of(o, opt, i);
		if (!arr)
			return ctl_fail("out of memory");
		return ctl_args_set(arr, opt->label, v) ? opt->fail : -1;
	}
	return CTL_EXIT_USAGE;
}

/*
 * Checks the operands: n == 0 takes none ("unexpected argument 'X'"),
 * otherwise exactly n, else the usage error what. -1 to go on, else 2.
 */
static int operands(struct ctl_ctx *ctx, const struct ctl_parsed *o, int n, const char *what)
{
	if (n == 0 && o->n > 0)
		return ctl_usage_error(ctx, "unexpected argument '%s'", o->operands[0]);
	if (n > 0 && o->n != n)
		return ctl_usage_error(ctx, "%s", what);
	return -1;
}

int ctl_parse(struct ctl_ctx *ctx, int argc, char **argv, const struct ctl_opt *opts,
	      int n_operands, const char *what, struct ctl_parsed *o)
{
	struct option lo[CTL_OPTS_MAX + 3];
	char shortopts[3 + 2 * CTL_OPTS_MAX] = ":h";
	size_t n, sl = 2;
	int c, r = -1;

	for (n = 0; opts[n].name; n++) {
		bool value = opts[n].kind != CTL_OPT_JSON && opts[n].kind != CTL_OPT_FLAG;

		lo[n] = (struct option){opts[n].name, value ? required_argument : no_argument, NULL,
					OPT_VAL(n)};
		if (opts[n].short_name) {
			shortopts[sl++] = opts[n].short_name;
			shortopts[sl++] = ':';
		}
	}
	shortopts[sl] = '\0';
	lo[n] = (struct option){"socket", required_argument, NULL, OPT_SOCKET};
	lo[n + 1] = (struct option){"help", no_argument, NULL, 'h'};
	lo[n + 2] = (struct option){0};

	while (r < 0 && (c = ctl_getopt_short(ctx, argc, argv, shortopts, lo)) != -1) {
		size_t i = (size_t)(c - OPT_VAL(0));

		if (c == 'h') {
			ctl_print_usage(ctx->cmd, stdout);
			r = CTL_EXIT_OK;
			break;
		}
		if (c == '?') {
			/* ctl_getopt_short has already said what was wrong. */
			r = CTL_EXIT_USAGE;
			break;
		}
		if (c < OPT_VAL(0))
			for (i = 0; i < n && opts[i].short_name != c; i++)
				;
		r = take(ctx, &opts[i], i, optarg, o);
	}
	if (r < 0) {
		o->operands = argv + optind;
		o->n = argc - optind;
		if (n_operands != CTL_OPERANDS_ANY)
			r = operands(ctx, o, n_operands, what);
	}
	if (r >= 0) {
		ctl_parsed_free(o);
		return r;
	}
	return -1;
}

int ctl_list_pages(struct ctl_ctx *ctx, const char *op, json_t **ret)
{
	json_t *all = json_array();
	char after[(AEOGATE_ID_MAX > AEOGATE_CREDENTIAL_MAX ? AEOGATE_ID_MAX
							    : AEOGATE_CREDENTIAL_MAX) +
		   1] = "";

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
		r = ctl_call(ctx, op, args, &page);
		if (r) {
			json_decref(all);
			return r;
		}
		if (!json_is_array(page)) {
			json_decref(page);
			json_decref(all);
			return ctl_fail("%s: malformed reply from aeogated", op);
		}
		n = json_array_size(page);
		last = n ? json_string_value(json_object_get(json_array_get(page, n - 1), "id"))
			 : NULL;
		json_array_extend(all, page);
		if (n == 0 || !last || strlen(last) >= sizeof(after) || strcmp(last, after) <= 0) {
			json_decref(page);
			break;
		}
		snprintf(after, sizeof(after), "%s", last);
		json_decref(page);
	}
	*ret = all;
	return CTL_EXIT_OK;
}

int ctl_query_run(struct ctl_ctx *ctx, int argc, char **argv, const struct ctl_query *q)
{
	static const struct ctl_opt opts[] = {CTL_JSON, {0}};
	struct ctl_parsed o = {0};
	json_t *result;
	char op[32];
	int r;

	r = ctl_parse(ctx, argc, argv, opts,
		      q->optional  ? CTL_OPERANDS_ANY
		      : q->operand ? 1
				   : 0,
		      q->operand, &o);
	if (r >= 0)
		return r;
	if (q->optional && o.n > 1)
		return ctl_usage_error(ctx, "unexpected argument '%s'", o.operands[1]);
	if (q->op)
		snprintf(op, sizeof(op), "%s", q->op);
	else
		snprintf(op, sizeof(op), "%s.%s", ctx->cmd->group, ctx->cmd->name);
	if (q->key && o.n == 1)
		r = ctl_call_str(ctx, op, q->key, o.operands[0], &result);
	else if (q->paged)
		r = ctl_list_pages(ctx, op, &result);
	else
		r = ctl_call(ctx, op, NULL, &result);
	if (r)
		return r;
	if (q->array && !json_is_array(result)) {
		json_decref(result);
		return ctl_fail("%s: malformed reply from aeogated", op);
	}
	return ctl_finish(result, o.json, q->print);
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
	return ctl_call_wait(ctx, op, args, CTL_CLIENT_TIMEOUT_MS, NULL, NULL, ret_result);
}

int ctl_call_wait(struct ctl_ctx *ctx, const char *op, json_t *args, int timeout_ms,
		  void (*tick)(void *userdata), void *userdata, json_t **ret_result)
{
	struct ctl_error err = {0};
	int r;

	if (ctx->call)
		return ctx->call(ctx, op, args, ret_result);
	if (ctl_connect(ctx)) {
		json_decref(args);
		return CTL_EXIT_FAIL;
	}
	r = ctl_client_call_wait(ctx->client, op, args, timeout_ms, tick, userdata, ret_result,
				 &err);
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

int ctl_call_finish(struct ctl_ctx *ctx, const char *op, json_t *args, bool json,
		    void (*print)(const json_t *result))
{
	json_t *result;
	int r = ctl_call(ctx, op, args, &result);

	if (r)
		return r;
	return ctl_finish(result, json, print);
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

int ctl_read_secret(const char *what, char *buf, size_t len)
{
	bool tty = isatty(STDIN_FILENO);
	struct termios old, noecho;
	char again[AEOGATE_PASSWORD_MAX_BYTES + 2];
	int max = (int)len - 2;
	size_t n;

	if (tty) {
		if (tcgetattr(STDIN_FILENO, &old) < 0)
			return ctl_fail("cannot read the terminal: %s", strerror(errno));
		noecho = old;
		noecho.c_lflag &= ~(tcflag_t)ECHO;
		fprintf(stderr, "New %s: ", what);
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &noecho);
	}
	if (!fgets(buf, (int)len, stdin)) {
		if (tty)
			tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		return ctl_fail("no %s given on stdin", what);
	}
	if (tty) {
		fprintf(stderr, "\nRepeat %s: ", what);
		if (!fgets(again, sizeof(again), stdin))
			again[0] = '\0';
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fprintf(stderr, "\n");
	}
	n = strlen(buf);
	if (n && buf[n - 1] != '\n' && !feof(stdin))
		return ctl_fail("%s longer than %d bytes", what, max);
	buf[strcspn(buf, "\r\n")] = '\0';
	if (tty) {
		bool same;

		again[strcspn(again, "\r\n")] = '\0';
		same = strcmp(buf, again) == 0;
		explicit_bzero(again, sizeof(again));
		if (!same)
			return ctl_fail("the %ss do not match", what);
	}
	return 0;
}

/*
 * The file goes to the disk in windows of this many bytes: each window is
 * handed to writeback when it is full, and the one before it is waited for
 * then. At most two windows are ever queued at the disk, so aeogated's
 * commits on the same disk (a WAL write, and now and then an fsync that
 * waits for what is queued ahead of it) never queue behind hundreds of MiB
 * of a backup or an export, and the fsync before the rename finds nothing
 * left to write. The wait also paces the stream to what the disk takes.
 */
#define STREAM_WINDOW_BYTES (1u << 20)

int ctl_stream_file_data(void *userdata, const char *p, size_t n)
{
	struct ctl_stream_file *sf = userdata;

	while (n) {
		ssize_t w = write(sf->fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			sf->err = errno;
			return -EIO;
		}
		p += w;
		n -= (size_t)w;
		sf->written += (uint64_t)w;
	}
	while (sf->written - sf->started >= STREAM_WINDOW_BYTES) {
		(void)sync_file_range(sf->fd, (off_t)sf->started, STREAM_WINDOW_BYTES,
				      SYNC_FILE_RANGE_WRITE);
		if (sf->started >= STREAM_WINDOW_BYTES)
			(void)sync_file_range(sf->fd, (off_t)(sf->started - STREAM_WINDOW_BYTES),
					      STREAM_WINDOW_BYTES,
					      SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE |
						  SYNC_FILE_RANGE_WAIT_AFTER);
		sf->started += STREAM_WINDOW_BYTES;
	}
	return 0;
}
