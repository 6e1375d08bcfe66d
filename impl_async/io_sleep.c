/*
 * io_sleep on a libevent loop: each task waits --delay-us from its start
 * (async_sleep_from, timed from the reading that ended the slot's last
 * task).  All slots wait the same length, so the waits share one FIFO on the
 * loop with one libevent timer for its head, as libevent's common-timeout
 * queues do: arming a wait is an append, not a min-heap insertion.
 */
#include "../workloads/io_sleep.h"
#include "async.h"

static void io_sleep_timer_cb(struct async_slot *s)
{
	async_task_done(s, io_sleep_result(s->task_id, s->params->delay_us));
}

static void io_sleep_task_start(struct async_slot *s)
{
	async_sleep_from(s, s->t_begin_ns, s->params->delay_us, io_sleep_timer_cb);
}

const struct async_ops async_io_sleep = {
	.task_start = io_sleep_task_start,
};
