/*
 * test_hooks.c - every call impl_green/hook.c interposes, made by a
 * coroutine as a blocking library makes it, on one loop of the green or the
 * uring runtime (the binary links one: test_hooks_green, test_hooks_uring).
 *
 * Each test runs two slots on the loop: a ticker that sleeps 1 ms at a time
 * and counts its turns, and the subject, which makes the blocking call.  A
 * call that parks its coroutine lets the ticker run; one that blocked the
 * thread could not (no coroutine runs while another holds the thread), so
 * "the ticker moved during the call" is the proof, with no timing in it: a
 * peer thread that must answer waits for the ticker to move first (giving
 * up after PEER_PATIENCE_MS and saying so: a failure, never a hang), and a
 * sleep or a bound outlasts the ticker's first 1 ms wait.  The subject runs
 * on its coroutine's stack, where cmocka's asserts (a longjmp) may not, so
 * it records the first failed check and the test asserts on it afterwards.
 * test_edges*: TCP receives, the runtime's own and hooked, never wait for an
 * edge that data already there brought (green parks before a receive).
 * The rig (the loop, the ticker, the peers) is tests/hooks_rig.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cmocka.h>

#include "../harness/runtime/clock.h"
#include "../impl_threads/block.h"
#include "hooks_rig.h"

#define HK_BIG (1u << 20)       /* a write larger than the socket buffers */
#define HK_BOUND_MS 50          /* SO_RCVTIMEO, poll's and the sleeps' lengths */
#define HK_HANG_S 20            /* a test still running after this long has hung */

/* ---- the subjects ---- */

static void s_read(struct hk *t)
{
	char buf[16];
	struct peer p;
	CHECK(t, pair(t) == 0 && peer_start(&p, t, t->fd[1], PEER_WRITE) == 0, "set-up");
	int before = atomic_load(&t->ticks);
	ssize_t r = read(t->fd[0], buf, sizeof(buf));
	CHECK(t, peer_end(&p) == 0, "read held the loop: the ticker never moved");
	CHECK(t, r == 5 && memcmp(buf, "hello", 5) == 0, "read returned %zd", r);
	CHECK(t, atomic_load(&t->ticks) > before, "the ticker did not move during read");
}

static void s_receive_variants(struct hk *t)
{
	char a[2], b[8], c[16];
	struct peer p;
	CHECK(t, pair(t) == 0, "socketpair: %s", strerror(errno));
	/* recv with MSG_WAITALL: both pieces, though they come apart */
	CHECK(t, peer_start(&p, t, t->fd[1], PEER_WRITE_TWICE) == 0, "peer");
	ssize_t r = recv(t->fd[0], b, 4, MSG_WAITALL);
	CHECK(t, peer_end(&p) == 0, "the call held the loop: the ticker never moved");
	CHECK(t, r == 4 && memcmp(b, "abcd", 4) == 0,
	      "recv MSG_WAITALL returned %zd", r);
	/* readv into two buffers */
	CHECK(t, peer_start(&p, t, t->fd[1], PEER_WRITE) == 0, "peer");
	struct iovec iov[2] = { { a, sizeof(a) }, { b, sizeof(b) } };
	r = readv(t->fd[0], iov, 2);
	CHECK(t, peer_end(&p) == 0, "the call held the loop: the ticker never moved");
	CHECK(t, r == 5 && memcmp(a, "he", 2) == 0 && memcmp(b, "llo", 3) == 0,
	      "readv returned %zd", r);
	/* recvmsg */
	CHECK(t, peer_start(&p, t, t->fd[1], PEER_WRITE) == 0, "peer");
	struct iovec one = { c, sizeof(c) };
	struct msghdr m = { .msg_iov = &one, .msg_iovlen = 1 };
	r = recvmsg(t->fd[0], &m, 0);
	CHECK(t, peer_end(&p) == 0, "the call held the loop: the ticker never moved");
	CHECK(t, r == 5 && memcmp(c, "hello", 5) == 0, "recvmsg returned %zd", r);
	/* recvfrom with an address to fill */
	CHECK(t, peer_start(&p, t, t->fd[1], PEER_WRITE) == 0, "peer");
	struct sockaddr_storage from;
	socklen_t flen = sizeof(from);
	r = recvfrom(t->fd[0], c, sizeof(c), 0, (struct sockaddr *)&from, &flen);
	CHECK(t, peer_end(&p) == 0, "the call held the loop: the ticker never moved");
	CHECK(t, r == 5, "recvfrom returned %zd", r);
	/* MSG_DONTWAIT asks not to wait: EAGAIN at once */
	r = recv(t->fd[0], c, sizeof(c), MSG_DONTWAIT);
	CHECK(t, r == -1 && errno == EAGAIN, "recv MSG_DONTWAIT returned %zd", r);
	/* the end of the stream */
	CHECK(t, peer_start(&p, t, t->fd[1], PEER_CLOSE) == 0, "peer");
	r = read(t->fd[0], c, sizeof(c));
	t->fd[1] = -1; /* the peer closed it */
	CHECK(t, peer_end(&p) == 0, "the call held the loop: the ticker never moved");
	CHECK(t, r == 0, "read at the end of the stream returned %zd", r);
}

