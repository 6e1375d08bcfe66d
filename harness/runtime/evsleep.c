/*
 * evsleep.c - timed waits on a libevent loop at the caller's deadlines
 * (evsleep.h).
 */
#include <stdio.h>
#include <stdlib.h>

#include "clock.h"
#include "evsleep.h"

/* queue_arm - (re)arm q's timer for its head, unless it already is.  The
 * clock is read before libevent's cached time is refreshed, so the timer,
 * which libevent times from that cache, cannot end before the head's
 * deadline; it may end up to a microsecond after (rounded up). */
static void queue_arm(struct evsleep_queue *q)
{
	uint64_t due = q->head->due_ns;
	if (q->armed_ns == due)
		return;
	uint64_t now = clock_now_ns();
	event_base_update_cache_time(q->base);
	uint64_t us = due > now ? (due - now + 999) / 1000 : 0;
	struct timeval tv = { .tv_sec = (time_t)(us / 1000000),
			      .tv_usec = (suseconds_t)(us % 1000000) };
	if (evtimer_add(q->timer, &tv) != 0) {
		/* Only a corrupt event can fail here: a lost wake-up would hang the run. */
		fprintf(stderr, "evsleep: evtimer_add failed\n");
		abort();
	}
	q->armed_ns = due;
}

/* queue_fire_cb - the head's timer: end every wait due by now, oldest first.
 * Waits added meanwhile (each ended wait may start another) come after the
 * last one queued when the batch began, which ends it: they wait for the
 * next wake-up, however short their length. */
static void queue_fire_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct evsleep_queue *q = arg;
	q->armed_ns = 0;
	uint64_t now = clock_now_ns();
	struct evsleep *last = q->tail;
	struct evsleep *w;
	q->firing = 1;
	while ((w = q->head)) {
		/* Ending the others took time: the head may be due by now.  Read
		 * again before giving the loop back, which would sleep for it and
		 * wake a timer's overshoot (tens of us) late. */
		if (w->due_ns > now && w->due_ns > (now = clock_now_ns()))
			break;
		q->head = w->next;
		if (q->head)
			q->head->prev = NULL;
		else
			q->tail = NULL;
		w->next = w->prev = NULL;
		w->fn(w->arg);
		if (w == last)
			break;
	}
	q->firing = 0;
	if (q->head)
		queue_arm(q);
}

/* queue_for - the queue of waits of len_ns, made on first use, or NULL if
 * libevent could not make its timer. */
static struct evsleep_queue *queue_for(struct evsleep_set *set, uint64_t len_ns)
{
	for (int i = 0; i < set->n; i++)
		if (set->len_ns[i] == len_ns)
			return &set->q[i];
	if (set->n == EVSLEEP_QUEUES)
		return &set->q[EVSLEEP_QUEUES - 1]; /* shared, still in deadline order */
	struct evsleep_queue *q = &set->q[set->n];
	q->base = set->base;
	q->timer = evtimer_new(set->base, queue_fire_cb, q);
	if (!q->timer)
		return NULL;
	set->len_ns[set->n++] = len_ns;
	return q;
}

void evsleep_set_init(struct evsleep_set *set, struct event_base *base)
{
	*set = (struct evsleep_set){ .base = base };
}

int evsleep_add(struct evsleep_set *set, struct evsleep *w, uint64_t t0_ns, uint64_t len_ns,
		void (*fn)(void *arg), void *arg)
{
	struct evsleep_queue *q = queue_for(set, len_ns);
	if (!q)
		return -1;
	w->due_ns = t0_ns + len_ns;
	w->fn = fn;
	w->arg = arg;
	/* From the tail: one step for a wait added in deadline order. */
	struct evsleep *after = q->tail;
	while (after && after->due_ns > w->due_ns)
		after = after->prev;
	w->prev = after;
	w->next = after ? after->next : q->head;
	if (w->next)
		w->next->prev = w;
	else
		q->tail = w;
	if (after)
		after->next = w;
	else
		q->head = w;
	/* A new head needs the timer; a batch being ended re-arms at its end. */
	if (q->head == w && !q->firing)
		queue_arm(q);
	return 0;
}

void evsleep_set_fini(struct evsleep_set *set)
{
	for (int i = 0; i < set->n; i++)
		if (set->q[i].timer)
			event_free(set->q[i].timer);
	set->n = 0;
}
