/* SPDX-License-Identifier: MIT */
/*
 * A libgpiod 1.6 double: built as libgpiod.so.2 and loaded in place of the
 * real library (LD_LIBRARY_PATH) by integration tests. Tests only; never
 * linked into a shipped binary.
 *
 * Chips come from AEOGATE_FAKE_GPIO_CHIPS, else from the file
 * $AEOGATE_FAKE_GPIO_DIR/chips, else "gpiochip0:64". The description is a
 * list of words separated by blanks, ';' or newlines:
 *   CHIP:NLINES[:LABEL]   a chip (gpiochip0:32:pinctrl-bcm2711)
 *   CHIP:OFFSET=NAME      a line name, as gpioinfo would show it
 *   CHIP:OFFSET@LEVEL     a line's initial physical level (lines idle high)
 *
 * When AEOGATE_FAKE_GPIO_DIR is set, a control thread serves the Unix
 * socket $AEOGATE_FAKE_GPIO_DIR/control (see fake-gpio.c for the client).
 * A request is one or more text lines, executed in order under one lock,
 * answered line by line with "ok ..." or "error ...":
 *   edge CHIP LINE rising|falling [TS_NS]   a physical edge (default now)
 *   set CHIP LINE 0|1                       a physical level, no event
 *   get CHIP LINE                           "ok LEVEL": the physical level
 *   log                                     "SEQ op ..." lines, then "ok"
 *
 * Each requested event line owns a pipe; its read end is what
 * gpiod_line_event_get_fd returns, and edges are written into it as the
 * kernel's struct gpioevent_data, so the caller's poll loop wakes exactly
 * as it would on hardware. Timestamps are CLOCK_MONOTONIC, like the kernel's
 * since Linux 5.7. Active-low is applied as the kernel does: to values and
 * to the edge direction of events.
 *
 * The log records every line request, value set and release with a
 * sequence number; it is also appended to $AEOGATE_FAKE_GPIO_DIR/log, which
 * outlives the process (the stop test reads it after SIGTERM). With AEOGATE_FAKE_GPIO_WATCH=PATH
 * each entry also says whether PATH existed (a non-empty directory counts as existing) at that
 * moment, which is how the boot-order test proves locks came first.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <gpiod.h>
#include <linux/gpio.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "fake_gpiod.h"

#define FAKE_CHIPS_MAX	 16
#define FAKE_LINES_MAX	 512
#define FAKE_NAME_MAX	 32
#define FAKE_LOG_MAX	 16384
#define FAKE_LOG_LINE	 160
#define FAKE_REQUEST_MAX (1024 * 1024)

#define EXPORT __attribute__((visibility("default")))

struct fake_line {
	char name[FAKE_NAME_MAX];
	bool level; /* physical */
	bool requested;
	struct gpiod_chip *owner; /* handle that requested it */
	int request_type;
	bool active_low;
	char consumer[FAKE_NAME_MAX];
	int pipe_rd, pipe_wr; /* event lines only, else -1 */
};

struct fake_chip {
	char name[FAKE_NAME_MAX];
	char label[FAKE_NAME_MAX];
	unsigned nlines;
	struct fake_line *lines;
};

/* What gpiod_chip_open* hands out: one per open, like an open chip fd. */
struct gpiod_chip {
	struct fake_chip *fc;
	struct gpiod_line *lines; /* nlines of them, created with the handle */
};

