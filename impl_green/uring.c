/*
 * uring.c - the uring model: the impl_threads/ pairs on the same coroutines
 * (impl_green/sched.c) with every wait a completion from io_uring.
 *
 * One ring per loop.  A wait is one submission whose completion resumes the
 * coroutine that made it: a sleep an IORING_OP_TIMEOUT at an absolute
 * CLOCK_MONOTONIC deadline, connect, send and recv IORING_OP_CONNECT, SEND
 * and RECV on the blocking socket as it is.  No readiness step: the kernel
 * does the operation and reports it done, where epoll reports that it could
 * be tried.  The loop submits what its coroutines queued and waits for one
 * completion in one system call (io_uring_submit_and_wait).  A hooked
 * library's calls (impl_green/hook.c) go the same way: its recv and send
 * are IORING_OP_RECV and SEND (RECVMSG, SENDMSG) on its blocking socket,
 * its poll an IORING_OP_POLL_ADD, each with a linked timeout for its
 * SO_RCVTIMEO.  The model itself (sched_run on this backend) is
 * uring_model.c.
 *
 * Where io_uring is unavailable (a kernel older than 5.6, the sysctl
 * kernel.io_uring_disabled, a seccomp filter) the ring cannot be made and
 * the run fails with that reason (exit 3).  Test hook: TVSA_URING_FAIL=1
 * makes ring set-up fail as if io_uring_queue_init had returned -ENOSYS.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <liburing.h>

#include "../harness/runtime/clock.h"
#include "../harness/runtime/net.h"
#include "../impl_threads/block.h"
#include "sched.h"

#define URING_SQ_ENTRIES 4096   /* submissions queued between two enters */
#define URING_CQ_ENTRIES 65536  /* completions the ring holds before overflow */
#define URING_FAIL_ENV "TVSA_URING_FAIL" /* test hook: set-up fails with ENOSYS */

/* A slot's wait state on a ring. */
struct sched_wait {
	int res;                     /* the completed request's result (-errno) */
	struct __kernel_timespec ts; /* a timeout's deadline, alive until submitted */
	int bound_fd;                /* the socket blk_io_timeout bounded, or -1 */
	struct __kernel_timespec bound; /* its bound on one send or recv (linked timeout) */
};

static struct io_uring *slot_ring(const struct sched_slot *s)
{
	return s->loop->be;
}

/* ring_init - a ring, with the cheapest completion delivery this kernel
 * has (task work deferred to our own enter, one submitter); else plain. */
static int ring_init(struct io_uring *ring)
{
	const char *fail = getenv(URING_FAIL_ENV);
	if (fail && fail[0] && strcmp(fail, "0") != 0)
		return -ENOSYS;
	struct io_uring_params p;
	memset(&p, 0, sizeof(p));
	p.flags = IORING_SETUP_CQSIZE | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
	p.cq_entries = URING_CQ_ENTRIES;
	int rc = io_uring_queue_init_params(URING_SQ_ENTRIES, ring, &p);
	if (rc != -EINVAL)
		return rc;
	memset(&p, 0, sizeof(p));
	p.flags = IORING_SETUP_CQSIZE;
	p.cq_entries = URING_CQ_ENTRIES;
	return io_uring_queue_init_params(URING_SQ_ENTRIES, ring, &p);
}

static int uring_loop_init(struct sched_loop *lp, char *err, size_t errlen)
{
	struct io_uring *ring = calloc(1, sizeof(*ring));
	if (!ring) {
		snprintf(err, errlen, "out of memory for a ring");
		return -1;
	}
	int rc = ring_init(ring);
	if (rc < 0) {
		snprintf(err, errlen,
			 "io_uring_queue_init: %s (io_uring unavailable: a kernel older than 5.6, "
			 "kernel.io_uring_disabled, or a seccomp filter)",
			 strerror(-rc));
		free(ring);
		return -1;
	}
	lp->be = ring;
	return 0;
}

static void uring_slot_init(struct sched_slot *s)
{
	s->wait->bound_fd = -1;
}

