/* SPDX-License-Identifier: MIT */
#include <argon2.h>
#include <errno.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "store.h"
#include "users.h"
#include "util.h"

/* OWASP's argon2id baseline: 19 MiB, two passes, one lane. */
#define ARGON2_T_COST	   2
#define ARGON2_M_COST_KIB  (19 * 1024)
#define ARGON2_PARALLELISM 1
#define ARGON2_SALT_BYTES  16
#define ARGON2_HASH_BYTES  32

#define TOKEN_BYTES 32

struct session {
	bool used;
	unsigned char token_hash[crypto_generichash_BYTES];
	char user[AEOGATE_ID_MAX + 1];
	unsigned role;
	int64_t created_ms; /* monotonic */
	int64_t last_used_ms;
};

/* A throttle key: "account:NAME" or "source:SOURCE"; "" marks a free slot. */
#define THROTTLE_KEY_LEN sizeof(((struct login_throttle *)0)->key)

struct users {
	struct users_env env;
	struct session sessions[AEOGATE_SESSIONS_MAX];
	/*
	 * Streaks of failed logins, on the wall clock so that they survive a
	 * restart: this table decides, the store keeps a copy of each entry.
	 */
	struct login_throttle throttles[AEOGATE_LOGIN_THROTTLE_ENTRIES];
	bool throttles_loaded;
	/* A hash verified for unknown users so that they cost as much as known ones. */
	char dummy_hash[256];
	struct worker *worker; /* runs password checks off the loop; NULL: inline */
};

void users_set_worker(struct users *u, struct worker *w)
{
	if (u)
		u->worker = w;
}

struct worker *users_worker(struct users *u)
{
	return u ? u->worker : NULL;
}

static struct store *core_env_store(void *userdata)
{
	return core_store(userdata);
}

static int core_env_emit(void *userdata, struct event *e)
{
	return core_emit(userdata, e);
}

static int64_t core_env_mono(void *userdata)
{
	return core_mono_ms(userdata);
}

static int64_t core_env_wall(void *userdata)
{
	return core_wall_ms(userdata);
}

struct users *users_new(struct core *c)
{
	struct users_env env = {
	    .store = core_env_store,
	    .emit = core_env_emit,
	    .mono_ms = core_env_mono,
	    .wall_ms = core_env_wall,
	    .userdata = c,
	};

	return users_new_env(&env);
}

struct users *users_new_env(const struct users_env *env)
{
	struct users *u;

	if (sodium_init() < 0)
		return NULL;
	u = calloc(1, sizeof(*u));
	if (!u)
		return NULL;
	u->env = *env;
	return u;
}

void users_free(struct users *u)
{
	if (!u)
		return;
	sodium_memzero(u->sessions, sizeof(u->sessions));
	free(u);
}

static int64_t mono(struct users *u)
{
	return u->env.mono_ms(u->env.userdata);
}

/* Counts characters, not bytes, so that a passphrase in any script qualifies alike. */
static size_t utf8_chars(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

int users_password_check(const char *password)
{
	if (!password || strlen(password) > AEOGATE_PASSWORD_MAX_BYTES)
		return -EINVAL;
	if (utf8_chars(password) < AEOGATE_PASSWORD_MIN_CHARS)
		return -EINVAL;
	return 0;
}

static int hash_password(const char *password, char *out, size_t len)
{
	unsigned char salt[ARGON2_SALT_BYTES];
	int r;

	randombytes_buf(salt, sizeof(salt));
	r = argon2id_hash_encoded(ARGON2_T_COST, ARGON2_M_COST_KIB, ARGON2_PARALLELISM, password,
				  strlen(password), salt, sizeof(salt), ARGON2_HASH_BYTES, out,
				  len);
	if (r == ARGON2_MEMORY_ALLOCATION_ERROR)
		return -ENOMEM;
	return r == ARGON2_OK ? 0 : -EINVAL;
}

/* Emits a user.* event with a detail object; the detail reference is consumed. */
static void emit_user_event(struct users *u, const char *kind, const char *reason, json_t *detail)
{
	struct event e = {.kind = kind, .reason = reason};
	char *text = NULL;

	if (detail) {
		text = json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS);
		json_decref(detail);
	}
	e.detail = text;
	/*
	 * A storage failure is the core's to count and alarm on; the login
	 * itself does not depend on the record (the core queues it).
	 */
	(void)u->env.emit(u->env.userdata, &e);
	free(text);
}

