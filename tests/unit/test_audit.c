// SPDX-License-Identifier: MIT
/*
 * The audit chain (controller/audit/append.c): the canonical encoding an auditor
 * recomputes, the hash over it, and the chain as appended to a real store
 * and verified one event at a time. Also the signed head record kept
 * outside the database (controller/audit/checkpoint.c) and the triggers that
 * keep the log append-only outside pruning.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <sqlite3.h>

#include "audit.h"
#include "checkpoint.h"
#include "fixture.h"
#include "store.h"

/* 2026-11-28T13:28:11.123Z */
#define TS_KNOWN 1795872491123LL

static const struct event known = {
    .seq = 1234,
    .ts_ms = TS_KNOWN,
    .kind = "access.denied",
    .door = "cage-1",
    .reader = "cage-1-in",
    .zone = "bonded-cage",
    .person = "E1042",
    .credential = "h10301:12:3456",
    .reason = "no_access",
    .prev = "1111111111111111111111111111111111111111111111111111111111111111",
    .hash = "2222222222222222222222222222222222222222222222222222222222222222",
};

static const char known_canonical[] =
    "{\"credential\":\"h10301:12:3456\",\"door\":\"cage-1\",\"kind\":\"access.denied\","
    "\"person\":\"E1042\",\"reader\":\"cage-1-in\",\"reason\":\"no_access\",\"seq\":1234,"
    "\"ts\":\"2026-11-28T13:28:11.123Z\",\"zone\":\"bonded-cage\"}";

/*
 * Computed independently of this code base, with Python:
 *   python3 -c 'import hashlib,json; ev={"seq":1234,"ts":"2026-11-28T13:28:11.123Z",
 *     "kind":"access.denied","door":"cage-1","reader":"cage-1-in","zone":"bonded-cage",
 *     "person":"E1042","credential":"h10301:12:3456","reason":"no_access"};
 *     c=json.dumps(ev,sort_keys=True,separators=(",",":"),ensure_ascii=False);
 *     print(hashlib.sha256(bytes(32)+c.encode()).hexdigest())'
 */
static const char known_hash_genesis[] =
    "6b8728d2a9bcae045f37af7dd0ec70335c89b75e0ad5f9d68dfa176c96955cd9";

/* An admin event: absent fields, a detail with nested keys out of order, non-ASCII text. */
static const struct event admin = {
    .seq = 7,
    .ts_ms = 0,
    .kind = "person.added",
    .person = "E1001",
    .detail = "{\"operator\":\"root\",\"name\":\"Zo\xc3\xab \\\"Z\\\" Smith/\xc3\xa5\","
	      "\"after\":{\"status\":\"active\"}}",
};

static const char admin_canonical[] =
    "{\"credential\":null,\"detail\":{\"after\":{\"status\":\"active\"},"
    "\"name\":\"Zo\xc3\xab \\\"Z\\\" Smith/\xc3\xa5\",\"operator\":\"root\"},\"door\":null,"
    "\"kind\":\"person.added\",\"person\":\"E1001\",\"reader\":null,\"reason\":null,\"seq\":7,"
    "\"ts\":\"1970-01-01T00:00:00.000Z\",\"zone\":null}";

/*
 * python3 -c 'import hashlib,json; ev={"seq":7,"ts":"1970-01-01T00:00:00.000Z",
 *   "kind":"person.added","door":None,"reader":None,"zone":None,"person":"E1001",
 *   "credential":None,"reason":None,"detail":{"operator":"root",
 *   "name":"Zo\u00eb \"Z\" Smith/\u00e5","after":{"status":"active"}}};
 *   c=json.dumps(ev,sort_keys=True,separators=(",",":"),ensure_ascii=False);
 *   print(hashlib.sha256(bytes.fromhex("ab"*32)+c.encode()).hexdigest())'
 */
static const char admin_prev[] = "abababababababababababababababababababababababababababababababab";
static const char admin_hash[] = "93f066910d16ef834e03d3659d764b5c9759b426a757f066503e5a2d7fffb14a";

