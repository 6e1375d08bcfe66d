/*
 * coro.c - the coroutine core (see coro.h): the switch, the stacks and the
 * guard-page fault handler.
 *
 * The switch is a dozen instructions of assembly per architecture: push the
 * callee-saved registers on the running stack, store the stack pointer, load
 * the other one, pop, return into it.  Everything the C ABI lets a call
 * clobber is already saved by the compiler around the call.  A new coroutine's
 * stack is laid out as if it had switched out at the start of coro_entry.
 */
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "coro.h"

#if defined(__SANITIZE_ADDRESS__)
#define CORO_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CORO_ASAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define CORO_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define CORO_TSAN 1
#endif
#endif
#ifdef CORO_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif
#ifdef CORO_TSAN
#include <sanitizer/tsan_interface.h>
#endif

#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102 /* Linux 6.13: guard pages without a VMA of their own */
#endif
#define CORO_MAX_BLOCKS 2048      /* stack blocks the fault handler knows at once */
#define CORO_ALTSTACK_BYTES 65536 /* the signal stack of each loop thread */

/* tvsa_coro_switch - save the running context's stack pointer in *save and
 * continue the one whose stack pointer is `to`.  Returns when someone
 * switches back. */
void tvsa_coro_switch(void **save, void *to) __attribute__((visibility("hidden")));

#if defined(__x86_64__)
__asm__(".text\n"
	".globl tvsa_coro_switch\n"
	".hidden tvsa_coro_switch\n"
	".type tvsa_coro_switch,@function\n"
	"tvsa_coro_switch:\n"
	"	pushq %rbp\n"
	"	pushq %rbx\n"
	"	pushq %r12\n"
	"	pushq %r13\n"
	"	pushq %r14\n"
	"	pushq %r15\n"
	"	movq %rsp, (%rdi)\n"
	"	movq %rsi, %rsp\n"
	"	popq %r15\n"
	"	popq %r14\n"
	"	popq %r13\n"
	"	popq %r12\n"
	"	popq %rbx\n"
	"	popq %rbp\n"
	"	ret\n"
	".size tvsa_coro_switch,.-tvsa_coro_switch\n");
#define CORO_SAVED_WORDS 6 /* rbp rbx r12-r15 */
#elif defined(__aarch64__)
__asm__(".text\n"
	".globl tvsa_coro_switch\n"
	".hidden tvsa_coro_switch\n"
	".type tvsa_coro_switch,%function\n"
	"tvsa_coro_switch:\n"
	"	sub sp, sp, #160\n"
	"	stp x19, x20, [sp, #0]\n"
	"	stp x21, x22, [sp, #16]\n"
	"	stp x23, x24, [sp, #32]\n"
	"	stp x25, x26, [sp, #48]\n"
	"	stp x27, x28, [sp, #64]\n"
	"	stp x29, x30, [sp, #80]\n"
	"	stp d8, d9, [sp, #96]\n"
	"	stp d10, d11, [sp, #112]\n"
	"	stp d12, d13, [sp, #128]\n"
	"	stp d14, d15, [sp, #144]\n"
	"	mov x9, sp\n"
	"	str x9, [x0]\n"
	"	mov sp, x1\n"
	"	ldp x19, x20, [sp, #0]\n"
	"	ldp x21, x22, [sp, #16]\n"
	"	ldp x23, x24, [sp, #32]\n"
	"	ldp x25, x26, [sp, #48]\n"
	"	ldp x27, x28, [sp, #64]\n"
	"	ldp x29, x30, [sp, #80]\n"
	"	ldp d8, d9, [sp, #96]\n"
	"	ldp d10, d11, [sp, #112]\n"
	"	ldp d12, d13, [sp, #128]\n"
	"	ldp d14, d15, [sp, #144]\n"
	"	add sp, sp, #160\n"
	"	ret\n"
	".size tvsa_coro_switch,.-tvsa_coro_switch\n");
#define CORO_SAVED_WORDS 20 /* x19-x30, d8-d15 */
#define CORO_LR_WORD 11     /* x30, the address `ret` goes to */
#else
#error "impl_green/coro.c: the context switch is written for x86-64 and aarch64 only"
#endif

static _Thread_local struct coro *current; /* the running coroutine, or NULL */

