/*
 * calibrate.c - bin/calibrate: the machine's floor, measured before every sweep.
 *
 * The sweep compares threads with an event loop; this program measures what
 * the primitives both are built from cost on this machine, so the report can
 * say how far each model stays from the best the machine allows (a model at
 * 1.05x its floor has nothing left to gain; at 5x it has overhead to find):
 *
 *   thread_create_join_us     pthread_create + pthread_join of an empty thread
 *   wakeup_pingpong_us        one-way thread-to-thread wake-up (pipe ping-pong / 2)
 *   tcp_rtt_us                loopback TCP round trip (median), blocking sockets,
 *                             24-byte request and reply, TCP_NODELAY: the floor
 *                             of an io_backend task at delay 0
 *   tcp_rtt_cross_cpu_us      the same with the two threads on different CPUs:
 *                             what a c=1 run pays when the scheduler splits it
 *   rpc_cpu_us                CPU time (user + system, client + echo process)
 *                             of one such round trip: what a backend request
 *                             costs the machine's cores, the CPU bound of
 *                             io_backend (cores / rpc_cpu_us tasks/s at most)
 *   event_dispatch_ns         libevent cost per dispatched (event_active) event
 *   timer_event_ns            libevent cost per timer: event_add with a zero
 *                             timeout plus its dispatch, precise timers as in
 *                             impl_async/async.c
 *   rss_per_idle_thread_kib   resident memory per idle thread (default stack)
 *   rss_per_pending_event_kib resident memory per pending libevent timer event
 *   cpu_hash_unit_ns          one cpu_hash round on one core (the kernel of
 *                             workloads/cpu_hash.c, linked, not copied)
 *   hist_record_ns            one hist_record() call (target: under 30 ns)
 *   hist_record_shared_ns     what a worker thread pays: sched_getcpu() and one
 *                             hist_record_shared() into that CPU's histogram
 *   cores                     online CPUs
 *
 * Every figure is the median of several repetitions; a repetition of a
 * timed loop runs for a fixed time slice (not a fixed count), so the whole
 * program takes about 3 s (--quick: under 1 s) on any machine, and a
 * watchdog alarm ends it (exit 3) if anything hangs.
 *
 * Output: CSV `name,value,unit,what` on stdout, or with --out FILE written
 * to a temporary file and renamed, so FILE is whole or absent.  Exit: 0 ok,
 * 2 bad usage (one line on stderr, nothing written), 3 a measurement failed
 * (one line naming it; no file).
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
#include <ucontext.h>
#include <unistd.h>

#include <event2/event.h>

#include "../impl_green/coro.h"
#include "../workloads/cpu_hash.h"
#include "clock.h"
#include "hist.h"
#include "stats.h"

/* ---- tunables ------------------------------------------------------------ */
#define CAL_REPS 5                 /* repetitions per figure (median taken) */
#define CAL_QUICK_REPS 3           /* ... with --quick */
#define CAL_SLICE_NS 60000000ULL   /* a timed loop's repetition runs this long */
#define CAL_QUICK_SLICE_NS 20000000ULL
#define CAL_WATCHDOG_S 30          /* the whole program; exit 3 past it */
#define CAL_QUICK_WATCHDOG_S 10
#define CAL_IDLE_THREADS 1000      /* threads held idle for the RSS figure */
#define CAL_QUICK_IDLE_THREADS 250
#define CAL_PENDING_EVENTS 100000  /* pending events for the RSS figure */
#define CAL_QUICK_PENDING_EVENTS 25000
#define CAL_TIMERS 10000           /* timers armed and dispatched per repetition */
#define CAL_ACTIVE_EVENTS 100      /* events kept active by the dispatch loop */
#define CAL_PENDING_TIMEOUT_S 3600 /* a pending event's timeout: never fires */
#define CAL_WARMUP_ROUNDS 100      /* ping-pong / TCP round trips before timing */
#define CAL_MSG_BYTES 24           /* TCP request and reply size */
#define CAL_CLOCK_EVERY 64         /* timed loops read the clock once per batch */
#define CAL_HIST_VALUES 4096       /* distinct values fed to hist_record (2^k) */
#define CAL_HIST_MIN_BITS 10       /* values spread over 2^10 .. 2^24 ns */
#define CAL_HIST_SPAN_BITS 14
#define CAL_ERR_MAX 256            /* one error line */
#define CAL_WAKE_SLEEP_NS 1000000  /* wake_overshoot_us: the sleep, io_sleep's default */
#define CAL_WAKE_SLEEPS 2000       /* ... at most this many per repetition */
#define CAL_CORO_STACK 65536       /* the switch figures' coroutine stack */

/* What a repetition may use, set from the options. */
struct cal_ctx {
	uint64_t slice_ns;       /* duration of a timed repetition */
	unsigned idle_threads;   /* threads for rss_per_idle_thread_kib */
	unsigned pending_events; /* events for rss_per_pending_event_kib */
};

/* One row of the CSV and how to take one repetition of it. */
struct cal_item {
	const char *name; /* row name: what the report and the plots look up */
	const char *unit; /* us, ns, KiB, cpus */
	const char *what; /* one phrase for people (CSV-quoted when needed) */
	int single;       /* 1: not a measurement, one repetition is enough */
	/* rep - one repetition: 0 and *value, or -1 with one line in err. */
	int (*rep)(const struct cal_ctx *cx, double *value, char *err, size_t errlen);
};

