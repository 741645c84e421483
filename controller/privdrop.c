/* SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "privdrop.h"

int privdrop_prepare(const struct config *cfg, struct privdrop *pd, char *err, size_t errlen)
{
	struct passwd *pw;
	struct group *gr;

	memset(pd, 0, sizeof(*pd));
	if (geteuid() != 0 || cfg->allow_root)
		return 0;
	errno = 0;
	pw = getpwnam(cfg->user);
	if (!pw) {
		snprintf(err, errlen,
			 "running as root: user '%s' ([controller] user) does not exist; create it "
			 "(systemd-sysusers, the package does) or set allow_root = true",
			 cfg->user);
		return -ENOENT;
	}
	pd->uid = pw->pw_uid;
	snprintf(pd->user, sizeof(pd->user), "%s", pw->pw_name);
	gr = getgrnam(cfg->group);
	if (!gr) {
		snprintf(err, errlen,
			 "running as root: group '%s' ([controller] group) does not exist; create "
			 "it or set allow_root = true",
			 cfg->group);
		return -ENOENT;
	}
	pd->gid = gr->gr_gid;
	if (pd->uid == 0) {
		snprintf(err, errlen,
			 "[controller] user '%s' is root: set allow_root = true to run as root",
			 cfg->user);
		return -EPERM;
	}
	pd->drop = true;
	return 0;
}

/* The directory and its entries (one level: aeogated keeps no subdirectories there). */
static int chown_state(const char *dir, uid_t uid, gid_t gid, char *err, size_t errlen)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int r = 0;

	if (!d) {
		r = -errno;
		snprintf(err, errlen, "%s: %s", dir, strerror(-r));
		return r;
	}
	if (fchown(dirfd(d), uid, gid) < 0)
		r = -errno;
	while (r == 0 && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (fchownat(dirfd(d), de->d_name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
			r = -errno;
	}
	if (r < 0)
		snprintf(err, errlen, "%s: cannot give it to the service user: %s", dir,
			 strerror(-r));
	closedir(d);
	return r;
}

int privdrop_apply(const struct privdrop *pd, const char *state_dir, const char *socket_path,
		   char *err, size_t errlen)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg;
	int r;

	if (!pd->drop)
		return 0;
	r = chown_state(state_dir, pd->uid, pd->gid, err, errlen);
	if (r < 0)
		return r;
	/* Its group stays (the admin group's access); only the owner changes. */
	if (lchown(socket_path, pd->uid, (gid_t)-1) < 0) {
		r = -errno;
		snprintf(err, errlen, "%s: %s", socket_path, strerror(-r));
		return r;
	}
	if (initgroups(pd->user, pd->gid) < 0 || setresgid(pd->gid, pd->gid, pd->gid) < 0 ||
	    setresuid(pd->uid, pd->uid, pd->uid) < 0) {
		r = -errno;
		snprintf(err, errlen, "cannot run as %s: %s", pd->user, strerror(-r));
		return r;
	}
	/* For good: no way back to root. */
	if (getresuid(&ru, &eu, &su) < 0 || getresgid(&rg, &eg, &sg) < 0 || ru != pd->uid ||
	    eu != pd->uid || su != pd->uid || rg != pd->gid || eg != pd->gid || sg != pd->gid ||
	    setuid(0) == 0) {
		snprintf(err, errlen, "still privileged after dropping to %s", pd->user);
		return -EPERM;
	}
	return 0;
}