static void test_canonical_encoding_of_a_known_event(void **state)
{
	char *c;

	(void)state;
	c = audit_canonical(&known);
	assert_non_null(c);
	/* Keys sorted, compact, no prev or hash, no detail when unset. */
	assert_string_equal(c, known_canonical);
	free(c);
}

static void test_canonical_encoding_keeps_nulls_and_sorts_detail(void **state)
{
	char *c;

	(void)state;
	c = audit_canonical(&admin);
	assert_non_null(c);
	assert_string_equal(c, admin_canonical);
	free(c);
}

static void test_canonical_encoding_ignores_prev_and_hash(void **state)
{
	struct event e = known;
	char *a, *b;

	(void)state;
	memset(e.prev, 'f', 64);
	memset(e.hash, '0', 64);
	a = audit_canonical(&known);
	b = audit_canonical(&e);
	assert_string_equal(a, b);
	free(a);
	free(b);
}

static void test_hash_matches_an_independent_sha256(void **state)
{
	char h[EVENT_HASH_HEX];

	(void)state;
	assert_int_equal(audit_hash(AUDIT_GENESIS, &known, h), 0);
	assert_string_equal(h, known_hash_genesis);
	assert_int_equal(audit_hash(admin_prev, &admin, h), 0);
	assert_string_equal(h, admin_hash);
}

static void test_hash_depends_on_prev_and_every_field(void **state)
{
	char base[EVENT_HASH_HEX], h[EVENT_HASH_HEX];
	struct event e;

	(void)state;
	assert_int_equal(audit_hash(AUDIT_GENESIS, &known, base), 0);
	assert_int_equal(audit_hash(admin_prev, &known, h), 0);
	assert_string_not_equal(h, base);

	e = known;
	e.seq++;
	assert_int_equal(audit_hash(AUDIT_GENESIS, &e, h), 0);
	assert_string_not_equal(h, base);
	e = known;
	e.ts_ms++;
	assert_int_equal(audit_hash(AUDIT_GENESIS, &e, h), 0);
	assert_string_not_equal(h, base);
	e = known;
	e.reason = NULL;
	assert_int_equal(audit_hash(AUDIT_GENESIS, &e, h), 0);
	assert_string_not_equal(h, base);
	e = known;
	e.detail = "{}";
	assert_int_equal(audit_hash(AUDIT_GENESIS, &e, h), 0);
	assert_string_not_equal(h, base);
}

static void test_hash_refuses_a_malformed_prev(void **state)
{
	static const char *const bad[] = {
	    "",
	    "00",
	    "000000000000000000000000000000000000000000000000000000000000000",	 /* 63 */
	    "00000000000000000000000000000000000000000000000000000000000000000", /* 65 */
	    "000000000000000000000000000000000000000000000000000000000000000g",
	    "00000000000000000000000000000000 0000000000000000000000000000000",
	};
	char h[EVENT_HASH_HEX];

	(void)state;
	assert_int_equal(audit_hash(NULL, &known, h), -EINVAL);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (audit_hash(bad[i], &known, h) != -EINVAL)
			fail_msg("prev '%s' accepted", bad[i]);
}

static void test_event_json_has_exactly_the_design_fields(void **state)
{
	static const char *const fields[] = {"seq",    "ts",   "kind",	 "door",
					     "reader", "zone", "person", "credential",
					     "reason", "prev", "hash"};
	const size_t n = sizeof(fields) / sizeof(fields[0]);
	json_t *o;
	struct event e = admin;

	(void)state;
	o = event_to_json(&known);
	assert_non_null(o);
	assert_int_equal(json_object_size(o), n);
	for (size_t i = 0; i < n; i++)
		if (!json_object_get(o, fields[i]))
			fail_msg("no '%s'", fields[i]);
	assert_int_equal(json_integer_value(json_object_get(o, "seq")), 1234);
	assert_string_equal(json_string_value(json_object_get(o, "ts")),
			    "2026-11-28T13:28:11.123Z");
	assert_string_equal(json_string_value(json_object_get(o, "prev")), known.prev);
	assert_string_equal(json_string_value(json_object_get(o, "hash")), known.hash);
	json_decref(o);

	/* Absent fields are null, and detail is an object. */
	o = event_to_json(&admin);
	assert_int_equal(json_object_size(o), n + 1);
	assert_true(json_is_null(json_object_get(o, "door")));
	assert_true(json_is_null(json_object_get(o, "reason")));
	assert_true(json_is_object(json_object_get(o, "detail")));
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(o, "detail"), "operator")), "root");
	json_decref(o);

	/* A detail that is not a JSON object is kept as text, never dropped. */
	e.detail = "not json";
	o = event_to_json(&e);
	assert_string_equal(json_string_value(json_object_get(o, "detail")), "not json");
	json_decref(o);
}

