/*
 * threads_serve.c - the threads model as a server (--serve): one OS thread
 * per connection, made when the connection is accepted, as a
 * thread-per-client server is deployed.
 *
 * The main thread accepts (serve_conn.h's loop: a blocking accept in
 * poll(2)); each connection gets a thread of its own (--stack-kib as in
 * fan-out runs, detached) that runs the pair's worker_init (its backend
 * connection), then the connection's requests one by one with blocking
 * calls, then worker_fini.  What a connection costs is what the model
 * spends on it: a thread (its stack, its kernel task) and a socket.  At the
 * stop the main thread shuts every connection's socket down (a thread in
 * recv wakes with 0, one in a task finishes it and finds its reply
 * undeliverable) and waits until every thread has merged its counts.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "../harness/runtime/net.h"
#include "block.h"
#include "serve_conn.h"
#include "threads_serve.h"

/* The server's state. */
struct tserve {
	const struct threads_ops *ops;  /* the pair's blocking side */
	const struct run_config *cfg;   /* the run */
	pthread_attr_t attr;            /* each connection thread's: detached, --stack-kib */
	pthread_mutex_t mu;             /* guards the list and live */
	pthread_cond_t cv;              /* live reached 0 */
	struct tconn *list;             /* the connections whose threads run */
	uint64_t live;                  /* how many */
};

/* One connection and its thread. */
struct tconn {
	struct thr_worker w;     /* what the pair sees: the handler's own worker */
	struct tserve *sv;       /* the server */
	int fd;                  /* the client's socket */
	struct serve_tally t;    /* its counts */
	struct tconn *prev;      /* in sv->list */
	struct tconn *next;      /* in sv->list */
};

/* unlink_conn - c leaves the list (its socket is no longer the stop's to
 * shut down), before it is closed: the number may be reused at once. */
static void unlink_conn(struct tserve *sv, struct tconn *c)
{
	pthread_mutex_lock(&sv->mu);
	if (c->prev)
		c->prev->next = c->next;
	else
		sv->list = c->next;
	if (c->next)
		c->next->prev = c->prev;
	if (--sv->live == 0)
		pthread_cond_signal(&sv->cv);
	pthread_mutex_unlock(&sv->mu);
}

static void *conn_main(void *arg)
{
	struct tconn *c = arg;
	struct tserve *sv = c->sv;
	const struct threads_ops *ops = sv->ops;
	int lingering = 0;
	if (ops->worker_init && ops->worker_init(&c->w) != 0)
		serve_setup_failed(c->w.err[0] ? c->w.err : "worker_init failed");
	else
		lingering = thr_serve_conn(ops, &c->w, c->fd, sv->cfg->wl->name, &c->t);
	if (ops->worker_fini)
		ops->worker_fini(&c->w);
	serve_tally_merge(&c->t);
	unlink_conn(sv, c);
	blk_close_client(c->fd, lingering);
	serve_conn_closed();
	free(c);
	return NULL;
}

/* spawn - thr_spawn_fn: a thread for the connection on fd. */
static void spawn(void *arg, int fd)
{
	struct tserve *sv = arg;
	struct tconn *c = calloc(1, sizeof(*c));
	if (!c) {
		serve_setup_failed("out of memory for a connection");
		net_close_client(fd, 0);
		return;
	}
	c->sv = sv;
	c->fd = fd;
	c->w.params = &sv->cfg->params;
	c->w.fd = -1;
	serve_conn_opened();
	pthread_mutex_lock(&sv->mu);
	c->next = sv->list;
	if (sv->list)
		sv->list->prev = c;
	sv->list = c;
	sv->live++;
	pthread_mutex_unlock(&sv->mu);
	pthread_t tid;
	int rc = pthread_create(&tid, &sv->attr, conn_main, c);
	if (rc != 0) {
		char why[96];
		snprintf(why, sizeof(why), "pthread_create: %s",
			 rc == EAGAIN ? "EAGAIN (thread or memory limit)" : strerror(rc));
		serve_setup_failed(why);
		unlink_conn(sv, c);
		net_close_client(fd, 0);
		serve_conn_closed();
		free(c);
	}
}

int thr_serve_attr(const struct run_config *cfg, pthread_attr_t *attr, int detached,
		   struct run_result *res)
{
	pthread_attr_init(attr);
	if (detached)
		pthread_attr_setdetachstate(attr, PTHREAD_CREATE_DETACHED);
	int rc = cfg->stack_kib ? pthread_attr_setstacksize(attr, (size_t)cfg->stack_kib * 1024) : 0;
	if (rc != 0) {
		snprintf(res->reason, sizeof(res->reason), "--stack-kib %llu: %s",
			 (unsigned long long)cfg->stack_kib, strerror(rc));
		pthread_attr_destroy(attr);
		return -1;
	}
	size_t bytes = 0; /* recorded: the stack a request's task runs on */
	if (pthread_attr_getstacksize(attr, &bytes) == 0)
		res->stack_kib = bytes / 1024;
	return 0;
}

int thr_serve_threads(const struct threads_ops *ops, const struct run_config *cfg,
		      struct run_result *res)
{
	struct tserve sv = { .ops = ops, .cfg = cfg };
	pthread_mutex_init(&sv.mu, NULL);
	pthread_cond_init(&sv.cv, NULL);
	if (thr_serve_attr(cfg, &sv.attr, 1, res) != 0)
		return -1;
	thr_serve_accept(serve_listener(0), spawn, &sv);
	serve_clock_stop(); /* before anything is torn down */
	pthread_mutex_lock(&sv.mu);
	for (struct tconn *c = sv.list; c; c = c->next)
		shutdown(c->fd, SHUT_RDWR);
	while (sv.live > 0)
		pthread_cond_wait(&sv.cv, &sv.mu);
	pthread_mutex_unlock(&sv.mu);
	pthread_attr_destroy(&sv.attr);
	return 0;
}
