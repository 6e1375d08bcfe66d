/*
 * sched.h - the M:N scheduler of the coroutine models (green, uring): the
 * impl_threads/ pairs, unchanged, on stackful coroutines driven by loops.
 *
 * -c N gives N slots, each a coroutine with its own stack (coro.h), spread
 * over --loops L loops, one thread each (L = 1: the main thread), as the
 * async model spreads its slots.  A slot runs the pair's worker_init, parks
 * at the start line, then takes tasks by the rules of harness/dispatch.h
 * (impl_threads/worker.c, the same loop the threads model runs) and finally
 * worker_fini after the clock has stopped.  Whenever a task waits (block.h),
 * its coroutine parks and its loop runs the others; a backend (libevent for
 * green, io_uring for uring) says how a wait is armed and how a loop waits
 * for completions.  Clock: run_clock_start once every loop's coroutines have
 * run worker_init and parked; run_clock_stop by the last loop out of tasks.
 * Latency recorders are per loop; checksums, errors and fail_run semantics
 * are those of threads.c.
 */
#ifndef SCHED_H
#define SCHED_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "../harness/runtime/dispatch.h"
#include "../harness/runtime/sleepq.h"
#include "../impl_threads/threads.h"
#include "../impl_threads/worker.h"
#include "coro.h"

#define SCHED_DEFAULT_STACK_KIB 64 /* --stack-kib when not given: see README */
#define SCHED_LINE 64              /* a cache line: a slot's alignment */

struct sched_loop;
struct sched_wait; /* a backend's per-slot wait state, defined by the backend */

/* Where a slot is in its life (sched.c resumes it only at its own parks). */
enum sched_phase {
	SCHED_INIT,  /* running worker_init */
	SCHED_READY, /* parked at the start line */
	SCHED_RUN,   /* running tasks */
	SCHED_OUT,   /* out of tasks, parked until the clock stops */
};

/* One slot: a coroutine running one pair's worker.  Its first cache line
 * holds its sleep and its coroutine's saved stack pointer: a batch of sleeps
 * ending (sleepq.h) finds both in the line it prefetched for the wait.  What
 * else a resume and its task touch follows the coroutine, on the next lines
 * (loop and tally; the park's flags and the head of w), which sched_warm
 * prefetches with the stack. */
struct sched_slot {
	_Alignas(SCHED_LINE) struct sleepq_wait sleep; /* its sleeps (blk_sleep_from, _us) */
	struct coro co;           /* its coroutine (sched_self finds the slot from it) */
	struct sched_loop *loop;  /* its loop (sched_enter counts the turn there) */
	struct run_tally tally;   /* its counts and checksum */
	int waiting;              /* 1: parked in a backend wait (sched_park) */
	int waited;               /* 1: parked since its last task ended */
	enum sched_phase phase;   /* where it is */
	struct thr_worker w;      /* what the pair sees (its task's start first) */
	struct sched_wait *wait;  /* the backend's wait state for it */
	uint64_t index;           /* slot number: closed loop, its first task */
	struct sched_slot *next;  /* next in its loop's run queue */
};

/* One loop: a thread, its backend state and its share of the slots. */
struct sched_loop {
	struct sched_run *run;     /* the run */
	void *be;                  /* the backend's: an event_base, a ring */
	struct sched_slot *slots;  /* nslots slots */
	uint64_t nslots;           /* slots on this loop */
	uint64_t made;             /* coroutines made (the rest never ran) */
	uint64_t live;             /* slots not yet out of tasks */
	struct coro_stacks stacks; /* their stacks */
	struct sleepq_set *sleeps; /* its sleep queues (the backend's driver) */
	struct sched_slot *runq;   /* slots that gave way between tasks, oldest first */
	struct sched_slot **runq_tail; /* where the next one goes */
	struct dispatch_lat lat;   /* this loop's latencies */
	struct dispatch_block ids; /* the task ids it claimed and has not handed out */
	pthread_t tid;             /* its thread (loops > 1) */
	void *serve;               /* serve mode's state of the loop (sched_serve.c), or NULL */
	atomic_uint_fast64_t turns; /* odd while one of its coroutines runs (sched_enter):
				       the watchdog reads it from its own thread */
	atomic_int os_tid;         /* its thread's id (gettid), 0 until set: the watchdog's
				      /proc/self/task/ID */
	atomic_int in_file;        /* 1: a coroutine is in the runtime's own blocking file
				      read (green's blk_pread): the watchdog lets it be */
};

/* How a backend arms waits and runs a loop.  Every call is on the loop's thread. */
struct sched_backend {
	const char *name;  /* the model: "green", "uring" */
	size_t wait_size;  /* bytes of struct sched_wait */
	/* loop_init - make lp->be.  0, or -1 with one line in err. */
	int (*loop_init)(struct sched_loop *lp, char *err, size_t errlen);
	/* slot_init - ready s->wait (zeroed) before its coroutine first runs. */
	void (*slot_init)(struct sched_slot *s);
	/* poll - resume the slots whose waits have completed; if `block`, wait
	 * for at least one first.  0, or -1 with one line in err (the run fails). */
	int (*poll)(struct sched_loop *lp, int block, char *err, size_t errlen);
	/* slot_fini - release what slot_init took (optional). */
	void (*slot_fini)(struct sched_slot *s);
	/* loop_fini - release lp->be (it may be NULL after a failed init). */
	void (*loop_fini)(struct sched_loop *lp);
};

