/*
 * watchdog.c - a coroutine asleep in a system call holds its whole loop;
 * the watchdog notices and fails the run naming the call (sched.h).
 *
 * The hooks (hook.c) turn the blocking calls a library is known to make
 * into waits of the runtime; one they do not know (select, a raw system
 * call, a lock held across a wait, a name lookup inside libc) would stall
 * every coroutine of its loop with nothing said.  So one thread per run, as
 * Go's sysmon watches its threads, looks at each loop four times per bound:
 * its `turns` count, odd while a coroutine runs and moved by every resume
 * (sched_enter), says whether the same coroutine has held the loop since
 * the last look, and only then /proc/self/task/TID/syscall says whether the
 * loop's thread is asleep in a system call, and which (`running` for a
 * thread on or waiting for a CPU: a coroutine hashing for a second is
 * working, not blocked).  Asleep in the same call on every look for the
 * whole bound, it fails the run (run_fail_now, exit 3):
 *
 *   green: redis_get -c 4: run failed: a coroutine blocked its loop in
 *   recvfrom for 200 ms: a blocking call the runtime does not hook ...
 *
 * The bound is 200 ms for an interruptible sleep (a socket, a pipe, a
 * lock, a timer: waits on someone else, which a coroutine must make the
 * runtime's way) and 2 s for uninterruptible disk sleep (a library's file
 * read: slow on a cold cache, not stuck).  Green's own file reads are
 * plain preads by design (no readiness exists for a file) and say so
 * (`in_file`): never flagged.  No other legitimate wait of a coroutine
 * sleeps in its thread that long: a loop's own waits (epoll_wait,
 * io_uring_enter) happen between turns, where `turns` is even.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <poll.h>

#include "../harness/runtime/clock.h"
#include "../harness/runtime/model.h"
#include "sched.h"

#define WATCH_BOUND_MS 200       /* asleep in one call this long: the loop is blocked */
#define WATCH_DISK_BOUND_MS 2000 /* the same in uninterruptible (disk) sleep */
#define WATCH_LOOKS 4            /* looks per bound */
#define WATCH_PROC_MAX 256       /* a /proc file's first line, as much as is read */
#define WATCH_TEST_ENV "TVSA_UNHOOKED" /* test hook: sched_watch_test */
#define WATCH_NOT_ASLEEP (-1)    /* task_call: running, or asleep outside a system call */
#define WATCH_UNKNOWN (-2)       /* task_call: asleep, in a call /proc does not name */

/* What the watchdog saw of one loop at its last look. */
struct sched_seen {
	uint_fast64_t turns; /* its turns count then */
	long nr;             /* the system call its coroutine slept in, or WATCH_NOT_ASLEEP */
	uint64_t since_ns;   /* first seen asleep in it, this turn */
};

/* The blocking system calls a coroutine might be caught in, by name. */
#define WATCH_CALL(name) { SYS_##name, #name }
static const struct {
	long nr;          /* its number on this architecture */
	const char *name; /* as the kernel names it */
} watch_calls[] = {
	WATCH_CALL(read), WATCH_CALL(write), WATCH_CALL(readv), WATCH_CALL(writev),
	WATCH_CALL(pread64), WATCH_CALL(pwrite64), WATCH_CALL(preadv), WATCH_CALL(pwritev),
	WATCH_CALL(recvfrom), WATCH_CALL(sendto), WATCH_CALL(recvmsg), WATCH_CALL(sendmsg),
	WATCH_CALL(recvmmsg), WATCH_CALL(sendmmsg), WATCH_CALL(connect), WATCH_CALL(accept4),
	WATCH_CALL(ppoll), WATCH_CALL(pselect6), WATCH_CALL(epoll_pwait), WATCH_CALL(nanosleep),
	WATCH_CALL(clock_nanosleep), WATCH_CALL(futex), WATCH_CALL(wait4), WATCH_CALL(waitid),
	WATCH_CALL(flock), WATCH_CALL(fcntl), WATCH_CALL(ioctl), WATCH_CALL(openat),
	WATCH_CALL(close), WATCH_CALL(fsync), WATCH_CALL(fdatasync), WATCH_CALL(io_uring_enter),
	WATCH_CALL(io_getevents), WATCH_CALL(msgrcv), WATCH_CALL(msgsnd), WATCH_CALL(semtimedop),
	WATCH_CALL(rt_sigtimedwait), WATCH_CALL(rt_sigsuspend), WATCH_CALL(sendfile),
	WATCH_CALL(splice), WATCH_CALL(getrandom), WATCH_CALL(mq_timedreceive),
	WATCH_CALL(mq_timedsend),
#ifdef SYS_accept /* the calls older architectures have and aarch64 does not */
	WATCH_CALL(accept),
#endif
#ifdef SYS_poll
	WATCH_CALL(poll),
#endif
#ifdef SYS_select
	WATCH_CALL(select),
#endif
#ifdef SYS_epoll_wait
	WATCH_CALL(epoll_wait),
#endif
#ifdef SYS_pause
	WATCH_CALL(pause),
#endif
#ifdef SYS_open
	WATCH_CALL(open),
#endif
#ifdef SYS_semop
	WATCH_CALL(semop),
#endif
};

