/*
 * test_memcg.c - kernel memory on a cgroup v2 hierarchy (harness/runtime/
 * memcg.c), on a folder of fixture files through the test-only root
 * (memcg_attach_v2): this machine's memory controller is on cgroup v1, and a
 * controller lives on one hierarchy only.  A run's kernel figure is a peak:
 * with memory.peak, the group's peak less the user part at the clock's stop
 * (in-flight socket buffers a drained run no longer holds at its stop are
 * counted), never below the samples; without it, memory.stat sampled
 * through the run by the sampler thread, whose peak between two samples at
 * the start and stop is kept; a kernel without the "kernel" line sums its
 * parts; a group whose memory.stat cannot be read is "not measured" (-1).
 * No timing is asserted: the sampler test waits on its sample count.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "../harness/runtime/memcg.h"

#define KIB 1024ULL
#define WAIT_SAMPLES_MAX 20000 /* 1 ms steps: the sampler takes one every 5 ms */

/* A fixture folder for one test. */
struct fixture {
	char dir[64]; /* mkdtemp's */
};

/* put - write text to dir/name through a temporary file and rename, so the
 * sampler never reads half a file. */
static void put(const struct fixture *fx, const char *name, const char *text)
{
	char tmp[128], path[128];
	snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", fx->dir, name);
	snprintf(path, sizeof(path), "%s/%s", fx->dir, name);
	FILE *f = fopen(tmp, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(rename(tmp, path), 0);
}

/* stat_text - a memory.stat with these kernel and user parts, in bytes. */
static void put_stat(const struct fixture *fx, uint64_t kernel, uint64_t sock, uint64_t anon)
{
	char text[256];
	snprintf(text, sizeof(text),
		 "anon %llu\nfile 0\nkernel %llu\nkernel_stack 1\npagetables 2\nsock %llu\n",
		 (unsigned long long)anon, (unsigned long long)kernel, (unsigned long long)sock);
	put(fx, "memory.stat", text);
	snprintf(text, sizeof(text), "%llu\n", (unsigned long long)(anon + kernel + sock));
	put(fx, "memory.current", text);
}

static int fx_setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	assert_non_null(fx);
	snprintf(fx->dir, sizeof(fx->dir), "%s/tvsa-memcg.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	assert_non_null(mkdtemp(fx->dir));
	*state = fx;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fixture *fx = *state;
	const char *names[] = { "memory.stat", "memory.current", "memory.peak" };
	char path[128];
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", fx->dir, names[i]);
		unlink(path);
	}
	rmdir(fx->dir);
	free(fx);
	return 0;
}

/* attach - a struct memcg on the fixture folder, as memcg_enter leaves it. */
static void attach(struct memcg *m, const struct fixture *fx)
{
	memset(m, 0, sizeof(*m));
	memcg_attach_v2(m, fx->dir);
	assert_int_equal(m->source, MEMCG_V2);
	assert_string_equal(memcg_source_name(m->source), "cgroup-v2");
}

/* memory.peak: the peak less the user part at the stop, 12 MiB of socket
 * buffers in flight between two samples that saw 1 MiB of kernel memory. */
static void test_peak_counts_what_the_samples_missed(void **state)
{
	struct fixture *fx = *state;
	struct memcg m;
	put_stat(fx, 1024 * KIB, 0, 4096 * KIB);
	put(fx, "memory.peak", "18874368\n"); /* 18 MiB: 5 MiB user + 13 MiB kernel */
	attach(&m, fx);
	assert_true(m.has_peak);
	assert_string_equal(memcg_peak_how(&m), "memory.peak");
	memcg_sample(&m); /* the clock's start */
	put_stat(fx, 1024 * KIB, 0, 5120 * KIB);
	memcg_sample(&m); /* its stop: drained, user 5 MiB */
	assert_int_equal(memcg_kernel_kib(&m), 13 * 1024);
}

/* A peak that reads lower than a sample (user memory freed before the stop)
 * never takes the figure under what the samples saw. */
static void test_peak_never_below_samples(void **state)
{
	struct fixture *fx = *state;
	struct memcg m;
	put_stat(fx, 3072 * KIB, 512 * KIB, 4096 * KIB);
	put(fx, "memory.peak", "8388608\n"); /* 8 MiB */
	attach(&m, fx);
	memcg_sample(&m);
	put_stat(fx, 1024 * KIB, 0, 6144 * KIB);
	memcg_sample(&m); /* 8 MiB - 6 MiB user = 2 MiB < the 3.5 MiB sampled */
	assert_int_equal(memcg_kernel_kib(&m), 3584);
}

/* Without memory.peak, the sampler thread sees a peak between the start and
 * stop samples. */
static void test_sampler_sees_the_peak(void **state)
{
	struct fixture *fx = *state;
	struct memcg m;
	put_stat(fx, 1024 * KIB, 0, 4096 * KIB);
	attach(&m, fx);
	assert_false(m.has_peak);
	assert_string_equal(memcg_peak_how(&m), "sampled");
	memcg_sample(&m);
	memcg_sampler_start(&m);
	assert_true(m.sampling);
	const struct timespec ms = { 0, 1000000L };
	uint64_t s0 = atomic_load(&m.samples);
	put_stat(fx, 9 * 1024 * KIB, 3 * 1024 * KIB, 4096 * KIB); /* 12 MiB in flight */
	for (int i = 0; i < WAIT_SAMPLES_MAX && atomic_load(&m.samples) < s0 + 2; i++)
		nanosleep(&ms, NULL);
	assert_true(atomic_load(&m.samples) >= s0 + 2);
	put_stat(fx, 1024 * KIB, 0, 4096 * KIB); /* drained at the stop */
	memcg_sampler_stop(&m);
	assert_false(m.sampling);
	memcg_sample(&m);
	assert_int_equal(memcg_kernel_kib(&m), 12 * 1024);
}

/* A kernel without memory.stat's "kernel" line: its parts summed. */
static void test_parts_without_the_kernel_line(void **state)
{
	struct fixture *fx = *state;
	struct memcg m;
	put(fx, "memory.stat", "anon 4096\nkernel_stack 1024\npagetables 2048\npercpu 1024\n"
			       "slab 3072\nvmalloc 1024\nsock 2048\n");
	put(fx, "memory.current", "14336\n");
	attach(&m, fx);
	memcg_sample(&m);
	assert_int_equal(memcg_kernel_kib(&m), 10);
}

/* A group whose memory.stat cannot be read: not measured, never 0. */
static void test_unreadable_is_not_measured(void **state)
{
	struct fixture *fx = *state;
	struct memcg m;
	attach(&m, fx);
	memcg_sample(&m);
	assert_int_equal(memcg_kernel_kib(&m), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_peak_counts_what_the_samples_missed, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_peak_never_below_samples, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_sampler_sees_the_peak, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_parts_without_the_kernel_line, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_unreadable_is_not_measured, fx_setup,
						fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
