/* SPDX-License-Identifier: MIT */
/*
 * A PN532 on a pseudo-terminal, for tests: the real libnfc pn532_uart driver
 * opens the slave side and talks to us as it would to a board on a UART.
 *
 *   pn532-emu [--pts-file FILE] [--control SOCKET] [-v]
 *	prints the slave path (/dev/pts/N) as its first stdout line and
 *	answers PN532 frames until SIGTERM/SIGINT.
 *   pn532-emu --send SOCKET LINE...
 *	sends one control line and prints the reply; exit 0 on "ok".
 *
 * Control lines (one per connection or several, each answered "ok ..." or
 * "err ..."):
 *   present HEX_UID [ATQA SAK]  a card enters the field (4, 7 or 10 bytes)
 *   remove                      the card leaves the field
 *   garbage N                   the next reply is N random bytes after the ACK
 *   truncate                    the next reply frame is cut short
 *   silent on|off               stop answering anything (a dead board)
 *   stats                       counters, for tests that want to wait on them
 *
 * Frames (PN532 user manual, 6.2): 00 00 FF LEN LCS TFI PD0..PDn DCS 00, the
 * extended form 00 00 FF FF FF LENM LENL LCS ..., ACK 00 00 FF 00 FF 00 and
 * NACK 00 00 FF FF 00 00. A host on HSU wakes the chip with 0x55 bytes and
 * zeros; we are always awake, so those are skipped while hunting for 00 FF.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <termios.h>
#include <unistd.h>

#include "fake_pty.h"

#define UID_MAX		10
#define RX_MAX		1024 /* a host frame is at most 264 bytes; keep a few */

/* PN532 command codes we answer (user manual, 7). */
enum {
	CMD_DIAGNOSE = 0x00,
	CMD_GET_FIRMWARE_VERSION = 0x02,
	CMD_GET_GENERAL_STATUS = 0x04,
	CMD_READ_REGISTER = 0x06,
	CMD_WRITE_REGISTER = 0x08,
	CMD_READ_GPIO = 0x0c,
	CMD_WRITE_GPIO = 0x0e,
	CMD_SET_SERIAL_BAUD_RATE = 0x10,
	CMD_SET_PARAMETERS = 0x12,
	CMD_SAM_CONFIGURATION = 0x14,
	CMD_POWER_DOWN = 0x16,
	CMD_RF_CONFIGURATION = 0x32,
	CMD_IN_DATA_EXCHANGE = 0x40,
	CMD_IN_COMMUNICATE_THRU = 0x42,
	CMD_IN_DESELECT = 0x44,
	CMD_IN_JUMP_FOR_PSL = 0x46,
	CMD_IN_LIST_PASSIVE_TARGET = 0x4a,
	CMD_IN_PSL = 0x4e,
	CMD_IN_ATR = 0x50,
	CMD_IN_RELEASE = 0x52,
	CMD_IN_SELECT = 0x54,
	CMD_IN_JUMP_FOR_DEP = 0x56,
	CMD_IN_AUTO_POLL = 0x60,
};

/* Status byte of In* commands: 0x01 is "target timed out", i.e. no card. */
#define ST_OK	   0x00
#define ST_TIMEOUT 0x01

struct card {
	bool present;
	uint8_t uid[UID_MAX];
	size_t uid_len;
	uint8_t atqa[2];
	uint8_t sak;
	/* Bumped on every "present": a card that left the field loses its selection. */
	unsigned gen;
};

struct emu {
	struct fake_pty pty; /* the pty, control socket and loop (tests/fakes/common) */
	uint8_t rx[RX_MAX];
	size_t rx_len;
	struct card card;
	bool selected;
	unsigned selected_gen;
	bool silent;
	size_t garbage_next; /* bytes of junk instead of the next reply */
	bool truncate_next;
	uint8_t last_reply[300];
	size_t last_reply_len;
	uint8_t regs[0x10000];
	unsigned long n_frames, n_list, n_found, n_bad, n_nack;
	int verbose;
};

static void hexdump(struct emu *e, const char *what, const uint8_t *p, size_t n)
{
	fake_pty_hexdump(&e->pty, what, p, n);
}

/* Nobody listening: the host will time out. */
static void write_all(struct emu *e, const uint8_t *p, size_t n)
{
	fake_pty_write(&e->pty, p, n);
}

static void send_ack(struct emu *e)
{
	static const uint8_t ack[] = {0x00, 0x00, 0xff, 0x00, 0xff, 0x00};
	write_all(e, ack, sizeof(ack));
}

