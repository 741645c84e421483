/* SPDX-License-Identifier: MIT */
/*
 * The control socket, end to end inside one process: a real ctl_server on
 * a Unix socket in a temporary directory, serving the real op tables
 * (ops_people, ops_badges, ops_doors, ops_events) over a real core with a simulated
 * board, an injected clock and a SQLite store. Each input is sent as the
 * bytes of one client connection (then the client half-closes); the loop
 * runs until the server has answered and closed. handle_line, framing,
 * the size and depth bounds, every op's argument parsing and the sim
 * decision path are all on the path, exactly as aeogatectl reaches them.
 *
 * ops_user (auth.*, user.*) is left out: each login or password change
 * costs an argon2id hash (19 MiB, ~50 ms), which would drown the fuzzer;
 * it deserves its own target with the cost lowered.
 *
 * Checks: every line the server sends is one JSON object with "ok" (a
 * reply), "event" (a follower line) or "error" (a cut-off); the server
 * never leaves a connection hanging; nothing crashes or leaks (ASan).
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <systemd/sd-event.h>
#include <unistd.h>

#include "aeogate/config.h"
#include "bus.h"
#include "core.h"
#include "ctlsock.h"
#include "fuzz.h"
#include "ops.h"
#include "store.h"
#include "util.h"

static char dir[] = "/tmp/aeogate-fuzz-ctl.XXXXXX";
static char sock_path[108];
static struct config cfg;
static struct core *core;
static struct store *store;
static struct ctl_server *srv;
static struct bus *bus;
static sd_event *loop;
static char *rx;
static size_t rx_len, rx_cap;

static int64_t fixed_wall(void *u)
{
	return 1795786091123LL; /* 2026-11-28T13:28:11.123Z */
}

/*
 * The core arms sd-event CLOCK_MONOTONIC timers at its mono clock's
 * deadlines, so this one must be the real monotonic clock: a fixed value
 * would make a door timer fire, find nothing due, and re-arm in the past
 * forever.
 */
static int64_t real_mono(void *u)
{
	return now_mono_ms();
}

static void on_event(void *u, const struct event *e)
{
	ctl_server_publish(srv, e);
}

static int backlog(void *u, int64_t since, size_t limit,
		   int (*cb)(const struct event *e, void *cbdata), void *cbdata)
{
	return store_event_list(store, since, limit, cb, cbdata);
}

static void pump(void)
{
	for (int i = 0; i < 1000 && sd_event_run(loop, 0) > 0; i++)
		;
}

/* Checks every complete line received so far and drops it. */
static void check_lines(void)
{
	char *nl;

	while ((nl = memchr(rx, '\n', rx_len))) {
		size_t len = (size_t)(nl - rx);
		json_error_t jerr;
		json_t *m = json_loadb(rx, len, 0, &jerr);

		if (!m)
			fprintf(stderr, "server sent a line that is not JSON: %.*s\n", (int)len, rx);
		CHECK(m && json_is_object(m));
		CHECK(json_object_get(m, "ok") || json_object_get(m, "event") ||
		      json_object_get(m, "error"));
		CHECK(len < AEOGATE_REPLY_MAX);
		json_decref(m);
		memmove(rx, nl + 1, rx_len - len - 1);
		rx_len -= len + 1;
	}
}

/* Reads what the server sent; returns false at end of stream. */
static bool drain(int fd)
{
	for (;;) {
		ssize_t n;

		if (rx_cap - rx_len < 65536) {
			rx_cap = rx_cap ? rx_cap * 2 : 1 << 20;
			rx = realloc(rx, rx_cap);
			CHECK(rx);
		}
		n = recv(fd, rx + rx_len, rx_cap - rx_len, MSG_DONTWAIT);
		if (n > 0) {
			rx_len += (size_t)n;
			check_lines();
			continue;
		}
		if (n == 0)
			return false;
		if (errno == EAGAIN || errno == EINTR)
			return true;
		return false; /* ECONNRESET: the server closed with input unread */
	}
}