static json_t *detail_new(const char *user, const char *source, const char *operator_id)
{
	json_t *d = json_object();

	if (!d)
		return NULL;
	if (user)
		json_object_set_new(d, "user", json_string(user));
	if (source)
		json_object_set_new(d, "source", json_string(source));
	/* "operator" as in the rest of the admin trail; "by" stays for readers of older events. */
	if (operator_id) {
		json_object_set_new(d, "by", json_string(operator_id));
		json_object_set_new(d, "operator", json_string(operator_id));
	}
	return d;
}

static unsigned role_bit_for(const char *s)
{
	unsigned r = role_from_string(s);

	return r & (ROLE_GUARD | ROLE_MANAGER | ROLE_AUDITOR | ROLE_ADMIN);
}

static void sessions_drop_user(struct users *u, const char *name)
{
	for (size_t i = 0; i < AEOGATE_SESSIONS_MAX; i++)
		if (u->sessions[i].used && strcmp(u->sessions[i].user, name) == 0)
			sodium_memzero(&u->sessions[i], sizeof(u->sessions[i]));
}

/* Fills what begin has checked into job; the password stays until hash or finish wipes it. */
static void pwjob_fill(struct users_pwjob *job, const char *name, unsigned role,
		       const char *password, const char *operator_id)
{
	memset(job, 0, sizeof(*job));
	snprintf(job->name, sizeof(job->name), "%s", name);
	job->role = role;
	if (operator_id) {
		snprintf(job->operator_id, sizeof(job->operator_id), "%s", operator_id);
		job->has_operator = true;
	}
	snprintf(job->password, sizeof(job->password), "%s", password);
	job->r = -EINPROGRESS;
}

/*
 * The checks both password changes make on the loop, before any hashing:
 * the name, the password, and whether the user exists (-ENOENT: no; 0: it
 * does); then job is filled.
 */
static int pwjob_begin(struct users *u, const char *name, unsigned role, const char *password,
		       const char *operator_id, struct users_pwjob *job)
{
	struct store *s = u->env.store(u->env.userdata);
	struct user rec;
	int r;

	if (!s)
		return -EIO;
	if (!id_is_valid(name))
		return -EINVAL;
	r = users_password_check(password);
	if (r < 0)
		return r;
	r = store_user_get(s, name, &rec);
	sodium_memzero(rec.pwhash, sizeof(rec.pwhash));
	if (r < 0 && r != -ENOENT)
		return r;
	pwjob_fill(job, name, role, password, operator_id);
	return r;
}

int users_add_begin(struct users *u, const char *name, unsigned role, const char *password,
		    const char *operator_id, struct users_pwjob *job)
{
	int r;

	if (!(role & (ROLE_GUARD | ROLE_MANAGER | ROLE_AUDITOR | ROLE_ADMIN)))
		return -EINVAL;
	/* A taken name is refused before ~50 ms of hashing, not after. */
	r = pwjob_begin(u, name, role, password, operator_id, job);
	if (r == -ENOENT)
		return 0;
	if (r == 0) {
		sodium_memzero(job->password, sizeof(job->password));
		return -EEXIST;
	}
	return r;
}

int users_passwd_begin(struct users *u, const char *name, const char *password,
		       const char *operator_id, struct users_pwjob *job)
{
	int r = pwjob_begin(u, name, 0, password, operator_id, job);

	if (r == 0)
		return 0;
	if (r == -ENOENT)
		sodium_memzero(job->password, sizeof(job->password));
	return r;
}

