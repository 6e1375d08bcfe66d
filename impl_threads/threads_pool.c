/*
 * threads_pool.c - the queue of the pool model and its workers' task loop
 * (threads_pool.h says what the model is and why it is built so).
 */
#include <stdlib.h>

#include "../harness/runtime/clock.h"
#include "threads_pool.h"

#define POOL_NO_TASK UINT64_MAX /* swap's "nothing to queue" (no task id is this) */

int thr_pool_init(struct thr_pool *p, struct dispatch *d)
{
	p->cap = d->c;
	p->ring = calloc(p->cap, sizeof(*p->ring));
	if (!p->ring)
		return -1;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	p->d = d;
	p->head = 0;
	p->taken = 0;
	p->stopped = 0;
	/* Slot i's first task is task i (dispatch_first), arriving at t_go. */
	p->len = d->c < d->tasks ? d->c : d->tasks;
	for (uint64_t i = 0; i < p->len; i++)
		p->ring[i] = (struct thr_pool_item){ .id = i, .arrival = 0 };
	return 0;
}

void thr_pool_free(struct thr_pool *p)
{
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
	free(p->ring);
	p->ring = NULL;
}

void thr_pool_stop(struct thr_pool *p)
{
	pthread_mutex_lock(&p->mu);
	p->stopped = 1;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

/*
 * swap - queue task id (arrived at `arrival`; id >= tasks: the slot has none
 * left) at the tail, then take the head, waiting while the queue is empty and
 * tasks are still to come (running ones whose slots will queue another).
 * Returns the id taken, its arrival in *taken_arrival, or POOL_NO_TASK when
 * every task is taken or the run stopped.  The worker that takes the last
 * task wakes every idle one.
 */
static uint64_t swap(struct thr_pool *p, uint64_t id, uint64_t arrival, uint64_t *taken_arrival)
{
	uint64_t tasks = p->d->tasks;
	pthread_mutex_lock(&p->mu);
	if (id < tasks) {
		/* At most c tasks exist, each queued or running: never full. */
		p->ring[(p->head + p->len) % p->cap] = (struct thr_pool_item){ id, arrival };
		p->len++;
	}
	while (p->len == 0 && p->taken < tasks && !p->stopped) {
		pthread_cond_wait(&p->cv, &p->mu);
	}
	uint64_t got = POOL_NO_TASK;
	int last = 0;
	if (p->len > 0 && !p->stopped) {
		struct thr_pool_item it = p->ring[p->head];
		p->head = (p->head + 1) % p->cap;
		p->len--;
		last = ++p->taken == tasks;
		got = it.id;
		*taken_arrival = it.arrival ? it.arrival : p->d->t_go;
	}
	if (last)
		pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	return got;
}

int thr_pool_worker_run(struct thr_pool *p, const struct threads_ops *ops, struct thr_worker *w,
			struct run_fault *fault, const struct thr_slot_hooks *h,
			struct run_tally *t)
{
	uint64_t arrival = 0;
	uint64_t id = swap(p, POOL_NO_TASK, 0, &arrival);
	uint64_t now = clock_now_ns();
	while (id < p->d->tasks) {
		if (run_fault_stopped(fault))
			break;
		uint64_t next, next_arrival;
		int rc = thr_task_run(ops, w, p->d, h, t, id, arrival, &now, &next, &next_arrival);
		if (rc < 0)
			return -1;
		if (rc > 0)
			run_error_note(fault, w->err); /* the run's first error, if it is */
		id = swap(p, next, next_arrival, &arrival);
		/* Read again even when it did not wait: the lock may have been
		 * held, and a task timed from before it (blk_sleep_from) would
		 * wait less than it asks. */
		now = clock_now_ns();
	}
	return 0;
}
