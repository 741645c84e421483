/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <syslog.h>

#include "aeogate/limits.h"
#include "audit-internal.h"
#include "checkpoint.h"
#include "core.h"
#include "util.h"

static void devkey_fill(struct devkey *k)
{
	sodium_bin2hex(k->pk_hex, sizeof(k->pk_hex), k->pk, DEVKEY_PK_BYTES);
	devkey_id(k->pk, k->id);
}

/* Writes all of buf or fails. */
static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int write_pub(const char *state_dir, const struct devkey *k)
{
	char path[PATH_MAX], line[DEVKEY_PK_HEX + 1];
	int fd, r;

	if (snprintf(path, sizeof(path), "%s/device.pub", state_dir) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return -errno;
	snprintf(line, sizeof(line), "%s\n", k->pk_hex);
	r = write_all(fd, line, strlen(line));
	if (close(fd) < 0 && r == 0)
		r = -errno;
	return r;
}

static int create_key(const char *path, struct devkey *k)
{
	int fd, r;

	/* O_EXCL: two controllers racing on one state directory must not both win. */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	crypto_sign_keypair(k->pk, k->sk);
	r = write_all(fd, k->sk, DEVKEY_SK_BYTES);
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r < 0)
		unlink(path);
	return r;
}

static int load_key(const char *path, struct devkey *k)
{
	struct stat st;
	ssize_t n;
	int fd, r = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		r = -errno;
		goto out;
	}
	/* A signing key others can read signs nothing an auditor should trust. */
	if (st.st_mode & 0077) {
		r = -EPERM;
		goto out;
	}
	if (st.st_size != DEVKEY_SK_BYTES) {
		r = -EBADMSG;
		goto out;
	}
	n = read(fd, k->sk, DEVKEY_SK_BYTES);
	if (n != DEVKEY_SK_BYTES) {
		r = n < 0 ? -errno : -EBADMSG;
		goto out;
	}
	/* The secret key carries its public half; check they belong together. */
	crypto_sign_ed25519_sk_to_pk(k->pk, k->sk);
	{
		unsigned char seed[crypto_sign_SEEDBYTES], pk2[DEVKEY_PK_BYTES],
		    sk2[DEVKEY_SK_BYTES];

		crypto_sign_ed25519_sk_to_seed(seed, k->sk);
		crypto_sign_seed_keypair(pk2, sk2, seed);
		if (memcmp(pk2, k->pk, DEVKEY_PK_BYTES) != 0)
			r = -EBADMSG;
		sodium_memzero(seed, sizeof(seed));
		sodium_memzero(sk2, sizeof(sk2));
	}
out:
	close(fd);
	return r;
}

