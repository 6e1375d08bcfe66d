/*
 * redis_ev.h - the project's own hiredis event adapter for libevent: a
 * redisAsyncContext's reads and writes on a loop at no epoll_ctl per command.
 *
 * hiredis 0.14's adapter (hiredis/adapters/libevent.h) gives the socket two
 * one-shot events and re-arms them on every command: a write event added
 * when a command is queued and deleted when it is sent, a read event that
 * fires once and is added again after each read.  Each add or delete is an
 * epoll_ctl, about 4 per GET (16,033 for 4,000 GETs), where the hand-written
 * backend path (impl_async/rpc.c) makes none per task.  This adapter keeps
 * the read event armed for the connection's life and sends a queued command
 * from the loop's active queue (event_active, no system call); it waits for
 * the kernel's "writable" only when a write found the socket full.
 */
#ifndef REDIS_EV_H
#define REDIS_EV_H

#include <event2/event.h>
#include <hiredis/async.h>

/*
 * redis_ev_attach - attach ac to base (in place of redisLibeventAttach).
 * Call it once, before any command; the adapter is freed by hiredis when
 * the context is (its cleanup hook), also from inside the adapter's own
 * callbacks.  Returns 0, or -1 if ac already has an adapter or memory ran
 * out (nothing attached).  Costs one epoll_ctl (the read event's add); a
 * command then costs none unless the socket's send buffer is full.
 */
int redis_ev_attach(redisAsyncContext *ac, struct event_base *base);

#endif