/* One client connection carrying data; returns once the server closed it. */
static void exchange(const uint8_t *data, size_t size)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	size_t off = 0;
	bool open = true;
	int fd, rounds = 0;

	strcpy(sa.sun_path, sock_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	CHECK(fd >= 0);
	CHECK(connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	rx_len = 0;
	pump(); /* accept */

	while (off < size && open) {
		ssize_t n = send(fd, data + off, size - off, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0)
			off += (size_t)n;
		else if (n < 0 && errno != EAGAIN && errno != EINTR)
			break; /* the server closed early (a bad line): fine */
		pump();
		open = drain(fd);
		CHECK(++rounds < 100000);
	}
	shutdown(fd, SHUT_WR);
	while (open) {
		pump();
		open = drain(fd);
		/* A server that keeps a half-closed connection open forever is a bug. */
		CHECK(++rounds < 100000);
	}
	close(fd);
	pump();
}

static void seed(const char *line)
{
	exchange((const uint8_t *)line, strlen(line));
}

static void cleanup(void)
{
	static const char *const files[] = {"ctl.sock", "sim.ini", "aeogate.db", "aeogate.db-wal",
					    "aeogate.db-shm", "aeogate.db-journal"};
	char path[256];

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		unlink(path);
	}
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const struct ctl_op *tables[] = {ops_people, ops_badges, ops_doors, ops_events,
						NULL};
	struct core_clock clock = {.wall_ms = fixed_wall, .mono_ms = real_mono};
	char path[256], err[512];
	FILE *f;

	signal(SIGPIPE, SIG_IGN);
	CHECK(mkdtemp(dir));
	atexit(cleanup);
	snprintf(path, sizeof(path), "%s/sim.ini", dir);
	f = fopen(path, "w");
	CHECK(f);
	fputs("[controller]\n"
	      "[door dock-1]\nzone = dock\nlock = sim\ncontact = sim\nrex = sim\n"
	      "[door cage-1]\nzone = bonded-cage\nlock = sim\nlock_type = maglock\ncontact = sim\n"
	      "[reader dock-1-in]\ntype = sim\ndoor = dock-1\n"
	      "[reader cage-1-in]\ntype = sim\ndoor = cage-1\nformats = h10301,h10302,h10304\n",
	      f);
	fclose(f);
	CHECK(config_load(path, &cfg, err, sizeof(err)) == 0);
	snprintf(sock_path, sizeof(sock_path), "%s/ctl.sock", dir);
	CHECK(core_new(&cfg, &clock, &core) == 0);
	CHECK(core_lock_all(core) == 0);
	snprintf(path, sizeof(path), "%s/aeogate.db", dir);
	CHECK(store_open(path, "normal", &store, err, sizeof(err)) == 0);
	CHECK(core_attach_store(core, store) == 0);
	CHECK(sd_event_new(&loop) >= 0);
	struct ctl_server_config sc = {
		.path = sock_path,
		.tables = tables,
		.userdata = core,
		.backlog = backlog,
		.admin_gid = (gid_t)-1,
	};
	CHECK(ctl_server_new(loop, &sc, &srv) == 0);
	CHECK(bus_new(&bus) == 0 && bus_subscribe(bus, 0, on_event, NULL) == 0);
	core_set_bus(core, bus);
	CHECK(core_start(core, loop) == 0);

	/* Something to find: a level, a person with a badge, a stored event or two. */
	seed("{\"id\":1,\"op\":\"level.add\",\"args\":{\"name\":\"dock-staff\",\"zones\":[\"dock\"]}}\n");
	seed("{\"id\":2,\"op\":\"person.add\",\"args\":{\"id\":\"E1001\",\"name\":\"Ann\",\"levels\":[\"dock-staff\"]}}\n");
	seed("{\"id\":3,\"op\":\"badge.issue\",\"args\":{\"person\":\"E1001\",\"credential\":\"h10301:12:1001\"}}\n");
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A little above the message bound, so message_too_large stays reachable. */
	if (size > AEOGATE_MSG_MAX + 1024)
		return 0;
	exchange(data, size);
	return 0;
}
