/* SPDX-License-Identifier: MIT */
/*
 * OSDP readers (PDs) on an RS-485 port, with aeogated as the control panel
 * (CP). SIA OSDP 2.2: the CP talks, one PD answers, in turn; every command
 * carries a 2-bit sequence number the reply echoes.
 *
 * Several [reader] sections may name one port (multidrop): they share one
 * bus here, found by the port's path, which owns the tty and polls its PDs
 * round robin, one command in flight at a time. Everything runs on the
 * sd-event loop with a non-blocking tty: an io source for replies, one
 * timer for reply timeouts, the poll cadence, reopening a vanished port and
 * noticing a silent PD.
 *
 * Link rules (OSDP 2.2, 5.7 and 5.8): a PD that does not answer within
 * OSDP_REPLY_MS gets the same command with the same sequence number again
 * (it resends its last reply if it had answered); after OSDP_RETRIES such
 * misses the CP starts over with sequence number 0. BUSY is answered by the
 * same command again, later. A reader is online after OSDP_ONLINE_GOOD good
 * replies in a row once its identity and capabilities are known, and
 * offline once it has not answered for OSDP_OFFLINE_MS.
 *
 * Secure channel (Annex D; the cryptography is hal/osdp_sc.c): after ID and
 * CAP, CHLNG -> CCRYPT (the reader proves the key) -> SCRYPT (we prove it)
 * -> RMAC_I; then every command carries a MAC chained from the last reply's
 * and every reply must carry one chained from our command's. With secure =
 * required a reader is trusted (online, reads decided, outputs sent) only
 * inside a session; a MAC failure ends the session. In install mode the
 * session uses SCBK-D, and KEYSET gives the reader a key of its own, kept
 * on disk before the reader gets it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <systemd/sd-event.h>

#include "aeogate/hal.h"
#include "aeogate/osdp.h"

/* The longest a PD may take to answer (OSDP 2.2, 5.7: 200 ms). */
#define OSDP_REPLY_MS 200
/* Each online PD is polled at least this often (the issue: every 50 ms). */
#define OSDP_POLL_MS 40
/* A PD that stopped answering is asked less often, so the others keep their cadence. */
#define OSDP_RETRY_SLOW_MS 500
/* Misses in a row before the CP starts the PD over with sequence number 0. */
#define OSDP_RETRIES 3
/* Good replies in a row before a reader counts as online. */
#define OSDP_ONLINE_GOOD 3
/* Silence that takes a reader offline (the issue: within 5 s). */
#define OSDP_OFFLINE_MS 3000
/* How often a missing or vanished port is opened again. */
#define OSDP_REOPEN_MS 500
/* Output commands waiting per PD; a newer one replaces the oldest beyond this. */
#define OSDP_QUEUE_MAX 8
/* After a failed handshake, the next attempt waits this long. */
#define OSDP_SC_RETRY_MS 5000
/* Housekeeping tick when nothing else is due. */
#define OSDP_TICK_MS 250

struct osdp_bus;

/* One per osdp [reader]; created by the reader's open, freed by its close. */
struct osdp_pd {
	struct hal_reader *r;
	struct osdp_bus *bus;
	uint8_t addr;
	uint8_t seq;  /* sequence number of the next (or pending) command */
	bool pending; /* the last command is to be sent again, same seq */
	uint8_t cmd[AEOGATE_OSDP_FRAME_MAX];
	size_t cmd_len;
	uint8_t cmd_code;
	unsigned misses; /* commands unanswered in a row */
	unsigned good;	 /* good replies in a row */
	bool id_done, cap_done, lstat_done;
	/*
	 * ID and CAP answered inside the current session. OSDP 2.2 lets the CP
	 * ask them in clear before the handshake (it needs PDCAP to know the
	 * PD does the secure channel at all), but clear replies may have been
	 * altered on the wire: with secure = required they are asked again in
	 * the session, and the reader is online only once they were.
	 */
	bool sc_id_done, sc_cap_done;
	/* the PD's inputs, outputs and attached readers, asked at start and after OUT */
	bool istat_done, ostat_done, rstat_done;
	/* The door's lock as the LED's permanent colour: sent at start and on each change. */
	bool door_released, led_dirty;
	/*
	 * A "<scbk>.new" found at start: a KEYSET whose ACK may have come just
	 * before a crash. The first handshake tries it; the one the PD accepts is kept.
	 */
	uint8_t pending_key[16];
	bool have_pending; /* pending_key is still to be tried */
	bool sc_pending;   /* the session under way uses pending_key */
	bool drop_pending; /* the PD refused pending_key: remove the file once the old key works */
	/* secure channel */
	enum { SC_NONE, SC_CHLNG_SENT, SC_SCRYPT_SENT, SC_UP, SC_FAILED } sc_state;
	struct osdp_sc sc;
	uint8_t scbk[16];
	bool have_key;	   /* scbk holds the configured key */
	bool use_default;  /* install = yes and no key file: SCBK-D */
	char key_why[128]; /* why there is no key, for the event */
	uint64_t sc_retry_ms;
	bool cmd_secure;     /* the pending command went out in the session */
	bool ccrypt_ok;	     /* the PD's cryptogram matched */
	bool reported_key;   /* the missing key was reported */
	uint8_t scrypt[16];  /* the server cryptogram sent */
	/* install mode: the fresh key sent by KEYSET, kept in "<scbk>.new" until the ACK */
	uint8_t new_key[16];
	bool keyset_sent;
	bool seq_restart; /* after KEYSET: start over at sequence 0 for the new session */
	bool lstat_seen;  /* a local status was reported since open */
	/* Output commands (LED, BUZ, TEXT) waiting for the PD's turn; the oldest go first. */
	struct {
		uint8_t code;
		uint8_t len;
		uint8_t data[48];
	} queue[OSDP_QUEUE_MAX];
	size_t queued;
	bool reported;	     /* some status was reported since open */
	uint64_t started_ms; /* opened, or last went offline */
	uint64_t last_reply_ms;
	uint64_t next_due_ms;
	struct osdp_pd_info info;
};

/* One per port in use; created by the first reader on it, freed with the last. */
struct osdp_bus {
	struct osdp_bus *next;
	char port[sizeof(((struct reader_config *)0)->port)];
	unsigned baud;
	sd_event *e;
	sd_event_source *io;
	sd_event_source *timer;
	int fd;
	uint64_t reopen_ms;
	int open_err; /* why the port did not open last time, negative errno */
	struct osdp_pd *pds[AEOGATE_OSDP_BUS_PDS];
	size_t n;
	size_t turn;	      /* the PD spoken to last */
	struct osdp_pd *wait; /* the PD whose reply is awaited, or NULL */
	uint64_t deadline_ms;
	uint8_t rx[2 * AEOGATE_OSDP_FRAME_MAX];
	size_t rx_len;
};

/*
 * The ports open in this process. A list rather than state passed in: the
 * HAL opens readers one by one, and readers sharing a port must find the
 * one bus that owns it. Touched on the loop thread only.
 */
static struct osdp_bus *buses;

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static speed_t baud_speed(unsigned baud)
{
	switch (baud) {
	case 9600:
		return B9600;
	case 19200:
		return B19200;
	case 38400:
		return B38400;
	case 57600:
		return B57600;
	case 230400:
		return B230400;
	default:
		return B115200;
	}
}

static void pd_event(struct osdp_pd *pd, const char *kind, const char *detail)
{
	struct hal_reader *r = pd->r;

	if (r->cb && r->cb->reader_event)
		r->cb->reader_event(r->cb->userdata, r->index, kind, detail);
}

