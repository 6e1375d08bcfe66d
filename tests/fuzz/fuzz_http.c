/*
 * fuzz_http.c - libFuzzer target: serve mode's HTTP (harness/runtime/http.h).
 *
 * The input is a byte stream as a client could send it to a model's server.
 * It is parsed the way every server does (http_feed: one request at a time,
 * its bytes dropped, the rest given again) three ways: from the whole
 * buffer, one byte at a time, and in pseudo-random pieces.  They must agree:
 * the same requests (status, id, keep-alive, HTTP/1.0), ending the same way
 * (the first that closes the connection, or waiting for more).  Each answer
 * is written with http_response and read back with http_parse_response (the
 * load generator's reader): its status and result come back.
 *
 * Build and run: `make fuzz`.  Replay files: build/fuzz/fuzz_http FILE...
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../harness/runtime/http.h"

#define MAX_CHUNK 97                    /* largest pseudo-random piece */
#define MIX       0x9e3779b97f4a7c15ULL /* folds requests into a summary */
#define PAIR      "io_sleep"            /* the pair the server serves */

/* CHECK - a contract violation: abort, so libFuzzer saves the input. */
#define CHECK(x)                                                                                   \
	do {                                                                                       \
		if (!(x)) {                                                                        \
			fprintf(stderr, "fuzz_http: %s:%d: check failed: %s\n", __FILE__,          \
			        __LINE__, #x);                                                     \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* How a parse of a whole stream went. */
struct outcome {
	uint64_t nreq;  /* requests answered */
	uint64_t sum;   /* order-dependent summary of (status, id, keep_alive, http10) */
	int closed;     /* 1: a request closed the connection (nothing after it is read) */
};

/* answer - what the server writes for req, read back; folded into o. */
static void answer(struct outcome *o, const struct http_req *req)
{
	CHECK(req->status == 0 || req->status == 400 || req->status == 404 ||
	      req->status == 405 || req->status == 431);
	CHECK(req->status != 0 || req->id < HTTP_ID_LIMIT);
	CHECK(req->status != 400 || !req->keep_alive);
	CHECK(req->status != 431 || !req->keep_alive);
	int status = req->status ? req->status : 200;
	uint64_t result = req->id * MIX;
	char buf[HTTP_RESP_MAX + 1];
	buf[HTTP_RESP_MAX] = 'X';
	size_t n = http_response(buf, status, result, req);
	CHECK(n > 0 && n <= HTTP_RESP_MAX && buf[HTTP_RESP_MAX] == 'X');
	int got_status;
	uint64_t got;
	CHECK(http_parse_response(buf, n, &got_status, &got) == (long)n);
	CHECK(got_status == status && (status != 200 || got == result));
	CHECK(http_parse_response(buf, n - 1, &got_status, &got) == 0);
	o->nreq++;
	o->sum = (o->sum ^ (uint64_t)req->status) * MIX;
	o->sum = (o->sum ^ req->id) * MIX;
	o->sum = (o->sum ^ (uint64_t)(req->keep_alive * 2 + req->http10)) * MIX;
	if (!req->keep_alive)
		o->closed = 1;
}

/* next_chunk - xorshift64: a piece size in 1..MAX_CHUNK. */
static size_t next_chunk(uint64_t *seed)
{
	*seed ^= *seed << 13;
	*seed ^= *seed >> 7;
	*seed ^= *seed << 17;
	return (size_t)(*seed % MAX_CHUNK) + 1;
}

/* parse - the stream in pieces (seed 0: the whole at once; 1: a byte at a
 * time; else pseudo-random sizes), each piece copied to a buffer of its own
 * size so ASan catches a read past what has arrived. */
static void parse(const uint8_t *data, size_t size, uint64_t seed, struct outcome *o)
{
	struct http_conn c;
	http_conn_init(&c, PAIR);
	memset(o, 0, sizeof(*o));
	for (size_t pos = 0; pos < size && !o->closed;) {
		size_t len = seed == 0 ? size - pos : seed == 1 ? 1 : next_chunk(&seed);
		if (len > size - pos)
			len = size - pos;
		char *piece = malloc(len);
		CHECK(piece);
		memcpy(piece, data + pos, len);
		size_t off = 0;
		while (off < len && !o->closed) {
			struct http_req req;
			size_t used;
			enum http_event ev = http_feed(&c, piece + off, len - off, &used, &req);
			CHECK(used <= len - off);
			off += used;
			if (ev == HTTP_EV_NEED) {
				CHECK(off == len);
				break;
			}
			answer(o, &req);
		}
		free(piece);
		pos += len;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct outcome whole, bytes, pieces;
	parse(data, size, 0, &whole);
	parse(data, size, 1, &bytes);
	parse(data, size, 0x2545f4914f6cdd1dULL ^ size, &pieces);
	CHECK(whole.nreq == bytes.nreq && whole.sum == bytes.sum && whole.closed == bytes.closed);
	CHECK(whole.nreq == pieces.nreq && whole.sum == pieces.sum &&
	      whole.closed == pieces.closed);
	return 0;
}
