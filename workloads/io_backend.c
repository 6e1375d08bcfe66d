/*
 * io_backend.c - tasks that wait on a network service.  The backend holds
 * each request for --delay-us, so a task is a round trip plus that wait;
 * the models differ in what they keep per waiting task (a blocked thread on
 * its own socket, or a socket and an event on the loop).
 */
#include "io_backend.h"
#include "workload.h"

const struct wl_info wl_info_io_backend = {
	.name = "io_backend",
	.kind = WL_IO,
	.summary = "I/O-bound: each task is one request to bin/backend over TCP, "
		   "answered after --delay-us",
	.default_work = 0,
	.default_delay_us = IO_BACKEND_DEFAULT_DELAY_US,
	.peer = WL_PEER_BACKEND,
	.opts = WL_OPT_DELAY,
	.floor = { .declared = 1, .round_trips = 1 },
	.claims = "io,latency,memory,tyma,green,capriccio,jep444,matklad,uring,onecpu",
};
