/*
 * stats.h - what a run cost the process: memory, CPU, context switches and
 * OS threads, read from getrusage() and /proc/self/status.
 */
#ifndef STATS_H
#define STATS_H

#include <stdint.h>

struct stats_usage {
	uint64_t maxrss_kib; /* peak resident set of this process, KiB */
	double utime_s;      /* user CPU, seconds, all threads */
	double stime_s;      /* system CPU, seconds, all threads */
	uint64_t vcsw;       /* voluntary context switches (waited) */
	uint64_t ivcsw;      /* involuntary ones (preempted) */
};

/* stats_usage_read - getrusage(RUSAGE_SELF).  Returns 0, or -1 with errno. */
int stats_usage_read(struct stats_usage *out);

/*
 * stats_thread_count - OS threads of this process now ("Threads:" in
 * /proc/self/status).  Returns the count, or -1 if it cannot be read.
 * Cost: one open/read/close; call it at the moments of peak, not per task.
 */
int stats_thread_count(void);

/* stats_rss_kib - resident set now ("VmRSS:"), KiB, or -1. */
long stats_rss_kib(void);

#endif
