/*
 * load.h - what the parts of bin/load share: its tunables, its options, a
 * connection, a load thread and the run.
 *
 * bin/load drives any model's --serve server (shared/DESIGN.md, "Serve") with
 * HTTP/1.1 keep-alive requests GET PATH?id=N, and measures what a client
 * sees: latency from each request's intended send time, throughput, errors,
 * and the checksum of the answers (wl_fold over id and result, the fold of the
 * fan-out runs), so a served run's work can be compared with a fan-out run's.
 *   main.c    the options, the threads, the exit status
 *   conn.c    one connection: connect, send, read, parse, reconnect
 *   loop.c    one load thread: its epoll loop, the open-loop schedule, the drain
 *   resp.c    HTTP/1.1 responses, parsed by libhttp-parser
 *   out.c     the JSON line, the histogram line, the .hgrm file, the summary
 */
#ifndef LOAD_H
#define LOAD_H

#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include <http_parser.h>

#include "../runtime/hist.h"

#define LOAD_MAX_THREADS 64            /* --threads at most */
#define LOAD_MAX_CONNECTIONS 1000000ULL /* --connections at most */
#define LOAD_MAX_RATE 100000000ULL     /* --rate: requests per second at most */
#define LOAD_MAX_DURATION_S 86400ULL   /* --duration at most */
#define LOAD_MAX_REQUESTS 4294967295ULL /* --requests: histogram counts are 32-bit */
#define LOAD_MAX_ID 4294967295ULL      /* request ids are 0 <= N < 2^32 (the contract) */
#define LOAD_PATH_MAX 128              /* --path length at most */
#define LOAD_REQ_MAX 384               /* one request's text at most */
#define LOAD_BODY_MAX 32               /* a response body longer than this is an error */
#define LOAD_RECV_BUF 65536            /* bytes read per recv, per thread */
#define LOAD_EPOLL_EVENTS 512          /* events taken per epoll_wait */
#define LOAD_CONNECTING_MAX 256        /* connects in progress per thread at once: more
					  overflow the server's listen backlog, and a
					  dropped SYN costs a 1 s retransmit */
#define LOAD_CONNECT_TIMEOUT_S 10      /* opening every connection may take this long */
#define LOAD_DEFAULT_TIMEOUT_S 10      /* a response later than this is an error */
#define LOAD_MAX_TIMEOUT_S 3600        /* --timeout-s at most */
#define LOAD_SWEEP_NS 50000000ULL      /* look for timed-out requests every 50 ms */
#define LOAD_ERROR_SHARE 0.01          /* more errors than this share of requests: exit 3 */
#define LOAD_BOUND_UTIL 0.9            /* a thread busier than this share of a core:
					  the point is load-bound, not the server's */
#define LOAD_PORTS_PER_ADDR 25000      /* connections per loopback source address (the
					  ephemeral range is 28,232 ports) */
#define LOAD_NOFILE_SPARE 64           /* descriptors beyond the connections */
#define LOAD_REASON_MAX 256            /* a failure's one line */
#define LOAD_HEAP_NONE UINT32_MAX      /* heap_pos of a connection not in the heap */

/* What the command line asked for. */
struct load_cfg {
	char host[256];             /* --target host part, for Host: and messages */
	struct sockaddr_in addr;    /* --target resolved */
	const char *path;           /* --path: /WORKLOAD */
	uint64_t connections;       /* --connections: opened and held */
	uint64_t active;            /* of them, those that send (--active, --active-share) */
	double rate;                /* --rate: requests/s over the active ones; 0: closed */
	uint64_t duration_ns;       /* --duration in ns; 0: --requests decides */
	uint64_t requests;          /* --requests: ids to send; 0: --duration decides */
	unsigned threads;           /* --threads */
	uint64_t ids_from;          /* --ids-from: the first request id */
	uint64_t timeout_ns;        /* --timeout-s in ns: a response later is an error */
	int json;                   /* --json: the stats line on stdout */
	const char *stats_out;      /* --stats-out: append the stats line here */
	const char *hist_out;       /* --hist-out: append the histogram line here */
	const char *hgrm_out;       /* --hgrm-out: write the .hgrm file here */
	int quiet;                  /* --quiet: no summary on stderr */
	int spread_source;          /* 1: loopback target, spread over 127.0.0.x sources */
};

/* A connection's state. */
enum load_state {
	LC_CLOSED,      /* no socket (before the first connect, after a failure) */
	LC_CONNECTING,  /* non-blocking connect in progress */
	LC_READY,       /* connected, no request outstanding */
	LC_BUSY,        /* a request sent (or being sent), its response not yet whole */
	LC_DONE,        /* active, but no more ids or time: it only stays open */
};

/* One connection. */
struct load_conn {
	struct load_thread *t;    /* its thread */
	int fd;                   /* the socket, -1 when closed */
	uint32_t index;           /* among its thread's active ones (open-loop phase) */
	uint8_t state;            /* enum load_state */
	uint8_t active;           /* 1: it sends requests; 0: it stays idle */
	uint8_t want_out;         /* 1: EPOLLOUT is armed (a partial write or a connect) */
	uint8_t body_len;         /* bytes of the response body in body[] */
	uint8_t body_over;        /* 1: the body overflowed body[] */
	uint8_t closing;          /* 1: the response said Connection: close */
	uint16_t out_len;         /* request bytes in out */
	uint16_t out_off;         /* of them, sent */
	uint32_t heap_pos;        /* open loop: its place in the thread's heap, or LOAD_HEAP_NONE */
	uint32_t gen;             /* bumped at every close: a handler that sees it change
				     knows the connection went away under it */
	uint64_t id;              /* the outstanding request's task id */
	uint64_t intended_ns;     /* when the request was due (open) or sent (closed); in
				     the heap, when it is due */
	uint64_t sent_ns;         /* when the request was sent: the time-out runs from it */
	uint64_t seq;             /* open loop: the requests it has been due so far */
	http_parser parser;       /* its response parser (resp.c) */
	char body[LOAD_BODY_MAX]; /* the response body so far */
	char *out;                /* the request text (active ones only) */
};

