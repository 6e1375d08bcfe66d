/*
 * green.c - the green-threads model: the impl_threads/ pairs on coroutines
 * over libevent (block.h by parking; sched.c does the rest).
 *
 * A sleep is a wait in the loop's sleep queues (sched_core.c on
 * harness/runtime/sleepq.h, driven by libevent timers as the async model's
 * are, harness/runtime/evsleep.h): a deadline from the task's start or a
 * fresh clock reading, appended to the FIFO of its length, and the slot
 * parks; an open-loop arrival arms the slot's own timer.  A socket is non-blocking
 * and registered once, edge-triggered, for reading and writing: a call tries
 * the system call first and parks only on EAGAIN, until the edge that makes
 * progress possible, so a round trip costs no epoll_ctl, as the async model's
 * persistent events do.  --loops L: one event_base per loop thread, none
 * shared, so no libevent locking.  The model itself (sched_run on this
 * backend) is green_model.c: this file, with sched_core.c, is what
 * bin/calibrate links to time a switch through the green runtime.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/event.h>
#include <event2/event_struct.h>

#include "../harness/runtime/clock.h"
#include "../harness/runtime/evbase.h"
#include "../harness/runtime/evsleep.h"
#include "../harness/runtime/net.h"
#include "../impl_threads/block.h"
#include "../impl_threads/fileio.h"
#include "sched.h"

/* A loop's backend state (lp->be). */
struct green_loop {
	struct event_base *base;   /* its event_base */
	struct sleepq_set sleeps;  /* its sleeps, by length */
};

/* A slot's wait state on a libevent loop. */
struct sched_wait {
	struct event timer; /* an open-loop arrival, or a bounded wait's end */
	struct event io;    /* the socket it uses, edge-triggered, persistent */
	int io_fd;          /* the socket io watches, or -1 */
	short want;         /* EV_READ or EV_WRITE while parked on io; 0 otherwise */
	int bound_fd;       /* the socket blk_io_timeout bounded, or -1 */
	const struct timeval *bound; /* its bound on one wait: a common timeout */
	int expired;        /* 1: the timer ended a wait on io (the bound ran out) */
};

static struct green_loop *slot_loop(const struct sched_slot *s)
{
	return s->loop->be;
}

static struct event_base *slot_base(const struct sched_slot *s)
{
	return slot_loop(s)->base;
}

/* timer_cb - an arrival came, or a bounded wait on io ran out. */
static void timer_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct sched_slot *s = arg;
	if (s->wait->want) { /* a bounded wait: the edge did not come in time */
		s->wait->expired = 1;
		s->wait->want = 0; /* an edge now must not wake it twice */
	}
	sched_wake(s);
}

/* io_cb - an edge on the slot's socket: wake it if it waits for this. */
static void io_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	struct sched_slot *s = arg;
	if (s->wait->want & what) {
		s->wait->want = 0; /* woken once: a bound's timer is disarmed below */
		if (s->wait->bound_fd == fd)
			evtimer_del(&s->wait->timer);
		sched_wake(s);
	}
}

static int green_loop_init(struct sched_loop *lp, char *err, size_t errlen)
{
	struct green_loop *gl = calloc(1, sizeof(*gl));
	if (!gl) {
		snprintf(err, errlen, "out of memory for a loop");
		return -1;
	}
	/* Precise timers, as every libevent user here (evbase.h). */
	if (!(gl->base = evbase_new_precise(err, errlen))) {
		free(gl);
		return -1;
	}
	evsleep_set_init(&gl->sleeps, gl->base, sched_warm);
	lp->be = gl;
	lp->sleeps = &gl->sleeps;
	return 0;
}

static void green_slot_init(struct sched_slot *s)
{
	evtimer_assign(&s->wait->timer, slot_base(s), timer_cb, s);
	s->wait->io_fd = -1;
	s->wait->bound_fd = -1;
}

static int green_poll(struct sched_loop *lp, int block, char *err, size_t errlen)
{
	struct green_loop *gl = lp->be;
	int rc = event_base_loop(gl->base, block ? EVLOOP_ONCE : EVLOOP_NONBLOCK);
	if (rc == 0 || (rc == 1 && !block))
		return 0;
	snprintf(err, errlen, rc < 0 ? "event_base_loop failed"
				     : "internal: coroutines wait with no event armed");
	return -1;
}

/* forget - stop watching fd (it is about to be closed). */
static void forget(int fd)
{
	struct sched_wait *w = sched_self()->wait;
	if (w->io_fd == fd) {
		event_del(&w->io);
		w->io_fd = -1;
	}
	if (w->bound_fd == fd)
		w->bound_fd = -1;
}

static void green_slot_fini(struct sched_slot *s)
{
	event_del(&s->wait->timer);
	if (s->wait->io_fd >= 0)
		event_del(&s->wait->io);
}

static void green_loop_fini(struct sched_loop *lp)
{
	struct green_loop *gl = lp->be;
	if (!gl)
		return;
	sleepq_set_fini(&gl->sleeps);
	event_base_free(gl->base);
	free(gl);
	lp->be = NULL;
}

