/*
 * loop.c - bin/calibrate's libevent figures: the cost of a dispatched
 * event and of a timer, and the RSS of a pending event.
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
#include "../runtime/evsleep.h"
#include "../runtime/hist.h"
#include "../runtime/stats.h"
#include "../runtime/util.h"
#include "calibrate.h"

/* ---- event_dispatch_ns ------------------------------------------------------ */

/* The dispatch loop's shared state. */
struct dispatch_run {
	uint64_t deadline_ns; /* stop re-activating after this */
	uint64_t done;        /* callbacks run */
	int stop;             /* deadline passed: let the queue drain */
};

/* One of CAL_ACTIVE_EVENTS events that re-activates itself. */
struct dispatch_ev {
	struct event *ev;         /* the event */
	struct dispatch_run *run; /* shared state */
};

static void dispatch_active_cb(evutil_socket_t fd, short what, void *arg)
{
	struct dispatch_ev *d = arg;
	struct dispatch_run *r = d->run;
	(void)fd;
	(void)what;
	r->done++;
	if (r->done % CAL_CLOCK_EVERY == 0 && clock_now_ns() >= r->deadline_ns)
		r->stop = 1;
	if (!r->stop)
		event_active(d->ev, EV_TIMEOUT, 1);
}

int rep_event_dispatch(const struct cal_ctx *cx, double *value, char *err, size_t errlen)
{
	struct dispatch_ev evs[CAL_ACTIVE_EVENTS];
	struct dispatch_run run = { 0 };
	int rc = -1, made = 0;
	struct event_base *base = cal_make_base();
	if (!base) {
		snprintf(err, errlen, "event_base_new failed");
		return -1;
	}
	for (; made < CAL_ACTIVE_EVENTS; made++) {
		evs[made].run = &run;
		evs[made].ev = event_new(base, -1, 0, dispatch_active_cb, &evs[made]);
		if (!evs[made].ev) {
			snprintf(err, errlen, "event_new failed");
			goto out;
		}
	}
	uint64_t t0 = clock_now_ns();
	run.deadline_ns = t0 + cx->slice_ns;
	for (int i = 0; i < CAL_ACTIVE_EVENTS; i++)
		event_active(evs[i].ev, EV_TIMEOUT, 1);
	if (event_base_dispatch(base) < 0) {
		snprintf(err, errlen, "event_base_dispatch failed");
		goto out;
	}
	*value = (double)cal_elapsed_since(t0) / (double)run.done;
	rc = 0;
out:
	for (int i = 0; i < made; i++)
		event_free(evs[i].ev);
	event_base_free(base);
	return rc;
}

/* ---- timer_event_ns ----------------------------------------------------------- */

static void timer_fired(void *arg)
{
	(*(uint64_t *)arg)++;
}

/* A timed wait as the models arm one on a loop (harness/runtime/evsleep.h):
 * a clock reading for its start, an append to the FIFO of its length, and
 * its end in the batch that finds it due.  Zero length, so every wait is due
 * at the first wake-up and the figure is the loop's cost, not the clock's.
 * Rounds of CAL_TIMERS waits for the time slice, their memory touched first. */
static int timer_cost(const struct cal_ctx *cx, int cpu, double *value, char *err,
		      size_t errlen)
{
	uint64_t fired = 0, spent = 0, c0 = cal_thread_cpu_ns();
	int rc = -1;
	struct sleepq_wait *waits = malloc(CAL_TIMERS * sizeof(*waits));
	struct event_base *base = cal_make_base();
	struct sleepq_set set;
	if (!waits || !base) {
		snprintf(err, errlen, "%s failed", waits ? "event_base_new" : "malloc");
		goto out;
	}
	memset(waits, 0, CAL_TIMERS * sizeof(*waits)); /* resident before the clock */
	evsleep_set_init(&set, base, NULL);
	do {
		uint64_t t0 = clock_now_ns(), before = fired;
		for (int i = 0; i < CAL_TIMERS; i++) {
			uint64_t now = clock_now_ns(); /* the wait's start */
			if (sleepq_add(&set, &waits[i], now, 0, timer_fired, &fired) != 0) {
				snprintf(err, errlen, "sleepq_add failed");
				goto fini;
			}
		}
		if (event_base_dispatch(base) < 0 || fired - before != CAL_TIMERS) {
			snprintf(err, errlen, "%llu of %d timers fired",
				 (unsigned long long)(fired - before), CAL_TIMERS);
			goto fini;
		}
		spent += cal_elapsed_since(t0);
	} while (spent < cx->slice_ns);
	*value = (double)spent / (double)fired;
	if (cpu) {
		uint64_t c1 = cal_thread_cpu_ns();
		if (c0 == 0 || c1 <= c0) {
			snprintf(err, errlen, "CLOCK_THREAD_CPUTIME_ID: no CPU time measured");
			goto fini;
		}
		*value = (double)(c1 - c0) / (double)fired;
	}
	rc = 0;
fini:
	sleepq_set_fini(&set);
out:
	if (base)
		event_base_free(base);
	free(waits);
	return rc;
}


int rep_timer_event(const struct cal_ctx *cx, double *value, char *err, size_t errlen)
{
	return timer_cost(cx, 0, value, err, errlen);
}

/* rep_timer_cpu - timer_cpu_ns: the same timed waits, in this thread's CPU
 * time.  The timer floor is cores / this: a wall-clock figure taken on a
 * busy machine reads the time the loop was preempted too (60 ns, where
 * async's whole task cost 44-50 ns of CPU), a floor the models beat. */
int rep_timer_cpu(const struct cal_ctx *cx, double *value, char *err, size_t errlen)
{
	return timer_cost(cx, 1, value, err, errlen);
}

/* ---- rss_per_pending_event_kib ------------------------------------------------- */

static void never_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
}

int rep_rss_event(const struct cal_ctx *cx, double *value, char *err, size_t errlen)
{
	const struct timeval later = { CAL_PENDING_TIMEOUT_S, 0 };
	unsigned n = 0;
	int rc = -1;
	struct event **evs = malloc(cx->pending_events * sizeof(*evs));
	struct event_base *base = cal_make_base();
	if (!evs || !base) {
		snprintf(err, errlen, "%s failed", evs ? "event_base_new" : "malloc");
		goto out;
	}
	memset(evs, 0, cx->pending_events * sizeof(*evs)); /* resident before "before" */
	malloc_trim(0); /* the last repetition's freed events leave the heap */
	long before = stats_rss_kib();
	for (; n < cx->pending_events; n++) {
		evs[n] = event_new(base, -1, 0, never_cb, NULL);
		if (!evs[n] || event_add(evs[n], &later) != 0) {
			snprintf(err, errlen, "event_new/event_add failed at event %u of %u",
				 n + 1, cx->pending_events);
			n += evs[n] != NULL;
			goto out;
		}
	}
	rc = cal_rss_growth_per(before, cx->pending_events, value, err, errlen);
out:
	cal_free_events(evs, n, base);
	malloc_trim(0);
	return rc;
}
