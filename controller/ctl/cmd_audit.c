// SPDX-License-Identifier: MIT
/*
 * aeogatectl audit: the device key, checkpoints, exports and verification.
 * An event export is streamed out of aeogated (audit.export_stream) and
 * its bytes go straight to the file; a table report is paged
 * (report.begin, _page, _seal). Memory stays constant whatever the size; verify
 * runs offline on the file and its manifest with the code aeogated hashes
 * with (controller/lib: chain.c, export_verify.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aeogate/limits.h"
#include "audit_cmds.h"
#include "ctl_client.h"
#include "ctl.h"
#include "export.h"
#include "export_pager.h"
#include "export_verify.h"
#include "print.h"
#include "signature.h"

static void print_pubkey(const json_t *res)
{
	static const char *const keys[] = {"public_key", "key_id", "algorithm"};

	print_fields(stdout, res, keys, ELEMENTSOF(keys));
}

static void print_checkpoint(const json_t *res)
{
	static const char *const keys[] = {"seq", "hash", "ts", "key_id", "signature"};

	print_fields(stdout, res, keys, ELEMENTSOF(keys));
}

int cmd_audit_pubkey(struct ctl_ctx *ctx, int argc, char **argv)
{
	static const struct ctl_query q = {.print = print_pubkey};

	return ctl_query_run(ctx, argc, argv, &q);
}

int cmd_audit_checkpoint(struct ctl_ctx *ctx, int argc, char **argv)
{
	static const struct ctl_query q = {.print = print_checkpoint};

	return ctl_query_run(ctx, argc, argv, &q);
}

/* Writes path.manifest.json beside the export; negative errno. */
static int write_manifest(const char *path, const json_t *seal, enum export_format fmt,
			  const char *file)
{
	char mpath[4096];
	json_t *man;
	int r;

	if (snprintf(mpath, sizeof(mpath), "%s.manifest.json", path) >= (int)sizeof(mpath))
		return -ENAMETOOLONG;
	man = export_manifest_json(seal, fmt, file);
	if (!man)
		return -ENOMEM;
	r = json_dump_file(man, mpath, JSON_INDENT(2) | JSON_SORT_KEYS) < 0 ? -EIO : 0;
	json_decref(man);
	return r;
}

/* The pager's requests, one round trip each, until the seal; a CTL_EXIT_* code. */
static int page_all(struct ctl_ctx *ctx, struct export_pager *p, const char *path, FILE **f)
{
	json_t *res = NULL, *args;
	const char *op;
	int r;

	while ((r = export_pager_next(p, res, &op, &args)) == 1) {
		json_decref(res);
		res = NULL;
		r = ctl_call(ctx, op, args, &res);
		if (r)
			return r;
		if (!*f) {
			/* The file is made only once the controller agreed to export. */
			*f = fopen(path, "we");
			if (!*f) {
				json_decref(res);
				return ctl_fail("%s: %m", path);
			}
			export_pager_set_file(p, *f);
		}
	}
	json_decref(res);
	if (r == -EIO)
		return ctl_fail("%s: cannot write: %m", path);
	if (r == -EPROTO)
		return ctl_fail("%s: aeogated's reply to %s is not what it should be", path, op);
	if (r < 0)
		return ctl_fail("%s: %s", path, strerror(-r));
	return CTL_EXIT_OK;
}

/*
 * An event export, streamed (audit.export_stream): the rows arrive as the
 * file's bytes and go straight to it; the trailer is the signed statement.
 */
static int export_stream_run(struct ctl_ctx *ctx, json_t *filter, const char *report,
			     enum export_format fmt, const char *path)
{
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	struct ctl_stream_file sf = {.fd = -1};
	struct ctl_error err = {0};
	json_t *args, *begin = NULL, *seal = NULL;
	const json_t *st;
	int r;

