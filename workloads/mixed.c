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
	/* Top level 256: each task is ~0.2 ms of CPU, so from c ~ 64 on two
	 * cores every model is CPU-bound, throughput is flat and latency is
	 * c / throughput (Little).  A run must last five latencies per slot: at
	 * 1,024 that was 0.75-1.3 s a run, 30 s of a sweep for the same finding
	 * (throughput within 14% of c = 256's on every model, their order the same);
	 * at 10,000, 190 s. */
	.max_concurrency = 256,
	.floor = { .declared = 1, .round_trips = 1, .work_is_cpu_hash = 1 },
	.claims = "length,stall,memory,mix,open,onecpu",
};