struct gpiod_line {
	struct gpiod_chip *chip;
	unsigned offset;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static struct fake_chip chips[FAKE_CHIPS_MAX];
static size_t n_chips;
static char (*log_lines)[FAKE_LOG_LINE];
static unsigned long log_seq; /* entries written; the oldest are dropped past FAKE_LOG_MAX */
static const char *watch_path;
static int log_fd = -1;

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static bool watch_exists(void)
{
	struct stat st;
	struct dirent *de;
	bool found = false;
	DIR *d;

	if (stat(watch_path, &st) < 0)
		return false;
	if (!S_ISDIR(st.st_mode))
		return true;
	d = opendir(watch_path);
	if (!d)
		return false;
	while (!found && (de = readdir(d)))
		found = strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
	closedir(d);
	return found;
}

/* Called with the lock held. */
static void log_add(const char *fmt, ...)
{
	char *l;
	int n;
	va_list ap;

	if (!log_lines)
		return;
	l = log_lines[log_seq % FAKE_LOG_MAX];
	log_seq++;
	n = snprintf(l, FAKE_LOG_LINE, "%lu ", log_seq);
	va_start(ap, fmt);
	n += vsnprintf(l + n, FAKE_LOG_LINE - n, fmt, ap);
	va_end(ap);
	if (watch_path && n < FAKE_LOG_LINE)
		n += snprintf(l + n, FAKE_LOG_LINE - n, " watch=%d", watch_exists());
	if (log_fd >= 0) {
		char line[FAKE_LOG_LINE + 1];
		int len = snprintf(line, sizeof(line), "%s\n", l);

		if (write(log_fd, line, (size_t)len) < 0) {
			/* The in-memory log still has it. */
		}
	}
}

static void chip_add(const char *name, unsigned nlines, const char *label)
{
	struct fake_chip *c;

	if (n_chips == FAKE_CHIPS_MAX || nlines == 0 || nlines > FAKE_LINES_MAX)
		return;
	c = &chips[n_chips];
	c->lines = calloc(nlines, sizeof(*c->lines));
	if (!c->lines)
		return;
	snprintf(c->name, sizeof(c->name), "%s", name);
	if (label && *label)
		snprintf(c->label, sizeof(c->label), "%s", label);
	else
		snprintf(c->label, sizeof(c->label), "fake-gpio-%zu", n_chips);
	c->nlines = nlines;
	for (unsigned i = 0; i < nlines; i++) {
		c->lines[i].pipe_rd = c->lines[i].pipe_wr = -1;
		/* Inputs idle high, as with the pull-ups Wiegand and contacts use. */
		c->lines[i].level = true;
	}
	n_chips++;
}

static struct fake_chip *chip_by_name(const char *name)
{
	for (size_t i = 0; i < n_chips; i++)
		if (strcmp(chips[i].name, name) == 0)
			return &chips[i];
	return NULL;
}

static void describe_word(char *w)
{
	char *colon = strchr(w, ':'), *eq;
	struct fake_chip *c;

	if (!colon)
		return;
	*colon = '\0';
	eq = strchr(colon + 1, '=');
	if (!eq && (eq = strchr(colon + 1, '@'))) {
		c = chip_by_name(w);
		unsigned off = (unsigned)strtoul(colon + 1, NULL, 10);
		if (c && off < c->nlines)
			c->lines[off].level = strcmp(eq + 1, "0") != 0;
	} else if (eq) {
		*eq = '\0';
		c = chip_by_name(w);
		unsigned off = (unsigned)strtoul(colon + 1, NULL, 10);
		if (c && off < c->nlines)
			snprintf(c->lines[off].name, FAKE_NAME_MAX, "%s", eq + 1);
	} else {
		char *label = strchr(colon + 1, ':');

		if (label)
			*label++ = '\0';
		chip_add(w, (unsigned)strtoul(colon + 1, NULL, 10), label);
	}
}

static void describe(char *s)
{
	char *save = NULL;

	/* Chips first, so names may precede or follow their chip. */
	for (int pass = 0; pass < 2; pass++) {
		char *copy = strdup(s);

		if (!copy)
			return;
		for (char *w = strtok_r(copy, " \t\r\n;,", &save); w;
		     w = strtok_r(NULL, " \t\r\n;,", &save))
			if ((strpbrk(w, "=@") != NULL) == (pass == 1))
				describe_word(w);
		free(copy);
	}
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "re");
	char *buf;
	size_t n;

