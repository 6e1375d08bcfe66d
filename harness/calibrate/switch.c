/*
 * switch.c - bin/calibrate's task-switch figures on one loop: what handing
 * control from one task to another costs an event loop and the green
 * runtime, with no I/O and driven by I/O readiness.
 *
 * jimblandy/context-switch says a switch between async tasks costs about
 * 0.2 us against 1.7 us between threads, that the two converge when the
 * switch is driven by I/O readiness, and that async's advantage goes away
 * when the threads are pinned to one core.  The threads' side is in
 * threads.c (switch_threads_{pinned,unpinned}_ns: a byte bounced between two
 * blocked threads over socketpairs); here, the other models' side:
 *
 *   switch_async_ns     two events on one libevent loop pass a token: A's
 *                       callback activates B's event (event_active), B's
 *                       activates A's; one callback per switch
 *   switch_async_io_ns  two persistent read events on one loop bounce a byte
 *                       over a socketpair: each callback recvs it and sends it
 *                       back, which makes the other end readable (epoll)
 *   switch_green_ns     two green slots on one loop give way to each other
 *                       (sched_give_way: the run queue, the loop's turn)
 *   switch_green_io_ns  two green slots bounce a byte over a socketpair
 *                       through green's blocking waits (blk_send_all,
 *                       blk_recv_full: park on EAGAIN, woken by the loop's
 *                       edge-triggered event)
 *
 * The green figures run the green model's own code, linked (the scheduler's
 * core, impl_green/sched_core.c, and its libevent waits, impl_green/green.c),
 * so they include its scheduler, not only the raw switch of coro_switch_ns.
 * The I/O figures move the same byte over the same kind of socketpair as the
 * threads' figures, so they differ only in who waits and who wakes.
 *
 * Every figure counts switches from the CAL_WARMUP_ROUNDS-th on (first-time
 * costs such as an event's first epoll_ctl left out) for switch_slice_ns of
 * wall time, and divides the loop thread's CPU time (user + system) by them.
 * Why CPU time: the loop never waits (the next task is always ready, the byte
 * always in flight), so on an idle machine its CPU time is its wall time;
 * on a loaded one, wall time would add whatever else the CPU ran meanwhile,
 * and a loop that never sleeps is preempted more than two threads that do.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include "../../impl_green/sched.h"
#include "../../impl_threads/block.h"
#include "../runtime/clock.h"
#include "calibrate.h"

#define SW_GREEN_STACK 65536 /* a green slot's stack here: green's default (64 KiB) */
#define SW_QUIT 'q'          /* the I/O ping-pong's last byte: the peer ends */

/* A count of switches, timed from the CAL_WARMUP_ROUNDS-th on. */
struct sw_clock {
	uint64_t n;        /* switches so far, warm-up included */
	uint64_t t0;       /* wall clock at the warm-up's end */
	uint64_t cpu0;     /* the thread's CPU time then */
	uint64_t cpu_end;  /* and when the slice ran out (0: not yet) */
	uint64_t slice_ns; /* how long to count, wall time */
};

/* sw_tick - one more switch; 1 when the slice is over (then cpu_end is
 * set).  Reads the clock once per CAL_CLOCK_EVERY switches. */
static int sw_tick(struct sw_clock *k)
{
	k->n++;
	if (k->n == CAL_WARMUP_ROUNDS) {
		k->t0 = clock_now_ns();
		k->cpu0 = cal_thread_cpu_ns();
		return 0;
	}
	if (k->n < CAL_WARMUP_ROUNDS || k->n % CAL_CLOCK_EVERY != 0 ||
	    clock_now_ns() - k->t0 < k->slice_ns)
		return 0;
	k->cpu_end = cal_thread_cpu_ns();
	return 1;
}

/* sw_ns - CPU ns per counted tick; -1 if the slice never ended or the
 * thread's CPU time cannot be read. */
static double sw_ns(const struct sw_clock *k)
{
	if (!k->cpu_end || !k->cpu0 || k->cpu_end <= k->cpu0)
		return -1.0;
	return (double)(k->cpu_end - k->cpu0) / (double)(k->n - CAL_WARMUP_ROUNDS);
}