static int uring_poll(struct sched_loop *lp, int block, char *err, size_t errlen)
{
	struct io_uring *ring = lp->be;
	int rc = block ? io_uring_submit_and_wait(ring, 1) : io_uring_submit_and_get_events(ring);
	if (rc < 0 && rc != -EINTR && rc != -EAGAIN && rc != -EBUSY && rc != -ETIME) {
		snprintf(err, errlen, "io_uring_submit: %s", strerror(-rc));
		return -1;
	}
	struct io_uring_cqe *cqe;
	while (io_uring_peek_cqe(ring, &cqe) == 0) {
		struct sched_slot *s = io_uring_cqe_get_data(cqe);
		if (s) { /* a linked timeout's own completion has no slot */
			s->wait->res = cqe->res;
			sched_wake(s);
		}
		io_uring_cqe_seen(ring, cqe);
	}
	return 0;
}

static void uring_loop_fini(struct sched_loop *lp)
{
	if (!lp->be)
		return;
	io_uring_queue_exit(lp->be);
	free(lp->be);
	lp->be = NULL;
}

const struct sched_backend uring_backend = {
	.name = "uring",
	.wait_size = sizeof(struct sched_wait),
	.loop_init = uring_loop_init,
	.slot_init = uring_slot_init,
	.poll = uring_poll,
	.slot_fini = NULL,
	.loop_fini = uring_loop_fini,
};

/* sqe_get - a free submission entry of the running slot's ring, submitting
 * the queued ones first if the queue is full. */
static struct io_uring_sqe *sqe_get(struct sched_slot *s)
{
	struct io_uring_sqe *sqe;
	while (!(sqe = io_uring_get_sqe(slot_ring(s))))
		io_uring_submit(slot_ring(s));
	return sqe;
}

/* complete - park until sqe (prepared for s) completes; its result. */
static int complete(struct sched_slot *s, struct io_uring_sqe *sqe)
{
	io_uring_sqe_set_data(sqe, s);
	sched_park(s);
	return s->wait->res;
}

/* sleep_at - park until an IORING_OP_TIMEOUT at t_ns completes (at once if
 * the time has passed). */
static void sleep_at(uint64_t t_ns)
{
	struct sched_slot *s = sched_self();
	s->wait->ts.tv_sec = (long long)(t_ns / 1000000000ULL);
	s->wait->ts.tv_nsec = (long long)(t_ns % 1000000000ULL);
	struct io_uring_sqe *sqe = sqe_get(s);
	io_uring_prep_timeout(sqe, &s->wait->ts, 0, IORING_TIMEOUT_ABS); /* CLOCK_MONOTONIC */
	int rc = complete(s, sqe);
	if (rc != -ETIME && rc != 0) {
		fprintf(stderr, "uring: timeout: %s\n", strerror(-rc));
		abort();
	}
}

void blk_sleep_until(uint64_t t_ns)
{
	if (t_ns > clock_now_ns())
		sleep_at(t_ns);
}

void blk_sleep_from(uint64_t t0_ns, uint64_t us)
{
	sleep_at(t0_ns + us * 1000);
}

void blk_sleep_us(uint64_t us)
{
	sleep_at(clock_now_ns() + us * 1000);
}

/* uring_connect - one attempt, as a submission. */
static int uring_connect(int fd, const struct sockaddr_in *addr)
{
	struct sched_slot *s = sched_self();
	struct io_uring_sqe *sqe = sqe_get(s);
	io_uring_prep_connect(sqe, fd, (const struct sockaddr *)addr, sizeof(*addr));
	int rc = complete(s, sqe);
	if (rc < 0) {
		errno = -rc;
		return -1;
	}
	return 0;
}

static void uring_pause(long us)
{
	blk_sleep_us((uint64_t)us);
}

int blk_connect(const struct sockaddr_in *addr, char *err, size_t errlen)
{
	static const struct net_connect_ops ops = { 0, uring_connect, uring_pause, NULL };
	return net_connect_with(addr, &ops, err, errlen);
}

/* transfer - send (or recv) exactly len bytes, one submission per piece.
 * 0, 1 if the peer closed first (recv), or -1 with errno. */
