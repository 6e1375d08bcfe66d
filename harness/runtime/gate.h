/*
 * gate.h - a one-shot start line that thousands of threads can wait at.
 *
 * Both models park what they created (worker threads, loop threads) at a
 * gate before the clock starts and open it right after, so no model starts
 * a thread inside its clocked window.  A futex, not a condition variable:
 * each thread woken from a condition variable must take its mutex in turn,
 * and at -c 10000 that convoy took longer than the run.
 */
#ifndef GATE_H
#define GATE_H

#include <limits.h>
#include <stdatomic.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

struct gate {
	atomic_int open; /* 0: closed, 1: open for good (a futex word) */
};

/* gate_wait - return once the gate is open.  Cost: one load when it is. */
static inline void gate_wait(struct gate *g)
{
	while (!atomic_load(&g->open))
		syscall(SYS_futex, (int *)&g->open, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
}

/* gate_open - open the gate and wake every waiter. */
static inline void gate_open(struct gate *g)
{
	atomic_store(&g->open, 1);
	syscall(SYS_futex, (int *)&g->open, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
}

#endif
