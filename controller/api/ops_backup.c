/* SPDX-License-Identifier: MIT */
/*
 * backup.stream: an online backup of the database, streamed to the
 * client (aeogatectl backup FILE). The copy is made on the stream's thread
 * (audit_backup_copy: its own read-only connection, one snapshot, small
 * steps) into a temporary file beside the database, then sent as the
 * stream's frames; the trailer names the seq and the checkpoint that signs
 * it, and the loop records a system.backup event.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit.h"
#include "core.h"
#include "ops.h"
#include "store.h"

#define ROLES_BACKUP (ROLE_ADMIN | ROLE_LOCAL)
/* Frames of 1 MiB: well under AEOGATE_EXPORT_FRAME_MAX, few enough syscalls. */
#define BACKUP_FRAME_BYTES (1024 * 1024)

struct backup_job {
	struct core *core;
	struct audit *audit; /* its key only, on the thread */
	char db_path[PATH_MAX];
	char tmp_path[PATH_MAX + 32];
	int64_t now_ms;
	struct checkpoint cp;
	int64_t bytes;
	char what[256];
};

static int send_file(struct backup_job *j, struct ctl_stream *st)
{
	char *buf = malloc(BACKUP_FRAME_BYTES);
	int fd = open(j->tmp_path, O_RDONLY | O_CLOEXEC), r = 0;
	ssize_t n;

	if (!buf || fd < 0) {
		r = buf ? -errno : -ENOMEM;
		snprintf(j->what, sizeof(j->what), "the copy: %s", strerror(-r));
		goto out;
	}
	while ((n = read(fd, buf, BACKUP_FRAME_BYTES)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			snprintf(j->what, sizeof(j->what), "the copy: %s", strerror(-r));
			break;
		}
		if ((r = ctl_stream_write(st, buf, (size_t)n)) < 0)
			break;
		j->bytes += n;
	}
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	return r;
}

static int backup_job_copy_and_send(struct backup_job *j, struct ctl_stream *st);

/*
 * The whole stream holds the WAL pin (store_wal_pin), not only the copy's
 * snapshot: sending the 1 MiB frames and unlinking the copy keep the disk
 * busy for as long again, and a checkpoint the writer ran itself then
 * waited behind that I/O inside a decision (traced: fdatasync of the
 * database on the loop's thread, 100-200 ms, after the snapshot was let go).
 * The checkpoint thread still copies the WAL meanwhile.
 */
static int backup_job_run(void *job, struct ctl_stream *st)
{
	struct backup_job *j = job;
	struct store *s = core_store(j->core);
	int r;

	store_wal_pin(s);
	r = backup_job_copy_and_send(j, st);
	store_wal_unpin(s);
	return r;
}

static int backup_job_copy_and_send(struct backup_job *j, struct ctl_stream *st)
{
	json_t *res;
	int fd, r;

	snprintf(j->tmp_path, sizeof(j->tmp_path), "%s.backup-XXXXXX", j->db_path);
	fd = mkostemp(j->tmp_path, O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		snprintf(j->what, sizeof(j->what), "a temporary file beside the database: %s",
			 strerror(-r));
		j->tmp_path[0] = '\0';
		return r;
	}
	close(fd);
	r = audit_backup_copy(j->audit, j->db_path, j->tmp_path, j->now_ms, NULL, NULL, &j->cp,
			      j->what, sizeof(j->what));
	if (r < 0)
		goto out;
	res = json_pack("{s:I,s:s,s:s}", "seq", (json_int_t)j->cp.seq, "hash", j->cp.hash, "key_id",
			j->cp.key_id);
	r = res ? ctl_stream_reply(st, res) : -ENOMEM;
	json_decref(res);
	if (r >= 0)
		r = send_file(j, st);
out:
	/* Here, not on the loop: unlinking a large file can take the file system a while. */
	unlink(j->tmp_path);
	j->tmp_path[0] = '\0';
	return r;
}

static json_t *backup_job_finish(void *job, int r, const char **ret_code, char *msg, size_t len)
{
	struct backup_job *j = job;
	char detail[256];
	struct event e = {.kind = "system.backup", .detail = detail};

	if (r < 0) {
		*ret_code = r == -ENOSPC || r == -EIO ? "unavailable" : "internal";
		if (r == -EPIPE || r == -ETIMEDOUT)
			snprintf(msg, len, "the client stopped reading the backup");
		else if (r == -ECANCELED)
			snprintf(msg, len, "aeogated is stopping");
		else
			snprintf(msg, len, "backup failed: %s (%s)", j->what[0] ? j->what : "copy",
				 strerror(-r));
		return NULL;
	}
	snprintf(detail, sizeof(detail),
		 "{\"bytes\":%" PRId64 ",\"key_id\":\"%s\",\"seq\":%" PRId64 ",\"to\":\"client\"}",
		 j->bytes, j->cp.key_id, j->cp.seq);
	(void)core_emit(j->core, &e);
	return json_pack("{s:I,s:I,s:s,s:s,s:I,s:s}", "seq", (json_int_t)j->cp.seq, "bytes",
			 (json_int_t)j->bytes, "hash", j->cp.hash, "key_id", j->cp.key_id,
			 "checkpoint_ts_ms", (json_int_t)j->cp.ts_ms, "signature", j->cp.signature);
}

static void backup_job_free(void *job)
{
	struct backup_job *j = job;

	if (j->tmp_path[0])
		unlink(j->tmp_path);
	free(j);
}

static const struct ctl_stream_ops backup_stream_ops = {
    .run = backup_job_run,
    .finish = backup_job_finish,
    .free = backup_job_free,
};

static int op_backup_stream(struct ctl_request *req, json_t **ret)
{
	struct core *c = req->userdata;
	const char *path = store_path(core_store(c));
	struct backup_job *j;
	int r;

	if (!path[0])
		return ctl_fail(req, "failed_precondition", "the database is in memory");
	j = calloc(1, sizeof(*j));
	if (!j)
		return ctl_fail(req, "internal", "out of memory");
	j->core = c;
	j->audit = core_audit(c);
	j->now_ms = core_wall_ms(c);
	snprintf(j->db_path, sizeof(j->db_path), "%s", path);
	r = ctl_stream_start(req, &backup_stream_ops, j);
	if (r < 0) {
		free(j);
		if (r == -EBUSY)
			return ctl_fail(req, "unavailable",
					"%d streams run already; try again when one is done",
					AEOGATE_EXPORT_STREAMS_MAX);
		return ctl_fail(req, "internal", "cannot start the backup: %s", strerror(-r));
	}
	*ret = NULL;
	return 0;
}

const struct ctl_op ops_backup[] = {
    {"backup.stream", ROLES_BACKUP, op_backup_stream},
    {0},
};
