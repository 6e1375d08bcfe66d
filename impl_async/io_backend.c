/*
 * io_backend on a libevent loop: one non-blocking connection per slot; the
 * reply's callback finishes the task.
 */
#include "../workloads/io_backend.h"
#include "rpc.h"

static int io_backend_slot_init(struct async_slot *s, char *err, size_t errlen)
{
	return rpc_slot_init(s, async_task_done, err, errlen);
}

static void io_backend_task_start(struct async_slot *s)
{
	rpc_start(s, s->task_id, (uint32_t)s->params->delay_us);
}

const struct async_ops async_io_backend = {
	.slot_init = io_backend_slot_init,
	.task_start = io_backend_task_start,
	.slot_fini = rpc_slot_fini,
};
