/* SPDX-License-Identifier: MIT */
/*
 * aeogated --verify-db FILE [--pubkey KEY]: a database checked offline
 * (offline.h). The chain is verified from its first kept event to its
 * last, every checkpoint's signature and the event it names, and the last
 * event must be covered by a checkpoint: a backup is signed at its seq.
 */
#include <errno.h>
#include <inttypes.h>
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
	if (cp->seq > c->signed_upto)
		c->signed_upto = cp->seq;
	c->checkpoints++;
	return 0;
}

int offline_verify_db(const char *path, const char *pubkey)
{
	struct db_check c = {0};
	char err[256];
	int r, v, rc = 1;

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
	r = store_open_readonly(path, &c.s, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "%s: %s\n", path, err);
		return 1;
	}
	if ((v = store_user_version(c.s)) != store_schema_version()) {
		fprintf(stderr, "%s: schema version %d, this aeogated's is %d\n", path, v,
			store_schema_version());
		goto out;
	}
	if ((r = store_integrity_check(c.s)) < 0) {
		fprintf(stderr, "%s: integrity check failed: %s\n", path, store_last_error(c.s));
		goto out;
	}
	if (!pubkey && (r = store_device_keys(c.s, key_cb, &c)) < 0) {
		fprintf(stderr, "%s: device keys: %s\n", path, store_last_error(c.s));
		goto out;
	}
	if (!c.nkeys) {
		fprintf(stderr, "%s: the database records no device key; give --pubkey\n", path);
		goto out;
	}
	r = store_event_walk(c.s, 0, INT64_MAX, INT64_MIN, INT64_MAX, event_cb, &c);
	if (r < 0) {
		fprintf(stderr, "%s: events: %s\n", path, store_last_error(c.s));
		goto out;
	}
	if (c.problem[0]) {
		fprintf(stderr, "%s: %s\n", path, c.problem);
		goto out;
	}
	r = store_checkpoint_list(c.s, 0, 0, checkpoint_cb, &c);
	if (r < 0 && !c.problem[0]) {
		fprintf(stderr, "%s: checkpoints: %s\n", path, store_last_error(c.s));
		goto out;
	}
	if (c.problem[0]) {
		fprintf(stderr, "%s: %s\n", path, c.problem);
		goto out;
	}
	if (c.events && c.signed_upto < c.link.seq) {
		fprintf(stderr,
			"%s: seq %" PRId64 "-%" PRId64
			" are not covered by a signed checkpoint (the last signs seq %" PRId64
			")\n",
			path, c.signed_upto + 1, c.link.seq, c.signed_upto);
		goto out;
	}
	printf("%s: ok: %" PRId64 " events, seq %" PRId64 "-%" PRId64 ", %" PRId64
	       " checkpoints verified, signed at seq %" PRId64 "; key %s%s\n",
	       path, c.events, c.events ? c.first : 0, c.events ? c.link.seq : 0, c.checkpoints,
	       c.signed_upto, c.keys[c.nkeys - 1].id,
	       c.pinned
		   ? " (pinned)"
		   : " (not pinned: the key recorded in the database; give --pubkey to pin it)");
	rc = 0;
out:
	store_close(c.s);
	return rc;
}
