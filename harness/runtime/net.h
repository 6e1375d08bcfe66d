/*
 * net.h - the socket plumbing both models share, so that neither wins or
 * loses by how it connects: same options, same retries, same close.
 */
#ifndef NET_H
#define NET_H

#include <netinet/in.h>
#include <stddef.h>
#include <sys/types.h>

#define NET_CONNECT_TRIES 50      /* attempts before a connect fails */
#define NET_BACKOFF_START_US 1000 /* first retry pause; doubles each time */
#define NET_BACKOFF_MAX_US 100000 /* longest pause between tries */
#define NET_LINGER_DRAIN 65536    /* bytes net_close_client drops before closing */

/*
 * net_connect - a TCP connection to addr with TCP_NODELAY, blocking unless
 * `nonblock`.  Transient failures (EAGAIN, EADDRNOTAVAIL: ephemeral ports;
 * ETIMEDOUT, EINTR; ECONNREFUSED from an overflowing accept queue) are
 * retried with exponential back-off; EMFILE/ENFILE and the rest fail at once.
 * Returns the fd, or -1 with "connect 127.0.0.1:4242: <strerror>" in err.
 * Cost: one handshake on loopback (tens of us) when nothing goes wrong.
 */
int net_connect(const struct sockaddr_in *addr, int nonblock, char *err, size_t errlen);

/* How net_connect_with makes one attempt and waits between attempts: the
 * blocking calls by default, a coroutine runtime's parking ones otherwise. */
struct net_connect_ops {
	int sock_flags; /* extra socket() type flags, e.g. SOCK_NONBLOCK */
	/* connect fd to addr; 0, or -1 with errno (the attempt's error) */
	int (*connect)(int fd, const struct sockaddr_in *addr);
	/* pause us microseconds before the next attempt */
	void (*pause_us)(long us);
	/* forget fd before it is closed after a failed attempt (NULL: nothing) */
	void (*discard)(int fd);
};

/*
 * net_connect_with - net_connect's policy (options, retries, back-off, the
 * open-connection count, the error line) with each attempt and pause made
 * by ops.  Returns the fd, or -1 with err set.  Cost: as net_connect.
 */
int net_connect_with(const struct sockaddr_in *addr, const struct net_connect_ops *ops,
		     char *err, size_t errlen);

/* net_close_abort - close with SO_LINGER 0: an RST instead of a FIN, so no
 * TIME_WAIT is left behind to eat ephemeral ports across repeated runs. */
void net_close_abort(int fd);

/*
 * net_close_client - close an accepted client's socket (serve mode).  After
 * an error reply (lingering) the write side is shut first and what the
 * client has already sent is read and dropped (up to NET_LINGER_DRAIN), so
 * the close is a FIN behind the reply, not a reset that can destroy it in
 * flight.  Never blocks.
 */
void net_close_client(int fd, int lingering);

/* net_write_all - write len bytes to a blocking fd.  0, or -1 with errno
 * (EPIPE/ECONNRESET when the peer is gone). */
int net_write_all(int fd, const void *buf, size_t len);

/* net_read_full - read exactly len bytes from a blocking fd.  Returns 0,
 * 1 if the peer closed first (errno 0), or -1 with errno. */
int net_read_full(int fd, void *buf, size_t len);

/* net_addr_str - "a.b.c.d:port" for messages. */
const char *net_addr_str(const struct sockaddr_in *addr, char *buf, size_t len);

#endif
