/*
 * test_cli.c - the shared option parser: good input, and every kind of bad
 * input refused with a message (the binaries turn that into exit 2).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../harness/runtime/cli.h"

#define MAX_ARGS 16

static int parse(const char *model, struct cli_config *cfg, char *err, ...)
{
	char *argv[MAX_ARGS] = { "prog" };
	int argc = 1;
	va_list ap;
	va_start(ap, err);
	const char *a;
	while ((a = va_arg(ap, const char *)) && argc < MAX_ARGS)
		argv[argc++] = (char *)a;
	va_end(ap);
	err[0] = '\0';
	return cli_parse(argc, argv, model, cfg, err, 256);
}

static void test_good(void **state)
{
	(void)state;
	struct cli_config c;
	char err[256];
	assert_int_equal(parse("threads", &c, err, "cpu_hash", "-c", "8", "--tasks=5000", "--work",
			       "0", "--json", "--stack-kib", "64", NULL),
			 0);
	assert_string_equal(c.workload, "cpu_hash");
	assert_int_equal(c.concurrency, 8);
	assert_int_equal(c.tasks, 5000);
	assert_int_equal(c.work, 0);
	assert_true(c.work_set);
	assert_false(c.delay_set);
	assert_true(c.json);
	assert_int_equal(c.stack_kib, 64);
	assert_int_equal(c.timer_slack_ns, 0); /* not given: the slack inherited */
	assert_int_equal(c.pool, 0);           /* a thread per slot */
	assert_int_equal(parse("threads", &c, err, "io_sleep", "--pool", "200", "--timer-slack-ns",
			       "50000", NULL),
			 0);
	assert_int_equal(c.pool, 200);
	assert_int_equal(c.timer_slack_ns, 50000);
	assert_int_equal(parse("green", &c, err, "io_sleep", "--timer-slack-ns=1", NULL), 0);
	assert_int_equal(c.timer_slack_ns, 1);
	assert_int_equal(parse("async", &c, err, "io_backend", "--backend", "localhost:9000",
			       "--loops", "2", "-c", "4", NULL),
			 0);
	assert_string_equal(c.backend_host, "localhost");
	assert_int_equal(c.backend_port, 9000);
	assert_int_equal(c.loops, 2);
	assert_int_equal(c.rate, 0); /* closed loop unless asked */
	assert_int_equal(parse("threads", &c, err, "mixed", "--rate", "2500", NULL), 0);
	assert_int_equal(c.rate, 2500);
	assert_null(c.hist_out);
	assert_int_equal(parse("uring", &c, err, "mixed", "--hist-out", "h.jsonl", NULL), 0);
	assert_string_equal(c.hist_out, "h.jsonl");
	assert_false(c.serve);
	assert_int_equal(parse("async", &c, err, "io_sleep", "--serve", "0", "--loops", "4",
			       "--bind", "0.0.0.0", "--ready-fd", "3", "--accept", "shared", NULL),
			 0);
	assert_true(c.serve);
	assert_int_equal(c.serve_port, 0);
	assert_int_equal(c.loops, 4); /* no -c to exceed: a server has no slots to fill */
	assert_string_equal(c.bind, "0.0.0.0");
	assert_int_equal(c.ready_fd, 3);
	assert_int_equal(c.accept_reuseport, 0);
	assert_int_equal(parse("green", &c, err, "io_sleep", "--serve", "8080", NULL), 0);
	assert_string_equal(c.bind, "127.0.0.1");
	assert_int_equal(c.ready_fd, -1);
	assert_int_equal(c.accept_reuseport, -1);
	assert_false(c.timeout_set);
	assert_int_equal(parse("async", &c, err, "--list", NULL), 0);
	assert_int_equal(c.action, CLI_LIST);
	assert_int_equal(parse("async", &c, err, "--help", NULL), 0);
	assert_int_equal(c.action, CLI_HELP);
}

