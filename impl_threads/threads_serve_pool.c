/*
 * threads_serve_pool.c - the pool model as a server (bin/threads --pool N
 * --serve): a fixed pool of N OS threads taking requests from a queue, the
 * blocking-style code unchanged, as Tomcat's and Jetty's connectors run
 * their 200 threads: an acceptor thread, a poller thread, the workers.
 *
 * The acceptor (the main thread, serve_conn.h's blocking accept loop)
 * registers each connection with the poller's epoll, one-shot.  The poller
 * queues each connection that has bytes to read; a worker takes it, reads
 * what has come (MSG_DONTWAIT), answers every whole request in it with
 * thr_serve_request (the pair's task on the worker's own thr_worker, set up
 * by worker_init once per worker: one backend connection per worker, not
 * per connection), and hands the connection back to the poller (re-armed:
 * one epoll_ctl per request), or closes it.  A connection's partial request
 * lives in its parse state, so between requests it holds no buffer: an idle
 * connection costs a socket, an epoll item and ~150 bytes, and no thread.
 * A reply is written blocking (the socket stays blocking; reads never
 * block): a slow reader holds its worker, as a pool server's worker waits
 * in its write.
 *
 * At the stop the acceptor shuts every connection's socket down; the
 * poller queues them (EOF), workers close them; when none is left the
 * poller and the workers leave and each worker runs worker_fini.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../harness/runtime/net.h"
#include "serve_conn.h"
#include "threads_serve.h"

#define POOL_EVENTS 256 /* epoll events the poller takes per wait */

struct pserve;

/* A connection: the poller's, the queue's or one worker's at a time. */
struct pconn {
	int fd;                /* the client's socket (blocking) */
	struct http_conn http; /* its request stream's parse state */
	struct pconn *qnext;   /* in the queue */
	struct pconn *prev;    /* in the live list */
	struct pconn *next;    /* in the live list */
};

/* One worker thread. */
struct pworker {
	struct thr_worker w;  /* what the pair sees */
	struct pserve *sv;    /* the server */
	struct serve_tally t; /* its counts */
	pthread_t tid;        /* its thread */
};

/* The server. */
struct pserve {
	const struct threads_ops *ops; /* the pair's blocking side */
	const struct run_config *cfg;  /* the run */
	int epfd;                      /* the poller's epoll */
	int wake;                      /* eventfd: the poller's stop */
	pthread_mutex_t mu;            /* guards everything below */
	pthread_cond_t cv;             /* the queue got a connection, or quit */
	pthread_cond_t gone_cv;        /* live reached 0 */
	struct pconn *head;            /* the queue: connections with bytes to read */
	struct pconn *tail;            /* its newest */
	struct pconn *live;            /* every open connection */
	uint64_t nlive;                /* how many */
	int quit;                      /* 1: workers leave once the queue is empty */
	struct pworker *wks;           /* the workers */
	uint64_t n;                    /* how many there are to be */
	uint64_t inited;               /* workers whose worker_init ran */
	uint64_t running;              /* workers whose threads run */
	pthread_attr_t attr;           /* the workers' (--stack-kib) */
	pthread_t poller;              /* the poller's thread */
	int polling;                   /* 1: it runs */
};

/* arm - give c back to the poller: one readiness, then it is the queue's. */
static int arm(struct pserve *sv, struct pconn *c, int op)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP | EPOLLONESHOT, .data.ptr = c };
	return epoll_ctl(sv->epfd, op, c->fd, &ev);
}

/* conn_close - c ends: out of the live list, then its socket closed. */
static void conn_close(struct pserve *sv, struct pconn *c, int lingering)
{
	pthread_mutex_lock(&sv->mu);
	if (c->prev)
		c->prev->next = c->next;
	else
		sv->live = c->next;
	if (c->next)
		c->next->prev = c->prev;
	if (--sv->nlive == 0)
		pthread_cond_broadcast(&sv->gone_cv);
	pthread_mutex_unlock(&sv->mu);
	net_close_client(c->fd, lingering); /* closing removes it from the epoll */
	serve_conn_closed();
	free(c);
}

