/*
 * redis_get on threads: hiredis's blocking API, one connection per thread,
 * made before the clock; a task sends GET and sleeps in recv() until redis
 * answers.  No wait is unbounded: the connection's timeout is
 * --io-timeout-s, as the async side's timer is.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "../workloads/redis_get.h"
#include "threads.h"

static int redis_get_connect(struct thr_worker *w)
{
	char host[REDIS_GET_HOST_MAX];
	int port;
	redis_get_host(w->params, host, &port);
	struct timeval tv = { (time_t)w->params->io_timeout_s, 0 };
	redisContext *c = redisConnectWithTimeout(host, port, tv);
	if (!c || c->err) {
		snprintf(w->err, sizeof(w->err), "redis %s:%d: connect: %.60s", host, port,
			 c ? c->errstr : "out of memory");
		redisFree(c);
		return -1;
	}
	if (redisSetTimeout(c, tv) != REDIS_OK) {
		snprintf(w->err, sizeof(w->err), "redis: setting the I/O timeout: %s", c->errstr);
		redisFree(c);
		return -1;
	}
	/* A PING answered: the server has accepted us before the clock (the
	 * async side does the same on its raw socket). */
	redisReply *r = redisCommand(c, "PING");
	int ok = r && r->type == REDIS_REPLY_STATUS;
	freeReplyObject(r);
	if (!ok) {
		snprintf(w->err, sizeof(w->err), "redis: PING: %.100s",
			 c->errstr[0] ? c->errstr : "unexpected reply");
		redisFree(c);
		return -1;
	}
	w->state = c;
	return 0;
}

static void redis_get_close(struct thr_worker *w)
{
	redisFree(w->state);
	w->state = NULL;
}

static int redis_get_task(struct thr_worker *w, uint64_t id, uint64_t *result)
{
	redisContext *c = w->state;
	char key[REDIS_GET_KEY_MAX];
	size_t kl = redis_get_key(id, w->params->value_bytes, key);
	redisReply *r = redisCommand(c, "GET %b", key, kl);
	if (!r) {
		if (c->err == REDIS_ERR_IO && (errno == EAGAIN || errno == EWOULDBLOCK))
			snprintf(w->err, sizeof(w->err),
				 "redis: no reply in %llu s (--io-timeout-s): is redis-server hung?",
				 (unsigned long long)w->params->io_timeout_s);
		else
			snprintf(w->err, sizeof(w->err), "redis: %s (did redis-server die?)",
				 c->errstr[0] ? c->errstr : "connection lost");
		return -1;
	}
	int rc = redis_get_reply(id, w->params->value_bytes, r, result, w->err, sizeof(w->err));
	freeReplyObject(r);
	return rc;
}

const struct threads_ops threads_redis_get = {
	.worker_init = redis_get_connect,
	.task = redis_get_task,
	.worker_fini = redis_get_close,
};