	args = json_pack("{s:o,s:s}", "filter", filter, "format", export_format_name(fmt));
	if (args && report)
		json_object_set_new(args, "report", json_string(report));
	if (!args)
		return ctl_fail("out of memory");
	r = ctl_call(ctx, "audit.export_stream", args, &begin);
	if (r)
		return r;
	json_decref(begin);
	/* The file is made only once the controller agreed to export. */
	sf.fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (sf.fd < 0)
		return ctl_fail("%s: %m", path);
	r = ctl_client_stream(ctx->client, ctl_stream_file_data, &sf, &seal, &err);
	if (r == -EIO && sf.err) {
		errno = sf.err;
		r = ctl_fail("%s: cannot write: %m", path);
		goto err;
	}
	if (r == -EINTR) {
		r = CTL_EXIT_INTERRUPTED;
		goto err;
	}
	if (r < 0) {
		r = ctl_fail("audit.export_stream: %s", ctl_client_strerror(r));
		goto err;
	}
	if (r > 0) {
		r = ctl_fail("%s: %s", err.code, err.message);
		goto err;
	}
	if (!json_is_object(json_object_get(seal, "statement")) ||
	    !json_is_string(json_object_get(seal, "signature")) ||
	    !json_is_string(json_object_get(seal, "public_key"))) {
		r = ctl_fail("%s: aeogated's reply to audit.export_stream is not what it should be",
			     path);
		goto err;
	}
	/* Every row is on disk before the manifest vouches for the file. */
	if (fsync(sf.fd) < 0 || close(sf.fd) < 0) {
		sf.fd = -1;
		r = ctl_fail("%s: cannot write: %m", path);
		goto err;
	}
	sf.fd = -1;
	r = write_manifest(path, seal, fmt, base);
	if (r < 0) {
		r = ctl_fail("%s.manifest.json: %s", path, strerror(-r));
		goto err;
	}
	st = json_object_get(seal, "statement");
	printf("%s: %lld rows of seq %lld-%lld; manifest %s.manifest.json, key %s\n", path,
	       (long long)json_integer_value(json_object_get(st, "rows")),
	       (long long)json_integer_value(json_object_get(st, "range_first")),
	       (long long)json_integer_value(json_object_get(st, "range_last")), path,
	       json_string_value(json_object_get(st, "key_id")));
	json_decref(seal);
	return CTL_EXIT_OK;

err:
	/* Half an export must not look like one. */
	if (sf.fd >= 0)
		close(sf.fd);
	unlink(path);
	json_decref(seal);
	return r;
}

int audit_export_run(struct ctl_ctx *ctx, bool table, json_t *begin_args, const char *report,
		     const char *format, const char *path)
{
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	struct export_pager *p = NULL;
	const json_t *st;
	enum export_format fmt;
	bool created;
	FILE *f = NULL;
	int r;

	if (export_format_parse(format, &fmt) < 0) {
		json_decref(begin_args);
		return ctl_fail("--format must be csv or jsonl, not '%s'", format);
	}
	if (!table)
		return export_stream_run(ctx, begin_args, report, fmt, path);
	if (export_pager_new(table, fmt, begin_args, report, 0, true, &p) < 0)
		return ctl_fail("out of memory");
	r = page_all(ctx, p, path, &f);
	created = f != NULL;
	if (r)
		goto err;
	if (fclose(f) != 0) {
		f = NULL;
		r = ctl_fail("%s: cannot write: %m", path);
		goto err;
	}
	f = NULL;
	r = write_manifest(path, export_pager_seal(p), fmt, base);
	if (r < 0) {
		r = ctl_fail("%s.manifest.json: %s", path, strerror(-r));
		goto err;
	}
	st = json_object_get(export_pager_seal(p), "statement");
	if (table)
		printf("%s: %s report, %lld rows; manifest %s.manifest.json, key %s\n", path,
		       json_string_value(json_object_get(export_pager_begin(p), "report")),
		       (long long)export_pager_rows(p), path,
		       json_string_value(json_object_get(st, "key_id")));
	else
		printf("%s: %lld rows of seq %lld-%lld; manifest %s.manifest.json, key %s\n", path,
		       (long long)export_pager_rows(p),
		       (long long)json_integer_value(json_object_get(st, "range_first")),
		       (long long)json_integer_value(json_object_get(st, "range_last")), path,
		       json_string_value(json_object_get(st, "key_id")));
	export_pager_free(p);
	return CTL_EXIT_OK;

err:
	/* Half an export must not look like one. */
	if (f)
		fclose(f);
	if (created)
		unlink(path);
	export_pager_free(p);
	return r;
}

