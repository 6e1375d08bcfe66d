/*
 * hist.c - percentiles and merging for the log-linear histogram (hist.h).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "hist.h"

void hist_reset(struct hist *h)
{
	memset(h, 0, sizeof(*h));
}

void hist_finish_shared(struct hist *h)
{
	uint64_t n = 0;
	for (unsigned i = 0; i < HIST_BUCKETS; i++)
		n += h->counts[i];
	h->total = n;
	if (n == 0)
		h->min_ns = 0; /* hist_init_shared's top: no sample, no minimum */
}

void hist_merge(struct hist *dst, const struct hist *src)
{
	if (src->total == 0)
		return;
	if (dst->total == 0 || src->min_ns < dst->min_ns)
		dst->min_ns = src->min_ns;
	if (src->max_ns > dst->max_ns)
		dst->max_ns = src->max_ns;
	dst->total += src->total;
	dst->sum_ns += src->sum_ns;
	dst->clamped += src->clamped;
	for (unsigned i = 0; i < HIST_BUCKETS; i++)
		dst->counts[i] += src->counts[i];
}

uint64_t hist_bucket_low(unsigned i)
{
	if (i < HIST_LINEAR_MAX)
		return i;
	unsigned octave = (i - HIST_LINEAR_MAX) / HIST_SUB_BUCKETS; /* 0: [128, 256) */
	unsigned sub = (i - HIST_LINEAR_MAX) % HIST_SUB_BUCKETS;
	unsigned shift = octave + 1;
	return (uint64_t)(HIST_SUB_BUCKETS + sub) << shift;
}

uint64_t hist_bucket_width(unsigned i)
{
	if (i < HIST_LINEAR_MAX)
		return 1;
	return 1ULL << ((i - HIST_LINEAR_MAX) / HIST_SUB_BUCKETS + 1);
}

uint64_t hist_percentile(const struct hist *h, double q)
{
	if (h->total == 0)
		return 0;
	if (q >= 1.0)
		return h->max_ns;
	uint64_t rank = (uint64_t)ceil(q * (double)h->total);
	if (rank < 1)
		rank = 1;
	uint64_t seen = 0;
	for (unsigned i = 0; i < HIST_BUCKETS; i++) {
		seen += h->counts[i];
		if (seen >= rank) {
			uint64_t v = hist_bucket_low(i) + hist_bucket_width(i) / 2;
			if (v < h->min_ns)
				v = h->min_ns;
			if (v > h->max_ns)
				v = h->max_ns;
			return v;
		}
	}
	return h->max_ns;
}

double hist_mean_ns(const struct hist *h)
{
	return h->total ? (double)h->sum_ns / (double)h->total : 0.0;
}

int hist_export(const struct hist *h, char *buf, size_t len)
{
	int n = snprintf(buf, len,
			 "{\"unit\":\"ns\",\"sub_bucket_bits\":%u,\"buckets\":%u,\"total\":%llu,"
			 "\"min_ns\":%llu,\"max_ns\":%llu,\"sum_ns\":%llu,\"clamped\":%llu,"
			 "\"counts\":[",
			 HIST_SUB_BITS, HIST_BUCKETS, (unsigned long long)h->total,
			 (unsigned long long)(h->total ? h->min_ns : 0),
			 (unsigned long long)h->max_ns, (unsigned long long)h->sum_ns,
			 (unsigned long long)h->clamped);
	if (n < 0 || (size_t)n >= len)
		return -1;
	size_t o = (size_t)n;
	const char *sep = "";
	for (unsigned i = 0; i < HIST_BUCKETS; i++) {
		if (!h->counts[i])
			continue;
		n = snprintf(buf + o, len - o, "%s%u,%u", sep, i, (unsigned)h->counts[i]);
		if (n < 0 || (size_t)n >= len - o)
			return -1;
		o += (size_t)n;
		sep = ",";
	}
	if (len - o < 3)
		return -1;
	memcpy(buf + o, "]}", 3);
	return (int)(o + 2);
}
