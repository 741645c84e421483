// SPDX-License-Identifier: MIT
/* aeogatectl status, level add|list, zone|door|reader list */
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "print.h"

/* One column of a record table: the member shown, joined with commas when an array. */
struct column {
	const char *header;
	const char *key;
};

/* Parses "[--json]" and nothing else; -1 to go on, else the exit code. */
static int only_json(struct ctl_ctx *ctx, int argc, char **argv, bool *ret_json)
{
	int r = ctl_getopt_json(ctx, argc, argv, ret_json);

	if (r >= 0)
		return r;
	if (argc != optind)
		return ctl_usage_error(ctx, "unexpected argument '%s'", argv[optind]);
	return -1;
}

static void print_records(const json_t *arr, const struct column *cols, size_t ncols)
{
	const char *headers[TABLE_COLS_MAX];
	struct table *t;
	const json_t *rec;
	size_t i;

	for (size_t k = 0; k < ncols; k++)
		headers[k] = cols[k].header;
	t = table_new(headers, ncols);
	if (!t)
		return;
	json_array_foreach(arr, i, rec)
	{
		char buf[TABLE_COLS_MAX][512];
		const char *row[TABLE_COLS_MAX];

		for (size_t k = 0; k < ncols; k++) {
			if (json_is_array(json_object_get(rec, cols[k].key)))
				row[k] = json_join(rec, cols[k].key, buf[k], sizeof(buf[k]));
			else
				row[k] = json_field(rec, cols[k].key, buf[k], sizeof(buf[k]));
		}
		table_add(t, row);
	}
	table_print(t, stdout);
	table_free(t);
}

static int list_cmd(struct ctl_ctx *ctx, int argc, char **argv, const char *op,
		    const struct column *cols, size_t ncols)
{
	json_t *result;
	bool json;
	int r;

	r = only_json(ctx, argc, argv, &json);
	if (r >= 0)
		return r;
	r = ctl_call(ctx, op, NULL, &result);
	if (r)
		return r;
	if (!json_is_array(result)) {
		json_decref(result);
		return ctl_fail("%s: malformed reply from aeogated", op);
	}
	if (json)
		print_json(stdout, result);
	else
		print_records(result, cols, ncols);
	json_decref(result);
	return CTL_EXIT_OK;
}

int cmd_status(struct ctl_ctx *ctx, int argc, char **argv)
{
	static const struct column rows[] = {
	    {"version", "version"}, {"site", "site"},	  {"timezone", "timezone"},
	    {"demo", "demo"},	    {"schema", "schema"}, {"last seq", "last_seq"},
	    {"started", "started"},
	};
	json_t *result;
	bool json;
	int r;

	r = only_json(ctx, argc, argv, &json);
	if (r >= 0)
		return r;
	r = ctl_call(ctx, "system.status", NULL, &result);
	if (r)
		return r;
	if (json) {
		print_json(stdout, result);
	} else {
		for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
			char buf[64];

			print_kv(stdout, rows[i].header,
				 json_field(result, rows[i].key, buf, sizeof(buf)));
		}
	}
	json_decref(result);
	return CTL_EXIT_OK;
}

int cmd_level_add(struct ctl_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"zone", required_argument, NULL, OPT_ZONE},
	    {"json", no_argument, NULL, OPT_JSON},
	    CTL_COMMON_OPTIONS,
	    {0},
	};
	json_t *args, *zones, *result;
	bool json = false;
	char buf[1024];
	int c, r;

	zones = json_array();
	if (!zones)
		return ctl_fail("out of memory");
	while ((c = ctl_getopt(ctx, argc, argv, opts)) != -1) {
		switch (c) {
		case OPT_ZONE:
			if (ctl_args_set(zones, "--zone", optarg)) {
				json_decref(zones);
				return CTL_EXIT_FAIL;
			}
			break;
		case OPT_JSON:
			json = true;
			break;
		default:
			json_decref(zones);
			return ctl_optfail(ctx, c);
		}
	}
	if (argc - optind != 1 || json_array_size(zones) == 0) {
		json_decref(zones);
		return ctl_usage_error(ctx, argc - optind != 1 ? "expected one level NAME"
							       : "at least one --zone is required");
	}
	args = json_pack("{so}", "zones", zones);
	if (!args || ctl_args_set(args, "name", argv[optind])) {
		json_decref(args);
		return CTL_EXIT_FAIL;
	}
	r = ctl_call(ctx, "level.add", args, &result);
	if (r)
		return r;
	if (json) {
		print_json(stdout, result);
	} else {
		print_kv(stdout, "level", json_field(result, "name", buf, sizeof(buf)));
		print_kv(stdout, "zones", json_join(result, "zones", buf, sizeof(buf)));
	}
	json_decref(result);
	return CTL_EXIT_OK;
}

int cmd_level_list(struct ctl_ctx *ctx, int argc, char **argv)
{
	static const struct column cols[] = {{"NAME", "name"}, {"ZONES", "zones"}};

	return list_cmd(ctx, argc, argv, "level.list", cols, 2);
}

int cmd_zone_list(struct ctl_ctx *ctx, int argc, char **argv)
{
	static const struct column cols[] = {{"NAME", "name"}, {"DOORS", "doors"}};

	return list_cmd(ctx, argc, argv, "zone.list", cols, 2);
}

int cmd_door_list(struct ctl_ctx *ctx, int argc, char **argv)
{
	static const struct column cols[] = {
	    {"NAME", "name"},	    {"ZONE", "zone"},	   {"STATE", "state"},	   {"LOCK", "lock"},
	    {"CONTACT", "contact"}, {"TYPE", "lock_type"}, {"READERS", "readers"},
	};

	return list_cmd(ctx, argc, argv, "door.list", cols, 7);
}

int cmd_reader_list(struct ctl_ctx *ctx, int argc, char **argv)
{
	static const struct column cols[] = {
	    {"NAME", "name"},	    {"DOOR", "door"},		{"ZONE", "zone"},
	    {"TYPE", "type"},	    {"DIRECTION", "direction"}, {"ONLINE", "online"},
	    {"FORMATS", "formats"},
	};

	return list_cmd(ctx, argc, argv, "reader.list", cols, 7);
}
