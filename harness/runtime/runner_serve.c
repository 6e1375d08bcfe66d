/*
 * runner_serve.c - serve mode's shared parts (serve.h): listeners, the stop,
 * accept's failures, the counts, the clock's window.
 *
 * The counts a request touches (requests, checksum, ...) live in tallies of
 * a connection, thread or loop and are merged under a mutex when those end:
 * an atomic add per request on a line every loop writes would cost the
 * models with several loops a cache miss per request that the one-loop
 * models do not pay (dispatch.h's ids are claimed in blocks for the same
 * reason).  The connection counts are atomics: touched once per connection.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "serve.h"
#include "stats.h"
#include "tally.h"

#define SERVE_SOMAXCONN "/proc/sys/net/core/somaxconn"
#define SERVE_SNDBUF_ENV "TVSA_SERVE_SNDBUF" /* test hook: SO_SNDBUF of every connection
						(a slow reader's replies then block at once) */

/* The server's state: one per process, as the run is. */
static struct {
	int fds[SERVE_LISTENERS_MAX];  /* listening sockets */
	atomic_int nfds;               /* how many (read by the signal handler) */
	atomic_int stopping;           /* 1 once serve_stop ran */
	uint64_t max_requests;         /* --serve-requests, 0: none */
	atomic_uint_fast64_t answered; /* 200s so far (with --serve-requests only) */
	atomic_uint_fast64_t open;     /* connections open now */
	atomic_uint_fast64_t peak;     /* ... at most */
	atomic_uint_fast64_t total;    /* accepted */
	atomic_uint_fast64_t accept_errors; /* accept's resource failures, set-ups failed */
	atomic_int started;            /* 1: the clock started */
	atomic_int stopped;            /* 1: the clock stopped */
	atomic_int said;               /* 1: the first resource failure was said */
	struct run_result *res;        /* the clock's figures go here */
	struct run_fault fault;        /* the first fatal fault */
	pthread_mutex_t mu;            /* guards sum */
	struct serve_tally sum;        /* merged tallies */
	int backlog;                   /* in force */
	struct sockaddr_in addr;       /* where it listens */
} sv = { .fault = RUN_FAULT_INIT, .mu = PTHREAD_MUTEX_INITIALIZER };

void serve_stop(void)
{
	atomic_store(&sv.stopping, 1);
	int n = atomic_load(&sv.nfds);
	for (int i = 0; i < n; i++)
		shutdown(sv.fds[i], SHUT_RDWR); /* async-signal-safe */
}

int serve_stopping(void)
{
	return atomic_load_explicit(&sv.stopping, memory_order_relaxed);
}

static void stop_signal_cb(int sig)
{
	(void)sig;
	int saved = errno;
	serve_stop();
	errno = saved;
}

void serve_fault(const char *why)
{
	run_fault_set(&sv.fault, why);
	serve_stop();
}

void serve_error_note(const char *why)
{
	run_error_note(&sv.fault, why);
}

int serve_fault_report(struct run_result *res)
{
	return run_fault_report(&sv.fault, res);
}

/* backlog_in_force - min(ours, net.core.somaxconn): what listen(2) gives. */
static int backlog_in_force(void)
{
	uint64_t cap = 0;
	if (stats_read_u64(SERVE_SOMAXCONN, &cap) != 0 || cap == 0 || cap > SERVE_BACKLOG)
		return SERVE_BACKLOG;
	return (int)cap;
}

/* listen_one - a listening socket on sv.addr (its port filled in by the
 * first).  The fd, or -1 with err set. */
