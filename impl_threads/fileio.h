/*
 * fileio.h - a whole pread, for the runtimes whose blk_pread is a plain
 * system call (OS threads; green, where it stalls the loop as async's does).
 */
#ifndef THREADS_FILEIO_H
#define THREADS_FILEIO_H

#include <stddef.h>
#include <stdint.h>

/* thr_pread_full - read exactly len bytes of fd at off (pread, EINTR
 * retried).  0, 1 at end of file, or -1 with errno. */
int thr_pread_full(int fd, void *buf, size_t len, uint64_t off);

#endif