static void sc_event(struct osdp_pd *pd, const char *state, const char *why)
{
	char detail[256];

	snprintf(detail, sizeof(detail), "{\"state\":\"%s\",\"key\":\"%s\",\"why\":\"%.160s\"}",
		 state, pd->use_default ? "scbk-d" : "scbk", why);
	pd_event(pd, "reader.secure_channel", detail);
}

/* Reads a key file (32 hex digits on one line, 0600 or tighter) into key; why says what is wrong.
 */
static int key_file_read(const char *path, uint8_t key[16], char *why, size_t why_len)
{
	char buf[64];
	struct stat st;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		int r = -errno;
		snprintf(why, why_len, "scbk file: %s", strerror(errno));
		return r;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (st.st_mode & 077)) {
		snprintf(why, why_len, "scbk file must be a regular file of mode 0600 or tighter");
		close(fd);
		return -EPERM;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		n = 0;
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	if (n != 32 || strspn(buf, "0123456789abcdefABCDEF") != 32) {
		snprintf(why, why_len, "scbk file must hold 32 hex digits");
		explicit_bzero(buf, sizeof(buf));
		return -EINVAL;
	}
	for (int i = 0; i < 16; i++) {
		unsigned v = 0;
		if (sscanf(buf + 2 * i, "%2x", &v) != 1)
			return -EINVAL;
		key[i] = (uint8_t)v;
	}
	explicit_bzero(buf, sizeof(buf));
	return 0;
}

/*
 * Reads the SCBK file. With install = yes a missing file means the reader
 * still has its default key (SCBK-D). A "<scbk>.new" left by a crash
 * between the reader's KEYSET ACK and the rename is read too: the first
 * handshake tries it (pd->have_pending).
 */
static void pd_load_key(struct osdp_pd *pd)
{
	const struct reader_config *cfg = pd->r->cfg;
	char tmp[sizeof(cfg->scbk) + 8], why[128];
	int r;

	pd->have_key = pd->use_default = pd->have_pending = false;
	pd->key_why[0] = '\0';
	if (!cfg->scbk[0]) {
		if (cfg->install)
			pd->use_default = true;
		else
			snprintf(pd->key_why, sizeof(pd->key_why), "no scbk file configured");
		return;
	}
	r = key_file_read(cfg->scbk, pd->scbk, pd->key_why, sizeof(pd->key_why));
	if (r == 0)
		pd->have_key = true;
	else if (r == -ENOENT && cfg->install)
		pd->use_default = true;
	if (r == 0 || r == -ENOENT) {
		if (r == -ENOENT && cfg->install)
			pd->key_why[0] = '\0';
		if (snprintf(tmp, sizeof(tmp), "%s.new", cfg->scbk) < (int)sizeof(tmp) &&
		    key_file_read(tmp, pd->pending_key, why, sizeof(why)) == 0)
			pd->have_pending = true;
	}
}

static int fsync_dir_of(const char *path)
{
	char dir[sizeof(((struct reader_config *)0)->scbk)];
	char *slash;
	int fd, r = 0;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash)
		return -EINVAL;
	if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		r = -errno;
	close(fd);
	return r;
}

/*
 * Writes key as 32 hex digits to path, mode 0600, durably: the file is
 * written and fsynced under a temporary name first. With commit, the
 * temporary file then replaces path (rename, then the directory fsynced),
 * so path holds either the old key or the new one, whole.
 */
static int key_file_write(const char *path, const uint8_t key[16], bool commit)
{
	char tmp[sizeof(((struct reader_config *)0)->scbk) + 8], hex[34];
	int fd, r = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.new", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	if (commit) {
		if (rename(tmp, path) < 0)
			return -errno;
		return fsync_dir_of(path);
	}
	for (int i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02x", key[i]);
	hex[32] = '\n';
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	errno = 0;
	if (fchmod(fd, 0600) < 0 || write(fd, hex, 33) != 33 || fsync(fd) < 0)
		r = errno ? -errno : -EIO;
	close(fd);
	explicit_bzero(hex, sizeof(hex));
	if (r < 0)
		unlink(tmp);
	return r;
}

static bool pd_secure(const struct osdp_pd *pd)
{
	return pd->r->cfg->secure != OSDP_SECURE_OFF;
}

/* Whether this PD's card reads and keys may be decided, and whether it may count as online. */
static bool pd_trusted(const struct osdp_pd *pd)
{
	if (!pd_secure(pd))
		return true;
	if (pd->sc_state == SC_UP)
		return true;
	return pd->r->cfg->secure == OSDP_SECURE_PREFERRED && pd->sc_state == SC_FAILED;
}

static void pd_status(struct osdp_pd *pd, bool online, const char *why)
{
	struct hal_reader *r = pd->r;

	pd->reported = true;
	pd->info.online = online;
	r->online = online;
	if (r->cb && r->cb->reader_status)
		r->cb->reader_status(r->cb->userdata, r->index, online, why);
}

/* Forgets the link state: the next command starts over with sequence number 0. */
static void pd_reset(struct osdp_pd *pd)
{
	pd->seq = 0;
	pd->pending = false;
	pd->misses = 0;
	pd->good = 0;
	pd->id_done = pd->cap_done = pd->lstat_done = false;
	pd->istat_done = pd->ostat_done = pd->rstat_done = false;
	pd->led_dirty = true;
	/* Sequence number 0 ends any session on the PD's side too. */
	if (pd->sc_state == SC_UP)
		sc_event(pd, "lost", "the link was started over");
	if (pd->sc_state != SC_FAILED)
		pd->sc_state = SC_NONE;
	pd->ccrypt_ok = false;
	pd->info.secure = false;
}

static void sc_fail(struct osdp_pd *pd, uint64_t now, const char *why)
{
	bool was_up = pd->sc_state == SC_UP;

	pd->sc_state = SC_FAILED;
	pd->ccrypt_ok = false;
	pd->info.secure = false;
	pd->sc_retry_ms = now + OSDP_SC_RETRY_MS;
	explicit_bzero(&pd->sc, sizeof(pd->sc));
	sc_event(pd, was_up ? "lost" : "failed", why);
	if (was_up && pd->r->cfg->secure == OSDP_SECURE_REQUIRED && pd->info.online)
		pd_status(pd, false, "secure channel lost");
	/* A PD holding half a session would refuse our next command: start it over. */
	pd->seq = 0;
	pd->pending = false;
	pd->good = 0;
}

static void pd_went_silent(struct osdp_pd *pd, uint64_t now, const char *why)
{
	pd_reset(pd);
	pd->started_ms = now;
	if (pd->info.online || !pd->reported)
		pd_status(pd, false, why);
}

static void bus_close_fd(struct osdp_bus *b)
{
	b->io = sd_event_source_disable_unref(b->io);
	if (b->fd >= 0)
		close(b->fd);
	b->fd = -1;
	b->wait = NULL;
	b->rx_len = 0;
	b->reopen_ms = now_ms() + OSDP_REOPEN_MS;
}

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata);

