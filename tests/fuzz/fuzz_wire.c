/*
 * fuzz_wire.c - libFuzzer target: the backend's request parser.
 *
 * The input is a byte stream as a client could send it to bin/backend.  It is
 * parsed the way harness/backend/ parses it (parse one request, digest it,
 * drop its bytes, parse the rest) three times: from the whole buffer, fed one
 * byte at a time, and fed in pseudo-random chunks through a buffer of the
 * backend's size.  Incremental parsing must agree with whole-buffer parsing:
 * the same requests (id, delay, length, digest), ending the same way
 * (malformed, oversized, or waiting for more at the same offset).  ASan and
 * UBSan check every read (bytes past what has arrived are poisoned); the
 * CHECKs below check the contract of workloads/wire.h.
 *
 * Build and run: `make fuzz`.  Replay files: build/fuzz/fuzz_wire FILE...
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../workloads/wire.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#include <sanitizer/asan_interface.h>
#define POISON(p, n)   ASAN_POISON_MEMORY_REGION(p, n)
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#endif
#endif
#ifndef POISON
#define POISON(p, n)   ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#define IN_BUF    (WIRE_HDR_LEN + WIRE_MAX_PAYLOAD) /* harness/backend/'s input buffer */
#define MAX_CHUNK 97                                /* largest pseudo-random piece */
#define MIX       0x9e3779b97f4a7c15ULL             /* folds requests into a summary */

