/*
 * async.c - the event-loop model: libevent, non-blocking, callbacks.
 *
 * -c N gives the loop N slots, each holding at most one task in flight.  All
 * slots are set up (events created, sockets connected) before the clock
 * starts; then every slot starts a task and event_base_dispatch() runs until
 * the last task is done.  A slot takes its tasks by the rules of
 * harness/runtime/dispatch.h, exactly as a worker thread of the threads model does
 * (each loop claims ids from the shared counter in blocks);
 * in the open loop (--rate) a slot that is early for its task's arrival arms
 * a timer for it.  With --loops L (default 1)
 * there are L event_bases, one per thread, each with its share of the slots;
 * they never touch each other's base, so no evthread locking is needed.  The
 * loop threads are created, and wait at a gate, before the clock starts, as
 * the threads model's workers do; the last loop to run out of tasks stops
 * the clock.
 *
 * With --workers W (the "hybrid" model) a pool of W threads runs the CPU
 * parts that workloads hand over with async_cpu(); each loop gets results
 * back through its own eventfd, so the loop thread never waits for the pool.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "../harness/runtime/clock.h"
#include "../harness/runtime/dispatch.h"
#include "../harness/runtime/evbase.h"
#include "../harness/runtime/gate.h"
#include "../harness/runtime/serve.h"
#include "../harness/runtime/tally.h"
#include "async.h"
#include "async_rt.h"

#define ASYNC_LINE 64 /* a cache line: slot_warm's stride */

/* The registry, as this model sees it: async_NAME for every line. */
#define WORKLOAD(name) extern const struct async_ops async_##name;
#include "../workloads/workloads.def"
#undef WORKLOAD
static const struct async_ops *const ops_table[] = {
#define WORKLOAD(name) &async_##name,
#include "../workloads/workloads.def"
#undef WORKLOAD
};

struct event_base *async_slot_base(const struct async_slot *s)
{
	return s->loop->base;
}

static void fail_run(struct run_state *run, const char *why)
{
	run_fault_set(&run->fault, why);
}

/* async_slot_begin - start the slot's task (its arrival is s->t_start_ns) at
 * `begin`, a fresh clock reading the caller has (the end of the slot's last
 * task, in a closed loop): a wait that starts the task is timed from it
 * (async_sleep_from), with no clock read of its own.  A workload that arms a
 * libevent timer refreshes libevent's cached time first (rpc.c). */
void async_slot_begin(struct async_slot *s, uint64_t begin)
{
	struct async_loop *lp = s->loop;
	s->t_begin_ns = begin;
	lp->starting = 1;
	lp->run->ops->task_start(s);
	lp->starting = 0;
}

/* arrive_cb - open loop: the slot's task has arrived on schedule. */
static void arrive_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	async_slot_begin(arg, clock_now_ns());
}

/* slot_give - the slot is free at `now` and took task `id` (arriving at
 * `arrival`): start it, wait for its arrival, or retire the slot if none is
 * left. */
static void slot_give(struct async_slot *s, uint64_t id, uint64_t arrival, uint64_t now)
{
	struct async_loop *lp = s->loop;
	struct run_state *run = lp->run;
	if (id >= run->cfg->tasks || run_fault_stopped(&run->fault)) {
		if (--lp->busy == 0)
			event_base_loopbreak(lp->base);
		return;
	}
	s->task_id = id;
	s->t_start_ns = arrival;
	if (arrival > now) { /* open loop, early: wait for the arrival */
		/* From a fresh clock, as in slot_begin: the timer fires at the
		 * arrival and not early. */
		event_base_update_cache_time(lp->base);
		now = clock_now_ns();
		uint64_t wait = arrival > now ? arrival - now : 0;
		struct timeval tv = { .tv_sec = (time_t)(wait / 1000000000ULL),
				      .tv_usec = (suseconds_t)(wait % 1000000000ULL / 1000) };
		evtimer_add(s->arrive_ev, &tv);
		return;
	}
	async_slot_begin(s, now);
}

/* slot_warm - the sleep queues' warm hook (sleepq.h): the slot whose wait
 * ends next is fetched while the current one's callback runs, as the
 * coroutine models' batches fetch a slot's stack (impl_green/sched_core.c). */