static const char *volatile cal_current = "start-up"; /* for the watchdog line */
static unsigned cal_watchdog_s;                      /* its limit, for the line */
static volatile uint64_t cal_sink;                   /* keeps results alive */

/* ---- helpers ------------------------------------------------------------- */

/* watchdog_cb - SIGALRM: a measurement hung.  Async-signal-safe calls only. */
static void watchdog_cb(int sig)
{
	(void)sig;
	static const char pre[] = "calibrate: timed out while measuring ";
	char num[16];
	int n = 0;
	unsigned s = cal_watchdog_s;
	char rev[16];
	do {
		rev[n++] = (char)('0' + s % 10);
		s /= 10;
	} while (s && n < (int)sizeof(rev));
	for (int i = 0; i < n; i++)
		num[i] = rev[n - 1 - i];
	ssize_t w = write(2, pre, sizeof(pre) - 1);
	w = write(2, cal_current, strlen(cal_current));
	w = write(2, " (limit ", 8);
	w = write(2, num, (size_t)n);
	w = write(2, " s)\n", 4);
	(void)w;
	_exit(3);
}

/* fatal_usage - one line on stderr (control characters as '?'), exit 2. */
static void fatal_usage(const char *fmt, const char *arg)
{
	char msg[CAL_ERR_MAX];
	snprintf(msg, sizeof(msg), fmt, arg);
	fputs("calibrate: ", stderr);
	for (const char *p = msg; *p; p++)
		fputc((unsigned char)*p < 0x20 ? '?' : *p, stderr);
	fputs(" (see --help)\n", stderr);
	exit(2);
}

/* elapsed_since - nanoseconds from t0 to now. */
static uint64_t elapsed_since(uint64_t t0)
{
	return clock_now_ns() - t0;
}

/* cmp_double - qsort order for doubles. */
static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* median - of n > 0 values; sorts them in place. */
static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

/* make_base - an event base with precise timers, as impl_async/async.c
 * makes it (timerfd: epoll alone rounds timeouts up to milliseconds).
 * Returns NULL on failure. */
static struct event_base *make_base(void)
{
	struct event_base *base = NULL;
	struct event_config *ec = event_config_new();
	if (ec) {
		event_config_set_flag(ec, EVENT_BASE_FLAG_PRECISE_TIMER);
		base = event_base_new_with_config(ec);
		event_config_free(ec);
	}
	return base;
}

/* read_full / write_full - move exactly n bytes on a blocking fd (pipe or
 * socket; SIGPIPE is ignored).  Return 0, or -1 (errno set; 0 for end of
 * file on read). */
static int read_full(int fd, void *buf, size_t n)
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

static int write_full(int fd, const void *buf, size_t n)
{
	const char *p = buf;
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/*
 * Two-thread measurements (wake-up, TCP round trip) run with both threads on
 * the CPU the caller is on.  Why: that is where the scheduler puts a c=1
 * request/reply pair once it runs (the io_backend runs measure within a few
 * us of the pinned figure), and it is the floor.  Left alone, a new peer
 * thread starts on the other, idle CPU, and on a small VM a cross-CPU wake-up
 * costs 5-10x more and varies from run to run: a floor that is not one.
 */
struct cal_pin {
	cpu_set_t saved; /* the caller's affinity, restored by pin_end */
	cpu_set_t one;   /* the one CPU both threads use */
	int pinned;      /* 0: pinning refused (a restricted container): unpinned */
};

/* pin_begin - move the caller to the CPU it is on; fill attr (initialised
 * here) so a thread created with it starts there too, or with cross = 1 on
 * another CPU the process may use (the same one when there is none), for
 * the cross-CPU figure.  Never fails: unpinned, the measurement stands, only
 * noisier. */
static void pin_begin(struct cal_pin *pin, pthread_attr_t *attr, int cross)
{
	int cpu = sched_getcpu();
	cpu_set_t peer;
	pthread_attr_init(attr);
	pin->pinned = 0;
	if (cpu < 0 || pthread_getaffinity_np(pthread_self(), sizeof(pin->saved), &pin->saved))
		return;
	CPU_ZERO(&pin->one);
	CPU_SET(cpu, &pin->one);
	if (pthread_setaffinity_np(pthread_self(), sizeof(pin->one), &pin->one) != 0)
		return;
	pin->pinned = 1;
	peer = pin->one;
	for (int c = 0; cross && c < CPU_SETSIZE; c++) {
		if (c != cpu && CPU_ISSET(c, &pin->saved)) {
			CPU_ZERO(&peer);
			CPU_SET(c, &peer);
			break;
		}
	}
	pthread_attr_setaffinity_np(attr, sizeof(peer), &peer);
}

/* pin_end - the caller's own affinity back; attr destroyed. */
static void pin_end(struct cal_pin *pin, pthread_attr_t *attr)
{
	if (pin->pinned)
		pthread_setaffinity_np(pthread_self(), sizeof(pin->saved), &pin->saved);
	pthread_attr_destroy(attr);
}

/* io_error - "what: strerror", or "what: end of file" for errno 0. */
static void io_error(char *err, size_t errlen, const char *what)
{
	snprintf(err, errlen, "%s: %s", what, errno ? strerror(errno) : "unexpected end of file");
}

/* ---- cores ----------------------------------------------------------------- */

static int rep_cores(const struct cal_ctx *cx, double *value, char *err, size_t errlen)
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

static int rep_thread_create(const struct cal_ctx *cx, double *value, char *err, size_t errlen)
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
	} while (elapsed_since(t0) < cx->slice_ns);
	*value = (double)elapsed_since(t0) / (double)count / 1e3;
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
	while (read_full(pp->to_peer[0], &c, 1) == 0 && c != PINGPONG_QUIT)
		if (write_full(pp->to_main[1], &c, 1) != 0)
			break;
	return NULL;
}

