// SPDX-License-Identifier: MIT
/*
 * aeogate-hub's ingest (controller/hub/ingest.c) on a real SQLite store in
 * memory: the orders and copies a broker may deliver, and what a forger may
 * send, against what the store must end with. Events are chained with the
 * chain's own code; checkpoints are signed with a key made here.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>
#include <sqlite3.h>
#include <unistd.h>

#include "chain.h"
#include "hub.h"
#include "signature.h"
#include "util.h"

#define N_EVENTS 6
#define TOPIC	 "aeogate/s1/gate-1/events"

struct fixture {
	struct hub_store *store;
	struct hub_ingest in;
	char *events[N_EVENTS + 1]; /* [seq]: the event's JSON text */
	unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
	char pk_hex[65];
	int republished;
	char last_topic[128];
};

/* The event of seq over prev, with person as given; its JSON text (malloc'd). */
static char *make_event(int64_t seq, const char *prev, const char *person, char hash_out[65])
{
	struct event e = {.seq = seq,
			  .ts_ms = 1796600000000 + seq,
			  .kind = "access.granted",
			  .door = "dock-1",
			  .person = person};
	json_t *o;
	char *text;

	snprintf(e.prev, sizeof(e.prev), "%s", prev);
	assert_int_equal(audit_hash(e.prev, &e, e.hash), 0);
	memcpy(hash_out, e.hash, 65);
	o = event_to_json(&e);
	text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return text;
}

static int republish(void *u, const char *topic, const char *payload)
{
	struct fixture *f = u;

	(void)payload;
	f->republished++;
	snprintf(f->last_topic, sizeof(f->last_topic), "%s", topic);
	return 0;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char prev[65] = AUDIT_GENESIS, hash[65];

	assert_non_null(f);
	assert_int_equal(hub_store_open(":memory:", &f->store), 0);
	f->in.store = f->store;
	f->in.republish = republish;
	f->in.u = f;
	for (int64_t s = 1; s <= N_EVENTS; s++) {
		f->events[s] = make_event(s, prev, "E1", hash);
		memcpy(prev, hash, 65);
	}
	assert_true(sodium_init() >= 0);
	crypto_sign_keypair(f->pk, f->sk);
	sodium_bin2hex(f->pk_hex, sizeof(f->pk_hex), f->pk, sizeof(f->pk));
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	for (int s = 1; s <= N_EVENTS; s++)
		free(f->events[s]);
	hub_store_close(f->store);
	free(f);
	return 0;
}

static int feed(struct fixture *f, const char *topic, const char *payload)
{
	return hub_ingest_message(&f->in, topic, payload, strlen(payload));
}

static struct hub_controller ctl(struct fixture *f)
{
	struct hub_controller c;

	assert_int_equal(hub_store_controller_get(f->store, "s1", "gate-1", &c), 0);
	return c;
}

struct alarm_count {
	const char *kind;
	int n;
};

static int count_alarm(void *u, int64_t id, int64_t at_ms, const char *site, const char *controller,
		       const char *kind, int64_t seq, const char *message)
{
	struct alarm_count *a = u;

	(void)id, (void)at_ms, (void)site, (void)controller, (void)seq, (void)message;
	if (!a->kind || !strcmp(a->kind, kind))
		a->n++;
	return 0;
}

static int alarms(struct fixture *f, const char *kind)
{
	struct alarm_count a = {.kind = kind};

	assert_int_equal(hub_store_alarm_each(f->store, count_alarm, &a), 0);
	return a.n;
}

/* Delivery orders (seqs, 0 ends) and what the store must end with. */
static const struct order_case {
	const char *name;
	int seqs[16];
	int64_t stored, duplicates;
} orders[] = {
    {"in order", {1, 2, 3, 4, 5, 6}, 6, 0},
    {"backwards after the first", {1, 6, 5, 4, 3, 2}, 6, 0},
    {"every one twice", {1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6}, 6, 6},
    {"shuffled with copies", {3, 1, 4, 3, 2, 6, 1, 5, 6, 2}, 6, 4},
    {"first missing", {2, 3, 4, 5, 6}, 0, 0},
};

