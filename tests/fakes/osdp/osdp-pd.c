/* SPDX-License-Identifier: MIT */
/*
 * OSDP peripheral devices (PDs) on a pseudo-terminal, for tests: the
 * controller opens the slave side as it would an RS-485 adapter, and this
 * emulator answers for one or more PD addresses on that one line, as
 * several readers wired to one bus would. It is written apart from
 * hal/osdp*.c on purpose (its own framing and CRC), so that a mistake in
 * one is not hidden by the same mistake in the other.
 *
 *   osdp-pd [--pts-file FILE] [--control SOCKET] [--address N]... [-v]
 *	prints the slave path as its first stdout line; answers commands
 *	until SIGTERM/SIGINT. Addresses default to 0.
 *   osdp-pd --send SOCKET LINE...
 *	sends one control line and prints the reply; exit 0 on "ok".
 *
 * Control lines (ADDR is a PD address, or "all" where it says so):
 *   card ADDR BITS       the next POLL gets a RAW reply with BITS (a 0/1 string)
 *   keys ADDR DIGITS     the next POLL gets a KEYPAD reply (0-9 * #)
 *   silent ADDR|all on|off  stop (resume) answering
 *   badcrc ADDR N        the next N replies carry a wrong CRC
 *   badseq ADDR N        the next N replies carry a wrong sequence number
 *   busy ADDR N          the next N commands are answered BUSY
 *   garbage N            N random bytes on the line at once
 *   tamper ADDR on|off   the reader's tamper switch (LSTATR, and the next POLL)
 *   badmac ADDR N        the next N secure replies carry a wrong MAC
 *   fmt ADDR TEXT        the next POLL gets a FMT reply (formatted card data) with TEXT
 *   input ADDR N on|off  input N (0-1) changes: ISTATR to the next POLL
 *   rstat ADDR STATUS    the attached reader: normal, disconnected, tamper (RSTATR)
 *   stats ADDR           "ok polls=N cmds=N resends=N seqerr=N leds=N buzz=N secure=0|1
 *                        keysets=N key=HEX outs=N inputs=01 outputs=00 led_perm=COLOUR
 *                        led_now=COLOUR led_temp=COLOUR:MS led_temps=N baud=N wrongbaud=N
 *                        ids_secure=N text=..." (text last; led_temp: the last temporary
 *                        state and its timer, led_temps: how many were set)
 *
 * Outputs (OUT) take permanent and timed states (a timed one ends by
 * itself and is reported by OSTATR at the next POLL); LED records keep a
 * permanent and a temporary state with its timer. COMSET answers COM from
 * the old address, then the PD listens on the new address, and, once the
 * speed changed, only to frames sent at the new speed (the pty's termios
 * speed stands for the line's). Malformed OUT, LED and COMSET records are
 * refused with NAK, as a real PD would.
 *
 * Secure channel (OSDP 2.2 Annex D): --scbk HEX gives the PDs their key;
 * without it they have the default key SCBK-D, as a reader fresh from its
 * box. KEYSET changes the key for the next session.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "fake_pty.h"

#define PDS_MAX		8
#define RX_MAX		2048
#define FRAME_MAX	512

struct pd {
	int addr;
	bool silent;
	bool have_last;
	uint8_t last_seq;
	uint8_t last_reply[FRAME_MAX];
	size_t last_len;
	char card[80]; /* pending RAW bits, "" when none */
	char keys[40]; /* pending KEYPAD digits */
	unsigned badcrc, badseq, busy;
	bool tamper, tamper_reported;
	unsigned long polls, cmds, resends, seqerr, leds, buzz;
	char text[40];
	char fmt[48]; /* pending FMT characters */
	/* inputs, outputs (permanent state, and a timed state until out_until) and the attached
	 * reader */
	uint8_t inputs[2], inputs_reported[2];
	uint8_t out_perm[2], out_temp[2], outputs_reported[2];
	uint64_t out_until[2];
	uint8_t rstat, rstat_reported;
	unsigned long outs;
	unsigned long ids_secure; /* ID commands answered inside the session */
	/* LED 0: permanent colour, temporary colour until led_until */
	uint8_t led_perm, led_temp;
	uint64_t led_until;
	unsigned led_temp_ms;	 /* the last temporary state's timer, for stats */
	unsigned long led_temps; /* temporary states set */
	/* line speed; checked once COMSET changed it */
	unsigned baud;
	bool baud_changed;
	unsigned long wrongbaud;
	/* secure channel */
	uint8_t key[16];
	bool sc_up;
	uint8_t s_enc[16], s_mac1[16], s_mac2[16], rnd_a[8], rnd_b[8];
	uint8_t c_mac[16], r_mac[16];
	unsigned badmac;
	unsigned long keysets;
};

