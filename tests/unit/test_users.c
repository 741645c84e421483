/* SPDX-License-Identifier: MIT */
/* Dashboard users and sessions, on a real store and an injected clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixture.h"
#include "store.h"
#include "users.h"

#define PW  "correct horse battery"
#define MIN (60 * 1000)

struct fixture {
	char dir[64];
	char path[128];
	struct store *store;
	struct users *users;
	int64_t mono;
	int64_t wall;
	/* The last few events emitted: kind and reason. */
	char kinds[64][32];
	char reasons[64][32];
	char details[64][256];
	size_t n_events;
};

/*
 * A sign-in as the auth.login op runs it without a worker thread:
 * begin, verify, finish (users.h).
 */
static int login(struct users *u, const char *name, const char *password, const char *source,
		 struct users_session *ret, int64_t *ret_retry_after_s)
{
	struct users_login job;
	int r = users_login_begin(u, name, password, source, &job, ret_retry_after_s);

	if (r < 0)
		return r;
	users_login_verify(&job);
	r = users_login_finish(u, &job, ret);
	if (r == -EBUSY && ret_retry_after_s)
		*ret_retry_after_s = job.retry_after_s;
	return r;
}

static struct store *env_store(void *userdata)
{
	return ((struct fixture *)userdata)->store;
}

static int env_emit(void *userdata, struct event *e)
{
	struct fixture *f = userdata;
	size_t i = f->n_events++ % 64;

	snprintf(f->kinds[i], sizeof(f->kinds[i]), "%s", e->kind);
	snprintf(f->reasons[i], sizeof(f->reasons[i]), "%s", e->reason ? e->reason : "");
	snprintf(f->details[i], sizeof(f->details[i]), "%s", e->detail ? e->detail : "");
	return 0;
}

static int64_t env_mono(void *userdata)
{
	return ((struct fixture *)userdata)->mono;
}

static int64_t env_wall(void *userdata)
{
	return ((struct fixture *)userdata)->wall;
}

static const char *last_kind(struct fixture *f)
{
	return f->n_events ? f->kinds[(f->n_events - 1) % 64] : "";
}