static void test_stores_each_event_once_whatever_the_order(void **state)
{
	for (size_t k = 0; k < sizeof(orders) / sizeof(orders[0]); k++) {
		struct fixture *f;
		struct hub_controller c;

		setup((void **)&f);
		for (int i = 0; orders[k].seqs[i]; i++)
			assert_int_equal(feed(f, TOPIC, f->events[orders[k].seqs[i]]), 0);
		c = ctl(f);
		if (c.verified_seq != orders[k].stored || c.duplicates != orders[k].duplicates)
			fail_msg("%s: stored %lld, duplicates %lld", orders[k].name,
				 (long long)c.verified_seq, (long long)c.duplicates);
		assert_int_equal(c.pending, orders[k].stored ? 0 : 5);
		assert_int_equal(alarms(f, NULL), 0);
		teardown((void **)&f);
	}
	(void)state;
}

/* The event at seq with another person: same prev, its hash as sent (stale). */
static char *forged(struct fixture *f, int seq)
{
	json_t *o = json_loads(f->events[seq], 0, NULL);
	char *text;

	json_object_set_new(o, "person", json_string("E-intruder"));
	text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return text;
}

static void test_forged_event_is_an_alarm_and_the_genuine_one_is_stored(void **state)
{
	struct fixture *f = *state;
	char *bad = forged(f, 2);

	assert_int_equal(feed(f, TOPIC, f->events[1]), 0);
	assert_int_equal(feed(f, TOPIC, bad), 0);
	assert_int_equal(ctl(f).verified_seq, 1);
	assert_int_equal(alarms(f, "chain_broken"), 1);
	assert_int_equal(feed(f, TOPIC, f->events[2]), 0);
	assert_int_equal(ctl(f).verified_seq, 2);
	/* The forged copy again, now after the genuine one: not taken for a duplicate. */
	assert_int_equal(feed(f, TOPIC, bad), 0);
	assert_int_equal(ctl(f).duplicates, 0);
	assert_int_equal(ctl(f).refused, 2);
	assert_int_equal(alarms(f, "chain_broken"), 1); /* the same finding: one alarm */
	free(bad);
}

static void test_forged_early_copy_does_not_push_out_the_genuine_one(void **state)
{
	struct fixture *f = *state;
	char *bad = forged(f, 3);

	assert_int_equal(feed(f, TOPIC, f->events[1]), 0);
	assert_int_equal(feed(f, TOPIC, bad), 0);
	assert_int_equal(feed(f, TOPIC, f->events[3]), 0);
	assert_int_equal(ctl(f).pending, 1); /* the genuine one; the forged one was refused */
	assert_int_equal(feed(f, TOPIC, f->events[2]), 0);
	assert_int_equal(ctl(f).verified_seq, 3);
	assert_int_equal(ctl(f).pending, 0);
	assert_int_equal(alarms(f, "chain_broken"), 1);
	free(bad);
}

static void test_event_that_does_not_link_is_refused(void **state)
{
	struct fixture *f = *state;
	char hash[65], *other;

	/* Self-consistent (its hash matches its content) but over another prev. */
	other = make_event(2, "1111111111111111111111111111111111111111111111111111111111111111",
			   "E1", hash);
	assert_int_equal(feed(f, TOPIC, f->events[1]), 0);
	assert_int_equal(feed(f, TOPIC, other), 0);
	assert_int_equal(ctl(f).verified_seq, 1);
	assert_int_equal(alarms(f, "chain_broken"), 1);
	free(other);
}

static void test_a_second_genuine_looking_event_for_a_stored_seq_is_a_conflict(void **state)
{
	struct fixture *f = *state;
	char prev[65], hash[65], *other;
	json_t *o = json_loads(f->events[2], 0, NULL);

	/* Rehashed over the right prev: it verifies alone, but seq 2 is stored. */
	snprintf(prev, sizeof(prev), "%s", json_string_value(json_object_get(o, "prev")));
	json_decref(o);
	other = make_event(2, prev, "E-intruder", hash);
	for (int s = 1; s <= 3; s++)
		assert_int_equal(feed(f, TOPIC, f->events[s]), 0);
	assert_int_equal(feed(f, TOPIC, other), 0);
	assert_int_equal(alarms(f, "conflict"), 1);
	assert_int_equal(ctl(f).verified_seq, 3);
	free(other);
}