/* One registered stack block, for the fault handler (plain words it can read). */
struct guard_block {
	_Atomic(uintptr_t) base; /* start of the mapping; 0: a free entry */
	uintptr_t end;           /* one past its end */
	uintptr_t slot;          /* bytes per coroutine (guard + stack) */
};

static struct guard_block guard_blocks[CORO_MAX_BLOCKS]; /* the registered blocks */
static const char *guard_line;                          /* what an overflow writes */
static void (*guard_then)(void);                        /* then this, then exit 3 */
static _Thread_local void *alt_stack;                   /* this thread's signal stack */

/* in_guard - 1 if address a is in a guard page of a registered block. */
static int in_guard(uintptr_t a)
{
	for (size_t i = 0; i < CORO_MAX_BLOCKS; i++) {
		uintptr_t b = atomic_load_explicit(&guard_blocks[i].base, memory_order_acquire);
		if (b && a >= b && a < guard_blocks[i].end &&
		    (a - b) % guard_blocks[i].slot < CORO_GUARD_BYTES)
			return 1;
	}
	return 0;
}

/* segv_cb - SIGSEGV: a coroutine ran into a guard page, or some other bug.
 * Async-signal-safe only: write, the prepared callback, _exit, sigaction. */
static void segv_cb(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	if (in_guard((uintptr_t)si->si_addr)) {
		size_t n = strlen(guard_line);
		ssize_t w = write(2, guard_line, n);
		(void)w;
		if (guard_then)
			guard_then();
		_exit(3);
	}
	/* Not ours: the ordinary crash, when the faulting access runs again. */
	signal(sig, SIG_DFL);
}

int coro_guard_arm(const char *line, void (*on_overflow)(void), char *err, size_t errlen)
{
	guard_line = line;
	guard_then = on_overflow;
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = segv_cb;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSEGV, &sa, NULL) != 0) {
		snprintf(err, errlen, "sigaction(SIGSEGV): %s", strerror(errno));
		return -1;
	}
	return 0;
}

