/*
 * backend.c - bin/backend: the remote service an I/O task waits on.
 *
 * It stands in for a database or a downstream call: each request asks for a
 * delay, and the reply comes after that delay, carrying a digest of the
 * request so the client can verify it.  One libevent loop per process, raw
 * non-blocking sockets (no bufferevent: at delay 0 the backend must answer
 * faster than either model can ask).  A timer per connection, never a sleep;
 * identical delays share a libevent common-timeout queue (O(1) per timer
 * instead of a heap insertion), so 20,000 pending replies cost little.
 *
 * One process by default.  Every connection costs a descriptor, and where
 * RLIMIT_NOFILE cannot be raised (no CAP_SYS_RESOURCE: a container's hard
 * limit of 20,000) one process cannot hold 20,000 connections; --procs N
 * forks N serving processes that accept from the one listening socket, each
 * with its own loop and descriptor table.  Their counts are summed at exit,
 * and the peak of open connections is counted across them all at once.
 *
 * Robustness: a malformed or oversized request closes that connection and is
 * counted.  What one peer can hold is bounded: one reply pending per
 * connection and IN_BUF bytes of requests read ahead; when that buffer is
 * full the backend stops reading the connection (TCP back-pressure, never a
 * recv of length 0) until a reply makes room.  A connection stays watched
 * while its reply is pending, so a peer that hangs up is closed at once (its
 * timer cancelled), and one silent for --idle-timeout-s with no reply due
 * is closed too; when accept() runs out of descriptors (EMFILE) or --max-conns is
 * reached the listener is disabled (said once on stderr, counted in the
 * summary) and re-armed later, while the open connections keep being served.
 * SIGINT/SIGTERM stop it cleanly.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/listener.h>

#include "../workloads/wire.h"
#include "backend_proc.h"
#include "cli.h"

#define DEFAULT_BACKLOG 4096       /* listen(2) backlog; the kernel caps it at somaxconn */
#define DEFAULT_MAX_CONNS 60000    /* refuse (pause accept) above this many open */
#define NOFILE_WANTED 65536        /* try to raise RLIMIT_NOFILE this far */
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

static void conn_read_cb(evutil_socket_t fd, short what, void *arg);
static void conn_process(struct conn *c);

static void conn_close(struct conn *c)
{
	struct backend *b = c->b;
	event_free(c->rd);
	if (c->wr)
		event_free(c->wr);
	if (c->timer)
		event_free(c->timer);
	if (c->hup)
		event_free(c->hup);
	close(c->fd);
	if (c->prev)
		c->prev->next = c->next;
	else
		b->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	free(c);
	b->open--;
	atomic_fetch_sub(&b->sh->open, 1);
	if (b->paused && b->open < b->max_conns && !event_pending(b->rearm, EV_TIMEOUT, NULL)) {
		evconnlistener_enable(b->lev);
		b->paused = 0;
	}
}

/* now_ms - a coarse monotonic clock (a few ms of resolution, a vDSO read):
 * enough for an idle timeout of seconds, cheap enough for every read. */
static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void conn_hup_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct conn *c = arg;
	if (c->pending)
		c->b->n.hangups++;
	conn_close(c);
}

/*
 * conn_watch - read while in[] has room; when it is full, stop reading (the
 * peer's sends back up in TCP) but keep watching for its hang-up (EV_CLOSED),
 * so a full buffer never hides a closed peer.  Returns 0, or -1 when c was
 * closed (an event could not be made).
 */
static int conn_watch(struct conn *c)
{
	int want = c->have < sizeof(c->in);
	if (want == c->reading)
		return 0;
	if (want) {
		if (c->hup)
			event_del(c->hup);
		event_add(c->rd, NULL);
	} else {
		event_del(c->rd);
		if (!c->hup)
			c->hup = event_new(c->b->base, c->fd, EV_CLOSED | EV_PERSIST, conn_hup_cb, c);
		if (!c->hup) {
			conn_close(c);
			return -1;
		}
		event_add(c->hup, NULL);
	}
	c->reading = want;
	return 0;
}

/* delay_tv - the timeval to wait delay_us: a common-timeout one when the
 * cache has room, so that equal delays sit in one FIFO queue. */
