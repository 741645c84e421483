// SPDX-License-Identifier: MIT
/* aeogatectl badge issue|revoke|list */
#include <stdio.h>
#include <string.h>

#include "aeogate/limits.h"
#include "ctl.h"
#include "print.h"

void print_badges(const json_t *arr)
{
	static const char *const headers[] = {"CREDENTIAL", "PERSON",	   "STATUS",
					      "VALID-FROM", "VALID-UNTIL", "ISSUED"};
	static const char *const keys[] = {"id",	 "person",	"status",
					   "valid_from", "valid_until", "issued"};
	struct table *t = table_new(headers, 6);
	const json_t *b;
	size_t i;

	if (!t)
		return;
	json_array_foreach(arr, i, b)
	{
		char buf[6][32];
		const char *row[6];

		for (size_t k = 0; k < 6; k++)
			row[k] = json_field(b, keys[k], buf[k], sizeof(buf[k]));
		table_add(t, row);
	}
	table_print(t, stdout);
	table_free(t);
}

static void print_badge(const json_t *b)
{
	char buf[32];

	print_kv(stdout, "credential", json_field(b, "id", buf, sizeof(buf)));
	print_kv(stdout, "person", json_field(b, "person", buf, sizeof(buf)));
	print_kv(stdout, "status", json_field(b, "status", buf, sizeof(buf)));
	print_kv(stdout, "valid from", json_field(b, "valid_from", buf, sizeof(buf)));
	print_kv(stdout, "valid until", json_field(b, "valid_until", buf, sizeof(buf)));
	print_kv(stdout, "issued", json_field(b, "issued", buf, sizeof(buf)));
	if (!json_is_null(json_object_get(b, "revoked")))
		print_kv(stdout, "revoked", json_field(b, "revoked", buf, sizeof(buf)));
}

int cmd_badge_issue(struct ctl_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"wiegand", required_argument, NULL, OPT_WIEGAND},
	    {"uid", required_argument, NULL, OPT_UID},
	    {"valid-from", required_argument, NULL, OPT_VALID_FROM},
	    {"valid-until", required_argument, NULL, OPT_VALID_UNTIL},
	    {"json", no_argument, NULL, OPT_JSON},
	    CTL_COMMON_OPTIONS,
	    {0},
	};
	const char *wiegand = NULL, *uid = NULL, *from = NULL, *until = NULL;
	char cred[AEOGATE_CREDENTIAL_MAX + 16];
	json_t *args, *result;
	bool json = false;
	int c, r;

	while ((c = ctl_getopt(ctx, argc, argv, opts)) != -1) {
		switch (c) {
		case OPT_WIEGAND:
			wiegand = optarg;
			break;
		case OPT_UID:
			uid = optarg;
			break;
		case OPT_VALID_FROM:
			from = optarg;
			break;
		case OPT_VALID_UNTIL:
			until = optarg;
			break;
		case OPT_JSON:
			json = true;
			break;
		default:
			return ctl_optfail(ctx, c);
		}
	}
	if (argc - optind != 1)
		return ctl_usage_error(ctx, "expected one PERSON");
	if (!wiegand == !uid)
		return ctl_usage_error(ctx, "give exactly one of --wiegand and --uid");

	/*
	 * The controller normalizes and validates the credential; we only
	 * bound it and add the uid: prefix so both options mean one argument.
	 */
	if (uid)
		r = snprintf(cred, sizeof(cred), "%s%s", strncmp(uid, "uid:", 4) ? "uid:" : "",
			     uid);
	else
		r = snprintf(cred, sizeof(cred), "%s", wiegand);
	if (r < 0 || (size_t)r >= sizeof(cred))
		return ctl_fail("invalid_argument: credential '%s' is too long",
				uid ? uid : wiegand);

	args = json_object();
	if (!args)
		return ctl_fail("out of memory");
	if (ctl_args_set(args, "person", argv[optind]) || ctl_args_set(args, "credential", cred) ||
	    (from && ctl_args_set(args, "valid_from", from)) ||
	    (until && ctl_args_set(args, "valid_until", until))) {
		json_decref(args);
		return CTL_EXIT_FAIL;
	}
	r = ctl_call(ctx, "badge.issue", args, &result);
	if (r)
		return r;
	return ctl_finish(result, json, print_badge);
}

int cmd_badge_revoke(struct ctl_ctx *ctx, int argc, char **argv)
{
	json_t *result;
	bool json = false;
	int r;

	r = ctl_getopt_json(ctx, argc, argv, &json);
	if (r >= 0)
		return r;
	if (argc - optind != 1)
		return ctl_usage_error(ctx, "expected one CREDENTIAL");
	r = ctl_call_str(ctx, "badge.revoke", "credential", argv[optind], &result);
	if (r)
		return r;
	return ctl_finish(result, json, print_badge);
}

int cmd_badge_list(struct ctl_ctx *ctx, int argc, char **argv)
{
	json_t *result;
	bool json = false;
	int r;

	r = ctl_getopt_json(ctx, argc, argv, &json);
	if (r >= 0)
		return r;
	if (argc - optind > 1)
		return ctl_usage_error(ctx, "unexpected argument '%s'", argv[optind + 1]);
	if (argc - optind == 1)
		r = ctl_call_str(ctx, "badge.list", "person", argv[optind], &result);
	else
		r = ctl_call(ctx, "badge.list", NULL, &result);
	if (r)
		return r;
	if (!json_is_array(result)) {
		json_decref(result);
		return ctl_fail("badge.list: malformed reply from aeogated");
	}
	if (json)
		print_json(stdout, result);
	else
		print_badges(result);
	json_decref(result);
	return CTL_EXIT_OK;
}
