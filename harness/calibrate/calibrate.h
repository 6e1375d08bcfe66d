/*
 * calibrate.h - what the parts of bin/calibrate share: the tunables, the
 * context a repetition gets, the table row, the helpers (common.c) and one
 * repetition function per figure, grouped by family:
 *   threads.c  cores, thread create+join, wake-up, a switch between two
 *              threads (pinned to one CPU and not), RSS per idle thread,
 *              how late a sleep ends
 *   net.c      loopback TCP round trip (one CPU, across CPUs) and its CPU;
 *              with --backend, the round trip to that bin/backend and its CPU
 *   batch.c    the floors' figures that hold at every level: a round trip's
 *              CPU with many in flight, the least round trip and sleep
 *   loop.c     libevent dispatch and timer cost, RSS per pending event
 *   cpu.c      one cpu_hash round, recording a latency
 *   coro.c     a coroutine switch: ours, and glibc's swapcontext
 *   switch.c   a task switch on one libevent loop and through the green
 *              runtime, with no I/O and driven by a socketpair's readiness
 *   main.c     the table, the options, the watchdog and the output
 */
#ifndef CALIBRATE_H
#define CALIBRATE_H

#include <pthread.h>
#include <sched.h>
#include <stddef.h>
#include <stdint.h>

#include <netinet/in.h>

#include <event2/event.h>

/* ---- tunables ------------------------------------------------------------ */
#define CAL_REPS 5                 /* repetitions per figure (median taken) */
#define CAL_QUICK_REPS 3           /* ... with --quick */
#define CAL_SLICE_NS 60000000ULL   /* a timed loop's repetition runs this long */
#define CAL_QUICK_SLICE_NS 20000000ULL
#define CAL_SWITCH_SLICE_NS 25000000ULL /* ... a switch figure's (six of them: under 1 s in all) */
#define CAL_QUICK_SWITCH_SLICE_NS 10000000ULL
#define CAL_WATCHDOG_S 30          /* the whole program; exit 3 past it */
#define CAL_QUICK_WATCHDOG_S 10
#define CAL_IDLE_THREADS 1000      /* threads held idle for the RSS figure */
#define CAL_QUICK_IDLE_THREADS 250
#define CAL_PENDING_EVENTS 100000  /* pending events for the RSS figure */
#define CAL_QUICK_PENDING_EVENTS 25000
#define CAL_TIMERS 10000           /* timers armed and dispatched per repetition */
#define CAL_ACTIVE_EVENTS 100      /* events kept active by the dispatch loop */
#define CAL_PENDING_TIMEOUT_S 3600 /* a pending event's timeout: never fires */
#define CAL_WARMUP_ROUNDS 100      /* ping-pong / TCP round trips before timing */
#define CAL_MSG_BYTES 24           /* TCP request and reply size */
#define CAL_CLOCK_EVERY 64         /* timed loops read the clock once per batch */
#define CAL_HIST_VALUES 4096       /* distinct values fed to hist_record (2^k) */
#define CAL_HIST_MIN_BITS 10       /* values spread over 2^10 .. 2^24 ns */
#define CAL_HIST_SPAN_BITS 14
#define CAL_ERR_MAX 256            /* one error line */
#define CAL_WHAT_MAX 384           /* a row's description, with its repetitions' range */
#define CAL_WAKE_SLEEP_NS 1000000  /* wake_overshoot_us: the sleep, io_sleep's default */
#define CAL_WAKE_SLEEPS 2000       /* ... at most this many per repetition */
#define CAL_BACKEND_IO_TIMEOUT_S 5 /* --backend: a connect, send or reply slower than this fails */
#define CAL_BATCH_CONNS 256        /* rpc_cpu_batch_us: connections in flight at once */

/* What a repetition may use, set from the options. */
struct cal_ctx {
	uint64_t slice_ns;       /* duration of a timed repetition */
	uint64_t switch_slice_ns; /* ... of a switch figure's (thousands of switches) */
	unsigned idle_threads;   /* threads for rss_per_idle_thread_kib */
	unsigned pending_events; /* events for rss_per_pending_event_kib */
	const struct sockaddr_in *backend; /* --backend: a bin/backend to time, or NULL */
};

/* One row of the CSV and how to take one repetition of it. */
struct cal_item {
	const char *name; /* row name: what the report and the plots look up */
	const char *unit; /* us, ns, KiB, cpus */
	const char *what; /* one phrase for people (CSV-quoted when needed) */
	int single;       /* 1: not a measurement, one repetition is enough */
	/* rep - one repetition: 0 and *value, or -1 with one line in err. */
	int (*rep)(const struct cal_ctx *cx, double *value, char *err, size_t errlen);
};

extern volatile uint64_t cal_sink; /* keeps results alive past the optimiser */

