/* SPDX-License-Identifier: MIT */
/*
 * aeogate-hub, the security office's side of a fleet (README "Many
 * sites"): it collects every controller's events, checkpoints and status
 * from the broker into one SQLite store, verifying each controller's chain
 * as rows arrive, and signs and publishes enrolment change sets and
 * commands with the office key. One process per subcommand; the store is
 * shared between `run` and the publishing commands (SQLite, WAL).
 *
 * Modules: config.c ([hub] section), store.c (all SQL of the hub),
 * ingest.c (what a received message does to the store), mqtt.c
 * (libmosquitto: connect, publish and wait for PUBACK), office.c (the
 * office key and the signed envelopes), export.c, main.c.
 */
#ifndef AEOGATE_HUB_H
#define AEOGATE_HUB_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "aeogate/event.h"
#include "aeogate/limits.h"

/* Sites one hub serves at most (a [hub] sites list). */
#define HUB_SITES_MAX 64
/*
 * Events of one controller held back while an earlier seq is missing
 * (QoS 1 may redeliver, a test injects out of order). Past it an arrival
 * is refused and counted: the gap is an alarm, not an unbounded table.
 */
#define HUB_PENDING_MAX 100000
/* Change sets republished for one {"from":N} request. */
#define HUB_REPUBLISH_MAX 1000
/*
 * A change set a controller's statuses show not applied, although it was
 * stored before the previous status and this long ago, is sent to that
 * controller again (ingest_status's catch-up), at most HUB_CATCHUP_MAX per
 * status: its delivery was lost, and no later change set shows the gap.
 */
#define HUB_CATCHUP_AFTER_MS 10000
#define HUB_CATCHUP_MAX	     16
/*
 * A controller that stays behind (one that refuses the office's signature)
 * is sent again at twice the last wait each time, up to an hour, so its
 * refusals stay a trickle; the wait starts over once it applies one.
 */
#define HUB_CATCHUP_WAIT_MAX_MS (3600 * 1000)
/*
 * Within this long after change sets were republished to a controller, a
 * request from a version already sent gets only the versions after them:
 * each change set that overtook the republished ones asks again, and the
 * answer must not be everything again.
 */
#define HUB_REQUEST_WINDOW_MS 10000
/* Controllers whose resends are remembered (by hash; a collision only forgets one). */
#define HUB_RESEND_SLOTS 256

/* What the hub sent one controller again (ingest.c), in memory. */
struct hub_resend {
	char site[AEOGATE_ID_MAX + 1];
	char controller[AEOGATE_ID_MAX + 1];
	/* The catch-up of a controller behind in its statuses: */
	int64_t applied; /* the version it was behind at */
	int64_t next_ms; /* no catch-up before (monotonic) */
	int64_t wait_ms; /* the wait after the next one */
	/* Answers to its requests: */
	int64_t sent_upto; /* the last version republished */
	int64_t sent_ms;   /* when a republish last began at the version asked for */
};
/* Largest MQTT payload the hub reads: an event row is bounded by the controller's export row. */
#define HUB_PAYLOAD_MAX AEOGATE_EXPORT_ROW_MAX

struct hub_config {
	char *broker; /* mqtt://HOST:PORT or mqtts://HOST:PORT */
	char *ca_file, *cert_file, *key_file;
	char *username, *password_file;
	char *client_id; /* default aeogate-hub */
	char *sites[HUB_SITES_MAX];
	size_t n_sites; /* 0: every site on the broker */
	char *db;	/* the hub's SQLite store */
	char *key_dir;	/* office.key and office.pub */
	char *name;	/* signer: "office:NAME" */
};

/* Reads FILE's [hub] section; 0, or -EINVAL with what is wrong in err. */
int hub_config_load(const char *path, struct hub_config *ret, char *err, size_t errlen);
void hub_config_free(struct hub_config *c);

/* ---- the store (store.c) ---- */

struct hub_store;

int hub_store_open(const char *path, struct hub_store **ret);
/* Read-only, never creating anything (aeogate-hub serve): -ENOENT when there is no store yet. */
int hub_store_open_readonly(const char *path, struct hub_store **ret);
void hub_store_close(struct hub_store *s);
int hub_store_begin(struct hub_store *s);
int hub_store_commit(struct hub_store *s);
void hub_store_rollback(struct hub_store *s);