int cmd_audit_export(struct ctl_ctx *ctx, int argc, char **argv)
{
	enum { FROM, TO, ZONE, DOOR, PERSON, KIND, FORMAT, OUTPUT };
	static const struct ctl_opt opts[] = {
	    [FROM] = {"from", CTL_OPT_ARG, .key = "from"},
	    [TO] = {"to", CTL_OPT_ARG, .key = "to"},
	    [ZONE] = {"zone", CTL_OPT_ARG, .key = "zone"},
	    /* Absent unless given: the signed filter names a door only when it has one. */
	    [DOOR] = {"door", CTL_OPT_ARG, .key = "door"},
	    [PERSON] = {"person", CTL_OPT_ARG, .key = "person"},
	    [KIND] = {"kind", CTL_OPT_LIST, .key = "kinds", .fail = CTL_EXIT_USAGE},
	    [FORMAT] = {"format", CTL_OPT_VALUE},
	    /* -o is the short form of --output. */
	    [OUTPUT] = {"output", CTL_OPT_VALUE, 'o'},
	    {0},
	};
	/* The filter, every member present: the options fill it in as they come. */
	struct ctl_parsed o = {
	    .args = json_pack("{s:n,s:n,s:[],s:n,s:n}", "from", "to", "kinds", "person", "zone")};
	struct export_filter check;
	json_t *filter;
	char err[160];
	int r;

	r = ctl_parse(ctx, argc, argv, opts, 0, NULL, &o);
	if (r >= 0)
		return r;
	if (!o.value[FORMAT] || !o.value[OUTPUT])
		r = ctl_usage_error(ctx, "--format and -o FILE are required");
	if (r < 0 && export_filter_from_json(o.args, &check, err, sizeof(err)) < 0)
		r = ctl_usage_error(ctx, "%s", err);
	if (r >= 0) {
		ctl_parsed_free(&o);
		return r;
	}
	filter = json_incref(o.args);
	ctl_parsed_free(&o);
	return audit_export_run(ctx, false, filter, NULL, o.value[FORMAT], o.value[OUTPUT]);
}

/* A key given as 64 hex digits, or a file holding them (device.pub, pubkey output). */
static int read_pubkey(const char *arg, unsigned char pk[DEVKEY_PK_BYTES])
{
	char buf[4096];
	size_t n;
	FILE *f;

	if (devkey_pk_from_hex(arg, pk) == 0)
		return 0;
	f = fopen(arg, "re");
	if (!f)
		return -errno;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* The first run of exactly 64 hex digits. */
	for (char *p = buf; *p;) {
		size_t run = strspn(p, "0123456789abcdefABCDEF");

		if (run == 2 * DEVKEY_PK_BYTES) {
			p[run] = '\0';
			return devkey_pk_from_hex(p, pk);
		}
		p += run ? run : 1;
	}
	return -EINVAL;
}

/*
 * Findings the log records (a truncation found at start, a head record
 * found missing or altered) are printed as they come, each on its own
 * line; the chain around them is still checked. The verdict is then never
 * "intact": exit 1, "N recorded finding(s) (above); otherwise intact".
 */