/* pingpong_round - one round trip; 0 or -1 (errno set). */
static int pingpong_round(struct pingpong *pp)
{
	char c = 'p';
	if (write_full(pp->to_peer[1], &c, 1) != 0)
		return -1;
	return read_full(pp->to_main[0], &c, 1);
}

static int rep_wakeup(const struct cal_ctx *cx, double *value, char *err, size_t errlen)
{
	struct pingpong pp;
	pthread_t peer;
	const char quit = PINGPONG_QUIT;
	int rc = -1;
	if (pipe2(pp.to_peer, O_CLOEXEC) != 0) {
		io_error(err, errlen, "pipe");
		return -1;
	}
	if (pipe2(pp.to_main, O_CLOEXEC) != 0) {
		io_error(err, errlen, "pipe");
		goto err_peer_pipe;
	}
	struct cal_pin pin;
	pthread_attr_t attr;
	pin_begin(&pin, &attr, 0);
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
	} while (elapsed_since(t0) < cx->slice_ns);
	/* one-way: half the round trip */
	*value = (double)elapsed_since(t0) / (double)count / 2.0 / 1e3;
	rc = 0;
	goto out;
err_io:
	io_error(err, errlen, "pipe ping-pong");
out:
	/* the quit byte stops the peer; if it cannot be written, end of file does */
	if (write_full(pp.to_peer[1], &quit, 1) != 0) {
		close(pp.to_peer[1]);
		pp.to_peer[1] = -1;
	}
	pthread_join(peer, NULL);
err_unpin:
	pin_end(&pin, &attr);
	close(pp.to_main[0]);
	close(pp.to_main[1]);
err_peer_pipe:
	close(pp.to_peer[0]);
	if (pp.to_peer[1] >= 0)
		close(pp.to_peer[1]);
	return rc;
}

/* ---- tcp_rtt_us ------------------------------------------------------------- */

/* tcp_echo - the server side: echo CAL_MSG_BYTES messages until end of file. */
static void *tcp_echo(void *arg)
{
	int fd = *(int *)arg;
	char buf[CAL_MSG_BYTES];
	while (read_full(fd, buf, sizeof(buf)) == 0)
		if (write_full(fd, buf, sizeof(buf)) != 0)
			break;
	return NULL;
}

/* tcp_round - one request and its reply, checked; 0 or -1 (errno set). */
static int tcp_round(int fd, uint64_t i)
{
	char req[CAL_MSG_BYTES], rep[CAL_MSG_BYTES];
	memset(req, 0, sizeof(req));
	memcpy(req, &i, sizeof(i));
	if (write_full(fd, req, sizeof(req)) != 0 || read_full(fd, rep, sizeof(rep)) != 0)
		return -1;
	if (memcmp(req, rep, sizeof(req)) != 0) {
		errno = EPROTO;
		return -1;
	}
	return 0;
}

/* tcp_pair - a connected loopback pair (*cli, *srv), TCP_NODELAY on both.
 * The listener is closed before returning.  0, or -1 with err set. */
static int tcp_pair(int *cli, int *srv, char *err, size_t errlen)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof(a);
	int one = 1;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	*cli = *srv = -1;
	int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0) {
		io_error(err, errlen, "socket");
		return -1;
	}
	if (bind(lfd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(lfd, 1) != 0 ||
	    getsockname(lfd, (struct sockaddr *)&a, &alen) != 0) {
		io_error(err, errlen, "listen on 127.0.0.1");
		goto fail;
	}
	*cli = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (*cli < 0 || connect(*cli, (struct sockaddr *)&a, sizeof(a)) != 0) {
		io_error(err, errlen, "connect to 127.0.0.1");
		goto fail;
	}
	/* loopback connect completes in the backlog: accept cannot block here */
	*srv = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (*srv < 0) {
		io_error(err, errlen, "accept");
		goto fail;
	}
	if (setsockopt(*cli, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0 ||
	    setsockopt(*srv, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0) {
		io_error(err, errlen, "setsockopt TCP_NODELAY");
		goto fail;
	}
	close(lfd);
	return 0;
fail:
	if (*srv >= 0)
		close(*srv);
	if (*cli >= 0)
		close(*cli);
	*cli = *srv = -1;
	close(lfd);
	return -1;
}

/* thread_cpu_ns - CPU time (user + system) of the calling thread so far. */
static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;
	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* tcp_rtt - the median round trip of one repetition (cross: the two sides
 * on different CPUs): each one timed and recorded in a struct hist, like a
 * model's task latencies, so the figure compares with their p50 (the mean
 * would carry the rare long stall).  With cpu_us, also the CPU time of one
 * round trip in *cpu_us: the client thread's over the timed rounds plus the
 * echo process's whole life (wait4's rusage) over all its rounds, warm-up
 * included (its fork and exit, a few tens of us, spread over thousands).  The echo side is a forked process, as
 * bin/backend is to a model: a switch between two address spaces costs
 * more than one between two threads (on this VM ~5.7 vs ~9 us a round trip),
 * and the floor must be the client's and the server's real situation. */
