/*
 * sched_serve.c - the coroutine models as servers (--serve; green on
 * libevent, uring on io_uring): a coroutine per connection, made when the
 * connection is accepted, running the same blocking-style connection loop
 * as the threads model's threads (impl_threads/serve_conn.c).
 *
 * Each loop (--loops L: one thread each; L = 1: the main thread) runs an
 * acceptor coroutine on its listener (its own SO_REUSEPORT socket, or the
 * one all loops share: serve.h) and the connections it accepts.  A
 * connection's coroutine runs the pair's worker_init (a backend connection,
 * made by parking, not blocking the loop), its requests, worker_fini.  Its
 * slot (stack, wait state) comes from chunks of SERVE_CHUNK, mapped as
 * connections arrive, and is reused once its coroutine has ended; a stack
 * costs only the pages its coroutine touched (coro.h), which is the
 * model's memory per connection.  At the stop the acceptor shuts each of
 * its loop's connections' sockets down (a coroutine parked in recv wakes
 * with 0) and the loop runs until they have all ended.  The watchdog
 * (watchdog.c) watches a server's loops as it watches a run's: a request
 * whose code sleeps in a call the hooks do not know holds every connection
 * of its loop, and fails the server naming the call.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../harness/runtime/net.h"
#include "../impl_threads/block.h"
#include "../impl_threads/serve_conn.h"
#include "sched.h"

#define SERVE_CHUNK 256 /* slots (and stacks) mapped at once as connections arrive */

/* The registry, as the blocking-style runtimes see it: threads_NAME. */
#define WORKLOAD(name) extern const struct threads_ops threads_##name;
#include "../workloads/workloads.def"
#undef WORKLOAD
static const struct threads_ops *const ops_table[] = {
#define WORKLOAD(name) &threads_##name,
#include "../workloads/workloads.def"
#undef WORKLOAD
};

struct sserve;
struct sloop;

/* A connection (or the acceptor): a slot and what serving adds to it. */
struct sconn {
	struct sched_slot s;   /* its coroutine and wait state (first: a slot is its sconn) */
	struct sloop *sl;      /* its loop */
	int fd;                /* the client's socket; the acceptor's: its listener */
	struct serve_tally t;  /* its counts */
	struct sconn *prev;    /* in the loop's live list */
	struct sconn *next;    /* in the live list, or the free list */
};

/* A block of slots with their stacks and wait states. */
struct schunk {
	struct schunk *next;       /* the loop's previous chunk */
	struct coro_stacks stacks; /* SERVE_CHUNK stacks */
	char *waits;               /* SERVE_CHUNK wait states of be->wait_size */
	struct sconn conns[SERVE_CHUNK]; /* the slots */
};

/* One loop of the server. */
struct sloop {
	struct sched_loop lp;     /* the scheduler's loop (lp.serve points back here) */
	struct sserve *sv;        /* the server */
	struct sconn *acceptor;   /* its acceptor's slot */
	int accepting;            /* 1 until the acceptor has returned */
	struct sconn *live;       /* connections open */
	uint64_t nlive;           /* how many */
	struct sconn *free;       /* slots whose coroutines ended, to reuse */
	struct schunk *chunks;    /* its slot blocks */
	uint64_t used;            /* slots handed out of the newest chunk */
	uint64_t made;            /* slots ever made (a connection's index) */
	struct serve_tally t;     /* counts of its ended connections */
	char err[MODEL_REASON_MAX]; /* why it failed, "" if it did not */
};

/* The server. */
struct sserve {
	const struct sched_backend *be; /* how waits are armed */
	const struct threads_ops *ops;  /* the pair's blocking side */
	const struct run_config *cfg;   /* the run */
	size_t stack_bytes;             /* usable stack per coroutine */
};

/* new_slot - a slot of sl for a new coroutine running fn(c): a reused one,
 * or the next of a chunk.  NULL with sl->err set if none can be mapped. */
