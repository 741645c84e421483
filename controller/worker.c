/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <systemd/sd-event.h>
#include <unistd.h>

#include "aeogate/limits.h"
#include "worker.h"

struct job {
	void *data;
	worker_run_fn run;
	worker_done_fn done;
	bool finished;
};

struct worker {
	pthread_t thread;
	bool started;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_cond_t finished; /* a job finished: for worker_drain */
	bool stopping;
	/* A ring of jobs: queued ones from head, finished ones are collected in order. */
	struct job jobs[AEOGATE_WORKER_QUEUE_MAX];
	size_t head, len;
	size_t next_run; /* index (from head) of the next job to run */
	int efd;
	sd_event_source *src;
};

static void *worker_main(void *userdata)
{
	struct worker *w = userdata;

	pthread_mutex_lock(&w->lock);
	for (;;) {
		while (!w->stopping && w->next_run >= w->len)
			pthread_cond_wait(&w->wake, &w->lock);
		if (w->stopping)
			break;
		struct job *j = &w->jobs[(w->head + w->next_run) % AEOGATE_WORKER_QUEUE_MAX];
		pthread_mutex_unlock(&w->lock);
		j->run(j->data);
		pthread_mutex_lock(&w->lock);
		j->finished = true;
		w->next_run++;
		pthread_cond_broadcast(&w->finished);
		uint64_t one = 1;
		(void)!write(w->efd, &one, sizeof(one));
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

/* Hands finished jobs back, in submission order, on the loop thread. */
static void deliver(struct worker *w)
{
	for (;;) {
		struct job j;

		pthread_mutex_lock(&w->lock);
		if (!w->len || !w->jobs[w->head].finished) {
			pthread_mutex_unlock(&w->lock);
			break;
		}
		j = w->jobs[w->head];
		w->jobs[w->head] = (struct job){0};
		w->head = (w->head + 1) % AEOGATE_WORKER_QUEUE_MAX;
		w->len--;
		w->next_run--;
		pthread_mutex_unlock(&w->lock);
		j.done(j.data);
	}
}

static int on_done(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct worker *w = userdata;
	uint64_t n;

	(void)!read(fd, &n, sizeof(n));
	deliver(w);
	return 0;
}

void worker_drain(struct worker *w, bool (*match)(void *job, void *userdata), void *userdata)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	for (size_t k = 0; k < w->len; k++) {
		struct job *j = &w->jobs[(w->head + k) % AEOGATE_WORKER_QUEUE_MAX];

		/* Jobs run in order: once this one finished, every one before it has. */
		if (match(j->data, userdata))
			while (!j->finished && w->started)
				pthread_cond_wait(&w->finished, &w->lock);
	}
	pthread_mutex_unlock(&w->lock);
	deliver(w);
}

int worker_new(sd_event *e, struct worker **ret)
{
	struct worker *w = calloc(1, sizeof(*w));
	int r;

	if (!w)
		return -ENOMEM;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->wake, NULL);
	pthread_cond_init(&w->finished, NULL);
	w->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (w->efd < 0) {
		r = -errno;
		goto err;
	}
	r = sd_event_add_io(e, &w->src, w->efd, EPOLLIN, on_done, w);
	if (r < 0)
		goto err;
	r = -pthread_create(&w->thread, NULL, worker_main, w);
	if (r < 0)
		goto err;
	w->started = true;
	*ret = w;
	return 0;
err:
	worker_free(w);
	return r;
}

int worker_submit(struct worker *w, void *job, worker_run_fn run, worker_done_fn done)
{
	pthread_mutex_lock(&w->lock);
	if (w->len >= AEOGATE_WORKER_QUEUE_MAX) {
		pthread_mutex_unlock(&w->lock);
		return -EBUSY;
	}
	w->jobs[(w->head + w->len) % AEOGATE_WORKER_QUEUE_MAX] =
	    (struct job){.data = job, .run = run, .done = done};
	w->len++;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
	return 0;
}

void worker_free(struct worker *w)
{
	if (!w)
		return;
	if (w->started) {
		pthread_mutex_lock(&w->lock);
		w->stopping = true;
		pthread_cond_signal(&w->wake);
		pthread_mutex_unlock(&w->lock);
		pthread_join(w->thread, NULL);
	}
	/* Whatever is left is answered now, so no caller waits forever. */
	while (w->len) {
		struct job j = w->jobs[w->head];
		w->head = (w->head + 1) % AEOGATE_WORKER_QUEUE_MAX;
		w->len--;
		if (j.done)
			j.done(j.data);
	}
	sd_event_source_disable_unref(w->src);
	if (w->efd >= 0)
		close(w->efd);
	pthread_cond_destroy(&w->wake);
	pthread_cond_destroy(&w->finished);
	pthread_mutex_destroy(&w->lock);
	free(w);
}
