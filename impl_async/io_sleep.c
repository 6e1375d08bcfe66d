/*
 * io_sleep on a libevent loop: one timer per slot.  All slots wait the same
 * delay, so they share a libevent common-timeout queue: arming a timer is a
 * FIFO append instead of a min-heap insertion, as a careful libevent program
 * would do.
 */
#include <stdio.h>

#include "../workloads/io_sleep.h"
#include "async.h"

static void io_sleep_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct async_slot *s = arg;
	async_task_done(s, io_sleep_result(s->task_id, s->params->delay_us));
}

static int io_sleep_slot_init(struct async_slot *s, char *err, size_t errlen)
{
	struct event_base *base = async_slot_base(s);
	uint64_t d = s->params->delay_us;
	struct timeval tv = { (time_t)(d / 1000000), (suseconds_t)(d % 1000000) };
	/* libevent keeps the common timeval; every slot gets the same pointer. */
	const struct timeval *common = event_base_init_common_timeout(base, &tv);
	s->ev = evtimer_new(base, io_sleep_timer_cb, s);
	if (!s->ev || !common) {
		snprintf(err, errlen, "evtimer_new failed (out of memory?)");
		return -1;
	}
	s->state = (void *)common;
	return 0;
}

static void io_sleep_task_start(struct async_slot *s)
{
	evtimer_add(s->ev, (const struct timeval *)s->state);
}

static void io_sleep_slot_fini(struct async_slot *s)
{
	if (s->ev)
		event_free(s->ev);
}

const struct async_ops async_io_sleep = {
	.slot_init = io_sleep_slot_init,
	.task_start = io_sleep_task_start,
	.slot_fini = io_sleep_slot_fini,
};