static int tcp_rtt(const struct cal_ctx *cx, int cross, double *value, double *cpu_us, char *err,
		   size_t errlen)
{
	int cli, srv, rc = -1;
	struct hist *h = calloc(1, sizeof(*h));
	if (!h) {
		snprintf(err, errlen, "calloc: %s", strerror(errno));
		return -1;
	}
	if (tcp_pair(&cli, &srv, err, errlen) != 0) {
		free(h);
		return -1;
	}
	struct cal_pin pin;
	pthread_attr_t attr;
	pin_begin(&pin, &attr, cross);
	cpu_set_t peer;
	int have_peer = pin.pinned && pthread_attr_getaffinity_np(&attr, sizeof(peer), &peer) == 0;
	pid_t echo = fork();
	if (echo < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		pin_end(&pin, &attr);
		close(cli);
		close(srv);
		free(h);
		return -1;
	}
	if (echo == 0) { /* the echo process: until the client shuts down */
		close(cli);
		free(h); /* the parent's; this process only echoes */
		if (have_peer)
			sched_setaffinity(0, sizeof(peer), &peer);
		tcp_echo(&srv);
		_exit(0);
	}
	close(srv);
	uint64_t i = 0;
	for (; i < CAL_WARMUP_ROUNDS; i++)
		if (tcp_round(cli, i) != 0)
			goto out;
	uint64_t timed = 0, cpu0 = thread_cpu_ns(), cpu1;
	uint64_t t0 = clock_now_ns(), now = t0;
	while (now - t0 < cx->slice_ns) {
		uint64_t start = now;
		if (tcp_round(cli, i++) != 0)
			goto out;
		now = clock_now_ns();
		hist_record(h, now - start);
		timed++;
	}
	cpu1 = thread_cpu_ns();
	*value = (double)hist_percentile(h, 0.5) / 1e3;
	rc = 0;
out:
	if (rc != 0)
		io_error(err, errlen, "loopback TCP echo");
	shutdown(cli, SHUT_RDWR); /* the echo process reads end of file and exits */
	struct rusage ru;
	if (wait4(echo, NULL, 0, &ru) != echo) {
		if (rc == 0)
			snprintf(err, errlen, "wait4 on the echo process: %s", strerror(errno));
		rc = -1;
	} else if (rc == 0 && cpu_us) {
		double echo_us = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6 +
				 (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
		if (cpu0 == 0 || cpu1 <= cpu0 || timed == 0) {
			snprintf(err, errlen, "CLOCK_THREAD_CPUTIME_ID: no CPU time measured");
			rc = -1;
		} else {
			*cpu_us = (double)(cpu1 - cpu0) / 1e3 / (double)timed + echo_us / (double)i;
		}
	}
	pin_end(&pin, &attr);
	close(cli);
	free(h);
	return rc;
}

static int rep_tcp_rtt(const struct cal_ctx *cx, double *value, char *err, size_t errlen)
{
	return tcp_rtt(cx, 0, value, NULL, err, errlen);
}

static int rep_tcp_rtt_cross(const struct cal_ctx *cx, double *value, char *err, size_t errlen)
{
	return tcp_rtt(cx, 1, value, NULL, err, errlen);
}

/* rep_rpc_cpu - rpc_cpu_us: the one-CPU round trip again, its CPU time this
 * time.  One CPU: neither side waits idle for a cross-CPU wake-up, so the
 * CPU time is that of the work itself (both syscalls, both TCP stacks). */
static int rep_rpc_cpu(const struct cal_ctx *cx, double *value, char *err, size_t errlen)
{
	double rtt;
	return tcp_rtt(cx, 0, &rtt, value, err, errlen);
}

/* free_events - the first n of evs, the array and the base (may be NULL). */
static void free_events(struct event **evs, size_t n, struct event_base *base)
{
	for (size_t i = 0; i < n; i++)
		event_free(evs[i]);
	if (base)
		event_base_free(base);
	free(evs);
}

/* ---- event_dispatch_ns ------------------------------------------------------ */

/* The dispatch loop's shared state. */
struct dispatch_run {
	uint64_t deadline_ns; /* stop re-activating after this */
	uint64_t done;        /* callbacks run */
	int stop;             /* deadline passed: let the queue drain */
};

/* One of CAL_ACTIVE_EVENTS events that re-activates itself. */
struct dispatch_ev {
	struct event *ev;         /* the event */
	struct dispatch_run *run; /* shared state */
};

static void dispatch_active_cb(evutil_socket_t fd, short what, void *arg)
{
	struct dispatch_ev *d = arg;
	struct dispatch_run *r = d->run;
	(void)fd;
	(void)what;
	r->done++;
	if (r->done % CAL_CLOCK_EVERY == 0 && clock_now_ns() >= r->deadline_ns)
		r->stop = 1;
	if (!r->stop)
		event_active(d->ev, EV_TIMEOUT, 1);
}

static int rep_event_dispatch(const struct cal_ctx *cx, double *value, char *err, size_t errlen)
{
	struct dispatch_ev evs[CAL_ACTIVE_EVENTS];
	struct dispatch_run run = { 0 };
	int rc = -1, made = 0;
	struct event_base *base = make_base();
	if (!base) {
		snprintf(err, errlen, "event_base_new failed");
		return -1;
	}
	for (; made < CAL_ACTIVE_EVENTS; made++) {
		evs[made].run = &run;
		evs[made].ev = event_new(base, -1, 0, dispatch_active_cb, &evs[made]);
		if (!evs[made].ev) {
			snprintf(err, errlen, "event_new failed");
			goto out;
		}
	}
	uint64_t t0 = clock_now_ns();
	run.deadline_ns = t0 + cx->slice_ns;
	for (int i = 0; i < CAL_ACTIVE_EVENTS; i++)
		event_active(evs[i].ev, EV_TIMEOUT, 1);
	if (event_base_dispatch(base) < 0) {
		snprintf(err, errlen, "event_base_dispatch failed");
		goto out;
	}
	*value = (double)elapsed_since(t0) / (double)run.done;
	rc = 0;
out:
	for (int i = 0; i < made; i++)
		event_free(evs[i].ev);
	event_base_free(base);
	return rc;
}

/* ---- timer_event_ns ----------------------------------------------------------- */

static void timer_fired_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(*(uint64_t *)arg)++;
}

