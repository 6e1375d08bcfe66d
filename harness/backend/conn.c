/*
 * conn.c - one connection of bin/backend: read requests, wait out the
 * delay each asks for on a timer, reply, and close on a hang-up, an error
 * or a malformed request (see main.c for the whole design).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/listener.h>

#include "../../workloads/wire.h"
#include "../runtime/backend_proc.h"
#include "../runtime/cli.h"
#include "../runtime/evbase.h"
#include "../runtime/util.h"
#include "backend.h"

static void conn_process(struct conn *c);

/* conn_close - free c and its events, close its socket, count it out. */
void conn_close(struct conn *c)
{
	struct backend *b = c->b;
	event_free(c->rd);
	if (c->wr)
		event_free(c->wr);
	if (c->timer)
		event_free(c->timer);
	if (c->hup)
		event_free(c->hup);
	close(c->fd);
	if (c->prev)
		c->prev->next = c->next;
	else
		b->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	free(c);
	b->open--;
	atomic_fetch_sub(&b->sh->open, 1);
	if (b->paused && b->open < b->max_conns && !event_pending(b->rearm, EV_TIMEOUT, NULL)) {
		evconnlistener_enable(b->lev);
		b->paused = 0;
	}
}

/* backend_now_ms - a coarse monotonic clock (a few ms of resolution, a vDSO read):
 * enough for an idle timeout of seconds, cheap enough for every read. */
uint64_t backend_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void conn_hup_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct conn *c = arg;
	if (c->pending)
		c->b->n.hangups++;
	conn_close(c);
}

/*
 * conn_watch - read while in[] has room; when it is full, stop reading (the
 * peer's sends back up in TCP) but keep watching for its hang-up (EV_CLOSED),
 * so a full buffer never hides a closed peer.  Returns 0, or -1 when c was
 * closed (an event could not be made).
 */
static int conn_watch(struct conn *c)
{
	int want = c->have < sizeof(c->in);
	if (want == c->reading)
		return 0;
	if (want) {
		if (c->hup)
			event_del(c->hup);
		event_add(c->rd, NULL);
	} else {
		event_del(c->rd);
		if (!c->hup)
			c->hup = event_new(c->b->base, c->fd, EV_CLOSED | EV_PERSIST, conn_hup_cb, c);
		if (!c->hup) {
			conn_close(c);
			return -1;
		}
		event_add(c->hup, NULL);
	}
	c->reading = want;
	return 0;
}

/* delay_tv - the timeval to wait delay_us: a common-timeout one when the
 * cache has room, so that equal delays sit in one FIFO queue. */
static const struct timeval *delay_tv(struct backend *b, uint32_t delay_us, struct timeval *plain)
{
	for (unsigned i = 0; i < b->ncommon; i++)
		if (b->common[i].delay_us == delay_us)
			return b->common[i].tv;
	plain->tv_sec = delay_us / 1000000;
	plain->tv_usec = delay_us % 1000000;
	if (b->ncommon < COMMON_TIMEOUTS) {
		const struct timeval *tv = event_base_init_common_timeout(b->base, plain);
		if (tv) {
			b->common[b->ncommon].delay_us = delay_us;
			b->common[b->ncommon++].tv = tv;
			return tv;
		}
	}
	return plain;
}

/* conn_flush - send what is left of the reply.  Returns 1 when all is sent,
 * 0 when the socket is full (a write event is armed), -1 when c was closed. */
static int conn_flush(struct conn *c)
{
	while (c->out_off < c->out_len) {
		ssize_t w = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				event_add(c->wr, NULL);
				return 0;
			}
			c->b->n.resets++;
			conn_close(c);
			return -1;
		}
		c->out_off += (size_t)w;
		c->active_ms = backend_now_ms();
	}
	return 1;
}

/* conn_reply - the pending reply is due: send it and go on with the input. */
static void conn_reply(struct conn *c)
{
	if (!c->wr) {
		c->wr = event_new(c->b->base, c->fd, EV_WRITE, conn_read_cb, c);
		if (!c->wr) {
			conn_close(c);
			return;
		}
	}
	int rc = conn_flush(c);
	if (rc <= 0)
		return;
	c->pending = 0;
	c->b->n.requests++;
	conn_process(c);
}

static void conn_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	conn_reply(arg);
}

/* conn_process - answer the complete requests in c->in, one at a time; then
 * read on while in[] has room (conn_watch). */
static void conn_process(struct conn *c)
{
	struct backend *b = c->b;
	while (!c->pending && c->have > 0) {
		struct wire_req req;
		int n = wire_parse_req(c->in, c->have, &req);
		if (n == WIRE_NEED_MORE)
			break;
		if (n < 0) {
			if (n == WIRE_OVERSIZED)
				b->n.oversized++;
			else
				b->n.malformed++;
			conn_close(c);
			return;
		}
		uint64_t digest = wire_digest(req.id, req.delay_us, req.payload, req.len);
		wire_encode_rep(c->out, req.id, digest);
		c->out_len = WIRE_REP_LEN;
		c->out_off = 0;
		c->have -= (size_t)n;
		memmove(c->in, c->in + n, c->have);
		c->pending = 1;
		if (req.delay_us == 0) {
			conn_reply(c);
			return; /* conn_reply processed the rest, or closed c */
		}
		/* One reply at a time per connection; the socket stays watched, so
		 * a peer that hangs up meanwhile is closed at once (conn_read_cb). */
		if (!c->timer && !(c->timer = evtimer_new(b->base, conn_timer_cb, c))) {
			conn_close(c);
			return;
		}
		struct timeval plain;
		evtimer_add(c->timer, delay_tv(b, req.delay_us, &plain));
	}
	conn_watch(c);
}

/* conn_read_cb - readable (or, for c->wr, writable again). */
void conn_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	if (what & EV_WRITE) {
		if (conn_flush(c) == 1) {
			c->pending = 0;
			c->b->n.requests++;
			conn_process(c);
		}
		return;
	}
	if (c->have == sizeof(c->in)) { /* full: never recv(..., 0), which reads as EOF */
		conn_watch(c);
		return;
	}
	ssize_t r = recv(fd, c->in + c->have, sizeof(c->in) - c->have, 0);
	if (r == 0) {
		if (c->pending)
			c->b->n.hangups++; /* its timer goes with it: nothing held for the delay */
		conn_close(c);
		return;
	}
	if (r < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return;
		c->b->n.resets++;
		if (c->pending)
			c->b->n.hangups++;
		conn_close(c);
		return;
	}
	c->have += (size_t)r;
	c->active_ms = backend_now_ms();
	conn_process(c);
}
