/*
 * async_serve.c - the callback models as servers (--serve): async (one
 * libevent loop), async-mt (a loop per core, --loops) and hybrid (one loop
 * and its CPU pool, --workers).  A connection is a slot on a loop, made
 * when it is accepted: the pair's slot_init (its backend connection) and
 * task_start run as in a fan-out run, the request's id as the task id, and
 * the pair's async_task_done (async.c routes it here on a serving loop)
 * writes the reply instead of taking the next id.
 *
 * The client's socket has one persistent, level-triggered read event, so a
 * request costs a recv and a send and no epoll_ctl.  While a task or a
 * reply is pending, what the client sends more (pipelined requests) is kept
 * in a buffer of HTTP_IN_MAX, made only then; when it is full the read
 * event is removed until the pending request is answered, so no client
 * makes the loop hold more.  A reply the socket cannot take whole (a slow
 * reader) keeps its rest and waits for a write event, without blocking the
 * loop.  An idle connection holds its slot, its events and its parse state,
 * ~1 KiB with the pair's, and no buffer.
 *
 * Each loop accepts on its listener (its own SO_REUSEPORT socket, or one
 * all loops share: serve.h), SERVE_ACCEPT_BATCH at a time; after EMFILE its
 * listener event is removed and re-armed SERVE_ACCEPT_PAUSE_MS later (what
 * libevent's evconnlistener leaves its user to do).  At the stop each loop
 * closes its idle connections, lets the tasks in flight end (their replies
 * are dropped, as the blocking models' are on a socket shut down), then
 * leaves its loop.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/event.h>
#include <event2/event_struct.h>

#include "../harness/runtime/clock.h"
#include "../harness/runtime/http.h"
#include "../harness/runtime/net.h"
#include "../harness/runtime/serve.h"
#include "async_rt.h"

/* One connection: the pair's slot and what serving adds. */
struct aconn {
	struct async_slot s;      /* the pair's slot (first: a task's end finds the conn) */
	struct aserve_loop *al;   /* its loop's server state */
	int fd;                   /* the client's socket */
	struct event rev;         /* its read event: level-triggered, persistent */
	struct event *wev;        /* its write event, made when a reply first falls short */
	struct http_conn http;    /* the request stream's parse state */
	char *pend;               /* bytes read and not yet parsed, or NULL */
	uint16_t pend_off;        /* parsed so far */
	uint16_t pend_len;        /* held */
	char *out;                /* the rest of a reply the socket did not take, or NULL */
	uint16_t out_off;         /* written so far */
	uint16_t out_len;         /* its length */
	struct http_req req;      /* the request being answered */
	int status;               /* its reply's status */
	uint64_t result;          /* its task's result */
	uint8_t busy;             /* 1: its task runs */
	uint8_t reading;          /* 1: the read event is armed */
	uint8_t eof;              /* 1: the client closed its side */
	uint8_t gone;             /* 1: reset, or the server stops: close when the task ends */
	struct aconn *prev;       /* in the loop's live list */
	struct aconn *next;       /* in the live list */
};

/* A loop's server state. */
struct aserve_loop {
	struct async_loop *lp;    /* the loop */
	struct event listen_ev;   /* its listener, persistent */
	struct event pause_ev;    /* re-arms it after EMFILE */
	int listening;            /* 1: listen_ev is armed */
	int stopping;             /* 1: the stop was seen */
	struct aconn *live;       /* connections open */
	uint64_t nlive;           /* how many */
	struct serve_tally t;     /* its counts */
	char in[HTTP_IN_MAX];     /* what a recv reads into */
};

static void conn_advance(struct aconn *c);

/* conn_close - the connection ends (no task of it runs): the pair's state,
 * its events, its socket. */
static void conn_close(struct aconn *c, int lingering)
{
	struct aserve_loop *al = c->al;
	const struct async_ops *ops = al->lp->run->ops;
	if (ops->slot_fini)
		ops->slot_fini(&c->s);
	event_del(&c->rev);
	if (c->wev)
		event_free(c->wev);
	free(c->pend);
	free(c->out);
	net_close_client(c->fd, lingering);
	if (c->prev)
		c->prev->next = c->next;
	else
		al->live = c->next;
	if (c->next)
		c->next->prev = c->prev;
	free(c);
	serve_conn_closed();
	if (--al->nlive == 0 && al->stopping)
		event_base_loopbreak(al->lp->base);
}

