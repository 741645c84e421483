/* SPDX-License-Identifier: MIT */
/* Control-socket ops for dashboard users and sessions (docs/control-socket.md). */
#include <errno.h>
#include <jansson.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "ctlsock.h"
#include "ops.h"
#include "store.h"
#include "users.h"
#include "util.h"
#include "worker.h"

#define ROLES_USERS_ADMIN (ROLE_ADMIN | ROLE_LOCAL)

static struct users *req_users(struct ctl_request *req)
{
	return core_users(req->userdata);
}

/* Maps a users.c error onto a control-socket error for the request. */
static int fail_errno(struct ctl_request *req, int r, const char *what)
{
	switch (r) {
	case -EINVAL:
		return ctl_fail(req, "invalid_argument", "%s: invalid value", what);
	case -EEXIST:
		return ctl_fail(req, "already_exists", "user '%s' exists", what);
	case -ENOENT:
		return ctl_fail(req, "not_found", "no user '%s'", what);
	case -EACCES:
		return ctl_fail(req, "unauthenticated", "invalid or expired session");
	case -ENOSPC:
		return ctl_fail(req, "unavailable", "too many sessions; try again later");
	case -EIO:
	case -ENOMEM:
		return ctl_fail(req, "unavailable", "storage is failing: %s", strerror(-r));
	default:
		return ctl_fail(req, "internal", "%s: %s", what, strerror(-r));
	}
}

static json_t *session_json(const struct users_session *s, bool with_token)
{
	json_t *o =
	    json_pack("{s:s, s:s, s:I, s:I}", "user", s->user, "role", role_to_string(s->role),
		      "idle_expires_s", (json_int_t)s->idle_expires_s, "absolute_expires_s",
		      (json_int_t)s->absolute_expires_s);

	if (o && with_token)
		json_object_set_new(o, "token", json_string(s->token));
	return o;
}

static int need_users(struct ctl_request *req, struct users **ret)
{
	*ret = req_users(req);
	if (!*ret)
		return ctl_fail(req, "unavailable", "dashboard users are not enabled");
	return 0;
}

static int login_error(struct ctl_request *req, int r, int64_t retry, const char *name)
{
	if (r == -EBUSY)
		/* The web process reads retry_after= from the message for Retry-After. */
		return ctl_fail(
		    req, "throttled",
		    "too many failed sign-in attempts; try again later (retry_after=%lld)",
		    (long long)retry);
	if (r == -EACCES)
		return ctl_fail(req, "unauthenticated", "invalid username or password");
	if (r == -EINVAL)
		return ctl_fail(req, "invalid_argument", "malformed username, password or source");
	return fail_errno(req, r, name);
}

/* A login whose password check runs on the worker thread. */
struct pending_login {
	struct users *users;
	struct ctl_deferred *reply;
	struct users_login job;
};

static void login_run(void *data)
{
	struct pending_login *pl = data;

	users_login_verify(&pl->job);
}

static void login_done(void *data)
{
	struct pending_login *pl = data;
	struct users_session s;
	int r = users_login_finish(pl->users, &pl->job, &s);

	if (r == 0) {
		ctl_deferred_reply(pl->reply, session_json(&s, true));
		sodium_memzero(s.token, sizeof(s.token));
	} else if (r == -EBUSY) {
		ctl_deferred_fail(
		    pl->reply, "throttled",
		    "too many failed sign-in attempts; try again later (retry_after=%lld)",
		    (long long)pl->job.retry_after_s);
	} else if (r == -EACCES) {
		ctl_deferred_fail(pl->reply, "unauthenticated", "invalid username or password");
	} else if (r == -ENOSPC) {
		ctl_deferred_fail(pl->reply, "unavailable", "too many sessions; try again later");
	} else {
		ctl_deferred_fail(pl->reply, "internal", "sign-in failed: %s", strerror(-r));
	}
	sodium_memzero(pl, sizeof(*pl));
	free(pl);
}

/*
 * Where a login or logout came from, for throttling and the record. Only
 * aeogate-web (a peer in its group) may name a remote client; any other
 * peer is its uid, whatever it claims.
 */
static const char *request_source(struct ctl_request *req, const char *claimed, char *buf,
				  size_t len)
{
	if (req->peer_web && claimed)
		return claimed;
	snprintf(buf, len, "uid:%u", (unsigned)req->peer_uid);
	return buf;
}

