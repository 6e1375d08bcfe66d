/*
 * async.h - what a workload writes to run on a libevent loop.
 *
 * The async model runs every in-flight task on one event_base in one thread.
 * With -c N the loop has N slots; a slot starts a task (task_start), the
 * workload arranges callbacks (a timer, a readable socket, an activated
 * event), and its last callback reports the result with async_task_done(),
 * which records latency and starts the slot's next task.  A callback must
 * never block: while it runs, every other task on the loop waits.
 */
#ifndef ASYNC_H
#define ASYNC_H

#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#include "../harness/runtime/evsleep.h"
#include "../harness/runtime/model.h"

struct async_loop;

/* One in-flight task's place on a loop. */
struct async_slot {
	struct async_loop *loop;        /* owner; use async_slot_base() */
	const struct wl_params *params; /* the run's parameters */
	uint64_t task_id;               /* the task in flight */
	uint64_t t_start_ns;            /* when it arrived (clock_now_ns): latency's start */
	uint64_t t_begin_ns;            /* when it began: a clock reading >= t_start_ns,
					   taken as the slot was given it */
	struct event *arrive_ev;        /* open loop: the arrival timer (runtime's) */
	int fd;                         /* a socket the workload may keep, or -1 */
	struct event *ev;               /* the workload's event, or NULL */
	void *state;                    /* workload-private: a multi-step task's own
					   state (what its first reply said), never
					   touched by the runtime or the helpers */
	void *rpc;                      /* the rpc helper's (impl_async/rpc.c), or NULL */
	struct sleepq_wait sleep;       /* async_sleep_from's wait */
	void (*sleep_fn)(struct async_slot *s); /* what runs when it ends */
	uint64_t (*ready_fn)(const struct async_slot *s, uint64_t arg); /* async_ready_*: the
					   task's whole work */
	/* Used by async_cpu() when the CPU part goes to the worker pool: */
	uint64_t (*cpu_fn)(const struct async_slot *s, uint64_t arg); /* the CPU part */
	uint64_t cpu_arg;               /* its argument */
	uint64_t cpu_result;            /* its result, handed back to the loop */
	struct async_slot *cpu_next;    /* next job in a pool or completion list */
};

/* The CPU part of a task: pure computation on the slot's task and `arg`;
 * it may run on another thread, so it must touch nothing but its inputs.
 * It returns the task's result, or ASYNC_CPU_ERROR for a task that failed
 * (counted as an error, as a threads task returning 1 is). */
typedef uint64_t (*async_cpu_fn)(const struct async_slot *s, uint64_t arg);

#define ASYNC_CPU_ERROR UINT64_MAX /* an async_cpu_fn's "this task failed" */

/* A workload's async side, defined as `async_NAME` in impl_async/NAME.c. */
struct async_ops {
	/*
	 * slot_init (optional) - prepare a slot before the clock starts, e.g.
	 * create its event and connect it.  Returns 0, or -1 with err set: the
	 * run fails (exit 3) naming it.
	 */
	int (*slot_init)(struct async_slot *s, char *err, size_t errlen);
	/*
	 * task_start - begin task s->task_id.  It must not finish the task
	 * before returning (no async_task_done from here): arm an event instead.
	 */
	void (*task_start)(struct async_slot *s);
	/* slot_fini (optional) - release what slot_init took. */
	void (*slot_fini)(struct async_slot *s);
};

/* async_slot_base - the event_base the slot runs on. */
struct event_base *async_slot_base(const struct async_slot *s);

/*
 * async_sleep_from - the slot's task waits until t0_ns + us microseconds,
 * then fn(s) runs from the loop.  t0_ns is a clock reading at or before now:
 * s->t_begin_ns when the wait starts the task (no second clock read), else
 * clock_now_ns().  Waits of one length share a FIFO on the loop
 * (harness/runtime/sleepq.h, driven by evsleep.h); none ends before its
 * deadline.  Call it from
 * task_start or a callback.
 */
void async_sleep_from(struct async_slot *s, uint64_t t0_ns, uint64_t us,
		      void (*fn)(struct async_slot *s));

/* async_task_done - the task in flight finished with `result`: record it and
 * start the slot's next task, if any.  Call it from a callback only. */
void async_task_done(struct async_slot *s, uint64_t result);

/*
 * async_cpu - finish the task with the result of fn(s, arg), the task's CPU
 * part.  Plain async (the default) runs it right here on the loop thread, as
 * a one-loop server does; with --workers N (the "hybrid" model) it goes to a
 * pool of N threads and the loop takes the result back through an eventfd,
 * without blocking.  Call it from a callback, like async_task_done().
 */
void async_cpu(struct async_slot *s, async_cpu_fn fn, uint64_t arg);

/*
 * The "ready at once" pattern, for a task with nothing to wait for on the
 * loop (all CPU, or a blocking call such as a file read): slot_init makes
 * an event whose callback runs fn through async_cpu(), task_start activates
 * it (so the task never ends inside task_start), slot_fini frees it.
 *   async_ready_slot_init - returns 0, or -1 with err set.
 */
int async_ready_slot_init(struct async_slot *s, async_cpu_fn fn, char *err, size_t errlen);
void async_ready_task_start(struct async_slot *s);
void async_ready_slot_fini(struct async_slot *s);

/* async_task_error - the task in flight failed; count it and go on. */
void async_task_error(struct async_slot *s);

/* async_task_error_why - the same, saying why (kept if it is the run's
 * first: a run failed for its share of errors names it). */
void async_task_error_why(struct async_slot *s, const char *why);

/* async_fail - a fault that ends the run (exit 3), e.g. the backend died. */
void async_fail(struct async_slot *s, const char *why);

#endif