/* set_reading - arm (1) or remove (0) the read event. */
static void set_reading(struct aconn *c, int on)
{
	if (c->reading == on)
		return;
	c->reading = (uint8_t)on;
	if (on)
		event_add(&c->rev, NULL);
	else
		event_del(&c->rev);
}

/* replied - c's reply is written whole: counted; then the connection
 * closes, or goes on to its next request. */
static void replied(struct aconn *c)
{
	serve_answered(&c->al->t, c->status, c->req.id, c->result);
	if (!c->req.keep_alive) {
		conn_close(c, c->status != 200);
		return;
	}
	conn_advance(c);
}

static void conn_write_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)what;
	struct aconn *c = arg;
	while (c->out_off < c->out_len) {
		ssize_t w = send(fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
			event_add(c->wev, NULL);
			return;
		}
		if (w < 0) {
			if (!c->req.status)
				c->al->t.dropped++;
			conn_close(c, 0);
			return;
		}
		c->out_off = (uint16_t)(c->out_off + w);
	}
	free(c->out);
	c->out = NULL;
	replied(c);
}

/* reply - answer c->req with c->status and c->result: written now, or its
 * rest kept until the socket takes it. */
static void reply(struct aconn *c)
{
	char buf[HTTP_RESP_MAX];
	size_t n = http_response(buf, c->status, c->result, &c->req);
	ssize_t w = send(c->fd, buf, n, MSG_NOSIGNAL);
	if (w == (ssize_t)n) {
		replied(c);
		return;
	}
	if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
		if (!c->req.status)
			c->al->t.dropped++; /* the client left with its request pending */
		conn_close(c, 0);
		return;
	}
	size_t done = w > 0 ? (size_t)w : 0;
	c->out = malloc(n - done);
	if (!c->wev)
		c->wev = event_new(c->al->lp->base, c->fd, EV_WRITE, conn_write_cb, c);
	if (!c->out || !c->wev) {
		serve_setup_failed("out of memory for a reply");
		conn_close(c, 0);
		return;
	}
	memcpy(c->out, buf + done, n - done);
	c->out_off = 0;
	c->out_len = (uint16_t)(n - done);
	event_add(c->wev, NULL);
}

/* request - c's next request: its task started, or its error answered. */
static void request(struct aconn *c, const struct http_req *req)
{
	c->req = *req;
	c->result = 0;
	c->status = req->status;
	if (req->status) {
		reply(c);
		return;
	}
	c->busy = 1;
	c->s.task_id = req->id;
	uint64_t now = clock_now_ns();
	c->s.t_start_ns = now;
	async_slot_begin(&c->s, now);
}

void async_serve_task_end(struct async_slot *s, int rc, uint64_t result)
{
	struct aconn *c = (struct aconn *)s;
	c->busy = 0;
	if (c->gone) { /* reset while it ran, or the server stops */
		c->al->t.dropped++;
		conn_close(c, 0);
		return;
	}
	c->status = rc == 0 ? 200 : 500;
	c->result = result;
	reply(c);
}

/* consume - parse buf[0..len) (bytes just read, or the held ones), taking
 * requests until one is pending; what is left is held for later. */
static void consume(struct aconn *c, const char *buf, size_t len)
{
	while (len > 0) {
		struct http_req req;
		size_t used;
		enum http_event ev = http_feed(&c->http, buf, len, &used, &req);
		buf += used;
		len -= used;
		if (ev == HTTP_EV_NEED)
			break;
		/* Held bytes first: the request may end the connection. */
		if (len > 0) {
			c->pend = malloc(HTTP_IN_MAX);
			if (!c->pend) {
				serve_setup_failed("out of memory for pipelined requests");
				conn_close(c, 0);
				return;
			}
			memcpy(c->pend, buf, len);
			c->pend_off = 0;
			c->pend_len = (uint16_t)len;
		}
		request(c, &req);
		return;
	}
	conn_advance(c);
}

