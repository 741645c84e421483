/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "reserve.h"

/* The unstored count: one fixed-width decimal line, rewritten in place. */
#define OWED_WIDTH 20
#define OWED_BYTES (OWED_WIDTH + 1)

struct reserve {
	int dir_fd;
	int fd;	     /* STATE_DIR/reserve, -1 when none is wanted */
	int owed_fd; /* STATE_DIR/unstored */
	uint64_t wanted, held, owed;
};

static int allocate(struct reserve *r)
{
	int e;

	/* posix_fallocate returns the error; it never sets errno. */
	e = posix_fallocate(r->fd, 0, (off_t)r->wanted);
	if (e) {
		(void)!ftruncate(r->fd, 0);
		r->held = 0;
		return -e;
	}
	r->held = r->wanted;
	return 0;
}

static int owed_read(int fd, uint64_t *ret)
{
	char buf[OWED_BYTES + 1];
	ssize_t n = pread(fd, buf, OWED_BYTES, 0);
	char *end;

	if (n < 0)
		return -errno;
	buf[n] = '\0';
	*ret = 0;
	if (n == 0)
		return 0;
	errno = 0;
	*ret = strtoull(buf, &end, 10);
	/* A torn or foreign file counts nothing rather than a made-up number. */
	if (errno || (*end != '\n' && *end != ' ' && *end != '\0'))
		*ret = 0;
	return 0;
}

int reserve_set_owed(struct reserve *r, uint64_t owed)
{
	char buf[OWED_BYTES + 1];

	if (!r || r->owed_fd < 0)
		return -EBADF;
	if (owed == r->owed)
		return 0;
	snprintf(buf, sizeof(buf), "%*" PRIu64 "\n", OWED_WIDTH, owed);
	if (pwrite(r->owed_fd, buf, OWED_BYTES, 0) != OWED_BYTES)
		return errno ? -errno : -EIO;
	r->owed = owed;
	return 0;
}

int reserve_open(const char *dir, uint64_t bytes, struct reserve **ret, uint64_t *ret_owed)
{
	struct reserve *r = calloc(1, sizeof(*r));
	int e, err = 0;

	if (!r)
		return -ENOMEM;
	r->fd = r->owed_fd = -1;
	r->wanted = bytes;
	r->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (r->dir_fd < 0)
		goto err_errno;
	r->owed_fd = openat(r->dir_fd, "unstored", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (r->owed_fd < 0)
		goto err_errno;
	e = owed_read(r->owed_fd, &r->owed);
	if (e < 0) {
		err = e;
		goto err_free;
	}
	*ret_owed = r->owed;
	/* Its block is allocated now, while there is room, and only ever overwritten. */
	e = posix_fallocate(r->owed_fd, 0, OWED_BYTES);
	if (e && e != ENOSPC) {
		err = -e;
		goto err_free;
	}
	if (bytes == 0) {
		if (unlinkat(r->dir_fd, "reserve", 0) < 0 && errno != ENOENT)
			goto err_errno;
		*ret = r;
		return 0;
	}
	r->fd = openat(r->dir_fd, "reserve", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (r->fd < 0)
		goto err_errno;
	*ret = r;
	return allocate(r);

err_errno:
	err = -errno;
err_free:
	reserve_free(r);
	return err;
}

void reserve_free(struct reserve *r)
{
	if (!r)
		return;
	if (r->fd >= 0)
		close(r->fd);
	if (r->owed_fd >= 0)
		close(r->owed_fd);
	if (r->dir_fd >= 0)
		close(r->dir_fd);
	free(r);
}

uint64_t reserve_release(struct reserve *r)
{
	uint64_t freed;

	if (!r || r->fd < 0 || r->held == 0)
		return 0;
	if (ftruncate(r->fd, 0) < 0)
		return 0;
	freed = r->held;
	r->held = 0;
	return freed;
}

int64_t reserve_free_bytes(const struct reserve *r)
{
	struct statvfs st;

	if (!r || fstatvfs(r->dir_fd, &st) < 0)
		return -errno;
	return (int64_t)((uint64_t)st.f_bavail * st.f_frsize);
}

int reserve_restore(struct reserve *r)
{
	int64_t avail;
	int e;

	if (!r || r->fd < 0 || r->held == r->wanted)
		return 1;
	avail = reserve_free_bytes(r);
	if (avail < 0)
		return (int)avail;
	/* Room for the reserve and as much again, or the next event would fail at once. */
	if ((uint64_t)avail < 2 * r->wanted)
		return 0;
	e = allocate(r);
	if (e == -ENOSPC)
		return 0;
	return e < 0 ? e : 1;
}

uint64_t reserve_held(const struct reserve *r)
{
	return r ? r->held : 0;
}

uint64_t reserve_wanted(const struct reserve *r)
{
	return r ? r->wanted : 0;
}