static int rep_timer_event(const struct cal_ctx *cx, double *value, char *err, size_t errlen)
{
	(void)cx;
	const struct timeval zero = { 0, 0 };
	uint64_t fired = 0;
	int rc = -1, made = 0;
	struct event **evs = calloc(CAL_TIMERS, sizeof(*evs));
	struct event_base *base = make_base();
	if (!evs || !base) {
		snprintf(err, errlen, "%s failed", evs ? "event_base_new" : "calloc");
		goto out;
	}
	/* made once, outside the clock, as async's slots make theirs */
	for (; made < CAL_TIMERS; made++) {
		evs[made] = event_new(base, -1, 0, timer_fired_cb, &fired);
		if (!evs[made]) {
			snprintf(err, errlen, "event_new failed");
			goto out;
		}
	}
	uint64_t t0 = clock_now_ns();
	for (int i = 0; i < CAL_TIMERS; i++)
		if (event_add(evs[i], &zero) != 0) {
			snprintf(err, errlen, "event_add failed");
			goto out;
		}
	if (event_base_dispatch(base) < 0 || fired != CAL_TIMERS) {
		snprintf(err, errlen, "%llu of %d timers fired", (unsigned long long)fired,
			 CAL_TIMERS);
		goto out;
	}
	*value = (double)elapsed_since(t0) / CAL_TIMERS;
	rc = 0;
out:
	free_events(evs, (size_t)made, base);
	return rc;
}

/* rss_growth_per - (VmRSS now - before) / count into *value: 0, or -1 with
 * err set if VmRSS could not be read (before < 0 means it could not then). */
static int rss_growth_per(long before, unsigned count, double *value, char *err, size_t errlen)
{
	long after = stats_rss_kib();
	if (before < 0 || after < 0) {
		snprintf(err, errlen, "cannot read VmRSS from /proc/self/status");
		return -1;
	}
	*value = (double)(after - before) / count;
	return 0;
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

static int rep_rss_thread(const struct cal_ctx *cx, double *value, char *err, size_t errlen)
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
	rc = rss_growth_per(before, cx->idle_threads, value, err, errlen);
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

/* ---- rss_per_pending_event_kib ------------------------------------------------- */

static void never_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
}

static int rep_rss_event(const struct cal_ctx *cx, double *value, char *err, size_t errlen)
{
	const struct timeval later = { CAL_PENDING_TIMEOUT_S, 0 };
	unsigned n = 0;
	int rc = -1;
	struct event **evs = malloc(cx->pending_events * sizeof(*evs));
	struct event_base *base = make_base();
	if (!evs || !base) {
		snprintf(err, errlen, "%s failed", evs ? "event_base_new" : "malloc");
		goto out;
	}
	memset(evs, 0, cx->pending_events * sizeof(*evs)); /* resident before "before" */
	malloc_trim(0); /* the last repetition's freed events leave the heap */
	long before = stats_rss_kib();
	for (; n < cx->pending_events; n++) {
		evs[n] = event_new(base, -1, 0, never_cb, NULL);
		if (!evs[n] || event_add(evs[n], &later) != 0) {
			snprintf(err, errlen, "event_new/event_add failed at event %u of %u",
				 n + 1, cx->pending_events);
			n += evs[n] != NULL;
			goto out;
		}
	}
	rc = rss_growth_per(before, cx->pending_events, value, err, errlen);
out:
	free_events(evs, n, base);
	malloc_trim(0);
	return rc;
}

/* ---- cpu_hash_unit_ns ------------------------------------------------------------ */

