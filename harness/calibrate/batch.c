/*
 * batch.c - bin/calibrate's floor figures that must hold at every level: the
 * CPU a loopback round trip costs when many are in flight, and the least a
 * round trip ever took.
 *
 * rpc_cpu_us is a c = 1 ping-pong: each round trip pays two wake-ups and two
 * context switches.  With many connections in flight both sides batch (one
 * epoll_wait hands over many ready sockets, no one sleeps between them), and
 * a round trip costs less: at c = 1,024 the models spent 22-30 us where the
 * ping-pong took 29-35, so cores / rpc_cpu_us was a CPU floor the models
 * beat.  rpc_cpu_batch_us measures the round trip as a loaded loop makes it
 * (CAL_BATCH_CONNS connections, one request in flight on each, a client loop
 * and an echo process on epoll, both on one CPU: the cheapest placement, as
 * no one waits for a cross-CPU wake-up), so cores / the lesser of the two
 * bounds the round trips per second at every level.
 *
 * tcp_rtt_min_us is the least of a repetition's round trips: the latency
 * floor of a task is built from it (a median is a floor half the tasks
 * beat).
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../runtime/clock.h"
#include "../runtime/util.h"
#include "calibrate.h"

#define BATCH_EVENTS 256   /* epoll_wait hands over at most this many at once */

/* batch_pair - a connected loopback pair (*cli non-blocking, *srv), both
 * TCP_NODELAY; lfd a listening socket.  0, or -1 with err set. */
static int batch_pair(int lfd, const struct sockaddr_in *a, int *cli, int *srv, char *err,
		      size_t errlen)
{
	int one = 1;
	*srv = -1;
	*cli = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (*cli < 0 || connect(*cli, (const struct sockaddr *)a, sizeof(*a)) != 0) {
		cal_io_error(err, errlen, "connect to 127.0.0.1");
		goto fail;
	}
	*srv = accept4(lfd, NULL, NULL, SOCK_CLOEXEC); /* in the backlog: cannot block */
	if (*srv < 0) {
		cal_io_error(err, errlen, "accept");
		goto fail;
	}
	if (setsockopt(*cli, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0 ||
	    setsockopt(*srv, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0 ||
	    fcntl(*cli, F_SETFL, O_NONBLOCK) != 0 || fcntl(*srv, F_SETFL, O_NONBLOCK) != 0) {
		cal_io_error(err, errlen, "setsockopt/fcntl");
		goto fail;
	}
	return 0;
fail:
	if (*cli >= 0)
		close(*cli);
	if (*srv >= 0)
		close(*srv);
	*cli = *srv = -1;
	return -1;
}

/* batch_echo - the echo process: every byte read on any of fds[0..n) is
 * written back, until the first end of file.  Never returns. */
static void batch_echo(const int *fds, int n)
{
	int ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		_exit(3);
	for (int i = 0; i < n; i++) {
		struct epoll_event ev = { .events = EPOLLIN, .data.fd = fds[i] };
		if (epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev) != 0)
			_exit(3);
	}
	struct epoll_event evs[BATCH_EVENTS];
	char buf[CAL_MSG_BYTES * 4];
	for (;;) {
		int k = epoll_wait(ep, evs, BATCH_EVENTS, -1);
		if (k < 0 && errno != EINTR)
			_exit(3);
		for (int i = 0; i < k; i++) {
			ssize_t r = read(evs[i].data.fd, buf, sizeof(buf));
			if (r == 0)
				_exit(0);
			if (r > 0 && util_write_full(evs[i].data.fd, buf, (size_t)r) != 0)
				_exit(3);
		}
	}
}

/* batch_client - the client loop: one request in flight per connection,
 * the next sent when its reply is whole; round trips completed over
 * slice_ns into *done.  0, or -1 with err set. */
static int batch_client(const int *fds, int n, uint64_t slice_ns, uint64_t *done, char *err,
			size_t errlen)
{
	int ep = epoll_create1(EPOLL_CLOEXEC), rc = -1;
	unsigned *got = calloc((size_t)n, sizeof(*got)); /* reply bytes so far, per connection */
	char req[CAL_MSG_BYTES], buf[CAL_MSG_BYTES];
	memset(req, 7, sizeof(req));
	if (ep < 0 || !got) {
		cal_io_error(err, errlen, ep < 0 ? "epoll_create1" : "calloc");
		goto out;
	}
	for (int i = 0; i < n; i++) {
		struct epoll_event ev = { .events = EPOLLIN, .data.u32 = (uint32_t)i };
		if (epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev) != 0 ||
		    util_write_full(fds[i], req, sizeof(req)) != 0) {
			cal_io_error(err, errlen, "the first requests");
			goto out;
		}
	}
	struct epoll_event evs[BATCH_EVENTS];
	uint64_t t0 = clock_now_ns();
	*done = 0;
	while (clock_now_ns() - t0 < slice_ns) {
		int k = epoll_wait(ep, evs, BATCH_EVENTS, 1000);
		if (k <= 0) {
			if (k < 0 && errno == EINTR)
				continue;
			cal_io_error(err, errlen, k == 0 ? "no reply within 1 s" : "epoll_wait");
			goto out;
		}
		for (int e = 0; e < k; e++) {
			int i = (int)evs[e].data.u32;
			ssize_t r = read(fds[i], buf, sizeof(buf) - got[i]);
			if (r <= 0) {
				if (r < 0 && (errno == EAGAIN || errno == EINTR))
					continue;
				cal_io_error(err, errlen, "the echo process");
				goto out;
			}
			got[i] += (unsigned)r;
			if (got[i] < CAL_MSG_BYTES)
				continue;
			got[i] = 0;
			(*done)++;
			if (util_write_full(fds[i], req, sizeof(req)) != 0) {
				cal_io_error(err, errlen, "a request");
				goto out;
			}
		}
	}
	rc = 0;
out:
	free(got);
	if (ep >= 0)
		close(ep);
	return rc;
}