/* spawn - thr_spawn_fn: a connection for the poller. */
static void spawn(void *arg, int fd)
{
	struct pserve *sv = arg;
	struct pconn *c = calloc(1, sizeof(*c));
	if (!c) {
		serve_setup_failed("out of memory for a connection");
		net_close_client(fd, 0);
		return;
	}
	c->fd = fd;
	http_conn_init(&c->http, sv->cfg->wl->name);
	serve_conn_opened();
	pthread_mutex_lock(&sv->mu);
	c->next = sv->live;
	if (sv->live)
		sv->live->prev = c;
	sv->live = c;
	sv->nlive++;
	pthread_mutex_unlock(&sv->mu);
	if (arm(sv, c, EPOLL_CTL_ADD) != 0) {
		char why[96];
		snprintf(why, sizeof(why), "epoll_ctl: %s", strerror(errno));
		serve_setup_failed(why);
		conn_close(sv, c, 0);
	}
}

/* handle - a worker serves c: every whole request that has come, then c
 * goes back to the poller, or closes. */
static void handle(struct pworker *wk, struct pconn *c)
{
	struct pserve *sv = wk->sv;
	char in[HTTP_IN_MAX];
	for (;;) {
		ssize_t n = recv(c->fd, in, sizeof(in), MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (arm(sv, c, EPOLL_CTL_MOD) != 0)
				conn_close(sv, c, 0);
			return;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) { /* closed, reset, or shut down by the stop */
			conn_close(sv, c, 0);
			return;
		}
		for (size_t off = 0; off < (size_t)n;) {
			struct http_req req;
			size_t used;
			if (http_feed(&c->http, in + off, (size_t)n - off, &used, &req) == HTTP_EV_NEED)
				break;
			off += used;
			int next = thr_serve_request(sv->ops, &wk->w, c->fd, &req, &wk->t);
			if (next != THR_SERVE_ON) {
				conn_close(sv, c, next == THR_SERVE_LINGER);
				return;
			}
		}
		/* A read that did not fill the buffer took all there was: back to
		 * the poller at once (a one-shot re-arm reports bytes that came
		 * meanwhile), not through a recv that would say EAGAIN. */
		if ((size_t)n < sizeof(in)) {
			if (arm(sv, c, EPOLL_CTL_MOD) != 0)
				conn_close(sv, c, 0);
			return;
		}
	}
}

static void *worker_main(void *arg)
{
	struct pworker *wk = arg;
	struct pserve *sv = wk->sv;
	for (;;) {
		pthread_mutex_lock(&sv->mu);
		while (!sv->head && !sv->quit)
			pthread_cond_wait(&sv->cv, &sv->mu);
		struct pconn *c = sv->head;
		if (c) {
			sv->head = c->qnext;
			if (!sv->head)
				sv->tail = NULL;
		}
		pthread_mutex_unlock(&sv->mu);
		if (!c)
			return NULL;
		handle(wk, c);
	}
}

/* poller_main - queue each connection epoll says has bytes (or an EOF). */
static void *poller_main(void *arg)
{
	struct pserve *sv = arg;
	struct epoll_event evs[POOL_EVENTS];
	for (;;) {
		int n = epoll_wait(sv->epfd, evs, POOL_EVENTS, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			serve_fault("epoll_wait failed");
			return NULL;
		}
		pthread_mutex_lock(&sv->mu);
		for (int i = 0; i < n; i++) {
			struct pconn *c = evs[i].data.ptr;
			if (!c) { /* the wake eventfd: the server is done */
				pthread_mutex_unlock(&sv->mu);
				return NULL;
			}
			c->qnext = NULL;
			if (sv->tail)
				sv->tail->qnext = c;
			else
				sv->head = c;
			sv->tail = c;
			/* One worker per connection queued: a broadcast would wake
			 * all N to find one job, N - 1 of them for nothing. */
			pthread_cond_signal(&sv->cv);
		}
		pthread_mutex_unlock(&sv->mu);
	}
}

/* pool_start - the epoll, its wake, the poller and the workers, each
 * worker set up (worker_init) before the first connection.  0, or -1 with
 * err set; sv->inited and sv->running say how far it got. */
