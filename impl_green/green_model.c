/*
 * green_model.c - bin/green's model: the impl_threads/ pairs run by the
 * scheduler (sched.c) on the libevent backend and waits of green.c.
 */
#include "sched.h"

static int green_run(const struct run_config *cfg, struct run_result *res)
{
	return sched_run(&green_backend, cfg, res);
}

static int green_serve(const struct run_config *cfg, struct run_result *res)
{
	return sched_serve(&green_backend, cfg, res);
}

const struct model model_impl = {
	.name = "green",
	.coroutines = 1,
	.run = green_run,
	.serve = green_serve,
};
