/*
 * tally.h - what every runtime keeps of a run the same way: its first fatal
 * fault, and per thread or loop the tasks done, failed and folded, merged
 * into the run's result at the end.  One copy for every model, so a fault
 * or a count cannot be handled one way on threads and another on a loop.
 */
#ifndef TALLY_H
#define TALLY_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>

#include "model.h"

/* The first fatal fault of a run; any thread may report one. */
struct run_fault {
	pthread_mutex_t mu;            /* guards reason */
	atomic_int stop;               /* 1: a fault happened, take no more tasks */
	char reason[MODEL_REASON_MAX]; /* the first one, "" if none */
};

#define RUN_FAULT_INIT { PTHREAD_MUTEX_INITIALIZER, 0, "" }

/* run_fault_set - keep why if it is the first fault, and stop the run.
 * Cost: a mutex; only on a fault. */
static inline void run_fault_set(struct run_fault *f, const char *why)
{
	pthread_mutex_lock(&f->mu);
	if (!f->reason[0])
		snprintf(f->reason, sizeof(f->reason), "%s", why);
	atomic_store(&f->stop, 1);
	pthread_mutex_unlock(&f->mu);
}

/* run_fault_stopped - 1 once a fault was set.  Cost: a relaxed load. */
static inline int run_fault_stopped(struct run_fault *f)
{
	return atomic_load_explicit(&f->stop, memory_order_relaxed);
}

/* One thread's or loop's count of the run, written by it alone. */
struct run_tally {
	uint64_t done;     /* tasks completed */
	uint64_t errors;   /* tasks failed */
	uint64_t checksum; /* wrapping sum of wl_fold() of completed tasks */
	uint64_t t_last;   /* when its last task ended (failed ones too) */
};

/* run_tally_merge - add t to res, and move *t_end to t's last task. */
static inline void run_tally_merge(struct run_result *res, const struct run_tally *t,
				   uint64_t *t_end)
{
	res->done += t->done;
	res->errors += t->errors;
	res->checksum += t->checksum;
	if (t->t_last > *t_end)
		*t_end = t->t_last;
}

/* run_fault_report - after the run: 0, or -1 with the fault in res->reason. */
static inline int run_fault_report(const struct run_fault *f, struct run_result *res)
{
	if (!f->reason[0])
		return 0;
	snprintf(res->reason, sizeof(res->reason), "%s", f->reason);
	return -1;
}

#endif
