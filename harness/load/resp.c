/*
 * resp.c - HTTP/1.1 responses as bin/load reads them, parsed by
 * libhttp-parser (the parser every model's server uses for its requests,
 * so one library reads both sides of the wire).
 *
 * One http_parser per connection (32 bytes), in HTTP_RESPONSE mode; it
 * carries a connection from one keep-alive response to the next by itself.
 * The body is kept (it is a result: 16 hex digits and "\n"), headers are not
 * looked at beyond what the parser itself reads (Content-Length,
 * Connection, Transfer-Encoding).
 */
#include <string.h>

#include "load.h"

/* resp_body_cb - a piece of the body: kept up to LOAD_BODY_MAX bytes. */
static int resp_body_cb(http_parser *p, const char *at, size_t len)
{
	struct load_conn *c = p->data;
	if (len > LOAD_BODY_MAX - (size_t)c->body_len) {
		c->body_over = 1;
		return 0;
	}
	memcpy(c->body + c->body_len, at, len);
	c->body_len = (uint8_t)(c->body_len + len);
	return 0;
}

/* resp_begin_cb - a new response starts: an empty body. */
static int resp_begin_cb(http_parser *p)
{
	struct load_conn *c = p->data;
	c->body_len = 0;
	c->body_over = 0;
	return 0;
}

/* resp_complete_cb - a whole response: hand it on.  The connection may be
 * closed inside (a Connection: close), so the parser is paused: no byte
 * after this response is parsed in this call. */
static int resp_complete_cb(http_parser *p)
{
	struct load_conn *c = p->data;
	c->closing = !http_should_keep_alive(p);
	http_parser_pause(p, 1);
	return 0;
}

static const http_parser_settings resp_settings = {
	.on_message_begin = resp_begin_cb,
	.on_body = resp_body_cb,
	.on_message_complete = resp_complete_cb,
};

void load_resp_init(struct load_conn *c)
{
	http_parser_init(&c->parser, HTTP_RESPONSE);
	c->parser.data = c;
	c->body_len = 0;
	c->body_over = 0;
	c->closing = 0;
}

int load_resp_feed(struct load_conn *c, const char *buf, size_t n)
{
	if (n == 0) {
		/* EOF: a response delimited by the close completes here. */
		http_parser_execute(&c->parser, &resp_settings, buf, 0);
		if (HTTP_PARSER_ERRNO(&c->parser) == HPE_PAUSED) {
			http_parser_pause(&c->parser, 0);
			load_conn_response(c, c->parser.status_code, 0);
		}
		return 0;
	}
	size_t off = 0;
	while (off < n) {
		uint32_t gen = c->gen;
		size_t used = http_parser_execute(&c->parser, &resp_settings, buf + off, n - off);
		enum http_errno e = HTTP_PARSER_ERRNO(&c->parser);
		if (e == HPE_PAUSED) {
			http_parser_pause(&c->parser, 0);
			off += used;
			load_conn_response(c, c->parser.status_code, !c->closing);
			if (c->gen != gen)
				return 0; /* closed inside: the rest belongs to no one */
			continue;
		}
		if (e != HPE_OK)
			return -1;
		off += used;
	}
	return 0;
}
