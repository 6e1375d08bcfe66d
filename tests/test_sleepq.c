/*
 * test_sleepq.c - the sleep queues' core (harness/runtime/sleepq.h) on a
 * driver of the test's own: a clock that moves only when the test says (or
 * by a step per reading), and timers that are a list the test fires in
 * deadline order, replacing a queue's pending timer as libevent does or
 * leaving it pending as io_uring does.  So every property is checked
 * exactly, with no timing: no wait ends before its deadline, waits of one
 * length end in deadline order, out-of-order adds are placed, stale timers
 * never multiply, several lengths and more lengths than queues, removal
 * (also of a batch's last wait from inside the batch), a batch that does not
 * spin on waits its callbacks add, the warm-up hook's order, and tear-down.
 * The real drivers are tested with real timers in test_evsleep.c (libevent)
 * and tests/test_coro.sh (io_uring: min latency >= the delay).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../harness/runtime/sleepq.h"

#define WAITS 2000       /* waits per bulk test */
#define LEN 1000000ULL   /* a wait's length (ns), scaled per test */
#define MAX_TIMERS 8192  /* pending timers the fake driver holds */
#define MAX_LOG 64       /* events the warm-up test records */
#define T_START 1000000000ULL /* the fake clock's first reading (never 0) */

/* ---- the fake driver ---- */

/* One pending timer. */
struct timer {
	struct sleepq *q; /* its queue */
	uint64_t due;     /* when it fires */
	uint64_t seq;     /* the arm number it was given */
};

/* The fake driver's state, zeroed before each test (setup). */
static struct {
	uint64_t now;                    /* the clock */
	uint64_t step;                   /* added to the clock after each reading */
	int replace;                     /* 1: an arm replaces the queue's pending timer */
	int fail_init;                   /* 1: queue_init fails */
	struct timer timers[MAX_TIMERS]; /* pending timers */
	int ntimers;                     /* how many */
	int max_pending;                 /* the most pending at once */
	int arms;                        /* arms so far */
	int finis;                       /* queue_fini calls */
} fk;

static uint64_t fake_clock(void)
{
	uint64_t t = fk.now;
	fk.now += fk.step;
	return t;
}

static void fake_arm(struct sleepq *q, uint64_t due)
{
	fk.arms++;
	if (fk.replace)
		for (int i = 0; i < fk.ntimers; i++)
			if (fk.timers[i].q == q)
				fk.timers[i] = fk.timers[--fk.ntimers];
	assert_true(fk.ntimers < MAX_TIMERS);
	fk.timers[fk.ntimers++] = (struct timer){ q, due, q->arm_seq };
	if (fk.ntimers > fk.max_pending)
		fk.max_pending = fk.ntimers;
}

static int fake_queue_init(struct sleepq *q)
{
	(void)q;
	return fk.fail_init ? -1 : 0;
}

/* fake_queue_fini - the queue's pending timers go with it, as libevent's
 * event_free and io_uring's ring exit take them. */
static void fake_queue_fini(struct sleepq *q)
{
	fk.finis++;
	for (int i = 0; i < fk.ntimers;)
		if (fk.timers[i].q == q)
			fk.timers[i] = fk.timers[--fk.ntimers];
		else
			i++;
}

static const struct sleepq_driver fake_driver = {
	.queue_init = fake_queue_init,
	.arm = fake_arm,
	.queue_fini = fake_queue_fini,
	.now = fake_clock,
};

/* fire_next - fire the earliest pending timer (the clock moves to it if it
 * is behind); 0 if none was pending. */
static int fire_next(void)
{
	if (fk.ntimers == 0)
		return 0;
	int first = 0;
	for (int i = 1; i < fk.ntimers; i++)
		if (fk.timers[i].due < fk.timers[first].due)
			first = i;
	struct timer t = fk.timers[first];
	fk.timers[first] = fk.timers[--fk.ntimers];
	if (fk.now < t.due)
		fk.now = t.due;
	sleepq_expire(t.q, t.seq);
	return 1;
}

