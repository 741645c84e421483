/* SPDX-License-Identifier: MIT */
/*
 * NFC reader through libnfc (a PN532 on a UART, I2C or SPI, or any device
 * libnfc drives), configured by its connstring.
 *
 * libnfc blocks, so each reader runs one thread that owns the libnfc context
 * and device: it opens the device, polls for ISO 14443A targets, watches a
 * found card until it leaves the field, and reconnects with back-off when the
 * device stops answering. The thread hands the loop fixed-size records (a
 * read or a status change, by value) through a pipe; the loop side turns them
 * into hal_callbacks calls. Nothing else crosses between the two threads.
 *
 * One read per presentation: a card is reported when it is selected, then
 * watched with nfc_initiator_target_is_present until it is gone. The same UID
 * coming back within hold_off_ms of leaving is taken for the same
 * presentation (a card wobbling at the edge of the field) and not reported
 * again; a different card is reported at once.
 *
 * Every libnfc call in aeogate lives in this file.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <nfc/nfc.h>
#include <systemd/sd-event.h>

#include "aeogate/hal.h"

/* Idle poll period: a card is seen within this long of entering the field. */
#define NFC_POLL_MS 100
/* How often a held card is asked whether it is still there. */
#define NFC_PRESENCE_MS 100
/* Consecutive failed commands before the device counts as gone. */
#define NFC_ERRORS_MAX 3
/* Reconnect back-off: first retry, and the ceiling it doubles up to. */
#define NFC_BACKOFF_MIN_MS 100
#define NFC_BACKOFF_MAX_MS 5000
/* How long close() waits for the thread before leaving it behind. */
#define NFC_JOIN_MS 3000
#define NFC_WHY_MAX 320

/* libnfc marks a tty it has open with this c_iflag bit (buses/uart.c). */
#define LIBNFC_CCLAIMED 0x80000000u

enum nfc_msg_type {
	NFC_MSG_READ,
	NFC_MSG_STATUS,
};

/* One record through the pipe: well under PIPE_BUF, so writes are atomic. */
struct nfc_msg {
	enum nfc_msg_type type;
	bool online;
	char why[NFC_WHY_MAX];
	struct hal_read read;
};

struct nfc_reader {
	struct hal_reader *r;
	sd_event_source *io;
	int msg_fd[2]; /* [0] read by the loop, [1] written by the thread */
	int wake_fd;   /* eventfd: wakes the thread's sleeps when stopping */
	pthread_t thread;
	bool thread_started;
	atomic_bool stop;

	char connstring[NFC_BUFSIZE_CONNSTRING];
	char port[256]; /* tty path for UART drivers, else empty */
	unsigned hold_off_ms;

	/* Guards dev against close() calling nfc_abort_command while the thread swaps it. */
	pthread_mutex_t lock;
	nfc_device *dev;

