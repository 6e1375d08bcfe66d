/*
 * coro.h - stackful coroutines: a context switch with no system call, stacks
 * with guard pages, and a clear death for a coroutine that overruns one.
 *
 * The core both coroutine runtimes (green: libevent, uring: io_uring) share.
 * A coroutine runs on a stack of its own until it yields back to whoever
 * resumed it (the loop's own stack, never another coroutine), so blocking
 * code keeps its call stack across a wait: "an async task is just the
 * execution stack and the data saying how to resume it".  The switch saves
 * the callee-saved registers and swaps stack pointers (x86-64, aarch64),
 * with no signal mask to save: glibc's swapcontext makes a sigprocmask
 * system call per switch (bin/calibrate measures both).  ASan and TSan are
 * told about every switch.
 */
#ifndef CORO_H
#define CORO_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define CORO_GUARD_BYTES 16384 /* guard pages below each stack: a frame of up to
				  16 KiB that skips past a single page still faults */

/* One coroutine.  Opaque to its users apart from coro_done(). */
struct coro {
	void *sp;                  /* its saved stack pointer while not running */
	void *back_sp;             /* the resumer's, while it runs */
	void (*fn)(void *);        /* entry point */
	void *arg;                 /* its argument */
	int done;                  /* 1: fn returned; never resume again */
	void *stack_lo;            /* lowest usable byte of its stack */
	size_t stack_size;         /* usable bytes */
	const void *back_lo;       /* ASan: the resumer's stack bottom */
	size_t back_size;          /* ASan: and size */
	void *fake_self;           /* ASan: its fake stack while switched out */
	void *fake_back;           /* ASan: the resumer's, while it runs */
	void *tsan_fiber;          /* TSan: its fiber */
	void *tsan_back;           /* TSan: the resumer's fiber */
};

/*
 * A block of equal stacks, each with guard pages below it, in one mapping
 * (one VMA where the kernel has MADV_GUARD_INSTALL, Linux 6.13+; two per
 * stack with mprotect otherwise, which vm.max_map_count limits).  Reserved
 * with MAP_NORESERVE: a stack costs memory only for the pages it touches.
 */
struct coro_stacks {
	char *base;       /* the mapping, or NULL */
	size_t map_bytes; /* its length */
	size_t slot;      /* guard + stack bytes per coroutine */
	size_t count;     /* stacks in it */
	size_t stack;     /* usable bytes per stack */
};

/*
 * coro_stacks_map - count stacks of stack_bytes (rounded up to pages) each.
 * Returns 0, or -1 with one line in err naming the cause (mmap ENOMEM,
 * vm.max_map_count).  Registers the block with the guard-page fault handler.
 * Cost: one mmap and one madvise (or count mprotects); no page touched.
 */
int coro_stacks_map(struct coro_stacks *st, size_t count, size_t stack_bytes, char *err,
		    size_t errlen);

/* coro_stack_lo - the lowest usable byte of stack i of st. */
void *coro_stack_lo(const struct coro_stacks *st, size_t i);

/* coro_stacks_unmap - release the block (after its coroutines are done). */
void coro_stacks_unmap(struct coro_stacks *st);

/*
 * coro_guard_arm - install the SIGSEGV handler for this process: a fault in
 * a guard page writes `line` (kept by pointer; one line ending in '\n') with
 * write(2), calls on_overflow (async-signal-safe; may be NULL), and exits 3.
 * Any other fault is the ordinary SIGSEGV.  Call it once, before any
 * coroutine runs.  Returns 0, or -1 with err set.
 */
int coro_guard_arm(const char *line, void (*on_overflow)(void), char *err, size_t errlen);

/* coro_guard_thread - give the calling thread the alternate signal stack the
 * handler runs on (a coroutine that overran has no stack left).  0, or -1
 * with err set.  Free it with coro_guard_thread_end. */
int coro_guard_thread(char *err, size_t errlen);

/* coro_guard_thread_end - drop this thread's alternate signal stack. */
void coro_guard_thread_end(void);

/* coro_init - make co run fn(arg) on [stack_lo, stack_lo + size) when first
 * resumed.  Nothing runs yet.  Cost: a few stores (and a TSan fiber). */
void coro_init(struct coro *co, void *stack_lo, size_t size, void (*fn)(void *), void *arg);

/* coro_resume - run co until it yields or returns; call from a loop's own
 * stack, never from a coroutine.  Cost: two switches (tens of ns). */
void coro_resume(struct coro *co);

/* coro_resume_counted - coro_resume, with *turns (written by this thread
 * only) raised by one just before the switch and by one more once co is
 * back: odd while co runs, for a watcher on another thread.  In the
 * resume's own frame, so it costs two stores and no call level (a level
 * more between a loop and its coroutines mispredicts a return each way). */
void coro_resume_counted(struct coro *co, atomic_uint_fast64_t *turns);

/* coro_yield - from inside a coroutine: back to its resumer; returns when
 * it is resumed again. */
void coro_yield(void);

/* coro_self - the coroutine running on this thread, or NULL on a loop's
 * own stack. */
struct coro *coro_self(void);

/* coro_done - 1 once co's function has returned. */
static inline int coro_done(const struct coro *co)
{
	return co->done;
}

/* coro_fini - release what coro_init took (the TSan fiber).  co must be done
 * or never resumed. */
void coro_fini(struct coro *co);

/* coro_test_overflow - recurse until the stack's guard page stops it: the
 * test hook behind TVSA_GREEN_OVERFLOW (impl_green/sched.c).  Never returns. */
void coro_test_overflow(void);

#endif