/* ---- the chain on a real store ---- */

#define N_EVENTS 6

struct fixture {
	char dir[64];
	char path[128];
	struct store *s;
	struct event ev[N_EVENTS]; /* as read back from the store, strings owned */
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	fixture_db_open(f, "test_audit", "normal");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	for (size_t i = 0; i < N_EVENTS; i++)
		event_clear(&f->ev[i]);
	fixture_db_close(f);
	free(f);
	return 0;
}

/* Appends N_EVENTS varied events and reads them back into f->ev. */
static void append_chain(struct fixture *f)
{
	static const struct event templ[N_EVENTS] = {
	    {.kind = "system.start", .detail = "{\"version\":\"0.1.0\",\"schema\":2}"},
	    {.kind = "access.granted",
	     .door = "dock-1",
	     .reader = "dock-1-in",
	     .zone = "dock",
	     .person = "E1001",
	     .credential = "h10301:12:1001",
	     .detail = "{\"direction\":\"in\",\"bits\":26}"},
	    {.kind = "door.opened", .door = "dock-1", .zone = "dock"},
	    {.kind = "door.closed", .door = "dock-1", .zone = "dock"},
	    {.kind = "access.denied",
	     .door = "cage-1",
	     .reader = "cage-1-in",
	     .zone = "bonded-cage",
	     .credential = "uid:04a1b2c3",
	     .reason = "unknown_credential"},
	    {.kind = "person.added",
	     .person = "E1002",
	     .detail = "{\"operator\":\"root\",\"name\":\"J\xc3\xb6rg\"}"},
	};
	struct audit_chain chain;
	char prev[EVENT_HASH_HEX];

	assert_int_equal(audit_chain_load(&chain, f->s), 0);
	assert_int_equal(chain.seq, 0);
	assert_string_equal(chain.hash, AUDIT_GENESIS);

	snprintf(prev, sizeof(prev), "%s", AUDIT_GENESIS);
	for (size_t i = 0; i < N_EVENTS; i++) {
		struct event e = templ[i];

		e.ts_ms = TS_KNOWN + (int64_t)i * 1000;
		assert_int_equal(audit_append(&chain, f->s, &e), 0);
		assert_int_equal(e.seq, (int64_t)i + 1);
		assert_string_equal(e.prev, prev);
		assert_int_equal(strlen(e.hash), 64);
		assert_int_equal(chain.seq, e.seq);
		assert_string_equal(chain.hash, e.hash);
		snprintf(prev, sizeof(prev), "%s", e.hash);
	}

	/* What the store kept is what an exporter reads. */
	for (size_t i = 0; i < N_EVENTS; i++) {
		assert_int_equal(store_event_get(f->s, (int64_t)i + 1, &f->ev[i]), 0);
		assert_int_equal(f->ev[i].seq, (int64_t)i + 1);
	}
	assert_string_equal(f->ev[0].prev, AUDIT_GENESIS);
	for (size_t i = 1; i < N_EVENTS; i++)
		assert_string_equal(f->ev[i].prev, f->ev[i - 1].hash);

	/* A fresh head loaded from the store continues where we stopped. */
	assert_int_equal(audit_chain_load(&chain, f->s), 0);
	assert_int_equal(chain.seq, N_EVENTS);
	assert_string_equal(chain.hash, f->ev[N_EVENTS - 1].hash);
}

