/*
 * wire.h - the backend's wire format, defined once for the backend, both
 * models and the tests.
 *
 * A request is a 24-byte header and `len` payload bytes; a reply is 24 bytes.
 * All integers are little-endian.  The reply carries a digest of the request
 * (id, delay and payload), so a client verifies that the reply it got is the
 * answer to the question it asked, and the digest becomes the task's result.
 *
 *   request: magic u32 'TVBQ' | len u32 | id u64 | delay_us u32 | zero u32 | payload[len]
 *   reply:   magic u32 'TVBR' | status u32 (0) | id u64 | digest u64
 *
 * A request with a wrong magic, a non-zero reserved word or a delay above
 * WIRE_MAX_DELAY_US is malformed; one with len above WIRE_MAX_PAYLOAD is
 * oversized.  The backend closes the connection on either and counts it.
 */
#ifndef WIRE_H
#define WIRE_H

#include <stddef.h>
#include <stdint.h>

#define WIRE_REQ_MAGIC 0x51425654u   /* "TVBQ" read as little-endian u32 */
#define WIRE_REP_MAGIC 0x52425654u   /* "TVBR" */
#define WIRE_HDR_LEN 24              /* request header and whole reply */
#define WIRE_REP_LEN 24              /* reply size */
#define WIRE_MAX_PAYLOAD 4096        /* larger is oversized */
#define WIRE_MAX_DELAY_US 60000000u  /* one minute; larger is malformed */
#define WIRE_CLIENT_PAYLOAD 32       /* payload bytes the models send */
#define WIRE_CLIENT_REQ_LEN (WIRE_HDR_LEN + WIRE_CLIENT_PAYLOAD)

/* A parsed request.  payload points into the caller's buffer. */
struct wire_req {
	uint64_t id;                  /* task id, echoed in the reply */
	uint32_t delay_us;            /* how long the backend waits before replying */
	uint32_t len;                 /* payload length */
	const unsigned char *payload; /* payload bytes (len of them) */
};

/* Results of wire_parse_req besides a length. */
enum {
	WIRE_NEED_MORE = 0,   /* incomplete: read more */
	WIRE_MALFORMED = -1,  /* bad magic, reserved word or delay */
	WIRE_OVERSIZED = -2,  /* len above WIRE_MAX_PAYLOAD */
};

/*
 * wire_parse_req - parse one request at the start of buf[0..avail).
 * Returns the bytes it takes (> 0) with *out filled, WIRE_NEED_MORE, or
 * WIRE_MALFORMED / WIRE_OVERSIZED as soon as the header shows it.
 * Cost: constant; reads at most WIRE_HDR_LEN bytes before deciding.
 */
int wire_parse_req(const unsigned char *buf, size_t avail, struct wire_req *out);

/*
 * wire_digest - what the backend answers for a request: FNV-1a over id,
 * delay and payload.  Cost: linear in len.
 */
uint64_t wire_digest(uint64_t id, uint32_t delay_us, const unsigned char *payload, size_t len);

/* wire_encode_rep - the 24-byte reply to a request with this id and digest. */
void wire_encode_rep(unsigned char out[WIRE_REP_LEN], uint64_t id, uint64_t digest);

/*
 * wire_client_req - the request the models send for task `id`: header and a
 * WIRE_CLIENT_PAYLOAD-byte payload derived from id.  Writes
 * WIRE_CLIENT_REQ_LEN bytes to out and returns the digest the reply must carry.
 */
uint64_t wire_client_req(unsigned char out[WIRE_CLIENT_REQ_LEN], uint64_t id, uint32_t delay_us);

/*
 * wire_check_rep - verify a reply against what was asked.  Returns 0 when
 * magic, status, id and digest all match; WIRE_REP_WRONG when it is a reply
 * to this request that is wrong (status, digest: a task error);
 * WIRE_REP_OUT_OF_STEP when it is not a reply to this request at all (bad
 * magic, another id: the peer sent extra or doubled replies, or is not
 * bin/backend), after which nothing more on the connection can be trusted.
 */
#define WIRE_REP_WRONG (-1)
#define WIRE_REP_OUT_OF_STEP (-2)
int wire_check_rep(const unsigned char rep[WIRE_REP_LEN], uint64_t id, uint64_t digest);

#endif
