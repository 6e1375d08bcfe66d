/*
 * cpu_hash.c - the CPU-bound pair: every task is pure computation.
 *
 * A task hashes a small buffer seeded by its id, over and over (--work
 * rounds).  This is the case where the advice says "threads": the work can
 * run in parallel on every core, while one event loop runs it on one.
 */
#include <string.h>

#include "cpu_hash.h"
#include "workload.h"

#define FNV_OFFSET 0xcbf29ce484222325ULL /* FNV-1a 64-bit offset basis */
#define FNV_PRIME 0x100000001b3ULL       /* FNV-1a 64-bit prime */
#define BUF_WORDS 8                      /* 64-byte buffer */

uint64_t cpu_hash_kernel(uint64_t seed, uint64_t rounds)
{
	uint64_t buf[BUF_WORDS];
	uint64_t h = seed;

	for (unsigned i = 0; i < BUF_WORDS; i++)
		buf[i] = wl_fold(seed, i);

	for (uint64_t r = 0; r < rounds; r++) {
		const unsigned char *p = (const unsigned char *)buf;
		h = FNV_OFFSET;
		for (size_t i = 0; i < sizeof(buf); i++) {
			h ^= p[i];
			h *= FNV_PRIME;
		}
		buf[r % BUF_WORDS] ^= h; /* the chain: next round depends on this one */
	}
	return h;
}

const struct wl_info wl_info_cpu_hash = {
	.name = "cpu_hash",
	.kind = WL_CPU,
	.summary = "CPU-bound: each task runs --work rounds of FNV-1a over 64 bytes",
	.default_work = CPU_HASH_DEFAULT_ROUNDS,
	.default_delay_us = 0,
	.peer = WL_PEER_NONE,
	.opts = WL_OPT_WORK,
	.floor = { .declared = 1, .work_is_cpu_hash = 1 },
	.claims = "parallel,latency,length,memory,mt,onecpu",
};