static const char *last_reason(struct fixture *f)
{
	return f->n_events ? f->reasons[(f->n_events - 1) % 64] : "";
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct users_env env = {env_store, env_emit, env_mono, env_wall, f};

	assert_non_null(f);
	tmpdb_open(f->dir, sizeof(f->dir), f->path, sizeof(f->path), "aeogate-users", "normal",
		   &f->store);
	f->mono = 1000000;
	f->wall = 1795000000000;
	f->users = users_new_env(&env);
	assert_non_null(f->users);
	assert_int_equal(users_add(f->users, "alice", ROLE_MANAGER, PW, "uid:0"), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	users_free(f->users);
	tmpdb_close(f->dir, f->path, f->store);
	free(f);
	return 0;
}

static void test_password_policy_bounds(void **state)
{
	char big[AEOGATE_PASSWORD_MAX_BYTES + 2];

	(void)state;
	assert_int_equal(users_password_check("12345678901"), -EINVAL);
	assert_int_equal(users_password_check("123456789012"), 0);
	/* Characters, not bytes: eleven two-byte characters are too few. */
	assert_int_equal(users_password_check("ééééééééééé"), -EINVAL);
	assert_int_equal(users_password_check("éééééééééééé"), 0);
	memset(big, 'a', sizeof(big));
	big[AEOGATE_PASSWORD_MAX_BYTES] = '\0';
	assert_int_equal(users_password_check(big), 0);
	big[AEOGATE_PASSWORD_MAX_BYTES] = 'a';
	big[AEOGATE_PASSWORD_MAX_BYTES + 1] = '\0';
	assert_int_equal(users_password_check(big), -EINVAL);
	assert_int_equal(users_password_check(NULL), -EINVAL);
}

static void test_add_refuses_bad_input_and_duplicates(void **state)
{
	struct fixture *f = *state;
	struct user rec;

	assert_int_equal(users_add(f->users, "alice", ROLE_GUARD, PW, NULL), -EEXIST);
	assert_int_equal(users_add(f->users, "bob", ROLE_GUARD, "short", NULL), -EINVAL);
	assert_int_equal(users_add(f->users, "bad name", ROLE_GUARD, PW, NULL), -EINVAL);
	assert_int_equal(users_add(f->users, "bob", ROLE_LOCAL, PW, NULL), -EINVAL);
	assert_int_equal(users_add(f->users, "bob", ROLE_GUARD, PW, NULL), 0);
	assert_string_equal(last_kind(f), "user.added");
	assert_int_equal(store_user_get(f->store, "bob", &rec), 0);
	assert_string_equal(rec.role, "guard");
	assert_true(strncmp(rec.pwhash, "$argon2id$", 10) == 0);
	assert_null(strstr(rec.pwhash, PW));
}

static void test_login_issues_token_that_resolves(void **state)
{
	struct fixture *f = *state;
	struct users_session s;
	char op[96];
	unsigned role = 0;

	assert_int_equal(login(f->users, "alice", PW, "10.0.0.1", &s, NULL), 0);
	assert_int_equal(strlen(s.token), 64);
	assert_string_equal(s.user, "alice");
	assert_int_equal(s.role, ROLE_MANAGER);
	assert_int_equal(s.idle_expires_s, 30 * 60);
	assert_int_equal(s.absolute_expires_s, 12 * 3600);
	assert_string_equal(last_kind(f), "user.login");
	assert_non_null(strstr(f->details[(f->n_events - 1) % 64], "10.0.0.1"));
	assert_int_equal(users_token_resolve(f->users, s.token, &role, op, sizeof(op)), 0);
	assert_int_equal(role, ROLE_MANAGER);
	assert_string_equal(op, "user:alice");
	/* Two logins, two different tokens. */
	{
		struct users_session s2;

		assert_int_equal(login(f->users, "alice", PW, NULL, &s2, NULL), 0);
		assert_string_not_equal(s.token, s2.token);
	}
}

static void test_login_failures_are_events_with_reasons(void **state)
{
	struct fixture *f = *state;
	struct users_session s;

	assert_int_equal(login(f->users, "alice", "wrong password!", NULL, &s, NULL), -EACCES);
	assert_string_equal(last_kind(f), "user.login_failed");
	assert_string_equal(last_reason(f), "bad_password");
	assert_int_equal(login(f->users, "nobody", PW, NULL, &s, NULL), -EACCES);
	assert_string_equal(last_reason(f), "unknown_user");
	assert_int_equal(users_set_disabled(f->users, "alice", true, "uid:0"), 0);
	assert_string_equal(last_kind(f), "user.disabled");
	assert_int_equal(login(f->users, "alice", PW, NULL, &s, NULL), -EACCES);
	assert_string_equal(last_reason(f), "disabled");
	assert_int_equal(users_set_disabled(f->users, "alice", false, "uid:0"), 0);
	assert_int_equal(login(f->users, "alice", PW, NULL, &s, NULL), 0);
}

#define WRONG "wrong password!"
#define SEC   1000

/* A failed attempt's answer: -EACCES (checked, wrong) or -EBUSY (throttled), and Retry-After. */
static int try_login(struct fixture *f, const char *name, const char *pw, const char *source,
		     int64_t *retry)
{
	struct users_session s;

	*retry = 0;
	return login(f->users, name, pw, source, &s, retry);
}

static void fail_n(struct fixture *f, const char *name, const char *source, int n)
{
	int64_t retry;

	for (int i = 0; i < n; i++)
		assert_int_equal(try_login(f, name, WRONG, source, &retry), -EACCES);
}

static void test_account_is_delayed_after_five_failures_in_a_row(void **state)
{
	struct fixture *f = *state;
	int64_t retry;

	fail_n(f, "alice", NULL, AEOGATE_LOGIN_FAILURES_MAX);
	/* Delayed: even the right password is refused, without a check, and that is an event. */
	assert_int_equal(try_login(f, "alice", PW, NULL, &retry), -EBUSY);
	assert_int_equal(retry, 1);
	assert_string_equal(last_reason(f), "throttled");
	/* After the delay, the right password works and ends the streak. */
	f->wall += 1 * SEC;
	assert_int_equal(try_login(f, "alice", PW, NULL, &retry), 0);
	fail_n(f, "alice", NULL, AEOGATE_LOGIN_FAILURES_MAX - 1);
	assert_int_equal(try_login(f, "alice", PW, NULL, &retry), 0);
}

static void test_delay_doubles_with_each_further_failure_up_to_a_minute(void **state)
{
	static const int64_t want[] = {1, 2, 4, 8, 16, 32, 60, 60};
	struct fixture *f = *state;
	int64_t retry;

	fail_n(f, "alice", NULL, AEOGATE_LOGIN_FAILURES_MAX);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		assert_int_equal(try_login(f, "alice", WRONG, NULL, &retry), -EBUSY);
		assert_int_equal(retry, want[i]);
		/* Refused attempts do not lengthen the delay. */
		f->wall += want[i] * SEC - 1;
		assert_int_equal(try_login(f, "alice", PW, NULL, &retry), -EBUSY);
		assert_int_equal(retry, 1);
		f->wall += 1;
		assert_int_equal(try_login(f, "alice", WRONG, NULL, &retry), -EACCES);
	}
	assert_int_equal(try_login(f, "alice", PW, NULL, &retry), -EBUSY);
	assert_int_equal(retry, 60);
	f->wall += 60 * SEC;
	assert_int_equal(try_login(f, "alice", PW, NULL, &retry), 0);
}