/* Verifies the events at the given indexes in order; the result of the last. */
static int verify_order(struct fixture *f, const size_t *order, size_t n, size_t *ret_failed_at)
{
	struct audit_verifier v = {0};
	int r = 0;

	for (size_t i = 0; i < n; i++) {
		r = audit_verify_next(&v, &f->ev[order[i]]);
		if (r < 0) {
			*ret_failed_at = i;
			return r;
		}
	}
	return r;
}

static void test_chain_appends_gap_free_and_verifies(void **state)
{
	struct fixture *f = *state;
	const size_t all[N_EVENTS] = {0, 1, 2, 3, 4, 5};
	size_t at = 99;

	append_chain(f);
	assert_int_equal(verify_order(f, all, N_EVENTS, &at), 0);
	/* The detail survived the store byte for byte. */
	assert_string_equal(f->ev[5].detail, "{\"operator\":\"root\",\"name\":\"J\xc3\xb6rg\"}");
	assert_null(f->ev[2].reader);
}

static void test_verify_detects_an_altered_field(void **state)
{
	struct fixture *f = *state;
	struct audit_verifier v = {0};
	struct event e;

	append_chain(f);
	assert_int_equal(audit_verify_next(&v, &f->ev[0]), 0);
	assert_int_equal(audit_verify_next(&v, &f->ev[1]), 0);

	e = f->ev[2];
	e.door = "cage-1";
	assert_int_equal(audit_verify_next(&v, &e), -EBADMSG);
	e = f->ev[2];
	e.ts_ms += 1;
	assert_int_equal(audit_verify_next(&v, &e), -EBADMSG);
	e = f->ev[2];
	e.reason = "no_access";
	assert_int_equal(audit_verify_next(&v, &e), -EBADMSG);
	e = f->ev[2];
	e.detail = "{\"forged\":true}";
	assert_int_equal(audit_verify_next(&v, &e), -EBADMSG);
	e = f->ev[2];
	e.hash[0] = e.hash[0] == '0' ? '1' : '0';
	assert_int_equal(audit_verify_next(&v, &e), -EBADMSG);

	/* A refused event leaves the verifier where it was. */
	assert_int_equal(audit_verify_next(&v, &f->ev[2]), 0);
}

static void test_verify_detects_a_deleted_row(void **state)
{
	struct fixture *f = *state;
	const size_t order[] = {0, 1, 3, 4, 5};
	size_t at = 99;

	append_chain(f);
	assert_int_equal(verify_order(f, order, 5, &at), -EPIPE);
	assert_int_equal(at, 2);
}

static void test_verify_detects_a_swapped_pair(void **state)
{
	struct fixture *f = *state;
	const size_t order[] = {0, 1, 3, 2, 4, 5};
	size_t at = 99;

	append_chain(f);
	assert_int_equal(verify_order(f, order, N_EVENTS, &at), -EPIPE);
	assert_int_equal(at, 2);
}

static void test_verify_detects_a_renumbered_event(void **state)
{
	struct fixture *f = *state;
	struct audit_verifier v = {0};
	struct event e;

	append_chain(f);
	assert_int_equal(audit_verify_next(&v, &f->ev[0]), 0);
	/* Right prev, wrong seq: a gap in the numbering is a break. */
	e = f->ev[1];
	e.seq = 3;
	assert_int_equal(audit_verify_next(&v, &e), -EPIPE);
}

static void test_verify_refuses_a_first_event_not_from_genesis(void **state)
{
	struct audit_verifier v = {0};
	struct event e = known;

	(void)state;
	/* Self-consistent (hash matches content and prev), but not the chain's start. */
	e.seq = 1;
	snprintf(e.prev, sizeof(e.prev), "%s", admin_prev);
	assert_int_equal(audit_hash(e.prev, &e, e.hash), 0);
	assert_int_equal(audit_verify_next(&v, &e), -EPIPE);

	snprintf(e.prev, sizeof(e.prev), "%s", AUDIT_GENESIS);
	assert_int_equal(audit_hash(e.prev, &e, e.hash), 0);
	assert_int_equal(audit_verify_next(&v, &e), 0);
}

