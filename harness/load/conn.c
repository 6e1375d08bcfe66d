/*
 * conn.c - one bin/load connection: a non-blocking connect, a request
 * written (the rest on EPOLLOUT when the socket is full), the response read
 * and parsed (resp.c), and what a lost connection costs.
 *
 * Level-triggered epoll: EPOLLIN|EPOLLRDHUP always, EPOLLOUT only while a
 * connect or a partial write is pending.  Every failure on the hot path is
 * counted, never fatal: a connection lost with a request outstanding is a
 * reset (its id is not sent again, so the checksum misses it and the run says
 * so); an active connection is opened again while the run goes on; an idle
 * one the server closed is counted and left closed (that is the finding).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../workloads/workload.h"
#include "../runtime/clock.h"
#include "load.h"

#define RESULT_HEX 16 /* a result body: 16 hex digits and "\n" */

/* conn_arm - (re)register c's socket for EPOLLIN|EPOLLRDHUP, plus EPOLLOUT
 * when out is set.  op: EPOLL_CTL_ADD or _MOD.  0, or -1 (errno). */
static int conn_arm(struct load_conn *c, int op, int out)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP | (out ? EPOLLOUT : 0u),
				  .data.ptr = c };
	c->want_out = (uint8_t)(out != 0);
	return epoll_ctl(c->t->ep, op, c->fd, &ev);
}

/* conn_source - the source address of connection number k of the run on a
 * loopback target: 127.0.0.(1 + k / LOAD_PORTS_PER_ADDR), so the run is not
 * capped by one address's ephemeral ports (28,232 by default). */
static struct sockaddr_in conn_source(uint64_t k)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	a.sin_addr.s_addr = htonl(0x7f000001u + (uint32_t)(k / LOAD_PORTS_PER_ADDR));
	return a;
}

int load_conn_open(struct load_conn *c)
{
	struct load_thread *t = c->t;
	struct load_run *r = t->run;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		load_fail(t, "socket: %s (%" PRIu64 " connections asked)", strerror(errno),
			  r->cfg.connections);
		return -1;
	}
	int one = 1;
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0) {
		load_fail(t, "setsockopt TCP_NODELAY: %s", strerror(errno));
		close(fd);
		return -1;
	}
	if (r->cfg.spread_source) {
		/* the connection's global number: the same address for the same
		 * connection whoever reconnects it */
		uint64_t k = (uint64_t)(c - t->conns) * r->cfg.threads + t->index;
		struct sockaddr_in src = conn_source(k);
		if (setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one)) != 0 ||
		    bind(fd, (struct sockaddr *)&src, sizeof(src)) != 0) {
			load_fail(t, "bind to a loopback source: %s", strerror(errno));
			close(fd);
			return -1;
		}
	}
	c->fd = fd;
	c->state = LC_CONNECTING;
	load_resp_init(c);
	int rc = connect(fd, (struct sockaddr *)&r->cfg.addr, sizeof(r->cfg.addr));
	if (rc != 0 && errno != EINPROGRESS) {
		load_fail(t, "connect to %s:%u: %s", r->cfg.host, ntohs(r->cfg.addr.sin_port),
			  strerror(errno));
		close(fd);
		c->fd = -1;
		c->state = LC_CLOSED;
		return -1;
	}
	if (conn_arm(c, EPOLL_CTL_ADD, 1) != 0) {
		load_fail(t, "epoll_ctl: %s", strerror(errno));
		close(fd);
		c->fd = -1;
		c->state = LC_CLOSED;
		return -1;
	}
	t->connecting++;
	return 0;
}

void load_conn_close(struct load_conn *c, int lost)
{
	struct load_thread *t = c->t;
	if (c->fd < 0)
		return;
	if (c->state == LC_CONNECTING)
		t->connecting--;
	else
		t->open--;
	if (c->state == LC_BUSY) {
		t->outstanding--;
		if (lost)
			t->c.resets++;
	}
	free(c->out);
	c->out = NULL;
	c->out_len = c->out_off = 0;
	close(c->fd); /* also leaves the epoll set */
	c->fd = -1;
	c->gen++;
	c->state = LC_CLOSED;
}

/* conn_lost - c ended (a reset, EOF, a parse error): close it, and open an
 * active one again while the run goes on. */
