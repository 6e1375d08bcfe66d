/*
 * block.h - the waits of blocking-style code, provided by the runtime it runs
 * on.
 *
 * Every impl_threads/ pair (and the rpc helpers) sleeps, connects, sends and
 * receives only through these calls, so the same straight-line code runs on
 * OS threads (impl_threads/threads_block.c: the plain blocking calls), on
 * stackful coroutines over libevent (impl_green/green.c: park the coroutine,
 * arm an event) and over io_uring (impl_green/uring.c: one submission per wait,
 * completed into the coroutine).  Each binary links exactly one
 * implementation.  A call blocks only the task that makes it: the thread, or
 * the coroutine while its loop runs the others.
 *
 * The last four calls (blk_wait_fd, blk_recvmsg, blk_sendmsg,
 * blk_fd_closing) are what a third-party library's own system calls become
 * on the coroutine runtimes: impl_green/hook.c interposes read, write,
 * connect, poll, ... there and calls these, so a library written for
 * blocking sockets (hiredis) parks its coroutine instead of its loop.
 */
#ifndef BLOCK_H
#define BLOCK_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

/* blk_sleep_us - wait us microseconds, timed from a fresh CLOCK_MONOTONIC
 * reading (never a cached one), so the wait is never short. */
void blk_sleep_us(uint64_t us);

/* blk_sleep_from - wait until t0_ns + us microseconds, t0_ns a clock_now_ns
 * reading at or before now: the task's start (w->t_begin_ns), read by the
 * worker as it ended the slot's last task, so the wait costs no clock read
 * of its own and is never short of us from the task's start. */
void blk_sleep_from(uint64_t t0_ns, uint64_t us);

/* blk_sleep_until - wait until CLOCK_MONOTONIC reads t_ns or later (returns
 * at once if it already does). */
void blk_sleep_until(uint64_t t_ns);

/*
 * blk_connect - a TCP connection to addr with net_connect's options and
 * retries (harness/runtime/net.h).  Returns the fd, or -1 with one line in err.  The
 * fd is blocking on threads and uring, non-blocking on green; use it only
 * with the calls below, and release it with blk_close.
 */
int blk_connect(const struct sockaddr_in *addr, char *err, size_t errlen);

/* blk_send_all - send len bytes (MSG_NOSIGNAL).  0, or -1 with errno
 * (EPIPE/ECONNRESET when the peer is gone). */
int blk_send_all(int fd, const void *buf, size_t len);

/* blk_recv_full - receive exactly len bytes.  0, 1 if the peer closed first
 * (errno 0), or -1 with errno. */
int blk_recv_full(int fd, void *buf, size_t len);

/*
 * blk_io_timeout - bound each later blk_send_all and blk_recv_full on fd to
 * us microseconds of waiting (0: no bound).  A wait that runs out fails with
 * errno EAGAIN, as a blocking socket's SO_RCVTIMEO does on threads.  Set once
 * per connection.  0, or -1 with errno.
 */
int blk_io_timeout(int fd, uint64_t us);

/*
 * blk_pread - read exactly len bytes of a regular file at off.  0, 1 at end
 * of file, or -1 with errno.  On threads a pread that blocks the thread; on
 * green a pread too, which blocks the whole loop while the device answers
 * (a regular file is always "ready": no event can say otherwise); on uring
 * one read submission, completed into the coroutine.
 */
int blk_pread(int fd, void *buf, size_t len, uint64_t off);

/* blk_recv_some - receive what has come on fd, up to len bytes, waiting
 * until something has.  The count, 0 if the peer closed its side (or the
 * socket was shut down), or -1 with errno. */
long blk_recv_some(int fd, void *buf, size_t len);

/*
 * blk_accept - a connection from listening socket lfd (non-blocking),
 * waiting until one comes: its fd (non-blocking on green, blocking on
 * threads and uring: use it with the calls above, release it with
 * blk_close_client), or -1 with errno (EINVAL once serve_stop has shut lfd
 * down; EMFILE when descriptors ran out).
 */
int blk_accept(int lfd);

/* blk_close_client - close an fd from blk_accept (net_close_client's
 * lingering rule), after the runtime forgets whatever it kept for it. */
void blk_close_client(int fd, int lingering);

/* blk_close - abortive close of an fd from blk_connect (net_close_abort),
 * after the runtime forgets whatever it kept for it. */
void blk_close(int fd);

/*
 * blk_wait_fd - wait until fd is ready for `events` (poll(2)'s POLLIN,
 * POLLOUT; an error or hang-up counts as ready) or timeout_us microseconds
 * have passed (0: no bound).  1 when woken by readiness, 0 when the bound
 * ran out, -1 with errno if fd cannot be waited on.  Readiness says only
 * that a call may now make progress: the caller tries again.  Threads:
 * poll(2); green: the slot's edge-triggered event (an edge since the
 * caller's last try, so try first, then wait); uring: IORING_OP_POLL_ADD.
 */
int blk_wait_fd(int fd, short events, uint64_t timeout_us);

/*
 * blk_recvmsg - one recvmsg(2) on the socket fd with a blocking socket's
 * meaning, whatever the socket's O_NONBLOCK: it returns once at least one
 * byte (a datagram, the end of the stream, an error) is there, or with -1
 * and errno EAGAIN when timeout_us (0: none) ran out first, as SO_RCVTIMEO
 * says it.  Otherwise what recvmsg returns.  flags are recvmsg's, less
 * MSG_DONTWAIT and MSG_WAITALL (the caller's business).  Threads and green:
 * a try with MSG_DONTWAIT, then blk_wait_fd, again (block_ready.c); uring:
 * one IORING_OP_RECV (or RECVMSG) submission.
 */
ssize_t blk_recvmsg(int fd, struct msghdr *msg, int flags, uint64_t timeout_us);

/* blk_sendmsg - one sendmsg(2) on the socket fd that waits, as blk_recvmsg
 * does, until at least one byte is queued (a short count is possible: the
 * caller sends the rest), or the bound runs out (-1, EAGAIN). */
ssize_t blk_sendmsg(int fd, const struct msghdr *msg, int flags, uint64_t timeout_us);

/* blk_fd_closing - fd is about to be closed by someone else's close(2):
 * the runtime drops whatever it keeps for it (green: the slot's event on it,
 * which would otherwise outlive the fd and miss its number's next owner). */
void blk_fd_closing(int fd);

#endif