static int op_auth_login(struct ctl_request *req, json_t **ret)
{
	const char *name, *password, *source = NULL;
	char source_buf[AEOGATE_LOGIN_SOURCE_MAX + 1];
	struct pending_login *pl;
	struct users_session s;
	int64_t retry = 0;
	struct users *u;
	int r;

	if (need_users(req, &u) < 0)
		return -1;
	if (ctl_arg_id(req, "username", true, &name) < 0 ||
	    ctl_arg_string(req, "password", true, AEOGATE_PASSWORD_MAX_BYTES, &password) < 0 ||
	    ctl_arg_string(req, "source", false, AEOGATE_LOGIN_SOURCE_MAX, &source) < 0)
		return -1;
	source = request_source(req, source, source_buf, sizeof(source_buf));
	pl = calloc(1, sizeof(*pl));
	if (!pl)
		return ctl_fail(req, "unavailable", "out of memory");
	r = users_login_begin(u, name, password, source, &pl->job, &retry);
	if (r < 0) {
		free(pl);
		return login_error(req, r, retry, name);
	}
	pl->users = u;

	/* The check costs ~50 ms of CPU: off the loop, so no badge read waits for it. */
	if (users_worker(u)) {
		pl->reply = ctl_defer(req);
		if (pl->reply && worker_submit(users_worker(u), pl, login_run, login_done) == 0)
			return 0;
		sodium_memzero(pl, sizeof(*pl));
		free(pl);
		return ctl_fail(req, "unavailable", "too many sign-ins in progress; try again");
	}
	users_login_verify(&pl->job);
	r = users_login_finish(u, &pl->job, &s);
	retry = pl->job.retry_after_s;
	sodium_memzero(pl, sizeof(*pl));
	free(pl);
	if (r < 0)
		return login_error(req, r, retry, name);
	*ret = session_json(&s, true);
	sodium_memzero(s.token, sizeof(s.token));
	return 0;
}

static int op_auth_logout(struct ctl_request *req, json_t **ret)
{
	const char *source = NULL;
	char source_buf[AEOGATE_LOGIN_SOURCE_MAX + 1];
	struct users *u;
	int r;

	if (need_users(req, &u) < 0)
		return -1;
	if (ctl_arg_string(req, "source", false, AEOGATE_LOGIN_SOURCE_MAX, &source) < 0)
		return -1;
	if (!req->token)
		return ctl_fail(req, "unauthenticated", "no session token");
	source = request_source(req, source, source_buf, sizeof(source_buf));
	r = users_logout(u, req->token, source);
	if (r < 0)
		return fail_errno(req, r, "token");
	*ret = json_pack("{s:b}", "logged_out", 1);
	return 0;
}

static int op_auth_whoami(struct ctl_request *req, json_t **ret)
{
	struct users_session s;
	struct users *u = req_users(req);

	if (req->token && u && users_session_get(u, req->token, &s) == 0) {
		*ret = session_json(&s, false);
		return 0;
	}
	if (req->role == ROLE_LOCAL) {
		*ret = json_pack("{s:n, s:s, s:s}", "user", "role", "local", "operator",
				 req->operator_id);
		return 0;
	}
	return ctl_fail(req, "unauthenticated", "no session");
}

static json_t *user_json(const struct user *u)
{
	return json_pack("{s:s, s:s, s:b, s:o}", "name", u->name, "role", u->role, "disabled",
			 u->disabled, "created", time_to_json(u->created_ms));
}

static int reply_user(struct ctl_request *req, const char *name, json_t **ret)
{
	struct store *s = core_store(req->userdata);
	struct user rec;
	int r;

	r = store_user_get(s, name, &rec);
	if (r < 0)
		return fail_errno(req, r, name);
	sodium_memzero(rec.pwhash, sizeof(rec.pwhash));
	*ret = user_json(&rec);
	return 0;
}

/*
 * A generated password (user.add, user.passwd with "generate": true): 20
 * characters from an alphabet without look-alikes (0/O, 1/l/I), about 112
 * bits, returned once in the reply and kept nowhere else.
 */
#define GENERATED_PASSWORD_CHARS 20

static int arg_password(struct ctl_request *req, const char **ret);

static void password_generate(char ret[GENERATED_PASSWORD_CHARS + 1])
{
	static const char alphabet[] = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";

	for (size_t i = 0; i < GENERATED_PASSWORD_CHARS; i++)
		ret[i] = alphabet[randombytes_uniform(sizeof(alphabet) - 1)];
	ret[GENERATED_PASSWORD_CHARS] = '\0';
}

