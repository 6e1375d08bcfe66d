/*
 * cpu.c - bin/calibrate's CPU figures: one cpu_hash round, and what
 * recording one latency costs a loop (hist_record) and a worker thread
 * (sched_getcpu + hist_record_shared).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <malloc.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "../../workloads/cpu_hash.h"
#include "../runtime/clock.h"
#include "../runtime/evbase.h"
#include "../runtime/hist.h"
#include "../runtime/stats.h"
#include "../runtime/util.h"
#include "calibrate.h"

/* ---- cpu_hash_unit_ns ------------------------------------------------------------ */

int rep_cpu_hash(const struct cal_ctx *cx, double *value, char *err, size_t errlen)
{
	uint64_t t0 = clock_now_ns(), c0 = cal_thread_cpu_ns(), calls = 0, acc = 0;
	do {
		/* whole default-size tasks: the kernel's set-up is in the unit too */
		for (int i = 0; i < CAL_CLOCK_EVERY / 8; i++)
			acc += cpu_hash_kernel(calls + (uint64_t)i, CPU_HASH_DEFAULT_ROUNDS);
		calls += CAL_CLOCK_EVERY / 8;
	} while (cal_elapsed_since(t0) < cx->slice_ns);
	/* This thread's CPU time: the floor's CPU bound is cores / CPU, and a
	 * wall-clock unit taken on a busy machine reads the preemptions too. */
	uint64_t c1 = cal_thread_cpu_ns();
	if (c0 == 0 || c1 <= c0) {
		snprintf(err, errlen, "CLOCK_THREAD_CPUTIME_ID: no CPU time measured");
		return -1;
	}
	*value = (double)(c1 - c0) / (double)(calls * CPU_HASH_DEFAULT_ROUNDS);
	cal_sink += acc;
	return 0;
}

/* ---- hist_record_ns --------------------------------------------------------------- */

/* hist_cost - ns per recorded value: a loop's hist_record (shared == 0) or a
 * worker thread's sched_getcpu + hist_record_shared (shared == 1). */
static int hist_cost(const struct cal_ctx *cx, int shared, double *value, char *err,
		     size_t errlen)
{
	uint64_t *vals = malloc(CAL_HIST_VALUES * sizeof(*vals));
	struct hist *h = calloc(1, sizeof(*h));
	if (!vals || !h) {
		snprintf(err, errlen, "malloc: %s", strerror(errno));
		free(vals);
		free(h);
		return -1;
	}
	/* latencies spread over many octaves (1 us .. 16 ms), from a seed the
	 * compiler cannot know: nothing to fold, every bucket path taken */
	uint64_t x = clock_now_ns() | 1;
	for (int i = 0; i < CAL_HIST_VALUES; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		unsigned bits = CAL_HIST_MIN_BITS + (unsigned)(x % CAL_HIST_SPAN_BITS);
		vals[i] = (x >> 8) & ((1ULL << bits) - 1);
	}
	if (shared)
		hist_init_shared(h);
	/* This thread's CPU time, not the wall clock: a cost of tens of ns
	 * timed by the wall on a busy machine reads ten times higher whenever
	 * the thread is preempted (hist_record_shared read 393 ns so). */
	uint64_t t0 = clock_now_ns(), c0 = cal_thread_cpu_ns(), count = 0, cpus = 0;
	do {
		if (shared) {
			for (int i = 0; i < CAL_HIST_VALUES; i++) {
				cpus += (uint64_t)sched_getcpu();
				hist_record_shared(h, vals[i]);
			}
		} else {
			for (int i = 0; i < CAL_HIST_VALUES; i++)
				hist_record(h, vals[i]);
		}
		count += CAL_HIST_VALUES;
	} while (cal_elapsed_since(t0) < cx->slice_ns);
	*value = (double)(cal_thread_cpu_ns() - c0) / (double)count;
	if (shared)
		hist_finish_shared(h);
	cal_sink += hist_percentile(h, 0.99) + h->total + cpus; /* the results are used */
	free(vals);
	free(h);
	return 0;
}

int rep_hist_record(const struct cal_ctx *cx, double *value, char *err, size_t errlen)
{
	return hist_cost(cx, 0, value, err, errlen);
}

int rep_hist_record_shared(const struct cal_ctx *cx, double *value, char *err,
				  size_t errlen)
{
	return hist_cost(cx, 1, value, err, errlen);
}
