/*
 * wire.c - encoding, parsing and verification of backend messages.
 * Explicit little-endian byte order, so a backend on another host (or
 * another architecture) speaks the same protocol.
 */
#include <string.h>

#include "wire.h"

#define FNV_OFFSET 0xcbf29ce484222325ULL /* FNV-1a 64-bit offset basis */
#define FNV_PRIME 0x100000001b3ULL       /* FNV-1a 64-bit prime */
#define PAYLOAD_MIX 0x9e3779b97f4a7c15ULL /* spreads id into payload bytes */

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const unsigned char *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

static void put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

static void put64(unsigned char *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

int wire_parse_req(const unsigned char *buf, size_t avail, struct wire_req *out)
{
	if (avail >= 4 && get32(buf) != WIRE_REQ_MAGIC)
		return WIRE_MALFORMED;
	if (avail < WIRE_HDR_LEN) {
		/* A partial magic can already be wrong. */
		static const unsigned char magic[4] = { 'T', 'V', 'B', 'Q' };
		return memcmp(buf, magic, avail < 4 ? avail : 4) ? WIRE_MALFORMED : WIRE_NEED_MORE;
	}
	uint32_t len = get32(buf + 4);
	uint32_t delay = get32(buf + 16);
	if (len > WIRE_MAX_PAYLOAD)
		return WIRE_OVERSIZED;
	if (get32(buf + 20) != 0 || delay > WIRE_MAX_DELAY_US)
		return WIRE_MALFORMED;
	if (avail < WIRE_HDR_LEN + (size_t)len)
		return WIRE_NEED_MORE;
	out->id = get64(buf + 8);
	out->delay_us = delay;
	out->len = len;
	out->payload = buf + WIRE_HDR_LEN;
	return (int)(WIRE_HDR_LEN + len);
}

uint64_t wire_digest(uint64_t id, uint32_t delay_us, const unsigned char *payload, size_t len)
{
	unsigned char head[12];
	put64(head, id);
	put32(head + 8, delay_us);
	uint64_t h = FNV_OFFSET;
	for (size_t i = 0; i < sizeof(head); i++)
		h = (h ^ head[i]) * FNV_PRIME;
	for (size_t i = 0; i < len; i++)
		h = (h ^ payload[i]) * FNV_PRIME;
	return h;
}

void wire_encode_rep(unsigned char out[WIRE_REP_LEN], uint64_t id, uint64_t digest)
{
	put32(out, WIRE_REP_MAGIC);
	put32(out + 4, 0);
	put64(out + 8, id);
	put64(out + 16, digest);
}

uint64_t wire_client_req(unsigned char out[WIRE_CLIENT_REQ_LEN], uint64_t id, uint32_t delay_us)
{
	put32(out, WIRE_REQ_MAGIC);
	put32(out + 4, WIRE_CLIENT_PAYLOAD);
	put64(out + 8, id);
	put32(out + 16, delay_us);
	put32(out + 20, 0);
	unsigned char *payload = out + WIRE_HDR_LEN;
	for (unsigned i = 0; i < WIRE_CLIENT_PAYLOAD; i += 8)
		put64(payload + i, (id + i) * PAYLOAD_MIX);
	return wire_digest(id, delay_us, payload, WIRE_CLIENT_PAYLOAD);
}

int wire_check_rep(const unsigned char rep[WIRE_REP_LEN], uint64_t id, uint64_t digest)
{
	if (get32(rep) != WIRE_REP_MAGIC || get64(rep + 8) != id)
		return WIRE_REP_OUT_OF_STEP;
	return get32(rep + 4) == 0 && get64(rep + 16) == digest ? 0 : WIRE_REP_WRONG;
}
