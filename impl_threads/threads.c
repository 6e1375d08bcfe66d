/*
 * threads.c - the OS-threads model: one worker thread per in-flight task.
 *
 * -c N creates N worker threads before the clock starts.  Each is one client
 * of the run: it takes a task (harness/runtime/dispatch.h: closed loop, its next task
 * the moment its last one ends; open loop, the next scheduled arrival), runs
 * it with blocking calls, and records the latency in the histogram of the
 * CPU it is running on (the tasks of the measured window: see dispatch.h).
 * One histogram per CPU, not per thread: 10,000 threads with one each would
 * add two pages per thread to the RSS that is the model's figure.  Counts
 * and checksums are per worker; all are merged after the join.  The async
 * model's slots follow the same rules, so the two differ only in how a
 * waiting task waits.
 *
 * --pool N (threads_pool.h) makes it the pool model: N threads, made the
 * same way, take the slots' tasks from a queue instead of one thread per
 * slot; everything else here (set-up, start, recorders, park) is shared.
 *
 * When the kernel refuses a thread (pthread_create EAGAIN: RLIMIT_NPROC,
 * pid_max, threads-max, or memory for the stack) the run stops the threads it
 * has, and fails naming the error and how many threads it had reached.  A
 * run asking for more threads than a system-wide ceiling allows at all
 * (thread_ceiling) fails before the first: 30,000 threads made and torn
 * down to learn what /proc says.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/sysinfo.h>

#include "../harness/runtime/clock.h"
#include "../harness/runtime/dispatch.h"
#include "../harness/runtime/gate.h"
#include "../harness/runtime/tally.h"
#include "threads.h"
#include "threads_pool.h"
#include "threads_serve.h"
#include "worker.h"

/* The registry, as this model sees it: threads_NAME for every line. */
#define WORKLOAD(name) extern const struct threads_ops threads_##name;
#include "../workloads/workloads.def"
#undef WORKLOAD
static const struct threads_ops *const ops_table[] = {
#define WORKLOAD(name) &threads_##name,
#include "../workloads/workloads.def"
#undef WORKLOAD
};

/* read_proc_u64 - the number in /proc file path, or 0 if unreadable. */
static uint64_t read_proc_u64(const char *path)
{
	FILE *f = fopen(path, "r");
	unsigned long long v = 0;
	if (f) {
		if (fscanf(f, "%llu", &v) != 1)
			v = 0;
		fclose(f);
	}
	return v;
}

/* thread_ceiling - the most threads the system can give one process, and
 * the limit that sets it in what: every thread is a task id (kernel.pid_max
 * ids in all, kernel.threads-max tasks) and its stack two memory maps, the
 * stack and its guard (vm.max_map_count).  Other processes hold some of
 * each, so a run can fail below it, never above.  0: unknown. */
static uint64_t thread_ceiling(char *what, size_t len)
{
	static const struct {
		const char *path, *name;
		unsigned per_thread;
	} lim[] = {
		{ "/proc/sys/kernel/pid_max", "kernel.pid_max", 1 },
		{ "/proc/sys/kernel/threads-max", "kernel.threads-max", 1 },
		{ "/proc/sys/vm/max_map_count", "vm.max_map_count (2 maps per thread stack)", 2 },
	};
	uint64_t best = 0;
	for (size_t i = 0; i < sizeof(lim) / sizeof(lim[0]); i++) {
		uint64_t v = read_proc_u64(lim[i].path);
		if (v && (!best || v / lim[i].per_thread < best)) {
			best = v / lim[i].per_thread;
			snprintf(what, len, "%s = %llu", lim[i].name, (unsigned long long)v);
		}
	}
	return best;
}

/* State shared by all workers of a run. */
struct run_state {
	const struct threads_ops *ops; /* the workload's threads side */
	const struct run_config *cfg;  /* the run */
	struct run_fault fault;        /* the first fatal fault */
	pthread_mutex_t mu;            /* guards ready */
	pthread_cond_t cv;             /* ready changed */
	uint64_t ready;                /* workers done with worker_init */
	struct gate go;                /* opens when the clock has started */
	struct dispatch disp;          /* task ids and arrivals */
	struct thr_pool *pool;         /* --pool, closed loop: the queue; NULL: none */
	uint64_t takers;               /* workers that take tasks: all, but min(pool, c) in
					  an open-loop pool; the others idle */
	uint64_t created;              /* workers started (set before go) */
	atomic_uint_fast64_t retired;  /* workers out of tasks */
	struct gate release;           /* opens when every worker is out of tasks */
	struct run_result *res;        /* the clock's stop is taken into it */
	struct cpu_lat *lat;           /* latencies, one recorder per CPU */
	unsigned ncpu;                 /* CPUs configured: the size of lat */
};

