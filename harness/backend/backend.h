/*
 * backend.h - what the parts of bin/backend share: its tunables, a
 * connection, the per-process counts and the backend itself.
 *   conn.c   one connection: read, parse, wait out the delay, reply, close
 *   serve.c  one serving process: accept, the limits, the idle sweep, the loop
 *   main.c   the options, the --procs supervisor and the summary
 */
#ifndef BACKEND_H
#define BACKEND_H

#include <stdatomic.h>
#include <stdint.h>
#include <netinet/in.h>
#include <sys/resource.h>

#include <event2/event.h>
#include <event2/listener.h>

#include "../../workloads/wire.h"

#define DEFAULT_BACKLOG 4096       /* listen(2) backlog; the kernel caps it at somaxconn */
#define DEFAULT_MAX_CONNS 60000    /* refuse (pause accept) above this many open */
#define REARM_MS 50                /* accept pause after EMFILE */
#define COMMON_TIMEOUTS 16         /* distinct delays that get an O(1) queue */
#define MAX_PROCS 64               /* --procs: serving processes at most */
#define IN_BUF (WIRE_HDR_LEN + WIRE_MAX_PAYLOAD) /* a whole request always fits */
#define DEFAULT_IDLE_TIMEOUT_S 300 /* close a connection silent this long (no reply due) */
#define IDLE_SWEEPS 4              /* look for idle connections 4 times per timeout */

struct backend;

/* One client connection. */
struct conn {
	struct backend *b;       /* owner */
	struct conn *prev, *next; /* b->conns, the open connections */
	evutil_socket_t fd;      /* the socket */
	struct event *rd;        /* readable (persistent while in[] has room) */
	struct event *wr;        /* writable, only after a short write; lazily made */
	struct event *timer;     /* the pending reply's delay; lazily made */
	struct event *hup;       /* EV_CLOSED while in[] is full (not reading); lazily made */
	int reading;             /* 1: rd is added (0 while in[] is full: back-pressure) */
	uint64_t active_ms;      /* coarse monotonic ms of the last byte in or out */
	int pending;             /* 1: a reply is waiting for its timer or the socket */
	size_t have;             /* bytes in in[] */
	size_t out_len, out_off; /* reply bytes in out[] and how many are sent */
	unsigned char out[WIRE_REP_LEN]; /* the reply being sent */
	unsigned char in[IN_BUF];        /* received, not yet parsed */
};

/* A delay and its common-timeout handle. */
struct common_tv {
	uint32_t delay_us;         /* the delay */
	const struct timeval *tv;  /* libevent's magic timeval for its queue */
};

/* What one serving process did: the summary line sums these. */
struct backend_counts {
	uint64_t accepted;         /* connections accepted */
	uint64_t requests;         /* requests answered */
	uint64_t malformed;        /* connections closed for a malformed request */
	uint64_t oversized;        /* ... for an oversized one */
	uint64_t accept_errors;    /* accept() failures (EMFILE, ENFILE, ...) */
	uint64_t limit_pauses;     /* times accept paused at max_conns */
	uint64_t resets;           /* connections that ended with an error */
	uint64_t hangups;          /* peers gone with a reply pending (closed at once) */
	uint64_t idle_closed;      /* connections closed after --idle-timeout-s */
};

/* Shared by the serving processes (MAP_SHARED with --procs > 1, else a
 * plain struct).  The atomics are touched once per accept and close, never
 * per request. */
struct backend_shared {
	atomic_ullong open;        /* connections open now, in all processes */
	atomic_ullong peak;        /* most open at once, in all processes */
	struct backend_counts procs[MAX_PROCS]; /* each one's counts, at its exit */
};

struct backend {
	struct event_base *base;
	struct evconnlistener *lev;
	struct event *rearm;       /* re-enables accept after EMFILE */
	struct event *idle;        /* the periodic look for idle connections, or NULL */
	uint64_t idle_timeout_s;   /* --idle-timeout-s, 0: never */
	int quiet;                 /* --quiet: no summary on exit */
	uint64_t max_conns;        /* pause accept at this many open (per process) */
	uint64_t open;             /* connections open now in this process */
	struct backend_counts n;   /* this process's counts */
	struct backend_shared *sh; /* the counts across processes */
	unsigned index;            /* this process's slot in sh->procs */
	rlim_t nofile;             /* RLIMIT_NOFILE in force, for messages */
	int paused;                /* 1: listener disabled */
	struct conn *conns;        /* open connections, closed at exit */
	struct common_tv common[COMMON_TIMEOUTS];
	unsigned ncommon;
};

/* backend_serve - serve lfd on b until SIGINT or SIGTERM (serve.c).
 * Returns 0, or 3 when the loop could not be set up (said on stderr). */
int backend_serve(struct backend *b, evutil_socket_t lfd);
/* backend_listen_socket - a non-blocking TCP socket listening on sin, or -1. */
evutil_socket_t backend_listen_socket(const struct sockaddr_in *sin, int backlog);
/* backend_now_ms - a coarse monotonic clock, ms (a vDSO read). */
uint64_t backend_now_ms(void);
/* conn_close - close c: its socket, its events, its place in b->conns. */
void conn_close(struct conn *c);
/* conn_read_cb - c's socket is readable (or, for c->wr, writable again). */
void conn_read_cb(evutil_socket_t fd, short what, void *arg);

#endif