/* The "application level error" frame a PN532 sends for a command it refuses. */
static void send_error_frame(struct emu *e)
{
	static const uint8_t err[] = {0x00, 0x00, 0xff, 0x01, 0xff, 0x7f, 0x81, 0x00};
	write_all(e, err, sizeof(err));
}

static void send_reply(struct emu *e, uint8_t cmd, const uint8_t *data, size_t n)
{
	uint8_t f[300];
	size_t len = n + 2, i = 0;
	uint8_t dcs = 0;

	if (n > 250)
		return;
	f[i++] = 0x00;
	f[i++] = 0x00;
	f[i++] = 0xff;
	f[i++] = (uint8_t)len;
	f[i++] = (uint8_t)(0x100 - len);
	f[i++] = 0xd5;
	f[i++] = (uint8_t)(cmd + 1);
	dcs = (uint8_t)(0xd5 + cmd + 1);
	for (size_t k = 0; k < n; k++) {
		f[i++] = data[k];
		dcs = (uint8_t)(dcs + data[k]);
	}
	f[i++] = (uint8_t)(0x100 - dcs);
	f[i++] = 0x00;
	memcpy(e->last_reply, f, i);
	e->last_reply_len = i;

	if (e->garbage_next) {
		uint8_t junk[256];
		size_t left = e->garbage_next;
		e->garbage_next = 0;
		while (left > 0) {
			size_t k = left < sizeof(junk) ? left : sizeof(junk);
			if (getrandom(junk, k, 0) != (ssize_t)k)
				memset(junk, 0xa5, k);
			write_all(e, junk, k);
			left -= k;
		}
		if (e->verbose)
			fprintf(stderr, "pn532-emu: sent garbage instead of reply\n");
		return;
	}
	if (e->truncate_next) {
		e->truncate_next = false;
		/* Keep the header and part of the body: the host has started a frame. */
		write_all(e, f, i > 8 ? i / 2 + 2 : i - 1);
		if (e->verbose)
			fprintf(stderr, "pn532-emu: sent truncated reply\n");
		return;
	}
	if (e->verbose)
		hexdump(e, "tx", f, i);
	write_all(e, f, i);
}

static bool card_visible(const struct emu *e)
{
	return e->card.present;
}

/* A selected card answers only while it is the same presentation. */
static bool card_selected(const struct emu *e)
{
	return e->card.present && e->selected && e->selected_gen == e->card.gen;
}

/* Target data as InListPassiveTarget returns it for 106 kbps type A. */
static size_t target_data_a(const struct emu *e, uint8_t tg, uint8_t *out)
{
	size_t i = 0;

	out[i++] = tg;
	out[i++] = e->card.atqa[0];
	out[i++] = e->card.atqa[1];
	out[i++] = e->card.sak;
	/* NFCID1 without cascade tags, as the chip reports it. */
	out[i++] = (uint8_t)e->card.uid_len;
	memcpy(out + i, e->card.uid, e->card.uid_len);
	i += e->card.uid_len;
	if (e->card.sak & 0x20) {
		/* ISO 14443-4 card: the chip's automatic RATS adds the ATS. */
		static const uint8_t ats[] = {0x06, 0x75, 0x77, 0x81, 0x02, 0x80};
		memcpy(out + i, ats, sizeof(ats));
		i += sizeof(ats);
	}
	return i;
}

/* InitiatorData for 106A is a UID with cascade tags (0x88): does it name our card? */
static bool initiator_data_matches(const struct emu *e, const uint8_t *p, size_t n)
{
	uint8_t uid[UID_MAX];
	size_t len = 0;

	if (n == 0)
		return true;
	for (size_t i = 0; i < n; i++) {
		bool ct = p[i] == 0x88 && (i == 0 || i == 4) && n > 4 + i;
		if (ct)
			continue;
		if (len == UID_MAX)
			return false;
		uid[len++] = p[i];
	}
	return len == e->card.uid_len && memcmp(uid, e->card.uid, len) == 0;
}