static void slot_warm(void *arg)
{
	const char *p = arg;
	for (size_t off = 0; off < sizeof(struct async_slot); off += ASYNC_LINE)
		__builtin_prefetch(p + off, 1);
	__builtin_prefetch(p + sizeof(struct async_slot) - 1, 1); /* it may straddle one more */
}

/* sleep_cb - an async_sleep_from wait ended. */
static void sleep_cb(void *arg)
{
	struct async_slot *s = arg;
	s->sleep_fn(s);
}

void async_sleep_from(struct async_slot *s, uint64_t t0_ns, uint64_t us,
		      void (*fn)(struct async_slot *s))
{
	s->sleep_fn = fn;
	if (sleepq_add(&s->loop->sleeps, &s->sleep, t0_ns, us * 1000, sleep_cb, s) != 0)
		async_fail(s, "out of memory for a sleep queue's timer");
}

#ifdef TVSA_TEST_HOOKS
/* Test builds only (CFLAGS=-DTVSA_TEST_HOOKS; tests/test_efficiency.sh):
 * TVSA_TEST_SLOW_NS=N makes every task spin N ns of CPU as it ends, a model
 * deliberately slowed that the report's efficiency table must flag.  A normal
 * build has no such switch and ignores the variable. */
#define TEST_SLOW_ENV "TVSA_TEST_SLOW_NS"
static uint64_t test_slow_ns; /* read before the clock; 0: off */

static void test_slow(void)
{
	uint64_t t0 = clock_now_ns();
	while (test_slow_ns && clock_now_ns() - t0 < test_slow_ns)
		;
}
#define TEST_SLOW_INIT() (test_slow_ns = getenv(TEST_SLOW_ENV) ? \
			  strtoull(getenv(TEST_SLOW_ENV), NULL, 10) : 0)
#else
#define test_slow() ((void)0)
#define TEST_SLOW_INIT() ((void)0)
#endif

void async_task_done(struct async_slot *s, uint64_t result)
{
	test_slow();
	struct async_loop *lp = s->loop;
	struct dispatch *d = &lp->run->disp;
	if (lp->starting) {
		/* A workload bug that would recurse and skew latency: fail loudly. */
		fprintf(stderr, "async: %s finished a task inside task_start\n",
			lp->run->cfg->wl->name);
		abort();
	}
	if (lp->serve) { /* a request's task: its reply, not the next id */
		async_serve_task_end(s, 0, result);
		return;
	}
	uint64_t now = clock_now_ns();
	uint64_t arrival;
	uint64_t next = dispatch_take_block(d, &s->loop->ids, now, &arrival);
	dispatch_record(&lp->lat, dispatch_phase(d, s->task_id, next, now), now - s->t_start_ns);
	lp->tally.t_last = now;
	lp->tally.checksum += wl_fold(s->task_id, result);
	lp->tally.done++;
	slot_give(s, next, arrival, now);
}


/* pool_worker - take a job, run its CPU part, hand it to its loop. */
static void *pool_worker(void *arg)
{
	struct pool *pool = arg;
	for (;;) {
		pthread_mutex_lock(&pool->mu);
		while (!pool->head && !pool->quit)
			pthread_cond_wait(&pool->cv, &pool->mu);
		struct async_slot *s = pool->head;
		if (!s) {
			pthread_mutex_unlock(&pool->mu);
			return NULL;
		}
		pool->head = s->cpu_next;
		if (!pool->head)
			pool->tail = NULL;
		pthread_mutex_unlock(&pool->mu);

		s->cpu_result = s->cpu_fn(s, s->cpu_arg);

		struct async_loop *lp = s->loop;
		pthread_mutex_lock(&lp->done_mu);
		int was_empty = lp->done_head == NULL;
		s->cpu_next = lp->done_head;
		lp->done_head = s;
		pthread_mutex_unlock(&lp->done_mu);
		if (was_empty) { /* one wake-up per batch, not per job */
			uint64_t one = 1;
			ssize_t w = write(lp->efd, &one, sizeof(one));
			(void)w; /* EAGAIN only if the counter is huge: it is read anyway */
		}
	}
}

