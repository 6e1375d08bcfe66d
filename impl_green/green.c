/*
 * green.c - the green-threads model: the impl_threads/ pairs on coroutines
 * over libevent (block.h by parking; sched.c does the rest).
 *
 * A sleep is a wait in the loop's sleep queues (sched_core.c on
 * harness/runtime/sleepq.h, driven by libevent timers as the async model's
 * are, harness/runtime/evsleep.h): a deadline from the task's start or a
 * fresh clock reading, appended to the FIFO of its length, and the slot
 * parks; an open-loop arrival arms the slot's own timer.  A socket is non-blocking
 * and registered once, edge-triggered, for reading and writing, so a round
 * trip costs no epoll_ctl, as the async model's persistent events do.  A
 * send is tried first and parks only on EAGAIN, until the edge that makes
 * progress possible.  A receive on a registered socket is tried only when
 * its event has reported it readable since the socket was last found empty
 * (an EAGAIN, or TCP_INQ's count of 0 left): otherwise the slot
 * parks first, so the recv after a request's send does not return EAGAIN
 * and a round trip costs one recv, as async's (its read event says when).
 * An edge-triggered event reports every arrival after the last report was
 * taken, so data that comes after the socket was found empty always brings
 * an edge, and one taken before that was covered by the finding.
 *
 * --loops L: one event_base per loop thread, none shared, so no libevent
 * locking.  The model itself (sched_run on this backend) is green_model.c:
 * this file, with sched_core.c, is what bin/calibrate links to time a
 * switch through the green runtime.  A hooked library's socket
 * (impl_green/hook.c) is watched the same way, by the slot's one event:
 * blk_wait_fd, and blk_recvmsg/blk_sendmsg by readiness
 * (impl_threads/block_ready.c); a receive on a TCP one waits first as above.
 * green.h holds the state this file shares with green_watch.c, each loop's
 * index of the slots' watches by socket (a socket a library closes under
 * another slot's watch takes that watch with it).
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <event2/event.h>
#include <event2/event_struct.h>

#include "../harness/runtime/clock.h"
#include "../harness/runtime/evbase.h"
#include "../harness/runtime/evsleep.h"
#include "../harness/runtime/net.h"
#include "../impl_threads/block.h"
#include "../impl_threads/block_ready.h"
#include "../impl_threads/fileio.h"
#include "green.h"
#include "sched.h"

/* timer_cb - an arrival came, or a bounded wait on io ran out. */
static void timer_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct sched_slot *s = arg;
	if (s->wait->want && !s->wait->closed) { /* a bounded wait: the edge did not come in time */
		s->wait->expired = 1;
		s->wait->want = 0; /* an edge now must not wake it twice */
	}
	sched_wake(s);
}

/* io_cb - an edge on the slot's socket: wake it if it waits for this. */
static void io_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sched_slot *s = arg;
	for (int i = 0; i < GREEN_IO_EVENTS; i++)
		if (s->wait->io_fd[i] == fd)
			s->wait->seen[i] |= what;
	if (s->wait->want_fd == fd && (s->wait->want & what)) {
		s->wait->want = 0; /* woken once: a bound's timer is disarmed below */
		if (s->wait->timed)
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
	for (int i = 0; i < GREEN_IO_EVENTS; i++)
		s->wait->io_fd[i] = -1;
	s->wait->want_fd = -1;
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
	struct sched_slot *s = sched_self();
	struct sched_wait *w = s->wait;
	for (int i = 0; i < GREEN_IO_EVENTS; i++)
		if (w->io_fd[i] == fd)
			green_drop_watch(s, i);
	if (w->bound_fd == fd)
		w->bound_fd = -1;
}

static void green_slot_fini(struct sched_slot *s)
{
	event_del(&s->wait->timer);
	for (int i = 0; i < GREEN_IO_EVENTS; i++)
		if (s->wait->io_fd[i] >= 0)
			event_del(&s->wait->io[i]);
}