static void test_failures_are_forgotten_after_a_quiet_while(void **state)
{
	struct fixture *f = *state;
	int64_t retry;

	fail_n(f, "alice", NULL, AEOGATE_LOGIN_FAILURES_MAX - 1);
	f->wall += AEOGATE_LOGIN_FORGET_MS;
	fail_n(f, "alice", NULL, 1);
	assert_int_equal(try_login(f, "alice", PW, NULL, &retry), 0);
}

static void test_other_accounts_failures_never_refuse_a_correct_password(void **state)
{
	struct fixture *f = *state;
	char name[16];
	int64_t retry;

	/* The web process's address, the same uid, or no source at all: one source. */
	static const char *const sources[] = {"192.0.2.7", "uid:0", NULL};

	for (size_t k = 0; k < sizeof(sources) / sizeof(sources[0]); k++) {
		for (int i = 0; i < 3 * AEOGATE_LOGIN_SOURCE_FAILURES_MAX; i++) {
			snprintf(name, sizeof(name), "guess%d", i % 4);
			(void)try_login(f, name, PW, sources[k], &retry);
		}
		/* The accounts guessed at are delayed, and so is the source: not alice. */
		assert_int_equal(try_login(f, "guess0", PW, sources[k], &retry), -EBUSY);
		assert_int_equal(try_login(f, "alice", PW, sources[k], &retry), 0);
	}
}

static void test_source_failures_delay_only_its_failing_attempts(void **state)
{
	struct fixture *f = *state;
	int64_t retry;
	char name[16];

	for (int i = 0; i < AEOGATE_LOGIN_SOURCE_FAILURES_MAX; i++) {
		snprintf(name, sizeof(name), "guess%d", i);
		assert_int_equal(try_login(f, name, PW, "192.0.2.7", &retry), -EACCES);
	}
	/* A further wrong password from that source: 429, whatever the account. */
	assert_int_equal(try_login(f, "alice", WRONG, "192.0.2.7", &retry), -EBUSY);
	assert_int_equal(retry, 2); /* the source's second delay: it failed once more */
	assert_int_equal(try_login(f, "nobody", PW, "192.0.2.7", &retry), -EBUSY);
	assert_int_equal(retry, 4);
	assert_string_equal(last_reason(f), "unknown_user");
	/* The right password from that source still signs in. */
	assert_int_equal(try_login(f, "alice", PW, "192.0.2.7", &retry), 0);
	/* Another source is not affected. */
	assert_int_equal(try_login(f, "guess0", PW, "192.0.2.8", &retry), -EACCES);
}

static void test_throttle_survives_a_restart(void **state)
{
	struct fixture *f = *state;
	struct users_env env = {env_store, env_emit, env_mono, env_wall, f};
	int64_t retry;

	fail_n(f, "alice", NULL, AEOGATE_LOGIN_FAILURES_MAX);
	f->wall += 1 * SEC;
	fail_n(f, "alice", NULL, 1);
	f->wall += 2 * SEC;
	fail_n(f, "alice", NULL, 1);
	users_free(f->users);
	f->users = users_new_env(&env);
	assert_non_null(f->users);
	assert_int_equal(try_login(f, "alice", PW, NULL, &retry), -EBUSY);
	assert_int_equal(retry, 4);
	f->wall += 4 * SEC;
	assert_int_equal(try_login(f, "alice", PW, NULL, &retry), 0);
	/* ... and so does its end: a new streak starts from nothing. */
	users_free(f->users);
	f->users = users_new_env(&env);
	fail_n(f, "alice", NULL, AEOGATE_LOGIN_FAILURES_MAX - 1);
	assert_int_equal(try_login(f, "alice", PW, NULL, &retry), 0);
}

static void test_wall_clock_stepping_back_never_delays_longer_than_a_minute(void **state)
{
	struct fixture *f = *state;
	int64_t retry;

	fail_n(f, "alice", NULL, AEOGATE_LOGIN_FAILURES_MAX);
	f->wall -= 24 * 60 * MIN;
	assert_int_equal(try_login(f, "alice", PW, NULL, &retry), -EBUSY);
	assert_true(retry >= 1 && retry <= 60);
	f->wall += 60 * SEC;
	assert_int_equal(try_login(f, "alice", PW, NULL, &retry), 0);
}