static const struct timeval *delay_tv(struct backend *b, uint32_t delay_us, struct timeval *plain)
{
	for (unsigned i = 0; i < b->ncommon; i++)
		if (b->common[i].delay_us == delay_us)
			return b->common[i].tv;
	plain->tv_sec = delay_us / 1000000;
	plain->tv_usec = delay_us % 1000000;
	if (b->ncommon < COMMON_TIMEOUTS) {
		const struct timeval *tv = event_base_init_common_timeout(b->base, plain);
		if (tv) {
			b->common[b->ncommon].delay_us = delay_us;
			b->common[b->ncommon++].tv = tv;
			return tv;
		}
	}
	return plain;
}

/* conn_flush - send what is left of the reply.  Returns 1 when all is sent,
 * 0 when the socket is full (a write event is armed), -1 when c was closed. */
static int conn_flush(struct conn *c)
{
	while (c->out_off < c->out_len) {
		ssize_t w = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				event_add(c->wr, NULL);
				return 0;
			}
			c->b->n.resets++;
			conn_close(c);
			return -1;
		}
		c->out_off += (size_t)w;
		c->active_ms = now_ms();
	}
	return 1;
}

/* conn_reply - the pending reply is due: send it and go on with the input. */
static void conn_reply(struct conn *c)
{
	if (!c->wr) {
		c->wr = event_new(c->b->base, c->fd, EV_WRITE, conn_read_cb, c);
		if (!c->wr) {
			conn_close(c);
			return;
		}
	}
	int rc = conn_flush(c);
	if (rc <= 0)
		return;
	c->pending = 0;
	c->b->n.requests++;
	conn_process(c);
}

static void conn_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	conn_reply(arg);
}

/* conn_process - answer the complete requests in c->in, one at a time; then
 * read on while in[] has room (conn_watch). */
static void conn_process(struct conn *c)
{
	struct backend *b = c->b;
	while (!c->pending && c->have > 0) {
		struct wire_req req;
		int n = wire_parse_req(c->in, c->have, &req);
		if (n == WIRE_NEED_MORE)
			break;
		if (n < 0) {
			if (n == WIRE_OVERSIZED)
				b->n.oversized++;
			else
				b->n.malformed++;
			conn_close(c);
			return;
		}
		uint64_t digest = wire_digest(req.id, req.delay_us, req.payload, req.len);
		wire_encode_rep(c->out, req.id, digest);
		c->out_len = WIRE_REP_LEN;
		c->out_off = 0;
		c->have -= (size_t)n;
		memmove(c->in, c->in + n, c->have);
		c->pending = 1;
		if (req.delay_us == 0) {
			conn_reply(c);
			return; /* conn_reply processed the rest, or closed c */
		}
		/* One reply at a time per connection; the socket stays watched, so
		 * a peer that hangs up meanwhile is closed at once (conn_read_cb). */
		if (!c->timer && !(c->timer = evtimer_new(b->base, conn_timer_cb, c))) {
			conn_close(c);
			return;
		}
		struct timeval plain;
		evtimer_add(c->timer, delay_tv(b, req.delay_us, &plain));
	}
	conn_watch(c);
}

/* conn_read_cb - readable (or, for c->wr, writable again). */
static void conn_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	if (what & EV_WRITE) {
		if (conn_flush(c) == 1) {
			c->pending = 0;
			c->b->n.requests++;
			conn_process(c);
		}
		return;
	}
	if (c->have == sizeof(c->in)) { /* full: never recv(..., 0), which reads as EOF */
		conn_watch(c);
		return;
	}
	ssize_t r = recv(fd, c->in + c->have, sizeof(c->in) - c->have, 0);
	if (r == 0) {
		if (c->pending)
			c->b->n.hangups++; /* its timer goes with it: nothing held for the delay */
		conn_close(c);
		return;
	}
	if (r < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return;
		c->b->n.resets++;
		if (c->pending)
			c->b->n.hangups++;
		conn_close(c);
		return;
	}
	c->have += (size_t)r;
	c->active_ms = now_ms();
	conn_process(c);
}

