/*
 * fileio.c - a whole pread (fileio.h).
 */
#include <errno.h>
#include <sys/types.h>
#include <unistd.h>

#include "fileio.h"

int thr_pread_full(int fd, void *buf, size_t len, uint64_t off)
{
	char *p = buf;
	while (len > 0) {
		ssize_t r = pread(fd, p, len, (off_t)off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r == 0 ? 1 : -1;
		p += r;
		len -= (size_t)r;
		off += (uint64_t)r;
	}
	return 0;
}