static int bus_open_fd(struct osdp_bus *b)
{
	struct termios t;
	int fd, r;

	fd = open(b->port, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* Two controllers on one bus would both be masters: refuse the second. */
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	if (tcgetattr(fd, &t) == 0) {
		cfmakeraw(&t);
		t.c_cflag |= CLOCAL | CREAD;
		t.c_cflag &= ~(tcflag_t)(CSTOPB | PARENB | CRTSCTS);
		/* VMIN 1: an empty non-blocking read is EAGAIN, never a 0 that looks like EOF. */
		t.c_cc[VMIN] = 1;
		t.c_cc[VTIME] = 0;
		cfsetispeed(&t, baud_speed(b->baud));
		cfsetospeed(&t, baud_speed(b->baud));
		(void)tcsetattr(fd, TCSANOW, &t);
	}
	r = sd_event_add_io(b->e, &b->io, fd, EPOLLIN, on_io, b);
	if (r < 0) {
		close(fd);
		return r;
	}
	(void)sd_event_source_set_description(b->io, "osdp-bus");
	b->fd = fd;
	b->rx_len = 0;
	return 0;
}

/* Builds the PD's next command unless one is pending a resend. */
/* Frames a command inside the session: SCS_15 (MAC) or SCS_17 (encrypted data and MAC). */
static int pd_build_secure(struct osdp_pd *pd, uint8_t code, const uint8_t *data, size_t len)
{
	uint8_t enc[AEOGATE_OSDP_FRAME_MAX], mac[16], scb[2] = {2, OSDP_SCS_15};
	const uint8_t zero_mac[4] = {0};
	uint16_t crc;
	int n, elen = 0;

	if (len) {
		scb[1] = OSDP_SCS_17;
		elen = osdp_sc_encrypt(&pd->sc, pd->sc.r_mac, data, len, enc, sizeof(enc));
		if (elen < 0)
			return elen;
	}
	n = osdp_frame_build(pd->cmd, sizeof(pd->cmd), pd->addr, pd->seq, true, scb, sizeof(scb),
			     code, enc, (size_t)elen, zero_mac);
	if (n < 0)
		return n;
	if (osdp_sc_mac(&pd->sc, pd->sc.r_mac, pd->cmd, (size_t)n - 6, mac) < 0)
		return -EIO;
	memcpy(pd->sc.c_mac, mac, 16);
	memcpy(pd->cmd + n - 6, mac, 4);
	crc = osdp_crc16(pd->cmd, (size_t)n - 2);
	pd->cmd[n - 2] = (uint8_t)(crc & 0xff);
	pd->cmd[n - 1] = (uint8_t)(crc >> 8);
	return n;
}

static int pd_next_command(struct osdp_pd *pd, uint64_t now)
{
	static const uint8_t zero = 0;
	uint8_t code = OSDP_CMD_POLL, scb[3];
	const uint8_t *data = NULL, *scbp = NULL;
	uint8_t buf[16], qbuf[48];
	size_t len = 0;
	int n;

	if (pd->pending)
		return 0;
	pd->cmd_secure = false;
	if (!pd->id_done) {
		code = OSDP_CMD_ID;
		data = &zero, len = 1;
	} else if (!pd->cap_done) {
		code = OSDP_CMD_CAP;
		data = &zero, len = 1;
	} else if (pd_secure(pd) && (pd->sc_state == SC_NONE ||
				     (pd->sc_state == SC_FAILED && now >= pd->sc_retry_ms))) {
		const uint8_t *key = pd->use_default ? osdp_scbk_default : pd->scbk;
		bool key_default = pd->use_default;

		pd->sc_pending = pd->have_pending;
		if (pd->sc_pending) {
			key = pd->pending_key;
			key_default = false;
		} else if (!pd->have_key && !pd->use_default) {
			if (pd->sc_state != SC_FAILED || !pd->reported_key)
				sc_fail(pd, now, pd->key_why);
			pd->reported_key = true;
			pd->sc_retry_ms = now + OSDP_SC_RETRY_MS;
			return pd_next_command(pd, now);
		}
		if (getrandom(buf, 8, 0) != 8)
			return -EIO;
		if (osdp_sc_derive(&pd->sc, key, buf) < 0)
			return -EIO;
		scb[0] = 3, scb[1] = OSDP_SCS_11, scb[2] = key_default ? 0x00 : 0x01;
		scbp = scb;
		code = OSDP_CMD_CHLNG;
		data = pd->sc.rnd_a, len = 8;
		pd->sc_state = SC_CHLNG_SENT;
	} else if (pd->sc_state == SC_CHLNG_SENT && pd->ccrypt_ok) {
		/* CCRYPT checked: the server cryptogram proves we hold the key too. */
		if (osdp_sc_cryptogram(&pd->sc, pd->sc.rnd_b, pd->sc.rnd_a, buf) < 0)
			return -EIO;
		scb[0] = 3, scb[1] = OSDP_SCS_13,
		scb[2] = pd->use_default && !pd->sc_pending ? 0x00 : 0x01;
		scbp = scb;
		code = OSDP_CMD_SCRYPT;
		data = buf, len = 16;
		memcpy(pd->scrypt, buf, 16);
		pd->sc_state = SC_SCRYPT_SENT;
	} else if (pd->sc_state == SC_UP && pd->use_default && pd->r->cfg->install &&
		   !pd->keyset_sent) {
		/*
		 * Install mode: the reader still has SCBK-D. Give it a fresh key
		 * of its own, inside this session, once the key is safe on disk.
		 */
		uint8_t ks[18];

		pd->keyset_sent = true;
		if (getrandom(pd->new_key, 16, 0) != 16)
			return -EIO;
		if (key_file_write(pd->r->cfg->scbk, pd->new_key, false) < 0) {
			/* Never give the reader a key we could not keep. */
			pd_event(pd, "reader.keyset",
				 "{\"state\":\"failed\",\"why\":\"cannot write the key file\"}");
			return pd_next_command(pd, now);
		}
		ks[0] = 0x01; /* SCBK */
		ks[1] = 16;
		memcpy(ks + 2, pd->new_key, 16);
		n = pd_build_secure(pd, OSDP_CMD_KEYSET, ks, sizeof(ks));
		explicit_bzero(ks, sizeof(ks));
		if (n < 0)
			return n;
		pd->cmd_secure = true;
		pd->cmd_len = (size_t)n;
		pd->cmd_code = OSDP_CMD_KEYSET;
		pd->pending = true;
		return 0;
	} else if (pd->sc_state == SC_UP && pd->r->cfg->secure == OSDP_SECURE_REQUIRED &&
		   !pd->sc_id_done) {
		code = OSDP_CMD_ID;
		data = &zero, len = 1;
	} else if (pd->sc_state == SC_UP && pd->r->cfg->secure == OSDP_SECURE_REQUIRED &&
		   !pd->sc_cap_done) {
		code = OSDP_CMD_CAP;
		data = &zero, len = 1;
	} else if (!pd->lstat_done) {
		code = OSDP_CMD_LSTAT;
	} else if (!pd->istat_done && pd_trusted(pd)) {
		code = OSDP_CMD_ISTAT;
	} else if (!pd->ostat_done && pd_trusted(pd)) {
		code = OSDP_CMD_OSTAT;
	} else if (!pd->rstat_done && pd_trusted(pd)) {
		code = OSDP_CMD_RSTAT;
	} else if (pd->led_dirty && pd_trusted(pd)) {
		/*
		 * LED 0's permanent state (OSDP 2.2, osdp_LED): steady red while
		 * the door is locked, green while released. The temporary part
		 * is left alone (NOP), so a grant or denial flash running now
		 * ends on its own timer and then shows this colour.
		 */
		memset(qbuf, 0, 14);
		qbuf[2] = 0x00;	 /* temporary: NOP */
		qbuf[9] = 0x01;	 /* permanent: set */
		qbuf[10] = 0xff; /* on time */
		qbuf[11] = 0;	 /* off time: steady */
		qbuf[12] = pd->door_released ? OSDP_LED_GREEN : OSDP_LED_RED;
		qbuf[13] = OSDP_LED_BLACK;
		data = qbuf, len = 14;
		code = OSDP_CMD_LED;
		pd->led_dirty = false;
	} else if (pd->queued && pd_trusted(pd)) {
		code = pd->queue[0].code;
		len = pd->queue[0].len;
		memcpy(qbuf, pd->queue[0].data, len);
		data = qbuf;
		pd->queued--;
		memmove(&pd->queue[0], &pd->queue[1], pd->queued * sizeof(pd->queue[0]));
	}
	if (pd->sc_state == SC_UP) {
		n = pd_build_secure(pd, code, data, len);
		pd->cmd_secure = true;
	} else {
		n = osdp_frame_build(pd->cmd, sizeof(pd->cmd), pd->addr, pd->seq, true, scbp,
				     scbp ? 3 : 0, code, data, len, NULL);
	}
	if (n < 0)
		return n;
	pd->cmd_len = (size_t)n;
	pd->cmd_code = code;
	pd->pending = true;
	return 0;
}

static void bus_send(struct osdp_bus *b, struct osdp_pd *pd, uint64_t now)
{
	ssize_t w;

	if (pd_next_command(pd, now) < 0)
		return;
	/* Whatever is left over belongs to an exchange that is over. */
	b->rx_len = 0;
	do {
		w = write(b->fd, pd->cmd, pd->cmd_len);
	} while (w < 0 && errno == EINTR);
	if (w < 0 && errno != EAGAIN) {
		bus_close_fd(b);
		return;
	}
	if (pd->cmd_code == OSDP_CMD_POLL)
		pd->info.polls++;
	b->wait = pd;
	b->deadline_ms = now + OSDP_REPLY_MS;
}

static void pd_missed(struct osdp_pd *pd, uint64_t now)
{
	pd->good = 0;
	if (++pd->misses >= OSDP_RETRIES) {
		/* Start over: the PD may have been replaced or restarted. */
		bool online = pd->info.online;
		pd_reset(pd);
		pd->info.online = online;
		pd->next_due_ms = now + OSDP_RETRY_SLOW_MS;
	} else {
		pd->next_due_ms = now;
	}
}

static void pd_deliver_raw(struct osdp_pd *pd, const uint8_t *d, size_t len)
{
	struct hal_reader *r = pd->r;
	struct hal_read read = {.kind = HAL_READ_WIEGAND};
	size_t nbits;

	/* reader number, format code, bit count (LSB first), the bits packed MSB first */
	if (len < 4) {
		if (r->cb && r->cb->noise)
			r->cb->noise(r->cb->userdata, r->index, "osdp_raw_short", 0);
		return;
	}
	nbits = (size_t)d[2] | (size_t)d[3] << 8;
	if (nbits == 0 || nbits > AEOGATE_WIEGAND_MAX_BITS || len - 4 < (nbits + 7) / 8) {
		r->noise_count++;
		if (r->cb && r->cb->noise)
			r->cb->noise(r->cb->userdata, r->index, "osdp_raw_length", nbits);
		return;
	}
	for (size_t i = 0; i < nbits; i++)
		read.bits[i] = (d[4 + i / 8] >> (7 - i % 8)) & 1;
	read.nbits = nbits;
	if (r->cb && r->cb->read)
		r->cb->read(r->cb->userdata, r->index, &read);
}

static void pd_deliver_keys(struct osdp_pd *pd, const uint8_t *d, size_t len)
{
	struct hal_reader *r = pd->r;
	size_t count;

	if (len < 2)
		return;
	count = d[1];
	if (count > len - 2)
		count = len - 2;
	for (size_t i = 0; i < count; i++) {
		struct hal_read read = {.kind = HAL_READ_KEY, .key = -1};
		uint8_t k = d[2 + i];

		if (k >= '0' && k <= '9')
			read.key = k - '0';
		else if (k == '*' || k == 0x7f)
			read.key = 10;
		else if (k == '#' || k == 0x0d)
			read.key = 11;
		if (read.key >= 0 && r->cb && r->cb->read)
			r->cb->read(r->cb->userdata, r->index, &read);
	}
}

static void pd_store_id(struct osdp_pd *pd, const uint8_t *d, size_t len)
{
	struct osdp_pd_info *in = &pd->info;

	if (len < 12)
		return;
	in->vendor = (uint32_t)d[0] | (uint32_t)d[1] << 8 | (uint32_t)d[2] << 16;
	in->model = d[3];
	in->version = d[4];
	in->serial =
	    (uint32_t)d[5] | (uint32_t)d[6] << 8 | (uint32_t)d[7] << 16 | (uint32_t)d[8] << 24;
	memcpy(in->firmware, d + 9, 3);
	in->have_id = true;
}

static void pd_store_cap(struct osdp_pd *pd, const uint8_t *d, size_t len)
{
	struct osdp_pd_info *in = &pd->info;

	in->n_caps = 0;
	for (size_t i = 0; i + 3 <= len && in->n_caps < OSDP_CAPS_MAX; i += 3) {
		in->caps[in->n_caps].function = d[i];
		in->caps[in->n_caps].compliance = d[i + 1];
		in->caps[in->n_caps].count = d[i + 2];
		in->n_caps++;
	}
}

/*
 * A reply inside the session: its MAC must chain from our command's MAC,
 * and SCS_18 data is decrypted into plain. Returns the data length, or
 * -EBADMSG when the reply is not a good secure reply (the session is over).
 */
static int pd_open_secure(struct osdp_pd *pd, const struct osdp_frame *f, uint8_t *plain)
{
	uint8_t mac[16];
	int n = 0;

	if (!f->scb || !f->mac || (f->scb[1] != OSDP_SCS_16 && f->scb[1] != OSDP_SCS_18))
		return -EBADMSG;
	if (osdp_sc_mac(&pd->sc, pd->sc.c_mac, f->raw, (size_t)(f->mac - f->raw), mac) < 0 ||
	    CRYPTO_memcmp(mac, f->mac, 4) != 0)
		return -EBADMSG;
	if (f->scb[1] == OSDP_SCS_18) {
		n = osdp_sc_decrypt(&pd->sc, pd->sc.c_mac, f->data, f->len, plain);
		if (n < 0)
			return -EBADMSG;
	} else if (f->len) {
		memcpy(plain, f->data, f->len);
		n = (int)f->len;
	}
	memcpy(pd->sc.r_mac, mac, 16);
	return n;
}

/* CCRYPT: cUID, RND.B, the client cryptogram; it must match what our key gives. */
static void pd_ccrypt(struct osdp_pd *pd, const uint8_t *d, size_t len, uint64_t now)
{
	uint8_t want[16];

	if (pd->sc_state != SC_CHLNG_SENT || len < 32) {
		sc_fail(pd, now, "malformed CCRYPT");
		return;
	}
	memcpy(pd->sc.cuid, d, 8);
	memcpy(pd->sc.rnd_b, d + 8, 8);
	if (osdp_sc_cryptogram(&pd->sc, pd->sc.rnd_a, pd->sc.rnd_b, want) < 0 ||
	    CRYPTO_memcmp(want, d + 16, 16) != 0) {
		if (pd->sc_pending) {
			/*
			 * The PD never took the key in "<scbk>.new" (no ACK before
			 * the crash): start over at once with the key it has; the
			 * file goes when that key is proven.
			 */
			pd->have_pending = pd->sc_pending = false;
			pd->drop_pending = true;
			explicit_bzero(pd->pending_key, sizeof(pd->pending_key));
			explicit_bzero(&pd->sc, sizeof(pd->sc));
			pd->sc_state = SC_NONE;
			pd->seq_restart = true;
			return;
		}
		sc_fail(pd, now, "the reader's cryptogram does not match: wrong key");
		return;
	}
	pd->ccrypt_ok = true;
}

/*
 * The PD proved it holds the key in "<scbk>.new": it had ACKed KEYSET
 * before a crash. The rename the crash prevented is done now.
 */
static void pd_keyset_recovered(struct osdp_pd *pd)
{
	int r = key_file_write(pd->r->cfg->scbk, pd->pending_key, true);

	memcpy(pd->scbk, pd->pending_key, 16);
	explicit_bzero(pd->pending_key, sizeof(pd->pending_key));
	pd->have_key = true;
	pd->use_default = false;
	pd->have_pending = pd->sc_pending = false;
	pd_event(pd, "reader.keyset",
		 r < 0 ? "{\"state\":\"recovered\",\"why\":\"the reader holds the key left in "
			 "<scbk>.new by an interrupted KEYSET, but the key file could not be "
			 "replaced\"}"
		       : "{\"state\":\"recovered\",\"why\":\"the reader holds the key left in "
			 "<scbk>.new by an interrupted KEYSET; the key file now holds it\"}");
}

/* The PD refused the key in "<scbk>.new" and accepted its old one: the file goes. */
static void pd_keyset_dropped(struct osdp_pd *pd)
{
	char tmp[sizeof(((struct reader_config *)0)->scbk) + 8];

	pd->drop_pending = false;
	if (snprintf(tmp, sizeof(tmp), "%s.new", pd->r->cfg->scbk) < (int)sizeof(tmp))
		(void)unlink(tmp);
	pd_event(pd, "reader.keyset",
		 "{\"state\":\"discarded\",\"why\":\"the reader kept its old key: the key in "
		 "<scbk>.new from an interrupted KEYSET was removed\"}");
}

/* RMAC_I: the initial R-MAC, AES(S-MAC2, AES(S-MAC1, server cryptogram)). */
static void pd_rmac_i(struct osdp_pd *pd, const uint8_t *d, size_t len, uint64_t now)
{
	uint8_t want[16];

	if (pd->sc_state != SC_SCRYPT_SENT || len < 16 ||
	    osdp_sc_rmac_i(&pd->sc, pd->scrypt, want) < 0 || CRYPTO_memcmp(want, d, 16) != 0) {
		sc_fail(pd, now, "the reader refused our cryptogram or its R-MAC does not match");
		return;
	}
	memcpy(pd->sc.r_mac, want, 16);
	pd->sc_state = SC_UP;
	pd->info.secure = true;
	pd->sc_id_done = pd->sc_cap_done = false;
	/* What changed while there was no session was not trusted: ask again inside it. */
	pd->istat_done = pd->ostat_done = pd->rstat_done = false;
	if (pd->sc_pending)
		pd_keyset_recovered(pd);
	else if (pd->drop_pending)
		pd_keyset_dropped(pd);
	sc_event(pd, "established", "");
}

/*
 * The reader answered KEYSET. On ACK it holds the new key: the key file is
 * replaced, and the next session uses the new key (install no longer
 * matters). On NAK the reader keeps SCBK-D and the temporary file goes.
 */
static void pd_keyset_done(struct osdp_pd *pd, bool ok)
{
	const char *path = pd->r->cfg->scbk;
	char tmp[sizeof(((struct reader_config *)0)->scbk) + 8];
	int r;

	if (!ok) {
		snprintf(tmp, sizeof(tmp), "%s.new", path);
		unlink(tmp);
		explicit_bzero(pd->new_key, sizeof(pd->new_key));
		pd_event(pd, "reader.keyset",
			 "{\"state\":\"failed\",\"why\":\"the reader refused KEYSET\"}");
		return;
	}
	r = key_file_write(path, pd->new_key, true);
	memcpy(pd->scbk, pd->new_key, 16);
	explicit_bzero(pd->new_key, sizeof(pd->new_key));
	pd->have_key = true;
	pd->use_default = false;
	pd_event(pd, "reader.keyset",
		 r < 0 ? "{\"state\":\"done\",\"why\":\"the reader has its new key but the key "
			 "file could not be replaced\"}"
		       : "{\"state\":\"done\"}");
	/* The session was keyed from SCBK-D: start one with the reader's own key. */
	pd->sc_state = SC_NONE;
	pd->info.secure = false;
	pd->seq_restart = true;
}

/*
 * LSTATR: the reader's enclosure tamper switch and its power. A change (or
 * a fault already there at the first report) is reader.tamper, and the
 * tamper switch raises alarm.tamper / alarm.tamper_restored like a door's.
 */
static void pd_local_status(struct osdp_pd *pd, bool tamper, bool power_fail)
{
	bool first = !pd->lstat_done && !pd->lstat_seen;
	char detail[96];

	if (!first && tamper == pd->info.tamper && power_fail == pd->info.power)
		return;
	if (first && !tamper && !power_fail) {
		pd->lstat_seen = true;
		return;
	}
	bool tamper_changed = first ? tamper : tamper != pd->info.tamper;
	pd->info.tamper = tamper;
	pd->info.power = power_fail;
	pd->lstat_seen = true;
	snprintf(detail, sizeof(detail), "{\"tamper\":%s,\"power_failure\":%s}",
		 tamper ? "true" : "false", power_fail ? "true" : "false");
	pd_event(pd, "reader.tamper", detail);
	if (tamper_changed)
		pd_event(pd, tamper ? "alarm.tamper" : "alarm.tamper_restored", detail);
}

/*
 * ISTATR, OSTATR, RSTATR: one byte per input, output or attached reader.
 * The first report is the baseline (reader list shows it); after it every
 * change is an event kind with detail {"<what>": N, "active": bool} (for
 * RSTATR "status": normal, disconnected, tamper).
 */
static void pd_io_status(struct osdp_pd *pd, const char *kind, const char *what, const uint8_t *d,
			 size_t len, uint8_t *state, uint8_t *n_state, bool *have)
{
	static const char *const rstat[] = {"normal", "disconnected", "tamper"};
	bool is_reader = !strcmp(what, "reader");
	char detail[96];

	if (len > OSDP_IO_MAX)
		len = OSDP_IO_MAX;
	for (size_t i = 0; i < len; i++) {
		bool changed = *have && (i >= *n_state || state[i] != d[i]);

		state[i] = d[i];
		if (!changed)
			continue;
		if (is_reader)
			snprintf(detail, sizeof(detail), "{\"reader\":%zu,\"status\":\"%s\"}", i,
				 d[i] < 3 ? rstat[d[i]] : "unknown");
		else
			snprintf(detail, sizeof(detail), "{\"%s\":%zu,\"active\":%s}", what, i,
				 d[i] ? "true" : "false");
		pd_event(pd, kind, detail);
	}
	*n_state = (uint8_t)len;
	*have = true;
}

/* FMT: formatted card data becomes a card read (credential fmt:TEXT). */
static void pd_deliver_fmt(struct osdp_pd *pd, const uint8_t *d, size_t len)
{
	struct hal_reader *r = pd->r;
	struct hal_read read = {.kind = HAL_READ_FMT};

	if (osdp_fmt_decode(d, len, read.text, sizeof(read.text)) < 0) {
		r->noise_count++;
		if (r->cb && r->cb->noise)
			r->cb->noise(r->cb->userdata, r->index, "osdp_fmt_malformed", 0);
		return;
	}
	if (r->cb && r->cb->read)
		r->cb->read(r->cb->userdata, r->index, &read);
}

/*
 * COM: the PD took the address and speed COMSET gave it (OSDP 2.2: it
 * answers from its old address, then listens on the new one). The CP
 * follows at once; the config still names the old ones, so the event says
 * what to write there.
 */
static void pd_com(struct osdp_pd *pd, const uint8_t *d, size_t len)
{
	struct osdp_bus *b = pd->bus;
	char detail[224];
	unsigned addr, baud;

	if (len < 5) {
		pd_event(pd, "reader.comset", "{\"state\":\"failed\",\"why\":\"short COM reply\"}");
		return;
	}
	addr = d[0];
	baud = (unsigned)d[1] | (unsigned)d[2] << 8 | (unsigned)d[3] << 16 | (unsigned)d[4] << 24;
	if (addr > OSDP_ADDR_MAX || !osdp_baud_valid(baud)) {
		pd_event(pd, "reader.comset",
			 "{\"state\":\"failed\",\"why\":\"the COM reply names an address or speed "
			 "out of range\"}");
		return;
	}
	pd->addr = (uint8_t)addr;
	pd->info.address = pd->addr;
	if (baud != b->baud) {
		struct termios t;

		b->baud = baud;
		if (b->fd >= 0 && tcgetattr(b->fd, &t) == 0) {
			cfsetispeed(&t, baud_speed(baud));
			cfsetospeed(&t, baud_speed(baud));
			(void)tcsetattr(b->fd, TCSADRAIN, &t);
		}
	}
	pd->info.baud = b->baud;
	snprintf(detail, sizeof(detail),
		 "{\"state\":\"done\",\"address\":%u,\"baud\":%u,\"why\":\"update the "
		 "[reader] section: address = %u, baud = %u\"}",
		 addr, baud, addr, baud);
	pd_event(pd, "reader.comset", detail);
}

/* A reply from the PD we are waiting for, with its sequence number. */
static void pd_reply(struct osdp_pd *pd, const struct osdp_frame *in, uint64_t now)
{
	uint8_t plain[AEOGATE_OSDP_FRAME_MAX];
	struct osdp_frame fr = *in;
	const struct osdp_frame *f = &fr;

	if (pd->cmd_secure) {
		int n = pd_open_secure(pd, in, plain);
		if (n < 0) {
			/* Any MAC failure ends the session; nothing in this reply counts. */
			pd->info.naks += in->code == OSDP_REPLY_NAK;
			sc_fail(pd, now, "a reply failed its MAC check");
			pd->next_due_ms = now + OSDP_POLL_MS;
			return;
		}
		fr.data = plain;
		fr.len = (size_t)n;
	} else if (in->scb && in->scb[1] >= OSDP_SCS_15) {
		return; /* a secure reply to a clear command: not ours */
	}
	if (f->code == OSDP_REPLY_BUSY) {
		/* The same command again, same sequence number, after a pause. */
		pd->next_due_ms = now + OSDP_POLL_MS;
		return;
	}
	pd->pending = false;
	pd->misses = 0;
	pd->last_reply_ms = now;
	pd->next_due_ms = now + OSDP_POLL_MS;
	if (pd->cmd_code == OSDP_CMD_KEYSET)
		pd_keyset_done(pd, f->code == OSDP_REPLY_ACK);
	switch (f->code) {
	case OSDP_REPLY_NAK:
		pd->info.naks++;
		pd->good = 0;
		if (pd->cmd_code == OSDP_CMD_CHLNG || pd->cmd_code == OSDP_CMD_SCRYPT) {
			sc_fail(pd, now, "the reader refused the secure channel (NAK)");
			return;
		}
		/* The PD lost track of our sequence or wants a secure channel: start over. */
		if (f->len >= 1 &&
		    (f->data[0] == OSDP_NAK_SEQUENCE || f->data[0] == OSDP_NAK_SC_REQUIRED)) {
			pd_reset(pd);
			return;
		}
		/* A command the PD does not know: do not ask it again. */
		if (pd->cmd_code == OSDP_CMD_ID)
			pd->id_done = pd->sc_id_done = true;
		else if (pd->cmd_code == OSDP_CMD_CAP)
			pd->cap_done = pd->sc_cap_done = true;
		else if (pd->cmd_code == OSDP_CMD_LSTAT)
			pd->lstat_done = true;
		else if (pd->cmd_code == OSDP_CMD_ISTAT)
			pd->istat_done = true;
		else if (pd->cmd_code == OSDP_CMD_OSTAT)
			pd->ostat_done = true;
		else if (pd->cmd_code == OSDP_CMD_RSTAT)
			pd->rstat_done = true;
		else if (pd->cmd_code == OSDP_CMD_COMSET)
			pd_event(
			    pd, "reader.comset",
			    "{\"state\":\"failed\",\"why\":\"the reader refused COMSET (NAK)\"}");
		pd->seq = osdp_seq_next(pd->seq);
		return;
	case OSDP_REPLY_PDID:
		pd_store_id(pd, f->data, f->len);
		pd->id_done = true;
		pd->sc_id_done |= pd->cmd_secure;
		break;
	case OSDP_REPLY_PDCAP:
		pd_store_cap(pd, f->data, f->len);
		pd->cap_done = true;
		pd->sc_cap_done |= pd->cmd_secure;
		break;
	case OSDP_REPLY_CCRYPT:
		pd_ccrypt(pd, f->data, f->len, now);
		if (pd->sc_state == SC_FAILED)
			return;
		break;
	case OSDP_REPLY_RMAC_I:
		pd_rmac_i(pd, f->data, f->len, now);
		if (pd->sc_state == SC_FAILED)
			return;
		break;
	case OSDP_REPLY_LSTATR:
		if (f->len >= 2)
			pd_local_status(pd, f->data[0] != 0, f->data[1] != 0);
		pd->lstat_done = true;
		break;
	case OSDP_REPLY_RAW:
		/* Without the session it must have, a read is never decided. */
		if (pd_trusted(pd))
			pd_deliver_raw(pd, f->data, f->len);
		break;
	case OSDP_REPLY_FMT:
		if (pd_trusted(pd))
			pd_deliver_fmt(pd, f->data, f->len);
		break;
	/* Like card reads, the reader's own states count only from a reader trusted now. */
	case OSDP_REPLY_ISTATR:
		if (pd_trusted(pd))
			pd_io_status(pd, "reader.input", "input", f->data, f->len, pd->info.inputs,
				     &pd->info.n_inputs, &pd->info.have_istat);
		pd->istat_done = true;
		break;
	case OSDP_REPLY_OSTATR:
		if (pd_trusted(pd))
			pd_io_status(pd, "reader.output", "output", f->data, f->len,
				     pd->info.outputs, &pd->info.n_outputs, &pd->info.have_ostat);
		pd->ostat_done = true;
		break;
	case OSDP_REPLY_RSTATR:
		if (pd_trusted(pd))
			pd_io_status(pd, "reader.remote_status", "reader", f->data, f->len,
				     pd->info.readers, &pd->info.n_readers, &pd->info.have_rstat);
		pd->rstat_done = true;
		break;
	case OSDP_REPLY_COM:
		if (pd->cmd_code == OSDP_CMD_COMSET)
			pd_com(pd, f->data, f->len);
		break;
	case OSDP_REPLY_ACK:
		/* The outputs moved: read them back (an OSTATR reply does it at once). */
		if (pd->cmd_code == OSDP_CMD_OUT)
			pd->ostat_done = false;
		break;
	case OSDP_REPLY_KEYPAD:
		if (pd_trusted(pd))
			pd_deliver_keys(pd, f->data, f->len);
		break;
	default:
		break;
	}
	pd->seq = osdp_seq_next(pd->seq);
	if (pd->seq_restart) {
		pd->seq_restart = false;
		pd->seq = 0;
	}
	if (pd->good < OSDP_ONLINE_GOOD)
		pd->good++;
	if (!pd->info.online && pd->good >= OSDP_ONLINE_GOOD && pd->id_done && pd->cap_done &&
	    pd_trusted(pd) &&
	    (pd->r->cfg->secure != OSDP_SECURE_REQUIRED || (pd->sc_id_done && pd->sc_cap_done)))
		pd_status(pd, true, "replies to polls");
}

static void bus_frame(struct osdp_bus *b, const struct osdp_frame *f, uint64_t now)
{
	struct osdp_pd *pd = b->wait;

	/* Our own command echoed by a half-duplex adapter, or another PD's late reply. */
	if (!f->reply || !pd || f->addr != pd->addr)
		return;
	/*
	 * We send CRC frames only; a reply with the weak 8-bit checksum is
	 * not accepted (it counts as a check error, and the command goes
	 * again when its reply does not come).
	 */
	if (!f->crc) {
		pd->info.crc_errors++;
		return;
	}
	if (f->seq != pd->seq) {
		/* A stale reply to an earlier command: wait for the right one. */
		return;
	}
	b->wait = NULL;
	pd_reply(pd, f, now);
}

static void bus_rx(struct osdp_bus *b, uint64_t now)
{
	size_t off = 0;

	while (off < b->rx_len) {
		struct osdp_frame f;
		size_t used;
		enum osdp_parse_result res =
		    osdp_frame_parse(b->rx + off, b->rx_len - off, &f, &used);

		if (res == OSDP_PARSE_MORE && used == 0)
			break;
		if (res == OSDP_PARSE_BAD_CHECK && b->wait)
			b->wait->info.crc_errors++;
		off += used;
		if (res == OSDP_PARSE_FRAME)
			bus_frame(b, &f, now);
	}
	memmove(b->rx, b->rx + off, b->rx_len - off);
	b->rx_len -= off;
}

static void bus_schedule(struct osdp_bus *b);

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct osdp_bus *b = userdata;
	uint64_t now = now_ms();

	for (;;) {
		ssize_t got;

		if (b->rx_len == sizeof(b->rx)) {
			/* A full buffer without one frame in it is noise: drop it. */
			b->rx_len = 0;
		}
		got = read(fd, b->rx + b->rx_len, sizeof(b->rx) - b->rx_len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0 && errno == EAGAIN)
			break;
		if (got < 0) {
			/* EIO: the adapter was unplugged (or the pty's master closed). */
			bus_close_fd(b);
			break;
		}
		if (got == 0)
			break; /* nothing now; a hang-up shows as EPOLLHUP below */
		b->rx_len += (size_t)got;
		bus_rx(b, now);
	}
	if (b->fd >= 0 && (revents & (EPOLLHUP | EPOLLERR)) && !(revents & EPOLLIN))
		bus_close_fd(b);
	bus_schedule(b);
	return 0;
}