static int transfer(int fd, char *p, size_t len, int is_send)
{
	struct sched_slot *s = sched_self();
	int bounded = s->wait->bound_fd == fd;
	while (len > 0) {
		/* A bounded socket: the request and its linked timeout go in one
		 * submission (a link does not span two), so room for both first. */
		if (bounded && io_uring_sq_space_left(slot_ring(s)) < 2)
			io_uring_submit(slot_ring(s));
		struct io_uring_sqe *sqe = sqe_get(s);
		if (is_send)
			io_uring_prep_send(sqe, fd, p, len, MSG_NOSIGNAL);
		else
			io_uring_prep_recv(sqe, fd, p, len, 0);
		if (bounded) {
			io_uring_sqe_set_data(sqe, s);
			sqe->flags |= IOSQE_IO_LINK;
			struct io_uring_sqe *tsqe = sqe_get(s);
			io_uring_prep_link_timeout(tsqe, &s->wait->bound, 0);
			io_uring_sqe_set_data(tsqe, NULL);
		}
		int rc = bounded ? (sched_park(s), s->wait->res) : complete(s, sqe);
		if (rc == -ECANCELED && bounded) {
			errno = EAGAIN; /* the bound ran out: as SO_RCVTIMEO says it */
			return -1;
		}
		if (rc == -EINTR || rc == -EAGAIN)
			continue;
		if (rc < 0) {
			errno = -rc;
			return -1;
		}
		if (rc == 0 && !is_send) {
			errno = 0;
			return 1;
		}
		p += rc;
		len -= (size_t)rc;
	}
	return 0;
}

int blk_send_all(int fd, const void *buf, size_t len)
{
	return transfer(fd, (char *)buf, len, 1);
}

int blk_recv_full(int fd, void *buf, size_t len)
{
	return transfer(fd, buf, len, 0);
}

int blk_pread(int fd, void *buf, size_t len, uint64_t off)
{
	struct sched_slot *s = sched_self();
	char *p = buf;
	while (len > 0) {
		struct io_uring_sqe *sqe = sqe_get(s);
		io_uring_prep_read(sqe, fd, p, (unsigned)len, off);
		int rc = complete(s, sqe);
		if (rc == -EINTR || rc == -EAGAIN)
			continue;
		if (rc < 0) {
			errno = -rc;
			return -1;
		}
		if (rc == 0)
			return 1;
		p += rc;
		len -= (size_t)rc;
		off += (uint64_t)rc;
	}
	return 0;
}

int blk_io_timeout(int fd, uint64_t us)
{
	struct sched_wait *w = sched_self()->wait;
	w->bound_fd = us ? fd : -1;
	w->bound.tv_sec = (long long)(us / 1000000);
	w->bound.tv_nsec = (long long)(us % 1000000) * 1000;
	return 0;
}

void blk_close(int fd)
{
	net_close_abort(fd); /* nothing of ours is pending on it between tasks */
}

long blk_recv_some(int fd, void *buf, size_t len)
{
	struct sched_slot *s = sched_self();
	for (;;) {
		struct io_uring_sqe *sqe = sqe_get(s);
		io_uring_prep_recv(sqe, fd, buf, len, 0);
		int rc = complete(s, sqe);
		if (rc >= 0)
			return rc;
		if (rc != -EINTR && rc != -EAGAIN) {
			errno = -rc;
			return -1;
		}
	}
}

/* poll_in - park until fd is readable (IORING_OP_POLL_ADD).  0, or -1 with errno. */
static int poll_in(struct sched_slot *s, int fd)
{
	struct io_uring_sqe *sqe = sqe_get(s);
	io_uring_prep_poll_add(sqe, fd, POLLIN);
	int rc = complete(s, sqe);
	if (rc < 0) {
		errno = -rc;
		return -1;
	}
	return 0;
}

/* The listener is non-blocking (serve.h), which io_uring honours with
 * -EAGAIN: a poll submission waits for the next connection. */
int blk_accept(int lfd)
{
	struct sched_slot *s = sched_self();
	for (;;) {
		struct io_uring_sqe *sqe = sqe_get(s);
		io_uring_prep_accept(sqe, lfd, NULL, NULL, SOCK_CLOEXEC);
		int rc = complete(s, sqe);
		if (rc >= 0)
			return rc;
		if (rc == -EAGAIN || rc == -EWOULDBLOCK) {
			if (poll_in(s, lfd) != 0)
				return -1;
		} else if (rc != -EINTR) {
			errno = -rc;
			return -1;
		}
	}
}

