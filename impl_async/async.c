/*
 * async.c - the event-loop model: libevent, non-blocking, callbacks.
 *
 * -c N gives the loop N slots, each holding at most one task in flight.  All
 * slots are set up (events created, sockets connected) before the clock
 * starts; then every slot starts a task and event_base_dispatch() runs until
 * the last task is done.  With --loops L (default 1) there are L event_bases,
 * one per thread, each with its share of the slots; they take task ids from
 * one shared counter and never touch each other's base, so no evthread
 * locking is needed.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../harness/clock.h"
#include "../harness/stats.h"
#include "async.h"

/* The registry, as this model sees it: async_NAME for every line. */
#define WORKLOAD(name) extern const struct async_ops async_##name;
#include "../workloads/workloads.def"
#undef WORKLOAD
static const struct async_ops *const ops_table[] = {
#define WORKLOAD(name) &async_##name,
#include "../workloads/workloads.def"
#undef WORKLOAD
};

/* State shared by every loop of a run. */
struct run_state {
	const struct async_ops *ops;   /* the workload's async side */
	const struct run_config *cfg;  /* the run */
	atomic_uint_fast64_t next;     /* next task id to hand out */
	atomic_int stop;               /* 1: a fatal fault, every loop stops */
	pthread_mutex_t mu;            /* guards reason */
	char reason[MODEL_REASON_MAX]; /* first fatal fault */
};

/* One event_base and its slots. */
struct async_loop {
	struct run_state *run;    /* shared state */
	struct event_base *base;  /* this loop's base, touched by its thread only */
	struct async_slot *slots; /* nslots slots */
	uint64_t nslots;          /* slots on this loop */
	uint64_t busy;            /* slots with a task in flight */
	uint64_t done;            /* tasks completed */
	uint64_t errors;          /* tasks failed */
	uint64_t checksum;        /* sum of wl_fold() of completed tasks */
	int starting;             /* 1 while task_start runs: catches sync completion */
	pthread_t tid;            /* its thread (loops > 1) */
	struct hist lat;          /* this loop's latencies */
};

struct event_base *async_slot_base(const struct async_slot *s)
{
	return s->loop->base;
}

static void fail_run(struct run_state *run, const char *why)
{
	pthread_mutex_lock(&run->mu);
	if (!run->reason[0])
		snprintf(run->reason, sizeof(run->reason), "%s", why);
	atomic_store(&run->stop, 1);
	pthread_mutex_unlock(&run->mu);
}

/* slot_next - give the slot its next task at time `now`, or retire it. */
static void slot_next(struct async_slot *s, uint64_t now)
{
	struct async_loop *lp = s->loop;
	struct run_state *run = lp->run;
	uint64_t id = atomic_load_explicit(&run->stop, memory_order_relaxed)
			      ? run->cfg->tasks
			      : atomic_fetch_add_explicit(&run->next, 1, memory_order_relaxed);
	if (id >= run->cfg->tasks) {
		if (--lp->busy == 0)
			event_base_loopbreak(lp->base);
		return;
	}
	s->task_id = id;
	s->t_start_ns = now;
	lp->starting = 1;
	run->ops->task_start(s);
	lp->starting = 0;
}

void async_task_done(struct async_slot *s, uint64_t result)
{
	struct async_loop *lp = s->loop;
	if (lp->starting) {
		/* A workload bug that would recurse and skew latency: fail loudly. */
		fprintf(stderr, "async: %s finished a task inside task_start\n",
			lp->run->cfg->wl->name);
		abort();
	}
	uint64_t now = clock_now_ns();
	hist_record(&lp->lat, now - s->t_start_ns);
	lp->checksum += wl_fold(s->task_id, result);
	lp->done++;
	slot_next(s, now);
}

void async_task_error(struct async_slot *s)
{
	s->loop->errors++;
	slot_next(s, clock_now_ns());
}

void async_fail(struct async_slot *s, const char *why)
{
	struct async_loop *lp = s->loop;
	fail_run(lp->run, why);
	lp->errors++;
	event_base_loopbreak(lp->base);
}

