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

int cmd_report(struct ctl_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"from", required_argument, NULL, OPT_AUDIT_FROM},
	    {"to", required_argument, NULL, OPT_AUDIT_TO},
	    {"format", required_argument, NULL, OPT_AUDIT_FORMAT},
	    {"output", required_argument, NULL, OPT_AUDIT_OUTPUT},
	    {"at", required_argument, NULL, OPT_AUDIT_AT},
	    {"within", required_argument, NULL, OPT_AUDIT_WITHIN},
	    CTL_COMMON_OPTIONS,
	    {0},
	};
	const char *from = NULL, *to = NULL, *format = NULL, *out = NULL, *at = NULL;
	const struct report_info *rep;
	long long within = -1;
	char names[256];
	json_t *filter, *args;
	int c;

	while ((c = ctl_getopt_short(ctx, argc, argv, ":ho:", opts)) != -1) {
		switch (c) {
		case OPT_AUDIT_FROM:
			from = optarg;
			break;
		case OPT_AUDIT_TO:
			to = optarg;
			break;
		case OPT_AUDIT_FORMAT:
			format = optarg;
			break;
		case OPT_AUDIT_OUTPUT:
		case 'o':
			out = optarg;
			break;
		case OPT_AUDIT_AT:
			at = optarg;
			break;
		case OPT_AUDIT_WITHIN:
			if (ctl_parse_u64(optarg, AEOGATE_REPORT_WITHIN_DAYS_MAX, &within) < 0)
				return ctl_usage_error(ctx,
						       "--within: '%s' is not a number of days "
						       "(0-%d)",
						       optarg, AEOGATE_REPORT_WITHIN_DAYS_MAX);
			break;
		default:
			return ctl_optfail(ctx, c);
		}
	}
	if (argc - optind != 1)
		return ctl_usage_error(ctx, "expected one report NAME");
	rep = reports_find(argv[optind]);
	if (!rep) {
		reports_names(false, names, sizeof(names));
		return ctl_usage_error(ctx, "no report '%s' (%s)", argv[optind], names);
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

	print_fields(stdout, res, keys, sizeof(keys) / sizeof(keys[0]));
}

/* review sign --reviewer NAME --comment TEXT */
int cmd_review_sign(struct ctl_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"reviewer", required_argument, NULL, OPT_AUDIT_REVIEWER},
	    {"comment", required_argument, NULL, OPT_AUDIT_COMMENT},
	    {"json", no_argument, NULL, OPT_JSON},
	    CTL_COMMON_OPTIONS,
	    {0},
	};
	const char *reviewer = NULL, *comment = NULL;
	bool json = false;
	json_t *args, *res;
	int c, r;

	while ((c = ctl_getopt(ctx, argc, argv, opts)) != -1) {
		if (c == OPT_JSON)
			json = true;
		else if (c == OPT_AUDIT_REVIEWER)
			reviewer = optarg;
		else if (c == OPT_AUDIT_COMMENT)
			comment = optarg;
		else
			return ctl_optfail(ctx, c);
	}
	if (argc != optind)
		return ctl_usage_error(ctx, "unexpected argument '%s'", argv[optind]);
	if (!reviewer || !comment)
		return ctl_usage_error(ctx, "--reviewer and --comment are required");
	args = json_object();
	if (ctl_args_set(args, "reviewer", reviewer) || ctl_args_set(args, "comment", comment)) {
		json_decref(args);
		return CTL_EXIT_USAGE;
	}
	r = ctl_call(ctx, "review.sign", args, &res);
	if (r)
		return r;
	return ctl_finish(res, json, print_review);
}
