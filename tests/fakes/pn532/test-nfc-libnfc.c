/* SPDX-License-Identifier: MIT */
/*
 * The NFC backend (hal/nfc_libnfc.c) through the real libnfc pn532_uart
 * driver against pn532-emu, on an sd-event loop, without the controller.
 *
 *   test-nfc-libnfc PATH-TO-pn532-emu
 *
 * The backend's own thread works in real time, so this test waits on the
 * loop for the callbacks it expects, each with a generous bound.
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-event.h>

#include "aeogate/hal.h"

#define READS_MAX 64

struct seen {
	struct hal_read reads[READS_MAX];
	unsigned n_reads;
	unsigned n_online, n_offline;
	bool online;
	char why[256];
};

static struct seen seen;
static sd_event *loop;
static const char *emu_path;
static char dir[] = "/tmp/test-nfc-libnfc.XXXXXX";
static char link_path[64], ctl_path[64], pts_file[64];
static pid_t emu_pid = -1;
static int failures;

static void on_read(void *ud, unsigned idx, const struct hal_read *r)
{
	if (seen.n_reads < READS_MAX)
		seen.reads[seen.n_reads] = *r;
	seen.n_reads++;
}

static void on_status(void *ud, unsigned idx, bool online, const char *why)
{
	seen.online = online;
	if (online)
		seen.n_online++;
	else
		seen.n_offline++;
	snprintf(seen.why, sizeof(seen.why), "%s", why ? why : "");
	fprintf(stderr, "# reader %s: %s\n", online ? "online" : "offline", seen.why);
}

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Runs the loop for ms, or until cond() holds when given. */
static bool run_until(bool (*cond)(void), unsigned ms)
{
	uint64_t end = mono_ms() + ms;

	while (mono_ms() < end) {
		if (cond && cond())
			return true;
		sd_event_run(loop, 20 * 1000);
	}
	return cond ? cond() : true;
}

static unsigned want_reads;
static bool reads_reached(void)
{
	return seen.n_reads >= want_reads;
}
static bool is_online(void)
{
	return seen.online;
}
static bool is_offline(void)
{
	return !seen.online && seen.n_offline > 0;
}

#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		if (cond) {                                                                        \
			printf("ok - " __VA_ARGS__);                                               \
		} else {                                                                           \
			printf("not ok - " __VA_ARGS__);                                           \
			failures++;                                                                \
		}                                                                                  \
		printf("\n");                                                                      \
	} while (0)

static int emu_send(const char *line)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char reply[256] = "";
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ssize_t r;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", ctl_path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "# control connect: %s\n", strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (write(fd, line, strlen(line)) < 0 || write(fd, "\n", 1) < 0) {
		close(fd);
		return -1;
	}
	r = read(fd, reply, sizeof(reply) - 1);
	close(fd);
	return r > 2 && !strncmp(reply, "ok", 2) ? 0 : -1;
}

