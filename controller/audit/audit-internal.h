/* SPDX-License-Identifier: MIT */
/*
 * What the files of controller/audit share and nobody else sees: the
 * service's struct and the calls between its files.
 */
#ifndef AEOGATE_AUDIT_INTERNAL_H
#define AEOGATE_AUDIT_INTERNAL_H

#include <limits.h>
#include <sodium.h>

#include "audit.h"
#include "checkpoint.h"
#include "retention.h"

/* The audit service: created by main, passed to everything that needs it. */
struct audit {
	struct core *core;
	struct devkey key;
	char state_dir[PATH_MAX];
	/*
	 * The head record this process last wrote or trusted. Written by the
	 * head writer's thread once it runs: read it on the loop only after
	 * audit_head_flush.
	 */
	struct head_record head;
	bool have_head;
	struct head_writer *hw; /* head.c: writes the head record off the loop */
	bool ready;
	unsigned char mac_key[crypto_auth_KEYBYTES];
	struct audit_settings settings;
	int64_t last_cp_seq;  /* seq of the newest checkpoint */
	int64_t last_cp_mono; /* when it was made, monotonic ms */
	int64_t events_since_cp;
	bool batch;	   /* audit_batch_begin: count checkpoints wait */
	int64_t batch_seq; /* the batch's last event so far */
	char batch_hash[EVENT_HASH_HEX];
	int clock_synced;   /* as last recorded: 1, 0, or negative when unknown */
	bool alarm_backlog; /* an alarm row could not be written since the last checkpoint */
	int64_t escalated_upto; /* alarm ids at or below it were looked at for escalation */
	struct retention_rule retention[AEOGATE_RETENTION_RULES_MAX];
	size_t n_retention;
	int64_t prune_next_mono; /* when the tick starts the next scheduled run */
	void (*prune_wake)(void *userdata);
	void *prune_wake_data;
	struct audit_prune_job job; /* the current or last pruning run */
};

/* Hands a line to main's log (only mains log); nothing when main gave no reporter. */
void audit_report(struct audit *a, int priority, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* checkpoint.c: the service's checkpoints. */
void audit_report_checkpoint(struct audit *a, const struct checkpoint *cp);
int audit_checkpoint_at(struct audit *a, int64_t seq, const char *hash, struct checkpoint *ret);

/* head.c: the head record kept up to date, and what the start finds. */
void audit_head_advance(struct audit *a, int64_t seq, const char *hash);
/* audit_head_flush (audit.h): a->head is then current. */
/* Flushes and ends the head writer's thread. */
void audit_head_stop(struct audit *a);
int audit_start_check(struct audit *a, char *err, size_t errlen);
const char *audit_head_problem_text(const char *problem);

/* alarms.c: alarm rows for committed alarm events. */
int audit_alarm_raise(struct audit *a, const struct event *e);
/* Raises the alarms of every stored event after seq after. */
int audit_alarms_raise_after(struct audit *a, int64_t after);

/*
 * verify.c: where the kept chain starts. After pruning, the oldest row kept
 * (first) is no longer preceded by its predecessor: a checkpoint this device
 * signed at first - 1 vouches for first's prev, and the newest audit.pruned
 * event must have declared the rows up to first - 1 pruned (its row is
 * checked with the rest of the chain). Anything else is a deletion.
 */
struct audit_anchor {
	int64_t first; /* the oldest seq kept; 0 when the log is empty */
	char prev[EVENT_HASH_HEX];
	int64_t cp_id; /* the checkpoint at first - 1; 0 when first is 1 */
	char key_id[DEVKEY_ID_HEX];
	int64_t pruned_by; /* seq of the audit.pruned event that declared it */
	int64_t declared_last;
	int64_t declared_cp; /* the anchor checkpoint it names */
	int64_t bad_seq;     /* set when the start is not vouched for */
	char problem[256];
	bool truncated; /* first is an audit.truncated recording seq 1..first-1 missing */
};
/* Negative errno when the store fails; otherwise 0, with an->bad_seq set when not vouched. */
int audit_anchor_check(struct audit *a, struct audit_anchor *an);

/*
 * verify.c: the checkpoints signed over seq from+1..to (to 0: all after
 * from) must match the log; a recorded truncation (gap, may be NULL) names
 * gap_first..gap->seq gone. Negative errno when the store fails; otherwise
 * 0 with *ret_bad_seq (0: none) and problem.
 */
int audit_checkpoints_check(struct audit *a, int64_t from, int64_t to, const struct witness *gap,
			    int64_t gap_first, int64_t *ret_bad_seq, char *problem, size_t len);

/* prune.c: starts the daily run when it is due. */
void audit_prune_tick(struct audit *a);

#endif
