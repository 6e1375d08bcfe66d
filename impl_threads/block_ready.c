/*
 * block_ready.c - blk_recvmsg and blk_sendmsg by readiness (block_ready.h):
 * try, wait for the socket with the runtime's blk_wait_fd, try again.
 *
 * One copy for the runtimes that wait for readiness (threads_block.c,
 * impl_green/green.c); uring has its own, a submission the kernel completes.
 * The try carries MSG_DONTWAIT, so it never blocks whatever the socket's
 * O_NONBLOCK says: a library's blocking socket stays blocking for the
 * library (fcntl reads what it set) while the runtime never sleeps in it.
 */
#include <errno.h>
#include <poll.h>

#include "../harness/runtime/clock.h"
#include "block.h"
#include "block_ready.h"

/* one_try - the call itself, never waiting. */
static ssize_t one_try(int fd, struct msghdr *msg, int flags, int is_send)
{
	flags |= MSG_DONTWAIT;
	if (msg->msg_iovlen == 1 && !msg->msg_name && !msg->msg_control)
		return is_send ? send(fd, msg->msg_iov[0].iov_base, msg->msg_iov[0].iov_len, flags)
			       : recv(fd, msg->msg_iov[0].iov_base, msg->msg_iov[0].iov_len, flags);
	return is_send ? sendmsg(fd, msg, flags) : recvmsg(fd, msg, flags);
}

ssize_t blk_ready_msg(int fd, struct msghdr *msg, int flags, uint64_t timeout_us, int is_send)
{
	uint64_t deadline = 0, left = timeout_us;
	for (;;) {
		ssize_t r = one_try(fd, msg, flags, is_send);
		if (r >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
			return r;
		if (timeout_us) { /* the bound counts from the first wait */
			uint64_t now = clock_now_ns();
			if (!deadline) {
				deadline = now + timeout_us * 1000;
			} else if (now >= deadline) {
				errno = EAGAIN;
				return -1;
			} else {
				left = (deadline - now + 999) / 1000;
			}
		}
		int w = blk_wait_fd(fd, is_send ? POLLOUT : POLLIN, left);
		if (w == 0)
			errno = EAGAIN;
		if (w <= 0)
			return -1;
	}
}
