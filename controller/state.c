/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "state.h"

int state_mkdir_parents(const char *path, mode_t mode)
{
	char buf[PATH_MAX];

	if (strlen(path) >= sizeof(buf))
		return -ENAMETOOLONG;
	strcpy(buf, path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/* SQLite gives its -wal and -shm files the database's own mode. */
int state_check_private(const char *db_path, char *err, size_t errlen)
{
	static const char *const suffixes[] = {"", "-wal", "-shm"};
	char path[PATH_MAX + 32];
	struct stat st;

	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		snprintf(path, sizeof(path), "%s%s", db_path, suffixes[i]);
		if (stat(path, &st) < 0) {
			if (errno == ENOENT)
				continue;
			int r = -errno;

			snprintf(err, errlen, "%s: %s", path, strerror(-r));
			return r;
		}
		if (st.st_mode & (S_IRWXO | S_IWGRP)) {
			snprintf(err, errlen,
				 "%s is mode %03o: others may read it (or its group write it); "
				 "chmod 640 it",
				 path, (unsigned)(st.st_mode & 0777));
			return -EPERM;
		}
	}
	return 0;
}

void state_socket_dir_create(const char *socket_path)
{
	char sockdir[PATH_MAX];
	char *slash;

	snprintf(sockdir, sizeof(sockdir), "%s", socket_path);
	slash = strrchr(sockdir, '/');
	if (slash && slash != sockdir) {
		*slash = '\0';
		(void)state_mkdir_parents(sockdir, 0755);
	}
}
