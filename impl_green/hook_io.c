/*
 * hook_io.c - the hooks' transfers (hook.c says what the hooks are): read,
 * write, readv, writev, recv, recvfrom, recvmsg, send, sendto, sendmsg and
 * _FORTIFY_SOURCE's __read_chk, __recv_chk, __recvfrom_chk.
 *
 * Made by a coroutine on a socket it adopted and wants blocking, a receive
 * is one blk_recvmsg (the runtime's wait: green tries with MSG_DONTWAIT and
 * waits for its loop's edge, uring submits IORING_OP_RECV), bounded by the
 * socket's SO_RCVTIMEO; a send, blk_sendmsg after blk_sendmsg until every
 * byte is queued, as a blocking send does; MSG_WAITALL, the same for a
 * receive.  Anything else, and a call with MSG_DONTWAIT, goes straight
 * through to the real one.
 */
#undef _FORTIFY_SOURCE /* our definitions, not the headers' inline wrappers */

#include <errno.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "../harness/runtime/clock.h"
#include "../impl_threads/block.h"
#include "hook.h"

/* _FORTIFY_SOURCE's checked calls, which a library built with it makes
 * instead (glibc declares them only under fortification). */
ssize_t __read_chk(int fd, void *buf, size_t n, size_t buflen);
ssize_t __recv_chk(int fd, void *buf, size_t n, size_t buflen, int flags);
ssize_t __recvfrom_chk(int fd, void *buf, size_t n, size_t buflen, int flags, __SOCKADDR_ARG addr,
		       socklen_t *alen);
_Noreturn void __chk_fail(void);

#define REAL HOOK_REAL
HOOK_REAL_PTR(read);
HOOK_REAL_PTR(write);
HOOK_REAL_PTR(readv);
HOOK_REAL_PTR(writev);
HOOK_REAL_PTR(recv);
HOOK_REAL_PTR(recvfrom);
HOOK_REAL_PTR(recvmsg);
HOOK_REAL_PTR(send);
HOOK_REAL_PTR(sendto);
HOOK_REAL_PTR(sendmsg);

/* hook_io_resolve - this file's real functions, before main (hook.c's
 * hook_resolve says why). */
__attribute__((constructor)) static void hook_io_resolve(void)
{
	(void)REAL(read), (void)REAL(write), (void)REAL(readv), (void)REAL(writev);
	(void)REAL(recv), (void)REAL(recvfrom), (void)REAL(recvmsg), (void)REAL(send);
	(void)REAL(sendto), (void)REAL(sendmsg);
}

/* whole - send all of m's bytes (or, MSG_WAITALL, receive them all), one
 * blk_sendmsg (blk_recvmsg) after another, within one bound from the
 * start, as a blocking call does: the count so far when a later step fails,
 * the bound runs out or the stream ends; -1 with errno if the first does.
 * m's iovecs are left as they were; its address goes with the first step. */
static ssize_t whole(int fd, struct msghdr *m, int flags, uint64_t us, int is_send)
{
	uint64_t deadline = us ? clock_now_ns() + us * 1000 : 0, left = us;
	struct msghdr rest = { 0 };
	struct iovec part;
	struct msghdr *cur = m;
	size_t i = 0, off = 0, done = 0;
	for (;;) {
		ssize_t r = is_send ? blk_sendmsg(fd, cur, flags, left) : blk_recvmsg(fd, cur, flags, left);
		if (r < 0 || (r == 0 && !is_send))
			return done ? (ssize_t)done : r;
		done += (size_t)r;
		for (off += (size_t)r; i < m->msg_iovlen && off >= m->msg_iov[i].iov_len; i++)
			off -= m->msg_iov[i].iov_len;
		if (i == m->msg_iovlen)
			return (ssize_t)done;
		/* The rest: what is left of iovec i, alone, or i onwards. */
		cur = &rest;
		if (off) {
			part.iov_base = (char *)m->msg_iov[i].iov_base + off;
			part.iov_len = m->msg_iov[i].iov_len - off;
			rest.msg_iov = &part;
			rest.msg_iovlen = 1;
		} else {
			rest.msg_iov = m->msg_iov + i;
			rest.msg_iovlen = m->msg_iovlen - i;
		}
		if (deadline) {
			uint64_t now = clock_now_ns();
			if (now >= deadline)
				return (ssize_t)done;
			left = (deadline - now + 999) / 1000;
		}
	}
}

/* in - a blocking receive on an adopted socket, h its entry. */
static ssize_t in(int fd, struct hook_fd *h, struct msghdr *m, int flags)
{
	uint64_t us = atomic_load_explicit(&h->rcv_us, memory_order_relaxed);
	if (flags & MSG_WAITALL)
		return whole(fd, m, flags & ~MSG_WAITALL, us, 0);
	return blk_recvmsg(fd, m, flags, us);
}

/* out - a blocking send on an adopted socket: every byte, as one would. */
static ssize_t out(int fd, struct hook_fd *h, const struct msghdr *m, int flags)
{
	return whole(fd, (struct msghdr *)m, flags,
		     atomic_load_explicit(&h->snd_us, memory_order_relaxed), 1);
}

