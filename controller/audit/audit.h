/* SPDX-License-Identifier: MIT */
/*
 * The audit domain of aeogated: appending to the chain, and the audit
 * service that keeps the chain vouched for (README.md, "Audit trail and
 * reports", "Tamper evidence", "Retention"):
 *
 *   append.c     the chain head and appending to it (on the store)
 *   audit.c      the service: device key, settings, tick, stop, signing
 *   checkpoint.c the device key, checkpoints and the signed head record
 *   head.c       the head record kept up to date, and the start check
 *   alarms.c     alarm rows raised for committed alarm events
 *   verify.c     live verification of the stored chain
 *   prune.c      pruning a prefix of the chain, in bounded steps
 *   export.c     the daemon side of paged exports
 *
 * The chain itself (canonical encoding, hash, link check) is defined once
 * in controller/lib/chain.h. Functions here return negative errno (or a
 * typed result) and build no control-socket replies: controller/api
 * translates requests into these calls and their results into replies.
 *
 * main wires the service: audit_new after the store is attached, then
 * audit_on_event as a bus subscriber for stored events, audit_tick from a
 * timer, and audit_prune_step from a timer the prune waker re-arms.
 */
#ifndef AEOGATE_AUDIT_H
#define AEOGATE_AUDIT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aeogate/config.h"
#include "aeogate/event.h"
#include "aeogate/limits.h"
#include "chain.h"
#include "checkpoint.h"
#include "export.h"
#include "store.h"

/* Whether kind's event raises an alarm: the kinds table's word (aeogate/event.h). */
bool audit_is_alarm_kind(const char *kind);

/* The head of the chain: the last seq and hash committed. */
struct audit_chain {
	int64_t seq;
	char hash[EVENT_HASH_HEX];
};

int audit_chain_load(struct audit_chain *c, struct store *s);

/*
 * Assigns e->seq, e->prev and e->hash from the chain head and appends the
 * row. The head advances only when the store committed it, so a failed
 * write leaves no gap.
 */
int audit_append(struct audit_chain *c, struct store *s, struct event *e);