/* What the hub knows of one controller. */
struct hub_controller {
	char site[AEOGATE_ID_MAX + 1];
	char controller[AEOGATE_ID_MAX + 1];
	char public_key[65]; /* "" until pinned */
	char key_id[17];
	/*
	 * The stored chain: every seq from first_seq to verified_seq, linked.
	 * first_seq is 1, or later for a controller whose older events were
	 * pruned before the hub heard of it (anchored on a signed checkpoint);
	 * first_prev is the hash its first event follows. 0 and "": none yet.
	 */
	int64_t first_seq;
	char first_prev[EVENT_HASH_HEX];
	int64_t verified_seq;
	char verified_hash[EVENT_HASH_HEX];
	int64_t status_last_seq, forwarded_seq, applied_version;
	int64_t doors, alarms;
	bool online;
	int64_t status_ms; /* when the last status came */
	int64_t duplicates, pending, refused;
	int64_t checkpoint_seq; /* the last verified checkpoint */
	int64_t open_alarms;
};

/* Creates the controller's row when new; 0 or negative errno. */
int hub_store_controller_get(struct hub_store *s, const char *site, const char *controller,
			     struct hub_controller *ret);
int hub_store_controller_put(struct hub_store *s, const struct hub_controller *c);
/* Every controller, ordered by site and name: calls fn for each; stops on its negative return. */
int hub_store_controller_each(struct hub_store *s,
			      int (*fn)(void *u, const struct hub_controller *c), void *u);

/* The stored event's hash at seq (0), or -ENOENT. */
int hub_store_event_hash(struct hub_store *s, const char *site, const char *controller, int64_t seq,
			 char ret_hash[EVENT_HASH_HEX]);
int hub_store_event_add(struct hub_store *s, const char *site, const char *controller,
			const struct event *e, const char *json_text);
/* The events of seq first..last in order, as their stored JSON text. */
int hub_store_event_each(struct hub_store *s, const char *site, const char *controller,
			 int64_t first, int64_t last, int (*fn)(void *u, const char *json),
			 void *u);
/* Every event stored, all controllers together. */
int hub_store_event_count(struct hub_store *s, int64_t *ret);
/* The first seq whose ts is >= from_ms (0 when none), the last whose ts is < to_ms. */
int hub_store_event_seq_at(struct hub_store *s, const char *site, const char *controller,
			   int64_t ts_ms, bool last_before, int64_t *ret_seq);

/*
 * Out-of-order arrivals: held (by seq and hash) until the seq before them is
 * stored. 1 when held, 0 when the same event was held already.
 */
int hub_store_pending_add(struct hub_store *s, const char *site, const char *controller,
			  const struct event *e, const char *json_text);
/*
 * Takes (removes) a held event of the lowest seq in min_seq..max_seq; -ENOENT
 * when none. *ret malloc'd.
 */
int hub_store_pending_take(struct hub_store *s, const char *site, const char *controller,
			   int64_t min_seq, int64_t max_seq, char **ret);
/* The prev of the held event (seq, hash); -ENOENT when none is held. */
int hub_store_pending_find(struct hub_store *s, const char *site, const char *controller,
			   int64_t seq, const char *hash, char ret_prev[EVENT_HASH_HEX]);
int hub_store_pending_count(struct hub_store *s, const char *site, const char *controller,
			    int64_t *ret);

struct hub_checkpoint {
	int64_t seq;
	char hash[EVENT_HASH_HEX];
	char ts[32];
	int64_t ts_ms;
	char key_id[17];
	char signature[129];
};
/* A checkpoint whose signature verified under the pinned key. */
int hub_store_checkpoint_add(struct hub_store *s, const char *site, const char *controller,
			     const struct hub_checkpoint *cp);
/* The latest checkpoint at or below seq; -ENOENT when none. */
int hub_store_checkpoint_at_or_before(struct hub_store *s, const char *site, const char *controller,
				      int64_t seq, struct hub_checkpoint *ret);
/* The checkpoint exactly at seq; -ENOENT when none. */
int hub_store_checkpoint_get(struct hub_store *s, const char *site, const char *controller,
			     int64_t seq, struct hub_checkpoint *ret);

/*
 * An alarm row; kind: chain_broken, conflict, bad_checkpoint, checkpoint_mismatch,
 * key_changed, gap. Returns 1 when added, 0 when the same alarm was already there.
 */
int hub_store_alarm_add(struct hub_store *s, const char *site, const char *controller,
			const char *kind, int64_t seq, const char *message);
/* Every alarm, oldest first. */
int hub_store_alarm_each(struct hub_store *s,
			 int (*fn)(void *u, int64_t id, int64_t at_ms, const char *site,
				   const char *controller, const char *kind, int64_t seq,
				   const char *message),
			 void *u);