/* call_name - a system call's name, or "system call N" into buf. */
static const char *call_name(long nr, char *buf, size_t len)
{
	for (size_t i = 0; i < sizeof(watch_calls) / sizeof(watch_calls[0]); i++)
		if (watch_calls[i].nr == nr)
			return watch_calls[i].name;
	if (nr == WATCH_UNKNOWN)
		return "a system call (/proc/self/task/ID/syscall is unreadable here)";
	snprintf(buf, len, "system call %ld", nr);
	return buf;
}

/* read_line - the start of /proc/self/task/TID/FILE into buf; 0, or -1. */
static int read_line(int tid, const char *file, char *buf, size_t len)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/task/%d/%s", tid, file);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return 0;
}

/* task_call - the system call thread tid sleeps in (*state: its state
 * letter, 'S' or 'D'), WATCH_UNKNOWN if it sleeps and /proc does not say
 * in which, or WATCH_NOT_ASLEEP. */
static long task_call(int tid, char *state)
{
	char buf[WATCH_PROC_MAX];
	*state = '?';
	if (read_line(tid, "stat", buf, sizeof(buf)) == 0) { /* "TID (comm) S ..." */
		const char *p = strrchr(buf, ')');
		if (p && p[1] == ' ')
			*state = p[2];
	}
	if (*state != 'S' && *state != 'D')
		return WATCH_NOT_ASLEEP;
	if (read_line(tid, "syscall", buf, sizeof(buf)) != 0)
		return WATCH_UNKNOWN;
	if (strncmp(buf, "running", 7) == 0)
		return WATCH_NOT_ASLEEP;
	long nr = strtol(buf, NULL, 10);
	return nr >= 0 ? nr : WATCH_NOT_ASLEEP;
}

/* look - one look at loop i: fail the run if its coroutine has slept in one
 * system call for the whole bound. */
static void look(struct sched_watch *w, uint64_t i, uint64_t now)
{
	struct sched_loop *lp = (struct sched_loop *)((char *)w->loops + i * w->stride);
	struct sched_seen *sn = &w->seen[i];
	uint_fast64_t t = atomic_load_explicit(&lp->turns, memory_order_relaxed);
	int tid = atomic_load_explicit(&lp->os_tid, memory_order_relaxed);
	/* Between turns, a new turn, or green's own file read: nothing to see. */
	if (!(t & 1) || !tid || t != sn->turns ||
	    atomic_load_explicit(&lp->in_file, memory_order_relaxed)) {
		sn->turns = t;
		sn->nr = WATCH_NOT_ASLEEP;
		return;
	}
	char state;
	long nr = task_call(tid, &state);
	/* The same turn still?  Else the call may be the loop's own wait. */
	if (nr == WATCH_NOT_ASLEEP || atomic_load_explicit(&lp->turns, memory_order_relaxed) != t) {
		sn->nr = WATCH_NOT_ASLEEP;
		return;
	}
	if (nr != sn->nr) {
		sn->nr = nr;
		sn->since_ns = now;
		return;
	}
	uint64_t bound_ms = state == 'D' ? WATCH_DISK_BOUND_MS : WATCH_BOUND_MS;
	if (now - sn->since_ns < bound_ms * 1000000ULL)
		return;
	char num[32], why[MODEL_REASON_MAX];
	snprintf(why, sizeof(why),
		 "a coroutine blocked its loop in %s for at least %llu ms: a blocking call the runtime does "
		 "not hook (docs/models.md: Blocking libraries on coroutines)",
		 call_name(nr, num, sizeof(num)),
		 (unsigned long long)((now - sn->since_ns) / 1000000));
	run_fail_now(why);
}