/* Does what is due now and arms the timer for the next thing. */
static void bus_step(struct osdp_bus *b, uint64_t now)
{
	if (b->fd < 0 && now >= b->reopen_ms) {
		b->open_err = bus_open_fd(b);
		if (b->open_err < 0)
			b->reopen_ms = now + OSDP_REOPEN_MS;
	}
	if (b->wait && now >= b->deadline_ms) {
		struct osdp_pd *pd = b->wait;
		b->wait = NULL;
		pd_missed(pd, now);
	}
	for (size_t i = 0; i < b->n; i++) {
		struct osdp_pd *pd = b->pds[i];
		uint64_t since =
		    pd->last_reply_ms > pd->started_ms ? pd->last_reply_ms : pd->started_ms;
		if ((pd->info.online || !pd->reported) && now - since >= OSDP_OFFLINE_MS)
			pd_went_silent(pd, now,
				       b->fd >= 0 ? "no reply"
				       : b->open_err == -EWOULDBLOCK
					   ? "port in use by another process"
					   : "port not available");
	}
	if (b->fd < 0 || b->wait || b->n == 0)
		return;
	/* Round robin: the next PD after the last one spoken to that is due. */
	for (size_t k = 1; k <= b->n; k++) {
		size_t i = (b->turn + k) % b->n;
		if (b->pds[i]->next_due_ms <= now) {
			b->turn = i;
			bus_send(b, b->pds[i], now);
			return;
		}
	}
}

