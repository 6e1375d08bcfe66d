/*
 * hook.c - a blocking library's own system calls, made to park its
 * coroutine instead of its loop (bin/green, bin/uring).
 *
 * A library written for blocking sockets (hiredis's blocking API: a connect
 * bounded by poll, then write and read) makes its system calls itself; on a
 * loop, each would put the thread to sleep with every coroutine on it.  This
 * file defines those functions in the model binary, so the dynamic linker
 * binds the library's references to ours (symbol interposition, as Capriccio
 * and Tencent's libco do).  Each calls the real one straight through unless
 * a coroutine calls it on a socket it adopted; then it waits the runtime's
 * way (block.h: blk_recvmsg, blk_sendmsg, blk_wait_fd: a libevent edge on
 * green, a submission on uring) and returns what the blocking call would.
 * The real one is the next definition: a sanitizer's interceptor when one is
 * linked in (so ASan and TSan still see the call), else libc's.
 *
 * Adopted: a socket made by socket or socketpair inside a coroutine.  Per fd
 * the table keeps what the library asked for: O_NONBLOCK (SOCK_NONBLOCK,
 * fcntl F_SETFL, ioctl FIONBIO; then its calls go straight through and it
 * gets the EAGAIN it expects) and SO_RCVTIMEO / SO_SNDTIMEO (the bound of a
 * call's waits, EAGAIN when it runs out, as the kernel says it).  The
 * socket's own O_NONBLOCK is left as the library set it (but for the instant
 * of a connect): the runtime's tries carry MSG_DONTWAIT instead, so
 * fcntl(F_GETFL) reads back what the library wrote, with no emulation.
 *
 * This file: the descriptor table, the sockets' set-up, connect, poll and
 * the sleeps; hook_io.c: the transfers.  Not hooked: accept, dup, select,
 * ppoll, epoll, pipes and files, the calls libc makes inside itself (its
 * resolver's).  A blocking call that is not hooked is caught by the
 * watchdog (watchdog.c), which fails the run naming it; a hooked call in a
 * shape the hooks do not handle (poll on several descriptors) fails the run
 * here, naming it.  README: "Blocking libraries on coroutines".
 */
#undef _FORTIFY_SOURCE /* our definitions, not the headers' inline wrappers */

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../harness/runtime/clock.h"
#include "../harness/runtime/model.h"
#include "../impl_threads/block.h"
#include "coro.h"
#include "hook.h"

#define HOOK_PAGE_FDS 1024 /* descriptors per page of the table */
#define HOOK_PAGES 1024    /* pages: descriptors below 1,048,576 (Linux's default nr_open) */
#define HOOK_ADOPTED 1u    /* flags: a socket made in a coroutine */
#define HOOK_NONBLOCK 2u   /* flags: the library asked for O_NONBLOCK */
#define HOOK_WHY_MAX 200   /* a failure's words */

/* _FORTIFY_SOURCE's checked poll, which a library built with it calls
 * instead (glibc declares it only under fortification). */
int __poll_chk(struct pollfd *fds, nfds_t n, int timeout, size_t fdslen);
_Noreturn void __chk_fail(void);

/* The table, by descriptor: pages made on first use, never freed.  Relaxed
 * atomics: a descriptor is used by one thread at a time, but its number
 * passes from one loop to another through close and socket. */
static struct hook_fd *_Atomic hook_pages[HOOK_PAGES];

#define REAL HOOK_REAL
HOOK_REAL_PTR(socket);
HOOK_REAL_PTR(socketpair);
HOOK_REAL_PTR(close);
static int (*real_fcntl)(int, int, ...);   /* fcntl's own symbol: the headers name */
static int (*real_fcntl64)(int, int, ...); /* it fcntl64 under _FILE_OFFSET_BITS=64 */
HOOK_REAL_PTR(ioctl);
HOOK_REAL_PTR(setsockopt);
HOOK_REAL_PTR(connect);
HOOK_REAL_PTR(poll);
HOOK_REAL_PTR(nanosleep);
HOOK_REAL_PTR(clock_nanosleep);
HOOK_REAL_PTR(usleep);
HOOK_REAL_PTR(sleep);

