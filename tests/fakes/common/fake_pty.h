/* SPDX-License-Identifier: MIT */
/*
 * What the device emulators of tests/fakes (pn532-emu, osdp-pd) share: a
 * pseudo-terminal the controller opens as its serial port, a Unix control
 * socket that tests send one-line commands to, the "--send SOCKET LINE..."
 * client side of it, and the poll loop over both. Test-only: never linked
 * into a shipped binary.
 *
 * An emulator fills in struct fake_pty (its name for messages, its two
 * callbacks) and calls fake_pty_main() from main() once it has read its
 * own options; the loop runs until SIGTERM or SIGINT.
 */
#ifndef AEOGATE_FAKE_PTY_H
#define AEOGATE_FAKE_PTY_H

#include <stddef.h>
#include <stdint.h>
#include <termios.h>

#define FAKE_CTL_CLIENTS 8
#define FAKE_CTL_LINE	 256
/* The longest answer to a control line. */
#define FAKE_CTL_REPLY 512

struct fake_pty {
	/* set by the emulator */
	const char *name; /* "osdp-pd": prefixes messages */
	speed_t speed;	  /* the line speed set at open (0: leave it) */
	void *userdata;
	/* Bytes the controller wrote to the line. */
	void (*on_rx)(void *userdata, const uint8_t *data, size_t n);
	/* One control line (without its newline); the answer goes to out, ending in a newline. */
	void (*on_control)(void *userdata, char *line, char *out, size_t olen);
	/* kept here */
	int master;	/* our end */
	int slave_keep; /* the controller's end, held open so our raw settings stay */
	int ctl_listen;
	int ctl[FAKE_CTL_CLIENTS];
	char ctl_buf[FAKE_CTL_CLIENTS][FAKE_CTL_LINE];
	size_t ctl_len[FAKE_CTL_CLIENTS];
};

/* Writes all of p to the line; gives up silently when nobody reads it. */
void fake_pty_write(struct fake_pty *f, const uint8_t *p, size_t n);

/* "NAME: WHAT xx xx ..." on stderr. */
void fake_pty_hexdump(const struct fake_pty *f, const char *what, const uint8_t *p, size_t n);

/* --send SOCKET LINE...: sends the words as one line, prints the answer; 0 on "ok". */
int fake_pty_send(const char *name, const char *path, int argc, char **argv);

/*
 * Opens the pty, listens on control (when not NULL), prints the pty's path
 * as the first stdout line and writes it to pts_file (when not NULL), then
 * serves both until SIGTERM/SIGINT. Returns main()'s exit code.
 */
int fake_pty_main(struct fake_pty *f, const char *pts_file, const char *control);

#endif