	if (!f)
		return NULL;
	buf = calloc(1, 65536);
	if (buf) {
		n = fread(buf, 1, 65535, f);
		buf[n] = '\0';
	}
	fclose(f);
	return buf;
}

static int line_find(const char *chip, const char *line, struct fake_line **ret)
{
	struct fake_chip *c = chip_by_name(chip);
	char *end;
	unsigned long off;

	if (!c)
		return -ENODEV;
	off = strtoul(line, &end, 10);
	if (*line && *end == '\0') {
		if (off >= c->nlines)
			return -EINVAL;
		*ret = &c->lines[off];
		return 0;
	}
	for (unsigned i = 0; i < c->nlines; i++) {
		if (strcmp(c->lines[i].name, line) == 0) {
			*ret = &c->lines[i];
			return 0;
		}
	}
	return -ENOENT;
}

/* Called with the lock held: applies a physical edge, queueing an event. */
static int line_edge(struct fake_line *l, bool rising, uint64_t ts)
{
	struct gpioevent_data ev = {.timestamp = ts};
	bool logical_rising = rising != l->active_low;
	bool want;

	if (l->requested && l->request_type == GPIOD_LINE_REQUEST_DIRECTION_OUTPUT)
		return -EPERM;
	l->level = rising;
	if (!l->requested || l->pipe_wr < 0)
		return 0;
	switch (l->request_type) {
	case GPIOD_LINE_REQUEST_EVENT_BOTH_EDGES:
		want = true;
		break;
	case GPIOD_LINE_REQUEST_EVENT_RISING_EDGE:
		want = logical_rising;
		break;
	case GPIOD_LINE_REQUEST_EVENT_FALLING_EDGE:
		want = !logical_rising;
		break;
	default:
		want = false;
	}
	if (!want)
		return 0;
	ev.id = logical_rising ? GPIOEVENT_EVENT_RISING_EDGE : GPIOEVENT_EVENT_FALLING_EDGE;
	if (write(l->pipe_wr, &ev, sizeof(ev)) != sizeof(ev))
		return -ENOBUFS;
	return 0;
}

/* Executes one control line; appends the reply to out. Lock held. */
static void control_line(char *line, FILE *out)
{
	char *argv[8], *save = NULL;
	int argc = 0, r = 0;
	struct fake_line *l = NULL;

	for (char *w = strtok_r(line, " \t\r", &save); w && argc < 8;
	     w = strtok_r(NULL, " \t\r", &save))
		argv[argc++] = w;
	if (argc == 0)
		return;

	if (strcmp(argv[0], "log") == 0 && argc == 1) {
		unsigned long first = log_seq > FAKE_LOG_MAX ? log_seq - FAKE_LOG_MAX : 0;

		for (unsigned long i = first; i < log_seq; i++)
			fprintf(out, "%s\n", log_lines[i % FAKE_LOG_MAX]);
		fprintf(out, "ok\n");
		return;
	}
	if (argc < 3) {
		fprintf(out, "error usage: %s CHIP LINE ...\n", argv[0]);
		return;
	}
	r = line_find(argv[1], argv[2], &l);
	if (r < 0) {
		fprintf(out, "error %s:%s: %s\n", argv[1], argv[2], strerror(-r));
		return;
	}

	if (strcmp(argv[0], "edge") == 0 && (argc == 4 || argc == 5)) {
		bool rising = strcmp(argv[3], "rising") == 0;

		if (!rising && strcmp(argv[3], "falling") != 0) {
			fprintf(out, "error edge must be rising or falling\n");
			return;
		}
		r = line_edge(l, rising, argc == 5 ? strtoull(argv[4], NULL, 10) : mono_ns());
	} else if (strcmp(argv[0], "set") == 0 && argc == 4) {
		if (l->requested && l->request_type == GPIOD_LINE_REQUEST_DIRECTION_OUTPUT)
			r = -EPERM;
		else
			l->level = strcmp(argv[3], "0") != 0;
	} else if (strcmp(argv[0], "get") == 0 && argc == 3) {
		fprintf(out, "ok %d\n", l->level);
		return;
	} else {
		fprintf(out, "error unknown request %s\n", argv[0]);
		return;
	}
	if (r < 0)
		fprintf(out, "error %s\n", strerror(-r));
	else
		fprintf(out, "ok\n");
}

