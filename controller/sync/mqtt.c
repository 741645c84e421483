/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <mosquitto.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "mqtt.h"

/* How long a stop waits for the thread before cancelling it (a connect in progress). */
#define SYNC_MQTT_STOP_WAIT_S 3
/* Log lines kept for the loop between two takes; more are cut short. */
#define LOG_MAX 4096

struct sync_mqtt {
	struct mosquitto *mosq;
	const struct sync_config *cfg;
	const char *const *subs;
	pthread_t thread;
	bool thread_started;
	atomic_bool stop;
	int evfd;
	int stop_fd[2]; /* a pipe: the backoff sleep wakes when stop is set */

	pthread_mutex_t lock; /* guards everything below */
	bool connected, reconnected;
	bool ever_connected; /* a CONNACK came on this connection */
	int *acks;
	size_t n_acks, cap_acks;
	struct sync_mqtt_msg *head, *tail;
	size_t n_msgs;
	unsigned long dropped;
	char log[LOG_MAX];
	size_t log_len;
};

static void wake(struct sync_mqtt *m)
{
	uint64_t one = 1;

	/* A full counter already wakes the loop; nothing else can go wrong here. */
	if (write(m->evfd, &one, sizeof(one)) < 0) {
	}
}

static void note(struct sync_mqtt *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(struct sync_mqtt *m, const char *fmt, ...)
{
	va_list ap;
	int n;

	pthread_mutex_lock(&m->lock);
	if (m->log_len < LOG_MAX - 1) {
		va_start(ap, fmt);
		n = vsnprintf(m->log + m->log_len, LOG_MAX - m->log_len, fmt, ap);
		va_end(ap);
		if (n > 0)
			m->log_len = m->log_len + (size_t)n < LOG_MAX - 1 ? m->log_len + (size_t)n
									  : LOG_MAX - 1;
		if (m->log_len < LOG_MAX - 1)
			m->log[m->log_len++] = '\n';
		m->log[m->log_len] = '\0';
	}
	pthread_mutex_unlock(&m->lock);
	wake(m);
}

static void on_connect(struct mosquitto *mosq, void *obj, int rc)
{
	struct sync_mqtt *m = obj;

	if (rc != 0) {
		note(m, "broker refused the connection: %s", mosquitto_connack_string(rc));
		return;
	}
	for (const char *const *t = m->subs; t && *t; t++) {
		int r = mosquitto_subscribe(mosq, NULL, *t, 1);

		if (r != MOSQ_ERR_SUCCESS)
			note(m, "cannot subscribe to %s: %s", *t, mosquitto_strerror(r));
	}
	pthread_mutex_lock(&m->lock);
	m->connected = true;
	m->ever_connected = true;
	m->reconnected = true;
	pthread_mutex_unlock(&m->lock);
	note(m, "connected to %s:%d", m->cfg->host, m->cfg->port);
}

static void on_disconnect(struct mosquitto *mosq, void *obj, int rc)
{
	struct sync_mqtt *m = obj;

	bool was;

	(void)mosq;
	pthread_mutex_lock(&m->lock);
	was = m->connected;
	m->connected = false;
	pthread_mutex_unlock(&m->lock);
	/* Only a connection that was up: a connect that fails is the thread's to report. */
	if (was && !atomic_load(&m->stop))
		note(m, "disconnected from the broker (%s); reconnecting", mosquitto_strerror(rc));
}

static void on_publish(struct mosquitto *mosq, void *obj, int mid)
{
	struct sync_mqtt *m = obj;
	bool first;

	(void)mosq;
	pthread_mutex_lock(&m->lock);
	if (m->n_acks == m->cap_acks) {
		size_t cap = m->cap_acks ? m->cap_acks * 2 : 256;
		int *n = realloc(m->acks, cap * sizeof(*n));

		if (!n) {
			/* Lost, the window stalls until a restart resends from the cursor. */
			pthread_mutex_unlock(&m->lock);
			note(m, "out of memory for an acknowledgement");
			return;
		}
		m->acks = n;
		m->cap_acks = cap;
	}
	m->acks[m->n_acks++] = mid;
	first = m->n_acks == 1;
	pthread_mutex_unlock(&m->lock);
	/*
	 * One wake per batch: while earlier ones wait, the loop's next take
	 * (it reads the eventfd before it takes the lock) gets this one too.
	 */
	if (first)
		wake(m);
}

static void on_message(struct mosquitto *mosq, void *obj, const struct mosquitto_message *msg)
{
	struct sync_mqtt *m = obj;
	struct sync_mqtt_msg *x;

	(void)mosq;
	if (msg->payloadlen < 0 || (size_t)msg->payloadlen > SYNC_MQTT_PAYLOAD_MAX) {
		pthread_mutex_lock(&m->lock);
		m->dropped++;
		pthread_mutex_unlock(&m->lock);
		note(m, "dropped a %d-byte message on %s: larger than %d bytes", msg->payloadlen,
		     msg->topic, SYNC_MQTT_PAYLOAD_MAX);
		return;
	}
	x = calloc(1, sizeof(*x));
	if (x) {
		x->topic = strdup(msg->topic);
		x->payload = malloc((size_t)msg->payloadlen + 1);
		x->len = (size_t)msg->payloadlen;
	}
	if (!x || !x->topic || !x->payload) {
		if (x) {
			free(x->topic);
			free(x->payload);
		}
		free(x);
		pthread_mutex_lock(&m->lock);
		m->dropped++;
		pthread_mutex_unlock(&m->lock);
		return;
	}
	memcpy(x->payload, msg->payload, x->len);
	x->payload[x->len] = '\0';
	pthread_mutex_lock(&m->lock);
	if (m->n_msgs >= SYNC_MQTT_INBOX_MAX) {
		m->dropped++;
		pthread_mutex_unlock(&m->lock);
		free(x->topic);
		free(x->payload);
		free(x);
		return;
	}
	if (m->tail)
		m->tail->next = x;
	else
		m->head = x;
	m->tail = x;
	m->n_msgs++;
	pthread_mutex_unlock(&m->lock);
	wake(m);
}

/* Sleeps ms unless stop is set meanwhile. */
static void backoff_sleep(struct sync_mqtt *m, int ms)
{
	struct pollfd p = {.fd = m->stop_fd[0], .events = POLLIN};

	if (!atomic_load(&m->stop))
		(void)poll(&p, 1, ms);
}

/*
 * The thread: libmosquitto's loop, and a reconnect with a doubling delay
 * whenever the connection is gone. Unlike mosquitto_loop_forever it never
 * gives up: a broker that is down, unreachable, or refuses us for a while
 * is tried again until aeogate-sync stops.
 */
static void *run(void *arg)
{
	struct sync_mqtt *m = arg;
	int delay = SYNC_MQTT_BACKOFF_MIN_MS, rc;
	unsigned failed = 0; /* connect attempts failed in a row */
	bool first = true, up;

	while (!atomic_load(&m->stop)) {
		if (first)
			rc = mosquitto_connect(m->mosq, m->cfg->host, m->cfg->port,
					       SYNC_MQTT_KEEPALIVE_S);
		else
			rc = mosquitto_reconnect(m->mosq);
		first = false;
		if (rc != MOSQ_ERR_SUCCESS) {
			/* The first failure, then about once a minute: an outage is not a log
			 * flood. */
			if (failed++ % 12 == 0)
				note(m,
				     "cannot connect to %s:%d: %s; trying again every %d s at most",
				     m->cfg->host, m->cfg->port,
				     rc == MOSQ_ERR_ERRNO ? strerror(errno)
							  : mosquitto_strerror(rc),
				     SYNC_MQTT_BACKOFF_MAX_MS / 1000);
			backoff_sleep(m, delay);
			delay = delay * 2 > SYNC_MQTT_BACKOFF_MAX_MS ? SYNC_MQTT_BACKOFF_MAX_MS
								     : delay * 2;
			continue;
		}
		do
			rc = mosquitto_loop(m->mosq, 250, 1);
		while (rc == MOSQ_ERR_SUCCESS && !atomic_load(&m->stop));
		if (atomic_load(&m->stop))
			break;
		pthread_mutex_lock(&m->lock);
		up = m->ever_connected;
		m->ever_connected = false;
		m->connected = false;
		pthread_mutex_unlock(&m->lock);
		if (up) {
			/* It was up: start short again. */
			delay = SYNC_MQTT_BACKOFF_MIN_MS;
			failed = 0;
		} else if (failed++ % 12 == 0) {
			/* The TCP connect went through, the TLS handshake or CONNACK did not. */
			note(m, "cannot connect to %s:%d: %s; trying again every %d s at most",
			     m->cfg->host, m->cfg->port,
			     rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc),
			     SYNC_MQTT_BACKOFF_MAX_MS / 1000);
		}
		wake(m);
		backoff_sleep(m, delay);
		delay = delay * 2 > SYNC_MQTT_BACKOFF_MAX_MS ? SYNC_MQTT_BACKOFF_MAX_MS : delay * 2;
	}
	return NULL;
}