void users_pwjob_hash(struct users_pwjob *job)
{
	job->r = hash_password(job->password, job->pwhash, sizeof(job->pwhash));
	sodium_memzero(job->password, sizeof(job->password));
}

/*
 * The change itself, on the loop: the name may have been taken, or the
 * user removed, while the hash was computed; the store says so then.
 */
int users_pwjob_finish(struct users *u, struct users_pwjob *job)
{
	struct store *s = u->env.store(u->env.userdata);
	const char *op = job->has_operator ? job->operator_id : NULL;
	int r = job->r;

	sodium_memzero(job->password, sizeof(job->password));
	if (r == 0 && !s)
		r = -EIO;
	if (r < 0)
		goto out;
	if (job->role) {
		struct user rec = {0};
		json_t *d;

		snprintf(rec.name, sizeof(rec.name), "%s", job->name);
		snprintf(rec.role, sizeof(rec.role), "%s", role_to_string(job->role));
		snprintf(rec.pwhash, sizeof(rec.pwhash), "%s", job->pwhash);
		rec.created_ms = u->env.wall_ms(u->env.userdata);
		r = store_user_add(s, &rec);
		sodium_memzero(rec.pwhash, sizeof(rec.pwhash));
		if (r < 0)
			goto out;
		d = detail_new(job->name, NULL, op);
		if (d) {
			json_object_set_new(d, "role", json_string(role_to_string(job->role)));
			json_object_set_new(d, "after",
					    json_pack("{s:s,s:s,s:b}", "name", job->name, "role",
						      role_to_string(job->role), "disabled",
						      false));
		}
		emit_user_event(u, "user.added", NULL, d);
	} else {
		r = store_user_set_pwhash(s, job->name, job->pwhash);
		if (r < 0)
			goto out;
		/* Whoever knew the old password must not keep a session made with it. */
		sessions_drop_user(u, job->name);
		emit_user_event(u, "user.password_changed", NULL, detail_new(job->name, NULL, op));
	}
out:
	sodium_memzero(job->pwhash, sizeof(job->pwhash));
	return r;
}

/* begin, hash and finish in one call, on the calling thread. */
static int pwjob_inline(struct users *u, int r, struct users_pwjob *job)
{
	if (r < 0)
		return r;
	users_pwjob_hash(job);
	return users_pwjob_finish(u, job);
}

int users_add(struct users *u, const char *name, unsigned role, const char *password,
	      const char *operator_id)
{
	struct users_pwjob job;

	return pwjob_inline(u, users_add_begin(u, name, role, password, operator_id, &job), &job);
}

int users_set_disabled(struct users *u, const char *name, bool disabled, const char *operator_id)
{
	struct store *s = u->env.store(u->env.userdata);
	struct user rec;
	int r;

	if (!s)
		return -EIO;
	if (!id_is_valid(name))
		return -EINVAL;
	r = store_user_get(s, name, &rec);
	if (r < 0)
		return r;
	sodium_memzero(rec.pwhash, sizeof(rec.pwhash));
	r = store_user_set_disabled(s, name, disabled);
	if (r < 0)
		return r;
	if (disabled)
		sessions_drop_user(u, name);
	{
		json_t *d = detail_new(name, NULL, operator_id);

		if (d) {
			json_object_set_new(d, "before",
					    json_pack("{s:b}", "disabled", rec.disabled));
			json_object_set_new(d, "after", json_pack("{s:b}", "disabled", disabled));
		}
		emit_user_event(u, disabled ? "user.disabled" : "user.enabled", NULL, d);
	}
	return 0;
}

int users_set_password(struct users *u, const char *name, const char *password,
		       const char *operator_id)
{
	struct users_pwjob job;

	return pwjob_inline(u, users_passwd_begin(u, name, password, operator_id, &job), &job);
}

/* ---- sign-in throttling (limits.h, docs/web.md "Sign-in throttling") ---- */

static int64_t wall(struct users *u)
{
	return u->env.wall_ms(u->env.userdata);
}