static void fake_init(void);

EXPORT char *fake_gpio_control(const char *request)
{
	char *copy, *save = NULL, *buf = NULL;
	size_t len = 0;
	FILE *out;

	copy = strdup(request);
	out = open_memstream(&buf, &len);
	if (!copy || !out) {
		free(copy);
		if (out)
			fclose(out);
		free(buf);
		return NULL;
	}
	pthread_once(&once, fake_init);
	pthread_mutex_lock(&lock);
	for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
		control_line(l, out);
	pthread_mutex_unlock(&lock);
	fclose(out);
	free(copy);
	return buf;
}

static void serve(int fd)
{
	char *req = malloc(FAKE_REQUEST_MAX + 1), *reply;
	size_t n = 0;
	ssize_t k;

	if (!req)
		return;
	while (n < FAKE_REQUEST_MAX && (k = read(fd, req + n, FAKE_REQUEST_MAX - n)) > 0)
		n += (size_t)k;
	req[n] = '\0';
	reply = fake_gpio_control(req);
	if (reply) {
		size_t len = strlen(reply), off = 0;

		while (off < len && (k = write(fd, reply + off, len - off)) > 0)
			off += (size_t)k;
	}
	free(reply);
	free(req);
}

static void *control_thread(void *arg)
{
	int sfd = (int)(intptr_t)arg;

	for (;;) {
		int fd = accept4(sfd, NULL, NULL, SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			return NULL;
		}
		serve(fd);
		close(fd);
	}
}

static void control_start(const char *dir)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	sigset_t all, old;
	pthread_t t;
	int fd;

	if ((size_t)snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/control", dir) >=
	    sizeof(sa.sun_path))
		return;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	unlink(sa.sun_path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 16) < 0) {
		close(fd);
		return;
	}
	/*
	 * The thread must never take the daemon's signals: sd-event blocks
	 * SIGTERM in the main thread and reads it from a signalfd, and an
	 * unblocked thread would die of it instead.
	 */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	if (pthread_create(&t, NULL, control_thread, (void *)(intptr_t)fd) == 0)
		pthread_detach(t);
	else
		close(fd);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

static void fake_init(void)
{
	const char *dir = getenv("AEOGATE_FAKE_GPIO_DIR");
	const char *env = getenv("AEOGATE_FAKE_GPIO_CHIPS");
	char *desc = NULL;

	log_lines = calloc(FAKE_LOG_MAX, sizeof(*log_lines));
	watch_path = getenv("AEOGATE_FAKE_GPIO_WATCH");
	if (watch_path && !*watch_path)
		watch_path = NULL;

	if (env) {
		desc = strdup(env);
	} else if (dir) {
		char path[4096];

		snprintf(path, sizeof(path), "%s/chips", dir);
		desc = read_file(path);
	}
	if (!desc)
		desc = strdup("gpiochip0:64");
	if (desc)
		describe(desc);
	free(desc);

	if (dir && *dir) {
		char path[4096];

		snprintf(path, sizeof(path), "%s/log", dir);
		log_fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
		control_start(dir);
	}
}

static void fake_lock(void)
{
	pthread_once(&once, fake_init);
	pthread_mutex_lock(&lock);
}

static void fake_unlock(void)
{
	pthread_mutex_unlock(&lock);
}

static struct fake_line *fl(struct gpiod_line *line)
{
	return &line->chip->fc->lines[line->offset];
}

/* ---- chips ---- */

static struct gpiod_chip *chip_open(struct fake_chip *c)
{
	struct gpiod_chip *h;

