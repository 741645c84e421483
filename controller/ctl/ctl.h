/* SPDX-License-Identifier: MIT */
/*
 * aeogatectl internals: the command table, the per-invocation context and
 * the helpers every command uses (option parsing, one request round trip,
 * output). Commands live in cmd_*.c, one file per group.
 */
#ifndef AEOGATE_CTL_H
#define AEOGATE_CTL_H

#include <getopt.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "aeogate/limits.h"
#include "client.h"

enum {
	CTL_EXIT_OK = 0,
	CTL_EXIT_FAIL = 1,  /* the controller refused, or we could not ask it */
	CTL_EXIT_USAGE = 2, /* malformed command line */
	/* Internal: a wait was interrupted by a signal of the client's wait mask. */
	CTL_EXIT_INTERRUPTED = 130,
};

/*
 * Rows asked for per list request: the controller's page size. The walk
 * ends on an empty page, not a short one, so a controller that returns
 * fewer rows (to stay under its reply bound) loses nothing.
 */
#define CTL_PAGE_ROWS AEOGATE_ROWS_PER_PAGE

/* Long-option values above any character, shared by every command. */
enum {
	OPT_SOCKET = 0x100,
	OPT_JSON,
	OPT_VERSION,
	OPT_NAME,
	OPT_VALID_FROM,
	OPT_VALID_UNTIL,
	OPT_LEVEL,
	OPT_WIEGAND,
	OPT_UID,
	OPT_BITS,
	OPT_ZONE,
	OPT_SINCE,
	OPT_FOLLOW,
	OPT_LIMIT,
};

/* Appended to every command's option table. */
#define CTL_COMMON_OPTIONS                                                                         \
	{"socket", required_argument, NULL, OPT_SOCKET},                                           \
	{                                                                                          \
		"help", no_argument, NULL, 'h'                                                     \
	}

struct ctl_ctx;

struct ctl_cmd {
	const char *group;   /* "person", or the command itself ("status") */
	const char *name;    /* "add", or NULL for one-word commands */
	const char *args;    /* usage after the command words */
	const char *summary; /* one line for `aeogatectl help` */
	int (*run)(struct ctl_ctx *ctx, int argc, char **argv);
};

/* One invocation: created by main, handed to the command. */
struct ctl_ctx {
	const char *socket;
	const struct ctl_cmd *cmd;
	struct ctl_client *client; /* connected on first use */
};

/*
 * getopt_long over a command's own argv (argv[0] is the command word).
 * Handles --socket itself. Returns the option, -1 at the end, 'h' for
 * --help, or '?' after printing what was wrong with the option.
 */
int ctl_getopt(struct ctl_ctx *ctx, int argc, char **argv, const struct option *opts);

/* ctl_getopt with the short options given (":h" for ctl_getopt, ":ho:" adds -o FILE). */
int ctl_getopt_short(struct ctl_ctx *ctx, int argc, char **argv, const char *shortopts,
		     const struct option *opts);

/*
 * The options of a command whose only own option is --json. Returns -1 to
 * go on (*ret_json set), else the exit code: 0 after --help, 2 for a bad option.
 */
int ctl_getopt_json(struct ctl_ctx *ctx, int argc, char **argv, bool *ret_json);

/* For the default case of an option switch: --help → 0, anything else → usage, 2. */
int ctl_optfail(struct ctl_ctx *ctx, int c);

/* Prints "aeogatectl: WHAT" and the command's usage line on stderr; returns 2. */
int ctl_usage_error(struct ctl_ctx *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Prints the command's usage line on f. */
void ctl_print_usage(const struct ctl_cmd *cmd, FILE *f);

/* Prints "aeogatectl: ..." on stderr; returns 1. */
int ctl_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Connects on first use; 0, or 1 after printing why not. */
int ctl_connect(struct ctl_ctx *ctx);

/*
 * One request: connects if needed, sends op with args (stolen; may be NULL)
 * and stores the result in *ret_result (a new reference). Returns 0, or 1
 * after printing the controller's error or the transport failure, or
 * CTL_EXIT_INTERRUPTED (nothing printed) when a wait-mask signal arrived.
 */
int ctl_call(struct ctl_ctx *ctx, const char *op, json_t *args, json_t **ret_result);

/* ctl_call with args {key: value}; a value that is not UTF-8 fails locally. */
int ctl_call_str(struct ctl_ctx *ctx, const char *op, const char *key, const char *value,
		 json_t **ret_result);

/*
 * Sets args[key] to the string value, or appends it when args is an array.
 * Returns 0, or 1 after printing that the value is not valid UTF-8: a value
 * must never be dropped silently (a lost valid_until would widen access).
 */
int ctl_args_set(json_t *args, const char *key, const char *value);

/* Parses a non-negative integer option value; -EINVAL when it is not one. */
int ctl_parse_u64(const char *s, unsigned long long max, long long *ret);

/*
 * The end of a command that shows one record: result as JSON (--json) or
 * through print, then freed. Returns CTL_EXIT_OK.
 */
int ctl_finish(json_t *result, bool json, void (*print)(const json_t *result));

/* Record printers shared between commands. */
void print_badges(const json_t *arr);

/* Commands, by group. */
int cmd_status(struct ctl_ctx *ctx, int argc, char **argv);
int cmd_person_add(struct ctl_ctx *ctx, int argc, char **argv);
int cmd_person_list(struct ctl_ctx *ctx, int argc, char **argv);
int cmd_person_show(struct ctl_ctx *ctx, int argc, char **argv);
int cmd_person_change(struct ctl_ctx *ctx, int argc, char **argv);
int cmd_badge_issue(struct ctl_ctx *ctx, int argc, char **argv);
int cmd_badge_revoke(struct ctl_ctx *ctx, int argc, char **argv);
int cmd_badge_list(struct ctl_ctx *ctx, int argc, char **argv);
int cmd_level_add(struct ctl_ctx *ctx, int argc, char **argv);
int cmd_level_list(struct ctl_ctx *ctx, int argc, char **argv);
int cmd_zone_list(struct ctl_ctx *ctx, int argc, char **argv);
int cmd_door_list(struct ctl_ctx *ctx, int argc, char **argv);
int cmd_reader_list(struct ctl_ctx *ctx, int argc, char **argv);
int cmd_sim_present(struct ctl_ctx *ctx, int argc, char **argv);
int cmd_sim_door(struct ctl_ctx *ctx, int argc, char **argv);
int cmd_sim_rex(struct ctl_ctx *ctx, int argc, char **argv);
int cmd_events(struct ctl_ctx *ctx, int argc, char **argv);
int cmd_user_add(struct ctl_ctx *ctx, int argc, char **argv);
int cmd_user_list(struct ctl_ctx *ctx, int argc, char **argv);
int cmd_user_change(struct ctl_ctx *ctx, int argc, char **argv);
int cmd_user_passwd(struct ctl_ctx *ctx, int argc, char **argv);

#endif