static const uint8_t scbk_d[16] = {'0', '1', '2', '3', '4', '5', '6', '7',
				   '8', '9', ':', ';', '<', '=', '>', '?'};

/* AES-128 over whole blocks, ECB without iv, CBC with it. */
static void aes128(const uint8_t *key, const uint8_t *iv, int enc, const uint8_t *in, size_t n,
		   uint8_t *out)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int l1 = 0, l2 = 0;

	EVP_CipherInit_ex(c, iv ? EVP_aes_128_cbc() : EVP_aes_128_ecb(), NULL, key, iv, enc);
	EVP_CIPHER_CTX_set_padding(c, 0);
	EVP_CipherUpdate(c, out, &l1, in, (int)n);
	EVP_CipherFinal_ex(c, out + l1, &l2);
	EVP_CIPHER_CTX_free(c);
}

/* CBC-MAC: S-MAC1 on all blocks but the last, S-MAC2 on the last; 0x80 pad when short. */
static void sc_mac(const struct pd *p, const uint8_t *icv, const uint8_t *m, size_t n,
		   uint8_t out[16])
{
	uint8_t buf[FRAME_MAX + 16], x[16];
	size_t len = n;

	memcpy(buf, m, n);
	if (len % 16 || len == 0) {
		buf[len++] = 0x80;
		while (len % 16)
			buf[len++] = 0;
	}
	memcpy(x, icv, 16);
	for (size_t at = 0; at < len; at += 16) {
		for (int i = 0; i < 16; i++)
			x[i] ^= buf[at + i];
		aes128(at + 16 < len ? p->s_mac1 : p->s_mac2, NULL, 1, x, 16, x);
	}
	memcpy(out, x, 16);
}

struct emu {
	struct fake_pty pty;
	uint8_t rx[RX_MAX];
	size_t rx_len;
	struct pd pds[PDS_MAX];
	int n;
	int verbose;
};

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static const char *colour_name(uint8_t c)
{
	static const char *const n[] = {"black", "red",	    "green", "amber",
					"blue",	 "magenta", "cyan",  "white"};
	return c < 8 ? n[c] : "?";
}

/* An output's level now: a timed state while its timer runs, else the permanent one. */
static uint8_t out_now(const struct pd *p, int i)
{
	return p->out_until[i] && mono_ms() < p->out_until[i] ? p->out_temp[i] : p->out_perm[i];
}

static uint8_t led_now(const struct pd *p)
{
	return p->led_until && mono_ms() < p->led_until ? p->led_temp : p->led_perm;
}

/* CRC-CCITT, preset 0x1D0F, MSB first (OSDP 2.2, Annex on CRC), bit by bit. */
static uint16_t crc_ccitt(const uint8_t *p, size_t n)
{
	uint32_t crc = 0x1d0f;

	while (n--) {
		uint8_t x = *p++;
		for (int i = 7; i >= 0; i--) {
			bool top = ((crc >> 15) & 1) ^ ((x >> i) & 1);
			crc = (crc << 1) & 0xffff;
			if (top)
				crc ^= 0x1021;
		}
	}
	return (uint16_t)crc;
}

static void hexdump(struct emu *e, const char *what, const uint8_t *p, size_t n)
{
	fake_pty_hexdump(&e->pty, what, p, n);
}

static void write_all(struct emu *e, const uint8_t *p, size_t n)
{
	fake_pty_write(&e->pty, p, n);
}

static struct pd *pd_find(struct emu *e, int addr)
{
	for (int i = 0; i < e->n; i++)
		if (e->pds[i].addr == addr)
			return &e->pds[i];
	return NULL;
}

/*
 * Builds and sends a reply, inside the session when there is one (SCS_16,
 * or SCS_18 with the data encrypted), or with the given handshake block;
 * remembers it for a resend on a repeated sequence number.
 */