/* A streak that is forgotten and no longer delays anyone: its slot is free. */
static bool throttle_stale(const struct login_throttle *t, int64_t now)
{
	return t->last_failure_ms + AEOGATE_LOGIN_FORGET_MS <= now && t->blocked_until_ms <= now;
}

/*
 * The table in memory decides; the store keeps each entry for the next
 * start. A write that fails (a full disk) leaves the copy behind until the
 * next write of the whole entry; the throttle itself keeps working.
 */
static void throttle_save(struct users *u, const struct login_throttle *t)
{
	struct store *s = u->env.store(u->env.userdata);

	if (s)
		(void)store_login_throttle_put(s, t);
}

static void throttle_drop(struct users *u, struct login_throttle *t)
{
	struct store *s = u->env.store(u->env.userdata);

	if (s && t->key[0])
		(void)store_login_throttle_delete(s, t->key);
	memset(t, 0, sizeof(*t));
}

struct throttle_load_ctx {
	struct users *u;
	int64_t now;
	size_t n;
};

static int throttle_load_cb(const struct login_throttle *t, void *userdata)
{
	struct throttle_load_ctx *ctx = userdata;

	if (ctx->n >= AEOGATE_LOGIN_THROTTLE_ENTRIES)
		return 1;
	if (!throttle_stale(t, ctx->now))
		ctx->u->throttles[ctx->n++] = *t;
	return 0;
}

/* Reads the streaks the last run kept, once, before the first login is judged. */
static int throttle_load(struct users *u)
{
	struct store *s = u->env.store(u->env.userdata);
	struct throttle_load_ctx ctx = {.u = u, .now = wall(u)};
	int r;

	if (u->throttles_loaded)
		return 0;
	if (!s)
		return -EIO;
	/* Only tidying: stale rows are skipped anyway, so a full disk does not stop logins. */
	(void)store_login_throttle_forget(s, ctx.now - AEOGATE_LOGIN_FORGET_MS);
	memset(u->throttles, 0, sizeof(u->throttles));
	r = store_login_throttle_list(s, AEOGATE_LOGIN_THROTTLE_ENTRIES, throttle_load_cb, &ctx);
	if (r < 0)
		return r;
	u->throttles_loaded = true;
	return 0;
}

/* Whether a should make room before b: not delayed first, then fewest failures, then oldest. */
static bool throttle_evict_before(const struct login_throttle *a, const struct login_throttle *b,
				  int64_t now)
{
	bool da = a->blocked_until_ms > now, db = b->blocked_until_ms > now;

	if (da != db)
		return !da;
	if (a->failures != b->failures)
		return a->failures < b->failures;
	return a->last_failure_ms < b->last_failure_ms;
}

/*
 * The live entry of key, or NULL. With create, a new one when there is
 * none; when the table is full, the entry with the fewest failures makes
 * room, so a flood of made-up names cannot push a real account's streak out.
 */
static struct login_throttle *throttle_find(struct users *u, const char *key, bool create)
{
	struct login_throttle *free_slot = NULL, *victim = NULL;
	int64_t now = wall(u);

	for (size_t i = 0; i < AEOGATE_LOGIN_THROTTLE_ENTRIES; i++) {
		struct login_throttle *t = &u->throttles[i];

		if (t->key[0] && strcmp(t->key, key) == 0) {
			if (!throttle_stale(t, now))
				return t;
			if (!create)
				return NULL;
			free_slot = t;
			break;
		}
		if (!t->key[0] || throttle_stale(t, now)) {
			if (!free_slot)
				free_slot = t;
			continue;
		}
		if (!victim || throttle_evict_before(t, victim, now))
			victim = t;
	}
	if (!create)
		return NULL;
	if (!free_slot)
		free_slot = victim;
	throttle_drop(u, free_slot);
	snprintf(free_slot->key, sizeof(free_slot->key), "%s", key);
	return free_slot;
}

/*
 * Seconds until t's delay ends (Retry-After), or 0. A delay is never more
 * than AEOGATE_LOGIN_DELAY_MAX_MS from now, even after the wall clock
 * stepped back.
 */