static int listen_one(int reuseport, char *err, size_t errlen)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1;
	const char *what = "socket";
	if (fd < 0)
		goto fail;
	what = "SO_REUSEADDR";
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0)
		goto fail;
	/* Accepted sockets inherit it: a reply is one write, and a pipelined
	 * client's second reply must not wait for the first's ACK (Nagle). */
	what = "TCP_NODELAY";
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0)
		goto fail;
	/* The test hook: accepted sockets inherit a fixed send buffer (no
	 * autotuning), so a slow reader's replies fill it after a few KiB. */
	const char *sndbuf = getenv(SERVE_SNDBUF_ENV);
	int bytes = sndbuf ? atoi(sndbuf) : 0;
	what = "SO_SNDBUF (" SERVE_SNDBUF_ENV ")";
	if (bytes > 0 && setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof(bytes)) != 0)
		goto fail;
	what = "SO_REUSEPORT";
	if (reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0)
		goto fail;
	what = "bind";
	if (bind(fd, (struct sockaddr *)&sv.addr, sizeof(sv.addr)) != 0)
		goto fail;
	what = "listen";
	if (listen(fd, SERVE_BACKLOG) != 0)
		goto fail;
	socklen_t len = sizeof(sv.addr);
	what = "getsockname";
	if (getsockname(fd, (struct sockaddr *)&sv.addr, &len) != 0)
		goto fail;
	return fd;
fail:;
	int e = errno;
	char a[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &sv.addr.sin_addr, a, sizeof(a));
	snprintf(err, errlen, "--serve %s:%u: %s: %s", a, (unsigned)ntohs(sv.addr.sin_port), what,
		 strerror(e));
	if (fd >= 0)
		close(fd);
	return -1;
}

int serve_open(const struct serve_opts *o, struct run_result *res, char *err, size_t errlen)
{
	sv.addr = o->addr;
	sv.res = res;
	sv.max_requests = o->max_requests;
	sv.backlog = backlog_in_force();
	uint64_t n = o->listeners < 1 ? 1 : o->listeners;
	if (n > SERVE_LISTENERS_MAX)
		n = SERVE_LISTENERS_MAX;
	for (uint64_t i = 0; i < n; i++) {
		int fd = listen_one(n > 1, err, errlen);
		if (fd < 0) {
			serve_close();
			return -1;
		}
		sv.fds[i] = fd;
		atomic_store(&sv.nfds, (int)i + 1);
	}
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = stop_signal_cb;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	if (sigaction(SIGTERM, &sa, NULL) != 0 || sigaction(SIGINT, &sa, NULL) != 0) {
		snprintf(err, errlen, "sigaction: %s", strerror(errno));
		serve_close();
		return -1;
	}
	char a[INET_ADDRSTRLEN], line[64];
	inet_ntop(AF_INET, &sv.addr.sin_addr, a, sizeof(a));
	int len = snprintf(line, sizeof(line), "listening %s:%u\n", a,
			   (unsigned)ntohs(sv.addr.sin_port));
	fputs(line, stderr);
	if (o->ready_fd >= 0) {
		ssize_t w = write(o->ready_fd, line, (size_t)len);
		close(o->ready_fd);
		if (w != len) {
			snprintf(err, errlen, "--ready-fd %d: %s", o->ready_fd,
				 w < 0 ? strerror(errno) : "short write");
			serve_close();
			return -1;
		}
	}
	return 0;
}

void serve_close(void)
{
	int n = atomic_exchange(&sv.nfds, 0);
	for (int i = 0; i < n; i++)
		close(sv.fds[i]);
}

/* One loop thread's work (serve_run_loops). */
struct loop_arg {
	void (*fn)(void *arg, uint64_t i); /* what it runs */
	void *arg;                         /* with this */
	uint64_t i;                        /* and its index */
};

static void *loop_main(void *p)
{
	struct loop_arg *a = p;
	a->fn(a->arg, a->i);
	return NULL;
}

void serve_run_loops(uint64_t n, void (*fn)(void *arg, uint64_t i), void *arg)
{
	if (n <= 1) {
		fn(arg, 0);
		return;
	}
	pthread_t *tids = calloc(n, sizeof(*tids));
	struct loop_arg *args = calloc(n, sizeof(*args));
	uint64_t made = 0;
	if (!tids || !args)
		serve_fault("out of memory for the loop threads");
	for (; tids && args && made < n; made++) {
		args[made] = (struct loop_arg){ fn, arg, made };
		int rc = pthread_create(&tids[made], NULL, loop_main, &args[made]);
		if (rc != 0) {
			char why[MODEL_REASON_MAX];
			snprintf(why, sizeof(why), "pthread_create (loop %llu): %s",
				 (unsigned long long)made, strerror(rc));
			serve_fault(why);
			break;
		}
	}
	for (uint64_t i = 0; i < made; i++)
		pthread_join(tids[i], NULL);
	free(args);
	free(tids);
}

