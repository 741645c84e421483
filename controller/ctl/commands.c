// SPDX-License-Identifier: MIT
/*
 * aeogatectl's command table: every command's words, usage and summary,
 * once. main.c dispatches through it; aeogate-hub takes the rows of the
 * enrolment and site commands it runs from it too, so their usage reads the
 * same in both programs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit_cmds.h"
#include "ctl.h"

static int cmd_help(struct ctl_ctx *ctx, int argc, char **argv);

const struct ctl_cmd ctl_commands[] = {
    {"status", NULL, "[--json]", "controller version, site, last event, lockdown and threat level",
     cmd_status},
    {"person", "add", "ID --name NAME [--valid-from T] [--valid-until T] [--level L]... [--json]",
     "enrol a person", cmd_person_add},
    {"person", "list", "[--json]", "list persons", cmd_person_list},
    {"person", "show", "ID [--json]", "a person with their badges", cmd_person_show},
    {"person", "suspend", "ID [--json]", "suspend a person (their badges stop working)",
     cmd_person_change},
    {"person", "reinstate", "ID [--json]", "reinstate a suspended person", cmd_person_change},
    {"person", "terminate", "ID [--json]", "terminate a person and revoke their badges",
     cmd_person_change},
    {"person", "set",
     "ID [--name NAME] [--valid-from T|none] [--valid-until T|none] [--add-level L]... "
     "[--remove-level L]... [--responder yes|no] [--clearance N] [--json]",
     "change a person's name, validity, levels, responder mark or clearance (recorded "
     "before/after)",
     cmd_person_set},
    {"person", "vet",
     "ID --status cleared|pending|failed --checked DATE --recheck-due DATE [--reference TEXT] "
     "[--json]",
     "record a person's vetting (clearance) check", cmd_person_vet},
    {"person", "pin", "ID [--clear] [--json]",
     "set a person's PIN for card + PIN doors (stdin, or prompted), or clear it", cmd_person_pin},
    {"person", "pin-unlock", "ID [--json]",
     "unlock a PIN locked by wrong PINs (the count starts again)", cmd_person_pin_unlock},
    {"person", "photo", "ID set FILE | show | remove [--json]",
     "a person's photo beside their events on the dashboard (PNG or JPEG, at most 512 KiB; "
     "manager, admin; recorded by hash)",
     cmd_person_photo},
    {"person", "import", "FILE.csv [--dry-run]",
     "enrol and update people from a CSV file (HR export), all or nothing", cmd_person_import},
    {"person", "export", "FILE.csv", "write every person in the columns person import reads",
     cmd_person_export},
    {"badge", "issue",
     "PERSON (--wiegand FORMAT:FACILITY:NUMBER | --uid HEX | --fmt TEXT) [--valid-from T] "
     "[--valid-until T] "
     "[--json]",
     "issue a badge to a person", cmd_badge_issue},
    {"badge", "revoke", "CREDENTIAL [--json]", "revoke a badge", cmd_badge_revoke},
    {"badge", "list", "[PERSON] [--json]", "list badges, or one person's", cmd_badge_list},
    {"visitor", "add",
     "ID --name NAME --company TEXT --host PERSON --document TYPE --until T [--vehicle TEXT] "
     "[--level L]... [--uid HEX | --wiegand F:FC:CN] [--json]",
     "register a visitor whose badge stops working at --until by itself", cmd_visitor_add},
    {"visitor", "end", "ID [--json]", "end a visit: its badge is returned (recorded)",
     cmd_visitor_one},
    {"visitor", "show", "ID [--json]", "a visitor's register record", cmd_visitor_one},
    {"visitor", "list", "[--on-site] [--json]", "the visitor register, or who is on site",
     cmd_visitor_list},
    {"level", "add", "NAME --zone Z... [--schedule S] [--json]",
     "create an access level opening zones (inside a schedule)", cmd_level_add},
    {"level", "list", "[--json]", "list access levels", cmd_list},
    {"level", "set", "NAME [--add-zone Z]... [--remove-zone Z]... [--schedule S|none] [--json]",
     "change the zones a level opens, or its schedule", cmd_level_change},
    {"level", "remove", "NAME [--json]", "remove a level no one holds", cmd_level_change},
    {"zone", "list", "[--json]", "list zones, their doors and settings", cmd_list},
    {"zone", "show", "ZONE [--json]", "a zone with its doors and settings", cmd_zone_show},
    {"zone", "set",
     "ZONE [--vetting required|none] [--apb off|soft|hard|timed:MINUTES] "
     "[--max-occupancy N|none] [--two-person on|off] [--two-person-window DURATION] "
     "[--escort required|none] [--escort-window DURATION] [--json]",
     "a zone's rules: vetting, anti-passback, occupancy limit, two-person, visitor escort "
     "(recorded before/after)",
     cmd_zone_set},
    {"muster", NULL, "[ZONE] [--json]",
     "who is inside each zone now, since when and by which door (roll call)", cmd_muster},
    {"apb", "status", "[PERSON] [--json]", "where everyone is, or one person, for anti-passback",
     cmd_apb_status},
    {"apb", "forgive", "PERSON [--zone Z] [--json]",
     "reset a person's location (anti-passback starts afresh; recorded)", cmd_apb_forgive},
    {"door", "list", "[--json]", "list doors, their state and mode", cmd_list},
    {"door", "mode",
     "DOOR (card|card_and_pin|unlocked|locked [--until T] | --clear) [--comment TEXT] [--json]",
     "set how a door answers badges, now and until T or changed (recorded)", cmd_door_mode},
    {"door", "unlock", "DOOR [--for DURATION] --comment TEXT [--json]",
     "release a door's lock once, for DURATION or its strike time (recorded)", cmd_door_unlock},
    {"door", "schedule", "DOOR (--mode MODE --schedule S [--first-person-in] | --clear) [--json]",
     "the mode a door takes inside a schedule, maybe only after the first badge (recorded)",
     cmd_door_schedule},
    {"schedule", "add", "NAME --interval SPEC [--interval SPEC]... [--json]",
     "create a schedule: SPEC is DAYS HH:MM-HH:MM, like 'mon-fri 07:00-17:00'",
     cmd_schedule_change},
    {"schedule", "set", "NAME (--add-interval SPEC | --remove-interval SPEC)... [--json]",
     "change a schedule's intervals", cmd_schedule_change},
    {"schedule", "remove", "NAME [--json]", "remove a schedule no level uses", cmd_schedule_change},
    {"schedule", "list", "[--json]", "list schedules and the levels using them",
     cmd_schedule_query},
    {"schedule", "show", "NAME [--json]", "a schedule's intervals and the levels using it",
     cmd_schedule_query},
    {"holiday", "add", "DATE --name TEXT [--json]",
     "make a local date a holiday (only hol intervals apply)", cmd_holiday_change},
    {"holiday", "remove", "DATE [--json]", "remove a holiday", cmd_holiday_change},
    {"holiday", "list", "[--json]", "list holidays", cmd_holiday_list},
    {"reader", "list", "[--json]", "list readers", cmd_list},
    {"reader", "text", "READER TEXT [--json]",
     "show a line (at most 32 characters) on an OSDP reader's display", cmd_reader_text},
    {"reader", "output", "READER OUTPUT on|off [--for DURATION] [--json]",
     "drive an OSDP reader's output (OUT), for a while with --for", cmd_reader_output},
    {"reader", "comset", "READER [--address A] [--baud B] [--json]",
     "give an OSDP reader a new address and speed (COMSET); then update the config",
     cmd_reader_comset},
    {"site", "lockdown", "[--zone Z]... --comment TEXT [--json]",
     "lock every door of the site (or of the zones): only responders' badges open (recorded)",
     cmd_site_lockdown},
    {"site", "release", "[--zone Z]... --comment TEXT [--json]",
     "end the lockdown of the site (or of the zones): doors take their modes again (recorded)",
     cmd_site_lockdown},
    {"site", "threat", "LEVEL --comment TEXT [--json]",
     "set the site's threat level 0-5: people cleared below it are denied (recorded)",
     cmd_site_threat},
    {"site", "plan", "set FILE | show | remove [--json]",
     "the Overview's floor plan (PNG or JPEG, at most 1 MiB) and its door markers (admin; "
     "recorded)",
     cmd_site_plan},
    {"site", "marker", "DOOR (X Y | --remove) [--json]",
     "place a door's marker on the site plan, X and Y fractions 0..1 (admin; recorded)",
     cmd_site_marker},
    {"sim", "present",
     "READER (--bits 0101... | --uid HEX | --credential FORMAT:FACILITY:NUMBER) [--json]",
     "present a badge on a simulated reader (exit 1 denied, 3 waiting for a PIN)", cmd_sim_present},
    {"sim", "keys", "READER KEYS [--json]",
     "type keys (0-9, * clears, # enters) on a simulated reader's keypad", cmd_sim_keys},
    {"sim", "door", "DOOR open|close [--json]", "open or close a simulated door", cmd_sim_door},
    {"sim", "rex", "DOOR [--json]", "press a simulated exit button", cmd_sim_rex},
    {"events", NULL, "[--since SEQ] [--limit N] [--follow] [--json]",
     "print the event log, and follow it", cmd_events},
    {"user", "add", "NAME --role guard|manager|auditor|admin [--generate] [--json]",
     "add a dashboard user (password from stdin, or prompted; --generate: made up and shown once)",
     cmd_user_add},
    {"user", "list", "[--json]", "list dashboard users", cmd_user_list},
    {"user", "disable", "NAME [--json]", "disable a dashboard user and end their sessions",
     cmd_user_change},
    {"user", "enable", "NAME [--json]", "enable a disabled dashboard user", cmd_user_change},
    {"user", "passwd", "NAME [--generate] [--json]",
     "set a dashboard user's password (stdin, or prompted; --generate: made up and shown once)",
     cmd_user_passwd},
    {"audit", "pubkey", "[--json]", "the device's public key and its id", cmd_audit_pubkey},
    {"audit", "checkpoint", "[--json]", "sign a checkpoint of the chain head now",
     cmd_audit_checkpoint},
    {"audit", "export",
     "[--from T] [--to T] [--zone Z] [--door D] [--person P] [--kind K]... --format csv|jsonl -o "
     "FILE",
     "export events with a signed manifest", cmd_audit_export},
    {"audit", "verify", "(FILE [--pubkey KEY] [--manifest M] | --db FILE [--pubkey KEY] | --live)",
     "verify an export or a database backup offline, or the live chain", cmd_audit_verify},
    {"audit", "prune", "[--dry-run] [--json]",
     "delete events past their retention (or list them), keeping the chain verifiable",
     cmd_audit_prune},
    {"alarm", "list", "[--open] [--json]", "list alarms", cmd_alarm_list},
    {"alarm", "ack", "ID --comment TEXT [--json]", "acknowledge an alarm", cmd_alarm_change},
    {"alarm", "close", "ID [--outcome TEXT] [--comment TEXT] [--json]",
     "close an alarm, saying how it ended", cmd_alarm_change},
    {"alarm", "history", "ID [--json]",
     "an alarm's whole history: raised, acknowledged, escalated, closed", cmd_alarm_history},
    {"badge", "suspend", "CREDENTIAL [--json]", "suspend a badge", cmd_badge_lifecycle},
    {"badge", "lost", "CREDENTIAL [--stolen] [--json]", "report a badge lost or stolen",
     cmd_badge_lifecycle},
    {"badge", "return", "CREDENTIAL [--json]", "record a badge handed back", cmd_badge_lifecycle},
    {"badge", "reinstate", "CREDENTIAL [--json]", "reinstate a suspended or lost badge",
     cmd_badge_lifecycle},
    {"report", NULL, "NAME [--from T] [--to T] [--at T] [--within DAYS] --format csv|jsonl -o FILE",
     "auditor report: access, exceptions, alarms, entitlements, leavers, validity, admin, "
     "devices, access-points",
     cmd_report},
    {"review", "sign", "--reviewer NAME --comment TEXT [--json]",
     "record an access-rights review (named by the entitlements report)", cmd_review_sign},
    {"backup", NULL, "FILE [--json]",
     "copy the running database to FILE, at one seq, signed by a checkpoint", cmd_backup},
    {"restore", NULL, "FILE [--state-dir DIR] [--other-device]",
     "replace the database of a stopped aeogated with a verified backup (the old one kept)",
     cmd_restore},
    {"help", NULL, "", "this list", cmd_help},
};

const size_t ctl_commands_n = sizeof(ctl_commands) / sizeof(ctl_commands[0]);

void ctl_print_help(FILE *f)
{
	fputs("usage: aeogatectl [--socket PATH] COMMAND [ARGS...]\n"
	      "       aeogatectl --help | --version\n\n"
	      "Commands:\n",
	      f);
	for (size_t i = 0; i < ctl_commands_n; i++) {
		const struct ctl_cmd *c = &ctl_commands[i];
		char words[32];

		snprintf(words, sizeof(words), "%s%s%s", c->group, c->name ? " " : "",
			 c->name ? c->name : "");
		fprintf(f, "  %-17s %s\n", words, c->summary);
	}
	fputs("\nOptions (before or after the command):\n"
	      "  --socket PATH     control socket (default $AEOGATE_SOCKET, else " DEFAULT_SOCKET
	      ")\n"
	      "  --json            print the controller's JSON instead of a table\n"
	      "  --help            usage of the command\n\n"
	      "Exit status: 0 ok, 1 refused or failed, 2 usage error; sim present: 3\n"
	      "when the reader waits for a PIN.\n"
	      "See `aeogatectl COMMAND --help` and docs/cli.md.\n",
	      f);
}

static int cmd_help(struct ctl_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {CTL_COMMON_OPTIONS, {0}};
	int c;

	/* --help here is the whole list too. */
	while ((c = ctl_getopt_short(ctx, argc, argv, ":h", opts)) != -1)
		if (c != 'h')
			return CTL_EXIT_USAGE;
	ctl_print_help(stdout);
	return CTL_EXIT_OK;
}

const struct ctl_cmd *ctl_command_find(const char *group, const char *name)
{
	for (size_t i = 0; i < ctl_commands_n; i++)
		if (!strcmp(ctl_commands[i].group, group) &&
		    (name ? ctl_commands[i].name && !strcmp(ctl_commands[i].name, name)
			  : !ctl_commands[i].name))
			return &ctl_commands[i];
	return NULL;
}
