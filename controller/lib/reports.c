/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <string.h>

#include "reports.h"

static const char *const access_kinds[] = {"access.granted", "access.denied", NULL};
static const char *const exception_kinds[] = {
    "access.denied", "door.forced",  "door.held", "alarm.tamper",
    "alarm.duress",  "reader.noise", NULL};
static const char *const admin_kinds[] = {"person.*",
					  "badge.*",
					  "level.*",
					  "door.mode",
					  "door.updated",
					  "door.remote_unlock",
					  "schedule.*",
					  "holiday.*",
					  "user.added",
					  "user.disabled",
					  "user.enabled",
					  "user.password_changed",
					  "config.*",
					  "alarm.acknowledged",
					  "alarm.closed",
					  "review.*",
					  "audit.*",
					  "apb.forgiven",
					  "site.*",
					  "visitor.*",
					  NULL};
static const char *const device_kinds[] = {
    "reader.offline", "reader.online",	       "system.*", "alarm.storage",
    "alarm.tamper",   "alarm.tamper_restored", "clock.*",  NULL};
static const char *const apb_kinds[] = {"apb.violation", "apb.forgiven", NULL};
static const char *const no_kinds[] = {NULL};

const struct report_info reports_catalogue[] = {
    {"access", "Access: every granted and denied badge read", false, 0, access_kinds},
    {"exceptions", "Exceptions: denied, forced, held, tamper, duress, noise", false, 0,
     exception_kinds},
    {"alarms", "Alarms: raised, acknowledged and closed, with response times", true,
     REPORT_TAKES_RANGE, no_kinds},
    {"entitlements", "Entitlements: who may enter which zone, as of a date", true, 0, no_kinds},
    {"leavers", "Leavers: terminations, revocations and later attempts", true, REPORT_TAKES_RANGE,
     no_kinds},
    {"validity", "Validity: persons and badges expiring or expired", true, REPORT_TAKES_WITHIN,
     no_kinds},
    {"admin",
     "Admin trail: persons, badges, levels, schedules, door modes, users, config, alarm handling, "
     "lockdowns and threat levels",
     false, 0, admin_kinds},
    {"devices", "Devices: readers offline/online, restarts, storage faults, clock jumps", false, 0,
     device_kinds},
    {"access-points", "Access points: doors, readers and zones as configured", true, 0, no_kinds},
    {"vetting", "Vetting: who may enter vetting-required zones, and their clearance", true, 0,
     no_kinds},
    {"muster", "Muster: who was inside each zone at a moment, since when, by which door", true, 0,
     no_kinds},
    {"apb", "Anti-passback: soft violations and forgives", false, 0, apb_kinds},
    {"visitors", "Visitors: the visitor register for a period, unreturned badges flagged", true,
     REPORT_TAKES_RANGE, no_kinds},
};

const size_t reports_catalogue_n = sizeof(reports_catalogue) / sizeof(reports_catalogue[0]);

const struct report_info *reports_find(const char *name)
{
	for (size_t i = 0; name && i < reports_catalogue_n; i++)
		if (!strcmp(reports_catalogue[i].name, name))
			return &reports_catalogue[i];
	return NULL;
}

void reports_names(bool tables_only, char *buf, size_t len)
{
	size_t used = 0;

	if (len)
		buf[0] = '\0';
	for (size_t i = 0; i < reports_catalogue_n && used < len; i++) {
		int w;

		if (tables_only && !reports_catalogue[i].table)
			continue;
		w = snprintf(buf + used, len - used, "%s%s", used ? ", " : "",
			     reports_catalogue[i].name);
		if (w < 0)
			break;
		used += (size_t)w;
	}
}

json_t *reports_kinds_json(const struct report_info *r)
{
	json_t *kinds = json_array();

	for (size_t k = 0; kinds && r->kinds[k]; k++)
		json_array_append_new(kinds, json_string(r->kinds[k]));
	return kinds;
}

json_t *reports_json(void)
{
	json_t *arr = json_array();

	for (size_t i = 0; arr && i < reports_catalogue_n; i++) {
		const struct report_info *r = &reports_catalogue[i];
		json_t *params = json_array();

		if (!r->table || (r->params & REPORT_TAKES_RANGE)) {
			json_array_append_new(params, json_string("from"));
			json_array_append_new(params, json_string("to"));
		}
		if (r->table)
			json_array_append_new(params, json_string("at"));
		if (r->params & REPORT_TAKES_WITHIN)
			json_array_append_new(params, json_string("within_days"));
		json_array_append_new(arr,
				      json_pack("{s:s,s:s,s:s,s:o,s:o}", "name", r->name, "title",
						r->title, "type", r->table ? "table" : "events",
						"kinds", reports_kinds_json(r), "params", params));
	}
	return arr;
}
