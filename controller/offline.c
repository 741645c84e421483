/* SPDX-License-Identifier: MIT */
/*
 * aeogated --verify-db FILE [--pubkey KEY]: a database checked offline
 * (offline.h). The chain is verified from its first kept event to its
 * last, every checkpoint's signature and the event it names, and the last
 * event must be covered by a checkpoint: a backup is signed at its seq.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain.h"
#include "checkpoint.h"
#include "offline.h"
#include "store.h"

#define KEYS_MAX 16

struct db_check {
	struct store *s;
	struct audit_verifier link;
	int64_t first, events, checkpoints, signed_upto;
	bool pinned;
	int nkeys;
	struct {
		char id[DEVKEY_ID_HEX];
		unsigned char pk[DEVKEY_PK_BYTES];
	} keys[KEYS_MAX];
	char signed_by[DEVKEY_ID_HEX]; /* the key of the newest checkpoint */
	char problem[512];
};

/* 64 hex digits, or a file whose first line holds them (device.pub). */
static int parse_pubkey(const char *arg, unsigned char pk[DEVKEY_PK_BYTES])
{
	char line[256] = "";
	FILE *f;

	if (strlen(arg) == 2 * DEVKEY_PK_BYTES && devkey_pk_from_hex(arg, pk) == 0)
		return 0;
	f = fopen(arg, "re");
	if (!f)
		return -errno;
	if (!fgets(line, sizeof(line), f))
		line[0] = '\0';
	fclose(f);
	line[strcspn(line, " \t\r\n")] = '\0';
	return devkey_pk_from_hex(line, pk) == 0 ? 0 : -EINVAL;
}

static int key_cb(const char *id, const char *hex, int64_t first_ms, void *userdata)
{
	struct db_check *c = userdata;

	(void)first_ms;
	if (c->nkeys >= KEYS_MAX || !id || !hex ||
	    devkey_pk_from_hex(hex, c->keys[c->nkeys].pk) < 0)
		return 0;
	devkey_id(c->keys[c->nkeys].pk, c->keys[c->nkeys].id);
	/* A row whose id is not its key's names nothing. */
	if (strcmp(c->keys[c->nkeys].id, id) == 0)
		c->nkeys++;
	return 0;
}

static int event_cb(const struct event *e, void *userdata)
{
	struct db_check *c = userdata;
	int r = audit_verify_next(&c->link, e);

	if (r == -EPIPE && e->seq != c->link.seq + 1) {
		snprintf(c->problem, sizeof(c->problem),
			 "seq %" PRId64 ": missing after seq %" PRId64, c->link.seq + 1,
			 c->link.seq);
		return 1;
	}
	if (r == -EPIPE) {
		snprintf(c->problem, sizeof(c->problem),
			 "seq %" PRId64 ": does not follow seq %" PRId64
			 " in the chain: an event was altered, inserted or reordered",
			 e->seq, c->link.seq);
		return 1;
	}
	if (r < 0) {
		snprintf(c->problem, sizeof(c->problem),
			 "seq %" PRId64 ": content does not match its hash: the event was altered",
			 e->seq);
		return 1;
	}
	if (!c->events)
		c->first = e->seq;
	c->events++;
	return 0;
}

static int checkpoint_cb(const struct checkpoint *cp, void *userdata)
{
	struct db_check *c = userdata;
	const unsigned char *pk = NULL;
	struct event e;

	for (int i = 0; i < c->nkeys; i++)
		if (!strcmp(c->keys[i].id, cp->key_id))
			pk = c->keys[i].pk;
	if (!pk) {
		snprintf(c->problem, sizeof(c->problem),
			 "checkpoint %" PRId64 " (seq %" PRId64 ") is signed by key %s, %s", cp->id,
			 cp->seq, cp->key_id,
			 c->pinned ? "not the key given" : "which the database does not record");
		return 1;
	}
	if (checkpoint_verify(pk, cp) < 0) {
		snprintf(c->problem, sizeof(c->problem),
			 "checkpoint %" PRId64 " (seq %" PRId64 "): bad signature", cp->id,
			 cp->seq);
		return 1;
	}
	/* Checkpoints of pruned events sign what is gone; the kept ones must match. */
	if (c->events && cp->seq >= c->first && cp->seq <= c->link.seq) {
		if (store_event_get(c->s, cp->seq, &e) < 0) {
			snprintf(c->problem, sizeof(c->problem),
				 "checkpoint %" PRId64 ": seq %" PRId64 " cannot be read", cp->id,
				 cp->seq);
			return 1;
		}
		bool same = !strcmp(e.hash, cp->hash);

		event_clear(&e);
		if (!same) {
			snprintf(c->problem, sizeof(c->problem),
				 "checkpoint %" PRId64 " signs seq %" PRId64
				 " with another hash: the chain was rewritten",
				 cp->id, cp->seq);
			return 1;
		}
	}
	if (cp->seq >= c->signed_upto) {
		c->signed_upto = cp->seq;
		snprintf(c->signed_by, sizeof(c->signed_by), "%s", cp->key_id);
	}
	c->checkpoints++;
	return 0;
}

