/*
 * hooks_rig.h - the rig tests/test_hooks.c runs its subjects on: one loop
 * of the linked coroutine backend (green or uring) with a ticker slot, the
 * subject's slot and, for a test of two coroutines, another; and a peer
 * thread that acts once the ticker has moved.  tests/test_hooks.c says why
 * "the ticker moved" is the proof that a call parked instead of blocking.
 */
#ifndef HOOKS_RIG_H
#define HOOKS_RIG_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/types.h>

#include "../impl_green/sched.h"

#define HK_STACK 65536          /* each slot's stack */
#define HK_TICK_US 1000         /* the ticker's sleep */
#define HK_TICKS 3              /* turns the ticker takes before a peer answers */
#define PEER_PATIENCE_MS 10000  /* a peer that saw no tick in this long answers anyway */
#define HK_SLOTS 3              /* the ticker, the subject and, if any, another coroutine */

/* One test: the loop, its slots, and what the subject found. */
struct hk {
	struct sched_loop lp;       /* the loop */
	struct sched_slot slot[HK_SLOTS]; /* 0: the ticker, 1: the subject, 2: other */
	char *waits;                /* the backend's wait state per slot */
	atomic_int ticks;           /* the ticker's turns */
	atomic_int stop;            /* the subject is done: the ticker ends */
	void (*subject)(struct hk *t); /* the calls under test */
	void (*other)(struct hk *t);   /* a second coroutine beside it, or NULL */
	atomic_int other_parked;    /* other: about to make its blocking call */
	atomic_int other_done;      /* other: returned from it */
	ssize_t other_r;            /* other: what the call returned */
	int other_errno;            /* ... and errno then */
	int fd[2];                  /* a socketpair the subject made, [1] the peer's */
	char why[256];              /* the first failed check, "" if none */
};

/* CHECK - in a coroutine: record the first failure and leave the subject. */
#define CHECK(t, cond, ...)                                                                    \
	do {                                                                                   \
		if (!(cond)) {                                                                 \
			if (!(t)->why[0])                                                      \
				snprintf((t)->why, sizeof((t)->why), __VA_ARGS__);             \
			return;                                                                \
		}                                                                              \
	} while (0)

/* What a peer thread does once the ticker has moved. */
enum peer_act { PEER_WRITE, PEER_WRITE_TWICE, PEER_DRAIN, PEER_CLOSE, PEER_ACCEPT_ECHO,
		PEER_ACCEPT_EDGES };

/* A peer thread. */
struct peer {
	struct hk *t;        /* its test */
	int fd;              /* its socket (a listener for PEER_ACCEPT_ECHO) */
	enum peer_act act;   /* what it does */
	size_t drained;      /* PEER_DRAIN: bytes read */
	int gave_up;         /* 1: the ticker never moved, it acted anyway */
	pthread_t tid;       /* its thread */
};

/* hk_backend - the backend the binary links (green or uring). */
const struct sched_backend *hk_backend(void);

/* run_subjects - a loop of the linked backend with the ticker, fn and,
 * if other is not NULL, other in a third slot; asserts (cmocka) that the
 * loop ran and fn found nothing wrong. */
void run_subjects(void (*fn)(struct hk *t), void (*other)(struct hk *t));

/* run_subject - run_subjects with no other coroutine. */
void run_subject(void (*fn)(struct hk *t));

/* peer_start - p, a thread acting `act` on fd once the ticker moved; 0, or
 * pthread_create's error. */
int peer_start(struct peer *p, struct hk *t, int fd, enum peer_act act);

/* peer_end - join p; 0 if it acted on cue. */
int peer_end(struct peer *p);

/* pair - a blocking socketpair made by the subject into t->fd (adopted:
 * made in a coroutine); socketpair's result. */
int pair(struct hk *t);

#endif
