/*
 * file_read on threads: pread blocks the thread until the block is in (from
 * the page cache, or from the device when cold); the other threads go on.
 */
#include <unistd.h>

#include "../workloads/file_read.h"
#include "threads.h"

static int file_read_task(struct thr_worker *w, uint64_t id, uint64_t *result)
{
	unsigned char block[FILE_READ_BLOCK];
	uint64_t off = file_read_offset(id, w->params->data_bytes);
	if (pread(w->params->data_fd, block, sizeof(block), (off_t)off) != (ssize_t)sizeof(block))
		return 1; /* an I/O error or a short file: counted */
	*result = file_read_digest(id, block);
	return 0;
}

const struct threads_ops threads_file_read = {
	.task = file_read_task,
};