	if (!c) {
		errno = ENOENT;
		return NULL;
	}
	h = calloc(1, sizeof(*h));
	if (!h || !(h->lines = calloc(c->nlines, sizeof(*h->lines)))) {
		free(h);
		errno = ENOMEM;
		return NULL;
	}
	h->fc = c;
	for (unsigned i = 0; i < c->nlines; i++) {
		h->lines[i].chip = h;
		h->lines[i].offset = i;
	}
	return h;
}

static struct fake_chip *chip_by_label(const char *label)
{
	for (size_t i = 0; i < n_chips; i++)
		if (strcmp(chips[i].label, label) == 0)
			return &chips[i];
	return NULL;
}

EXPORT struct gpiod_chip *gpiod_chip_open_by_name(const char *name)
{
	struct gpiod_chip *h;

	fake_lock();
	h = chip_open(chip_by_name(name));
	fake_unlock();
	return h;
}

EXPORT struct gpiod_chip *gpiod_chip_open(const char *path)
{
	const char *base = strrchr(path, '/');

	if (strncmp(path, "/dev/", 5) != 0 || !base) {
		errno = ENOENT;
		return NULL;
	}
	return gpiod_chip_open_by_name(base + 1);
}

EXPORT struct gpiod_chip *gpiod_chip_open_by_number(unsigned int num)
{
	char name[32];

	snprintf(name, sizeof(name), "gpiochip%u", num);
	return gpiod_chip_open_by_name(name);
}

EXPORT struct gpiod_chip *gpiod_chip_open_by_label(const char *label)
{
	struct gpiod_chip *h;

	fake_lock();
	h = chip_open(chip_by_label(label));
	fake_unlock();
	return h;
}

EXPORT struct gpiod_chip *gpiod_chip_open_lookup(const char *descr)
{
	struct gpiod_chip *h;
	char *end;
	unsigned long n;

	if (!descr) {
		errno = EINVAL;
		return NULL;
	}
	n = strtoul(descr, &end, 10);
	if (*descr && *end == '\0')
		return gpiod_chip_open_by_number((unsigned)n);
	if (descr[0] == '/')
		return gpiod_chip_open(descr);
	h = gpiod_chip_open_by_name(descr);
	if (!h)
		h = gpiod_chip_open_by_label(descr);
	return h;
}

static void line_release_locked(struct gpiod_line *line)
{
	struct fake_line *l = fl(line);

	if (!l->requested || l->owner != line->chip)
		return;
	if (l->pipe_rd >= 0)
		close(l->pipe_rd);
	if (l->pipe_wr >= 0)
		close(l->pipe_wr);
	l->pipe_rd = l->pipe_wr = -1;
	l->requested = false;
	l->owner = NULL;
	l->consumer[0] = '\0';
	log_add("release %s %u", line->chip->fc->name, line->offset);
}

EXPORT void gpiod_chip_close(struct gpiod_chip *chip)
{
	if (!chip)
		return;
	fake_lock();
	for (unsigned i = 0; i < chip->fc->nlines; i++)
		line_release_locked(&chip->lines[i]);
	fake_unlock();
	free(chip->lines);
	free(chip);
}

EXPORT const char *gpiod_chip_name(struct gpiod_chip *chip)
{
	return chip->fc->name;
}

EXPORT const char *gpiod_chip_label(struct gpiod_chip *chip)
{
	return chip->fc->label;
}

EXPORT unsigned int gpiod_chip_num_lines(struct gpiod_chip *chip)
{
	return chip->fc->nlines;
}

EXPORT struct gpiod_line *gpiod_chip_get_line(struct gpiod_chip *chip, unsigned int offset)
{
	if (offset >= chip->fc->nlines) {
		errno = EINVAL;
		return NULL;
	}
	return &chip->lines[offset];
}