static void accept_cb(struct evconnlistener *lev, evutil_socket_t fd, struct sockaddr *sa,
		      int socklen, void *arg)
{
	(void)lev;
	(void)sa;
	(void)socklen;
	struct backend *b = arg;
	struct conn *c = malloc(sizeof(*c));
	if (!c) {
		close(fd);
		b->n.accept_errors++;
		return;
	}
	c->b = b;
	c->fd = fd;
	c->wr = NULL;
	c->timer = NULL;
	c->hup = NULL;
	c->reading = 1;
	c->active_ms = now_ms();
	c->pending = 0;
	c->have = 0;
	c->out_len = c->out_off = 0;
	c->rd = event_new(b->base, fd, EV_READ | EV_PERSIST, conn_read_cb, c);
	if (!c->rd) {
		free(c);
		close(fd);
		b->n.accept_errors++;
		return;
	}
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	event_add(c->rd, NULL);
	c->prev = NULL;
	c->next = b->conns;
	if (b->conns)
		b->conns->prev = c;
	b->conns = c;
	b->n.accepted++;
	b->open++;
	unsigned long long now = atomic_fetch_add(&b->sh->open, 1) + 1;
	unsigned long long peak = atomic_load(&b->sh->peak);
	while (now > peak && !atomic_compare_exchange_weak(&b->sh->peak, &peak, now))
		;
	if (b->open >= b->max_conns) {
		evconnlistener_disable(b->lev);
		b->paused = 1;
		if (b->n.limit_pauses++ == 0 && !b->quiet)
			fprintf(stderr,
				"backend: --max-conns %llu reached: pausing accept until a "
				"connection closes (open ones are still served)\n",
				(unsigned long long)b->max_conns);
	}
}

static void rearm_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct backend *b = arg;
	if (b->open < b->max_conns) {
		evconnlistener_enable(b->lev);
		b->paused = 0;
	}
}

/* idle_cb - every idle_timeout / IDLE_SWEEPS: close the connections silent
 * (no byte in or out) for --idle-timeout-s, unless a reply's delay is running:
 * a peer waiting for its answer is not idle.  Cost: one pass over the open
 * connections, a few times per timeout. */
static void idle_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct backend *b = arg;
	uint64_t now = now_ms(), limit = b->idle_timeout_s * 1000;
	struct conn *next;
	for (struct conn *c = b->conns; c; c = next) {
		next = c->next;
		if (now - c->active_ms >= limit &&
		    !(c->timer && evtimer_pending(c->timer, NULL))) {
			b->n.idle_closed++;
			conn_close(c);
		}
	}
}

/* accept_error_cb - EMFILE and friends: libevent would call us again at once
 * (the pending connection is still there), so pause accepting for a moment. */
static void accept_error_cb(struct evconnlistener *lev, void *arg)
{
	struct backend *b = arg;
	int e = EVUTIL_SOCKET_ERROR();
	b->n.accept_errors++;
	if (b->n.accept_errors == 1 && !b->quiet)
		fprintf(stderr,
			"backend: accept: %s at %llu open connections (descriptor limit %llu per "
			"process%s); pausing accept (open ones are still served)\n",
			strerror(e), (unsigned long long)b->open, (unsigned long long)b->nofile,
			e == EMFILE && b->nofile < NOFILE_WANTED
				? ": raising it needs CAP_SYS_RESOURCE; --procs N holds more"
				: "");
	evconnlistener_disable(lev);
	b->paused = 1;
	struct timeval tv = { 0, REARM_MS * 1000 };
	event_add(b->rearm, &tv);
}

static void signal_cb(evutil_socket_t sig, short what, void *arg)
{
	(void)sig;
	(void)what;
	event_base_loopexit(arg, NULL);
}

/* raise_nofile - lift RLIMIT_NOFILE to NOFILE_WANTED (root with
 * CAP_SYS_RESOURCE), else the soft limit to the hard one.  Returns the soft
 * limit in force, 0 if unknown. */
static rlim_t raise_nofile(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return 0;
	struct rlimit want = rl;
	if (want.rlim_max < NOFILE_WANTED)
		want.rlim_max = NOFILE_WANTED; /* allowed as root (CAP_SYS_RESOURCE) */
	want.rlim_cur = want.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &want) == 0)
		return want.rlim_cur;
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	return getrlimit(RLIMIT_NOFILE, &rl) == 0 ? rl.rlim_cur : 0;
}

/* usage_fail - one line on stderr, exit 2.  Control characters (a newline in
 * a quoted argument) become '?', so it stays one line. */
static void usage_fail(const char *msg)
{
	fputs("backend: ", stderr);
	for (const char *p = msg; *p; p++)
		fputc((unsigned char)*p < 0x20 || *p == 0x7f ? '?' : *p, stderr);
	fputc('\n', stderr);
	exit(2);
}

/* listen_socket - a non-blocking, close-on-exec TCP socket listening on sin
 * (SO_REUSEADDR, SO_KEEPALIVE: what evconnlistener_new_bind would set).
 * Returns the fd, or -1 with errno set. */
