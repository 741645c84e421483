/* SPDX-License-Identifier: MIT */
/*
 * The installer's wiring, as read from the INI file (controller/config.c
 * parses it; the README's "Configuration" section documents every key).
 * Plain data: the HAL backends read it, nothing writes it after loading.
 */
#ifndef AEOGATE_CONFIG_H
#define AEOGATE_CONFIG_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aeogate/limits.h"

/*
 * A GPIO line: "CHIP:OFFSET" or "CHIP:NAME" (names as gpioinfo shows them),
 * optionally followed by the word "active_low"; or "sim" for the simulated
 * board. An unset line (key absent) has set == false.
 */
struct line_spec {
	bool set;
	bool sim;
	bool active_low;
	char chip[64];
	char line[64]; /* offset digits or a line name */
	int offset;    /* >= 0 when line is all digits, else -1 */
};

enum lock_type {
	LOCK_STRIKE,  /* fail-secure: energize to release */
	LOCK_MAGLOCK, /* fail-safe: energize to hold */
};

enum door_backend {
	DOOR_BACKEND_SIM,
	DOOR_BACKEND_GPIOD,
};

struct door_config {
	char name[AEOGATE_ID_MAX + 1];
	char zone[AEOGATE_ID_MAX + 1];
	enum door_backend backend; /* gpiod when lock names a chip line */
	enum lock_type lock_type;
	struct line_spec lock, contact, rex, tamper, led_green, led_red, buzzer;
	unsigned debounce_ms;    /* input debounce, default 7 */
	unsigned strike_time_ms; /* lock released after a grant, default 5000 */
	unsigned held_time_ms;   /* open longer than this raises door.held, default 30000 */
	/* interlock = GROUP: held locked while another door of the group is open or released */
	char interlock[AEOGATE_ID_MAX + 1]; /* "" when none */
	int interlock_line;		    /* config line of the interlock key */
	int line;                /* config line of the section header */
	/*
	 * Taken out by a reload (controller/reload.c): the slot stays, since
	 * the controller's state is indexed by it, but nothing uses it (finds
	 * and lists skip it) until a door added later takes it over.
	 */
	bool removed;
};

enum reader_type {
	READER_SIM,
	READER_WIEGAND,
	READER_NFC,
	READER_OSDP,
};

/* OSDP secure channel policy (secure = required|preferred|off). */
enum osdp_secure {
	OSDP_SECURE_REQUIRED,
	OSDP_SECURE_PREFERRED,
	OSDP_SECURE_OFF,
};

struct reader_config {
	char name[AEOGATE_ID_MAX + 1];
	char door[AEOGATE_ID_MAX + 1];
	unsigned door_index;
	enum reader_type type;
	char direction[8];     /* "in" or "out" */
	unsigned formats_mask; /* bit (1u << enum wiegand_format) per accepted format */
	struct line_spec d0, d1;
	char connstring[256];  /* libnfc connstring, e.g. pn532_uart:/dev/ttyS1 */
	unsigned frame_gap_ms; /* Wiegand: silence that ends a frame, default 25 */
	unsigned hold_off_ms;  /* NFC: same UID ignored this long after removal, default 1000 */
	/* OSDP (hal/osdp.c): several readers may share one port, by address */
	char port[256];		 /* the RS-485 tty, e.g. /dev/ttyAMA0 */
	unsigned baud;		 /* 9600-230400, default 115200 */
	unsigned address;	 /* 0-126 */
	enum osdp_secure secure; /* default required */
	char scbk[256];		 /* path of the file holding the SCBK (32 hex digits) */
	bool install;		 /* install = yes: SCBK-D allowed until KEYSET */
	int line;
	bool removed; /* taken out by a reload, as door_config's */
};

/*
 * One [audit] retention rule: events whose kind matches pattern are pruned
 * once they are days old (0: kept forever). pattern is a kind
 * ("reader.noise"), a prefix pattern ("access.*") or "*"; the most
 * specific rule that matches a kind applies (controller/audit/retention.h).
 */
