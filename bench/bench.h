/* SPDX-License-Identifier: MIT */
/*
 * Shared by the bench programs: the machine banner every result is printed
 * under, a nanosecond clock, and percentiles. Benchmarks report; they never
 * pass or fail on time.
 */
#ifndef AEOGATE_BENCH_H
#define AEOGATE_BENCH_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

static inline uint64_t bench_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline void bench_machine(FILE *f)
{
	char line[512], model[256] = "unknown";
	struct utsname u;
	time_t now = time(NULL);
	char date[64];
	FILE *c = fopen("/proc/cpuinfo", "re");

	if (c) {
		while (fgets(line, sizeof(line), c)) {
			char *colon = strchr(line, ':');
			if (strncmp(line, "model name", 10) == 0 && colon) {
				snprintf(model, sizeof(model), "%s", colon + 2);
				model[strcspn(model, "\n")] = '\0';
				break;
			}
		}
		fclose(c);
	}
	uname(&u);
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	fprintf(f, "# date: %s\n# cpu: %s\n# cores: %ld online\n# kernel: %s %s %s\n", date, model,
		sysconf(_SC_NPROCESSORS_ONLN), u.sysname, u.release, u.machine);
}

static int bench_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The value at quantile q (0..1) of v, sorted ascending. */
static inline uint64_t bench_pct(const uint64_t *v, size_t n, double q)
{
	size_t i = (size_t)(n * q);

	return n ? v[i < n ? i : n - 1] : 0;
}

enum bench_goal {
	BENCH_AT_MOST,	/* the figure must stay at or under the goal (latency, size) */
	BENCH_AT_LEAST, /* the figure must reach the goal (rates) */
};

/*
 * Prints one figure beside its goal and the ratio figure / goal, and
 * MISSED when the goal is missed; returns 1 when missed. bench/run-all
 * collects exactly these lines into its summary (bench/README.md gives the
 * format), so every bench, whatever its language, prints them alike.
 */
static inline int bench_goal(FILE *f, const char *figure, double value, const char *unit,
			     enum bench_goal kind, double goal)
{
	double ratio = value / goal;
	int missed = kind == BENCH_AT_MOST ? value > goal : value < goal;

	fprintf(f, "%-44s %10.*f %s  goal %s %.0f %s  %.2f×%s\n", figure, value >= 1000 ? 0 : 1,
		value, unit, kind == BENCH_AT_MOST ? "≤" : "≥", goal, unit, ratio,
		missed ? "  MISSED" : "");
	return missed;
}

/*
 * Prints a figure that has no goal of its own beside the ones that do (a
 * floor, a figure through another path) with why; bench/run-all collects
 * these lines too.
 */
static inline void bench_beside(FILE *f, const char *figure, double value, const char *unit,
				const char *why)
{
	fprintf(f, "%-44s %10.*f %s  (no goal: %s)\n", figure, value >= 1000 ? 0 : 1, value, unit,
		why);
}

/* Sorts v in place; prints n, p50, p99, p99.9, max in microseconds. */
static inline void bench_report(FILE *f, const char *what, uint64_t *v, size_t n)
{
	if (!n) {
		fprintf(f, "%-34s n=0\n", what);
		return;
	}
	qsort(v, n, sizeof(*v), bench_cmp_u64);
	fprintf(f, "%-34s n=%-8zu p50=%9.1f us  p99=%9.1f us  p99.9=%9.1f us  max=%9.1f us\n", what,
		n, bench_pct(v, n, 0.5) / 1e3, bench_pct(v, n, 0.99) / 1e3,
		bench_pct(v, n, 0.999) / 1e3, v[n - 1] / 1e3);
}

#endif
