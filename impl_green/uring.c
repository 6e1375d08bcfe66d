/*
 * uring.c - the uring model: the impl_threads/ pairs on the same coroutines
 * (impl_green/sched.c) with every wait a completion from io_uring.
 *
 * One ring per loop.  connect, send, recv and a file read are one
 * submission each (IORING_OP_CONNECT, SEND, RECV, READ on the blocking
 * descriptor as it is) whose completion resumes the coroutine that made it:
 * no readiness step, the kernel does the operation and reports it done,
 * where epoll reports that it could be tried.
 *
 * Timed waits are the loop's sleep queues (harness/runtime/sleepq.h, the
 * code the async and green models' sleeps run): a sleep appends to the FIFO
 * of its length (impl_green/sched_core.c), and each FIFO has one
 * IORING_OP_TIMEOUT, at its head's absolute CLOCK_MONOTONIC deadline, whose
 * completion ends every wait then due.  The same queues bound send and recv
 * (blk_io_timeout): a bounded transfer appends its deadline (a clock reading
 * plus the bound) and takes it out when done, and only a deadline that comes
 * first costs anything more: an IORING_OP_ASYNC_CANCEL of the operation in
 * flight, which then fails with EAGAIN as SO_RCVTIMEO does on threads: a
 * round trip carries no linked timeout.
 *
 * The loop submits what its coroutines queued and waits for a completion
 * in one system call per turn (io_uring_submit_and_wait); a coroutine
 * submits on its own only when the submission queue is full (ring_sqe).
 * Completions are taken in batches, each one's coroutine stack prefetched
 * while the one before runs (sched_warm), as the sleep queues do.
 *
 * A hooked library's calls (impl_green/hook.c) go the same way: its recv
 * and send are IORING_OP_RECV and SEND (RECVMSG, SENDMSG) on its blocking
 * socket, its poll an IORING_OP_POLL_ADD, bounded by its SO_RCVTIMEO (or
 * poll's timeout) as a transfer is: a deadline in the sleep queues and a
 * cancel if it comes first (bound_start), never a linked timeout.  Serve
 * mode's accept is an IORING_OP_ACCEPT (a poll first when the non-blocking
 * listener has none queued).  The model itself (sched_run on this backend)
 * is uring_model.c.
 *
 * Where io_uring is unavailable (a kernel older than 5.6, the sysctl
 * kernel.io_uring_disabled, a seccomp filter) the ring cannot be made and
 * the run fails with that reason (exit 3); where the ring's memory cannot be
 * had (ENOMEM: before 5.12, the locked-memory limit) the reason says so.
 * Test hook: TVSA_URING_FAIL=1 makes ring set-up fail as if
 * io_uring_queue_init had returned -ENOSYS, TVSA_URING_FAIL=ENOMEM -ENOMEM.
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
#define URING_CQE_BATCH 256     /* completions taken from the ring at once */
#define URING_FAIL_ENV "TVSA_URING_FAIL" /* test hook: set-up fails (ENOSYS, ENOMEM) */

/* A completion's user_data: 0, nothing to do (a cancel's own completion);
 * low bit 0, a slot's operation: the slot's address (SCHED_LINE-aligned)
 * with the operation's number in the bits below the alignment, so a cancel
 * meant for one operation never matches the slot's next; low bit 1, a sleep
 * queue's timer: the queue's index and the number of its arm above it. */
#define URING_TAG_TIMER 1ULL /* low bit: a sleep queue's timer */
#define URING_OP_SHIFT 1     /* a slot's operation number, above the tag */
#define URING_OP_MASK ((uint64_t)SCHED_LINE - 1 - URING_TAG_TIMER) /* its bits */
#define URING_QUEUE_SHIFT 1  /* a timer's queue index, above the tag */
#define URING_QUEUE_BITS 7   /* room for SLEEPQ_QUEUES */
#define URING_SEQ_SHIFT (URING_QUEUE_SHIFT + URING_QUEUE_BITS) /* the arm number */

_Static_assert(SLEEPQ_QUEUES < (1 << URING_QUEUE_BITS), "queue index must fit its bits");

/* A loop's backend state (lp->be). */
struct uring_loop {
	struct io_uring ring;      /* its ring */
	struct sleepq_set sleeps;  /* its sleeps and bounded waits' deadlines */
	struct __kernel_timespec ts[SLEEPQ_QUEUES]; /* each queue's timer deadline, read
						       by the kernel when submitted */
};

