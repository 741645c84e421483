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

#include "store.h"
#include "users.h"

#define PW  "correct horse battery"
#define MIN (60 * 1000)

struct fixture {
	char dir[64];
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
	char path[96], err[256];

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/aeogate-users.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(path, sizeof(path), "%s/aeogate.db", f->dir);
	assert_int_equal(store_open(path, "normal", &f->store, err, sizeof(err)), 0);
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
	char cmd[128];

	users_free(f->users);
	store_close(f->store);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
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

	assert_int_equal(users_login(f->users, "alice", PW, "10.0.0.1", &s, NULL), 0);
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

		assert_int_equal(users_login(f->users, "alice", PW, NULL, &s2, NULL), 0);
		assert_string_not_equal(s.token, s2.token);
	}
}

static void test_login_failures_are_events_with_reasons(void **state)
{
	struct fixture *f = *state;
	struct users_session s;

	assert_int_equal(users_login(f->users, "alice", "wrong password!", NULL, &s, NULL),
			 -EACCES);
	assert_string_equal(last_kind(f), "user.login_failed");
	assert_string_equal(last_reason(f), "bad_password");
	assert_int_equal(users_login(f->users, "nobody", PW, NULL, &s, NULL), -EACCES);
	assert_string_equal(last_reason(f), "unknown_user");
	assert_int_equal(users_set_disabled(f->users, "alice", true, "uid:0"), 0);
	assert_string_equal(last_kind(f), "user.disabled");
	assert_int_equal(users_login(f->users, "alice", PW, NULL, &s, NULL), -EACCES);
	assert_string_equal(last_reason(f), "disabled");
	assert_int_equal(users_set_disabled(f->users, "alice", false, "uid:0"), 0);
	assert_int_equal(users_login(f->users, "alice", PW, NULL, &s, NULL), 0);
}

static void test_throttles_username_after_five_failures(void **state)
{
	struct fixture *f = *state;
	struct users_session s;
	int64_t retry = 0;

	for (int i = 0; i < AEOGATE_LOGIN_FAILURES_MAX; i++)
		assert_int_equal(users_login(f->users, "alice", "wrong password!", NULL, &s, NULL),
				 -EACCES);
	/* Locked out: even the right password is refused, and that is an event too. */
	assert_int_equal(users_login(f->users, "alice", PW, NULL, &s, &retry), -EBUSY);
	assert_int_equal(retry, 15 * 60);
	assert_string_equal(last_reason(f), "throttled");
	f->mono += 15 * MIN - 1000;
	assert_int_equal(users_login(f->users, "alice", PW, NULL, &s, &retry), -EBUSY);
	assert_int_equal(retry, 1);
	f->mono += 1000;
	assert_int_equal(users_login(f->users, "alice", PW, NULL, &s, NULL), 0);
}

static void test_failures_outside_window_do_not_add_up(void **state)
{
	struct fixture *f = *state;
	struct users_session s;

	for (int i = 0; i < AEOGATE_LOGIN_FAILURES_MAX - 1; i++)
		assert_int_equal(users_login(f->users, "alice", "wrong password!", NULL, &s, NULL),
				 -EACCES);
	f->mono += 15 * MIN;
	assert_int_equal(users_login(f->users, "alice", "wrong password!", NULL, &s, NULL),
			 -EACCES);
	assert_int_equal(users_login(f->users, "alice", PW, NULL, &s, NULL), 0);
}

static void test_throttles_source_across_usernames(void **state)
{
	struct fixture *f = *state;
	struct users_session s;
	int64_t retry = 0;
	char name[16];

	for (int i = 0; i < AEOGATE_LOGIN_FAILURES_MAX; i++) {
		snprintf(name, sizeof(name), "guess%d", i);
		assert_int_equal(users_login(f->users, name, PW, "192.0.2.7", &s, NULL), -EACCES);
	}
	assert_int_equal(users_login(f->users, "alice", PW, "192.0.2.7", &s, &retry), -EBUSY);
	assert_true(retry > 0);
	/* Another source is not affected. */
	assert_int_equal(users_login(f->users, "alice", PW, "192.0.2.8", &s, NULL), 0);
}

static void test_session_idle_expiry_refreshes_on_use(void **state)
{
	struct fixture *f = *state;
	struct users_session s, g;

	assert_int_equal(users_login(f->users, "alice", PW, NULL, &s, NULL), 0);
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

	assert_int_equal(users_login(f->users, "alice", PW, NULL, &s, NULL), 0);
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

	assert_int_equal(users_login(f->users, "alice", PW, NULL, &s, NULL), 0);
	assert_int_equal(users_logout(f->users, s.token, "10.0.0.1"), 0);
	assert_string_equal(last_kind(f), "user.logout");
	assert_int_equal(users_session_get(f->users, s.token, &g), -EACCES);
	assert_int_equal(users_logout(f->users, s.token, NULL), -EACCES);
}

static void test_disable_and_passwd_end_sessions(void **state)
{
	struct fixture *f = *state;
	struct users_session s, g;

	assert_int_equal(users_login(f->users, "alice", PW, NULL, &s, NULL), 0);
	assert_int_equal(users_set_password(f->users, "alice", "another long passphrase", "uid:0"),
			 0);
	assert_string_equal(last_kind(f), "user.password_changed");
	assert_int_equal(users_session_get(f->users, s.token, &g), -EACCES);
	assert_int_equal(users_login(f->users, "alice", PW, NULL, &s, NULL), -EACCES);
	assert_int_equal(users_login(f->users, "alice", "another long passphrase", NULL, &s, NULL),
			 0);
	assert_int_equal(users_set_disabled(f->users, "alice", true, NULL), 0);
	assert_int_equal(users_session_get(f->users, s.token, &g), -EACCES);
	assert_int_equal(users_set_password(f->users, "nobody", PW, NULL), -ENOENT);
	assert_int_equal(users_set_password(f->users, "alice", "short", NULL), -EINVAL);
}

static void test_per_user_session_cap_ends_oldest(void **state)
{
	struct fixture *f = *state;
	struct users_session first, s, g;

	assert_int_equal(users_login(f->users, "alice", PW, NULL, &first, NULL), 0);
	for (int i = 0; i < AEOGATE_SESSIONS_PER_USER_MAX; i++) {
		f->mono += 1000;
		assert_int_equal(users_login(f->users, "alice", PW, NULL, &s, NULL), 0);
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
	    cmocka_unit_test_setup_teardown(test_throttles_username_after_five_failures, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_failures_outside_window_do_not_add_up, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_throttles_source_across_usernames, setup,
					    teardown),
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
