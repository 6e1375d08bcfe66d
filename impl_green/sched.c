/*
 * sched.c - the coroutine models' scheduler (see sched.h): slots, loops, the
 * start line and the clock, independent of how a wait is armed.
 *
 * Set-up runs each slot's worker_init one slot at a time (the loop polls
 * until that slot parks at the start line), as the async model connects its
 * slots one by one before its clock: 10,000 connects in flight at once would
 * overflow the backend's accept queue and wait out SYN retransmissions.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../harness/runtime/clock.h"
#include "../harness/runtime/gate.h"
#include "sched.h"

#define SCHED_OVERFLOW_ENV "TVSA_STACK_OVERFLOW" /* test hook: slot 0 overruns its stack */
#define SCHED_LINE_MAX 512                       /* the overflow line */

/* The registry, as the blocking-style runtimes see it: threads_NAME. */
#define WORKLOAD(name) extern const struct threads_ops threads_##name;
#include "../workloads/workloads.def"
#undef WORKLOAD
static const struct threads_ops *const ops_table[] = {
#define WORKLOAD(name) &threads_##name,
#include "../workloads/workloads.def"
#undef WORKLOAD
};

/* State shared by every loop of a run. */
struct sched_run {
	const struct sched_backend *be; /* how waits are armed */
	const struct threads_ops *ops;  /* the pair's blocking side */
	const struct run_config *cfg;   /* the run */
	size_t stack_bytes;             /* usable stack per coroutine */
	int overflow_test;              /* 1: TVSA_STACK_OVERFLOW is set */
	struct dispatch disp;           /* task ids and arrivals */
	struct run_fault fault;         /* the first fatal fault: stop taking tasks */
	pthread_mutex_t mu;             /* guards prepared */
	pthread_cond_t cv;              /* prepared changed */
	uint64_t prepared;              /* loops done with set-up */
	struct gate go;                 /* opens when the clock has started (or not) */
	int started;                    /* 1: the clock started (set before go opens) */
	atomic_uint_fast64_t running;   /* loops not yet out of tasks */
	struct gate release;            /* opens when the clock has stopped */
	struct run_result *res;         /* the clock's figures go here */
};

static char overflow_line[SCHED_LINE_MAX]; /* written by the guard-page handler */

static void fail_run(struct sched_run *run, const char *why)
{
	run_fault_set(&run->fault, why);
}

/* loop_record - thr_record_fn: into the loop's own recorder. */
static void loop_record(void *arg, enum dispatch_phase p, uint64_t ns)
{
	dispatch_record(&((struct sched_loop *)arg)->lat, p, ns);
}

/* give_way - between two tasks: a task that did not wait goes to the back
 * of the loop's run queue.  One that never waits (cpu_hash) would otherwise
 * keep the loop for all the tasks there are, while a callback-style loop
 * takes turns; one that waited has let the others run already.  1 if it
 * gave way. */
static int give_way(void *arg)
{
	(void)arg;
	struct sched_slot *s = sched_self();
	int waited = s->waited;
	s->waited = 0;
	if (waited)
		return 0;
	sched_give_way(s);
	s->waited = 0; /* the give-way's own park is not a wait: the next task
			* gives way too (it set waited, and every second task of
			* a slot that never waits ran without a turn) */
	return 1;
}

/* slot_main - a slot's coroutine: worker_init, the start line, tasks, then
 * worker_fini once the clock has stopped. */
static void slot_main(void *arg)
{
	struct sched_slot *s = arg;
	struct sched_loop *lp = s->loop;
	struct sched_run *run = lp->run;
	if (run->overflow_test && s->index == 0)
		coro_test_overflow();
	if (s->index == 0)
		sched_watch_test();
	int rc = run->ops->worker_init ? run->ops->worker_init(&s->w) : 0;
	if (rc != 0)
		fail_run(run, s->w.err[0] ? s->w.err : "worker_init failed");
	s->phase = SCHED_READY;
	coro_yield(); /* the start line */
	s->phase = SCHED_RUN;
	const struct thr_slot_hooks hooks = { loop_record, lp, give_way, &lp->ids };
	if (rc == 0 && run->started &&
	    thr_worker_run(run->ops, &s->w, &run->disp, s->index, &run->fault, &hooks,
			   &s->tally) != 0)
		fail_run(run, s->w.err[0] ? s->w.err : "task failed");
	s->phase = SCHED_OUT;
	lp->live--;
	coro_yield(); /* until every loop is out of tasks */
	if (run->ops->worker_fini)
		run->ops->worker_fini(&s->w);
}

/* loop_until - sched_loop_until on the run's backend; a failed poll fails
 * the run. */