static void reply_scb(struct emu *e, struct pd *p, uint8_t seq, const uint8_t *scb, uint8_t code,
		      const uint8_t *d, size_t n)
{
	uint8_t f[FRAME_MAX], enc[FRAME_MAX], sblk[3], mac[16];
	size_t len, at = 5, scb_len = scb ? scb[0] : 0;
	bool sec = p->sc_up && !scb;
	uint16_t crc;

	if (sec) {
		uint8_t iv[16], buf[FRAME_MAX];
		sblk[0] = 2;
		sblk[1] = n ? 0x18 : 0x16;
		scb = sblk;
		scb_len = 2;
		if (n) {
			size_t m = n;
			memcpy(buf, d, n);
			buf[m++] = 0x80;
			while (m % 16)
				buf[m++] = 0;
			for (int i = 0; i < 16; i++)
				iv[i] = (uint8_t)~p->c_mac[i];
			aes128(p->s_enc, iv, 1, buf, m, enc);
			d = enc;
			n = m;
		}
	}
	len = 5 + scb_len + 1 + n + (sec ? 4 : 0) + 2;
	if (len > sizeof(f))
		return;
	f[0] = 0x53;
	f[1] = (uint8_t)(p->addr | 0x80);
	f[2] = (uint8_t)len;
	f[3] = (uint8_t)(len >> 8);
	f[4] = (uint8_t)(0x04 | (p->badseq ? (seq + 1) & 3 : seq) | (scb ? 0x08 : 0));
	if (scb_len) {
		memcpy(f + at, scb, scb_len);
		at += scb_len;
	}
	f[at++] = code;
	if (n)
		memcpy(f + at, d, n);
	at += n;
	if (sec) {
		sc_mac(p, p->c_mac, f, at, mac);
		memcpy(p->r_mac, mac, 16);
		memcpy(f + at, mac, 4);
		if (p->badmac) {
			p->badmac--;
			f[at] ^= 0x01;
		}
	}
	crc = crc_ccitt(f, len - 2);
	f[len - 2] = (uint8_t)crc;
	f[len - 1] = (uint8_t)(crc >> 8);
	if (p->badseq)
		p->badseq--;
	/* Kept as built: a resend after a corrupted reply goes out intact. */
	memcpy(p->last_reply, f, len);
	p->last_len = len;
	p->last_seq = seq;
	p->have_last = true;
	if (p->badcrc) {
		p->badcrc--;
		f[len - 1] ^= 0x5a;
	}
	if (e->verbose)
		hexdump(e, "tx", f, len);
	write_all(e, f, len);
}

static void reply(struct emu *e, struct pd *p, uint8_t seq, uint8_t code, const uint8_t *d,
		  size_t n)
{
	reply_scb(e, p, seq, NULL, code, d, n);
}

static void nak(struct emu *e, struct pd *p, uint8_t seq, uint8_t why)
{
	reply(e, p, seq, 0x41, &why, 1);
}

static void answer_poll(struct emu *e, struct pd *p, uint8_t seq)
{
	uint8_t d[64];

	if (p->card[0]) {
		size_t bits = strlen(p->card);
		memset(d, 0, sizeof(d));
		d[0] = 0;    /* reader number */
		d[1] = 0x01; /* Wiegand bits as received */
		d[2] = (uint8_t)bits;
		d[3] = (uint8_t)(bits >> 8);
		for (size_t i = 0; i < bits; i++)
			if (p->card[i] == '1')
				d[4 + i / 8] |= (uint8_t)(0x80 >> (i % 8));
		p->card[0] = 0;
		reply(e, p, seq, 0x50, d, 4 + (bits + 7) / 8);
	} else if (p->fmt[0]) {
		size_t n = strlen(p->fmt);
		d[0] = 0; /* reader number */
		d[1] = 0; /* read forward */
		d[2] = (uint8_t)n;
		memcpy(d + 3, p->fmt, n);
		p->fmt[0] = 0;
		reply(e, p, seq, 0x51, d, 3 + n);
	} else if (p->keys[0]) {
		size_t n = strlen(p->keys);
		d[0] = 0;
		d[1] = (uint8_t)n;
		for (size_t i = 0; i < n; i++)
			d[2 + i] = p->keys[i] == '*'   ? 0x7f
				   : p->keys[i] == '#' ? 0x0d
						       : (uint8_t)p->keys[i];
		p->keys[0] = 0;
		reply(e, p, seq, 0x53, d, 2 + n);
	} else if (memcmp(p->inputs, p->inputs_reported, 2) != 0) {
		memcpy(p->inputs_reported, p->inputs, 2);
		reply(e, p, seq, 0x49, p->inputs, 2);
	} else if (out_now(p, 0) != p->outputs_reported[0] ||
		   out_now(p, 1) != p->outputs_reported[1]) {
		p->outputs_reported[0] = out_now(p, 0);
		p->outputs_reported[1] = out_now(p, 1);
		reply(e, p, seq, 0x4a, p->outputs_reported, 2);
	} else if (p->rstat != p->rstat_reported) {
		p->rstat_reported = p->rstat;
		reply(e, p, seq, 0x4b, &p->rstat, 1);
	} else if (p->tamper != p->tamper_reported) {
		d[0] = p->tamper;
		d[1] = 0;
		p->tamper_reported = p->tamper;
		reply(e, p, seq, 0x48, d, 2);
	} else {
		reply(e, p, seq, 0x40, NULL, 0);
	}
}

