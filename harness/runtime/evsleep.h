/*
 * evsleep.h - timed waits on a libevent loop at deadlines the caller read
 * from clock.h: libevent's common-timeout queues, in nanoseconds and from the
 * caller's own clock reading instead of the loop's cached time.
 *
 * Why not plain libevent timers.  Many sleepers of one length (io_sleep's
 * 10,000 slots) belong in a FIFO, which is what event_base_init_common_timeout
 * gives; but libevent times every timer from its cached time, which inside a
 * callback is when the loop woke, so each wait had to refresh the cache first
 * (a second clock read per task, after the one the harness takes to end the
 * previous task).  On a VM whose clock read costs about 30 ns that pair of
 * reads, with libevent's add, delete and activation of a timer per task, was
 * most of a task's CPU at c = 10,000.  Here the waiter's deadline is an
 * absolute CLOCK_MONOTONIC time from a reading it already has (the task's
 * start), a wait is an append to a FIFO, and one libevent timer per queue
 * wakes the loop for the head; each wake-up reads the clock once and ends
 * every wait then due, so no wait ends before its deadline.
 *
 * One evsleep_set per event_base, used by that loop's thread only (no
 * locking), as a base is.  The async and green models both use it, so
 * their sleeps cost the same.
 */
#ifndef EVSLEEP_H
#define EVSLEEP_H

#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#define EVSLEEP_QUEUES 8 /* FIFOs per set, one per wait length in use */

/* One waiter, embedded in whatever waits (a slot): never freed while queued. */
struct evsleep {
	uint64_t due_ns;            /* ends at or after this CLOCK_MONOTONIC time */
	struct evsleep *next;       /* the next (later) in its queue */
	struct evsleep *prev;       /* the one before it */
	void (*fn)(void *arg);      /* run on the loop when the wait ends */
	void *arg;                  /* its argument */
};

/* Waits of one length: deadlines in the order they were added, which for one
 * length is their own order (an out-of-order one is placed, from the tail). */
struct evsleep_queue {
	struct evsleep *head;       /* the earliest deadline */
	struct evsleep *tail;       /* the latest */
	struct event *timer;        /* wakes the loop for the head */
	uint64_t armed_ns;          /* deadline the timer is armed for; 0: not armed
				       (a CLOCK_MONOTONIC deadline is never 0) */
	int firing;                 /* 1: ending waits (adds do not re-arm meanwhile) */
	struct event_base *base;    /* its loop */
};

/* A loop's queues, chosen by wait length. */
struct evsleep_set {
	struct evsleep_queue q[EVSLEEP_QUEUES]; /* in use: the first n */
	uint64_t len_ns[EVSLEEP_QUEUES];        /* each queue's wait length */
	int n;                                  /* queues in use */
	struct event_base *base;                /* their loop */
};

/* evsleep_set_init - an empty set on base (no allocation yet). */
void evsleep_set_init(struct evsleep_set *set, struct event_base *base);

/*
 * evsleep_add - w waits until t0_ns + len_ns, then fn(arg) runs on the loop
 * (from its event dispatch: never inside this call).  t0_ns is a clock_now_ns
 * reading the caller already has, at or before now (a task's start), so the
 * wait is never shorter than len_ns from it.  Waits of one len_ns share a
 * FIFO: O(1) when added in deadline order, as waits of one length from one
 * thread's readings are.  The first EVSLEEP_QUEUES lengths get
 * a queue each; later ones share the last (still correct, placed in order).
 * Returns 0, or -1 if libevent could not make the queue's timer (ENOMEM).
 * Cost: a few stores; a clock read and an evtimer_add when the queue's head
 * changes.
 */
int evsleep_add(struct evsleep_set *set, struct evsleep *w, uint64_t t0_ns, uint64_t len_ns,
		void (*fn)(void *arg), void *arg);

/* evsleep_set_fini - free the timers; waits still queued are dropped (their
 * owners are being torn down).  Before event_base_free. */
void evsleep_set_fini(struct evsleep_set *set);

#endif
