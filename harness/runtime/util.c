/*
 * util.c - the usage exit, the descriptor limit, whole reads and writes,
 * output files (util.h).
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

int util_out_ready(const char *opt, const char *path, int append, char *err, size_t errlen)
{
	if (!*path) {
		snprintf(err, errlen, "%s needs a file name", opt);
		return -1;
	}
	int how = util_out_check(opt, path, err, errlen);
	if (how != UTIL_OUT_FILE)
		return how; /* refused, or a device or FIFO: not opened here */
	if (append) {
		int fd = util_open_out(path, O_APPEND | O_CREAT);
		if (fd < 0) {
			snprintf(err, errlen, "%s %s: %s", opt, path, strerror(errno));
			return -1;
		}
		close(fd);
		return how;
	}
	char dir[UTIL_PATH_MAX];
	if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir)) {
		snprintf(err, errlen, "%s: path too long", opt);
		return -1;
	}
	char *slash = strrchr(dir, '/');
	if (!slash)
		strcpy(dir, ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	struct stat st;
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode) || access(dir, W_OK | X_OK) != 0) {
		snprintf(err, errlen, "%s: cannot write into the folder of %s", opt, path);
		return -1;
	}
	return how;
}

int util_append(const char *path, const void *buf, size_t n)
{
	int fd = util_open_out(path, O_APPEND | O_CREAT);
	if (fd < 0)
		return -1;
	ssize_t w = write(fd, buf, n);
	int saved = w < 0 ? errno : ENOSPC; /* a short write: the disk filled */
	close(fd);
	errno = saved;
	return w == (ssize_t)n ? 0 : -1;
}

/* write_fd_whole - buf to fd, then fd closed (fsync'd if `sync`).  0, or
 * -1 with errno. */
static int write_fd_whole(int fd, const void *buf, size_t n, int sync)
{
	int bad = util_write_full(fd, buf, n) != 0 || (sync && fsync(fd) != 0);
	int saved = errno;
	if (close(fd) != 0 && !bad) {
		bad = 1;
		saved = errno;
	}
	errno = saved;
	return bad ? -1 : 0;
}

int util_write_whole(const char *path, const void *buf, size_t n)
{
	struct stat st;
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		if (S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode)) {
			int fd = util_open_out(path, 0);
			return fd < 0 ? -1 : write_fd_whole(fd, buf, n, 0);
		}
		errno = S_ISDIR(st.st_mode) ? EISDIR : ENOTSUP;
		return -1;
	}
	char tmp[UTIL_PATH_MAX];
	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	if (write_fd_whole(fd, buf, n, 1) != 0 || rename(tmp, path) != 0) {
		int saved = errno;
		unlink(tmp);
		errno = saved;
		return -1;
	}
	return 0;
}

const char *util_why_lost(int e)
{
	return e == ENXIO ? "a FIFO with no reader" : strerror(e);
}
