/*
 * sched_core.c - the scheduler's core (sched.h): parking and waking a slot,
 * the run queue, a loop's turns until it is done, and the sleeps both
 * coroutine runtimes share (blk_sleep_from, blk_sleep_us on the loop's sleep
 * queues, with the stack prefetch that makes their batches resume warm).
 *
 * Kept apart from sched.c (a run: slots running a pair's workers, the start
 * line, the clock) so that bin/calibrate can link it and time a task switch
 * through the very code the green model runs, not a copy of it.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include "../harness/runtime/clock.h"
#include "../impl_threads/block.h"
#include "sched.h"

/* Lines of a parked coroutine's stack that sched_warm prefetches, from its
 * saved stack pointer up: the switch's saved registers and the frames the
 * coroutine returns through and calls again before it parks next
 * (coro_yield, sched_park, the pair's wait, its task, thr_worker_run's
 * loop).  Measured from the saved pointer to the stack's top: 424 bytes on
 * io_sleep, 600 on uring's io_backend, slot_main's and coro_entry's frames
 * (never returned to while tasks run) included.  A line past the top is a guard
 * page of the next stack: a prefetch there is dropped, it cannot fault. */
#define SCHED_WARM_LINES 8

struct sched_slot *sched_self(void)
{
	struct coro *co = coro_self();
	if (!co) {
		fprintf(stderr, "sched: a blocking call outside a coroutine\n");
		abort();
	}
	return (struct sched_slot *)(void *)((char *)co - offsetof(struct sched_slot, co));
}

void sched_warm(void *arg)
{
	const struct sched_slot *s = arg;
	const char *sp = s->co.sp;
	for (int i = 0; i < SCHED_WARM_LINES; i++)
		__builtin_prefetch(sp + i * SCHED_LINE, 1);
	/* The slot's own lines a resume reads or writes past the first: the
	 * coroutine's done flag (coro_resume), the loop pointer (sched_enter)
	 * and the tally, the park's flags and the task's start (sched.h lays
	 * them out on two lines). */
	__builtin_prefetch(&s->co.done);
	__builtin_prefetch(&s->tally, 1);
	__builtin_prefetch(&s->w.t_begin_ns, 1);
}

/* sleep_wake - a slot's sleep ended (sleepq.h): resume it. */
static void sleep_wake(void *arg)
{
	sched_wake(arg);
}

/* Both coroutine runtimes sleep the same way: an append to the loop's queue
 * of waits of that length (sleepq.h, whichever driver the backend gives it),
 * then a park until the batch that finds it due resumes it. */
void blk_sleep_from(uint64_t t0_ns, uint64_t us)
{
	struct sched_slot *s = sched_self();
	if (sleepq_add(s->loop->sleeps, &s->sleep, t0_ns, us * 1000, sleep_wake, s) != 0) {
		fprintf(stderr, "sched: out of memory for a sleep queue's timer\n");
		abort();
	}
	sched_park(s);
}

void blk_sleep_us(uint64_t us)
{
	blk_sleep_from(clock_now_ns(), us);
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
 * add: two plain stores per turn on x86-64, made in the resume's own frame
 * (a frame here would sit between every wake-up and its coroutine). */
void sched_enter(struct sched_slot *s)
{
	coro_resume_counted(&s->co, &s->loop->turns);
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