int sync_mqtt_start(const struct sync_config *cfg, const char *will_topic, const char *const *subs,
		    unsigned inflight_max, struct sync_mqtt **ret, char *err, size_t errlen)
{
	struct sync_mqtt *m;
	int rc, r;

	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	mosquitto_lib_init();
	m->cfg = cfg;
	m->subs = subs;
	m->evfd = -1;
	m->stop_fd[0] = m->stop_fd[1] = -1;
	atomic_init(&m->stop, false);
	pthread_mutex_init(&m->lock, NULL);
	m->evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (m->evfd < 0 || pipe2(m->stop_fd, O_CLOEXEC) < 0) {
		r = -errno;
		snprintf(err, errlen, "eventfd/pipe: %s", strerror(errno));
		goto err_free;
	}
	/* clean_session false: the broker keeps our subscriptions and queues while we are away. */
	m->mosq = mosquitto_new(cfg->client_id, false, m);
	if (!m->mosq) {
		r = -errno;
		snprintf(err, errlen, "mosquitto_new: %s", strerror(errno));
		goto err_free;
	}
	mosquitto_threaded_set(m->mosq, true);
	mosquitto_connect_callback_set(m->mosq, on_connect);
	mosquitto_disconnect_callback_set(m->mosq, on_disconnect);
	mosquitto_publish_callback_set(m->mosq, on_publish);
	mosquitto_message_callback_set(m->mosq, on_message);
	(void)mosquitto_max_inflight_messages_set(m->mosq, inflight_max);
	rc = mosquitto_will_set(m->mosq, will_topic, 7, "offline", 1, true);
	if (rc == MOSQ_ERR_SUCCESS && cfg->username[0])
		rc = mosquitto_username_pw_set(m->mosq, cfg->username,
					       cfg->has_password ? cfg->password : NULL);
	if (rc == MOSQ_ERR_SUCCESS && cfg->tls) {
		rc = mosquitto_tls_set(m->mosq, cfg->ca_file[0] ? cfg->ca_file : NULL,
				       cfg->ca_file[0] ? NULL : "/etc/ssl/certs",
				       cfg->cert_file[0] ? cfg->cert_file : NULL,
				       cfg->key_file[0] ? cfg->key_file : NULL, NULL);
		if (rc == MOSQ_ERR_SUCCESS)
			rc = mosquitto_tls_opts_set(m->mosq, 1, NULL, NULL);
	}
	if (rc != MOSQ_ERR_SUCCESS) {
		snprintf(err, errlen, "%s", mosquitto_strerror(rc));
		r = -EINVAL;
		goto err_free;
	}
	r = -pthread_create(&m->thread, NULL, run, m);
	if (r < 0) {
		snprintf(err, errlen, "cannot start the MQTT thread: %s", strerror(-r));
		goto err_free;
	}
	m->thread_started = true;
	*ret = m;
	return 0;

err_free:
	sync_mqtt_stop(m);
	return r;
}

