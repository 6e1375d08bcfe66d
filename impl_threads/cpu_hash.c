/*
 * cpu_hash on threads: the kernel, called straight from the worker thread.
 * With -c >= cores the kernel runs on every core at once.
 */
#include "../workloads/cpu_hash.h"
#include "threads.h"

static int cpu_hash_task(struct thr_worker *w, uint64_t id, uint64_t *result)
{
	*result = cpu_hash_kernel(id, w->params->work);
	return 0;
}

const struct threads_ops threads_cpu_hash = {
	.task = cpu_hash_task,
};