int coro_guard_thread(char *err, size_t errlen)
{
	alt_stack = mmap(NULL, CORO_ALTSTACK_BYTES, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (alt_stack == MAP_FAILED) {
		alt_stack = NULL;
		snprintf(err, errlen, "mmap of the signal stack: %s", strerror(errno));
		return -1;
	}
	stack_t ss = { .ss_sp = alt_stack, .ss_size = CORO_ALTSTACK_BYTES, .ss_flags = 0 };
	if (sigaltstack(&ss, NULL) != 0) {
		snprintf(err, errlen, "sigaltstack: %s", strerror(errno));
		munmap(alt_stack, CORO_ALTSTACK_BYTES);
		alt_stack = NULL;
		return -1;
	}
	return 0;
}

void coro_guard_thread_end(void)
{
	if (!alt_stack)
		return;
	stack_t ss = { .ss_flags = SS_DISABLE };
	sigaltstack(&ss, NULL);
	munmap(alt_stack, CORO_ALTSTACK_BYTES);
	alt_stack = NULL;
}

/* guard_register - tell the handler about st; -1 if the table is full. */
static int guard_register(const struct coro_stacks *st)
{
	for (size_t i = 0; i < CORO_MAX_BLOCKS; i++) {
		uintptr_t zero = 0;
		struct guard_block *g = &guard_blocks[i];
		if (atomic_load(&g->base) != 0)
			continue;
		/* Claim with a placeholder, fill, then publish the real base. */
		if (!atomic_compare_exchange_strong(&g->base, &zero, (uintptr_t)1))
			continue;
		g->end = (uintptr_t)st->base + st->map_bytes;
		g->slot = st->slot;
		atomic_store_explicit(&g->base, (uintptr_t)st->base, memory_order_release);
		return 0;
	}
	return -1;
}

static void guard_unregister(const struct coro_stacks *st)
{
	for (size_t i = 0; i < CORO_MAX_BLOCKS; i++)
		if (atomic_load(&guard_blocks[i].base) == (uintptr_t)st->base)
			atomic_store(&guard_blocks[i].base, 0);
}

/* max_map_count - vm.max_map_count, or -1 if unreadable. */
static long max_map_count(void)
{
	long v = -1;
	FILE *f = fopen("/proc/sys/vm/max_map_count", "r");
	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

int coro_stacks_map(struct coro_stacks *st, size_t count, size_t stack_bytes, char *err,
		    size_t errlen)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	memset(st, 0, sizeof(*st));
	st->stack = (stack_bytes + page - 1) / page * page;
	st->slot = st->stack + CORO_GUARD_BYTES;
	st->count = count;
	st->map_bytes = st->slot * count;
	void *p = mmap(NULL, st->map_bytes, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
	if (p == MAP_FAILED) {
		snprintf(err, errlen,
			 "mmap of %zu MiB for %zu coroutine stacks of %zu KiB: %s (lower --stack-kib "
			 "or -c)",
			 st->map_bytes >> 20, count, st->stack / 1024, strerror(errno));
		return -1;
	}
	st->base = p;
	/* A touched stack page must stay one page: with transparent huge pages
	 * on "always", the first touch could bring in 2 MiB. */
	madvise(p, st->map_bytes, MADV_NOHUGEPAGE);
	int guarded = 1;
	for (size_t i = 0; i < count && guarded; i++) {
		char *g = st->base + i * st->slot;
		if (madvise(g, CORO_GUARD_BYTES, MADV_GUARD_INSTALL) == 0)
			continue;
		if (errno != EINVAL || i > 0) {
			snprintf(err, errlen, "madvise(MADV_GUARD_INSTALL) at stack %zu: %s", i,
				 strerror(errno));
			coro_stacks_unmap(st);
			return -1;
		}
		guarded = 0; /* an older kernel: one mprotect'ed VMA per guard */
	}
	for (size_t i = 0; i < count && !guarded; i++) {
		if (mprotect(st->base + i * st->slot, CORO_GUARD_BYTES, PROT_NONE) != 0) {
			int e = errno;
			snprintf(err, errlen,
				 "mprotect of a guard page at stack %zu of %zu: %s%s (vm.max_map_count "
				 "is %ld: two mappings per stack on this kernel)",
				 i, count, strerror(e), e == ENOMEM ? ": out of mappings" : "",
				 max_map_count());
			coro_stacks_unmap(st);
			return -1;
		}
	}
	if (guard_register(st) != 0) {
		snprintf(err, errlen, "more than %d coroutine stack blocks", CORO_MAX_BLOCKS);
		coro_stacks_unmap(st);
		return -1;
	}
	return 0;
}

void *coro_stack_lo(const struct coro_stacks *st, size_t i)
{
	return st->base + i * st->slot + CORO_GUARD_BYTES;
}

void coro_stacks_unmap(struct coro_stacks *st)
{
	if (!st->base)
		return;
	guard_unregister(st);
#ifdef CORO_ASAN
	/* Frames left poisoned on a stack must not outlive the mapping. */
	for (size_t i = 0; i < st->count; i++)
		__asan_unpoison_memory_region(coro_stack_lo(st, i), st->stack);
#endif
	munmap(st->base, st->map_bytes);
	st->base = NULL;
}

/* Sanitizer bookkeeping around a switch: into a coroutine ...  Always
 * inlined: TSan records function entry and exit on the current fiber's
 * shadow stack, so a helper that switched fibers and then returned would
 * exit on a stack it never entered (TSan crashed later in its stack depot). */
#define CORO_INLINE static inline __attribute__((always_inline))

CORO_INLINE void switch_in_begin(struct coro *co)
{
#ifdef CORO_ASAN
	__sanitizer_start_switch_fiber(&co->fake_back, co->stack_lo, co->stack_size);
#endif
#ifdef CORO_TSAN
	co->tsan_back = __tsan_get_current_fiber();
	__tsan_switch_to_fiber(co->tsan_fiber, 0);
#endif
	(void)co;
}

CORO_INLINE void switch_in_end(struct coro *co)
{
#ifdef CORO_ASAN
	__sanitizer_finish_switch_fiber(co->fake_back, NULL, NULL);
#endif
	(void)co;
}

/* ... and out of one (dying: it will never run again). */
CORO_INLINE void switch_out_begin(struct coro *co, int dying)
{
#ifdef CORO_ASAN
	__sanitizer_start_switch_fiber(dying ? NULL : &co->fake_self, co->back_lo, co->back_size);
#endif
#ifdef CORO_TSAN
	__tsan_switch_to_fiber(co->tsan_back, 0);
#endif
	(void)co;
	(void)dying;
}

/* back_in - the coroutine runs again: learn its resumer's stack (ASan). */
CORO_INLINE void back_in(struct coro *co)
{
#ifdef CORO_ASAN
	__sanitizer_finish_switch_fiber(co->fake_self, &co->back_lo, &co->back_size);
#endif
	(void)co;
}

/* coro_entry - where a new coroutine starts: run fn, then leave for good. */
static void coro_entry(void) __attribute__((noreturn, used));
static void coro_entry(void)
{
	struct coro *co = current;
	back_in(co);
	co->fn(co->arg);
	co->done = 1;
	switch_out_begin(co, 1);
	tvsa_coro_switch(&co->sp, co->back_sp);
	abort(); /* a done coroutine is never resumed */
}

void coro_init(struct coro *co, void *stack_lo, size_t size, void (*fn)(void *), void *arg)
{
	memset(co, 0, sizeof(*co));
	co->fn = fn;
	co->arg = arg;
	co->stack_lo = stack_lo;
	co->stack_size = size;
	uintptr_t top = ((uintptr_t)stack_lo + size) & ~(uintptr_t)15;
	void **sp = (void **)top;
#if defined(__x86_64__)
	*--sp = NULL;                 /* coro_entry's return address: never used */
	*--sp = (void *)coro_entry;   /* where the first switch's `ret` goes */
	for (int i = 0; i < CORO_SAVED_WORDS; i++)
		*--sp = NULL;
#else
	sp -= CORO_SAVED_WORDS;
	memset(sp, 0, CORO_SAVED_WORDS * sizeof(void *));
	sp[CORO_LR_WORD] = (void *)coro_entry;
#endif
	co->sp = sp;
#ifdef CORO_TSAN
	co->tsan_fiber = __tsan_create_fiber(0);
#endif
}

/* resume - coro_resume and coro_resume_counted (turns NULL: not counted). */
static inline void resume(struct coro *co, atomic_uint_fast64_t *turns)
{
	struct coro *prev = current;
	if (co->done || prev) {
		fprintf(stderr, "coro: resume of a %s\n", co->done ? "finished coroutine"
								   : "coroutine from another");
		abort();
	}
	uint_fast64_t t = turns ? atomic_load_explicit(turns, memory_order_relaxed) : 0;
	if (turns)
		atomic_store_explicit(turns, t + 1, memory_order_relaxed);
	current = co;
	switch_in_begin(co);
	tvsa_coro_switch(&co->back_sp, co->sp);
	switch_in_end(co);
	current = prev;
	if (turns)
		atomic_store_explicit(turns, t + 2, memory_order_relaxed);
}

void coro_resume(struct coro *co)
{
	resume(co, NULL);
}

void coro_resume_counted(struct coro *co, atomic_uint_fast64_t *turns)
{
	resume(co, turns);
}

void coro_yield(void)
{
	struct coro *co = current;
	if (!co) {
		fprintf(stderr, "coro: yield outside a coroutine\n");
		abort();
	}
	switch_out_begin(co, 0);
	tvsa_coro_switch(&co->sp, co->back_sp);
	back_in(co);
}

struct coro *coro_self(void)
{
	return current;
}

void coro_fini(struct coro *co)
{
#ifdef CORO_TSAN
	if (co->tsan_fiber)
		__tsan_destroy_fiber(co->tsan_fiber);
	co->tsan_fiber = NULL;
#endif
	(void)co;
}

static volatile int overflow_stop; /* never set: keeps the recursion honest */
static volatile char overflow_sink; /* keeps each frame's bytes alive */

/* deeper - one 512-byte frame more, forever (until the guard page). */
static void __attribute__((noinline)) deeper(unsigned n)
{
	volatile char pad[512];
	pad[0] = (char)n;
	pad[sizeof(pad) - 1] = (char)n;
	if (!overflow_stop)
		deeper(n + 1);
	overflow_sink = pad[0] + pad[sizeof(pad) - 1];
}

void coro_test_overflow(void)
{
	deeper(0);
	abort();
}
