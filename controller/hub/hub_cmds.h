/* SPDX-License-Identifier: MIT */
/* aeogate-hub's subcommands (main.c dispatches; one file per group). */
#ifndef AEOGATE_HUB_CMDS_H
#define AEOGATE_HUB_CMDS_H

#include "hub.h"

/* What every subcommand accepts wherever it stands: -c FILE, --site SITE, --timeout S. */
struct hub_opts {
	const char *config;
	const char *site;
	const char *timeout;
	int timeout_ms;
};

/* Prints "aeogate-hub: ..." on stderr; returns 1. */
int hub_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Loads the config (and opens the store when store is not NULL): 0, or 1 after saying why. */
int hub_load(struct hub_opts *o, struct hub_config *cfg, struct hub_store **store);

int hub_cmd_run(struct hub_opts *o, int argc, char **argv);	/* run.c */
int hub_cmd_status(struct hub_opts *o, int argc, char **argv);	/* status.c */
int hub_cmd_export(struct hub_opts *o, int argc, char **argv);	/* export.c */
int hub_cmd_enrol(struct hub_opts *o, int argc, char **argv);	/* publish.c */
int hub_cmd_command(struct hub_opts *o, int argc, char **argv); /* publish.c */
int hub_cmd_serve(struct hub_opts *o, int argc, char **argv);	/* serve.c */

#endif
