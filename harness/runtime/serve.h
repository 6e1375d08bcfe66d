/*
 * serve.h - what every model's server shares (--serve PORT): the listening
 * sockets, the stop, accept's failures, the counts of connections and
 * requests, the clock's window and the fault that ends serving.  One copy,
 * so that no model listens, accepts, stops or counts another way; a model
 * decides only how a connection is held (a thread, a coroutine, a slot on a
 * loop) and how its requests' tasks wait (harness/runtime/http.h parses
 * them for all).
 *
 * The stop: SIGTERM, SIGINT, --serve-requests N answered, or a fatal fault
 * (serve_fault) all call serve_stop, which shuts every listener down.  A
 * listener shut down reads as ready to each poller that watches it (epoll,
 * poll, io_uring) and accept then fails with EINVAL, so every model learns
 * of the stop where it already waits for connections, with no event or
 * thread of its own for it, and shutdown(2) is async-signal-safe.  Each
 * model then closes its connections (shutdown of a blocking thread's or a
 * coroutine's socket ends its wait on the client) and returns.
 */
#ifndef SERVE_H
#define SERVE_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"

#define SERVE_BACKLOG 65535         /* listen(2) backlog asked: the kernel caps it at
				       net.core.somaxconn, and the stats line says which */
#define SERVE_ACCEPT_PAUSE_MS 50    /* accepting paused this long after EMFILE/ENFILE */
#define SERVE_ACCEPT_BATCH 64       /* accepts per readiness at most: the loop's
				       connections get their turn between batches */
#define SERVE_LISTENERS_MAX 1024    /* one per loop at most (--loops' bound) */

/* How several loops share the port (--accept). */
enum serve_accept_mode {
	SERVE_ACCEPT_SHARED,    /* one listener every loop watches: whoever wakes first takes */
	SERVE_ACCEPT_REUSEPORT, /* one SO_REUSEPORT listener per loop: the kernel spreads
				   connections over them by their addresses' hash */
};

/* What the runner listens with. */
struct serve_opts {
	struct sockaddr_in addr;   /* where (port 0: the kernel picks one) */
	uint64_t listeners;        /* sockets: 1, or one per loop (SO_REUSEPORT) */
	int ready_fd;              /* --ready-fd: the listening line goes there too, or -1 */
	uint64_t max_requests;     /* --serve-requests: stop after this many 200s; 0: never */
};

/* One connection's, thread's or loop's counts, written by it alone and
 * merged into the run's with serve_tally_merge. */
struct serve_tally {
	uint64_t requests; /* answered 200 */
	uint64_t errors;   /* answered 500: the task failed */
	uint64_t bad;      /* answered 400, 404, 405 or 431 */
	uint64_t dropped;  /* tasks run whose answer could not be written: the client left */
	uint64_t checksum; /* wrapping sum of wl_fold(id, result) over the 200s */
};

/* The run's totals, for the stats line. */
struct serve_totals {
	struct serve_tally t;       /* the requests */
	uint64_t conns_total;       /* connections accepted */
	uint64_t conns_peak;        /* open at once, at most */
	uint64_t accept_errors;     /* accept failures for want of descriptors or memory, and
				       connections dropped because their set-up failed */
	uint64_t listeners;         /* listening sockets */
	int backlog;                /* the backlog in force (min of ours and somaxconn) */
	uint16_t port;              /* the port listened on */
	char addr[INET_ADDRSTRLEN]; /* the address */
};

/* What accept's failure means to the model (serve_accept_failed). */
enum serve_accept_act {
	SERVE_ACCEPT_WAIT,  /* nothing pending: wait for the listener again */
	SERVE_ACCEPT_RETRY, /* that one connection failed (reset before accept): try again */
	SERVE_ACCEPT_PAUSE, /* descriptors or memory ran out (counted): stop watching the
			       listener for SERVE_ACCEPT_PAUSE_MS, then try again */
	SERVE_ACCEPT_STOP,  /* the server is stopping: accept no more */
};

/* ---- the runner's ---- */

/*
 * serve_open - the listeners (SO_REUSEADDR, SO_REUSEPORT when more than one,
 * non-blocking, SERVE_BACKLOG), the SIGTERM/SIGINT handlers, then the line
 * "listening ADDR:PORT" on stderr and on o->ready_fd (closed after).  res
 * gets the clock's start at the first connection (run_clock_start) and its
 * stop at the stop.  0, or -1 with one line in err (the run fails).
 */
int serve_open(const struct serve_opts *o, struct run_result *res, char *err, size_t errlen);

/* serve_close - close the listeners (after the model's serve returned). */
void serve_close(void);

/* serve_totals - the run's counts; after the model's serve returned. */
void serve_totals(struct serve_totals *out);

/* serve_fault_report - 0, or -1 with the first fault in res->reason. */
int serve_fault_report(struct run_result *res);

/* ---- the models' ---- */

/*
 * serve_run_loops - run fn(arg, i) for each loop i of n: on the calling
 * thread when n is 1, else on a thread each, all joined before it returns.
 * A thread that cannot be made is a fault (serve_fault: the others stop).
 */
void serve_run_loops(uint64_t n, void (*fn)(void *arg, uint64_t i), void *arg);

/* serve_listener - the listening socket loop i accepts on (i mod listeners). */
int serve_listener(uint64_t i);

/* serve_stop - stop serving: every listener's accept fails from now on.
 * Async-signal-safe.  Idempotent. */
void serve_stop(void);

/* serve_stopping - 1 once serve_stop ran.  Cost: a relaxed load. */
int serve_stopping(void);

/* serve_fault - a fault that ends serving (the run fails, exit 3): why is
 * kept if it is the first, then serve_stop. */
void serve_fault(const char *why);

/* serve_error_note - a request's task failed (a 500; serving goes on) for
 * why: kept if it is the first, for the stats line's first_error, as a
 * fan-out run keeps its first failed task's.  Cost: a relaxed load; a
 * mutex once. */
void serve_error_note(const char *why);

/*
 * serve_accept_failed - what accept's error e means.  EMFILE, ENFILE,
 * ENOBUFS and ENOMEM are counted in accept_errors (the first is said on
 * stderr once).  Cost: nothing on the common path (EAGAIN).
 */
enum serve_accept_act serve_accept_failed(int e);

/* serve_setup_failed - a connection accepted was closed because its
 * handler's set-up failed (no thread, a backend refused): counted with
 * accept_errors, why said on stderr once. */
void serve_setup_failed(const char *why);

/* serve_conn_opened - a connection was accepted: counted, and the first
 * starts the clock (run_clock_start).  Cost: two atomic operations. */
void serve_conn_opened(void);

/* serve_conn_closed - a connection was closed (by either side). */
void serve_conn_closed(void);

/* serve_clock_stop - the stop was seen: the clock stops (once, whoever
 * calls first), before any connection is torn down. */
void serve_clock_stop(void);

/* serve_answered - a reply of `status` was written whole: counted in t;
 * a 200 for task id's result is folded into its checksum, and the
 * --serve-requests-th stops the server.  Cost: two adds (and an atomic add
 * with --serve-requests). */
void serve_answered(struct serve_tally *t, int status, uint64_t id, uint64_t result);

/* serve_tally_merge - add t to the run's counts (a mutex: once per
 * connection, thread or loop, never per request). */
void serve_tally_merge(const struct serve_tally *t);

#endif