/* Live verification and pruning resume the one link check from a page's last event. */
static void test_verify_resumes_after_a_verified_event(void **state)
{
	struct fixture *f = *state;
	struct audit_verifier v = {0};

	append_chain(f);
	audit_verifier_resume(&v, f->ev[1].seq, f->ev[1].hash);
	assert_int_equal(audit_verify_next(&v, &f->ev[3]), -EPIPE);
	assert_int_equal(audit_verify_next(&v, &f->ev[2]), 0);
	audit_verifier_resume(&v, f->ev[1].seq, AUDIT_GENESIS);
	assert_int_equal(audit_verify_next(&v, &f->ev[2]), -EPIPE);
}

/* A gap the caller proved recorded: the chain goes on from the event's own prev. */
static void test_verify_accepts_a_recorded_gap(void **state)
{
	struct fixture *f = *state;
	struct audit_verifier v = {0};

	append_chain(f);
	assert_int_equal(audit_verify_next(&v, &f->ev[0]), 0);
	assert_int_equal(audit_verify_next(&v, &f->ev[3]), -EPIPE);
	audit_verifier_accept_gap(&v, &f->ev[3]);
	assert_int_equal(audit_verify_next(&v, &f->ev[3]), 0);
	assert_int_equal(audit_verify_next(&v, &f->ev[4]), 0);
}

static void test_failed_append_leaves_the_head_in_place(void **state)
{
	struct fixture *f = *state;
	struct audit_chain stale, head;
	struct event e = {.ts_ms = TS_KNOWN, .kind = "door.forced", .door = "dock-1"};

	append_chain(f);
	/* A head that does not know about the last append collides on its seq. */
	assert_int_equal(audit_chain_load(&head, f->s), 0);
	stale = head;
	stale.seq = N_EVENTS - 1;
	snprintf(stale.hash, sizeof(stale.hash), "%s", f->ev[N_EVENTS - 2].hash);
	assert_int_equal(audit_append(&stale, f->s, &e), -EEXIST);
	assert_int_equal(stale.seq, N_EVENTS - 1);
	assert_string_equal(stale.hash, f->ev[N_EVENTS - 2].hash);
	assert_int_equal(store_event_count(f->s), N_EVENTS);

	/* The right head appends seq N + 1 after it. */
	assert_int_equal(audit_append(&head, f->s, &e), 0);
	assert_int_equal(e.seq, N_EVENTS + 1);
	assert_string_equal(e.prev, f->ev[N_EVENTS - 1].hash);
}

/* ---- the signed head record (state_dir/head.sig) ---- */

static const char head_hash[] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

static void head_path(const struct fixture *f, const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", f->dir, name);
}

static void test_head_record_signs_and_verifies(void **state)
{
	struct fixture *f = *state;
	struct devkey k, other;
	struct head_record h, t;
	char odir[96];

	assert_int_equal(devkey_load_or_create(f->dir, &k, NULL), 0);
	assert_int_equal(head_sign(&k, 150, head_hash, TS_KNOWN, &h), 0);
	assert_int_equal(h.seq, 150);
	assert_string_equal(h.hash, head_hash);
	assert_string_equal(h.ts, "2026-11-28T13:28:11.123Z");
	assert_string_equal(h.key_id, k.id);
	assert_int_equal(head_verify(k.pk, &h), 0);

	/* Every signed field counts. */
	t = h;
	t.seq = 151;
	assert_int_equal(head_verify(k.pk, &t), -EBADMSG);
	t = h;
	t.hash[0] = '1';
	assert_int_equal(head_verify(k.pk, &t), -EBADMSG);
	t = h;
	t.ts[22] = '4';
	assert_int_equal(head_verify(k.pk, &t), -EBADMSG);
	t = h;
	t.signature[5] = t.signature[5] == 'a' ? 'b' : 'a';
	assert_int_equal(head_verify(k.pk, &t), -EBADMSG);
	t = h;
	t.key_id[0] = t.key_id[0] == 'a' ? 'b' : 'a';
	assert_int_equal(head_verify(k.pk, &t), -EBADMSG);

	/* Another device's key does not vouch for it. */
	snprintf(odir, sizeof(odir), "%s/other", f->dir);
	assert_int_equal(mkdir(odir, 0700), 0);
	assert_int_equal(devkey_load_or_create(odir, &other, NULL), 0);
	assert_int_equal(head_verify(other.pk, &h), -EBADMSG);

	/* A checkpoint's signature over the same values is not a head record's. */
	struct checkpoint cp;
	assert_int_equal(checkpoint_sign(&k, 150, head_hash, TS_KNOWN, &cp), 0);
	t = h;
	memcpy(t.signature, cp.signature, sizeof(t.signature));
	assert_int_equal(head_verify(k.pk, &t), -EBADMSG);
	assert_int_equal(head_sign(&k, 150, "abc", TS_KNOWN, &t), -EINVAL);

	char p[160];
	static const char *const names[] = {"device.key", "device.pub", "other/device.key",
					    "other/device.pub"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		head_path(f, names[i], p, sizeof(p));
		unlink(p);
	}
	assert_int_equal(rmdir(odir), 0);
}

