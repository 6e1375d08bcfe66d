/*
 * threads.h - what a workload writes to run on OS threads.
 *
 * The threads model is straight-line blocking code: every worker thread takes
 * the next task id, runs the workload's task function to completion (blocking
 * in sleep, connect, send or recv as it likes), and takes the next.  With
 * -c N there are N worker threads, so at most N tasks are in flight.
 */
#ifndef THREADS_H
#define THREADS_H

#include <stdint.h>

#include "../harness/runtime/model.h"

#define THR_ERR_MAX 160 /* longest per-worker error text */

/* One worker thread.  Workloads read `params` and may use `fd` and `state`. */
struct thr_worker {
	const struct wl_params *params; /* the run's parameters */
	int fd;                         /* a socket a workload may keep open, or -1 */
	void *state;                    /* workload-private, set by worker_init */
	uint64_t t_begin_ns;            /* when the running task began: a clock reading
					   at or after its arrival (blk_sleep_from) */
	char err[THR_ERR_MAX];          /* why worker_init or a task failed */
};

/* A workload's threads side, defined as `threads_NAME` in impl_threads/NAME.c. */
struct threads_ops {
	/*
	 * worker_init (optional) - prepare one worker before the start signal,
	 * e.g. connect to the backend.  Returns 0, or -1 with w->err set: the
	 * run then fails (exit 3) naming it.
	 */
	int (*worker_init)(struct thr_worker *w);
	/*
	 * task - run task `id` to completion, blocking as needed.
	 * Returns 0 with *result set (folded into the checksum), 1 for a task
	 * error that is counted while the worker goes on, or -1 for a fatal
	 * fault (w->err set) that stops the run.
	 */
	int (*task)(struct thr_worker *w, uint64_t id, uint64_t *result);
	/* worker_fini (optional) - release what worker_init took. */
	void (*worker_fini)(struct thr_worker *w);
};

#endif
