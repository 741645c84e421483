/* SPDX-License-Identifier: MIT */
/*
 * The daemon side of paged exports (audit.export_begin, _page, _seal):
 * the range an export covers, its running state and that state's MAC, the
 * rows of each page in the export format (controller/lib/export.h), and
 * the checkpoint a finished export's statement names.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit-internal.h"
#include "core.h"

/*
 * The ends of seq first..last: first's prev and last's hash, both the
 * genesis hash for an empty range (first 0). On failure *ret_what names
 * the row that could not be read.
 */
static int range_ends(struct store *s, int64_t first, int64_t last, char first_prev[EVENT_HASH_HEX],
		      char last_hash[EVENT_HASH_HEX], const char **ret_what)
{
	struct event e;
	int r;

	memcpy(first_prev, AUDIT_GENESIS, EVENT_HASH_HEX);
	memcpy(last_hash, AUDIT_GENESIS, EVENT_HASH_HEX);
	if (!first)
		return 0;
	*ret_what = "first event";
	if ((r = store_event_get(s, first, &e)) < 0)
		return r;
	memcpy(first_prev, e.prev, EVENT_HASH_HEX);
	event_clear(&e);
	*ret_what = "last event";
	if ((r = store_event_get(s, last, &e)) < 0)
		return r;
	memcpy(last_hash, e.hash, EVENT_HASH_HEX);
	event_clear(&e);
	return 0;
}

int audit_export_begin(struct audit *a, struct audit_export *x, char first_prev[EVENT_HASH_HEX],
		       char last_hash[EVENT_HASH_HEX], const char **ret_what)
{
	struct store *s = core_store(a->core);
	int r;

	x->narrows = export_filter_narrows(&x->filter);
	*ret_what = "event range";
	r = store_event_range(s, x->filter.from_ms ? x->filter.from_ms : INT64_MIN,
			      x->filter.to_ms ? x->filter.to_ms : INT64_MAX, &x->range_first,
			      &x->range_last);
	if (r < 0)
		return r;
	if ((r = range_ends(s, x->range_first, x->range_last, first_prev, last_hash, ret_what)) < 0)
		return r;
	x->after = x->range_first ? x->range_first - 1 : 0;
	x->count = 0;
	memcpy(x->chain, AUDIT_GENESIS, EVENT_HASH_HEX);
	return 0;
}

void audit_export_mac(struct audit *a, const struct audit_export *x, char ret[AUDIT_MAC_HEX])
{
	unsigned char mac[crypto_auth_BYTES];
	json_t *fj = export_filter_to_json(&x->filter);
	char *ftext = json_dumps(fj, JSON_COMPACT | JSON_SORT_KEYS);
	char *text = NULL;

	if (ftext &&
	    asprintf(&text, "%s\n%" PRId64 "\n%" PRId64 "\n%" PRId64 "\n%" PRId64 "\n%s", ftext,
		     x->range_first, x->range_last, x->after, x->count, x->chain) < 0)
		text = NULL;
	/* Without memory the MAC is of nothing, and no state will ever match it. */
	crypto_auth(mac, (const unsigned char *)(text ? text : ""), text ? strlen(text) : 0,
		    a->mac_key);
	if (!text)
		mac[0] ^= 0xff;
	sodium_bin2hex(ret, AUDIT_MAC_HEX, mac, sizeof(mac));
	free(text);
	free(ftext);
	json_decref(fj);
}

int audit_export_check(struct audit *a, const struct audit_export *x, const char *given)
{
	char mac[AUDIT_MAC_HEX];

	audit_export_mac(a, x, mac);
	if (strlen(given) != strlen(mac) || sodium_memcmp(given, mac, strlen(mac)) != 0)
		return -EBADMSG;
	return 0;
}

struct page_ctx {
	struct audit_export *x;
	json_t *rows;
	size_t bytes;
	int64_t limit, scanned;
};

/* name: the person's, beside the row and outside its hash (store_event_walk_named). */
static int page_cb(const struct event *e, const char *name, void *userdata)
{
	struct page_ctx *p = userdata;
	struct audit_export *x = p->x;
	json_t *row;
	char *text;

	p->scanned++;
	x->after = e->seq;
	if (!x->narrows || export_filter_match(&x->filter, e)) {
		export_chain_next(x->chain, e->seq, e->hash, x->chain);
		row = event_to_json(e);
		if (!row)
			return -ENOMEM;
		json_object_set_new(row, "export_chain", json_string(x->chain));
		if (name)
			json_object_set_new(row, "person_name", json_string(name));
		text = json_dumps(row, JSON_COMPACT);
		p->bytes += text ? strlen(text) : 0;
		free(text);
		json_array_append_new(p->rows, row);
		x->count++;
	}
	/* Stop at a row boundary: the state names the last event looked at. */
	if (p->bytes >= AEOGATE_EXPORT_PAGE_BYTES ||
	    (int64_t)json_array_size(p->rows) >= p->limit || p->scanned >= AEOGATE_EXPORT_SCAN_MAX)
		return 1;
	return 0;
}

