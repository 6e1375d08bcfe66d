/*
 * mixed.c - a backend round trip, then --work rounds of the cpu_hash kernel
 * seeded by the reply.  On one event loop the CPU part of one task delays
 * every other task's reply handling; on threads it runs on every core.
 */
#include "cpu_hash.h"
#include "mixed.h"
#include "workload.h"

uint64_t mixed_result(uint64_t digest, uint64_t rounds)
{
	return cpu_hash_kernel(digest, rounds);
}

const struct wl_info wl_info_mixed = {
	.name = "mixed",
	.kind = WL_IO,
	.summary = "Mixed: a backend round trip (--delay-us), then --work cpu_hash rounds "
		   "on the reply",
	.default_work = MIXED_DEFAULT_ROUNDS,
	.default_delay_us = MIXED_DEFAULT_DELAY_US,
	.peer = WL_PEER_BACKEND,
	.opts = WL_OPT_WORK | WL_OPT_DELAY,
	/* Top level 1,024, where the CPU pairs stop: each task is ~0.2 ms of
	 * CPU, so from c ~ 64 on two cores every model is CPU-bound, throughput
	 * is flat and latency is c / throughput (Little).  A run must last five
	 * latencies per slot: at 10,000 that is 10 s a run, 190 s of a sweep for
	 * the same finding. */
	.max_concurrency = 1024,
	.floor = { .declared = 1, .round_trips = 1, .work_is_cpu_hash = 1 },
	.claims = "length,stall,memory,mix,open,onecpu",
};