static uint64_t bus_next_ms(const struct osdp_bus *b, uint64_t now)
{
	uint64_t next = now + OSDP_TICK_MS;

	if (b->fd < 0)
		return b->reopen_ms < next ? b->reopen_ms : next;
	if (b->wait)
		return b->deadline_ms < next ? b->deadline_ms : next;
	for (size_t i = 0; i < b->n; i++)
		if (b->pds[i]->next_due_ms < next)
			next = b->pds[i]->next_due_ms;
	return next > now ? next : now;
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	bus_schedule(userdata);
	return 0;
}

static void bus_schedule(struct osdp_bus *b)
{
	uint64_t now = now_ms();

	bus_step(b, now);
	if (b->timer) {
		(void)sd_event_source_set_time(b->timer, bus_next_ms(b, now) * 1000);
		(void)sd_event_source_set_enabled(b->timer, SD_EVENT_ONESHOT);
	}
}

static void bus_free(struct osdp_bus *b)
{
	struct osdp_bus **p;

	for (p = &buses; *p; p = &(*p)->next)
		if (*p == b) {
			*p = b->next;
			break;
		}
	bus_close_fd(b);
	sd_event_source_disable_unref(b->timer);
	sd_event_unref(b->e);
	free(b);
}

static int bus_get(const struct reader_config *cfg, sd_event *e, struct osdp_bus **ret)
{
	struct osdp_bus *b;
	int r;

	for (b = buses; b; b = b->next)
		if (!strcmp(b->port, cfg->port) && b->e == e) {
			if (b->n >= AEOGATE_OSDP_BUS_PDS)
				return -E2BIG;
			*ret = b;
			return 0;
		}
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	snprintf(b->port, sizeof(b->port), "%s", cfg->port);
	b->baud = cfg->baud;
	b->fd = -1;
	b->e = sd_event_ref(e);
	/* 1 ms accuracy: sd-event's default (250 ms) would stretch every poll. */
	r = sd_event_add_time(e, &b->timer, CLOCK_MONOTONIC, 0, 1000, on_timer, b);
	if (r < 0) {
		sd_event_unref(b->e);
		free(b);
		return r;
	}
	(void)sd_event_source_set_description(b->timer, "osdp-bus-timer");
	b->next = buses;
	buses = b;
	*ret = b;
	return 0;
}

