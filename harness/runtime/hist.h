/*
 * hist.h - a log-linear latency histogram in the HdrHistogram manner.
 *
 * Values are nanoseconds.  Below HIST_LINEAR_MAX every value has its own
 * bucket (exact); above, each power of two is split into HIST_SUB_BUCKETS
 * equal buckets, so a bucket is at most 1/64 of its lower bound wide and
 * reporting its midpoint is within 1/128 (0.8%) of any value in it.  The
 * range is 1 ns to 2^HIST_MAX_BITS ns (about 36 minutes); larger values are
 * clamped into the last bucket and counted in `clamped`.
 *
 * Memory is constant (about 9 KiB), recording is a few instructions with no
 * allocation and no atomics: give every loop its own histogram and merge
 * them at the end.  Where threads outnumber CPUs (the threads model), one
 * per CPU written with hist_record_shared: one per thread would put the
 * harness's memory into the model's RSS.  A zero-filled struct is an empty
 * histogram (hist_init_shared for a shared one).
 */
#ifndef HIST_H
#define HIST_H

#include <stdint.h>

#define HIST_SUB_BITS 6                         /* 64 buckets per power of two */
#define HIST_SUB_BUCKETS (1u << HIST_SUB_BITS)  /* buckets in each octave */
#define HIST_LINEAR_MAX (2u * HIST_SUB_BUCKETS) /* values below are exact */
#define HIST_MAX_BITS 41                        /* top of range: 2^41 ns */
#define HIST_BUCKETS (HIST_LINEAR_MAX + (HIST_MAX_BITS - HIST_SUB_BITS - 1) * HIST_SUB_BUCKETS)

struct hist {
	uint64_t total;   /* samples recorded */
	uint64_t sum_ns;  /* their sum, for the exact mean */
	uint64_t min_ns;  /* smallest sample (valid when total > 0) */
	uint64_t max_ns;  /* largest sample, exact */
	uint64_t clamped; /* samples above the range, counted in the last bucket */
	uint32_t counts[HIST_BUCKETS]; /* per bucket; runs are capped at 2^32-1 tasks */
};

/* hist_index - bucket of value v (ns).  Cost: one clz and a few ALU ops. */
static inline unsigned hist_index(uint64_t v)
{
	if (v < HIST_LINEAR_MAX)
		return (unsigned)v;
	unsigned msb = 63u - (unsigned)__builtin_clzll(v); /* >= HIST_SUB_BITS + 1 */
	if (msb >= HIST_MAX_BITS)
		return HIST_BUCKETS - 1;
	unsigned shift = msb - HIST_SUB_BITS;
	unsigned sub = (unsigned)(v >> shift) - HIST_SUB_BUCKETS;
	return HIST_LINEAR_MAX + (msb - HIST_SUB_BITS - 1) * HIST_SUB_BUCKETS + sub;
}

/* hist_record - add one sample of v nanoseconds.  Cost: tens of ns at most,
 * no allocation, no atomics; not thread-safe (one histogram per thread). */
static inline void hist_record(struct hist *h, uint64_t v)
{
	if (h->total == 0 || v < h->min_ns)
		h->min_ns = v;
	if (v > h->max_ns)
		h->max_ns = v;
	if (v >> HIST_MAX_BITS)
		h->clamped++;
	h->total++;
	h->sum_ns += v;
	h->counts[hist_index(v)]++;
}

/*
 * hist_record_shared - hist_record for a histogram that several threads may
 * write at once (the threads model keeps one per CPU, not one per thread, so
 * the harness's memory does not grow with -c).  Relaxed atomic adds, and a
 * compare-and-swap only when v is a new minimum or maximum; the threads
 * sharing one are those of one CPU, which run one at a time, so the cache
 * lines stay on that CPU.  `total` is not kept while recording (one atomic
 * add less: 21 ns of CPU per call with sched_getcpu, against 28): readers
 * call hist_finish_shared once every writer is done.
 */
static inline void hist_record_shared(struct hist *h, uint64_t v)
{
	uint64_t cur = __atomic_load_n(&h->min_ns, __ATOMIC_RELAXED);
	while (v < cur && !__atomic_compare_exchange_n(&h->min_ns, &cur, v, 1, __ATOMIC_RELAXED,
						       __ATOMIC_RELAXED))
		;
	cur = __atomic_load_n(&h->max_ns, __ATOMIC_RELAXED);
	while (v > cur && !__atomic_compare_exchange_n(&h->max_ns, &cur, v, 1, __ATOMIC_RELAXED,
						       __ATOMIC_RELAXED))
		;
	if (v >> HIST_MAX_BITS)
		__atomic_fetch_add(&h->clamped, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&h->sum_ns, v, __ATOMIC_RELAXED);
	__atomic_fetch_add(&h->counts[hist_index(v)], 1, __ATOMIC_RELAXED);
}

/* hist_init_shared - an empty histogram for hist_record_shared: its minimum
 * starts at the top (no first-sample test under concurrency).  Touches one
 * page. */
static inline void hist_init_shared(struct hist *h)
{
	h->min_ns = UINT64_MAX;
}

/* hist_reset - make h empty again.  Writes all of it (about 9 KiB). */
void hist_reset(struct hist *h);

/* hist_finish_shared - after the last hist_record_shared: count the samples
 * into total, so h reads and merges like any histogram.  Cost: one pass. */
void hist_finish_shared(struct hist *h);

/* hist_merge - add every sample of src to dst.  Cost: one pass over buckets. */
void hist_merge(struct hist *dst, const struct hist *src);

/*
 * hist_percentile - the value at quantile q (0 < q <= 1, e.g. 0.99): the
 * smallest recorded value v such that at least q of the samples are <= v,
 * reported as its bucket's midpoint (exact below HIST_LINEAR_MAX) and
 * clamped to [min, max].  Returns 0 for an empty histogram.
 * Cost: one pass over the buckets.
 */
uint64_t hist_percentile(const struct hist *h, double q);

/* hist_mean_ns - exact mean of the samples, 0 when empty. */
double hist_mean_ns(const struct hist *h);

/* hist_bucket_low / hist_bucket_width - bounds of bucket i, for tests. */
uint64_t hist_bucket_low(unsigned i);
uint64_t hist_bucket_width(unsigned i);

/* The longest text hist_export writes: its fixed fields, and every bucket
 * as a ten-digit index and a ten-digit count (counts are 32-bit). */
#define HIST_EXPORT_MAX (256 + HIST_BUCKETS * 22)

/*
 * hist_export - h as one JSON object, no newline, for tools outside this
 * program (the sweep merges a point's runs and writes HdrHistogram's .hgrm):
 *   {"unit":"ns","sub_bucket_bits":6,"buckets":2304,"total":N,"min_ns":..,
 *    "max_ns":..,"sum_ns":..,"clamped":..,"counts":[i,c,i,c,...]}
 * counts lists the nonzero buckets only, as index and count pairs in index
 * order; sub_bucket_bits and buckets say the layout (hist_bucket_low).
 * The layout is HdrHistogram's with 1 ns units, 2^(sub_bucket_bits + 1)
 * sub-buckets and HIST_MAX_BITS - sub_bucket_bits buckets.  Writes at most
 * len bytes with the terminating NUL; returns the length, or -1 when len is
 * below what h needs (HIST_EXPORT_MAX is always enough).  Cost: one pass
 * over the buckets; no allocation.
 */
int hist_export(const struct hist *h, char *buf, size_t len);

#endif