static void test_head_record_file_is_replaced_atomically(void **state)
{
	struct fixture *f = *state;
	struct devkey k;
	struct head_record h1, h2, got;
	struct stat st;
	char p[160], tmp[200];
	mode_t old;

	assert_int_equal(devkey_load_or_create(f->dir, &k, NULL), 0);
	assert_int_equal(head_read(f->dir, &got), -ENOENT);
	assert_int_equal(head_sign(&k, 10, head_hash, TS_KNOWN, &h1), 0);
	assert_int_equal(head_sign(&k, 20, head_hash, TS_KNOWN + 5, &h2), 0);

	/* 0640 or tighter whatever the umask; what is read back verifies. */
	old = umask(0);
	assert_int_equal(head_write(f->dir, &h1), 0);
	umask(old);
	head_path(f, HEAD_FILE, p, sizeof(p));
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0137, 0);
	assert_int_equal(head_read(f->dir, &got), 0);
	assert_memory_equal(&got, &h1, sizeof(got));
	assert_int_equal(head_verify(k.pk, &got), 0);

	/* A leftover temporary file from a crash is no obstacle and is not left behind. */
	snprintf(tmp, sizeof(tmp), "%s.tmp", p);
	FILE *junk = fopen(tmp, "w");
	assert_non_null(junk);
	fputs("half a head record", junk);
	fclose(junk);
	assert_int_equal(chmod(tmp, 0666), 0);
	assert_int_equal(head_write(f->dir, &h2), 0);
	assert_int_equal(access(tmp, F_OK), -1);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0137, 0);
	assert_int_equal(head_read(f->dir, &got), 0);
	assert_memory_equal(&got, &h2, sizeof(got));

	/* Edited on disk: still parses, no longer verifies. */
	FILE *fp = fopen(p, "r+");
	char text[1024];
	size_t n;
	assert_non_null(fp);
	n = fread(text, 1, sizeof(text) - 1, fp);
	text[n] = '\0';
	char *seq = strstr(text, "seq 20\n");
	assert_non_null(seq);
	seq[5] = '9';
	rewind(fp);
	fwrite(text, 1, n, fp);
	fclose(fp);
	assert_int_equal(head_read(f->dir, &got), 0);
	assert_int_equal(got.seq, 29);
	assert_int_equal(head_verify(k.pk, &got), -EBADMSG);

	/* Not a head record at all: malformed, never a crash or a partial parse. */
	static const char *const bad[] = {
	    "",
	    "aeogate-head-v1\n",
	    "aeogate-head-v2\nseq 20\n",
	    "aeogate-head-v1\nseq -1\nhash x\n",
	    "aeogate-head-v1\nseq 20x\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		fp = fopen(p, "w");
		assert_non_null(fp);
		fputs(bad[i], fp);
		fclose(fp);
		if (head_read(f->dir, &got) != -EBADMSG)
			fail_msg("bad head record %zu was accepted", i);
	}
	/* Oversize: refused without reading it all. */
	fp = fopen(p, "w");
	for (int i = 0; i < 100000; i++)
		fputc('a', fp);
	fclose(fp);
	assert_int_equal(head_read(f->dir, &got), -EBADMSG);

	unlink(p);
	head_path(f, "device.key", p, sizeof(p));
	unlink(p);
	head_path(f, "device.pub", p, sizeof(p));
	unlink(p);
}

