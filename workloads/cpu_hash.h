/*
 * cpu_hash.h - the CPU-bound kernel: a chain of FNV-1a hashes.
 *
 * The kernel is shared: cpu_hash tasks run it alone, `mixed` tasks run it on
 * a backend reply.  It is pure and deterministic, so both models compute
 * exactly the same thing, instruction for instruction.
 */
#ifndef CPU_HASH_H
#define CPU_HASH_H

#include <stdint.h>

/* Rounds per task by default: about 50 us of one core on the reference
 * machine (2-core AMD EPYC VM, gcc -O2); see docs/methodology.md, "The workloads". */
#define CPU_HASH_DEFAULT_ROUNDS 900

/*
 * cpu_hash_kernel - hash a 64-byte buffer seeded by `seed`, `rounds` times,
 * each round feeding its digest back into the buffer.
 * Returns the last digest (the seed itself when rounds is 0).
 * Cost: rounds x 64 dependent multiply-xor steps; no memory beyond the stack.
 */
uint64_t cpu_hash_kernel(uint64_t seed, uint64_t rounds);

#endif