/* A slot's wait state on a ring. */
struct sched_wait {
	int res;                     /* the completed request's result (-errno) */
	uint64_t op;                 /* its operation in flight: user_data */
	struct __kernel_timespec ts; /* blk_sleep_until's deadline, alive until submitted */
	int bound_fd;                /* the socket blk_io_timeout bounded, or -1 */
	uint64_t bound_ns;           /* its bound on one send or recv */
	struct sleepq_wait deadline; /* the bound of the wait in flight (bound_start) */
	int expired;                 /* 1: that bound ran out; its operation is cancelled */
};

static struct uring_loop *slot_uring(const struct sched_slot *s)
{
	return s->loop->be;
}

static struct io_uring *slot_ring(const struct sched_slot *s)
{
	return &slot_uring(s)->ring;
}

/* ring_sqe - a free submission entry of ring, submitting the queued ones
 * first if the queue is full (the only submission outside a loop's turn). */
static struct io_uring_sqe *ring_sqe(struct io_uring *ring)
{
	struct io_uring_sqe *sqe;
	while (!(sqe = io_uring_get_sqe(ring)))
		io_uring_submit(ring);
	return sqe;
}

/* ---- the sleep queues' io_uring driver (sleepq.h) ---- */

/* sq_arm - one IORING_OP_TIMEOUT at the head's deadline; a timer armed
 * before for q stays pending and completes as a stale one (its arm number
 * is older).  The deadline lives in the loop until the kernel has read it:
 * two arms of one queue between two submissions leave both timers at the
 * second (earlier) deadline, which ends nothing early. */
static void sq_arm(struct sleepq *q, uint64_t due_ns)
{
	struct uring_loop *ul = q->set->ctx;
	size_t idx = (size_t)(q - ul->sleeps.q);
	ul->ts[idx].tv_sec = (long long)(due_ns / 1000000000ULL);
	ul->ts[idx].tv_nsec = (long long)(due_ns % 1000000000ULL);
	struct io_uring_sqe *sqe = ring_sqe(&ul->ring);
	io_uring_prep_timeout(sqe, &ul->ts[idx], 0, IORING_TIMEOUT_ABS); /* CLOCK_MONOTONIC */
	io_uring_sqe_set_data64(sqe, URING_TAG_TIMER | (uint64_t)idx << URING_QUEUE_SHIFT |
					     q->arm_seq << URING_SEQ_SHIFT);
}

static const struct sleepq_driver uring_sleep_driver = {
	.queue_init = NULL,
	.arm = sq_arm,
	.queue_fini = NULL,
	.now = NULL, /* clock_now_ns */
};

/* ---- the backend (sched.h) ---- */

/* ring_init - a ring, with the cheapest completion delivery this kernel
 * has (task work deferred to our own enter, one submitter); else plain. */
static int ring_init(struct io_uring *ring)
{
	const char *fail = getenv(URING_FAIL_ENV);
	if (fail && fail[0] && strcmp(fail, "0") != 0)
		return strcmp(fail, "ENOMEM") == 0 ? -ENOMEM : -ENOSYS;
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
	struct uring_loop *ul = calloc(1, sizeof(*ul));
	if (!ul) {
		snprintf(err, errlen, "out of memory for a ring");
		return -1;
	}
	int rc = ring_init(&ul->ring);
	if (rc == -ENOMEM) {
		/* Kernels before 5.12 charge a ring to RLIMIT_MEMLOCK. */
		snprintf(err, errlen,
			 "io_uring_queue_init: %s (a kernel before 5.12 charges the ring to the "
			 "locked-memory limit: raise ulimit -l, or too little memory is free)",
			 strerror(-rc));
		free(ul);
		return -1;
	}
	if (rc < 0) {
		snprintf(err, errlen,
			 "io_uring_queue_init: %s (io_uring unavailable: a kernel older than 5.6, "
			 "kernel.io_uring_disabled, or a seccomp filter)",
			 strerror(-rc));
		free(ul);
		return -1;
	}
	sleepq_set_init(&ul->sleeps, &uring_sleep_driver, ul, sched_warm);
	lp->be = ul;
	lp->sleeps = &ul->sleeps;
	return 0;
}

static void uring_slot_init(struct sched_slot *s)
{
	s->wait->bound_fd = -1;
}

/* slot_of - the slot a completion resumes, or NULL (a timer, a cancel's). */
static struct sched_slot *slot_of(const struct io_uring_cqe *cqe)
{
	uint64_t data = io_uring_cqe_get_data64(cqe);
	return (data & URING_TAG_TIMER) ? NULL : (struct sched_slot *)(uintptr_t)(data & ~URING_OP_MASK);
}

/* take_cqe - one completion: resume its slot, or end its sleep queue's due
 * waits. */
