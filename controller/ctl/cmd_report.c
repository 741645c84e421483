// SPDX-License-Identifier: MIT
/*
 * aeogatectl report NAME: auditor reports. Each event report is a signed,
 * verifiable export of the event kinds the report is about (README.md,
 * "Reports"), so `aeogatectl audit verify` checks it like any export.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit_cmds.h"
#include "ctl.h"
#include "export.h"
#include "print.h"

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
};

/* Table reports: computed by aeogated from its state (ops report.begin/page/seal). */
static const char *const table_reports[] = {"alarms",	"entitlements",	 "leavers",
					    "validity", "access-points", NULL};

static json_t *report_args(json_t *begin, json_t *state)
{
	return json_pack("{s:O,s:O,s:O}", "report", json_object_get(begin, "report"), "params",
			 json_object_get(begin, "params"), "state", state);
}

static int write_report_manifest(const char *path, json_t *seal, const char *format,
				 const char *file)
{
	char mpath[4096];
	json_t *man;
	int r;

	if (snprintf(mpath, sizeof(mpath), "%s.manifest.json", path) >= (int)sizeof(mpath))
		return -ENAMETOOLONG;
	man = json_pack("{s:O,s:O,s:O,s:s,s:s}", "statement", json_object_get(seal, "statement"),
			"signature", json_object_get(seal, "signature"), "public_key",
			json_object_get(seal, "public_key"), "format", format, "file", file);
	if (!man)
		return -ENOMEM;
	r = json_dump_file(man, mpath, JSON_INDENT(2) | JSON_SORT_KEYS) < 0 ? -EIO : 0;
	json_decref(man);
	return r;
}

/* Pages a table report out of aeogated into path, then path.manifest.json. */
static int table_report_run(struct ctl_ctx *ctx, json_t *args, const char *format, const char *path)
{
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	json_t *begin = NULL, *state = NULL, *seal = NULL, *columns;
	enum export_format fmt;
	long long rows = 0;
	FILE *f;
	int r;

	if (export_format_parse(format, &fmt) < 0) {
		json_decref(args);
		return ctl_fail("--format must be csv or jsonl, not '%s'", format);
	}
	r = ctl_call(ctx, "report.begin", args, &begin);
	if (r)
		return r;
	columns = json_object_get(begin, "columns");
	f = fopen(path, "we");
	if (!f) {
		json_decref(begin);
		return ctl_fail("%s: %m", path);
	}
	if (report_write_header(f, fmt, columns) < 0)
		goto err_write;
	state = json_incref(json_object_get(begin, "state"));
	for (;;) {
		json_t *page, *row;
		size_t i;
		bool done;

		r = ctl_call(ctx, "report.page", report_args(begin, state), &page);
		if (r)
			goto err;
		json_array_foreach(json_object_get(page, "rows"), i, row)
		{
			if (report_write_row(f, fmt, columns, row) < 0) {
				json_decref(page);
				goto err_write;
			}
			rows++;
		}
		json_decref(state);
		state = json_incref(json_object_get(page, "state"));
		done = json_is_true(json_object_get(page, "done"));
		json_decref(page);
		if (done)
			break;
	}
	if (fflush(f) != 0 || fsync(fileno(f)) < 0)
		goto err_write;
	r = ctl_call(ctx, "report.seal", report_args(begin, state), &seal);
	if (r)
		goto err;
	if (fclose(f) != 0) {
		f = NULL;
		goto err_write;
	}
	f = NULL;
	r = write_report_manifest(path, seal, format, base);
	if (r < 0) {
		ctl_fail("%s.manifest.json: %s", path, strerror(-r));
		r = CTL_EXIT_FAIL;
		goto err;
	}
	printf("%s: %s report, %lld rows; manifest %s.manifest.json, key %s\n", path,
	       json_string_value(json_object_get(begin, "report")), rows, path,
	       json_string_value(json_object_get(json_object_get(seal, "statement"), "key_id")));
	json_decref(seal);
	json_decref(state);
	json_decref(begin);
	return CTL_EXIT_OK;

err_write:
	ctl_fail("%s: cannot write: %m", path);
	r = CTL_EXIT_FAIL;
err:
	/* Half a report must not look like one. */
	if (f)
		fclose(f);
	unlink(path);
	json_decref(seal);
	json_decref(state);
	json_decref(begin);
	return r;
}

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
	const struct report *rep = NULL;
	const char *table = NULL;
	long long within = -1;
	json_t *filter, *kinds, *args;
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
	for (size_t i = 0; i < sizeof(reports) / sizeof(reports[0]); i++)
		if (!strcmp(reports[i].name, argv[optind]))
			rep = &reports[i];
	for (size_t i = 0; table_reports[i]; i++)
		if (!strcmp(table_reports[i], argv[optind]))
			table = table_reports[i];
	if (!rep && !table)
		return ctl_usage_error(ctx,
				       "no report '%s' (access, exceptions, alarms, entitlements, "
				       "leavers, validity, admin, devices, access-points)",
				       argv[optind]);
	if (!format || !out)
		return ctl_usage_error(ctx, "--format and -o FILE are required");
	if (table) {
		args = json_pack("{s:s}", "report", table);
		if ((from && ctl_args_set(args, "from", from)) ||
		    (to && ctl_args_set(args, "to", to)) || (at && ctl_args_set(args, "at", at))) {
			json_decref(args);
			return CTL_EXIT_USAGE;
		}
		if (within >= 0)
			json_object_set_new(args, "within_days", json_integer(within));
		return table_report_run(ctx, args, format, out);
	}
	if (at || within >= 0)
		return ctl_usage_error(ctx,
				       "--at and --within apply to table reports "
				       "(entitlements, validity, ...), not to %s",
				       rep->name);
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
	char b[300];
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
	if (json) {
		print_json(stdout, res);
	} else {
		static const char *const keys[] = {"id", "ts", "reviewer", "comment", "operator"};

		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			print_kv(stdout, keys[i], json_field(res, keys[i], b, sizeof(b)));
	}
	json_decref(res);
	return CTL_EXIT_OK;
}