int devkey_load_or_create(const char *state_dir, struct devkey *ret, bool *ret_created)
{
	char path[PATH_MAX];
	struct devkey k = {0};
	bool created = false;
	int r;

	if (sodium_init() < 0)
		return -EIO;
	if (snprintf(path, sizeof(path), "%s/device.key", state_dir) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	r = load_key(path, &k);
	if (r == -ENOENT) {
		r = create_key(path, &k);
		created = r == 0;
		if (r == -EEXIST)
			r = load_key(path, &k);
	}
	if (r < 0) {
		sodium_memzero(&k, sizeof(k));
		return r;
	}
	devkey_fill(&k);
	/* device.pub is a convenience copy; the key file is the truth, so rewrite it each start. */
	r = write_pub(state_dir, &k);
	if (r < 0) {
		sodium_memzero(&k, sizeof(k));
		return r;
	}
	*ret = k;
	sodium_memzero(&k, sizeof(k));
	if (ret_created)
		*ret_created = created;
	return 0;
}

int devkey_sign(const struct devkey *k, const void *msg, size_t len, char ret_sig[DEVKEY_SIG_HEX])
{
	unsigned char sig[crypto_sign_BYTES];

	if (crypto_sign_detached(sig, NULL, msg, len, k->sk) != 0)
		return -EIO;
	sodium_bin2hex(ret_sig, DEVKEY_SIG_HEX, sig, sizeof(sig));
	return 0;
}

int checkpoint_sign(const struct devkey *k, int64_t seq, const char *hash, int64_t ts_ms,
		    struct checkpoint *ret)
{
	struct checkpoint cp = {.seq = seq, .ts_ms = ts_ms};
	char msg[160];
	int n, r;

	if (!hash || strlen(hash) != EVENT_HASH_HEX - 1)
		return -EINVAL;
	n = checkpoint_message(seq, hash, ts_ms, msg, sizeof(msg));
	if (n < 0)
		return n;
	r = devkey_sign(k, msg, (size_t)n, cp.signature);
	if (r < 0)
		return r;
	memcpy(cp.hash, hash, EVENT_HASH_HEX);
	memcpy(cp.key_id, k->id, DEVKEY_ID_HEX);
	*ret = cp;
	return 0;
}

int checkpoint_verify(const unsigned char pk[DEVKEY_PK_BYTES], const struct checkpoint *cp)
{
	return checkpoint_sig_verify(pk, cp->seq, cp->hash, cp->ts_ms, cp->signature);
}

/* ---- the signed head record ---- */

static bool is_lower_hex(const char *s, size_t n)
{
	if (strlen(s) != n)
		return false;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return false;
	return true;
}

static int head_message(int64_t seq, const char *hash, const char *ts, char *buf, size_t len)
{
	int n = snprintf(buf, len, "aeogate-head-v1\n%" PRId64 "\n%s\n%s", seq, hash, ts);

	return n < 0 || (size_t)n >= len ? -ENOBUFS : n;
}

int head_sign(const struct devkey *k, int64_t seq, const char *hash, int64_t ts_ms,
	      struct head_record *ret)
{
	struct head_record h = {.seq = seq};
	char msg[160];
	int n, r;

	if (seq < 1 || !hash || !is_lower_hex(hash, EVENT_HASH_HEX - 1))
		return -EINVAL;
	memcpy(h.hash, hash, EVENT_HASH_HEX);
	time_format_ms(ts_ms, h.ts, sizeof(h.ts));
	n = head_message(seq, h.hash, h.ts, msg, sizeof(msg));
	if (n < 0)
		return n;
	r = devkey_sign(k, msg, (size_t)n, h.signature);
	if (r < 0)
		return r;
	memcpy(h.key_id, k->id, DEVKEY_ID_HEX);
	*ret = h;
	return 0;
}

/* Whether id is pk's key id. */
static bool key_id_matches(const unsigned char pk[DEVKEY_PK_BYTES], const char *id)
{
	char want[DEVKEY_ID_HEX];

	devkey_id(pk, want);
	return strcmp(want, id) == 0;
}

int head_verify(const unsigned char pk[DEVKEY_PK_BYTES], const struct head_record *h)
{
	char msg[160];
	int n;

	if (!key_id_matches(pk, h->key_id))
		return -EBADMSG;
	n = head_message(h->seq, h->hash, h->ts, msg, sizeof(msg));
	if (n < 0)
		return -EBADMSG;
	return sig_verify(pk, msg, (size_t)n, h->signature) == 0 ? 0 : -EBADMSG;
}

static int head_paths(const char *state_dir, char path[PATH_MAX], char tmp[PATH_MAX])
{
	if (snprintf(path, PATH_MAX, "%s/" HEAD_FILE, state_dir) >= PATH_MAX ||
	    snprintf(tmp, PATH_MAX, "%s/" HEAD_FILE ".tmp", state_dir) >= PATH_MAX)
		return -ENAMETOOLONG;
	return 0;
}

int head_write(const char *state_dir, const struct head_record *h)
{
	char path[PATH_MAX], tmp[PATH_MAX], text[AEOGATE_HEAD_RECORD_MAX];
	int fd, dfd, n, r;

	if ((r = head_paths(state_dir, path, tmp)) < 0)
		return r;
	n = snprintf(text, sizeof(text),
		     "aeogate-head-v1\nseq %" PRId64 "\nhash %s\nts %s\nkey_id %s\nsignature %s\n",
		     h->seq, h->hash, h->ts, h->key_id, h->signature);
	if (n < 0 || (size_t)n >= sizeof(text))
		return -ENOBUFS;
	/* A temporary file a crash left behind (with whatever mode) is not reused. */
	if (unlink(tmp) < 0 && errno != ENOENT)
		return -errno;
	/* 0640 at most: the umask can only take bits away. */
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0640);
	if (fd < 0)
		return -errno;
	r = write_all(fd, text, (size_t)n);
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0) {
		unlink(tmp);
		return r;
	}
	/* The rename itself must survive a power cut too. */
	dfd = open(state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	r = fsync(dfd) < 0 ? -errno : 0;
	close(dfd);
	return r;
}

/* Takes the line "<name> <value>\n" at *p, copying value (at most len - 1 bytes). */
static int head_line(char **p, const char *name, char *value, size_t len)
{
	size_t nl = strlen(name), vl;
	char *end;

	if (strncmp(*p, name, nl) != 0 || (*p)[nl] != ' ')
		return -EBADMSG;
	end = strchr(*p + nl + 1, '\n');
	if (!end)
		return -EBADMSG;
	vl = (size_t)(end - (*p + nl + 1));
	if (vl == 0 || vl >= len)
		return -EBADMSG;
	memcpy(value, *p + nl + 1, vl);
	value[vl] = '\0';
	*p = end + 1;
	return 0;
}

