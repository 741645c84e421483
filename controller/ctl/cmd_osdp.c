/* SPDX-License-Identifier: MIT */
/* aeogatectl reader text, output, comset: an OSDP reader's display, outputs, address and speed. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aeogate/osdp.h"

#include "ctl.h"
#include "print.h"

static void print_text(const json_t *res)
{
	char b[64];

	printf("text sent to %s\n", json_field(res, "name", b, sizeof(b)));
}

int cmd_reader_text(struct ctl_ctx *ctx, int argc, char **argv)
{
	static const struct ctl_opt opts[] = {CTL_JSON, {0}};
	struct ctl_parsed o = {0};
	json_t *args;
	int r;

	r = ctl_parse(ctx, argc, argv, opts, 2, "expected READER and TEXT", &o);
	if (r >= 0)
		return r;
	args = json_object();
	if (!args || ctl_args_set(args, "reader", o.operands[0]) ||
	    ctl_args_set(args, "text", o.operands[1])) {
		json_decref(args);
		return CTL_EXIT_FAIL;
	}
	return ctl_call_finish(ctx, "reader.text", args, o.json, print_text);
}

static void print_output(const json_t *res)
{
	char b[64];

	printf("output command sent to %s\n", json_field(res, "name", b, sizeof(b)));
}

/* reader output READER N on|off [--for DURATION]: an OSDP reader's output (OUT). */
int cmd_reader_output(struct ctl_ctx *ctx, int argc, char **argv)
{
	enum { FOR };
	static const struct ctl_opt opts[] = {
	    [FOR] = {"for", CTL_OPT_ARG, .key = "for"}, CTL_JSON, {0}};
	struct ctl_parsed o = {0};
	char *end;
	long n;
	int r;

	r = ctl_parse(ctx, argc, argv, opts, 3, "expected READER, OUTPUT and on|off", &o);
	if (r >= 0)
		return r;
	errno = 0;
	n = strtol(o.operands[1], &end, 10);
	if (errno || end == o.operands[1] || *end || n < 0 || n >= OSDP_IO_MAX) {
		json_decref(o.args);
		return ctl_usage_error(ctx, "OUTPUT must be a number from 0 to %d",
				       OSDP_IO_MAX - 1);
	}
	if (strcmp(o.operands[2], "on") && strcmp(o.operands[2], "off")) {
		json_decref(o.args);
		return ctl_usage_error(ctx, "the state must be on or off, not '%s'", o.operands[2]);
	}
	if (!o.args)
		o.args = json_object();
	if (!o.args || ctl_args_set(o.args, "reader", o.operands[0]) ||
	    json_object_set_new(o.args, "output", json_integer(n)) < 0 ||
	    ctl_args_set(o.args, "state", o.operands[2])) {
		json_decref(o.args);
		return CTL_EXIT_FAIL;
	}
	return ctl_call_finish(ctx, "reader.output", o.args, o.json, print_output);
}

static void print_comset(const json_t *res)
{
	const json_t *cs = json_object_get(res, "comset");
	char b[64];

	json_field(res, "name", b, sizeof(b));
	printf("COMSET sent to %s: address %lld, baud %lld\n"
	       "aeogated follows the reader now; update the config ([reader %s]: address = %lld, "
	       "baud = %lld) before the next restart\n",
	       b, (long long)json_integer_value(json_object_get(cs, "address")),
	       (long long)json_integer_value(json_object_get(cs, "baud")), b,
	       (long long)json_integer_value(json_object_get(cs, "address")),
	       (long long)json_integer_value(json_object_get(cs, "baud")));
}

static int bad_address(struct ctl_ctx *ctx, const char *v)
{
	return ctl_usage_error(ctx, "--address must be a number from 0 to %d, not '%s'",
			       OSDP_ADDR_MAX, v);
}

static int bad_baud(struct ctl_ctx *ctx, const char *v)
{
	return ctl_usage_error(ctx,
			       "--baud must be 9600, 19200, 38400, 57600, 115200 or 230400, "
			       "not '%s'",
			       v);
}

/* reader comset READER [--address A] [--baud B]: a new address and speed (COMSET). */
int cmd_reader_comset(struct ctl_ctx *ctx, int argc, char **argv)
{
	enum { ADDRESS, BAUD };
	static const struct ctl_opt opts[] = {
	    [ADDRESS] = {"address", CTL_OPT_NUMBER, .min = 0, .max = OSDP_ADDR_MAX,
			 .bad = bad_address},
	    [BAUD] = {"baud", CTL_OPT_NUMBER, .min = 9600, .max = 230400, .bad = bad_baud},
	    CTL_JSON,
	    {0}};
	struct ctl_parsed o = {0};
	json_t *args;
	int r;

	r = ctl_parse(ctx, argc, argv, opts, 1, "expected READER", &o);
	if (r >= 0)
		return r;
	if (!o.set[ADDRESS] && !o.set[BAUD])
		return ctl_usage_error(ctx, "give --address, --baud or both");
	args = json_object();
	if (!args || ctl_args_set(args, "reader", o.operands[0]) ||
	    (o.set[ADDRESS] &&
	     json_object_set_new(args, "address", json_integer(o.num[ADDRESS]))) ||
	    (o.set[BAUD] && json_object_set_new(args, "baud", json_integer(o.num[BAUD])))) {
		json_decref(args);
		return CTL_EXIT_FAIL;
	}
	return ctl_call_finish(ctx, "reader.comset", args, o.json, print_comset);
}