static void test_session_idle_expiry_refreshes_on_use(void **state)
{
	struct fixture *f = *state;
	struct users_session s, g;

	assert_int_equal(login(f->users, "alice", PW, NULL, &s, NULL), 0);
	f->mono += 20 * MIN;
	assert_int_equal(users_session_get(f->users, s.token, &g), 0);
	f->mono += 20 * MIN;
	assert_int_equal(users_session_get(f->users, s.token, &g), 0);
	assert_int_equal(g.idle_expires_s, 30 * 60);
	f->mono += 30 * MIN;
	assert_int_equal(users_session_get(f->users, s.token, &g), -EACCES);
	assert_int_equal(users_session_count(f->users), 0);
}

static void test_session_absolute_expiry(void **state)
{
	struct fixture *f = *state;
	struct users_session s, g;

	assert_int_equal(login(f->users, "alice", PW, NULL, &s, NULL), 0);
	for (int i = 0; i < 12 * 3 - 1; i++) {
		f->mono += 20 * MIN;
		assert_int_equal(users_session_get(f->users, s.token, &g), 0);
	}
	f->mono += 20 * MIN;
	assert_int_equal(users_session_get(f->users, s.token, &g), -EACCES);
}

static void test_logout_ends_session(void **state)
{
	struct fixture *f = *state;
	struct users_session s, g;

	assert_int_equal(login(f->users, "alice", PW, NULL, &s, NULL), 0);
	assert_int_equal(users_logout(f->users, s.token, "10.0.0.1"), 0);
	assert_string_equal(last_kind(f), "user.logout");
	assert_int_equal(users_session_get(f->users, s.token, &g), -EACCES);
	assert_int_equal(users_logout(f->users, s.token, NULL), -EACCES);
}

static void test_disable_and_passwd_end_sessions(void **state)
{
	struct fixture *f = *state;
	struct users_session s, g;

	assert_int_equal(login(f->users, "alice", PW, NULL, &s, NULL), 0);
	assert_int_equal(users_set_password(f->users, "alice", "another long passphrase", "uid:0"),
			 0);
	assert_string_equal(last_kind(f), "user.password_changed");
	assert_int_equal(users_session_get(f->users, s.token, &g), -EACCES);
	assert_int_equal(login(f->users, "alice", PW, NULL, &s, NULL), -EACCES);
	assert_int_equal(login(f->users, "alice", "another long passphrase", NULL, &s, NULL), 0);
	assert_int_equal(users_set_disabled(f->users, "alice", true, NULL), 0);
	assert_int_equal(users_session_get(f->users, s.token, &g), -EACCES);
	assert_int_equal(users_set_password(f->users, "nobody", PW, NULL), -ENOENT);
	assert_int_equal(users_set_password(f->users, "alice", "short", NULL), -EINVAL);
}

static void test_per_user_session_cap_ends_oldest(void **state)
{
	struct fixture *f = *state;
	struct users_session first, s, g;

	assert_int_equal(login(f->users, "alice", PW, NULL, &first, NULL), 0);
	for (int i = 0; i < AEOGATE_SESSIONS_PER_USER_MAX; i++) {
		f->mono += 1000;
		assert_int_equal(login(f->users, "alice", PW, NULL, &s, NULL), 0);
	}
	assert_int_equal(users_session_count(f->users), AEOGATE_SESSIONS_PER_USER_MAX);
	assert_int_equal(users_session_get(f->users, first.token, &g), -EACCES);
	assert_int_equal(users_session_get(f->users, s.token, &g), 0);
}

static void test_malformed_tokens_are_refused(void **state)
{
	struct fixture *f = *state;
	struct users_session g;
	char op[96];
	unsigned role;

	assert_int_equal(users_session_get(f->users, "", &g), -EACCES);
	assert_int_equal(users_session_get(f->users, NULL, &g), -EACCES);
	assert_int_equal(users_session_get(f->users, "zz", &g), -EACCES);
	assert_int_equal(users_token_resolve(f->users,
					     "0000000000000000000000000000000000000000000000000000"
					     "000000000000",
					     &role, op, sizeof(op)),
			 -EACCES);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_password_policy_bounds),
	    cmocka_unit_test_setup_teardown(test_add_refuses_bad_input_and_duplicates, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_login_issues_token_that_resolves, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_login_failures_are_events_with_reasons, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_account_is_delayed_after_five_failures_in_a_row,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_delay_doubles_with_each_further_failure_up_to_a_minute, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_failures_are_forgotten_after_a_quiet_while, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(
		test_other_accounts_failures_never_refuse_a_correct_password, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_source_failures_delay_only_its_failing_attempts,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_throttle_survives_a_restart, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_wall_clock_stepping_back_never_delays_longer_than_a_minute, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_session_idle_expiry_refreshes_on_use, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_session_absolute_expiry, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_logout_ends_session, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_disable_and_passwd_end_sessions, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_per_user_session_cap_ends_oldest, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_malformed_tokens_are_refused, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
