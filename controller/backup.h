/* SPDX-License-Identifier: MIT */
/*
 * Scheduled backups ([backup] dir, every, keep): every `every`, a copy of
 * the database at one seq, signed (audit_backup_copy), written on a thread
 * of its own to dir/aeogate-YYYYMMDDTHHMMSSZ.db, the oldest beyond `keep`
 * removed; the loop records system.backup, or alarm.backup when it failed.
 */
#ifndef AEOGATE_BACKUP_H
#define AEOGATE_BACKUP_H

#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-event.h>

struct core;
struct backup_sched;

/* Arms the first backup `every_ms` from now. Negative errno. */
int backup_sched_new(struct core *c, sd_event *loop, const char *dir, uint64_t every_ms,
		     unsigned keep, struct backup_sched **ret);
/*
 * Whether dir can take the backups: a directory this process (after its
 * privilege drop, inside its unit's sandbox) may write. 0, or negative
 * errno with why ("DIR: ...") written.
 */
int backup_dir_check(const char *dir, char *why, size_t len);
/*
 * Records now that backups will fail (what: why), as a failed run would:
 * alarm.backup once the loop runs, the next failures only counted.
 */
void backup_sched_fail_now(struct backup_sched *b, int error, const char *what);
/* Waits for a backup in progress, then frees; NULL is fine. */
void backup_sched_free(struct backup_sched *b);

#endif
