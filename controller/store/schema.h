/* SPDX-License-Identifier: MIT */
/* The migrations embedded from schema/NNN_name.sql (generated schema.c). */
#ifndef AEOGATE_SCHEMA_H
#define AEOGATE_SCHEMA_H

#include <stddef.h>

struct schema_migration {
	int version; /* NNN: applied in order, recorded in PRAGMA user_version */
	const char *name;
	const char *sql;
};

extern const struct schema_migration schema_migrations[];
extern const size_t schema_migrations_count;

#endif