/* cpu_finish - a CPU part's result ends its task, or counts its failure. */
static void cpu_finish(struct async_slot *s, uint64_t result)
{
	if (result == ASYNC_CPU_ERROR)
		async_task_error(s);
	else
		async_task_done(s, result);
}

/* loop_done_cb - the pool finished jobs of this loop: finish their tasks. */
static void loop_done_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)what;
	struct async_loop *lp = arg;
	uint64_t count;
	ssize_t r = read(fd, &count, sizeof(count));
	(void)r;
	pthread_mutex_lock(&lp->done_mu);
	struct async_slot *s = lp->done_head;
	lp->done_head = NULL;
	pthread_mutex_unlock(&lp->done_mu);
	while (s) {
		struct async_slot *next = s->cpu_next;
		cpu_finish(s, s->cpu_result);
		s = next;
	}
}

int async_pool_start(struct pool *pool, uint64_t n, char *err, size_t errlen)
{
	pthread_mutex_init(&pool->mu, NULL);
	pthread_cond_init(&pool->cv, NULL);
	if (n == 0)
		return 0;
	pool->tids = calloc(n, sizeof(pthread_t));
	if (!pool->tids) {
		snprintf(err, errlen, "out of memory for %llu pool workers", (unsigned long long)n);
		return -1;
	}
	for (; pool->n < n; pool->n++) {
		int rc = pthread_create(&pool->tids[pool->n], NULL, pool_worker, pool);
		if (rc != 0) {
			snprintf(err, errlen, "pthread_create (pool worker %llu): %s",
				 (unsigned long long)pool->n, strerror(rc));
			async_pool_stop(pool);
			return -1;
		}
	}
	return 0;
}

void async_pool_stop(struct pool *pool)
{
	pthread_mutex_lock(&pool->mu);
	pool->quit = 1;
	pthread_cond_broadcast(&pool->cv);
	pthread_mutex_unlock(&pool->mu);
	for (uint64_t i = 0; i < pool->n; i++)
		pthread_join(pool->tids[i], NULL);
	free(pool->tids);
	pool->tids = NULL;
	pool->n = 0;
}

void async_cpu(struct async_slot *s, async_cpu_fn fn, uint64_t arg)
{
	struct pool *pool = &s->loop->run->pool;
	if (pool->n == 0) {
		cpu_finish(s, fn(s, arg));
		return;
	}
	s->cpu_fn = fn;
	s->cpu_arg = arg;
	s->cpu_next = NULL;
	pthread_mutex_lock(&pool->mu);
	if (pool->tail)
		pool->tail->cpu_next = s;
	else
		pool->head = s;
	pool->tail = s;
	pthread_cond_signal(&pool->cv);
	pthread_mutex_unlock(&pool->mu);
}

/* ready_cb - an async_ready_* slot's event: run its work through async_cpu. */
static void ready_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct async_slot *s = arg;
	async_cpu(s, s->ready_fn, 0); /* on the loop, or on the pool (--workers) */
}

int async_ready_slot_init(struct async_slot *s, async_cpu_fn fn, char *err, size_t errlen)
{
	s->ready_fn = fn;
	s->ev = event_new(async_slot_base(s), -1, 0, ready_cb, s);
	if (!s->ev) {
		snprintf(err, errlen, "event_new failed (out of memory?)");
		return -1;
	}
	return 0;
}

void async_ready_task_start(struct async_slot *s)
{
	event_active(s->ev, EV_TIMEOUT, 1);
}

void async_ready_slot_fini(struct async_slot *s)
{
	if (s->ev)
		event_free(s->ev);
	s->ev = NULL;
}

void async_task_error(struct async_slot *s)
{
	async_task_error_why(s, "task failed");
}

void async_task_error_why(struct async_slot *s, const char *why)
{
	if (s->loop->serve) { /* a 500 for its request; the server goes on */
		serve_error_note(why); /* the server's first failed request, if it is */
		async_serve_task_end(s, 1, 0);
		return;
	}
	run_error_note(&s->loop->run->fault, why);
	struct dispatch *d = &s->loop->run->disp;
	uint64_t now = clock_now_ns();
	uint64_t arrival;
	uint64_t next = dispatch_take_block(d, &s->loop->ids, now, &arrival);
	/* A failed task still moves the window and the run's end, as a failed
	 * task on a thread does. */
	dispatch_phase(d, s->task_id, next, now);
	s->loop->tally.t_last = now;
	s->loop->tally.errors++;
	slot_give(s, next, arrival, now);
}