static void green_loop_fini(struct sched_loop *lp)
{
	struct green_loop *gl = lp->be;
	if (!gl)
		return;
	sleepq_set_fini(&gl->sleeps);
	event_base_free(gl->base);
	green_watch_fini(gl);
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

/* wait_fd - park until fd is readable (EV_READ) or writable (EV_WRITE), or
 * `bound` (NULL: none) has passed.  1 woken by the edge, 0 the bound ran
 * out, -1 with errno if the socket cannot be watched. */
static int wait_fd(int fd, short what, const struct timeval *bound)
{
	struct sched_slot *s = sched_self();
	struct sched_wait *w = s->wait;
	int i = w->io_fd[0] == fd ? 0 : w->io_fd[1] == fd ? 1 : -1;
	if (i < 0) { /* registered once, then kept: a round trip costs no epoll_ctl */
		i = w->io_fd[0] < 0 ? 0 : w->io_fd[1] < 0 ? 1 : 1 - w->io_last;
		green_drop_watch(s, i);
		if (event_assign(&w->io[i], slot_base(s), fd,
				 EV_READ | EV_WRITE | EV_ET | EV_PERSIST, io_cb, s) != 0 ||
		    event_add(&w->io[i], NULL) != 0) {
			errno = ENOMEM;
			return -1;
		}
		w->io_fd[i] = fd;
		w->seen[i] = 0; /* found empty (EAGAIN): ADD reports it if it is not now */
		w->tcp[i] = -1;
		if (green_watch_link(s, i, fd) != 0) {
			green_drop_watch(s, i);
			errno = ENOMEM;
			return -1;
		}
	}
	w->io_last = i;
	w->want_fd = fd;
	/* A bounded wait: the slot's timer ends it if no edge does. */
	w->timed = bound != NULL;
	if (bound) {
		event_base_update_cache_time(slot_base(s));
		w->expired = 0;
		if (evtimer_add(&w->timer, bound) != 0) {
			errno = ENOMEM;
			return -1;
		}
	}
	w->want = what;
	sched_park(s);
	w->want = 0;
	w->timed = 0;
	if (w->closed) {
		w->closed = 0;
		errno = EBADF;
		return -1;
	}
	return bound && w->expired ? 0 : 1;
}

/* wait_io - wait_fd with the bound blk_io_timeout set on fd, if any.  0, or
 * -1 with errno (EAGAIN when the bound ran out, as SO_RCVTIMEO says it on a
 * thread). */
static int wait_io(int fd, short what)
{
	struct sched_wait *w = sched_self()->wait;
	int rc = wait_fd(fd, what, w->bound_fd == fd ? w->bound : NULL);
	if (rc == 0)
		errno = EAGAIN;
	return rc == 1 ? 0 : -1;
}

/* io_of - the index of the io watching fd, or -1. */
static int io_of(const struct sched_wait *w, int fd)
{
	return w->io_fd[0] == fd ? 0 : w->io_fd[1] == fd ? 1 : -1;
}

/* read_waits - 1 if a receive on fd must park before it tries: fd is
 * watched and no edge has reported it readable since it was found empty. */
static int read_waits(const struct sched_wait *w, int fd)
{
	int i = io_of(w, fd);
	return i >= 0 && !(w->seen[i] & EV_READ);
}

/* found_empty - a receive found fd empty: its next waits for an edge first.
 * Only on a finding of this coroutine turn: every edge the loop took before
 * it came for data the finding saw go (the loop takes none meanwhile). */
static void found_empty(struct sched_wait *w, int fd)
{
	int i = io_of(w, fd);
	if (i >= 0)
		w->seen[i] &= (short)~EV_READ;
}

/* A control buffer with room for TCP_CM_INQ. */
union inq_ctl {
	struct cmsghdr align;              /* CMSG_DATA's alignment */
	char buf[CMSG_SPACE(sizeof(int))]; /* room for TCP_CM_INQ */
};

/* inq_on - TCP_INQ on the TCP socket fd: each recvmsg says what it left. */
static int inq_on(int fd)
{
	int one = 1;
	return setsockopt(fd, IPPROTO_TCP, TCP_INQ, &one, sizeof(one));
}

/* is_tcp - 1 if fd is watched and a TCP socket (asked once per watch). */
static int is_tcp(struct sched_wait *w, int fd)
{
	int i = io_of(w, fd);
	if (i < 0)
		return 0;
	if (w->tcp[i] < 0) {
		int proto = 0;
		socklen_t len = sizeof(proto);
		w->tcp[i] = getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &len) == 0 &&
			    proto == IPPROTO_TCP;
		if (w->tcp[i])
			(void)inq_on(fd); /* blk_recvmsg's finding of empty */
	}
	return w->tcp[i];
}

