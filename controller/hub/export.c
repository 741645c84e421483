/* SPDX-License-Identifier: MIT */
/*
 * aeogate-hub export: one auditor export across the fleet, a file and a
 * manifest per controller in the controller's own format (export.h), so
 * `aeogatectl audit verify FILE --pubkey KEY` checks each offline. The hub
 * holds no device key, so it cannot sign a statement as aeogated does; the
 * seal is the device's own signed checkpoint instead (README "Exports":
 * "sealed by a checkpoint"): an unfiltered, gap-free range that ends exactly
 * at a checkpoint the device signed, whose hash the rows must chain to.
 * Each controller's export therefore ends at its latest checkpoint the hub
 * received (at or before --to); later events wait for the next one.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chain.h"
#include "export.h"
#include "hub.h"
#include "hub_cmds.h"
#include "print.h"
#include "signature.h"
#include "util.h"

struct hub_export {
	struct hub_store *store;
	const struct hub_config *cfg;
	const char *dir;
	enum export_format fmt;
	struct export_filter filter; /* from/to only: a sealed export is never narrowed */
	json_t *index;		     /* fleet.json: one entry per controller */
	int failures;
};

/* The rows of one controller's range, written and re-verified as they go. */
struct rows {
	FILE *f;
	enum export_format fmt;
	struct audit_verifier link;
	char chain[EVENT_HASH_HEX];
	char first_prev[EVENT_HASH_HEX];
	int64_t count;
	int err;
};

static int write_one(void *u, const char *text)
{
	struct rows *w = u;
	struct event e;
	char *detail = NULL;
	json_t *o = json_loads(text, 0, NULL), *row;
	int r;

	if (!o || event_from_json(o, &e, &detail) < 0) {
		json_decref(o);
		return w->err = -EBADMSG;
	}
	/* The store holds only verified rows; checked again, the file must never lie. */
	r = audit_verify_next(&w->link, &e);
	if (r < 0) {
		free(detail);
		json_decref(o);
		return w->err = -EBADMSG;
	}
	if (w->count == 0)
		snprintf(w->first_prev, sizeof(w->first_prev), "%s", e.prev);
	export_chain_next(w->chain, e.seq, e.hash, w->chain);
	row = event_to_json(&e);
	if (!row || json_object_set_new(row, "export_chain", json_string(w->chain)) < 0)
		r = -ENOMEM;
	else
		r = export_write_row(w->f, w->fmt, row);
	json_decref(row);
	free(detail);
	json_decref(o);
	if (r < 0)
		return w->err = r;
	w->count++;
	return 0;
}

static int write_manifest(const char *path, const json_t *man)
{
	char tmp[PATH_MAX];
	int r;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	r = json_dump_file(man, tmp, JSON_INDENT(2) | JSON_SORT_KEYS);
	if (r < 0 || rename(tmp, path) < 0) {
		r = -errno ? -errno : -EIO;
		unlink(tmp);
		return r;
	}
	return 0;
}

