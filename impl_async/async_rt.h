/*
 * async_rt.h - the async runtime's own parts, shared by its two drivers:
 * the fan-out run (async.c) and the server (async_serve.c).  Nothing
 * outside impl_async/'s runtime includes it; a pair sees only async.h.
 */
#ifndef ASYNC_RT_H
#define ASYNC_RT_H

#include <pthread.h>

#include "../harness/runtime/dispatch.h"
#include "../harness/runtime/gate.h"
#include "../harness/runtime/tally.h"
#include "async.h"

struct aserve_loop; /* a loop's server state (async_serve.c) */

/* The hybrid model's worker pool: a FIFO of slots whose CPU part is due. */
struct pool {
	pthread_mutex_t mu;        /* guards the queue and quit */
	pthread_cond_t cv;         /* a job arrived, or quit */
	struct async_slot *head;   /* oldest job */
	struct async_slot *tail;   /* newest job */
	int quit;                  /* 1: workers exit */
	pthread_t *tids;           /* the workers */
	uint64_t n;                /* how many */
};

/* State shared by every loop of a run. */
struct run_state {
	struct pool pool;              /* CPU workers (hybrid); n == 0: none */
	const struct async_ops *ops;   /* the workload's async side */
	const struct run_config *cfg;  /* the run */
	struct async_slot *slots_base; /* all slots */
	struct dispatch disp;          /* task ids and arrivals */
	struct run_fault fault;        /* the first fatal fault: every loop stops */
	struct gate go;                /* loop threads wait here for the clock */
	int started;                   /* 1: the clock started (set before go opens) */
	atomic_uint_fast64_t running;  /* loops not yet out of tasks */
	struct run_result *res;        /* the clock's stop is taken into it */
};

/* One event_base and its slots. */
struct async_loop {
	struct run_state *run;    /* shared state */
	struct event_base *base;  /* this loop's base, touched by its thread only */
	struct async_slot *slots; /* nslots slots */
	uint64_t nslots;          /* slots on this loop */
	uint64_t busy;            /* slots with a task in flight */
	struct run_tally tally;   /* its tasks */
	int starting;             /* 1 while task_start runs: catches sync completion */
	pthread_t tid;            /* its thread (loops > 1) */
	int efd;                  /* eventfd: the pool finished jobs (hybrid), or -1 */
	struct event *done_ev;    /* reads efd */
	pthread_mutex_t done_mu;  /* guards done_head */
	struct async_slot *done_head; /* finished jobs, not yet back on the loop */
	struct sleepq_set sleeps;  /* its async_sleep_from waits */
	struct dispatch_block ids; /* the task ids it claimed and has not handed out */
	struct dispatch_lat lat;  /* this loop's latencies */
	struct aserve_loop *serve; /* serving: the loop's server state; NULL in a fan-out run */
};

/* async_ops_of - the pair's async side, by its index in the registry. */
const struct async_ops *async_ops_of(size_t wl_index);

/* async_pool_start - n pool workers (hybrid), or none for n == 0.  0, or -1
 * with err set. */
int async_pool_start(struct pool *pool, uint64_t n, char *err, size_t errlen);

/* async_pool_stop - let the workers finish the queue, then join them. */
void async_pool_stop(struct pool *pool);

/* async_loop_setup - create lp's base, sleep queues and pool eventfd, and set
 * up its lp->nslots slots.  0, or -1 (the run's fault set). */
int async_loop_setup(struct async_loop *lp, const struct run_config *cfg);

/* async_loop_teardown - release lp's slots and base. */
void async_loop_teardown(struct async_loop *lp);

/* async_slot_prepare - s belongs to lp, as the pair's slot_init expects. */
void async_slot_prepare(struct async_loop *lp, struct async_slot *s);

/* async_slot_begin - start the slot's task (s->task_id, arrived at
 * s->t_start_ns) at `begin`, a fresh clock reading the caller has: a wait
 * that starts the task is timed from it (async_sleep_from). */
void async_slot_begin(struct async_slot *s, uint64_t begin);

/* ---- async_serve.c ---- */

/* async_serve - the model's serve (model.h): a slot per connection. */
int async_serve(const struct run_config *cfg, struct run_result *res);

/* async_serve_task_end - a serving loop's task ended: rc 0 with result, 1
 * failed (counted, a 500); its reply goes out and the connection goes on. */
void async_serve_task_end(struct async_slot *s, int rc, uint64_t result);

#endif