void *hook_real(void **slot, const char *name)
{
	if (*slot)
		return *slot;
	/* The interceptor's name: clang before 17, then clang 17 on. */
	static const char *const prefixes[] = { "__interceptor_", "___interceptor_" };
	void *f = NULL;
	for (size_t i = 0; !f && i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		char alias[64];
		snprintf(alias, sizeof(alias), "%s%s", prefixes[i], name);
		f = dlsym(RTLD_DEFAULT, alias);
	}
	if (!f)
		f = dlsym(RTLD_NEXT, name);
	if (!f) {
		fprintf(stderr, "hook: no definition of %s after ours\n", name);
		abort();
	}
	return *slot = f;
}

/* hook_resolve - this file's real functions, before main: a signal
 * handler's write must not be the first call (dlsym is not
 * async-signal-safe). */
__attribute__((constructor)) static void hook_resolve(void)
{
	(void)REAL(socket), (void)REAL(socketpair), (void)REAL(close), (void)REAL(fcntl);
	(void)REAL(fcntl64), (void)REAL(ioctl), (void)REAL(setsockopt), (void)REAL(connect);
	(void)REAL(poll), (void)REAL(nanosleep), (void)REAL(clock_nanosleep), (void)REAL(usleep);
	(void)REAL(sleep);
}

/* hook_fail - a hooked call the hooks cannot make without blocking the
 * loop: the run fails naming it. */
static _Noreturn void hook_fail(const char *why)
{
	char line[HOOK_WHY_MAX];
	snprintf(line, sizeof(line), "a coroutine called %s, which the hooks cannot wait on "
				     "(impl_green/hook.c): it would block its loop", why);
	run_fail_now(line);
}

/* fd_entry - fd's entry, made if `make` (else NULL where there is none). */
static struct hook_fd *fd_entry(int fd, int make)
{
	if (fd < 0 || fd >= HOOK_PAGES * HOOK_PAGE_FDS)
		return NULL;
	struct hook_fd *_Atomic *slot = &hook_pages[fd / HOOK_PAGE_FDS];
	struct hook_fd *page = atomic_load_explicit(slot, memory_order_acquire);
	if (!page && make) {
		struct hook_fd *fresh = calloc(HOOK_PAGE_FDS, sizeof(*fresh));
		if (!fresh)
			hook_fail("socket with no memory left for the hooks' table");
		if (atomic_compare_exchange_strong_explicit(slot, &page, fresh, memory_order_acq_rel,
							    memory_order_acquire))
			page = fresh;
		else
			free(fresh); /* another thread made it first: page is theirs */
	}
	return page ? &page[fd % HOOK_PAGE_FDS] : NULL;
}

/* note_socket - a new socket fd: adopted if a coroutine made it; else any
 * stale entry of its number (closed behind our back) is cleared. */
static void note_socket(int fd, int type)
{
	int mine = coro_self() != NULL;
	struct hook_fd *h = fd_entry(fd, mine);
	if (!h)
		return;
	atomic_store_explicit(&h->rcv_us, 0, memory_order_relaxed);
	atomic_store_explicit(&h->snd_us, 0, memory_order_relaxed);
	unsigned f = mine ? HOOK_ADOPTED | (type & SOCK_NONBLOCK ? HOOK_NONBLOCK : 0) : 0;
	atomic_store_explicit(&h->flags, f, memory_order_relaxed);
}

/* adopted - fd's entry if it is an adopted socket, else NULL. */
static struct hook_fd *adopted(int fd)
{
	struct hook_fd *h = fd_entry(fd, 0);
	return h && (atomic_load_explicit(&h->flags, memory_order_relaxed) & HOOK_ADOPTED) ? h : NULL;
}

struct hook_fd *hook_blocking(int fd)
{
	if (!coro_self())
		return NULL;
	struct hook_fd *h = adopted(fd);
	return h && !(atomic_load_explicit(&h->flags, memory_order_relaxed) & HOOK_NONBLOCK) ? h
												 : NULL;
}

/* note_nonblock - the library set or cleared O_NONBLOCK on fd. */
static void note_nonblock(int fd, int on)
{
	struct hook_fd *h = adopted(fd);
	if (!h)
		return;
	if (on)
		atomic_fetch_or_explicit(&h->flags, HOOK_NONBLOCK, memory_order_relaxed);
	else
		atomic_fetch_and_explicit(&h->flags, ~HOOK_NONBLOCK, memory_order_relaxed);
}

