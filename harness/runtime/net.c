/*
 * net.c - connect with retries, abortive close, full reads and writes.
 *
 * It also counts the connections it has open (made by net_connect, not yet
 * closed by net_close_abort), so that a run that runs out of descriptors can
 * say how far it got: "EMFILE ... at 92 open connections".
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "net.h"

/* Connections open now, across all threads of the process.  Touched only at
 * connect and close (set-up and tear-down), never per task. */
static atomic_long net_open;

/* net_open_conns - connections made by net_connect and not yet closed by
 * net_close_abort, in the whole process.  Cost: one atomic load. */
static long net_open_conns(void)
{
	return atomic_load(&net_open);
}

/* limit_why - " (EMFILE: ...)" for a socket() that ran out of descriptors,
 * naming the limit and how many connections were open; "" otherwise. */
static void limit_why(int e, char *buf, size_t len)
{
	struct rlimit rl;
	buf[0] = '\0';
	if (e == EMFILE && getrlimit(RLIMIT_NOFILE, &rl) == 0)
		snprintf(buf, len,
			 " (EMFILE: the descriptor limit RLIMIT_NOFILE=%llu reached at %ld open "
			 "connections)",
			 (unsigned long long)rl.rlim_cur, net_open_conns());
	else if (e == ENFILE)
		snprintf(buf, len,
			 " (ENFILE: the system-wide descriptor limit fs.file-max reached at %ld "
			 "open connections)",
			 net_open_conns());
}

const char *net_addr_str(const struct sockaddr_in *addr, char *buf, size_t len)
{
	char ip[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &addr->sin_addr, ip, sizeof(ip));
	snprintf(buf, len, "%s:%u", ip, (unsigned)ntohs(addr->sin_port));
	return buf;
}

static int transient(int e)
{
	return e == EAGAIN || e == EADDRNOTAVAIL || e == ETIMEDOUT || e == EINTR ||
	       e == ECONNREFUSED;
}

/* The blocking attempt and pause of net_connect. */
static int connect_plain(int fd, const struct sockaddr_in *addr)
{
	return connect(fd, (const struct sockaddr *)addr, sizeof(*addr));
}

static void pause_plain(long us)
{
	struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };
	nanosleep(&ts, NULL);
}

int net_connect(const struct sockaddr_in *addr, int nonblock, char *err, size_t errlen)
{
	static const struct net_connect_ops plain = { 0, connect_plain, pause_plain, NULL };
	int fd = net_connect_with(addr, &plain, err, errlen);
	int fl = fd >= 0 && nonblock ? fcntl(fd, F_GETFL) : 0;
	if (fl < 0 || (fd >= 0 && nonblock && fcntl(fd, F_SETFL, fl | O_NONBLOCK) != 0)) {
		/* a blocking socket on a loop would favour one model silently */
		snprintf(err, errlen, "fcntl O_NONBLOCK: %s", strerror(errno));
		net_close_abort(fd);
		return -1;
	}
	return fd;
}

int net_connect_with(const struct sockaddr_in *addr, const struct net_connect_ops *ops,
		     char *err, size_t errlen)
{
	long pause_us = NET_BACKOFF_START_US;
	int e = 0;
	char why[160] = "";
	for (int attempt = 0; attempt < NET_CONNECT_TRIES; attempt++) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | ops->sock_flags, 0);
		if (fd < 0) {
			e = errno;
			limit_why(e, why, sizeof(why));
			break; /* EMFILE, ENFILE, ENOBUFS: a limit, not a hiccup */
		}
		/* Both are what a model's figures rest on (Nagle's 40 ms delayed
		 * ACKs; a blocking socket on a loop): a failure fails the run. */
		int one = 1;
		if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0) {
			snprintf(err, errlen, "setsockopt TCP_NODELAY: %s", strerror(errno));
			close(fd);
			return -1;
		}
		if (ops->connect(fd, addr) == 0) {
			atomic_fetch_add(&net_open, 1);
			return fd;
		}
		e = errno;
		if (ops->discard)
			ops->discard(fd);
		close(fd);
		if (!transient(e))
			break;
		/* ECONNREFUSED on loopback with a listener means its queue is full;
		 * without one it is final: a few tries tell them apart quickly. */
		ops->pause_us(pause_us);
		pause_us = pause_us * 2 > NET_BACKOFF_MAX_US ? NET_BACKOFF_MAX_US : pause_us * 2;
		if (e == ECONNREFUSED && attempt >= 8)
			break;
	}
	char a[64];
	snprintf(err, errlen, "connect %s: %s%s", net_addr_str(addr, a, sizeof(a)), strerror(e),
		 why);
	errno = e;
	return -1;
}

/* Only for fds from net_connect: each close takes one off net_open. */
void net_close_abort(int fd)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
	atomic_fetch_sub(&net_open, 1);
}

void net_close_client(int fd, int lingering)
{
	if (lingering) {
		char buf[4096];
		shutdown(fd, SHUT_WR);
		for (size_t got = 0; got < NET_LINGER_DRAIN;) {
			ssize_t r = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
			if (r <= 0)
				break;
			got += (size_t)r;
		}
	}
	close(fd);
}

int net_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len > 0) {
		ssize_t w = send(fd, p, len, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

int net_read_full(int fd, void *buf, size_t len)
{
	char *p = buf;
	while (len > 0) {
		ssize_t r = read(fd, p, len);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0) {
			errno = 0;
			return 1;
		}
		p += r;
		len -= (size_t)r;
	}
	return 0;
}