static void handle_command(struct emu *e, const uint8_t *d, size_t n)
{
	uint8_t out[280];
	size_t o = 0;
	uint8_t cmd = d[0];

	e->n_frames++;
	if (e->verbose)
		hexdump(e, "rx", d, n);
	send_ack(e);

	switch (cmd) {
	case CMD_DIAGNOSE:
		if (n >= 2 && d[1] == 0x00) {
			/* Communication line test: echo NumTst and InParam. */
			memcpy(out, d + 1, n - 1);
			o = n - 1;
		} else if (n >= 2 && d[1] == 0x06) {
			/* Card presence: ask the selected target whether it is still there. */
			out[o++] = card_selected(e) ? ST_OK : ST_TIMEOUT;
		} else {
			out[o++] = 0x00;
		}
		break;
	case CMD_GET_FIRMWARE_VERSION:
		out[o++] = 0x32; /* IC: PN532 */
		out[o++] = 0x01; /* version 1 */
		out[o++] = 0x06; /* revision 6 */
		out[o++] = 0x07; /* ISO 14443A, 14443B, ISO 18092 */
		break;
	case CMD_GET_GENERAL_STATUS:
		out[o++] = 0x00; /* last error */
		out[o++] = e->selected ? 0x01 : 0x00;
		out[o++] = 0x00; /* targets: we keep none in the chip */
		out[o++] = 0x00; /* SAM status */
		break;
	case CMD_READ_REGISTER:
		for (size_t i = 1; i + 1 < n && o < sizeof(out); i += 2)
			out[o++] = e->regs[(size_t)d[i] << 8 | d[i + 1]];
		break;
	case CMD_WRITE_REGISTER:
		for (size_t i = 1; i + 2 < n; i += 3)
			e->regs[(size_t)d[i] << 8 | d[i + 1]] = d[i + 2];
		break;
	case CMD_READ_GPIO:
		out[o++] = 0xff;
		out[o++] = 0xff;
		out[o++] = 0x00;
		break;
	case CMD_WRITE_GPIO:
	case CMD_SET_SERIAL_BAUD_RATE:
	case CMD_SET_PARAMETERS:
	case CMD_SAM_CONFIGURATION:
	case CMD_RF_CONFIGURATION:
		break;
	case CMD_POWER_DOWN:
		e->selected = false;
		out[o++] = ST_OK;
		break;
	case CMD_IN_LIST_PASSIVE_TARGET:
		e->n_list++;
		/* MaxTg, BrTy (0x00 = 106 kbps type A), InitiatorData. */
		if (n >= 3 && d[2] == 0x00 && card_visible(e) &&
		    initiator_data_matches(e, d + 3, n - 3)) {
			e->n_found++;
			e->selected = true;
			e->selected_gen = e->card.gen;
			out[o++] = 1;
			o += target_data_a(e, 1, out + o);
		} else {
			e->selected = false;
			out[o++] = 0;
		}
		break;
	case CMD_IN_AUTO_POLL: {
		/* PollNr, Period, Type1..: 0x00/0x10/0x20 are 106 kbps type A targets. */
		bool wants_a = false;
		for (size_t i = 3; i < n; i++)
			if (d[i] == 0x00 || d[i] == 0x10 || d[i] == 0x20)
				wants_a = true;
		e->n_list++;
		if (wants_a && card_visible(e)) {
			uint8_t tgt[64];
			size_t tl = target_data_a(e, 1, tgt);
			e->n_found++;
			e->selected = true;
			e->selected_gen = e->card.gen;
			out[o++] = 1;
			out[o++] = (e->card.sak & 0x20) ? 0x20 : 0x10;
			out[o++] = (uint8_t)tl;
			memcpy(out + o, tgt, tl);
			o += tl;
		} else {
			out[o++] = 0;
		}
		break;
	}
	case CMD_IN_DATA_EXCHANGE:
	case CMD_IN_COMMUNICATE_THRU:
		if (!card_selected(e)) {
			out[o++] = ST_TIMEOUT;
			break;
		}
		out[o++] = ST_OK;
		/* A MIFARE READ (0x30) returns 16 bytes; start with the UID like a tag. */
		if (cmd == CMD_IN_DATA_EXCHANGE && n >= 3 && d[2] == 0x30) {
			memset(out + o, 0, 16);
			memcpy(out + o, e->card.uid, e->card.uid_len);
			o += 16;
		}
		/* An ISO 14443-4 R(NAK) presence ping is answered with R(ACK). */
		if (cmd == CMD_IN_COMMUNICATE_THRU && n >= 2 && (d[1] & 0xf6) == 0xb2)
			out[o++] = (uint8_t)(d[1] ^ 0x10);
		break;
	case CMD_IN_DESELECT:
	case CMD_IN_RELEASE:
		e->selected = false;
		out[o++] = ST_OK;
		break;
	case CMD_IN_SELECT:
		out[o++] = card_selected(e) ? ST_OK : 0x27;
		break;
	case CMD_IN_JUMP_FOR_DEP:
	case CMD_IN_JUMP_FOR_PSL:
	case CMD_IN_ATR:
	case CMD_IN_PSL:
		/* No NFC-DEP peer in our field. */
		out[o++] = ST_TIMEOUT;
		break;
	default:
		/* TgInitAsTarget and everything else: we are an initiator only. */
		if (e->verbose)
			fprintf(stderr, "pn532-emu: refusing command 0x%02x\n", cmd);
		send_error_frame(e);
		return;
	}
	send_reply(e, cmd, out, o);
}