/* ---- the log is append-only outside pruning ---- */

static int sql_exec(const char *path, const char *sql)
{
	sqlite3 *db;
	int rc;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	sqlite3_close(db);
	return rc;
}

static void test_triggers_refuse_changes_outside_pruning(void **state)
{
	struct fixture *f = *state;
	struct checkpoint cp = {.seq = 3, .ts_ms = TS_KNOWN, .key_id = "0123456789abcdef"};
	int64_t n_ev = 0, n_al = 0;

	append_chain(f);
	memcpy(cp.hash, f->ev[2].hash, EVENT_HASH_HEX);
	memset(cp.signature, 'a', 128);
	assert_int_equal(store_checkpoint_add(f->s, &cp), 0);
	cp.seq = 1;
	assert_int_equal(store_checkpoint_add(f->s, &cp), 0);

	static const char *const refused[] = {
	    "DELETE FROM events WHERE seq > 4",
	    "DELETE FROM events",
	    "UPDATE events SET reason = 'no_access' WHERE seq = 2",
	    "UPDATE events SET seq = 100 WHERE seq = 6",
	    "DELETE FROM checkpoints",
	    "UPDATE checkpoints SET seq = 5",
	};
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		if (sql_exec(f->path, refused[i]) != SQLITE_CONSTRAINT)
			fail_msg("not refused: %s", refused[i]);
	assert_int_equal(store_event_count(f->s), N_EVENTS);

	/* Pruning must run inside a transaction, where it may delete. */
	assert_int_equal(store_prune(f->s, 2, 0, &n_ev, &n_al), -EINVAL);
	assert_int_equal(store_begin(f->s), 0);
	assert_int_equal(store_prune(f->s, 2, 0, &n_ev, &n_al), 0);
	assert_int_equal(store_commit(f->s), 0);
	assert_int_equal(n_ev, 2);
	assert_int_equal(store_event_count(f->s), N_EVENTS - 2);
	/* ... and leaves the triggers armed behind it. */
	assert_int_equal(sql_exec(f->path, "DELETE FROM events WHERE seq = 3"), SQLITE_CONSTRAINT);
	assert_int_equal(sql_exec(f->path, "DELETE FROM checkpoints"), SQLITE_CONSTRAINT);
	assert_int_equal(store_event_count(f->s), N_EVENTS - 2);

	/* Someone with the file can still drop the triggers: defence in depth only. */
	assert_int_equal(sql_exec(f->path, "DROP TRIGGER events_append_only_delete; "
					   "DELETE FROM events WHERE seq = 6"),
			 SQLITE_OK);
	assert_int_equal(store_event_count(f->s), N_EVENTS - 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_canonical_encoding_of_a_known_event),
	    cmocka_unit_test(test_canonical_encoding_keeps_nulls_and_sorts_detail),
	    cmocka_unit_test(test_canonical_encoding_ignores_prev_and_hash),
	    cmocka_unit_test(test_hash_matches_an_independent_sha256),
	    cmocka_unit_test(test_hash_depends_on_prev_and_every_field),
	    cmocka_unit_test(test_hash_refuses_a_malformed_prev),
	    cmocka_unit_test(test_event_json_has_exactly_the_design_fields),
	    cmocka_unit_test_setup_teardown(test_chain_appends_gap_free_and_verifies, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_verify_detects_an_altered_field, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_verify_detects_a_deleted_row, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_verify_detects_a_swapped_pair, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_verify_detects_a_renumbered_event, setup,
					    teardown),
	    cmocka_unit_test(test_verify_refuses_a_first_event_not_from_genesis),
	    cmocka_unit_test_setup_teardown(test_verify_resumes_after_a_verified_event, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_verify_accepts_a_recorded_gap, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_failed_append_leaves_the_head_in_place, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_head_record_signs_and_verifies, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_head_record_file_is_replaced_atomically, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_triggers_refuse_changes_outside_pruning, setup,
					    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
