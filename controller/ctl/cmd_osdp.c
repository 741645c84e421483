/* SPDX-License-Identifier: MIT */
/* aeogatectl reader text: a line on an OSDP reader's display. */
#include <stdio.h>
#include <string.h>

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
