/*
 * fuzz_cli.c - libFuzzer target: the model binaries' option parser.
 *
 * The input, split at NUL bytes, is an argv (after argv[0]).  cli_parse runs
 * on it for both models, with a roomy and a tiny error buffer; each piece also
 * goes through cli_parse_u64 and cli_parse_hostport.  The CHECKs hold the
 * contract of harness/runtime/cli.h: success leaves a config within every documented
 * range, failure leaves one non-empty line (no newline) in err, and the
 * number and HOST:PORT parsers agree with a plain reference reading of
 * their specification.  ASan and UBSan check every access.
 *
 * Build and run: `make fuzz`.  Replay files: build/fuzz/fuzz_cli FILE...
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../harness/runtime/cli.h"

#define ERR_LEN       512 /* what the binaries give cli_parse */
#define TINY_ERR_LEN  7   /* a buffer far too small: truncated, never overrun */
#define TINY_HOST_LEN 5   /* a host buffer too small for most names */
#define MAX_DIGITS    20  /* UINT64_MAX has 20 digits */

/* CHECK - a contract violation: abort, so libFuzzer saves the input. */
#define CHECK(x)                                                                                   \
	do {                                                                                       \
		if (!(x)) {                                                                        \
			fprintf(stderr, "fuzz_cli: %s:%d: check failed: %s\n", __FILE__, __LINE__, \
			        #x);                                                               \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* check_err - a failure message: terminated within len, and one line
 * (the binaries print it as the single stderr line of exit status 2). */
static void check_err(const char *err, size_t len)
{
	const char *end = memchr(err, '\0', len);
	CHECK(end != NULL);
	CHECK(err[0] != '\0');
	CHECK(memchr(err, '\n', (size_t)(end - err)) == NULL);
}

/* ref_u64 - the specification of cli_parse_u64: at most MAX_DIGITS decimal
 * digits, nothing else, value in [min, max].  0 and *out, or -1. */
static int ref_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	size_t n = strlen(s);
	if (n == 0 || n > MAX_DIGITS)
		return -1;
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		unsigned d = (unsigned)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	if (v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static void check_u64(const char *s, uint64_t min, uint64_t max)
{
	char err[ERR_LEN];
	uint64_t got = 0, want = 0;
	err[0] = '\0';
	int rc = cli_parse_u64(s, min, max, "-x", &got, err, sizeof(err));
	int ref = ref_u64(s, min, max, &want);
	CHECK(rc == ref);
	if (rc == 0)
		CHECK(got == want);
	else
		check_err(err, sizeof(err));
}

static void check_hostport(const char *s, size_t hostlen)
{
	char host[CLI_HOST_MAX], err[ERR_LEN];
	uint16_t port = 0;
	memset(host, 'X', sizeof(host));
	err[0] = '\0';
	int rc = cli_parse_hostport(s, host, hostlen, &port, err, sizeof(err));
	CHECK(rc == 0 || rc == -1);
	const char *colon = strrchr(s, ':');
	uint64_t want_port = 0;
	/* One colon only (an IPv4 address or a name, then :PORT): a host part
	 * with a colon, or a bracketed one, is IPv6, which is refused. */
	int ok = colon && colon > s && s[0] != '[' && !memchr(s, ':', (size_t)(colon - s)) &&
	         (size_t)(colon - s) < hostlen && ref_u64(colon + 1, 1, 65535, &want_port) == 0;
	CHECK((rc == 0) == ok);
	if (rc == 0) {
		size_t hl = (size_t)(colon - s);
		CHECK(port == want_port);
		CHECK(memcmp(host, s, hl) == 0 && host[hl] == '\0');
	} else {
		check_err(err, sizeof(err));
	}
	/* Nothing written past hostlen. */
	for (size_t i = hostlen; i < sizeof(host); i++)
		CHECK(host[i] == 'X');
}

/* is_arg - p is one of argv[1..argc). */
static int is_arg(const char *p, int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (argv[i] == p)
			return 1;
	return 0;
}

/* check_config - a successful parse gives a config within every range. */
static void check_config(const struct cli_config *c, const char *model, int argc, char **argv)
{
	CHECK(c->action == CLI_RUN || c->action == CLI_HELP || c->action == CLI_LIST);
	CHECK(c->concurrency >= 1 && c->concurrency <= CLI_MAX_CONCURRENCY);
	CHECK(c->tasks >= 1 && c->tasks <= CLI_MAX_TASKS);
	CHECK(c->work <= CLI_MAX_WORK && (c->work_set || c->work == 0));
	CHECK(c->delay_us <= CLI_MAX_DELAY_US && (c->delay_set || c->delay_us == 0));
	CHECK(c->loops >= 1 && c->loops <= CLI_MAX_LOOPS);
	CHECK(c->timeout_s >= 1 && c->timeout_s <= CLI_MAX_TIMEOUT_S);
	CHECK(c->stack_kib == 0 || (c->stack_kib >= 16 && c->stack_kib <= CLI_MAX_STACK_KIB));
	CHECK(memchr(c->backend_host, '\0', sizeof(c->backend_host)) != NULL);
	CHECK(c->backend_host[0] == '\0' || c->backend_port >= 1);
	CHECK(!c->stats_out || c->stats_out[0] != '\0');
	/* Options of the other model are refused. */
	if (strcmp(model, "async") == 0)
		CHECK(c->stack_kib == 0);
	else
		CHECK(c->loops == 1 && c->workers == 0);
	if (c->action == CLI_RUN) {
		CHECK(c->workload && c->workload[0] != '\0' && is_arg(c->workload, argc, argv));
		CHECK(c->loops <= c->concurrency && c->concurrency <= c->tasks);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* argv: "prog", then the input's NUL-separated pieces, then NULL. */
	char *buf = malloc(size + 1);
	size_t pieces = 1;
	for (size_t i = 0; i < size; i++)
		pieces += data[i] == '\0';
	char **argv = malloc((pieces + 2) * sizeof(*argv));
	if (!buf || !argv)
		abort();
	memcpy(buf, data, size);
	buf[size] = '\0';
	int argc = 0;
	argv[argc++] = "prog";
	for (char *p = buf; argc < (int)pieces + 1; p += strlen(p) + 1)
		argv[argc++] = p;
	argv[argc] = NULL;

	static const char *const models[] = {"threads", "async"};
	for (size_t m = 0; m < 2; m++) {
		struct cli_config cfg;
		char err[ERR_LEN], tiny[TINY_ERR_LEN];
		memset(err, 'E', sizeof(err));
		int rc = cli_parse(argc, argv, models[m], &cfg, err, sizeof(err));
		CHECK(rc == 0 || rc == -1);
		if (rc == 0)
			check_config(&cfg, models[m], argc, argv);
		else
			check_err(err, sizeof(err));
		memset(tiny, 'E', sizeof(tiny));
		CHECK(cli_parse(argc, argv, models[m], &cfg, tiny, sizeof(tiny)) == rc);
		if (rc != 0)
			check_err(tiny, sizeof(tiny));
	}
	CHECK(strlen(cli_usage("threads")) > 0 && strlen(cli_usage("async")) > 0);

	for (int i = 1; i < argc; i++) {
		check_u64(argv[i], 0, UINT64_MAX);
		check_u64(argv[i], 1, 65535);
		check_u64(argv[i], 16, 16);
		check_hostport(argv[i], CLI_HOST_MAX);
		check_hostport(argv[i], TINY_HOST_LEN);
	}
	free(argv);
	free(buf);
	return 0;
}
