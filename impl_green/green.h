/*
 * green.h - the green runtime's private state, shared by its files: green.c
 * (the waits, the sockets, the sleeps) and green_watch.c (each loop's index
 * of the slots' watches by socket, and a socket closed under another slot's
 * watch).  Nothing outside impl_green/green*.c includes it: block.h is the
 * runtime's interface.
 */
#ifndef GREEN_H
#define GREEN_H

#include <stdint.h>
#include <sys/time.h>

#include <event2/event.h>
#include <event2/event_struct.h>

#include "../harness/runtime/sleepq.h"
#include "sched.h"

#define GREEN_IO_EVENTS 2 /* sockets a slot keeps registered at once: a server's
			     connection has two, its client's and its backend's */
#define GREEN_WATCH_PAGES 1024    /* pages: descriptors below 1,048,576 (nr_open's default) */

/* One io event of a slot (a watch on a socket): the slot's address with
 * the event's number (0 or 1) in its low bit, 0 for none; one word, so a
 * million slots' links cost 16 MB, not 32. */
typedef uintptr_t green_ref;
_Static_assert(_Alignof(struct sched_slot) >= 2, "green_ref keeps the io event in bit 0");

/* A loop's backend state (lp->be). */
struct green_loop {
	struct event_base *base;   /* its event_base */
	struct sleepq_set sleeps;  /* its sleeps, by length */
	/* Its watches by socket: the first of a list through the slots'
	 * io_next, pages made on first use.  A library that closes a socket
	 * another slot watches (blk_fd_closing) finds that slot's event here:
	 * left registered, it would keep libevent from registering the
	 * number's next socket, which would then never be heard. */
	green_ref *watch[GREEN_WATCH_PAGES];
};

/* A slot's wait state on a libevent loop. */
struct sched_wait {
	struct event timer; /* an open-loop arrival, or a bounded wait's end */
	struct event io[GREEN_IO_EVENTS]; /* the sockets it uses, edge-triggered, persistent */
	int io_fd[GREEN_IO_EVENTS]; /* the socket each watches, or -1 */
	green_ref io_next[GREEN_IO_EVENTS]; /* the next watch of that socket on the loop */
	short seen[GREEN_IO_EVENTS]; /* EV_READ: io[i] reported its socket readable since
					 it was last found empty (a recv may find data) */
	signed char tcp[GREEN_IO_EVENTS]; /* 1: io[i]'s socket is TCP (a short read means
				      empty), 0: not, -1: not asked yet (is_tcp) */
	int io_last;        /* the io used last: the other is the one replaced */
	int closed;         /* 1: its socket was closed under its unbounded wait (EBADF) */
	int want_fd;        /* the socket it is parked on */
	short want;         /* EV_READ or EV_WRITE while parked on io; 0 otherwise */
	int bound_fd;       /* the socket blk_io_timeout bounded, or -1 */
	const struct timeval *bound; /* its bound on one wait: a common timeout */
	int expired;        /* 1: the timer ended a wait on io (the bound ran out) */
	int timed;          /* 1: the timer bounds the present wait on io */
	uint64_t hook_us;   /* blk_wait_fd's first bound on this slot (us), 0: none yet */
	const struct timeval *hook_bound; /* that bound as a common timeout */
};

static inline struct green_loop *slot_loop(const struct sched_slot *s)
{
	return s->loop->be;
}

static inline struct event_base *slot_base(const struct sched_slot *s)
{
	return slot_loop(s)->base;
}

/* green_watch_link - s's io event i, just added for fd, goes first in
 * fd's list on its loop.  0, or -1 when no memory is left for the index. */
int green_watch_link(struct sched_slot *s, int i, int fd);

/* green_drop_watch - s's io event i stops watching its socket, if any:
 * deleted from the loop and taken out of the socket's list. */
void green_drop_watch(struct sched_slot *s, int i);

/* green_watch_fini - free gl's index (its loop is going). */
void green_watch_fini(struct green_loop *gl);

#endif