/* one_buf - a message of one buffer and, if addr, an address. */
static struct msghdr one_buf(struct iovec *iov, void *buf, size_t n, void *addr, socklen_t alen)
{
	iov->iov_base = buf;
	iov->iov_len = n;
	return (struct msghdr){ .msg_name = addr, .msg_namelen = addr ? alen : 0, .msg_iov = iov,
				.msg_iovlen = 1 };
}

ssize_t read(int fd, void *buf, size_t n)
{
	struct hook_fd *h = hook_blocking(fd);
	if (!h)
		return REAL(read)(fd, buf, n);
	struct iovec iov;
	struct msghdr m = one_buf(&iov, buf, n, NULL, 0);
	return in(fd, h, &m, 0);
}

ssize_t write(int fd, const void *buf, size_t n)
{
	struct hook_fd *h = hook_blocking(fd);
	if (!h)
		return REAL(write)(fd, buf, n);
	struct iovec iov;
	struct msghdr m = one_buf(&iov, (void *)buf, n, NULL, 0);
	return out(fd, h, &m, 0);
}

ssize_t readv(int fd, const struct iovec *iov, int cnt)
{
	struct hook_fd *h = hook_blocking(fd);
	if (!h || cnt <= 0)
		return REAL(readv)(fd, iov, cnt);
	struct msghdr m = { .msg_iov = (struct iovec *)iov, .msg_iovlen = (size_t)cnt };
	return in(fd, h, &m, 0);
}

ssize_t writev(int fd, const struct iovec *iov, int cnt)
{
	struct hook_fd *h = hook_blocking(fd);
	if (!h || cnt <= 0)
		return REAL(writev)(fd, iov, cnt);
	struct msghdr m = { .msg_iov = (struct iovec *)iov, .msg_iovlen = (size_t)cnt };
	return out(fd, h, &m, 0);
}

/* A call with MSG_DONTWAIT asked not to wait: straight through. */
ssize_t recv(int fd, void *buf, size_t n, int flags)
{
	struct hook_fd *h = flags & MSG_DONTWAIT ? NULL : hook_blocking(fd);
	if (!h)
		return REAL(recv)(fd, buf, n, flags);
	struct iovec iov;
	struct msghdr m = one_buf(&iov, buf, n, NULL, 0);
	return in(fd, h, &m, flags);
}

ssize_t recvfrom(int fd, void *buf, size_t n, int flags, __SOCKADDR_ARG addr, socklen_t *alen)
{
	struct hook_fd *h = flags & MSG_DONTWAIT ? NULL : hook_blocking(fd);
	if (!h)
		return REAL(recvfrom)(fd, buf, n, flags, addr, alen);
	struct iovec iov;
	struct msghdr m = one_buf(&iov, buf, n, alen ? addr.__sockaddr__ : NULL, alen ? *alen : 0);
	ssize_t r = in(fd, h, &m, flags);
	if (r >= 0 && alen)
		*alen = m.msg_namelen;
	return r;
}

ssize_t recvmsg(int fd, struct msghdr *m, int flags)
{
	struct hook_fd *h = flags & MSG_DONTWAIT ? NULL : hook_blocking(fd);
	return h ? in(fd, h, m, flags) : REAL(recvmsg)(fd, m, flags);
}

ssize_t send(int fd, const void *buf, size_t n, int flags)
{
	struct hook_fd *h = flags & MSG_DONTWAIT ? NULL : hook_blocking(fd);
	if (!h)
		return REAL(send)(fd, buf, n, flags);
	struct iovec iov;
	struct msghdr m = one_buf(&iov, (void *)buf, n, NULL, 0);
	return out(fd, h, &m, flags);
}

ssize_t sendto(int fd, const void *buf, size_t n, int flags, __CONST_SOCKADDR_ARG addr,
	       socklen_t alen)
{
	struct hook_fd *h = flags & MSG_DONTWAIT ? NULL : hook_blocking(fd);
	if (!h)
		return REAL(sendto)(fd, buf, n, flags, addr, alen);
	struct iovec iov;
	struct msghdr m = one_buf(&iov, (void *)buf, n, (void *)addr.__sockaddr__, alen);
	return out(fd, h, &m, flags);
}

ssize_t sendmsg(int fd, const struct msghdr *m, int flags)
{
	struct hook_fd *h = flags & MSG_DONTWAIT ? NULL : hook_blocking(fd);
	return h ? out(fd, h, m, flags) : REAL(sendmsg)(fd, m, flags);
}

ssize_t __read_chk(int fd, void *buf, size_t n, size_t buflen)
{
	if (n > buflen)
		__chk_fail();
	return read(fd, buf, n);
}

ssize_t __recv_chk(int fd, void *buf, size_t n, size_t buflen, int flags)
{
	if (n > buflen)
		__chk_fail();
	return recv(fd, buf, n, flags);
}

ssize_t __recvfrom_chk(int fd, void *buf, size_t n, size_t buflen, int flags, __SOCKADDR_ARG addr,
		       socklen_t *alen)
{
	if (n > buflen)
		__chk_fail();
	return recvfrom(fd, buf, n, flags, addr, alen);
}
