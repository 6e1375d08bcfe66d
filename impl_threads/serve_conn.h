/*
 * serve_conn.h - serve mode for blocking-style code, shared by every runtime
 * that runs it (threads and pool: impl_threads/threads_serve.c; green and
 * uring: impl_green/sched_serve.c): the accept loop and one connection's
 * request loop, written once with block.h's waits, so the runtimes differ
 * only in what holds a connection (an OS thread, a coroutine) and how a
 * wait waits.
 *
 * A connection's requests run the pair's task (threads_NAME.task) on the
 * worker its runtime gives it, set up as a fan-out slot's is (worker_init:
 * a backend connection, a redis context), the request's id as the task id,
 * exactly as a fan-out slot runs the ids dispatch.h hands it.
 */
#ifndef SERVE_CONN_H
#define SERVE_CONN_H

#include "../harness/runtime/http.h"
#include "../harness/runtime/serve.h"
#include "threads.h"

/* Where the accept loop hands each connection: its new owner. */
typedef void (*thr_spawn_fn)(void *arg, int fd);

/*
 * thr_serve_accept - accept on listening socket lfd until the server stops
 * (serve.h), giving each connection to spawn, which owns it from then on
 * (and counts it open: serve_conn_opened).  After EMFILE or ENFILE the loop
 * sleeps SERVE_ACCEPT_PAUSE_MS before accepting again (blk_sleep_us: the
 * thread, or the coroutine).  Returns when accept says the server stops.
 */
void thr_serve_accept(int lfd, thr_spawn_fn spawn, void *arg);

/* What a connection does after a request (thr_serve_request). */
enum thr_serve_next {
	THR_SERVE_ON,     /* stays open for the next request */
	THR_SERVE_LINGER, /* closes after an error reply (net_close_client's lingering) */
	THR_SERVE_CLOSE,  /* closes: keep-alive off, the client gone, or a fatal fault */
};

/*
 * thr_serve_request - answer req on fd: its task run with ops->task on w (a
 * status of req's own answered as it is), the reply written whole with
 * blk_send_all, counted in t.  A fatal task fault (-1) is reported with
 * serve_fault and closes.  Returns what the connection does next.
 */
int thr_serve_request(const struct threads_ops *ops, struct thr_worker *w, int fd,
		      struct http_req *req, struct serve_tally *t);

/*
 * thr_serve_conn - serve the client on fd until it closes its side, sends
 * something that is not a request of ours, asks to close, or the server
 * stops (its socket shut down): each request is read, its task run with
 * ops->task on w, and answered before the next is read, so pipelined
 * requests are answered in order and a half-closed client gets every
 * answer it asked for.  Counts go to t.  Returns 1 if the last reply was an
 * error that closes the connection (close it lingering: net_close_client),
 * else 0.  A fatal task fault (-1) is reported with serve_fault.  The
 * caller closes fd.  Stack: HTTP_IN_MAX + HTTP_RESP_MAX + the task's.
 */
int thr_serve_conn(const struct threads_ops *ops, struct thr_worker *w, int fd, const char *pair,
		   struct serve_tally *t);

#endif