/* Starts the emulator and points the stable symlink at its pty. */
static int emu_start(void)
{
	char pts[256] = "";

	unlink(pts_file);
	emu_pid = fork();
	if (emu_pid < 0)
		return -1;
	if (emu_pid == 0) {
		/* The pty path goes to --pts-file; keep the test's output TAP-clean. */
		if (!freopen("/dev/null", "w", stdout))
			_exit(127);
		execl(emu_path, emu_path, "--pts-file", pts_file, "--control", ctl_path,
		      (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 200; i++) {
		FILE *f = fopen(pts_file, "re");
		if (f) {
			bool ok = fgets(pts, sizeof(pts), f) != NULL;
			fclose(f);
			if (ok)
				break;
		}
		usleep(10 * 1000);
	}
	pts[strcspn(pts, "\n")] = '\0';
	if (!pts[0])
		return -1;
	/* Replace the link atomically, as the shell tests do with ln -sfn. */
	char tmp[600];
	snprintf(tmp, sizeof(tmp), "%s.new", link_path);
	unlink(tmp);
	if (symlink(pts, tmp) < 0 || rename(tmp, link_path) < 0)
		return -1;
	return 0;
}

static void emu_kill(void)
{
	if (emu_pid > 0) {
		kill(emu_pid, SIGKILL);
		waitpid(emu_pid, NULL, 0);
	}
	emu_pid = -1;
	unlink(link_path);
}

static bool last_uid_is(const char *hex)
{
	char got[2 * AEOGATE_UID_MAX_BYTES + 1] = "";
	const struct hal_read *r;

	if (seen.n_reads == 0 || seen.n_reads > READS_MAX)
		return false;
	r = &seen.reads[seen.n_reads - 1];
	if (r->kind != HAL_READ_UID)
		return false;
	for (size_t i = 0; i < r->uid_len; i++)
		sprintf(got + 2 * i, "%02x", r->uid[i]);
	return !strcmp(got, hex);
}

int main(int argc, char **argv)
{
	struct hal_callbacks cb = {.read = on_read, .reader_status = on_status};
	struct reader_config cfg = {
	    .name = "dock-1-nfc", .door = "dock-1", .type = READER_NFC, .hold_off_ms = 300};
	struct hal_reader r = {.cfg = &cfg, .cb = &cb, .ops = &hal_reader_nfc_ops};
	unsigned n;
	uint64_t t0;

	if (argc != 2) {
		fprintf(stderr, "usage: test-nfc-libnfc PATH-TO-pn532-emu\n");
		return 2;
	}
	emu_path = argv[1];
	signal(SIGPIPE, SIG_IGN);
	if (!mkdtemp(dir))
		return 1;
	snprintf(link_path, sizeof(link_path), "%s/pn532", dir);
	snprintf(ctl_path, sizeof(ctl_path), "%s/ctl", dir);
	snprintf(pts_file, sizeof(pts_file), "%s/pts", dir);
	snprintf(cfg.connstring, sizeof(cfg.connstring), "pn532_uart:%s", link_path);
	if (sd_event_default(&loop) < 0)
		return 1;

	/* The device is not there yet: open succeeds, the reader is offline. */
	CHECK(r.ops->open(&r, loop) == 0, "open succeeds without a device");
	CHECK(run_until(is_offline, 3000), "reader offline while the device is missing");

	CHECK(emu_start() == 0, "emulator started");
	CHECK(run_until(is_online, 10000), "reader online once the device appears");

	CHECK(emu_send("present 04a1b2c3") == 0, "present a 4-byte card");
	want_reads = 1;
	CHECK(run_until(reads_reached, 3000) && last_uid_is("04a1b2c3"), "4-byte card read");
	run_until(NULL, 2000);
	CHECK(seen.n_reads == 1, "card held for 2 s gives one read (got %u)", seen.n_reads);

	emu_send("remove");
	run_until(NULL, 700);
	emu_send("present 04a1b2c3");
	want_reads = 2;
	CHECK(run_until(reads_reached, 3000) && last_uid_is("04a1b2c3"),
	      "removed and presented again after the hold-off: a second read");

	/* Within the hold-off, the same card is the same presentation. */
	emu_send("remove");
	emu_send("present 04a1b2c3");
	run_until(NULL, 1500);
	CHECK(seen.n_reads == 2, "same card back within the hold-off: no read (got %u)",
	      seen.n_reads);

	t0 = mono_ms();
	emu_send("present 04112233445566");
	want_reads = 3;
	CHECK(run_until(reads_reached, 3000) && last_uid_is("04112233445566"),
	      "a different (7-byte) card is read at once (%llu ms)",
	      (unsigned long long)(mono_ms() - t0));
	emu_send("present 04112233445566778899");
	want_reads = 4;
	CHECK(run_until(reads_reached, 3000) && last_uid_is("04112233445566778899"),
	      "10-byte card read");
	emu_send("present 0899aabbccddeeff0011 0048 20");
	want_reads = 5;
	CHECK(run_until(reads_reached, 3000) && last_uid_is("0899aabbccddeeff0011"),
	      "ISO 14443-4 (SAK 20) 10-byte card read");
	run_until(NULL, 1000);
	CHECK(seen.n_reads == 5, "ISO 14443-4 card held: one read (got %u)", seen.n_reads);

	/* Junk on the line: a command fails, the reader carries on. */
	emu_send("remove");
	run_until(NULL, 500);
	n = seen.n_offline;
	emu_send("garbage 40");
	run_until(NULL, 1000);
	emu_send("truncate");
	run_until(NULL, 1500);
	emu_send("garbage 3");
	run_until(NULL, 1500);
	CHECK(seen.n_reads == 5, "garbage and truncated frames give no read");
	CHECK(seen.online && seen.n_offline == n, "reader stays online through single bad frames");
	emu_send("present 04cafe01");
	want_reads = 6;
	CHECK(run_until(reads_reached, 3000) && last_uid_is("04cafe01"),
	      "a card is read after the bad frames");
	emu_send("remove");

	/* A board that stops answering. */
	emu_send("silent on");
	CHECK(run_until(is_offline, 10000), "silent device: reader offline (%s)", seen.why);
	emu_send("silent off");
	CHECK(run_until(is_online, 15000), "device answers again: reader online");

	/* Unplugged: the pty goes away; a new one appears behind the same link. */
	emu_kill();
	CHECK(run_until(is_offline, 10000), "emulator killed: reader offline (%s)", seen.why);
	n = seen.n_reads;
	CHECK(emu_start() == 0, "emulator restarted on a new pty");
	CHECK(run_until(is_online, 15000), "reader online again");
	emu_send("present 04a1b2c3");
	want_reads = n + 1;
	CHECK(run_until(reads_reached, 3000) && last_uid_is("04a1b2c3"),
	      "card read after reconnecting");

	t0 = mono_ms();
	r.ops->close(&r);
	CHECK(mono_ms() - t0 < 3500, "close returns promptly (%llu ms)",
	      (unsigned long long)(mono_ms() - t0));

	/* Closing while the device hangs must not hang the controller's stop. */
	struct hal_reader r2 = {.cfg = &cfg, .cb = &cb, .ops = &hal_reader_nfc_ops};
	seen.online = false;
	CHECK(r2.ops->open(&r2, loop) == 0, "reopen");
	CHECK(run_until(is_online, 10000), "online");
	emu_send("silent on");
	run_until(NULL, 200);
	t0 = mono_ms();
	r2.ops->close(&r2);
	CHECK(mono_ms() - t0 < 3500, "close with a silent device returns promptly (%llu ms)",
	      (unsigned long long)(mono_ms() - t0));

	emu_kill();
	unlink(ctl_path);
	unlink(pts_file);
	rmdir(dir);
	sd_event_unref(loop);
	printf("%s\n", failures ? "FAILED" : "PASSED");
	return failures ? 1 : 0;
}