static int parse_seq(const char *s, int64_t *ret)
{
	int64_t v = 0;

	if (!*s || *s == '0')
		return -EBADMSG;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > (INT64_MAX - (*s - '0')) / 10)
			return -EBADMSG;
		v = v * 10 + (*s - '0');
	}
	*ret = v;
	return 0;
}

/* Whether ts is exactly the text time_format_ms gives for some time. */
static bool ts_is_canonical(const char *ts)
{
	char again[HEAD_TS];
	int64_t ms;

	if (time_parse_ms(ts, &ms) < 0)
		return false;
	time_format_ms(ms, again, sizeof(again));
	return strcmp(again, ts) == 0;
}

int head_read(const char *state_dir, struct head_record *ret)
{
	char path[PATH_MAX], tmp[PATH_MAX], text[AEOGATE_HEAD_RECORD_MAX + 1], seq[24], *p;
	struct head_record h = {0};
	ssize_t n;
	size_t got = 0;
	int fd, r;

	if ((r = head_paths(state_dir, path, tmp)) < 0)
		return r;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errno == ELOOP ? -EBADMSG : -errno;
	/* One byte more than the bound tells a file that is too large. */
	while (got < sizeof(text) - 1) {
		n = read(fd, text + got, sizeof(text) - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			close(fd);
			return r;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (got > AEOGATE_HEAD_RECORD_MAX)
		return -EBADMSG;
	text[got] = '\0';
	if (strlen(text) != got)
		return -EBADMSG;
	p = text;
	if (strncmp(p, "aeogate-head-v1\n", 16) != 0)
		return -EBADMSG;
	p += 16;
	if (head_line(&p, "seq", seq, sizeof(seq)) < 0 || parse_seq(seq, &h.seq) < 0 ||
	    head_line(&p, "hash", h.hash, sizeof(h.hash)) < 0 ||
	    !is_lower_hex(h.hash, EVENT_HASH_HEX - 1) ||
	    head_line(&p, "ts", h.ts, sizeof(h.ts)) < 0 || !ts_is_canonical(h.ts) ||
	    head_line(&p, "key_id", h.key_id, sizeof(h.key_id)) < 0 ||
	    !is_lower_hex(h.key_id, DEVKEY_ID_HEX - 1) ||
	    head_line(&p, "signature", h.signature, sizeof(h.signature)) < 0 ||
	    !is_lower_hex(h.signature, DEVKEY_SIG_HEX - 1) || *p != '\0')
		return -EBADMSG;
	*ret = h;
	return 0;
}

/* ---- witnesses and truncation records ---- */

void witness_from_head(const struct head_record *h, struct witness *ret)
{
	struct witness w = {.type = "head", .seq = h->seq};

	memcpy(w.hash, h->hash, sizeof(w.hash));
	memcpy(w.ts, h->ts, sizeof(w.ts));
	memcpy(w.key_id, h->key_id, sizeof(w.key_id));
	memcpy(w.signature, h->signature, sizeof(w.signature));
	*ret = w;
}

void witness_from_checkpoint(const struct checkpoint *cp, struct witness *ret)
{
	struct witness w = {.type = "checkpoint", .seq = cp->seq};

	memcpy(w.hash, cp->hash, sizeof(w.hash));
	time_format_ms(cp->ts_ms, w.ts, sizeof(w.ts));
	memcpy(w.key_id, cp->key_id, sizeof(w.key_id));
	memcpy(w.signature, cp->signature, sizeof(w.signature));
	*ret = w;
}

int witness_verify(const unsigned char pk[DEVKEY_PK_BYTES], const struct witness *w)
{
	if (!strcmp(w->type, "head")) {
		struct head_record h = {.seq = w->seq};

		memcpy(h.hash, w->hash, sizeof(h.hash));
		memcpy(h.ts, w->ts, sizeof(h.ts));
		memcpy(h.key_id, w->key_id, sizeof(h.key_id));
		memcpy(h.signature, w->signature, sizeof(h.signature));
		return head_verify(pk, &h);
	}
	if (!strcmp(w->type, "checkpoint")) {
		struct checkpoint cp = {.seq = w->seq};

		if (!key_id_matches(pk, w->key_id) || !ts_is_canonical(w->ts) ||
		    time_parse_ms(w->ts, &cp.ts_ms) < 0)
			return -EBADMSG;
		memcpy(cp.hash, w->hash, sizeof(cp.hash));
		memcpy(cp.signature, w->signature, sizeof(cp.signature));
		return checkpoint_verify(pk, &cp);
	}
	return -EBADMSG;
}

json_t *truncation_detail(int64_t first, const struct witness *w)
{
	return json_pack("{s:I,s:I,s:s,s:{s:s,s:I,s:s,s:s,s:s}}", "first", (json_int_t)first,
			 "last", (json_int_t)w->seq, "signature", w->signature, "witness", "type",
			 w->type, "seq", (json_int_t)w->seq, "hash", w->hash, "ts", w->ts, "key_id",
			 w->key_id);
}

/* Copies a string member of o into buf; false when absent or too long. */
static bool str_member(const json_t *o, const char *key, char *buf, size_t len)
{
	const char *v = json_string_value(json_object_get(o, key));

	if (!v || strlen(v) >= len)
		return false;
	memcpy(buf, v, strlen(v) + 1);
	return true;
}

int truncation_check(const unsigned char pk[DEVKEY_PK_BYTES], int64_t prev_seq,
		     const struct event *e, struct witness *ret)
{
	struct witness w = {0};
	json_t *d, *wj;
	int64_t first, last;
	bool ok;

	if (!e->kind || strcmp(e->kind, "audit.truncated") != 0 || !e->detail)
		return -EBADMSG;
	d = json_loads(e->detail, JSON_REJECT_DUPLICATES, NULL);
	wj = json_object_get(d, "witness");
	first = json_integer_value(json_object_get(d, "first"));
	last = json_integer_value(json_object_get(d, "last"));
	w.seq = json_integer_value(json_object_get(wj, "seq"));
	ok = json_is_integer(json_object_get(d, "first")) &&
	     json_is_integer(json_object_get(d, "last")) &&
	     str_member(d, "signature", w.signature, sizeof(w.signature)) &&
	     str_member(wj, "type", w.type, sizeof(w.type)) &&
	     str_member(wj, "hash", w.hash, sizeof(w.hash)) &&
	     str_member(wj, "ts", w.ts, sizeof(w.ts)) &&
	     str_member(wj, "key_id", w.key_id, sizeof(w.key_id));
	json_decref(d);
	/* Exactly the gap in front of it, anchored where the chain goes on. */
	if (!ok || first != prev_seq + 1 || last != e->seq - 1 || first > last || w.seq != last ||
	    strcmp(w.hash, e->prev) != 0 || witness_verify(pk, &w) != 0)
		return -EBADMSG;
	if (ret)
		*ret = w;
	return 0;
}

/* ---- the service's checkpoints (struct audit) ---- */

/*
 * The checkpoint line in the journal: a witness outside the database, so a
 * database and a head record rolled back together still disagree with it.
 */
void audit_report_checkpoint(struct audit *a, const struct checkpoint *cp)
{
	char ts[32];

	time_format_ms(cp->ts_ms, ts, sizeof(ts));
	audit_report(a, LOG_INFO, "checkpoint seq=%" PRId64 " hash=%s sig=%s ts=%s key=%s", cp->seq,
		     cp->hash, cp->signature, ts, cp->key_id);
}

int audit_checkpoint_at(struct audit *a, int64_t seq, const char *hash, struct checkpoint *ret)
{
	struct checkpoint cp;
	int r;

	/* A checkpoint vouches that alarms up to it are recorded: catch up first. */
	if (a->alarm_backlog) {
		r = audit_alarms_raise_after(a, a->last_cp_seq);
		if (r < 0)
			return r;
		a->alarm_backlog = false;
	}

	r = checkpoint_sign(&a->key, seq, hash, core_wall_ms(a->core), &cp);
	if (r < 0)
		return r;
	r = store_checkpoint_add(core_store(a->core), &cp);
	if (r < 0)
		return r;
	audit_report_checkpoint(a, &cp);
	audit_head_advance(a, seq, hash);
	if (seq > a->last_cp_seq) {
		a->last_cp_seq = seq;
		a->events_since_cp = 0;
	}
	a->last_cp_mono = core_mono_ms(a->core);
	if (ret)
		*ret = cp;
	return 0;
}

int audit_checkpoint_head(struct audit *a, struct checkpoint *ret)
{
	char hash[EVENT_HASH_HEX];
	int64_t seq;
	int r = store_event_last(core_store(a->core), &seq, hash);

	if (r < 0)
		return r;
	return audit_checkpoint_at(a, seq, hash, ret);
}
