/* SPDX-License-Identifier: MIT */
/*
 * OSDP v2.2 (SIA OSDP 2.2, IEC 60839-11-5) framing, as the control panel
 * (CP) side sees it: build a command frame, find and check reply frames in a
 * byte stream. Pure functions without I/O (hal/osdp_frame.c); the bus state
 * machine that uses them is hal/osdp.c.
 *
 * A frame on the wire:
 *   SOM(0x53) ADDR LEN_LSB LEN_MSB CTRL [SCB: LEN TYPE DATA...] CODE DATA...
 *   [MAC, 4 bytes, in secure blocks 0x15-0x18] CRC_LSB CRC_MSB | CKSUM
 * LEN counts every byte from SOM to the check bytes. ADDR bit 7 marks a
 * reply; 0x7f is the broadcast address. CTRL bits 0-1 are the sequence
 * number, bit 2 selects CRC-16 (else an 8-bit checksum), bit 3 says a
 * security control block follows.
 */
#ifndef AEOGATE_OSDP_H
#define AEOGATE_OSDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aeogate/limits.h"

#define OSDP_SOM	    0x53
#define OSDP_ADDR_REPLY	    0x80
#define OSDP_ADDR_BROADCAST 0x7f
#define OSDP_ADDR_MAX	    126
#define OSDP_CTRL_SQN	    0x03
#define OSDP_CTRL_CRC	    0x04
#define OSDP_CTRL_SCB	    0x08
/* SOM, ADDR, LEN (2), CTRL. */
#define OSDP_HEADER_LEN 5

/* Commands (CP -> PD). */
enum {
	OSDP_CMD_POLL = 0x60,
	OSDP_CMD_ID = 0x61,
	OSDP_CMD_CAP = 0x62,
	OSDP_CMD_LSTAT = 0x64,
	OSDP_CMD_ISTAT = 0x65,
	OSDP_CMD_OSTAT = 0x66,
	OSDP_CMD_RSTAT = 0x67,
	OSDP_CMD_OUT = 0x68,
	OSDP_CMD_LED = 0x69,
	OSDP_CMD_BUZ = 0x6a,
	OSDP_CMD_TEXT = 0x6b,
	OSDP_CMD_COMSET = 0x6e,
	OSDP_CMD_KEYSET = 0x75,
	OSDP_CMD_CHLNG = 0x76,
	OSDP_CMD_SCRYPT = 0x77,
};

/* Replies (PD -> CP). */
enum {
	OSDP_REPLY_ACK = 0x40,
	OSDP_REPLY_NAK = 0x41,
	OSDP_REPLY_PDID = 0x45,
	OSDP_REPLY_PDCAP = 0x46,
	OSDP_REPLY_LSTATR = 0x48,
	OSDP_REPLY_ISTATR = 0x49,
	OSDP_REPLY_OSTATR = 0x4a,
	OSDP_REPLY_RSTATR = 0x4b,
	OSDP_REPLY_RAW = 0x50,
	OSDP_REPLY_FMT = 0x51,
	OSDP_REPLY_KEYPAD = 0x53,
	OSDP_REPLY_COM = 0x54,
	OSDP_REPLY_CCRYPT = 0x76,
	OSDP_REPLY_RMAC_I = 0x78,
	OSDP_REPLY_BUSY = 0x79,
};

/* NAK error codes. */
enum {
	OSDP_NAK_CHECK = 0x01,	  /* CRC or checksum */
	OSDP_NAK_LENGTH = 0x02,	  /* command length */
	OSDP_NAK_UNKNOWN = 0x03,  /* unknown command code */
	OSDP_NAK_SEQUENCE = 0x04, /* unexpected sequence number */
	OSDP_NAK_SC_UNSUPPORTED = 0x05,
	OSDP_NAK_SC_REQUIRED = 0x06,
	OSDP_NAK_BIO_TYPE = 0x07,
	OSDP_NAK_BIO_FORMAT = 0x08,
	OSDP_NAK_UNABLE = 0x09,
};

