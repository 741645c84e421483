/* SPDX-License-Identifier: MIT */
/*
 * Dashboard users and their sessions. Users live in the store with argon2id
 * password hashes; sessions live only in memory as hashes of random tokens,
 * in a bounded table with idle and absolute expiry on the monotonic clock.
 * Failed logins are throttled per account and per source (docs/web.md,
 * "Sign-in throttling"), on the wall clock, and the streaks are kept in the
 * store across restarts. Every attempt, and every change to a user, is an
 * event.
 *
 * Errors are negative errno: -EINVAL a malformed name, role or password
 * (see users_password_check), -EEXIST a taken name, -ENOENT no such user,
 * -EACCES wrong credentials or an unknown or expired token, -EBUSY the
 * account's delay is running, or a wrong password came from a source whose
 * delay is running (retry later), -ENOSPC the session table
 * is full, -EIO or other store errors as the store reports them.
 */
#ifndef AEOGATE_USERS_H
#define AEOGATE_USERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aeogate/event.h"
#include "aeogate/limits.h"
#include "aeogate/roles.h"

struct core;
struct store;
struct users;

/* What the users module needs from the controller; tests inject their own. */
struct users_env {
	struct store *(*store)(void *userdata);
	int (*emit)(void *userdata, struct event *e);
	int64_t (*mono_ms)(void *userdata);
	int64_t (*wall_ms)(void *userdata);
	void *userdata;
};

/* Session token as text: 32 random bytes in lower-case hex. */
#define USERS_TOKEN_HEX 65

struct users_session {
	char token[USERS_TOKEN_HEX]; /* only filled in by users_login_finish */
	char user[AEOGATE_ID_MAX + 1];
	unsigned role;		/* one ROLE_* bit */
	int64_t idle_expires_s; /* seconds from now */
	int64_t absolute_expires_s;
};

/* Both return NULL when out of memory. */
struct users *users_new(struct core *c);
struct users *users_new_env(const struct users_env *env);
void users_free(struct users *u); /* accepts NULL */

/* 0 when the password is acceptable, -EINVAL (too short or too long) otherwise. */
int users_password_check(const char *password);

/* Adds a user; role is ROLE_GUARD, _MANAGER, _AUDITOR or _ADMIN. */
int users_add(struct users *u, const char *name, unsigned role, const char *password,
	      const char *operator_id);
int users_set_disabled(struct users *u, const char *name, bool disabled, const char *operator_id);
int users_set_password(struct users *u, const char *name, const char *password,
		       const char *operator_id);

/*
 * users_add and users_set_password in three steps, as a sign-in, so the
 * argon2 hash of the new password (tens of milliseconds) can be computed on
 * the worker thread while the loop keeps deciding: begin (loop: the checks,
 * a taken name -EEXIST, an unknown user -ENOENT, a bad password -EINVAL),
 * hash (any thread: touches only the job), finish (loop: the store, the
 * event, the sessions dropped; exactly once after a 0 from begin). The job
 * holds the password until hash or finish wipes it.
 */
struct users_pwjob {
	char name[AEOGATE_ID_MAX + 1];
	unsigned role; /* users_add_begin's; 0 for a password change */
	char operator_id[96];
	bool has_operator;
	char password[AEOGATE_PASSWORD_MAX_BYTES + 1];
	char pwhash[256];
	int r; /* the hash's result */
};

int users_add_begin(struct users *u, const char *name, unsigned role, const char *password,
		    const char *operator_id, struct users_pwjob *job);
int users_passwd_begin(struct users *u, const char *name, const char *password,
		       const char *operator_id, struct users_pwjob *job);
void users_pwjob_hash(struct users_pwjob *job);
int users_pwjob_finish(struct users *u, struct users_pwjob *job);

/*
 * Checks a username and password, in three steps, so the argon2
 * verification (tens of milliseconds) can run on a worker thread while the
 * loop keeps deciding: begin (loop: validation, throttling, the user's
 * hash), verify (any thread: touches only the job), finish (loop: throttle
 * accounting, the session, the event). source names where the attempt came
 * from (the client address aeogate-web asserts, or "uid:N" for any other
 * peer; NULL for none).
 *
 * begin: -EINVAL for a malformed name, password or source, -EBUSY while
 * throttled with *ret_retry_after_s set, other negative errno from the store. After a 0 from begin,
 * finish must be called exactly once. finish fills *ret with a new session; -EACCES for any wrong
 * credential (unknown user, bad password, disabled: the caller cannot tell which), -EBUSY (a wrong
 * password from a delayed source) with job->retry_after_s set. A correct password is refused only
 * while its own account's delay runs, never because of other accounts'
 * failures from the same source. The job holds the password until verify
 * or finish wipes it.
 */
struct users_login {
	char name[AEOGATE_ID_MAX + 1];
	char source[AEOGATE_LOGIN_SOURCE_MAX + 1];
	bool has_source;
	char password[AEOGATE_PASSWORD_MAX_BYTES + 1];
	char pwhash[256];
	char role[16];
	bool known, disabled, ok, verified;
	/*
	 * Set after begin: the password is only checked (a user changing their
	 * own confirms the current one). Failures count and are recorded as a
	 * sign-in's; success opens no session, records nothing, ret is unused.
	 */
	bool check_only;
	int64_t retry_after_s; /* set when finish returns -EBUSY */
};

int users_login_begin(struct users *u, const char *name, const char *password,
		      const char *source, struct users_login *job, int64_t *ret_retry_after_s);
void users_login_verify(struct users_login *job);
int users_login_finish(struct users *u, struct users_login *job, struct users_session *ret);

/* The worker thread password checks run on (worker.h); NULL runs them inline. */
struct worker;
void users_set_worker(struct users *u, struct worker *w);
struct worker *users_worker(struct users *u);

/* Ends the session of token; -EACCES when there is none. */
int users_logout(struct users *u, const char *token, const char *source);

/* Looks a token up and refreshes its idle expiry; -EACCES when unknown or expired. */
int users_session_get(struct users *u, const char *token, struct users_session *ret);

/* ctl_auth_fn for the control socket: operator is "user:NAME". */
int users_token_resolve(void *users, const char *token, unsigned *ret_role, char *ret_operator,
			size_t len);

/* Live sessions, for tests and status. */
size_t users_session_count(struct users *u);

#endif
