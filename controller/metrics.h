/* SPDX-License-Identifier: MIT */
/*
 * Counters aeogated keeps for /metrics (aeogate-web renders them): every
 * decision by result and reason, its latency in a fixed-bucket histogram
 * (read handed to the core -> lock commanded or denial committed), and the
 * events storage refused. Recording is a few increments: no allocation, no
 * lock (the loop is the only writer and the only reader).
 */
#ifndef AEOGATE_METRICS_H
#define AEOGATE_METRICS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "aeogate/reason.h"

/* Upper bounds in ns, ascending: 50 µs to 1 s; +Inf is the total count. */
#define METRICS_LATENCY_BUCKETS 12
extern const uint64_t metrics_latency_le_ns[METRICS_LATENCY_BUCKETS];

struct decision_metrics {
	uint64_t decisions[2][_REASON_MAX];	  /* [granted][reason] */
	uint64_t bucket[METRICS_LATENCY_BUCKETS]; /* not cumulative: each its own band */
	uint64_t count, sum_ns;
	uint64_t storage_faults; /* events storage could not take */
};

void metrics_decision(struct decision_metrics *m, bool granted, enum reason r, uint64_t ns);
/* The JSON of system.metrics' "decisions" and "latency" members. */
json_t *metrics_decisions_json(const struct decision_metrics *m);
json_t *metrics_latency_json(const struct decision_metrics *m);
/* CLOCK_MONOTONIC in ns. */
uint64_t metrics_now_ns(void);

#endif
