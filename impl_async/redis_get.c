/*
 * redis_get on a libevent loop: hiredis's async API, one connection per
 * slot, attached to the loop by the project's own adapter (redis_ev.h: its
 * events stay armed, where the adapter hiredis ships re-arms them at about 4
 * epoll_ctl per GET).  task_start queues GET (sent from the loop's active
 * queue), the reply callback finishes the task.  hiredis 0.14 has no reply timeout of its own, so each task arms a
 * timer of --io-timeout-s (a libevent common timeout: O(1) per task), as
 * the threads side's socket timeout bounds its waits.
 *
 * A slot may be freed from inside one of hiredis's callbacks (a server
 * closes a connection as its reply is written, Connection: close, in the
 * reply callback): hiredis then frees the context only after the callback,
 * running the disconnect callback (and any pending reply callback) on it
 * then, when the slot is gone.  So slot_fini unhooks the slot first
 * (ac->data = NULL) and every callback starts by checking it.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include "../workloads/redis_get.h"
#include "async.h"
#include "redis_ev.h"

/* One slot's connection. */
struct redis_slot {
	redisAsyncContext *ac;       /* hiredis's async context, attached to the base */
	const struct timeval *io_tv; /* --io-timeout-s, a common timeout */
};

static void redis_get_reply_cb(redisAsyncContext *ac, void *reply, void *priv)
{
	if (!ac->data) /* the slot is gone (slot_fini): priv with it */
		return;
	struct async_slot *s = priv;
	struct redis_slot *rs = s->state;
	evtimer_del(s->ev);
	redisReply *r = reply;
	if (!r) {
		char why[160];
		snprintf(why, sizeof(why), "redis: %s (did redis-server die?)",
			 rs->ac->errstr[0] ? rs->ac->errstr : "connection lost");
		async_fail(s, why);
		return;
	}
	uint64_t result;
	char why[MODEL_REASON_MAX];
	if (redis_get_reply(s->task_id, s->params->value_bytes, r, &result, why, sizeof(why)) == 0)
		async_task_done(s, result);
	else
		async_task_error_why(s, why);
}

static void redis_get_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct async_slot *s = arg;
	char why[160];
	snprintf(why, sizeof(why), "redis: no reply in %llu s (--io-timeout-s): is redis-server hung?",
		 (unsigned long long)s->params->io_timeout_s);
	async_fail(s, why);
}

static void redis_get_disconnect_cb(const redisAsyncContext *ac, int status)
{
	struct async_slot *s = ac->data;
	if (!s) /* the slot is gone (slot_fini) */
		return;
	struct redis_slot *rs = s->state;
	rs->ac = NULL; /* hiredis frees it after this callback */
	char why[160];
	snprintf(why, sizeof(why), "redis: disconnected: %s (did redis-server die?)",
		 status == REDIS_OK ? "closed by the server" : ac->errstr);
	async_fail(s, why);
}

static void redis_get_connect_cb(const redisAsyncContext *ac, int status)
{
	struct async_slot *s = ac->data;
	if (status == REDIS_OK || !s)
		return;
	struct redis_slot *rs = s->state;
	rs->ac = NULL; /* freed by hiredis after a failed connect */
	char why[160];
	snprintf(why, sizeof(why), "redis: connect: %s", ac->errstr);
	async_fail(s, why);
}

/* wait_for - poll fd for `events` up to timeout_s.  1 ready, 0 timed out, -1 error. */
static int wait_for(int fd, short events, uint64_t timeout_s)
{
	struct pollfd p = { .fd = fd, .events = events };
	int rc;
	while ((rc = poll(&p, 1, (int)(timeout_s * 1000))) < 0 && errno == EINTR)
		;
	return rc;
}

/*
 * connected - before the clock, make sure the server has this connection:
 * the TCP handshake done and the server's accept() too, proved by a PING
 * answered on the raw socket before hiredis has sent anything on it (the
 * threads side PINGs through hiredis's blocking API).  Without it, redis
 * accepts 10,000 connections (1,000 per turn of its loop) inside the clock.
 * Returns 0, or -1 with err set.
 */
