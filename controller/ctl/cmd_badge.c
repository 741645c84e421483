// SPDX-License-Identifier: MIT
/* aeogatectl badge issue|revoke|list */
#include <stdio.h>
#include <string.h>

#include "aeogate/limits.h"
#include "ctl.h"
#include "print.h"

static const struct column badge_cols[] = {
    {"CREDENTIAL", "id"},	  {"PERSON", "person"},		  {"STATUS", "status"},
    {"VALID-FROM", "valid_from"}, {"VALID-UNTIL", "valid_until"}, {"ISSUED", "issued"},
};

void print_badges(const json_t *arr)
{
	print_records(arr, badge_cols, ELEMENTSOF(badge_cols));
}

static const struct column badge_rows[] = {
    {"credential", "id"},
    {"person", "person"},
    {"status", "status"},
    {"valid from", "valid_from"},
    {"valid until", "valid_until"},
    {"issued", "issued"},
    {"revoked", "revoked", COLUMN_UNLESS_NULL},
};

static void print_badge(const json_t *b)
{
	print_record(b, badge_rows, ELEMENTSOF(badge_rows));
}

int cmd_badge_issue(struct ctl_ctx *ctx, int argc, char **argv)
{
	enum { WIEGAND, UID, FMT, FROM, UNTIL };
	static const struct ctl_opt opts[] = {
	    [WIEGAND] = {"wiegand", CTL_OPT_VALUE},
	    [UID] = {"uid", CTL_OPT_VALUE},
	    [FMT] = {"fmt", CTL_OPT_VALUE},
	    [FROM] = {"valid-from", CTL_OPT_VALUE},
	    [UNTIL] = {"valid-until", CTL_OPT_VALUE},
	    CTL_JSON,
	    {0},
	};
	struct ctl_parsed o = {0};
	const char *wiegand, *uid, *fmt;
	char cred[AEOGATE_CREDENTIAL_MAX + 16];
	json_t *args;
	int r;

	r = ctl_parse(ctx, argc, argv, opts, 1, "expected one PERSON", &o);
	if (r >= 0)
		return r;
	wiegand = o.value[WIEGAND];
	uid = o.value[UID];
	fmt = o.value[FMT];
	if (!!wiegand + !!uid + !!fmt != 1)
		return ctl_usage_error(ctx, "give exactly one of --wiegand, --uid and --fmt");

	/*
	 * The controller normalizes and validates the credential; we only
	 * bound it and add the uid: (fmt:) prefix so the options mean one argument.
	 */
	if (fmt)
		r = snprintf(cred, sizeof(cred), "%s%s", strncmp(fmt, "fmt:", 4) ? "fmt:" : "",
			     fmt);
	else if (uid)
		r = snprintf(cred, sizeof(cred), "%s%s", strncmp(uid, "uid:", 4) ? "uid:" : "",
			     uid);
	else
		r = snprintf(cred, sizeof(cred), "%s", wiegand);
	if (r < 0 || (size_t)r >= sizeof(cred))
		return ctl_fail("invalid_argument: credential '%s' is too long", uid   ? uid
										 : fmt ? fmt
										       : wiegand);

	args = json_object();
	if (!args)
		return ctl_fail("out of memory");
	if (ctl_args_set(args, "person", o.operands[0]) || ctl_args_set(args, "credential", cred) ||
	    (o.value[FROM] && ctl_args_set(args, "valid_from", o.value[FROM])) ||
	    (o.value[UNTIL] && ctl_args_set(args, "valid_until", o.value[UNTIL]))) {
		json_decref(args);
		return CTL_EXIT_FAIL;
	}
	return ctl_call_finish(ctx, "badge.issue", args, o.json, print_badge);
}

int cmd_badge_revoke(struct ctl_ctx *ctx, int argc, char **argv)
{
	static const struct ctl_query q = {
	    .operand = "expected one CREDENTIAL", .key = "credential", .print = print_badge};

	return ctl_query_run(ctx, argc, argv, &q);
}

int cmd_badge_list(struct ctl_ctx *ctx, int argc, char **argv)
{
	static const struct ctl_query q = {
	    .key = "person", .optional = true, .array = true, .paged = true, .print = print_badges};

	return ctl_query_run(ctx, argc, argv, &q);
}
