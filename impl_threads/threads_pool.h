/*
 * threads_pool.h - the pool model (bin/threads --pool N): the threads
 * model's blocking code on a fixed pool of N OS threads that take the slots'
 * tasks from one queue, as a real threaded server does (Apache's worker MPM,
 * Tomcat's executor, Java's fixed pools: a ThreadPoolExecutor on a
 * LinkedBlockingQueue).
 *
 * Closed loop, c slots: the c first tasks arrive at the run's start and wait
 * in the queue; when a task ends, its slot's next task arrives at that moment
 * (the dispatch rules of harness/runtime/dispatch.h, as on every model) and
 * joins the queue's tail, and the worker that is now free takes the head.  A
 * task's latency runs from its arrival, its wait in the queue included.  With
 * c <= N every task finds a free worker (the one whose task just ended), and
 * N - c threads wait idle; above N, c - N tasks wait in the queue: the
 * pool's trade-off, bounded threads and memory for queueing delay.
 *
 * Open loop (--rate): arrivals come at their schedule whatever the pool is
 * doing; min(N, c) workers take them in order (dispatch_take), a worker that
 * is early waiting for its arrival, so a task waits for a free worker as it
 * would in the queue.  The queue is not needed for that.
 *
 * The queue is a mutex and a condition variable around a ring of c entries
 * (at most c tasks exist, each queued or running), the plain design the
 * servers above deploy; a worker that ends a task puts the slot's next one
 * in and takes the head in one critical section, so in a steady run no
 * worker ever needs waking.  Cost per task: one uncontended-to-contended
 * mutex round trip.
 */
#ifndef THREADS_POOL_H
#define THREADS_POOL_H

#include <pthread.h>
#include <stdint.h>

#include "../harness/runtime/dispatch.h"
#include "../harness/runtime/tally.h"
#include "worker.h"

/* THR_POOL_DEFAULT: the registry's pool size (harness/models.def passes
 * --pool=200), not a default of the flag, named here for docs/models.md:
 * Tomcat's maxThreads and Jetty's QueuedThreadPool both default to 200;
 * Apache's worker MPM runs 25 threads a child, 400 at most (16 children). */
#define THR_POOL_DEFAULT 200

/* One queued task. */
struct thr_pool_item {
	uint64_t id;      /* the task */
	uint64_t arrival; /* when it arrived; 0: at the run's start (d->t_go) */
};

/* The queue the pool's workers drain. */
struct thr_pool {
	pthread_mutex_t mu;          /* guards everything below */
	pthread_cond_t cv;           /* a task was queued, the last was taken, or the run stopped */
	struct thr_pool_item *ring;  /* cap entries */
	uint64_t cap;                /* the slots: the most tasks that can wait */
	uint64_t head;               /* the oldest queued task's index in ring */
	uint64_t len;                /* tasks queued */
	uint64_t taken;              /* tasks taken so far; every id is queued and taken once */
	int stopped;                 /* 1: the run has a fault, take nothing more */
	struct dispatch *d;          /* the run's ids and start */
};

/*
 * thr_pool_init - the queue of a closed run, before the clock: the c first
 * tasks (ids 0..c-1) queued, arriving at the run's start.  0, or -1 (out of
 * memory for c entries).
 */
int thr_pool_init(struct thr_pool *p, struct dispatch *d);

/* thr_pool_free - after the run. */
void thr_pool_free(struct thr_pool *p);

/* thr_pool_stop - the run has a fault: every waiting worker returns,
 * taking nothing more. */
void thr_pool_stop(struct thr_pool *p);

/*
 * thr_pool_worker_run - one worker of the pool, from the run's start until
 * every task is taken or the run stops: take the queue's head, run it
 * (thr_task_run), queue its slot's next task and take the head again.
 * Returns 0, or -1 when a task failed fatally (w->err says why; the caller
 * fails the run and stops the pool).
 */
int thr_pool_worker_run(struct thr_pool *p, const struct threads_ops *ops, struct thr_worker *w,
			struct run_fault *fault, const struct thr_slot_hooks *h,
			struct run_tally *t);

#endif