	/* Thread-only state below. */
	nfc_context *ctx;
	int port_fd;
	bool online;
	bool reported_offline;
	unsigned long dropped;
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Sleeps up to ms; returns false when the reader is being stopped. */
static bool nap(struct nfc_reader *n, unsigned ms)
{
	struct pollfd p = {.fd = n->wake_fd, .events = POLLIN};

	if (atomic_load(&n->stop))
		return false;
	(void)poll(&p, 1, (int)ms);
	return !atomic_load(&n->stop);
}

static void post(struct nfc_reader *n, const struct nfc_msg *m)
{
	ssize_t w;

	do {
		w = write(n->msg_fd[1], m, sizeof(*m));
	} while (w < 0 && errno == EINTR);
	/* A full pipe means the loop is stuck for minutes; never block on it. */
	if (w != (ssize_t)sizeof(*m))
		n->dropped++;
}

static void post_status(struct nfc_reader *n, bool online, const char *why)
{
	struct nfc_msg m = {.type = NFC_MSG_STATUS, .online = online};

	snprintf(m.why, sizeof(m.why), "%s", why);
	post(n, &m);
}

static void post_uid(struct nfc_reader *n, const uint8_t *uid, size_t len)
{
	struct nfc_msg m = {.type = NFC_MSG_READ};

	m.read.kind = HAL_READ_UID;
	memcpy(m.read.uid, uid, len);
	m.read.uid_len = len;
	post(n, &m);
}

/*
 * For UART connstrings ("driver:/dev/tty...[:speed]"), the tty path; other
 * buses (i2c, spi, usb) have nothing for us to look after.
 */
static void connstring_port(const char *cs, char *port, size_t len)
{
	static const char *const uart_drivers[] = {"pn532_uart:", "arygon:", "acr122s:"};
	const char *p = NULL, *end;

	port[0] = '\0';
	for (size_t i = 0; i < sizeof(uart_drivers) / sizeof(uart_drivers[0]); i++)
		if (!strncmp(cs, uart_drivers[i], strlen(uart_drivers[i])))
			p = cs + strlen(uart_drivers[i]);
	if (!p || !*p)
		return;
	end = strchr(p, ':');
	if (!end)
		end = p + strlen(p);
	if ((size_t)(end - p) >= len)
		return;
	memcpy(port, p, (size_t)(end - p));
	port[end - p] = '\0';
}

/*
 * libnfc claims a tty by setting a c_iflag bit and only clears it on a clean
 * close, so a controller that crashed leaves its reader "already claimed"
 * until reboot. We hold an flock on the tty while we use it: holding it
 * proves no other aeogated has the port, and a claim left behind is stale.
 */
static int port_take(struct nfc_reader *n, char *why, size_t wlen)
{
	struct termios t;
	int fd;

	if (!n->port[0])
		return 0;
	fd = open(n->port, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		snprintf(why, wlen, "%.200s: %s", n->port, strerror(errno));
		return -errno;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int r = -errno;
		snprintf(why, wlen, "%.200s: in use by another aeogated", n->port);
		close(fd);
		return r;
	}
	if (tcgetattr(fd, &t) == 0 && (t.c_iflag & LIBNFC_CCLAIMED)) {
		t.c_iflag &= ~(tcflag_t)LIBNFC_CCLAIMED;
		(void)tcsetattr(fd, TCSANOW, &t);
	}
	n->port_fd = fd;
	return 0;
}

static void port_release(struct nfc_reader *n)
{
	if (n->port_fd >= 0)
		close(n->port_fd);
	n->port_fd = -1;
}

static void device_close(struct nfc_reader *n)
{
	nfc_device *d;

	pthread_mutex_lock(&n->lock);
	d = n->dev;
	n->dev = NULL;
	pthread_mutex_unlock(&n->lock);
	/* nfc_close also switches the field off and puts the chip to sleep. */
	if (d)
		nfc_close(d);
	port_release(n);
}

static int device_open(struct nfc_reader *n, char *why, size_t wlen)
{
	nfc_device *d;
	int r;

	r = port_take(n, why, wlen);
	if (r < 0)
		return r;
	d = nfc_open(n->ctx, n->connstring);
	if (!d) {
		snprintf(why, wlen, "cannot open %.260s", n->connstring);
		port_release(n);
		return -ENODEV;
	}
	pthread_mutex_lock(&n->lock);
	n->dev = d;
	pthread_mutex_unlock(&n->lock);

	r = nfc_initiator_init(d);
	/*
	 * One activation attempt per select: with the default infinite select
	 * the chip waits for a card and the thread could not notice a stop.
	 */
	if (r >= 0)
		r = nfc_device_set_property_bool(d, NP_INFINITE_SELECT, false);
	if (r >= 0)
		r = nfc_device_set_property_bool(d, NP_AUTO_ISO14443_4, false);
	if (r < 0) {
		snprintf(why, wlen, "initiator init: %s", nfc_strerror(d));
		device_close(n);
		return -EIO;
	}
	return 0;
}

struct presence {
	bool held; /* a card is on the reader and has been reported */
	uint8_t uid[AEOGATE_UID_MAX_BYTES];
	size_t uid_len;
	bool left;	     /* the last card has left the field ... */
	uint64_t left_at_ms; /* ... at this time */
};

/* A target was selected: report it unless it is the last card back too soon. */
static void presence_arrived(struct nfc_reader *n, struct presence *p, const nfc_target *t)
{
	size_t len = t->nti.nai.szUidLen;
	const uint8_t *uid = t->nti.nai.abtUid;
	bool same = p->uid_len == len && memcmp(p->uid, uid, len) == 0;

	if (len == 0 || len > AEOGATE_UID_MAX_BYTES)
		return;
	p->held = true;
	if (same && p->left && now_ms() - p->left_at_ms < n->hold_off_ms) {
		p->left = false;
		return;
	}
	memcpy(p->uid, uid, len);
	p->uid_len = len;
	p->left = false;
	post_uid(n, uid, len);
}

static void presence_left(struct presence *p)
{
	p->held = false;
	p->left = true;
	p->left_at_ms = now_ms();
}

/*
 * Polls the open device until it fails NFC_ERRORS_MAX times in a row or the
 * reader is stopped. Returns 0 on stop, -EIO with why filled on failure.
 */
static int poll_device(struct nfc_reader *n, char *why, size_t wlen)
{
	static const nfc_modulation mod = {.nmt = NMT_ISO14443A, .nbr = NBR_106};
	struct presence p = {0};
	nfc_target target;
	unsigned errors = 0;

	while (!atomic_load(&n->stop)) {
		unsigned wait = NFC_POLL_MS;
		int r;

		if (p.held) {
			r = nfc_initiator_target_is_present(n->dev, &target);
			if (r == NFC_ETGRELEASED) {
				presence_left(&p);
				r = 0;
				wait = 0;
			} else if (r == 0) {
				wait = NFC_PRESENCE_MS;
			}
		} else {
			memset(&target, 0, sizeof(target));
			r = nfc_initiator_select_passive_target(n->dev, mod, NULL, 0, &target);
			if (r > 0) {
				presence_arrived(n, &p, &target);
				r = 0;
				wait = NFC_PRESENCE_MS;
			}
		}
		if (r == 0) {
			errors = 0;
		} else if (++errors >= NFC_ERRORS_MAX) {
			snprintf(why, wlen, "device not answering: %s", nfc_strerror(n->dev));
			return -EIO;
		} else if (p.held) {
			/*
			 * A garbled answer says nothing about the card; ask
			 * again, and if the device is healthy the card is either
			 * still there (no new read) or gone (hold-off applies).
			 */
			wait = NFC_PRESENCE_MS;
		}
		if (wait && !nap(n, wait))
			break;
	}
	return 0;
}

static void set_online(struct nfc_reader *n, bool online, const char *why)
{
	if (online == n->online && (online || n->reported_offline))
		return;
	n->online = online;
	n->reported_offline = !online;
	post_status(n, online, why);
}

static void *reader_thread(void *arg)
{
	struct nfc_reader *n = arg;
	unsigned backoff = NFC_BACKOFF_MIN_MS;
	char why[NFC_WHY_MAX];

	nfc_init(&n->ctx);
	if (!n->ctx) {
		set_online(n, false, "libnfc initialisation failed");
		return NULL;
	}
	while (!atomic_load(&n->stop)) {
		if (device_open(n, why, sizeof(why)) < 0) {
			set_online(n, false, why);
			if (!nap(n, backoff))
				break;
			backoff =
			    backoff * 2 > NFC_BACKOFF_MAX_MS ? NFC_BACKOFF_MAX_MS : backoff * 2;
			continue;
		}
		set_online(n, true, "connected");
		backoff = NFC_BACKOFF_MIN_MS;
		if (poll_device(n, why, sizeof(why)) < 0)
			set_online(n, false, why);
		device_close(n);
	}
	device_close(n);
	nfc_exit(n->ctx);
	n->ctx = NULL;
	return NULL;
}

/* Loop side: deliver what the thread posted, in order. */
static int on_msg(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct nfc_reader *n = userdata;
	struct hal_reader *r = n->r;
	struct nfc_msg m;

	for (;;) {
		ssize_t got = read(fd, &m, sizeof(m));

		if (got < 0 && errno == EINTR)
			continue;
		if (got != (ssize_t)sizeof(m))
			break; /* EAGAIN; records are written whole, so never short */
		if (m.type == NFC_MSG_STATUS) {
			m.why[sizeof(m.why) - 1] = '\0';
			r->online = m.online;
			if (r->cb && r->cb->reader_status)
				r->cb->reader_status(r->cb->userdata, r->index, m.online, m.why);
		} else if (m.type == NFC_MSG_READ && m.read.uid_len > 0 &&
			   m.read.uid_len <= AEOGATE_UID_MAX_BYTES) {
			if (r->cb && r->cb->read)
				r->cb->read(r->cb->userdata, r->index, &m.read);
		}
	}
	return 0;
}

static void nfc_reader_free(struct nfc_reader *n)
{
	if (!n)
		return;
	sd_event_source_disable_unref(n->io);
	if (n->msg_fd[0] >= 0)
		close(n->msg_fd[0]);
	if (n->msg_fd[1] >= 0)
		close(n->msg_fd[1]);
	if (n->wake_fd >= 0)
		close(n->wake_fd);
	pthread_mutex_destroy(&n->lock);
	free(n);
}

static int nfc_reader_open(struct hal_reader *r, struct sd_event *e)
{
	const struct reader_config *cfg = r->cfg;
	struct nfc_reader *n;
	int ret;

	if (!cfg->connstring[0] || strlen(cfg->connstring) >= NFC_BUFSIZE_CONNSTRING)
		return -EINVAL;
	n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	n->r = r;
	n->msg_fd[0] = n->msg_fd[1] = n->wake_fd = n->port_fd = -1;
	pthread_mutex_init(&n->lock, NULL);
	strcpy(n->connstring, cfg->connstring);
	connstring_port(n->connstring, n->port, sizeof(n->port));
	n->hold_off_ms = cfg->hold_off_ms;

	if (pipe2(n->msg_fd, O_CLOEXEC | O_NONBLOCK) < 0) {
		ret = -errno;
		goto err_free;
	}
	n->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (n->wake_fd < 0) {
		ret = -errno;
		goto err_free;
	}
	ret = sd_event_add_io(e, &n->io, n->msg_fd[0], EPOLLIN, on_msg, n);
	if (ret < 0)
		goto err_free;
	(void)sd_event_source_set_description(n->io, "nfc-reader");

	r->online = false;
	r->priv = n;
	ret = -pthread_create(&n->thread, NULL, reader_thread, n);
	if (ret < 0)
		goto err_priv;
	n->thread_started = true;
	return 0;

err_priv:
	r->priv = NULL;
err_free:
	nfc_reader_free(n);
	return ret;
}

static void nfc_reader_close(struct hal_reader *r)
{
	struct nfc_reader *n = r->priv;
	struct timespec deadline;
	uint64_t one = 1;

	if (!n)
		return;
	r->priv = NULL;
	if (n->thread_started) {
		atomic_store(&n->stop, true);
		(void)!write(n->wake_fd, &one, sizeof(one));
		pthread_mutex_lock(&n->lock);
		if (n->dev)
			(void)nfc_abort_command(n->dev);
		pthread_mutex_unlock(&n->lock);

		clock_gettime(CLOCK_REALTIME, &deadline);
		deadline.tv_sec += NFC_JOIN_MS / 1000;
		if (pthread_timedjoin_np(n->thread, NULL, &deadline) != 0) {
			/*
			 * Stuck inside libnfc on a device that never answers.
			 * We are shutting down: leave the thread and its state
			 * behind rather than hang the controller's stop.
			 */
			pthread_detach(n->thread);
			sd_event_source_disable_unref(n->io);
			n->io = NULL;
			return;
		}
	}
	nfc_reader_free(n);
}

const struct hal_reader_ops hal_reader_nfc_ops = {
    .name = "nfc",
    .open = nfc_reader_open,
    .close = nfc_reader_close,
};
