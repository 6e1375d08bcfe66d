/*
 * evsleep.c - the sleep queues' libevent driver (evsleep.h): one evtimer per
 * queue, armed for its head from a fresh clock reading.
 */
#include <stdio.h>
#include <stdlib.h>

#include "clock.h"
#include "evsleep.h"

/* timer_cb - a queue's timer: libevent's evtimer_add replaces a pending
 * one, so the timer that fires is always the queue's current one. */
static void timer_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct sleepq *q = arg;
	sleepq_expire(q, q->arm_seq);
}

static int ev_queue_init(struct sleepq *q)
{
	q->timer = evtimer_new((struct event_base *)q->set->ctx, timer_cb, q);
	return q->timer ? 0 : -1;
}

/* ev_arm - the clock is read before libevent's cached time is refreshed, so
 * the timer, which libevent times from that cache, cannot end before due_ns;
 * it may end up to a microsecond after (rounded up). */
static void ev_arm(struct sleepq *q, uint64_t due_ns)
{
	uint64_t now = clock_now_ns();
	event_base_update_cache_time((struct event_base *)q->set->ctx);
	uint64_t us = due_ns > now ? (due_ns - now + 999) / 1000 : 0;
	struct timeval tv = { .tv_sec = (time_t)(us / 1000000),
			      .tv_usec = (suseconds_t)(us % 1000000) };
	if (evtimer_add((struct event *)q->timer, &tv) != 0) {
		/* Only a corrupt event can fail here: a lost wake-up would hang the run. */
		fprintf(stderr, "evsleep: evtimer_add failed\n");
		abort();
	}
}

static void ev_queue_fini(struct sleepq *q)
{
	if (q->timer)
		event_free(q->timer);
	q->timer = NULL;
}

static const struct sleepq_driver ev_driver = {
	.queue_init = ev_queue_init,
	.arm = ev_arm,
	.queue_fini = ev_queue_fini,
	.now = NULL, /* clock_now_ns */
};

void evsleep_set_init(struct sleepq_set *set, struct event_base *base, void (*warm)(void *arg))
{
	sleepq_set_init(set, &ev_driver, base, warm);
}
