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

/* The first fatal fault of a run, and why its first task failed; any thread
 * may report either. */
struct run_fault {
	pthread_mutex_t mu;            /* guards reason and first_error */
	atomic_int stop;               /* 1: a fault happened, take no more tasks */
	char reason[MODEL_REASON_MAX]; /* the first one, "" if none */
	atomic_int erred;              /* 1: first_error is set (or being set) */
	char first_error[MODEL_REASON_MAX]; /* why the first failed task failed, "" if none */
};

#define RUN_FAULT_INIT { PTHREAD_MUTEX_INITIALIZER, 0, "", 0, "" }

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

/* run_error_note - a task failed (counted, the run goes on) because of why:
 * kept if it is the run's first, so a run failed for its share of errors
 * can say what they were (model.h).  Cost: a relaxed load; the mutex once. */
static inline void run_error_note(struct run_fault *f, const char *why)
{
	if (atomic_load_explicit(&f->erred, memory_order_relaxed) ||
	    atomic_exchange(&f->erred, 1))
		return;
	pthread_mutex_lock(&f->mu);
	snprintf(f->first_error, sizeof(f->first_error), "%s", why && why[0] ? why : "task failed");
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
static inline int run_fault_report(struct run_fault *f, struct run_result *res)
{
	pthread_mutex_lock(&f->mu);
	snprintf(res->first_error, sizeof(res->first_error), "%s", f->first_error);
	pthread_mutex_unlock(&f->mu);
	if (!f->reason[0])
		return 0;
	snprintf(res->reason, sizeof(res->reason), "%s", f->reason);
	return -1;
}

#endif
