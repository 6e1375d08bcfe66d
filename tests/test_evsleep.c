/*
 * test_evsleep.c - the sleep queues on a libevent loop (evsleep.h driving
 * harness/runtime/sleepq.h), with real timers: no wait ends before its
 * deadline, waits of one length end in deadline order, an out-of-order wait
 * and more lengths than queues are still placed right,
 * a wait that starts another from its callback does not spin the batch, and
 * waits still queued at the end are dropped cleanly.  Lateness is never
 * tested (a busy machine makes any wait late), only earliness and order.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "../harness/runtime/clock.h"
#include "../harness/runtime/evbase.h"
#include "../harness/runtime/evsleep.h"

#define WAITS 3000         /* waits per test */
#define LEN_US 200         /* a wait's length, scaled per test */
#define CHAIN 50           /* waits one callback starts after another */

/* One wait and what its end saw. */
struct probe {
	struct sleepq_wait w;  /* the wait */
	uint64_t ended_ns;     /* clock at its callback; 0: not ended */
	int len_idx;           /* which length it waited */
	int seq;               /* order of its end, over all probes */
	int *next_seq;         /* the shared end counter */
};

static void probe_end(void *arg)
{
	struct probe *p = arg;
	p->ended_ns = clock_now_ns();
	p->seq = (*p->next_seq)++;
}

static struct event_base *new_base(void)
{
	char err[160];
	struct event_base *base = evbase_new_precise(err, sizeof(err));
	assert_non_null(base);
	return base;
}

/* run_probes - add WAITS waits of the lengths in lens_us (cycled), each
 * timed from a fresh reading minus skew(i) ns, run the loop until all end,
 * and check none ended before its deadline. */
static struct probe *run_probes(const uint64_t *lens_us, int nlens, uint64_t (*skew)(int i))
{
	struct event_base *base = new_base();
	struct sleepq_set set;
	evsleep_set_init(&set, base, NULL);
	struct probe *p = calloc(WAITS, sizeof(*p));
	assert_non_null(p);
	static int next_seq;
	next_seq = 0;
	for (int i = 0; i < WAITS; i++) {
		p[i].len_idx = i % nlens;
		p[i].next_seq = &next_seq;
		uint64_t t0 = clock_now_ns() - (skew ? skew(i) : 0);
		assert_int_equal(sleepq_add(&set, &p[i].w, t0, lens_us[p[i].len_idx] * 1000,
					     probe_end, &p[i]),
				 0);
	}
	assert_int_equal(event_base_dispatch(base), 1); /* 1: no events left */
	for (int i = 0; i < WAITS; i++) {
		assert_true(p[i].ended_ns != 0);
		assert_true(p[i].ended_ns >= p[i].w.due_ns);
	}
	sleepq_set_fini(&set);
	event_base_free(base);
	return p;
}

/* Waits of one length, added in deadline order, end in that order. */
static void assert_fifo(const struct probe *p, int len_idx)
{
	int last = -1;
	for (int i = 0; i < WAITS; i++) {
		if (p[i].len_idx != len_idx)
			continue;
		assert_true(p[i].seq > last);
		last = p[i].seq;
	}
}

static void test_one_length(void **state)
{
	(void)state;
	const uint64_t lens[] = { LEN_US };
	struct probe *p = run_probes(lens, 1, NULL);
	assert_fifo(p, 0);
	free(p);
}

static void test_three_lengths(void **state)
{
	(void)state;
	const uint64_t lens[] = { LEN_US, 3 * LEN_US, LEN_US / 4 };
	struct probe *p = run_probes(lens, 3, NULL);
	for (int l = 0; l < 3; l++)
		assert_fifo(p, l);
	free(p);
}

/* Readings taken ever further back: each wait's deadline is earlier than the
 * one added before it, so each goes to the head. */
static uint64_t skew_backwards(int i)
{
	return (uint64_t)i * 1000;
}

static void test_out_of_order(void **state)
{
	(void)state;
	const uint64_t lens[] = { 10 * LEN_US };
	struct probe *p = run_probes(lens, 1, skew_backwards);
	for (int i = 1; i < WAITS; i++) /* later deadline, later end */
		if (p[i - 1].w.due_ns > p[i].w.due_ns)
			assert_true(p[i - 1].seq > p[i].seq);
	free(p);
}

/* More lengths than queues: the extra ones share the last queue. */
static void test_more_lengths_than_queues(void **state)
{
	(void)state;
	uint64_t lens[SLEEPQ_QUEUES + 5];
	for (int i = 0; i < SLEEPQ_QUEUES + 5; i++)
		lens[i] = LEN_US / 2 + (uint64_t)((i * 37) % 11) * 13; /* unordered, some repeat */
	struct probe *p = run_probes(lens, SLEEPQ_QUEUES + 5, NULL);
	free(p);
}

/* A wait whose end starts the next, of length 0: each ends at a later
 * wake-up than the one that started it, and the chain runs to its end. */
struct chain {
	struct sleepq_wait w;
	struct sleepq_set *set;
	int left;              /* waits still to start */
	uint64_t last_due;     /* the deadline of the wait that just ended */
	int early;             /* 1: a wait ended before its deadline */
};

static void chain_end(void *arg)
{
	struct chain *ch = arg;
	if (clock_now_ns() < ch->w.due_ns)
		ch->early = 1;
	if (ch->left-- > 0)
		assert_int_equal(sleepq_add(ch->set, &ch->w, clock_now_ns(), 0, chain_end, ch), 0);
}

static void test_chain_from_callback(void **state)
{
	(void)state;
	struct event_base *base = new_base();
	struct sleepq_set set;
	evsleep_set_init(&set, base, NULL);
	struct chain ch = { .set = &set, .left = CHAIN };
	assert_int_equal(sleepq_add(&set, &ch.w, clock_now_ns(), 0, chain_end, &ch), 0);
	assert_int_equal(event_base_dispatch(base), 1);
	assert_int_equal(ch.left, -1);
	assert_false(ch.early);
	sleepq_set_fini(&set);
	event_base_free(base);
}

/* Waits still queued when the set goes: dropped, nothing freed twice. */
static void test_fini_with_waits_queued(void **state)
{
	(void)state;
	struct event_base *base = new_base();
	struct sleepq_set set;
	evsleep_set_init(&set, base, NULL);
	struct probe p[4] = { 0 };
	int seq = 0;
	for (int i = 0; i < 4; i++) {
		p[i].next_seq = &seq;
		assert_int_equal(sleepq_add(&set, &p[i].w, clock_now_ns(), 3600ULL * 1000000000ULL,
					     probe_end, &p[i]),
				 0);
	}
	assert_int_equal(event_base_loop(base, EVLOOP_NONBLOCK), 0);
	assert_int_equal(seq, 0);
	sleepq_set_fini(&set);
	event_base_free(base);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_length),
		cmocka_unit_test(test_three_lengths),
		cmocka_unit_test(test_out_of_order),
		cmocka_unit_test(test_more_lengths_than_queues),
		cmocka_unit_test(test_chain_from_callback),
		cmocka_unit_test(test_fini_with_waits_queued),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