static void rx_consume(struct emu *e, size_t n)
{
	memmove(e->rx, e->rx + n, e->rx_len - n);
	e->rx_len -= n;
}

/* Parses as many complete host frames as the buffer holds. */
static void rx_process(struct emu *e)
{
	for (;;) {
		size_t s = 0;
		/* Hunt for the start code 00 FF; wake-up bytes and junk before it go. */
		while (s + 1 < e->rx_len && !(e->rx[s] == 0x00 && e->rx[s + 1] == 0xff))
			s++;
		if (s + 1 >= e->rx_len) {
			/* Keep a trailing 00: it may be the start of a start code. */
			size_t keep = (e->rx_len > 0 && e->rx[e->rx_len - 1] == 0x00) ? 1 : 0;
			rx_consume(e, e->rx_len - keep);
			return;
		}
		rx_consume(e, s);
		if (e->rx_len < 4)
			return;
		uint8_t len = e->rx[2], lcs = e->rx[3];
		size_t hdr = 4, dlen;

		if (len == 0x00 && lcs == 0xff) {
			/* ACK from the host: it aborts a running command; we have none. */
			rx_consume(e, e->rx_len >= 5 ? 5 : 4);
			continue;
		}
		if (len == 0xff && lcs == 0x00) {
			/* NACK: send the last reply again. */
			e->n_nack++;
			rx_consume(e, e->rx_len >= 5 ? 5 : 4);
			if (e->last_reply_len)
				write_all(e, e->last_reply, e->last_reply_len);
			continue;
		}
		if (len == 0xff && lcs == 0xff) {
			if (e->rx_len < 7)
				return;
			if ((uint8_t)(e->rx[4] + e->rx[5] + e->rx[6]) != 0) {
				e->n_bad++;
				rx_consume(e, 2);
				continue;
			}
			dlen = (size_t)e->rx[4] << 8 | e->rx[5];
			hdr = 7;
		} else {
			if ((uint8_t)(len + lcs) != 0) {
				e->n_bad++;
				rx_consume(e, 2);
				continue;
			}
			dlen = len;
		}
		if (dlen < 2 || hdr + dlen + 1 > RX_MAX) {
			e->n_bad++;
			rx_consume(e, 2);
			continue;
		}
		if (e->rx_len < hdr + dlen + 1)
			return; /* wait for DCS; the postamble is optional for us */
		const uint8_t *body = e->rx + hdr;
		uint8_t sum = 0;
		for (size_t i = 0; i <= dlen; i++)
			sum = (uint8_t)(sum + body[i]);
		if (sum != 0 || body[0] != 0xd4) {
			/* A real PN532 stays quiet; the host times out and retries. */
			e->n_bad++;
			rx_consume(e, hdr + dlen + 1);
			continue;
		}
		uint8_t cmdbuf[RX_MAX];
		memcpy(cmdbuf, body + 1, dlen - 1);
		size_t total = hdr + dlen + 1;
		if (e->rx_len > total && e->rx[total] == 0x00)
			total++;
		rx_consume(e, total);
		if (!e->silent)
			handle_command(e, cmdbuf, dlen - 1);
	}
}

static int parse_hex(const char *s, uint8_t *out, size_t max, size_t *ret_len)
{
	size_t n = strlen(s), k = 0;

	if (n == 0 || n % 2 || n / 2 > max)
		return -EINVAL;
	for (size_t i = 0; i < n; i += 2) {
		char b[3] = {s[i], s[i + 1], 0};
		char *end;
		unsigned long v = strtoul(b, &end, 16);
		if (*end)
			return -EINVAL;
		out[k++] = (uint8_t)v;
	}
	*ret_len = k;
	return 0;
}

