/*
 * http.h - HTTP/1.1 for serve mode: a request stream parsed, a response
 * written, one copy for every model (the blocking-style connection loop of
 * threads, pool, green and uring, the callback loop of async, async-mt and
 * hybrid) and for the load generator.
 *
 * Parsing is Joyent's http_parser (Node.js's before llhttp; Debian's
 * libhttp-parser-dev, 2.9): a streaming parser of ~32 bytes of state that
 * takes the bytes as they come, in pieces of any size, so a connection never
 * holds its request head (up to HTTP_HEAD_MAX) in a buffer of its own; it
 * counts the head's bytes and says when they overflow (431), and it knows
 * HTTP/1.0 and 1.1 keep-alive and Connection: close.  Chosen over llhttp (not
 * packaged in Debian 12, generated C) and picohttpparser (not packaged; it
 * wants the whole head in one buffer, which for an idle connection is memory
 * held for nothing).
 *
 * A request names a task of the server's pair: GET /PAIR?id=N, N a decimal
 * id below 2^32.  Pipelined requests are taken one at a time (the parser
 * pauses at each request's end), so each is answered, in order, before the
 * next is read.
 */
#ifndef HTTP_H
#define HTTP_H

#include <stddef.h>
#include <stdint.h>

#include <http_parser.h>

#define HTTP_HEAD_MAX 8192 /* request line + headers, bytes: more is 431 */
#define HTTP_IN_MAX 1024   /* bytes a connection reads (or keeps unparsed) at once */
#define HTTP_URL_MAX 64    /* longest request target kept: a longer one names no task */
#define HTTP_RESP_MAX 192  /* longest response http_response writes */
#define HTTP_ID_LIMIT 4294967296ULL /* task ids are below 2^32 (the fan-out's -n bound) */

/* What http_feed found. */
enum http_event {
	HTTP_EV_NEED,    /* every byte given was consumed: read more */
	HTTP_EV_REQUEST, /* one request is whole (or the stream is malformed): answer it */
};

/* One request, as the server answers it. */
struct http_req {
	int status;     /* 0: run task `id`; else the error status to answer (400, 404, 405,
			   431) */
	uint64_t id;    /* the task id (status 0) */
	int keep_alive; /* 1: the connection stays open after the response */
	int http10;     /* 1: HTTP/1.0 (a kept-alive 1.0 connection is said so in the reply) */
};

/* A connection's parse state: what is left of the request when the bytes
 * stop mid-way.  No buffer of the head: ~100 bytes, idle or not. */
struct http_conn {
	http_parser parser;     /* the library's state */
	const char *pair;       /* the workload a path must name */
	uint8_t url_len;        /* bytes in url */
	uint8_t url_over;       /* 1: the target was longer than url */
	uint8_t begun;          /* 1: a request's first byte came, its end not yet */
	uint8_t done;           /* 1: a request ended (the parser paused there) */
	uint8_t broken;         /* 1: the stream was malformed: nothing more is parsed */
	char url[HTTP_URL_MAX]; /* the request target so far */
};

/* http_conn_init - a new connection's state, serving the pair named `pair`
 * (kept by pointer).  Cost: a few stores. */
void http_conn_init(struct http_conn *c, const char *pair);

/*
 * http_feed - parse buf[0..len), the connection's next bytes.  Returns
 * HTTP_EV_REQUEST when one request has ended, with *used the bytes up to its
 * end (the rest belongs to the next request: give them again after the
 * answer) and *req what to answer; or HTTP_EV_NEED with *used = len.  A
 * malformed stream is HTTP_EV_REQUEST with status 400 (431 for a head over
 * HTTP_HEAD_MAX) and keep_alive 0: answer, then close.  Cost: the parser's,
 * about a nanosecond a byte.
 */
enum http_event http_feed(struct http_conn *c, const char *buf, size_t len, size_t *used,
			  struct http_req *req);

/* http_idle - 1 if the connection is between requests (none begun), so an
 * end of stream now is a clean close, 0 if a request is half-read. */
int http_idle(const struct http_conn *c);

/*
 * http_response - the answer to req in buf (at least HTTP_RESP_MAX bytes):
 * status 200 with result as 16 hex digits and "\n", or status (400, 404,
 * 405, 431, 500) with a one-line body.  "Connection: close" when
 * !req->keep_alive.  Returns its length.  Cost: tens of ns for a 200.
 */
size_t http_response(char *buf, int status, uint64_t result, const struct http_req *req);

/*
 * http_parse_response - the load side's reader: parse one response at the
 * start of buf[0..len).  Returns its length when it is whole, with *status,
 * and *result from a 200's 16-digit body (0 otherwise); 0 if more bytes are
 * needed; -1 if it is not a response this server writes.
 */
long http_parse_response(const char *buf, size_t len, int *status, uint64_t *result);

#endif
