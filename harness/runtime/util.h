/*
 * util.h - the small things every program of the harness needs once: the
 * usage-error exit, the descriptor limit, whole reads and writes, and the
 * output files (never a device, a FIFO or a folder replaced).  One copy,
 * so the model binaries, bin/backend and bin/calibrate cannot drift apart
 * (they had three usage exits and two descriptor policies).
 */
#ifndef UTIL_H
#define UTIL_H

#include <stddef.h>
#include <sys/resource.h>

#define UTIL_NOFILE_WANTED 65536 /* descriptors to ask for where the hard limit is lower */
#define UTIL_PATH_MAX 4096       /* an output path (and its temporary name) at most */

/*
 * util_die_usage - bad usage: "PROG: MSG" as one line on stderr (control
 * characters, a newline in a quoted argument say, become '?'), nothing on
 * stdout, exit 2.
 */
void util_die_usage(const char *prog, const char *msg) __attribute__((noreturn));

/*
 * util_raise_nofile - one policy for every program: raise the hard
 * RLIMIT_NOFILE to UTIL_NOFILE_WANTED if it is lower (only root with
 * CAP_SYS_RESOURCE may), then the soft limit to the hard one.  At high
 * concurrency every in-flight task may hold a socket.  Returns the soft
 * limit in force, 0 if unknown.
 */
rlim_t util_raise_nofile(void);

/* util_read_full - read exactly n bytes from a blocking fd (a pipe or a
 * socket).  0, or -1 (errno set; 0 if the peer closed first). */
int util_read_full(int fd, void *buf, size_t n);

/* How an output file may be written (util_out_check). */
enum util_out {
	UTIL_OUT_FILE = 0, /* absent, or a regular file: written whole under a temporary
			      name and renamed over it, or appended to */
	UTIL_OUT_THROUGH,  /* a character device or a FIFO (/dev/null, a pipe): written
			      through, never renamed over */
};

/*
 * util_out_check - may `path`, given as option `opt`, be written, and how?
 * A path that exists and is not a regular file is never replaced: a
 * character device or a FIFO is written through (util_open_out: a FIFO
 * with no reader fails then, ENXIO, instead of blocking); a directory, a
 * socket or a block device is refused.  Symbolic links are followed.  A
 * FIFO is not opened here: an open and close would be an EOF to its
 * reader.  Returns UTIL_OUT_FILE or UTIL_OUT_THROUGH, or -1 with one
 * line in err ("--out X: a directory, not a file").
 */
int util_out_check(const char *opt, const char *path, char *err, size_t errlen);

/*
 * util_open_out - open path for writing with extra open flags (O_APPEND,
 * O_CREAT, O_TRUNC; mode 0644, close-on-exec), never blocking on a FIFO with
 * no reader (it fails, errno ENXIO).  The fd is blocking once open.  fd, or
 * -1 with errno.
 */
int util_open_out(const char *path, int flags);

/* util_write_full - write exactly n bytes to a blocking fd.  0, or -1 with errno. */
int util_write_full(int fd, const void *buf, size_t n);

/*
 * util_out_ready - the check every program makes of an output option before
 * its run, so a typo costs no time: util_out_check, then, for a path that
 * is or will be a regular file, an append target (append: opened, O_APPEND
 * | O_CREAT, and closed: the file exists afterwards) or a file written whole
 * later (its folder exists and may be written into).  UTIL_OUT_FILE or
 * UTIL_OUT_THROUGH, or -1 with one line in err (the caller's usage error).
 */
int util_out_ready(const char *opt, const char *path, int append, char *err, size_t errlen);

/*
 * util_append - add buf[0..n) (a line with its '\n') to path with one
 * write(): O_APPEND makes a single write of a regular file atomic, so
 * concurrent or crashed runs never interleave or leave half a line; a
 * device or a FIFO is written through (util_open_out: a FIFO with no
 * reader fails, ENXIO).  0, or -1 with errno (ENOSPC for a short write).
 */
int util_append(const char *path, const void *buf, size_t n);

/*
 * util_write_whole - path's content becomes buf[0..n): a regular file (or
 * a new one) through a temporary file (path.tmp.PID, fsync'd) renamed over
 * it, so a reader never sees half of it; a device or a FIFO is written
 * through, never renamed over; anything else is not touched (EISDIR for a
 * folder, ENOTSUP for a socket or a block device).  0, or -1 with errno,
 * the temporary file removed.
 */
int util_write_whole(const char *path, const void *buf, size_t n);

/* util_why_lost - errno e as the reason a result was lost: strerror, but
 * "a FIFO with no reader" for util_open_out's ENXIO. */
const char *util_why_lost(int e);

#endif