static int export_controller(void *u, const struct hub_controller *c)
{
	struct hub_export *x = u;
	struct hub_checkpoint cp;
	struct rows w = {.fmt = x->fmt};
	char base[2 * AEOGATE_ID_MAX + 16], path[PATH_MAX], mpath[PATH_MAX + 16], now[32];
	int64_t first = c->first_seq, last = c->verified_seq;
	json_t *st = NULL, *man = NULL;
	int r;

	if (!c->verified_seq)
		return 0; /* nothing stored yet */
	if (!c->public_key[0]) {
		fprintf(stderr, "aeogate-hub: %s/%s: no device key pinned: not exported\n", c->site,
			c->controller);
		x->failures++;
		return 0;
	}
	if (x->filter.from_ms && (r = hub_store_event_seq_at(x->store, c->site, c->controller,
							     x->filter.from_ms, false, &first)) < 0)
		return r;
	if (x->filter.to_ms && (r = hub_store_event_seq_at(x->store, c->site, c->controller,
							   x->filter.to_ms, true, &last)) < 0)
		return r;
	if (first < c->first_seq)
		first = c->first_seq; /* never before the stored chain's start */
	if (!first || !last || first > last) {
		printf("%s/%s: no events in the range\n", c->site, c->controller);
		return 0;
	}
	r = hub_store_checkpoint_at_or_before(x->store, c->site, c->controller, last, &cp);
	if (r == -ENOENT || (r == 0 && cp.seq < first)) {
		printf("%s/%s: no signed checkpoint received yet between seq %lld and %lld: not "
		       "exported (the controller signs one every checkpoint_events events or "
		       "checkpoint_minutes minutes)\n",
		       c->site, c->controller, (long long)first, (long long)last);
		return 0;
	}
	if (r < 0)
		return r;
	last = cp.seq;
	snprintf(base, sizeof(base), "%s-%s.%s", c->site, c->controller,
		 export_format_name(x->fmt));
	if (snprintf(path, sizeof(path), "%s/%s", x->dir, base) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	snprintf(mpath, sizeof(mpath), "%s.manifest.json", path);
	w.f = fopen(path, "wxe");
	if (!w.f) {
		fprintf(stderr, "aeogate-hub: %s: %s\n", path, strerror(errno));
		x->failures++;
		return 0;
	}
	memset(w.chain, '0', EVENT_HASH_HEX - 1);
	r = export_write_header(w.f, x->fmt);
	if (r == 0)
		r = hub_store_event_each(x->store, c->site, c->controller, first, last, write_one,
					 &w);
	if (r == 0 && w.err == 0 && w.count != last - first + 1)
		r = -ENODATA; /* a gap in the store: never sealed over */
	if (r == 0 && strcmp(w.link.hash, cp.hash) != 0)
		r = -EBADMSG;
	if (fflush(w.f) != 0 || fsync(fileno(w.f)) != 0)
		r = r ? r : -errno;
	if (fclose(w.f) != 0)
		r = r ? r : -errno;
	if (r == 0)
		r = w.err;
	if (r < 0) {
		fprintf(stderr, "aeogate-hub: %s/%s: export failed: %s\n", c->site, c->controller,
			r == -EBADMSG	? "the stored chain does not reach the checkpoint's hash"
			: r == -ENODATA ? "the store has a gap in the range"
					: strerror(-r));
		unlink(path);
		x->failures++;
		return 0;
	}
	time_format_ms(now_wall_ms(), now, sizeof(now));
	st = json_pack("{s:s,s:o,s:n,s:I,s:I,s:s,s:s,s:I,s:s,s:{s:I,s:s,s:s,s:s,s:s},s:s,s:s,s:s,"
		       "s:s,s:s,s:s}",
		       "type", EXPORT_STATEMENT_TYPE, "filter", export_filter_to_json(&x->filter),
		       "report", "range_first", (json_int_t)first, "range_last", (json_int_t)last,
		       "first_prev", w.first_prev, "last_hash", cp.hash, "rows",
		       (json_int_t)w.count, "export_chain", w.chain, "checkpoint", "seq",
		       (json_int_t)cp.seq, "hash", cp.hash, "ts", cp.ts, "key_id", c->key_id,
		       "signature", cp.signature, "key_id", c->key_id, "generator",
		       "aeogate-hub " AEOGATE_VERSION, "generated_at", now, "operator",
		       x->cfg->name, "site", c->site, "controller", c->controller);
	man = st ? json_pack("{s:o,s:s,s:s,s:s,s:s}", "statement", st, "seal", "checkpoint",
			     "public_key", c->public_key, "format", export_format_name(x->fmt),
			     "file", base)
		 : NULL;
	r = man ? write_manifest(mpath, man) : -ENOMEM;
	json_decref(man);
	if (r < 0) {
		fprintf(stderr, "aeogate-hub: %s: %s\n", mpath, strerror(-r));
		unlink(path);
		x->failures++;
		return 0;
	}
	json_array_append_new(
	    x->index, json_pack("{s:s,s:s,s:s,s:s,s:I,s:I,s:I,s:s}", "site", c->site, "controller",
				c->controller, "file", base, "manifest", strrchr(mpath, '/') + 1,
				"rows", (json_int_t)w.count, "range_first", (json_int_t)first,
				"range_last", (json_int_t)last, "key_id", c->key_id));
	printf("%s/%s: %lld rows of seq %lld-%lld, sealed by checkpoint %lld; %s, key %s\n",
	       c->site, c->controller, (long long)w.count, (long long)first, (long long)last,
	       (long long)cp.seq, base, c->key_id);
	return 0;
}

int hub_cmd_export(struct hub_opts *o, int argc, char **argv)
{
	static const struct option opts[] = {{"from", required_argument, NULL, 'f'},
					     {"to", required_argument, NULL, 't'},
					     {"format", required_argument, NULL, 'F'},
					     {"help", no_argument, NULL, 'h'},
					     {0}};
	static const char use[] =
	    "usage: aeogate-hub export [--from T] [--to T] [--format csv|jsonl] -o DIR [-c FILE]\n";
	struct hub_export x = {.fmt = EXPORT_JSONL};
	struct hub_config cfg;
	char ipath[PATH_MAX], now[32];
	json_t *index;
	int c, r;

	while ((c = getopt_long(argc, argv, ":ho:", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			x.dir = optarg;
			break;
		case 'f':
		case 't':
			if (time_parse_ms(optarg, c == 'f' ? &x.filter.from_ms : &x.filter.to_ms) <
			    0) {
				fprintf(stderr, "aeogate-hub: --%s: '%s' is not a UTC time\n%s",
					c == 'f' ? "from" : "to", optarg, use);
				return 2;
			}
			break;
		case 'F':
			if (export_format_parse(optarg, &x.fmt) < 0) {
				fprintf(stderr, "aeogate-hub: --format is csv or jsonl\n%s", use);
				return 2;
			}
			break;
		case 'h':
			fputs(use, stdout);
			return 0;
		default:
			fprintf(stderr, "aeogate-hub: export: bad option '%s'\n%s",
				argv[optind - 1], use);
			return 2;
		}
	}
	if (!x.dir || optind != argc) {
		fprintf(stderr, "aeogate-hub: export needs -o DIR and no other argument\n%s", use);
		return 2;
	}
	if (x.filter.from_ms && x.filter.to_ms && x.filter.from_ms >= x.filter.to_ms) {
		fprintf(stderr, "aeogate-hub: --from must be before --to\n%s", use);
		return 2;
	}
	if (mkdir(x.dir, 0750) < 0 && errno != EEXIST)
		return hub_fail("%s: %s", x.dir, strerror(errno));
	if (hub_load(o, &cfg, &x.store))
		return 1;
	x.cfg = &cfg;
	x.index = json_array();
	r = x.index ? hub_store_controller_each(x.store, export_controller, &x) : -ENOMEM;
	if (r < 0) {
		hub_fail("%s: %s", cfg.db, strerror(-r));
	} else {
		time_format_ms(now_wall_ms(), now, sizeof(now));
		index = json_pack("{s:s,s:s,s:s,s:o,s:O}", "type", "aeogate-fleet-export-v1",
				  "generated_at", now, "operator", cfg.name, "filter",
				  export_filter_to_json(&x.filter), "exports", x.index);
		snprintf(ipath, sizeof(ipath), "%s/fleet.json", x.dir);
		r = index ? write_manifest(ipath, index) : -ENOMEM;
		json_decref(index);
		if (r < 0)
			hub_fail("%s: %s", ipath, strerror(-r));
		else
			printf("%zu controller exports in %s (fleet.json lists them); verify each "
			       "with aeogatectl audit verify FILE --pubkey KEY\n",
			       json_array_size(x.index), x.dir);
	}
	json_decref(x.index);
	hub_store_close(x.store);
	hub_config_free(&cfg);
	return r < 0 || x.failures ? 1 : 0;
}