static void conn_lost(struct load_conn *c, int lost)
{
	struct load_thread *t = c->t;
	int was_idle = !c->active && c->state != LC_CONNECTING;
	load_conn_close(c, lost);
	if (was_idle) {
		t->c.idle_closed++;
		return;
	}
	if (c->active && !load_window_over(t, clock_now_ns())) {
		t->c.reconnects++;
		load_conn_open(c);
	}
}

void load_conn_timeout(struct load_conn *c)
{
	c->t->c.timeouts++;
	load_conn_close(c, 0);
	if (!load_window_over(c->t, clock_now_ns())) {
		c->t->c.reconnects++;
		load_conn_open(c);
	}
}

/* conn_flush - write what a short write left of c's request.  0 all sent,
 * 1 the socket is full (EPOLLOUT armed), -1 the connection is lost (closed
 * here). */
static int conn_flush(struct load_conn *c)
{
	while (c->out && c->out_off < c->out_len) {
		ssize_t w = send(c->fd, c->out + c->out_off, (size_t)(c->out_len - c->out_off),
				 MSG_NOSIGNAL);
		if (w > 0) {
			c->out_off = (uint16_t)(c->out_off + w);
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (!c->want_out && conn_arm(c, EPOLL_CTL_MOD, 1) != 0) {
				conn_lost(c, 1);
				return -1;
			}
			return 1;
		}
		conn_lost(c, 1);
		return -1;
	}
	free(c->out);
	c->out = NULL;
	c->out_len = c->out_off = 0;
	if (c->want_out && conn_arm(c, EPOLL_CTL_MOD, 0) != 0) {
		conn_lost(c, 1);
		return -1;
	}
	return 0;
}

int load_conn_send(struct load_conn *c, uint64_t intended_ns)
{
	struct load_thread *t = c->t;
	struct load_run *r = t->run;
	static __thread char req[LOAD_REQ_MAX];
	uint64_t id = atomic_fetch_add_explicit(&r->next_id, 1, memory_order_relaxed);
	if (id >= r->id_end) {
		c->state = LC_DONE;
		return 1;
	}
	/* main.c bounds the path and host so it fits */
	int n = snprintf(req, sizeof(req), "GET %s?id=%" PRIu64 " HTTP/1.1\r\nHost: %s\r\n\r\n",
			 r->cfg.path, id, r->cfg.host);
	c->id = id;
	c->intended_ns = intended_ns;
	c->state = LC_BUSY;
	c->sent_ns = clock_now_ns();
	t->outstanding++;
	t->c.sent++;
	ssize_t w;
	do
		w = send(c->fd, req, (size_t)n, MSG_NOSIGNAL);
	while (w < 0 && errno == EINTR);
	if (w == n)
		return 0;
	if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
		conn_lost(c, 1);
		return 0;
	}
	size_t done = w < 0 ? 0 : (size_t)w;
	/* a full socket: keep the rest for EPOLLOUT */
	if (!(c->out = malloc((size_t)n - done))) {
		conn_lost(c, 1);
		return 0;
	}
	memcpy(c->out, req + done, (size_t)n - done);
	c->out_len = (uint16_t)((size_t)n - done);
	c->out_off = 0;
	conn_flush(c);
	return 0;
}

/* conn_parse_result - the 16 hex digits and "\n" of a result body.
 * 0 and *out, or -1. */
static int conn_parse_result(const struct load_conn *c, uint64_t *out)
{
	if (c->body_over || c->body_len != RESULT_HEX + 1 || c->body[RESULT_HEX] != '\n')
		return -1;
	uint64_t v = 0;
	for (int i = 0; i < RESULT_HEX; i++) {
		char ch = c->body[i];
		unsigned d;
		if (ch >= '0' && ch <= '9')
			d = (unsigned)(ch - '0');
		else if (ch >= 'a' && ch <= 'f')
			d = (unsigned)(ch - 'a' + 10);
		else
			return -1;
		v = v << 4 | d;
	}
	*out = v;
	return 0;
}