/* fire_all - fire timers until none is pending; how many fired. */
static int fire_all(void)
{
	int n = 0;
	while (fire_next())
		n++;
	return n;
}

static int setup(void **state)
{
	(void)state;
	memset(&fk, 0, sizeof(fk));
	fk.now = T_START;
	return 0;
}

/* ---- probes: a wait and what its end saw ---- */

struct probe {
	struct sleepq_wait w;  /* the wait */
	uint64_t ended_at;     /* the clock when it ended; 0: not ended */
	int ends;              /* how many times it ended (must be 0 or 1) */
	int seq;               /* order of its end, over all probes */
	int kind;              /* which length it waited */
};

static int end_counter; /* the next end's order */

static void probe_end(void *arg)
{
	struct probe *p = arg;
	p->ended_at = fk.now;
	p->ends++;
	p->seq = end_counter++;
}

/* add_probe - p waits len from t0 on set. */
static void add_probe(struct sleepq_set *set, struct probe *p, uint64_t t0, uint64_t len)
{
	assert_int_equal(sleepq_add(set, &p->w, t0, len, probe_end, p), 0);
	assert_true(sleepq_queued(&p->w));
}

/* assert_ended_in_time - each of n probes ended once, at or after its due. */
static void assert_ended_in_time(const struct probe *p, int n)
{
	for (int i = 0; i < n; i++) {
		assert_int_equal(p[i].ends, 1);
		assert_true(p[i].ended_at >= p[i].w.due_ns);
		assert_false(sleepq_queued(&p[i].w));
	}
}

/* assert_order - probes of kind k, in index order, ended in deadline order. */
static void assert_order(const struct probe *p, int n, int k)
{
	const struct probe *last = NULL;
	for (int i = 0; i < n; i++) {
		if (p[i].kind != k)
			continue;
		if (last && last->w.due_ns < p[i].w.due_ns)
			assert_true(last->seq < p[i].seq);
		last = &p[i];
	}
}

/* start - set on the fake driver (no warm hook), n zeroed probes, the end
 * order counted from 0. */
static struct probe *start(struct sleepq_set *set, int n)
{
	sleepq_set_init(set, &fake_driver, NULL, NULL);
	struct probe *p = calloc((size_t)n, sizeof(*p));
	assert_non_null(p);
	end_counter = 0;
	return p;
}

/* ---- the tests ---- */

/* One length, added in deadline order as a loop adds them: FIFO ends, none
 * early, and one timer per wake-up, not per wait. */
static void test_one_length(void **state)
{
	(void)state;
	struct sleepq_set set;
	struct probe *p = start(&set, WAITS);
	for (int i = 0; i < WAITS; i++) {
		add_probe(&set, &p[i], fk.now, LEN);
		fk.now += LEN / 100; /* a hundred waits per length */
	}
	assert_int_equal(fk.arms, 1); /* only the first add made a head */
	int fires = fire_all();
	assert_ended_in_time(p, WAITS);
	assert_order(p, WAITS, 0);
	assert_true(fires <= WAITS);
	assert_int_equal(fk.max_pending, 1);
	sleepq_set_fini(&set);
	free(p);
}

/* Several lengths at once: a queue each, each in FIFO order, none early. */
static void test_several_lengths(void **state)
{
	(void)state;
	const uint64_t lens[] = { LEN, 3 * LEN, LEN / 4, 7 * LEN };
	const int nlens = 4;
	struct sleepq_set set;
	struct probe *p = start(&set, WAITS);
	for (int i = 0; i < WAITS; i++) {
		p[i].kind = i % nlens;
		add_probe(&set, &p[i], fk.now, lens[p[i].kind]);
		fk.now += LEN / 50;
	}
	assert_int_equal(set.n, nlens);
	fire_all();
	assert_ended_in_time(p, WAITS);
	for (int k = 0; k < nlens; k++)
		assert_order(p, WAITS, k);
	sleepq_set_fini(&set);
	free(p);
}