/*
 * The checks of offline_verify_db into *c (its keys filled by the caller
 * when pinned). 0 when all pass; 1 after printing the problem to stderr.
 */
static int check_db(const char *path, struct db_check *c)
{
	char err[256];
	int r, v;

	r = store_open_readonly(path, &c->s, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "%s: %s\n", path, err);
		return 1;
	}
	if ((v = store_user_version(c->s)) != store_schema_version()) {
		fprintf(stderr, "%s: schema version %d, this aeogated's is %d\n", path, v,
			store_schema_version());
		return 1;
	}
	if ((r = store_integrity_check(c->s)) < 0) {
		fprintf(stderr, "%s: integrity check failed: %s\n", path, store_last_error(c->s));
		return 1;
	}
	if (!c->pinned && (r = store_device_keys(c->s, key_cb, c)) < 0) {
		fprintf(stderr, "%s: device keys: %s\n", path, store_last_error(c->s));
		return 1;
	}
	if (!c->nkeys) {
		fprintf(stderr, "%s: the database records no device key; give --pubkey\n", path);
		return 1;
	}
	r = store_event_walk(c->s, 0, INT64_MAX, INT64_MIN, INT64_MAX, event_cb, c);
	if (r < 0 && !c->problem[0]) {
		fprintf(stderr, "%s: events: %s\n", path, store_last_error(c->s));
		return 1;
	}
	if (!c->problem[0]) {
		r = store_checkpoint_list(c->s, 0, 0, checkpoint_cb, c);
		if (r < 0 && !c->problem[0]) {
			fprintf(stderr, "%s: checkpoints: %s\n", path, store_last_error(c->s));
			return 1;
		}
	}
	if (c->problem[0]) {
		fprintf(stderr, "%s: %s\n", path, c->problem);
		return 1;
	}
	if (c->events && c->signed_upto < c->link.seq) {
		fprintf(stderr,
			"%s: seq %" PRId64 "-%" PRId64
			" are not covered by a signed checkpoint (the last signs seq %" PRId64
			")\n",
			path, c->signed_upto + 1, c->link.seq, c->signed_upto);
		return 1;
	}
	return 0;
}

int offline_verify_db(const char *path, const char *pubkey)
{
	struct db_check c = {0};
	int r, rc;

	if (pubkey) {
		if ((r = parse_pubkey(pubkey, c.keys[0].pk)) < 0) {
			fprintf(stderr,
				"--pubkey: '%s' is neither 64 hex digits nor a file holding them "
				"(%s)\n",
				pubkey, strerror(-r));
			return 2;
		}
		devkey_id(c.keys[0].pk, c.keys[0].id);
		c.nkeys = 1;
		c.pinned = true;
	}
	rc = check_db(path, &c);
	if (rc == 0)
		printf("%s: ok: %" PRId64 " events, seq %" PRId64 "-%" PRId64 ", %" PRId64
		       " checkpoints verified, signed at seq %" PRId64 " by key %s%s\n",
		       path, c.events, c.events ? c.first : 0, c.events ? c.link.seq : 0,
		       c.checkpoints, c.signed_upto, c.signed_by,
		       c.pinned
			   ? " (pinned)"
			   : " (not pinned: the key recorded in the database; give --pubkey to "
			     "pin it)");
	store_close(c.s);
	return rc;
}

/* ---- restore ---- */

