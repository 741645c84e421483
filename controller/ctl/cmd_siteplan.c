// SPDX-License-Identifier: MIT
/*
 * aeogatectl site plan set FILE | show | remove, site marker DOOR (X Y |
 * --remove): the site plan the dashboard's Overview shows (README "Site
 * plan"). The image goes over this one connection in pieces (blob.begin,
 * blob.data, site.plan_set), as aeogate-web sends it; the controller checks
 * it and says why it refuses one.
 */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "print.h"

static void print_plan(const json_t *res)
{
	static const struct column rows[] = {
	    {"type", "type"},
	    {"width", "width"},
	    {"height", "height"},
	    {"bytes", "bytes"},
	    {"sha256", "sha256"},
	    {"updated", "updated"},
	    {"updated by", "updated_by"},
	};

	print_record(res, rows, ELEMENTSOF(rows));
}

static void print_show(const json_t *res)
{
	static const struct column cols[] = {{"DOOR", "door"}, {"X", "x"}, {"Y", "y"}};
	const json_t *plan = json_object_get(res, "plan");

	if (json_is_object(plan))
		print_plan(plan);
	else
		printf("no site plan\n");
	print_records(json_object_get(res, "markers"), cols, ELEMENTSOF(cols));
}

static void print_plan_marker(const json_t *res)
{
	static const struct column rows[] = {{"door", "door"}, {"x", "x"}, {"y", "y"}};

	print_record(res, rows, ELEMENTSOF(rows));
}

static void print_nothing(const json_t *res)
{
	(void)res;
}

/* The file, whole, if it is at most max bytes: 0, or 1 after saying why. */
static int read_image(const char *path, size_t max, unsigned char **ret, size_t *ret_len)
{
	unsigned char *buf = malloc(max + 1);
	FILE *f = fopen(path, "re");
	size_t n;

	if (!buf || !f) {
		int e = errno;

		free(buf);
		if (f)
			fclose(f);
		return ctl_fail("%s: %s", path, strerror(buf ? e : ENOMEM));
	}
	n = fread(buf, 1, max + 1, f);
	if (ferror(f)) {
		fclose(f);
		free(buf);
		return ctl_fail("%s: cannot read it", path);
	}
	fclose(f);
	if (n > max) {
		free(buf);
		if (max % (1024 * 1024) == 0)
			return ctl_fail("%s: the image is larger than %zu MiB", path,
					max / (1024 * 1024));
		return ctl_fail("%s: the image is larger than %zu KiB", path, max / 1024);
	}
	*ret = buf;
	*ret_len = n;
	return 0;
}

int ctl_upload_image(struct ctl_ctx *ctx, const char *path, size_t max, const char *op,
		     json_t *args, bool json, void (*print)(const json_t *res))
{
	unsigned char *img = NULL;
	size_t len = 0, off = 0;
	json_t *res = NULL;
	int r = read_image(path, max, &img, &len);

	if (r) {
		json_decref(args);
		return r;
	}
	if (!len) {
		free(img);
		json_decref(args);
		return ctl_fail("%s: the file is empty", path);
	}
	r = ctl_call(ctx, "blob.begin", json_pack("{s:I}", "bytes", (json_int_t)len), &res);
	json_decref(res);
	while (r == 0 && off < len) {
		size_t n = len - off < AEOGATE_BLOB_CHUNK ? len - off : AEOGATE_BLOB_CHUNK;
		size_t cap = sodium_base64_encoded_len(n, sodium_base64_VARIANT_ORIGINAL);
		char *b64 = malloc(cap);

		if (!b64) {
			r = ctl_fail("out of memory");
			break;
		}
		sodium_bin2base64(b64, cap, img + off, n, sodium_base64_VARIANT_ORIGINAL);
		off += n;
		res = NULL;
		r = ctl_call(ctx, "blob.data", json_pack("{s:s}", "data", b64), &res);
		free(b64);
		json_decref(res);
	}
	free(img);
	if (r) {
		json_decref(args);
		return r;
	}
	return ctl_call_finish(ctx, op, args, json, print);
}

/* site plan set FILE | show | remove */
int cmd_site_plan(struct ctl_ctx *ctx, int argc, char **argv)
{
	static const struct ctl_opt opts[] = {CTL_JSON, {0}};
	struct ctl_parsed o = {0};
	const char *what;
	bool json;
	int r;

	r = ctl_parse(ctx, argc, argv, opts, CTL_OPERANDS_ANY, NULL, &o);
	if (r >= 0)
		return r;
	json = o.json;
	what = o.n > 0 ? o.operands[0] : "";
	if (!strcmp(what, "set") && o.n == 2) {
		char *path = strdup(o.operands[1]);

		ctl_parsed_free(&o);
		if (!path)
			return ctl_fail("out of memory");
		r = ctl_upload_image(ctx, path, AEOGATE_SITE_PLAN_MAX, "site.plan_set", NULL, json,
				     print_plan);
		free(path);
		return r;
	}
	if (o.n == 1 && (!strcmp(what, "show") || !strcmp(what, "remove"))) {
		ctl_parsed_free(&o);
		if (!strcmp(what, "show"))
			return ctl_call_finish(ctx, "site.plan_show", NULL, json, print_show);
		return ctl_call_finish(ctx, "site.plan_remove", NULL, json, print_nothing);
	}
	ctl_parsed_free(&o);
	return ctl_usage_error(ctx, "expected set FILE, show or remove");
}

/* A fraction 0..1 of the plan's width or height; -1 when it is not one. */
static double fraction(const char *s)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= 0 && v <= 1))
		return -1;
	return v;
}

/* site marker DOOR (X Y | --remove) */
int cmd_site_marker(struct ctl_ctx *ctx, int argc, char **argv)
{
	static const struct ctl_opt opts[] = {{"remove", CTL_OPT_FLAG}, CTL_JSON, {0}};
	struct ctl_parsed o = {0};
	json_t *args;
	double x = -1, y = -1;
	bool json, remove;
	int r;

	r = ctl_parse(ctx, argc, argv, opts, CTL_OPERANDS_ANY, NULL, &o);
	if (r >= 0)
		return r;
	json = o.json;
	remove = o.set[0];
	if (o.n != (remove ? 1 : 3)) {
		ctl_parsed_free(&o);
		return ctl_usage_error(ctx, "expected DOOR X Y, or DOOR --remove");
	}
	if (!remove) {
		x = fraction(o.operands[1]);
		y = fraction(o.operands[2]);
		if (x < 0 || y < 0) {
			ctl_parsed_free(&o);
			return ctl_usage_error(
			    ctx, "X and Y are fractions 0..1 of the plan's width and height");
		}
	}
	args = json_object();
	if (!args || ctl_args_set(args, "door", o.operands[0])) {
		json_decref(args);
		ctl_parsed_free(&o);
		return args ? CTL_EXIT_FAIL : ctl_fail("out of memory");
	}
	ctl_parsed_free(&o);
	if (remove)
		return ctl_call_finish(ctx, "site.marker_remove", args, json, print_nothing);
	json_object_set_new(args, "x", json_real(x));
	json_object_set_new(args, "y", json_real(y));
	return ctl_call_finish(ctx, "site.marker_set", args, json, print_plan_marker);
}