static void command(struct emu *e, struct pd *p, uint8_t seq, uint8_t code, const uint8_t *d,
		    size_t n, const uint8_t *chlng_scb)
{
	static const uint8_t pdid[] = {0x5c, 0x26, 0x23, 0x07, 0x01, 0x78,
				       0x56, 0x34, 0x12, 0x02, 0x05, 0x11};
	/* 2 inputs, 2 outputs, card data, 1 LED, buzzer, text, CRC, secure channel, buffer */
	static const uint8_t pdcap[] = {1, 2, 2, 2, 1, 2, 3, 1, 0, 4, 1,  1,	5, 1,
					1, 6, 1, 1, 8, 1, 0, 9, 1, 1, 10, 0x80, 0};

	p->cmds++;
	if (p->busy) {
		p->busy--;
		uint8_t f[8] = {0x53, (uint8_t)(p->addr | 0x80), 8, 0, (uint8_t)(0x04 | seq), 0x79};
		uint16_t crc = crc_ccitt(f, 6);
		f[6] = (uint8_t)crc;
		f[7] = (uint8_t)(crc >> 8);
		write_all(e, f, sizeof(f)); /* not remembered: a BUSY is never resent */
		return;
	}
	if (seq == 0)
		p->sc_up = false; /* sequence 0: the CP starts over, without the session */
	if (seq != 0 && p->have_last && seq == p->last_seq) {
		/* The CP did not get our reply: the same reply again. */
		p->resends++;
		write_all(e, p->last_reply, p->last_len);
		return;
	}
	if (seq != 0 && p->have_last && seq != (p->last_seq >= 3 ? 1 : p->last_seq + 1)) {
		p->seqerr++;
		nak(e, p, seq, 0x04);
		return;
	}
	if (seq != 0 && !p->have_last) {
		p->seqerr++;
		nak(e, p, seq, 0x04);
		return;
	}
	switch (code) {
	case 0x76: { /* CHLNG: RND.A; we answer cUID, RND.B and our cryptogram */
		uint8_t b[16] = {0x01, 0x82}, out[32], scb[3] = {3, 0x12, 0x01};
		if (n < 8 || !chlng_scb) {
			nak(e, p, seq, 0x02);
			break;
		}
		scb[2] = chlng_scb[2];
		memcpy(p->rnd_a, d, 8);
		if (getrandom(p->rnd_b, 8, 0) != 8)
			memset(p->rnd_b, 0x42, 8);
		memcpy(b + 2, d, 6);
		aes128(p->key, NULL, 1, b, 16, p->s_enc);
		b[1] = 0x01;
		aes128(p->key, NULL, 1, b, 16, p->s_mac1);
		b[1] = 0x02;
		aes128(p->key, NULL, 1, b, 16, p->s_mac2);
		memcpy(out, "\xa1\xb2\xc3\xd4\xe5\xf6\x07\x18", 8); /* cUID */
		memcpy(out + 8, p->rnd_b, 8);
		memcpy(b, p->rnd_a, 8);
		memcpy(b + 8, p->rnd_b, 8);
		aes128(p->s_enc, NULL, 1, b, 16, out + 16);
		reply_scb(e, p, seq, scb, 0x76, out, 32);
		break;
	}
	case 0x77: { /* SCRYPT: the CP's cryptogram; RMAC_I when it is right */
		uint8_t b[16], want[16], rmac[16], scb[3] = {3, 0x14, 0x01};
		memcpy(b, p->rnd_b, 8);
		memcpy(b + 8, p->rnd_a, 8);
		aes128(p->s_enc, NULL, 1, b, 16, want);
		if (n < 16 || memcmp(want, d, 16) != 0) {
			scb[2] = 0xff;
			reply_scb(e, p, seq, scb, 0x78, want, 0);
			break;
		}
		aes128(p->s_mac1, NULL, 1, d, 16, b);
		aes128(p->s_mac2, NULL, 1, b, 16, rmac);
		reply_scb(e, p, seq, scb, 0x78, rmac, 16);
		memcpy(p->r_mac, rmac, 16);
		p->sc_up = true;
		break;
	}
	case 0x75: /* KEYSET: type 1 (SCBK), length 16, the key; only inside the session */
		if (!p->sc_up || n < 18 || d[0] != 1 || d[1] != 16) {
			nak(e, p, seq, p->sc_up ? 0x02 : 0x06);
			break;
		}
		memcpy(p->key, d + 2, 16);
		p->keysets++;
		reply(e, p, seq, 0x40, NULL, 0);
		break;
	case 0x60:
		p->polls++;
		answer_poll(e, p, seq);
		break;
	case 0x61:
		p->ids_secure += p->sc_up;
		reply(e, p, seq, 0x45, pdid, sizeof(pdid));
		break;
	case 0x62:
		reply(e, p, seq, 0x46, pdcap, sizeof(pdcap));
		break;
	case 0x64: {
		uint8_t s[2] = {p->tamper, 0};
		p->tamper_reported = p->tamper;
		reply(e, p, seq, 0x48, s, 2);
		break;
	}
	case 0x65: /* ISTAT */
		memcpy(p->inputs_reported, p->inputs, 2);
		reply(e, p, seq, 0x49, p->inputs, 2);
		break;
	case 0x66: /* OSTAT */
		p->outputs_reported[0] = out_now(p, 0);
		p->outputs_reported[1] = out_now(p, 1);
		reply(e, p, seq, 0x4a, p->outputs_reported, 2);
		break;
	case 0x67: /* RSTAT */
		p->rstat_reported = p->rstat;
		reply(e, p, seq, 0x4b, &p->rstat, 1);
		break;
	case 0x69: /* LED: records of 14 bytes */
		if (n == 0 || n % 14) {
			nak(e, p, seq, 0x02);
			break;
		}
		for (size_t at = 0; at < n; at += 14) {
			const uint8_t *l = d + at;
			/* reader 0, LED 0 only; temporary control 0-2, permanent 0-1, colours 0-7
			 */
			if (l[0] != 0 || l[1] != 0 || l[2] > 2 || l[9] > 1 || l[5] > 7 ||
			    l[6] > 7 || l[12] > 7 || l[13] > 7) {
				nak(e, p, seq, 0x09);
				return;
			}
		}
		for (size_t at = 0; at < n; at += 14) {
			const uint8_t *l = d + at;
			if (l[2] == 0x01) /* cancel the temporary state */
				p->led_until = 0;
			if (l[2] == 0x02) {
				p->led_temp = l[3] ? l[5] : l[6];
				p->led_temp_ms = 100 * (unsigned)(l[7] | l[8] << 8);
				p->led_until = mono_ms() + p->led_temp_ms;
				p->led_temps++;
			}
			if (l[9] == 0x01)
				p->led_perm = l[10] ? l[12] : l[13];
		}
		p->leds++;
		reply(e, p, seq, 0x40, NULL, 0);
		break;
	case 0x6e: { /* COMSET: address, speed (4 bytes LSB first); COM from the old address */
		uint8_t com[5];
		unsigned baud;
		if (n != 5) {
			nak(e, p, seq, 0x02);
			break;
		}
		baud = (unsigned)d[1] | (unsigned)d[2] << 8 | (unsigned)d[3] << 16 |
		       (unsigned)d[4] << 24;
		if (d[0] > 126 || !(baud == 9600 || baud == 19200 || baud == 38400 ||
				    baud == 57600 || baud == 115200 || baud == 230400)) {
			nak(e, p, seq, 0x09);
			break;
		}
		memcpy(com, d, 5);
		reply(e, p, seq, 0x54, com, 5);
		p->addr = d[0];
		if (baud != p->baud) {
			p->baud = baud;
			p->baud_changed = true;
		}
		break;
	}
	case 0x6a:
		p->buzz++;
		reply(e, p, seq, 0x40, NULL, 0);
		break;
	case 0x6b:
		/* reader, command, temp time, row, column, length, text */
		if (n >= 6 && (size_t)d[5] <= n - 6 && d[5] < sizeof(p->text)) {
			memcpy(p->text, d + 6, d[5]);
			p->text[d[5]] = 0;
		}
		reply(e, p, seq, 0x40, NULL, 0);
		break;
	case 0x68: /* OUT: records of output, control code, timer (100 ms, LSB first) */
		if (n == 0 || n % 4) {
			nak(e, p, seq, 0x02);
			break;
		}
		for (size_t at = 0; at < n; at += 4)
			if (d[at] >= 2 || d[at + 1] > 6) {
				nak(e, p, seq, 0x09);
				return;
			}
		for (size_t at = 0; at < n; at += 4) {
			uint8_t o = d[at], c = d[at + 1];
			uint64_t t = 100 * (uint64_t)(d[at + 2] | d[at + 3] << 8);
			switch (c) {
			case 1: /* permanent off, cancel a timed state */
			case 2:
				p->out_perm[o] = c == 2;
				p->out_until[o] = 0;
				break;
			case 3: /* permanent, a timed state runs to its end */
			case 4:
				p->out_perm[o] = c == 4;
				break;
			case 5: /* timed on / off, then the permanent state again */
			case 6:
				p->out_temp[o] = c == 5;
				p->out_until[o] = mono_ms() + t;
				break;
			}
		}
		p->outs++;
		reply(e, p, seq, 0x40, NULL, 0);
		break;
	default:
		nak(e, p, seq, 0x03);
		break;
	}
}