/* What one thread counted. */
struct load_counts {
	uint64_t sent;            /* requests sent (ids claimed) */
	uint64_t ok;              /* 200 responses */
	uint64_t ok_in_window;    /* of them, completed before the window's end */
	uint64_t status_errors;   /* non-200 responses */
	uint64_t bad_bodies;      /* 200s whose body was not 16 hex digits and "\n" */
	uint64_t resets;          /* connections lost with a request outstanding */
	uint64_t timeouts;        /* requests unanswered after --timeout-s */
	uint64_t out_of_step;     /* a response with no request outstanding, a parse error */
	uint64_t idle_closed;     /* idle connections the server closed */
	uint64_t reconnects;      /* connections opened again after a close */
	uint64_t unsent;          /* open loop: requests due in the window, never sent */
	uint64_t checksum;        /* wrapping sum of wl_fold(id, result) over the 200s */
};

/* One load thread: its connections, its loop, its histogram. */
struct load_thread {
	struct load_run *run;     /* the run it belongs to */
	unsigned index;           /* 0 .. threads-1 */
	pthread_t tid;            /* the thread */
	int ep;                   /* its epoll instance */
	struct load_conn *conns;  /* its connections, the active ones first */
	uint32_t n;               /* how many */
	uint32_t n_active;        /* of them, active */
	uint32_t connecting;      /* connects in progress */
	uint32_t next_connect;    /* next connection to open at start */
	uint32_t open;            /* connections established */
	uint32_t outstanding;     /* requests in flight */
	double period_ns;         /* open loop: ns between this thread's due times */
	uint64_t phase_ns;        /* open loop: this thread's offset in the schedule */
	struct load_conn **heap;  /* open loop: ready connections by due time */
	uint32_t heap_len;        /* entries in heap */
	uint64_t last_sweep_ns;   /* last look for timed-out requests */
	uint64_t last_done_ns;    /* its last completion */
	double cpu_s;             /* its CPU over the window */
	struct load_counts c;     /* its counts */
	struct hist lat;          /* latencies of its 200s, from their intended times */
	char reason[LOAD_REASON_MAX]; /* why it failed, "" if it did not */
};

/* The run: the options, the threads, what they share. */
struct load_run {
	struct load_cfg cfg;      /* the options */
	struct load_thread *threads; /* cfg.threads of them */
	pthread_barrier_t connected; /* every thread has its connections open */
	pthread_barrier_t go;     /* t0 is set */
	atomic_uint_fast64_t next_id; /* the next request id to claim */
	uint64_t id_end;          /* ids below this may be claimed (--requests); else LOAD_MAX_ID+1 */
	atomic_int failed;        /* 1: a thread failed, the others stop */
	uint64_t t0_ns;           /* the window's start (all connected) */
	uint64_t t_end_ns;        /* the window's end for --duration; 0 for --requests */
	char run_key[64];         /* this run's key: its stats and histogram lines */
};

/* load_thread_main - one load thread (loop.c): connect its connections,
 * wait for the others, send and read until the window ends and its
 * requests are answered or timed out.  arg is its struct load_thread. */
void *load_thread_main(void *arg);

/* load_conn_open - start a non-blocking connect of c (conn.c).  0, or -1
 * with the reason in the thread's reason (EMFILE, EADDRNOTAVAIL, ...). */
int load_conn_open(struct load_conn *c);
/* load_conn_event - c's socket reported events ev (conn.c). */
void load_conn_event(struct load_conn *c, uint32_t ev);
/* load_conn_send - claim the next id and send its request on the ready c,
 * due at intended_ns (conn.c).  0 sent or sending; 1 no id left (c is done). */
int load_conn_send(struct load_conn *c, uint64_t intended_ns);
/* load_conn_close - close c's socket; lost says whether a request was lost
 * with it (counted as a reset) (conn.c). */
void load_conn_close(struct load_conn *c, int lost);
/* load_conn_timeout - c's request went unanswered past --timeout-s: count
 * it, close c, and open it again while the run goes on (conn.c). */
void load_conn_timeout(struct load_conn *c);

/* load_ready - c may send its next request (loop.c): at once in a closed
 * loop, at its due time in an open one. */
void load_ready(struct load_conn *c, uint64_t now);
/* load_window_over - no new request may start (the window ended, a
 * failure, or no ids left) (loop.c). */
int load_window_over(const struct load_thread *t, uint64_t now);
/* load_fail - record the thread's first failure (printf-style) and stop the run. */
void load_fail(struct load_thread *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* load_resp_init - set up c's response parser (resp.c). */
void load_resp_init(struct load_conn *c);
/* load_resp_feed - parse n bytes read from c's socket; n == 0 is its EOF.
 * Complete responses go to load_conn_response.  0, or -1 on a parse error
 * (counted; the caller closes c). */
int load_resp_feed(struct load_conn *c, const char *buf, size_t n);
/* load_conn_response - a whole response arrived on c: status, body, and
 * whether the server keeps the connection (conn.c). */
void load_conn_response(struct load_conn *c, unsigned status, int keep_alive);

/* load_output - after the threads end (out.c): the stats line (--json,
 * --stats-out), the histogram line (--hist-out), the .hgrm (--hgrm-out) and
 * the summary on stderr.  Returns the exit status: 0, or 3 with one line on
 * stderr (a lost result, nothing answered, too many errors). */
int load_output(struct load_run *r, uint64_t t_stop_ns);

#endif