/* One parsed frame; the pointers point into the buffer given to osdp_frame_parse. */
struct osdp_frame {
	uint8_t addr; /* without the reply bit */
	bool reply;
	uint8_t seq;
	bool crc;
	const uint8_t *scb; /* security control block (LEN TYPE DATA...), or NULL */
	size_t scb_len;
	const uint8_t *mac; /* 4 MAC bytes, for SCB types 0x15-0x18, or NULL */
	uint8_t code;
	const uint8_t *data;
	size_t len;
	const uint8_t *raw; /* the whole frame */
	size_t raw_len;
};

/* CRC-16 as OSDP uses it: polynomial 0x1021, preset 0x1d0f, no reflection. */
uint16_t osdp_crc16(const uint8_t *p, size_t n);

/* The 8-bit checksum: the two's complement of the byte sum. */
uint8_t osdp_checksum(const uint8_t *p, size_t n);

/* Sequence numbers after a good exchange: 0 (reset) and 3 go on to 1. */
static inline uint8_t osdp_seq_next(uint8_t seq)
{
	return seq >= 3 ? 1 : (uint8_t)(seq + 1);
}

/*
 * Writes a frame into out (room for max bytes): scb may be NULL; mac (4
 * bytes) is appended before the check bytes when not NULL. Returns its
 * length, or -ENOBUFS when it does not fit, -EINVAL for bad arguments.
 */
int osdp_frame_build(uint8_t *out, size_t max, uint8_t addr, uint8_t seq, bool crc,
		     const uint8_t *scb, size_t scb_len, uint8_t code, const uint8_t *data,
		     size_t len, const uint8_t *mac);

enum osdp_parse_result {
	OSDP_PARSE_FRAME = 1,	   /* *ret filled; *ret_used bytes consumed */
	OSDP_PARSE_MORE = 0,	   /* wait for more bytes; *ret_used bytes of junk may go */
	OSDP_PARSE_JUNK = -1,	   /* bytes before a frame or a bad header: drop *ret_used */
	OSDP_PARSE_BAD_CHECK = -2, /* a whole frame whose CRC or checksum fails: drop *ret_used */
};

/*
 * Looks for one frame at the start of buf (n bytes). Never reads beyond n;
 * *ret_used is always set, and dropping that many bytes makes progress
 * whenever the result is not OSDP_PARSE_MORE with *ret_used == 0.
 */
enum osdp_parse_result osdp_frame_parse(const uint8_t *buf, size_t n, struct osdp_frame *ret,
					size_t *ret_used);

/* The longest line TEXT shows (aeogatectl reader text): a 2x16 display's worth. */
#define OSDP_TEXT_MAX 32

/* What the CP knows of one PD, for reader list (hal/osdp.c). */
#define OSDP_CAPS_MAX 32
/* Inputs, outputs and attached readers kept per PD: readers have a few; more are not shown. */
#define OSDP_IO_MAX 16

/* PDCAP function codes the CP uses. */
enum {
	OSDP_CAP_INPUTS = 1,  /* contact status monitoring: count = inputs */
	OSDP_CAP_OUTPUTS = 2, /* output control: count = outputs */
};

/* OUT control codes (OSDP 2.2, osdp_OUT). */
enum {
	OSDP_OUT_OFF = 0x01,	  /* permanent off, cancels a timed one */
	OSDP_OUT_ON = 0x02,	  /* permanent on, cancels a timed one */
	OSDP_OUT_TEMP_ON = 0x05,  /* on for the timer, then back to the permanent state */
	OSDP_OUT_TEMP_OFF = 0x06, /* off for the timer, then back */
};

/* LED colours (OSDP 2.2, osdp_LED). */
enum {
	OSDP_LED_BLACK = 0,
	OSDP_LED_RED = 1,
	OSDP_LED_GREEN = 2,
	OSDP_LED_AMBER = 3,
};

/* The line speeds COMSET may set (and the baud key accepts). */
static inline bool osdp_baud_valid(unsigned baud)
{
	return baud == 9600 || baud == 19200 || baud == 38400 || baud == 57600 || baud == 115200 ||
	       baud == 230400;
}

/*
 * FMT (formatted card data, OSDP 2.2 osdp_FMT): reader number, read
 * direction (0 forward, 1 reverse), character count, the characters.
 * Writes the characters in reading order, NUL-terminated, to out; -EBADMSG
 * when the record is short, its count does not match, the direction is not
 * 0 or 1, or a character is not printable; -ENOSPC when out is too small.
 */