/*
 * Change sets: the next version of a site (max + 1, from 1), assigned and
 * stored in one transaction by hub_store_changeset_add's caller.
 */
int hub_store_changeset_next(struct hub_store *s, const char *site, int64_t *ret_version);
int hub_store_changeset_add(struct hub_store *s, const char *site, int64_t version,
			    const char *payload);
/* The stored payloads of versions >= from, in order, at most max. */
int hub_store_changeset_each(struct hub_store *s, const char *site, int64_t from, int max,
			     int (*fn)(void *u, int64_t version, const char *payload), void *u);
/* When change set VERSION of SITE was stored (wall ms); -ENOENT when there is none. */
int hub_store_changeset_stored_ms(struct hub_store *s, const char *site, int64_t version,
				  int64_t *ret_ms);

/* The site a controller was seen on; -ENOENT when none, -EEXIST when more than one. */
int hub_store_controller_site(struct hub_store *s, const char *controller, char *ret_site,
			      size_t len);

/* ---- ingest (ingest.c): one received message ---- */

struct hub_ingest {
	struct hub_store *store;
	/* Republishes a stored change set to one controller (run's MQTT side). */
	int (*republish)(void *u, const char *topic, const char *payload);
	/* A new alarm row (the caller logs it). */
	void (*on_alarm)(void *u, const char *site, const char *controller, const char *kind,
			 int64_t seq, const char *message);
	void *u;
	/* Events held per controller at most; 0: HUB_PENDING_MAX. */
	int64_t pending_max;
	/* Counters since start, for the log line at exit. */
	uint64_t events, duplicates, held, refused, alarms, bad_messages;
	uint64_t replays;  /* controllers asked to send events again (ingest_status) */
	uint64_t catchups; /* catch-ups sent to a controller behind (ingest_status) */
	struct hub_resend resend[HUB_RESEND_SLOTS];
};

/*
 * Handles a message on aeogate/SITE/CONTROLLER/{events,checkpoints,status,
 * requests}: stores it, verifies it, raises alarms; a status showing events
 * forwarded that never arrived asks, on .../replay, for them again. Returns 0 when it was
 * handled (an alarm is handled), -EBADMSG for a malformed message (counted,
 * nothing changed), another negative errno when the store failed.
 */
int hub_ingest_message(struct hub_ingest *in, const char *topic, const void *payload, size_t len);

/* ---- the broker (mqtt.c) ---- */

struct hub_mqtt;

/*
 * A client for the config's broker (TLS for mqtts://, the CA, client
 * certificate and password file given) as client_id, with a persistent
 * session when persistent; not connected yet. 0, or negative errno with why in err.
 */
int hub_mqtt_new(const struct hub_config *cfg, const char *client_id, bool persistent,
		 struct hub_mqtt **ret, char *err, size_t errlen);
/*
 * Where received messages go. Set it before connecting: a persistent
 * session's queue arrives right after the CONNACK, already acknowledged.
 */
void hub_mqtt_on_message(struct hub_mqtt *m,
			 void (*fn)(void *u, const char *topic, const void *payload, size_t len),
			 void *u);
/* Connects and waits for the CONNACK; negative errno with why in err. */
int hub_mqtt_connect(struct hub_mqtt *m, char *err, size_t errlen);
void hub_mqtt_free(struct hub_mqtt *m);
/* Subscribes (QoS 1) and waits for the SUBACK. */
int hub_mqtt_subscribe(struct hub_mqtt *m, const char *pattern, int timeout_ms);
/* Publishes at QoS 1 and waits up to timeout_ms for the PUBACK: 0, -ETIMEDOUT, -EIO. */
int hub_mqtt_publish(struct hub_mqtt *m, const char *topic, const char *payload, int timeout_ms);
/* Queues a QoS-1 publication without waiting (from inside a message callback). */
int hub_mqtt_publish_async(struct hub_mqtt *m, const char *topic, const char *payload);
/*
 * Runs the network loop for up to timeout_ms (-1: no end), handing every
 * message received to the on_message function (and reconnecting after a
 * lost connection). Returns when *stop is
 * set or the time is over: 0, or negative errno when it cannot go on.
 */
int hub_mqtt_run(struct hub_mqtt *m, int timeout_ms, const volatile int *stop);
/* The last connection problem, as text (for logs). */
const char *hub_mqtt_strerror(int r);

#endif