/* conn_advance - nothing is pending on c: answer the requests it holds,
 * else wait for more (or close, if the client has closed its side). */
static void conn_advance(struct aconn *c)
{
	if (c->pend) {
		char *p = c->pend;
		c->pend = NULL;
		consume(c, p + c->pend_off, (size_t)(c->pend_len - c->pend_off));
		free(p);
		return;
	}
	if (c->eof || c->gone) {
		conn_close(c, 0);
		return;
	}
	set_reading(c, 1);
}

/* hold - a task or reply is pending: keep what the client sends meanwhile,
 * up to HTTP_IN_MAX, then stop reading until it is answered. */
static void hold(struct aconn *c)
{
	if (!c->pend) {
		c->pend = malloc(HTTP_IN_MAX);
		c->pend_off = c->pend_len = 0;
		if (!c->pend) {
			set_reading(c, 0);
			return;
		}
	}
	if (c->pend_off > 0) {
		memmove(c->pend, c->pend + c->pend_off, c->pend_len - c->pend_off);
		c->pend_len = (uint16_t)(c->pend_len - c->pend_off);
		c->pend_off = 0;
	}
	ssize_t r = c->pend_len < HTTP_IN_MAX
			    ? recv(c->fd, c->pend + c->pend_len, HTTP_IN_MAX - c->pend_len, 0)
			    : -2;
	if (r > 0) {
		c->pend_len = (uint16_t)(c->pend_len + r);
		return;
	}
	if (r == -1 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (r == 0)
		c->eof = 1; /* a half-close: the pending answers still go out */
	else if (r == -1)
		c->gone = 1; /* reset: the pending answer is dropped */
	set_reading(c, 0);
}

static void conn_read_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)what;
	struct aconn *c = arg;
	if (c->busy || c->out) {
		hold(c);
		return;
	}
	struct aserve_loop *al = c->al;
	ssize_t r = recv(fd, al->in, sizeof(al->in), 0);
	if (r > 0) {
		consume(c, al->in, (size_t)r);
	} else if (r == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
		conn_close(c, 0); /* closed between requests, or reset */
	}
}

/* conn_open - a slot for the client on fd, set up as a fan-out slot is. */
static void conn_open(struct aserve_loop *al, int fd)
{
	struct async_loop *lp = al->lp;
	const struct async_ops *ops = lp->run->ops;
	struct aconn *c = calloc(1, sizeof(*c));
	if (!c) {
		serve_setup_failed("out of memory for a connection");
		net_close_client(fd, 0);
		return;
	}
	async_slot_prepare(lp, &c->s);
	c->al = al;
	c->fd = fd;
	http_conn_init(&c->http, lp->run->cfg->wl->name);
	char err[MODEL_REASON_MAX] = "";
	if (evutil_make_socket_nonblocking(fd) != 0 ||
	    event_assign(&c->rev, lp->base, fd, EV_READ | EV_PERSIST, conn_read_cb, c) != 0 ||
	    (ops->slot_init && ops->slot_init(&c->s, err, sizeof(err)) != 0)) {
		serve_setup_failed(err[0] ? err : "a connection's events could not be made");
		if (ops->slot_fini)
			ops->slot_fini(&c->s);
		net_close_client(fd, 0);
		free(c);
		return;
	}
	c->next = al->live;
	if (al->live)
		al->live->prev = c;
	al->live = c;
	al->nlive++;
	serve_conn_opened();
	set_reading(c, 1);
}

/* stop - the stop was seen: no more accepting; idle connections closed,
 * the others closed as their tasks end; the loop leaves when none is left. */