int rep_rpc_cpu_batch(const struct cal_ctx *cx, double *value, char *err, size_t errlen)
{
	int cli[CAL_BATCH_CONNS], srv[CAL_BATCH_CONNS], n = 0, srv_open = 1, ok = 0;
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof(a);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    listen(lfd, CAL_BATCH_CONNS) != 0 || getsockname(lfd, (struct sockaddr *)&a, &alen)) {
		cal_io_error(err, errlen, "listen on 127.0.0.1");
		if (lfd >= 0)
			close(lfd);
		return -1;
	}
	for (; n < CAL_BATCH_CONNS; n++)
		if (batch_pair(lfd, &a, &cli[n], &srv[n], err, errlen) != 0)
			break;
	close(lfd);
	if (n < CAL_BATCH_CONNS)
		goto out;
	struct cal_pin pin;
	pthread_attr_t attr;
	cal_pin_begin(&pin, &attr, 0); /* both sides on this CPU */
	pid_t echo = fork();
	if (echo < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		cal_pin_end(&pin, &attr);
		goto out;
	}
	if (echo == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		for (int i = 0; i < n; i++)
			close(cli[i]);
		batch_echo(srv, n);
	}
	for (int i = 0; i < n; i++)
		close(srv[i]);
	srv_open = 0;
	uint64_t done = 0, cpu0 = cal_thread_cpu_ns();
	ok = batch_client(cli, n, cx->slice_ns, &done, err, errlen) == 0;
	uint64_t cpu1 = cal_thread_cpu_ns();
	for (int i = 0; i < n; i++)
		shutdown(cli[i], SHUT_WR); /* the echo process reads end of file and exits */
	struct rusage ru;
	if (wait4(echo, NULL, 0, &ru) != echo) {
		if (ok)
			snprintf(err, errlen, "wait4 on the echo process: %s", strerror(errno));
		ok = 0;
	}
	cal_pin_end(&pin, &attr);
	if (ok && (cpu0 == 0 || cpu1 <= cpu0 || done == 0)) {
		snprintf(err, errlen, "no round trip or no CPU time measured");
		ok = 0;
	}
	if (ok) {
		/* The echo process's whole life: its fork and exit, a few tens of us,
		 * spread over the round trips (as rpc_cpu_us counts it). */
		double echo_us = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6 +
				 (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
		*value = ((double)(cpu1 - cpu0) / 1e3 + echo_us) / (double)done;
	}
out:
	for (int i = 0; i < n; i++) {
		close(cli[i]);
		if (srv_open)
			close(srv[i]);
	}
	return ok ? 0 : -1;
}