int sync_mqtt_fd(const struct sync_mqtt *m)
{
	return m->evfd;
}

void sync_mqtt_take(struct sync_mqtt *m, struct sync_mqtt_news *ret)
{
	uint64_t v;

	/* Drained first: news arriving after this read wakes the loop again. */
	if (read(m->evfd, &v, sizeof(v)) < 0) {
	}
	memset(ret, 0, sizeof(*ret));
	pthread_mutex_lock(&m->lock);
	ret->connected = m->connected;
	ret->reconnected = m->reconnected;
	m->reconnected = false;
	ret->acks = m->acks;
	ret->n_acks = m->n_acks;
	m->acks = NULL;
	m->n_acks = m->cap_acks = 0;
	ret->msgs = m->head;
	m->head = m->tail = NULL;
	m->n_msgs = 0;
	ret->dropped = m->dropped;
	m->dropped = 0;
	if (m->log_len) {
		ret->log = strdup(m->log);
		m->log_len = 0;
		m->log[0] = '\0';
	}
	pthread_mutex_unlock(&m->lock);
}

void sync_mqtt_news_free(struct sync_mqtt_news *n)
{
	struct sync_mqtt_msg *x, *next;

	free(n->acks);
	for (x = n->msgs; x; x = next) {
		next = x->next;
		free(x->topic);
		free(x->payload);
		free(x);
	}
	free(n->log);
	memset(n, 0, sizeof(*n));
}