static int64_t throttle_retry_after(struct users *u, struct login_throttle *t)
{
	int64_t now = wall(u);

	if (!t || t->blocked_until_ms <= now)
		return 0;
	if (t->blocked_until_ms - now > AEOGATE_LOGIN_DELAY_MAX_MS) {
		t->blocked_until_ms = now + AEOGATE_LOGIN_DELAY_MAX_MS;
		if (t->last_failure_ms > now)
			t->last_failure_ms = now;
		throttle_save(u, t);
	}
	return (t->blocked_until_ms - now + 999) / 1000;
}

/* The delay after the nth failure in a row: none below threshold, then 1 s doubling to 60 s. */
static int64_t throttle_delay_ms(unsigned n, unsigned threshold)
{
	unsigned shift;
	int64_t d;

	if (n < threshold)
		return 0;
	shift = n - threshold < 16 ? n - threshold : 16;
	d = (int64_t)AEOGATE_LOGIN_DELAY_MIN_MS << shift;
	return d < AEOGATE_LOGIN_DELAY_MAX_MS ? d : AEOGATE_LOGIN_DELAY_MAX_MS;
}

static struct login_throttle *throttle_fail(struct users *u, const char *key, unsigned threshold)
{
	struct login_throttle *t = throttle_find(u, key, true);
	int64_t now = wall(u), d;

	if (t->failures < UINT32_MAX)
		t->failures++;
	t->last_failure_ms = now;
	d = throttle_delay_ms(t->failures, threshold);
	t->blocked_until_ms = d ? now + d : 0;
	throttle_save(u, t);
	return t;
}

static void throttle_key(char key[THROTTLE_KEY_LEN], const char *kind, const char *name)
{
	snprintf(key, THROTTLE_KEY_LEN, "%s:%s", kind, name);
}

static void session_times(struct users *u, const struct session *se, struct users_session *ret)
{
	int64_t now = mono(u);
	int64_t idle = se->last_used_ms + AEOGATE_SESSION_IDLE_MS;
	int64_t abs = se->created_ms + AEOGATE_SESSION_ABSOLUTE_MS;

	if (idle > abs)
		idle = abs;
	ret->idle_expires_s = (idle - now) / 1000;
	ret->absolute_expires_s = (abs - now) / 1000;
	snprintf(ret->user, sizeof(ret->user), "%s", se->user);
	ret->role = se->role;
}

static bool session_expired(struct users *u, const struct session *se)
{
	int64_t now = mono(u);

	return now - se->last_used_ms >= AEOGATE_SESSION_IDLE_MS ||
	       now - se->created_ms >= AEOGATE_SESSION_ABSOLUTE_MS;
}

static void sessions_expire(struct users *u)
{
	for (size_t i = 0; i < AEOGATE_SESSIONS_MAX; i++)
		if (u->sessions[i].used && session_expired(u, &u->sessions[i]))
			sodium_memzero(&u->sessions[i], sizeof(u->sessions[i]));
}

static struct session *session_slot(struct users *u, const char *name)
{
	struct session *free_slot = NULL, *oldest = NULL;
	size_t mine = 0;

	sessions_expire(u);
	for (size_t i = 0; i < AEOGATE_SESSIONS_MAX; i++) {
		struct session *se = &u->sessions[i];

		if (!se->used) {
			if (!free_slot)
				free_slot = se;
			continue;
		}
		if (strcmp(se->user, name) == 0) {
			mine++;
			if (!oldest || se->last_used_ms < oldest->last_used_ms)
				oldest = se;
		}
	}
	if (mine >= AEOGATE_SESSIONS_PER_USER_MAX) {
		sodium_memzero(oldest, sizeof(*oldest));
		return oldest;
	}
	return free_slot;
}

static void token_hash(const char *token, unsigned char out[crypto_generichash_BYTES])
{
	crypto_generichash(out, crypto_generichash_BYTES, (const unsigned char *)token,
			   strlen(token), NULL, 0);
}

