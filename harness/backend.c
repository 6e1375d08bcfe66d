/*
 * backend.c - bin/backend: the remote service an I/O task waits on.
 *
 * It stands in for a database or a downstream call: each request asks for a
 * delay, and the reply comes after that delay, carrying a digest of the
 * request so the client can verify it.  One libevent loop, one process, raw
 * non-blocking sockets (no bufferevent: at delay 0 the backend must answer
 * faster than either model can ask).  A timer per connection, never a sleep;
 * identical delays share a libevent common-timeout queue (O(1) per timer
 * instead of a heap insertion), so 20,000 pending replies cost little.
 *
 * Robustness: a malformed or oversized request closes that connection and is
 * counted; when accept() runs out of descriptors (EMFILE) or --max-conns is
 * reached the listener is disabled and re-armed later, while the open
 * connections keep being served.  SIGINT/SIGTERM stop it cleanly.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
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
#define IN_BUF (WIRE_HDR_LEN + WIRE_MAX_PAYLOAD) /* a whole request always fits */

struct backend;

/* One client connection. */
struct conn {
	struct backend *b;       /* owner */
	struct conn *prev, *next; /* b->conns, the open connections */
	evutil_socket_t fd;      /* the socket */
	struct event *rd;        /* readable (persistent while no reply is pending) */
	struct event *wr;        /* writable, only after a short write; lazily made */
	struct event *timer;     /* the pending reply's delay; lazily made */
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

struct backend {
	struct event_base *base;
	struct evconnlistener *lev;
	struct event *rearm;       /* re-enables accept after EMFILE */
	int quiet;                 /* --quiet: no summary on exit */
	uint64_t max_conns;        /* pause accept at this many open */
	uint64_t open, peak_open;  /* connections open now, and at most */
	uint64_t accepted;         /* connections accepted */
	uint64_t requests;         /* requests answered */
	uint64_t malformed;        /* connections closed for a malformed request */
	uint64_t oversized;        /* ... for an oversized one */
	uint64_t accept_errors;    /* accept() failures (EMFILE, ENFILE, ...) */
	uint64_t resets;           /* connections that ended with an error */
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
	close(c->fd);
	if (c->prev)
		c->prev->next = c->next;
	else
		b->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	free(c);
	b->open--;
	if (b->paused && b->open < b->max_conns && !event_pending(b->rearm, EV_TIMEOUT, NULL)) {
		evconnlistener_enable(b->lev);
		b->paused = 0;
	}
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
			c->b->resets++;
			conn_close(c);
			return -1;
		}
		c->out_off += (size_t)w;
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
	c->b->requests++;
	event_add(c->rd, NULL);
	conn_process(c);
}

static void conn_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	conn_reply(arg);
}

