/* SPDX-License-Identifier: MIT */
/*
 * aeogate-hub run: the collector. One persistent MQTT session (client_id),
 * subscribed QoS 1 to every controller's events, checkpoints, status and
 * requests of the configured sites (or of every site), each message handed
 * to ingest.c in its own transaction. A lost broker is reconnected to; what
 * it queued for the session meanwhile arrives then.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "hub.h"
#include "hub_cmds.h"

static volatile sig_atomic_t stop_signal;
static volatile int stop;

static void on_signal(int sig)
{
	stop_signal = sig;
	stop = 1;
}

struct run {
	struct hub_ingest in;
	struct hub_mqtt *m;
	uint64_t store_errors;
};

static void log_alarm(void *u, const char *site, const char *controller, const char *kind,
		      int64_t seq, const char *message)
{
	(void)u;
	fprintf(stderr, "aeogate-hub: ALARM %s site=%s controller=%s seq=%lld: %s\n", kind, site,
		controller, (long long)seq, message);
}

static int republish(void *u, const char *topic, const char *payload)
{
	struct run *run = u;

	return hub_mqtt_publish_async(run->m, topic, payload);
}

static void on_message(void *u, const char *topic, const void *payload, size_t len)
{
	struct run *run = u;
	int r = hub_ingest_message(&run->in, topic, payload, len);

	if (r == -EBADMSG)
		fprintf(stderr, "aeogate-hub: %s: malformed message (%zu bytes) dropped\n", topic,
			len);
	else if (r < 0) {
		/* The broker has its PUBACK: this one is lost to the store. Loud, and counted. */
		run->store_errors++;
		fprintf(stderr, "aeogate-hub: %s: NOT STORED: %s\n", topic, strerror(-r));
	}
}

int hub_cmd_run(struct hub_opts *o, int argc, char **argv)
{
	static const char *const kinds[] = {"events", "checkpoints", "status", "requests"};
	struct sigaction sa = {.sa_handler = on_signal};
	struct hub_config cfg;
	struct hub_store *store = NULL;
	struct run run = {0};
	char err[512], pattern[AEOGATE_ID_MAX + 32];
	int r;

	if (argc != 1) {
		fputs("usage: aeogate-hub run -c FILE\n", stderr);
		return 2;
	}
	(void)argv;
	if (hub_load(o, &cfg, &store))
		return 1;
	run.in.store = store;
	run.in.republish = republish;
	run.in.on_alarm = log_alarm;
	run.in.u = &run;
	r = hub_mqtt_new(&cfg, cfg.client_id, true, &run.m, err, sizeof(err));
	if (r == 0) {
		hub_mqtt_on_message(run.m, on_message, &run);
		r = hub_mqtt_connect(run.m, err, sizeof(err));
	}
	if (r < 0) {
		hub_fail("%s", err);
		goto out;
	}
	for (size_t s = 0; s < (cfg.n_sites ? cfg.n_sites : 1) && r == 0; s++)
		for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]) && r == 0; k++) {
			snprintf(pattern, sizeof(pattern), "aeogate/%s/+/%s",
				 cfg.n_sites ? cfg.sites[s] : "+", kinds[k]);
			r = hub_mqtt_subscribe(run.m, pattern, 20000);
			if (r < 0)
				hub_fail("%s: cannot subscribe: %s", pattern, hub_mqtt_strerror(r));
		}
	if (r < 0)
		goto out;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	fprintf(stderr, "aeogate-hub: collecting from %s as %s, sites %s%s, store %s\n", cfg.broker,
		cfg.client_id, cfg.n_sites ? cfg.sites[0] : "(all)", cfg.n_sites > 1 ? " ..." : "",
		cfg.db);
	r = hub_mqtt_run(run.m, -1, &stop);
	fprintf(stderr,
		"aeogate-hub: stopping%s: %llu events stored, %llu duplicates dropped, %llu held "
		"out of order, %llu refused, %llu alarms, %llu malformed, %llu not stored, "
		"%llu replays asked, %llu catch-ups sent\n",
		stop_signal ? " on a signal" : "", (unsigned long long)run.in.events,
		(unsigned long long)run.in.duplicates, (unsigned long long)run.in.held,
		(unsigned long long)run.in.refused, (unsigned long long)run.in.alarms,
		(unsigned long long)run.in.bad_messages, (unsigned long long)run.store_errors,
		(unsigned long long)run.in.replays, (unsigned long long)run.in.catchups);
	if (r < 0)
		hub_fail("the MQTT loop ended: %s", strerror(-r));
out:
	hub_mqtt_free(run.m);
	hub_store_close(store);
	hub_config_free(&cfg);
	return r < 0 ? 1 : 0;
}
