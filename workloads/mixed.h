/*
 * mixed.h - a task that waits on the backend and then computes on the reply:
 * the case where the advice is to mix threads and an event loop.
 */
#ifndef MIXED_H
#define MIXED_H

#include <stdint.h>

#define MIXED_DEFAULT_DELAY_US 1000 /* backend service time */
#define MIXED_DEFAULT_ROUNDS 3600   /* ~200 us of CPU: a fifth of the wait */

/* mixed_result - the CPU part: cpu_hash_kernel over the reply digest. */
uint64_t mixed_result(uint64_t digest, uint64_t rounds);

#endif
