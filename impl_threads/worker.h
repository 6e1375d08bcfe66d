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

#include "../harness/dispatch.h"
#include "threads.h"

/* Where a runtime records a finished task's latency (ns) in phase p. */
typedef void (*thr_record_fn)(void *arg, enum dispatch_phase p, uint64_t ns);

/* What one slot did: summed by its runtime after the run. */
struct thr_tally {
	uint64_t done;     /* tasks completed */
	uint64_t errors;   /* tasks failed */
	uint64_t checksum; /* sum of wl_fold() of completed tasks */
	uint64_t t_last;   /* when its last task ended */
};

/* How a slot runs: its runtime's hooks. */
struct thr_slot_hooks {
	thr_record_fn record; /* where latencies go */
	void *record_arg;     /* its argument */
	/* between (optional) - called after each task when another follows: a
	 * cooperative runtime gives its other slots a turn here, as a loop does
	 * between one callback and the next.  NULL on OS threads. */
	void (*between)(void *record_arg);
};

/*
 * thr_worker_run - run tasks on slot `index` from the run's start (d->t_go)
 * until the ids run out or *stop is set.  Returns 0, or -1 when a task failed
 * fatally (w->err says why; the caller fails the run).  Cost per task: the
 * task, a clock read, dispatch_take/phase and one record call.
 */
int thr_worker_run(const struct threads_ops *ops, struct thr_worker *w, struct dispatch *d,
		   uint64_t index, atomic_int *stop, const struct thr_slot_hooks *h,
		   struct thr_tally *t);

#endif
