/*
 * rpc.c - non-blocking backend round trips on a loop.
 *
 * Each slot owns one connection and about 100 bytes of state (s->rpc, apart
 * from the pair's own s->state, so a pair may keep what it needs between
 * round trips): the request
 * (kept only until it is sent), the reply as it arrives, and the digest it
 * must carry.  No bufferevent: at 10,000 slots its two evbuffers per
 * connection would cost more memory than the whole task.
 *
 * No wait is unbounded: the read event carries a timeout of delay +
 * --io-timeout-s (a libevent common timeout: O(1) to re-arm per task), so a
 * backend that accepts and never answers fails the run, as SO_RCVTIMEO does
 * on threads (impl_threads/rpc.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../harness/runtime/net.h"
#include "../workloads/wire.h"
#include "rpc.h"

struct rpc_state {
	rpc_reply_fn on_reply;  /* what to do with a verified reply */
	struct event *wev;      /* writable, made only if a send ever falls short */
	int busy;               /* 1: a request is in flight */
	const struct timeval *io_tv; /* delay + --io-timeout-s, a common timeout */
	uint64_t key;           /* the request's key: the id the reply must carry */
	uint64_t want;          /* digest the reply must carry */
	uint32_t sent;          /* request bytes sent so far */
	uint32_t got;           /* reply bytes received so far */
	unsigned char req[WIRE_CLIENT_REQ_LEN]; /* the request in flight */
	unsigned char rep[WIRE_REP_LEN];        /* the reply so far */
};

static void rpc_io_cb(evutil_socket_t fd, short what, void *arg);

int rpc_slot_init(struct async_slot *s, rpc_reply_fn on_reply, char *err, size_t errlen)
{
	struct rpc_state *st = calloc(1, sizeof(*st));
	if (!st) {
		snprintf(err, errlen, "out of memory for slot state");
		return -1;
	}
	st->on_reply = on_reply;
	s->rpc = st;
	s->fd = net_connect(&s->params->backend, 1, err, errlen);
	if (s->fd < 0)
		return -1;
	/* Persistent: added once, so a task costs no epoll_ctl; while the slot
	 * is idle the socket is silent, and an EOF then means the backend died. */
	uint64_t us = s->params->delay_us + s->params->io_timeout_s * 1000000;
	struct timeval tv = { (time_t)(us / 1000000), (suseconds_t)(us % 1000000) };
	st->io_tv = event_base_init_common_timeout(async_slot_base(s), &tv);
	s->ev = event_new(async_slot_base(s), s->fd, EV_READ | EV_PERSIST, rpc_io_cb, s);
	if (!st->io_tv || !s->ev || event_add(s->ev, NULL) != 0) {
		snprintf(err, errlen, "event_new failed (out of memory?)");
		return -1;
	}
	return 0;
}

void rpc_slot_fini(struct async_slot *s)
{
	struct rpc_state *st = s->rpc;
	if (st && st->wev)
		event_free(st->wev);
	if (s->ev)
		event_free(s->ev);
	if (s->fd >= 0)
		net_close_abort(s->fd);
	free(s->rpc);
	s->rpc = NULL;
}

/* send_some - push the rest of the request.  Returns 1 when all is sent,
 * 0 if the socket is full, -1 on error (the run has been failed). */
static int send_some(struct async_slot *s, struct rpc_state *st)
{
	while (st->sent < sizeof(st->req)) {
		ssize_t w = send(s->fd, st->req + st->sent, sizeof(st->req) - st->sent,
				 MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			char why[128];
			snprintf(why, sizeof(why), "backend send: %s (did the backend die?)",
				 strerror(errno));
			async_fail(s, why);
			return -1;
		}
		st->sent += (uint32_t)w;
	}
	return 1;
}

static void rpc_write_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct async_slot *s = arg;
	struct rpc_state *st = s->rpc;
	if (send_some(s, st) == 0)
		event_add(st->wev, NULL);
}

/* wait_writable - the socket was full: finish the request when it drains. */
static void wait_writable(struct async_slot *s, struct rpc_state *st)
{
	if (!st->wev)
		st->wev = event_new(async_slot_base(s), s->fd, EV_WRITE, rpc_write_cb, s);
	if (!st->wev || event_add(st->wev, NULL) != 0)
		async_fail(s, "event_new (write) failed");
}

void rpc_start(struct async_slot *s, uint64_t key, uint32_t delay_us)
{
	struct rpc_state *st = s->rpc;
	st->key = key;
	st->want = wire_client_req(st->req, key, delay_us);
	st->sent = 0;
	st->got = 0;
	st->busy = 1;
	/* The I/O bound of this round trip, from a fresh clock: libevent times
	 * it from its cached time, which in a callback is when the loop woke. */
	event_base_update_cache_time(async_slot_base(s));
	event_add(s->ev, st->io_tv);
	if (send_some(s, st) == 0)
		wait_writable(s, st);
}

static void rpc_io_cb(evutil_socket_t fd, short what, void *arg)
{
	struct async_slot *s = arg;
	struct rpc_state *st = s->rpc;
	if (what & EV_TIMEOUT) {
		if (st->busy) {
			char why[160];
			snprintf(why, sizeof(why),
				 "backend recv: no reply %llu s past the delay (--io-timeout-s): "
				 "is the backend hung?", (unsigned long long)s->params->io_timeout_s);
			async_fail(s, why);
		}
		return; /* an idle slot: nothing is owed */
	}
	ssize_t r = recv(fd, st->rep + st->got, sizeof(st->rep) - st->got, 0);
	if (r <= 0) {
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			return;
		char why[128];
		snprintf(why, sizeof(why), "backend recv: %s (did the backend die?)",
			 r == 0 ? "connection closed by the backend" : strerror(errno));
		async_fail(s, why);
		return;
	}
	st->got += (uint32_t)r;
	if (st->got < sizeof(st->rep))
		return;
	if (!st->busy) {
		async_fail(s, "backend sent a reply nobody asked for");
		return;
	}
	st->busy = 0;
	int check = wire_check_rep(st->rep, st->key, st->want);
	if (check != 0) {
		char why[160];
		snprintf(why, sizeof(why),
			 check == WIRE_REP_OUT_OF_STEP
				 ? "backend out of step: the reply to task %llu is not its reply (extra "
				   "or doubled replies, or not bin/backend)"
				 : "backend: a wrong reply to task %llu",
			 (unsigned long long)st->key);
		if (check == WIRE_REP_OUT_OF_STEP)
			async_fail(s, why);
		else
			async_task_error_why(s, why);
		return;
	}
	st->on_reply(s, st->want);
}