const struct sched_backend green_backend = {
	.name = "green",
	.wait_size = sizeof(struct sched_wait),
	.loop_init = green_loop_init,
	.slot_init = green_slot_init,
	.poll = green_poll,
	.slot_fini = green_slot_fini,
	.loop_fini = green_loop_fini,
};

/* wait_fd - park until fd is readable (EV_READ) or writable (EV_WRITE).
 * 0, or -1 with errno if the socket cannot be watched. */
static int wait_fd(int fd, short what)
{
	struct sched_slot *s = sched_self();
	struct sched_wait *w = s->wait;
	if (w->io_fd != fd) {
		if (w->io_fd >= 0)
			event_del(&w->io);
		w->io_fd = -1;
		if (event_assign(&w->io, slot_base(s), fd, EV_READ | EV_WRITE | EV_ET | EV_PERSIST,
				 io_cb, s) != 0 ||
		    event_add(&w->io, NULL) != 0) {
			errno = ENOMEM;
			return -1;
		}
		w->io_fd = fd;
	}
	/* A bounded socket: the slot's timer ends the wait if no edge does. */
	int bounded = w->bound_fd == fd;
	if (bounded) {
		event_base_update_cache_time(slot_base(s));
		w->expired = 0;
		if (evtimer_add(&w->timer, w->bound) != 0) {
			errno = ENOMEM;
			return -1;
		}
	}
	w->want = what;
	sched_park(s);
	w->want = 0;
	if (bounded && w->expired) {
		errno = EAGAIN; /* as SO_RCVTIMEO says it on a thread */
		return -1;
	}
	return 0;
}

void blk_sleep_until(uint64_t t_ns)
{
	struct sched_slot *s = sched_self();
	event_base_update_cache_time(slot_base(s)); /* time the timer from now, not the cache */
	uint64_t now = clock_now_ns();
	if (t_ns <= now)
		return;
	uint64_t us = (t_ns - now + 999) / 1000; /* rounded up: never early */
	struct timeval tv = { .tv_sec = (time_t)(us / 1000000),
			      .tv_usec = (suseconds_t)(us % 1000000) };
	if (evtimer_add(&s->wait->timer, &tv) != 0) {
		fprintf(stderr, "green: evtimer_add failed\n");
		abort();
	}
	sched_park(s);
}

/* green_connect - one non-blocking attempt: park until it completes. */
static int green_connect(int fd, const struct sockaddr_in *addr)
{
	if (connect(fd, (const struct sockaddr *)addr, sizeof(*addr)) == 0)
		return 0;
	if (errno != EINPROGRESS || wait_fd(fd, EV_WRITE) != 0)
		return -1;
	int e = 0;
	socklen_t len = sizeof(e);
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len) != 0)
		return -1;
	errno = e;
	return e ? -1 : 0;
}

static void green_pause(long us)
{
	blk_sleep_us((uint64_t)us);
}

int blk_connect(const struct sockaddr_in *addr, char *err, size_t errlen)
{
	static const struct net_connect_ops ops = { SOCK_NONBLOCK, green_connect, green_pause,
						    forget };
	return net_connect_with(addr, &ops, err, errlen);
}

int blk_send_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len > 0) {
		ssize_t w = send(fd, p, len, MSG_NOSIGNAL);
		if (w >= 0) {
			p += w;
			len -= (size_t)w;
		} else if (errno == EAGAIN || errno == EWOULDBLOCK) {
			if (wait_fd(fd, EV_WRITE) != 0)
				return -1;
		} else if (errno != EINTR) {
			return -1;
		}
	}
	return 0;
}

int blk_recv_full(int fd, void *buf, size_t len)
{
	char *p = buf;
	while (len > 0) {
		ssize_t r = recv(fd, p, len, 0);
		if (r > 0) {
			p += r;
			len -= (size_t)r;
		} else if (r == 0) {
			errno = 0;
			return 1;
		} else if (errno == EAGAIN || errno == EWOULDBLOCK) {
			if (wait_fd(fd, EV_READ) != 0)
				return -1;
		} else if (errno != EINTR) {
			return -1;
		}
	}
	return 0;
}

/* A regular file on a loop: the honest read is a pread that stalls it. */
int blk_pread(int fd, void *buf, size_t len, uint64_t off)
{
	return thr_pread_full(fd, buf, len, off);
}

int blk_io_timeout(int fd, uint64_t us)
{
	struct sched_wait *w = sched_self()->wait;
	/* Every slot's bound is the same: one common-timeout queue (an O(1)
	 * append per wait, as the sleeps use), not a heap insertion per recv. */
	struct timeval tv = { (time_t)(us / 1000000), (suseconds_t)(us % 1000000) };
	const struct timeval *common = event_base_init_common_timeout(slot_base(sched_self()), &tv);
	if (us && !common) {
		errno = ENOMEM;
		return -1;
	}
	w->bound = common;
	w->bound_fd = us ? fd : -1;
	return 0;
}

void blk_close(int fd)
{
	forget(fd);
	net_close_abort(fd);
}