/* One command frame for p: its security block checked and opened first. */
static void frame_in(struct emu *e, struct pd *p, const uint8_t *f, size_t len)
{
	uint8_t seq = f[4] & 3, plain[FRAME_MAX], mac[16];
	size_t at = 5, end = len - 2;
	const uint8_t *scb = NULL;

	if (f[4] & 0x08) {
		if (f[5] < 2 || at + f[5] >= end)
			return;
		scb = f + at;
		at += f[5];
	}
	/*
	 * A repeated sequence number: the CP did not get our reply, and gets
	 * the same one again (OSDP 2.2, 5.7) -- before any MAC check, since
	 * the command's MAC chains from the reply before the one it missed.
	 */
	if (seq != 0 && p->have_last && seq == p->last_seq && !p->busy) {
		p->cmds++;
		p->resends++;
		write_all(e, p->last_reply, p->last_len);
		return;
	}
	if (!scb || scb[1] < 0x15) {
		/* Clear, or the handshake: a clear command ends a session. */
		if (seq != 0 && !(scb && scb[1] == 0x13))
			p->sc_up = p->sc_up && scb;
		command(e, p, seq, f[at], f + at + 1, end - at - 1, scb);
		return;
	}
	if (!p->sc_up || end < at + 1 + 4) {
		nak(e, p, seq, 0x05);
		return;
	}
	end -= 4;
	sc_mac(p, p->r_mac, f, end, mac);
	if (memcmp(mac, f + end, 4) != 0) {
		p->sc_up = false;
		nak(e, p, seq, 0x01);
		return;
	}
	memcpy(p->c_mac, mac, 16);
	size_t n = end - at - 1;
	if (scb[1] == 0x17) {
		uint8_t iv[16];
		if (n == 0 || n % 16) {
			nak(e, p, seq, 0x02);
			return;
		}
		for (int i = 0; i < 16; i++)
			iv[i] = (uint8_t)~p->r_mac[i];
		aes128(p->s_enc, iv, 0, f + at + 1, n, plain);
		while (n > 0 && plain[n - 1] == 0)
			n--;
		if (n == 0 || plain[n - 1] != 0x80) {
			nak(e, p, seq, 0x02);
			return;
		}
		n--;
	} else {
		memcpy(plain, f + at + 1, n);
	}
	command(e, p, seq, f[at], plain, n, NULL);
}