/*
 * The pid of a process holding SQLite's locks on db (its shared range on
 * the file, or the -shm "dead man switch" byte every WAL connection keeps
 * read-locked while it has the database open); 0 when none.
 */
static pid_t db_holder(const char *db)
{
	char shm[PATH_MAX + 32];
	struct {
		const char *path;
		off_t start, len;
	} probes[] = {{db, 0x40000000, 512}, {shm, 128, 1}};
	pid_t pid = 0;

	snprintf(shm, sizeof(shm), "%s-shm", db);
	for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]) && !pid; i++) {
		struct flock fl = {.l_type = F_WRLCK,
				   .l_whence = SEEK_SET,
				   .l_start = probes[i].start,
				   .l_len = probes[i].len};
		int fd = open(probes[i].path, O_RDONLY | O_CLOEXEC);

		if (fd < 0)
			continue;
		if (fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK)
			pid = fl.l_pid ? fl.l_pid : -1;
		close(fd);
	}
	return pid;
}

/* The state directory's device key id from its device.pub; false when it has none. */
static bool state_key_id(const char *state_dir, char id[DEVKEY_ID_HEX])
{
	char path[PATH_MAX + 16];
	unsigned char pk[DEVKEY_PK_BYTES];

	snprintf(path, sizeof(path), "%s/device.pub", state_dir);
	if (parse_pubkey(path, pk) < 0)
		return false;
	devkey_id(pk, id);
	return true;
}

static int copy_file(const char *from, const char *to, const struct stat *owner)
{
	char buf[1 << 16];
	int in = open(from, O_RDONLY | O_CLOEXEC), out, r = 0;
	ssize_t n;

	if (in < 0)
		return -errno;
	out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0640);
	if (out < 0) {
		r = -errno;
		close(in);
		return r;
	}
	/* Root restoring for the service: the file is the state directory owner's. */
	if (geteuid() == 0 && fchown(out, owner->st_uid, owner->st_gid) < 0)
		r = -errno;
	while (r == 0 && (n = read(in, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || write(out, buf, (size_t)n) != n) {
			r = n < 0 ? -errno : -EIO;
			break;
		}
	}
	if (r == 0 && fsync(out) < 0)
		r = -errno;
	if (close(out) < 0 && r == 0)
		r = -errno;
	close(in);
	if (r < 0)
		unlink(to);
	return r;
}

