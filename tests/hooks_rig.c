/*
 * hooks_rig.c - the rig of tests/test_hooks.c (hooks_rig.h): the loop and
 * its slots, the ticker, the peer threads.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "../impl_threads/block.h"
#include "hooks_rig.h"

/* The two backends; the binary links exactly one of them. */
extern const struct sched_backend green_backend __attribute__((weak));
extern const struct sched_backend uring_backend __attribute__((weak));

const struct sched_backend *hk_backend(void)
{
	return &green_backend ? &green_backend : &uring_backend;
}

/* A test double: the hooks fail a run through the runner, which is not
 * linked here; no test expects it. */
_Noreturn void run_fail_now(const char *why)
{
	fprintf(stderr, "run_fail_now: %s\n", why);
	abort();
}

static struct hk *self_test(void)
{
	struct sched_slot *s = sched_self();
	return (struct hk *)(void *)((char *)s->loop - offsetof(struct hk, lp));
}

static void ticker(void *arg)
{
	(void)arg;
	struct hk *t = self_test();
	while (!atomic_load(&t->stop)) {
		blk_sleep_us(HK_TICK_US);
		atomic_fetch_add(&t->ticks, 1);
	}
}

static void subject_main(void *arg)
{
	(void)arg;
	struct hk *t = self_test();
	t->subject(t);
	atomic_store(&t->stop, 1);
}

static void other_main(void *arg)
{
	(void)arg;
	struct hk *t = self_test();
	t->other(t);
	atomic_store(&t->other_done, 1);
}

static int all_done(const struct sched_loop *lp, const struct sched_slot *s)
{
	(void)s;
	for (uint64_t i = 0; i < lp->nslots; i++)
		if (!coro_done(&lp->slots[i].co))
			return 0;
	return 1;
}

void run_subjects(void (*fn)(struct hk *t), void (*other)(struct hk *t))
{
	const struct sched_backend *be = hk_backend();
	struct hk *t = aligned_alloc(_Alignof(struct hk), sizeof(*t)); /* its slots' alignment */
	char err[256] = "";
	assert_non_null(t);
	memset(t, 0, sizeof(*t));
	t->subject = fn;
	t->other = other;
	t->fd[0] = t->fd[1] = -1;
	t->lp.runq_tail = &t->lp.runq;
	t->lp.slots = t->slot;
	int n = other ? 3 : 2;
	t->lp.nslots = (uint64_t)n;
	assert_non_null(t->waits = calloc((size_t)n, be->wait_size));
	assert_int_equal(be->loop_init(&t->lp, err, sizeof(err)), 0);
	assert_int_equal(coro_stacks_map(&t->lp.stacks, (size_t)n, HK_STACK, err, sizeof(err)), 0);
	void (*const fns[HK_SLOTS])(void *) = { ticker, subject_main, other_main };
	for (int i = 0; i < n; i++) {
		struct sched_slot *s = &t->slot[i];
		s->loop = &t->lp;
		s->index = (uint64_t)i;
		s->w.fd = -1;
		s->wait = (struct sched_wait *)(void *)(t->waits + (size_t)i * be->wait_size);
		be->slot_init(s);
		coro_init(&s->co, coro_stack_lo(&t->lp.stacks, (size_t)i), t->lp.stacks.stack, fns[i], s);
	}
	t->lp.made = (uint64_t)n;
	for (int i = 0; i < n; i++)
		sched_enter(&t->slot[i]);
	int rc = sched_loop_until(&t->lp, be, all_done, NULL, err, sizeof(err));
	for (int i = 0; i < n; i++) {
		if (be->slot_fini)
			be->slot_fini(&t->slot[i]);
		coro_fini(&t->slot[i].co);
	}
	coro_stacks_unmap(&t->lp.stacks);
	be->loop_fini(&t->lp);
	for (int i = 0; i < 2; i++)
		if (t->fd[i] >= 0)
			close(t->fd[i]);
	if (rc != 0 || t->why[0])
		fail_msg("%s: %s", be->name, rc != 0 ? err : t->why);
	free(t->waits);
	free(t);
}

void run_subject(void (*fn)(struct hk *t))
{
	run_subjects(fn, NULL);
}

/* ---- the peer: a thread that acts once the ticker has moved ---- */

/* wait_ticks - until the ticker has moved n turns past `from`; 0, or -1
 * if it did not within PEER_PATIENCE_MS. */
static int wait_ticks(struct hk *t, int from, int n)
{
	for (int ms = 0; ms < PEER_PATIENCE_MS; ms++) {
		if (atomic_load(&t->ticks) >= from + n)
			return 0;
		usleep(1000); /* not a coroutine: the real usleep */
	}
	return -1;
}

static void *peer_main(void *arg)
{
	struct peer *p = arg;
	int from = atomic_load(&p->t->ticks);
	p->gave_up = wait_ticks(p->t, from, HK_TICKS) != 0;
	char buf[65536];
	switch (p->act) {
	case PEER_WRITE:
		(void)!write(p->fd, "hello", 5);
		break;
	case PEER_WRITE_TWICE:
		(void)!write(p->fd, "ab", 2);
		p->gave_up |= wait_ticks(p->t, atomic_load(&p->t->ticks), HK_TICKS) != 0;
		(void)!write(p->fd, "cd", 2);
		break;
	case PEER_DRAIN:
		for (ssize_t r; (r = read(p->fd, buf, sizeof(buf))) > 0;)
			p->drained += (size_t)r;
		break;
	case PEER_CLOSE:
		close(p->fd);
		p->fd = -1;
		break;
	case PEER_ACCEPT_ECHO: {
		int c = accept(p->fd, NULL, NULL);
		ssize_t r = c >= 0 ? read(c, buf, sizeof(buf)) : -1;
		if (r > 0)
			(void)!write(c, buf, (size_t)r);
		if (c >= 0)
			close(c);
		break;
	}
	case PEER_ACCEPT_EDGES: { /* ten bytes in one write; two more when told, or on giving up */
		int c = accept(p->fd, NULL, NULL);
		struct pollfd pf = { .fd = c, .events = POLLIN };
		(void)!write(c, "abcdefghij", 10);
		p->gave_up |= poll(&pf, 1, PEER_PATIENCE_MS) != 1 || read(c, buf, 1) != 1;
		(void)!write(c, "xy", 2);
		while (read(c, buf, sizeof(buf)) > 0)
			;
		close(c);
		break;
	}
	}
	return NULL;
}

int peer_start(struct peer *p, struct hk *t, int fd, enum peer_act act)
{
	memset(p, 0, sizeof(*p));
	p->t = t;
	p->fd = fd;
	p->act = act;
	return pthread_create(&p->tid, NULL, peer_main, p);
}

int peer_end(struct peer *p)
{
	pthread_join(p->tid, NULL);
	return p->gave_up ? -1 : 0;
}

int pair(struct hk *t)
{
	return socketpair(AF_UNIX, SOCK_STREAM, 0, t->fd);
}
