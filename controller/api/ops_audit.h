/* SPDX-License-Identifier: MIT */
/*
 * The audit service of aeogated: the device key, signed checkpoints, the
 * alarm lifecycle and the badge lifecycle, and the control-socket ops that
 * page exports out, sign their statements and verify the live chain.
 *
 * main wires it: ops_audit_init after the store is attached creates the
 * service (no file-scope state: every call takes it), then subscribes
 * ops_audit_on_event to the bus for stored events (alarms are raised and
 * checkpoints counted there), calls ops_audit_tick from a timer, and
 * ops_audit_prune_step from a timer the waker re-arms (pruning runs in
 * bounded steps between which the loop serves the doors).
 */
#ifndef AEOGATE_OPS_AUDIT_H
#define AEOGATE_OPS_AUDIT_H

#include <stddef.h>

#include <jansson.h>

#include "aeogate/config.h"
#include "aeogate/event.h"
#include "ctlsock.h"

struct core;
struct audit;

struct audit_settings {
	unsigned checkpoint_events;  /* a checkpoint at least every this many events */
	unsigned checkpoint_minutes; /* ... and every this many minutes when the chain grew */
	unsigned alarm_ack_limit_ms; /* the alarms report flags slower acknowledgements */
	const struct retention_rule *retention; /* copied; none: nothing is ever pruned */
	size_t n_retention;
	/*
	 * Where main logs what the audit service has to say outside a request:
	 * each checkpoint as "checkpoint seq=N hash=H sig=S ts=T key=K" (a
	 * witness in the journal), and what the start found (audit.truncated,
	 * audit.head_invalid). priority is a syslog LOG_* level. May be NULL.
	 */
	void (*report)(void *userdata, int priority, const char *line);
	void *report_data;
};

#define AUDIT_CHECKPOINT_EVENTS_DEFAULT	 1000
#define AUDIT_CHECKPOINT_MINUTES_DEFAULT 10
#define AUDIT_ALARM_ACK_LIMIT_MS_DEFAULT (3 * 60 * 1000)

/*
 * Loads (or at first start creates) the device key in state_dir, checks
 * the log against the signed head record (state_dir/head.sig) and the
 * checkpoints, recording audit.truncated or audit.head_invalid (README,
 * "Tamper evidence"), and records alarms raised by events stored while the
 * controller was not counting. Call it right after core_attach_store,
 * before any event is emitted: a truncated log continues after the highest
 * seq this device signed. On failure writes why into err.
 */
int ops_audit_init(struct audit **ret, struct core *c, const char *state_dir,
		   const struct audit_settings *settings, char *err, size_t errlen);
void ops_audit_free(struct audit *a); /* accepts NULL */
/* A bus subscriber (BUS_STORED_ONLY): userdata is the struct audit. */
void ops_audit_on_event(struct audit *a, const struct event *e);
/* Signs a checkpoint when the chain grew since the last one and it is due. */
void ops_audit_tick(struct audit *a);
/* At a clean stop, after system.stop: a checkpoint and head record over it. */
void ops_audit_stop(struct audit *a);
/* The device key id, for the start log line. */
const char *ops_audit_key_id(struct audit *a);

/*
 * Pruning (README.md, "Retention"). The tick starts a run 5 minutes after
 * start and then every 24 hours when retention is configured; the
 * audit.prune op starts one on request. A run then advances one bounded
 * step per ops_audit_prune_step call, which returns true while it has more
 * to do (call it again after AEOGATE_PRUNE_STEP_GAP_MS). The waker is
 * called when a run starts, so main can arm its step timer.
 */
#define AUDIT_PRUNE_FIRST_DELAY_MS (5 * 60 * 1000)
#define AUDIT_PRUNE_INTERVAL_MS	   (24 * 60 * 60 * 1000)
void ops_audit_set_prune_waker(struct audit *a, void (*fn)(void *userdata), void *userdata);
bool ops_audit_prune_step(struct audit *a);
/*
 * One line on how the last run ended, once (then NULL), for main's log:
 * runs end on a timer, where no request can carry the news.
 */
const char *ops_audit_prune_news(struct audit *a, bool *ret_failed);

/*
 * For the table reports (ops_report.c), which sign with the same device
 * key and page under the same process-local MAC key as exports.
 */
struct checkpoint;
#define OPS_AUDIT_MAC_HEX 65 /* crypto_auth (HMAC-SHA-512-256) as hex, and NUL */
int ops_audit_checkpoint_head(struct audit *a, struct checkpoint *ret);
json_t *ops_audit_checkpoint_json(const struct checkpoint *cp);
int ops_audit_sign(struct audit *a, const char *text, char *ret_sig,
		   size_t len); /* 128 hex digits */
const char *ops_audit_public_key(struct audit *a);
void ops_audit_mac(struct audit *a, const char *text, char ret[OPS_AUDIT_MAC_HEX]);
unsigned ops_audit_alarm_ack_limit_ms(struct audit *a);

#endif
