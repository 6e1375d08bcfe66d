/*
 * test_workloads.c - the shared definition of work: kernel determinism, the
 * order independence of the checksum fold, and a sane registry.
 */
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../workloads/cpu_hash.h"
#include "../workloads/workload.h"

/* Same input, same output; different seeds or rounds, different output. */
static void test_kernel_deterministic(void **state)
{
	(void)state;
	for (uint64_t seed = 0; seed < 50; seed++) {
		assert_true(cpu_hash_kernel(seed, 100) == cpu_hash_kernel(seed, 100));
		assert_true(cpu_hash_kernel(seed, 100) != cpu_hash_kernel(seed + 1, 100));
		assert_true(cpu_hash_kernel(seed, 100) != cpu_hash_kernel(seed, 101));
	}
	assert_true(cpu_hash_kernel(42, 0) == 42);
}

/* Known answers pin the kernel: changing it changes every checksum ever
 * recorded, so it must be a deliberate edit of these values too.  They were
 * computed once from workloads/cpu_hash.c (the same at -O0 and -O2) and are
 * typed in here, so a changed kernel fails this test. */
static void test_kernel_known_answer(void **state)
{
	(void)state;
	static const struct {
		uint64_t seed, rounds, want;
	} known[] = {
		{ 0, 1, 0x119d25ee923d2eaaULL },
		{ 1, 1, 0xe16aee3ab3c6af59ULL },
		{ 1, 2, 0x8d6b57be52ed774bULL }, /* round 2 hashes round 1's digest */
		{ 42, 900, 0xc5b269f27d2b83aeULL }, /* the default rounds */
		{ 123456789, 10, 0x4e6f50418b78f269ULL },
	};
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		assert_true(cpu_hash_kernel(known[i].seed, known[i].rounds) == known[i].want);
}

/* The checksum is a wrapping sum: any completion order gives one value, and
 * a result moved to another task changes it. */
static void test_fold_order_independent(void **state)
{
	(void)state;
	enum { N = 1000 };
	uint64_t fwd = 0, rev = 0, strided = 0, swapped = 0;
	for (uint64_t i = 0; i < N; i++)
		fwd += wl_fold(i, cpu_hash_kernel(i, 3));
	for (uint64_t i = N; i-- > 0;)
		rev += wl_fold(i, cpu_hash_kernel(i, 3));
	for (uint64_t s = 0; s < 7; s++)
		for (uint64_t i = s; i < N; i += 7)
			strided += wl_fold(i, cpu_hash_kernel(i, 3));
	assert_true(fwd == rev);
	assert_true(fwd == strided);
	for (uint64_t i = 0; i < N; i++) {
		uint64_t j = i < 2 ? 1 - i : i; /* tasks 0 and 1 swap results */
		swapped += wl_fold(i, cpu_hash_kernel(j, 3));
	}
	assert_true(fwd != swapped);
}

static void test_registry(void **state)
{
	(void)state;
	assert_true(wl_registry_len >= 1);
	for (size_t i = 0; i < wl_registry_len; i++) {
		const struct wl_info *w = wl_registry[i];
		assert_non_null(w->name);
		assert_true(isalpha((unsigned char)w->name[0]) || w->name[0] == '_');
		for (const char *p = w->name; *p; p++)
			assert_true(isalnum((unsigned char)*p) || *p == '_');
		assert_int_equal(wl_find(w->name), (int)i);
		assert_non_null(w->summary);
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(wl_registry[j]->name, w->name);
	}
	assert_int_equal(wl_find("no_such_workload"), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kernel_deterministic),
		cmocka_unit_test(test_kernel_known_answer),
		cmocka_unit_test(test_fold_order_independent),
		cmocka_unit_test(test_registry),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
