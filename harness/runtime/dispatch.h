/*
 * dispatch.h - which task a slot runs next and when it "arrived": the one set
 * of rules both models share (threads.c, async.c).
 *
 * Closed loop (the default): slot i's first task is task i and arrives when
 * the run starts; after that a slot that finishes a task takes the next
 * unclaimed id from one shared counter at that moment, and that moment is the
 * new task's arrival.  So every slot always holds a task (c in flight) until
 * the ids run out, and the drain at the end is one task long.  (Private
 * streams, slot i running i, i + c, ..., let the slots the scheduler favours
 * finish early: with 1024 threads on 2 cores half the run had fewer than c in
 * flight, and throughput x mean latency / c fell to 0.5.)
 *
 * Open loop (--rate R): task k arrives at t_go + k / R whatever the model is
 * doing; a free slot takes the next id and, if it is early, waits for the
 * arrival.  Latency runs from the scheduled arrival, so time a task spends
 * queued behind a stalled model counts (wrk2's cure for coordinated omission).
 *
 * The measured window (closed loop, at least 5 tasks per slot): one rule for
 * every run of every model (dispatch_rule).  A closed run starts with all c
 * tasks arriving at once and ends with a drain, fewer than c in flight while
 * the last tasks finish.  Counting the whole run biases both figures, and by
 * an amount that depends on the run's length: the drain pulls throughput x
 * mean latency / c below 1 by about 1 / (2 x tasks per slot), and the start
 * (all c arriving at once, threads woken one by one, slots the scheduler
 * reaches late) is a share of the run that shrinks as it grows (threads
 * io_sleep c = 1,024 reported 116k/s at 20 tasks per slot and 119k/s at 50
 * when it counted its whole run).  So a run reports the tasks that arrived
 * in its steady part: ids [lo, hi), lo = c + max(2c, n / DISPATCH_TRIM_DIV)
 * (the start, a fixed share of any run, left out) and hi = n - c (the last
 * c arrivals, which finish in the drain, left out).  Task k arrives when a
 * slot takes id k, at completion k - c + 1 (to within a block per other
 * loop), so throughput is hi - lo over the time from id lo's hand-out to
 * id hi's, c tasks in flight all through; each of those tasks' latency is
 * recorded when it ends, however late: a window chosen by arrival holds the
 * whole sojourn of every task in it (one chosen by completion cut the tasks
 * still in flight at its end, and a slot starved across it, threads
 * time-slicing a CPU-bound pair, read throughput x mean latency / c of
 * 0.5).  The rule needs no slot to have turned over: a model whose slots
 * start late is measured as the rest are.  (The rule before opened a
 * window only when every slot had finished a task within the first third of
 * the completions, and reported the whole run otherwise: two rules in one
 * sweep, and a point could take the median of windowed and whole runs.)
 * Runs that cannot have a window, the open loop (wrk2 counts every task) and
 * closed runs of fewer than DISPATCH_STEADY_PER_SLOT tasks per slot, report
 * the whole run: the sweep never makes those in the closed loop, and every
 * run records its rule.  Each recorder (a loop, or a CPU of the threads
 * model) keeps two histograms, one for a whole run and one for the window,
 * so nothing is ever cleared while another thread may be writing.
 *
 * Blocks of ids (closed loop, one loop per core).  A loop takes its slots'
 * ids from a block it claimed from the shared counter (dispatch_take_block),
 * K at a time: one atomic add per K tasks instead of one per task, which on
 * two CPUs moved the counter's cache line between them on nearly every task
 * (async-mt io_sleep at --delay-us 100, c = 10,000: 87 ns of CPU per task,
 * 46 ns with blocks).  K is at most DISPATCH_BLOCK_MAX and at most a
 * 1/DISPATCH_BLOCK_SHARE of a loop's slots, and 1 in the open loop (an
 * arrival goes to whichever slot is free).  Ids are then arrival numbers to
 * within K per other loop, which moves the window's edges by as much; each
 * edge is the hand-out of its id, wherever it happens.
 */
#ifndef DISPATCH_H
#define DISPATCH_H

#include <stdalign.h>
#include <stdatomic.h>
#include <stdint.h>

#include "model.h"

#define DISPATCH_STEADY_PER_SLOT 5 /* closed runs this many tasks per slot or more
				      report their measured window */
#define DISPATCH_TRIM_DIV 5 /* the window leaves out the arrivals of the first n / 5
			       completions (at least 2c): the start, a fixed share */
#define DISPATCH_RULE_WINDOW "arrived-n/5" /* dispatch_rule's names, recorded per run */
#define DISPATCH_RULE_WHOLE "whole"
#define DISPATCH_LINE 64 /* bytes of a cache line */
#define DISPATCH_BLOCK_MAX 64  /* ids a loop claims at once, at most */
#define DISPATCH_BLOCK_SHARE 64 /* ... and at most this fraction of its slots */

/*
 * The counter every task writes has a cache line of its own: with loops or
 * threads on several CPUs, an add to it would otherwise take from every
 * other CPU the line holding what they read for every task (tasks, c, rate,
 * the window's ids), one miss more per task on each.
 */
