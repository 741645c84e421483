/* SPDX-License-Identifier: MIT */
/*
 * The floor a figure is read against, measured in the same run on the same
 * disk: what bare SQLite costs for the work a decision or an event cannot
 * avoid. Not the product's code: plain sqlite3 calls, SQLite's defaults
 * except the journal mode and synchronous setting the product uses, and
 * appends checkpoint the WAL at the size where aeogated's writer does it
 * itself (AEOGATE_WAL_CHECKPOINT_INLINE_PAGES; it has a thread for the rest).
 */
#ifndef AEOGATE_BENCH_FLOOR_H
#define AEOGATE_BENCH_FLOOR_H

#include <stdint.h>

/*
 * A floor run. db: a database grown by aeogate-bench-gen, opened read-only,
 * whose badges are looked up by primary key (NULL: no lookups). scratch: a
 * database file the floor creates, appends to and removes, beside the
 * product's so that it is on the same disk; its WAL and synchronous setting
 * follow durability ("normal" or "full").
 */
struct floor {
	const char *db;
	uint64_t persons; /* badges in db: h10301:(1 + i / 65536):(i % 65536) */
	const char *scratch;
	const char *durability;
};

/*
 * n bare primary-key lookups of a random generated badge in db; the time of
 * each, in ns, into ns[0..n). 0, or -1 with the reason on stderr (also
 * when a lookup finds nothing: the data is not what the bench expects).
 */
int floor_lookup(const struct floor *f, uint64_t n, uint64_t *ns);

/*
 * n transactions of: one lookup as above (none when db is NULL), then one
 * small row appended to the scratch database, committed. The time of each
 * into ns[0..n).
 */
int floor_lookup_append(const struct floor *f, uint64_t n, uint64_t *ns);

/*
 * n transactions of what a granted decision writes, in bare SQLite: the
 * badge and its person looked up in db, then one event row, the person's
 * location and their entry into the zone written to the scratch database,
 * committed. The scratch tables and their indexes are created from db's
 * own schema (events, person_locations, zone_entries), so every index
 * entry the product keeps per decision is paid here too; they start empty,
 * so their B-trees are shallower than db's. The time of each into
 * ns[0..n). Needs db.
 */
int floor_decision_rows(const struct floor *f, uint64_t n, uint64_t *ns);

#endif