static int connected(int fd, uint64_t timeout_s, char *err, size_t errlen)
{
	static const char ping[] = "PING\r\n", pong[] = "+PONG\r\n";
	char got[sizeof(pong)] = { 0 };
	size_t have = 0;
	int so = 0;
	socklen_t len = sizeof(so);
	int rc = wait_for(fd, POLLOUT, timeout_s);
	if (rc == 1 && (getsockopt(fd, SOL_SOCKET, SO_ERROR, &so, &len) != 0 || so != 0))
		rc = -1;
	if (rc == 1 && send(fd, ping, sizeof(ping) - 1, MSG_NOSIGNAL) != (ssize_t)sizeof(ping) - 1)
		rc = -1;
	while (rc == 1 && have < sizeof(pong) - 1) {
		rc = wait_for(fd, POLLIN, timeout_s);
		ssize_t r = rc == 1 ? recv(fd, got + have, sizeof(pong) - 1 - have, 0) : 0;
		if (rc == 1 && r <= 0 && !(r < 0 && (errno == EAGAIN || errno == EINTR)))
			rc = -1;
		have += r > 0 ? (size_t)r : 0;
	}
	if (rc == 1 && memcmp(got, pong, sizeof(pong) - 1) == 0)
		return 0;
	snprintf(err, errlen, "redis: connect: %s",
		 rc == 0 ? "no answer to PING (--io-timeout-s)"
		 : rc == 1 ? "PING answered wrongly"
			   : strerror(so ? so : errno ? errno : ECONNRESET));
	return -1;
}

static int redis_get_slot_init(struct async_slot *s, char *err, size_t errlen)
{
	struct redis_slot *rs = calloc(1, sizeof(*rs));
	if (!rs) {
		snprintf(err, errlen, "out of memory for slot state");
		return -1;
	}
	s->state = rs;
	char host[REDIS_GET_HOST_MAX];
	int port;
	redis_get_host(s->params, host, &port);
	rs->ac = redisAsyncConnect(host, port);
	if (!rs->ac || rs->ac->err) {
		snprintf(err, errlen, "redis %s:%d: %s", host, port,
			 rs->ac ? rs->ac->errstr : "out of memory");
		return -1;
	}
	rs->ac->data = s;
	struct timeval tv = { (time_t)s->params->io_timeout_s, 0 };
	rs->io_tv = event_base_init_common_timeout(async_slot_base(s), &tv);
	s->ev = evtimer_new(async_slot_base(s), redis_get_timeout_cb, s);
	if (!rs->io_tv || !s->ev || redis_ev_attach(rs->ac, async_slot_base(s)) != 0 ||
	    redisAsyncSetConnectCallback(rs->ac, redis_get_connect_cb) != REDIS_OK ||
	    redisAsyncSetDisconnectCallback(rs->ac, redis_get_disconnect_cb) != REDIS_OK) {
		snprintf(err, errlen, "redis: attaching to the loop failed (out of memory?)");
		return -1;
	}
	return connected(rs->ac->c.fd, s->params->io_timeout_s, err, errlen);
}

static void redis_get_task_start(struct async_slot *s)
{
	struct redis_slot *rs = s->state;
	char key[REDIS_GET_KEY_MAX];
	size_t kl = redis_get_key(s->task_id, s->params->value_bytes, key);
	event_base_update_cache_time(async_slot_base(s)); /* the bound from a fresh clock */
	evtimer_add(s->ev, rs->io_tv);
	if (!rs->ac || redisAsyncCommand(rs->ac, redis_get_reply_cb, s, "GET %b", key, kl) !=
			       REDIS_OK)
		async_fail(s, "redis: GET could not be queued (connection closing)");
}

static void redis_get_slot_fini(struct async_slot *s)
{
	struct redis_slot *rs = s->state;
	if (rs) {
		if (rs->ac) {
			rs->ac->data = NULL; /* its callbacks, now or after the one running, see none */
			redisAsyncFree(rs->ac);
		}
		free(rs);
	}
	if (s->ev)
		event_free(s->ev);
	s->state = NULL;
}

const struct async_ops async_redis_get = {
	.slot_init = redis_get_slot_init,
	.task_start = redis_get_task_start,
	.slot_fini = redis_get_slot_fini,
};