/* loop_setup - create the base and set up its slots.  0, or -1 (reason set). */
static int loop_setup(struct async_loop *lp, const struct run_config *cfg)
{
	char err[MODEL_REASON_MAX];
	/* Precise timers (timerfd): without them epoll rounds every timeout up
	 * to whole milliseconds, and a 1 ms wait would take up to 2. */
	struct event_config *ec = event_config_new();
	if (ec) {
		event_config_set_flag(ec, EVENT_BASE_FLAG_PRECISE_TIMER);
		lp->base = event_base_new_with_config(ec);
		event_config_free(ec);
	}
	if (!lp->base) {
		fail_run(lp->run, "event_base_new failed");
		return -1;
	}
	for (uint64_t i = 0; i < lp->nslots; i++) {
		struct async_slot *s = &lp->slots[i];
		s->loop = lp;
		s->params = &cfg->params;
		s->fd = -1;
		err[0] = '\0';
		if (lp->run->ops->slot_init && lp->run->ops->slot_init(s, err, sizeof(err)) != 0) {
			char why[MODEL_REASON_MAX];
			snprintf(why, sizeof(why), "%s (slot %llu of %llu)",
				 err[0] ? err : "slot_init failed", (unsigned long long)i,
				 (unsigned long long)lp->nslots);
			fail_run(lp->run, why);
			lp->nslots = i; /* only these need fini */
			return -1;
		}
	}
	return 0;
}

/* loop_run - start a task in every slot and dispatch until all are done. */
static void loop_run(struct async_loop *lp)
{
	uint64_t now = clock_now_ns();
	lp->busy = lp->nslots;
	for (uint64_t i = 0; i < lp->nslots; i++)
		slot_next(&lp->slots[i], now);
	if (lp->busy > 0 && event_base_dispatch(lp->base) < 0)
		fail_run(lp->run, "event_base_dispatch failed");
}

static void *loop_thread(void *arg)
{
	loop_run(arg);
	return NULL;
}

static void loop_teardown(struct async_loop *lp)
{
	if (lp->run->ops->slot_fini)
		for (uint64_t i = 0; i < lp->nslots; i++)
			lp->run->ops->slot_fini(&lp->slots[i]);
	if (lp->base)
		event_base_free(lp->base);
}

static int async_run(const struct run_config *cfg, struct run_result *res)
{
	struct run_state run = {
		.ops = ops_table[cfg->wl_index],
		.cfg = cfg,
		.mu = PTHREAD_MUTEX_INITIALIZER,
	};
	uint64_t nloops = cfg->loops ? cfg->loops : 1;
	struct async_loop *loops = calloc(nloops, sizeof(*loops));
	struct async_slot *slots = calloc(cfg->concurrency, sizeof(*slots));
	if (!loops || !slots) {
		free(loops);
		free(slots);
		snprintf(res->reason, sizeof(res->reason), "out of memory for %llu slots",
			 (unsigned long long)cfg->concurrency);
		return -1;
	}

	/* Spread the slots: the first (c mod L) loops get one more. */
	uint64_t given = 0;
	int ok = 1;
	for (uint64_t l = 0; l < nloops; l++) {
		struct async_loop *lp = &loops[l];
		lp->run = &run;
		lp->slots = slots + given;
		lp->nslots = cfg->concurrency / nloops + (l < cfg->concurrency % nloops);
		given += lp->nslots;
		if (ok && loop_setup(lp, cfg) != 0)
			ok = 0;
		else if (!ok)
			lp->nslots = 0;
	}
	res->peak_threads = stats_thread_count();

	uint64_t t0 = clock_now_ns();
	if (ok && nloops == 1) {
		loop_run(&loops[0]);
	} else if (ok) {
		uint64_t started = 0;
		for (; started < nloops; started++) {
			int rc = pthread_create(&loops[started].tid, NULL, loop_thread,
						&loops[started]);
			if (rc != 0) {
				char why[MODEL_REASON_MAX];
				snprintf(why, sizeof(why), "pthread_create (loop %llu): %s",
					 (unsigned long long)started, strerror(rc));
				fail_run(&run, why);
				break;
			}
		}
		int peak = stats_thread_count();
		if (peak > res->peak_threads)
			res->peak_threads = peak;
		for (uint64_t l = 0; l < started; l++)
			pthread_join(loops[l].tid, NULL);
	}
	res->wall_ns = clock_now_ns() - t0;

	for (uint64_t l = 0; l < nloops; l++) {
		hist_merge(&res->lat, &loops[l].lat);
		res->done += loops[l].done;
		res->errors += loops[l].errors;
		res->checksum += loops[l].checksum;
		loop_teardown(&loops[l]);
	}
	free(slots);
	free(loops);
	if (run.reason[0]) {
		snprintf(res->reason, sizeof(res->reason), "%s", run.reason);
		return -1;
	}
	return 0;
}

const struct model model_impl = {
	.name = "async",
	.run = async_run,
};