static evutil_socket_t listen_socket(const struct sockaddr_in *sin, int backlog)
{
	evutil_socket_t fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	if (evutil_make_listen_socket_reuseable(fd) != 0 ||
	    bind(fd, (const struct sockaddr *)sin, sizeof(*sin)) != 0 || listen(fd, backlog) != 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/*
 * backend_serve - one serving process: a loop on the listening socket lfd
 * until SIGINT or SIGTERM, then every connection closed and everything
 * freed (valgrind and LeakSanitizer see a clean shutdown); its counts go to
 * b->sh->procs[b->index].  SIGINT/SIGTERM must be blocked on entry: they are
 * unblocked once the loop's signal events are in place, so none is lost.
 * Returns 0, or 3 when the loop could not be set up (said on stderr).
 */
static int backend_serve(struct backend *b, evutil_socket_t lfd)
{
	struct event *sigint = NULL, *sigterm = NULL;
	int rc = 3;
	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	struct event_config *ec = event_config_new();
	if (ec) {
		event_config_set_flag(ec, EVENT_BASE_FLAG_PRECISE_TIMER); /* us, not ms, timers */
		b->base = event_base_new_with_config(ec);
		event_config_free(ec);
	}
	if (!b->base) {
		fprintf(stderr, "backend: event_base_new failed\n");
		close(lfd);
		return 3;
	}
	/* Backlog 0: lfd is listening already. */
	b->lev = evconnlistener_new(b->base, accept_cb, b,
				    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 0, lfd);
	if (!b->lev) {
		fprintf(stderr, "backend: evconnlistener_new failed\n");
		close(lfd);
		goto err;
	}
	evconnlistener_set_error_cb(b->lev, accept_error_cb);
	b->rearm = evtimer_new(b->base, rearm_cb, b);
	if (b->idle_timeout_s) {
		uint64_t ms = b->idle_timeout_s * 1000 / IDLE_SWEEPS;
		struct timeval every = { (time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000 };
		b->idle = event_new(b->base, -1, EV_PERSIST, idle_cb, b);
		if (!b->idle || event_add(b->idle, &every) != 0) {
			fprintf(stderr, "backend: event_new (idle timer) failed\n");
			goto err;
		}
	}
	sigint = evsignal_new(b->base, SIGINT, signal_cb, b->base);
	sigterm = evsignal_new(b->base, SIGTERM, signal_cb, b->base);
	if (!b->rearm || !sigint || !sigterm || event_add(sigint, NULL) != 0 ||
	    event_add(sigterm, NULL) != 0) {
		fprintf(stderr, "backend: event_new failed\n");
		goto err;
	}
	sigprocmask(SIG_UNBLOCK, &stop, NULL);

	event_base_dispatch(b->base);
	rc = 0;

err:
	/* Told to stop: a second SIGTERM (timeout(1) sends one to the process
	 * and one to its group) must not kill the clean-up once the signal
	 * events are gone and the default action is back.  Blocked until exit. */
	sigprocmask(SIG_BLOCK, &stop, NULL);
	while (b->conns)
		conn_close(b->conns);
	b->sh->procs[b->index] = b->n;
	if (sigint)
		event_free(sigint);
	if (sigterm)
		event_free(sigterm);
	if (b->rearm)
		event_free(b->rearm);
	if (b->idle)
		event_free(b->idle);
	if (b->lev)
		evconnlistener_free(b->lev);
	event_base_free(b->base);
	libevent_global_shutdown();
	return rc;
}

static volatile sig_atomic_t stop_signal; /* --procs > 1: the parent was told to stop */

static void parent_signal_cb(int sig)
{
	if (sig != SIGCHLD)
		stop_signal = sig;
}

/*
 * supervise - the parent of --procs N serving processes: pass SIGINT/SIGTERM
 * on to them as SIGTERM, and reap them.  One that ends on its own (a crash,
 * a failed set-up) stops the others.  SIGINT, SIGTERM and SIGCHLD must be
 * blocked on entry, with parent_signal_cb as their handler: it sleeps in
 * sigsuspend(wait_mask), so no signal slips between a check and the sleep.
 * Returns 0 when every one was stopped and exited 0, else 3.
 */
static int supervise(pid_t *kids, unsigned n, const sigset_t *wait_mask)
{
	unsigned alive = n;
	int stopping = 0, rc = 0;
	while (alive > 0) {
		if (stop_signal && !stopping) {
			stopping = 1;
			for (unsigned i = 0; i < n; i++)
				if (kids[i] > 0)
					kill(kids[i], SIGTERM);
		}
		int st;
		pid_t p = waitpid(-1, &st, WNOHANG);
		if (p < 0 && errno != EINTR)
			break; /* ECHILD: nobody left */
		if (p <= 0) {
			sigsuspend(wait_mask); /* until a signal: a child ended, or stop */
			continue;
		}
		alive--;
		for (unsigned i = 0; i < n; i++)
			if (kids[i] == p)
				kids[i] = 0; /* reaped: its pid may be reused */
		int clean = WIFEXITED(st) && WEXITSTATUS(st) == 0;
		if (!clean || !stopping) {
			rc = 3;
			if (WIFSIGNALED(st))
				fprintf(stderr, "backend: serving process %d killed by signal %d\n",
					(int)p, WTERMSIG(st));
			else if (!stopping)
				fprintf(stderr, "backend: serving process %d exited (%d) on its own\n",
					(int)p, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
			stop_signal = SIGTERM; /* stop the others */
		}
	}
	return rc;
}

/* The options that take a value; each may be given once. */
static const char *const value_opts[] = { "--bind", "--port", "--backlog", "--max-conns",
					  "--procs", "--idle-timeout-s" };
#define N_VALUE_OPTS (sizeof(value_opts) / sizeof(value_opts[0]))

static const char usage[] =
	"usage: backend [--bind ADDR] [--port P] [--backlog N] [--max-conns N] [--procs N]\n"
	"               [--idle-timeout-s S] [--quiet]\n"
	"Answers wire-format requests after the delay each asks for.\n"
	"  --bind ADDR      IPv4 address to listen on (default 127.0.0.1)\n"
	"  --port P         TCP port, 0 picks a free one (default 0)\n"
	"  --backlog N      listen backlog (default 4096, capped by net.core.somaxconn)\n"
	"  --max-conns N    pause accepting at N open connections, per process\n"
	"                   (default 60000)\n"
	"  --procs N        N serving processes on the one port, each with its own\n"
	"                   descriptor limit: more connections than one process may\n"
	"                   open (default 1, at most 64)\n"
	"  --idle-timeout-s S  close a connection silent for S seconds with no reply\n"
	"                   due; 0: never (default 300)\n"
	"  --quiet          no summary on exit\n"
	"A peer holds at most one pending reply and 4 KiB of requests read ahead;\n"
	"past that the backend stops reading it.  A peer that hangs up is closed at\n"
	"once, its pending reply dropped.\n"
	"Prints \"" BACKEND_READY_PREFIX "ADDR:PORT\" on stdout when listening.\n";

int main(int argc, char **argv)
{
	const char *bind_addr = "127.0.0.1";
	uint64_t port = 0, backlog = DEFAULT_BACKLOG, procs = 1;
	struct backend b = { .max_conns = DEFAULT_MAX_CONNS, .idle_timeout_s = DEFAULT_IDLE_TIMEOUT_S };
	char err[256];
	int seen[N_VALUE_OPTS] = { 0 }; /* a value option given twice is a typo */
	int seen_quiet = 0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--quiet") == 0) {
			if (seen_quiet++)
				usage_fail("--quiet given twice");
			b.quiet = 1;
			continue;
		}
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			fputs(usage, stdout);
			return 0;
		}
		size_t o = 0;
		while (o < N_VALUE_OPTS && strcmp(a, value_opts[o]) != 0)
			o++;
		if (o == N_VALUE_OPTS) {
			snprintf(err, sizeof(err), "unknown option '%.200s' (try --help)", a);
			usage_fail(err);
		}
		if (seen[o]++) {
			snprintf(err, sizeof(err), "%s given twice", a);
			usage_fail(err);
		}
		if (i + 1 >= argc) {
			snprintf(err, sizeof(err), "%s needs a value", a);
			usage_fail(err);
		}
		const char *v = argv[++i];
		int rc = 0;
		if (strcmp(a, "--bind") == 0)
			bind_addr = v;
		else if (strcmp(a, "--port") == 0)
			rc = cli_parse_u64(v, 0, 65535, "--port", &port, err, sizeof(err));
		else if (strcmp(a, "--backlog") == 0)
			rc = cli_parse_u64(v, 1, 65535, "--backlog", &backlog, err, sizeof(err));
		else if (strcmp(a, "--procs") == 0)
			rc = cli_parse_u64(v, 1, MAX_PROCS, "--procs", &procs, err, sizeof(err));
		else if (strcmp(a, "--idle-timeout-s") == 0)
			rc = cli_parse_u64(v, 0, 86400, "--idle-timeout-s", &b.idle_timeout_s, err,
					   sizeof(err));
		else
			rc = cli_parse_u64(v, 1, 10000000, "--max-conns", &b.max_conns, err,
					   sizeof(err));
		if (rc != 0)
			usage_fail(err);
	}
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	if (inet_pton(AF_INET, bind_addr, &sin.sin_addr) != 1) {
		snprintf(err, sizeof(err), "--bind: '%.200s' is not an IPv4 address", bind_addr);
		usage_fail(err);
	}

	signal(SIGPIPE, SIG_IGN);
	b.nofile = raise_nofile();

	evutil_socket_t lfd = listen_socket(&sin, (int)backlog);
	if (lfd < 0) {
		fprintf(stderr, "backend: listen on %s:%llu: %s\n", bind_addr,
			(unsigned long long)port, strerror(errno));
		return 3;
	}
	/* Block the stop signals until a loop (or the supervisor) handles them. */
	sigset_t stop, old;
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	sigprocmask(SIG_BLOCK, &stop, &old);

	struct sockaddr_in bound;
	socklen_t blen = sizeof(bound);
	getsockname(lfd, (struct sockaddr *)&bound, &blen);
	printf("%s%s:%u\n", BACKEND_READY_PREFIX, bind_addr, (unsigned)ntohs(bound.sin_port));
	fflush(stdout); /* before any fork: no copy of it in a child's buffer */

	static struct backend_shared one; /* --procs 1: no sharing needed */
	int rc;
	if (procs == 1) {
		b.sh = &one;
		rc = backend_serve(&b, lfd);
	} else {
		b.sh = mmap(NULL, sizeof(*b.sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
			    -1, 0);
		if (b.sh == MAP_FAILED) {
			fprintf(stderr, "backend: mmap: %s\n", strerror(errno));
			return 3;
		}
		struct sigaction sa = { .sa_handler = parent_signal_cb };
		sigemptyset(&sa.sa_mask);
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGCHLD, &sa, NULL);
		sigset_t chld;
		sigemptyset(&chld);
		sigaddset(&chld, SIGCHLD);
		sigprocmask(SIG_BLOCK, &chld, NULL);
		pid_t parent = getpid(), kids[MAX_PROCS] = { 0 };
		unsigned started = 0;
		for (; started < procs; started++) {
			pid_t k = fork();
			if (k < 0) {
				fprintf(stderr, "backend: fork (serving process %u): %s\n", started,
					strerror(errno));
				stop_signal = SIGTERM;
				break;
			}
			if (k == 0) {
				prctl(PR_SET_PDEATHSIG, SIGTERM);
				if (getppid() != parent)
					_exit(3); /* the parent is gone already */
				signal(SIGINT, SIG_DFL); /* still blocked: the loop takes them */
				signal(SIGTERM, SIG_DFL);
				signal(SIGCHLD, SIG_DFL);
				sigprocmask(SIG_UNBLOCK, &chld, NULL);
				b.index = started;
				exit(backend_serve(&b, lfd));
			}
			kids[started] = k;
		}
		close(lfd);
		rc = supervise(kids, started, &old);
		sigprocmask(SIG_SETMASK, &old, NULL);
	}

	if (!b.quiet) {
		struct backend_counts t = { 0 };
		for (unsigned i = 0; i < procs; i++) {
			const struct backend_counts *c = &b.sh->procs[i];
			t.requests += c->requests;
			t.accepted += c->accepted;
			t.malformed += c->malformed;
			t.oversized += c->oversized;
			t.resets += c->resets;
			t.accept_errors += c->accept_errors;
			t.limit_pauses += c->limit_pauses;
			t.hangups += c->hangups;
			t.idle_closed += c->idle_closed;
		}
		fprintf(stderr,
			"backend: %llu requests on %llu connections (peak %llu open), "
			"%llu malformed, %llu oversized, %llu resets, %llu accept errors, "
			"%llu pauses at --max-conns, %llu hung up with a reply pending, "
			"%llu closed idle, %llu process%s\n",
			(unsigned long long)t.requests, (unsigned long long)t.accepted,
			(unsigned long long)atomic_load(&b.sh->peak), (unsigned long long)t.malformed,
			(unsigned long long)t.oversized, (unsigned long long)t.resets,
			(unsigned long long)t.accept_errors, (unsigned long long)t.limit_pauses,
			(unsigned long long)t.hangups, (unsigned long long)t.idle_closed,
			(unsigned long long)procs, procs == 1 ? "" : "es");
	}
	if (procs > 1)
		munmap(b.sh, sizeof(*b.sh));
	return rc;
}
