/*
 * stats.h - what a run cost the process: memory, CPU, context switches and
 * OS threads, read from getrusage() and /proc/self/status.
 */
#ifndef STATS_H
#define STATS_H

#include <stdint.h>
#include <sys/types.h>

struct stats_usage {
	uint64_t maxrss_kib; /* peak resident set of this program since its exec (VmHWM), KiB */
	double utime_s;      /* user CPU, seconds, all threads */
	double stime_s;      /* system CPU, seconds, all threads */
	uint64_t vcsw;       /* voluntary context switches (waited) */
	uint64_t ivcsw;      /* involuntary ones (preempted) */
};

/* stats_usage_read - getrusage(RUSAGE_SELF), the peak RSS from
 * /proc/self/status (VmHWM).  Returns 0, or -1 with errno.  Cost: a
 * system call and a /proc read (tens of us): at the clock's edges only. */
int stats_usage_read(struct stats_usage *out);

/* stats_usage_sub - the CPU time and switches from a to b (b later);
 * maxrss_kib is b's (a peak, not a count). */
struct stats_usage stats_usage_sub(const struct stats_usage *b, const struct stats_usage *a);

/* What another process (the run's own backend) has used so far. */
struct stats_proc {
	uint64_t cpu_ns; /* user + system CPU of its main thread, ns (schedstat) */
	uint64_t vcsw;   /* voluntary context switches */
	uint64_t ivcsw;  /* involuntary ones */
};

/*
 * stats_proc_read - /proc/PID/schedstat (CPU time, in ns: /proc/PID/stat's
 * clock ticks are 10 ms, a fortieth of a run) and /proc/PID/status
 * (switches) of a single-threaded process.  Returns 0, or -1 if the
 * process is gone or the files cannot be read.  Cost: two small reads.
 */
int stats_proc_read(pid_t pid, struct stats_proc *out);

/*
 * stats_thread_count - OS threads of this process now ("Threads:" in
 * /proc/self/status).  Returns the count, or -1 if it cannot be read.
 * Cost: one open/read/close; call it at the moments of peak, not per task.
 */
int stats_thread_count(void);

/* stats_read_u64 - the first number in a file (a /proc or cgroup counter).
 * 0, or -1 if it cannot be opened or holds no number. */
int stats_read_u64(const char *path, uint64_t *out);

/* stats_rss_kib - resident set now ("VmRSS:"), KiB, or -1. */
long stats_rss_kib(void);

#endif
