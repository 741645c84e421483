/* SPDX-License-Identifier: MIT */
/*
 * aeogate-sync's MQTT side: libmosquitto on a thread of its own that
 * connects, reconnects with a bounded backoff (SYNC_MQTT_BACKOFF_MAX_MS)
 * and keeps the session. Nothing of the uplink's state lives here: what
 * the broker says (connected or not, which message ids it acknowledged,
 * which messages arrived) is queued in an inbox and the loop is woken
 * through an eventfd; the loop takes it all with sync_mqtt_take and acts
 * on it on its own thread. Publishing is libmosquitto's, which is safe
 * from another thread once mosquitto_threaded_set is on.
 */
#ifndef AEOGATE_SYNC_MQTT_H
#define AEOGATE_SYNC_MQTT_H

#include <stdbool.h>
#include <stddef.h>

#include "aeogate/limits.h"
#include "config.h"

/* Reconnect delays: from the first up to this, doubling (the issue: at most 5 s). */
#define SYNC_MQTT_BACKOFF_MIN_MS 250
#define SYNC_MQTT_BACKOFF_MAX_MS 5000
#define SYNC_MQTT_KEEPALIVE_S	 30
/* Bounds of the downlink (include/aeogate/limits.h says why). */
#define SYNC_MQTT_INBOX_MAX   AEOGATE_SYNC_INBOX_MAX
#define SYNC_MQTT_PAYLOAD_MAX AEOGATE_SYNC_PAYLOAD_MAX

struct sync_mqtt;

struct sync_mqtt_msg {
	struct sync_mqtt_msg *next;
	char *topic;
	char *payload; /* NUL-terminated copy */
	size_t len;
};

/* What happened since the last take. */
struct sync_mqtt_news {
	bool connected;	  /* now */
	bool reconnected; /* a CONNACK came since the last take */
	int *acks;	  /* message ids the broker acknowledged, in order */
	size_t n_acks;
	struct sync_mqtt_msg *msgs; /* arrived, oldest first */
	unsigned long dropped;	    /* messages dropped: inbox full or too large */
	char *log;		    /* lines for the log (connects, errors), or NULL */
};

/*
 * Creates the client (last will: retained "offline" on will_topic), the
 * eventfd and the thread, which connects at once. subs (NULL-terminated)
 * are subscribed at QoS 1 on every connect. 0 or negative errno; err says
 * which step failed.
 */
int sync_mqtt_start(const struct sync_config *cfg, const char *will_topic, const char *const *subs,
		    unsigned inflight_max, struct sync_mqtt **ret, char *err, size_t errlen);
/* The fd to poll for POLLIN: readable when there is news. */
int sync_mqtt_fd(const struct sync_mqtt *m);
/* Moves the news out (the caller frees it with sync_mqtt_news_free). */
void sync_mqtt_take(struct sync_mqtt *m, struct sync_mqtt_news *ret);
void sync_mqtt_news_free(struct sync_mqtt_news *n);
/* Publishes at QoS 1; 0 and the message id, or negative errno (-ENOTCONN, -EMSGSIZE...). */
int sync_mqtt_publish(struct sync_mqtt *m, const char *topic, const void *payload, size_t len,
		      bool retain, int *ret_mid);
/* Disconnects cleanly (no last will), stops the thread, frees everything. Accepts NULL. */
void sync_mqtt_stop(struct sync_mqtt *m);

#endif
