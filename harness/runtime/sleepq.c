/*
 * sleepq.c - FIFOs of same-length timed waits, one driver timer per FIFO
 * (sleepq.h): placement, removal, ending a batch, arming.
 */
#include <stddef.h>

#include "clock.h"
#include "sleepq.h"

/* read_clock - the set's clock: the driver's, or CLOCK_MONOTONIC's. */
static inline uint64_t read_clock(const struct sleepq_set *set)
{
	return set->drv->now ? set->drv->now() : clock_now_ns();
}

/* queue_arm - arm q's driver for its head unless a current timer already
 * fires at or before it (a later one would end the head late). */
static void queue_arm(struct sleepq *q)
{
	uint64_t due = q->head->due_ns;
	if (q->armed_ns != 0 && q->armed_ns <= due)
		return;
	q->arm_seq++;
	q->armed_ns = due;
	q->set->drv->arm(q, due);
}

/* queue_for - the queue of waits of len_ns, made on first use, or NULL if
 * the driver could not make its timer. */
static struct sleepq *queue_for(struct sleepq_set *set, uint64_t len_ns)
{
	for (int i = 0; i < set->n; i++)
		if (set->q[i].len_ns == len_ns)
			return &set->q[i];
	if (set->n == SLEEPQ_QUEUES)
		return &set->q[SLEEPQ_QUEUES - 1]; /* shared, still in deadline order */
	struct sleepq *q = &set->q[set->n];
	*q = (struct sleepq){ .len_ns = len_ns, .set = set };
	if (set->drv->queue_init && set->drv->queue_init(q) != 0)
		return NULL;
	set->n++;
	return q;
}

void sleepq_set_init(struct sleepq_set *set, const struct sleepq_driver *drv, void *ctx,
		     void (*warm)(void *arg))
{
	*set = (struct sleepq_set){ .drv = drv, .ctx = ctx, .warm = warm };
}

int sleepq_add(struct sleepq_set *set, struct sleepq_wait *w, uint64_t t0_ns, uint64_t len_ns,
	       void (*fn)(void *arg), void *arg)
{
	struct sleepq *q = queue_for(set, len_ns);
	if (!q)
		return -1;
	w->due_ns = t0_ns + len_ns;
	w->fn = fn;
	w->arg = arg;
	w->q = q;
	/* From the tail: one step for a wait added in deadline order. */
	struct sleepq_wait *after = q->tail;
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
	/* A new head may need the timer; a batch being ended arms at its end. */
	if (q->head == w && !q->firing)
		queue_arm(q);
	return 0;
}

void sleepq_remove(struct sleepq_wait *w)
{
	struct sleepq *q = w->q;
	if (!q)
		return;
	/* The batch being ended stops at the wait before w (none: it is over). */
	if (q->batch_end == w)
		q->batch_end = w->prev;
	if (w->prev)
		w->prev->next = w->next;
	else
		q->head = w->next;
	if (w->next)
		w->next->prev = w->prev;
	else
		q->tail = w->prev;
	w->next = w->prev = NULL;
	w->q = NULL;
}

/* warm_ahead - while the wait before `next` ends: the memory of the wait
 * after next on its way (its waiter warmed, the wait after it prefetched:
 * its line is read next turn), and next's own on the batch's first turn.
 * Two ahead, since one waiter's callback (a switch into a coroutine and its
 * task) is shorter than a miss to memory; the nodes' own lines one turn
 * ahead of their reading, as a linked list allows. */
static inline void warm_ahead(const struct sleepq_set *set, const struct sleepq_wait *next,
			      int first)
{
	const struct sleepq_wait *after = next->next;
	if (first && set->warm)
		set->warm(next->arg);
	if (!after)
		return;
	__builtin_prefetch(after->next);
	if (set->warm)
		set->warm(after->arg);
}

void sleepq_expire(struct sleepq *q, uint64_t seq)
{
	struct sleepq_set *set = q->set;
	if (seq == q->arm_seq)
		q->armed_ns = 0; /* the current timer: none is pending now */
	if (q->firing)
		return; /* a timer inside a batch: that batch ends what is due */
	uint64_t now = read_clock(set);
	struct sleepq_wait *w;
	q->firing = 1;
	q->batch_end = q->tail;
	const struct sleepq_wait *first = q->head;
	while (q->batch_end && (w = q->head)) {
		/* Ending the others took time: the head may be due by now.  Read
		 * again before giving the loop back, which would sleep for it and
		 * wake a timer's overshoot (tens of us) late. */
		if (w->due_ns > now && w->due_ns > (now = read_clock(set)))
			break;
		struct sleepq_wait *next = w->next;
		if (w == q->batch_end)
			q->batch_end = NULL;
		q->head = next;
		if (next) {
			next->prev = NULL;
			if (q->batch_end)
				warm_ahead(set, next, w == first);
		} else {
			q->tail = NULL;
		}
		w->next = NULL;
		w->q = NULL;
		w->fn(w->arg);
	}
	q->batch_end = NULL;
	q->firing = 0;
	if (q->head)
		queue_arm(q);
}

void sleepq_set_fini(struct sleepq_set *set)
{
	for (int i = 0; i < set->n; i++) {
		struct sleepq *q = &set->q[i];
		for (struct sleepq_wait *w = q->head; w; w = w->next)
			w->q = NULL;
		if (set->drv->queue_fini)
			set->drv->queue_fini(q);
	}
	set->n = 0;
}