int sync_mqtt_publish(struct sync_mqtt *m, const char *topic, const void *payload, size_t len,
		      bool retain, int *ret_mid)
{
	int mid = 0, rc;

	if (len > INT32_MAX)
		return -EMSGSIZE;
	rc = mosquitto_publish(m->mosq, &mid, topic, (int)len, payload, 1, retain);
	switch (rc) {
	case MOSQ_ERR_SUCCESS:
		*ret_mid = mid;
		return 0;
	case MOSQ_ERR_NO_CONN:
		return -ENOTCONN;
	case MOSQ_ERR_NOMEM:
		return -ENOMEM;
	case MOSQ_ERR_PAYLOAD_SIZE:
	case MOSQ_ERR_OVERSIZE_PACKET:
		return -EMSGSIZE;
	default:
		return -EIO;
	}
}

void sync_mqtt_stop(struct sync_mqtt *m)
{
	struct sync_mqtt_news n;

	if (!m)
		return;
	atomic_store(&m->stop, true);
	if (m->stop_fd[1] >= 0 && write(m->stop_fd[1], "x", 1) < 0) {
	}
	if (m->mosq)
		(void)mosquitto_disconnect(m->mosq);
	if (m->thread_started) {
		struct timespec until;

		/*
		 * A connect to an unreachable host blocks in the kernel for minutes:
		 * past a few seconds the thread is cancelled, and what libmosquitto
		 * held is left to the process's exit rather than freed under a
		 * lock that thread may hold.
		 */
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += SYNC_MQTT_STOP_WAIT_S;
		if (pthread_timedjoin_np(m->thread, NULL, &until) != 0) {
			pthread_cancel(m->thread);
			pthread_join(m->thread, NULL);
			m->mosq = NULL;
		}
	}
	sync_mqtt_take(m, &n);
	sync_mqtt_news_free(&n);
	if (m->mosq)
		mosquitto_destroy(m->mosq);
	if (m->evfd >= 0)
		close(m->evfd);
	if (m->stop_fd[0] >= 0)
		close(m->stop_fd[0]);
	if (m->stop_fd[1] >= 0)
		close(m->stop_fd[1]);
	pthread_mutex_destroy(&m->lock);
	free(m);
	mosquitto_lib_cleanup();
}