/* "password" typed, or "generate": true (into gen, which *ret then points at). */
static int arg_password_or_generate(struct ctl_request *req, char gen[GENERATED_PASSWORD_CHARS + 1],
				    const char **ret)
{
	const json_t *g = json_object_get(req->args, "generate");

	if (g && !json_is_boolean(g))
		return ctl_fail(req, "invalid_argument", "'generate' must be true or false");
	if (!json_is_true(g)) {
		gen[0] = '\0';
		return arg_password(req, ret);
	}
	if (json_object_get(req->args, "password"))
		return ctl_fail(req, "invalid_argument",
				"give a password or generate one, not both");
	password_generate(gen);
	*ret = gen;
	return 0;
}

static int arg_password(struct ctl_request *req, const char **ret)
{
	if (ctl_arg_string(req, "password", true, AEOGATE_PASSWORD_MAX_BYTES, ret) < 0)
		return -1;
	if (users_password_check(*ret) < 0)
		return ctl_fail(req, "invalid_argument",
				"password: at least %d characters and at most %d bytes",
				AEOGATE_PASSWORD_MIN_CHARS, AEOGATE_PASSWORD_MAX_BYTES);
	return 0;
}

/* A user.add or user.passwd whose new password is hashed on the worker thread. */
struct pending_pw {
	struct users *users;
	struct core *core;
	struct ctl_deferred *reply;
	struct users_pwjob job;
	char generated[GENERATED_PASSWORD_CHARS + 1]; /* "" unless generated: in the reply, once */
};

/* The user, and the generated password when there is one. */
static json_t *pw_reply_json(const struct pending_pw *pp, const struct user *rec)
{
	json_t *o = user_json(rec);

	if (o && pp->generated[0])
		json_object_set_new(o, "password", json_string(pp->generated));
	return o;
}

static void pw_run(void *data)
{
	struct pending_pw *pp = data;

	users_pwjob_hash(&pp->job);
}

static void pw_done(void *data)
{
	struct pending_pw *pp = data;
	int r = users_pwjob_finish(pp->users, &pp->job);
	struct user rec;

	if (r == 0)
		r = store_user_get(core_store(pp->core), pp->job.name, &rec);
	if (r == 0) {
		sodium_memzero(rec.pwhash, sizeof(rec.pwhash));
		ctl_deferred_reply(pp->reply, pw_reply_json(pp, &rec));
	} else if (r == -EEXIST) {
		ctl_deferred_fail(pp->reply, "already_exists", "user '%s' exists", pp->job.name);
	} else if (r == -ENOENT) {
		ctl_deferred_fail(pp->reply, "not_found", "no user '%s'", pp->job.name);
	} else if (r == -EIO || r == -ENOMEM) {
		ctl_deferred_fail(pp->reply, "unavailable", "storage is failing: %s", strerror(-r));
	} else {
		ctl_deferred_fail(pp->reply, "internal", "%s: %s", pp->job.name, strerror(-r));
	}
	sodium_memzero(pp, sizeof(*pp));
	free(pp);
}

/*
 * Runs a begun password change: its hash on the worker (~50 ms of CPU that
 * no badge read waits for), or inline when there is no worker.
 */
static int pw_submit(struct ctl_request *req, struct users *u, struct pending_pw *pp, json_t **ret)
{
	int r;

	pp->users = u;
	pp->core = req->userdata;
	if (users_worker(u)) {
		pp->reply = ctl_defer(req);
		if (pp->reply && worker_submit(users_worker(u), pp, pw_run, pw_done) == 0)
			return 0;
		sodium_memzero(pp, sizeof(*pp));
		free(pp);
		return ctl_fail(req, "unavailable",
				"too many password changes in progress; try again");
	}
	users_pwjob_hash(&pp->job);
	r = users_pwjob_finish(u, &pp->job);
	if (r == 0) {
		r = reply_user(req, pp->job.name, ret);
		if (r == 0 && pp->generated[0])
			json_object_set_new(*ret, "password", json_string(pp->generated));
	} else {
		r = fail_errno(req, r, pp->job.name);
	}
	sodium_memzero(pp, sizeof(*pp));
	free(pp);
	return r;
}

