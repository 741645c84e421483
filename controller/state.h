/* SPDX-License-Identifier: MIT */
/*
 * The state directory's files and modes: the directory itself (0750), the
 * database and its -wal and -shm files (refused when others can read them),
 * and the directory of the control socket. Errors are negative errno, with
 * a line for main's log in err where the errno alone would not say enough.
 */
#ifndef AEOGATE_STATE_H
#define AEOGATE_STATE_H

#include <stddef.h>
#include <sys/types.h>

/* mkdir -p path with mode for every directory it creates. */
int state_mkdir_parents(const char *path, mode_t mode);

/*
 * The database holds password hashes, personnel records and badge numbers:
 * -EPERM when db_path (or its -wal or -shm file) is readable by others or
 * writable by its group, as device.key is refused; other negative errno
 * when it cannot be looked at. A missing file is fine.
 */
int state_check_private(const char *db_path, char *err, size_t errlen);

/* Creates the directory the control socket lives in (0755), when it has one. */
void state_socket_dir_create(const char *socket_path);

#endif