/*
 * sched_run - run cfg on backend be: the model's run() (harness/model.h).
 * Returns 0, or -1 with res->reason set.
 */
int sched_run(const struct sched_backend *be, const struct run_config *cfg,
	      struct run_result *res);

/*
 * sched_stack_guard - the usable bytes of each of cfg's coroutine stacks
 * (--stack-kib, default SCHED_DEFAULT_STACK_KIB), with the guard-page
 * handler armed for them, its line naming the run.  Once per run; 0 with
 * err set if the handler cannot be armed.
 */
size_t sched_stack_guard(const struct sched_backend *be, const struct run_config *cfg,
			 char *err, size_t errlen);

/*
 * sched_serve - --serve on backend be (model.h's serve): a coroutine per
 * connection (impl_green/sched_serve.c).  Returns 0, or -1 with res->reason.
 */
int sched_serve(const struct sched_backend *be, const struct run_config *cfg,
		struct run_result *res);

/* ---- the core (sched_core.c): what a loop does, apart from a run ----
 * The run above drives loops with these; bin/calibrate drives one with them
 * too, to time a switch through this scheduler (harness/calibrate/switch.c). */

/* sched_self - the slot whose coroutine is running (block.h calls come
 * from one); aborts if called on a loop's own stack. */
struct sched_slot *sched_self(void);

/* sched_park - the running slot waits: back to its loop until a backend
 * callback calls sched_wake(s).  The wait must be armed first. */
void sched_park(struct sched_slot *s);

/* sched_wake - resume s, parked in sched_park; from a loop's own stack. */
void sched_wake(struct sched_slot *s);

/* sched_enter - run s's coroutine until it parks or returns (coro_resume),
 * counting the turn in its loop's `turns` for the watchdog; every resume of
 * a slot goes through here.  From a loop's own stack. */
void sched_enter(struct sched_slot *s);

/* sched_warm - a sleepq warm hook (arg: a slot parked in a wait): prefetch
 * its saved stack top, the frames its resumption returns through, so the
 * switch into it does not stall on a cold line.  Reads s->co's saved stack
 * pointer: call it on a slot whose first line is cached or on its way. */
void sched_warm(void *arg);

/* sched_give_way - the running slot s goes to the back of its loop's run
 * queue and parks: the loop runs the others first, then resumes it.  Cost:
 * two coroutine switches and the loop's turn (sched_loop_until). */
void sched_give_way(struct sched_slot *s);

/* A loop's stop condition: 1 when the loop has nothing more to do for s. */
typedef int (*sched_done_fn)(const struct sched_loop *lp, const struct sched_slot *s);

/*
 * sched_loop_until - run lp's queued slots and completed waits (be->poll),
 * waiting in the poll only while nothing is queued, until done(lp, s).
 * Returns 0, or -1 with one line in err when the poll fails.
 */
int sched_loop_until(struct sched_loop *lp, const struct sched_backend *be, sched_done_fn done,
		     const struct sched_slot *s, char *err, size_t errlen);

/* ---- the watchdog (watchdog.c): a coroutine asleep in a system call ---- */

/* A run's watchdog: one thread looking at every loop of the run. */
struct sched_watch {
	struct sched_loop *loops;  /* the run's first loop */
	uint64_t nloops;           /* how many */
	size_t stride;             /* bytes from one loop to the next (a server's loop is the
				      first member of a larger struct: sched_serve.c) */
	struct sched_seen *seen;   /* what it saw of each, last time */
	pthread_t tid;             /* its thread */
	pthread_mutex_t mu;        /* guards stop */
	pthread_cond_t cv;         /* stop was set */
	int stop;                  /* 1: the run is over */
	int running;               /* 1: the thread was made */
};

/*
 * sched_watch_start - watch nloops loops, stride bytes apart from loops (a
 * run's: sizeof(struct sched_loop)): a thread that looks at each every
 * quarter of the bound, and when one of its coroutines has been asleep in
 * one system call for the whole bound (200 ms; 2 s in disk sleep) without
 * the loop getting a turn back, fails the run naming the call
 * (run_fail_now).  A coroutine running on the CPU is never flagged.  0, or
 * -1 with err set (pthread_create).  Cost: one wake-up every 50 ms; /proc
 * is read only for a loop whose coroutine has not changed since the last
 * look.
 */
int sched_watch_start(struct sched_watch *w, struct sched_loop *loops, uint64_t nloops,
		      size_t stride, char *err, size_t errlen);

/* sched_watch_stop - end the watch (after every loop is done). */
void sched_watch_stop(struct sched_watch *w);

/* sched_watch_test - test hook, not an option: with TVSA_UNHOOKED=recvfrom,
 * select or poll2 in the environment, the calling coroutine makes that
 * blocking call on a socket that never answers (a raw recvfrom system
 * call, libc's select: neither is hooked; poll on two descriptors: hooked,
 * not supported), so the run must fail naming it.  Returns at once
 * otherwise. */
void sched_watch_test(void);

/* The libevent backend of bin/green (green.c): its waits are block.h's. */
extern const struct sched_backend green_backend;

/* The io_uring backend of bin/uring (uring.c): its waits are block.h's. */
extern const struct sched_backend uring_backend;

#endif
