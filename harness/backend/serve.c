/*
 * serve.c - one serving process of bin/backend: the listening socket,
 * accept and its limits (EMFILE, --max-conns: pause and re-arm), the idle
 * sweep, and the loop until SIGINT or SIGTERM.
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

#include "../../workloads/wire.h"
#include "../runtime/backend_proc.h"
#include "../runtime/cli.h"
#include "../runtime/evbase.h"
#include "../runtime/util.h"
#include "backend.h"

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
	c->active_ms = backend_now_ms();
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
	uint64_t now = backend_now_ms(), limit = b->idle_timeout_s * 1000;
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
			e == EMFILE && b->nofile < UTIL_NOFILE_WANTED
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

/* backend_listen_socket - a non-blocking, close-on-exec TCP socket listening on sin
 * (SO_REUSEADDR, SO_KEEPALIVE: what evconnlistener_new_bind would set).
 * Returns the fd, or -1 with errno set. */
evutil_socket_t backend_listen_socket(const struct sockaddr_in *sin, int backlog)
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
int backend_serve(struct backend *b, evutil_socket_t lfd)
{
	struct event *sigint = NULL, *sigterm = NULL;
	int rc = 3;
	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	char why[160];
	if (!(b->base = evbase_new_precise(why, sizeof(why)))) { /* us, not ms, timers */
		fprintf(stderr, "backend: %s\n", why);
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