static struct sconn *new_slot(struct sloop *sl, void (*fn)(void *))
{
	const struct sched_backend *be = sl->sv->be;
	struct sconn *c = sl->free;
	void *stack_lo;
	if (c) {
		sl->free = c->next;
		if (be->slot_fini)
			be->slot_fini(&c->s);
		coro_fini(&c->s.co);
		stack_lo = c->s.co.stack_lo;
	} else {
		if (!sl->chunks || sl->used == SERVE_CHUNK) {
			/* Slots on cache lines of their own (sched.h): aligned, zeroed. */
			struct schunk *k = aligned_alloc(_Alignof(struct schunk), sizeof(*k));
			if (k)
				memset(k, 0, sizeof(*k));
			char *waits = calloc(SERVE_CHUNK, be->wait_size);
			if (!k || !waits ||
			    coro_stacks_map(&k->stacks, SERVE_CHUNK, sl->sv->stack_bytes, sl->err,
					    sizeof(sl->err)) != 0) {
				if (!sl->err[0])
					snprintf(sl->err, sizeof(sl->err), "out of memory for slots");
				free(k);
				free(waits);
				return NULL;
			}
			k->waits = waits;
			k->next = sl->chunks;
			sl->chunks = k;
			sl->used = 0;
		}
		struct schunk *k = sl->chunks;
		c = &k->conns[sl->used];
		c->s.wait = (struct sched_wait *)(k->waits + sl->used * be->wait_size);
		stack_lo = coro_stack_lo(&k->stacks, sl->used);
		sl->used++;
	}
	struct sched_wait *wait = c->s.wait;
	memset(c, 0, sizeof(*c));
	memset(wait, 0, be->wait_size);
	c->s.wait = wait;
	c->s.loop = &sl->lp;
	c->s.index = sl->made++;
	c->s.w.params = &sl->sv->cfg->params;
	c->s.w.fd = -1;
	c->sl = sl;
	c->fd = -1;
	be->slot_init(&c->s);
	coro_init(&c->s.co, stack_lo, sl->sv->stack_bytes, fn, c);
	return c;
}

/* start - queue c's new coroutine on its loop's run queue (sched_core.c
 * resumes queued slots as parked ones). */
static void start(struct sconn *c)
{
	struct sched_loop *lp = c->s.loop;
	c->s.waiting = 1;
	c->s.next = NULL;
	*lp->runq_tail = &c->s;
	lp->runq_tail = &c->s.next;
}

/* conn_main - a connection's coroutine: set-up, requests, tear-down; its
 * slot goes to the free list as it ends. */
static void conn_main(void *arg)
{
	struct sconn *c = arg;
	struct sloop *sl = c->sl;
	const struct threads_ops *ops = sl->sv->ops;
	c->s.waiting = 0;
	if (c->s.index == 1) /* the loop's first connection (its acceptor is slot 0) */
		sched_watch_test();
	int lingering = 0;
	if (ops->worker_init && ops->worker_init(&c->s.w) != 0)
		serve_setup_failed(c->s.w.err[0] ? c->s.w.err : "worker_init failed");
	else
		lingering = thr_serve_conn(ops, &c->s.w, c->fd, sl->sv->cfg->wl->name, &c->t);
	if (ops->worker_fini)
		ops->worker_fini(&c->s.w);
	if (c->prev)
		c->prev->next = c->next;
	else
		sl->live = c->next;
	if (c->next)
		c->next->prev = c->prev;
	sl->nlive--;
	blk_close_client(c->fd, lingering);
	serve_conn_closed();
	sl->t.requests += c->t.requests;
	sl->t.errors += c->t.errors;
	sl->t.bad += c->t.bad;
	sl->t.dropped += c->t.dropped;
	sl->t.checksum += c->t.checksum;
	/* Nothing runs on this loop between here and the coroutine's end. */
	c->next = sl->free;
	sl->free = c;
}

/* spawn - thr_spawn_fn: a coroutine for the connection on fd. */
static void spawn(void *arg, int fd)
{
	struct sloop *sl = arg;
	struct sconn *c = new_slot(sl, conn_main);
	if (!c) {
		serve_setup_failed(sl->err);
		sl->err[0] = '\0';
		net_close_client(fd, 0);
		return;
	}
	c->fd = fd;
	c->next = sl->live;
	if (sl->live)
		sl->live->prev = c;
	sl->live = c;
	sl->nlive++;
	serve_conn_opened();
	start(c);
}

