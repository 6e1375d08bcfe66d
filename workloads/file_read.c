/*
 * file_read.c - tasks that read a file, the third kind of I/O the advice
 * names ("a file system operation").  A regular file is always "ready" to
 * epoll, so an event loop cannot wait for it: plain async reads it on the
 * loop (the loop stalls for the device's latency: the finding), the hybrid
 * sends the read to its pool, threads block in pread.  Warm (the file in the
 * page cache) a read is a memory copy; cold (--cache cold) it reaches the
 * device.  Flash (USENIX 1999) and Tokio's documentation both say a loop
 * gives no advantage for files; the report checks it here.
 */
#include <string.h>

#include "file_read.h"
#include "workload.h"

#define OFFSET_SEED 0x66696c6572656164ULL /* "fileread": spreads ids over blocks */
#define WORDS (FILE_READ_BLOCK / 8)

uint64_t file_read_offset(uint64_t id, uint64_t bytes)
{
	uint64_t blocks = bytes / FILE_READ_BLOCK;
	return (wl_fold(id, OFFSET_SEED) % (blocks ? blocks : 1)) * FILE_READ_BLOCK;
}

uint64_t file_read_digest(uint64_t id, const unsigned char *block)
{
	uint64_t h = 0;
	for (unsigned i = 0; i < WORDS; i++) {
		uint64_t w;
		memcpy(&w, block + 8 * i, 8);
		h += w * (2 * (uint64_t)i + 1); /* odd weights: a moved word counts */
	}
	return wl_fold(id, h) >> 1; /* 63 bits: never UINT64_MAX */
}

const struct wl_info wl_info_file_read = {
	.name = "file_read",
	.kind = WL_IO,
	.summary = "File I/O: each task preads one 4 KiB block at a pseudo-random offset of a "
		   "data file (--file-mib, --data-dir; --cache warm|cold)",
	.default_work = 0,
	.default_delay_us = 0,
	.peer = WL_PEER_NONE,
	.opts = WL_OPT_DATA_FILE,
	.max_concurrency = FILE_READ_MAX_CONCURRENCY,
	/* No floor: a read's cost is the page cache's or the device's, which
	 * calibration does not measure. */
	.floor = { .declared = 0 },
	.claims = "files",
};
