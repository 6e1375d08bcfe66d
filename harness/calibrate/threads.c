/*
 * threads.c - bin/calibrate's thread figures: cores, thread create+join,
 * one-way wake-up, a switch between two threads over a socketpair (pinned to
 * one CPU and not), RSS per idle thread, and how late a 1 ms sleep ends.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <malloc.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "../../workloads/cpu_hash.h"
#include "../runtime/clock.h"
#include "../runtime/evbase.h"
#include "../runtime/hist.h"
#include "../runtime/stats.h"
#include "../runtime/util.h"
#include "calibrate.h"

/* ---- cores ----------------------------------------------------------------- */

int rep_cores(const struct cal_ctx *cx, double *value, char *err, size_t errlen)
{
	(void)cx;
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 1) {
		snprintf(err, errlen, "sysconf(_SC_NPROCESSORS_ONLN): %s", strerror(errno));
		return -1;
	}
	*value = (double)n;
	return 0;
}

/* ---- thread_create_join_us ------------------------------------------------ */

static void *empty_thread(void *arg)
{
	return arg;
}

int rep_thread_create(const struct cal_ctx *cx, double *value, char *err, size_t errlen)
{
	uint64_t t0 = clock_now_ns(), count = 0;
	do {
		for (int i = 0; i < CAL_CLOCK_EVERY / 4; i++) {
			pthread_t t;
			int rc = pthread_create(&t, NULL, empty_thread, NULL);
			if (rc != 0) {
				snprintf(err, errlen, "pthread_create: %s", strerror(rc));
				return -1;
			}
			pthread_join(t, NULL);
		}
		count += CAL_CLOCK_EVERY / 4;
	} while (cal_elapsed_since(t0) < cx->slice_ns);
	*value = (double)cal_elapsed_since(t0) / (double)count / 1e3;
	return 0;
}

/* ---- wakeup_pingpong_us, switch_threads_{pinned,unpinned}_ns --------------------- */

/* Two one-way channels between the timing thread and its peer: pipes, or
 * AF_UNIX stream socketpairs (jimblandy/context-switch's thread-brigade
 * passes its byte through UnixStream pairs).  [0] is read, [1] written. */
struct pingpong {
	int to_peer[2]; /* main writes a byte, the peer reads it */
	int to_main[2]; /* the peer answers on this one */
};

#define PINGPONG_QUIT 'q' /* tells the peer to exit */

/* pingpong_peer - answer every byte until PINGPONG_QUIT or end of file. */
static void *pingpong_peer(void *arg)
{
	struct pingpong *pp = arg;
	char c;
	while (util_read_full(pp->to_peer[0], &c, 1) == 0 && c != PINGPONG_QUIT)
		if (util_write_full(pp->to_main[1], &c, 1) != 0)
			break;
	return NULL;
}

/* pingpong_round - one round trip; 0 or -1 (errno set). */
static int pingpong_round(struct pingpong *pp)
{
	char c = 'p';
	if (util_write_full(pp->to_peer[1], &c, 1) != 0)
		return -1;
	return util_read_full(pp->to_main[0], &c, 1);
}

/* channel - one blocking channel: a pipe, or a socketpair (sockets = 1). */
static int channel(int fds[2], int sockets)
{
	return sockets ? socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds)
		       : pipe2(fds, O_CLOEXEC);
}

/* two_cpu_ns - CPU time (user + system) of this thread and of peer, ns; 0
 * if either cannot be read. */