static int osdp_reader_open(struct hal_reader *r, struct sd_event *e)
{
	const struct reader_config *cfg = r->cfg;
	struct osdp_bus *b;
	struct osdp_pd *pd;
	int ret;

	if (!cfg->port[0] || cfg->address > OSDP_ADDR_MAX)
		return -EINVAL;
	ret = bus_get(cfg, e, &b);
	if (ret < 0)
		return ret;
	pd = calloc(1, sizeof(*pd));
	if (!pd) {
		if (b->n == 0)
			bus_free(b);
		return -ENOMEM;
	}
	pd->r = r;
	pd->bus = b;
	pd->addr = (uint8_t)cfg->address;
	pd->info.address = pd->addr;
	pd->info.baud = b->baud;
	pd->led_dirty = true;
	pd->started_ms = now_ms();
	if (cfg->secure != OSDP_SECURE_OFF)
		pd_load_key(pd);
	b->pds[b->n++] = pd;
	r->priv = pd;
	r->online = false;
	bus_schedule(b);
	return 0;
}

static void osdp_reader_close(struct hal_reader *r)
{
	struct osdp_pd *pd = r->priv;
	struct osdp_bus *b;

	if (!pd)
		return;
	b = pd->bus;
	r->priv = NULL;
	if (b->wait == pd)
		b->wait = NULL;
	for (size_t i = 0; i < b->n; i++)
		if (b->pds[i] == pd) {
			memmove(&b->pds[i], &b->pds[i + 1], (b->n - i - 1) * sizeof(b->pds[0]));
			b->n--;
			break;
		}
	free(pd);
	if (b->n == 0)
		bus_free(b);
}

