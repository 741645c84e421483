/* SPDX-License-Identifier: MIT */
#include <string.h>

#include "people_csv.h"

static const char *const names[_PEOPLE_COL_MAX] = {
    [PEOPLE_COL_ID] = "id",
    [PEOPLE_COL_NAME] = "name",
    [PEOPLE_COL_VALID_FROM] = "valid_from",
    [PEOPLE_COL_VALID_UNTIL] = "valid_until",
    [PEOPLE_COL_LEVELS] = "levels",
    [PEOPLE_COL_CREDENTIALS] = "credentials",
    [PEOPLE_COL_VETTING_STATUS] = "vetting_status",
    [PEOPLE_COL_VETTING_CHECKED] = "vetting_checked",
    [PEOPLE_COL_VETTING_RECHECK_DUE] = "vetting_recheck_due",
    [PEOPLE_COL_VETTING_REFERENCE] = "vetting_reference",
};

const char *people_csv_column_name(enum people_col col)
{
	return (unsigned)col < _PEOPLE_COL_MAX ? names[col] : NULL;
}

int people_csv_column(const char *name)
{
	for (int i = 0; i < _PEOPLE_COL_MAX; i++)
		if (strcmp(name, names[i]) == 0)
			return i;
	return -1;
}

bool people_csv_column_required(enum people_col col)
{
	return (unsigned)col < _PEOPLE_COL_MAX && (PEOPLE_CSV_REQUIRED & (1u << col));
}