void load_conn_response(struct load_conn *c, unsigned status, int keep_alive)
{
	struct load_thread *t = c->t;
	uint64_t now = clock_now_ns();
	if (c->state != LC_BUSY || c->out) {
		/* an answer before the request was whole, or to none */
		t->c.out_of_step++;
		conn_lost(c, c->state == LC_BUSY);
		return;
	}
	struct load_run *r = t->run;
	if (r->warm_need && !c->warmed && c->active) {
		/* a closed phase's ramp: its window starts at the last first answer */
		c->warmed = 1;
		if (__atomic_add_fetch(&r->warm_count, 1, __ATOMIC_ACQ_REL) == r->warm_need)
			load_window_start(r, now);
	}
	uint64_t win = load_win_ns(r), end = load_end_ns(r);
	int in_window = win && now >= win && (!end || now <= end);
	uint64_t result;
	if (status != 200) {
		t->c.status_errors++;
	} else if (conn_parse_result(c, &result) != 0) {
		t->c.bad_bodies++;
	} else {
		t->c.ok++;
		t->c.checksum += wl_fold(c->id, result);
		if (in_window) { /* the figures: what completed inside the window */
			t->c.ok_in_window++;
			hist_record(&t->lat, now > c->intended_ns ? now - c->intended_ns : 0);
		}
	}
	t->last_done_ns = now;
	t->outstanding--;
	c->state = LC_READY;
	if (!keep_alive) {
		load_conn_close(c, 0);
		if (!load_window_over(t, now)) {
			t->c.reconnects++;
			load_conn_open(c);
		}
		return;
	}
	load_ready(c, now);
}

/* conn_connected - c's connect finished (EPOLLOUT): an error fails the run,
 * while the connections are being opened (the target refused, or is not
 * there) and later on (a connection lost and not opened again: the server
 * went away).  A dead connection sends nothing more, so counting it as one
 * error let a server killed a third into a window pass as ok, its
 * throughput taken over the whole window. */
static void conn_connected(struct load_conn *c)
{
	struct load_thread *t = c->t;
	int err = 0;
	socklen_t len = sizeof(err);
	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
		err = errno;
	t->connecting--;
	if (err) {
		close(c->fd);
		c->fd = -1;
		c->gen++;
		c->state = LC_CLOSED;
		if (t->run->t0_ns == 0)
			load_fail(t, "connect to %s:%u: %s", t->run->cfg.host,
				  ntohs(t->run->cfg.addr.sin_port), strerror(err));
		else
			load_fail(t, "a connection lost during the run could not be opened again: "
				  "connect to %s:%u: %s (the server went away?)", t->run->cfg.host,
				  ntohs(t->run->cfg.addr.sin_port), strerror(err));
		return;
	}
	t->open++;
	c->state = LC_READY;
	if (conn_arm(c, EPOLL_CTL_MOD, 0) != 0) {
		load_conn_close(c, 0);
		load_fail(t, "epoll_ctl: %s", strerror(errno));
		return;
	}
	if (c->active && t->run->t0_ns)
		load_ready(c, clock_now_ns()); /* a reconnect: carry on */
}

void load_conn_event(struct load_conn *c, uint32_t ev)
{
	struct load_thread *t = c->t;
	if (c->state == LC_CONNECTING) {
		if (ev & (EPOLLOUT | EPOLLERR | EPOLLHUP))
			conn_connected(c);
		return;
	}
	if ((ev & EPOLLOUT) && c->state == LC_BUSY && conn_flush(c) < 0)
		return;
	if (!(ev & (EPOLLIN | EPOLLRDHUP | EPOLLERR | EPOLLHUP)))
		return;
	static __thread char buf[LOAD_RECV_BUF];
	for (;;) {
		ssize_t n = recv(c->fd, buf, sizeof(buf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n < 0) {
			conn_lost(c, 1);
			return;
		}
		uint32_t gen = c->gen;
		if (n == 0) {
			load_resp_feed(c, buf, 0); /* a response ended by the close */
			if (c->gen == gen)
				conn_lost(c, 1);
			return;
		}
		if (load_resp_feed(c, buf, (size_t)n) != 0) {
			t->c.out_of_step++;
			conn_lost(c, 1);
			return;
		}
		if (c->gen != gen)
			return; /* closed (and perhaps reopened) inside */
		if ((size_t)n < sizeof(buf))
			return;
	}
}