/* The speed the CP set on the line (its termios, shared by both ends of the pty). */
static unsigned line_baud(struct emu *e)
{
	static const struct {
		speed_t s;
		unsigned baud;
	} map[] = {{B9600, 9600},   {B19200, 19200},   {B38400, 38400},
		   {B57600, 57600}, {B115200, 115200}, {B230400, 230400}};
	struct termios t;

	if (tcgetattr(e->pty.slave_keep, &t) < 0)
		return 0;
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (cfgetispeed(&t) == map[i].s)
			return map[i].baud;
	return 0;
}

static void rx_process(struct emu *e)
{
	size_t off = 0;

	while (off < e->rx_len) {
		uint8_t *f = e->rx + off;
		size_t avail = e->rx_len - off, len;

		if (f[0] != 0x53) {
			off++;
			continue;
		}
		if (avail < 5)
			break;
		len = f[2] | (size_t)f[3] << 8;
		if (len < 8 || len > FRAME_MAX || !(f[4] & 0x04)) {
			off++; /* we speak CRC only; a checksum frame is junk to us */
			continue;
		}
		if (avail < len)
			break;
		uint16_t crc = crc_ccitt(f, len - 2);
		if (f[len - 2] != (uint8_t)crc || f[len - 1] != (uint8_t)(crc >> 8)) {
			off++;
			continue;
		}
		if (e->verbose)
			hexdump(e, "rx", f, len);
		struct pd *p = pd_find(e, f[1] & 0x7f);
		if (p && p->baud_changed && line_baud(e) != p->baud) {
			/* Sent at the old speed: a PD on the new one hears noise. */
			p->wrongbaud++;
			p = NULL;
		}
		if (!(f[1] & 0x80) && p && !p->silent)
			frame_in(e, p, f, len);
		off += len;
	}
	memmove(e->rx, e->rx + off, e->rx_len - off);
	e->rx_len -= off;
}

