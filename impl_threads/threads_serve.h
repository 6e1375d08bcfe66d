/*
 * threads_serve.h - bin/threads as a server: a thread per connection
 * (threads_serve.c), or a fixed pool (threads_serve_pool.c).
 */
#ifndef THREADS_SERVE_H
#define THREADS_SERVE_H

#include <pthread.h>

#include "threads.h"

/* thr_serve_attr - attributes of the threads that run a server's tasks:
 * --stack-kib if asked, detached if asked; res->stack_kib records the
 * stack they get.  0, or -1 with res->reason set. */
int thr_serve_attr(const struct run_config *cfg, pthread_attr_t *attr, int detached,
		   struct run_result *res);

/* thr_serve_threads - the threads model's serve (model.h) for the pair ops. */
int thr_serve_threads(const struct threads_ops *ops, const struct run_config *cfg,
		      struct run_result *res);

/* thr_serve_pool - the pool model's serve (--pool N): N threads taking the
 * connections' requests from a queue (threads_serve_pool.c). */
int thr_serve_pool(const struct threads_ops *ops, const struct run_config *cfg, uint64_t pool,
		   struct run_result *res);

#endif
