/*
 * redis_get.c - the database pair: a GET against a real redis-server.
 *
 * The advice under test speaks of "a database operation"; bin/backend is a
 * stand-in, this is the real thing: a server with its own event loop,
 * parsing RESP, and a client library (hiredis) on each side, its blocking
 * API on threads and its async API (libevent adapter) on the loop.  The
 * keys and their values are written by set-up (redis_get_prepare) before
 * the clock, the same for every model; the value's content is a function of
 * its key, so a wrong or stale value is a counted error, not a checksum
 * that happens to agree.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "redis_get.h"

#define VALUE_SEED 0x7265646973676574ULL /* "redisget": the values' content */
#define PIPELINE 256                     /* SETs in flight while writing the keys */

uint64_t redis_get_keys(uint64_t value_bytes)
{
	uint64_t k = REDIS_GET_LOAD_BYTES / (value_bytes ? value_bytes : 1);
	return k < 1 ? 1 : k > REDIS_GET_MAX_KEYS ? REDIS_GET_MAX_KEYS : k;
}

size_t redis_get_key(uint64_t id, uint64_t value_bytes, char *out)
{
	int n = snprintf(out, REDIS_GET_KEY_MAX, "tvsa:v%llu:k%llu",
			 (unsigned long long)value_bytes,
			 (unsigned long long)(id % redis_get_keys(value_bytes)));
	return n > 0 && n < REDIS_GET_KEY_MAX ? (size_t)n : 0;
}

/* value_byte - byte i of the value of key number k. */
static unsigned char value_byte(uint64_t k, uint64_t i, uint64_t *word)
{
	if (i % 8 == 0)
		*word = wl_fold(k * REDIS_GET_LOAD_BYTES + i / 8, VALUE_SEED);
	return (unsigned char)(*word >> (8 * (i % 8)));
}

int redis_get_result(uint64_t id, uint64_t value_bytes, const char *value, size_t len,
		     uint64_t *result)
{
	if (!value || len != value_bytes)
		return 1;
	uint64_t k = id % redis_get_keys(value_bytes), word = 0, h = 0;
	for (uint64_t i = 0; i < len; i++) {
		unsigned char b = (unsigned char)value[i];
		if (b != value_byte(k, i, &word))
			return 1;
		h = (h ^ b) * 0x100000001b3ULL; /* FNV-1a: the bytes, in order */
	}
	*result = wl_fold(id, h);
	return 0;
}

int redis_get_reply(uint64_t id, uint64_t value_bytes, const struct redisReply *r,
		    uint64_t *result, char *why, size_t whylen)
{
	if (r->type == REDIS_REPLY_STRING) {
		if (redis_get_result(id, value_bytes, r->str, (size_t)r->len, result) == 0)
			return 0;
		snprintf(why, whylen, "redis: GET of task %llu's key: %s",
			 (unsigned long long)id,
			 (uint64_t)r->len != value_bytes ? "a value of the wrong size"
							 : "a value not the one set-up wrote");
	} else if (r->type == REDIS_REPLY_NIL) {
		snprintf(why, whylen,
			 "redis: GET of task %llu's key: no such key (evicted by maxmemory, "
			 "or flushed, since set-up wrote it?)", (unsigned long long)id);
	} else if (r->type == REDIS_REPLY_ERROR) {
		snprintf(why, whylen, "redis: GET: error reply: %.120s", r->str);
	} else {
		snprintf(why, whylen, "redis: GET: a reply of type %d, not a string", r->type);
	}
	return 1;
}

void redis_get_host(const struct wl_params *p, char out[REDIS_GET_HOST_MAX], int *port)
{
	if (!inet_ntop(AF_INET, &p->peer.sin_addr, out, REDIS_GET_HOST_MAX))
		snprintf(out, REDIS_GET_HOST_MAX, "127.0.0.1");
	*port = ntohs(p->peer.sin_port);
}

/* redis_get_prepare - write every key the run reads (pipelined SETs), before
 * the clock and once for all models.  0, or -1 with err set. */
static int redis_get_prepare(const struct wl_params *p, char *err, size_t errlen)
{
	char host[REDIS_GET_HOST_MAX];
	int port;
	redis_get_host(p, host, &port);
	/* Set-up waits as long as a task may (--io-timeout-s), no longer. */
	struct timeval tv = { (time_t)p->io_timeout_s, 0 };
	redisContext *c = redisConnectWithTimeout(host, port, tv);
	if (!c || c->err) {
		snprintf(err, errlen, "redis %s:%d: %s", host, port, c ? c->errstr : "out of memory");
		redisFree(c);
		return -1;
	}
	redisSetTimeout(c, tv);
	uint64_t keys = redis_get_keys(p->value_bytes);
	char *value = malloc(p->value_bytes);
	int rc = value ? 0 : -1;
	uint64_t sent = 0, got = 0;
	while (rc == 0 && got < keys) {
		/* Keep PIPELINE SETs in flight: 10,000 round trips one by one
		 * would cost set-up a second. */
		for (; value && sent < keys && sent - got < PIPELINE; sent++) {
			char key[REDIS_GET_KEY_MAX];
			size_t kl = redis_get_key(sent, p->value_bytes, key);
			uint64_t word = 0;
			for (uint64_t i = 0; i < p->value_bytes; i++)
				value[i] = (char)value_byte(sent, i, &word);
			redisAppendCommand(c, "SET %b %b", key, kl, value, (size_t)p->value_bytes);
		}
		redisReply *r = NULL;
		if (redisGetReply(c, (void **)&r) != REDIS_OK || !r || r->type == REDIS_REPLY_ERROR) {
			if (r)
				snprintf(err, errlen, "redis %s:%d: SET: %s", host, port, r->str);
			else if (c->err == REDIS_ERR_IO && (errno == EAGAIN || errno == EWOULDBLOCK))
				snprintf(err, errlen,
					 "redis %s:%d: SET: no reply in %llu s (--io-timeout-s): "
					 "is it a redis-server, and alive?",
					 host, port, (unsigned long long)p->io_timeout_s);
			else
				snprintf(err, errlen, "redis %s:%d: SET: %s", host, port, c->errstr);
			rc = -1;
		}
		freeReplyObject(r);
		got++;
	}
	if (!value)
		snprintf(err, errlen, "out of memory for a %llu-byte value",
			 (unsigned long long)p->value_bytes);
	free(value);
	redisFree(c);
	return rc;
}

const struct wl_info wl_info_redis_get = {
	.name = "redis_get",
	.kind = WL_IO,
	.summary = "Database: each task is one GET (--value-bytes) from a real redis-server "
		   "through hiredis (--redis, or one of its own)",
	.default_work = 0,
	.default_delay_us = 0,
	.peer = WL_PEER_REDIS,
	.opts = WL_OPT_VALUE_BYTES,
	.default_value_bytes = REDIS_GET_DEFAULT_VALUE_BYTES,
	/* One round trip; redis's own work is not calibrated, so the floor is
	 * that of an echo server (a little low). */
	/* Top level 1,024.  From there on every loop model measures the one
	 * redis-server, not itself: its single thread saturates (a full sweep
	 * here, quiet: async, async-mt, hybrid, green, green-mt and uring all at
	 * 70-81k GET/s at 4,096 and 10,000, threads 0.5-0.6x), and the two levels
	 * above cost 108 s of a 14-minute sweep.  10,000 clients of one redis
	 * are the serve section's C10K server (its client limit is 10,240). */
	.max_concurrency = 1024,
	.floor = { .declared = 1, .round_trips = 1 },
	.claims = "io,memory,tyma",
	.prepare = redis_get_prepare,
};