static int rep_cpu_hash(const struct cal_ctx *cx, double *value, char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	uint64_t t0 = clock_now_ns(), calls = 0, acc = 0;
	do {
		/* whole default-size tasks: the kernel's set-up is in the unit too */
		for (int i = 0; i < CAL_CLOCK_EVERY / 8; i++)
			acc += cpu_hash_kernel(calls + (uint64_t)i, CPU_HASH_DEFAULT_ROUNDS);
		calls += CAL_CLOCK_EVERY / 8;
	} while (elapsed_since(t0) < cx->slice_ns);
	*value = (double)elapsed_since(t0) / (double)(calls * CPU_HASH_DEFAULT_ROUNDS);
	cal_sink += acc;
	return 0;
}

/* ---- wake_overshoot_us ----------------------------------------------------------- */

/* How late a 1 ms sleep ends: the machine's timer wake-up cost (hrtimer
 * interrupt, scheduling the sleeper back in), which every timed wait of the
 * models pays, io_sleep's and the backend's alike.  Timer slack is 1 ns, as
 * in the models (harness/runner.c). */
static int rep_wake_overshoot(const struct cal_ctx *cx, double *value, char *err, size_t errlen)
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
	} while (n < CAL_WAKE_SLEEPS && (n < 20 || elapsed_since(t0) < cx->slice_ns));
	*value = median(late, n);
	return 0;
}

/* ---- hist_record_ns --------------------------------------------------------------- */

/* hist_cost - ns per recorded value: a loop's hist_record (shared == 0) or a
 * worker thread's sched_getcpu + hist_record_shared (shared == 1). */
static int hist_cost(const struct cal_ctx *cx, int shared, double *value, char *err,
		     size_t errlen)
{
	uint64_t *vals = malloc(CAL_HIST_VALUES * sizeof(*vals));
	struct hist *h = calloc(1, sizeof(*h));
	if (!vals || !h) {
		snprintf(err, errlen, "malloc: %s", strerror(errno));
		free(vals);
		free(h);
		return -1;
	}
	/* latencies spread over many octaves (1 us .. 16 ms), from a seed the
	 * compiler cannot know: nothing to fold, every bucket path taken */
	uint64_t x = clock_now_ns() | 1;
	for (int i = 0; i < CAL_HIST_VALUES; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		unsigned bits = CAL_HIST_MIN_BITS + (unsigned)(x % CAL_HIST_SPAN_BITS);
		vals[i] = (x >> 8) & ((1ULL << bits) - 1);
	}
	if (shared)
		hist_init_shared(h);
	uint64_t t0 = clock_now_ns(), count = 0, cpus = 0;
	do {
		if (shared) {
			for (int i = 0; i < CAL_HIST_VALUES; i++) {
				cpus += (uint64_t)sched_getcpu();
				hist_record_shared(h, vals[i]);
			}
		} else {
			for (int i = 0; i < CAL_HIST_VALUES; i++)
				hist_record(h, vals[i]);
		}
		count += CAL_HIST_VALUES;
	} while (elapsed_since(t0) < cx->slice_ns);
	*value = (double)elapsed_since(t0) / (double)count;
	cal_sink += hist_percentile(h, 0.99) + h->total + cpus; /* the results are used */
	free(vals);
	free(h);
	return 0;
}

static int rep_hist_record(const struct cal_ctx *cx, double *value, char *err, size_t errlen)
{
	return hist_cost(cx, 0, value, err, errlen);
}

static int rep_hist_record_shared(const struct cal_ctx *cx, double *value, char *err,
				  size_t errlen)
{
	return hist_cost(cx, 1, value, err, errlen);
}

/* ---- coro_switch_ns, swapcontext_switch_ns --------------------------------------- */

/* One coroutine bouncing straight back: each resume is two switches.  The
 * green and uring models use coro.c's switch (no system call); glibc's
 * swapcontext saves and restores the signal mask, one rt_sigprocmask system
 * call per switch.  README: "Choosing the switch". */
static void bounce_coro(void *arg)
{
	(void)arg;
	for (;;)
		coro_yield();
}

static int rep_coro_switch(const struct cal_ctx *cx, double *value, char *err, size_t errlen)
{
	struct coro_stacks st;
	struct coro co;
	if (coro_stacks_map(&st, 1, CAL_CORO_STACK, err, errlen) != 0)
		return -1;
	coro_init(&co, coro_stack_lo(&st, 0), st.stack, bounce_coro, NULL);
	uint64_t t0 = clock_now_ns(), n = 0;
	do {
		for (int i = 0; i < CAL_CLOCK_EVERY; i++)
			coro_resume(&co);
		n += CAL_CLOCK_EVERY;
	} while (elapsed_since(t0) < cx->slice_ns);
	*value = (double)elapsed_since(t0) / (double)(2 * n);
	coro_fini(&co);
	coro_stacks_unmap(&st);
	return 0;
}

static ucontext_t uc_caller; /* swapcontext: the measuring side */
static ucontext_t uc_callee; /* and the bouncing one */

static void bounce_uc(void)
{
	for (;;)
		swapcontext(&uc_callee, &uc_caller);
}