/* A self-consistent forgery held early links to nothing; the genuine one wins. */
static void test_rehashed_forgery_held_early_fails_its_link(void **state)
{
	struct fixture *f = *state;
	char hash[65], *other;

	other = make_event(3, "3333333333333333333333333333333333333333333333333333333333333333",
			   "E-intruder", hash);
	assert_int_equal(feed(f, TOPIC, f->events[1]), 0);
	assert_int_equal(feed(f, TOPIC, other), 0);
	assert_int_equal(feed(f, TOPIC, f->events[3]), 0);
	assert_int_equal(ctl(f).pending, 2);
	assert_int_equal(feed(f, TOPIC, f->events[2]), 0);
	assert_int_equal(ctl(f).verified_seq, 3);
	assert_int_equal(ctl(f).pending, 0);
	assert_int_equal(alarms(f, "chain_broken") + alarms(f, "conflict"), 1);
	free(other);
}

static void test_held_events_are_bounded(void **state)
{
	struct fixture *f = *state;

	f->in.pending_max = 2;
	assert_int_equal(feed(f, TOPIC, f->events[1]), 0);
	assert_int_equal(feed(f, TOPIC, f->events[4]), 0);
	assert_int_equal(feed(f, TOPIC, f->events[5]), 0);
	assert_int_equal(feed(f, TOPIC, f->events[6]), 0);
	assert_int_equal(ctl(f).pending, 2);
	assert_int_equal(alarms(f, "gap"), 1);
	/* Refused too, though it is next but one: past the bound nothing more is held. */
	assert_int_equal(feed(f, TOPIC, f->events[3]), 0);
	assert_int_equal(ctl(f).refused, 2);
	assert_int_equal(feed(f, TOPIC, f->events[2]), 0);
	assert_int_equal(ctl(f).verified_seq, 2);
	assert_int_equal(ctl(f).pending, 2);
}

static void test_malformed_messages_change_nothing(void **state)
{
	struct fixture *f = *state;
	static const char *const bad[][2] = {
	    {"aeogate/s1/gate-1/events", "not json"},
	    {"aeogate/s1/gate-1/events", "[1,2]"},
	    {"aeogate/s1/gate-1/events", "{\"seq\":\"1\"}"},
	    {"aeogate/s1/gate-1/events", "{\"seq\":1,\"ts\":\"yesterday\"}"},
	    {"aeogate/s1/gate-1/events",
	     "{\"seq\":1,\"detail\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
	     "[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"
	     "]]]]]]]]]]]]]]]]]]]]]]]}"},
	    {"aeogate/s1/../events", "{}"},
	    {"aeogate/s1/gate-1/extra/events", "{}"},
	    {"other/s1/gate-1/events", "{}"},
	    {"aeogate/s1/gate-1/checkpoints", "{\"seq\":1}"},
	    {"aeogate/s1/gate-1/status", "online"},
	    {"aeogate/s1/gate-1/status", "{\"state\":\"online\"}"},
	    {"aeogate/s1/gate-1/requests", "{\"from\":0}"},
	};
	struct hub_controller c;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (feed(f, bad[i][0], bad[i][1]) != -EBADMSG)
			fail_msg("accepted %s %s", bad[i][0], bad[i][1]);
	/* Not even the controller's row was made. */
	assert_int_equal(hub_store_controller_site(f->store, "gate-1", c.site, sizeof(c.site)),
			 -ENOENT);
	assert_int_equal(f->in.bad_messages, sizeof(bad) / sizeof(bad[0]));
}

static char *status_json(const char *pk_hex)
{
	char buf[512];

	snprintf(buf, sizeof(buf),
		 "{\"state\":\"online\",\"last_seq\":6,\"forwarded_seq\":5,\"applied_version\":2,"
		 "\"public_key\":\"%s\",\"key_id\":\"x\",\"doors\":2,\"alarms\":0}",
		 pk_hex);
	return strdup(buf);
}

static void test_key_is_pinned_on_first_contact_and_a_change_is_an_alarm(void **state)
{
	struct fixture *f = *state;
	char *st = status_json(f->pk_hex),
	     *other =
		 status_json("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");
	struct hub_controller c;

	assert_int_equal(feed(f, "aeogate/s1/gate-1/status", st), 0);
	c = ctl(f);
	assert_string_equal(c.public_key, f->pk_hex);
	assert_true(c.online);
	assert_int_equal(c.forwarded_seq, 5);
	assert_int_equal(c.applied_version, 2);
	assert_int_equal(feed(f, "aeogate/s1/gate-1/status", "offline"), 0);
	assert_false(ctl(f).online);
	assert_int_equal(feed(f, "aeogate/s1/gate-1/status", other), 0);
	assert_int_equal(feed(f, "aeogate/s1/gate-1/status", other), 0); /* retained, again */
	assert_int_equal(alarms(f, "key_changed"), 1);
	assert_string_equal(ctl(f).public_key, f->pk_hex);
	/* Another key's status changes nothing of this controller's. */
	assert_false(ctl(f).online);
	free(st);
	free(other);
}

