/* SPDX-License-Identifier: MIT */
/*
 * The hub's MQTT side through libmosquitto (Debian's libmosquitto): one
 * client, driven from the caller's thread with mosquitto_loop, so the
 * store is only ever touched from one thread. MQTT 3.1.1, QoS 1 for
 * everything; a persistent session for `run`, so what the broker queued
 * while the hub was down arrives when it is back.
 */
#include <errno.h>
#include <mosquitto.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hub.h"
#include "util.h"

/* Subscriptions renewed after a reconnect: four kinds per site, or four for every site. */
#define HUB_SUBS_MAX (4 * HUB_SITES_MAX + 4)

struct hub_mqtt {
	struct mosquitto *m;
	bool connected;
	int connack; /* -1 until the broker answered */
	int wait_mid;
	bool wait_done;
	char *subs[HUB_SUBS_MAX];
	size_t n_subs;
	void (*fn)(void *u, const char *topic, const void *payload, size_t len);
	void *u;
	char host[256];
	int port;
	char url[300];
};

static pthread_once_t lib_once = PTHREAD_ONCE_INIT;

static void lib_init(void)
{
	(void)mosquitto_lib_init();
}

static void on_connect(struct mosquitto *m, void *obj, int rc)
{
	struct hub_mqtt *h = obj;

	h->connack = rc;
	h->connected = rc == 0;
	/* A persistent session keeps them, a clean one does not: renew either way. */
	for (size_t i = 0; rc == 0 && i < h->n_subs; i++)
		(void)mosquitto_subscribe(m, NULL, h->subs[i], 1);
}

static void on_disconnect(struct mosquitto *m, void *obj, int rc)
{
	struct hub_mqtt *h = obj;

	(void)m;
	(void)rc;
	h->connected = false;
}

static void on_publish(struct mosquitto *m, void *obj, int mid)
{
	struct hub_mqtt *h = obj;

	(void)m;
	if (mid == h->wait_mid)
		h->wait_done = true;
}

static void on_subscribe(struct mosquitto *m, void *obj, int mid, int n, const int *granted)
{
	struct hub_mqtt *h = obj;

	(void)m;
	(void)n;
	(void)granted;
	if (mid == h->wait_mid)
		h->wait_done = true;
}

static void on_message(struct mosquitto *m, void *obj, const struct mosquitto_message *msg)
{
	struct hub_mqtt *h = obj;

	(void)m;
	if (h->fn)
		h->fn(h->u, msg->topic, msg->payload, (size_t)msg->payloadlen);
}

/* mqtt://HOST:PORT or mqtts://HOST:PORT; the port defaults to 1883 or 8883. */
static int url_parse(const char *url, char *host, size_t hostlen, int *port, bool *tls)
{
	const char *rest, *colon;
	long p;
	char *end;

	if (!strncmp(url, "mqtts://", 8)) {
		*tls = true;
		rest = url + 8;
	} else if (!strncmp(url, "mqtt://", 7)) {
		*tls = false;
		rest = url + 7;
	} else {
		return -EINVAL;
	}
	colon = strrchr(rest, ':');
	*port = *tls ? 8883 : 1883;
	if (colon) {
		errno = 0;
		p = strtol(colon + 1, &end, 10);
		if (errno || *end || p < 1 || p > 65535)
			return -EINVAL;
		*port = (int)p;
	}
	if ((size_t)(colon ? colon - rest : (long)strlen(rest)) >= hostlen)
		return -EINVAL;
	snprintf(host, hostlen, "%.*s", (int)(colon ? colon - rest : (long)strlen(rest)), rest);
	return host[0] ? 0 : -EINVAL;
}

static int read_password(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	size_t n;

	if (!f)
		return -errno;
	if (!fgets(buf, (int)len, f)) {
		fclose(f);
		return -EINVAL;
	}
	fclose(f);
	n = strcspn(buf, "\r\n");
	buf[n] = '\0';
	return n ? 0 : -EINVAL;
}