static void loop_until(struct sched_loop *lp, sched_done_fn done, const struct sched_slot *s)
{
	char err[MODEL_REASON_MAX] = "";
	if (sched_loop_until(lp, lp->run->be, done, s, err, sizeof(err)) != 0)
		fail_run(lp->run, err[0] ? err : "loop poll failed");
}

/* slot_parked - loop_until: s is past worker_init, at the start line. */
static int slot_parked(const struct sched_loop *lp, const struct sched_slot *s)
{
	(void)lp;
	return s->phase != SCHED_INIT;
}

/* loop_idle - loop_until: every slot of the loop is out of tasks. */
static int loop_idle(const struct sched_loop *lp, const struct sched_slot *s)
{
	(void)s;
	return lp->live == 0;
}

/* loop_prepare - the loop's backend, stacks and slots, each slot parked at
 * the start line.  Stops at the first failure (the run is failed). */
static void loop_prepare(struct sched_loop *lp)
{
	struct sched_run *run = lp->run;
	char err[MODEL_REASON_MAX];
	atomic_store(&lp->os_tid, (int)gettid()); /* for the watchdog */
	if (coro_guard_thread(err, sizeof(err)) != 0 || run->be->loop_init(lp, err, sizeof(err)) != 0 ||
	    coro_stacks_map(&lp->stacks, lp->nslots, run->stack_bytes, err, sizeof(err)) != 0) {
		fail_run(run, err);
		return;
	}
	for (uint64_t i = 0; i < lp->nslots && !run_fault_stopped(&run->fault); i++) {
		struct sched_slot *s = &lp->slots[i];
		s->loop = lp;
		s->w.params = &run->cfg->params;
		s->w.fd = -1;
		run->be->slot_init(s);
		coro_init(&s->co, coro_stack_lo(&lp->stacks, i), lp->stacks.stack, slot_main, s);
		lp->made = i + 1;
		sched_enter(s);
		loop_until(lp, slot_parked, s);
	}
}

/* loop_go - release every slot and run until all are out of tasks; the last
 * loop out stops the clock and lets every loop tear down. */
static void loop_go(struct sched_loop *lp)
{
	struct sched_run *run = lp->run;
	lp->live = lp->made;
	for (uint64_t i = 0; i < lp->made; i++)
		sched_enter(&lp->slots[i]);
	loop_until(lp, loop_idle, NULL);
	if (atomic_fetch_sub(&run->running, 1) == 1) {
		run_clock_stop(run->res); /* nothing torn down yet */
		gate_open(&run->release);
	}
	gate_wait(&run->release);
}

/* loop_teardown - let each slot parked at one of our own parks run on to
 * its end (worker_fini), then free the loop.  A slot stuck in a backend wait
 * after a failure is abandoned with its stack. */
static void loop_teardown(struct sched_loop *lp)
{
	struct sched_run *run = lp->run;
	for (uint64_t i = 0; i < lp->made; i++) {
		struct sched_slot *s = &lp->slots[i];
		while (!coro_done(&s->co) && !s->waiting)
			sched_enter(s);
		if (run->be->slot_fini)
			run->be->slot_fini(s);
		coro_fini(&s->co);
	}
	coro_stacks_unmap(&lp->stacks);
	run->be->loop_fini(lp);
	coro_guard_thread_end();
}

/* loop_prepared - this loop is ready (or failed): tell the main thread. */
static void loop_prepared(struct sched_run *run)
{
	pthread_mutex_lock(&run->mu);
	run->prepared++;
	pthread_cond_signal(&run->cv);
	pthread_mutex_unlock(&run->mu);
}

/* loop_thread - a loop of --loops L > 1, from set-up to tear-down. */
static void *loop_thread(void *arg)
{
	struct sched_loop *lp = arg;
	struct sched_run *run = lp->run;
	loop_prepare(lp);
	loop_prepared(run);
	gate_wait(&run->go);
	if (run->started)
		loop_go(lp);
	loop_teardown(lp);
	return NULL;
}

size_t sched_stack_guard(const struct sched_backend *be, const struct run_config *cfg,
			 char *err, size_t errlen)
{
	size_t stack_bytes =
		(size_t)(cfg->stack_kib ? cfg->stack_kib : SCHED_DEFAULT_STACK_KIB) * 1024;
	/* The guard-page handler's words, made now: it may not format anything. */
	snprintf(overflow_line, sizeof(overflow_line),
		 "%s: %s -c %llu: run failed: a coroutine overran its %zu KiB stack (hit its guard "
		 "page); raise --stack-kib\n",
		 be->name, cfg->wl->name, (unsigned long long)cfg->concurrency, stack_bytes / 1024);
	if (coro_guard_arm(overflow_line, run_abort_cleanup, err, errlen) != 0)
		return 0;
	return stack_bytes;
}

