/* SPDX-License-Identifier: MIT */
/*
 * aeogated's offline modes, for aeogatectl, which never links SQLite:
 * checking a database file (a backup) and restoring one. No loop, no
 * devices; each returns the process's exit status (0 ok, 1 refused or
 * failed, 2 usage) and prints its own verdict.
 */
#ifndef AEOGATE_OFFLINE_H
#define AEOGATE_OFFLINE_H

#include <stdbool.h>

/*
 * Integrity, schema, the whole chain and every checkpoint of the database
 * at path, against pubkey (64 hex digits or a file holding them) or, when
 * NULL, the keys the database records (then it says the key is not pinned).
 */
int offline_verify_db(const char *path, const char *pubkey);

/*
 * Replaces state_dir/aeogate.db with file, aeogated stopped: file's
 * integrity, schema, chain and checkpoints are checked first; the replaced
 * database (and its -wal) is kept as aeogate.db.replaced-TIMESTAMP. A file
 * signed by another key than state_dir/device.pub (or none there) needs
 * other_device; then head.sig is kept aside too.
 */
int offline_restore(const char *file, const char *state_dir, bool other_device);

/*
 * At start: the restore's note (compact JSON) into buf, 1 when there is
 * one; offline_restored_done removes it once recorded.
 */
#include <stddef.h>
int offline_restored_note(const char *state_dir, char *buf, size_t len);
void offline_restored_done(const char *state_dir);

#endif
