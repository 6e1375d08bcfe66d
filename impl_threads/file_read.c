/*
 * file_read as blocking code: blk_pread (block.h) waits until the block is
 * in (from the page cache, or from the device when cold).  On threads a
 * pread blocks the thread and the others go on; on green it blocks the
 * loop, as the async pair's pread does; on uring it is a read submission.
 */
#include "../workloads/file_read.h"
#include "block.h"
#include "threads.h"

static int file_read_task(struct thr_worker *w, uint64_t id, uint64_t *result)
{
	unsigned char block[FILE_READ_BLOCK];
	uint64_t off = file_read_offset(id, w->params->data_bytes);
	if (blk_pread(w->params->data_fd, block, sizeof(block), off) != 0)
		return 1; /* an I/O error or a short file: counted */
	*result = file_read_digest(id, block);
	return 0;
}

const struct threads_ops threads_file_read = {
	.task = file_read_task,
};
