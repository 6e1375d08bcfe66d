/*
 * rpc.c - blocking backend round trips: send, then recv until the reply is
 * whole.  The thread sleeps in recv() while the backend waits out the delay.
 * No wait is unbounded: SO_RCVTIMEO/SO_SNDTIMEO of delay + --io-timeout-s,
 * set once per connection, so a backend that accepts and never answers fails
 * the run (impl_async/rpc.c bounds its waits the same).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "../harness/runtime/net.h"
#include "../workloads/wire.h"
#include "rpc.h"

int rpc_connect(struct thr_worker *w)
{
	w->fd = net_connect(&w->params->backend, 0, w->err, sizeof(w->err));
	if (w->fd < 0)
		return -1;
	uint64_t us = w->params->delay_us + w->params->io_timeout_s * 1000000;
	struct timeval tv = { (time_t)(us / 1000000), (suseconds_t)(us % 1000000) };
	if (setsockopt(w->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0 ||
	    setsockopt(w->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) != 0) {
		snprintf(w->err, sizeof(w->err), "setsockopt SO_RCVTIMEO: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* silent - the I/O bound ran out (SO_RCVTIMEO/SO_SNDTIMEO: EAGAIN). */
static int silent(int e)
{
	return e == EAGAIN || e == EWOULDBLOCK;
}

void rpc_close(struct thr_worker *w)
{
	if (w->fd >= 0)
		net_close_abort(w->fd);
	w->fd = -1;
}

int rpc_call(struct thr_worker *w, uint64_t id, uint32_t delay_us, uint64_t *digest)
{
	unsigned char req[WIRE_CLIENT_REQ_LEN];
	unsigned char rep[WIRE_REP_LEN];
	uint64_t want = wire_client_req(req, id, delay_us);
	if (net_write_all(w->fd, req, sizeof(req)) != 0) {
		if (silent(errno))
			snprintf(w->err, sizeof(w->err),
				 "backend send: blocked for %llu s past the delay (--io-timeout-s): "
				 "is the backend hung?", (unsigned long long)w->params->io_timeout_s);
		else
			snprintf(w->err, sizeof(w->err), "backend send: %s (did the backend die?)",
				 strerror(errno));
		return -1;
	}
	int rc = net_read_full(w->fd, rep, sizeof(rep));
	if (rc < 0 && silent(errno)) {
		snprintf(w->err, sizeof(w->err),
			 "backend recv: no reply %llu s past the delay (--io-timeout-s): "
			 "is the backend hung?", (unsigned long long)w->params->io_timeout_s);
		return -1;
	}
	if (rc != 0) {
		snprintf(w->err, sizeof(w->err), "backend recv: %s (did the backend die?)",
			 rc > 0 ? "connection closed by the backend" : strerror(errno));
		return -1;
	}
	if (wire_check_rep(rep, id, want) != 0)
		return 1;
	*digest = want;
	return 0;
}
