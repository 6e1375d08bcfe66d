/*
 * io_sleep on threads: a blocking sleep on the monotonic clock.
 */
#include <errno.h>
#include <time.h>

#include "../workloads/io_sleep.h"
#include "threads.h"

static int io_sleep_task(struct thr_worker *w, uint64_t id, uint64_t *result)
{
	uint64_t d = w->params->delay_us;
	struct timespec ts = { (time_t)(d / 1000000), (long)(d % 1000000) * 1000 };
	while (clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &ts) == EINTR)
		;
	*result = io_sleep_result(id, d);
	return 0;
}

const struct threads_ops threads_io_sleep = {
	.task = io_sleep_task,
};