struct dispatch {
	alignas(DISPATCH_LINE) atomic_uint_fast64_t next; /* next id to hand out */
	alignas(DISPATCH_LINE) uint64_t tasks; /* ids run from 0 to tasks - 1; the rest of
						  this line is read-mostly */
	uint64_t c;                /* slots */
	uint64_t rate;             /* arrivals per second; 0: closed loop */
	uint64_t t_go;             /* run start: first arrivals (closed), schedule origin */
	uint64_t block;            /* ids a dispatch_take_block claims at once (K) */
	uint64_t win_lo;           /* the window's first id (steady runs) */
	uint64_t win_hi;           /* one past its last: the tasks that arrived in it */
	int steady;                /* 1: closed, 5+ tasks per slot: a window */
	atomic_uint_fast64_t t_open;  /* when id win_lo was handed out; 0: not yet */
	atomic_uint_fast64_t t_close; /* when id win_hi was; 0: not yet */
};

/* A loop's claimed ids, handed out in order (dispatch_take_block). */
struct dispatch_block {
	uint64_t next; /* the next to hand out */
	uint64_t end;  /* one past the last claimed */
};

/*
 * dispatch_steady - 1 if a run of cfg reports a window (closed loop, at
 * least DISPATCH_STEADY_PER_SLOT tasks per slot), 0 if its whole run.
 */
static inline int dispatch_steady(const struct run_config *cfg)
{
	return !cfg->rate && cfg->tasks / DISPATCH_STEADY_PER_SLOT >= cfg->concurrency;
}

/* dispatch_rule - the name of the rule a run of cfg reports by (its stats
 * line's window_rule): DISPATCH_RULE_WINDOW or DISPATCH_RULE_WHOLE. */
static inline const char *dispatch_rule(const struct run_config *cfg)
{
	return dispatch_steady(cfg) ? DISPATCH_RULE_WINDOW : DISPATCH_RULE_WHOLE;
}

static inline void dispatch_init(struct dispatch *d, const struct run_config *cfg)
{
	d->tasks = cfg->tasks;
	d->c = cfg->concurrency;
	d->rate = cfg->rate;
	d->t_go = 0;
	/* Open loop: every id comes from the counter.  Closed loop: ids below c
	 * are the slots' first tasks. */
	atomic_init(&d->next, d->rate ? 0 : d->c);
	d->steady = dispatch_steady(cfg);
	/* Id k is taken at completion k - c + 1 (to within a block per other
	 * loop): the window holds the arrivals after completion max(2c, n /
	 * DISPATCH_TRIM_DIV), less the last c.  n >= 5c: lo <= 3c < 4c <= hi. */
	uint64_t skip = (d->tasks + DISPATCH_TRIM_DIV - 1) / DISPATCH_TRIM_DIV;
	d->win_lo = d->c + (skip > 2 * d->c ? skip : 2 * d->c);
	d->win_hi = d->tasks - d->c;
	if (d->win_lo >= d->win_hi)
		d->steady = 0;
	uint64_t loops = cfg->loops ? cfg->loops : 1;
	uint64_t k = d->c / loops / DISPATCH_BLOCK_SHARE;
	d->block = d->rate || k < 1 ? 1 : k > DISPATCH_BLOCK_MAX ? DISPATCH_BLOCK_MAX : k;
	atomic_init(&d->t_open, 0);
	atomic_init(&d->t_close, 0);
}

/* dispatch_opened - 1 if the run reports its window; else its whole. */
static inline int dispatch_opened(struct dispatch *d)
{
	return d->steady;
}

/* Where a finished task's latency goes (dispatch_phase). */
enum dispatch_phase {
	DISPATCH_PRE, /* a run with no window: every task */
	DISPATCH_IN,  /* a task that arrived inside the window */
	DISPATCH_OUT, /* one that arrived outside it: not recorded */
};

/* One recorder's latencies: a loop's, or one CPU's in the threads model. */
struct dispatch_lat {
	struct hist pre; /* DISPATCH_PRE tasks */
	struct hist win; /* DISPATCH_IN tasks */
};

/*
 * dispatch_phase - a slot finished task `ran` at `now` and then took `next`
 * (from dispatch_take or dispatch_take_block; any id >= tasks if it
 * stopped): which histogram its latency belongs in, by the id it ran (its
 * arrival).  `next` and `now` are unused: the window is chosen by arrival
 * (kept so every caller states what it ran and took).  Cost: two compares.
 */
static inline enum dispatch_phase dispatch_phase(struct dispatch *d, uint64_t ran, uint64_t next,
						 uint64_t now)
{
	(void)next;
	(void)now;
	if (!d->steady)
		return DISPATCH_PRE;
	return ran >= d->win_lo && ran < d->win_hi ? DISPATCH_IN : DISPATCH_OUT;
}

/* dispatch_record - note latency v of a task in phase p; l is written by
 * one thread only (a loop's).  Cost: hist_record's. */
