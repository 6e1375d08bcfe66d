/*
 * redis_get.h - a pair against a real database: each task is one GET of a
 * key that set-up wrote before the clock (redis_get_prepare), through
 * hiredis, on a real redis-server.
 */
#ifndef REDIS_GET_H
#define REDIS_GET_H

#include <stddef.h>
#include <stdint.h>

#include "workload.h"

#define REDIS_GET_DEFAULT_VALUE_BYTES 100 /* a small cache value */
#define REDIS_GET_MAX_KEYS 10000          /* the key space tasks cycle through */
#define REDIS_GET_LOAD_BYTES (64u << 20)  /* at most this much written: fewer keys
					     when values are large */
#define REDIS_GET_KEY_MAX 32              /* "tvsa:vNNNNNNNN:kNNNNN" and a NUL */
#define REDIS_GET_HOST_MAX 64             /* a dotted IPv4 address and a NUL */

/* redis_get_keys - how many keys a run with values of value_bytes uses. */
uint64_t redis_get_keys(uint64_t value_bytes);

/*
 * redis_get_key - the key task `id` reads, into out (REDIS_GET_KEY_MAX):
 * "tvsa:v<value_bytes>:k<id mod keys>", so runs with another value size
 * never read stale values.  Returns its length.
 */
size_t redis_get_key(uint64_t id, uint64_t value_bytes, char *out);

/*
 * redis_get_result - check the value GET returned for task `id` (`len`
 * bytes at `value`) against the one set-up wrote, and fold its bytes.
 * Returns 0 with *result set, or 1 when the value is missing, of the wrong
 * size or wrong (a task error, counted alike on both models).
 * Cost: one pass over the value, ~1 ns per byte.
 */
int redis_get_result(uint64_t id, uint64_t value_bytes, const char *value, size_t len,
		     uint64_t *result);

struct redisReply;

/*
 * redis_get_reply - redis_get_result on a GET's reply r (either API's: both
 * hand back a redisReply), with why a failed task failed in why: a missing
 * key (evicted by maxmemory, or flushed), an error reply, a value of the
 * wrong size or content.  0 with *result set, or 1 (a counted task error).
 */
int redis_get_reply(uint64_t id, uint64_t value_bytes, const struct redisReply *r,
		    uint64_t *result, char *why, size_t whylen);

/* redis_get_host - params->peer's address as text, for hiredis. */
void redis_get_host(const struct wl_params *p, char out[REDIS_GET_HOST_MAX], int *port);

#endif