/* acceptor_main - the loop's acceptor: connections until the stop, then
 * every connection of the loop shut down. */
static void acceptor_main(void *arg)
{
	struct sconn *a = arg;
	struct sloop *sl = a->sl;
	a->s.waiting = 0;
	thr_serve_accept(a->fd, spawn, sl);
	serve_clock_stop(); /* before anything is torn down */
	for (struct sconn *c = sl->live; c; c = c->next)
		shutdown(c->fd, SHUT_RDWR);
	sl->accepting = 0;
	a->next = sl->free; /* its slot is released with the others' */
	sl->free = a;
}

/* loop_done - sched_loop_until: the acceptor has returned and every
 * connection has ended. */
static int loop_done(const struct sched_loop *lp, const struct sched_slot *s)
{
	(void)s;
	const struct sloop *sl = lp->serve;
	return !sl->accepting && sl->nlive == 0;
}

/* loop_serve - one loop from its set-up to its tear-down.  Its failure is
 * the server's (serve_fault). */
static void loop_serve(struct sloop *sl, uint64_t index)
{
	const struct sched_backend *be = sl->sv->be;
	sl->lp.serve = sl;
	sl->lp.runq_tail = &sl->lp.runq;
	atomic_store(&sl->lp.os_tid, (int)gettid()); /* for the watchdog */
	char err[MODEL_REASON_MAX] = "";
	if (coro_guard_thread(err, sizeof(err)) != 0 || be->loop_init(&sl->lp, err, sizeof(err)) != 0) {
		serve_fault(err);
		return;
	}
	sl->acceptor = new_slot(sl, acceptor_main);
	if (!sl->acceptor) {
		serve_fault(sl->err);
	} else {
		sl->acceptor->fd = serve_listener(index);
		sl->accepting = 1;
		start(sl->acceptor);
		if (sched_loop_until(&sl->lp, be, loop_done, NULL, err, sizeof(err)) != 0)
			serve_fault(err[0] ? err : "loop poll failed");
	}
	/* Ended coroutines are on the free list; after a failed poll, any
	 * other is abandoned with its stack, as a fan-out run's are. */
	for (struct sconn *c = sl->free; c; c = c->next) {
		if (be->slot_fini)
			be->slot_fini(&c->s);
		coro_fini(&c->s.co);
	}
	while (sl->chunks) {
		struct schunk *k = sl->chunks;
		sl->chunks = k->next;
		coro_stacks_unmap(&k->stacks);
		free(k->waits);
		free(k);
	}
	be->loop_fini(&sl->lp);
	coro_guard_thread_end();
	serve_tally_merge(&sl->t);
}

/* serve_loop - serve_run_loops' fn: loop i of the array loops. */
static void serve_loop(void *loops, uint64_t i)
{
	loop_serve(&((struct sloop *)loops)[i], i);
}

int sched_serve(const struct sched_backend *be, const struct run_config *cfg,
		struct run_result *res)
{
	struct sserve sv = { .be = be, .ops = ops_table[cfg->wl_index], .cfg = cfg };
	sv.stack_bytes = sched_stack_guard(be, cfg, res->reason, sizeof(res->reason));
	if (!sv.stack_bytes)
		return -1;
	res->stack_kib = sv.stack_bytes / 1024; /* a connection's stack is its coroutine's */
	uint64_t nloops = cfg->loops ? cfg->loops : 1;
	struct sloop *loops = calloc(nloops, sizeof(*loops));
	if (!loops) {
		snprintf(res->reason, sizeof(res->reason), "out of memory for %llu loops",
			 (unsigned long long)nloops);
		return -1;
	}
	for (uint64_t l = 0; l < nloops; l++)
		loops[l].sv = &sv;
	struct sched_watch watch;
	if (sched_watch_start(&watch, &loops[0].lp, nloops, sizeof(*loops), res->reason,
			      sizeof(res->reason)) != 0) {
		free(loops);
		return -1;
	}
	serve_run_loops(nloops, serve_loop, loops);
	sched_watch_stop(&watch);
	free(loops);
	return 0;
}