/* sw_value - sw_ns / per into *value: 0, or -1 with err set. */
static int sw_value(const struct sw_clock *k, int per, double *value, char *err, size_t errlen)
{
	double ns = sw_ns(k);
	if (ns < 0) {
		snprintf(err, errlen, "no CPU time measured (the slice did not end, or "
				      "CLOCK_THREAD_CPUTIME_ID is unreadable)");
		return -1;
	}
	*value = ns / per;
	return 0;
}

/* sw_socketpair - an AF_UNIX stream socketpair, non-blocking (as the loop
 * models' sockets are).  0, or -1 with err set. */
static int sw_socketpair(int fds[2], char *err, size_t errlen)
{
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) == 0)
		return 0;
	cal_io_error(err, errlen, "socketpair");
	return -1;
}

/* free_two - the two events a loop figure made (either may be NULL), then
 * its base. */
static void free_two(struct event *ev[2], struct event_base *base)
{
	for (int i = 0; i < 2; i++)
		if (ev[i])
			event_free(ev[i]);
	event_base_free(base);
}

/* ---- switch_async_ns ------------------------------------------------------------ */

/* Two events passing a token on one loop. */
struct token_run {
	struct event *ev[2];  /* A and B */
	struct sw_clock clock; /* switches counted */
};

/* One side of the token: its run and which event is the other's. */
struct token_side {
	struct token_run *run; /* the run */
	int other;             /* index of the other event */
};

/* token_cb - this task runs: count the switch, activate the other (or stop:
 * nothing active and nothing pending, the loop returns). */
static void token_cb(evutil_socket_t fd, short what, void *arg)
{
	struct token_side *t = arg;
	(void)fd;
	(void)what;
	if (!sw_tick(&t->run->clock))
		event_active(t->run->ev[t->other], EV_TIMEOUT, 1);
}

int rep_switch_async(const struct cal_ctx *cx, double *value, char *err, size_t errlen)
{
	struct token_run run = { .clock.slice_ns = cx->switch_slice_ns };
	struct token_side side[2] = { { &run, 1 }, { &run, 0 } };
	int rc = -1;
	struct event_base *base = cal_make_base();
	if (!base) {
		snprintf(err, errlen, "event_base_new failed");
		return -1;
	}
	for (int i = 0; i < 2; i++)
		run.ev[i] = event_new(base, -1, 0, token_cb, &side[i]);
	if (!run.ev[0] || !run.ev[1]) {
		snprintf(err, errlen, "event_new failed");
		goto out;
	}
	event_active(run.ev[0], EV_TIMEOUT, 1);
	if (event_base_dispatch(base) < 0) {
		snprintf(err, errlen, "event_base_dispatch failed");
		goto out;
	}
	rc = sw_value(&run.clock, 1, value, err, errlen);
out:
	free_two(run.ev, base);
	return rc;
}

/* ---- switch_async_io_ns ------------------------------------------------------- */

/* Two read events bouncing a byte over a socketpair on one loop. */
struct bounce_run {
	struct event_base *base; /* the loop */
	struct event *ev[2];     /* a persistent EV_READ event on each end */
	struct sw_clock clock;   /* switches (callbacks) counted */
	int err;                 /* errno of a failed recv or send, or -1 (end of file) */
};

/* bounce_cb - the byte arrived: count the switch and send it back; a failed
 * recv or send (or the slice's end) breaks the loop. */
static void bounce_cb(evutil_socket_t fd, short what, void *arg)
{
	struct bounce_run *r = arg;
	char c;
	(void)what;
	ssize_t n = recv(fd, &c, 1, 0);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n != 1) {
		r->err = n < 0 ? errno : -1;
		event_base_loopbreak(r->base);
		return;
	}
	if (sw_tick(&r->clock)) {
		event_base_loopbreak(r->base);
		return;
	}
	if (send(fd, &c, 1, MSG_NOSIGNAL) != 1) {
		r->err = errno;
		event_base_loopbreak(r->base);
	}
}