/* Readings ever further back: each deadline is earlier than the one before,
 * so each add is placed at the head and arms an earlier timer.  A driver
 * that replaces its timer (libevent) has one pending at a time; one that
 * cannot move it (io_uring) keeps the stale ones, which end what is due and
 * arm nothing: never more pending than the adds left, plus the current. */
static void test_out_of_order(void **state)
{
	(void)state;
	for (fk.replace = 0; fk.replace < 2; fk.replace++) {
		struct sleepq_set set;
		struct probe *p = start(&set, WAITS);
		fk.max_pending = fk.arms = 0;
		uint64_t t0 = fk.now + WAITS * 10ULL;
		for (int i = 0; i < WAITS; i++)
			add_probe(&set, &p[i], t0 - (uint64_t)i * 10, LEN);
		assert_int_equal(fk.arms, WAITS); /* every add was a new, earlier head */
		assert_int_equal(fk.max_pending, fk.replace ? 1 : WAITS);
		int arms_before = fk.arms;
		int fires = fire_all();
		assert_ended_in_time(p, WAITS);
		for (int i = 1; i < WAITS; i++) /* later deadline, later end */
			assert_true(p[i - 1].seq > p[i].seq);
		assert_true(fk.arms - arms_before <= fires);
		assert_true(fk.max_pending <= (fk.replace ? 1 : WAITS + 1));
		assert_int_equal(fk.ntimers, 0);
		sleepq_set_fini(&set);
		free(p);
	}
}

/* The small case exactly, io_uring-like: A due at 150, C at 300, then B at
 * 100 (an earlier head: a second timer while A's is pending).  B's timer,
 * the current one, ends B and arms for A (a third); of the two timers at
 * 150, whichever fires first ends A, and neither arms again while one for C
 * is current or pending: four arms in all, however the two are ordered. */
static void test_stale_timer(void **state)
{
	(void)state;
	struct sleepq_set set;
	sleepq_set_init(&set, &fake_driver, NULL, NULL);
	struct probe a = { 0 }, b = { 0 }, c = { 0 };
	end_counter = 0;
	add_probe(&set, &a, T_START + 50, 100);
	add_probe(&set, &c, T_START + 200, 100);
	add_probe(&set, &b, T_START, 100);
	assert_int_equal(fk.arms, 2);
	assert_int_equal(fire_next(), 1);
	assert_int_equal(b.ends, 1);
	assert_int_equal(a.ends, 0);
	assert_int_equal(fk.arms, 3);
	assert_int_equal(fire_next(), 1);
	assert_int_equal(fire_next(), 1);
	assert_int_equal(a.ends, 1);
	assert_int_equal(c.ends, 0);
	assert_int_equal(fk.arms, 4);
	assert_int_equal(fk.ntimers, 1);
	fire_all();
	assert_int_equal(c.ends, 1);
	assert_int_equal(fk.arms, 4);
	assert_ended_in_time(&a, 1);
	assert_ended_in_time(&b, 1);
	assert_ended_in_time(&c, 1);
	/* A wait added now, with no timer pending, arms one. */
	struct probe d = { 0 };
	add_probe(&set, &d, fk.now, 100);
	assert_int_equal(fk.arms, 5);
	fire_all();
	assert_int_equal(d.ends, 1);
	sleepq_set_fini(&set);
}

/* A timer that fires early (a stale one, or a driver's rounding): nothing
 * ends before its deadline, and the head is still woken for. */
