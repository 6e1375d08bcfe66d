/*
 * threads_block.c - block.h on OS threads (bin/threads only): the plain blocking calls, exactly what the
 * threads model did before the interface existed (clock_nanosleep on
 * CLOCK_MONOTONIC, a blocking connect with net_connect's retries, send and
 * read until done).  The thread sleeps in the kernel; nothing else waits.
 * The calls a hooked library's I/O becomes elsewhere (blk_wait_fd, ...) are
 * here too, for the interface's sake: poll(2) and the readiness loop; on
 * threads a library blocks in its own calls and needs no hook.
 */
#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "../harness/runtime/net.h"
#include "block.h"
#include "block_ready.h"
#include "fileio.h"

void blk_sleep_us(uint64_t us)
{
	struct timespec ts = { (time_t)(us / 1000000), (long)(us % 1000000) * 1000 };
	while (clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &ts) == EINTR)
		;
}

void blk_sleep_from(uint64_t t0_ns, uint64_t us)
{
	blk_sleep_until(t0_ns + us * 1000);
}

void blk_sleep_until(uint64_t t_ns)
{
	struct timespec ts = { .tv_sec = (time_t)(t_ns / 1000000000ULL),
			       .tv_nsec = (long)(t_ns % 1000000000ULL) };
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

int blk_connect(const struct sockaddr_in *addr, char *err, size_t errlen)
{
	return net_connect(addr, 0, err, errlen);
}

int blk_send_all(int fd, const void *buf, size_t len)
{
	return net_write_all(fd, buf, len);
}

int blk_recv_full(int fd, void *buf, size_t len)
{
	return net_read_full(fd, buf, len);
}

int blk_pread(int fd, void *buf, size_t len, uint64_t off)
{
	return thr_pread_full(fd, buf, len, off);
}

int blk_io_timeout(int fd, uint64_t us)
{
	struct timeval tv = { (time_t)(us / 1000000), (suseconds_t)(us % 1000000) };
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) != 0)
		return -1;
	return 0;
}

void blk_close(int fd)
{
	net_close_abort(fd);
}

long blk_recv_some(int fd, void *buf, size_t len)
{
	for (;;) {
		ssize_t r = recv(fd, buf, len, 0);
		if (r >= 0 || errno != EINTR)
			return (long)r;
	}
}

int blk_accept(int lfd)
{
	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd >= 0)
			return fd;
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			struct pollfd p = { .fd = lfd, .events = POLLIN };
			if (poll(&p, 1, -1) < 0 && errno != EINTR)
				return -1;
		} else if (errno != EINTR) {
			return -1;
		}
	}
}

void blk_close_client(int fd, int lingering)
{
	net_close_client(fd, lingering);
}

int blk_wait_fd(int fd, short events, uint64_t timeout_us)
{
	struct pollfd p = { .fd = fd, .events = events };
	int ms = -1;
	if (timeout_us) /* rounded up: never early */
		ms = timeout_us / 1000 >= INT32_MAX ? INT32_MAX : (int)((timeout_us + 999) / 1000);
	int n = poll(&p, 1, ms);
	if (n < 0 && errno == EINTR)
		return 1; /* the caller tries again */
	return n < 0 ? -1 : n > 0;
}

ssize_t blk_recvmsg(int fd, struct msghdr *msg, int flags, uint64_t timeout_us)
{
	return blk_ready_msg(fd, msg, flags, timeout_us, 0);
}

ssize_t blk_sendmsg(int fd, const struct msghdr *msg, int flags, uint64_t timeout_us)
{
	return blk_ready_msg(fd, (struct msghdr *)msg, flags, timeout_us, 1);
}

void blk_fd_closing(int fd)
{
	(void)fd; /* nothing kept per fd */
}