static uint64_t two_cpu_ns(pthread_t peer)
{
	clockid_t cid;
	struct timespec ts;
	uint64_t self = cal_thread_cpu_ns();
	if (!self || pthread_getcpuclockid(peer, &cid) != 0 || clock_gettime(cid, &ts) != 0)
		return 0;
	return self + (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/*
 * pingpong_ns - a byte bounced between this thread and a peer thread, each
 * blocked in read until the other's write wakes it, for slice_ns of wall
 * time after CAL_WARMUP_ROUNDS: ns per one-way trip (round trip / 2) into
 * *ns.  sockets: socketpairs, else pipes.  pin: both threads on the CPU this
 * one is on (cal_pin_begin), else wherever the scheduler puts them.
 * cpu_time: count the two threads' CPU time rather than the wall time (for
 * pinned threads: their CPU is never idle, one of them always runnable, so
 * on an idle machine the two agree, and on a loaded one the CPU time leaves
 * out what else the CPU ran).  0, or -1 with err set.
 */
static int pingpong_ns(uint64_t slice_ns, int sockets, int pin, int cpu_time, double *ns,
		       char *err, size_t errlen)
{
	struct pingpong pp;
	pthread_t peer;
	const char quit = PINGPONG_QUIT;
	const char *what = sockets ? "socketpair" : "pipe";
	int rc = -1;
	if (channel(pp.to_peer, sockets) != 0) {
		cal_io_error(err, errlen, what);
		return -1;
	}
	if (channel(pp.to_main, sockets) != 0) {
		cal_io_error(err, errlen, what);
		goto err_peer_pipe;
	}
	struct cal_pin pin_state;
	pthread_attr_t attr;
	if (pin) {
		cal_pin_begin(&pin_state, &attr, 0);
	} else {
		pin_state.pinned = 0;
		pthread_attr_init(&attr);
	}
	int prc = pthread_create(&peer, &attr, pingpong_peer, &pp);
	if (prc != 0) {
		snprintf(err, errlen, "pthread_create: %s", strerror(prc));
		goto err_unpin;
	}
	for (int i = 0; i < CAL_WARMUP_ROUNDS; i++)
		if (pingpong_round(&pp) != 0)
			goto err_io;
	uint64_t t0 = clock_now_ns(), count = 0;
	uint64_t cpu0 = cpu_time ? two_cpu_ns(peer) : 0;
	do {
		for (int i = 0; i < CAL_CLOCK_EVERY; i++)
			if (pingpong_round(&pp) != 0)
				goto err_io;
		count += CAL_CLOCK_EVERY;
	} while (cal_elapsed_since(t0) < slice_ns);
	uint64_t spent = cal_elapsed_since(t0);
	if (cpu_time) {
		uint64_t cpu1 = two_cpu_ns(peer);
		if (!cpu0 || cpu1 <= cpu0) {
			snprintf(err, errlen, "cannot read the threads' CPU time");
			goto out;
		}
		spent = cpu1 - cpu0;
	}
	/* one-way: half the round trip */
	*ns = (double)spent / (double)count / 2.0;
	rc = 0;
	goto out;
err_io:
	cal_io_error(err, errlen, sockets ? "socketpair ping-pong" : "pipe ping-pong");
out:
	/* the quit byte stops the peer; if it cannot be written, end of file does */
	if (util_write_full(pp.to_peer[1], &quit, 1) != 0) {
		close(pp.to_peer[1]);
		pp.to_peer[1] = -1;
	}
	pthread_join(peer, NULL);
err_unpin:
	cal_pin_end(&pin_state, &attr);
	close(pp.to_main[0]);
	close(pp.to_main[1]);
err_peer_pipe:
	close(pp.to_peer[0]);
	if (pp.to_peer[1] >= 0)
		close(pp.to_peer[1]);
	return rc;
}

int rep_wakeup(const struct cal_ctx *cx, double *value, char *err, size_t errlen)
{
	double ns;
	if (pingpong_ns(cx->slice_ns, 0, 1, 0, &ns, err, errlen) != 0)
		return -1;
	*value = ns / 1e3;
	return 0;
}

int rep_switch_threads_pinned(const struct cal_ctx *cx, double *value, char *err, size_t errlen)
{
	return pingpong_ns(cx->switch_slice_ns, 1, 1, 1, value, err, errlen);
}

int rep_switch_threads_unpinned(const struct cal_ctx *cx, double *value, char *err,
				size_t errlen)
{
	return pingpong_ns(cx->switch_slice_ns, 1, 0, 0, value, err, errlen);
}

/* ---- rss_per_idle_thread_kib --------------------------------------------------- */

/* Threads that start, report in, and wait until released. */
struct idle_pool {
	pthread_mutex_t mu;   /* guards the fields below */
	pthread_cond_t cv;    /* release broadcast; started signal */
	unsigned started;     /* threads that reached the wait */
	unsigned want;        /* threads main waits for */
	int release;          /* 1: everyone exits */
};

static void *idle_thread(void *arg)
{
	struct idle_pool *p = arg;
	pthread_mutex_lock(&p->mu);
	if (++p->started == p->want)
		pthread_cond_broadcast(&p->cv);
	while (!p->release)
		pthread_cond_wait(&p->cv, &p->mu);
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

int rep_rss_thread(const struct cal_ctx *cx, double *value, char *err, size_t errlen)
{
	struct idle_pool p = { .mu = PTHREAD_MUTEX_INITIALIZER,
			       .cv = PTHREAD_COND_INITIALIZER,
			       .want = cx->idle_threads };
	unsigned n = 0;
	int rc = -1;
	pthread_t *tids = malloc(cx->idle_threads * sizeof(*tids));
	if (!tids) {
		snprintf(err, errlen, "malloc: %s", strerror(errno));
		return -1;
	}
	memset(tids, 0, cx->idle_threads * sizeof(*tids)); /* resident before "before" */
	long before = stats_rss_kib();
	for (; n < cx->idle_threads; n++) {
		int prc = pthread_create(&tids[n], NULL, idle_thread, &p);
		if (prc != 0) {
			snprintf(err, errlen, "pthread_create: %s at thread %u of %u",
				 strerror(prc), n + 1, cx->idle_threads);
			goto out;
		}
	}
	pthread_mutex_lock(&p.mu);
	while (p.started < p.want)
		pthread_cond_wait(&p.cv, &p.mu);
	pthread_mutex_unlock(&p.mu);
	rc = cal_rss_growth_per(before, cx->idle_threads, value, err, errlen);
out:
	pthread_mutex_lock(&p.mu);
	p.release = 1;
	pthread_cond_broadcast(&p.cv);
	pthread_mutex_unlock(&p.mu);
	for (unsigned i = 0; i < n; i++)
		pthread_join(tids[i], NULL);
	free(tids);
	return rc;
}

/* ---- wake_overshoot_us ----------------------------------------------------------- */

/* How late a 1 ms sleep ends: the machine's timer wake-up cost (hrtimer
 * interrupt, scheduling the sleeper back in), which every timed wait of the
 * models pays, io_sleep's and the backend's alike.  Timer slack is 1 ns, as
 * in the models (harness/runtime/runner.c). */
int rep_wake_overshoot(const struct cal_ctx *cx, double *value, char *err, size_t errlen)
{
	double late[CAL_WAKE_SLEEPS];
	int n = 0;
	uint64_t t0 = clock_now_ns();
	prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
	do {
		uint64_t due = clock_now_ns() + CAL_WAKE_SLEEP_NS;
		struct timespec ts = { .tv_sec = (time_t)(due / 1000000000ULL),
				       .tv_nsec = (long)(due % 1000000000ULL) };
		int rc;
		while ((rc = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL)) == EINTR)
			;
		if (rc != 0) {
			snprintf(err, errlen, "clock_nanosleep: %s", strerror(rc));
			return -1;
		}
		late[n++] = (double)(clock_now_ns() - due) / 1e3;
	} while (n < CAL_WAKE_SLEEPS && (n < 20 || cal_elapsed_since(t0) < cx->slice_ns));
	*value = cal_median(late, n);
	return 0;
}