static int op_user_add(struct ctl_request *req, json_t **ret)
{
	const char *name, *role_s, *password;
	struct pending_pw *pp;
	struct users *u;
	unsigned role;
	int r;

	if (need_users(req, &u) < 0)
		return -1;
	if (ctl_arg_id(req, "name", true, &name) < 0 ||
	    ctl_arg_string(req, "role", true, 16, &role_s) < 0)
		return -1;
	role = role_from_string(role_s);
	if (!(role & (ROLE_GUARD | ROLE_MANAGER | ROLE_AUDITOR | ROLE_ADMIN)))
		return ctl_fail(req, "invalid_argument",
				"role: one of guard, manager, auditor, admin");
	pp = calloc(1, sizeof(*pp));
	if (!pp)
		return ctl_fail(req, "internal", "out of memory");
	if (arg_password_or_generate(req, pp->generated, &password) < 0) {
		free(pp);
		return -1;
	}
	r = users_add_begin(u, name, role, password, req->operator_id, &pp->job);
	if (r < 0) {
		sodium_memzero(pp, sizeof(*pp));
		free(pp);
		return fail_errno(req, r, name);
	}
	return pw_submit(req, u, pp, ret);
}

static int list_cb(const struct user *u, void *userdata)
{
	return json_array_append_new(userdata, user_json(u));
}

static int op_user_list(struct ctl_request *req, json_t **ret)
{
	json_t *a = json_array();
	int r;

	if (!a)
		return ctl_fail(req, "internal", "out of memory");
	r = store_user_list(core_store(req->userdata), list_cb, a);
	if (r < 0) {
		json_decref(a);
		return fail_errno(req, r, "users");
	}
	*ret = a;
	return 0;
}

static int set_disabled(struct ctl_request *req, json_t **ret, bool disabled)
{
	const char *name;
	struct users *u;
	int r;

	if (need_users(req, &u) < 0)
		return -1;
	if (ctl_arg_id(req, "name", true, &name) < 0)
		return -1;
	r = users_set_disabled(u, name, disabled, req->operator_id);
	if (r < 0)
		return fail_errno(req, r, name);
	return reply_user(req, name, ret);
}

static int op_user_disable(struct ctl_request *req, json_t **ret)
{
	return set_disabled(req, ret, true);
}

static int op_user_enable(struct ctl_request *req, json_t **ret)
{
	return set_disabled(req, ret, false);
}

static int op_user_passwd(struct ctl_request *req, json_t **ret)
{
	const char *name, *password;
	struct pending_pw *pp;
	struct users *u;
	int r;

	if (need_users(req, &u) < 0)
		return -1;
	if (ctl_arg_id(req, "name", true, &name) < 0)
		return -1;
	pp = calloc(1, sizeof(*pp));
	if (!pp)
		return ctl_fail(req, "internal", "out of memory");
	if (arg_password_or_generate(req, pp->generated, &password) < 0) {
		free(pp);
		return -1;
	}
	r = users_passwd_begin(u, name, password, req->operator_id, &pp->job);
	if (r < 0) {
		sodium_memzero(pp, sizeof(*pp));
		free(pp);
		return fail_errno(req, r, name);
	}
	return pw_submit(req, u, pp, ret);
}

/*
 * A signed-in user changes their own password: the current one is checked
 * as a sign-in's would be (a wrong one counts toward the throttle and is
 * recorded as user.login_failed), then the new one is hashed and set
 * (user.password_changed; every session of the user ends, this one too).
 * Both argon2 steps run on the worker thread.
 */
struct pending_self {
	struct users *users;
	struct core *core;
	struct ctl_deferred *reply;
	struct users_login check;
	struct users_pwjob job;
};

static void self_run(void *data)
{
	struct pending_self *ps = data;

	users_login_verify(&ps->check);
	if (ps->check.ok)
		users_pwjob_hash(&ps->job);
	else
		sodium_memzero(ps->job.password, sizeof(ps->job.password));
}

/* The loop's half: the current password's verdict, then the change. */
static int self_finish(struct pending_self *ps)
{
	int r = users_login_finish(ps->users, &ps->check, NULL);

	if (r < 0) {
		sodium_memzero(&ps->job, sizeof(ps->job));
		return r;
	}
	return users_pwjob_finish(ps->users, &ps->job);
}

