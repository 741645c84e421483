/* SPDX-License-Identifier: MIT */
/*
 * The hash chain's one definition, shared by aeogated (appending, live
 * verification, pruning) and aeogatectl (offline verification): the
 * canonical encoding, the hash, and the link check.
 */
#include <errno.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain.h"
#include "util.h"

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

json_t *event_to_json(const struct event *e)
{
	char ts[32];
	json_t *o = json_object();

	if (!o)
		return NULL;
	time_format_ms(e->ts_ms, ts, sizeof(ts));
	json_object_set_new(o, "seq", json_integer(e->seq));
	json_object_set_new(o, "ts", json_string(ts));
	json_object_set_new(o, "kind", str_or_null(e->kind));
	json_object_set_new(o, "door", str_or_null(e->door));
	json_object_set_new(o, "reader", str_or_null(e->reader));
	json_object_set_new(o, "zone", str_or_null(e->zone));
	json_object_set_new(o, "person", str_or_null(e->person));
	json_object_set_new(o, "credential", str_or_null(e->credential));
	json_object_set_new(o, "reason", str_or_null(e->reason));
	if (e->detail) {
		json_t *d = json_loads(e->detail, JSON_REJECT_DUPLICATES, NULL);
		/* Detail we wrote is always an object; anything else is kept as text. */
		json_object_set_new(o, "detail", d ? d : json_string(e->detail));
	}
	json_object_set_new(o, "prev", json_string(e->prev));
	json_object_set_new(o, "hash", json_string(e->hash));
	return o;
}

static const char *jstr(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

int event_from_json(const json_t *o, struct event *e, char **ret_detail)
{
	const json_t *seq = json_object_get(o, "seq"), *detail = json_object_get(o, "detail");
	const char *ts = jstr(o, "ts");

	memset(e, 0, sizeof(*e));
	*ret_detail = NULL;
	if (!json_is_integer(seq) || json_integer_value(seq) <= 0)
		return -EINVAL;
	e->seq = json_integer_value(seq);
	e->kind = jstr(o, "kind");
	e->door = jstr(o, "door");
	e->reader = jstr(o, "reader");
	e->zone = jstr(o, "zone");
	e->person = jstr(o, "person");
	e->credential = jstr(o, "credential");
	e->reason = jstr(o, "reason");
	if (json_is_string(detail))
		e->detail = json_string_value(detail);
	else if (detail && !json_is_null(detail)) {
		e->detail = *ret_detail =
		    json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
		if (!*ret_detail)
			return -ENOMEM;
	}
	snprintf(e->prev, sizeof(e->prev), "%s", jstr(o, "prev") ? jstr(o, "prev") : "");
	snprintf(e->hash, sizeof(e->hash), "%s", jstr(o, "hash") ? jstr(o, "hash") : "");
	if (!ts || time_parse_ms(ts, &e->ts_ms) < 0) {
		free(*ret_detail);
		*ret_detail = NULL;
		e->detail = NULL;
		return -EINVAL;
	}
	return 0;
}

char *audit_canonical_reference(const struct event *e)
{
	json_t *o = event_to_json(e);
	char *s;

	if (!o)
		return NULL;
	json_object_del(o, "prev");
	json_object_del(o, "hash");
	s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	return s;
}

char *audit_canonical(const struct event *e)
{
	char buf[CHAIN_CANONICAL_FAST_MAX];

	if (event_canonical_fast(e, buf, sizeof(buf)) >= 0)
		return strdup(buf);
	return audit_canonical_reference(e);
}

/*
 * Each thread keeps its digest context (an export's thread hashes every
 * row); a thread that ends gives it back through the key's destructor.
 */
struct sha256_thread {
	EVP_MD_CTX *ctx;
	EVP_MD *md;
};

static pthread_key_t sha256_key;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void sha256_thread_free(void *p)
{
	struct sha256_thread *t = p;

	EVP_MD_CTX_free(t->ctx);
	EVP_MD_free(t->md);
	free(t);
}

static void sha256_key_make(void)
{
	(void)pthread_key_create(&sha256_key, sha256_thread_free);
}

int chain_sha256_two(const void *a, size_t an, const void *b, size_t bn,
		     unsigned char out[SHA256_DIGEST_LENGTH])
{
	static _Thread_local struct sha256_thread *t;
	EVP_MD_CTX *ctx;
	EVP_MD *md;

	if (!t) {
		pthread_once(&sha256_once, sha256_key_make);
		t = calloc(1, sizeof(*t));
		if (!t)
			return -ENOMEM;
		t->md = EVP_MD_fetch(NULL, "SHA256", NULL);
		t->ctx = EVP_MD_CTX_new();
		if (!t->md || !t->ctx) {
			sha256_thread_free(t);
			t = NULL;
			return -ENOMEM;
		}
		(void)pthread_setspecific(sha256_key, t);
	}
	ctx = t->ctx;
	md = t->md;
	if (EVP_DigestInit_ex(ctx, md, NULL) != 1 || EVP_DigestUpdate(ctx, a, an) != 1 ||
	    EVP_DigestUpdate(ctx, b, bn) != 1 || EVP_DigestFinal_ex(ctx, out, NULL) != 1)
		return -EIO;
	return 0;
}

int audit_hash(const char *prev, const struct event *e, char ret_hash[EVENT_HASH_HEX])
{
	unsigned char prev_bin[SHA256_DIGEST_LENGTH], out[SHA256_DIGEST_LENGTH];
	char buf[CHAIN_CANONICAL_FAST_MAX], *slow = NULL;
	const char *canon = buf;
	size_t bin_len = 0;
	int n, r;

	if (!prev || strlen(prev) != 64 ||
	    sodium_hex2bin(prev_bin, sizeof(prev_bin), prev, 64, NULL, &bin_len, NULL) != 0 ||
	    bin_len != sizeof(prev_bin))
		return -EINVAL;
	/* The direct encoder; the reference path for what it declines. */
	n = event_canonical_fast(e, buf, sizeof(buf));
	if (n < 0) {
		canon = slow = audit_canonical_reference(e);
		if (!slow)
			return -ENOMEM;
		n = (int)strlen(slow);
	}
	r = chain_sha256_two(prev_bin, sizeof(prev_bin), canon, (size_t)n, out);
	free(slow);
	if (r < 0)
		return r;
	sodium_bin2hex(ret_hash, EVENT_HASH_HEX, out, sizeof(out));
	return 0;
}

int audit_verify_next(struct audit_verifier *v, const struct event *e)
{
	char h[EVENT_HASH_HEX];

	if (v->started && (e->seq != v->seq + 1 || strcmp(e->prev, v->hash) != 0))
		return -EPIPE;
	/* The very first event must start from the genesis hash. */
	if (!v->started && e->seq == 1 && strcmp(e->prev, AUDIT_GENESIS) != 0)
		return -EPIPE;
	if (audit_hash(e->prev, e, h) < 0 || strcmp(h, e->hash) != 0)
		return -EBADMSG;
	v->started = true;
	v->seq = e->seq;
	memcpy(v->hash, e->hash, EVENT_HASH_HEX);
	return 0;
}

void audit_verifier_resume(struct audit_verifier *v, int64_t seq, const char *hash)
{
	v->started = true;
	v->seq = seq;
	snprintf(v->hash, sizeof(v->hash), "%s", hash);
}

void audit_verifier_accept_gap(struct audit_verifier *v, const struct event *e)
{
	audit_verifier_resume(v, e->seq - 1, e->prev);
}
