/*
 * rpc.h - one blocking request/reply with the backend, for thread workers.
 * Shared by every pair that talks to bin/backend, so they all talk the same way.
 */
#ifndef THREADS_RPC_H
#define THREADS_RPC_H

#include <stdint.h>

#include "threads.h"

/* rpc_connect - worker_init for backend pairs: a blocking connection in w->fd.
 * Returns 0, or -1 with w->err set. */
int rpc_connect(struct thr_worker *w);

/* rpc_close - worker_fini for backend pairs: abortive close of w->fd. */
void rpc_close(struct thr_worker *w);

/*
 * rpc_call - send a request keyed `key` (the task id, or for a later round
 * trip a key derived from an earlier reply) asking for delay_us on w->fd,
 * and block until the reply; verify it.  Returns 0 with *digest set, 1 for a reply that
 * fails verification (counted), or -1 with w->err set when the backend is gone.
 */
int rpc_call(struct thr_worker *w, uint64_t key, uint32_t delay_us, uint64_t *digest);

#endif