static uint64_t tv_us(const struct timeval *tv)
{
	return (uint64_t)tv->tv_sec * 1000000u + (uint64_t)tv->tv_usec;
}

/* ---- sockets made, configured, closed ---- */

int socket(int domain, int type, int protocol)
{
	int fd = REAL(socket)(domain, type, protocol);
	if (fd >= 0)
		note_socket(fd, type);
	return fd;
}

int socketpair(int domain, int type, int protocol, int sv[2])
{
	int rc = REAL(socketpair)(domain, type, protocol, sv);
	if (rc == 0) {
		note_socket(sv[0], type);
		note_socket(sv[1], type);
	}
	return rc;
}

int close(int fd)
{
	struct hook_fd *h = adopted(fd);
	if (h) {
		if (coro_self())
			blk_fd_closing(fd); /* the runtime's watch on it goes first */
		atomic_store_explicit(&h->flags, 0, memory_order_relaxed);
	}
	return REAL(close)(fd);
}

/* fcntl_note - fcntl or fcntl64 by `real`, noting what F_SETFL sets. */
static int fcntl_note(int (*real)(int, int, ...), int fd, int cmd, void *arg)
{
	int rc = real(fd, cmd, arg);
	if (rc != -1 && cmd == F_SETFL)
		note_nonblock(fd, ((int)(intptr_t)arg & O_NONBLOCK) != 0);
	return rc;
}

/* Both symbols, fcntl and fcntl64 (a library built with 64-bit file
 * offsets calls the second), by asm name: the headers may redirect the
 * first to the second.  The argument, whatever cmd takes, is read as
 * glibc's own fcntl reads it. */
int hook_fcntl(int fd, int cmd, ...) __asm__("fcntl");
int hook_fcntl64(int fd, int cmd, ...) __asm__("fcntl64");

int hook_fcntl(int fd, int cmd, ...)
{
	va_list ap;
	va_start(ap, cmd);
	void *arg = va_arg(ap, void *);
	va_end(ap);
	return fcntl_note(REAL(fcntl), fd, cmd, arg);
}

int hook_fcntl64(int fd, int cmd, ...)
{
	va_list ap;
	va_start(ap, cmd);
	void *arg = va_arg(ap, void *);
	va_end(ap);
	return fcntl_note(REAL(fcntl64), fd, cmd, arg);
}

int ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	va_start(ap, req);
	void *arg = va_arg(ap, void *);
	va_end(ap);
	int rc = REAL(ioctl)(fd, req, arg);
	if (rc != -1 && req == FIONBIO && arg)
		note_nonblock(fd, *(const int *)arg != 0);
	return rc;
}

int setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
	int rc = REAL(setsockopt)(fd, level, name, val, len);
	struct hook_fd *h;
	if (rc == 0 && level == SOL_SOCKET && (name == SO_RCVTIMEO || name == SO_SNDTIMEO) &&
	    len >= sizeof(struct timeval) && (h = adopted(fd)))
		atomic_store_explicit(name == SO_RCVTIMEO ? &h->rcv_us : &h->snd_us, tv_us(val),
				      memory_order_relaxed);
	return rc;
}

/* ---- connect and poll: waits for readiness ---- */

/* A blocking connect: started non-blocking (the only moment the socket's
 * own flag is changed), then a wait for writability bounded by
 * SO_SNDTIMEO (EINPROGRESS when it runs out, as the kernel says it), then
 * the outcome from SO_ERROR. */
int connect(int fd, __CONST_SOCKADDR_ARG addr, socklen_t len)
{
	struct hook_fd *h = hook_blocking(fd);
	if (!h)
		return REAL(connect)(fd, addr, len);
	int fl = REAL(fcntl)(fd, F_GETFL);
	if (fl == -1 || REAL(fcntl)(fd, F_SETFL, fl | O_NONBLOCK) == -1)
		return -1;
	int rc = REAL(connect)(fd, addr, len), e = errno;
	if (REAL(fcntl)(fd, F_SETFL, fl) == -1)
		hook_fail("connect on a socket whose O_NONBLOCK could not be restored");
	errno = e;
	if (rc == 0 || e != EINPROGRESS)
		return rc;
	int w = blk_wait_fd(fd, POLLOUT, atomic_load_explicit(&h->snd_us, memory_order_relaxed));
	if (w <= 0) {
		if (w == 0)
			errno = EINPROGRESS;
		return -1;
	}
	int soe = 0;
	socklen_t sl = sizeof(soe);
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soe, &sl) != 0)
		return -1;
	if (soe) {
		errno = soe;
		return -1;
	}
	return 0;
}

