/* SPDX-License-Identifier: MIT */
/*
 * What keeps a full disk from silencing the record (DESIGN.md, invariant 3).
 *
 * The reserve is a preallocated file, STATE_DIR/reserve, of
 * [controller] storage_reserve bytes. When a commit fails for lack of
 * space, the core gives it back (reserve_release) and commits again, so the
 * storage alarm and the events after it are still stored while someone
 * makes room; once there is room for it again it is taken back
 * (reserve_restore).
 *
 * The unstored-count file, STATE_DIR/unstored, says how many events the
 * record owes: held in memory or dropped since storage failed, not yet
 * accounted for by a stored event. It is preallocated and rewritten in
 * place (no new block on a full disk), so after a crash the next start
 * knows how many events were lost and records it.
 */
#ifndef AEOGATE_RESERVE_H
#define AEOGATE_RESERVE_H

#include <stdint.h>

struct reserve;

/*
 * Opens (creating, mode 0600) both files in dir and allocates the reserve
 * to bytes (0: none, the file is removed). *ret_owed is the count the
 * previous run left unaccounted for (0 when none). Failing to allocate the
 * reserve is not fatal: *ret is still set and -ENOSPC returned, so the
 * caller can warn; reserve_restore tries again later.
 */
int reserve_open(const char *dir, uint64_t bytes, struct reserve **ret, uint64_t *ret_owed);
void reserve_free(struct reserve *r); /* accepts NULL; the files stay */

/* Gives the space back; returns the bytes released (0 when none was held). */
uint64_t reserve_release(struct reserve *r);

/*
 * Takes the reserve back when the filesystem has room for it and as much
 * again to spare; 1 when it is held again, 0 when not yet, negative errno.
 */
int reserve_restore(struct reserve *r);

uint64_t reserve_held(const struct reserve *r);	  /* bytes held now */
uint64_t reserve_wanted(const struct reserve *r); /* bytes configured */
/* Free bytes on the state directory's filesystem for unprivileged use, or negative errno. */
int64_t reserve_free_bytes(const struct reserve *r);

/* Records how many events the record owes now (0 once all are accounted for). */
int reserve_set_owed(struct reserve *r, uint64_t owed);

#endif