static void test_never_early(void **state)
{
	(void)state;
	struct sleepq_set set;
	sleepq_set_init(&set, &fake_driver, NULL, NULL);
	struct probe p[3] = { { .w.due_ns = 0 } };
	end_counter = 0;
	for (int i = 0; i < 3; i++)
		add_probe(&set, &p[i], T_START + (uint64_t)i, LEN);
	struct sleepq *q = &set.q[0];
	for (uint64_t t = T_START; t < T_START + LEN; t += LEN / 7) {
		fk.now = t;
		sleepq_expire(q, q->arm_seq - 1); /* not the current timer */
		sleepq_expire(q, q->arm_seq);     /* the current one, early */
		for (int i = 0; i < 3; i++)
			assert_int_equal(p[i].ends, 0);
		assert_true(fk.ntimers >= 1); /* re-armed for the head */
	}
	fk.now = T_START + LEN + 1; /* the first two are due, the third not */
	sleepq_expire(q, q->arm_seq);
	assert_int_equal(p[0].ends + p[1].ends + p[2].ends, 2);
	assert_int_equal(p[2].ends, 0);
	fk.ntimers = 0;
	fk.now = T_START + LEN + 2;
	sleepq_expire(q, q->arm_seq);
	assert_ended_in_time(p, 3);
	sleepq_set_fini(&set);
}

/* Time passes while a batch is ended (each reading moves the clock): waits
 * that fall due meanwhile end in the same wake-up, so far fewer wake-ups
 * than waits, and still none early. */
static void test_clock_moves_in_batch(void **state)
{
	(void)state;
	struct sleepq_set set;
	struct probe *p = start(&set, WAITS);
	for (int i = 0; i < WAITS; i++)
		add_probe(&set, &p[i], T_START + (uint64_t)i * 100, LEN);
	fk.step = 300; /* three waits fall due per reading */
	int fires = fire_all();
	assert_ended_in_time(p, WAITS);
	assert_order(p, WAITS, 0);
	assert_true(fires < WAITS / 2);
	sleepq_set_fini(&set);
	free(p);
}

/* A callback that starts the next wait, of length 0 (due at once): it waits
 * for the next wake-up, so each wake-up ends one and the batch never spins. */
struct chain {
	struct sleepq_wait w;     /* the wait */
	struct sleepq_set *set;   /* its set */
	int left;                 /* waits still to start */
	int ended;                /* waits ended */
	int early;                /* 1: one ended before its deadline */
};

static void chain_end(void *arg)
{
	struct chain *ch = arg;
	if (fk.now < ch->w.due_ns)
		ch->early = 1;
	ch->ended++;
	if (ch->left-- > 0)
		assert_int_equal(sleepq_add(ch->set, &ch->w, fk.now, 0, chain_end, ch), 0);
}

static void test_chain_from_callback(void **state)
{
	(void)state;
	struct sleepq_set set;
	sleepq_set_init(&set, &fake_driver, NULL, NULL);
	struct chain ch = { .set = &set, .left = 50 };
	assert_int_equal(sleepq_add(&set, &ch.w, fk.now, 0, chain_end, &ch), 0);
	for (int i = 1; i <= 51; i++) {
		assert_int_equal(fire_next(), 1);
		assert_int_equal(ch.ended, i); /* one per wake-up */
	}
	assert_int_equal(fire_next(), 0);
	assert_int_equal(ch.left, -1);
	assert_false(ch.early);
	sleepq_set_fini(&set);
}

/* More lengths than queues: the extra ones share the last queue, where
 * waits of every length sharing it end in deadline order. */
static int by_seq(const void *a, const void *b)
{
	const struct probe *const *x = a, *const *y = b;
	return ((*x)->seq > (*y)->seq) - ((*x)->seq < (*y)->seq);
}

