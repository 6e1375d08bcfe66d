/*
 * io_sleep on threads: a blocking sleep on the monotonic clock until
 * --delay-us after the task began (block.h: clock_nanosleep on a thread, a
 * parked coroutine on green and uring), as the async side's wait.
 */
#include "../workloads/io_sleep.h"
#include "block.h"
#include "threads.h"

static int io_sleep_task(struct thr_worker *w, uint64_t id, uint64_t *result)
{
	uint64_t d = w->params->delay_us;
	blk_sleep_from(w->t_begin_ns, d);
	*result = io_sleep_result(id, d);
	return 0;
}

const struct threads_ops threads_io_sleep = {
	.task = io_sleep_task,
};
