/* SPDX-License-Identifier: MIT */
/* The op tables the control socket serves, and helpers the ops_*.c files share. */
#ifndef AEOGATE_OPS_H
#define AEOGATE_OPS_H

#include <jansson.h>

#include "core.h"
#include "ctlsock.h"
#include "store.h"

extern const struct ctl_op ops_admin[];  /* persons, badges, levels, zones */
extern const struct ctl_op ops_door[];   /* doors, readers, the simulator */
extern const struct ctl_op ops_events[]; /* events, status */

/* Fails the request with the code a store error maps to. */
int ops_store_error(struct ctl_request *req, int r, const char *what);

/* A change and its admin-trail event, in one transaction. */
int ops_begin(struct ctl_request *req, struct core *c);
void ops_abort(struct core *c);
int ops_commit(struct ctl_request *req, struct core *c, struct event *e, json_t *detail);

json_t *ops_person_json(struct store *s, const struct person *p);
json_t *ops_credential_json(const struct credential *cr);

/* When the controller started, for system.status. */
void ops_events_set_started(int64_t ms);

#endif
