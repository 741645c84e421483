/* SPDX-License-Identifier: MIT */
/* Shared by the fuzz targets: a check that survives NDEBUG builds. */
#ifndef AEOGATE_FUZZ_H
#define AEOGATE_FUZZ_H

#include <stdio.h>
#include <stdlib.h>

#define CHECK(x)                                                                         \
	do {                                                                             \
		if (!(x)) {                                                              \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #x); \
			abort();                                                         \
		}                                                                        \
	} while (0)

#endif
