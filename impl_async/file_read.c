/*
 * file_read on a libevent loop.  A regular file is always "ready" (epoll
 * refuses it; poll says readable at once), so there is nothing to wait for
 * on the loop: the honest callback version preads right there, and the
 * loop stalls for as long as the read takes -- a memory copy when the file
 * is cached, the device's latency when it is not.  The read is the task's
 * blocking part, so it goes through async_cpu() (async_ready_*): on plain
 * async it runs on the loop (the stall, measured), on the hybrid
 * (--workers) on the pool, which is how libuv and Tokio run file I/O.
 */
#include <unistd.h>

#include "../workloads/file_read.h"
#include "async.h"

/* file_read_io - the read and its digest; on the loop or on a pool thread. */
static uint64_t file_read_io(const struct async_slot *s, uint64_t arg)
{
	(void)arg;
	unsigned char block[FILE_READ_BLOCK];
	uint64_t off = file_read_offset(s->task_id, s->params->data_bytes);
	if (pread(s->params->data_fd, block, sizeof(block), (off_t)off) != (ssize_t)sizeof(block))
		return ASYNC_CPU_ERROR; /* counted, as a task returning 1 on threads */
	return file_read_digest(s->task_id, block);
}

static int file_read_slot_init(struct async_slot *s, char *err, size_t errlen)
{
	return async_ready_slot_init(s, file_read_io, err, errlen);
}

const struct async_ops async_file_read = {
	.slot_init = file_read_slot_init,
	.task_start = async_ready_task_start,
	.slot_fini = async_ready_slot_fini,
};
