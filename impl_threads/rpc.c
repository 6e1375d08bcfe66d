/*
 * rpc.c - blocking backend round trips: send, then recv until the reply is
 * whole.  The task sleeps in blk_recv_full (block.h) while the backend waits
 * out the delay: a thread in recv(), or a coroutine parked by its runtime.
 * No wait is unbounded: each send and receive may wait the delay plus
 * --io-timeout-s (blk_io_timeout, set once per connection), so a backend that
 * accepts and never answers fails the run on every runtime alike
 * (impl_async/rpc.c bounds its waits the same).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../workloads/wire.h"
#include "block.h"
#include "rpc.h"

int rpc_connect(struct thr_worker *w)
{
	w->fd = blk_connect(&w->params->backend, w->err, sizeof(w->err));
	if (w->fd < 0)
		return -1;
	uint64_t us = w->params->delay_us + w->params->io_timeout_s * 1000000;
	if (blk_io_timeout(w->fd, us) != 0) {
		snprintf(w->err, sizeof(w->err), "I/O timeout on the backend socket: %s",
			 strerror(errno));
		return -1;
	}
	return 0;
}

void rpc_close(struct thr_worker *w)
{
	if (w->fd >= 0)
		blk_close(w->fd);
	w->fd = -1;
}

/* silent - the I/O bound ran out (blk_io_timeout: EAGAIN). */
static int silent(int e)
{
	return e == EAGAIN || e == EWOULDBLOCK;
}

int rpc_call(struct thr_worker *w, uint64_t id, uint32_t delay_us, uint64_t *digest)
{
	unsigned char req[WIRE_CLIENT_REQ_LEN];
	unsigned char rep[WIRE_REP_LEN];
	uint64_t want = wire_client_req(req, id, delay_us);
	if (blk_send_all(w->fd, req, sizeof(req)) != 0) {
		if (silent(errno))
			snprintf(w->err, sizeof(w->err),
				 "backend send: blocked for %llu s past the delay (--io-timeout-s): "
				 "is the backend hung?", (unsigned long long)w->params->io_timeout_s);
		else
			snprintf(w->err, sizeof(w->err), "backend send: %s (did the backend die?)",
				 strerror(errno));
		return -1;
	}
	int rc = blk_recv_full(w->fd, rep, sizeof(rep));
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
	int check = wire_check_rep(rep, id, want);
	if (check == WIRE_REP_OUT_OF_STEP) {
		snprintf(w->err, sizeof(w->err),
			 "backend out of step: the reply to task %llu is not its reply (extra or "
			 "doubled replies, or not bin/backend)", (unsigned long long)id);
		return -1;
	}
	if (check != 0) {
		snprintf(w->err, sizeof(w->err), "backend: a wrong reply to task %llu",
			 (unsigned long long)id);
		return 1;
	}
	*digest = want;
	return 0;
}