/* ---- the audit service (audit.c) ---- */

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
 * seq this device signed. On failure writes why into err (for main's log).
 */
int audit_new(struct audit **ret, struct core *c, const char *state_dir,
	      const struct audit_settings *settings, char *err, size_t errlen);
void audit_free(struct audit *a); /* accepts NULL */
/* A bus subscriber (BUS_STORED_ONLY): raises alarm rows and counts toward a checkpoint. */
void audit_on_event(struct audit *a, const struct event *e);
/*
 * One commit that records many changes (a person import) publishes its
 * events one after another: between audit_batch_begin and audit_batch_end
 * a checkpoint due by count waits for the batch's last event, so the batch
 * costs one signature and one head record, not one per checkpoint_events.
 * a may be NULL.
 */
void audit_batch_begin(struct audit *a);
void audit_batch_end(struct audit *a);
/* Signs a checkpoint when the chain grew since the last one and it is due; starts pruning. */
void audit_tick(struct audit *a);
/* At a clean stop, after system.stop: a checkpoint and head record over it. */
void audit_stop(struct audit *a);

/* The device key: its id (16 hex digits) and public key (hex). */
const char *audit_key_id(struct audit *a);
const char *audit_public_key(struct audit *a);
/*
 * A backup (backup.c), on any thread: opens db_path read-only, takes one
 * snapshot, copies it to dest_path in small steps and adds to the copy a
 * checkpoint, signed now_ms with the device key, of the snapshot's last
 * event (*ret_cp; seq 0 for an empty log). The secret key never leaves
 * the process. Negative errno, what failed in ret_what.
 */
int audit_backup_copy(struct audit *a, const char *db_path, const char *dest_path, int64_t now_ms,
		      bool (*cancelled)(void *userdata), void *userdata, struct checkpoint *ret_cp,
		      char *ret_what, size_t what_len);
/* Signs text with the device key: 128 hex digits into ret_sig (len at least DEVKEY_SIG_HEX). */
int audit_sign(struct audit *a, const char *text, char *ret_sig, size_t len);
/*
 * A MAC of text under a key that lives only in this process: paged exports
 * and reports hand their running state to the client with it, and take back
 * only a state carrying a valid one.
 */
#define AUDIT_MAC_HEX 65 /* crypto_auth (HMAC-SHA-512-256) as hex, and NUL */
void audit_mac(struct audit *a, const char *text, char ret[AUDIT_MAC_HEX]);
unsigned audit_alarm_ack_limit_ms(struct audit *a);

/*
 * Escalation (README "Alarms"): records alarm.escalated, once per alarm,
 * for open alarms not acknowledged within alarm_ack_limit, at most a
 * bounded number per call. Returns 1 when more may be due (call again
 * soon), 0 when none is, or negative errno (-EBUSY while events wait for
 * storage). State lives in the database, so a restart escalates what came
 * due while the controller was stopped, and nothing twice.
 */
int audit_alarms_escalate(struct audit *a);

/*
 * Signs a checkpoint over the newest event (and moves the head record
 * there). The head record is written by a thread of its own, off the
 * decision path; audit_head_flush waits until it is on disk.
 */
int audit_checkpoint_head(struct audit *a, struct checkpoint *ret);
void audit_head_flush(struct audit *a);

/* ---- live verification (verify.c) ---- */

/*
 * One page of audit.verify: the stored chain from after (whose hash is
 * prev; after 0 starts where the kept chain starts, from its anchor), at
 * most limit events, the checkpoints over them and, at the end, the head
 * record. A page stops at each finding the log records (audit.truncated,
 * audit.head_invalid), so it carries at most one note.
 */
struct audit_verify_page {
	int64_t checked;
	int64_t last_seq;
	char last_hash[EVENT_HASH_HEX];
	bool done;
	int64_t bad_seq;  /* 0: nothing wrong */
	int64_t bad_last; /* the end of a missing range; 0 for one seq */
	char problem[256];
	/* Only for a page from after 0: */
	int64_t first_seq;
	bool anchored; /* the kept chain starts after a pruning, at anchor_seq + 1 */
	int64_t anchor_seq, anchor_cp_id, anchor_pruned_by;
	char anchor_key_id[DEVKEY_ID_HEX];
	/* A finding the log itself records. */
	bool have_note;
	int64_t note_seq;
	char note_kind[AEOGATE_ID_MAX + 1];
	char note[512];
};
int audit_verify(struct audit *a, int64_t after, const char *prev, size_t limit,
		 struct audit_verify_page *ret);

/* ---- pruning (prune.c) ---- */

/*
 * Pruning (README.md, "Retention"). The tick starts a run 5 minutes after
 * start and then every 24 hours when retention is configured;
 * audit_prune_start starts one on request. A run then advances one bounded
 * step per audit_prune_step call, which returns true while it has more to
 * do (call it again after AEOGATE_PRUNE_STEP_GAP_MS). The waker is called
 * when a run starts, so main can arm its step timer.
 */
#define AUDIT_PRUNE_FIRST_DELAY_MS (5 * 60 * 1000)
#define AUDIT_PRUNE_INTERVAL_MS	   (24 * 60 * 60 * 1000)

enum audit_prune_phase {
	AUDIT_PRUNE_IDLE,
	AUDIT_PRUNE_SCAN,
	AUDIT_PRUNE_DELETE,
	AUDIT_PRUNE_DONE,
	AUDIT_PRUNE_FAILED,
};

struct audit_prune_kind {
	char kind[AEOGATE_ID_MAX + 1];
	int64_t n;
};

/* A pruning run: what audit.prune and audit.prune_status report. prune.c writes it. */
struct audit_prune_job {
	int64_t id;
	enum audit_prune_phase phase;
	bool dry_run;
	bool resumed;	      /* finishing a run an earlier audit.pruned declared */
	char operator_id[96]; /* "schedule" for the daily run */
	int64_t now_ms;	      /* cutoffs are now_ms − retention(kind) */
	int64_t head;	      /* the newest seq when the scan began: always kept */
	int64_t first;	      /* the oldest seq kept when the run began */
	int64_t pos;	      /* scan: last seq checked; delete: last seq deleted */
	char pos_hash[EVENT_HASH_HEX];
	int64_t last; /* S: the last seq to prune (first − 1: none) */
	char last_hash[EVENT_HASH_HEX];
	int64_t count; /* rows first..last */
	struct audit_prune_kind kinds[AEOGATE_PRUNE_KINDS_REPORTED];
	size_t n_kinds;
	int64_t other; /* rows of kinds beyond the table */
	int64_t step_rows;
	int64_t step_deadline; /* monotonic ms: a checking step yields to the loop then */
	int64_t blocked_seq;   /* the row the prefix stops at */
	char blocked_kind[AEOGATE_ID_MAX + 1];
	char blocked_why[192];
	int64_t anchor_cp_id; /* the checkpoint signed at last */
	int64_t event_seq;    /* the audit.pruned event */
	int64_t deleted, alarms_deleted;
	struct witness gap; /* a recorded truncation this step crossed (gap.seq 0: none) */
	int64_t gap_first;
	int64_t bad_seq;
	char error[320];
	bool news; /* the end of this run is not logged yet */
	char news_text[400];
};

/*
 * Starts a run on request. -ENOENT when no retention is configured (every
 * event is kept), -EBUSY while a run is going; its outcome is in
 * audit_prune_job (a failed start is a failed job, not an error).
 */
int audit_prune_start(struct audit *a, bool dry_run, const char *operator_id);
const struct audit_prune_job *audit_prune_job(struct audit *a);
bool audit_prune_running(struct audit *a);
/* The rows a run counted per kind, {"kind": n, ..., "other": n}, as audit.pruned records them. */
json_t *audit_prune_kinds_json(const struct audit_prune_job *job);
void audit_set_prune_waker(struct audit *a, void (*fn)(void *userdata), void *userdata);
bool audit_prune_step(struct audit *a);
/*
 * One line on how the last run ended, once (then NULL), for main's log:
 * runs end on a timer, where no request can carry the news.
 */
const char *audit_prune_news(struct audit *a, bool *ret_failed);

/* ---- paged exports (export.c) ---- */

/*
 * Exports are paged so that neither side holds more than a page: the
 * controller keeps no state between pages; instead each page hands the
 * client the export's running state (rows so far, the export chain, the
 * last seq looked at) with a MAC under a key that lives only in this
 * process. The seal signs only a state carrying a valid MAC, so the device
 * never signs row counts or digests it did not compute itself.
 */
struct audit_export {
	struct export_filter filter;
	bool narrows;
	int64_t range_first, range_last;
	/* The running state, MAC-checked. */
	int64_t after, count;
	char chain[EVENT_HASH_HEX];
};

/*
 * Fixes x's range from x->filter and starts its state; first_prev and
 * last_hash are the range's ends (the genesis hash for an empty range).
 * On failure *ret_what names what could not be read, for the message.
 */
int audit_export_begin(struct audit *a, struct audit_export *x, char first_prev[EVENT_HASH_HEX],
		       char last_hash[EVENT_HASH_HEX], const char **ret_what);
/* The MAC of x's state; audit_export_check is 0 when mac is it, -EBADMSG when not. */
void audit_export_mac(struct audit *a, const struct audit_export *x, char ret[AUDIT_MAC_HEX]);
int audit_export_check(struct audit *a, const struct audit_export *x, const char *mac);
/* Appends the next rows (at most limit, AEOGATE_EXPORT_PAGE_BYTES) to rows, advancing x. */
int audit_export_page(struct audit *a, struct audit_export *x, size_t limit, json_t *rows);
/*
 * Signs the checkpoint a finished export's statement names: at its last
 * seq (or the head, for an empty range), and gives the range's ends.
 * -EAGAIN while pages are left; otherwise as audit_export_begin.
 */
int audit_export_seal(struct audit *a, const struct audit_export *x, struct checkpoint *ret_cp,
		      char first_prev[EVENT_HASH_HEX], char last_hash[EVENT_HASH_HEX],
		      const char **ret_what);

/*
 * A streamed export (audit.export_stream), for a thread other than the
 * loop's: opens db_path read-only (a connection of its own, never the
 * loop's, which writes every event) and inside one read transaction (WAL:
 * a snapshot, whatever is appended or pruned meanwhile) fixes x's range
 * from x->filter as audit_export_begin does (first_prev and last_hash are
 * its ends), tells begun, then formats every row of the range that
 * matches the filter straight from the columns (export_row_format) and
 * hands them to write in chunks of about AEOGATE_EXPORT_CHUNK bytes, the
 * CSV header first. x advances as pages do, so audit_export_seal signs it
 * after. Touches nothing of the audit service. Returns 0; begun's or
 * write's error as it is; or the store's, with ret_what saying what could
 * not be read. *ret_slow counts rows the direct writer left to the reference.
 */
int audit_export_stream(const char *db_path, struct audit_export *x, enum export_format fmt,
			char first_prev[EVENT_HASH_HEX], char last_hash[EVENT_HASH_HEX],
			int (*begun)(void *userdata),
			int (*write)(void *userdata, const char *p, size_t n), void *userdata,
			uint64_t *ret_slow, char *ret_what, size_t what_len);

#endif