EXPORT struct gpiod_line *gpiod_chip_find_line(struct gpiod_chip *chip, const char *name)
{
	struct gpiod_line *found = NULL;

	fake_lock();
	for (unsigned i = 0; i < chip->fc->nlines && !found; i++)
		if (chip->fc->lines[i].name[0] && strcmp(chip->fc->lines[i].name, name) == 0)
			found = &chip->lines[i];
	fake_unlock();
	if (!found)
		errno = ENOENT;
	return found;
}

/* ---- line info ---- */

EXPORT unsigned int gpiod_line_offset(struct gpiod_line *line)
{
	return line->offset;
}

EXPORT const char *gpiod_line_name(struct gpiod_line *line)
{
	return fl(line)->name[0] ? fl(line)->name : NULL;
}

EXPORT const char *gpiod_line_consumer(struct gpiod_line *line)
{
	return fl(line)->requested ? fl(line)->consumer : NULL;
}

EXPORT int gpiod_line_direction(struct gpiod_line *line)
{
	return fl(line)->requested && fl(line)->request_type == GPIOD_LINE_REQUEST_DIRECTION_OUTPUT
		   ? GPIOD_LINE_DIRECTION_OUTPUT
		   : GPIOD_LINE_DIRECTION_INPUT;
}

EXPORT int gpiod_line_active_state(struct gpiod_line *line)
{
	return fl(line)->active_low ? GPIOD_LINE_ACTIVE_STATE_LOW : GPIOD_LINE_ACTIVE_STATE_HIGH;
}

EXPORT int gpiod_line_bias(struct gpiod_line *line)
{
	return GPIOD_LINE_BIAS_AS_IS;
}

EXPORT bool gpiod_line_is_used(struct gpiod_line *line)
{
	return fl(line)->requested;
}

EXPORT bool gpiod_line_is_open_drain(struct gpiod_line *line)
{
	return false;
}

EXPORT bool gpiod_line_is_open_source(struct gpiod_line *line)
{
	return false;
}

EXPORT int gpiod_line_update(struct gpiod_line *line)
{
	return 0;
}

EXPORT bool gpiod_line_is_requested(struct gpiod_line *line)
{
	return fl(line)->requested && fl(line)->owner == line->chip;
}

EXPORT bool gpiod_line_is_free(struct gpiod_line *line)
{
	return !fl(line)->requested;
}

EXPORT struct gpiod_chip *gpiod_line_get_chip(struct gpiod_line *line)
{
	return line->chip;
}

/* ---- requests ---- */

static const char *request_name(int type)
{
	switch (type) {
	case GPIOD_LINE_REQUEST_DIRECTION_AS_IS:
		return "as-is";
	case GPIOD_LINE_REQUEST_DIRECTION_INPUT:
		return "input";
	case GPIOD_LINE_REQUEST_DIRECTION_OUTPUT:
		return "output";
	case GPIOD_LINE_REQUEST_EVENT_FALLING_EDGE:
		return "events=falling";
	case GPIOD_LINE_REQUEST_EVENT_RISING_EDGE:
		return "events=rising";
	case GPIOD_LINE_REQUEST_EVENT_BOTH_EDGES:
		return "events=both";
	default:
		return NULL;
	}
}

