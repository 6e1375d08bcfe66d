/*
 * dispatch.h - which task a slot runs next and when it "arrived": the one set
 * of rules both models share (threads.c, async.c).
 *
 * Closed loop (the default): slot i's first task is task i and arrives when
 * the run starts; after that a slot that finishes a task takes the next
 * unclaimed id from one shared counter at that moment, and that moment is the
 * new task's arrival.  So every slot always holds a task (c in flight) until
 * the ids run out, and the drain at the end is one task long.  (Private
 * streams, slot i running i, i + c, ..., let the slots the scheduler favours
 * finish early: with 1024 threads on 2 cores half the run had fewer than c in
 * flight, and throughput x mean latency / c fell to 0.5.)
 *
 * Open loop (--rate R): task k arrives at t_go + k / R whatever the model is
 * doing; a free slot takes the next id and, if it is early, waits for the
 * arrival.  Latency runs from the scheduled arrival, so time a task spends
 * queued behind a stalled model counts (wrk2's cure for coordinated omission).
 *
 * The measured window (closed loop, at least 5 tasks per slot).  A closed run
 * starts with all c tasks arriving at once and ends with a drain, fewer than c
 * in flight while the last tasks finish.  Counting the whole run biases both
 * figures when a slot runs only a few tasks: the drain pulls throughput x mean
 * latency / c below 1 by about 1 / (2 x tasks per slot), and the first round,
 * which finds the queues empty, pulls mean latency down (mixed at c = 4096
 * with 5 tasks per slot: 0.91, and a mean 8% under the steady one).  So a run
 * reports the tasks completed between its 2c-th and its (n - c)-th
 * completions: c tasks are in flight all through, the rounds of the start-up
 * are behind it, and the tasks cut by its two edges balance (the same mixed
 * run: 1.00 to 1.02).  The completion a slot has just made is numbered by the
 * id it takes next, so the window costs no shared write.  Open-loop runs
 * (wrk2 counts every task) and shorter closed runs report the whole run.
 */
#ifndef DISPATCH_H
#define DISPATCH_H

#include <stdatomic.h>
#include <stdint.h>

#include "model.h"

#define DISPATCH_STEADY_PER_SLOT 5 /* closed runs this many tasks per slot or more
				      report their measured window */

struct dispatch {
	atomic_uint_fast64_t next; /* next id to hand out */
	uint64_t tasks;            /* ids run from 0 to tasks - 1 */
	uint64_t c;                /* slots */
	uint64_t rate;             /* arrivals per second; 0: closed loop */
	uint64_t t_go;             /* run start: first arrivals (closed), schedule origin */
	int steady;                /* 1: report the measured window only (see above) */
	uint64_t open_id;          /* the id taken at the completion that opens it */
	uint64_t t_open;           /* the 2c-th completion: the window opens */
	uint64_t t_close;          /* the (n - c)-th: it closes (both written once) */
};

static inline void dispatch_init(struct dispatch *d, const struct run_config *cfg)
{
	d->tasks = cfg->tasks;
	d->c = cfg->concurrency;
	d->rate = cfg->rate;
	d->t_go = 0;
	/* Open loop: every id comes from the counter.  Closed loop: ids below c
	 * are the slots' first tasks. */
	atomic_init(&d->next, d->rate ? 0 : d->c);
	d->steady = !d->rate && d->tasks / DISPATCH_STEADY_PER_SLOT >= d->c;
	d->t_open = d->t_close = 0;
	d->open_id = 3 * d->c - 1; /* the id the 2c-th completion takes */
}

/*
 * dispatch_counts - a slot finished a task at `now` and then took `next` (the
 * id from dispatch_take, or any id >= tasks if it stopped): 1 if the finished
 * task lies in the measured window, so its latency is recorded.  Stamps the
 * window's edges.  In the closed loop the finished task is completion number
 * next - c + 1.
 */
static inline int dispatch_counts(struct dispatch *d, uint64_t next, uint64_t now)
{
	if (!d->steady)
		return 1;
	if (next == d->open_id)
		d->t_open = now;
	else if (next == d->tasks - 1)
		d->t_close = now;
	return next > d->open_id && next < d->tasks;
}

/*
 * dispatch_window - the run's measured span in ns, given the end of its last
 * task: the window (steady) or the whole run.
 */
static inline uint64_t dispatch_window(const struct dispatch *d, uint64_t t_end)
{
	if (d->steady)
		return d->t_close > d->t_open ? d->t_close - d->t_open : 0;
	return t_end > d->t_go ? t_end - d->t_go : 0;
}

/* dispatch_sched - task id's scheduled arrival (open loop). */
static inline uint64_t dispatch_sched(const struct dispatch *d, uint64_t id)
{
	/* id < 2^32 and 10^9 < 2^30: the product fits in 64 bits. */
	return d->t_go + id * 1000000000ULL / d->rate;
}

/*
 * dispatch_take - the next task for a slot that is free at `now`: its id
 * (>= tasks when there is none left) and in *arrival when it arrived or will.
 * Cost: one relaxed atomic add; lock-free, callable from any thread.
 */
static inline uint64_t dispatch_take(struct dispatch *d, uint64_t now, uint64_t *arrival)
{
	uint64_t id = atomic_fetch_add_explicit(&d->next, 1, memory_order_relaxed);
	if (d->rate) {
		*arrival = dispatch_sched(d, id);
		return id;
	}
	*arrival = now;
	return id;
}

/* dispatch_first - closed loop: slot i's first task, arriving at t_go.  Open
 * loop: the same as dispatch_take. */
static inline uint64_t dispatch_first(struct dispatch *d, uint64_t slot, uint64_t now,
				      uint64_t *arrival)
{
	if (d->rate)
		return dispatch_take(d, now, arrival);
	*arrival = d->t_go;
	return slot;
}

#endif
