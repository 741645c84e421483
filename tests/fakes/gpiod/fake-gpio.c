/* SPDX-License-Identifier: MIT */
/*
 * fake-gpio: drives the libgpiod double inside a running aeogated through
 * its control socket DIR/control.
 *
 *   fake-gpio DIR edge CHIP LINE rising|falling [TS_NS]
 *   fake-gpio DIR pulse CHIP LINE [--width-us 50]  (away from its level and back)
 *   fake-gpio DIR set CHIP LINE 0|1
 *   fake-gpio DIR get CHIP LINE
 *   fake-gpio DIR log
 *   fake-gpio DIR wiegand CHIP D0 D1 BITS [--interval-us 2000] [--width-us 50]
 *   fake-gpio DIR interleave CHIP A_D0 A_D1 A_BITS B_D0 B_D1 B_BITS
 *             [--interval-us 2000] [--width-us 50] [--offset-us 1000]
 *   fake-gpio encode FORMAT:FACILITY:NUMBER   prints the frame's bits
 *
 * Edges are physical. A Wiegand pulse is a low pulse: falling, then rising
 * width later. Frames are sent in one request with synthetic CLOCK_MONOTONIC
 * timestamps that end now, as if the reader had just finished sending; the
 * daemon's frame-gap timer then runs on the real clock.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "aeogate/wiegand.h"

#define MAX_EDGES 1024

struct edge {
	uint64_t ts;
	const char *line;
	int rising;
};

static struct edge edges[MAX_EDGES];
static size_t n_edges;
static unsigned long interval_us = 2000, width_us = 50, offset_us = 1000;

static void usage(void)
{
	fprintf(stderr,
		"usage: fake-gpio DIR edge CHIP LINE rising|falling [TS_NS]\n"
		"       fake-gpio DIR pulse CHIP LINE [--width-us N]\n"
		"       fake-gpio DIR set CHIP LINE 0|1\n"
		"       fake-gpio DIR get CHIP LINE\n"
		"       fake-gpio DIR log\n"
		"       fake-gpio DIR wiegand CHIP D0 D1 BITS [--interval-us N] [--width-us N]\n"
		"       fake-gpio DIR interleave CHIP A_D0 A_D1 A_BITS B_D0 B_D1 B_BITS\n"
		"                 [--interval-us N] [--width-us N] [--offset-us N]\n"
		"       fake-gpio encode FORMAT:FACILITY:NUMBER\n");
	exit(2);
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int connect_control(const char *dir)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd;

	if ((size_t)snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/control", dir) >=
	    sizeof(sa.sun_path)) {
		fprintf(stderr, "fake-gpio: %s: path too long\n", dir);
		exit(1);
	}
	/* The double creates its socket on the daemon's first gpiod call. */
	for (int tries = 0; tries < 100; tries++) {
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			break;
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			return fd;
		close(fd);
		if (errno != ENOENT && errno != ECONNREFUSED)
			break;
		usleep(50 * 1000);
	}
	fprintf(stderr, "fake-gpio: %s: %s\n", sa.sun_path, strerror(errno));
	exit(1);
}

/* Sends req, prints the reply's data; exits 1 when a line failed. */
static int transact(const char *dir, const char *req)
{
	size_t len = strlen(req), off = 0, cap = 65536, n = 0;
	char *reply = malloc(cap);
	int fd = connect_control(dir), rc = 0;
	ssize_t k;

	while (off < len) {
		k = write(fd, req + off, len - off);
		if (k <= 0) {
			perror("fake-gpio: write");
			exit(1);
		}
		off += (size_t)k;
	}
	shutdown(fd, SHUT_WR);
	while (reply && (k = read(fd, reply + n, cap - n - 1)) > 0) {
		n += (size_t)k;
		if (cap - n < 2) {
			cap *= 2;
			reply = realloc(reply, cap);
		}
	}
	close(fd);
	if (!reply) {
		fprintf(stderr, "fake-gpio: out of memory\n");
		exit(1);
	}
	reply[n] = '\0';

	for (char *save = NULL, *l = strtok_r(reply, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save)) {
		if (strncmp(l, "error", 5) == 0) {
			fprintf(stderr, "fake-gpio: %s\n", l + (l[5] ? 6 : 5));
			rc = 1;
		} else if (strcmp(l, "ok") == 0) {
			continue;
		} else if (strncmp(l, "ok ", 3) == 0) {
			printf("%s\n", l + 3);
		} else {
			printf("%s\n", l);
		}
	}
	free(reply);
	return rc;
}

/* A line's physical level, for pulses that start from it. */
static int line_level(const char *dir, const char *chip, const char *line)
{
	char req[256], reply[64];
	int fd = connect_control(dir), v = -1;
	ssize_t n, off = 0;

	snprintf(req, sizeof(req), "get %s %s\n", chip, line);
	if (write(fd, req, strlen(req)) < 0) {
		perror("fake-gpio: write");
		exit(1);
	}
	shutdown(fd, SHUT_WR);
	while (off < (ssize_t)sizeof(reply) - 1 &&
	       (n = read(fd, reply + off, sizeof(reply) - 1 - off)) > 0)
		off += n;
	close(fd);
	reply[off] = '\0';
	if (sscanf(reply, "ok %d", &v) != 1) {
		fprintf(stderr, "fake-gpio: %s", reply);
		exit(1);
	}
	return v;
}

