/* SPDX-License-Identifier: MIT */
/* Every op table the control socket serves: one per noun, gathered here when aeogated is built. */
#include "ops.h"

const struct ctl_op *const ops_tables[] = {
    ops_people, ops_badges, ops_doors,	   ops_alarms, ops_audit, ops_reports, ops_users,
    ops_events, ops_pins,   ops_schedules, ops_import, ops_area,  ops_site,    ops_visitors,
    ops_backup, ops_health, ops_siteplan,  ops_photos, ops_sync,  ops_fleet,   NULL,
};
