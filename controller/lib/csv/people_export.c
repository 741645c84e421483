// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "csvio.h"
#include "people_csv.h"
#include "people_export.h"
#include "util.h"

/* A time as the file gives it: the date alone at midnight UTC, else the full time. */
static void cell_time(const json_t *v, char *buf, size_t len)
{
	int64_t ms;

	buf[0] = '\0';
	if (!json_is_string(v) || time_parse_ms(json_string_value(v), &ms) < 0)
		return;
	time_format_ms(ms, buf, len);
	if (ms % (24LL * 3600 * 1000) == 0 && len > 10)
		buf[10] = '\0';
}

/* The items of an array of strings, joined by the list separator. */
static char *cell_list(const json_t *arr)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	const json_t *v;
	size_t i;

	if (!m)
		return NULL;
	json_array_foreach(arr, i, v)
	{
		if (i)
			fputc(PEOPLE_CSV_LIST_SEP, m);
		fputs(json_string_value(v) ?: "", m);
	}
	if (fclose(m) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

int people_export_header(FILE *f)
{
	int r = 0;

	for (int i = 0; r == 0 && i < _PEOPLE_COL_MAX; i++)
		r = csvio_write_field(f, people_csv_column_name(i), i == _PEOPLE_COL_MAX - 1);
	return r;
}

int people_export_row(FILE *f, const json_t *p)
{
	const json_t *vet = json_object_get(p, "vetting");
	char from[32], until[32], checked[32] = "", due[32] = "";
	char *levels = cell_list(json_object_get(p, "levels"));
	char *creds = cell_list(json_object_get(p, "credentials"));
	const char *cells[_PEOPLE_COL_MAX];
	int r = 0;

	if (!levels || !creds) {
		free(levels);
		free(creds);
		return -ENOMEM;
	}
	cell_time(json_object_get(p, "valid_from"), from, sizeof(from));
	cell_time(json_object_get(p, "valid_until"), until, sizeof(until));
	cells[PEOPLE_COL_ID] = json_string_value(json_object_get(p, "id"));
	cells[PEOPLE_COL_NAME] = json_string_value(json_object_get(p, "name"));
	cells[PEOPLE_COL_VALID_FROM] = from;
	cells[PEOPLE_COL_VALID_UNTIL] = until;
	cells[PEOPLE_COL_LEVELS] = levels;
	cells[PEOPLE_COL_CREDENTIALS] = creds;
	cells[PEOPLE_COL_VETTING_STATUS] = json_string_value(json_object_get(vet, "status"));
	cell_time(json_object_get(vet, "checked"), checked, sizeof(checked));
	cell_time(json_object_get(vet, "recheck_due"), due, sizeof(due));
	cells[PEOPLE_COL_VETTING_CHECKED] = checked;
	cells[PEOPLE_COL_VETTING_RECHECK_DUE] = due;
	cells[PEOPLE_COL_VETTING_REFERENCE] = json_string_value(json_object_get(vet, "reference"));
	for (int i = 0; r == 0 && i < _PEOPLE_COL_MAX; i++)
		r = csvio_write_field(f, cells[i], i == _PEOPLE_COL_MAX - 1);
	free(levels);
	free(creds);
	return r;
}