int serve_listener(uint64_t i)
{
	int n = atomic_load(&sv.nfds);
	return n > 0 ? sv.fds[i % (uint64_t)n] : -1;
}

void serve_totals(struct serve_totals *out)
{
	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&sv.mu);
	out->t = sv.sum;
	pthread_mutex_unlock(&sv.mu);
	out->conns_total = atomic_load(&sv.total);
	out->conns_peak = atomic_load(&sv.peak);
	out->accept_errors = atomic_load(&sv.accept_errors);
	out->listeners = (uint64_t)atomic_load(&sv.nfds);
	out->backlog = sv.backlog;
	out->port = ntohs(sv.addr.sin_port);
	inet_ntop(AF_INET, &sv.addr.sin_addr, out->addr, sizeof(out->addr));
}

/* say_once - the first resource failure on stderr; the rest are counted. */
static void say_once(const char *what, const char *why)
{
	if (atomic_exchange(&sv.said, 1) == 0)
		fprintf(stderr, "serve: %s: %s (counted in accept_errors; serving goes on)\n", what,
			why);
}

enum serve_accept_act serve_accept_failed(int e)
{
	if (e == EAGAIN || e == EWOULDBLOCK)
		return serve_stopping() ? SERVE_ACCEPT_STOP : SERVE_ACCEPT_WAIT;
	if (serve_stopping() || e == EINVAL || e == EBADF)
		return SERVE_ACCEPT_STOP;
	if (e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM) {
		atomic_fetch_add(&sv.accept_errors, 1);
		say_once("accept", strerror(e));
		return SERVE_ACCEPT_PAUSE;
	}
	return SERVE_ACCEPT_RETRY; /* ECONNABORTED, EPROTO, EINTR, EPERM (a firewall) */
}

void serve_setup_failed(const char *why)
{
	atomic_fetch_add(&sv.accept_errors, 1);
	say_once("a connection's set-up failed", why);
}

void serve_conn_opened(void)
{
	uint64_t now = atomic_fetch_add(&sv.open, 1) + 1;
	atomic_fetch_add(&sv.total, 1);
	uint64_t peak = atomic_load(&sv.peak);
	while (now > peak && !atomic_compare_exchange_weak(&sv.peak, &peak, now))
		;
	if (!atomic_load_explicit(&sv.started, memory_order_relaxed) &&
	    atomic_exchange(&sv.started, 1) == 0)
		run_clock_start(sv.res);
}

void serve_conn_closed(void)
{
	atomic_fetch_sub(&sv.open, 1);
}

void serve_clock_stop(void)
{
	if (atomic_load(&sv.started) && atomic_exchange(&sv.stopped, 1) == 0)
		run_clock_stop(sv.res);
}

void serve_answered(struct serve_tally *t, int status, uint64_t id, uint64_t result)
{
	if (status != 200) {
		if (status == 500)
			t->errors++;
		else
			t->bad++;
		return;
	}
	t->requests++;
	t->checksum += wl_fold(id, result);
	if (sv.max_requests && atomic_fetch_add(&sv.answered, 1) + 1 == sv.max_requests)
		serve_stop();
}

void serve_tally_merge(const struct serve_tally *t)
{
	pthread_mutex_lock(&sv.mu);
	sv.sum.requests += t->requests;
	sv.sum.errors += t->errors;
	sv.sum.bad += t->bad;
	sv.sum.dropped += t->dropped;
	sv.sum.checksum += t->checksum;
	pthread_mutex_unlock(&sv.mu);
}
