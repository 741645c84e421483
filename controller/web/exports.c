/* SPDX-License-Identifier: MIT */
/*
 * Audit exports and reports for the browser. POST /api/exports asks the
 * controller exactly as aeogatectl does (an event export or event report
 * is streamed: audit.export_stream, whose frames are the file's bytes and
 * whose trailer is the signed statement; a table report is paged:
 * report.begin, .page, .seal, written with the controller's own writer,
 * controller/lib/export_format.c), all with the user's session token, so
 * the controller decides who may export. The bytes go into an anonymous
 * temporary file and the signed manifest is kept beside it in memory. Both
 * are then downloaded by a random id, by the session that made them only,
 * until they expire.
 *
 * Why a temporary file and not a stream straight to the browser: the
 * manifest exists only once every row has been paged, and it must describe
 * exactly the file the browser got. Producing the export once and handing
 * out both from it keeps them consistent, whatever happens to the event log
 * in between. Memory stays bounded by one page or one frame; disk by
 * AEOGATE_WEB_EXPORTS_MAX files of at most AEOGATE_WEB_EXPORT_FILE_MAX bytes,
 * which vanish with this process (the files have no name).
 */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "export.h"
#include "export_pager.h"
#include "reports.h"
#include "web.h"
#include "util.h"

/*
 * Created by wexport_new for one POST /api/exports, owned by that request
 * until it is sealed; then owned by the list below until it expires.
 */
struct wexport {
	struct wexport *next;
	char id[WEB_EXPORT_ID_HEX];
	unsigned char owner[crypto_generichash_BYTES]; /* hash of the session token */
	enum export_format fmt;
	const struct report_info *report; /* NULL: a plain audit export */
	struct export_pager *pager;	  /* a table report, until sealed */
	json_t *stream_args;		  /* an event export: audit.export_stream's args */
	int stream_step;		  /* 0: to ask, 1: frames and trailer due, 2: sealed */
	off_t written;			  /* a stream's bytes so far */
	int fd;				  /* the anonymous file, for reading */
	FILE *f;			  /* the same file, for writing, until sealed */
	long long rows;
	long long range_first, range_last; /* of the signed statement */
	char key_id[24];
	off_t size;
	char file[96];
	char *manifest;
	size_t manifest_len;
	int64_t expires_ms;
};

static struct wexport *held;
static unsigned n_held; /* in the list, plus those being produced */

static void owner_of(const char *token, unsigned char out[crypto_generichash_BYTES])
{
	crypto_generichash(out, crypto_generichash_BYTES, (const unsigned char *)token,
			   strlen(token), NULL, 0);
}

static void wexport_free(struct wexport *x)
{
	if (!x)
		return;
	if (x->f)
		fclose(x->f);
	if (x->fd >= 0)
		close(x->fd);
	export_pager_free(x->pager);
	json_decref(x->stream_args);
	free(x->manifest);
	free(x);
	n_held--;
}

void wexport_abandon(struct wexport *x)
{
	wexport_free(x);
}

/* Drops what has expired. */
static void expire(void)
{
	int64_t now = now_mono_ms();

	for (struct wexport **pp = &held; *pp;) {
		struct wexport *x = *pp;

		if (x->expires_ms <= now) {
			*pp = x->next;
			wexport_free(x);
		} else {
			pp = &x->next;
		}
	}
}

/* Keeps a session's newest exports (the list is newest first) and frees the rest. */
static void trim_session(const unsigned char owner[crypto_generichash_BYTES], unsigned keep)
{
	unsigned n = 0;

	for (struct wexport **pp = &held; *pp;) {
		struct wexport *x = *pp;

		if (sodium_memcmp(x->owner, owner, crypto_generichash_BYTES) == 0 && ++n > keep) {
			*pp = x->next;
			wexport_free(x);
		} else {
			pp = &x->next;
		}
	}
}