static unsigned parse_count(const char *s)
{
	return s ? (unsigned)strtoul(s, NULL, 10) : 1;
}

static void control_line(struct emu *e, char *line, char *out, size_t olen)
{
	char *save = NULL;
	char *cmd = strtok_r(line, " ", &save);
	char *a1 = strtok_r(NULL, " ", &save);
	char *a2 = strtok_r(NULL, " ", &save);
	struct pd *p = a1 ? pd_find(e, atoi(a1)) : NULL;
	bool all = a1 && !strcmp(a1, "all");

	if (!cmd) {
		snprintf(out, olen, "err empty\n");
		return;
	}
	if (!strcmp(cmd, "garbage")) {
		uint8_t junk[512];
		size_t n = parse_count(a1);
		if (n > sizeof(junk))
			n = sizeof(junk);
		if (getrandom(junk, n, 0) != (ssize_t)n)
			memset(junk, 0x53, n);
		write_all(e, junk, n);
		snprintf(out, olen, "ok\n");
		return;
	}
	if (!p && !(all && !strcmp(cmd, "silent"))) {
		snprintf(out, olen, "err no such address\n");
		return;
	}
	if (!strcmp(cmd, "card") && a2 && strspn(a2, "01") == strlen(a2) &&
	    strlen(a2) < sizeof(p->card)) {
		strcpy(p->card, a2);
	} else if (!strcmp(cmd, "keys") && a2 && strspn(a2, "0123456789*#") == strlen(a2) &&
		   strlen(a2) < sizeof(p->keys)) {
		strcpy(p->keys, a2);
	} else if (!strcmp(cmd, "silent") && a2) {
		for (int i = 0; i < e->n; i++)
			if (all || &e->pds[i] == p)
				e->pds[i].silent = !strcmp(a2, "on");
	} else if (!strcmp(cmd, "badcrc")) {
		p->badcrc = parse_count(a2);
	} else if (!strcmp(cmd, "badseq")) {
		p->badseq = parse_count(a2);
	} else if (!strcmp(cmd, "busy")) {
		p->busy = parse_count(a2);
	} else if (!strcmp(cmd, "tamper") && a2) {
		p->tamper = !strcmp(a2, "on");
	} else if (!strcmp(cmd, "badmac")) {
		p->badmac = parse_count(a2);
	} else if (!strcmp(cmd, "fmt") && a2 && strlen(a2) < sizeof(p->fmt)) {
		strcpy(p->fmt, a2);
	} else if (!strcmp(cmd, "input") && a2 && (!strcmp(a2, "0") || !strcmp(a2, "1"))) {
		char *a3 = strtok_r(NULL, " ", &save);
		if (!a3 || (strcmp(a3, "on") && strcmp(a3, "off"))) {
			snprintf(out, olen, "err input ADDR N on|off\n");
			return;
		}
		p->inputs[atoi(a2)] = !strcmp(a3, "on");
	} else if (!strcmp(cmd, "rstat") && a2 &&
		   (!strcmp(a2, "normal") || !strcmp(a2, "disconnected") ||
		    !strcmp(a2, "tamper"))) {
		p->rstat = !strcmp(a2, "normal") ? 0 : !strcmp(a2, "disconnected") ? 1 : 2;
	} else if (!strcmp(cmd, "stats")) {
		char key[33];
		for (int i = 0; i < 16; i++)
			snprintf(key + 2 * i, 3, "%02x", p->key[i]);
		snprintf(
		    out, olen,
		    "ok polls=%lu cmds=%lu resends=%lu seqerr=%lu leds=%lu buzz=%lu secure=%d "
		    "keysets=%lu key=%s outs=%lu inputs=%d%d outputs=%d%d led_perm=%s "
		    "led_now=%s led_temp=%s:%u led_temps=%lu baud=%u wrongbaud=%lu ids_secure=%lu "
		    "text=%s\n",
		    p->polls, p->cmds, p->resends, p->seqerr, p->leds, p->buzz, p->sc_up,
		    p->keysets, key, p->outs, p->inputs[0], p->inputs[1], out_now(p, 0),
		    out_now(p, 1), colour_name(p->led_perm), colour_name(led_now(p)),
		    colour_name(p->led_temp), p->led_temp_ms, p->led_temps, p->baud, p->wrongbaud,
		    p->ids_secure, p->text);
		return;
	} else {
		snprintf(out, olen, "err bad command\n");
		return;
	}
	snprintf(out, olen, "ok\n");
}

