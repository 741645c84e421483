/* SPDX-License-Identifier: MIT */
/*
 * The fleet at a glance, as one JSON value: what `aeogate-hub serve`
 * answers on /api/fleet (README "Many sites"). Built from the store only;
 * it carries no secret (public keys are public, and only their ids are in it).
 */
#ifndef AEOGATE_HUB_FLEET_H
#define AEOGATE_HUB_FLEET_H

#include <jansson.h>
#include <stdint.h>

#include "hub.h"

/*
 * aeogate-hub serve's bounds. A dashboard's GET carries a few hundred
 * bytes of headers; lws refuses a request whose headers pass
 * HUB_SERVE_HEADER_MAX. HUB_SERVE_FDS_MAX connections at once are plenty
 * for a security office's screens behind a proxy.
 */
#define HUB_SERVE_HEADER_MAX 4096
#define HUB_SERVE_FDS_MAX    256

/* Events the controller says it has that the hub has not stored yet (never negative). */
int64_t hub_controller_lag(const struct hub_controller *c);

/*
 * {"generated", "sites": [...], "controllers": [{site, controller, online,
 * state, last_seq, verified_seq, forwarded_seq, lag, applied_version,
 * key_id, checkpoint_seq, open_alarms, status_age_s, status_at}],
 * "alarms": [{site, controller, kind, seq, message, ts}], "totals":
 * {controllers, online, events, alarms}} as of now_ms: 0 with *ret a new
 * reference, or negative errno (the store's, or -ENOMEM).
 */
int hub_fleet_json(struct hub_store *s, int64_t now_ms, json_t **ret);

#endif