/* Handles one control line; writes the answer into reply. */
static void control_line(struct emu *e, char *line, char *reply, size_t rlen)
{
	char *argv[4] = {0};
	int argc = 0;

	for (char *tok = strtok(line, " \t\r"); tok && argc < 4; tok = strtok(NULL, " \t\r"))
		argv[argc++] = tok;
	if (argc == 0) {
		snprintf(reply, rlen, "err empty\n");
		return;
	}
	if (!strcmp(argv[0], "present") && (argc == 2 || argc == 4)) {
		struct card c = {.present = true, .gen = e->card.gen + 1};
		if (parse_hex(argv[1], c.uid, UID_MAX, &c.uid_len) < 0 ||
		    (c.uid_len != 4 && c.uid_len != 7 && c.uid_len != 10)) {
			snprintf(reply, rlen, "err uid must be 4, 7 or 10 hex bytes\n");
			return;
		}
		/* ATQA announces the UID size; 7-byte cards default to an Ultralight. */
		if (c.uid_len == 4) {
			c.atqa[1] = 0x04;
			c.sak = 0x08;
		} else if (c.uid_len == 7) {
			c.atqa[1] = 0x44;
			c.sak = 0x00;
		} else {
			c.atqa[1] = 0x84;
			c.sak = 0x08;
		}
		if (argc == 4) {
			size_t l1, l2;
			uint8_t sak[1];
			if (parse_hex(argv[2], c.atqa, 2, &l1) < 0 || l1 != 2 ||
			    parse_hex(argv[3], sak, 1, &l2) < 0) {
				snprintf(reply, rlen, "err bad ATQA or SAK\n");
				return;
			}
			c.sak = sak[0];
		}
		e->card = c;
		snprintf(reply, rlen, "ok\n");
	} else if (!strcmp(argv[0], "remove") && argc == 1) {
		e->card.present = false;
		snprintf(reply, rlen, "ok\n");
	} else if (!strcmp(argv[0], "garbage") && argc == 2) {
		char *end;
		unsigned long n = strtoul(argv[1], &end, 10);
		if (*end || n == 0 || n > 4096) {
			snprintf(reply, rlen, "err garbage takes 1..4096\n");
			return;
		}
		e->garbage_next = n;
		snprintf(reply, rlen, "ok\n");
	} else if (!strcmp(argv[0], "truncate") && argc == 1) {
		e->truncate_next = true;
		snprintf(reply, rlen, "ok\n");
	} else if (!strcmp(argv[0], "silent") && argc == 2 &&
		   (!strcmp(argv[1], "on") || !strcmp(argv[1], "off"))) {
		e->silent = !strcmp(argv[1], "on");
		snprintf(reply, rlen, "ok\n");
	} else if (!strcmp(argv[0], "stats") && argc == 1) {
		snprintf(reply, rlen,
			 "ok frames=%lu lists=%lu found=%lu bad=%lu nack=%lu present=%d "
			 "pending_garbage=%zu pending_truncate=%d\n",
			 e->n_frames, e->n_list, e->n_found, e->n_bad, e->n_nack, e->card.present,
			 e->garbage_next, e->truncate_next);
	} else {
		snprintf(reply, rlen, "err unknown command\n");
	}
}

static void on_control(void *userdata, char *line, char *out, size_t olen)
{
	control_line(userdata, line, out, olen);
}

/* Bytes from the host: appended to what came before, frames taken out. */
static void on_rx(void *userdata, const uint8_t *data, size_t n)
{
	struct emu *e = userdata;

	while (n > 0) {
		size_t take = n < RX_MAX - e->rx_len ? n : RX_MAX - e->rx_len;
		memcpy(e->rx + e->rx_len, data, take);
		e->rx_len += take;
		data += take;
		n -= take;
		rx_process(e);
		if (e->rx_len == RX_MAX)
			e->rx_len = 0; /* a flood of junk */
	}
}

static void usage(FILE *f)
{
	fprintf(f, "usage: pn532-emu [--pts-file FILE] [--control SOCKET] [-v]\n"
		   "       pn532-emu --send SOCKET LINE...\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"pts-file", required_argument, NULL, 'p'}, {"control", required_argument, NULL, 'c'},
	    {"send", required_argument, NULL, 's'},	{"verbose", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},		{},
	};
	const char *pts_file = NULL, *control = NULL, *send_to = NULL;
	static struct emu e; /* 64 KiB of registers: not on the stack */
	int c;

	while ((c = getopt_long(argc, argv, "+p:c:s:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			pts_file = optarg;
			break;
		case 'c':
			control = optarg;
			break;
		case 's':
			send_to = optarg;
			break;
		case 'v':
			e.verbose++;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (send_to) {
		if (optind >= argc) {
			usage(stderr);
			return 2;
		}
		return fake_pty_send("pn532-emu", send_to, argc - optind, argv + optind);
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}

	e.pty.name = "pn532-emu";
	e.pty.speed = B115200;
	e.pty.userdata = &e;
	e.pty.on_rx = on_rx;
	e.pty.on_control = on_control;
	return fake_pty_main(&e.pty, pts_file, control);
}
