/* SPDX-License-Identifier: MIT */
/*
 * Expiry warnings (README "Expiry warnings"): once a day and at start, one
 * expiry.warning event per person or badge whose validity, or person whose
 * vetting re-check, falls due within [policy] expiry_warning_days, at most
 * once per item and due date, also across restarts (schema 11). A run
 * goes in steps of AEOGATE_EXPIRY_STEP_ITEMS items, each one transaction
 * with its events; between steps the loop serves the doors.
 */
#ifndef AEOGATE_EXPIRY_H
#define AEOGATE_EXPIRY_H

struct core;
struct expiry;

/* days 0: warnings are off (expiry_step does nothing). -ENOMEM. */
int expiry_new(struct core *c, unsigned days, struct expiry **ret);
void expiry_free(struct expiry *x); /* accepts NULL */

/*
 * One step of a run: warns of at most AEOGATE_EXPIRY_STEP_ITEMS items not
 * yet warned of. Returns 1 when more may be due (call again soon), 0 when
 * the run is done, or negative errno (-EBUSY while events wait for
 * storage; the items are warned of at a later step).
 */
int expiry_step(struct expiry *x);

#endif
