// SPDX-License-Identifier: MIT
/*
 * aeogatectl report NAME: auditor reports. Each event report is a signed,
 * verifiable export of the event kinds the report is about (README.md,
 * "Reports"), so `aeogatectl audit verify` checks it like any export.
 */
#include <stdio.h>
#include <string.h>

#include "audit_cmds.h"
#include "ctl.h"

struct report {
	const char *name;
	const char *const kinds[16];
};

static const struct report reports[] = {
    {"access", {"access.granted", "access.denied", NULL}},
    {"exceptions",
     {"access.denied", "door.forced", "door.held", "alarm.tamper", "alarm.duress", "reader.noise",
      NULL}},
    {"admin",
     {"person.*", "badge.*", "level.*", "user.added", "user.disabled", "user.enabled",
      "user.password_changed", "config.*", "alarm.acknowledged", "alarm.closed", "review.*",
      "audit.*", NULL}},
    {"devices",
     {"reader.offline", "reader.online", "system.*", "alarm.storage", "alarm.tamper",
      "alarm.tamper_restored", "clock.*", NULL}},
    {"alarms",
     {"door.forced", "door.held", "alarm.tamper", "alarm.storage", "alarm.acknowledged",
      "alarm.closed", NULL}},
};

int cmd_report(struct ctl_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"from", required_argument, NULL, OPT_AUDIT_FROM},
	    {"to", required_argument, NULL, OPT_AUDIT_TO},
	    {"format", required_argument, NULL, OPT_AUDIT_FORMAT},
	    {"output", required_argument, NULL, OPT_AUDIT_OUTPUT},
	    CTL_COMMON_OPTIONS,
	    {0},
	};
	const char *from = NULL, *to = NULL, *format = NULL, *out = NULL;
	const struct report *rep = NULL;
	json_t *filter, *kinds;
	int c;

	while ((c = audit_getopt(ctx, argc, argv, opts)) != -1) {
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
		default:
			return ctl_optfail(ctx, c);
		}
	}
	if (argc - optind != 1)
		return ctl_usage_error(ctx, "expected one report NAME");
	for (size_t i = 0; i < sizeof(reports) / sizeof(reports[0]); i++)
		if (!strcmp(reports[i].name, argv[optind]))
			rep = &reports[i];
	if (!rep)
		return ctl_usage_error(
		    ctx, "no report '%s' (access, exceptions, alarms, admin, devices)",
		    argv[optind]);
	if (!format || !out)
		return ctl_usage_error(ctx, "--format and -o FILE are required");
	kinds = json_array();
	for (size_t i = 0; rep->kinds[i]; i++)
		json_array_append_new(kinds, json_string(rep->kinds[i]));
	filter =
	    json_pack("{s:o,s:o,s:o,s:n,s:n}", "from", from ? json_string(from) : json_null(), "to",
		      to ? json_string(to) : json_null(), "kinds", kinds, "person", "zone");
	if (!filter)
		return ctl_fail("--from/--to: not valid UTF-8");
	return audit_export_run(ctx, filter, rep->name, format, out);
}