/* A checkpoint at seq over hash, signed with the fixture's key (or bit-flipped). */
static char *checkpoint(struct fixture *f, int64_t seq, const char *hash, bool good)
{
	unsigned char sig[crypto_sign_BYTES];
	char msg[160], sighex[129], ts[32], buf[512];
	int64_t ts_ms = 1796600001000;
	int n;

	time_format_ms(ts_ms, ts, sizeof(ts));
	n = checkpoint_message(seq, hash, ts_ms, msg, sizeof(msg));
	assert_true(n > 0);
	crypto_sign_detached(sig, NULL, (unsigned char *)msg, (size_t)n, f->sk);
	if (!good)
		sig[0] ^= 1;
	sodium_bin2hex(sighex, sizeof(sighex), sig, sizeof(sig));
	snprintf(
	    buf, sizeof(buf),
	    "{\"seq\":%lld,\"hash\":\"%s\",\"ts\":\"%s\",\"key_id\":\"x\",\"signature\":\"%s\","
	    "\"public_key\":\"%s\"}",
	    (long long)seq, hash, ts, sighex, f->pk_hex);
	return strdup(buf);
}

static const char *hash_of(struct fixture *f, int seq, char out[65])
{
	json_t *o = json_loads(f->events[seq], 0, NULL);

	snprintf(out, 65, "%s", json_string_value(json_object_get(o, "hash")));
	json_decref(o);
	return out;
}

static void test_checkpoints_are_verified_before_they_are_kept(void **state)
{
	struct fixture *f = *state;
	char h[65], *good, *forged_sig, *early, *wrong;
	struct hub_checkpoint cp;

	for (int s = 1; s <= 4; s++)
		assert_int_equal(feed(f, TOPIC, f->events[s]), 0);
	good = checkpoint(f, 4, hash_of(f, 4, h), true);
	forged_sig = checkpoint(f, 3, hash_of(f, 3, h), false);
	wrong = checkpoint(f, 2, hash_of(f, 3, h), true); /* signed, but not the stored hash */
	early = checkpoint(f, 6, "2222222222222222222222222222222222222222222222222222222222222222",
			   true);
	assert_int_equal(feed(f, "aeogate/s1/gate-1/checkpoints", good), 0);
	assert_int_equal(ctl(f).checkpoint_seq, 4);
	assert_string_equal(ctl(f).public_key, f->pk_hex); /* pinned by the first contact */
	assert_int_equal(feed(f, "aeogate/s1/gate-1/checkpoints", forged_sig), 0);
	assert_int_equal(alarms(f, "bad_checkpoint"), 1);
	assert_int_equal(hub_store_checkpoint_get(f->store, "s1", "gate-1", 3, &cp), -ENOENT);
	assert_int_equal(feed(f, "aeogate/s1/gate-1/checkpoints", wrong), 0);
	assert_int_equal(alarms(f, "checkpoint_mismatch"), 1);
	/* Before its event: kept, and the event that does not match it is the alarm. */
	assert_int_equal(feed(f, "aeogate/s1/gate-1/checkpoints", early), 0);
	assert_int_equal(feed(f, TOPIC, f->events[5]), 0);
	assert_int_equal(feed(f, TOPIC, f->events[6]), 0);
	assert_int_equal(alarms(f, "checkpoint_mismatch"), 2);
	free(good);
	free(forged_sig);
	free(wrong);
	free(early);
}