const char *hub_mqtt_strerror(int r)
{
	return r == -ETIMEDOUT ? "no answer from the broker in time" : strerror(-r);
}

/* Runs the loop until done() or the deadline; -ETIMEDOUT, -ENOTCONN. */
static int loop_until(struct hub_mqtt *h, int timeout_ms, bool (*done)(struct hub_mqtt *h))
{
	int64_t deadline = now_mono_ms() + timeout_ms;

	while (!done(h)) {
		int rc;

		if (now_mono_ms() >= deadline)
			return -ETIMEDOUT;
		rc = mosquitto_loop(h->m, 100, 1);
		if (rc != MOSQ_ERR_SUCCESS && h->connack >= 0)
			return -ENOTCONN;
	}
	return 0;
}

static bool connack_seen(struct hub_mqtt *h)
{
	return h->connack >= 0;
}

static bool wait_seen(struct hub_mqtt *h)
{
	return h->wait_done;
}

int hub_mqtt_new(const struct hub_config *cfg, const char *client_id, bool persistent,
		 struct hub_mqtt **ret, char *err, size_t errlen)
{
	struct hub_mqtt *h;
	char host[256], password[256];
	bool tls;
	int port, rc, r;

	if (!cfg->broker) {
		snprintf(err, errlen, "[hub] broker is not set");
		return -EINVAL;
	}
	if (url_parse(cfg->broker, host, sizeof(host), &port, &tls) < 0) {
		snprintf(err, errlen,
			 "[hub] broker: '%s' is not mqtt://HOST:PORT or mqtts://HOST:PORT",
			 cfg->broker);
		return -EINVAL;
	}
	pthread_once(&lib_once, lib_init);
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->m = mosquitto_new(client_id, !persistent, h);
	if (!h->m) {
		free(h);
		snprintf(err, errlen, "cannot make an MQTT client: %s", strerror(errno));
		return -ENOMEM;
	}
	mosquitto_connect_callback_set(h->m, on_connect);
	mosquitto_disconnect_callback_set(h->m, on_disconnect);
	mosquitto_publish_callback_set(h->m, on_publish);
	mosquitto_subscribe_callback_set(h->m, on_subscribe);
	mosquitto_message_callback_set(h->m, on_message);
	/* Never more than this many QoS-1 publications in flight: PUBACKs pace the hub. */
	(void)mosquitto_max_inflight_messages_set(h->m, 100);
	(void)mosquitto_reconnect_delay_set(h->m, 1, 30, true);
	if (tls) {
		rc = mosquitto_tls_set(h->m, cfg->ca_file, NULL, cfg->cert_file, cfg->key_file,
				       NULL);
		if (rc != MOSQ_ERR_SUCCESS) {
			snprintf(err, errlen, "TLS: %s (ca_file, cert_file, key_file)",
				 mosquitto_strerror(rc));
			r = -EINVAL;
			goto fail;
		}
	}
	if (cfg->username) {
		if (cfg->password_file &&
		    (r = read_password(cfg->password_file, password, sizeof(password))) < 0) {
			snprintf(err, errlen, "%s: cannot read a password: %s", cfg->password_file,
				 strerror(-r));
			goto fail;
		}
		rc = mosquitto_username_pw_set(h->m, cfg->username,
					       cfg->password_file ? password : NULL);
		explicit_bzero(password, sizeof(password));
		if (rc != MOSQ_ERR_SUCCESS) {
			snprintf(err, errlen, "username: %s", mosquitto_strerror(rc));
			r = -EINVAL;
			goto fail;
		}
	}
	snprintf(h->host, sizeof(h->host), "%s", host);
	h->port = port;
	snprintf(h->url, sizeof(h->url), "%s", cfg->broker);
	*ret = h;
	return 0;
fail:
	hub_mqtt_free(h);
	return r;
}