EXPORT int gpiod_line_request(struct gpiod_line *line,
			      const struct gpiod_line_request_config *config, int default_val)
{
	struct fake_line *l;
	int p[2] = {-1, -1}, r = 0;
	bool events;

	if (!line || !config || !request_name(config->request_type)) {
		errno = EINVAL;
		return -1;
	}
	events = config->request_type >= GPIOD_LINE_REQUEST_EVENT_FALLING_EDGE;

	fake_lock();
	l = fl(line);
	if (l->requested) {
		r = EBUSY;
		goto out;
	}
	if (events) {
		if (pipe2(p, O_CLOEXEC) < 0) {
			r = errno;
			goto out;
		}
		/* The kernel drops events when its fifo is full; never block here. */
		fcntl(p[1], F_SETFL, O_NONBLOCK);
	}
	l->requested = true;
	l->owner = line->chip;
	l->request_type = config->request_type;
	l->active_low = config->flags & GPIOD_LINE_REQUEST_FLAG_ACTIVE_LOW;
	snprintf(l->consumer, sizeof(l->consumer), "%s", config->consumer ? config->consumer : "");
	l->pipe_rd = p[0];
	l->pipe_wr = p[1];
	if (config->request_type == GPIOD_LINE_REQUEST_DIRECTION_OUTPUT) {
		l->level = (default_val != 0) != l->active_low;
		log_add("request %s %u output value=%d level=%d active_low=%d consumer=%s",
			line->chip->fc->name, line->offset, default_val != 0, l->level,
			l->active_low, l->consumer);
	} else {
		log_add("request %s %u %s active_low=%d consumer=%s", line->chip->fc->name,
			line->offset, request_name(config->request_type), l->active_low,
			l->consumer);
	}
out:
	fake_unlock();
	if (r) {
		errno = r;
		return -1;
	}
	return 0;
}

static int request_simple(struct gpiod_line *line, const char *consumer, int type, int flags,
			  int value)
{
	struct gpiod_line_request_config c = {
	    .consumer = consumer,
	    .request_type = type,
	    .flags = flags,
	};

	return gpiod_line_request(line, &c, value);
}

EXPORT int gpiod_line_request_input(struct gpiod_line *line, const char *consumer)
{
	return request_simple(line, consumer, GPIOD_LINE_REQUEST_DIRECTION_INPUT, 0, 0);
}

EXPORT int gpiod_line_request_output(struct gpiod_line *line, const char *consumer, int default_val)
{
	return request_simple(line, consumer, GPIOD_LINE_REQUEST_DIRECTION_OUTPUT, 0, default_val);
}

EXPORT int gpiod_line_request_rising_edge_events(struct gpiod_line *line, const char *consumer)
{
	return request_simple(line, consumer, GPIOD_LINE_REQUEST_EVENT_RISING_EDGE, 0, 0);
}

EXPORT int gpiod_line_request_falling_edge_events(struct gpiod_line *line, const char *consumer)
{
	return request_simple(line, consumer, GPIOD_LINE_REQUEST_EVENT_FALLING_EDGE, 0, 0);
}

EXPORT int gpiod_line_request_both_edges_events(struct gpiod_line *line, const char *consumer)
{
	return request_simple(line, consumer, GPIOD_LINE_REQUEST_EVENT_BOTH_EDGES, 0, 0);
}

EXPORT int gpiod_line_request_input_flags(struct gpiod_line *line, const char *consumer, int flags)
{
	return request_simple(line, consumer, GPIOD_LINE_REQUEST_DIRECTION_INPUT, flags, 0);
}

EXPORT int gpiod_line_request_output_flags(struct gpiod_line *line, const char *consumer, int flags,
					   int default_val)
{
	return request_simple(line, consumer, GPIOD_LINE_REQUEST_DIRECTION_OUTPUT, flags,
			      default_val);
}

EXPORT int gpiod_line_request_rising_edge_events_flags(struct gpiod_line *line,
						       const char *consumer, int flags)
{
	return request_simple(line, consumer, GPIOD_LINE_REQUEST_EVENT_RISING_EDGE, flags, 0);
}

EXPORT int gpiod_line_request_falling_edge_events_flags(struct gpiod_line *line,
							const char *consumer, int flags)
{
	return request_simple(line, consumer, GPIOD_LINE_REQUEST_EVENT_FALLING_EDGE, flags, 0);
}

EXPORT int gpiod_line_request_both_edges_events_flags(struct gpiod_line *line, const char *consumer,
						      int flags)
{
	return request_simple(line, consumer, GPIOD_LINE_REQUEST_EVENT_BOTH_EDGES, flags, 0);
}

