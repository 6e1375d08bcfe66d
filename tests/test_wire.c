/*
 * test_wire.c - the backend's wire format: good requests at every split,
 * malformed and oversized ones refused, replies verified.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../workloads/wire.h"

static void test_roundtrip(void **state)
{
	(void)state;
	unsigned char req[WIRE_CLIENT_REQ_LEN];
	uint64_t want = wire_client_req(req, 1234, 500);
	struct wire_req r;
	assert_int_equal(wire_parse_req(req, sizeof(req), &r), WIRE_CLIENT_REQ_LEN);
	assert_true(r.id == 1234);
	assert_int_equal(r.delay_us, 500);
	assert_int_equal(r.len, WIRE_CLIENT_PAYLOAD);
	uint64_t d = wire_digest(r.id, r.delay_us, r.payload, r.len);
	assert_true(d == want);
	unsigned char rep[WIRE_REP_LEN];
	wire_encode_rep(rep, r.id, d);
	assert_int_equal(wire_check_rep(rep, 1234, want), 0);
	assert_int_equal(wire_check_rep(rep, 1235, want), WIRE_REP_OUT_OF_STEP);
	assert_int_equal(wire_check_rep(rep, 1234, want ^ 1), WIRE_REP_WRONG);
	rep[0] ^= 1;
	assert_int_equal(wire_check_rep(rep, 1234, want), WIRE_REP_OUT_OF_STEP);
}

/* Every proper prefix of a good request asks for more. */
static void test_partial(void **state)
{
	(void)state;
	unsigned char req[WIRE_CLIENT_REQ_LEN];
	wire_client_req(req, 7, 0);
	struct wire_req r;
	for (size_t n = 0; n < sizeof(req); n++)
		assert_int_equal(wire_parse_req(req, n, &r), WIRE_NEED_MORE);
}

/* Two requests back to back parse one at a time. */
static void test_pipelined(void **state)
{
	(void)state;
	unsigned char buf[2 * WIRE_CLIENT_REQ_LEN];
	wire_client_req(buf, 1, 0);
	wire_client_req(buf + WIRE_CLIENT_REQ_LEN, 2, 0);
	struct wire_req r;
	int n = wire_parse_req(buf, sizeof(buf), &r);
	assert_int_equal(n, WIRE_CLIENT_REQ_LEN);
	assert_true(r.id == 1);
	assert_int_equal(wire_parse_req(buf + n, sizeof(buf) - (size_t)n, &r), WIRE_CLIENT_REQ_LEN);
	assert_true(r.id == 2);
}

static void test_malformed(void **state)
{
	(void)state;
	unsigned char req[WIRE_CLIENT_REQ_LEN];
	struct wire_req r;

	wire_client_req(req, 7, 0);
	req[0] = 'X'; /* bad magic, seen from the first byte */
	assert_int_equal(wire_parse_req(req, 1, &r), WIRE_MALFORMED);
	assert_int_equal(wire_parse_req(req, sizeof(req), &r), WIRE_MALFORMED);

	wire_client_req(req, 7, 0);
	req[20] = 1; /* reserved word not zero */
	assert_int_equal(wire_parse_req(req, sizeof(req), &r), WIRE_MALFORMED);

	wire_client_req(req, 7, 0);
	memset(req + 16, 0xff, 4); /* delay above the maximum */
	assert_int_equal(wire_parse_req(req, sizeof(req), &r), WIRE_MALFORMED);

	const char text[] = "GET / HTTP/1.1\r\n\r\n";
	assert_int_equal(wire_parse_req((const unsigned char *)text, sizeof(text) - 1, &r),
			 WIRE_MALFORMED);
}

static void test_oversized(void **state)
{
	(void)state;
	unsigned char req[WIRE_CLIENT_REQ_LEN];
	struct wire_req r;
	wire_client_req(req, 7, 0);
	uint32_t len = WIRE_MAX_PAYLOAD + 1;
	memcpy(req + 4, &len, 4); /* little-endian host, as on every target here */
	/* Decided from the header alone: no waiting for 4 KiB that may never come. */
	assert_int_equal(wire_parse_req(req, WIRE_HDR_LEN, &r), WIRE_OVERSIZED);
	len = WIRE_MAX_PAYLOAD;
	memcpy(req + 4, &len, 4);
	assert_int_equal(wire_parse_req(req, WIRE_HDR_LEN, &r), WIRE_NEED_MORE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_partial),
		cmocka_unit_test(test_pipelined),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_oversized),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