static int rep_swapcontext(const struct cal_ctx *cx, double *value, char *err, size_t errlen)
{
	void *stack = malloc(CAL_CORO_STACK);
	if (!stack || getcontext(&uc_callee) != 0) {
		snprintf(err, errlen, "getcontext: %s", stack ? strerror(errno) : "out of memory");
		free(stack);
		return -1;
	}
	uc_callee.uc_stack.ss_sp = stack;
	uc_callee.uc_stack.ss_size = CAL_CORO_STACK;
	uc_callee.uc_link = NULL;
	makecontext(&uc_callee, bounce_uc, 0);
	uint64_t t0 = clock_now_ns(), n = 0;
	do {
		for (int i = 0; i < CAL_CLOCK_EVERY; i++)
			swapcontext(&uc_caller, &uc_callee);
		n += CAL_CLOCK_EVERY;
	} while (elapsed_since(t0) < cx->slice_ns);
	*value = (double)elapsed_since(t0) / (double)(2 * n);
	free(stack);
	return 0;
}

/* ---- the table --------------------------------------------------------------------- */

static const struct cal_item cal_items[] = {
	{ "thread_create_join_us", "us", "pthread_create + pthread_join of an empty thread", 0,
	  rep_thread_create },
	{ "wakeup_pingpong_us", "us", "one-way thread-to-thread wake-up: pipe ping-pong round trip / 2; both on one CPU",
	  0, rep_wakeup },
	{ "tcp_rtt_us", "us",
	  "loopback TCP round trip (median): 24-byte request and reply between two processes "
	  "on one CPU; blocking; TCP_NODELAY",
	  0, rep_tcp_rtt },
	{ "tcp_rtt_cross_cpu_us", "us",
	  "the same round trip with the two processes on different CPUs (a model's c=1 run "
	  "pays this when the scheduler splits it from the backend); one CPU: as tcp_rtt_us",
	  0, rep_tcp_rtt_cross },
	{ "rpc_cpu_us", "us",
	  "CPU time (user + system) of one such round trip, client and echo process together, "
	  "one CPU: cores / rpc_cpu_us caps the backend round trips per second",
	  0, rep_rpc_cpu },
	{ "event_dispatch_ns", "ns", "libevent cost per dispatched event (event_active + callback)",
	  0, rep_event_dispatch },
	{ "timer_event_ns", "ns",
	  "libevent cost per timer: event_add (zero timeout; precise timers) + its dispatch; "
	  "thousands armed at once",
	  0, rep_timer_event },
	{ "rss_per_idle_thread_kib", "KiB",
	  "resident memory per idle thread (default stack; blocked on a condvar)", 0,
	  rep_rss_thread },
	{ "rss_per_pending_event_kib", "KiB",
	  "resident memory per pending libevent event (event_new + event_add; long timeout)", 0,
	  rep_rss_event },
	{ "cpu_hash_unit_ns", "ns",
	  "one cpu_hash round on one core (tasks of the default rounds; set-up included)", 0,
	  rep_cpu_hash },
	{ "wake_overshoot_us", "us",
	  "how late a 1 ms sleep (clock_nanosleep, timer slack 1 ns) ends: the timer wake-up "
	  "every timed wait pays (median)",
	  0, rep_wake_overshoot },
	{ "hist_record_ns", "ns", "one hist_record() call with varied values (target < 30 ns)", 0,
	  rep_hist_record },
	{ "hist_record_shared_ns", "ns",
	  "what a worker thread pays to record a latency: sched_getcpu() + hist_record_shared() "
	  "into its CPU's histogram (target < 30 ns)",
	  0, rep_hist_record_shared },
	{ "coro_switch_ns", "ns",
	  "one coroutine switch as green and uring make it (impl_green/coro.c: registers and "
	  "stack pointer, no system call); resume + yield / 2",
	  0, rep_coro_switch },
	{ "swapcontext_switch_ns", "ns",
	  "one switch with glibc swapcontext (saves the signal mask: a sigprocmask system call "
	  "per switch), the alternative not taken; round trip / 2",
	  0, rep_swapcontext },
	{ "cores", "cpus", "online CPUs", 1, rep_cores },
};
#define CAL_NITEMS (sizeof(cal_items) / sizeof(cal_items[0]))

/* ---- main -------------------------------------------------------------------------- */

static const char usage_text[] =
	"usage: calibrate [--quick] [--quiet] [--out FILE]\n"
	"Measures this machine's floor: thread create+join, thread wake-up, loopback TCP\n"
	"round trip (one CPU and across CPUs), libevent dispatch and timer cost, RSS per\n"
	"idle thread and per pending event, one cpu_hash round, one hist_record() call,\n"
	"a coroutine switch (ours and glibc swapcontext),\n"
	"and the core count.\n"
	"Each figure is the median of several repetitions (about 3 s in all).\n"
	"  --quick      fewer and shorter repetitions (under 1 s)\n"
	"  --quiet      no progress lines on stderr\n"
	"  --out FILE   write the CSV to FILE (temporary file + rename) instead of stdout\n"
	"  --help       this text\n"
	"Output: CSV with the header name,value,unit,what; one row per figure.\n"
	"Exit status: 0 ok, 2 bad usage, 3 a measurement failed (no file written).\n";