/* Renames state_dir/name to state_dir/name-with-suffix when it exists; 0, or negative errno. */
static int move_aside(const char *state_dir, const char *name, const char *aside)
{
	char from[PATH_MAX + 32], to[PATH_MAX + 64];

	snprintf(from, sizeof(from), "%s/%s", state_dir, name);
	snprintf(to, sizeof(to), "%s/%s", state_dir, aside);
	if (rename(from, to) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

int offline_restore(const char *file, const char *state_dir, bool other_device)
{
	char db[PATH_MAX], tmp[PATH_MAX + 32], marker[PATH_MAX + 32], stamp[32];
	char aside[96], aside_wal[112], aside_shm[112], head_aside[96], here[DEVKEY_ID_HEX];
	struct db_check c = {0};
	struct stat st, dst;
	bool have_key, had_db, same;
	json_t *note;
	time_t now = time(NULL);
	struct tm tm;
	pid_t pid;
	int r, rc = 1;

	if (stat(state_dir, &dst) < 0 || !S_ISDIR(dst.st_mode)) {
		fprintf(stderr, "%s: not a directory\n", state_dir);
		return 1;
	}
	snprintf(db, sizeof(db), "%s/aeogate.db", state_dir);
	if ((pid = db_holder(db)) != 0) {
		fprintf(stderr,
			"%s is open in a running process (pid %d): stop aeogated first; nothing "
			"was replaced\n",
			db, (int)pid);
		return 1;
	}
	/* Everything is checked before anything is replaced. */
	if (check_db(file, &c) != 0) {
		fprintf(stderr, "%s: refused; nothing was replaced\n", file);
		goto out;
	}
	have_key = state_key_id(state_dir, here);
	same = have_key && !strcmp(here, c.signed_by);
	if (!same && !other_device) {
		fprintf(stderr,
			"%s: signed by device key %s; %s holds %s%s: a restore onto another device "
			"needs --other-device; nothing was replaced\n",
			file, c.signed_by[0] ? c.signed_by : "(none)", state_dir,
			have_key ? "key " : "no device key", have_key ? here : "");
		goto out;
	}
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	snprintf(aside, sizeof(aside), "aeogate.db.replaced-%s", stamp);
	snprintf(aside_wal, sizeof(aside_wal), "%s-wal", aside);
	snprintf(aside_shm, sizeof(aside_shm), "%s-shm", aside);
	snprintf(head_aside, sizeof(head_aside), "head.sig.replaced-%s", stamp);
	snprintf(tmp, sizeof(tmp), "%s.restoring", db);
	unlink(tmp);
	if ((r = copy_file(file, tmp, &dst)) < 0) {
		fprintf(stderr, "%s: cannot copy: %s; nothing was replaced\n", tmp, strerror(-r));
		goto out;
	}
	had_db = stat(db, &st) == 0;
	/* The replaced database stays, whole (its -wal with it), under another name. */
	if ((r = move_aside(state_dir, "aeogate.db-wal", aside_wal)) < 0 ||
	    (r = move_aside(state_dir, "aeogate.db-shm", aside_shm)) < 0 ||
	    (r = move_aside(state_dir, "aeogate.db", aside)) < 0) {
		fprintf(stderr, "%s: cannot keep the database aside: %s\n", state_dir,
			strerror(-r));
		unlink(tmp);
		goto out;
	}
	/* Another device's head record witnesses another log: kept aside too. */
	if (!same && (r = move_aside(state_dir, "head.sig", head_aside)) < 0) {
		fprintf(stderr, "%s/head.sig: cannot keep it aside: %s\n", state_dir, strerror(-r));
		goto out;
	}
	if (rename(tmp, db) < 0) {
		fprintf(stderr, "%s: %m\n", db);
		goto out;
	}
	/* What the first event after start records (system.start's detail.restored). */
	note = json_pack("{s:s,s:I,s:s,s:s?,s:b,s:s?}", "file", file, "seq",
			 (json_int_t)(c.events ? c.link.seq : 0), "previous_key_id", c.signed_by,
			 "key_id", have_key ? here : NULL, "other_device", !same, "replaced",
			 had_db ? aside : NULL);
	snprintf(marker, sizeof(marker), "%s/" RESTORED_FILE, state_dir);
	if (!note || json_dump_file(note, marker, JSON_COMPACT | JSON_SORT_KEYS) < 0) {
		fprintf(stderr, "%s: cannot write: the restore will not be recorded at start\n",
			marker);
	} else {
		/* aeogated (its own user) reads and removes the note at start. */
		if (chmod(marker, 0640) < 0 ||
		    (geteuid() == 0 && chown(marker, dst.st_uid, dst.st_gid) < 0))
			fprintf(stderr, "%s: cannot give it to the database's owner: %s\n", marker,
				strerror(errno));
	}
	json_decref(note);
	{
		int dfd = open(state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (dfd >= 0) {
			(void)fsync(dfd);
			close(dfd);
		}
	}
	printf("restored %s (seq %" PRId64 ", signed by key %s) into %s%s%s%s\n", file,
	       c.events ? c.link.seq : 0, c.signed_by, db,
	       had_db ? "; the replaced database is kept as " : "", had_db ? state_dir : "",
	       had_db ? "/" : "");
	if (had_db)
		printf("%s\n", aside);
	rc = 0;
out:
	store_close(c.s);
	return rc;
}

int offline_restored_note(const char *state_dir, char *buf, size_t len)
{
	char path[PATH_MAX + 32];
	json_t *j;
	char *text;
	int r = 0;

	snprintf(path, sizeof(path), "%s/" RESTORED_FILE, state_dir);
	j = json_load_file(path, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(j)) {
		json_decref(j);
		return 0;
	}
	text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	if (text && strlen(text) < len) {
		memcpy(buf, text, strlen(text) + 1);
		r = 1;
	}
	free(text);
	json_decref(j);
	return r;
}

void offline_restored_done(const char *state_dir)
{
	char path[PATH_MAX + 32];

	snprintf(path, sizeof(path), "%s/" RESTORED_FILE, state_dir);
	unlink(path);
}
