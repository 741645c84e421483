/* SPDX-License-Identifier: MIT */
#include <time.h>

#include "metrics.h"

const uint64_t metrics_latency_le_ns[METRICS_LATENCY_BUCKETS] = {
    50000,   100000,   250000,	 500000,    1000000,   2500000,
    5000000, 10000000, 25000000, 100000000, 250000000, 1000000000,
};

uint64_t metrics_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void metrics_decision(struct decision_metrics *m, bool granted, enum reason r, uint64_t ns)
{
	if ((unsigned)r >= _REASON_MAX)
		r = REASON_NONE;
	m->decisions[granted][r]++;
	m->count++;
	m->sum_ns += ns;
	for (int i = 0; i < METRICS_LATENCY_BUCKETS; i++)
		if (ns <= metrics_latency_le_ns[i]) {
			m->bucket[i]++;
			break;
		}
}

json_t *metrics_decisions_json(const struct decision_metrics *m)
{
	json_t *arr = json_array();

	for (int g = 0; g < 2; g++)
		for (int r = 0; r < _REASON_MAX; r++)
			if (m->decisions[g][r])
				json_array_append_new(
				    arr,
				    json_pack("{s:s,s:s,s:I}", "result", g ? "granted" : "denied",
					      "reason", r == REASON_NONE ? "" : reason_to_string(r),
					      "count", (json_int_t)m->decisions[g][r]));
	return arr;
}

json_t *metrics_latency_json(const struct decision_metrics *m)
{
	json_t *b = json_array();
	uint64_t cum = 0;

	/* Cumulative, as Prometheus buckets are. */
	for (int i = 0; i < METRICS_LATENCY_BUCKETS; i++) {
		cum += m->bucket[i];
		json_array_append_new(b, json_pack("{s:f,s:I}", "le",
						   (double)metrics_latency_le_ns[i] / 1e9, "count",
						   (json_int_t)cum));
	}
	return json_pack("{s:o,s:I,s:f}", "buckets", b, "count", (json_int_t)m->count, "sum_s",
			 (double)m->sum_ns / 1e9);
}