static int pool_start(struct pserve *sv, char *err, size_t errlen)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
	sv->epfd = epoll_create1(EPOLL_CLOEXEC);
	sv->wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (sv->epfd < 0 || sv->wake < 0 || epoll_ctl(sv->epfd, EPOLL_CTL_ADD, sv->wake, &ev) != 0) {
		snprintf(err, errlen, "epoll: %s", strerror(errno));
		return -1;
	}
	int rc = pthread_create(&sv->poller, NULL, poller_main, sv);
	if (rc != 0) {
		snprintf(err, errlen, "pthread_create (poller): %s", strerror(rc));
		return -1;
	}
	sv->polling = 1;
	for (; sv->running < sv->n; sv->running++) {
		struct pworker *wk = &sv->wks[sv->running];
		wk->sv = sv;
		wk->w.params = &sv->cfg->params;
		wk->w.fd = -1;
		sv->inited++;
		if (sv->ops->worker_init && sv->ops->worker_init(&wk->w) != 0) {
			snprintf(err, errlen, "%s", wk->w.err[0] ? wk->w.err : "worker_init failed");
			return -1;
		}
		rc = pthread_create(&wk->tid, &sv->attr, worker_main, wk);
		if (rc != 0) {
			snprintf(err, errlen, "pthread_create: %s at %llu pool threads",
				 rc == EAGAIN ? "EAGAIN (thread or memory limit)" : strerror(rc),
				 (unsigned long long)sv->running);
			return -1;
		}
	}
	return 0;
}

/* pool_stop - the poller and the workers leave (the queue is empty: no
 * connection is left), each worker's worker_fini, its counts merged. */
static void pool_stop(struct pserve *sv)
{
	if (sv->polling) {
		uint64_t one = 1;
		ssize_t w = write(sv->wake, &one, sizeof(one));
		(void)w; /* an eventfd's counter this low never refuses */
		pthread_join(sv->poller, NULL);
	}
	pthread_mutex_lock(&sv->mu);
	sv->quit = 1;
	pthread_cond_broadcast(&sv->cv);
	pthread_mutex_unlock(&sv->mu);
	for (uint64_t i = 0; i < sv->running; i++)
		pthread_join(sv->wks[i].tid, NULL);
	for (uint64_t i = 0; i < sv->inited; i++) {
		if (sv->ops->worker_fini)
			sv->ops->worker_fini(&sv->wks[i].w);
		serve_tally_merge(&sv->wks[i].t);
	}
	if (sv->wake >= 0)
		close(sv->wake);
	if (sv->epfd >= 0)
		close(sv->epfd);
}

int thr_serve_pool(const struct threads_ops *ops, const struct run_config *cfg, uint64_t pool,
		   struct run_result *res)
{
	struct pserve sv = { .ops = ops, .cfg = cfg, .epfd = -1, .wake = -1, .n = pool };
	pthread_mutex_init(&sv.mu, NULL);
	pthread_cond_init(&sv.cv, NULL);
	pthread_cond_init(&sv.gone_cv, NULL);
	if (thr_serve_attr(cfg, &sv.attr, 0, res) != 0)
		return -1;
	sv.wks = calloc(pool, sizeof(*sv.wks));
	if (!sv.wks) {
		snprintf(res->reason, sizeof(res->reason), "out of memory for %llu pool workers",
			 (unsigned long long)pool);
		pthread_attr_destroy(&sv.attr);
		return -1;
	}
	int rc = pool_start(&sv, res->reason, sizeof(res->reason));
	if (rc == 0) {
		thr_serve_accept(serve_listener(0), spawn, &sv);
		serve_clock_stop(); /* before anything is torn down */
		pthread_mutex_lock(&sv.mu);
		for (struct pconn *c = sv.live; c; c = c->next)
			shutdown(c->fd, SHUT_RDWR); /* each reads its EOF and closes */
		while (sv.nlive > 0)
			pthread_cond_wait(&sv.gone_cv, &sv.mu);
		pthread_mutex_unlock(&sv.mu);
	}
	pool_stop(&sv);
	pthread_attr_destroy(&sv.attr);
	free(sv.wks);
	return rc;
}