/*
 * Two-thread measurements (wake-up, TCP round trip) run with both threads on
 * the CPU the caller is on.  Why: that is where the scheduler puts a c=1
 * request/reply pair once it runs (the io_backend runs measure within a few
 * us of the pinned figure), and it is the floor.  Left alone, a new peer
 * thread starts on the other, idle CPU, and on a small VM a cross-CPU wake-up
 * costs 5-10x more and varies from run to run: a floor that is not one.
 */
struct cal_pin {
	cpu_set_t saved; /* the caller's affinity, restored by cal_pin_end */
	cpu_set_t one;   /* the one CPU both threads use */
	int pinned;      /* 0: pinning refused (a restricted container): unpinned */
};

/* ---- helpers (common.c) ---- */
/* cal_elapsed_since - ns since t0 (clock_now_ns). */
uint64_t cal_elapsed_since(uint64_t t0);
/* cal_thread_cpu_ns - CPU time (user + system) of the calling thread so far,
 * ns; 0 if it cannot be read. */
uint64_t cal_thread_cpu_ns(void);
/* cal_fatal_usage - bad usage: "calibrate: <fmt with arg> (see --help)", exit 2. */
void cal_fatal_usage(const char *fmt, const char *arg);
/* cal_free_events - free the first n of evs, the array and base (may be NULL). */
void cal_free_events(struct event **evs, size_t n, struct event_base *base);
/* cal_io_error - "<what>: <strerror(errno)>" into err. */
void cal_io_error(char *err, size_t errlen, const char *what);
/* cal_make_base - an event_base with precise timers (evbase.h), or NULL. */
struct event_base *cal_make_base(void);
/* cal_median - the median of v[0..n) (sorts v in place). */
double cal_median(double *v, int n);
/* cal_pin_begin / cal_pin_end - run the caller and the threads made with
 * attr on one CPU (cross: on two different ones), then restore. */
void cal_pin_begin(struct cal_pin *pin, pthread_attr_t *attr, int cross);
void cal_pin_end(struct cal_pin *pin, pthread_attr_t *attr);
/* cal_rss_growth_per - (VmRSS now - before) / count KiB into *value: 0, or -1
 * with err set. */
int cal_rss_growth_per(long before, unsigned count, double *value, char *err, size_t errlen);

/* ---- one repetition of each figure: 0 and *value, or -1 with one line in err ---- */
int rep_cores(const struct cal_ctx *cx, double *value, char *err, size_t errlen);
int rep_thread_create(const struct cal_ctx *cx, double *value, char *err, size_t errlen);
int rep_wakeup(const struct cal_ctx *cx, double *value, char *err, size_t errlen);
int rep_switch_threads_unpinned(const struct cal_ctx *cx, double *value, char *err,
				size_t errlen);
int rep_switch_threads_pinned(const struct cal_ctx *cx, double *value, char *err, size_t errlen);
int rep_switch_async(const struct cal_ctx *cx, double *value, char *err, size_t errlen);
int rep_switch_async_io(const struct cal_ctx *cx, double *value, char *err, size_t errlen);
int rep_switch_green(const struct cal_ctx *cx, double *value, char *err, size_t errlen);
int rep_switch_green_io(const struct cal_ctx *cx, double *value, char *err, size_t errlen);
int rep_rss_thread(const struct cal_ctx *cx, double *value, char *err, size_t errlen);
int rep_wake_overshoot(const struct cal_ctx *cx, double *value, char *err, size_t errlen);
int rep_tcp_rtt(const struct cal_ctx *cx, double *value, char *err, size_t errlen);
int rep_tcp_rtt_cross(const struct cal_ctx *cx, double *value, char *err, size_t errlen);
int rep_rpc_cpu(const struct cal_ctx *cx, double *value, char *err, size_t errlen);
int rep_rpc_cpu_batch(const struct cal_ctx *cx, double *value, char *err, size_t errlen);
int rep_tcp_rtt_min(const struct cal_ctx *cx, double *value, char *err, size_t errlen);
int rep_timer_cpu(const struct cal_ctx *cx, double *value, char *err, size_t errlen);
int rep_backend_rtt(const struct cal_ctx *cx, double *value, char *err, size_t errlen);
int rep_backend_cpu(const struct cal_ctx *cx, double *value, char *err, size_t errlen);
int rep_event_dispatch(const struct cal_ctx *cx, double *value, char *err, size_t errlen);
int rep_timer_event(const struct cal_ctx *cx, double *value, char *err, size_t errlen);
int rep_rss_event(const struct cal_ctx *cx, double *value, char *err, size_t errlen);
int rep_cpu_hash(const struct cal_ctx *cx, double *value, char *err, size_t errlen);
int rep_hist_record(const struct cal_ctx *cx, double *value, char *err, size_t errlen);
int rep_hist_record_shared(const struct cal_ctx *cx, double *value, char *err, size_t errlen);
int rep_coro_switch(const struct cal_ctx *cx, double *value, char *err, size_t errlen);
int rep_swapcontext(const struct cal_ctx *cx, double *value, char *err, size_t errlen);

#endif
