/*
 * mixed on one libevent loop: the reply callback runs the CPU part on the
 * loop thread, holding up every other slot meanwhile -- the warning "don't
 * put heavy CPU on an event loop", measured.  With --workers (hybrid) the
 * CPU part goes to a pool and the loop only does I/O.
 */
#include "../workloads/mixed.h"
#include "rpc.h"

static uint64_t mixed_cpu(const struct async_slot *s, uint64_t digest)
{
	return mixed_result(digest, s->params->work);
}

static void mixed_reply(struct async_slot *s, uint64_t digest)
{
	async_cpu(s, mixed_cpu, digest); /* on the loop, or on the pool (--workers) */
}

static int mixed_slot_init(struct async_slot *s, char *err, size_t errlen)
{
	return rpc_slot_init(s, mixed_reply, err, errlen);
}

static void mixed_task_start(struct async_slot *s)
{
	rpc_start(s, s->task_id, (uint32_t)s->params->delay_us);
}

const struct async_ops async_mixed = {
	.slot_init = mixed_slot_init,
	.task_start = mixed_task_start,
	.slot_fini = rpc_slot_fini,
};
