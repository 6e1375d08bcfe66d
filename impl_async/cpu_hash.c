/*
 * cpu_hash on a libevent loop: each task is one activated event whose
 * callback runs the kernel.  Tasks in flight queue behind each other on the
 * loop's one thread -- which is exactly what the comparison is to show.
 */
#include <stdio.h>

#include "../workloads/cpu_hash.h"
#include "async.h"

static void cpu_hash_ready_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct async_slot *s = arg;
	async_task_done(s, cpu_hash_kernel(s->task_id, s->params->work));
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
