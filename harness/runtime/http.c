/*
 * http.c - serve mode's HTTP/1.1 (http.h): requests through http_parser,
 * responses written by hand (a 200 is a fixed head and 16 hex digits: no
 * printf on the path every request takes).
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "http.h"

#define HTTP_ID_DIGITS 10 /* 2^32 - 1 has 10 */

static pthread_once_t http_once = PTHREAD_ONCE_INIT;

/* set_limits - the parser's head limit is a process-wide setting. */
static void set_limits(void)
{
	http_parser_set_max_header_size(HTTP_HEAD_MAX);
}

static int on_url(http_parser *p, const char *at, size_t len)
{
	struct http_conn *c = p->data;
	if (c->url_over || len > sizeof(c->url) - c->url_len) {
		c->url_over = 1;
		return 0;
	}
	memcpy(c->url + c->url_len, at, len);
	c->url_len = (uint8_t)(c->url_len + len);
	return 0;
}

static int on_message_begin(http_parser *p)
{
	((struct http_conn *)p->data)->begun = 1;
	return 0;
}

static int on_message_complete(http_parser *p)
{
	struct http_conn *c = p->data;
	c->done = 1;
	c->begun = 0;
	http_parser_pause(p, 1); /* one request at a time: answer it first */
	return 0;
}

static const http_parser_settings settings = {
	.on_message_begin = on_message_begin,
	.on_url = on_url,
	.on_message_complete = on_message_complete,
};

void http_conn_init(struct http_conn *c, const char *pair)
{
	pthread_once(&http_once, set_limits);
	memset(c, 0, sizeof(*c));
	http_parser_init(&c->parser, HTTP_REQUEST);
	c->parser.data = c;
	c->pair = pair;
}

int http_idle(const struct http_conn *c)
{
	return !c->broken && !c->begun;
}

/* target_status - 0 with *id if the target is /PAIR?id=N, else 404 (no
 * such path) or 400 (the right path, a bad query). */
static int target_status(const struct http_conn *c, uint64_t *id)
{
	if (c->url_over)
		return 404;
	size_t n = strlen(c->pair);
	const char *u = c->url, *end = c->url + c->url_len;
	if ((size_t)(end - u) < n + 1 || u[0] != '/' || memcmp(u + 1, c->pair, n) != 0)
		return 404;
	u += n + 1;
	if (u == end || *u != '?')
		return u == end ? 400 : 404; /* "/PAIRx" is another path; "/PAIR" lacks its id */
	static const char key[] = "?id=";
	if ((size_t)(end - u) < sizeof(key) - 1 || memcmp(u, key, sizeof(key) - 1) != 0)
		return 400;
	u += sizeof(key) - 1;
	if (u == end || end - u > HTTP_ID_DIGITS)
		return 400;
	uint64_t v = 0;
	for (; u < end; u++) {
		if (*u < '0' || *u > '9')
			return 400;
		v = v * 10 + (uint64_t)(*u - '0');
	}
	if (v >= HTTP_ID_LIMIT)
		return 400;
	*id = v;
	return 0;
}

/* malformed - the stream cannot be parsed on: answer status and close. */
static enum http_event malformed(struct http_conn *c, int status, struct http_req *req)
{
	c->broken = 1;
	req->status = status;
	req->keep_alive = 0;
	return HTTP_EV_REQUEST;
}

enum http_event http_feed(struct http_conn *c, const char *buf, size_t len, size_t *used,
			  struct http_req *req)
{
	memset(req, 0, sizeof(*req));
	*used = len;
	if (c->broken)
		return malformed(c, 400, req);
	http_parser *p = &c->parser;
	size_t n = http_parser_execute(p, &settings, buf, len);
	enum http_errno e = HTTP_PARSER_ERRNO(p);
	if (c->done) {
		*used = n;
		c->done = 0;
		req->http10 = p->http_major == 1 && p->http_minor == 0;
		/* An upgrade offer is declined by answering it and closing: the
		 * parser reads nothing of the stream after it. */
		req->keep_alive = http_should_keep_alive(p) && !p->upgrade;
		if (p->method != HTTP_GET)
			req->status = 405;
		else
			req->status = target_status(c, &req->id);
		if (req->status == 400)
			req->keep_alive = 0; /* a bad request's stream is not trusted further */
		if (e == HPE_PAUSED)
			http_parser_pause(p, 0);
		c->url_len = 0;
		c->url_over = 0;
		if (!req->keep_alive)
			c->broken = 1; /* whatever follows is not read */
		return HTTP_EV_REQUEST;
	}
	if (e != HPE_OK)
		return malformed(c, e == HPE_HEADER_OVERFLOW ? 431 : 400, req);
	if (n != len) /* an upgrade's head that never completed: nothing to answer */
		return malformed(c, 400, req);
	return HTTP_EV_NEED;
}

