/*
 * worker.h - one slot's task loop, shared by every runtime that runs
 * blocking-style code (threads.c, and the coroutine scheduler of green and
 * uring): take tasks by the rules of harness/dispatch.h, wait for an
 * open-loop arrival with blk_sleep_until, run the pair's task, record its
 * latency, fold its result.  One copy, so the models differ only in how a
 * task waits.
 */
#ifndef THREADS_WORKER_H
#define THREADS_WORKER_H

#include <stdatomic.h>
#include <stdint.h>

#include "../harness/runtime/dispatch.h"
#include "../harness/runtime/tally.h"
#include "threads.h"

/* Where a runtime records a finished task's latency (ns) in phase p. */
typedef void (*thr_record_fn)(void *arg, enum dispatch_phase p, uint64_t ns);

/* How a slot runs: its runtime's hooks. */
struct thr_slot_hooks {
	thr_record_fn record; /* where latencies go */
	void *record_arg;     /* its argument */
	/* between (optional) - called after each task when another follows: a
	 * cooperative runtime gives its other slots a turn here, as a loop does
	 * between one callback and the next.  Returns 1 if it did (time
	 * passed: the next task's start is read again), else 0.  NULL on OS
	 * threads. */
	int (*between)(void *record_arg);
	/* block (optional) - the ids of the slot's loop (dispatch_take_block),
	 * shared by its slots, touched by its thread only; NULL: every id from
	 * the counter (OS threads). */
	struct dispatch_block *block;
};

/*
 * thr_worker_run - run tasks on slot `index` from the run's start (d->t_go)
 * until the ids run out or the run has a fault (run_fault_stopped).  Returns 0, or -1 when a task failed
 * fatally (w->err says why; the caller fails the run).  Cost per task: the
 * task, a clock read, dispatch_take/phase and one record call.  That one
 * reading ends a task and begins the next (w->t_begin_ns, closed loop); a
 * first task, an early open-loop arrival and a slot that gave way read the
 * clock again.
 */
int thr_worker_run(const struct threads_ops *ops, struct thr_worker *w, struct dispatch *d,
		   uint64_t index, struct run_fault *fault, const struct thr_slot_hooks *h,
		   struct run_tally *t);

/*
 * thr_task_run - one task of a slot, the steps every blocking-style runtime
 * takes alike: task `id`, arrived at `arrival`, begins at *now (a clock
 * reading at or after its arrival), runs to its end, which is read into
 * *now; the slot's next task is taken then (*next, >= d->tasks if none,
 * arriving at *next_arrival), the latency (*now - arrival) recorded by the
 * window's rules and the result folded into t.  Returns 0, 1 for a task
 * error (counted), or -1 for a fatal one (w->err says why).  The pool
 * (threads_pool.c) runs it on whichever task its queue hands a worker.
 */
int thr_task_run(const struct threads_ops *ops, struct thr_worker *w, struct dispatch *d,
		 const struct thr_slot_hooks *h, struct run_tally *t, uint64_t id, uint64_t arrival,
		 uint64_t *now, uint64_t *next, uint64_t *next_arrival);

#endif