static int verify_live(struct ctl_ctx *ctx)
{
	long long checked = 0, last = 0, first = 0, findings = 0;
	char prev[EVENT_HASH_HEX] = "", anchored[256] = "";

	for (;;) {
		json_t *args = json_pack("{s:I}", "after", (json_int_t)last), *res, *bad, *note;
		bool done, stalled;
		size_t i;
		int r;

		if (last)
			json_object_set_new(args, "prev", json_string(prev));
		r = ctl_call(ctx, "audit.verify", args, &res);
		if (r)
			return r;
		json_array_foreach(json_object_get(res, "notes"), i, note)
		{
			fprintf(stderr, "live chain: %s\n",
				json_string_value(json_object_get(note, "message")) ?: "?");
			findings++;
		}
		bad = json_object_get(res, "bad");
		if (json_is_object(bad)) {
			long long bs = json_integer_value(json_object_get(bad, "seq"));
			long long bl = json_integer_value(json_object_get(bad, "last"));
			const char *problem = json_string_value(json_object_get(bad, "problem"));

			if (bl > bs)
				ctl_fail("live chain: seq %lld-%lld: %s", bs, bl, problem);
			else
				ctl_fail("live chain: seq %lld: %s", bs, problem);
			json_decref(res);
			return CTL_EXIT_FAIL;
		}
		if (json_is_integer(json_object_get(res, "first_seq"))) {
			const json_t *an = json_object_get(res, "anchor");

			first = json_integer_value(json_object_get(res, "first_seq"));
			if (json_is_object(an))
				snprintf(anchored, sizeof(anchored),
					 ", verified from seq %lld (anchored by checkpoint %lld at "
					 "seq %lld, key %s; pruning recorded by audit.pruned seq "
					 "%lld)",
					 first,
					 (long long)json_integer_value(
					     json_object_get(an, "checkpoint")),
					 (long long)json_integer_value(json_object_get(an, "seq")),
					 json_string_value(json_object_get(an, "key_id")) ?: "?",
					 (long long)json_integer_value(
					     json_object_get(an, "pruned_by")));
		}
		checked += json_integer_value(json_object_get(res, "checked"));
		last = json_integer_value(json_object_get(res, "last_seq"));
		snprintf(prev, sizeof(prev), "%s",
			 json_string_value(json_object_get(res, "last_hash")) ?: "");
		done = json_is_true(json_object_get(res, "done"));
		stalled = json_integer_value(json_object_get(res, "checked")) == 0;
		json_decref(res);
		if (done)
			break;
		if (stalled)
			return ctl_fail("audit.verify: no progress after seq %lld", last);
	}
	if (findings)
		return ctl_fail(
		    "live chain: %lld recorded finding%s (above); otherwise intact: %lld "
		    "events, seq %lld-%lld%s, checkpoints verified",
		    findings, findings == 1 ? "" : "s", checked, checked ? first : 0LL, last,
		    anchored);
	printf("ok: live chain intact: %lld events, seq %lld-%lld%s, checkpoints verified\n",
	       checked, checked ? first : 0LL, last, anchored);
	return CTL_EXIT_OK;
}

int cmd_audit_verify(struct ctl_ctx *ctx, int argc, char **argv)
{
	enum { PUBKEY, MANIFEST, LIVE, DB };
	static const struct ctl_opt opts[] = {
	    [PUBKEY] = {"pubkey", CTL_OPT_VALUE},
	    [MANIFEST] = {"manifest", CTL_OPT_VALUE},
	    [LIVE] = {"live", CTL_OPT_FLAG},
	    [DB] = {"db", CTL_OPT_VALUE},
	    {0},
	};
	struct ctl_parsed o = {0};
	const char *pubkey, *manifest, *file;
	unsigned char pk[DEVKEY_PK_BYTES];
	struct export_verify_result res;
	char mpath[4096];
	int r;

	r = ctl_parse(ctx, argc, argv, opts, CTL_OPERANDS_ANY, NULL, &o);
	if (r >= 0)
		return r;
	pubkey = o.value[PUBKEY];
	manifest = o.value[MANIFEST];
	if (o.value[DB]) {
		char *args[] = {"aeogated",	     "--verify-db",
				(char *)o.value[DB], pubkey ? "--pubkey" : NULL,
				(char *)pubkey,	     NULL};

		if (o.n || manifest || o.set[LIVE])
			return ctl_usage_error(ctx, "--db takes no FILE, --manifest or --live");
		return ctl_run_offline(args);
	}
	if (o.set[LIVE]) {
		if (o.n || pubkey || manifest)
			return ctl_usage_error(ctx, "--live takes no FILE, --pubkey or --manifest");
		return verify_live(ctx);
	}
	if (o.n != 1)
		return ctl_usage_error(ctx, "expected one FILE (or --live)");
	file = o.operands[0];
	if (pubkey && (r = read_pubkey(pubkey, pk)) < 0)
		return ctl_usage_error(ctx,
				       "--pubkey: '%s' is neither 64 hex digits nor a file "
				       "holding them (%s)",
				       pubkey, strerror(-r));
	if (!manifest) {
		snprintf(mpath, sizeof(mpath), "%s.manifest.json", file);
		manifest = mpath;
	}
	r = export_verify(file, manifest, pubkey ? pk : NULL, &res);
	if (r < 0)
		return ctl_fail("%s: %s", file, res.message);
	printf("%s: %s\n", file, res.message);
	return CTL_EXIT_OK;
}

