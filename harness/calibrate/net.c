/*
 * net.c - bin/calibrate's network figures: the loopback TCP round trip
 * between two processes on one CPU and across CPUs, and the CPU one round
 * trip costs both ends (the CPU bound of a backend pair); with --backend, the
 * round trip to a running bin/backend (on another host: the floor of a sweep
 * against it) and the CPU it costs this host.
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
#include "../../workloads/wire.h"
#include "../runtime/clock.h"
#include "../runtime/evbase.h"
#include "../runtime/hist.h"
#include "../runtime/stats.h"
#include "../runtime/util.h"
#include "calibrate.h"

/* ---- tcp_rtt_us ------------------------------------------------------------- */

/* tcp_echo - the server side: echo CAL_MSG_BYTES messages until end of file. */
static void *tcp_echo(void *arg)
{
	int fd = *(int *)arg;
	char buf[CAL_MSG_BYTES];
	while (util_read_full(fd, buf, sizeof(buf)) == 0)
		if (util_write_full(fd, buf, sizeof(buf)) != 0)
			break;
	return NULL;
}

/* tcp_round - one request and its reply, checked; 0 or -1 (errno set). */
static int tcp_round(int fd, uint64_t i)
{
	char req[CAL_MSG_BYTES], rep[CAL_MSG_BYTES];
	memset(req, 0, sizeof(req));
	memcpy(req, &i, sizeof(i));
	if (util_write_full(fd, req, sizeof(req)) != 0 || util_read_full(fd, rep, sizeof(rep)) != 0)
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
		cal_io_error(err, errlen, "socket");
		return -1;
	}
	if (bind(lfd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(lfd, 1) != 0 ||
	    getsockname(lfd, (struct sockaddr *)&a, &alen) != 0) {
		cal_io_error(err, errlen, "listen on 127.0.0.1");
		goto fail;
	}
	*cli = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (*cli < 0 || connect(*cli, (struct sockaddr *)&a, sizeof(a)) != 0) {
		cal_io_error(err, errlen, "connect to 127.0.0.1");
		goto fail;
	}
	/* loopback connect completes in the backlog: accept cannot block here */
	*srv = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (*srv < 0) {
		cal_io_error(err, errlen, "accept");
		goto fail;
	}
	if (setsockopt(*cli, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0 ||
	    setsockopt(*srv, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0) {
		cal_io_error(err, errlen, "setsockopt TCP_NODELAY");
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

/* tcp_rtt - the cal_median round trip of one repetition (cross: the two sides
 * on different CPUs): each one timed and recorded in a struct hist, like a
 * model's task latencies, so the figure compares with their p50 (the mean
 * would carry the rare long stall).  With cpu_us, also the CPU time of one
 * round trip in *cpu_us: the client thread's over the timed rounds plus the
 * echo process's whole life (wait4's rusage) over all its rounds, warm-up
 * included (its fork and exit, a few tens of us, spread over thousands).  The echo side is a forked process, as
 * bin/backend is to a model: a switch between two address spaces costs
 * more than one between two threads (on this VM ~5.7 vs ~9 us a round trip),
 * and the floor must be the client's and the server's real situation. */
static int tcp_rtt(const struct cal_ctx *cx, int cross, double *value, double *cpu_us,
		   double *min_us, char *err, size_t errlen)
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
	cal_pin_begin(&pin, &attr, cross);
	cpu_set_t peer;
	int have_peer = pin.pinned && pthread_attr_getaffinity_np(&attr, sizeof(peer), &peer) == 0;
	pid_t echo = fork();
	if (echo < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		cal_pin_end(&pin, &attr);
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
	uint64_t timed = 0, cpu0 = cal_thread_cpu_ns(), cpu1;
	uint64_t t0 = clock_now_ns(), now = t0;
	while (now - t0 < cx->slice_ns) {
		uint64_t start = now;
		if (tcp_round(cli, i++) != 0)
			goto out;
		now = clock_now_ns();
		hist_record(h, now - start);
		timed++;
	}
	cpu1 = cal_thread_cpu_ns();
	*value = (double)hist_percentile(h, 0.5) / 1e3;
	if (min_us)
		*min_us = (double)h->min_ns / 1e3;
	rc = 0;
out:
	if (rc != 0)
		cal_io_error(err, errlen, "loopback TCP echo");
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
	cal_pin_end(&pin, &attr);
	close(cli);
	free(h);
	return rc;
}

int rep_tcp_rtt(const struct cal_ctx *cx, double *value, char *err, size_t errlen)
{
	return tcp_rtt(cx, 0, value, NULL, NULL, err, errlen);
}

int rep_tcp_rtt_cross(const struct cal_ctx *cx, double *value, char *err, size_t errlen)
{
	return tcp_rtt(cx, 1, value, NULL, NULL, err, errlen);
}

/* rep_tcp_rtt_min - tcp_rtt_min_us: the least one-CPU round trip of a
 * repetition (batch.c says why a floor needs it). */
int rep_tcp_rtt_min(const struct cal_ctx *cx, double *value, char *err, size_t errlen)
{
	double median;
	return tcp_rtt(cx, 0, &median, NULL, value, err, errlen);
}

/* rep_rpc_cpu - rpc_cpu_us: the one-CPU round trip again, its CPU time this
 * time.  One CPU: neither side waits idle for a cross-CPU wake-up, so the
 * CPU time is that of the work itself (both syscalls, both TCP stacks). */
int rep_rpc_cpu(const struct cal_ctx *cx, double *value, char *err, size_t errlen)
{
	double rtt;
	return tcp_rtt(cx, 0, &rtt, value, NULL, err, errlen);
}

/* ---- backend_rtt_us, backend_rpc_cpu_us ---------------------------------------- */

/* backend_connect - a blocking connection to cx->backend with TCP_NODELAY
 * and CAL_BACKEND_IO_TIMEOUT_S on every send and receive (a backend that
 * stops answering fails the figure in seconds, not at the watchdog).
 * The fd, or -1 with err set. */
static int backend_connect(const struct cal_ctx *cx, char *err, size_t errlen)
{
	struct timeval tv = { .tv_sec = CAL_BACKEND_IO_TIMEOUT_S };
	int one = 1;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		cal_io_error(err, errlen, "socket");
		return -1;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) != 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0) {
		cal_io_error(err, errlen, "setsockopt SO_RCVTIMEO");
		close(fd);
		return -1;
	}
	if (connect(fd, (const struct sockaddr *)cx->backend, sizeof(*cx->backend)) != 0) {
		if (errno == EINPROGRESS) /* SO_SNDTIMEO ran out first */
			errno = ETIMEDOUT;
		cal_io_error(err, errlen, "connect to the --backend");
		close(fd);
		return -1;
	}
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0) {
		cal_io_error(err, errlen, "setsockopt TCP_NODELAY");
		close(fd);
		return -1;
	}
	return fd;
}

/* backend_round - request `id` at delay 0 and its reply, checked as the
 * models check it (wire.h).  0, or -1 with err set. */
static int backend_round(int fd, uint64_t id, char *err, size_t errlen)
{
	unsigned char req[WIRE_CLIENT_REQ_LEN], rep[WIRE_REP_LEN];
	uint64_t digest = wire_client_req(req, id, 0);
	if (util_write_full(fd, req, sizeof(req)) != 0 || util_read_full(fd, rep, sizeof(rep)) != 0) {
		if (errno == 0)
			snprintf(err, errlen, "the --backend closed the connection");
		else
			cal_io_error(err, errlen, "a round trip to the --backend");
		return -1;
	}
	int check = wire_check_rep(rep, id, digest);
	if (check != 0) {
		snprintf(err, errlen, check == WIRE_REP_OUT_OF_STEP
			 ? "the --backend is out of step: a reply that is not the one asked for "
			   "(extra or doubled replies, or not bin/backend)"
			 : "the --backend answered with a wrong reply (not bin/backend?)");
		return -1;
	}
	return 0;
}

/* backend_rtt - one repetition against the --backend: the median round trip
 * (*value, us) at delay 0 over cx->slice_ns, each timed into a struct hist
 * as a model's task latencies are; with cpu_us, this thread's CPU time per
 * timed round trip (the backend's CPU is on its own host, not ours). */
static int backend_rtt(const struct cal_ctx *cx, double *value, double *cpu_us, char *err,
		       size_t errlen)
{
	if (!cx->backend) {
		snprintf(err, errlen, "no --backend given");
		return -1;
	}
	struct hist *h = calloc(1, sizeof(*h));
	if (!h) {
		snprintf(err, errlen, "calloc: %s", strerror(errno));
		return -1;
	}
	int fd = backend_connect(cx, err, errlen), rc = -1;
	if (fd < 0) {
		free(h);
		return -1;
	}
	uint64_t i = 0;
	for (; i < CAL_WARMUP_ROUNDS; i++)
		if (backend_round(fd, i, err, errlen) != 0)
			goto out;
	uint64_t timed = 0, cpu0 = cal_thread_cpu_ns();
	uint64_t t0 = clock_now_ns(), now = t0;
	while (now - t0 < cx->slice_ns) {
		uint64_t start = now;
		if (backend_round(fd, i++, err, errlen) != 0)
			goto out;
		now = clock_now_ns();
		hist_record(h, now - start);
		timed++;
	}
	uint64_t cpu1 = cal_thread_cpu_ns();
	*value = (double)hist_percentile(h, 0.5) / 1e3;
	if (cpu_us) {
		if (cpu0 == 0 || cpu1 <= cpu0 || timed == 0) {
			snprintf(err, errlen, "CLOCK_THREAD_CPUTIME_ID: no CPU time measured");
			goto out;
		}
		*cpu_us = (double)(cpu1 - cpu0) / 1e3 / (double)timed;
	}
	rc = 0;
out:
	close(fd);
	free(h);
	return rc;
}

int rep_backend_rtt(const struct cal_ctx *cx, double *value, char *err, size_t errlen)
{
	return backend_rtt(cx, value, NULL, err, errlen);
}

/* rep_backend_cpu - backend_rpc_cpu_us: what a round trip to the --backend
 * costs this host's cores (the client side only: the backend's own CPU is
 * spent on its host), the CPU bound of a backend pair in a remote sweep. */
int rep_backend_cpu(const struct cal_ctx *cx, double *value, char *err, size_t errlen)
{
	double rtt;
	return backend_rtt(cx, &rtt, value, err, errlen);
}