static void pd_queue(struct osdp_pd *pd, uint8_t code, const uint8_t *data, size_t len)
{
	if (len > sizeof(pd->queue[0].data))
		return;
	if (pd->queued == OSDP_QUEUE_MAX) {
		pd->queued--;
		memmove(&pd->queue[0], &pd->queue[1], pd->queued * sizeof(pd->queue[0]));
	}
	pd->queue[pd->queued].code = code;
	pd->queue[pd->queued].len = (uint8_t)len;
	memcpy(pd->queue[pd->queued].data, data, len);
	pd->queued++;
}

/*
 * LED (OSDP 2.2, 6.10): one record for LED 0, a temporary state (green on
 * a grant, red on a denial) for ms, then back to the permanent state; BUZ
 * (6.11): the default tone, one short beep on a grant, two on a denial.
 */
static int osdp_reader_feedback(struct hal_reader *r, bool granted, unsigned ms)
{
	struct osdp_pd *pd = r->priv;
	unsigned tenths = ms / 100 ? ms / 100 : 1;
	uint8_t led[14] = {0};
	uint8_t buz[5] = {0};

	if (!pd)
		return -ENODEV;
	if (tenths > 0xffff)
		tenths = 0xffff;
	led[0] = 0;			   /* reader number */
	led[1] = 0;			   /* LED number */
	led[2] = 0x02;			   /* temporary: set and start the timer */
	led[3] = 0xff;			   /* on time: the whole period */
	led[4] = 0;			   /* off time */
	led[5] = granted ? 2 : 1;	   /* on colour: green, red */
	led[6] = 0;			   /* off colour */
	led[7] = (uint8_t)(tenths & 0xff); /* timer, 100 ms units */
	led[8] = (uint8_t)(tenths >> 8);
	led[9] = 0x00;		  /* permanent: unchanged */
	buz[0] = 0;		  /* reader number */
	buz[1] = 0x02;		  /* the default tone */
	buz[2] = granted ? 1 : 2; /* on, 100 ms units */
	buz[3] = 1;		  /* off */
	buz[4] = granted ? 1 : 2; /* count */
	pd_queue(pd, OSDP_CMD_LED, led, sizeof(led));
	pd_queue(pd, OSDP_CMD_BUZ, buz, sizeof(buz));
	return 0;
}

