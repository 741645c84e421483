/* SPDX-License-Identifier: MIT */
/* The device emulators' pty, control socket and loop (fake_pty.h). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "fake_pty.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

void fake_pty_write(struct fake_pty *f, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(f->master, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				struct pollfd pfd = {.fd = f->master, .events = POLLOUT};
				(void)poll(&pfd, 1, 100);
				continue;
			}
			return; /* nobody listening: the controller will time out */
		}
		p += w;
		n -= (size_t)w;
	}
}

void fake_pty_hexdump(const struct fake_pty *f, const char *what, const uint8_t *p, size_t n)
{
	fprintf(stderr, "%s: %s", f->name, what);
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, " %02x", p[i]);
	fputc('\n', stderr);
}

static void control_read(struct fake_pty *f, int k)
{
	char tmp[FAKE_CTL_LINE];
	ssize_t r = read(f->ctl[k], tmp, sizeof(tmp));

	if (r <= 0) {
		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		close(f->ctl[k]);
		f->ctl[k] = -1;
		return;
	}
	for (ssize_t i = 0; i < r; i++) {
		char out[FAKE_CTL_REPLY];

		if (tmp[i] != '\n') {
			if (f->ctl_len[k] + 1 >= FAKE_CTL_LINE) {
				close(f->ctl[k]); /* a line longer than any command */
				f->ctl[k] = -1;
				return;
			}
			f->ctl_buf[k][f->ctl_len[k]++] = tmp[i];
			continue;
		}
		f->ctl_buf[k][f->ctl_len[k]] = 0;
		f->ctl_len[k] = 0;
		out[0] = 0;
		f->on_control(f->userdata, f->ctl_buf[k], out, sizeof(out));
		if (write(f->ctl[k], out, strlen(out)) < 0) {
			close(f->ctl[k]);
			f->ctl[k] = -1;
			return;
		}
	}
}

static int control_listen(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	(void)unlink(path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 8) < 0) {
		int r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

int fake_pty_send(const char *name, const char *path, int argc, char **argv)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char line[FAKE_CTL_LINE] = "", out[FAKE_CTL_REPLY];
	size_t rl = 0;
	int fd;

	for (int i = 0; i < argc; i++) {
		if (strlen(line) + strlen(argv[i]) + 2 >= sizeof(line)) {
			fprintf(stderr, "%s: line too long\n", name);
			return 2;
		}
		if (i)
			strcat(line, " ");
		strcat(line, argv[i]);
	}
	strcat(line, "\n");
	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "%s: socket path too long\n", name);
		return 2;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "%s: %s: %s\n", name, path, strerror(errno));
		return 1;
	}
	if (write(fd, line, strlen(line)) != (ssize_t)strlen(line)) {
		fprintf(stderr, "%s: write: %s\n", name, strerror(errno));
		close(fd);
		return 1;
	}
	while (rl + 1 < sizeof(out)) {
		ssize_t r = read(fd, out + rl, sizeof(out) - 1 - rl);
		if (r <= 0)
			break;
		rl += (size_t)r;
		if (memchr(out, '\n', rl))
			break;
	}
	out[rl] = 0;
	close(fd);
	fputs(out, stdout);
	return strncmp(out, "ok", 2) == 0 ? 0 : 1;
}

static int open_pty(struct fake_pty *f, char *ret_path, size_t len)
{
	struct termios t;
	const char *name;

	f->master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (f->master < 0 || grantpt(f->master) < 0 || unlockpt(f->master) < 0)
		return -errno;
	name = ptsname(f->master);
	if (!name || strlen(name) >= len)
		return -ENAMETOOLONG;
	strcpy(ret_path, name);
	/*
	 * Raw from the start: with echo on, the line discipline would hand our
	 * own replies back to us before the controller sets its attributes.
	 */
	f->slave_keep = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (f->slave_keep < 0 || tcgetattr(f->slave_keep, &t) < 0)
		return -errno;
	cfmakeraw(&t);
	if (f->speed)
		cfsetspeed(&t, f->speed);
	if (tcsetattr(f->slave_keep, TCSANOW, &t) < 0)
		return -errno;
	if (fcntl(f->master, F_SETFL, O_NONBLOCK) < 0)
		return -errno;
	return 0;
}

static int write_pts_file(const char *file, const char *pts)
{
	char tmp[4096];
	FILE *fp;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", file) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fp = fopen(tmp, "we");
	if (!fp)
		return -errno;
	fprintf(fp, "%s\n", pts);
	if (fclose(fp) != 0 || rename(tmp, file) < 0)
		return -errno;
	return 0;
}

static void accept_client(struct fake_pty *f)
{
	int fd = accept4(f->ctl_listen, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	int k;

	if (fd < 0)
		return;
	for (k = 0; k < FAKE_CTL_CLIENTS; k++)
		if (f->ctl[k] < 0)
			break;
	if (k == FAKE_CTL_CLIENTS) {
		close(fd);
		return;
	}
	f->ctl[k] = fd;
	f->ctl_len[k] = 0;
}

int fake_pty_main(struct fake_pty *f, const char *pts_file, const char *control)
{
	struct sigaction sa = {.sa_handler = on_signal};
	char pts[256];
	int r;

	f->ctl_listen = -1;
	for (int k = 0; k < FAKE_CTL_CLIENTS; k++)
		f->ctl[k] = -1;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	r = open_pty(f, pts, sizeof(pts));
	if (r < 0) {
		fprintf(stderr, "%s: pty: %s\n", f->name, strerror(-r));
		return 1;
	}
	if (control) {
		f->ctl_listen = control_listen(control);
		if (f->ctl_listen < 0) {
			fprintf(stderr, "%s: %s: %s\n", f->name, control, strerror(-f->ctl_listen));
			return 1;
		}
	}
	printf("%s\n", pts);
	fflush(stdout);
	if (pts_file && (r = write_pts_file(pts_file, pts)) < 0) {
		fprintf(stderr, "%s: %s: %s\n", f->name, pts_file, strerror(-r));
		return 1;
	}

	while (!stop) {
		struct pollfd pfd[2 + FAKE_CTL_CLIENTS];
		int map[2 + FAKE_CTL_CLIENTS];
		nfds_t n = 0;

		pfd[n] = (struct pollfd){.fd = f->master, .events = POLLIN};
		map[n++] = -2;
		if (f->ctl_listen >= 0) {
			pfd[n] = (struct pollfd){.fd = f->ctl_listen, .events = POLLIN};
			map[n++] = -1;
		}
		for (int k = 0; k < FAKE_CTL_CLIENTS; k++) {
			if (f->ctl[k] < 0)
				continue;
			pfd[n] = (struct pollfd){.fd = f->ctl[k], .events = POLLIN};
			map[n++] = k;
		}
		if (poll(pfd, n, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (nfds_t i = 0; i < n; i++) {
			if (!pfd[i].revents)
				continue;
			if (map[i] == -2) {
				uint8_t buf[512];
				ssize_t rd = read(f->master, buf, sizeof(buf));
				if (rd > 0)
					f->on_rx(f->userdata, buf, (size_t)rd);
			} else if (map[i] == -1) {
				accept_client(f);
			} else {
				control_read(f, map[i]);
			}
		}
	}
	if (control)
		(void)unlink(control);
	return 0;
}
