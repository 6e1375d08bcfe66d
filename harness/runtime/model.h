/*
 * model.h - the contract between the shared runner (harness/runtime/runner.c) and
 * one concurrency model (impl_threads/, impl_async/).
 *
 * The runner owns everything both models must do the same way: the command
 * line, the backend process, the clock, resource figures and the output.  A
 * model only runs tasks and reports what happened.
 */
#ifndef MODEL_H
#define MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "../../workloads/workload.h"
#include "hist.h"
#include "stats.h"

#define MODEL_REASON_MAX 256 /* longest failure reason */
/* A run may lose at most this share of its tasks to errors (counted, the
 * run goes on); past it the run fails, naming the first error: a peer that
 * answers wrongly most of the time measured nothing (runner.c). */
#define MODEL_ERROR_SHARE_MAX 0.01

/* One run, as the command line and the registry define it. */
struct run_config {
	const struct wl_info *wl; /* the workload */
	size_t wl_index;          /* its index in wl_registry (and in each model's table) */
	struct wl_params params;  /* resolved parameters, defaults applied */
	uint64_t concurrency;     /* tasks in flight at most */
	uint64_t tasks;           /* tasks to run */
	uint64_t stack_kib;       /* --stack-kib as asked, 0: not given (the model's default) */
	uint64_t loops;           /* event loops, one per thread (async only), >= 1 */
	uint64_t workers;         /* CPU worker pool size (async only), 0: none */
	uint64_t rate;            /* open loop: arrivals per second; 0: closed loop */
	uint64_t pool;            /* threads --pool: worker threads draining a queue of the
				     slots' tasks; 0: one thread per slot */
};

/* What a run did.  The runner zeroes it before calling the model. */
struct run_result {
	uint64_t done;      /* tasks that completed and were verified */
	uint64_t errors;    /* tasks that failed; counted, the run goes on */
	uint64_t checksum;  /* wrapping sum of wl_fold() over completed tasks */
	uint64_t wall_ns;   /* from the start of the first task to the end of the last */
	uint64_t window_ns; /* the measured window (harness/runtime/dispatch.h): lat holds the
			       tasks that completed in it; wall_ns if it is the whole run */
	int peak_threads;   /* OS threads of the process at its busiest */
	uint64_t stack_kib; /* the stack a task runs on, KiB, set by the model: its OS
			       thread's (threads, pool: pthread_attr_getstacksize of the
			       attributes it is created with), its coroutine's (green,
			       uring).  An async task has no stack of its own: it runs
			       on its loop thread's, and 0 left here means that one,
			       the default thread stack the runner fills in */
	/* Set by run_clock_start / run_clock_stop (runner.c), never by a model: */
	uint64_t t_start_ns;       /* the clock's start */
	uint64_t t_stop_ns;        /* the clock's stop, 0 until stopped */
	struct stats_usage u_start; /* this process's CPU and switches at the start */
	struct stats_usage u_stop;  /* ... and at the stop */
	struct stats_proc b_start;  /* the run's own backend at the start */
	struct stats_proc b_stop;   /* ... and at the stop */
	int b_ok;                   /* 1: both backend readings are valid */
	struct hist lat;    /* latency of the window's tasks, merged over threads or loops */
	char reason[MODEL_REASON_MAX]; /* why the run failed; "" if it did not */
	char first_error[MODEL_REASON_MAX]; /* why its first failed task failed; "" if none */
};

struct model {
	const char *name; /* "threads", "async", ...: argv, JSON and file names */
	int coroutines;   /* 1: blocking code on coroutines (green, uring) */
	/*
	 * run - run cfg->tasks tasks with at most cfg->concurrency in flight.
	 * Returns 0, or -1 with res->reason naming the resource or fault and
	 * how far the run got (e.g. "pthread_create: EAGAIN at 31500 threads").
	 */
	int (*run)(const struct run_config *cfg, struct run_result *res);
	/*
	 * serve - --serve: accept connections on the runner's listeners
	 * (harness/runtime/serve.h) and run the pair's task for each request
	 * with the pair's own code, each connection's handler set up as a
	 * fan-out slot is (worker_init, slot_init), until serve_stop; then close
	 * every connection and return.  Counts go through serve.h.  Returns 0,
	 * or -1 with res->reason set (a set-up failure; a fault while serving
	 * is serve_fault's).  NULL: the model does not serve.
	 */
	int (*serve)(const struct run_config *cfg, struct run_result *res);
};

/*
 * run_clock_start - every model calls it once, when everything the run needs
 * exists (threads created and parked, loops and their threads made, slots
 * connected) and the first task is about to be released; it returns the
 * clock's start, the first arrivals' time.  It takes the CPU, switch,
 * thread and memory figures there, so set-up is never charged to the tasks.
 * Cost: a getrusage, a few /proc reads (tens of us), before the clock.
 */
uint64_t run_clock_start(struct run_result *res);

/*
 * run_clock_stop - called once, from whichever thread sees the last task of
 * the run end, before anything is torn down (threads still parked, slots and
 * sockets still open).  Takes the same figures: the window between the two
 * is what the CPU, switch and backend columns cover.  A model that stopped
 * before starting the clock need not call it.
 */
void run_clock_stop(struct run_result *res);

/*
 * run_window_edge - dispatch.h calls it once when a run's measured window
 * opens (edge 0) and once when it closes (edge 1), from whichever thread
 * moved it: the runner reads its own backend's CPU there, so backend_util
 * covers the span the throughput and latency figures cover.  Thread-safe.
 * Cost: one /proc read (about 10 us) at each edge of a run with a backend
 * of its own, the same for every model; nothing otherwise.
 */
void run_window_edge(int edge);

/*
 * run_abort_cleanup - for a model's fatal-signal handler that is about to
 * _exit(3) (a coroutine that overran its stack): stop the run's own backend
 * and leave the memory cgroup, as the timeout does.  Async-signal-safe.
 */
void run_abort_cleanup(void);

/*
 * run_fail_now - fail the run at once, from any thread, when the run cannot
 * end the ordinary way because a model thread is stuck (a coroutine asleep
 * in a system call the runtime does not hook holds its loop): the run's one
 * failure line on stderr with `why`, the failed run's stats line where a
 * finished run's goes (--json, --stats-out), the run's own backend stopped,
 * the memory cgroup left, exit 3.  Never returns.  Not for a signal handler
 * (it formats); a model's ordinary failure returns -1 from run() instead.
 */
_Noreturn void run_fail_now(const char *why);

/* Defined once per binary, by impl_threads/threads.c or impl_async/async.c. */
extern const struct model model_impl;

#endif