/* conn_process - answer the complete requests in c->in, one at a time. */
static void conn_process(struct conn *c)
{
	struct backend *b = c->b;
	while (!c->pending && c->have > 0) {
		struct wire_req req;
		int n = wire_parse_req(c->in, c->have, &req);
		if (n == WIRE_NEED_MORE)
			return;
		if (n < 0) {
			if (n == WIRE_OVERSIZED)
				b->oversized++;
			else
				b->malformed++;
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
		/* One reply at a time per connection: stop reading until it is sent. */
		event_del(c->rd);
		if (!c->timer && !(c->timer = evtimer_new(b->base, conn_timer_cb, c))) {
			conn_close(c);
			return;
		}
		struct timeval plain;
		evtimer_add(c->timer, delay_tv(b, req.delay_us, &plain));
	}
}

/* conn_read_cb - readable (or, for c->wr, writable again). */
static void conn_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	if (what & EV_WRITE) {
		if (conn_flush(c) == 1) {
			c->pending = 0;
			c->b->requests++;
			event_add(c->rd, NULL);
			conn_process(c);
		}
		return;
	}
	ssize_t r = recv(fd, c->in + c->have, sizeof(c->in) - c->have, 0);
	if (r == 0) {
		conn_close(c);
		return;
	}
	if (r < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return;
		c->b->resets++;
		conn_close(c);
		return;
	}
	c->have += (size_t)r;
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
		b->accept_errors++;
		return;
	}
	c->b = b;
	c->fd = fd;
	c->wr = NULL;
	c->timer = NULL;
	c->pending = 0;
	c->have = 0;
	c->out_len = c->out_off = 0;
	c->rd = event_new(b->base, fd, EV_READ | EV_PERSIST, conn_read_cb, c);
	if (!c->rd) {
		free(c);
		close(fd);
		b->accept_errors++;
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
	b->accepted++;
	if (++b->open > b->peak_open)
		b->peak_open = b->open;
	if (b->open >= b->max_conns) {
		evconnlistener_disable(b->lev);
		b->paused = 1;
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

/* accept_error_cb - EMFILE and friends: libevent would call us again at once
 * (the pending connection is still there), so pause accepting for a moment. */
static void accept_error_cb(struct evconnlistener *lev, void *arg)
{
	struct backend *b = arg;
	int e = EVUTIL_SOCKET_ERROR();
	b->accept_errors++;
	if (b->accept_errors == 1 && !b->quiet)
		fprintf(stderr, "backend: accept: %s at %llu open connections; pausing accept\n",
			strerror(e), (unsigned long long)b->open);
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

static void raise_nofile(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return;
	struct rlimit want = rl;
	if (want.rlim_max < NOFILE_WANTED)
		want.rlim_max = NOFILE_WANTED; /* allowed as root (CAP_SYS_RESOURCE) */
	want.rlim_cur = want.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &want) != 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static void usage_fail(const char *msg)
{
	fprintf(stderr, "backend: %s\n", msg);
	exit(2);
}

static const char usage[] =
	"usage: backend [--bind ADDR] [--port P] [--backlog N] [--max-conns N] [--quiet]\n"
	"Answers wire-format requests after the delay each asks for.\n"
	"  --bind ADDR      IPv4 address to listen on (default 127.0.0.1)\n"
	"  --port P         TCP port, 0 picks a free one (default 0)\n"
	"  --backlog N      listen backlog (default 4096, capped by net.core.somaxconn)\n"
	"  --max-conns N    pause accepting at N open connections (default 60000)\n"
	"  --quiet          no summary on exit\n"
	"Prints \"" BACKEND_READY_PREFIX "ADDR:PORT\" on stdout when listening.\n";

int main(int argc, char **argv)
{
	const char *bind_addr = "127.0.0.1";
	uint64_t port = 0, backlog = DEFAULT_BACKLOG;
	struct backend b = { .max_conns = DEFAULT_MAX_CONNS };
	char err[256];

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--quiet") == 0) {
			b.quiet = 1;
			continue;
		}
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			fputs(usage, stdout);
			return 0;
		}
		int known = strcmp(a, "--bind") == 0 || strcmp(a, "--port") == 0 ||
			    strcmp(a, "--backlog") == 0 || strcmp(a, "--max-conns") == 0;
		if (!known) {
			snprintf(err, sizeof(err), "unknown option '%s' (try --help)", a);
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
		else
			rc = cli_parse_u64(v, 1, 10000000, "--max-conns", &b.max_conns, err,
					   sizeof(err));
		if (rc != 0)
			usage_fail(err);
	}
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	if (inet_pton(AF_INET, bind_addr, &sin.sin_addr) != 1) {
		snprintf(err, sizeof(err), "--bind: '%s' is not an IPv4 address", bind_addr);
		usage_fail(err);
	}

	signal(SIGPIPE, SIG_IGN);
	raise_nofile();

	struct event_config *ec = event_config_new();
	if (!ec) {
		fprintf(stderr, "backend: event_config_new failed\n");
		return 3;
	}
	event_config_set_flag(ec, EVENT_BASE_FLAG_PRECISE_TIMER); /* us, not ms, timers */
	b.base = event_base_new_with_config(ec);
	event_config_free(ec);
	if (!b.base) {
		fprintf(stderr, "backend: event_base_new failed\n");
		return 3;
	}
	b.lev = evconnlistener_new_bind(b.base, accept_cb, &b,
					LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC,
					(int)backlog, (struct sockaddr *)&sin, sizeof(sin));
	if (!b.lev) {
		fprintf(stderr, "backend: listen on %s:%llu: %s\n", bind_addr,
			(unsigned long long)port, strerror(errno));
		event_base_free(b.base);
		return 3;
	}
	evconnlistener_set_error_cb(b.lev, accept_error_cb);
	b.rearm = evtimer_new(b.base, rearm_cb, &b);
	struct event *sigint = evsignal_new(b.base, SIGINT, signal_cb, b.base);
	struct event *sigterm = evsignal_new(b.base, SIGTERM, signal_cb, b.base);
	if (!b.rearm || !sigint || !sigterm) {
		fprintf(stderr, "backend: event_new failed\n");
		return 3;
	}
	event_add(sigint, NULL);
	event_add(sigterm, NULL);

	struct sockaddr_in bound;
	socklen_t blen = sizeof(bound);
	getsockname(evconnlistener_get_fd(b.lev), (struct sockaddr *)&bound, &blen);
	printf("%s%s:%u\n", BACKEND_READY_PREFIX, bind_addr, (unsigned)ntohs(bound.sin_port));
	fflush(stdout);

	event_base_dispatch(b.base);

	if (!b.quiet)
		fprintf(stderr,
			"backend: %llu requests on %llu connections (peak %llu open), "
			"%llu malformed, %llu oversized, %llu resets, %llu accept errors\n",
			(unsigned long long)b.requests, (unsigned long long)b.accepted,
			(unsigned long long)b.peak_open, (unsigned long long)b.malformed,
			(unsigned long long)b.oversized, (unsigned long long)b.resets,
			(unsigned long long)b.accept_errors);
	/* Everything is freed, connections still open too, so that valgrind and
	 * LeakSanitizer see a clean shutdown. */
	while (b.conns)
		conn_close(b.conns);
	event_free(sigint);
	event_free(sigterm);
	event_free(b.rearm);
	evconnlistener_free(b.lev);
	event_base_free(b.base);
	libevent_global_shutdown();
	return 0;
}
