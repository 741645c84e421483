/* SPDX-License-Identifier: MIT */
/*
 * Credentials that are the same bits on the wire. Two Wiegand formats of
 * one length and parity layout (H10302 and H10304) can decode one frame;
 * on a reader that accepts both, a badge of one format cannot be told from
 * a badge of the other. The store keeps no such pair where a reader could
 * see it: badge.issue asks collide_find first, the start and
 * --check-config report pairs that a config change created
 * (collide_scan), and a read that still matches two badges is denied
 * ambiguous_credential, attributed to no one.
 */
#ifndef AEOGATE_COLLIDE_H
#define AEOGATE_COLLIDE_H

#include <stddef.h>

#include "aeogate/config.h"
#include "aeogate/limits.h"

struct store;

/* Room for the readers' names in a message; a longer list ends in "...". */
#define COLLIDE_READERS_TEXT 256

/* An enrolled badge that a credential cannot be told apart from. */
struct collision {
	char credential[AEOGATE_CREDENTIAL_MAX + 1]; /* the enrolled badge */
	char person[AEOGATE_ID_MAX + 1];	     /* its holder */
	char readers[COLLIDE_READERS_TEXT];	     /* readers accepting both, ", "-separated */
};

/*
 * The enrolled badges (of any status: a revoked badge's holder would still
 * be named) whose frame equals credential's on a configured reader that
 * accepts both formats. Writes at most max and returns how many, or
 * negative errno from the store. A uid: or malformed credential has none.
 */
int collide_find(const struct config *cfg, struct store *s, const char *credential,
		 struct collision *ret, size_t max);

/*
 * collide_find over badges kept elsewhere (an import's file): lookup says
 * whether a badge is enrolled there, 1 with its holder in person (len
 * bytes), 0 when not, or negative errno.
 */
typedef int (*collide_lookup_fn)(void *userdata, const char *credential, char *person, size_t len);
int collide_find_in(const struct config *cfg, const char *credential, collide_lookup_fn lookup,
		    void *userdata, struct collision *ret, size_t max);

/*
 * Calls cb once per colliding pair of enrolled badges (a before b in id
 * order). Reads only badges of formats that some reader pairs with another
 * format of the same frame, so a site without such a reader pays nothing.
 * cb returns 0 to go on. Returns the number of pairs, or negative errno.
 */
int collide_scan(const struct config *cfg, struct store *s,
		 int (*cb)(const char *a, const char *person_a, const struct collision *b,
			   void *userdata),
		 void *userdata);

/*
 * The start's and --check-config's report: one warning per colliding pair
 * (and one when the badges cannot be checked), handed to log with a
 * syslog LOG_* priority. Only mains log: log is theirs.
 */
void collide_warn(const struct config *cfg, struct store *s,
		  void (*log)(void *userdata, int priority, const char *line), void *userdata);

#endif