/* inq_left - the bytes TCP_INQ says a recvmsg left in the socket, or -1 if
 * m carries no such count. */
static int inq_left(struct msghdr *m)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c)) {
		if (c->cmsg_level == IPPROTO_TCP && c->cmsg_type == TCP_CM_INQ) {
			int n;
			memcpy(&n, CMSG_DATA(c), sizeof(n));
			return n;
		}
	}
	return -1;
}

/* tcp_recv - one recv of up to len bytes from the TCP socket fd, never
 * waiting (the socket is non-blocking), noting when it left fd empty: an
 * EAGAIN, or TCP_INQ's count of 0 left (blk_connect and blk_accept turn it
 * on).  Not a short read alone: epoll(7) says a stream read stops short
 * only when nothing is left, but a FIN that came with the data is still to
 * be read (recv's 0) and brings no edge of its own, so a connection
 * half-closed after its requests waited forever.  TCP_INQ counts that FIN
 * as 1.  Its count, or -1 with errno. */
static ssize_t tcp_recv(struct sched_wait *w, int fd, void *buf, size_t len)
{
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	union inq_ctl ctl;
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
			    .msg_controllen = sizeof(ctl.buf) };
	ssize_t r = recvmsg(fd, &m, 0);
	if (r < 0 ? errno == EAGAIN || errno == EWOULDBLOCK : r > 0 && inq_left(&m) == 0)
		found_empty(w, fd);
	return r;
}

/* recv_ready - up to len bytes from the TCP socket fd, parking first
 * unless its event said readable since it was found empty, and again on
 * EAGAIN, each wait within bound (NULL: none).  The count, 0 at the end of
 * the stream, or -1 with errno (EAGAIN: the bound ran out). */
static ssize_t recv_ready(int fd, void *buf, size_t len, const struct timeval *bound)
{
	struct sched_wait *w = sched_self()->wait;
	for (;;) {
		if (!read_waits(w, fd)) {
			ssize_t r = tcp_recv(w, fd, buf, len);
			if (r >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
				return r;
			if (errno == EINTR)
				continue;
		}
		int rc = wait_fd(fd, EV_READ, bound);
		if (rc != 1) {
			if (rc == 0)
				errno = EAGAIN; /* as SO_RCVTIMEO says it on a thread */
			return -1;
		}
	}
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
	if (errno != EINPROGRESS || wait_io(fd, EV_WRITE) != 0)
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
	int fd = net_connect_with(addr, &ops, err, errlen);
	/* TCP_INQ: each recvmsg says what it left, so a read of all that was
	 * asked tells an empty socket from a fuller one (tcp_recv), and the
	 * next receive parks first instead of finding EAGAIN. */
	if (fd >= 0 && inq_on(fd) != 0) {
		snprintf(err, errlen, "setsockopt TCP_INQ: %s", strerror(errno));
		blk_close(fd);
		return -1;
	}
	return fd;
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
			if (wait_io(fd, EV_WRITE) != 0)
				return -1;
		} else if (errno != EINTR) {
			return -1;
		}
	}
	return 0;
}

int blk_recv_full(int fd, void *buf, size_t len)
{
	struct sched_wait *w = sched_self()->wait;
	const struct timeval *bound = w->bound_fd == fd ? w->bound : NULL;
	char *p = buf;
	while (len > 0) {
		ssize_t r = recv_ready(fd, p, len, bound);
		if (r <= 0) {
			if (r == 0)
				errno = 0;
			return r == 0 ? 1 : -1;
		}
		p += r;
		len -= (size_t)r;
	}
	return 0;
}

/* A regular file on a loop: the honest read is a pread that stalls it,
 * by design, so the watchdog is told (a cold read may sleep long). */
