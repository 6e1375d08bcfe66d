/*
 * redis_ev.c - hiredis's event hooks (redisAsyncContext->ev: addRead,
 * delRead, addWrite, delWrite, cleanup) on libevent, with events that stay
 * armed, so a command costs no epoll_ctl (see redis_ev.h for why).
 *
 * Reads: one persistent level-triggered EV_READ event, added at attach and
 * kept (hiredis 0.14 never calls delRead; it calls addRead after every read
 * and write, which here is a flag test).  Level-triggered, not edge: hiredis
 * reads at most 16 KiB per redisAsyncHandleRead, so after an edge a larger
 * reply could sit unread with no new edge to come; a level-triggered event
 * reports it again on the next turn, and while the connection is idle the
 * socket is silent (an EOF then means the server died: hiredis sees it at
 * once, as with its own adapter).
 *
 * Writes: a queued command is sent from the loop's active queue
 * (event_active: no system call, and never from inside redisAsyncCommand,
 * which hiredis does not expect).  A write that leaves output unsent (hiredis
 * calls addWrite from inside redisAsyncHandleWrite) found the socket full:
 * only then is the write event added to the kernel's set, and removed when
 * hiredis has sent everything (delWrite).  The same goes for a connect still
 * in progress.  It cannot be a second edge-triggered event on the fd:
 * libevent refuses to mix edge- and level-triggered events on one fd.
 */
#include <stdio.h>
#include <stdlib.h>

#include "redis_ev.h"

/* One connection's events. */
struct redis_ev {
	redisAsyncContext *ac; /* the context served */
	struct event *rev;     /* readable: persistent, level-triggered */
	struct event *wev;     /* writable: activated by hand, added only to wait for room */
	int rev_added;         /* 1: rev is in the kernel's set */
	int wev_added;         /* 1: wev is in the kernel's set (waiting for room) */
	int want_write;        /* 1: hiredis has output to send (addWrite .. delWrite) */
	int in_write;          /* 1: inside redisAsyncHandleWrite: addWrite means "not all sent" */
	int in_cb;             /* >0: inside a callback of ours: cleanup defers the free */
	int dead;              /* 1: cleanup ran inside a callback; free at its end */
};

/* must - an event call that cannot fail short of memory; a failure ends the
 * process with one line (a lost event would stall a connection silently). */
static void must(int rc, const char *what)
{
	if (rc != 0) {
		fprintf(stderr, "redis_ev: %s failed (out of memory?)\n", what);
		abort();
	}
}

/* cb_enter / cb_leave - bracket a call into hiredis, which may free the
 * context (and call cleanup) inside it.  cb_leave returns 1 when e is gone. */
static void cb_enter(struct redis_ev *e)
{
	e->in_cb++;
}

static int cb_leave(struct redis_ev *e)
{
	if (--e->in_cb == 0 && e->dead) {
		free(e);
		return 1;
	}
	return e->dead;
}

static void redis_ev_read_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct redis_ev *e = arg;
	cb_enter(e);
	redisAsyncHandleRead(e->ac);
	cb_leave(e);
}

static void redis_ev_write_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct redis_ev *e = arg;
	e->wev_added = 0; /* one-shot: it left the set as it fired, or was never in it */
	cb_enter(e);
	e->in_write = 1;
	redisAsyncHandleWrite(e->ac);
	if (cb_leave(e))
		return;
	e->in_write = 0;
	/* Output left (a full socket), or a connect still in progress (hiredis
	 * then neither sent nor called delWrite): wait for the kernel to say. */
	if (e->want_write && !e->wev_added) {
		must(event_add(e->wev, NULL), "event_add (write)");
		e->wev_added = 1;
	}
}

static void redis_ev_add_read(void *priv)
{
	struct redis_ev *e = priv;
	if (!e->rev_added) {
		must(event_add(e->rev, NULL), "event_add (read)");
		e->rev_added = 1;
	}
}

static void redis_ev_del_read(void *priv)
{
	struct redis_ev *e = priv;
	if (e->rev_added) {
		event_del(e->rev);
		e->rev_added = 0;
	}
}

static void redis_ev_add_write(void *priv)
{
	struct redis_ev *e = priv;
	e->want_write = 1;
	/* Inside a write: the rest waits for room (redis_ev_write_cb adds wev).
	 * Waiting for room already: the kernel will say.  Else send it from the
	 * active queue; a second command before then joins the same write. */
	if (!e->in_write && !e->wev_added)
		event_active(e->wev, EV_WRITE, 1);
}

static void redis_ev_del_write(void *priv)
{
	struct redis_ev *e = priv;
	e->want_write = 0;
	if (e->wev_added) {
		event_del(e->wev);
		e->wev_added = 0;
	}
}

static void redis_ev_cleanup(void *priv)
{
	struct redis_ev *e = priv;
	/* event_free of an event whose callback is running is safe on the loop's
	 * own thread (libevent's adapter does the same). */
	event_free(e->rev);
	event_free(e->wev);
	e->rev = e->wev = NULL;
	if (e->in_cb)
		e->dead = 1;
	else
		free(e);
}

int redis_ev_attach(redisAsyncContext *ac, struct event_base *base)
{
	if (ac->ev.data != NULL)
		return -1;
	struct redis_ev *e = calloc(1, sizeof(*e));
	if (!e)
		return -1;
	e->ac = ac;
	e->rev = event_new(base, ac->c.fd, EV_READ | EV_PERSIST, redis_ev_read_cb, e);
	e->wev = event_new(base, ac->c.fd, EV_WRITE, redis_ev_write_cb, e);
	if (!e->rev || !e->wev || event_add(e->rev, NULL) != 0) {
		if (e->rev)
			event_free(e->rev);
		if (e->wev)
			event_free(e->wev);
		free(e);
		return -1;
	}
	e->rev_added = 1;
	ac->ev.addRead = redis_ev_add_read;
	ac->ev.delRead = redis_ev_del_read;
	ac->ev.addWrite = redis_ev_add_write;
	ac->ev.delWrite = redis_ev_del_write;
	ac->ev.cleanup = redis_ev_cleanup;
	ac->ev.data = e;
	return 0;
}