void async_fail(struct async_slot *s, const char *why)
{
	struct async_loop *lp = s->loop;
	if (lp->serve)
		serve_fault(why); /* the server stops; this loop tears down now, as a run does */
	else
		fail_run(lp->run, why);
	lp->tally.errors++;
	event_base_loopbreak(lp->base);
}

void async_slot_prepare(struct async_loop *lp, struct async_slot *s)
{
	s->loop = lp;
	s->params = &lp->run->cfg->params;
	s->fd = -1;
}

int async_loop_setup(struct async_loop *lp, const struct run_config *cfg)
{
	char err[MODEL_REASON_MAX];
	if (!(lp->base = evbase_new_precise(err, sizeof(err)))) {
		fail_run(lp->run, err);
		return -1;
	}
	evsleep_set_init(&lp->sleeps, lp->base, slot_warm);
	lp->efd = -1;
	pthread_mutex_init(&lp->done_mu, NULL);
	if (lp->run->pool.n > 0) {
		lp->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		lp->done_ev = lp->efd < 0 ? NULL
			      : event_new(lp->base, lp->efd, EV_READ | EV_PERSIST,
					  loop_done_cb, lp);
		if (!lp->done_ev || event_add(lp->done_ev, NULL) != 0) {
			snprintf(err, sizeof(err), "eventfd: %s", strerror(errno));
			fail_run(lp->run, err);
			lp->nslots = 0;
			return -1;
		}
	}
	for (uint64_t i = 0; i < lp->nslots; i++) {
		struct async_slot *s = &lp->slots[i];
		async_slot_prepare(lp, s);
		if (cfg->rate) {
			s->arrive_ev = evtimer_new(lp->base, arrive_cb, s);
			if (!s->arrive_ev) {
				fail_run(lp->run, "out of memory for arrival timers");
				lp->nslots = i; /* slots from i on were never set up */
				return -1;
			}
		}
		err[0] = '\0';
		if (lp->run->ops->slot_init && lp->run->ops->slot_init(s, err, sizeof(err)) != 0) {
			char why[MODEL_REASON_MAX];
			snprintf(why, sizeof(why), "%s (slot %llu of %llu)",
				 err[0] ? err : "slot_init failed",
				 (unsigned long long)(s - lp->run->slots_base),
				 (unsigned long long)cfg->concurrency);
			fail_run(lp->run, why);
			lp->nslots = i + 1; /* these need fini, the half-made one too */
			return -1;
		}
	}
	return 0;
}

/* loop_run - start a task in every slot and dispatch until all are done.
 * Closed loop: every slot's first task arrives when the run starts, so the
 * time the loop takes to arm 10,000 slots is latency, just as a worker
 * thread's wait to be scheduled is. */
static void loop_run(struct async_loop *lp)
{
	lp->busy = lp->nslots;
	struct dispatch *d = &lp->run->disp;
	for (uint64_t i = 0; i < lp->nslots; i++) {
		struct async_slot *s = &lp->slots[i];
		uint64_t arrival;
		/* A first task begins when its slot is given it, not at t_go. */
		uint64_t now = clock_now_ns();
		uint64_t id = dispatch_first(d, (uint64_t)(s - lp->run->slots_base), now, &arrival);
		slot_give(s, id, arrival, now);
	}
	if (lp->busy > 0 && event_base_dispatch(lp->base) < 0)
		fail_run(lp->run, "event_base_dispatch failed");
	if (atomic_fetch_sub(&lp->run->running, 1) == 1)
		run_clock_stop(lp->run->res); /* the last loop out: nothing torn down yet */
}

/* loop_thread - a loop of --loops L > 1: made before the clock, it waits at
 * the gate, then runs its slots (unless set-up failed meanwhile). */