/* Each row: argv tail, and a word the error must contain. */
static void test_bad(void **state)
{
	(void)state;
	static const struct {
		const char *args[6];
		const char *model;
		const char *says;
	} bad[] = {
		{ { NULL }, "threads", "no workload" },
		{ { "x", "--bogus", NULL }, "threads", "unknown option" },
		{ { "x", "-c", NULL }, "threads", "needs a value" },
		{ { "x", "-c", "abc", NULL }, "threads", "not a whole number" },
		{ { "x", "-c", "0", NULL }, "threads", "out of range" },
		{ { "x", "-c", "-5", NULL }, "threads", "not a whole number" },
		{ { "x", "-c", "+5", NULL }, "threads", "not a whole number" },
		{ { "x", "-c", " 5", NULL }, "threads", "not a whole number" },
		{ { "x", "-c", "", NULL }, "threads", "empty" },
		{ { "x", "-n", "99999999999999999999999", NULL }, "threads", "out of range" },
		{ { "x", "-n", "18446744073709551616", NULL }, "threads", "out of range" },
		{ { "x", "-c", "2", "-c", "3", NULL }, "threads", "twice" },
		{ { "x", "-c", "10", "-n", "5", NULL }, "threads", "exceeds" },
		{ { "x", "--stack-kib", "64", NULL }, "async", "applies to bin/threads" },
		{ { "x", "--stack-kib", "1", NULL }, "threads", "out of range" },
		{ { "x", "--loops", "2", NULL }, "threads", "applies to bin/async" },
		{ { "x", "--loops", "4", "-c", "2", NULL }, "async", "exceeds" },
		{ { "x", "--backend", "nohost", NULL }, "async", "HOST:PORT" },
		{ { "x", "--backend", "h:0", NULL }, "async", "out of range" },
		{ { "x", "--backend", "h:65536", NULL }, "async", "out of range" },
		{ { "x", "--backend", ":80", NULL }, "async", "HOST:PORT" },
		{ { "x", "--json=yes", NULL }, "async", "takes no value" },
		{ { "x", "y", NULL }, "async", "unexpected argument" },
		{ { "x", "--delay-us", "60000001", NULL }, "async", "out of range" },
		{ { "x", "--stats-out", "", NULL }, "async", "empty file name" },
		{ { "x", "--hist-out", "", NULL }, "green", "empty file name" },
		{ { "x", "--hist-out", "a", "--hist-out", "b", NULL }, "threads", "twice" },
		{ { "x", "--rate", "0", NULL }, "threads", "out of range" },
		{ { "x", "--rate", "1000000001", NULL }, "async", "out of range" },
		{ { "x", "--rate", "1.5", NULL }, "async", "not a whole number" },
		{ { "x", "--rate", NULL }, "threads", "needs a value" },
		{ { "x", "--timer-slack-ns", "0", NULL }, "async", "out of range" },
		{ { "x", "--timer-slack-ns", "1000000001", NULL }, "uring", "out of range" },
		{ { "x", "--pool", "0", NULL }, "threads", "out of range" },
		{ { "x", "--pool", "8", NULL }, "green", "applies to bin/threads" },
		{ { "x", "--serve", "65536", NULL }, "threads", "out of range" },
		{ { "x", "--bind", "127.0.0.1", NULL }, "async", "--serve only" },
		{ { "x", "--serve", "0", "--bind", "1.2.3", NULL }, "async", "IPv4" },
		{ { "x", "--serve", "0", "--bind", "localhost", NULL }, "green", "IPv4" },
		{ { "x", "--serve", "0", "--accept", "any", NULL }, "async", "reuseport" },
		{ { "x", "--serve", "0", "-c", "4", NULL }, "threads", "does not apply" },
		{ { "x", "--serve", "0", "-n", "4", NULL }, "uring", "does not apply" },
		{ { "x", "--serve", "0", "--rate", "4", NULL }, "async", "does not apply" },
		{ { "x", "--serve-requests", "4", NULL }, "threads", "--serve only" },
		{ { "x", "--nofile", "8", NULL }, "threads", "out of range" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *argv[8] = { "prog" };
		int argc = 1;
		for (int j = 0; bad[i].args[j]; j++)
			argv[argc++] = (char *)bad[i].args[j];
		struct cli_config c;
		char err[256] = "";
		int rc = cli_parse(argc, argv, bad[i].model, &c, err, sizeof(err));
		if (rc != -1 || !strstr(err, bad[i].says))
			fail_msg("case %zu: rc %d, err '%s', expected '%s'", i, rc, err, bad[i].says);
		assert_null(strchr(err, '\n'));
	}
}

static void test_u64_edges(void **state)
{
	(void)state;
	uint64_t v;
	char err[128];
	assert_int_equal(cli_parse_u64("18446744073709551615", 0, UINT64_MAX, "x", &v, err,
				       sizeof(err)),
			 0);
	assert_true(v == UINT64_MAX);
	assert_int_equal(cli_parse_u64("007", 0, 10, "x", &v, err, sizeof(err)), 0);
	assert_int_equal(v, 7);
	assert_int_equal(cli_parse_u64("11", 0, 10, "x", &v, err, sizeof(err)), -1);
	assert_int_equal(cli_parse_u64("1e3", 0, 10000, "x", &v, err, sizeof(err)), -1);
	assert_int_equal(cli_parse_u64("0x10", 0, 10000, "x", &v, err, sizeof(err)), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_u64_edges),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