/* poll with a timeout in a coroutine: a look first (timeout 0); if nothing
 * is ready, the one descriptor's wait, the runtime's way, then a look to
 * fill revents, until something is ready or the timeout has passed. */
int poll(struct pollfd *fds, nfds_t n, int timeout)
{
	if (timeout == 0 || !coro_self())
		return REAL(poll)(fds, n, timeout);
	int r = REAL(poll)(fds, n, 0);
	if (r != 0)
		return r;
	struct pollfd *one = NULL;
	nfds_t live = 0;
	for (nfds_t i = 0; i < n; i++)
		if (fds[i].fd >= 0) {
			one = &fds[i];
			live++;
		}
	if (live > 1)
		hook_fail("poll on several descriptors");
	uint64_t us = timeout > 0 ? (uint64_t)timeout * 1000 : 0;
	uint64_t deadline = us ? clock_now_ns() + us * 1000 : 0;
	if (!one) { /* a sleep */
		if (!us)
			hook_fail("poll with no descriptor and no timeout (it never returns)");
		blk_sleep_until(deadline);
		return 0;
	}
	for (;;) {
		int w = blk_wait_fd(one->fd, one->events, us);
		if (w <= 0)
			return w;
		if ((r = REAL(poll)(fds, n, 0)) != 0)
			return r;
		if (deadline) { /* woken, yet not ready: wait out the rest */
			uint64_t now = clock_now_ns();
			if (now >= deadline)
				return 0;
			us = (deadline - now + 999) / 1000;
		}
	}
}

int __poll_chk(struct pollfd *fds, nfds_t n, int timeout, size_t fdslen)
{
	if (fdslen / sizeof(*fds) < n)
		__chk_fail();
	return poll(fds, n, timeout);
}

/* ---- sleeps: a coroutine's is the runtime's (a timer, never the FIFO of
 * one length: a library's back-off has lengths of its own) ---- */

/* sleep_ns - a coroutine sleeps ns nanoseconds from now (rounded up to a
 * microsecond: never early). */
static void sleep_ns(uint64_t ns)
{
	if (ns)
		blk_sleep_until(clock_now_ns() + (ns + 999) / 1000 * 1000);
}

static int ts_bad(const struct timespec *ts)
{
	return ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= 1000000000L;
}

static uint64_t ts_ns(const struct timespec *ts)
{
	return (uint64_t)ts->tv_sec * 1000000000u + (uint64_t)ts->tv_nsec;
}

int nanosleep(const struct timespec *req, struct timespec *rem)
{
	if (!coro_self())
		return REAL(nanosleep)(req, rem);
	if (ts_bad(req)) {
		errno = EINVAL;
		return -1;
	}
	sleep_ns(ts_ns(req));
	return 0;
}

/* An absolute deadline on another clock than CLOCK_MONOTONIC is turned into
 * a length from that clock's now (a wall-clock step meanwhile is not seen). */
int clock_nanosleep(clockid_t clk, int flags, const struct timespec *req, struct timespec *rem)
{
	if (!coro_self())
		return REAL(clock_nanosleep)(clk, flags, req, rem);
	struct timespec now;
	if (ts_bad(req) || clock_gettime(clk, &now) != 0)
		return EINVAL;
	if (!(flags & TIMER_ABSTIME))
		sleep_ns(ts_ns(req));
	else if (clk == CLOCK_MONOTONIC)
		blk_sleep_until(ts_ns(req));
	else if (ts_ns(req) > ts_ns(&now))
		sleep_ns(ts_ns(req) - ts_ns(&now));
	return 0;
}

int usleep(useconds_t us)
{
	if (!coro_self())
		return REAL(usleep)(us);
	sleep_ns((uint64_t)us * 1000);
	return 0;
}

unsigned int sleep(unsigned int s)
{
	if (!coro_self())
		return REAL(sleep)(s);
	sleep_ns((uint64_t)s * 1000000000u);
	return 0;
}