static void *loop_thread(void *arg)
{
	struct async_loop *lp = arg;
	gate_wait(&lp->run->go);
	if (lp->run->started)
		loop_run(lp);
	return NULL;
}

void async_loop_teardown(struct async_loop *lp)
{
	for (uint64_t i = 0; i < lp->nslots; i++) {
		if (lp->run->ops->slot_fini)
			lp->run->ops->slot_fini(&lp->slots[i]);
		if (lp->slots[i].arrive_ev)
			event_free(lp->slots[i].arrive_ev);
	}
	sleepq_set_fini(&lp->sleeps);
	if (lp->done_ev)
		event_free(lp->done_ev);
	if (lp->efd >= 0)
		close(lp->efd);
	if (lp->base)
		event_base_free(lp->base);
}

static int async_run(const struct run_config *cfg, struct run_result *res)
{
	struct run_state run = {
		.ops = ops_table[cfg->wl_index],
		.cfg = cfg,
		.fault = RUN_FAULT_INIT,
		.res = res,
	};
	dispatch_init(&run.disp, cfg);
	TEST_SLOW_INIT();
	uint64_t nloops = cfg->loops ? cfg->loops : 1;
	if (async_pool_start(&run.pool, cfg->workers, res->reason, sizeof(res->reason)) != 0)
		return -1;
	struct async_loop *loops = calloc(nloops, sizeof(*loops));
	struct async_slot *slots = calloc(cfg->concurrency, sizeof(*slots));
	if (!loops || !slots) {
		free(loops);
		free(slots);
		snprintf(res->reason, sizeof(res->reason), "out of memory for %llu slots",
			 (unsigned long long)cfg->concurrency);
		async_pool_stop(&run.pool);
		return -1;
	}

	run.slots_base = slots;
	/* Spread the slots: the first (c mod L) loops get one more. */
	uint64_t given = 0;
	int ok = 1;
	for (uint64_t l = 0; l < nloops; l++) {
		struct async_loop *lp = &loops[l];
		lp->run = &run;
		lp->slots = slots + given;
		lp->nslots = cfg->concurrency / nloops + (l < cfg->concurrency % nloops);
		given += lp->nslots;
		if (ok && async_loop_setup(lp, cfg) != 0)
			ok = 0;
		else if (!ok)
			lp->nslots = 0;
	}

	/* More than one loop: every loop thread exists, parked at the gate,
	 * before the clock starts. */
	uint64_t threads_made = 0;
	for (; ok && nloops > 1 && threads_made < nloops; threads_made++) {
		int rc = pthread_create(&loops[threads_made].tid, NULL, loop_thread,
					&loops[threads_made]);
		if (rc != 0) {
			char why[MODEL_REASON_MAX];
			snprintf(why, sizeof(why), "pthread_create (loop %llu): %s",
				 (unsigned long long)threads_made, strerror(rc));
			fail_run(&run, why);
			ok = 0;
			break;
		}
	}
	uint64_t t0 = clock_now_ns();
	if (ok) {
		atomic_init(&run.running, nloops);
		t0 = run_clock_start(res);
		run.disp.t_go = t0;
		run.started = 1;
	}
	gate_open(&run.go); /* after a failure too: the made threads exit */
	if (ok && nloops == 1)
		loop_run(&loops[0]);
	for (uint64_t l = 0; l < threads_made; l++)
		pthread_join(loops[l].tid, NULL);

	/* The pool goes first: after a fault a job may still hold a slot. */
	async_pool_stop(&run.pool);
	uint64_t t_end = t0; /* the run ends with its last task */
	for (uint64_t l = 0; l < nloops; l++) {
		dispatch_merge(&run.disp, &res->lat, &loops[l].lat);
		run_tally_merge(res, &loops[l].tally, &t_end);
		async_loop_teardown(&loops[l]);
	}
	free(slots);
	free(loops);
	res->wall_ns = t_end - t0;
	res->window_ns = dispatch_window(&run.disp, t_end);
	return run_fault_report(&run.fault, res);
}

const struct async_ops *async_ops_of(size_t wl_index)
{
	return ops_table[wl_index];
}

const struct model model_impl = {
	.name = "async",
	.run = async_run,
	.serve = async_serve,
};