static void self_fail(struct ctl_deferred *reply, struct ctl_request *req, int r,
		      int64_t retry_after_s)
{
	static const char wrong[] = "the current password is not right";

	if (r == -EACCES) {
		if (reply)
			ctl_deferred_fail(reply, "invalid_argument", wrong);
		else
			ctl_fail(req, "invalid_argument", wrong);
		return;
	}
	if (r == -EBUSY) {
		if (reply)
			ctl_deferred_fail(
			    reply, "throttled",
			    "too many failed attempts; try again later (retry_after=%lld)",
			    (long long)retry_after_s);
		else
			ctl_fail(req, "throttled",
				 "too many failed attempts; try again later (retry_after=%lld)",
				 (long long)retry_after_s);
		return;
	}
	if (reply)
		ctl_deferred_fail(reply, "unavailable", "password change failed: %s", strerror(-r));
	else
		ctl_fail(req, "unavailable", "password change failed: %s", strerror(-r));
}

static void self_done(void *data)
{
	struct pending_self *ps = data;
	int r = self_finish(ps);

	if (r == 0)
		ctl_deferred_reply(
		    ps->reply, json_pack("{s:s,s:b}", "name", ps->check.name, "signed_out", true));
	else
		self_fail(ps->reply, NULL, r, ps->check.retry_after_s);
	sodium_memzero(ps, sizeof(*ps));
	free(ps);
}

static int op_user_passwd_self(struct ctl_request *req, json_t **ret)
{
	const char *current, *password, *source = NULL;
	struct users_session sess;
	struct pending_self *ps;
	int64_t retry = 0;
	struct users *u;
	char buf[32];
	int r;

	if (need_users(req, &u) < 0)
		return -1;
	if (!req->token || users_session_get(u, req->token, &sess) < 0)
		return ctl_fail(req, "failed_precondition",
				"only a signed-in dashboard user changes their own password; "
				"use user passwd NAME");
	if (ctl_arg_string(req, "current", true, AEOGATE_PASSWORD_MAX_BYTES, &current) < 0 ||
	    arg_password(req, &password) < 0 ||
	    ctl_arg_string(req, "source", false, AEOGATE_LOGIN_SOURCE_MAX, &source) < 0)
		return -1;
	if (!strcmp(current, password))
		return ctl_fail(req, "invalid_argument",
				"the new password must differ from the current one");
	ps = calloc(1, sizeof(*ps));
	if (!ps)
		return ctl_fail(req, "internal", "out of memory");
	ps->users = u;
	ps->core = req->userdata;
	r = users_login_begin(u, sess.user, current, request_source(req, source, buf, sizeof(buf)),
			      &ps->check, &retry);
	if (r < 0) {
		free(ps);
		self_fail(NULL, req, r, retry);
		return -1;
	}
	ps->check.check_only = true;
	r = users_passwd_begin(u, sess.user, password, req->operator_id, &ps->job);
	if (r < 0) {
		/* begin's 0 asks for a finish: the check is settled, unverified, as a failure would
		 * be. */
		sodium_memzero(ps->check.password, sizeof(ps->check.password));
		sodium_memzero(ps, sizeof(*ps));
		free(ps);
		return fail_errno(req, r, sess.user);
	}
	if (users_worker(u)) {
		ps->reply = ctl_defer(req);
		if (ps->reply && worker_submit(users_worker(u), ps, self_run, self_done) == 0)
			return 0;
		sodium_memzero(ps, sizeof(*ps));
		free(ps);
		return ctl_fail(req, "unavailable",
				"too many password changes in progress; try again");
	}
	self_run(ps);
	r = self_finish(ps);
	if (r == 0)
		*ret = json_pack("{s:s,s:b}", "name", ps->check.name, "signed_out", true);
	else
		self_fail(NULL, req, r, ps->check.retry_after_s);
	sodium_memzero(ps, sizeof(*ps));
	free(ps);
	return r == 0 ? 0 : -1;
}

const struct ctl_op ops_users[] = {
    {"auth.login", ROLE_ANON | ROLES_SIGNED_IN, op_auth_login},
    {"auth.logout", ROLES_SIGNED_IN, op_auth_logout},
    {"auth.whoami", ROLES_SIGNED_IN, op_auth_whoami},
    {"user.add", ROLES_USERS_ADMIN, op_user_add},
    /* Auditors review who holds which dashboard role. */
    {"user.list", ROLES_USERS_ADMIN | ROLE_AUDITOR, op_user_list},
    {"user.disable", ROLES_USERS_ADMIN, op_user_disable},
    {"user.enable", ROLES_USERS_ADMIN, op_user_enable},
    {"user.passwd", ROLES_USERS_ADMIN, op_user_passwd},
    /* Every signed-in dashboard user, for their own password (the current one checked). */
    {"user.passwd_self", ROLES_SIGNED_IN, op_user_passwd_self},
    {NULL, 0, NULL},
};
