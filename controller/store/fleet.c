/* SPDX-License-Identifier: MIT */
/* The office's signed messages taken: change-set versions and command ids (schema 25). */
#include <errno.h>

#include "aeogate/limits.h"

#include "store-internal.h"

const char *const store_fleet_sql[_ST_MAX] = {
    [ST_SYNC_APPLIED_GET] = "SELECT version FROM sync_applied WHERE site = ?1",
    [ST_SYNC_APPLIED_SET] =
	"INSERT INTO sync_applied(site, version, signer, applied_ms, seq) VALUES (?1, ?2, ?3, ?4, "
	"?5) "
	"ON CONFLICT(site) DO UPDATE SET version = excluded.version, signer = excluded.signer, "
	"applied_ms = excluded.applied_ms, seq = excluded.seq",
    [ST_SYNC_COMMAND_ADD] = "INSERT INTO sync_commands(id, issued_ms, seen_ms) VALUES (?1, ?2, ?3)",
    [ST_SYNC_COMMANDS_EXPIRE] = "DELETE FROM sync_commands WHERE seen_ms < ?1",
    /* Keeps the newest ?1 ids. */
    [ST_SYNC_COMMANDS_TRIM] = "DELETE FROM sync_commands WHERE id IN (SELECT id FROM sync_commands "
			      "ORDER BY seen_ms DESC, id DESC LIMIT -1 OFFSET ?1)",
};

int store_sync_applied_get(struct store *s, const char *site, int64_t *ret_version)
{
	int64_t v = 0;
	int r = stmt_get(s, &int_row, &v, ST_SYNC_APPLIED_GET, "t", site);

	if (r < 0)
		return r;
	*ret_version = r ? v : 0; /* no row: nothing applied yet */
	return 0;
}

int store_sync_applied_set(struct store *s, const char *site, int64_t version, const char *signer,
			   int64_t now_ms, int64_t seq)
{
	if (version < 1)
		return store_fail(s, -EINVAL, "change-set version %lld", (long long)version);
	return stmt_run(s, ST_SYNC_APPLIED_SET, "tiiii", site, version, signer, now_ms, seq);
}

int store_sync_command_take(struct store *s, const char *id, int64_t issued_ms, int64_t now_ms)
{
	int r = stmt_run(s, ST_SYNC_COMMANDS_EXPIRE, "i", now_ms - AEOGATE_COMMAND_IDS_KEEP_MS);

	if (r == 0)
		r = stmt_run(s, ST_SYNC_COMMAND_ADD, "tii", id, issued_ms, now_ms);
	if (r == 0)
		r = stmt_run(s, ST_SYNC_COMMANDS_TRIM, "i", (int64_t)AEOGATE_COMMAND_IDS_MAX);
	return r;
}
