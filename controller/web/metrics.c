/* SPDX-License-Identifier: MIT */
/*
 * /metrics: system.metrics' result in the Prometheus text exposition format
 * (version 0.0.4), and who may read it: the bearer token of [web]
 * metrics_token_file when one is set, else loopback peers only.
 */
#include <errno.h>
#include <ini.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "web.h"

struct text {
	char *p;
	size_t len;
	bool failed;
	FILE *f;
};

/* A label value with \, " and newline escaped, as the format wants. */
static void label(FILE *f, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			fputc('\\', f);
		if (*v == '\n') {
			fputs("\\n", f);
			continue;
		}
		fputc(*v, f);
	}
}

static void head(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void by_label(FILE *f, const char *name, const char *type, const char *help,
		     const char *lname, const json_t *obj)
{
	const char *k;
	json_t *v;

	head(f, name, type, help);
	json_object_foreach((json_t *)obj, k, v)
	{
		fprintf(f, "%s{%s=\"", name, lname);
		label(f, k);
		fprintf(f, "\"} %lld\n", (long long)json_integer_value(v));
	}
}

char *web_metrics_render(const json_t *r, unsigned streams)
{
	const json_t *lat = json_object_get(r, "latency"), *d, *b;
	char *text = NULL;
	size_t len = 0, i;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return NULL;
	head(f, "aeogate_decisions_total", "counter",
	     "Badge decisions since aeogated started, by result and reason.");
	json_array_foreach(json_object_get(r, "decisions"), i, d)
	{
		const char *reason = json_string_value(json_object_get(d, "reason"));

		fprintf(f, "aeogate_decisions_total{result=\"");
		label(f, json_string_value(json_object_get(d, "result")) ?: "");
		fprintf(f, "\",reason=\"");
		label(f, reason && reason[0] ? reason : "none");
		fprintf(f, "\"} %lld\n",
			(long long)json_integer_value(json_object_get(d, "count")));
	}
	head(f, "aeogate_decision_latency_seconds", "histogram",
	     "From a read handed to the core to the lock commanded or the denial committed, "
	     "measured by aeogated.");
	json_array_foreach(json_object_get(lat, "buckets"), i, b)
	{
		fprintf(f, "aeogate_decision_latency_seconds_bucket{le=\"%g\"} %lld\n",
			json_real_value(json_object_get(b, "le")),
			(long long)json_integer_value(json_object_get(b, "count")));
	}
	fprintf(f, "aeogate_decision_latency_seconds_bucket{le=\"+Inf\"} %lld\n",
		(long long)json_integer_value(json_object_get(lat, "count")));
	fprintf(f, "aeogate_decision_latency_seconds_sum %.9f\n",
		json_real_value(json_object_get(lat, "sum_s")));
	fprintf(f, "aeogate_decision_latency_seconds_count %lld\n",
		(long long)json_integer_value(json_object_get(lat, "count")));
	head(f, "aeogate_events_stored_total", "counter", "Events in the log (its newest seq).");
	fprintf(f, "aeogate_events_stored_total %lld\n",
		(long long)json_integer_value(json_object_get(r, "events_stored")));
	head(f, "aeogate_storage_faults_total", "counter",
	     "Events storage could not take since aeogated started.");
	fprintf(f, "aeogate_storage_faults_total %lld\n",
		(long long)json_integer_value(json_object_get(r, "storage_faults")));
	head(f, "aeogate_events_lost_total", "counter",
	     "Events lost (the buffer for a failing storage was full) since aeogated started.");
	fprintf(f, "aeogate_events_lost_total %lld\n",
		(long long)json_integer_value(json_object_get(r, "events_lost")));
	head(f, "aeogate_readers_online", "gauge", "Readers answering now.");
	fprintf(f, "aeogate_readers_online %lld\n",
		(long long)json_integer_value(json_object_get(r, "readers_online")));
	by_label(f, "aeogate_doors", "gauge", "Doors by state.", "state",
		 json_object_get(r, "doors"));
	by_label(f, "aeogate_alarms_open", "gauge", "Alarms not closed, by kind.", "kind",
		 json_object_get(r, "alarms_open"));
	head(f, "aeogate_stream_clients", "gauge", "Dashboard event streams of aeogate-web now.");
	fprintf(f, "aeogate_stream_clients %u\n", streams);
	if (json_is_number(json_object_get(r, "last_backup_ts"))) {
		head(f, "aeogate_last_backup_timestamp_seconds", "gauge",
		     "When the newest backup was made (Unix time).");
		fprintf(f, "aeogate_last_backup_timestamp_seconds %.3f\n",
			json_number_value(json_object_get(r, "last_backup_ts")));
	}
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

bool web_metrics_allowed(const struct web_config *cfg, const char *authorization, const char *peer)
{
	size_t n = strlen(cfg->metrics_token);

	if (n) {
		if (!authorization || strncmp(authorization, "Bearer ", 7) != 0 ||
		    strlen(authorization + 7) != n)
			return false;
		return sodium_memcmp(authorization + 7, cfg->metrics_token, n) == 0;
	}
	return !strncmp(peer, "127.", 4) || !strcmp(peer, "::1") ||
	       !strncmp(peer, "::ffff:127.", 11);
}

static int ini_web(void *user, const char *section, const char *name, const char *value)
{
	const char **ret = user;

	if (!strcmp(section, "web") && !strcmp(name, "metrics_token_file") && !*ret)
		*ret = strdup(value);
	return 1;
}

int web_metrics_config(struct web_config *cfg, const char *config_path, const char *token_file)
{
	char *from_ini = NULL, line[AEOGATE_WEB_METRICS_TOKEN_MAX + 2];
	const char *path = token_file;
	FILE *f;
	int r = 0;

	if (!path && config_path) {
		if (ini_parse(config_path, ini_web, &from_ini) < 0) {
			fprintf(stderr, "<3>aeogate-web: %s: cannot read\n", config_path);
			return -EIO;
		}
		path = from_ini;
	}
	if (!path)
		return 0;
	f = fopen(path, "re");
	if (!f) {
		r = -errno;
		fprintf(stderr, "<3>aeogate-web: metrics_token_file %s: %s\n", path, strerror(-r));
		goto out;
	}
	if (!fgets(line, sizeof(line), f))
		line[0] = '\0';
	fclose(f);
	line[strcspn(line, "\r\n")] = '\0';
	if (strlen(line) < 16 || strlen(line) > AEOGATE_WEB_METRICS_TOKEN_MAX) {
		fprintf(stderr,
			"<3>aeogate-web: metrics_token_file %s: the first line must be a "
			"token of 16-%d characters\n",
			path, AEOGATE_WEB_METRICS_TOKEN_MAX);
		r = -EINVAL;
		goto out;
	}
	/* Its length is checked above: it fits, with its NUL. */
	memcpy(cfg->metrics_token, line, strlen(line) + 1);
	sodium_memzero(line, sizeof(line));
out:
	free(from_ini);
	return r;
}