/* csv_field - write s as one CSV field (quoted when it holds , \" or newline). */
static void csv_field(FILE *f, const char *s)
{
	if (!strpbrk(s, ",\"\n")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

/* write_csv - the header and one row per item. */
static void write_csv(FILE *f, const double *values, char whats[][CAL_ERR_MAX])
{
	fputs("name,value,unit,what\n", f);
	for (size_t i = 0; i < CAL_NITEMS; i++) {
		fprintf(f, "%s,%.6g,%s,", cal_items[i].name, values[i], cal_items[i].unit);
		csv_field(f, whats[i]);
		fputc('\n', f);
	}
}

/* write_out - the CSV to path through a temporary file and rename.
 * 0, or -1 with err set (the temporary file removed). */
static int write_out(const char *path, const double *values, char whats[][CAL_ERR_MAX],
		     char *err, size_t errlen)
{
	char tmp[4096];
	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof(tmp)) {
		snprintf(err, errlen, "--out: path too long");
		return -1;
	}
	FILE *f = fopen(tmp, "w");
	if (!f) {
		snprintf(err, errlen, "cannot create %.160s: %s", tmp, strerror(errno));
		return -1;
	}
	write_csv(f, values, whats);
	int bad = fflush(f) != 0 || fsync(fileno(f)) != 0;
	int saved = errno;
	if (fclose(f) != 0 && !bad) {
		bad = 1;
		saved = errno;
	}
	if (!bad && rename(tmp, path) != 0) {
		bad = 1;
		saved = errno;
	}
	if (bad) {
		unlink(tmp);
		snprintf(err, errlen, "cannot write %.160s: %s", path, strerror(saved));
		return -1;
	}
	return 0;
}

/* check_out_dir - the folder of path exists and is writable, and path is not
 * a folder: checked before measuring, so a typo costs no time.  Exits 2. */
static void check_out_dir(const char *path)
{
	char dir[4096];
	struct stat st;
	if (!*path)
		fatal_usage("--out needs a file name%s", "");
	if (strlen(path) >= sizeof(dir))
		fatal_usage("--out: path too long%s", "");
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		fatal_usage("--out %s: is a directory", path);
	strcpy(dir, path);
	char *slash = strrchr(dir, '/');
	if (!slash)
		strcpy(dir, ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode) || access(dir, W_OK | X_OK) != 0)
		fatal_usage("--out: cannot write into the folder of %s", path);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "quick", no_argument, NULL, 'k' },  { "quiet", no_argument, NULL, 'q' },
		{ "out", required_argument, NULL, 'o' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int quick = 0, quiet = 0;
	const char *out = NULL;
	int opt;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":ho:", longopts, NULL)) != -1) {
		switch (opt) {
		case 'k':
			quick = 1;
			break;
		case 'q':
			quiet = 1;
			break;
		case 'o':
			out = optarg;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		case ':':
			fatal_usage("%s needs a value", argv[optind - 1]);
			break;
		default:
			fatal_usage("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		fatal_usage("unexpected argument '%s'", argv[optind]);
	if (out)
		check_out_dir(out);

	struct cal_ctx cx = {
		.slice_ns = quick ? CAL_QUICK_SLICE_NS : CAL_SLICE_NS,
		.idle_threads = quick ? CAL_QUICK_IDLE_THREADS : CAL_IDLE_THREADS,
		.pending_events = quick ? CAL_QUICK_PENDING_EVENTS : CAL_PENDING_EVENTS,
	};
	int reps = quick ? CAL_QUICK_REPS : CAL_REPS;
	signal(SIGPIPE, SIG_IGN);
	cal_watchdog_s = quick ? CAL_QUICK_WATCHDOG_S : CAL_WATCHDOG_S;
	signal(SIGALRM, watchdog_cb);
	alarm(cal_watchdog_s);

	double values[CAL_NITEMS];
	char whats[CAL_NITEMS][CAL_ERR_MAX];
	for (size_t i = 0; i < CAL_NITEMS; i++) {
		const struct cal_item *it = &cal_items[i];
		double v[CAL_REPS];
		char err[CAL_ERR_MAX] = "";
		int n = it->single ? 1 : reps;
		cal_current = it->name;
		for (int r = 0; r < n; r++) {
			if (it->rep(&cx, &v[r], err, sizeof(err)) != 0 || !isfinite(v[r])) {
				fprintf(stderr, "calibrate: %s: %s\n", it->name,
					err[0] ? err : "not a finite number");
				return 3;
			}
		}
		double lo = v[0], hi = v[0];
		for (int r = 1; r < n; r++) {
			lo = v[r] < lo ? v[r] : lo;
			hi = v[r] > hi ? v[r] : hi;
		}
		values[i] = median(v, n);
		if (n > 1)
			snprintf(whats[i], sizeof(whats[i]), "%s; median of %d (min %.4g max %.4g)",
				 it->what, n, lo, hi);
		else
			snprintf(whats[i], sizeof(whats[i]), "%s", it->what);
		if (!quiet && n > 1)
			fprintf(stderr, "calibrate: %-26s %10.4g %-4s (median of %d, %.4g..%.4g)\n",
				it->name, values[i], it->unit, n, lo, hi);
		else if (!quiet)
			fprintf(stderr, "calibrate: %-26s %10.4g %s\n", it->name, values[i],
				it->unit);
	}
	alarm(0);
	cal_current = "output";

	if (!out) {
		write_csv(stdout, values, whats);
		if (fflush(stdout) != 0) {
			fprintf(stderr, "calibrate: stdout: %s\n", strerror(errno));
			return 3;
		}
		return 0;
	}
	char err[CAL_ERR_MAX];
	if (write_out(out, values, whats, err, sizeof(err)) != 0) {
		fprintf(stderr, "calibrate: %s\n", err);
		return 3;
	}
	return 0;
}