/* One CPU's latency recorder, on cache lines of its own. */
struct cpu_lat {
	_Alignas(64) struct dispatch_lat l;
};

/* One worker: what it needs, and its counts. */
struct worker {
	struct thr_worker w;   /* what the workload sees */
	struct run_state *run; /* shared state */
	pthread_t tid;         /* the thread */
	uint64_t index;        /* its slot number: closed loop, its first task */
	struct run_tally tally; /* its tasks */
};

/* fail_run - record the first fatal reason and tell every worker to stop
 * (those waiting on the pool's queue too). */
static void fail_run(struct run_state *run, const char *why)
{
	run_fault_set(&run->fault, why);
	if (run->pool)
		thr_pool_stop(run->pool);
}

/*
 * park - a worker out of tasks waits here until every worker is, and the last
 * one in stops the clock and releases them all.  Exiting at once would put
 * 10,000 thread exits (stack unmapping, a convoy on the process's memory map)
 * in the way of the tasks still running, stretching the drain that the
 * measurement sees.
 */
static void park(struct run_state *run)
{
	if (atomic_fetch_add(&run->retired, 1) + 1 == run->created) {
		run_clock_stop(run->res);
		gate_open(&run->release);
		return;
	}
	gate_wait(&run->release);
}

/* cpu_recorder - the latency recorder of the CPU this thread is on now.  A
 * thread moved to another CPU right after still writes correctly (the
 * recorder is atomic), only to a line another CPU holds. */
static struct dispatch_lat *cpu_recorder(struct run_state *run)
{
	int cpu = sched_getcpu(); /* rseq or vDSO: a few ns */
	return &run->lat[cpu > 0 ? (unsigned)cpu % run->ncpu : 0].l;
}

/* cpu_record - thr_record_fn: into the recorder of the CPU we are on. */
static void cpu_record(void *arg, enum dispatch_phase p, uint64_t ns)
{
	dispatch_record_shared(cpu_recorder(arg), p, ns);
}

static void *worker_main(void *arg)
{
	struct worker *wk = arg;
	struct run_state *run = wk->run;
	const struct threads_ops *ops = run->ops;

	int init_rc = ops->worker_init ? ops->worker_init(&wk->w) : 0;
	if (init_rc != 0)
		fail_run(run, wk->w.err[0] ? wk->w.err : "worker_init failed");

	pthread_mutex_lock(&run->mu);
	run->ready++;
	pthread_cond_signal(&run->cv);
	pthread_mutex_unlock(&run->mu);
	gate_wait(&run->go);

	const struct thr_slot_hooks hooks = { cpu_record, run, NULL, NULL };
	int rc = 0;
	if (init_rc == 0 && run->pool)
		rc = thr_pool_worker_run(run->pool, ops, &wk->w, &run->fault, &hooks, &wk->tally);
	else if (init_rc == 0 && wk->index < run->takers)
		rc = thr_worker_run(ops, &wk->w, &run->disp, wk->index, &run->fault, &hooks,
				    &wk->tally);
	if (rc != 0)
		fail_run(run, wk->w.err[0] ? wk->w.err : "task failed");
	park(run);
	if (ops->worker_fini)
		ops->worker_fini(&wk->w);
	return NULL;
}

/* over_ceiling - 1 (res->reason set) when n threads, the pool's or one per
 * slot, are over thread_ceiling: found before the first is made, in a run
 * and in a pool server alike. */
static int over_ceiling(const struct run_config *cfg, uint64_t n, struct run_result *res)
{
	char limit[96];
	uint64_t ceiling = thread_ceiling(limit, sizeof(limit));
	if (!ceiling || n <= ceiling)
		return 0;
	if (cfg->pool)
		snprintf(res->reason, sizeof(res->reason),
			 "--pool %llu is over the threads this system allows one process "
			 "(%llu: %s)", (unsigned long long)n, (unsigned long long)ceiling, limit);
	else
		snprintf(res->reason, sizeof(res->reason),
			 "c=%llu needs a thread per in-flight task, over what this system "
			 "allows one process (%llu: %s)",
			 (unsigned long long)n, (unsigned long long)ceiling, limit);
	return 1;
}

