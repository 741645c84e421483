// SPDX-License-Identifier: MIT
/*
 * aeogatectl person photo ID set FILE | remove | show: a person's photo
 * (README "Person photos"). The image goes up like the site plan's
 * (ctl_upload_image: blob.begin, blob.data pieces, then person.photo_set
 * on one connection); the controller checks it and says why it refuses.
 */
#include <stdio.h>
#include <string.h>

#include "aeogate/limits.h"
#include "ctl.h"
#include "print.h"

static void print_photo(const json_t *res)
{
	static const struct column rows[] = {
	    {"person", "person"},   {"type", "type"},
	    {"width", "width"},	    {"height", "height"},
	    {"bytes", "bytes"},	    {"sha256", "sha256"},
	    {"updated", "updated"}, {"updated by", "updated_by"},
	};

	print_record(res, rows, ELEMENTSOF(rows));
}

static void print_show(const json_t *res)
{
	const json_t *photo = json_object_get(res, "photo");

	if (json_is_object(photo))
		print_photo(photo);
	else
		printf("%s has no photo\n", json_string_value(json_object_get(res, "person")));
}

static void print_nothing(const json_t *res)
{
	(void)res;
}

/* person photo ID set FILE | remove | show */
int cmd_person_photo(struct ctl_ctx *ctx, int argc, char **argv)
{
	static const struct ctl_opt opts[] = {CTL_JSON, {0}};
	struct ctl_parsed o = {0};
	const char *what;
	json_t *args;
	bool json;
	int r;

	r = ctl_parse(ctx, argc, argv, opts, CTL_OPERANDS_ANY, NULL, &o);
	if (r >= 0)
		return r;
	json = o.json;
	what = o.n > 1 ? o.operands[1] : "";
	if (!((!strcmp(what, "set") && o.n == 3) ||
	      (o.n == 2 && (!strcmp(what, "show") || !strcmp(what, "remove"))))) {
		ctl_parsed_free(&o);
		return ctl_usage_error(ctx, "expected ID set FILE, ID show or ID remove");
	}
	args = json_object();
	if (!args || ctl_args_set(args, "id", o.operands[0])) {
		json_decref(args);
		ctl_parsed_free(&o);
		return args ? CTL_EXIT_FAIL : ctl_fail("out of memory");
	}
	if (!strcmp(what, "set")) {
		char path[4096];

		if (snprintf(path, sizeof(path), "%s", o.operands[2]) >= (int)sizeof(path)) {
			json_decref(args);
			ctl_parsed_free(&o);
			return ctl_fail("the file name is too long");
		}
		ctl_parsed_free(&o);
		return ctl_upload_image(ctx, path, AEOGATE_PHOTO_MAX, "person.photo_set", args,
					json, print_photo);
	}
	r = !strcmp(what, "show");
	ctl_parsed_free(&o);
	if (r)
		return ctl_call_finish(ctx, "person.photo_show", args, json, print_show);
	return ctl_call_finish(ctx, "person.photo_remove", args, json, print_nothing);
}