static void take_cqe(struct uring_loop *ul, const struct io_uring_cqe *cqe)
{
	uint64_t data = io_uring_cqe_get_data64(cqe);
	if (data & URING_TAG_TIMER) {
		size_t idx = (size_t)(data >> URING_QUEUE_SHIFT) & ((1u << URING_QUEUE_BITS) - 1);
		sleepq_expire(&ul->sleeps.q[idx], data >> URING_SEQ_SHIFT);
	} else if (data) {
		struct sched_slot *s = slot_of(cqe);
		s->wait->res = cqe->res;
		sched_wake(s);
	}
}

static int uring_poll(struct sched_loop *lp, int block, char *err, size_t errlen)
{
	struct uring_loop *ul = lp->be;
	struct io_uring *ring = &ul->ring;
	int rc = block ? io_uring_submit_and_wait(ring, 1) : io_uring_submit_and_get_events(ring);
	if (rc < 0 && rc != -EINTR && rc != -EAGAIN && rc != -EBUSY && rc != -ETIME) {
		snprintf(err, errlen, "io_uring_submit: %s", strerror(-rc));
		return -1;
	}
	struct io_uring_cqe *cqes[URING_CQE_BATCH];
	unsigned n;
	while ((n = io_uring_peek_batch_cqe(ring, cqes, URING_CQE_BATCH)) > 0) {
		for (unsigned i = 0; i < n; i++) {
			/* The slot after next on its way, the next one's stack too,
			 * while this one runs (sleepq.h does the same for sleeps). */
			struct sched_slot *ahead;
			if (i + 2 < n && (ahead = slot_of(cqes[i + 2])))
				__builtin_prefetch(ahead, 1);
			if (i + 1 < n && (ahead = slot_of(cqes[i + 1])))
				sched_warm(ahead);
			take_cqe(ul, cqes[i]);
		}
		io_uring_cq_advance(ring, n);
	}
	return 0;
}

