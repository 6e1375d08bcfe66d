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
#define LOAD_REQ_MAX 512               /* one request's text at most (path and host bounded) */
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
#define LOAD_MAX_PHASES 64             /* --phases items at most */
#define LOAD_MAX_EACH 1000             /* --phases each=N at most */
#define LOAD_WINDOW_TURNS 1            /* a closed window spans at least this many ramps
					  (each about one turnover of every connection) */

/* One phase: a window of load on the connections already open.  The
 * single-phase options (--closed/--rate, --duration/--requests) make one. */
struct load_phase {
	double rate;              /* requests/s over the active connections; 0: closed loop */
	uint64_t duration_ns;     /* its window; 0: requests decides */
	uint64_t requests;        /* ids it sends; 0: duration decides */
	uint64_t each;            /* every connection, idle ones too, sends this many (closed
				     loop), then the phase ends; 0: not such a phase */
	uint64_t active;          /* connections sending in it (@A); 0: the run's --active */
};

/* What the command line asked for. */
struct load_cfg {
	char host[256];             /* --target host part, for Host: and messages */
	struct sockaddr_in addr;    /* --target resolved */
	const char *path;           /* --path: /WORKLOAD */
	uint64_t connections;       /* --connections: opened and held */
	uint64_t run_active;        /* of them, those that send (--active, --active-share) */
	uint64_t active;            /* ... in the phase in hand (its @A, else run_active) */
	double rate;                /* the phase in hand's rate: requests/s; 0: closed */
	uint64_t duration_ns;       /* the phase in hand's window in ns; 0: requests decides */
	uint64_t requests;          /* the phase in hand's ids to send; 0: duration decides */
	uint64_t each;              /* the phase in hand's requests per connection, idle too */
	struct load_phase phases[LOAD_MAX_PHASES]; /* --phases, or the one the options make */
	unsigned nphases;           /* how many */
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
	uint32_t left;            /* an each=N phase: requests it has still to send */
	uint8_t warmed;           /* a closed phase: it had its first answer (the ramp) */
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
	char *out;                /* what a short write left of the request (malloc'd), or NULL:
				     an idle connection holds no buffer */
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
	uint32_t n_sending;       /* those sending in the phase in hand: n_active, or n in an
				     each=N phase */
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
	pthread_barrier_t go;     /* a phase's t0 is set */
	pthread_barrier_t done;   /* every thread has ended the phase */
	unsigned phase;           /* the phase in hand */
	uint64_t phase_ids_from;  /* its first id */
	atomic_uint_fast64_t next_id; /* the next request id to claim */
	uint64_t id_end;          /* ids below this may be claimed (--requests); else LOAD_MAX_ID+1 */
	atomic_int failed;        /* 1: a thread failed, the others stop */
	uint64_t t0_ns;           /* the phase's start (all connected) */
	uint64_t t_win_ns;        /* its window's start: t0, or in a closed phase of a duration
				     once every active connection had its first answer (the
				     ramp left out); 0 until then.  Atomic loads and stores */
	uint64_t t_end_ns;        /* the window's end for a duration; 0 for requests/each, or
				     until the window starts.  Atomic loads and stores */
	uint64_t warm_need;       /* active connections still to have their first answer */
	uint64_t warm_count;      /* of them, those that had it (atomic) */
	char run_key[64];         /* this run's key: its stats and histogram lines */
};

/* load_thread_main - one load thread (loop.c): connect its connections,
 * wait for the others, then for each phase send and read until its window
 * ends and its requests are answered or timed out (barriers go and done
 * around each).  arg is its struct load_thread. */
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
/* load_window_start - a closed phase's ramp is over (every active connection
 * answered once, or --timeout-s passed): its window starts now and lasts
 * the phase's duration, or LOAD_WINDOW_TURNS ramps if longer (loop.c). */
void load_window_start(struct load_run *r, uint64_t now);
/* load_end_ns / load_win_ns - the phase's window end and start (0: not yet
 * known), read atomically: another thread may start the window. */
uint64_t load_end_ns(const struct load_run *r);
uint64_t load_win_ns(const struct load_run *r);
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

/* load_phase_begin - between phases, the threads waiting (loop.c): the
 * run's phase k in cfg, every thread's counts and histogram emptied, the
 * active connections ready, t0 now. */
void load_phase_begin(struct load_run *r, unsigned k);

/* load_output - after a phase (out.c): the stats line (--json,
 * --stats-out), the histogram line (--hist-out), the .hgrm (--hgrm-out) and
 * the summary on stderr.  Returns the exit status: 0, or 3 with one line on
 * stderr (a lost result, nothing answered, too many errors). */
int load_output(struct load_run *r, uint64_t t_stop_ns);

#endif
