/*
 * io_sleep.c - tasks that only wait.  Threads block in clock_nanosleep,
 * async arms a timer: what remains is the pure cost of waiting in each model
 * (a stack and a kernel thread per waiter, or a timer entry per waiter).
 */
#include "io_sleep.h"
#include "workload.h"

uint64_t io_sleep_result(uint64_t id, uint64_t delay_us)
{
	return wl_fold(delay_us, id);
}

const struct wl_info wl_info_io_sleep = {
	.name = "io_sleep",
	.kind = WL_IO,
	.summary = "I/O-bound: each task waits --delay-us (threads sleep, async arms a timer)",
	.default_work = 0,
	.default_delay_us = IO_SLEEP_DEFAULT_DELAY_US,
	.peer = WL_PEER_NONE,
	.opts = WL_OPT_DELAY,
	.floor = { .declared = 1, .timer_waits = 1 },
	.claims = "io,latency,memory,green,capriccio,jep444,matklad,onecpu",
};
