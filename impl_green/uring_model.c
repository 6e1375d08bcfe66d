/*
 * uring_model.c - bin/uring's model: the impl_threads/ pairs run by the
 * scheduler (sched.c) on the io_uring backend and waits of uring.c.
 */
#include "sched.h"

static int uring_run(const struct run_config *cfg, struct run_result *res)
{
	return sched_run(&uring_backend, cfg, res);
}

static int uring_serve(const struct run_config *cfg, struct run_result *res)
{
	return sched_serve(&uring_backend, cfg, res);
}

const struct model model_impl = {
	.name = "uring",
	.coroutines = 1,
	.run = uring_run,
	.serve = uring_serve,
};
