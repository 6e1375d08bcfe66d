/*
 * cpu_hash on a libevent loop: each task is one activated event whose
 * callback runs the kernel.  Tasks in flight queue behind each other on the
 * loop's one thread -- which is exactly what the comparison is to show.
 * With --workers (hybrid) the kernel runs on the pool instead.
 */
#include "../workloads/cpu_hash.h"
#include "async.h"

static uint64_t cpu_hash_cpu(const struct async_slot *s, uint64_t arg)
{
	(void)arg;
	return cpu_hash_kernel(s->task_id, s->params->work);
}

static int cpu_hash_slot_init(struct async_slot *s, char *err, size_t errlen)
{
	return async_ready_slot_init(s, cpu_hash_cpu, err, errlen);
}

const struct async_ops async_cpu_hash = {
	.slot_init = cpu_hash_slot_init,
	.task_start = async_ready_task_start,
	.slot_fini = async_ready_slot_fini,
};