static void on_control(void *userdata, char *line, char *out, size_t olen)
{
	control_line(userdata, line, out, olen);
}

/* Bytes from the controller: appended to what came before, frames taken out. */
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
	fprintf(f, "usage: osdp-pd [--pts-file FILE] [--control SOCKET] [--address N]... [-v]\n"
		   "       osdp-pd --send SOCKET LINE...\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"pts-file", required_argument, NULL, 'p'}, {"control", required_argument, NULL, 'c'},
	    {"send", required_argument, NULL, 's'},	{"address", required_argument, NULL, 'a'},
	    {"verbose", no_argument, NULL, 'v'},	{"scbk", required_argument, NULL, 'k'},
	    {"help", no_argument, NULL, 'h'},		{},
	};
	const char *pts_file = NULL, *control = NULL, *send_to = NULL;
	static struct emu e;
	int c;

	uint8_t key[16];
	memcpy(key, scbk_d, 16);
	while ((c = getopt_long(argc, argv, "+p:c:s:a:k:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'k':
			if (strlen(optarg) != 32 ||
			    strspn(optarg, "0123456789abcdefABCDEF") != 32) {
				usage(stderr);
				return 2;
			}
			for (int i = 0; i < 16; i++) {
				unsigned v;
				sscanf(optarg + 2 * i, "%2x", &v);
				key[i] = (uint8_t)v;
			}
			break;
		case 'p':
			pts_file = optarg;
			break;
		case 'c':
			control = optarg;
			break;
		case 's':
			send_to = optarg;
			break;
		case 'a':
			if (e.n >= PDS_MAX || atoi(optarg) < 0 || atoi(optarg) > 126) {
				usage(stderr);
				return 2;
			}
			e.pds[e.n++].addr = atoi(optarg);
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
		return fake_pty_send("osdp-pd", send_to, argc - optind, argv + optind);
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if (e.n == 0)
		e.n = 1; /* address 0 */
	for (int i = 0; i < e.n; i++) {
		memcpy(e.pds[i].key, key, 16);
		e.pds[i].baud = 115200;
	}

	e.pty.name = "osdp-pd";
	e.pty.userdata = &e;
	e.pty.on_rx = on_rx;
	e.pty.on_control = on_control;
	return fake_pty_main(&e.pty, pts_file, control);
}
