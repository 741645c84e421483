/* SPDX-License-Identifier: MIT */
/*
 * Started by hand as root (no systemd User=), aeogated opens its devices
 * and its control socket as root, then runs as [controller] user and group
 * (default aeogate); it refuses to keep running as root unless
 * allow_root = true. Under systemd it starts as its user: nothing to do.
 */
#ifndef AEOGATE_PRIVDROP_H
#define AEOGATE_PRIVDROP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <aeogate/config.h>

struct privdrop {
	bool drop; /* root now, user and group below later */
	uid_t uid;
	gid_t gid;
	char user[64];
};

/*
 * Before anything is opened: whether and to whom to drop. -ENOENT (with a
 * line in err) when running as root without allow_root and the user or
 * group does not exist.
 */
int privdrop_prepare(const struct config *cfg, struct privdrop *pd, char *err, size_t errlen);

/*
 * Once devices and socket are open: the state directory and the files in it
 * (database, -wal, -shm, keys, head record, reserve) and the socket become
 * the user's, then the process takes the user's uid, gid and groups for
 * good (real, effective and saved; no capability is kept). Negative errno
 * with a line in err; the caller must not go on running as root then.
 */
int privdrop_apply(const struct privdrop *pd, const char *state_dir, const char *socket_path,
		   char *err, size_t errlen);

#endif
