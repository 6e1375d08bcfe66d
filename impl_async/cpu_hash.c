/*
 * cpu_hash on a libevent loop: each task is one activated event whose
 * callback runs the kernel.  Tasks in flight queue behind each other on the
 * loop's one thread -- which is exactly what the comparison is to show.
 * With --workers (hybrid) the kernel runs on the pool instead.
 */
#include <stdio.h>

#include "../workloads/cpu_hash.h"
#include "async.h"

static uint64_t cpu_hash_cpu(const struct async_slot *s, uint64_t arg)
{
	(void)arg;
	return cpu_hash_kernel(s->task_id, s->params->work);
}

static void cpu_hash_ready_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	async_cpu(arg, cpu_hash_cpu, 0); /* on the loop, or on the pool (--workers) */
}

static int cpu_hash_slot_init(struct async_slot *s, char *err, size_t errlen)
{
	s->ev = event_new(async_slot_base(s), -1, 0, cpu_hash_ready_cb, s);
	if (!s->ev) {
		snprintf(err, errlen, "event_new failed (out of memory?)");
		return -1;
	}
	return 0;
}

static void cpu_hash_task_start(struct async_slot *s)
{
	event_active(s->ev, EV_TIMEOUT, 1);
}

static void cpu_hash_slot_fini(struct async_slot *s)
{
	if (s->ev)
		event_free(s->ev);
}

const struct async_ops async_cpu_hash = {
	.slot_init = cpu_hash_slot_init,
	.task_start = cpu_hash_task_start,
	.slot_fini = cpu_hash_slot_fini,
};