/* Older events pruned before the hub heard of the controller: no seq 1 ever comes. */
static void test_a_late_start_is_anchored_on_a_checkpoint_and_backfilled(void **state)
{
	struct fixture *f = *state;
	char h[65], *cp = checkpoint(f, 5, hash_of(f, 5, h), true), *forged1;
	struct hub_controller c;

	for (int s = 3; s <= 4; s++)
		assert_int_equal(feed(f, TOPIC, f->events[s]), 0);
	assert_int_equal(ctl(f).verified_seq, 0);
	assert_int_equal(feed(f, "aeogate/s1/gate-1/checkpoints", cp), 0); /* before its event */
	assert_int_equal(ctl(f).verified_seq, 0);
	assert_int_equal(feed(f, TOPIC, f->events[5]), 0);
	assert_int_equal(feed(f, TOPIC, f->events[6]), 0);
	c = ctl(f);
	assert_int_equal(c.first_seq, 3);
	assert_int_equal(c.verified_seq, 6);
	assert_int_equal(c.pending, 0);
	/* Earlier events still in flight join at the start, in any order. */
	assert_int_equal(feed(f, TOPIC, f->events[1]), 0);
	assert_int_equal(ctl(f).pending, 1);
	assert_int_equal(feed(f, TOPIC, f->events[2]), 0);
	c = ctl(f);
	assert_int_equal(c.first_seq, 1);
	assert_int_equal(c.pending, 0);
	assert_int_equal(alarms(f, NULL), 0);
	/* A rehashed seq 1 after that is a conflict, as anywhere in the chain. */
	forged1 = make_event(1, AUDIT_GENESIS, "E-intruder", h);
	assert_int_equal(feed(f, TOPIC, forged1), 0);
	assert_int_equal(alarms(f, "conflict"), 1);
	free(forged1);
	free(cp);
}

static void test_only_the_chain_under_the_checkpoint_is_anchored(void **state)
{
	struct fixture *f = *state;
	char h[65], *cp = checkpoint(f, 4, hash_of(f, 4, h), true), *other;

	/* A held seq 3 that does not lead to the signed seq 4 is no anchor. */
	other = make_event(3, "4444444444444444444444444444444444444444444444444444444444444444",
			   "E-intruder", h);
	assert_int_equal(feed(f, TOPIC, other), 0);
	assert_int_equal(feed(f, TOPIC, f->events[4]), 0);
	assert_int_equal(feed(f, TOPIC, f->events[5]), 0);
	assert_int_equal(feed(f, "aeogate/s1/gate-1/checkpoints", cp), 0);
	assert_int_equal(ctl(f).first_seq, 4);
	assert_int_equal(ctl(f).verified_seq, 5);
	/* The genuine seq 3 comes: stored at the start; the forged one is a conflict. */
	assert_int_equal(feed(f, TOPIC, f->events[3]), 0);
	assert_int_equal(ctl(f).first_seq, 3);
	assert_int_equal(alarms(f, "conflict"), 1);
	free(other);
	free(cp);
}

static void test_request_republishes_stored_change_sets_from_a_version(void **state)
{
	struct fixture *f = *state;

	for (int v = 1; v <= 3; v++)
		assert_int_equal(hub_store_changeset_add(f->store, "s1", v, "{\"body\":\"x\"}"), 0);
	assert_int_equal(feed(f, "aeogate/s1/gate-1/requests", "{\"from\":2}"), 0);
	assert_int_equal(f->republished, 2);
	assert_string_equal(f->last_topic, "aeogate/s1/enrolment/gate-1");
	assert_int_equal(feed(f, "aeogate/s1/gate-1/requests", "{\"from\":9}"), 0);
	assert_int_equal(f->republished, 2);
}

/* A status of gate-1 under the fixture's key, saying it applied VERSION. */
static int status(struct fixture *f, int version)
{
	char text[256];

	snprintf(text, sizeof(text),
		 "{\"state\":\"online\",\"public_key\":\"%s\",\"last_seq\":0,"
		 "\"forwarded_seq\":0,\"applied_version\":%d}",
		 f->pk_hex, version);
	return feed(f, "aeogate/s1/gate-1/status", text);
}

static struct hub_resend *slot_of_gate1(struct fixture *f)
{
	for (int i = 0; i < HUB_RESEND_SLOTS; i++)
		if (!strcmp(f->in.resend[i].controller, "gate-1"))
			return &f->in.resend[i];
	return NULL;
}

