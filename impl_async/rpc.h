/*
 * rpc.h - one non-blocking request/reply with the backend on a libevent
 * loop, for async slots.  Shared by every pair that talks to bin/backend.
 */
#ifndef ASYNC_RPC_H
#define ASYNC_RPC_H

#include <stdint.h>

#include "async.h"

/* Called on the loop when the verified reply is in. */
typedef void (*rpc_reply_fn)(struct async_slot *s, uint64_t digest);

/*
 * rpc_slot_init - slot_init for backend pairs: a non-blocking connection in
 * s->fd, its read event in s->ev, and the round-trip state in s->rpc
 * (s->state stays the pair's).  `on_reply` gets each verified reply; it may
 * finish the task, or start the next round trip with rpc_start.
 * Returns 0, or -1 with err set.
 */
int rpc_slot_init(struct async_slot *s, rpc_reply_fn on_reply, char *err, size_t errlen);

/* rpc_slot_fini - slot_fini for backend pairs. */
void rpc_slot_fini(struct async_slot *s);

/* rpc_start - send a request keyed `key` (the task id, or for a later round
 * trip a key derived from an earlier reply; the threads side's rpc_call
 * takes the same key), asking for delay_us, and arm the read event.  Never
 * completes the task itself.  One round trip at a time per slot. */
void rpc_start(struct async_slot *s, uint64_t key, uint32_t delay_us);

#endif
