/*
 * test_hist.c - the latency histogram against exact percentiles of sorted
 * random samples, across the whole promised range (1 us .. 100 s).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <math.h>
#include <pthread.h>

#include "../harness/runtime/hist.h"

#define SAMPLES 200000       /* random samples per distribution */
#define MAX_REL_ERR 0.01     /* promised: 1% */
#define RANGE_LO_NS 1000.0   /* 1 us */
#define RANGE_HI_NS 1e11     /* 100 s */

static uint64_t rng_state = 0x853c49e6748fea9bULL;

static uint64_t rng(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static double unit(void)
{
	return (double)(rng() >> 11) / 9007199254740992.0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* exact - the value at quantile q of sorted v, with hist_percentile's rank rule. */
static uint64_t exact(const uint64_t *v, size_t n, double q)
{
	size_t rank = (size_t)ceil(q * (double)n);
	if (rank < 1)
		rank = 1;
	return v[rank - 1];
}

static void check_against_sorted(uint64_t *v, size_t n)
{
	struct hist *h = calloc(1, sizeof(*h));
	assert_non_null(h);
	for (size_t i = 0; i < n; i++)
		hist_record(h, v[i]);
	qsort(v, n, sizeof(*v), cmp_u64);
	static const double qs[] = { 0.0001, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 0.999, 0.9999 };
	for (size_t i = 0; i < sizeof(qs) / sizeof(qs[0]); i++) {
		double want = (double)exact(v, n, qs[i]);
		double got = (double)hist_percentile(h, qs[i]);
		double rel = fabs(got - want) / want;
		if (rel > MAX_REL_ERR)
			fail_msg("q=%g: got %.0f want %.0f (rel err %.4f)", qs[i], got, want, rel);
	}
	assert_int_equal(hist_percentile(h, 1.0), v[n - 1]);
	assert_int_equal(h->min_ns, v[0]);
	assert_int_equal(h->total, n);
	free(h);
}

/* Log-uniform over the whole range: every octave is exercised. */
static void test_log_uniform(void **state)
{
	(void)state;
	uint64_t *v = malloc(SAMPLES * sizeof(*v));
	assert_non_null(v);
	double lo = log(RANGE_LO_NS), hi = log(RANGE_HI_NS);
	for (size_t i = 0; i < SAMPLES; i++)
		v[i] = (uint64_t)exp(lo + (hi - lo) * unit());
	check_against_sorted(v, SAMPLES);
	free(v);
}

/* A tight latency cluster with a long tail, like a real run. */
static void test_clustered_with_tail(void **state)
{
	(void)state;
	uint64_t *v = malloc(SAMPLES * sizeof(*v));
	assert_non_null(v);
	for (size_t i = 0; i < SAMPLES; i++) {
		double base = 50000.0 + 2000.0 * unit();
		v[i] = (uint64_t)(i % 100 == 0 ? base * (1 + 400 * unit()) : base);
	}
	check_against_sorted(v, SAMPLES);
	free(v);
}

/* Small values (< 128 ns) are recorded exactly. */
static void test_exact_small(void **state)
{
	(void)state;
	struct hist *h = calloc(1, sizeof(*h));
	for (uint64_t x = 0; x < HIST_LINEAR_MAX; x++)
		hist_record(h, x);
	assert_int_equal(hist_percentile(h, 0.5), HIST_LINEAR_MAX / 2 - 1);
	assert_int_equal(h->min_ns, 0);
	free(h);
}

/* Every bucket's bounds map back to it, and no bucket is wider than 1/64. */
static void test_bucket_geometry(void **state)
{
	(void)state;
	for (unsigned i = 0; i < HIST_BUCKETS; i++) {
		uint64_t lo = hist_bucket_low(i), w = hist_bucket_width(i);
		assert_int_equal(hist_index(lo), i);
		assert_int_equal(hist_index(lo + w - 1), i);
		if (i + 1 < HIST_BUCKETS)
			assert_int_equal(hist_bucket_low(i + 1), lo + w);
		if (i >= HIST_LINEAR_MAX)
			assert_true(w * HIST_SUB_BUCKETS <= lo);
	}
	/* 100 s is inside the range, not clamped. */
	assert_true(hist_index(100000000000ULL) < HIST_BUCKETS - 1);
}

/* Merging per-thread histograms equals recording everything in one. */
static void test_merge(void **state)
{
	(void)state;
	struct hist *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	struct hist *all = calloc(1, sizeof(*all)), *empty = calloc(1, sizeof(*empty));
	for (int i = 0; i < 10000; i++) {
		uint64_t x = rng() % 10000000;
		hist_record(i % 3 ? a : b, x);
		hist_record(all, x);
	}
	hist_merge(a, b);
	hist_merge(a, empty);
	assert_memory_equal(a, all, sizeof(*a));
	hist_merge(empty, all);
	assert_memory_equal(empty, all, sizeof(*all));
	free(a);
	free(b);
	free(all);
	free(empty);
}

static void test_empty_and_clamp(void **state)
{
	(void)state;
	struct hist *h = calloc(1, sizeof(*h));
	assert_int_equal(hist_percentile(h, 0.99), 0);
	assert_true(hist_mean_ns(h) == 0.0);
	hist_record(h, UINT64_MAX / 2);
	assert_int_equal(h->clamped, 1);
	assert_int_equal(hist_percentile(h, 0.5), UINT64_MAX / 2);
	hist_reset(h);
	assert_int_equal(h->total, 0);
	free(h);
}

/* The shared recorder: threads writing one histogram at once lose nothing,
 * and it ends up equal to one filled by a single thread (counts, sum, min,
 * max, clamped). */
#define SHARED_THREADS 4
#define SHARED_PER_THREAD 200000

struct shared_arg {
	struct hist *h; /* the shared histogram */
	uint64_t seed;  /* the thread's values */
};

static uint64_t shared_value(uint64_t seed, uint64_t i)
{
	uint64_t x = (seed * SHARED_PER_THREAD + i) * 0x9E3779B97F4A7C15ULL;
	return (x >> 40) + 50; /* 50 ns to ~16 ms */
}

static void *shared_writer(void *p)
{
	struct shared_arg *a = p;
	for (uint64_t i = 0; i < SHARED_PER_THREAD; i++)
		hist_record_shared(a->h, shared_value(a->seed, i));
	if (a->seed == 0)
		hist_record_shared(a->h, UINT64_MAX / 2);
	return NULL;
}

static void test_shared(void **state)
{
	(void)state;
	struct hist *h = calloc(1, sizeof(*h));
	struct hist *ref = calloc(1, sizeof(*ref));
	hist_init_shared(h);
	pthread_t t[SHARED_THREADS];
	struct shared_arg args[SHARED_THREADS];
	for (int i = 0; i < SHARED_THREADS; i++) {
		args[i] = (struct shared_arg){ h, (uint64_t)i };
		assert_int_equal(pthread_create(&t[i], NULL, shared_writer, &args[i]), 0);
	}
	for (int i = 0; i < SHARED_THREADS; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	for (uint64_t s = 0; s < SHARED_THREADS; s++)
		for (uint64_t i = 0; i < SHARED_PER_THREAD; i++)
			hist_record(ref, shared_value(s, i));
	hist_record(ref, UINT64_MAX / 2);
	hist_finish_shared(h);
	assert_memory_equal(h, ref, sizeof(*h));
	/* An unused shared histogram merges as empty. */
	struct hist *none = calloc(1, sizeof(*none));
	struct hist *dst = calloc(1, sizeof(*dst));
	hist_init_shared(none);
	hist_finish_shared(none);
	hist_merge(dst, none);
	assert_int_equal(dst->total, 0);
	assert_int_equal(dst->min_ns, 0);
	free(h);
	free(ref);
	free(none);
	free(dst);
}

/* parse_export - the histogram an exported line describes (the fields the
 * sweep reads), so the export can be checked against the one it came from. */
static void parse_export(const char *text, struct hist *out)
{
	unsigned long long total, min, max, sum, clamped;
	unsigned bits, buckets;
	int used = 0;
	memset(out, 0, sizeof(*out));
	assert_int_equal(sscanf(text,
				"{\"unit\":\"ns\",\"sub_bucket_bits\":%u,\"buckets\":%u,"
				"\"total\":%llu,\"min_ns\":%llu,\"max_ns\":%llu,\"sum_ns\":%llu,"
				"\"clamped\":%llu,\"counts\":[%n",
				&bits, &buckets, &total, &min, &max, &sum, &clamped, &used),
			 7);
	assert_int_equal(bits, HIST_SUB_BITS);
	assert_int_equal(buckets, HIST_BUCKETS);
	out->total = total;
	out->min_ns = min;
	out->max_ns = max;
	out->sum_ns = sum;
	out->clamped = clamped;
	const char *p = text + used;
	long last = -1;
	while (*p != ']') {
		unsigned i, c;
		int n = 0;
		assert_int_equal(sscanf(p, "%u,%u%n", &i, &c, &n), 2);
		assert_true(i < HIST_BUCKETS && (long)i > last && c > 0); /* nonzero, in order */
		out->counts[i] = c;
		last = i;
		p += n;
		if (*p == ',')
			p++;
	}
	assert_string_equal(p, "]}");
}

/* The export: what it writes reads back into the same histogram, an empty
 * one too; the worst case fits HIST_EXPORT_MAX; a short buffer is refused. */
static void test_export(void **state)
{
	(void)state;
	struct hist *h = calloc(1, sizeof(*h)), *back = calloc(1, sizeof(*back));
	char *buf = malloc(HIST_EXPORT_MAX);
	assert_true(h && back && buf);
	int n = hist_export(h, buf, HIST_EXPORT_MAX);
	assert_true(n > 0 && (size_t)n == strlen(buf));
	parse_export(buf, back);
	assert_memory_equal(h, back, sizeof(*h));
	for (uint64_t i = 0; i < 100000; i++)
		hist_record(h, 1000 + (rng() % 5000000));
	hist_record(h, 3);
	hist_record(h, UINT64_MAX / 2); /* clamped into the last bucket */
	n = hist_export(h, buf, HIST_EXPORT_MAX);
	assert_true(n > 0 && (size_t)n == strlen(buf));
	parse_export(buf, back);
	assert_memory_equal(h, back, sizeof(*h));
	assert_int_equal(hist_export(h, buf, (size_t)n), -1); /* no room for the NUL */
	assert_int_equal(hist_export(h, buf, 40), -1);
	for (unsigned i = 0; i < HIST_BUCKETS; i++) /* every bucket at the 32-bit top */
		h->counts[i] = UINT32_MAX;
	h->total = h->sum_ns = h->max_ns = h->min_ns = h->clamped = UINT64_MAX;
	n = hist_export(h, buf, HIST_EXPORT_MAX);
	assert_true(n > 0 && (size_t)n < HIST_EXPORT_MAX);
	free(h);
	free(back);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_log_uniform),
		cmocka_unit_test(test_clustered_with_tail),
		cmocka_unit_test(test_exact_small),
		cmocka_unit_test(test_bucket_geometry),
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_empty_and_clamp),
		cmocka_unit_test(test_shared),
		cmocka_unit_test(test_export),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