static int threads_run(const struct run_config *cfg, struct run_result *res)
{
	struct run_state run = {
		.ops = ops_table[cfg->wl_index],
		.cfg = cfg,
		.fault = RUN_FAULT_INIT,
		.mu = PTHREAD_MUTEX_INITIALIZER,
		.cv = PTHREAD_COND_INITIALIZER,
		.res = res,
	};
	/* One thread per slot, or the pool's N whatever c is (a fixed pool). */
	uint64_t n = cfg->pool ? cfg->pool : cfg->concurrency;
	if (over_ceiling(cfg, n, res))
		return -1;
	dispatch_init(&run.disp, cfg);
	run.takers = cfg->pool && cfg->rate && cfg->concurrency < n ? cfg->concurrency : n;
	struct thr_pool pool;
	if (cfg->pool && !cfg->rate) {
		if (thr_pool_init(&pool, &run.disp) != 0) {
			snprintf(res->reason, sizeof(res->reason),
				 "out of memory for a queue of %llu tasks",
				 (unsigned long long)cfg->concurrency);
			return -1;
		}
		run.pool = &pool;
	}
	int nconf = get_nprocs_conf();
	run.ncpu = nconf > 0 ? (unsigned)nconf : 1;
	struct worker *workers = calloc(n, sizeof(*workers));
	run.lat = aligned_alloc(_Alignof(struct cpu_lat), run.ncpu * sizeof(struct cpu_lat));
	if (!workers || !run.lat) {
		snprintf(res->reason, sizeof(res->reason),
			 "out of memory for %llu worker records", (unsigned long long)n);
		free(workers);
		free(run.lat);
		if (run.pool)
			thr_pool_free(run.pool);
		return -1;
	}
	memset(run.lat, 0, run.ncpu * sizeof(struct cpu_lat));
	for (unsigned i = 0; i < run.ncpu; i++)
		dispatch_lat_init_shared(&run.lat[i].l);
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
			free(run.lat);
			if (run.pool)
				thr_pool_free(run.pool);
			return -1;
		}
	}
	/* The stack the tasks run on, recorded: the attributes' own size, the
	 * default (RLIMIT_STACK's, 8 MiB) when none was asked. */
	size_t stack_bytes = 0;
	if (pthread_attr_getstacksize(&attr, &stack_bytes) == 0)
		res->stack_kib = stack_bytes / 1024;

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
	run.created = created;
	pthread_mutex_unlock(&run.mu);
	uint64_t t0 = run_clock_start(res);
	run.disp.t_go = t0;
	gate_open(&run.go);

	for (uint64_t i = 0; i < created; i++)
		pthread_join(workers[i].tid, NULL);

	/* The run ends with its last task, not with the last thread's exit:
	 * tearing down 10,000 stacks is not throughput. */
	uint64_t t_end = t0;
	for (uint64_t i = 0; i < created; i++) {
		run_tally_merge(res, &workers[i].tally, &t_end);
	}
	for (unsigned i = 0; i < run.ncpu; i++) {
		dispatch_lat_finish_shared(&run.lat[i].l); /* its totals, before the merge */
		dispatch_merge(&run.disp, &res->lat, &run.lat[i].l);
	}
	res->wall_ns = t_end - t0;
	res->window_ns = dispatch_window(&run.disp, t_end);
	free(workers);
	free(run.lat);
	if (run.pool)
		thr_pool_free(run.pool);
	return run_fault_report(&run.fault, res);
}

static int threads_serve(const struct run_config *cfg, struct run_result *res)
{
	if (cfg->pool && over_ceiling(cfg, cfg->pool, res))
		return -1; /* not 30,000 threads made first, as the run refuses them */
	if (cfg->pool)
		return thr_serve_pool(ops_table[cfg->wl_index], cfg, cfg->pool, res);
	return thr_serve_threads(ops_table[cfg->wl_index], cfg, res);
}

const struct model model_impl = {
	.name = "threads",
	.run = threads_run,
	.serve = threads_serve,
};