static void test_more_lengths_than_queues(void **state)
{
	(void)state;
	struct sleepq_set set;
	sleepq_set_init(&set, &fake_driver, NULL, NULL);
	const int nlens = SLEEPQ_QUEUES + 5;
	struct probe *p = calloc(WAITS, sizeof(*p));
	struct probe **shared = calloc(WAITS, sizeof(*shared));
	assert_non_null(p);
	assert_non_null(shared);
	end_counter = 0;
	int nshared = 0;
	for (int i = 0; i < WAITS; i++) {
		p[i].kind = i % nlens;
		/* Unordered lengths, some repeated. */
		uint64_t len = LEN / 2 + (uint64_t)((p[i].kind * 37) % 11) * 13000;
		add_probe(&set, &p[i], fk.now, len);
		if (p[i].w.q == &set.q[SLEEPQ_QUEUES - 1])
			shared[nshared++] = &p[i];
		fk.now += 997;
	}
	assert_int_equal(set.n, SLEEPQ_QUEUES);
	fire_all();
	assert_ended_in_time(p, WAITS);
	qsort(shared, (size_t)nshared, sizeof(*shared), by_seq);
	int lengths = 0; /* lengths seen in the shared queue */
	for (int i = 1; i < nshared; i++) {
		assert_true(shared[i - 1]->w.due_ns <= shared[i]->w.due_ns);
		lengths += shared[i - 1]->kind != shared[i]->kind;
	}
	assert_true(lengths > 0);
	sleepq_set_fini(&set);
	free(shared);
	free(p);
}

/* Removal: of the head, the middle and the tail, never ended; a wait not
 * queued is a no-op; the queue stays in order. */
static void test_remove(void **state)
{
	(void)state;
	struct sleepq_set set;
	sleepq_set_init(&set, &fake_driver, NULL, NULL);
	struct probe p[6] = { { .w.due_ns = 0 } };
	end_counter = 0;
	for (int i = 0; i < 6; i++)
		add_probe(&set, &p[i], T_START + (uint64_t)i, LEN);
	sleepq_remove(&p[0].w); /* the head: its timer stays, finds nothing due */
	sleepq_remove(&p[3].w);
	sleepq_remove(&p[5].w); /* the tail */
	sleepq_remove(&p[5].w); /* again: a no-op */
	for (int i = 0; i < 6; i++)
		assert_int_equal(sleepq_queued(&p[i].w), !(i == 0 || i == 3 || i == 5));
	fire_all();
	for (int i = 0; i < 6; i++)
		assert_int_equal(p[i].ends, !(i == 0 || i == 3 || i == 5));
	assert_true(p[1].seq < p[2].seq && p[2].seq < p[4].seq);
	assert_true(p[1].ended_at >= p[1].w.due_ns);
	/* A queue emptied by removal takes a new wait and arms for it. */
	struct probe q = { 0 };
	add_probe(&set, &q, fk.now, LEN);
	fire_all();
	assert_int_equal(q.ends, 1);
	sleepq_set_fini(&set);
}

/* A callback removes the batch's last wait (a bounded operation completed
 * by the first): the batch stops before it, the wait never ends, and the
 * waits the callbacks added are left for the next wake-up. */
static struct probe batch[4]; /* the batch of test_remove_batch_end */

static void remove_last_end(void *arg)
{
	probe_end(arg);
	sleepq_remove(&batch[3].w);
}

static void test_remove_batch_end(void **state)
{
	(void)state;
	struct sleepq_set set;
	sleepq_set_init(&set, &fake_driver, NULL, NULL);
	memset(batch, 0, sizeof(batch));
	end_counter = 0;
	assert_int_equal(sleepq_add(&set, &batch[0].w, T_START, LEN, remove_last_end, &batch[0]), 0);
	for (int i = 1; i < 4; i++)
		add_probe(&set, &batch[i], T_START, LEN);
	fk.now = T_START + LEN;
	sleepq_expire(&set.q[0], set.q[0].arm_seq);
	assert_int_equal(batch[0].ends + batch[1].ends + batch[2].ends, 3);
	assert_int_equal(batch[3].ends, 0);
	assert_null(set.q[0].head);
	sleepq_set_fini(&set);
}

/* The warm-up hook: waits are warmed two ahead of their end (the second
 * too on the batch's first turn), and only waits of the batch: up to its
 * last wait queued, due or not (a guess made before the clock is read). */
