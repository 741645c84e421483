/* SPDX-License-Identifier: MIT */
/*
 * aeogatectl backup FILE: an online backup streamed out of aeogated
 * (backup.stream) into FILE; and the offline database commands, which
 * aeogatectl hands to aeogated's offline modes (it never links SQLite:
 * tests/integration/test_link_lines.sh).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "aeogate/limits.h"
#include "audit_cmds.h"
#include "ctl_client.h"
#include "ctl.h"
#include "print.h"
#include "util.h"

struct copying {
	bool tty, shown;
	int64_t since_ms;
};

/* Each second the copy goes on, on a terminal: it is working, not hung. */
static void copying_tick(void *userdata)
{
	struct copying *c = userdata;

	if (!c->tty)
		return;
	c->shown = true;
	fprintf(stderr, "\r\033[Kbackup: aeogated is copying the database (%llds)",
		(long long)((now_mono_ms() - c->since_ms) / 1000));
	fflush(stderr);
}

int cmd_backup(struct ctl_ctx *ctx, int argc, char **argv)
{
	static const struct ctl_opt opts[] = {CTL_JSON, {0}};
	struct ctl_stream_file f = {.fd = -1};
	struct copying copying = {0};
	struct ctl_parsed o = {0};
	struct ctl_error err = {0};
	json_t *begin = NULL, *res = NULL;
	char tmp[PATH_MAX];
	const char *path;
	int r;

	r = ctl_parse(ctx, argc, argv, opts, 1, "expected one FILE", &o);
	if (r >= 0)
		return r;
	path = o.operands[0];
	if (snprintf(tmp, sizeof(tmp), "%s.tmp-XXXXXX", path) >= (int)sizeof(tmp))
		return ctl_usage_error(ctx, "FILE: path too long");
	/* Answered once the copy is complete: longer than any ordinary reply. */
	copying.tty = isatty(STDERR_FILENO);
	copying.since_ms = now_mono_ms();
	r = ctl_call_wait(ctx, "backup.stream", NULL, AEOGATE_BACKUP_COPY_WAIT_MS, copying_tick,
			  &copying, &begin);
	if (copying.shown)
		fputs("\r\033[K", stderr);
	if (r)
		return r;
	json_decref(begin);
	/* Beside FILE, renamed over it only once complete: never half a backup under its name. */
	f.fd = mkostemp(tmp, O_CLOEXEC);
	if (f.fd < 0)
		return ctl_fail("%s: %m", tmp);
	(void)fchmod(f.fd, 0640);
	r = ctl_client_stream(ctx->client, ctl_stream_file_data, &f, &res, &err);
	if (r == -EIO && f.err) {
		errno = f.err;
		r = ctl_fail("%s: cannot write: %m", path);
		goto err;
	}
	if (r == -EINTR) {
		r = CTL_EXIT_INTERRUPTED;
		goto err;
	}
	if (r < 0) {
		r = ctl_fail("backup.stream: %s", ctl_client_strerror(r));
		goto err;
	}
	if (r > 0) {
		r = ctl_fail("%s: %s", err.code, err.message);
		goto err;
	}
	if (json_integer_value(json_object_get(res, "bytes")) != (json_int_t)f.written) {
		r = ctl_fail("%s: received %llu bytes, aeogated sent %lld", path,
			     (unsigned long long)f.written,
			     (long long)json_integer_value(json_object_get(res, "bytes")));
		goto err;
	}
	if (fsync(f.fd) < 0 || close(f.fd) < 0) {
		f.fd = -1;
		r = ctl_fail("%s: cannot write: %m", path);
		goto err;
	}
	f.fd = -1;
	if (rename(tmp, path) < 0) {
		r = ctl_fail("%s: %m", path);
		goto err;
	}
	if (o.json)
		print_json(stdout, res);
	else
		printf("%s: backup at seq %lld, %llu bytes, signed by a checkpoint of key %s\n",
		       path, (long long)json_integer_value(json_object_get(res, "seq")),
		       (unsigned long long)f.written,
		       json_string_value(json_object_get(res, "key_id")) ?: "?");
	json_decref(res);
	return CTL_EXIT_OK;
err:
	if (f.fd >= 0)
		close(f.fd);
	unlink(tmp);
	json_decref(res);
	return r;
}

/*
 * aeogated, for its offline modes: $AEOGATED, else the one beside this
 * aeogatectl in a build tree (controller/ctl/.. ), else the installed one.
 */
static void daemon_path(char *buf, size_t len)
{
	const char *env = getenv("AEOGATED");
	char self[PATH_MAX];
	ssize_t n;

	if (env && env[0]) {
		snprintf(buf, len, "%s", env);
		return;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		char *slash = strrchr(self, '/');

		if (slash) {
			*slash = '\0';
			snprintf(buf, len, "%s/../aeogated", self);
			if (access(buf, X_OK) == 0)
				return;
		}
	}
	snprintf(buf, len, "/usr/sbin/aeogated");
}

int ctl_run_offline(char *const args[])
{
	char path[PATH_MAX + 16];
	int status;
	pid_t pid;

	daemon_path(path, sizeof(path));
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return ctl_fail("fork: %m");
	if (pid == 0) {
		execv(path, args);
		fprintf(stderr, "aeogatectl: %s: %m\n", path);
		_exit(CTL_EXIT_FAIL);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return ctl_fail("waitpid: %m");
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return ctl_fail("%s died of signal %d", path, WTERMSIG(status));
}

int cmd_restore(struct ctl_ctx *ctx, int argc, char **argv)
{
	enum { STATE_DIR, OTHER_DEVICE };
	static const struct ctl_opt opts[] = {
	    [STATE_DIR] = {"state-dir", CTL_OPT_VALUE},
	    [OTHER_DEVICE] = {"other-device", CTL_OPT_FLAG},
	    {0},
	};
	struct ctl_parsed o = {0};
	char *args[8];
	int r, n = 0;

	r = ctl_parse(ctx, argc, argv, opts, 1, "expected one FILE", &o);
	if (r >= 0)
		return r;
	args[n++] = "aeogated";
	args[n++] = "--restore";
	args[n++] = (char *)o.operands[0];
	if (o.value[STATE_DIR]) {
		args[n++] = "--state-dir";
		args[n++] = (char *)o.value[STATE_DIR];
	}
	if (o.set[OTHER_DEVICE])
		args[n++] = "--other-device";
	args[n] = NULL;
	return ctl_run_offline(args);
}
