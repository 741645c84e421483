/* SPDX-License-Identifier: MIT */
/* The roles a control-socket request is made with: the socket, the ops and the users share them. */
#ifndef AEOGATE_ROLES_H
#define AEOGATE_ROLES_H

/*
 * Who is asking. A request without a token from a local peer that is root
 * or in the aeogate-admin group is ROLE_LOCAL (everything). A request with
 * a token has the role of the token's user, whoever the peer is. Any other
 * peer may only call ops that allow ROLE_ANON (auth.login).
 */
enum {
	ROLE_ANON = 1u << 0,
	ROLE_GUARD = 1u << 1,
	ROLE_MANAGER = 1u << 2,
	ROLE_AUDITOR = 1u << 3,
	ROLE_ADMIN = 1u << 4,
	ROLE_LOCAL = 1u << 5,
};

#define ROLES_SIGNED_IN (ROLE_GUARD | ROLE_MANAGER | ROLE_AUDITOR | ROLE_ADMIN | ROLE_LOCAL)
#define ROLES_MANAGE	(ROLE_MANAGER | ROLE_ADMIN | ROLE_LOCAL)
/* Who answers what happens at the doors: alarms, a remote unlock. Not the read-only auditor. */
#define ROLES_RESPOND (ROLE_GUARD | ROLE_MANAGER | ROLE_ADMIN | ROLE_LOCAL)

/* "guard", "manager", "auditor", "admin" → role bit; 0 when unknown. */
unsigned role_from_string(const char *s);
const char *role_to_string(unsigned role);

#endif