static void s_write_waits(struct hk *t)
{
	char *big = calloc(1, HK_BIG);
	struct peer p;
	int small = 4096;
	CHECK(t, big && pair(t) == 0, "set-up");
	setsockopt(t->fd[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
	CHECK(t, peer_start(&p, t, t->fd[1], PEER_DRAIN) == 0, "peer");
	int before = atomic_load(&t->ticks);
	ssize_t w = write(t->fd[0], big, HK_BIG);
	struct iovec iov[2] = { { big, 100 }, { big, 200 } };
	ssize_t wv = writev(t->fd[0], iov, 2);
	struct msghdr m = { .msg_iov = iov, .msg_iovlen = 2 };
	ssize_t sm = sendmsg(t->fd[0], &m, 0);
	ssize_t s = send(t->fd[0], big, 50, 0);
	ssize_t st = sendto(t->fd[0], big, 50, 0, NULL, 0);
	shutdown(t->fd[0], SHUT_WR);
	free(big);
	CHECK(t, peer_end(&p) == 0, "write held the loop: the ticker never moved");
	CHECK(t, w == HK_BIG && wv == 300 && sm == 300 && s == 50 && st == 50,
	      "write %zd, writev %zd, sendmsg %zd, send %zd, sendto %zd", w, wv, sm, s, st);
	CHECK(t, p.drained == HK_BIG + 700, "the peer read %zu bytes", p.drained);
	CHECK(t, atomic_load(&t->ticks) > before, "the ticker did not move during write");
}

static void s_rcvtimeo(struct hk *t)
{
	char c;
	struct timeval tv = { 0, HK_BOUND_MS * 1000 };
	CHECK(t, pair(t) == 0, "socketpair");
	CHECK(t, setsockopt(t->fd[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == 0, "SO_RCVTIMEO");
	int before = atomic_load(&t->ticks);
	uint64_t t0 = clock_now_ns();
	ssize_t r = read(t->fd[0], &c, 1);
	uint64_t took = clock_now_ns() - t0;
	CHECK(t, r == -1 && errno == EAGAIN, "read past SO_RCVTIMEO returned %zd (%s)", r,
	      strerror(errno));
	CHECK(t, took >= HK_BOUND_MS * 1000000ULL, "the bound ended early: %llu ns",
	      (unsigned long long)took);
	CHECK(t, atomic_load(&t->ticks) > before, "the ticker did not move during the bound");
}

static void s_nonblock_view(struct hk *t)
{
	char c;
	CHECK(t, pair(t) == 0, "socketpair");
	int fl = fcntl(t->fd[0], F_GETFL);
	CHECK(t, fl >= 0 && !(fl & O_NONBLOCK), "a blocking socket reads back O_NONBLOCK");
	CHECK(t, fcntl(t->fd[0], F_SETFL, fl | O_NONBLOCK) == 0, "F_SETFL");
	CHECK(t, fcntl(t->fd[0], F_GETFL) & O_NONBLOCK, "O_NONBLOCK set does not read back");
	ssize_t r = read(t->fd[0], &c, 1);
	CHECK(t, r == -1 && errno == EAGAIN, "a non-blocking read returned %zd", r);
	CHECK(t, fcntl(t->fd[0], F_SETFL, fl) == 0 && !(fcntl(t->fd[0], F_GETFL) & O_NONBLOCK),
	      "O_NONBLOCK cleared reads back set");
	int on = 1, off = 0;
	CHECK(t, ioctl(t->fd[0], FIONBIO, &on) == 0, "FIONBIO");
	r = recv(t->fd[0], &c, 1, 0);
	CHECK(t, r == -1 && errno == EAGAIN, "a recv after FIONBIO returned %zd", r);
	CHECK(t, ioctl(t->fd[0], FIONBIO, &off) == 0, "FIONBIO off");
	struct peer p; /* blocking again: it waits */
	CHECK(t, peer_start(&p, t, t->fd[1], PEER_WRITE) == 0, "peer");
	char buf[8];
	r = read(t->fd[0], buf, sizeof(buf));
	CHECK(t, peer_end(&p) == 0, "the call held the loop: the ticker never moved");
	CHECK(t, r == 5, "blocking again, read returned %zd", r);
	int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	CHECK(t, s >= 0, "socket");
	r = read(s, buf, 1); /* unconnected: an error at once, never a wait */
	close(s);
	CHECK(t, r == -1, "read of a non-blocking unconnected socket returned %zd", r);
}

static int listener(struct sockaddr_in *a)
{
	socklen_t len = sizeof(*a);
	int l = socket(AF_INET, SOCK_STREAM, 0);
	memset(a, 0, sizeof(*a));
	a->sin_family = AF_INET;
	a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (l < 0 || bind(l, (struct sockaddr *)a, sizeof(*a)) != 0 || listen(l, 4) != 0 ||
	    getsockname(l, (struct sockaddr *)a, &len) != 0)
		return -1;
	return l;
}

static void s_connect(struct hk *t)
{
	struct sockaddr_in a;
	struct peer p;
	char buf[8];
	int l = listener(&a);
	CHECK(t, l >= 0, "listener: %s", strerror(errno));
	t->fd[1] = l;
	t->fd[0] = socket(AF_INET, SOCK_STREAM, 0);
	CHECK(t, t->fd[0] >= 0 && peer_start(&p, t, l, PEER_ACCEPT_ECHO) == 0, "set-up");
	int rc = connect(t->fd[0], (struct sockaddr *)&a, sizeof(a));
	ssize_t w = rc == 0 ? write(t->fd[0], "ping", 4) : -1;
	ssize_t r = w == 4 ? read(t->fd[0], buf, sizeof(buf)) : -1;
	CHECK(t, peer_end(&p) == 0, "the echo held the loop");
	CHECK(t, rc == 0 && r == 4 && memcmp(buf, "ping", 4) == 0, "connect %d, write %zd, read %zd",
	      rc, w, r);
	/* A port nobody listens on: refused, as a blocking connect says it. */
	close(t->fd[0]);
	close(l);
	t->fd[1] = -1;
	t->fd[0] = socket(AF_INET, SOCK_STREAM, 0);
	rc = connect(t->fd[0], (struct sockaddr *)&a, sizeof(a));
	CHECK(t, rc == -1 && errno == ECONNREFUSED, "connect to a closed port: %d (%s)", rc,
	      strerror(errno));
}

/* rcv - the runtime's receive (full: exactly len bytes), or a library's read. */
static ssize_t rcv(int hooked, int fd, char *buf, size_t len, int full)
{
	if (hooked)
		return read(fd, buf, len);
	if (full)
		return blk_recv_full(fd, buf, len) == 0 ? (ssize_t)len : -1;
	return blk_recv_some(fd, buf, len);
}

/* Receives on TCP of what one write brought, in pieces: each gets its piece
 * without a new edge, which only the peer's "xy" would bring, once told
 * ("g"): a piece that waited for it gets the wrong bytes or the peer gives
 * up.  The runtime's own socket (blk_connect: green turns TCP_INQ on), or a
 * library's (hooked: its own socket and reads, no TCP_INQ); both bounded. */
static void edges(struct hk *t, int hooked)
{
	static const struct { size_t ask; int full; const char *want; } step[] = {
		{ 4, 1, "abcd" }, { 4, 1, "efgh" }, { 1, 0, "i" }, { 16, 0, "j" }
	};
	struct sockaddr_in a;
	struct timeval tv = { PEER_PATIENCE_MS / 1000, 0 };
	struct peer p;
	char buf[16];
	CHECK(t, (t->fd[1] = listener(&a)) >= 0, "listener: %s", strerror(errno));
	int fd = t->fd[0] = hooked ? socket(AF_INET, SOCK_STREAM, 0) : blk_connect(&a, buf, 16);
	int set = fd < 0 ? -1
		  : hooked ? setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) |
				     connect(fd, (struct sockaddr *)&a, sizeof(a))
			   : blk_io_timeout(fd, PEER_PATIENCE_MS * 1000ULL);
	CHECK(t, set == 0 && peer_start(&p, t, t->fd[1], PEER_ACCEPT_EDGES) == 0, "set-up: %s",
	      strerror(errno));
	size_t i, n = sizeof(step) / sizeof(step[0]);
	ssize_t r = 0;
	for (i = 0; i < n; i++) {
		r = rcv(hooked, fd, buf, step[i].ask, step[i].full);
		if (r != (ssize_t)strlen(step[i].want) || memcmp(buf, step[i].want, (size_t)r) != 0)
			break;
	}
	int e = errno;
	/* write: straight through on green's non-blocking socket, hooked on uring's */
	ssize_t last = i == n && write(fd, "g", 1) == 1 ? rcv(hooked, fd, buf, sizeof(buf), 0) : -1;
	shutdown(fd, SHUT_WR);
	int told = peer_end(&p) == 0; /* joined before any CHECK leaves: p is on this stack */
	CHECK(t, i == n, "%s receive %zu returned %zd (%s)", hooked ? "hooked" : "runtime", i, r,
	      r < 0 ? strerror(e) : "other bytes");
	CHECK(t, told, "the peer was not told, or the receives held the loop");
	CHECK(t, last == 2 && memcmp(buf, "xy", 2) == 0, "the last receive returned %zd", last);
}

static void s_edges_runtime(struct hk *t) { edges(t, 0); }
static void s_edges_hooked(struct hk *t) { edges(t, 1); }

static void s_poll(struct hk *t)
{
	struct peer p;
	CHECK(t, pair(t) == 0 && peer_start(&p, t, t->fd[1], PEER_WRITE) == 0, "set-up");
	struct pollfd pf = { .fd = t->fd[0], .events = POLLIN };
	int before = atomic_load(&t->ticks);
	int n = poll(&pf, 1, PEER_PATIENCE_MS * 2);
	CHECK(t, peer_end(&p) == 0, "poll held the loop: the ticker never moved");
	CHECK(t, n == 1 && (pf.revents & POLLIN), "poll returned %d, revents %#x", n, pf.revents);
	CHECK(t, atomic_load(&t->ticks) > before, "the ticker did not move during poll");
	char buf[8];
	CHECK(t, read(t->fd[0], buf, sizeof(buf)) == 5, "read after poll");
	/* Nothing comes: 0 once the timeout has passed, never before. */
	uint64_t t0 = clock_now_ns();
	before = atomic_load(&t->ticks);
	n = poll(&pf, 1, HK_BOUND_MS);
	uint64_t took = clock_now_ns() - t0;
	CHECK(t, n == 0 && took >= HK_BOUND_MS * 1000000ULL && atomic_load(&t->ticks) > before,
	      "poll timeout: %d after %llu ns", n, (unsigned long long)took);
	/* No descriptor: a sleep. */
	before = atomic_load(&t->ticks);
	n = poll(NULL, 0, HK_BOUND_MS);
	CHECK(t, n == 0 && atomic_load(&t->ticks) > before, "poll with no descriptor: %d", n);
}

/* slept - CHECK that a sleep of HK_BOUND_MS let the ticker run and was not short. */
#define SLEPT(t, what, call)                                                                   \
	do {                                                                                   \
		int b_ = atomic_load(&(t)->ticks);                                             \
		uint64_t t0_ = clock_now_ns();                                                 \
		int rc_ = (call);                                                              \
		uint64_t took_ = clock_now_ns() - t0_;                                         \
		CHECK(t, rc_ == 0 && took_ >= HK_BOUND_MS * 1000000ULL &&                      \
				 atomic_load(&(t)->ticks) > b_,                                \
		      "%s: %d after %llu ns, ticker %d -> %d", what, rc_,                      \
		      (unsigned long long)took_, b_, atomic_load(&(t)->ticks));                \
	} while (0)

static void s_sleeps(struct hk *t)
{
	struct timespec rel = { 0, HK_BOUND_MS * 1000000L }, abs;
	SLEPT(t, "usleep", usleep(HK_BOUND_MS * 1000));
	SLEPT(t, "nanosleep", nanosleep(&rel, NULL));
	SLEPT(t, "clock_nanosleep", clock_nanosleep(CLOCK_MONOTONIC, 0, &rel, NULL));
	clock_gettime(CLOCK_REALTIME, &abs);
	abs.tv_nsec += HK_BOUND_MS * 1000000L;
	if (abs.tv_nsec >= 1000000000L) {
		abs.tv_sec++;
		abs.tv_nsec -= 1000000000L;
	}
	SLEPT(t, "clock_nanosleep TIMER_ABSTIME (CLOCK_REALTIME)",
	      clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &abs, NULL));
}

/* A descriptor closed and its number given to a new socket: the new one is
 * waited on, not the old one's watch (green keeps one per slot). */
static void s_close_reuse(struct hk *t)
{
	for (int round = 0; round < 3; round++) {
		struct peer p;
		char buf[8];
		CHECK(t, pair(t) == 0 && peer_start(&p, t, t->fd[1], PEER_WRITE) == 0, "set-up");
		ssize_t r = read(t->fd[0], buf, sizeof(buf));
		CHECK(t, peer_end(&p) == 0, "the call held the loop: the ticker never moved");
	CHECK(t, r == 5, "round %d: read returned %zd", round, r);
		close(t->fd[0]);
		close(t->fd[1]);
		t->fd[0] = t->fd[1] = -1;
	}
}

/* A library closes a socket that another coroutine is blocked reading (a
 * connection pool shared by coroutines), and a new socket takes its number.
 * The new socket is heard by whoever waits on it, never by the old one's
 * waiter; that waiter ends as a thread's read of a socket closed under it
 * does: at its SO_RCVTIMEO (EAGAIN) if it has one, else (green: the socket
 * is gone) with EBADF, or (uring: its request holds the old socket) with
 * the end of the stream once the old peer closes. */
static void o_read_old(struct hk *t)
{
	char buf[8];
	while (t->fd[0] < 0)
		blk_sleep_us(HK_TICK_US);
	atomic_store(&t->other_parked, 1);
	t->other_r = read(t->fd[0], buf, sizeof(buf));
	t->other_errno = errno;
}

static void close_under_waiter(struct hk *t, int bounded)
{
	struct timeval old_tv = { 0, 4 * HK_BOUND_MS * 1000 }, new_tv = { 2, 0 };
	int sv[2];
	CHECK(t, socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0 &&
			 (!bounded || setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &old_tv,
						 sizeof(old_tv)) == 0),
	      "set-up");
	t->fd[1] = sv[1]; /* the old socket's peer stays open: no EOF ends the wait */
	t->fd[0] = sv[0];
	while (!atomic_load(&t->other_parked))
		blk_sleep_us(HK_TICK_US);
	blk_sleep_us(HK_TICK_US); /* the other coroutine is parked in its read */
	int old = t->fd[0];
	close(old);
	t->fd[0] = -1;
	int nv[2];
	struct peer p;
	CHECK(t, socketpair(AF_UNIX, SOCK_STREAM, 0, nv) == 0, "socketpair: %s", strerror(errno));
	t->fd[0] = nv[0];
	CHECK(t, nv[0] == old, "the new socket did not take the closed one's number (%d, %d)",
	      nv[0], old);
	CHECK(t, setsockopt(nv[0], SOL_SOCKET, SO_RCVTIMEO, &new_tv, sizeof(new_tv)) == 0 &&
			 peer_start(&p, t, nv[1], PEER_WRITE) == 0, "set-up");
	char buf[8];
	ssize_t r = read(nv[0], buf, sizeof(buf));
	int e = errno;
	(void)peer_end(&p);
	close(nv[1]);
	if (!bounded) { /* the old peer goes: a request still on the old socket ends */
		close(t->fd[1]);
		t->fd[1] = -1;
	}
	while (!atomic_load(&t->other_done))
		blk_sleep_us(HK_TICK_US);
	CHECK(t, r == 5, "the new socket's read returned %zd (%s): not heard on the old "
			 "one's number", r, r < 0 ? strerror(e) : "");
	if (bounded)
		CHECK(t, t->other_r == -1 && t->other_errno == EAGAIN,
		      "the read blocked on the closed socket returned %zd (%s): not its bound's "
		      "EAGAIN", t->other_r, t->other_r < 0 ? strerror(t->other_errno) : "bytes");
	else
		CHECK(t, t->other_r == 0 || (t->other_r == -1 && t->other_errno == EBADF),
		      "the unbounded read on the closed socket returned %zd (%s)", t->other_r,
		      t->other_r < 0 ? strerror(t->other_errno) : "bytes");
}

static void s_close_under_bounded(struct hk *t)
{
	close_under_waiter(t, 1);
}

static void s_close_under_unbounded(struct hk *t)
{
	close_under_waiter(t, 0);
}

static void test_read(void **state) { (void)state; run_subject(s_read); }
static void test_receive_variants(void **state) { (void)state; run_subject(s_receive_variants); }
static void test_write_waits(void **state) { (void)state; run_subject(s_write_waits); }
static void test_rcvtimeo(void **state) { (void)state; run_subject(s_rcvtimeo); }
static void test_nonblock_view(void **state) { (void)state; run_subject(s_nonblock_view); }
static void test_connect(void **state) { (void)state; run_subject(s_connect); }
static void test_poll(void **state) { (void)state; run_subject(s_poll); }
static void test_sleeps(void **state) { (void)state; run_subject(s_sleeps); }
static void test_close_reuse(void **state) { (void)state; run_subject(s_close_reuse); }
static void test_edges_runtime(void **state) { (void)state; run_subject(s_edges_runtime); }
static void test_edges_hooked(void **state) { (void)state; run_subject(s_edges_hooked); }

/* Outside a coroutine nothing is adopted: a blocking read is the real one. */
static void test_close_under_bounded(void **state)
{
	(void)state;
	run_subjects(s_close_under_bounded, o_read_old);
}

/* Unbounded, the old code's waiter was never woken: the alarm turns that
 * hang into a failure. */
static void test_close_under_unbounded(void **state)
{
	(void)state;
	alarm(HK_HANG_S);
	run_subjects(s_close_under_unbounded, o_read_old);
	alarm(0);
}

static void test_outside_straight_through(void **state)
{
	(void)state;
	int sv[2];
	char buf[8];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(write(sv[1], "x", 1), 1);
	assert_int_equal(read(sv[0], buf, sizeof(buf)), 1);
	struct timespec z = { 0, 1000 };
	assert_int_equal(nanosleep(&z, NULL), 0);
	close(sv[0]);
	close(sv[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read),
		cmocka_unit_test(test_receive_variants),
		cmocka_unit_test(test_write_waits),
		cmocka_unit_test(test_rcvtimeo),
		cmocka_unit_test(test_nonblock_view),
		cmocka_unit_test(test_connect),
		cmocka_unit_test(test_poll),
		cmocka_unit_test(test_sleeps),
		cmocka_unit_test(test_close_reuse),
		cmocka_unit_test(test_edges_runtime),
		cmocka_unit_test(test_edges_hooked),
		cmocka_unit_test(test_close_under_bounded),
		cmocka_unit_test(test_close_under_unbounded),
		cmocka_unit_test(test_outside_straight_through),
	};
	return cmocka_run_group_tests_name(hk_backend()->name, tests, NULL, NULL);
}