static int log_ev[MAX_LOG]; /* id: wait id warmed; -1 - id: wait id ended */
static int nlog;

static void log_warm(void *arg)
{
	assert_true(nlog < MAX_LOG);
	log_ev[nlog++] = ((struct probe *)arg)->kind;
}

static void log_end(void *arg)
{
	assert_true(nlog < MAX_LOG);
	log_ev[nlog++] = -1 - ((struct probe *)arg)->kind;
	probe_end(arg);
}

static void test_warm_hook(void **state)
{
	(void)state;
	struct sleepq_set set;
	sleepq_set_init(&set, &fake_driver, NULL, log_warm);
	struct probe p[5] = { { .w.due_ns = 0 } };
	end_counter = 0;
	nlog = 0;
	for (int i = 0; i < 5; i++) {
		p[i].kind = i;
		assert_int_equal(sleepq_add(&set, &p[i].w, T_START + (uint64_t)i, LEN, log_end, &p[i]),
				 0);
	}
	fk.now = T_START + LEN + 2; /* 0, 1, 2 due; 3, 4 not */
	sleepq_expire(&set.q[0], set.q[0].arm_seq);
	/* warm 1 and 2, end 0, warm 3, end 1, warm 4, end 2; 3 not due. */
	const int want[] = { 1, 2, -1, 3, -2, 4, -3 };
	assert_int_equal(nlog, 7);
	for (int i = 0; i < 7; i++)
		assert_int_equal(log_ev[i], want[i]);
	/* A batch of the last two: 4 is warmed on the first turn, nothing after. */
	nlog = 0;
	fk.now = T_START + LEN + 4;
	sleepq_expire(&set.q[0], set.q[0].arm_seq);
	const int want2[] = { 4, -4, -5 };
	assert_int_equal(nlog, 3);
	for (int i = 0; i < 3; i++)
		assert_int_equal(log_ev[i], want2[i]);
	sleepq_set_fini(&set);
}

/* Tear-down with waits queued: dropped (no longer queued), each queue's
 * timer released; a driver that cannot make a timer fails the add. */
static void test_fini_and_init_failure(void **state)
{
	(void)state;
	struct sleepq_set set;
	sleepq_set_init(&set, &fake_driver, NULL, NULL);
	struct probe p[4] = { { .w.due_ns = 0 } };
	for (int i = 0; i < 4; i++)
		add_probe(&set, &p[i], T_START, LEN * (uint64_t)(1 + i % 2));
	sleepq_set_fini(&set);
	assert_int_equal(fk.finis, 2);
	for (int i = 0; i < 4; i++) {
		assert_false(sleepq_queued(&p[i].w));
		assert_int_equal(p[i].ends, 0);
	}
	sleepq_set_init(&set, &fake_driver, NULL, NULL);
	fk.fail_init = 1;
	struct probe f = { 0 };
	assert_int_equal(sleepq_add(&set, &f.w, T_START, LEN, probe_end, &f), -1);
	assert_int_equal(set.n, 0);
	fk.fail_init = 0;
	add_probe(&set, &f, T_START, LEN); /* the set is still usable */
	fire_all();
	assert_int_equal(f.ends, 1);
	sleepq_set_fini(&set);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_one_length, setup),
		cmocka_unit_test_setup(test_several_lengths, setup),
		cmocka_unit_test_setup(test_out_of_order, setup),
		cmocka_unit_test_setup(test_stale_timer, setup),
		cmocka_unit_test_setup(test_never_early, setup),
		cmocka_unit_test_setup(test_clock_moves_in_batch, setup),
		cmocka_unit_test_setup(test_chain_from_callback, setup),
		cmocka_unit_test_setup(test_more_lengths_than_queues, setup),
		cmocka_unit_test_setup(test_remove, setup),
		cmocka_unit_test_setup(test_remove_batch_end, setup),
		cmocka_unit_test_setup(test_warm_hook, setup),
		cmocka_unit_test_setup(test_fini_and_init_failure, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
