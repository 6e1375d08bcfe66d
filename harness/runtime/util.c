/*
 * util.c - the usage exit, the descriptor limit, whole reads and writes
 * (util.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

void util_die_usage(const char *prog, const char *msg)
{
	fprintf(stderr, "%s: ", prog);
	for (const char *p = msg; *p; p++)
		fputc((unsigned char)*p < 0x20 || *p == 0x7f ? '?' : *p, stderr);
	fputc('\n', stderr);
	exit(2);
}

rlim_t util_raise_nofile(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return 0;
	if (rl.rlim_max < UTIL_NOFILE_WANTED) {
		struct rlimit want = { UTIL_NOFILE_WANTED, UTIL_NOFILE_WANTED };
		if (setrlimit(RLIMIT_NOFILE, &want) == 0)
			return want.rlim_cur;
	}
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	return getrlimit(RLIMIT_NOFILE, &rl) == 0 ? rl.rlim_cur : 0;
}

int util_read_full(int fd, void *buf, size_t n)
{
	char *p = buf;
	while (n > 0) {
		ssize_t r = read(fd, p, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (r == 0)
				errno = 0;
			return -1;
		}
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

int util_write_full(int fd, const void *buf, size_t n)
{
	const char *p = buf;
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* kind_name - what a file type is, for a refusal. */
static const char *kind_name(mode_t m)
{
	return S_ISDIR(m) ? "a directory" : S_ISSOCK(m) ? "a socket" : S_ISBLK(m) ? "a block device"
		: S_ISFIFO(m) ? "a FIFO" : S_ISCHR(m) ? "a character device" : "not a regular file";
}

int util_open_out(const char *path, int flags)
{
	int fd = open(path, O_WRONLY | flags | O_NONBLOCK | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) != 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

int util_out_check(const char *opt, const char *path, char *err, size_t errlen)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		if (errno == ENOENT)
			return UTIL_OUT_FILE; /* absent: made (the folder is checked by the writer) */
		snprintf(err, errlen, "%s %s: %s", opt, path, strerror(errno));
		return -1;
	}
	if (S_ISREG(st.st_mode))
		return UTIL_OUT_FILE;
	if (S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode))
		return UTIL_OUT_THROUGH; /* not probed: an open and close is EOF to a reader */
	snprintf(err, errlen, "%s %s: %s, not a file: it is never replaced", opt, path,
		 kind_name(st.st_mode));
	return -1;
}
