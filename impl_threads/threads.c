/*
 * threads.c - the OS-threads model: one worker thread per in-flight task.
 *
 * -c N creates N worker threads before the clock starts.  Worker i is one
 * client of a closed loop: it runs tasks i, i+N, i+2N, ... back to back, with
 * blocking calls, its next task starting the moment its last one ends (the
 * async model's slots do exactly the same).  A shared work queue would let
 * the few threads the kernel happens to run take every task while the rest
 * sleep, so "1024 in flight" would really be "2 in flight".  Latency goes into the worker's own
 * histogram; histograms, counts and checksums are merged after the join.
 *
 * When the kernel refuses a thread (pthread_create EAGAIN: RLIMIT_NPROC,
 * pid_max, threads-max, or memory for the stack) the run stops the threads it
 * has, and fails naming the error and how many threads it had reached.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../harness/clock.h"
#include "../harness/stats.h"
#include "threads.h"

/* The registry, as this model sees it: threads_NAME for every line. */
#define WORKLOAD(name) extern const struct threads_ops threads_##name;
#include "../workloads/workloads.def"
#undef WORKLOAD
static const struct threads_ops *const ops_table[] = {
#define WORKLOAD(name) &threads_##name,
#include "../workloads/workloads.def"
#undef WORKLOAD
};

/* State shared by all workers of a run. */
struct run_state {
	const struct threads_ops *ops; /* the workload's threads side */
	const struct run_config *cfg;  /* the run */
	atomic_int stop;               /* 1: a fatal fault, stop taking tasks */
	pthread_mutex_t mu;            /* guards ready, go, reason */
	pthread_cond_t cv;             /* ready changed, or go was set */
	uint64_t ready;                /* workers done with worker_init */
	int go;                        /* 1: the clock has started */
	uint64_t t_go;                 /* when it started: every first task's start */
	char reason[MODEL_REASON_MAX]; /* first fatal fault */
};

/* One worker; an array of these is calloc'ed, so untouched histogram pages
 * never become resident. */
struct worker {
	struct thr_worker w;   /* what the workload sees */
	struct run_state *run; /* shared state */
	pthread_t tid;         /* the thread */
	uint64_t index;        /* its first task id; it runs index + k * c */
	uint64_t done;         /* tasks completed */
	uint64_t errors;       /* tasks failed */
	uint64_t checksum;     /* sum of wl_fold() of completed tasks */
	struct hist lat;       /* this worker's latencies */
};

/* fail_run - record the first fatal reason and tell every worker to stop. */
static void fail_run(struct run_state *run, const char *why)
{
	pthread_mutex_lock(&run->mu);
	if (!run->reason[0])
		snprintf(run->reason, sizeof(run->reason), "%s", why);
	atomic_store(&run->stop, 1);
	pthread_mutex_unlock(&run->mu);
}

static void *worker_main(void *arg)
{
	struct worker *wk = arg;
	struct run_state *run = wk->run;
	const struct threads_ops *ops = run->ops;
	uint64_t tasks = run->cfg->tasks;
	uint64_t stride = run->cfg->concurrency;

	int init_rc = ops->worker_init ? ops->worker_init(&wk->w) : 0;
	if (init_rc != 0)
		fail_run(run, wk->w.err[0] ? wk->w.err : "worker_init failed");

	pthread_mutex_lock(&run->mu);
	run->ready++;
	pthread_cond_broadcast(&run->cv);
	while (!run->go)
		pthread_cond_wait(&run->cv, &run->mu);
	pthread_mutex_unlock(&run->mu);

	/* Closed loop: the first task starts when the run starts (a thread the
	 * kernel has not scheduled yet is a task waiting, and that wait is its
	 * latency), and every next task starts the moment the last one ends. */
	uint64_t t0 = run->t_go;
	for (uint64_t id = wk->index; init_rc == 0 && id < tasks; id += stride) {
		if (atomic_load_explicit(&run->stop, memory_order_relaxed))
			break;
		uint64_t result = 0;
		int rc = ops->task(&wk->w, id, &result);
		uint64_t t1 = clock_now_ns();
		if (rc == 0) {
			hist_record(&wk->lat, t1 - t0);
			wk->checksum += wl_fold(id, result);
			wk->done++;
		} else {
			wk->errors++;
			if (rc < 0)
				fail_run(run, wk->w.err[0] ? wk->w.err : "task failed");
		}
		t0 = t1;
	}
	if (ops->worker_fini)
		ops->worker_fini(&wk->w);
	return NULL;
}

static int threads_run(const struct run_config *cfg, struct run_result *res)
{
	struct run_state run = {
		.ops = ops_table[cfg->wl_index],
		.cfg = cfg,
		.mu = PTHREAD_MUTEX_INITIALIZER,
		.cv = PTHREAD_COND_INITIALIZER,
	};
	uint64_t n = cfg->concurrency;
	struct worker *workers = calloc(n, sizeof(*workers));
	if (!workers) {
		snprintf(res->reason, sizeof(res->reason),
			 "out of memory for %llu worker records", (unsigned long long)n);
		return -1;
	}
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	if (cfg->stack_kib) {
		int rc = pthread_attr_setstacksize(&attr, (size_t)cfg->stack_kib * 1024);
		if (rc != 0) {
			snprintf(res->reason, sizeof(res->reason),
				 "--stack-kib %llu: %s (minimum is %zu KiB)",
				 (unsigned long long)cfg->stack_kib, strerror(rc),
				 (size_t)PTHREAD_STACK_MIN / 1024);
			pthread_attr_destroy(&attr);
			free(workers);
			return -1;
		}
	}

	uint64_t created = 0;
	for (; created < n; created++) {
		struct worker *wk = &workers[created];
		wk->run = &run;
		wk->index = created;
		wk->w.params = &cfg->params;
		wk->w.fd = -1;
		int rc = pthread_create(&wk->tid, &attr, worker_main, wk);
		if (rc != 0) {
			char why[MODEL_REASON_MAX];
			snprintf(why, sizeof(why), "pthread_create: %s at %llu threads",
				 rc == EAGAIN ? "EAGAIN (thread or memory limit)" : strerror(rc),
				 (unsigned long long)created);
			fail_run(&run, why);
			break;
		}
	}
	pthread_attr_destroy(&attr);

	/* Start the clock only when every worker is ready: thread creation and
	 * connection set-up are not task latency (hyperfine's wall time still
	 * includes them). */
	pthread_mutex_lock(&run.mu);
	while (run.ready < created)
		pthread_cond_wait(&run.cv, &run.mu);
	res->peak_threads = stats_thread_count();
	uint64_t t0 = clock_now_ns();
	run.t_go = t0;
	run.go = 1;
	pthread_cond_broadcast(&run.cv);
	pthread_mutex_unlock(&run.mu);

	for (uint64_t i = 0; i < created; i++)
		pthread_join(workers[i].tid, NULL);
	res->wall_ns = clock_now_ns() - t0;

	for (uint64_t i = 0; i < created; i++) {
		hist_merge(&res->lat, &workers[i].lat);
		res->done += workers[i].done;
		res->errors += workers[i].errors;
		res->checksum += workers[i].checksum;
	}
	free(workers);
	if (run.reason[0]) {
		snprintf(res->reason, sizeof(res->reason), "%s", run.reason);
		return -1;
	}
	return 0;
}

const struct model model_impl = {
	.name = "threads",
	.run = threads_run,
};