int web_tmpfile(const char *what)
{
	const char *dir = getenv("TMPDIR");
	char path[4096];
	int fd;

	if (!dir || !*dir)
		dir = "/tmp";
	fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0)
		return fd;
	if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)
		return -errno;
	/* A file system without O_TMPFILE: a named file, unlinked at once. */
	if (snprintf(path, sizeof(path), "%s/aeogate-web-%s-XXXXXX", dir, what) >=
	    (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = mkostemp(path, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	unlink(path);
	return fd;
}

/* The begin args of a table report: {report, from?, to?, at?, within_days?}. */
static json_t *table_args(const struct report_info *r, const json_t *body, char *err, size_t errlen)
{
	static const char *const times[] = {"from", "to", "at", NULL};
	json_t *args = json_pack("{s:s}", "report", r->name), *v;

	for (size_t i = 0; args && times[i]; i++) {
		v = json_object_get(body, times[i]);
		if (!v || json_is_null(v) || (json_is_string(v) && !json_string_length(v)))
			continue;
		if (!json_is_string(v)) {
			snprintf(err, errlen, "'%s' is a UTC time such as 2026-11-28T13:28:11Z",
				 times[i]);
			json_decref(args);
			return NULL;
		}
		json_object_set(args, times[i], v);
	}
	v = json_object_get(body, "within_days");
	if (args && v && !json_is_null(v)) {
		if (!json_is_integer(v)) {
			snprintf(err, errlen, "'within_days' is a number of days");
			json_decref(args);
			return NULL;
		}
		json_object_set(args, "within_days", v);
	}
	return args;
}

/* A time argument: a string or null; anything else is an error. */
static int time_arg(const json_t *body, const char *key, json_t **ret)
{
	const json_t *v = json_object_get(body, key);

	if (!v || json_is_null(v) || (json_is_string(v) && !json_string_length(v))) {
		*ret = json_null();
		return 0;
	}
	if (!json_is_string(v))
		return -EINVAL;
	*ret = json_incref((json_t *)v);
	return 0;
}

int wexport_new(const char *token, const json_t *body, struct wexport **ret, char *err,
		size_t errlen)
{
	static const char *const known[] = {"report", "format",	     "from", "to",
					    "kinds",  "person",	     "zone", "door",
					    "at",     "within_days", NULL};
	const char *report = json_string_value(json_object_get(body, "report"));
	const char *format = json_string_value(json_object_get(body, "format"));
	unsigned char owner[crypto_generichash_BYTES], raw[16];
	struct export_filter check;
	json_t *from, *to, *kinds, *filter, *v;
	struct wexport *x;
	char names[256];
	const char *key;
	int fd;

	json_object_foreach((json_t *)body, key, v)
	{
		bool ok = false;

		for (size_t i = 0; known[i]; i++)
			ok |= !strcmp(known[i], key);
		if (!ok) {
			snprintf(err, errlen, "unknown field '%.64s'", key);
			return -EINVAL;
		}
	}
	x = calloc(1, sizeof(*x));
	if (!x)
		return -ENOMEM;
	x->fd = -1;
	n_held++; /* wexport_free counts it out again */
	if (!format || export_format_parse(format, &x->fmt) < 0) {
		snprintf(err, errlen, "'format' must be \"csv\" or \"jsonl\"");
		goto err_inval;
	}
	if (json_object_get(body, "report") && !json_is_null(json_object_get(body, "report"))) {
		if (!report || !(x->report = reports_find(report))) {
			reports_names(false, names, sizeof(names));
			snprintf(err, errlen, "'report' must be one of %s", names);
			goto err_inval;
		}
		if (json_object_get(body, "kinds") || json_object_get(body, "person") ||
		    json_object_get(body, "zone") || json_object_get(body, "door")) {
			snprintf(err, errlen,
				 "a report takes only 'from', 'to', 'at', 'within_days' and "
				 "'format'");
			goto err_inval;
		}
	}
	if ((!x->report || !x->report->table) &&
	    (json_object_get(body, "at") || json_object_get(body, "within_days"))) {
		snprintf(err, errlen, "'at' and 'within_days' apply to table reports");
		goto err_inval;
	}
	if (x->report && x->report->table) {
		/* The controller checks which parameters the report takes. */
		v = table_args(x->report, body, err, errlen);
		if (!v)
			goto err_inval;
		if (export_pager_new(true, x->fmt, v, NULL, AEOGATE_WEB_EXPORT_FILE_MAX, false,
				     &x->pager) < 0)
			goto err_nomem;
		goto ready;
	}
	if (time_arg(body, "from", &from) < 0 || time_arg(body, "to", &to) < 0) {
		snprintf(err, errlen, "'from' and 'to' are UTC times such as 2026-11-28T13:28:11Z");
		goto err_inval;
	}
	if (x->report) {
		kinds = reports_kinds_json(x->report);
	} else {
		v = json_object_get(body, "kinds");
		kinds = v && !json_is_null(v) ? json_deep_copy(v) : json_array();
	}
	filter = json_pack(
	    "{s:o,s:o,s:o,s:O,s:O}", "from", from, "to", to, "kinds", kinds, "person",
	    json_object_get(body, "person") ? json_object_get(body, "person") : json_null(), "zone",
	    json_object_get(body, "zone") ? json_object_get(body, "zone") : json_null());
	if (!filter)
		goto err_nomem;
	if (json_object_get(body, "door") && !json_is_null(json_object_get(body, "door")))
		json_object_set(filter, "door", json_object_get(body, "door"));
	/* The controller checks the filter again; this catches mistakes before any work. */
	if (export_filter_from_json(filter, &check, err, errlen) < 0) {
		json_decref(filter);
		goto err_inval;
	}
	x->stream_args = json_pack("{s:o,s:s}", "filter", filter, "format", format);
	if (x->stream_args && x->report)
		json_object_set_new(x->stream_args, "report", json_string(x->report->name));
	if (!x->stream_args)
		goto err_nomem;

ready:
	expire();
	owner_of(token, owner);
	/* Room for this one: the session's oldest goes first, others' never. */
	trim_session(owner, AEOGATE_WEB_EXPORTS_PER_SESSION_MAX - 1);
	if (n_held > AEOGATE_WEB_EXPORTS_MAX) {
		wexport_free(x);
		return -EBUSY;
	}
	fd = web_tmpfile("export");
	if (fd < 0) {
		snprintf(err, errlen, "cannot create a temporary file: %s", strerror(-fd));
		wexport_free(x);
		return fd;
	}
	x->fd = fd;
	fd = fcntl(x->fd, F_DUPFD_CLOEXEC, 0);
	x->f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!x->f) {
		if (fd >= 0)
			close(fd);
		snprintf(err, errlen, "cannot open the temporary file");
		wexport_free(x);
		return -EIO;
	}
	memcpy(x->owner, owner, sizeof(owner));
	randombytes_buf(raw, sizeof(raw));
	sodium_bin2hex(x->id, sizeof(x->id), raw, sizeof(raw));
	if (x->pager)
		export_pager_set_file(x->pager, x->f);
	*ret = x;
	return 0;

err_nomem:
	snprintf(err, errlen, "out of memory");
	wexport_free(x);
	return -ENOMEM;
err_inval:
	wexport_free(x);
	return -EINVAL;
}

static bool is_table(const struct wexport *x)
{
	return x->report && x->report->table;
}

static int finish(struct wexport *x, const json_t *seal)
{
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	struct stat st;
	json_t *man;
	char *text;

	if (fflush(x->f) != 0 || ferror(x->f)) {
		fclose(x->f);
		x->f = NULL;
		return -EIO;
	}
	if (fclose(x->f) != 0) {
		x->f = NULL;
		return -EIO;
	}
	x->f = NULL;
	if (fstat(x->fd, &st) < 0)
		return -errno;
	x->size = st.st_size;
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	snprintf(x->file, sizeof(x->file), "aeogate-%s-%s.%s",
		 x->report ? x->report->name : "audit", stamp, export_format_name(x->fmt));
	/* The manifest aeogatectl writes beside FILE, so `audit verify FILE` finds it. */
	man = export_manifest_json(seal, x->fmt, x->file);
	text = man ? json_dumps(man, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
	{
		const json_t *stmt = json_object_get(seal, "statement");

		x->range_first = json_integer_value(json_object_get(stmt, "range_first"));
		x->range_last = json_integer_value(json_object_get(stmt, "range_last"));
		snprintf(x->key_id, sizeof(x->key_id), "%s",
			 json_string_value(json_object_get(stmt, "key_id")) ?: "");
	}
	json_decref(man);
	if (!text)
		return -ENOMEM;
	x->manifest_len = strlen(text);
	if (x->manifest_len + 1 > AEOGATE_MANIFEST_MAX) {
		free(text);
		return -EPROTO;
	}
	x->manifest = malloc(x->manifest_len + 2);
	if (x->manifest)
		memcpy(x->manifest, text, x->manifest_len);
	free(text);
	if (!x->manifest)
		return -ENOMEM;
	x->manifest[x->manifest_len++] = '\n';
	x->manifest[x->manifest_len] = '\0';
	x->expires_ms = now_mono_ms() + AEOGATE_WEB_EXPORT_TTL_S * 1000LL;
	/* The pager counted a table's rows; a stream's are the statement's. */
	x->rows =
	    x->pager
		? export_pager_rows(x->pager)
		: json_integer_value(json_object_get(json_object_get(seal, "statement"), "rows"));
	export_pager_free(x->pager);
	x->pager = NULL;
	json_decref(x->stream_args);
	x->stream_args = NULL;
	x->next = held;
	held = x;
	return 0;
}

/* The steps of a streamed export: ask, take the reply (frames follow), take the trailer. */
static int stream_next(struct wexport *x, const json_t *result, const char **ret_op,
		       json_t **ret_args)
{
	switch (x->stream_step) {
	case 0:
		*ret_op = "audit.export_stream";
		*ret_args = json_incref(x->stream_args);
		x->stream_step = 1;
		return 1;
	case 1:
		if (!json_is_integer(json_object_get(result, "range_last")))
			return -EPROTO;
		x->stream_step = 2;
		return 2;
	case 2:
		if (!json_is_object(json_object_get(result, "statement")) ||
		    !json_is_string(json_object_get(result, "signature")) ||
		    !json_is_string(json_object_get(result, "public_key")))
			return -EPROTO;
		x->stream_step = 3;
		return finish(x, result);
	default:
		return -EINVAL;
	}
}

int wexport_next(struct wexport *x, const json_t *result, const char **ret_op, json_t **ret_args)
{
	int r;

	if (x->stream_args)
		return stream_next(x, result, ret_op, ret_args);
	if (!x->pager)
		return -EINVAL;
	r = export_pager_next(x->pager, result, ret_op, ret_args);
	return r == 0 ? finish(x, export_pager_seal(x->pager)) : r;
}

int wexport_data(struct wexport *x, const char *p, size_t n)
{
	if (x->stream_step != 2 || !x->f)
		return -EINVAL;
	if (x->written + (off_t)n > AEOGATE_WEB_EXPORT_FILE_MAX)
		return -EFBIG;
	if (fwrite(p, 1, n, x->f) != n)
		return -EIO;
	x->written += (off_t)n;
	return 0;
}

json_t *wexport_summary(const struct wexport *x)
{
	char path[80], mpath[96], mfile[128];

	snprintf(path, sizeof(path), "/api/exports/%s/file", x->id);
	snprintf(mpath, sizeof(mpath), "/api/exports/%s/manifest", x->id);
	snprintf(mfile, sizeof(mfile), "%s.manifest.json", x->file);
	return json_pack("{s:s,s:o,s:s,s:s,s:I,s:I,s:I,s:I,s:s,s:s,s:s,s:s,s:s,s:i}", "id", x->id,
			 "report", x->report ? json_string(x->report->name) : json_null(), "type",
			 is_table(x) ? "table" : "events", "format", export_format_name(x->fmt),
			 "rows", (json_int_t)x->rows, "range_first", (json_int_t)x->range_first,
			 "range_last", (json_int_t)x->range_last, "bytes", (json_int_t)x->size,
			 "key_id", x->key_id, "file", x->file, "manifest_file", mfile, "url", path,
			 "manifest_url", mpath, "expires_s", AEOGATE_WEB_EXPORT_TTL_S);
}

int wexport_find(const char *id, const char *token, const struct wexport **ret)
{
	unsigned char owner[crypto_generichash_BYTES];

	expire();
	owner_of(token, owner);
	for (struct wexport *x = held; x; x = x->next) {
		if (strlen(id) != WEB_EXPORT_ID_HEX - 1 ||
		    sodium_memcmp(x->id, id, WEB_EXPORT_ID_HEX - 1) != 0)
			continue;
		if (sodium_memcmp(x->owner, owner, sizeof(owner)) != 0)
			return -EPERM;
		*ret = x;
		return 0;
	}
	return -ENOENT;
}

int wexport_open_file(const struct wexport *x, off_t *ret_size, const char **ret_name,
		      const char **ret_type)
{
	int fd = fcntl(x->fd, F_DUPFD_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	*ret_size = x->size;
	*ret_name = x->file;
	*ret_type = x->fmt == EXPORT_CSV ? "text/csv; charset=utf-8"
					 : "application/x-ndjson; charset=utf-8";
	return fd;
}

const char *wexport_manifest(const struct wexport *x, size_t *ret_len)
{
	*ret_len = x->manifest_len;
	return x->manifest;
}

const char *wexport_file_name(const struct wexport *x)
{
	return x->file;
}

void wexport_forget_session(const char *token)
{
	unsigned char owner[crypto_generichash_BYTES];

	owner_of(token, owner);
	for (struct wexport **pp = &held; *pp;) {
		struct wexport *x = *pp;

		if (sodium_memcmp(x->owner, owner, sizeof(owner)) == 0) {
			*pp = x->next;
			wexport_free(x);
		} else {
			pp = &x->next;
		}
	}
}
