/*
 * net.c - connect with retries, abortive close, full reads and writes.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "net.h"

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

int net_connect(const struct sockaddr_in *addr, int nonblock, char *err, size_t errlen)
{
	long pause_us = NET_BACKOFF_START_US;
	int e = 0;
	for (int attempt = 0; attempt < NET_CONNECT_TRIES; attempt++) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			e = errno;
			break; /* EMFILE, ENFILE, ENOBUFS: a limit, not a hiccup */
		}
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (connect(fd, (const struct sockaddr *)addr, sizeof(*addr)) == 0) {
			if (nonblock)
				fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
			return fd;
		}
		e = errno;
		close(fd);
		if (!transient(e))
			break;
		/* ECONNREFUSED on loopback with a listener means its queue is full;
		 * without one it is final: a few tries tell them apart quickly. */
		struct timespec ts = { pause_us / 1000000, (pause_us % 1000000) * 1000 };
		nanosleep(&ts, NULL);
		pause_us = pause_us * 2 > NET_BACKOFF_MAX_US ? NET_BACKOFF_MAX_US : pause_us * 2;
		if (e == ECONNREFUSED && attempt >= 8)
			break;
	}
	char a[64];
	snprintf(err, errlen, "connect %s: %s", net_addr_str(addr, a, sizeof(a)), strerror(e));
	errno = e;
	return -1;
}

void net_close_abort(int fd)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
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