int rep_switch_async_io(const struct cal_ctx *cx, double *value, char *err, size_t errlen)
{
	struct bounce_run run = { .clock.slice_ns = cx->switch_slice_ns };
	int fds[2], rc = -1;
	if (sw_socketpair(fds, err, errlen) != 0)
		return -1;
	run.base = cal_make_base();
	if (!run.base) {
		snprintf(err, errlen, "event_base_new failed");
		goto out_fds;
	}
	for (int i = 0; i < 2; i++) {
		run.ev[i] = event_new(run.base, fds[i], EV_READ | EV_PERSIST, bounce_cb, &run);
		if (!run.ev[i] || event_add(run.ev[i], NULL) != 0) {
			snprintf(err, errlen, "event_new/event_add failed");
			goto out;
		}
	}
	const char c = 'p';
	if (send(fds[1], &c, 1, MSG_NOSIGNAL) != 1) {
		cal_io_error(err, errlen, "send");
		goto out;
	}
	if (event_base_dispatch(run.base) < 0) {
		snprintf(err, errlen, "event_base_dispatch failed");
		goto out;
	}
	if (run.err) {
		errno = run.err > 0 ? run.err : 0;
		cal_io_error(err, errlen, "socketpair ping-pong on the loop");
		goto out;
	}
	rc = sw_value(&run.clock, 1, value, err, errlen);
out:
	free_two(run.ev, run.base);
out_fds:
	close(fds[0]);
	close(fds[1]);
	return rc;
}

/* ---- the green figures: one loop of the green runtime, two slots --------------- */

/* One green loop with two slots, as sched.c makes them for a run. */
struct green_pair {
	struct sched_loop lp;       /* the loop (pair_of finds the pair from it) */
	struct sched_slot slot[2];  /* its two slots */
	char *waits;                /* green_backend.wait_size bytes per slot */
	struct sw_clock clock;      /* switches (yield) or round trips (I/O) */
	int stop;                   /* yield: the slice is over, both end */
	int fd[2];                  /* I/O: the socketpair, slot i's end; -1 when closed */
	char why[CAL_ERR_MAX];      /* what failed in a slot, "" if nothing */
};

/* pair_of - the pair a slot of it belongs to. */
static struct green_pair *pair_of(const struct sched_slot *s)
{
	return (struct green_pair *)(void *)((char *)s->loop - offsetof(struct green_pair, lp));
}

/* both_done - sched_loop_until: both slots' functions have returned. */
static int both_done(const struct sched_loop *lp, const struct sched_slot *s)
{
	(void)s;
	return coro_done(&lp->slots[0].co) && coro_done(&lp->slots[1].co);
}

/*
 * green_run - make gp's loop (green's libevent backend) and its two slots,
 * slot i running fn[i]; start both, run the loop until both have returned,
 * tear it all down.  The socketpair in gp->fd (if any) is closed here.
 * Returns 0, or -1 with err set (a set-up, poll or slot failure).
 */
static int green_run(struct green_pair *gp, void (*const fn[2])(void *), char *err, size_t errlen)
{
	const struct sched_backend *be = &green_backend;
	int rc = -1, mapped = 0;
	gp->lp.runq_tail = &gp->lp.runq;
	gp->lp.slots = gp->slot;
	gp->lp.nslots = 2;
	gp->waits = calloc(2, be->wait_size);
	if (!gp->waits) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (be->loop_init(&gp->lp, err, errlen) != 0)
		goto out;
	if (coro_stacks_map(&gp->lp.stacks, 2, SW_GREEN_STACK, err, errlen) != 0)
		goto out;
	mapped = 1;
	for (int i = 0; i < 2; i++) {
		struct sched_slot *s = &gp->slot[i];
		s->loop = &gp->lp;
		s->index = (uint64_t)i;
		s->w.fd = -1;
		s->wait = (struct sched_wait *)(void *)(gp->waits + (size_t)i * be->wait_size);
		be->slot_init(s);
		coro_init(&s->co, coro_stack_lo(&gp->lp.stacks, (size_t)i), gp->lp.stacks.stack,
			  fn[i], s);
	}
	gp->lp.made = 2;
	for (int i = 0; i < 2; i++)
		coro_resume(&gp->slot[i].co); /* each runs to its first park */
	if (sched_loop_until(&gp->lp, be, both_done, NULL, err, errlen) != 0)
		goto out;
	if (gp->why[0]) {
		snprintf(err, errlen, "%s", gp->why);
		goto out;
	}
	rc = 0;
out:
	for (uint64_t i = 0; i < gp->lp.made; i++) {
		be->slot_fini(&gp->slot[i]);
		coro_fini(&gp->slot[i].co);
	}
	if (mapped)
		coro_stacks_unmap(&gp->lp.stacks);
	be->loop_fini(&gp->lp);
	free(gp->waits);
	for (int i = 0; i < 2; i++)
		if (gp->fd[i] >= 0)
			close(gp->fd[i]);
	return rc;
}

