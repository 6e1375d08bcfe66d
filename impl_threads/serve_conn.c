/*
 * serve_conn.c - the blocking-style accept loop and connection loop (see
 * serve_conn.h).
 */
#include <errno.h>

#include "../harness/runtime/clock.h"
#include "block.h"
#include "serve_conn.h"

void thr_serve_accept(int lfd, thr_spawn_fn spawn, void *arg)
{
	for (;;) {
		int fd = blk_accept(lfd);
		if (fd >= 0) {
			spawn(arg, fd);
			continue;
		}
		switch (serve_accept_failed(errno)) {
		case SERVE_ACCEPT_STOP:
			return;
		case SERVE_ACCEPT_PAUSE: /* descriptors ran out: let some close */
			blk_sleep_us(SERVE_ACCEPT_PAUSE_MS * 1000ULL);
			break;
		case SERVE_ACCEPT_WAIT:
		case SERVE_ACCEPT_RETRY:
			break;
		}
	}
}

/* run_request - req's task on w: the status to answer (200, 500, or req's
 * own error status) and *result.  *fatal: the task failed fatally (the
 * server is stopped). */
static int run_request(const struct threads_ops *ops, struct thr_worker *w,
		       const struct http_req *req, uint64_t *result, int *fatal)
{
	if (req->status)
		return req->status;
	w->t_begin_ns = clock_now_ns();
	w->err[0] = '\0';
	int rc = ops->task(w, req->id, result);
	if (rc < 0) {
		serve_fault(w->err[0] ? w->err : "a task failed");
		*fatal = 1;
	} else if (rc > 0) {
		serve_error_note(w->err); /* the server's first failed request, if it is */
	}
	return rc == 0 ? 200 : 500;
}

int thr_serve_request(const struct threads_ops *ops, struct thr_worker *w, int fd,
		      struct http_req *req, struct serve_tally *t)
{
	uint64_t result = 0;
	int fatal = 0;
	int status = run_request(ops, w, req, &result, &fatal);
	if (fatal)
		req->keep_alive = 0;
	char out[HTTP_RESP_MAX];
	size_t n = http_response(out, status, result, req);
	if (blk_send_all(fd, out, n) != 0) {
		if (!req->status)
			t->dropped++; /* the client left with its request pending */
		return THR_SERVE_CLOSE;
	}
	serve_answered(t, status, req->id, result);
	if (!req->keep_alive)
		return status != 200 ? THR_SERVE_LINGER : THR_SERVE_CLOSE;
	return THR_SERVE_ON;
}

int thr_serve_conn(const struct threads_ops *ops, struct thr_worker *w, int fd, const char *pair,
		   struct serve_tally *t)
{
	char in[HTTP_IN_MAX];
	size_t off = 0, len = 0;
	struct http_conn hc;
	http_conn_init(&hc, pair);
	for (;;) {
		struct http_req req;
		size_t used;
		if (http_feed(&hc, in + off, len - off, &used, &req) == HTTP_EV_NEED) {
			long n = blk_recv_some(fd, in, sizeof(in));
			if (n <= 0) /* closed, reset, or shut down by the stop */
				return 0;
			off = 0;
			len = (size_t)n;
			continue;
		}
		off += used;
		int rc = thr_serve_request(ops, w, fd, &req, t);
		if (rc != THR_SERVE_ON)
			return rc == THR_SERVE_LINGER;
	}
}
