/*
 * file_read.h - a pair that reads real files: each task reads one 4 KiB
 * block of the data file (harness/runtime/data_file.h) at an offset taken
 * from its id, and folds a digest of the block into the checksum.
 */
#ifndef FILE_READ_H
#define FILE_READ_H

#include <stdint.h>

#define FILE_READ_BLOCK 4096        /* bytes per task: one page */
#define FILE_READ_MAX_CONCURRENCY 1024 /* the sweep's top level: a device queue, not sockets */

/*
 * file_read_offset - where task `id` reads: a block-aligned offset spread
 * pseudo-randomly (from the id) over a file of `bytes` bytes, so neither the
 * page cache's neighbours nor readahead favour a model.
 * Cost: one multiply-xor mix and a modulo.
 */
uint64_t file_read_offset(uint64_t id, uint64_t bytes);

/*
 * file_read_digest - task `id`'s result from the FILE_READ_BLOCK bytes it
 * read: every word of the block, weighted by its position, so a block read
 * from the wrong offset, or cut short, changes the checksum.  Never returns
 * UINT64_MAX (the async side's "this task failed", ASYNC_CPU_ERROR).
 * Cost: 512 independent multiply-adds (~0.1-0.2 us).
 */
uint64_t file_read_digest(uint64_t id, const unsigned char *block);

#endif