/* ---- switch_green_ns ---------------------------------------------------------- */

/* yield_slot - give way to the other slot until the slice is over. */
static void yield_slot(void *arg)
{
	struct sched_slot *s = arg;
	struct green_pair *gp = pair_of(s);
	while (!gp->stop) {
		if (sw_tick(&gp->clock))
			gp->stop = 1;
		sched_give_way(s);
	}
}

int rep_switch_green(const struct cal_ctx *cx, double *value, char *err, size_t errlen)
{
	static void (*const fn[2])(void *) = { yield_slot, yield_slot };
	struct green_pair gp;
	memset(&gp, 0, sizeof(gp));
	gp.clock.slice_ns = cx->switch_slice_ns;
	gp.fd[0] = gp.fd[1] = -1;
	if (green_run(&gp, fn, err, errlen) != 0)
		return -1;
	return sw_value(&gp.clock, 1, value, err, errlen);
}

/* ---- switch_green_io_ns ------------------------------------------------------- */

/* io_fail - a slot's send or recv failed: say what (the first failure only),
 * and close its end so the other slot sees end of file and ends too. */
static void io_fail(struct sched_slot *s, const char *what, int rc)
{
	struct green_pair *gp = pair_of(s);
	int i = (int)s->index;
	if (!gp->why[0]) {
		if (rc > 0)
			errno = 0; /* blk_recv_full: the peer closed first */
		cal_io_error(gp->why, sizeof(gp->why), what);
	}
	blk_close(gp->fd[i]);
	gp->fd[i] = -1;
}

/* ping_slot - send the byte, wait for it to come back; after the slice, send
 * SW_QUIT instead and end.  Counts round trips. */
static void ping_slot(void *arg)
{
	struct sched_slot *s = arg;
	struct green_pair *gp = pair_of(s);
	for (;;) {
		int last = sw_tick(&gp->clock);
		char c = last ? SW_QUIT : 'p';
		if (blk_send_all(gp->fd[0], &c, 1) != 0) {
			io_fail(s, "green send", -1);
			return;
		}
		if (last)
			return;
		int rc = blk_recv_full(gp->fd[0], &c, 1);
		if (rc != 0) {
			io_fail(s, "green recv", rc);
			return;
		}
	}
}

/* pong_slot - send every byte back until SW_QUIT or end of file. */
static void pong_slot(void *arg)
{
	struct sched_slot *s = arg;
	struct green_pair *gp = pair_of(s);
	for (;;) {
		char c;
		int rc = blk_recv_full(gp->fd[1], &c, 1);
		if (rc != 0) {
			if (rc < 0 || !gp->why[0]) /* end of file after a failure: expected */
				io_fail(s, "green recv", rc);
			return;
		}
		if (c == SW_QUIT)
			return;
		if (blk_send_all(gp->fd[1], &c, 1) != 0) {
			io_fail(s, "green send", -1);
			return;
		}
	}
}

int rep_switch_green_io(const struct cal_ctx *cx, double *value, char *err, size_t errlen)
{
	static void (*const fn[2])(void *) = { ping_slot, pong_slot };
	struct green_pair gp;
	memset(&gp, 0, sizeof(gp));
	gp.clock.slice_ns = cx->switch_slice_ns;
	if (sw_socketpair(gp.fd, err, errlen) != 0)
		return -1;
	if (green_run(&gp, fn, err, errlen) != 0)
		return -1;
	return sw_value(&gp.clock, 2, value, err, errlen); /* two switches per round trip */
}
