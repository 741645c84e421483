// SPDX-License-Identifier: MIT
/* aeogatectl visitor add|end|list|show: the visitor register. */
#include <stdio.h>
#include <string.h>

#include "aeogate/limits.h"
#include "ctl.h"
#include "print.h"

static const struct column visitor_cols[] = {
    {"ID", "id"},	{"NAME", "name"},	  {"COMPANY", "company"},
    {"HOST", "host"},	{"DOCUMENT", "document"}, {"VEHICLE", "vehicle"},
    {"UNTIL", "until"}, {"ENDED", "ended"},	  {"ON-SITE", "on_site"},
};

static void print_visitors(const json_t *arr)
{
	print_records(arr, visitor_cols, ELEMENTSOF(visitor_cols));
}

static const struct column visitor_rows[] = {
    {"visitor", "id"},
    {"name", "name"},
    {"company", "company"},
    {"host", "host"},
    {"document", "document"},
    {"vehicle", "vehicle"},
    {"until", "until"},
    {"added", "added"},
    {"ended", "ended"},
    {"on site", "on_site"},
    {"badge", "credential", COLUMN_IF_PRESENT},
};

static void print_visitor(const json_t *v)
{
	print_record(v, visitor_rows, ELEMENTSOF(visitor_rows));
}

/*
 * visitor add ID --name NAME --company TEXT --host PERSON --document TYPE
 * --until T [--vehicle TEXT] [--level L]... [--uid HEX | --wiegand F:FC:CN]
 */
int cmd_visitor_add(struct ctl_ctx *ctx, int argc, char **argv)
{
	enum { NAME, COMPANY, HOST, DOCUMENT, UNTIL, VEHICLE, LEVEL, UID, WIEGAND };
	static const struct ctl_opt opts[] = {
	    [NAME] = {"name", CTL_OPT_VALUE},
	    [COMPANY] = {"company", CTL_OPT_VALUE},
	    [HOST] = {"host", CTL_OPT_VALUE},
	    [DOCUMENT] = {"document", CTL_OPT_VALUE},
	    [UNTIL] = {"until", CTL_OPT_VALUE},
	    [VEHICLE] = {"vehicle", CTL_OPT_VALUE},
	    [LEVEL] = {"level", CTL_OPT_LIST, .label = "--level", .fail = CTL_EXIT_FAIL},
	    [UID] = {"uid", CTL_OPT_VALUE},
	    [WIEGAND] = {"wiegand", CTL_OPT_VALUE},
	    CTL_JSON,
	    {0},
	};
	static const char *const keys[] = {
	    [NAME] = "name",	     [COMPANY] = "company", [HOST] = "host",
	    [DOCUMENT] = "document", [UNTIL] = "until",	    [VEHICLE] = "vehicle",
	};
	struct ctl_parsed o = {0};
	char cred[AEOGATE_CREDENTIAL_MAX + 16];
	const char *uid, *wiegand;
	json_t *args, *levels;
	bool json;
	int r;

	r = ctl_parse(ctx, argc, argv, opts, 1, "expected one visitor ID", &o);
	if (r >= 0)
		return r;
	for (size_t i = NAME; i <= UNTIL; i++)
		if (!o.value[i]) {
			ctl_parsed_free(&o);
			return ctl_usage_error(ctx, "--name, --company, --host, --document and "
						    "--until are required");
		}
	uid = o.value[UID];
	wiegand = o.value[WIEGAND];
	if (uid && wiegand) {
		ctl_parsed_free(&o);
		return ctl_usage_error(ctx, "give at most one of --uid and --wiegand");
	}
	/* As badge issue: the controller normalizes and checks; we add the uid: prefix. */
	r = 0;
	if (uid)
		r = snprintf(cred, sizeof(cred), "%s%s", strncmp(uid, "uid:", 4) ? "uid:" : "",
			     uid);
	else if (wiegand)
		r = snprintf(cred, sizeof(cred), "%s", wiegand);
	if (r < 0 || (size_t)r >= sizeof(cred)) {
		ctl_parsed_free(&o);
		return ctl_fail("invalid_argument: credential '%s' is too long",
				uid ? uid : wiegand);
	}
	args = json_object();
	levels = o.list[LEVEL];
	r = !args || ctl_args_set(args, "id", o.operands[0]);
	for (size_t i = NAME; !r && i <= VEHICLE; i++)
		if (o.value[i])
			r = ctl_args_set(args, keys[i], o.value[i]);
	if (!r && (uid || wiegand))
		r = ctl_args_set(args, "credential", cred);
	if (!r && json_array_size(levels))
		r = json_object_set(args, "levels", levels) < 0;
	json = o.json;
	ctl_parsed_free(&o);
	if (r) {
		json_decref(args);
		return CTL_EXIT_FAIL;
	}
	return ctl_call_finish(ctx, "visitor.add", args, json, print_visitor);
}

/* visitor end ID, visitor show ID */
int cmd_visitor_one(struct ctl_ctx *ctx, int argc, char **argv)
{
	static const struct ctl_query q = {
	    .operand = "expected one visitor ID", .key = "id", .print = print_visitor};

	return ctl_query_run(ctx, argc, argv, &q);
}

/*
 * visitor list [--on-site]: visitor.list is paged by id, as person.list:
 * ask for the page after the last id seen until one comes back empty; a
 * page that does not move forward ends the walk.
 */
int cmd_visitor_list(struct ctl_ctx *ctx, int argc, char **argv)
{
	enum { ON_SITE };
	static const struct ctl_opt opts[] = {
	    [ON_SITE] = {"on-site", CTL_OPT_FLAG},
	    CTL_JSON,
	    {0},
	};
	struct ctl_parsed o = {0};
	char after[AEOGATE_ID_MAX + 1] = "";
	json_t *all;
	bool json, on_site;
	int r;

	r = ctl_parse(ctx, argc, argv, opts, 0, NULL, &o);
	if (r >= 0)
		return r;
	json = o.json;
	on_site = o.set[ON_SITE];
	ctl_parsed_free(&o);
	all = json_array();
	if (!all)
		return ctl_fail("out of memory");
	for (;;) {
		json_t *args = json_pack("{s:b,s:I}", "on_site", on_site, "limit",
					 (json_int_t)CTL_PAGE_ROWS),
		       *page;
		const char *last;
		size_t n;

		if (args && after[0])
			json_object_set_new(args, "after", json_string(after));
		r = ctl_call(ctx, "visitor.list", args, &page);
		if (r) {
			json_decref(all);
			return r;
		}
		if (!json_is_array(page)) {
			json_decref(page);
			json_decref(all);
			return ctl_fail("visitor.list: malformed reply from aeogated");
		}
		n = json_array_size(page);
		last = n ? json_string_value(json_object_get(json_array_get(page, n - 1), "id"))
			 : NULL;
		json_array_extend(all, page);
		if (n == 0 || !last || strlen(last) > AEOGATE_ID_MAX || strcmp(last, after) <= 0) {
			json_decref(page);
			break;
		}
		snprintf(after, sizeof(after), "%s", last);
		json_decref(page);
	}
	return ctl_finish(all, json, print_visitors);
}
