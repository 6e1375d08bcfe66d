/*
 * worker.c - the task loop of a blocking-style slot (see worker.h).
 */
#include "../harness/runtime/clock.h"
#include "block.h"
#include "worker.h"

/* Inlined into thr_worker_run: a coroutine parks inside its task, and a frame
 * here is stack its wake-up must fetch (impl_green/sched_core.c's sched_warm
 * prefetches the frames above the saved stack pointer: 424 bytes on io_sleep
 * inlined, 520 with this call, past its 8 lines).  The pool calls it. */
__attribute__((always_inline)) inline int
thr_task_run(const struct threads_ops *ops, struct thr_worker *w, struct dispatch *d,
		 const struct thr_slot_hooks *h, struct run_tally *t, uint64_t id, uint64_t arrival,
		 uint64_t *now, uint64_t *next, uint64_t *next_arrival)
{
	w->t_begin_ns = *now;
	uint64_t result = 0;
	int rc = ops->task(w, id, &result);
	*now = clock_now_ns();
	*next = h->block ? dispatch_take_block(d, h->block, *now, next_arrival)
			 : dispatch_take(d, *now, next_arrival);
	enum dispatch_phase phase = dispatch_phase(d, id, *next, *now);
	t->t_last = *now;
	if (rc == 0) {
		h->record(h->record_arg, phase, *now - arrival);
		t->checksum += wl_fold(id, result);
		t->done++;
		return 0;
	}
	t->errors++;
	return rc < 0 ? -1 : 1;
}

int thr_worker_run(const struct threads_ops *ops, struct thr_worker *w, struct dispatch *d,
		   uint64_t index, struct run_fault *fault, const struct thr_slot_hooks *h,
		   struct run_tally *t)
{
	/* A task's latency runs from its arrival: the run start for a first
	 * task (a slot not yet scheduled is a task waiting), the end of the
	 * previous task (closed loop), or the schedule (open).  It begins
	 * (w->t_begin_ns) when the slot takes it, or at its arrival if that is
	 * later: a wait that starts the task is timed from then. */
	uint64_t now = clock_now_ns();
	uint64_t arrival;
	uint64_t id = dispatch_first(d, index, now, &arrival);
	while (id < d->tasks) {
		if (run_fault_stopped(fault))
			break;
		if (arrival > now) {
			blk_sleep_until(arrival);
			now = clock_now_ns();
		}
		uint64_t next;
		int rc = thr_task_run(ops, w, d, h, t, id, arrival, &now, &next, &arrival);
		if (rc < 0)
			return -1;
		if (rc > 0)
			run_error_note(fault, w->err); /* the run's first error, if it is */
		id = next;
		if (h->between && id < d->tasks && h->between(h->record_arg))
			now = clock_now_ns();
	}
	return 0;
}