int blk_pread(int fd, void *buf, size_t len, uint64_t off)
{
	struct sched_loop *lp = sched_self()->loop;
	atomic_store_explicit(&lp->in_file, 1, memory_order_relaxed);
	int rc = thr_pread_full(fd, buf, len, off);
	atomic_store_explicit(&lp->in_file, 0, memory_order_relaxed);
	return rc;
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

long blk_recv_some(int fd, void *buf, size_t len)
{
	return (long)recv_ready(fd, buf, len, NULL);
}

int blk_accept(int lfd)
{
	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd >= 0) {
			/* TCP_INQ as blk_connect's (tcp_recv); without it (a
			 * listener of another family) a receive finds the
			 * socket empty only by EAGAIN: one recv more. */
			(void)inq_on(fd);
			return fd;
		}
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			if (wait_fd(lfd, EV_READ, NULL) != 1)
				return -1;
		} else if (errno != EINTR) {
			return -1;
		}
	}
}

void blk_close_client(int fd, int lingering)
{
	forget(fd);
	net_close_client(fd, lingering);
}

/* A hooked library's bound is the same on every wait of every slot (its
 * SO_RCVTIMEO, --io-timeout-s): the slot's first bound becomes a common
 * timeout (an O(1) append per wait, as blk_io_timeout's), any other one (a
 * remainder after a spurious wake) an ordinary timer. */
int blk_wait_fd(int fd, short events, uint64_t timeout_us)
{
	struct sched_slot *s = sched_self();
	struct sched_wait *w = s->wait;
	short what = (short)((events & POLLIN ? EV_READ : 0) | (events & POLLOUT ? EV_WRITE : 0));
	if (events & POLLIN)
		found_empty(w, fd); /* the caller has just tried it (block.h) */
	if (!what)
		what = EV_READ; /* errors and hang-up only: libevent reports them as readable */
	if (!timeout_us)
		return wait_fd(fd, what, NULL);
	struct timeval tv = { (time_t)(timeout_us / 1000000), (suseconds_t)(timeout_us % 1000000) };
	if (!w->hook_us) {
		w->hook_us = timeout_us;
		w->hook_bound = event_base_init_common_timeout(slot_base(s), &tv);
	}
	return wait_fd(fd, what, timeout_us == w->hook_us && w->hook_bound ? w->hook_bound : &tv);
}

/* A hooked library's receive on a TCP socket waits first, as recv_ready
 * does, unless an edge came since the socket was found empty; a read that
 * TCP_INQ says left nothing (not a peek) finds it empty again: where the
 * library passed no control buffer (hiredis: a plain read), this lends one
 * for the call and takes it back.  TCP_INQ is turned on when the socket is
 * first watched (is_tcp); a library that passes its own control buffer gets
 * the socket found empty by EAGAIN only.  The bound counts from the first
 * wait. */
ssize_t blk_recvmsg(int fd, struct msghdr *msg, int flags, uint64_t timeout_us)
{
	struct sched_wait *w = sched_self()->wait;
	int tcp = is_tcp(w, fd);
	uint64_t left = timeout_us;
	if (tcp && read_waits(w, fd)) {
		uint64_t t0 = timeout_us ? clock_now_ns() : 0;
		int rc = blk_wait_fd(fd, POLLIN, timeout_us);
		if (rc <= 0) {
			if (rc == 0)
				errno = EAGAIN; /* as SO_RCVTIMEO says it */
			return -1;
		}
		if (timeout_us) {
			uint64_t gone = (clock_now_ns() - t0) / 1000;
			left = gone < timeout_us ? timeout_us - gone : 1; /* 0 would mean none */
		}
	}
	union inq_ctl ctl;
	int lend = tcp && !(flags & (MSG_PEEK | MSG_OOB)) && !msg->msg_control &&
		   !msg->msg_controllen;
	if (lend) {
		msg->msg_control = ctl.buf;
		msg->msg_controllen = sizeof(ctl.buf);
	}
	ssize_t r = blk_ready_msg(fd, msg, flags, left, 0);
	if (lend) {
		int e = errno, inq = r > 0 ? inq_left(msg) : -1;
		msg->msg_control = NULL;
		msg->msg_controllen = 0;
		msg->msg_flags &= ~MSG_CTRUNC;
		if (inq == 0)
			found_empty(w, fd);
		errno = e;
	}
	return r;
}

ssize_t blk_sendmsg(int fd, const struct msghdr *msg, int flags, uint64_t timeout_us)
{
	return blk_ready_msg(fd, (struct msghdr *)msg, flags, timeout_us, 1);
}
