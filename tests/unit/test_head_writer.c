// SPDX-License-Identifier: MIT
/*
 * The signed head record is written off the loop's thread
 * (controller/audit/head.c): a checkpoint signed between two decisions
 * used to make the loop wait for three fsyncs (the WAL, the record, its
 * folder), the longest pause a decision saw, longer still while a backup
 * kept the disk busy. fsync is wrapped (-Wl,--wrap=fsync) to see which
 * thread calls it.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "audit.h"
#include "checkpoint.h"
#include "aeogate/config.h"
#include "core.h"
#include "store.h"

int __real_fsync(int fd);

static pthread_t loop_thread;
static atomic_bool watching;
static atomic_int loop_fsyncs, other_fsyncs;

/* Counts, while watching, which thread syncs: the test's own is the loop's. */
int __wrap_fsync(int fd)
{
	if (atomic_load(&watching)) {
		if (pthread_equal(pthread_self(), loop_thread))
			atomic_fetch_add(&loop_fsyncs, 1);
		else
			atomic_fetch_add(&other_fsyncs, 1);
	}
	return __real_fsync(fd);
}

static int64_t fixed_wall(void *userdata)
{
	(void)userdata;
	return 1795872491123LL;
}

static int64_t fixed_mono(void *userdata)
{
	(void)userdata;
	return 1000;
}

struct fixture {
	char dir[64], path[160];
	struct config cfg;
	struct core *core;
	struct store *store;
	struct audit *audit;
};

static int setup(void **state)
{
	struct core_clock clock = {.wall_ms = fixed_wall, .mono_ms = fixed_mono};
	struct audit_settings settings = {.checkpoint_events = 1000};
	struct fixture *f = calloc(1, sizeof(*f));
	char err[512], db[200];
	FILE *fp;

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/aeogate-test-head.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/sim.ini", f->dir);
	fp = fopen(f->path, "w");
	assert_non_null(fp);
	fputs("[controller]\n[door cage-1]\nzone = bonded-cage\nlock = sim\n", fp);
	fclose(fp);
	assert_int_equal(config_load(f->path, &f->cfg, err, sizeof(err)), 0);
	assert_int_equal(core_new(&f->cfg, &clock, &f->core), 0);
	snprintf(db, sizeof(db), "%s/aeogate.db", f->dir);
	assert_int_equal(store_open(db, "normal", &f->store, err, sizeof(err)), 0);
	assert_int_equal(core_attach_store(f->core, f->store), 0);
	assert_int_equal(audit_new(&f->audit, f->core, f->dir, &settings, err, sizeof(err)), 0);
	loop_thread = pthread_self();
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	audit_free(f->audit);
	core_free(f->core);
	store_close(f->store);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static void emit(struct fixture *f, int n)
{
	for (int i = 0; i < n; i++) {
		struct event e = {.kind = "door.opened", .door = "cage-1"};

		assert_int_equal(core_emit(f->core, &e), 0);
	}
}

/* Waits, a bounded number of times, until the head record on disk reaches seq. */
static void wait_head(struct fixture *f, int64_t seq, struct head_record *ret)
{
	for (int k = 0; k < 3000; k++) {
		if (head_read(f->dir, ret) == 0 && ret->seq >= seq)
			return;
		usleep(10 * 1000);
	}
	fail_msg("the head record never reached seq %lld", (long long)seq);
}

static void test_a_checkpoint_leaves_the_fsyncs_to_another_thread(void **state)
{
	struct fixture *f = *state;
	struct checkpoint cp;
	struct head_record h;
	struct devkey key;
	bool created;

	for (int round = 1; round <= 3; round++) {
		emit(f, 10);
		atomic_store(&loop_fsyncs, 0);
		atomic_store(&other_fsyncs, 0);
		atomic_store(&watching, true);
		/* What audit_on_event does every checkpoint_events, on the loop. */
		assert_int_equal(audit_checkpoint_head(f->audit, &cp), 0);
		assert_true(cp.seq >= round * 10);
		wait_head(f, cp.seq, &h);
		atomic_store(&watching, false);
		/* The record is on disk, signed by this device, at the checkpoint's seq... */
		assert_int_equal(h.seq, cp.seq);
		assert_string_equal(h.hash, cp.hash);
		assert_int_equal(devkey_load_or_create(f->dir, &key, &created), 0);
		assert_false(created);
		assert_int_equal(head_verify(key.pk, &h), 0);
		/* ...made durable by a thread that is not the one deciding. */
		assert_int_equal(atomic_load(&loop_fsyncs), 0);
		assert_true(atomic_load(&other_fsyncs) >= 2);
	}
}

/* A clean stop writes the last head record before it returns. */
static void test_stop_leaves_the_head_on_disk(void **state)
{
	struct fixture *f = *state;
	struct head_record h;
	int64_t seq;
	char hash[EVENT_HASH_HEX];

	emit(f, 5);
	audit_stop(f->audit);
	assert_int_equal(store_event_last(f->store, &seq, hash), 0);
	assert_int_equal(head_read(f->dir, &h), 0);
	assert_int_equal(h.seq, seq);
	assert_string_equal(h.hash, hash);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_a_checkpoint_leaves_the_fsyncs_to_another_thread,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_stop_leaves_the_head_on_disk, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