/* Prints a pruning job as audit.prune_status returns it. */
static void print_prune(const json_t *j)
{
	const json_t *blk = json_object_get(j, "blocked_by"), *an = json_object_get(j, "anchor"),
		     *kinds = json_object_get(j, "kinds"), *v;
	bool dry = json_is_true(json_object_get(j, "dry_run"));
	long long count = json_integer_value(json_object_get(j, "count"));
	const char *k;

	if (count == 0)
		printf("%s: nothing is past its retention\n", dry ? "dry run" : "pruned");
	else if (json_is_true(json_object_get(j, "resumed")))
		printf("%s seq %lld-%lld (%lld events): finishing the pruning audit.pruned seq "
		       "%lld declared\n",
		       dry ? "would delete" : "deleted",
		       (long long)json_integer_value(json_object_get(j, "first")),
		       (long long)json_integer_value(json_object_get(j, "last")), count,
		       (long long)json_integer_value(json_object_get(j, "event")));
	else
		printf("%s seq %lld-%lld (%lld events)\n", dry ? "would prune" : "pruned",
		       (long long)json_integer_value(json_object_get(j, "first")),
		       (long long)json_integer_value(json_object_get(j, "last")), count);
	json_object_foreach((json_t *)kinds, k, v)
	{
		printf("  %-24s %lld\n", k, (long long)json_integer_value(v));
	}
	if (json_is_object(blk))
		printf("kept from seq %lld (%s): %s\n",
		       (long long)json_integer_value(json_object_get(blk, "seq")),
		       json_string_value(json_object_get(blk, "kind")) ?: "?",
		       json_string_value(json_object_get(blk, "why")) ?: "?");
	if (json_is_object(an))
		printf("anchor: checkpoint %lld at seq %lld, key %s; audit.pruned is seq %lld\n",
		       (long long)json_integer_value(json_object_get(an, "checkpoint")),
		       (long long)json_integer_value(json_object_get(an, "seq")),
		       json_string_value(json_object_get(an, "key_id")) ?: "?",
		       (long long)json_integer_value(json_object_get(j, "event")));
	if (!dry && count)
		printf("deleted %lld events, %lld closed alarms\n",
		       (long long)json_integer_value(json_object_get(j, "deleted")),
		       (long long)json_integer_value(json_object_get(j, "alarms_deleted")));
}

int cmd_audit_prune(struct ctl_ctx *ctx, int argc, char **argv)
{
	static const struct ctl_opt opts[] = {{"dry-run", CTL_OPT_FLAG}, CTL_JSON, {0}};
	struct ctl_parsed o = {0};
	bool json, dry;
	json_t *res;
	long long job;
	const char *state;
	int r;

	r = ctl_parse(ctx, argc, argv, opts, 0, NULL, &o);
	if (r >= 0)
		return r;
	json = o.json;
	dry = o.set[0];
	r = ctl_call(ctx, "audit.prune", json_pack("{s:b}", "dry_run", dry), &res);
	if (r)
		return r;
	job = json_integer_value(json_object_get(res, "job"));
	/* The run advances in steps on aeogated's loop; follow it to its end. */
	for (;;) {
		state = json_string_value(json_object_get(res, "state")) ?: "";
		if (json_integer_value(json_object_get(res, "job")) != job)
			break;
		if (strcmp(state, "scanning") != 0 && strcmp(state, "deleting") != 0)
			break;
		json_decref(res);
		usleep(50 * 1000);
		r = ctl_call(ctx, "audit.prune_status", NULL, &res);
		if (r)
			return r;
	}
	if (json_integer_value(json_object_get(res, "job")) != job) {
		json_decref(res);
		return ctl_fail("pruning job %lld was replaced before it could be read", job);
	}
	if (json)
		print_json(stdout, res);
	else if (strcmp(state, "failed") != 0)
		print_prune(res);
	if (!strcmp(state, "failed")) {
		const json_t *e = json_object_get(res, "error");

		ctl_fail("pruning failed: %s",
			 json_string_value(json_object_get(e, "message")) ?: "unknown error");
		json_decref(res);
		return CTL_EXIT_FAIL;
	}
	json_decref(res);
	return CTL_EXIT_OK;
}
