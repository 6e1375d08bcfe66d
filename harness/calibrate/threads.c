/*
 * threads.c - bin/calibrate's thread figures: cores, thread create+join,
 * one-way wake-up, RSS per idle thread, and how late a 1 ms sleep ends.
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

/* ---- wakeup_pingpong_us --------------------------------------------------- */

/* Two pipes between the timing thread and its peer. */
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

int rep_wakeup(const struct cal_ctx *cx, double *value, char *err, size_t errlen)
{
	struct pingpong pp;
	pthread_t peer;
	const char quit = PINGPONG_QUIT;
	int rc = -1;
	if (pipe2(pp.to_peer, O_CLOEXEC) != 0) {
		cal_io_error(err, errlen, "pipe");
		return -1;
	}
	if (pipe2(pp.to_main, O_CLOEXEC) != 0) {
		cal_io_error(err, errlen, "pipe");
		goto err_peer_pipe;
	}
	struct cal_pin pin;
	pthread_attr_t attr;
	cal_pin_begin(&pin, &attr, 0);
	int prc = pthread_create(&peer, &attr, pingpong_peer, &pp);
	if (prc != 0) {
		snprintf(err, errlen, "pthread_create: %s", strerror(prc));
		goto err_unpin;
	}
	for (int i = 0; i < CAL_WARMUP_ROUNDS; i++)
		if (pingpong_round(&pp) != 0)
			goto err_io;
	uint64_t t0 = clock_now_ns(), count = 0;
	do {
		for (int i = 0; i < CAL_CLOCK_EVERY; i++)
			if (pingpong_round(&pp) != 0)
				goto err_io;
		count += CAL_CLOCK_EVERY;
	} while (cal_elapsed_since(t0) < cx->slice_ns);
	/* one-way: half the round trip */
	*value = (double)cal_elapsed_since(t0) / (double)count / 2.0 / 1e3;
	rc = 0;
	goto out;
err_io:
	cal_io_error(err, errlen, "pipe ping-pong");
out:
	/* the quit byte stops the peer; if it cannot be written, end of file does */
	if (util_write_full(pp.to_peer[1], &quit, 1) != 0) {
		close(pp.to_peer[1]);
		pp.to_peer[1] = -1;
	}
	pthread_join(peer, NULL);
err_unpin:
	cal_pin_end(&pin, &attr);
	close(pp.to_main[0]);
	close(pp.to_main[1]);
err_peer_pipe:
	close(pp.to_peer[0]);
	if (pp.to_peer[1] >= 0)
		close(pp.to_peer[1]);
	return rc;
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
