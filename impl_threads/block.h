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
 */
#ifndef BLOCK_H
#define BLOCK_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

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

#endif
