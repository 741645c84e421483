/* SPDX-License-Identifier: MIT */
/*
 * One worker thread for CPU-heavy work that must not hold the event loop:
 * argon2 password checks cost tens of milliseconds, and a badge read must
 * never wait behind a login. Jobs are run in order; their completion is
 * handed back to the loop thread through an eventfd, so everything but the
 * job function itself runs on the loop.
 */
#ifndef AEOGATE_WORKER_H
#define AEOGATE_WORKER_H

#include <stdbool.h>

struct sd_event;
struct worker;

/* Runs on the worker thread: touch only the job's own data. */
typedef void (*worker_run_fn)(void *job);
/* Runs on the loop thread once run has returned. */
typedef void (*worker_done_fn)(void *job);

int worker_new(struct sd_event *e, struct worker **ret);
/* Waits for the job in progress, drops queued ones (their done is called, on this thread). */
void worker_free(struct worker *w); /* accepts NULL */

/* Queues a job; -EBUSY when AEOGATE_WORKER_QUEUE_MAX jobs are waiting. */
int worker_submit(struct worker *w, void *job, worker_run_fn run, worker_done_fn done);

/*
 * On the loop thread: waits until every queued job for which match(job,
 * userdata) is true has run, then hands back every finished job, in
 * order, as the loop would (their done runs here). The others stay queued
 * and run on. For what must be settled now (a reader being removed).
 */
void worker_drain(struct worker *w, bool (*match)(void *job, void *userdata), void *userdata);

#endif