int audit_export_page(struct audit *a, struct audit_export *x, size_t limit, json_t *rows)
{
	struct page_ctx p = {.x = x, .rows = rows, .limit = (int64_t)limit};
	int64_t from = x->narrows && x->filter.from_ms ? x->filter.from_ms : INT64_MIN;
	int64_t to = x->narrows && x->filter.to_ms ? x->filter.to_ms : INT64_MAX;
	int r;

	if (x->after >= x->range_last)
		return 0;
	r = store_event_walk_named(core_store(a->core), x->after, x->range_last, from, to, page_cb,
				   &p);
	if (r < 0)
		return r;
	if (r == 0)
		x->after = x->range_last; /* the walk ran out: nothing more in range */
	return 0;
}

int audit_export_seal(struct audit *a, const struct audit_export *x, struct checkpoint *ret_cp,
		      char first_prev[EVENT_HASH_HEX], char last_hash[EVENT_HASH_HEX],
		      const char **ret_what)
{
	int r;

	if (x->range_first ? x->after < x->range_last : x->after != 0)
		return -EAGAIN;
	r = range_ends(core_store(a->core), x->range_first, x->range_last, first_prev, last_hash,
		       ret_what);
	if (r < 0)
		return r;
	*ret_what = "checkpoint";
	if (x->range_first)
		return audit_checkpoint_at(a, x->range_last, last_hash, ret_cp);
	return audit_checkpoint_head(a, ret_cp);
}

/* ---- streamed exports ---- */

struct stream_ctx {
	struct audit_export *x;
	enum export_format fmt;
	struct export_buf b;
	int (*write)(void *userdata, const char *p, size_t n);
	void *userdata;
	bool write_failed; /* the error is the writer's, not the store's */
};

static int stream_cb(const struct event *e, const char *name, void *userdata)
{
	struct stream_ctx *p = userdata;
	struct audit_export *x = p->x;
	int r;

	if (!x->narrows || export_filter_match(&x->filter, e)) {
		export_chain_next(x->chain, e->seq, e->hash, x->chain);
		if ((r = export_row_format(&p->b, p->fmt, e, x->chain, name)) < 0)
			return r;
		x->count++;
	}
	x->after = e->seq;
	if (p->b.len >= AEOGATE_EXPORT_CHUNK) {
		if ((r = p->write(p->userdata, p->b.p, p->b.len)) < 0) {
			p->write_failed = true;
			return r;
		}
		p->b.len = 0;
	}
	return 0;
}

int audit_export_stream(const char *db_path, struct audit_export *x, enum export_format fmt,
			char first_prev[EVENT_HASH_HEX], char last_hash[EVENT_HASH_HEX],
			int (*begun)(void *userdata),
			int (*write)(void *userdata, const char *p, size_t n), void *userdata,
			uint64_t *ret_slow, char *ret_what, size_t what_len)
{
	struct stream_ctx p = {.x = x, .fmt = fmt, .write = write, .userdata = userdata};
	const char *what = "event range";
	struct store *s = NULL;
	char err[256];
	int64_t from, to;
	int r;

	*ret_slow = 0;
	r = store_open_readonly(db_path, &s, err, sizeof(err));
	if (r < 0) {
		snprintf(ret_what, what_len, "%s", err);
		return r;
	}
	/* One read transaction: the range and its rows are one snapshot of the log. */
	if ((r = store_begin_deferred(s)) < 0)
		goto fail_store;
	x->narrows = export_filter_narrows(&x->filter);
	r = store_event_range(s, x->filter.from_ms ? x->filter.from_ms : INT64_MIN,
			      x->filter.to_ms ? x->filter.to_ms : INT64_MAX, &x->range_first,
			      &x->range_last);
	if (r >= 0)
		r = range_ends(s, x->range_first, x->range_last, first_prev, last_hash, &what);
	if (r < 0)
		goto fail_store;
	x->after = x->range_first ? x->range_first - 1 : 0;
	x->count = 0;
	memcpy(x->chain, AUDIT_GENESIS, EVENT_HASH_HEX);
	if ((r = begun(userdata)) < 0)
		goto out;
	if ((r = export_header_format(&p.b, fmt)) < 0)
		goto out;
	from = x->narrows && x->filter.from_ms ? x->filter.from_ms : INT64_MIN;
	to = x->narrows && x->filter.to_ms ? x->filter.to_ms : INT64_MAX;
	if (x->after < x->range_last) {
		what = "event log";
		r = store_event_walk_named(s, x->after, x->range_last, from, to, stream_cb, &p);
		if (r < 0 && !p.write_failed)
			goto fail_store;
		if (r < 0)
			goto out;
	}
	/* The walk ran out: nothing more in range. */
	x->after = x->range_last;
	if (p.b.len && (r = write(userdata, p.b.p, p.b.len)) < 0)
		goto out;
	r = 0;
	goto out;
fail_store:
	snprintf(ret_what, what_len, "%s: %s", what, store_last_error(s));
out:
	*ret_slow = p.b.slow_rows;
	export_buf_free(&p.b);
	(void)store_rollback(s);
	store_close(s);
	return r;
}
