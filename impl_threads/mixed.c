/*
 * mixed on threads: block on the backend, then compute on the same thread.
 */
#include "../workloads/mixed.h"
#include "rpc.h"

static int mixed_task(struct thr_worker *w, uint64_t id, uint64_t *result)
{
	uint64_t digest;
	int rc = rpc_call(w, id, (uint32_t)w->params->delay_us, &digest);
	if (rc == 0)
		*result = mixed_result(digest, w->params->work);
	return rc;
}

const struct threads_ops threads_mixed = {
	.worker_init = rpc_connect,
	.task = mixed_task,
	.worker_fini = rpc_close,
};
