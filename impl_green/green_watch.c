/*
 * green_watch.c - each green loop's index of the slots' watches by socket,
 * and what a close through the hooks does with it (green.h).
 *
 * A slot keeps its sockets' events registered ("registered once, then
 * kept": a round trip costs no epoll_ctl).  A library that closes a socket
 * another slot of the loop watches (a connection shared by coroutines)
 * would leave that slot's event behind: libevent would then think the
 * number still registered and never add the number's next socket to the
 * epoll set, so that socket would never be heard (tests/test_hooks.c,
 * test_close_under_*).  The index finds every watch of a socket at its
 * close, in a walk of the few watches of that one socket.
 */
#include <stdint.h>
#include <stdlib.h>

#include "../impl_threads/block.h"
#include "green.h"

#define GREEN_WATCH_PAGE_FDS 1024 /* descriptors per page of a loop's watch index */

static green_ref ref_of(struct sched_slot *s, int i)
{
	return (uintptr_t)s | (uintptr_t)i;
}

static struct sched_slot *ref_slot(green_ref r)
{
	return (struct sched_slot *)(r & ~(uintptr_t)1);
}

static int ref_io(green_ref r)
{
	return (int)(r & 1);
}

/* watch_head - the first watch of fd on loop gl (its page made if `make`),
 * or NULL when there is no page (or no memory for one). */
static green_ref *watch_head(struct green_loop *gl, int fd, int make)
{
	if (fd < 0 || fd >= GREEN_WATCH_PAGES * GREEN_WATCH_PAGE_FDS)
		return NULL;
	green_ref **page = &gl->watch[fd / GREEN_WATCH_PAGE_FDS];
	if (!*page && make)
		*page = calloc(GREEN_WATCH_PAGE_FDS, sizeof(**page));
	return *page ? &(*page)[fd % GREEN_WATCH_PAGE_FDS] : NULL;
}

int green_watch_link(struct sched_slot *s, int i, int fd)
{
	green_ref *head = watch_head(slot_loop(s), fd, 1);
	if (!head)
		return -1;
	s->wait->io_next[i] = *head;
	*head = ref_of(s, i);
	return 0;
}

void green_drop_watch(struct sched_slot *s, int i)
{
	struct sched_wait *w = s->wait;
	int fd = w->io_fd[i];
	if (fd < 0)
		return;
	event_del(&w->io[i]);
	for (green_ref *r = watch_head(slot_loop(s), fd, 0); r && *r;
	     r = &ref_slot(*r)->wait->io_next[ref_io(*r)])
		if (*r == ref_of(s, i)) {
			*r = w->io_next[i];
			break;
		}
	w->io_fd[i] = -1;
}

void green_watch_fini(struct green_loop *gl)
{
	for (int p = 0; p < GREEN_WATCH_PAGES; p++)
		free(gl->watch[p]);
}

/* Every watch of fd on this loop goes with it, the closer's own and the
 * other slots' too: a
 * slot parked on it with a bound waits that out (EAGAIN, as a thread's
 * read on a socket closed under it ends when its SO_RCVTIMEO does); one
 * with none is woken now with EBADF (the socket is gone: nothing could end
 * its wait).  A slot of another loop keeps its watch: its loop's thread
 * alone may touch it. */
void blk_fd_closing(int fd)
{
	struct sched_slot *self = sched_self();
	if (self->wait->bound_fd == fd)
		self->wait->bound_fd = -1;
	green_ref *head = watch_head(slot_loop(self), fd, 0);
	while (head && *head) {
		struct sched_slot *o = ref_slot(*head);
		struct sched_wait *ow = o->wait;
		green_drop_watch(o, ref_io(*head));
		if (ow->want && ow->want_fd == fd && !ow->timed) {
			ow->closed = 1;
			event_active(&ow->timer, EV_TIMEOUT, 1); /* woken from the loop's stack */
		}
	}
}
