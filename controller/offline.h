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

#endif