static void test_a_controller_behind_in_its_statuses_is_sent_the_change_sets_again(void **state)
{
	struct fixture *f = *state;
	char path[] = "/tmp/aeogate-hub-ingest-XXXXXX";
	struct hub_resend *slot;
	sqlite3 *db;
	int fd = mkstemp(path);

	/* A store on a file, so that its change sets can be made a minute old. */
	assert_true(fd >= 0);
	close(fd);
	hub_store_close(f->store);
	assert_int_equal(hub_store_open(path, &f->store), 0);
	f->in.store = f->store;
	for (int v = 1; v <= 3; v++)
		assert_int_equal(hub_store_changeset_add(f->store, "s1", v, "{\"body\":\"x\"}"), 0);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "UPDATE changesets SET stored_ms = stored_ms - 60000",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);

	/* Applied 1; 2 and 3 stored a minute before. The first status says nothing yet. */
	assert_int_equal(status(f, 1), 0);
	assert_int_equal(f->republished, 0);
	/* The second shows it still behind what was stored before the first: 2 and 3 again. */
	assert_int_equal(status(f, 1), 0);
	assert_int_equal(f->republished, 2);
	assert_string_equal(f->last_topic, "aeogate/s1/enrolment/gate-1");
	assert_int_equal(f->in.catchups, 1);
	/* Not again at once: it waits, twice as long each time it stays behind. */
	assert_int_equal(status(f, 1), 0);
	assert_int_equal(f->republished, 2);
	slot = slot_of_gate1(f);
	assert_non_null(slot);
	assert_int_equal(slot->wait_ms, 2 * HUB_CATCHUP_AFTER_MS);
	slot->next_ms = 0; /* the wait has passed */
	assert_int_equal(status(f, 1), 0);
	assert_int_equal(f->republished, 4);
	assert_int_equal(slot->wait_ms, 4 * HUB_CATCHUP_AFTER_MS);
	/* Applying one starts the wait over; applied all, nothing is sent. */
	assert_int_equal(status(f, 2), 0);
	assert_int_equal(status(f, 2), 0);
	assert_int_equal(f->republished, 5);
	assert_int_equal(slot->wait_ms, 2 * HUB_CATCHUP_AFTER_MS);
	assert_int_equal(status(f, 3), 0);
	assert_int_equal(status(f, 3), 0);
	assert_int_equal(f->republished, 5);
	unlink(path);
}

/*
 * One lost change set makes a controller ask {"from":N} for each later one
 * that arrives out of order; each answer used to republish everything from
 * N again. Within the window after a republish to that controller, only
 * the versions stored since go out: what was on its way is not sent twice,
 * and a version stored after the republish (which may have overtaken it and
 * been refused) is not lost.
 */
static void test_repeated_requests_get_only_what_was_stored_since(void **state)
{
	struct fixture *f = *state;

	for (int v = 1; v <= 5; v++)
		assert_int_equal(hub_store_changeset_add(f->store, "s1", v, "{\"body\":\"x\"}"), 0);
	assert_int_equal(feed(f, "aeogate/s1/gate-1/requests", "{\"from\":1}"), 0);
	assert_int_equal(f->republished, 5);
	/* 2, 3, 4 and 5 arrived before the republished 1 and asked again each: nothing more. */
	for (int i = 0; i < 4; i++)
		assert_int_equal(feed(f, "aeogate/s1/gate-1/requests", "{\"from\":1}"), 0);
	assert_int_equal(f->republished, 5);
	/* 6 is stored and overtakes the republished ones: refused, asked for, sent. */
	assert_int_equal(hub_store_changeset_add(f->store, "s1", 6, "{\"body\":\"x\"}"), 0);
	assert_int_equal(feed(f, "aeogate/s1/gate-1/requests", "{\"from\":1}"), 0);
	assert_int_equal(f->republished, 6);
	assert_string_equal(f->last_topic, "aeogate/s1/enrolment/gate-1");
	assert_int_equal(feed(f, "aeogate/s1/gate-1/requests", "{\"from\":6}"), 0);
	assert_int_equal(f->republished, 6);
	/* Another controller's request is its own. */
	assert_int_equal(feed(f, "aeogate/s1/gate-2/requests", "{\"from\":1}"), 0);
	assert_int_equal(f->republished, 12);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_stores_each_event_once_whatever_the_order),
	    cmocka_unit_test_setup_teardown(
		test_forged_event_is_an_alarm_and_the_genuine_one_is_stored, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_forged_early_copy_does_not_push_out_the_genuine_one, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_event_that_does_not_link_is_refused, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(
		test_a_second_genuine_looking_event_for_a_stored_seq_is_a_conflict, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(test_rehashed_forgery_held_early_fails_its_link, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_held_events_are_bounded, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_malformed_messages_change_nothing, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(
		test_key_is_pinned_on_first_contact_and_a_change_is_an_alarm, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_checkpoints_are_verified_before_they_are_kept,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_a_late_start_is_anchored_on_a_checkpoint_and_backfilled, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_only_the_chain_under_the_checkpoint_is_anchored,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_request_republishes_stored_change_sets_from_a_version, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_a_controller_behind_in_its_statuses_is_sent_the_change_sets_again, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(test_repeated_requests_get_only_what_was_stored_since,
					    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
