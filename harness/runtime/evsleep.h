/*
 * evsleep.h - timed waits on a libevent loop: the sleep queues of sleepq.h
 * (FIFOs of same-length waits, one timer per FIFO for its head) driven by
 * one libevent timer per queue.
 *
 * Why not plain libevent timers.  Many sleepers of one length (io_sleep's
 * 10,000 slots) belong in a FIFO, which is what event_base_init_common_timeout
 * gives; but libevent times every timer from its cached time, which inside a
 * callback is when the loop woke, so each wait had to refresh the cache first
 * (a second clock read per task, after the one the harness takes to end the
 * previous task).  On a VM whose clock read costs about 30 ns that pair of
 * reads, with libevent's add, delete and activation of a timer per task, was
 * most of a task's CPU at c = 10,000.  Here a waiter's deadline is an
 * absolute CLOCK_MONOTONIC time from a reading it already has (the task's
 * start), a wait is an append (sleepq_add), and a queue's libevent timer is
 * armed from a fresh reading only when its head changes.
 *
 * The async and green models use it; the uring model drives the same core
 * with io_uring timeouts (impl_green/uring.c), so every model's sleeps cost
 * the same code.
 */
#ifndef EVSLEEP_H
#define EVSLEEP_H

#include <event2/event.h>

#include "sleepq.h"

/*
 * evsleep_set_init - an empty set of sleep queues on base (sleepq.h: add
 * with sleepq_add, release with sleepq_set_fini before event_base_free).
 * warm (may be NULL): the set's prefetch hook (sleepq_set_init).  No
 * allocation yet; a queue's timer is made on first use (sleepq_add returns
 * -1 if libevent cannot make it).
 */
void evsleep_set_init(struct sleepq_set *set, struct event_base *base, void (*warm)(void *arg));

#endif