void blk_close_client(int fd, int lingering)
{
	net_close_client(fd, lingering); /* nothing of ours is pending on it */
}

/* sqe_for - sqe_get for a request that a linked timeout will follow if us
 * (0: none): the two must go in one submission (a link does not span two),
 * so room for both is made first. */
static struct io_uring_sqe *sqe_for(struct sched_slot *s, uint64_t us)
{
	if (us && io_uring_sq_space_left(slot_ring(s)) < 2)
		io_uring_submit(slot_ring(s));
	return sqe_get(s);
}

/* bounded - park until sqe (from sqe_for(s, us), prepared) completes, or us
 * microseconds (0: no bound) pass first: then the kernel cancels it and its
 * result is -ECANCELED. */
static int bounded(struct sched_slot *s, struct io_uring_sqe *sqe, uint64_t us)
{
	if (!us)
		return complete(s, sqe);
	io_uring_sqe_set_data(sqe, s);
	sqe->flags |= IOSQE_IO_LINK;
	/* On the parked coroutine's stack: alive until the slot resumes, long
	 * after the submission that reads it. */
	struct __kernel_timespec ts = { .tv_sec = (long long)(us / 1000000),
					.tv_nsec = (long long)(us % 1000000) * 1000 };
	struct io_uring_sqe *tsqe = sqe_get(s); /* sqe_for left room for it */
	io_uring_prep_link_timeout(tsqe, &ts, 0);
	io_uring_sqe_set_data(tsqe, NULL);
	sched_park(s);
	return s->wait->res;
}

int blk_wait_fd(int fd, short events, uint64_t timeout_us)
{
	struct sched_slot *s = sched_self();
	struct io_uring_sqe *sqe = sqe_for(s, timeout_us);
	io_uring_prep_poll_add(sqe, fd, (unsigned)(unsigned short)events);
	int rc = bounded(s, sqe, timeout_us);
	if (rc == -ECANCELED && timeout_us)
		return 0;
	if (rc < 0) {
		errno = -rc;
		return -1;
	}
	return 1;
}

/* msg_io - one recvmsg (is_send 0) or sendmsg as a submission: RECV or SEND
 * for a single buffer with no address, RECVMSG or SENDMSG otherwise.  The
 * kernel waits for the socket (blocking or not) and completes the call. */
static ssize_t msg_io(int fd, struct msghdr *msg, int flags, uint64_t us, int is_send)
{
	struct sched_slot *s = sched_self();
	for (;;) {
		struct io_uring_sqe *sqe = sqe_for(s, us);
		if (msg->msg_iovlen == 1 && !msg->msg_name && !msg->msg_control) {
			if (is_send)
				io_uring_prep_send(sqe, fd, msg->msg_iov[0].iov_base,
						   msg->msg_iov[0].iov_len, flags);
			else
				io_uring_prep_recv(sqe, fd, msg->msg_iov[0].iov_base,
						   msg->msg_iov[0].iov_len, flags);
		} else if (is_send) {
			io_uring_prep_sendmsg(sqe, fd, msg, (unsigned)flags);
		} else {
			io_uring_prep_recvmsg(sqe, fd, msg, (unsigned)flags);
		}
		int rc = bounded(s, sqe, us);
		if (rc == -ECANCELED && us) {
			errno = EAGAIN; /* the bound ran out: as SO_RCVTIMEO says it */
			return -1;
		}
		if (rc == -EINTR || rc == -EAGAIN)
			continue;
		if (rc < 0) {
			errno = -rc;
			return -1;
		}
		return rc;
	}
}

ssize_t blk_recvmsg(int fd, struct msghdr *msg, int flags, uint64_t timeout_us)
{
	return msg_io(fd, msg, flags, timeout_us, 0);
}

ssize_t blk_sendmsg(int fd, const struct msghdr *msg, int flags, uint64_t timeout_us)
{
	return msg_io(fd, (struct msghdr *)msg, flags, timeout_us, 1);
}

void blk_fd_closing(int fd)
{
	(void)fd; /* nothing of ours is pending on it: its slot is not parked */
}
