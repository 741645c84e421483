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
#include <stdint.h>
#include <stdio.h>

#include "aeogate/limits.h"
#include "ctl_client.h"

enum {
	CTL_EXIT_OK = 0,
	CTL_EXIT_FAIL = 1,  /* the controller refused, or we could not ask it */
	CTL_EXIT_USAGE = 2, /* malformed command line */
	/* sim present on a card_and_pin door: the reader waits for the PIN; the outcome is an
	   event. */
	CTL_EXIT_PENDING = 3,
	/* Internal: ctx->call took the request and reported the outcome itself (aeogate-hub). */
	CTL_EXIT_HANDED_OFF = 4,
	/* Internal: a wait was interrupted by a signal of the client's wait mask. */
	CTL_EXIT_INTERRUPTED = 130,
};

/*
 * Rows asked for per list request: the controller's page size. The walk
 * ends on an empty page, not a short one, so a controller that returns
 * fewer rows (to stay under its reply bound) loses nothing.
 */
#define CTL_PAGE_ROWS AEOGATE_ROWS_PER_PAGE

#define ELEMENTSOF(a) (sizeof(a) / sizeof((a)[0]))

/* Long-option values above any character: --socket, main's --version. */
enum {
	OPT_SOCKET = 0x100,
	OPT_VERSION,
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

/* Every command of aeogatectl (commands.c), and the help that lists them. */
#define DEFAULT_SOCKET "/run/aeogate/aeogated.sock"
extern const struct ctl_cmd ctl_commands[];
extern const size_t ctl_commands_n;
void ctl_print_help(FILE *f);
/* The row of "group name" (name NULL for one-word commands); NULL when none. */
const struct ctl_cmd *ctl_command_find(const char *group, const char *name);

/* One invocation: created by main, handed to the command. */
struct ctl_ctx {
	const char *socket;
	const struct ctl_cmd *cmd;
	struct ctl_client *client; /* connected on first use */
	/*
	 * NULL for aeogatectl. When set, every request goes here instead of the
	 * socket: aeogate-hub runs these commands' argument parsing as it is and
	 * turns the request into a signed change set or command. Returns as
	 * ctl_call (args stolen), or CTL_EXIT_HANDED_OFF when it reported the
	 * outcome itself, so the command prints nothing more.
	 */
	int (*call)(struct ctl_ctx *ctx, const char *op, json_t *args, json_t **ret_result);
	void *userdata;
};

/*
 * getopt_long over a command's own argv (argv[0] is the command word) with
 * the short options given (":h", or ":ho:" to add -o FILE). Handles
 * --socket itself. Returns the option, -1 at the end, 'h' for --help, or
 * '?' after printing what was wrong with the option.
 */
int ctl_getopt_short(struct ctl_ctx *ctx, int argc, char **argv, const char *shortopts,
		     const struct option *opts);

/* How a command's option takes its value (struct ctl_opt). */
enum ctl_opt_kind {
	CTL_OPT_JSON,	/* --json: o->json */
	CTL_OPT_FLAG,	/* no value: o->set[i] */
	CTL_OPT_VALUE,	/* o->value[i], the last one given */
	CTL_OPT_NUMBER, /* o->num[i], a whole number from min to max, else bad() */
	CTL_OPT_ARG,	/* o->args[key] = the value; with none_null, "none" is null */
	CTL_OPT_LIST,	/* appended to the array o->args[key], or o->list[i] without key */
};

/* Options of one command, --json included (visitor add has the most: 10). */
#define CTL_OPTS_MAX 12

/*
 * One option of a command, by its long name: a command's options are a
 * table of these ending in {0}, and ctl_parse reads argv with it. Values
 * that become request members (ARG, LIST) are taken as they are read, so
 * a value that is not UTF-8 stops the parse right there.
 */
struct ctl_opt {
	const char *name;
	enum ctl_opt_kind kind;
	char short_name; /* 'o' for -o; 0: none */
	const char *key; /* ARG, LIST: the member of o->args */
	/* LIST: how a value that is not UTF-8 is named (ctl_args_set's key), and the exit code. */
	const char *label;
	int fail;
	bool none_null;	    /* ARG: "none" sets the member to null */
	long long min, max; /* NUMBER */
	int (*bad)(struct ctl_ctx *ctx, const char *value); /* NUMBER: says why, returns 2 */
};

#define CTL_JSON                                                                                   \
	{                                                                                          \
		"json", CTL_OPT_JSON                                                               \
	}

/* What ctl_parse read: indexed like the option table. */
struct ctl_parsed {
	bool json;
	bool set[CTL_OPTS_MAX]; /* the option was given */
	const char *value[CTL_OPTS_MAX];
	long long num[CTL_OPTS_MAX];
	json_t *list[CTL_OPTS_MAX]; /* LIST without key; NULL until one is given */
	/* ARG and keyed LIST members: NULL, or a template set before ctl_parse. Owned. */
	json_t *args;
	/* Options this run refuses: given, they end the parse with 2 and nothing said. */
	unsigned refuse;
	char **operands; /* what follows the options */
	int n;
};

/* ctl_parse's n_operands when the command checks its operands itself. */
#define CTL_OPERANDS_ANY (-1)

/*
 * Reads a command's options (opts, ending in {0}) and --socket, --help,
 * then its operands: none (n_operands 0: "unexpected argument 'X'"),
 * exactly n_operands (else the usage error what), or CTL_OPERANDS_ANY.
 * Returns -1 to go on, else the exit code after printing what it has to
 * (0 after --help, 2 for a usage error); o is freed then.
 */
int ctl_parse(struct ctl_ctx *ctx, int argc, char **argv, const struct ctl_opt *opts,
	      int n_operands, const char *what, struct ctl_parsed *o);
void ctl_parsed_free(struct ctl_parsed *o);

/*
 * A command that is one request and its result: [--json], no operand or
 * one (optional or not) sent as args[key], the result printed.
 */
struct ctl_query {
	const char *op;	     /* NULL: the command's words, "group.name" */
	const char *operand; /* NULL: none; else the usage error when it is missing */
	const char *key;     /* the operand's member in args */
	bool optional;	     /* the operand may be left out */
	bool array;	     /* the result must be an array */
	bool paged;	     /* without the operand, op is a list paged by id (ctl_list_pages) */
	void (*print)(const json_t *result);
};

/*
 * Every row of a list op paged by id (person.list, badge.list): asks for
 * the page after the last id seen until a page comes back empty. A page
 * that does not move forward ends the walk, so a confused daemon cannot
 * loop us forever. *ret is the array of all rows.
 */
int ctl_list_pages(struct ctl_ctx *ctx, const char *op, json_t **ret);

/*
 * The file a stream's data goes to (an export, a backup): written whole,
 * handed to the disk a MiB at a time; ctl_stream_file_data is the
 * ctl_client_stream data callback, -EIO with err set when a write fails.
 */
struct ctl_stream_file {
	int fd;
	uint64_t written, started; /* bytes written; of those, handed to the disk */
	int err;		   /* the write's errno */
};
int ctl_stream_file_data(void *userdata, const char *p, size_t n);

int ctl_query_run(struct ctl_ctx *ctx, int argc, char **argv, const struct ctl_query *q);

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
/* The same, waiting up to timeout_ms for the reply, tick called about once a second. */
int ctl_call_wait(struct ctl_ctx *ctx, const char *op, json_t *args, int timeout_ms,
		  void (*tick)(void *userdata), void *userdata, json_t **ret_result);

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
 * The end of a command that shows its result: as JSON (--json) or through
 * print, then freed. Returns CTL_EXIT_OK.
 */
int ctl_finish(json_t *result, bool json, void (*print)(const json_t *result));

/* ctl_call, then ctl_finish: the exit code. */
int ctl_call_finish(struct ctl_ctx *ctx, const char *op, json_t *args, bool json,
		    void (*print)(const json_t *result));

/*
 * Reads a new secret (what: "password", "PIN") into buf (len bytes: at
 * most len - 2 of it): prompted twice with echo off on a terminal, or the
 * first line of stdin otherwise (scripts pipe it in). Returns 0, or 1 after
 * printing why not.
 */
int ctl_read_secret(const char *what, char *buf, size_t len);

/* Record printers shared between commands. */
void print_badges(const json_t *arr);

/* Commands, by group. */
int cmd_status(struct ctl_ctx *ctx, int argc, char **argv);
int cmd_person_add(struct ctl_ctx *ctx, int argc, char **argv);
int cmd_person_list(struct ctl_ctx *ctx, int argc, char **argv);
int cmd_person_show(struct ctl_ctx *ctx, int argc, char **argv);
int cmd_person_change(struct ctl_ctx *ctx, int argc, char **argv);
int cmd_person_import(struct ctl_ctx *ctx, int argc, char **argv); /* cmd_import.c */
int cmd_person_export(struct ctl_ctx *ctx, int argc, char **argv);
int cmd_badge_issue(struct ctl_ctx *ctx, int argc, char **argv);
/* cmd_visitor.c: visitor add|end|show|list */
int cmd_visitor_add(struct ctl_ctx *ctx, int argc, char **argv);
int cmd_visitor_one(struct ctl_ctx *ctx, int argc, char **argv);
int cmd_visitor_list(struct ctl_ctx *ctx, int argc, char **argv);
int cmd_badge_revoke(struct ctl_ctx *ctx, int argc, char **argv);
int cmd_badge_list(struct ctl_ctx *ctx, int argc, char **argv);
int cmd_level_add(struct ctl_ctx *ctx, int argc, char **argv);
int cmd_list(struct ctl_ctx *ctx, int argc, char **argv); /* level|zone|door|reader list */
int cmd_door_mode(struct ctl_ctx *ctx, int argc, char **argv);
int cmd_door_unlock(struct ctl_ctx *ctx, int argc, char **argv);
int cmd_door_schedule(struct ctl_ctx *ctx, int argc, char **argv);
int cmd_sim_present(struct ctl_ctx *ctx, int argc, char **argv);
int cmd_sim_door(struct ctl_ctx *ctx, int argc, char **argv);
int cmd_sim_rex(struct ctl_ctx *ctx, int argc, char **argv);
int cmd_sim_keys(struct ctl_ctx *ctx, int argc, char **argv);
int cmd_reader_text(struct ctl_ctx *ctx, int argc, char **argv);
int cmd_reader_output(struct ctl_ctx *ctx, int argc, char **argv);
int cmd_reader_comset(struct ctl_ctx *ctx, int argc, char **argv);
int cmd_person_pin(struct ctl_ctx *ctx, int argc, char **argv);
int cmd_person_pin_unlock(struct ctl_ctx *ctx, int argc, char **argv);
int cmd_events(struct ctl_ctx *ctx, int argc, char **argv);
int cmd_user_add(struct ctl_ctx *ctx, int argc, char **argv);
int cmd_user_list(struct ctl_ctx *ctx, int argc, char **argv);
int cmd_user_change(struct ctl_ctx *ctx, int argc, char **argv);
int cmd_user_passwd(struct ctl_ctx *ctx, int argc, char **argv);
int cmd_site_lockdown(struct ctl_ctx *ctx, int argc, char **argv); /* cmd_lockdown.c */
int cmd_site_threat(struct ctl_ctx *ctx, int argc, char **argv);
int cmd_site_plan(struct ctl_ctx *ctx, int argc, char **argv);
int cmd_site_marker(struct ctl_ctx *ctx, int argc, char **argv);
int cmd_person_photo(struct ctl_ctx *ctx, int argc, char **argv); /* cmd_photo.c */
/*
 * Sends the image in file path (at most max bytes) in blob.begin and
 * blob.data pieces on this connection, then op with args (stolen; may be
 * NULL) and prints its result: the exit code (cmd_siteplan.c).
 */
int ctl_upload_image(struct ctl_ctx *ctx, const char *path, size_t max, const char *op,
		     json_t *args, bool json, void (*print)(const json_t *res));
/*
 * person set --responder yes|no --clearance N into args (created when
 * NULL); -1 to go on, else the exit code after saying what was wrong.
 */
int ctl_person_site_options(struct ctl_ctx *ctx, const char *responder, const char *clearance,
			    json_t **args);

#endif
