/*
 * data_file.c - make, reuse and cache-prepare the data file of file pairs.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "data_file.h"

#define DATA_SEED 0x7476736164617461ULL /* "tvsadata": the content's seed */
#define CHUNK_BYTES (1u << 20)         /* write and warm in 1 MiB pieces */
#define SPACE_SLACK_MIB 64             /* leave this much free beyond the file */
#define MIB (1024ULL * 1024ULL)
#define COLD_MAX_CACHED_PCT 50.0       /* --cache cold: more still cached after the drop
					  is not cold (tmpfs keeps every page) */

uint64_t data_file_word(uint64_t k)
{
	return wl_fold(k, DATA_SEED);
}

/* put_words - the content of bytes [off, off + len) (len a multiple of 8). */
static void put_words(unsigned char *buf, uint64_t off, size_t len)
{
	for (size_t i = 0; i < len; i += 8) {
		uint64_t w = data_file_word((off + i) / 8);
		for (int b = 0; b < 8; b++)
			buf[i + (size_t)b] = (unsigned char)(w >> (8 * b));
	}
}

/* mkdir_p - make dir and its parents.  0, or -1 with errno. */
static int mkdir_p(const char *dir)
{
	char p[4096];
	if (snprintf(p, sizeof(p), "%s", dir) >= (int)sizeof(p)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) != 0 && errno != EEXIST)
			return -1;
		*s = '/';
	}
	return mkdir(p, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

/* looks_right - the file at fd has the size and the content of its first and
 * last words: a file left by an older generator or cut short is remade. */
static int looks_right(int fd, uint64_t bytes)
{
	struct stat st;
	if (fstat(fd, &st) != 0 || (uint64_t)st.st_size != bytes)
		return 0;
	unsigned char got[8], want[8];
	uint64_t offs[2] = { 0, bytes - 8 };
	for (int i = 0; i < 2; i++) {
		put_words(want, offs[i], 8);
		if (pread(fd, got, 8, (off_t)offs[i]) != 8 || memcmp(got, want, 8) != 0)
			return 0;
	}
	return 1;
}

/* make_file - write the file under a temporary name, fsync, rename.
 * 0, or -1 with err set. */
static int make_file(const char *dir, const char *path, uint64_t bytes, char *err,
		     size_t errlen)
{
	struct statvfs vfs;
	if (statvfs(dir, &vfs) != 0) {
		snprintf(err, errlen, "--data-dir %s: %s", dir, strerror(errno));
		return -1;
	}
	uint64_t avail = (uint64_t)vfs.f_bavail * vfs.f_frsize;
	if (avail < bytes + SPACE_SLACK_MIB * MIB) {
		snprintf(err, errlen,
			 "--data-dir %s: %llu MiB free, the data file needs %llu MiB (--file-mib) "
			 "and %d to spare", dir, (unsigned long long)(avail / MIB),
			 (unsigned long long)(bytes / MIB), SPACE_SLACK_MIB);
		return -1;
	}
	char tmp[4200];
	snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		snprintf(err, errlen, "--data-dir: cannot create %s: %s", tmp, strerror(errno));
		return -1;
	}
	unsigned char *buf = malloc(CHUNK_BYTES);
	int rc = buf ? 0 : -1;
	for (uint64_t off = 0; rc == 0 && off < bytes; off += CHUNK_BYTES) {
		put_words(buf, off, CHUNK_BYTES);
		size_t done = 0;
		while (done < CHUNK_BYTES) {
			ssize_t w = pwrite(fd, buf + done, CHUNK_BYTES - done, (off_t)(off + done));
			if (w <= 0) {
				rc = -1;
				break;
			}
			done += (size_t)w;
		}
	}
	/* fsync: the pages must be clean, or a cold run's DONTNEED keeps them. */
	if (rc == 0 && fsync(fd) != 0)
		rc = -1;
	int saved = errno;
	free(buf);
	close(fd);
	if (rc == 0 && rename(tmp, path) != 0) {
		saved = errno;
		rc = -1;
	}
	if (rc != 0) {
		unlink(tmp);
		snprintf(err, errlen, "--data-dir: writing %s: %s", path,
			 buf ? strerror(saved) : "out of memory");
	}
	return rc;
}

/* fs_name - the file system's name from statfs's magic number. */
static void fs_name(int fd, char *out, size_t len)
{
	static const struct {
		unsigned long magic;
		const char *name;
	} known[] = {
		{ 0xEF53, "ext4" },       { 0x58465342, "xfs" },    { 0x9123683E, "btrfs" },
		{ 0x01021994, "tmpfs" },  { 0x794c7630, "overlay" }, { 0x6969, "nfs" },
		{ 0x2fc12fc1, "zfs" },    { 0xF2F52010, "f2fs" },    { 0x65735546, "fuse" },
	};
	struct statfs sf;
	if (fstatfs(fd, &sf) != 0) {
		snprintf(out, len, "unknown");
		return;
	}
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		if ((unsigned long)sf.f_type == known[i].magic) {
			snprintf(out, len, "%s", known[i].name);
			return;
		}
	}
	snprintf(out, len, "0x%lx", (unsigned long)sf.f_type);
}

