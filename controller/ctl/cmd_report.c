// SPDX-License-Identifier: MIT
/*
 * aeogatectl report NAME: auditor reports. Each event report is a signed,
 * verifiable export of the event kinds the report is about (README.md,
 * "Reports"), so `aeogatectl audit verify` checks it like any export.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "audit_cmds.h"
#include "ctl.h"
#include "print.h"
#include "reports.h"

static int bad_within(struct ctl_ctx *ctx, const char *value)
{
	return ctl_usage_error(ctx, "--within: '%s' is not a number of days (0-%d)", value,
			       AEOGATE_REPORT_WITHIN_DAYS_MAX);
}

int cmd_report(struct ctl_ctx *ctx, int argc, char **argv)
{
	enum { FROM, TO, FORMAT, OUTPUT, AT, WITHIN };
	static const struct ctl_opt opts[] = {
	    [FROM] = {"from", CTL_OPT_VALUE},
	    [TO] = {"to", CTL_OPT_VALUE},
	    [FORMAT] = {"format", CTL_OPT_VALUE},
	    [OUTPUT] = {"output", CTL_OPT_VALUE, 'o'},
	    [AT] = {"at", CTL_OPT_VALUE},
	    [WITHIN] = {"within", CTL_OPT_NUMBER, .max = AEOGATE_REPORT_WITHIN_DAYS_MAX,
			.bad = bad_within},
	    {0},
	};
	struct ctl_parsed o = {0};
	const char *from, *to, *format, *out, *at;
	const struct report_info *rep;
	long long within;
	char names[256];
	json_t *filter, *args;
	int r;

	r = ctl_parse(ctx, argc, argv, opts, 1, "expected one report NAME", &o);
	if (r >= 0)
		return r;
	from = o.value[FROM];
	to = o.value[TO];
	format = o.value[FORMAT];
	out = o.value[OUTPUT];
	at = o.value[AT];
	within = o.set[WITHIN] ? o.num[WITHIN] : -1;
	rep = reports_find(o.operands[0]);
	if (!rep) {
		reports_names(false, names, sizeof(names));
		return ctl_usage_error(ctx, "no report '%s' (%s)", o.operands[0], names);
	}
	if (!format || !out)
		return ctl_usage_error(ctx, "--format and -o FILE are required");
	if (rep->table) {
		args = json_pack("{s:s}", "report", rep->name);
		if ((from && ctl_args_set(args, "from", from)) ||
		    (to && ctl_args_set(args, "to", to)) || (at && ctl_args_set(args, "at", at))) {
			json_decref(args);
			return CTL_EXIT_USAGE;
		}
		if (within >= 0)
			json_object_set_new(args, "within_days", json_integer(within));
		return audit_export_run(ctx, true, args, NULL, format, out);
	}
	if (at || within >= 0)
		return ctl_usage_error(ctx,
				       "--at and --within apply to table reports "
				       "(entitlements, validity, ...), not to %s",
				       rep->name);
	filter = json_pack("{s:o,s:o,s:o,s:n,s:n}", "from", from ? json_string(from) : json_null(),
			   "to", to ? json_string(to) : json_null(), "kinds",
			   reports_kinds_json(rep), "person", "zone");
	if (!filter)
		return ctl_fail("--from/--to: not valid UTF-8");
	return audit_export_run(ctx, false, filter, rep->name, format, out);
}

static void print_review(const json_t *res)
{
	static const char *const keys[] = {"id", "ts", "reviewer", "comment", "operator"};

	print_fields(stdout, res, keys, ELEMENTSOF(keys));
}

/* review sign --reviewer NAME --comment TEXT */
int cmd_review_sign(struct ctl_ctx *ctx, int argc, char **argv)
{
	enum { REVIEWER, COMMENT };
	static const struct ctl_opt opts[] = {
	    [REVIEWER] = {"reviewer", CTL_OPT_VALUE},
	    [COMMENT] = {"comment", CTL_OPT_VALUE},
	    CTL_JSON,
	    {0},
	};
	struct ctl_parsed o = {0};
	json_t *args;
	int r;

	r = ctl_parse(ctx, argc, argv, opts, 0, NULL, &o);
	if (r >= 0)
		return r;
	if (!o.value[REVIEWER] || !o.value[COMMENT])
		return ctl_usage_error(ctx, "--reviewer and --comment are required");
	args = json_object();
	if (ctl_args_set(args, "reviewer", o.value[REVIEWER]) ||
	    ctl_args_set(args, "comment", o.value[COMMENT])) {
		json_decref(args);
		return CTL_EXIT_USAGE;
	}
	return ctl_call_finish(ctx, "review.sign", args, o.json, print_review);
}
