/*
 * sleepq.h - timed waits at deadlines the caller read from clock.h, kept in
 * FIFOs of same-length waits with one backend timer per FIFO for its head.
 *
 * Why.  Many waits of one length (io_sleep's 10,000 slots, or every bounded
 * socket wait of a loop) are in deadline order when appended, so a wait is an
 * O(1) append instead of a timer of its own (a min-heap insertion in
 * libevent, an IORING_OP_TIMEOUT and its hrtimer in io_uring), and one timer
 * for a queue's head wakes the loop once for every wait then due.  Each
 * wake-up reads the clock and ends every wait due by that reading, oldest
 * first, reading again before it gives up so that a head that fell due
 * meanwhile is not left for the next wake-up; no wait ends before its
 * deadline, since its deadline is compared with a fresh reading.
 *
 * This is the core only: no libevent, no io_uring.  A driver says how a
 * queue's timer is made and armed, gives the clock, and calls sleepq_expire
 * when a timer fires: harness/runtime/evsleep.c drives it on a libevent loop
 * (the async and green models), impl_green/uring.c on an io_uring (the uring
 * model), so every model's sleeps are this same code.
 *
 * A driver's timer may be one it cannot move (an io_uring timeout): when a
 * new head is earlier than the armed deadline, the core arms again and the
 * earlier timer stays pending.  sleepq_expire tells the current timer from a
 * stale one by the arm number the driver hands back, so stale timers end
 * whatever is due but never arm again: at most one timer per out-of-order
 * head, never a growing number of them.
 *
 * Warm-up: resuming a waiter touches memory no other waiter shares (a
 * coroutine's saved stack, a slot's state), cold at 10,000 waiters.  While a
 * batch is ended, the core calls the set's warm hook on the argument of the
 * wait two places ahead and prefetches the wait after that, so their memory
 * is on the way while the current waiter runs.
 *
 * One set per loop, used by that loop's thread only (no locking).
 */
#ifndef SLEEPQ_H
#define SLEEPQ_H

#include <stdint.h>

#define SLEEPQ_QUEUES 8 /* FIFOs per set, one per wait length in use */

struct sleepq;

/* One waiter, embedded in whatever waits (a slot): never freed while queued. */
struct sleepq_wait {
	uint64_t due_ns;           /* ends at or after this CLOCK_MONOTONIC time */
	struct sleepq_wait *next;  /* the next (later) in its queue */
	struct sleepq_wait *prev;  /* the one before it */
	struct sleepq *q;          /* its queue while queued; NULL otherwise */
	void (*fn)(void *arg);     /* run on the loop when the wait ends */
	void *arg;                 /* its argument */
};

/* Waits of one length: deadlines in the order they were added, which for one
 * length from one clock is their own order (an out-of-order one is placed,
 * walking from the tail). */
struct sleepq {
	struct sleepq_wait *head;  /* the earliest deadline */
	struct sleepq_wait *tail;  /* the latest */
	uint64_t len_ns;           /* the wait length it holds */
	uint64_t armed_ns;         /* deadline of the driver's current timer; 0: none
				      (a CLOCK_MONOTONIC deadline is never 0) */
	uint64_t arm_seq;          /* arms so far: names the current timer */
	struct sleepq_wait *batch_end; /* while ending waits: the last one of the
				      batch (waits added later wait for the next
				      wake-up); NULL otherwise */
	int firing;                /* 1: ending waits (adds do not arm meanwhile) */
	struct sleepq_set *set;    /* its set */
	void *timer;               /* the driver's timer for it, if it keeps one */
};

/* What a backend provides.  Every call is on the set's loop thread. */
struct sleepq_driver {
	/* queue_init (optional) - make q's timer (q->timer, q->set->ctx are
	 * set).  0, or -1 if it could not (out of memory). */
	int (*queue_init)(struct sleepq *q);
	/* arm - have sleepq_expire(q, q->arm_seq as it is now) called from the
	 * loop at or after due_ns (absolute CLOCK_MONOTONIC), never inside this
	 * call.  A timer armed before for q may be replaced, or left pending
	 * (sleepq_expire then gets its older number).  Cannot fail: a driver
	 * whose timer cannot be armed aborts (a lost wake-up hangs the run). */
	void (*arm)(struct sleepq *q, uint64_t due_ns);
	/* queue_fini (optional) - release q's timer. */
	void (*queue_fini)(struct sleepq *q);
	/* now (optional) - the clock deadlines are compared with; NULL:
	 * clock_now_ns (clock.h), which every model uses; a test gives its own. */
	uint64_t (*now)(void);
};

/* A loop's queues, chosen by wait length. */
struct sleepq_set {
	struct sleepq q[SLEEPQ_QUEUES];   /* in use: the first n */
	int n;                            /* queues in use */
	const struct sleepq_driver *drv;  /* the backend */
	void *ctx;                        /* the driver's (an event_base, a loop) */
	void (*warm)(void *arg);          /* prefetch what fn(arg) will touch; may be NULL */
};

/* sleepq_set_init - an empty set driven by drv with context ctx; warm (may
 * be NULL) is called, while a batch is ended, with the argument of a wait
 * that will probably end two callbacks later (warm_ahead in sleepq.c): it
 * may only prefetch.  No allocation yet. */
void sleepq_set_init(struct sleepq_set *set, const struct sleepq_driver *drv, void *ctx,
		     void (*warm)(void *arg));

/*
 * sleepq_add - w waits until t0_ns + len_ns, then fn(arg) runs on the loop
 * (from the driver's timer: never inside this call).  t0_ns is a clock
 * reading the caller already has, at or before now (a task's start), so the
 * wait is never shorter than len_ns from it.  The first SLEEPQ_QUEUES lengths
 * get a queue each; later ones share the last (still placed in order).
 * Returns 0, or -1 if the driver could not make the queue's timer.
 * Cost: a few stores when added in deadline order; the driver's arm when the
 * queue's head changes to a deadline earlier than its timer's.
 */
int sleepq_add(struct sleepq_set *set, struct sleepq_wait *w, uint64_t t0_ns, uint64_t len_ns,
	       void (*fn)(void *arg), void *arg);

/*
 * sleepq_remove - w will not end (what it waited for came first): unlink it.
 * A no-op if w is not queued.  O(1); the queue's timer is left as it is (a
 * timer for a removed head finds nothing due and arms for the new one).
 */
void sleepq_remove(struct sleepq_wait *w);

/* sleepq_queued - 1 while w is queued. */
static inline int sleepq_queued(const struct sleepq_wait *w)
{
	return w->q != 0;
}

/*
 * sleepq_expire - q's timer number seq fired: end every wait of q due by a
 * fresh clock reading, oldest first, each fn(arg) once; waits added by those
 * callbacks wait for the next wake-up, however short their length.  Then
 * arm for the new head if no current timer covers it.  Cost: a clock read,
 * and per ended wait its callback and a few loads and stores.
 */
void sleepq_expire(struct sleepq *q, uint64_t seq);

/* sleepq_set_fini - release the queues' timers; waits still queued are
 * dropped (their owners are being torn down). */
void sleepq_set_fini(struct sleepq_set *set);

#endif
