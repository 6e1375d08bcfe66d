/*
 * coro.c - bin/calibrate's switch figures: one coroutine switch as the green
 * and uring models make it (impl_green/coro.c: registers and the stack
 * pointer, no system call), and glibc's swapcontext, the alternative not
 * taken (it saves the signal mask: one rt_sigprocmask system call per
 * switch).  One coroutine bouncing straight back: each resume is two
 * switches.  docs/models.md's "Choosing the switch" quotes both.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>

#include "../../impl_green/coro.h"
#include "../runtime/clock.h"
#include "calibrate.h"

#define CAL_CORO_STACK 65536 /* the switch figures' coroutine stack */

static void bounce_coro(void *arg)
{
	(void)arg;
	for (;;)
		coro_yield();
}

int rep_coro_switch(const struct cal_ctx *cx, double *value, char *err, size_t errlen)
{
	struct coro_stacks st;
	struct coro co;
	if (coro_stacks_map(&st, 1, CAL_CORO_STACK, err, errlen) != 0)
		return -1;
	coro_init(&co, coro_stack_lo(&st, 0), st.stack, bounce_coro, NULL);
	uint64_t t0 = clock_now_ns(), n = 0;
	do {
		for (int i = 0; i < CAL_CLOCK_EVERY; i++)
			coro_resume(&co);
		n += CAL_CLOCK_EVERY;
	} while (cal_elapsed_since(t0) < cx->slice_ns);
	*value = (double)cal_elapsed_since(t0) / (double)(2 * n);
	coro_fini(&co);
	coro_stacks_unmap(&st);
	return 0;
}

static ucontext_t uc_caller; /* swapcontext: the measuring side */
static ucontext_t uc_callee; /* and the bouncing one */

static void bounce_uc(void)
{
	for (;;)
		swapcontext(&uc_callee, &uc_caller);
}

int rep_swapcontext(const struct cal_ctx *cx, double *value, char *err, size_t errlen)
{
	void *stack = malloc(CAL_CORO_STACK);
	if (!stack || getcontext(&uc_callee) != 0) {
		snprintf(err, errlen, "getcontext: %s", stack ? strerror(errno) : "out of memory");
		free(stack);
		return -1;
	}
	uc_callee.uc_stack.ss_sp = stack;
	uc_callee.uc_stack.ss_size = CAL_CORO_STACK;
	uc_callee.uc_link = NULL;
	makecontext(&uc_callee, bounce_uc, 0);
	uint64_t t0 = clock_now_ns(), n = 0;
	do {
		for (int i = 0; i < CAL_CLOCK_EVERY; i++)
			swapcontext(&uc_caller, &uc_callee);
		n += CAL_CLOCK_EVERY;
	} while (cal_elapsed_since(t0) < cx->slice_ns);
	*value = (double)cal_elapsed_since(t0) / (double)(2 * n);
	free(stack);
	return 0;
}