/* CHECK - a contract violation: abort, so libFuzzer saves the input. */
#define CHECK(x)                                                                                   \
	do {                                                                                       \
		if (!(x)) {                                                                        \
			fprintf(stderr, "fuzz_wire: %s:%d: check failed: %s\n", __FILE__,          \
			        __LINE__, #x);                                                     \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* How a parse of a whole stream went. */
struct outcome {
	uint64_t nreq;   /* requests parsed */
	uint64_t sum;    /* order-dependent summary of (id, delay, len, digest) */
	int end;         /* WIRE_NEED_MORE, WIRE_MALFORMED or WIRE_OVERSIZED */
	size_t consumed; /* bytes taken by the parsed requests */
};

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* parse_one - wire_parse_req on buf[0..avail), and its contract checked. */
static int parse_one(const unsigned char *buf, size_t avail, struct wire_req *req)
{
	static const unsigned char magic[4] = {'T', 'V', 'B', 'Q'};
	memset(req, 0, sizeof(*req));
	int n = wire_parse_req(buf, avail, req);
	CHECK(n > 0 || n == WIRE_NEED_MORE || n == WIRE_MALFORMED || n == WIRE_OVERSIZED);
	/* A wrong byte of the magic is malformed as soon as it has arrived. */
	if (memcmp(buf, magic, avail < 4 ? avail : 4) != 0)
		CHECK(n == WIRE_MALFORMED);
	if (n == WIRE_NEED_MORE)
		CHECK(avail < WIRE_HDR_LEN || avail < WIRE_HDR_LEN + (size_t)le32(buf + 4));
	/* A whole header decides oversized, then malformed (wire.h). */
	if (avail >= WIRE_HDR_LEN && le32(buf) == WIRE_REQ_MAGIC) {
		int bad = le32(buf + 20) != 0 || le32(buf + 16) > WIRE_MAX_DELAY_US;
		CHECK((n == WIRE_OVERSIZED) == (le32(buf + 4) > WIRE_MAX_PAYLOAD));
		CHECK((n == WIRE_MALFORMED) == (le32(buf + 4) <= WIRE_MAX_PAYLOAD && bad));
	}
	if (n == WIRE_OVERSIZED)
		CHECK(avail >= WIRE_HDR_LEN);
	if (n > 0) {
		CHECK((size_t)n <= avail);
		CHECK(req->len <= WIRE_MAX_PAYLOAD && (size_t)n == WIRE_HDR_LEN + req->len);
		CHECK(req->delay_us <= WIRE_MAX_DELAY_US);
		CHECK(req->payload == buf + WIRE_HDR_LEN);
		CHECK(le32(buf) == WIRE_REQ_MAGIC && le32(buf + 20) == 0);
		CHECK(req->id == ((uint64_t)le32(buf + 8) | (uint64_t)le32(buf + 12) << 32));
	}
	return n;
}

/* record - what the backend would answer, folded into the outcome. */
static void record(struct outcome *o, const struct wire_req *req)
{
	uint64_t digest = wire_digest(req->id, req->delay_us, req->payload, req->len);
	unsigned char rep[WIRE_REP_LEN];
	wire_encode_rep(rep, req->id, digest);
	CHECK(wire_check_rep(rep, req->id, digest) == 0);
	CHECK(wire_check_rep(rep, req->id + 1, digest) != 0);
	o->nreq++;
	o->sum = (o->sum ^ req->id) * MIX;
	o->sum = (o->sum ^ req->delay_us) * MIX;
	o->sum = (o->sum ^ req->len) * MIX;
	o->sum = (o->sum ^ digest) * MIX;
}

/* parse_whole - the stream parsed from one buffer holding all of it. */
static void parse_whole(const unsigned char *data, size_t size, struct outcome *o)
{
	memset(o, 0, sizeof(*o));
	o->end = WIRE_NEED_MORE;
	while (o->consumed < size) {
		struct wire_req req;
		int n = parse_one(data + o->consumed, size - o->consumed, &req);
		if (n <= 0) {
			o->end = n;
			return;
		}
		record(o, &req);
		o->consumed += (size_t)n;
	}
}

/* next_chunk - xorshift64: a piece size in 1..MAX_CHUNK. */
static size_t next_chunk(uint64_t *seed)
{
	*seed ^= *seed << 13;
	*seed ^= *seed >> 7;
	*seed ^= *seed << 17;
	return (size_t)(*seed % MAX_CHUNK) + 1;
}

/*
 * parse_fed - the stream as the backend sees it: pieces arrive in a buffer of
 * IN_BUF bytes and complete requests are taken from its front.  seed 0: one
 * byte at a time; else pseudo-random piece sizes.  Bytes not yet arrived are
 * poisoned, so a parser that reads past `avail` is caught.
 */
static void parse_fed(const unsigned char *data, size_t size, uint64_t seed, struct outcome *o)
{
	static unsigned char in[IN_BUF];
	size_t have = 0, pos = 0;
	memset(o, 0, sizeof(*o));
	o->end = WIRE_NEED_MORE;
	POISON(in, sizeof(in));
	for (;;) {
		while (have > 0) {
			struct wire_req req;
			int n = parse_one(in, have, &req);
			if (n == WIRE_NEED_MORE)
				break;
			if (n < 0) {
				o->end = n;
				UNPOISON(in, sizeof(in));
				return;
			}
			record(o, &req);
			o->consumed += (size_t)n;
			have -= (size_t)n;
			memmove(in, in + n, have);
			POISON(in + have, sizeof(in) - have);
		}
		if (pos == size)
			break;
		/* The backend reads into the free space: a whole request always
		 * fits, so a full buffer must hold a complete (or a bad) request. */
		CHECK(have < sizeof(in));
		size_t chunk = seed ? next_chunk(&seed) : 1;
		if (chunk > sizeof(in) - have)
			chunk = sizeof(in) - have;
		if (chunk > size - pos)
			chunk = size - pos;
		UNPOISON(in + have, chunk);
		memcpy(in + have, data + pos, chunk);
		have += chunk;
		pos += chunk;
	}
	UNPOISON(in, sizeof(in));
}

/* check_client_req - what the models send parses back to what they asked. */
static void check_client_req(const uint8_t *data, size_t size)
{
	uint64_t id = 0;
	uint32_t delay = 0;
	for (size_t i = 0; i < size && i < 12; i++) {
		if (i < 8)
			id |= (uint64_t)data[i] << (8 * i);
		else
			delay |= (uint32_t)data[i] << (8 * (i - 8));
	}
	delay %= WIRE_MAX_DELAY_US + 1;
	unsigned char req_buf[WIRE_CLIENT_REQ_LEN];
	uint64_t want = wire_client_req(req_buf, id, delay);
	struct wire_req req;
	CHECK(parse_one(req_buf, sizeof(req_buf), &req) == WIRE_CLIENT_REQ_LEN);
	CHECK(req.id == id && req.delay_us == delay && req.len == WIRE_CLIENT_PAYLOAD);
	CHECK(wire_digest(req.id, req.delay_us, req.payload, req.len) == want);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct outcome whole, bytewise, chunked;
	parse_whole(data, size, &whole);
	parse_fed(data, size, 0, &bytewise);
	/* The piece sizes depend on the input, so a crash replays exactly. */
	uint64_t seed = 0xcbf29ce484222325ULL;
	for (size_t i = 0; i < size; i++)
		seed = (seed ^ data[i]) * 0x100000001b3ULL;
	parse_fed(data, size, seed | 1, &chunked);
	const struct outcome *fed[] = {&bytewise, &chunked};
	for (size_t i = 0; i < 2; i++) {
		CHECK(fed[i]->nreq == whole.nreq);
		CHECK(fed[i]->sum == whole.sum);
		CHECK(fed[i]->end == whole.end);
		CHECK(fed[i]->consumed == whole.consumed);
	}
	check_client_req(data, size);
	/* A reply passes only with its magic, status 0, id and digest. */
	if (size >= WIRE_REP_LEN) {
		uint64_t id = (uint64_t)le32(data + 8) | (uint64_t)le32(data + 12) << 32;
		uint64_t digest = (uint64_t)le32(data + 16) | (uint64_t)le32(data + 20) << 32;
		int valid = le32(data) == WIRE_REP_MAGIC && le32(data + 4) == 0;
		CHECK((wire_check_rep(data, id, digest) == 0) == valid);
		CHECK(wire_check_rep(data, id ^ 1, digest) != 0);
		CHECK(wire_check_rep(data, id, digest ^ 1) != 0);
	}
	return 0;
}
