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

 */
#ifndef DISPATCH_H
#define DISPATCH_H

#include <stdatomic.h>
#include <stdint.h>

#include "model.h"

struct dispatch {
	atomic_uint_fast64_t next; /* next id to hand out */
	uint64_t tasks;            /* ids run from 0 to tasks - 1 */
	uint64_t c;                /* slots */
	uint64_t rate;             /* arrivals per second; 0: closed loop */
	uint64_t t_go;             /* run start: first arrivals (closed), schedule origin */
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