void hub_mqtt_on_message(struct hub_mqtt *h,
			 void (*fn)(void *u, const char *topic, const void *payload, size_t len),
			 void *u)
{
	h->fn = fn;
	h->u = u;
}

int hub_mqtt_connect(struct hub_mqtt *h, char *err, size_t errlen)
{
	int rc, r;

	h->connack = -1;
	rc = mosquitto_connect(h->m, h->host, h->port, 30);
	if (rc != MOSQ_ERR_SUCCESS) {
		snprintf(err, errlen, "cannot connect to %s: %s", h->url,
			 rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc));
		return -ECONNREFUSED;
	}
	r = loop_until(h, 20000, connack_seen);
	if (r == 0 && h->connack != 0) {
		snprintf(err, errlen, "%s refused the connection: %s", h->url,
			 mosquitto_connack_string(h->connack));
		r = -EACCES;
	} else if (r < 0) {
		snprintf(err, errlen, "%s: %s", h->url,
			 r == -ETIMEDOUT ? "no CONNACK in 20 s" : "the connection was lost (TLS?)");
	}
	return r;
}

void hub_mqtt_free(struct hub_mqtt *h)
{
	if (!h)
		return;
	if (h->connected) {
		(void)mosquitto_disconnect(h->m);
		(void)mosquitto_loop(h->m, 100, 1);
	}
	mosquitto_destroy(h->m);
	for (size_t i = 0; i < h->n_subs; i++)
		free(h->subs[i]);
	free(h);
}

int hub_mqtt_subscribe(struct hub_mqtt *h, const char *pattern, int timeout_ms)
{
	int mid = 0, rc;

	if (h->n_subs == HUB_SUBS_MAX)
		return -E2BIG;
	h->subs[h->n_subs] = strdup(pattern);
	if (!h->subs[h->n_subs])
		return -ENOMEM;
	h->n_subs++;
	h->wait_done = false;
	rc = mosquitto_subscribe(h->m, &mid, pattern, 1);
	if (rc != MOSQ_ERR_SUCCESS)
		return -EIO;
	h->wait_mid = mid;
	return loop_until(h, timeout_ms, wait_seen);
}

int hub_mqtt_publish(struct hub_mqtt *h, const char *topic, const char *payload, int timeout_ms)
{
	int mid = 0, rc;

	h->wait_done = false;
	rc = mosquitto_publish(h->m, &mid, topic, (int)strlen(payload), payload, 1, false);
	if (rc != MOSQ_ERR_SUCCESS)
		return rc == MOSQ_ERR_NO_CONN || rc == MOSQ_ERR_CONN_LOST ? -ENOTCONN : -EIO;
	h->wait_mid = mid;
	return loop_until(h, timeout_ms, wait_seen);
}

int hub_mqtt_publish_async(struct hub_mqtt *h, const char *topic, const char *payload)
{
	int rc = mosquitto_publish(h->m, NULL, topic, (int)strlen(payload), payload, 1, false);

	return rc == MOSQ_ERR_SUCCESS ? 0 : -EIO;
}

int hub_mqtt_run(struct hub_mqtt *h, int timeout_ms, const volatile int *stop)
{
	int64_t deadline = timeout_ms >= 0 ? now_mono_ms() + timeout_ms : INT64_MAX;
	int64_t retry_at = 0;

	while (!*stop && now_mono_ms() < deadline) {
		int rc = mosquitto_loop(h->m, 200, 1);

		if (rc == MOSQ_ERR_SUCCESS)
			continue;
		if (rc == MOSQ_ERR_NOMEM)
			return -ENOMEM;
		/* Lost: reconnect, at most once a second; the session (and its queue) waits on
		   the broker. */
		h->connected = false;
		if (now_mono_ms() >= retry_at) {
			retry_at = now_mono_ms() + 1000;
			(void)mosquitto_reconnect(h->m);
		} else {
			struct timespec ts = {0, 100 * 1000 * 1000};

			nanosleep(&ts, NULL);
		}
	}
	return 0;
}
