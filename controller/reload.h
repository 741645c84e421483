/* SPDX-License-Identifier: MIT */
/*
 * SIGHUP: the config file read again (config_reload). What takes effect
 * without a restart: door strike_time and held_time, reader formats, doors
 * and readers added or removed (README, "Reload"). A file that fails
 * validation, that rewires a door or reader that stays, or that changes
 * another section is refused: the running config stays, recorded as
 * config.rejected with the reason. A good one is config.reloaded with
 * detail.changed, one "door NAME: KEY", "door NAME: added", "reader NAME:
 * removed", ... per change.
 */
#ifndef AEOGATE_RELOAD_H
#define AEOGATE_RELOAD_H

struct config;
struct core;

/*
 * Reads cur->path into a new config and applies what it changes to cur
 * (the one the core reads) and to the doors. Records the event itself;
 * returns 1 when reloaded, 0 when refused (why in err), negative errno.
 */
int config_reload(struct core *c, struct config *cur, char *err, size_t errlen);

#endif