/* put - append s (n bytes) at *o. */
static void put(char *buf, size_t *o, const char *s, size_t n)
{
	memcpy(buf + *o, s, n);
	*o += n;
}

size_t http_response(char *buf, int status, uint64_t result, const struct http_req *req)
{
	static const char ok_head[] = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
				      "Content-Length: 17\r\n";
	static const char close_hdr[] = "Connection: close\r\n";
	static const char keep_hdr[] = "Connection: keep-alive\r\n";
	size_t o = 0;
	char body[64];
	size_t blen;
	if (status == 200) {
		put(buf, &o, ok_head, sizeof(ok_head) - 1);
		static const char hex[] = "0123456789abcdef";
		for (int i = 0; i < 16; i++)
			body[i] = hex[(result >> (60 - 4 * i)) & 15];
		body[16] = '\n';
		blen = 17;
	} else {
		const char *reason = status == 400   ? "Bad Request"
				     : status == 404 ? "Not Found"
				     : status == 405 ? "Method Not Allowed"
				     : status == 431 ? "Request Header Fields Too Large"
						     : "Internal Server Error";
		const char *why = status == 400   ? "malformed request"
				  : status == 404 ? "no such task: GET /PAIR?id=N"
				  : status == 405 ? "only GET is served"
				  : status == 431 ? "request head over 8192 bytes"
						  : "the task failed";
		blen = (size_t)snprintf(body, sizeof(body), "%s\n", why);
		o = (size_t)snprintf(buf, HTTP_RESP_MAX,
				     "HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\n"
				     "Content-Length: %zu\r\n",
				     status, reason, blen);
	}
	if (!req->keep_alive)
		put(buf, &o, close_hdr, sizeof(close_hdr) - 1);
	else if (req->http10)
		put(buf, &o, keep_hdr, sizeof(keep_hdr) - 1);
	put(buf, &o, "\r\n", 2);
	put(buf, &o, body, blen);
	return o;
}

/* hex16 - 16 lower-case hex digits at s as a number; -1 if not. */
static int hex16(const char *s, uint64_t *v)
{
	uint64_t x = 0;
	for (int i = 0; i < 16; i++) {
		char ch = s[i];
		unsigned d = ch >= '0' && ch <= '9'   ? (unsigned)(ch - '0')
			     : ch >= 'a' && ch <= 'f' ? (unsigned)(ch - 'a' + 10)
						      : 16;
		if (d == 16)
			return -1;
		x = x << 4 | d;
	}
	*v = x;
	return 0;
}

long http_parse_response(const char *buf, size_t len, int *status, uint64_t *result)
{
	static const char v11[] = "HTTP/1.1 ";
	static const char cl[] = "\r\nContent-Length: ";
	*status = 0;
	*result = 0;
	if (len < sizeof(v11) + 3)
		return 0;
	if (memcmp(buf, v11, sizeof(v11) - 1) != 0)
		return -1;
	const char *end = memmem(buf, len, "\r\n\r\n", 4);
	if (!end)
		return len > HTTP_RESP_MAX ? -1 : 0;
	const char *s = buf + sizeof(v11) - 1;
	int st = 0;
	for (int i = 0; i < 3; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		st = st * 10 + (s[i] - '0');
	}
	const char *c = memmem(buf, (size_t)(end - buf) + 2, cl, sizeof(cl) - 1);
	if (!c)
		return -1;
	size_t body = 0;
	for (c += sizeof(cl) - 1; *c >= '0' && *c <= '9' && body < HTTP_RESP_MAX; c++)
		body = body * 10 + (size_t)(*c - '0');
	size_t whole = (size_t)(end - buf) + 4 + body;
	if (body >= HTTP_RESP_MAX)
		return -1;
	if (len < whole)
		return 0;
	if (st == 200 && (body != 17 || hex16(end + 4, result) != 0))
		return -1;
	*status = st;
	return (long)whole;
}