/* cached_pct - how much of the file is in the page cache (mincore over a
 * mapping that is never touched).  -1 if it cannot tell. */
static double cached_pct(int fd, uint64_t bytes)
{
	long page = sysconf(_SC_PAGESIZE);
	void *map = mmap(NULL, bytes, PROT_READ, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		return -1;
	size_t pages = (size_t)((bytes + (uint64_t)page - 1) / (uint64_t)page);
	unsigned char *vec = malloc(pages);
	double pct = -1;
	if (vec && mincore(map, bytes, vec) == 0) {
		size_t in = 0;
		for (size_t i = 0; i < pages; i++)
			in += vec[i] & 1;
		pct = 100.0 * (double)in / (double)pages;
	}
	free(vec);
	munmap(map, bytes);
	return pct;
}

/* warm - read every page once, so the tasks' reads hit the cache. */
static int warm(int fd, uint64_t bytes)
{
	unsigned char *buf = malloc(CHUNK_BYTES);
	if (!buf)
		return -1;
	int rc = 0;
	for (uint64_t off = 0; off < bytes && rc == 0; off += CHUNK_BYTES)
		if (pread(fd, buf, CHUNK_BYTES, (off_t)off) <= 0)
			rc = -1;
	free(buf);
	return rc;
}

int data_file_prepare(const char *dir, uint64_t mib, enum wl_cache cache, struct data_file *df,
		      char *err, size_t errlen)
{
	memset(df, 0, sizeof(*df));
	df->fd = -1;
	df->bytes = mib * MIB;
	if (mkdir_p(dir) != 0) {
		snprintf(err, errlen, "--data-dir %s: %s", dir, strerror(errno));
		return -1;
	}
	if (snprintf(df->path, sizeof(df->path), "%s/tvsa-data-%llum.bin", dir,
		     (unsigned long long)mib) >= (int)sizeof(df->path)) {
		snprintf(err, errlen, "--data-dir: path too long");
		return -1;
	}
	/* Never read from, nor renamed over, what is not a regular file: a FIFO
	 * there would block the open (O_NONBLOCK: it cannot), a device be
	 * replaced. */
	struct stat st;
	if (stat(df->path, &st) == 0 && !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "data file %s exists and is not a regular file (%s): "
			 "remove it, the run makes the file", df->path,
			 S_ISFIFO(st.st_mode) ? "a FIFO" : S_ISDIR(st.st_mode) ? "a directory"
			 : S_ISCHR(st.st_mode) ? "a character device" : "a special file");
		return -1;
	}
	int fd = open(df->path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd >= 0 && (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))) {
		snprintf(err, errlen, "data file %s: not a regular file", df->path);
		close(fd);
		return -1;
	}
	if (fd >= 0 && !looks_right(fd, df->bytes)) {
		close(fd);
		fd = -1;
	}
	if (fd < 0) {
		if (make_file(dir, df->path, df->bytes, err, errlen) != 0)
			return -1;
		df->made = 1;
		fd = open(df->path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			snprintf(err, errlen, "--data-dir: %s: %s", df->path, strerror(errno));
			return -1;
		}
	}
	/* Random 4 KiB reads: no readahead, on every model alike. */
	int rc = posix_fadvise(fd, 0, 0, POSIX_FADV_RANDOM);
	if (rc == 0 && cache == WL_CACHE_COLD)
		rc = posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	if (rc != 0) {
		snprintf(err, errlen, "posix_fadvise %s: %s", df->path, strerror(rc));
		close(fd);
		return -1;
	}
	fs_name(fd, df->fs, sizeof(df->fs));
	df->cached_pct = cached_pct(fd, df->bytes);
	if (cache == WL_CACHE_COLD && df->cached_pct > COLD_MAX_CACHED_PCT) {
		/* tmpfs, or a file system that keeps its pages: a "cold" run
		 * there would read from memory and be labelled cold. */
		snprintf(err, errlen,
			 "--cache cold: %.0f%% of %s stays in memory after dropping it "
			 "(file system %s): cold reads cannot be had there; use --data-dir on a disk",
			 df->cached_pct, df->path, df->fs[0] ? df->fs : "unknown");
		close(fd);
		return -1;
	}
	if (cache == WL_CACHE_WARM && df->cached_pct < 100.0) {
		if (warm(fd, df->bytes) != 0) {
			snprintf(err, errlen, "reading %s: %s", df->path, strerror(errno));
			close(fd);
			return -1;
		}
		df->cached_pct = cached_pct(fd, df->bytes);
	}
	df->fd = fd;
	return 0;
}