static void edge_add(uint64_t ts, const char *line, int rising)
{
	if (n_edges == MAX_EDGES) {
		fprintf(stderr, "fake-gpio: too many edges\n");
		exit(1);
	}
	edges[n_edges++] = (struct edge){.ts = ts, .line = line, .rising = rising};
}

/* One frame: bit i is a low pulse on D1 (1) or D0 (0) at start + i * interval. */
static void frame_add(uint64_t start, const char *d0, const char *d1, const char *bits)
{
	for (size_t i = 0; bits[i]; i++) {
		const char *line;

		if (bits[i] != '0' && bits[i] != '1') {
			fprintf(stderr, "fake-gpio: BITS must be 0s and 1s\n");
			exit(2);
		}
		line = bits[i] == '1' ? d1 : d0;
		edge_add(start + i * interval_us * 1000ull, line, 0);
		edge_add(start + i * interval_us * 1000ull + width_us * 1000ull, line, 1);
	}
}

static int edge_cmp(const void *a, const void *b)
{
	const struct edge *x = a, *y = b;

	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x < y ? -1 : 1;
}

/* Sends every queued edge as one request, timestamps shifted to end now. */
static int edges_send(const char *dir, const char *chip)
{
	uint64_t last = 0, now = mono_ns(), shift;
	size_t cap = n_edges * 96 + 1, off = 0;
	char *req = malloc(cap);
	int rc;

	if (!req)
		return 1;
	qsort(edges, n_edges, sizeof(edges[0]), edge_cmp);
	for (size_t i = 0; i < n_edges; i++)
		if (edges[i].ts > last)
			last = edges[i].ts;
	shift = now - last;
	for (size_t i = 0; i < n_edges; i++)
		off += (size_t)snprintf(req + off, cap - off, "edge %s %s %s %llu\n", chip,
					edges[i].line, edges[i].rising ? "rising" : "falling",
					(unsigned long long)(edges[i].ts + shift));
	rc = transact(dir, req);
	free(req);
	return rc;
}

/* Strips --interval-us/--width-us/--offset-us from argv; returns the new argc. */
static int parse_options(int argc, char **argv)
{
	int out = 0;

	for (int i = 0; i < argc; i++) {
		unsigned long *v = NULL;

		if (strcmp(argv[i], "--interval-us") == 0)
			v = &interval_us;
		else if (strcmp(argv[i], "--width-us") == 0)
			v = &width_us;
		else if (strcmp(argv[i], "--offset-us") == 0)
			v = &offset_us;
		if (!v) {
			argv[out++] = argv[i];
			continue;
		}
		if (i + 1 >= argc)
			usage();
		*v = strtoul(argv[++i], NULL, 10);
	}
	return out;
}

/* A card's frame as 0/1 text, so shell tests can send enrolled badges. */
static int encode(const char *cred)
{
	struct wiegand_card card;
	uint8_t bits[AEOGATE_WIEGAND_MAX_BITS];
	int n;

	if (wiegand_card_from_string(cred, &card) < 0 ||
	    (n = wiegand_encode(&card, bits, sizeof(bits))) < 0) {
		fprintf(stderr, "fake-gpio: cannot encode '%s'\n", cred);
		return 1;
	}
	for (int i = 0; i < n; i++)
		putchar(bits[i] ? '1' : '0');
	putchar('\n');
	return 0;
}

int main(int argc, char **argv)
{
	char req[512];
	const char *dir, *cmd;

	argc = parse_options(argc, argv);
	if (argc == 3 && strcmp(argv[1], "encode") == 0)
		return encode(argv[2]);
	if (argc < 3)
		usage();
	dir = argv[1];
	cmd = argv[2];

	if (strcmp(cmd, "log") == 0 && argc == 3)
		return transact(dir, "log\n");
	if ((strcmp(cmd, "get") == 0 && argc == 5)) {
		snprintf(req, sizeof(req), "get %s %s\n", argv[3], argv[4]);
		return transact(dir, req);
	}
	if (strcmp(cmd, "set") == 0 && argc == 6) {
		snprintf(req, sizeof(req), "set %s %s %s\n", argv[3], argv[4], argv[5]);
		return transact(dir, req);
	}
	if (strcmp(cmd, "edge") == 0 && (argc == 6 || argc == 7)) {
		snprintf(req, sizeof(req), "edge %s %s %s %s\n", argv[3], argv[4], argv[5],
			 argc == 7 ? argv[6] : "");
		return transact(dir, req);
	}
	if (strcmp(cmd, "pulse") == 0 && argc == 5) {
		int idle = line_level(dir, argv[3], argv[4]);

		edge_add(0, argv[4], !idle);
		edge_add(width_us * 1000ull, argv[4], idle);
		return edges_send(dir, argv[3]);
	}
	if (strcmp(cmd, "wiegand") == 0 && argc == 7) {
		frame_add(0, argv[4], argv[5], argv[6]);
		return edges_send(dir, argv[3]);
	}
	if (strcmp(cmd, "interleave") == 0 && argc == 10) {
		frame_add(0, argv[4], argv[5], argv[6]);
		frame_add(offset_us * 1000ull, argv[7], argv[8], argv[9]);
		return edges_send(dir, argv[3]);
	}
	usage();
}