/* TEXT (6.12): a permanent line at row 1, column 1, at most OSDP_TEXT_MAX printable characters. */
static int osdp_reader_text(struct hal_reader *r, const char *text)
{
	struct osdp_pd *pd = r->priv;
	uint8_t d[6 + OSDP_TEXT_MAX];
	size_t n = strlen(text);

	if (!pd)
		return -ENODEV;
	if (n > OSDP_TEXT_MAX)
		return -E2BIG;
	for (size_t i = 0; i < n; i++)
		if (text[i] < 0x20 || text[i] > 0x7e)
			return -EINVAL;
	d[0] = 0;    /* reader number */
	d[1] = 0x01; /* permanent text, no wrap */
	d[2] = 0;    /* temporary time: none */
	d[3] = 1;    /* row */
	d[4] = 1;    /* column */
	d[5] = (uint8_t)n;
	memcpy(d + 6, text, n);
	pd_queue(pd, OSDP_CMD_TEXT, d, 6 + n);
	return 0;
}

/* The door's lock moved: LED 0's permanent colour follows (sent in the PD's next turn). */
static void osdp_reader_door_state(struct hal_reader *r, bool released)
{
	struct osdp_pd *pd = r->priv;

	if (!pd)
		return;
	pd->door_released = released;
	pd->led_dirty = true;
}

/* The number of outputs the PD declared in PDCAP (function 2), or -1 before PDCAP. */
static int pd_outputs(const struct osdp_pd *pd)
{
	if (!pd->cap_done)
		return -1;
	for (size_t i = 0; i < pd->info.n_caps; i++)
		if (pd->info.caps[i].function == OSDP_CAP_OUTPUTS)
			return pd->info.caps[i].count;
	return 0;
}

/*
 * OUT (OSDP 2.2, osdp_OUT): one record, output n: permanently on or off,
 * or on (off) for ms and then back to the permanent state. -ERANGE when
 * the PD has no output n (PDCAP), -EAGAIN before PDCAP is known, -ERANGE
 * for a timer beyond 65535 tenths of a second.
 */
static int osdp_reader_output(struct hal_reader *r, unsigned n, bool on, unsigned ms)
{
	struct osdp_pd *pd = r->priv;
	unsigned tenths = (ms + 99) / 100;
	uint8_t rec[4];
	int outs;

	if (!pd)
		return -ENODEV;
	outs = pd_outputs(pd);
	if (outs < 0)
		return -EAGAIN;
	if (n >= (unsigned)outs)
		return -ERANGE;
	if (tenths > 0xffff)
		return -E2BIG;
	rec[0] = (uint8_t)n;
	rec[1] =
	    ms ? (on ? OSDP_OUT_TEMP_ON : OSDP_OUT_TEMP_OFF) : (on ? OSDP_OUT_ON : OSDP_OUT_OFF);
	rec[2] = (uint8_t)(tenths & 0xff);
	rec[3] = (uint8_t)(tenths >> 8);
	pd_queue(pd, OSDP_CMD_OUT, rec, sizeof(rec));
	return 0;
}

/*
 * COMSET (OSDP 2.2, osdp_COMSET): address, then the speed, 4 bytes LSB
 * first. The speed is the bus's: with other PDs on the port it cannot
 * change for one (-EBUSY); an address another reader on the port has is
 * -EADDRINUSE.
 */
static int osdp_reader_comset(struct hal_reader *r, unsigned address, unsigned baud)
{
	struct osdp_pd *pd = r->priv;
	struct osdp_bus *b;
	uint8_t d[5];

	if (!pd)
		return -ENODEV;
	b = pd->bus;
	if (address > OSDP_ADDR_MAX || !osdp_baud_valid(baud))
		return -EINVAL;
	for (size_t i = 0; i < b->n; i++)
		if (b->pds[i] != pd && b->pds[i]->addr == address)
			return -EADDRINUSE;
	if (baud != b->baud && b->n > 1)
		return -EBUSY;
	d[0] = (uint8_t)address;
	d[1] = (uint8_t)(baud & 0xff);
	d[2] = (uint8_t)(baud >> 8);
	d[3] = (uint8_t)(baud >> 16);
	d[4] = (uint8_t)(baud >> 24);
	pd_queue(pd, OSDP_CMD_COMSET, d, sizeof(d));
	return 0;
}

int hal_osdp_reader_info(const struct hal_reader *r, struct osdp_pd_info *ret)
{
	const struct osdp_pd *pd;

	if (!r || r->ops != &hal_reader_osdp_ops || !r->priv)
		return -EOPNOTSUPP;
	pd = r->priv;
	*ret = pd->info;
	return 0;
}

const struct hal_reader_ops hal_reader_osdp_ops = {
    .name = "osdp",
    .open = osdp_reader_open,
    .close = osdp_reader_close,
    .feedback = osdp_reader_feedback,
    .text = osdp_reader_text,
    .door_state = osdp_reader_door_state,
    .output = osdp_reader_output,
    .comset = osdp_reader_comset,
};
