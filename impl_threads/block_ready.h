/*
 * block_ready.h - blk_recvmsg and blk_sendmsg by readiness, for the
 * runtimes that wait until a socket is ready and then make the call
 * (threads: poll; green: its loop's edge-triggered event).
 */
#ifndef THREADS_BLOCK_READY_H
#define THREADS_BLOCK_READY_H

#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

/*
 * blk_ready_msg - block.h's blk_recvmsg (is_send 0) or blk_sendmsg (1): the
 * call with MSG_DONTWAIT; on EAGAIN, blk_wait_fd and again, until it makes
 * progress or fails, or timeout_us (0: none) runs out from the first wait
 * (-1, errno EAGAIN, as SO_RCVTIMEO counts it).  A single buffer with no
 * address goes as recv/send, anything else as recvmsg/sendmsg.  Cost: one
 * system call when the socket is ready; else two and a wait (and one clock
 * read per wait when bounded).
 */
ssize_t blk_ready_msg(int fd, struct msghdr *msg, int flags, uint64_t timeout_us, int is_send);

#endif
