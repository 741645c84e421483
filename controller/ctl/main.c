// SPDX-License-Identifier: MIT
/*
 * aeogatectl: the command-line client of aeogated's control socket.
 * Exit codes: 0 ok, 1 refused or failed, 2 usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

/* Lists a group's subcommands when the second word is missing or wrong. */
static int group_usage(const char *group, const char *bad)
{
	if (bad)
		fprintf(stderr, "aeogatectl: unknown command '%s %s'\n", group, bad);
	else
		fprintf(stderr, "aeogatectl: '%s' needs a subcommand\n", group);
	for (size_t i = 0; i < ctl_commands_n; i++)
		if (!strcmp(ctl_commands[i].group, group))
			ctl_print_usage(&ctl_commands[i], stderr);
	return CTL_EXIT_USAGE;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"socket", required_argument, NULL, OPT_SOCKET},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, OPT_VERSION},
	    {0},
	};
	struct ctl_ctx ctx = {0};
	bool group_found = false;
	int c, r;

	ctx.socket = getenv("AEOGATE_SOCKET");
	if (!ctx.socket || !*ctx.socket)
		ctx.socket = DEFAULT_SOCKET;

	opterr = 0;
	/* "+": stop at the command word; its own options are parsed by the command. */
	while ((c = getopt_long(argc, argv, "+:h", opts, NULL)) != -1) {
		switch (c) {
		case OPT_SOCKET:
			ctx.socket = optarg;
			break;
		case 'h':
			ctl_print_help(stdout);
			return CTL_EXIT_OK;
		case OPT_VERSION:
			printf("aeogatectl %s\n", AEOGATE_VERSION);
			return CTL_EXIT_OK;
		case ':':
			fprintf(stderr, "aeogatectl: option '%s' needs a value\n",
				argv[optind - 1]);
			fputs("usage: aeogatectl [--socket PATH] COMMAND [ARGS...]\n", stderr);
			return CTL_EXIT_USAGE;
		default:
			fprintf(stderr, "aeogatectl: unknown option '%s'\n", argv[optind - 1]);
			fputs("usage: aeogatectl [--socket PATH] COMMAND [ARGS...]\n", stderr);
			return CTL_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fputs("aeogatectl: no command given\n", stderr);
		fputs("usage: aeogatectl [--socket PATH] COMMAND [ARGS...]\n"
		      "Run 'aeogatectl help' for the list of commands.\n",
		      stderr);
		return CTL_EXIT_USAGE;
	}
	argc -= optind;
	argv += optind;

	for (size_t i = 0; i < ctl_commands_n && !ctx.cmd; i++) {
		const struct ctl_cmd *cmd = &ctl_commands[i];

		if (strcmp(cmd->group, argv[0]))
			continue;
		group_found = true;
		if (!cmd->name)
			ctx.cmd = cmd;
		else if (argc > 1 && !strcmp(cmd->name, argv[1]))
			ctx.cmd = cmd;
	}
	if (!ctx.cmd) {
		if (group_found)
			return group_usage(argv[0], argc > 1 ? argv[1] : NULL);
		fprintf(stderr, "aeogatectl: unknown command '%s'\n", argv[0]);
		fputs("Run 'aeogatectl help' for the list of commands.\n", stderr);
		return CTL_EXIT_USAGE;
	}
	if (ctx.cmd->name) {
		argc--;
		argv++;
	}

	optind = 0; /* glibc: a full reset, as for a fresh scan */
	r = ctx.cmd->run(&ctx, argc, argv);
	ctl_client_free(ctx.client);
	if (fflush(stdout) != 0 && r == CTL_EXIT_OK)
		r = ctl_fail("cannot write output: %m");
	return r;
}