int sched_run(const struct sched_backend *be, const struct run_config *cfg,
	      struct run_result *res)
{
	struct sched_run run;
	memset(&run, 0, sizeof(run));
	run.be = be;
	run.ops = ops_table[cfg->wl_index];
	run.cfg = cfg;
	run.res = res;
	const char *ov = getenv(SCHED_OVERFLOW_ENV);
	run.overflow_test = ov && ov[0] && strcmp(ov, "0") != 0;
	pthread_mutex_init(&run.mu, NULL);
	pthread_mutex_init(&run.fault.mu, NULL);
	pthread_cond_init(&run.cv, NULL);
	dispatch_init(&run.disp, cfg);
	run.stack_bytes = sched_stack_guard(be, cfg, res->reason, sizeof(res->reason));
	if (!run.stack_bytes)
		return -1;
	res->stack_kib = run.stack_bytes / 1024; /* recorded: a task's stack is its coroutine's */

	uint64_t nloops = cfg->loops ? cfg->loops : 1;
	struct sched_loop *loops = calloc(nloops, sizeof(*loops));
	/* Slots on cache lines of their own (sched.h): aligned, and zeroed as
	 * calloc would. */
	struct sched_slot *slots = aligned_alloc(SCHED_LINE, cfg->concurrency * sizeof(*slots));
	if (slots)
		memset(slots, 0, cfg->concurrency * sizeof(*slots));
	char *waits = calloc(cfg->concurrency, be->wait_size);
	if (!loops || !slots || !waits) {
		free(loops);
		free(slots);
		free(waits);
		snprintf(res->reason, sizeof(res->reason), "out of memory for %llu slots",
			 (unsigned long long)cfg->concurrency);
		return -1;
	}
	/* Spread the slots: the first (c mod L) loops get one more. */
	uint64_t given = 0;
	for (uint64_t l = 0; l < nloops; l++) {
		struct sched_loop *lp = &loops[l];
		lp->run = &run;
		lp->runq_tail = &lp->runq;
		lp->slots = slots + given;
		lp->nslots = cfg->concurrency / nloops + (l < cfg->concurrency % nloops);
		for (uint64_t i = 0; i < lp->nslots; i++) {
			lp->slots[i].index = given + i;
			lp->slots[i].wait = (struct sched_wait *)(waits + (given + i) * be->wait_size);
		}
		given += lp->nslots;
	}

	/* A coroutine that sleeps in a system call the hooks do not know holds
	 * its loop: the watchdog fails the run naming it, set-up included. */
	struct sched_watch watch;
	if (sched_watch_start(&watch, loops, nloops, sizeof(*loops), res->reason,
			      sizeof(res->reason)) != 0) {
		free(waits);
		free(slots);
		free(loops);
		return -1;
	}

	/* Every loop set up, every coroutine parked at the start line, before
	 * the clock starts. */
	uint64_t threads_made = 0;
	if (nloops == 1) {
		loop_prepare(&loops[0]);
		run.prepared = 1;
	}
	for (; nloops > 1 && threads_made < nloops; threads_made++) {
		int rc = pthread_create(&loops[threads_made].tid, NULL, loop_thread,
					&loops[threads_made]);
		if (rc != 0) {
			char why[MODEL_REASON_MAX];
			snprintf(why, sizeof(why), "pthread_create (loop %llu): %s",
				 (unsigned long long)threads_made, strerror(rc));
			fail_run(&run, why);
			break;
		}
	}
	pthread_mutex_lock(&run.mu);
	while (run.prepared < (nloops == 1 ? 1 : threads_made))
		pthread_cond_wait(&run.cv, &run.mu);
	pthread_mutex_unlock(&run.mu);
	uint64_t t0 = clock_now_ns();
	if (!run_fault_stopped(&run.fault)) {
		atomic_init(&run.running, nloops);
		t0 = run_clock_start(res);
		run.disp.t_go = t0;
		run.started = 1;
	}
	gate_open(&run.go); /* after a failure too: the loops tear down */
	if (nloops == 1) {
		if (run.started)
			loop_go(&loops[0]);
		loop_teardown(&loops[0]);
	}
	for (uint64_t l = 0; l < threads_made; l++)
		pthread_join(loops[l].tid, NULL);
	sched_watch_stop(&watch);

	uint64_t t_end = t0; /* the run ends with its last task */
	for (uint64_t i = 0; i < given; i++) {
		run_tally_merge(res, &slots[i].tally, &t_end);
	}
	for (uint64_t l = 0; l < nloops; l++)
		dispatch_merge(&run.disp, &res->lat, &loops[l].lat);
	res->wall_ns = t_end - t0;
	res->window_ns = dispatch_window(&run.disp, t_end);
	free(waits);
	free(slots);
	free(loops);
	return run_fault_report(&run.fault, res);
}
