/* SPDX-License-Identifier: MIT */
/*
 * aeogatectl commands of the audit trail (cmd_audit.c, cmd_alarm.c,
 * cmd_report.c): exports and their offline verification, alarms, the badge
 * lifecycle and reports. Declared here so ctl.h stays the shared core.
 */
#ifndef AEOGATE_CTL_AUDIT_CMDS_H
#define AEOGATE_CTL_AUDIT_CMDS_H

#include <jansson.h>
#include <stdbool.h>

struct ctl_ctx;

/* Option values of these commands, above those of ctl.h. */
enum {
	OPT_AUDIT_FROM = 0x200,
	OPT_AUDIT_TO,
	OPT_AUDIT_ZONE,
	OPT_AUDIT_PERSON,
	OPT_AUDIT_KIND,
	OPT_AUDIT_FORMAT,
	OPT_AUDIT_OUTPUT,
	OPT_AUDIT_PUBKEY,
	OPT_AUDIT_MANIFEST,
	OPT_AUDIT_LIVE,
	OPT_AUDIT_OPEN,
	OPT_AUDIT_COMMENT,
	OPT_AUDIT_STOLEN,
	OPT_AUDIT_AT,
	OPT_AUDIT_WITHIN,
	OPT_AUDIT_REVIEWER,
	OPT_AUDIT_DRY_RUN,
	OPT_AUDIT_REMOVE,
};

/*
 * Pages an export or a table report out of aeogated into path (the one
 * pager, controller/lib/export_pager.h) and writes path.manifest.json.
 * begin_args (stolen) is an event export's filter
 * {"from","to","kinds","person","zone"} or a table report's begin
 * arguments; report names an event report or is NULL. Returns a CTL_EXIT_*
 * code; a failed export leaves no file.
 */
int audit_export_run(struct ctl_ctx *ctx, bool table, json_t *begin_args, const char *report,
		     const char *format, const char *path);

int cmd_audit_pubkey(struct ctl_ctx *ctx, int argc, char **argv);
/* cmd_backup.c */
int cmd_backup(struct ctl_ctx *ctx, int argc, char **argv);
int cmd_restore(struct ctl_ctx *ctx, int argc, char **argv);
/* Runs aeogated's offline mode with args (args[0] is its name); its exit status. */
int ctl_run_offline(char *const args[]);
int cmd_audit_checkpoint(struct ctl_ctx *ctx, int argc, char **argv);
int cmd_audit_export(struct ctl_ctx *ctx, int argc, char **argv);
int cmd_audit_verify(struct ctl_ctx *ctx, int argc, char **argv);
int cmd_audit_prune(struct ctl_ctx *ctx, int argc, char **argv);
int cmd_alarm_list(struct ctl_ctx *ctx, int argc, char **argv);
int cmd_alarm_change(struct ctl_ctx *ctx, int argc, char **argv);
int cmd_alarm_history(struct ctl_ctx *ctx, int argc, char **argv);
int cmd_badge_lifecycle(struct ctl_ctx *ctx, int argc, char **argv);
int cmd_report(struct ctl_ctx *ctx, int argc, char **argv);
int cmd_review_sign(struct ctl_ctx *ctx, int argc, char **argv);
int cmd_person_set(struct ctl_ctx *ctx, int argc, char **argv);
int cmd_level_change(struct ctl_ctx *ctx, int argc, char **argv);
int cmd_person_vet(struct ctl_ctx *ctx, int argc, char **argv);
int cmd_zone_show(struct ctl_ctx *ctx, int argc, char **argv);
int cmd_zone_set(struct ctl_ctx *ctx, int argc, char **argv);
/* cmd_area.c: where everyone is, anti-passback (issue 14). */
int cmd_muster(struct ctl_ctx *ctx, int argc, char **argv);
int cmd_apb_status(struct ctl_ctx *ctx, int argc, char **argv);
int cmd_apb_forgive(struct ctl_ctx *ctx, int argc, char **argv);

/*
 * cmd_trail.c: sends op with the options ctl_parse collected (o->args) and
 * the one operand as args[key], then prints the result; with nothing
 * non-NULL, a usage error when no option was given. Frees o.
 */
struct ctl_parsed;
int send_change(struct ctl_ctx *ctx, struct ctl_parsed *o, const char *nothing, const char *key,
		const char *op, void (*print)(const json_t *res));

/* cmd_schedule.c: schedule add|set|remove|list|show, holiday add|remove|list. */
int cmd_schedule_change(struct ctl_ctx *ctx, int argc, char **argv);
int cmd_schedule_query(struct ctl_ctx *ctx, int argc, char **argv);
int cmd_holiday_change(struct ctl_ctx *ctx, int argc, char **argv);
int cmd_holiday_list(struct ctl_ctx *ctx, int argc, char **argv);

#endif
