/*
 * threads_serve.h - bin/threads as a server (threads_serve.c): a thread per
 * connection.
 */
#ifndef THREADS_SERVE_H
#define THREADS_SERVE_H

#include "threads.h"

/* thr_serve_threads - the threads model's serve (model.h) for the pair ops. */
int thr_serve_threads(const struct threads_ops *ops, const struct run_config *cfg,
		      struct run_result *res);

#endif
