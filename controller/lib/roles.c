/* SPDX-License-Identifier: MIT */
#include <string.h>

#include "aeogate/roles.h"

static const char *const role_names[] = {"anonymous", "guard", "manager",
					 "auditor",   "admin", "local"};

unsigned role_from_string(const char *s)
{
	if (!s)
		return 0;
	for (unsigned i = 1; i <= 4; i++)
		if (strcmp(s, role_names[i]) == 0)
			return 1u << i;
	return 0;
}

const char *role_to_string(unsigned role)
{
	for (unsigned i = 0; i < sizeof(role_names) / sizeof(role_names[0]); i++)
		if (role == 1u << i)
			return role_names[i];
	return "unknown";
}