/* watch_main - the watchdog's thread: a look at every loop each quarter of
 * the bound, until stopped. */
static void *watch_main(void *arg)
{
	struct sched_watch *w = arg;
	const uint64_t period_ns = WATCH_BOUND_MS * 1000000ULL / WATCH_LOOKS;
	pthread_mutex_lock(&w->mu);
	while (!w->stop) {
		uint64_t due = clock_now_ns() + period_ns;
		struct timespec ts = { (time_t)(due / 1000000000ULL), (long)(due % 1000000000ULL) };
		while (!w->stop && pthread_cond_timedwait(&w->cv, &w->mu, &ts) != ETIMEDOUT)
			;
		if (w->stop)
			break;
		pthread_mutex_unlock(&w->mu);
		uint64_t now = clock_now_ns();
		for (uint64_t i = 0; i < w->nloops; i++)
			look(w, i, now);
		pthread_mutex_lock(&w->mu);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

int sched_watch_start(struct sched_watch *w, struct sched_loop *loops, uint64_t nloops,
		      size_t stride, char *err, size_t errlen)
{
	memset(w, 0, sizeof(*w));
	w->loops = loops;
	w->nloops = nloops;
	w->stride = stride;
	w->seen = calloc(nloops, sizeof(*w->seen));
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC); /* the deadlines are clock_now_ns's */
	pthread_cond_init(&w->cv, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_init(&w->mu, NULL);
	int rc = w->seen ? pthread_create(&w->tid, NULL, watch_main, w) : ENOMEM;
	if (rc != 0) {
		snprintf(err, errlen, "the coroutines' watchdog: %s",
			 w->seen ? strerror(rc) : "out of memory");
		sched_watch_stop(w);
		return -1;
	}
	w->running = 1;
	return 0;
}

void sched_watch_stop(struct sched_watch *w)
{
	if (w->running) {
		pthread_mutex_lock(&w->mu);
		w->stop = 1;
		pthread_cond_signal(&w->cv);
		pthread_mutex_unlock(&w->mu);
		pthread_join(w->tid, NULL);
		w->running = 0;
	}
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	free(w->seen);
	w->seen = NULL;
}

void sched_watch_test(void)
{
	const char *call = getenv(WATCH_TEST_ENV);
	if (!call || !call[0])
		return;
	int sv[2];
	char c;
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) { /* nothing is ever written to it */
		perror("TVSA_UNHOOKED: socketpair");
		abort();
	}
	if (strcmp(call, "recvfrom") == 0) {
		syscall(SYS_recvfrom, sv[0], &c, 1, 0, NULL, NULL);
	} else if (strcmp(call, "select") == 0) {
		fd_set r;
		FD_ZERO(&r);
		FD_SET(sv[0], &r);
		select(sv[0] + 1, &r, NULL, NULL, NULL);
	} else if (strcmp(call, "poll2") == 0) {
		struct pollfd p[2] = { { .fd = sv[0], .events = POLLIN },
				       { .fd = sv[1], .events = POLLIN } };
		poll(p, 2, -1);
	}
	fprintf(stderr, "%s=%s: not recvfrom, select or poll2, or it returned\n", WATCH_TEST_ENV,
		call);
	abort();
}