static void uring_loop_fini(struct sched_loop *lp)
{
	struct uring_loop *ul = lp->be;
	if (!ul)
		return;
	sleepq_set_fini(&ul->sleeps);
	io_uring_queue_exit(&ul->ring);
	free(ul);
	lp->be = NULL;
	lp->sleeps = NULL;
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

/* ---- block.h on the ring ---- */

/* complete - park until sqe (prepared for s) completes; its result. */
static int complete(struct sched_slot *s, struct io_uring_sqe *sqe)
{
	uint64_t n = (s->wait->op + (1u << URING_OP_SHIFT)) & URING_OP_MASK; /* the next number */
	s->wait->op = (uint64_t)(uintptr_t)s | n;
	io_uring_sqe_set_data64(sqe, s->wait->op);
	sched_park(s);
	return s->wait->res;
}

void blk_sleep_until(uint64_t t_ns)
{
	if (t_ns <= clock_now_ns())
		return;
	/* An open-loop arrival: a deadline of its own, not one of a FIFO's
	 * length, so a timeout of its own (green arms its slot's timer). */
	struct sched_slot *s = sched_self();
	s->wait->ts.tv_sec = (long long)(t_ns / 1000000000ULL);
	s->wait->ts.tv_nsec = (long long)(t_ns % 1000000000ULL);
	struct io_uring_sqe *sqe = ring_sqe(slot_ring(s));
	io_uring_prep_timeout(sqe, &s->wait->ts, 0, IORING_TIMEOUT_ABS); /* CLOCK_MONOTONIC */
	int rc = complete(s, sqe);
	if (rc != -ETIME && rc != 0) {
		fprintf(stderr, "uring: timeout: %s\n", strerror(-rc));
		abort();
	}
}

/* uring_connect - one attempt, as a submission. */
static int uring_connect(int fd, const struct sockaddr_in *addr)
{
	struct sched_slot *s = sched_self();
	struct io_uring_sqe *sqe = ring_sqe(slot_ring(s));
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

/* deadline_cb - a bounded wait's deadline came first: cancel the operation
 * it waits on (by its user_data: that operation only); it completes with
 * -ECANCELED, or with its own result if it was done already. */
static void deadline_cb(void *arg)
{
	struct sched_slot *s = arg;
	s->wait->expired = 1;
	struct io_uring_sqe *sqe = ring_sqe(slot_ring(s));
	io_uring_prep_cancel64(sqe, s->wait->op, 0);
	io_uring_sqe_set_data64(sqe, 0); /* its own completion: nothing to do */
}

/* bound_start - the operations s submits until bound_end share one
 * deadline, ns (0: none) from a fresh clock reading: a wait in the loop's
 * sleep queues beside its sleeps, never a linked timeout per operation.  If
 * it comes first, the operation in flight is cancelled and s->wait->expired
 * reads 1.  Cost: an append (a queue per bound length), and a removal at
 * bound_end. */
static void bound_start(struct sched_slot *s, uint64_t ns)
{
	struct sched_wait *w = s->wait;
	w->expired = 0;
	/* The driver makes nothing for a queue, so the add cannot fail. */
	if (ns &&
	    sleepq_add(s->loop->sleeps, &w->deadline, clock_now_ns(), ns, deadline_cb, s) != 0) {
		fprintf(stderr, "uring: a deadline could not be queued\n");
		abort();
	}
}

/* bound_end - bound_start's deadline is over (a no-op if it ran out or
 * there was none). */
static void bound_end(struct sched_slot *s)
{
	sleepq_remove(&s->wait->deadline);
}

/* transfer - send (or recv) exactly len bytes, one submission per piece,
 * within the socket's bound if it has one (one deadline for the whole).
 * 0, 1 if the peer closed first (recv), or -1 with errno (EAGAIN: the bound
 * ran out). */
static int transfer(int fd, char *p, size_t len, int is_send)
{
	struct sched_slot *s = sched_self();
	struct sched_wait *w = s->wait;
	bound_start(s, w->bound_fd == fd ? w->bound_ns : 0);
	int rc = 0;
	while (len > 0) {
		struct io_uring_sqe *sqe = ring_sqe(slot_ring(s));
		if (is_send)
			io_uring_prep_send(sqe, fd, p, len, MSG_NOSIGNAL);
		else
			io_uring_prep_recv(sqe, fd, p, len, 0);
		int got = complete(s, sqe);
		if (got > 0) {
			p += got;
			len -= (size_t)got;
		}
		if (len > 0 && w->expired) {
			errno = EAGAIN; /* the bound ran out: as SO_RCVTIMEO says it */
			rc = -1;
			break;
		}
		if (got == -EINTR || got == -EAGAIN)
			continue;
		if (got < 0) {
			errno = -got;
			rc = -1;
			break;
		}
		if (got == 0 && !is_send) {
			errno = 0;
			rc = 1;
			break;
		}
	}
	bound_end(s);
	return rc;
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
		struct io_uring_sqe *sqe = ring_sqe(slot_ring(s));
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
	w->bound_ns = us * 1000;
	return 0;
}

void blk_close(int fd)
{
	struct sched_wait *w = sched_self()->wait;
	if (w->bound_fd == fd)
		w->bound_fd = -1;
	net_close_abort(fd); /* nothing of ours is pending on it between tasks */
}

/* msg_io - one recvmsg (is_send 0) or sendmsg as a submission, within us
 * microseconds (0: no bound; bound_start): RECV or SEND for a single buffer
 * with no address, RECVMSG or SENDMSG otherwise.  The kernel waits for the
 * socket (blocking or not) and completes the call.  Its count, or -1 with
 * errno (EAGAIN: the bound ran out, as SO_RCVTIMEO says it). */
static ssize_t msg_io(int fd, struct msghdr *msg, int flags, uint64_t us, int is_send)
{
	struct sched_slot *s = sched_self();
	int rc;
	bound_start(s, us * 1000);
	do {
		struct io_uring_sqe *sqe = ring_sqe(slot_ring(s));
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
		rc = complete(s, sqe);
	} while ((rc == -EINTR || rc == -EAGAIN) && !s->wait->expired);
	bound_end(s);
	if (rc >= 0)
		return rc;
	int ran_out = s->wait->expired && (rc == -ECANCELED || rc == -EINTR || rc == -EAGAIN);
	errno = ran_out ? EAGAIN : -rc;
	return -1;
}

long blk_recv_some(int fd, void *buf, size_t len)
{
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	return msg_io(fd, &m, 0, 0, 0);
}

int blk_wait_fd(int fd, short events, uint64_t timeout_us)
{
	struct sched_slot *s = sched_self();
	bound_start(s, timeout_us * 1000);
	struct io_uring_sqe *sqe = ring_sqe(slot_ring(s));
	io_uring_prep_poll_add(sqe, fd, (unsigned)(unsigned short)events);
	int rc = complete(s, sqe);
	bound_end(s);
	if (rc >= 0)
		return 1;
	if (rc == -ECANCELED && s->wait->expired)
		return 0;
	errno = -rc;
	return -1;
}

/* The listener is non-blocking (serve.h), which io_uring honours with
 * -EAGAIN: a poll submission waits for the next connection. */
int blk_accept(int lfd)
{
	struct sched_slot *s = sched_self();
	for (;;) {
		struct io_uring_sqe *sqe = ring_sqe(slot_ring(s));
		io_uring_prep_accept(sqe, lfd, NULL, NULL, SOCK_CLOEXEC);
		int rc = complete(s, sqe);
		if (rc >= 0)
			return rc;
		if (rc == -EAGAIN || rc == -EWOULDBLOCK) {
			if (blk_wait_fd(lfd, POLLIN, 0) < 0)
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