EXPORT void gpiod_line_release(struct gpiod_line *line)
{
	if (!line)
		return;
	fake_lock();
	line_release_locked(line);
	fake_unlock();
}

/* ---- values ---- */

EXPORT int gpiod_line_get_value(struct gpiod_line *line)
{
	struct fake_line *l;
	int v = -1;

	fake_lock();
	l = fl(line);
	if (l->requested && l->owner == line->chip)
		v = l->level != l->active_low;
	fake_unlock();
	if (v < 0)
		errno = EPERM;
	return v;
}

EXPORT int gpiod_line_set_value(struct gpiod_line *line, int value)
{
	struct fake_line *l;
	int r = 0;

	fake_lock();
	l = fl(line);
	if (!l->requested || l->owner != line->chip ||
	    l->request_type != GPIOD_LINE_REQUEST_DIRECTION_OUTPUT) {
		r = EPERM;
	} else {
		l->level = (value != 0) != l->active_low;
		log_add("set %s %u value=%d level=%d", line->chip->fc->name, line->offset,
			value != 0, l->level);
	}
	fake_unlock();
	if (r) {
		errno = r;
		return -1;
	}
	return 0;
}

/* ---- events ---- */

EXPORT int gpiod_line_event_get_fd(struct gpiod_line *line)
{
	int fd;

	fake_lock();
	fd = fl(line)->owner == line->chip ? fl(line)->pipe_rd : -1;
	fake_unlock();
	if (fd < 0)
		errno = EPERM;
	return fd;
}

EXPORT int gpiod_line_event_read_fd(int fd, struct gpiod_line_event *event)
{
	struct gpioevent_data ev;
	ssize_t n;

	n = read(fd, &ev, sizeof(ev));
	if (n < 0)
		return -1;
	if (n != sizeof(ev)) {
		errno = EIO;
		return -1;
	}
	event->ts.tv_sec = (time_t)(ev.timestamp / 1000000000ull);
	event->ts.tv_nsec = (long)(ev.timestamp % 1000000000ull);
	event->event_type = ev.id == GPIOEVENT_EVENT_RISING_EDGE ? GPIOD_LINE_EVENT_RISING_EDGE
								 : GPIOD_LINE_EVENT_FALLING_EDGE;
	return 0;
}

EXPORT int gpiod_line_event_read_fd_multiple(int fd, struct gpiod_line_event *events,
					     unsigned int num_events)
{
	unsigned i;

	for (i = 0; i < num_events; i++) {
		if (gpiod_line_event_read_fd(fd, &events[i]) < 0) {
			if (i > 0 && errno == EAGAIN)
				break;
			return -1;
		}
		/* Like the kernel's single read(): stop once nothing is queued. */
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (poll(&p, 1, 0) <= 0) {
			i++;
			break;
		}
	}
	return (int)i;
}

EXPORT int gpiod_line_event_read(struct gpiod_line *line, struct gpiod_line_event *event)
{
	int fd = gpiod_line_event_get_fd(line);

	if (fd < 0)
		return -1;
	return gpiod_line_event_read_fd(fd, event);
}

EXPORT int gpiod_line_event_read_multiple(struct gpiod_line *line, struct gpiod_line_event *events,
					  unsigned int num_events)
{
	int fd = gpiod_line_event_get_fd(line);

	if (fd < 0)
		return -1;
	return gpiod_line_event_read_fd_multiple(fd, events, num_events);
}

EXPORT int gpiod_line_event_wait(struct gpiod_line *line, const struct timespec *timeout)
{
	int fd = gpiod_line_event_get_fd(line), r;
	struct pollfd p = {.events = POLLIN};

	if (fd < 0)
		return -1;
	p.fd = fd;
	r = ppoll(&p, 1, timeout, NULL);
	return r < 0 ? -1 : r > 0;
}

EXPORT const char *gpiod_version_string(void)
{
	return "1.6.3-aeogate-fake";
}
