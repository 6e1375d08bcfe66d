/*
 * sched_core.c - the scheduler's core (sched.h): parking and waking a slot,
 * the run queue, and a loop's turns until it is done.
 *
 * Kept apart from sched.c (a run: slots running a pair's workers, the start
 * line, the clock) so that bin/calibrate can link it and time a task switch
 * through the very code the green model runs, not a copy of it.
 */
#include <stdio.h>
#include <stdlib.h>

#include "sched.h"

struct sched_slot *sched_self(void)
{
	struct coro *co = coro_self();
	if (!co) {
		fprintf(stderr, "sched: a blocking call outside a coroutine\n");
		abort();
	}
	return (struct sched_slot *)co; /* co is the first member */
}

void sched_park(struct sched_slot *s)
{
	s->waiting = 1;
	coro_yield();
	s->waiting = 0;
	s->waited = 1;
}

void sched_wake(struct sched_slot *s)
{
	if (!s->waiting) {
		fprintf(stderr, "sched: wake-up of a slot that is not waiting\n");
		abort();
	}
	sched_enter(s);
}

/* One writer (the loop's thread), so a relaxed load and store, no locked
 * add: two plain stores per turn on x86-64. */
void sched_enter(struct sched_slot *s)
{
	atomic_uint_fast64_t *turns = &s->loop->turns;
	uint_fast64_t t = atomic_load_explicit(turns, memory_order_relaxed);
	atomic_store_explicit(turns, t + 1, memory_order_relaxed);
	coro_resume(&s->co);
	atomic_store_explicit(turns, t + 2, memory_order_relaxed);
}

void sched_give_way(struct sched_slot *s)
{
	struct sched_loop *lp = s->loop;
	s->next = NULL;
	*lp->runq_tail = s;
	lp->runq_tail = &s->next;
	sched_park(s);
}

/* run_queue - resume the slots queued so far (each may queue itself again). */
static void run_queue(struct sched_loop *lp)
{
	struct sched_slot *s = lp->runq;
	lp->runq = NULL;
	lp->runq_tail = &lp->runq;
	while (s) {
		struct sched_slot *next = s->next;
		sched_wake(s);
		s = next;
	}
}

int sched_loop_until(struct sched_loop *lp, const struct sched_backend *be, sched_done_fn done,
		     const struct sched_slot *s, char *err, size_t errlen)
{
	for (;;) {
		run_queue(lp);
		if (done(lp, s))
			return 0;
		if (be->poll(lp, lp->runq == NULL, err, errlen) != 0)
			return -1;
	}
}