static bool token_well_formed(const char *token)
{
	if (!token || strlen(token) != USERS_TOKEN_HEX - 1)
		return false;
	for (const char *p = token; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return false;
	return true;
}

static struct session *session_find(struct users *u, const char *token)
{
	unsigned char h[crypto_generichash_BYTES];

	if (!token_well_formed(token))
		return NULL;
	token_hash(token, h);
	for (size_t i = 0; i < AEOGATE_SESSIONS_MAX; i++) {
		struct session *se = &u->sessions[i];

		if (!se->used || sodium_memcmp(se->token_hash, h, sizeof(h)) != 0)
			continue;
		if (session_expired(u, se)) {
			sodium_memzero(se, sizeof(*se));
			return NULL;
		}
		return se;
	}
	return NULL;
}

static void login_failed(struct users *u, const char *name, const char *source, const char *reason)
{
	emit_user_event(u, "user.login_failed", reason, detail_new(name, source, NULL));
}

static const char *dummy_hash(struct users *u)
{
	if (!u->dummy_hash[0]) {
		unsigned char pw[16];
		char hex[33];

		randombytes_buf(pw, sizeof(pw));
		sodium_bin2hex(hex, sizeof(hex), pw, sizeof(pw));
		if (hash_password(hex, u->dummy_hash, sizeof(u->dummy_hash)) < 0)
			u->dummy_hash[0] = '\0';
	}
	return u->dummy_hash;
}

int users_login_begin(struct users *u, const char *name, const char *password,
		      const char *source, struct users_login *job, int64_t *ret_retry_after_s)
{
	char akey[THROTTLE_KEY_LEN];
	struct store *s = u->env.store(u->env.userdata);
	struct user rec = {0};
	int64_t retry;
	int r;

	if (!s)
		return -EIO;
	if (!name || !password || !id_is_valid(name) ||
	    strlen(password) > AEOGATE_PASSWORD_MAX_BYTES)
		return -EINVAL;
	if (source && (strlen(source) > AEOGATE_LOGIN_SOURCE_MAX || !text_is_valid(source)))
		return -EINVAL;

	memset(job, 0, sizeof(*job));
	snprintf(job->name, sizeof(job->name), "%s", name);
	if (source) {
		snprintf(job->source, sizeof(job->source), "%s", source);
		job->has_source = true;
	}
	snprintf(job->password, sizeof(job->password), "%s", password);

	r = throttle_load(u);
	if (r < 0) {
		sodium_memzero(job->password, sizeof(job->password));
		return r;
	}
	/*
	 * Only the account's own streak refuses a login outright (and without
	 * a check, so a delayed account costs nothing and tells nothing). A
	 * source's streak never refuses a correct password: see finish.
	 */
	throttle_key(akey, "account", name);
	retry = throttle_retry_after(u, throttle_find(u, akey, false));
	if (retry > 0) {
		login_failed(u, name, source, "throttled");
		sodium_memzero(job->password, sizeof(job->password));
		if (ret_retry_after_s)
			*ret_retry_after_s = retry;
		return -EBUSY;
	}

	r = store_user_get(s, name, &rec);
	if (r < 0 && r != -ENOENT) {
		sodium_memzero(job->password, sizeof(job->password));
		return r;
	}
	job->known = r == 0;
	job->disabled = rec.disabled;
	snprintf(job->role, sizeof(job->role), "%s", rec.role);
	/* An unknown user costs the same check as a real one: timing tells nothing. */
	snprintf(job->pwhash, sizeof(job->pwhash), "%s", job->known ? rec.pwhash : dummy_hash(u));
	sodium_memzero(rec.pwhash, sizeof(rec.pwhash));
	return 0;
}

void users_login_verify(struct users_login *job)
{
	job->ok = job->known && argon2id_verify(job->pwhash, job->password,
						 strlen(job->password)) == ARGON2_OK;
	if (!job->known)
		(void)argon2id_verify(job->pwhash, job->password, strlen(job->password));
	job->verified = true;
	sodium_memzero(job->password, sizeof(job->password));
	sodium_memzero(job->pwhash, sizeof(job->pwhash));
}

int users_login_finish(struct users *u, struct users_login *job, struct users_session *ret)
{
	char akey[THROTTLE_KEY_LEN], skey[THROTTLE_KEY_LEN];
	const char *source = job->has_source ? job->source : NULL;
	unsigned char raw[TOKEN_BYTES];
	struct users_session out = {0};
	struct session *se;

	sodium_memzero(job->password, sizeof(job->password));
	throttle_key(akey, "account", job->name);
	if (!job->verified || !job->known || !job->ok || job->disabled) {
		int64_t source_retry = 0;

		/*
		 * A source whose own delay is running is told to wait (429) for its
		 * failing attempts; the failure counts and lengthens the delay.
		 */
		if (source) {
			bool delayed;

			throttle_key(skey, "source", source);
			delayed = throttle_retry_after(u, throttle_find(u, skey, false)) > 0;
			source_retry = throttle_retry_after(
			    u, throttle_fail(u, skey, AEOGATE_LOGIN_SOURCE_FAILURES_MAX));
			if (!delayed)
				source_retry = 0;
		}
		throttle_fail(u, akey, AEOGATE_LOGIN_FAILURES_MAX);
		login_failed(u, job->name, source,
			     !job->known ? "unknown_user"
			     : !job->ok  ? "bad_password"
					 : "disabled");
		if (source_retry > 0) {
			job->retry_after_s = source_retry;
			return -EBUSY;
		}
		return -EACCES;
	}

	if (job->check_only) {
		/* A correct password ends the account's streak; no session, no sign-in. */
		struct login_throttle *t = throttle_find(u, akey, false);

		if (t)
			throttle_drop(u, t);
		return 0;
	}
	se = session_slot(u, job->name);
	if (!se)
		return -ENOSPC;
	randombytes_buf(raw, sizeof(raw));
	sodium_bin2hex(out.token, sizeof(out.token), raw, sizeof(raw));
	sodium_memzero(raw, sizeof(raw));
	token_hash(out.token, se->token_hash);
	se->used = true;
	snprintf(se->user, sizeof(se->user), "%s", job->name);
	se->role = role_bit_for(job->role);
	se->created_ms = se->last_used_ms = mono(u);
	if (!se->role) {
		/* A role the schema allows but we do not know: fail closed. */
		sodium_memzero(se, sizeof(*se));
		return -EACCES;
	}

	/* A correct password ends the account's streak; the source's runs on. */
	{
		struct login_throttle *t = throttle_find(u, akey, false);

		if (t)
			throttle_drop(u, t);
	}
	session_times(u, se, &out);
	emit_user_event(u, "user.login", NULL, detail_new(job->name, source, NULL));
	*ret = out;
	return 0;
}

int users_logout(struct users *u, const char *token, const char *source)
{
	struct session *se = session_find(u, token);
	char name[AEOGATE_ID_MAX + 1];

	if (!se)
		return -EACCES;
	snprintf(name, sizeof(name), "%s", se->user);
	sodium_memzero(se, sizeof(*se));
	emit_user_event(u, "user.logout", NULL, detail_new(name, source, NULL));
	return 0;
}

int users_session_get(struct users *u, const char *token, struct users_session *ret)
{
	struct session *se = session_find(u, token);

	if (!se)
		return -EACCES;
	se->last_used_ms = mono(u);
	session_times(u, se, ret);
	return 0;
}

int users_token_resolve(void *users, const char *token, unsigned *ret_role, char *ret_operator,
			size_t len)
{
	struct users_session s;
	int r;

	if (!users)
		return -EACCES;
	r = users_session_get(users, token, &s);
	if (r < 0)
		return r;
	*ret_role = s.role;
	snprintf(ret_operator, len, "user:%s", s.user);
	return 0;
}

size_t users_session_count(struct users *u)
{
	size_t n = 0;

	sessions_expire(u);
	for (size_t i = 0; i < AEOGATE_SESSIONS_MAX; i++)
		n += u->sessions[i].used;
	return n;
}