static void stop(struct aserve_loop *al)
{
	al->stopping = 1;
	serve_clock_stop(); /* before anything is torn down */
	event_del(&al->listen_ev);
	event_del(&al->pause_ev);
	for (struct aconn *c = al->live, *next; c; c = next) {
		next = c->next;
		if (c->busy) {
			c->gone = 1;
		} else {
			if (c->out && !c->req.status)
				al->t.dropped++; /* a reply the client had not read */
			conn_close(c, 0);
		}
	}
	if (al->nlive == 0)
		event_base_loopbreak(al->lp->base);
}

static void pause_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct aserve_loop *al = arg;
	event_add(&al->listen_ev, NULL);
}

static void accept_cb(evutil_socket_t lfd, short what, void *arg)
{
	(void)what;
	struct aserve_loop *al = arg;
	for (int i = 0; i < SERVE_ACCEPT_BATCH; i++) {
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd >= 0) {
			conn_open(al, fd);
			continue;
		}
		switch (serve_accept_failed(errno)) {
		case SERVE_ACCEPT_STOP:
			stop(al);
			return;
		case SERVE_ACCEPT_PAUSE: { /* descriptors ran out: let some close */
			struct timeval tv = { 0, SERVE_ACCEPT_PAUSE_MS * 1000 };
			event_del(&al->listen_ev);
			event_add(&al->pause_ev, &tv);
			return;
		}
		case SERVE_ACCEPT_WAIT:
			return;
		case SERVE_ACCEPT_RETRY:
			break;
		}
	}
}

/* loop_serve - a loop's serving, from its listener to its last connection. */
static void loop_serve(struct aserve_loop *al, uint64_t index)
{
	struct async_loop *lp = al->lp;
	if (event_assign(&al->listen_ev, lp->base, serve_listener(index), EV_READ | EV_PERSIST,
			 accept_cb, al) != 0 ||
	    evtimer_assign(&al->pause_ev, lp->base, pause_cb, al) != 0 ||
	    event_add(&al->listen_ev, NULL) != 0) {
		serve_fault("the listener's event could not be made");
		return;
	}
	if (event_base_dispatch(lp->base) < 0)
		serve_fault("event_base_dispatch failed");
	/* After a fault (async_fail) the loop left at once, as a run does: its
	 * idle connections close now, the others once the pool has stopped
	 * (async_serve), since a job of theirs may still run. */
	stop(al);
}

/* serve_loop - serve_run_loops' fn: loop i of the array als. */
static void serve_loop(void *als, uint64_t i)
{
	loop_serve(&((struct aserve_loop *)als)[i], i);
}

int async_serve(const struct run_config *cfg, struct run_result *res)
{
	struct run_state run = {
		.ops = async_ops_of(cfg->wl_index),
		.cfg = cfg,
		.fault = RUN_FAULT_INIT,
		.res = res,
	};
	uint64_t nloops = cfg->loops ? cfg->loops : 1;
	if (async_pool_start(&run.pool, cfg->workers, res->reason, sizeof(res->reason)) != 0)
		return -1;
	struct async_loop *loops = calloc(nloops, sizeof(*loops));
	struct aserve_loop *als = calloc(nloops, sizeof(*als));
	uint64_t set_up = 0;
	if (!loops || !als) {
		snprintf(res->reason, sizeof(res->reason), "out of memory for %llu loops",
			 (unsigned long long)nloops);
		goto out;
	}
	for (; set_up < nloops; set_up++) {
		struct async_loop *lp = &loops[set_up];
		lp->run = &run;
		lp->serve = &als[set_up];
		als[set_up].lp = lp;
		if (async_loop_setup(lp, cfg) != 0) { /* no slots yet: its base, its queues */
			run_fault_report(&run.fault, res);
			set_up++; /* what it made is torn down below */
			goto out;
		}
	}
	serve_run_loops(nloops, serve_loop, als);
out:
	/* The pool first: a job may still hold a slot's task. */
	async_pool_stop(&run.pool);
	for (uint64_t l = 0; l < set_up; l++) {
		while (als[l].live)
			conn_close(als[l].live, 0);
		serve_tally_merge(&als[l].t);
		async_loop_teardown(&loops[l]);
	}
	int failed = !loops || !als || run.fault.reason[0];
	free(als);
	free(loops);
	return failed ? -1 : 0;
}
