/* SPDX-License-Identifier: MIT */
/* Interlock: a door of a group is held locked while another of the group is open or released. */
#include <string.h>

#include "interlock.h"
#include "policy.h"

enum reason rule_interlock(const struct policy_facts *f)
{
	return f->interlock_held ? REASON_INTERLOCK : REASON_NONE;
}

ptrdiff_t interlock_holder(const struct interlock_door *doors, size_t n, size_t i)
{
	const char *group = i < n ? doors[i].group : NULL;

	if (!group || !group[0])
		return -1;
	for (size_t j = 0; j < n; j++) {
		if (j == i || !doors[j].group || strcmp(doors[j].group, group))
			continue;
		if (doors[j].open || doors[j].released)
			return (ptrdiff_t)j;
	}
	return -1;
}

enum interlock_rex interlock_rex_step(int64_t since_ms, bool held, int64_t now_ms, int64_t wait_ms)
{
	if (!held)
		return INTERLOCK_REX_OPEN;
	return now_ms - since_ms >= wait_ms ? INTERLOCK_REX_DROP : INTERLOCK_REX_WAIT;
}
