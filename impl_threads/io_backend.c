/*
 * io_backend on threads: one blocking socket per thread, send then recv.
 */
#include "../workloads/io_backend.h"
#include "rpc.h"

static int io_backend_task(struct thr_worker *w, uint64_t id, uint64_t *result)
{
	return rpc_call(w, id, (uint32_t)w->params->delay_us, result);
}

const struct threads_ops threads_io_backend = {
	.worker_init = rpc_connect,
	.task = io_backend_task,
	.worker_fini = rpc_close,
};