int osdp_fmt_decode(const uint8_t *d, size_t len, char *out, size_t max);
struct osdp_pd_info {
	uint8_t address;
	bool online;
	bool secure; /* the secure channel is up */
	bool have_id;
	uint32_t vendor; /* IEEE OUI, 3 bytes */
	uint8_t model, version;
	uint32_t serial;
	uint8_t firmware[3]; /* major, minor, build */
	struct {
		uint8_t function, compliance, count;
	} caps[OSDP_CAPS_MAX];
	size_t n_caps;
	bool tamper, power; /* from LSTATR: tamper switch open, power failure */
	/* ISTATR, OSTATR, RSTATR: one byte per input, output, attached reader */
	bool have_istat, have_ostat, have_rstat;
	uint8_t n_inputs, n_outputs, n_readers;
	uint8_t inputs[OSDP_IO_MAX], outputs[OSDP_IO_MAX], readers[OSDP_IO_MAX];
	unsigned baud; /* the line speed in use (COMSET may change it) */
	uint64_t polls, naks, crc_errors;
};

struct hal_reader;
/* A copy of an osdp reader's state; -EOPNOTSUPP for readers of other types. */
int hal_osdp_reader_info(const struct hal_reader *r, struct osdp_pd_info *ret);

/* ---- secure channel (hal/osdp_sc.c, OSDP 2.2 Annex D) ---- */

/* Security block types. */
enum {
	OSDP_SCS_11 = 0x11, /* CHLNG */
	OSDP_SCS_12 = 0x12, /* CCRYPT */
	OSDP_SCS_13 = 0x13, /* SCRYPT */
	OSDP_SCS_14 = 0x14, /* RMAC_I */
	OSDP_SCS_15 = 0x15, /* command, MAC only */
	OSDP_SCS_16 = 0x16, /* reply, MAC only */
	OSDP_SCS_17 = 0x17, /* command, encrypted data and MAC */
	OSDP_SCS_18 = 0x18, /* reply, encrypted data and MAC */
};

/* SCBK-D, the default (install) key the standard publishes. */
extern const uint8_t osdp_scbk_default[16];

/* One session's keys and chaining state. */
struct osdp_sc {
	uint8_t s_enc[16], s_mac1[16], s_mac2[16];
	uint8_t rnd_a[8], rnd_b[8], cuid[8];
	uint8_t c_mac[16]; /* the last command MAC (the reply's ICV) */
	uint8_t r_mac[16]; /* the last reply MAC (the next command's ICV) */
};

int osdp_aes_block(const uint8_t key[16], const uint8_t in[16], uint8_t out[16]);
/* S-ENC, S-MAC1, S-MAC2 from the SCBK and RND.A (its first 6 bytes). */
int osdp_sc_derive(struct osdp_sc *sc, const uint8_t scbk[16], const uint8_t rnd_a[8]);
/* AES(S-ENC, first || second): the client cryptogram is (RND.A, RND.B), the server's (RND.B,
 * RND.A). */
int osdp_sc_cryptogram(const struct osdp_sc *sc, const uint8_t first[8], const uint8_t second[8],
		       uint8_t out[16]);
/* The initial R-MAC: AES(S-MAC2, AES(S-MAC1, server cryptogram)). */
int osdp_sc_rmac_i(const struct osdp_sc *sc, const uint8_t server_cryptogram[16], uint8_t out[16]);
/* CBC-MAC of msg chained from icv; the wire carries its first 4 bytes. */
int osdp_sc_mac(const struct osdp_sc *sc, const uint8_t icv[16], const uint8_t *msg, size_t n,
		uint8_t out[16]);
/* AES-CBC under S-ENC with the complement of last_mac as IV; 0x80 padding. Length or -errno. */
int osdp_sc_encrypt(const struct osdp_sc *sc, const uint8_t last_mac[16], const uint8_t *data,
		    size_t n, uint8_t *out, size_t max);
/* The inverse; -EBADMSG when the length or the padding is wrong. */
int osdp_sc_decrypt(const struct osdp_sc *sc, const uint8_t last_mac[16], const uint8_t *data,
		    size_t n, uint8_t *out);

#endif
