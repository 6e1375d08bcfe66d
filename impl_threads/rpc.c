/*
 * rpc.c - blocking backend round trips: send, then recv until the reply is
 * whole.  The task sleeps in blk_recv_full (block.h) while the backend waits
 * out the delay: a thread in recv(), or a coroutine parked by its runtime.
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
	return w->fd < 0 ? -1 : 0;
}

void rpc_close(struct thr_worker *w)
{
	if (w->fd >= 0)
		blk_close(w->fd);
	w->fd = -1;
}

int rpc_call(struct thr_worker *w, uint64_t id, uint32_t delay_us, uint64_t *digest)
{
	unsigned char req[WIRE_CLIENT_REQ_LEN];
	unsigned char rep[WIRE_REP_LEN];
	uint64_t want = wire_client_req(req, id, delay_us);
	if (blk_send_all(w->fd, req, sizeof(req)) != 0) {
		snprintf(w->err, sizeof(w->err), "backend send: %s (did the backend die?)",
			 strerror(errno));
		return -1;
	}
	int rc = blk_recv_full(w->fd, rep, sizeof(rep));
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