struct retention_rule {
	char pattern[AEOGATE_ID_MAX + 1];
	unsigned days;
};

struct config {
	char path[PATH_MAX];
	char state_dir[PATH_MAX];
	char socket[PATH_MAX];
	char site_name[AEOGATE_TEXT_MAX + 1];
	char timezone[64];  /* IANA zone: the dashboard displays times in it */
	bool timezone_set;  /* timezone was given: schedules are evaluated in it (aeogated's TZ) */
	char durability[8]; /* "normal" or "full" (SQLite synchronous) */
	bool demo;          /* enables the dashboard's simulator panel */
	uint64_t storage_reserve;   /* bytes kept free for a full disk, default 64 MiB, 0 none */
	bool storage_failure_grant; /* storage_failure = grant: grant what cannot be recorded */
	char web_group[64]; /* aeogate-web's group: its peers may name a login's source */
	unsigned socket_timeout_ms; /* control-socket no-progress timeout, default 30 s */
	/* started as root: who aeogated runs as once its devices and socket are open */
	char user[64];	 /* default aeogate */
	char group[64];	 /* default aeogate */
	bool allow_root; /* true: stay root instead of refusing to */
	/* [audit] */
	unsigned checkpoint_events;  /* sign a checkpoint at least every N events, default 1000 */
	unsigned checkpoint_minutes; /* ... and every M minutes when events came, default 10 */
	unsigned alarm_ack_limit_ms; /* alarms report flags slower acknowledgements, default 3 min */
	struct retention_rule retention[AEOGATE_RETENTION_RULES_MAX]; /* none: keep everything */
	size_t n_retention;
	/* [backup] (controller/backup.c) */
	char backup_dir[256];	  /* "": no [backup] section, no scheduled backups */
	uint64_t backup_every_ms; /* how often, default 1 day */
	unsigned backup_keep;	  /* backups kept in backup_dir, default 7 */
	/* [policy] */
	unsigned pin_timeout_ms; /* card + PIN: how long a badge waits for its PIN, default 10 s */
	unsigned pin_attempts;	 /* wrong PINs in a row that lock a person's PIN, default 5 */
	bool duress_plus_one;	 /* duress = plus_one (the default): PIN + 1 raises alarm.duress */
	unsigned expiry_warning_days; /* expiry.warning this many days ahead, default 14, 0 off */
	/*
	 * [sync] (README "Many sites"): aeogate-sync reads the same section for
	 * the broker; aeogated checks every key and keeps what it uses itself:
	 * the site and controller ids a signed message must name, and the
	 * office's public key, loaded when the file is (a change needs a restart).
	 */
	bool sync_set;				 /* the file has a [sync] section */
	char sync_broker[256];			 /* mqtt://HOST:PORT or mqtts://HOST:PORT */
	char sync_site[AEOGATE_ID_MAX + 1];	 /* "" when not given */
	char sync_client_id[AEOGATE_ID_MAX + 1]; /* default: the host name */
	char sync_office_pubkey[PATH_MAX]; /* "" when not given: signed messages are refused */
	unsigned char sync_office_pk[32];  /* the key the file holds, when office_pubkey is set */
	struct door_config doors[AEOGATE_DOORS_MAX];
	size_t n_doors;
	struct reader_config readers[AEOGATE_READERS_MAX];
	size_t n_readers;
};

/*
 * Parses path into *ret. On a problem returns -EINVAL and writes
 * "file:line: key: problem" into err. Other negative errno for I/O.
 */
int config_load(const char *path, struct config *ret, char *err, size_t errlen);

/* "sim", "wiegand", "nfc", "osdp": the type as config, the database and reader list spell it. */
const char *reader_type_name(enum reader_type t);

/* Index of the named door or reader (never one a reload removed), or -ENOENT. */
int config_door_find(const struct config *c, const char *name);
int config_reader_find(const struct config *c, const char *name);

/* Parses "sim", "CHIP:LINE" or "CHIP:LINE active_low"; -EINVAL when malformed. */
int line_spec_parse(const char *s, struct line_spec *ret);

#endif