static inline void dispatch_record(struct dispatch_lat *l, enum dispatch_phase p, uint64_t v)
{
	if (p != DISPATCH_OUT)
		hist_record(p == DISPATCH_PRE ? &l->pre : &l->win, v);
}

/* dispatch_record_shared - the same for a recorder several threads write
 * (one per CPU; made by dispatch_lat_init_shared).  Cost: hist_record_shared's. */
static inline void dispatch_record_shared(struct dispatch_lat *l, enum dispatch_phase p,
					  uint64_t v)
{
	if (p != DISPATCH_OUT)
		hist_record_shared(p == DISPATCH_PRE ? &l->pre : &l->win, v);
}

/* dispatch_lat_init_shared - ready l for dispatch_record_shared. */
static inline void dispatch_lat_init_shared(struct dispatch_lat *l)
{
	hist_init_shared(&l->pre);
	hist_init_shared(&l->win);
}

/* dispatch_lat_finish_shared - after the run, before dispatch_merge: the
 * shared recorder's totals (hist_finish_shared). */
static inline void dispatch_lat_finish_shared(struct dispatch_lat *l)
{
	hist_finish_shared(&l->pre);
	hist_finish_shared(&l->win);
}

/* dispatch_merge - add what l recorded of the run's reported span (the
 * window if one opened, else the whole run) to dst.  After the run only. */
static inline void dispatch_merge(struct dispatch *d, struct hist *dst, const struct dispatch_lat *l)
{
	hist_merge(dst, dispatch_opened(d) ? &l->win : &l->pre);
}

/*
 * dispatch_window - the run's measured span in ns, given the end of its last
 * task: from the window's first id's hand-out to its end's, or the whole
 * run if it has no window.
 */
static inline uint64_t dispatch_window(struct dispatch *d, uint64_t t_end)
{
	if (dispatch_opened(d)) {
		uint64_t open = atomic_load(&d->t_open), close = atomic_load(&d->t_close);
		return open && close > open ? close - open : 0;
	}
	return t_end > d->t_go ? t_end - d->t_go : 0;
}

/*
 * dispatch_handed - id is handed to a slot at `now`: at the window's edges
 * (ids win_lo and win_hi) note the time and tell the runner
 * (run_window_edge).  Cost: two compares; at each edge once per run, a
 * store and the runner's read.
 */
static inline void dispatch_handed(struct dispatch *d, uint64_t id, uint64_t now)
{
	if (!d->steady || (id != d->win_lo && id != d->win_hi))
		return;
	int open = id == d->win_lo;
	atomic_store_explicit(open ? &d->t_open : &d->t_close, now, memory_order_relaxed);
	run_window_edge(open ? 0 : 1);
}

/* dispatch_sched - task id's scheduled arrival (open loop). */
static inline uint64_t dispatch_sched(const struct dispatch *d, uint64_t id)
{
	/* id < 2^32 and 10^9 < 2^30: the product fits in 64 bits. */
	return d->t_go + id * 1000000000ULL / d->rate;
}

/* dispatch_claim - k ids from the shared counter: the first.  Cost: one
 * relaxed atomic add. */
static inline uint64_t dispatch_claim(struct dispatch *d, uint64_t k)
{
	return atomic_fetch_add_explicit(&d->next, k, memory_order_relaxed);
}

/* dispatch_arrival - when task id, taken at `now`, arrived or will. */
static inline uint64_t dispatch_arrival(const struct dispatch *d, uint64_t id, uint64_t now)
{
	return d->rate ? dispatch_sched(d, id) : now;
}

/*
 * dispatch_take - the next task for a slot that is free at `now`: its id
 * (>= tasks when there is none left) and in *arrival when it arrived or will.
 * Cost: one relaxed atomic add; lock-free, callable from any thread.
 */
static inline uint64_t dispatch_take(struct dispatch *d, uint64_t now, uint64_t *arrival)
{
	uint64_t id = dispatch_claim(d, 1);
	dispatch_handed(d, id, now);
	*arrival = dispatch_arrival(d, id, now);
	return id;
}

/*
 * dispatch_take_block - dispatch_take for a slot of a loop that keeps block
 * b (zeroed before the run; one per loop, touched by its thread only): the
 * next id of the block, claiming d->block more when it is used up.  Cost: a
 * few instructions, and one relaxed atomic add per d->block tasks.
 */
static inline uint64_t dispatch_take_block(struct dispatch *d, struct dispatch_block *b,
					   uint64_t now, uint64_t *arrival)
{
	if (b->next == b->end) {
		b->next = dispatch_claim(d, d->block);
		b->end = b->next + d->block;
	}
	uint64_t id = b->next++;
	dispatch_handed(d, id, now);
	*arrival = dispatch_arrival(d, id, now);
	return id;
}

/* dispatch_first - closed loop: slot i's first task, arriving at t_go.  Open
 * loop: the same as dispatch_take. */
static inline uint64_t dispatch_first(struct dispatch *d, uint64_t slot, uint64_t now,
				      uint64_t *arrival)
{
	if (d->rate)
		return dispatch_take(d, now, arrival);
	*arrival = d->t_go;
	return slot;
}

#endif
