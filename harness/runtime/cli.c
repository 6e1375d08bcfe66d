/*
 * cli.c - strict parsing of the model binaries' command line.
 *
 * Strict means: a value that is not exactly a number in range is an error,
 * never silently 0 or wrapped; an unknown option is an error; an option given
 * twice is an error (the second one is usually a typo in a script).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define MAX_DIGITS 20 /* UINT64_MAX has 20 digits */

static void say(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void say(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	/* A quoted argument may hold a newline: the message stays one line. */
	for (char *p = err; errlen > 0 && *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
}

int cli_parse_u64(const char *s, uint64_t min, uint64_t max, const char *what,
		  uint64_t *out, char *err, size_t errlen)
{
	size_t n = strlen(s);
	if (n == 0) {
		say(err, errlen, "%s: empty value", what);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9') {
			say(err, errlen, "%s: '%s' is not a whole number", what, s);
			return -1;
		}
	}
	errno = 0;
	unsigned long long v = n > MAX_DIGITS ? 0 : strtoull(s, NULL, 10);
	if (n > MAX_DIGITS || errno == ERANGE || v > max || v < min) {
		say(err, errlen, "%s: %s is out of range %llu..%llu", what, s,
		    (unsigned long long)min, (unsigned long long)max);
		return -1;
	}
	*out = v;
	return 0;
}

/* parse_hostport - cli_parse_hostport for option `what` ("--backend"). */
static int parse_hostport(const char *s, const char *what, char *host, size_t hostlen,
			  uint16_t *port, char *err, size_t errlen)
{
	const char *colon = strrchr(s, ':');
	if (!colon || colon == s) {
		say(err, errlen, "%s: '%s' is not HOST:PORT", what, s);
		return -1;
	}
	size_t hl = (size_t)(colon - s);
	if (s[0] == '[' || memchr(s, ':', hl)) {
		/* [::1]:P, or H:P:5: one colon is all an IPv4 HOST:PORT has. */
		say(err, errlen, s[0] == '[' || memchr(s, ':', hl) != memrchr(s, ':', hl)
				 ? "%s: '%s': IPv6 addresses are not supported (an IPv4 address or a "
				   "host name, then :PORT)"
				 : "%s: '%s' is not HOST:PORT (one colon)", what, s);
		return -1;
	}
	if (hl >= hostlen) {
		say(err, errlen, "%s: host name is too long", what);
		return -1;
	}
	char pwhat[32];
	snprintf(pwhat, sizeof(pwhat), "%s port", what);
	uint64_t p;
	if (cli_parse_u64(colon + 1, 1, 65535, pwhat, &p, err, errlen) != 0)
		return -1;
	memcpy(host, s, hl);
	host[hl] = '\0';
	*port = (uint16_t)p;
	return 0;
}

int cli_parse_bind(const char *s, struct in_addr *out, char *err, size_t errlen)
{
	if (inet_pton(AF_INET, s, out) != 1) {
		say(err, errlen, "--bind: '%.64s' is not a dotted IPv4 address", s);
		return -1;
	}
	uint32_t a = ntohl(out->s_addr);
	if (IN_MULTICAST(a) || a == INADDR_BROADCAST) {
		say(err, errlen, "--bind: %s is a %s address: no TCP client can connect to it", s,
		    a == INADDR_BROADCAST ? "broadcast" : "multicast");
		return -1;
	}
	return 0;
}

int cli_parse_hostport(const char *s, char *host, size_t hostlen, uint16_t *port,
		       char *err, size_t errlen)
{
	return parse_hostport(s, "--backend", host, hostlen, port, err, errlen);
}

/* is_coro - the coroutine models (green, uring) share their options. */
static int is_coro(const char *model)
{
	return strcmp(model, "green") == 0 || strcmp(model, "uring") == 0;
}

const char *cli_usage(const char *model)
{
	static char buf[6144];
	int threads = strcmp(model, "threads") == 0, async = strcmp(model, "async") == 0;
	int coro = is_coro(model);
	snprintf(buf, sizeof(buf),
		 "usage: %s WORKLOAD [-c N] [-n TASKS] [options]\n"
		 "       %s WORKLOAD --serve PORT [options]\n"
		 "       %s --list [-v]\n"
		 "Runs TASKS tasks of WORKLOAD with at most N in flight on %s, then exits;\n"
		 "or serves them over HTTP/1.1 (GET /WORKLOAD?id=N) until SIGTERM or SIGINT.\n"
		 "  -c, --concurrency N   tasks in flight at most (default 1)\n"
		 "  -n, --tasks TASKS     tasks to run (default %d)\n"
		 "      --work N          CPU cost per task, in cpu_hash rounds (the pairs\n"
		 "                        whose --list -v opts name it; refused by the others)\n"
		 "      --delay-us D      simulated service time per task (the same)\n"
		 "      --backend H:P     use this backend (default: start one on loopback)\n"
		 "      --rate R          open loop: R arrivals per second on a fixed schedule,\n"
		 "                        latency from each scheduled arrival (default: closed loop)\n"
		 "      --timer-slack-ns S  the timer slack of every thread (prctl\n"
		 "                        PR_SET_TIMERSLACK; default: inherited, the platform's)\n"
		 "%s%s%s%s"
		 "      --json            print one JSON object with the results on stdout\n"
		 "      --stats-out FILE  also append that JSON object as a line to FILE\n"
		 "      --hist-out FILE   append the run's latency histogram (its nonzero\n"
		 "                        buckets, one JSON line) to FILE\n"
		 "      --timeout-s S     fail (exit 3) if the run takes longer (default %d)\n"
		 "      --pin none        the model and the run's own backend on every CPU\n"
		 "                        (the default)\n"
		 "      --pin split       the run's own backend on the last CPU(s), the model\n"
		 "                        on the rest\n"
		 "      --pin one         the model on one CPU (its first allowed), the run's\n"
		 "                        own backend on its last allowed CPU\n"
		 "      --kmem MODE       kernel memory: auto (a memory cgroup of its own where\n"
		 "                        the machine allows, else not measured), meminfo\n"
		 "                        (system-wide /proc/meminfo deltas) or off\n"
		 "      --io-timeout-s S  fail (exit 3) if a backend reply is S seconds later\n"
		 "                        than the delay it asked for (default %d)\n"
		 "Options of some workloads only (refused by the others; see --list -v):\n"
		 "      --redis H:P       use this redis-server (default: start one on loopback)\n"
		 "      --value-bytes N   size of each stored value (redis_get)\n"
		 "      --data-dir DIR    where the data file is made once and reused\n"
		 "                        (default " CLI_DEFAULT_DATA_DIR ")\n"
		 "      --file-mib N      size of the data file (default %d)\n"
		 "      --cache MODE      warm (the file read into the page cache first) or cold\n"
		 "                        (dropped from it before the clock: reads reach the device)\n"
		 "Serving (--serve PORT: a task per request, the stats line at the stop):\n"
		 "      --bind ADDR       listen on this IPv4 address (default " CLI_DEFAULT_BIND ")\n"
		 "      --ready-fd FD     write the 'listening ADDR:PORT' line to FD, then close it\n"
		 "      --serve-requests N  stop after N requests answered (tests)\n"
		 "      --accept MODE     several loops: reuseport (a listener each, the default)\n"
		 "                        or shared (one listener all of them watch)\n"
		 "      --nofile N        set the descriptor limit to N (raising it needs root)\n"
		 "      --list [-v]       print the registered workloads\n"
		 "Exit status: 0 ok, 2 bad usage, 3 the run failed.\n",
		 model, model, model,
		 threads ? "one OS thread per in-flight task"
		 : async ? "one libevent loop"
		 : strcmp(model, "green") == 0
			 ? "one stackful coroutine per in-flight task, on a libevent loop"
			 : "one stackful coroutine per in-flight task, on io_uring",
		 CLI_DEFAULT_TASKS,
		 threads ? "      --stack-kib K     stack size of each thread (default: system)\n" : "",
		 threads ? "      --pool N          a fixed pool of N threads takes the slots' tasks from\n"
			   "                        a queue, in arrival order (default: none, a thread\n"
			   "                        per slot)\n"
			 : "",
		 coro ? "      --stack-kib K     stack of each coroutine, committed only as touched\n"
			"                        (default 64; overrunning it fails the run)\n"
			"      --loops L         loops, one thread each, the slots spread over them\n"
			"                        (default 1)\n"
		      : "",
		 async ? "      --loops L         event loops, one thread each (default 1)\n"
			 "      --workers W       hybrid: CPU parts run on W pool threads (default 0)\n"
		       : "",
		 CLI_DEFAULT_TIMEOUT_S, CLI_DEFAULT_IO_TIMEOUT_S, CLI_DEFAULT_FILE_MIB);
	return buf;
}

/* The options; the order of this table is the order of the seen[] flags. */
enum opt_id { O_C, O_N, O_WORK, O_DELAY, O_BACKEND, O_STACK, O_LOOPS, O_WORKERS, O_RATE,
	      O_SLACK, O_POOL, O_JSON,
	      O_STATS, O_HIST, O_TIMEOUT, O_IO_TIMEOUT, O_PIN, O_KMEM, O_REDIS, O_VALUE_BYTES, O_DATA_DIR,
	      O_FILE_MIB, O_CACHE, O_SERVE, O_BIND, O_READY_FD, O_SERVE_REQUESTS, O_ACCEPT,
	      O_NOFILE, O_LIST, O_VERBOSE, O_HELP, O_COUNT };

struct opt_def {
	const char *lng;   /* --long name */
	char shrt;         /* -s short name, or 0 */
	int takes_value;   /* 1: needs a value */
	const char *model; /* only these models have it ("a b c"), or NULL for all */
	unsigned wl_opt;   /* enum wl_opt bit: only workloads that take it, or 0 */
};

static const struct opt_def opts[O_COUNT] = {
	[O_C] = { "concurrency", 'c', 1, NULL },
	[O_N] = { "tasks", 'n', 1, NULL },
	[O_WORK] = { "work", 0, 1, NULL, WL_OPT_WORK },
	[O_DELAY] = { "delay-us", 0, 1, NULL, WL_OPT_DELAY },
	[O_BACKEND] = { "backend", 0, 1, NULL },
	[O_STACK] = { "stack-kib", 0, 1, "threads green uring" },
	[O_LOOPS] = { "loops", 0, 1, "async green uring" },
	[O_WORKERS] = { "workers", 0, 1, "async" },
	[O_RATE] = { "rate", 0, 1, NULL },
	[O_SLACK] = { "timer-slack-ns", 0, 1, NULL },
	[O_POOL] = { "pool", 0, 1, "threads" },
	[O_JSON] = { "json", 0, 0, NULL },
	[O_STATS] = { "stats-out", 0, 1, NULL },
	[O_HIST] = { "hist-out", 0, 1, NULL },
	[O_TIMEOUT] = { "timeout-s", 0, 1, NULL },
	[O_PIN] = { "pin", 0, 1, NULL },
	[O_KMEM] = { "kmem", 0, 1, NULL },
	[O_IO_TIMEOUT] = { "io-timeout-s", 0, 1, NULL },
	[O_REDIS] = { "redis", 0, 1, NULL },
	[O_VALUE_BYTES] = { "value-bytes", 0, 1, NULL, WL_OPT_VALUE_BYTES },
	[O_DATA_DIR] = { "data-dir", 0, 1, NULL, WL_OPT_DATA_FILE },
	[O_FILE_MIB] = { "file-mib", 0, 1, NULL, WL_OPT_DATA_FILE },
	[O_CACHE] = { "cache", 0, 1, NULL, WL_OPT_DATA_FILE },
	[O_SERVE] = { "serve", 0, 1, NULL },
	[O_BIND] = { "bind", 0, 1, NULL },
	[O_READY_FD] = { "ready-fd", 0, 1, NULL },
	[O_SERVE_REQUESTS] = { "serve-requests", 0, 1, NULL },
	[O_ACCEPT] = { "accept", 0, 1, NULL },
	[O_NOFILE] = { "nofile", 0, 1, NULL },
	[O_LIST] = { "list", 0, 0, NULL },
	[O_VERBOSE] = { "verbose", 'v', 0, NULL },
	[O_HELP] = { "help", 'h', 0, NULL },
};

/* model_has - 1 if `model` is a word of the space-separated list. */
static int model_has(const char *list, const char *model)
{
	size_t n = strlen(model);
	for (const char *p = list; (p = strstr(p, model)) != NULL; p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
			return 1;
	return 0;
}

/* find_opt - which option `arg` names; *inline_val gets the text after '='. */
static int find_opt(const char *arg, const char **inline_val)
{
	*inline_val = NULL;
	if (arg[0] == '-' && arg[1] == '-') {
		const char *name = arg + 2;
		const char *eq = strchr(name, '=');
		size_t len = eq ? (size_t)(eq - name) : strlen(name);
		for (int i = 0; i < O_COUNT; i++) {
			if (strlen(opts[i].lng) == len && strncmp(opts[i].lng, name, len) == 0) {
				if (eq)
					*inline_val = eq + 1;
				return i;
			}
		}
		return -1;
	}
	if (arg[0] == '-' && arg[1] != '\0' && arg[2] == '\0') {
		for (int i = 0; i < O_COUNT; i++)
			if (opts[i].shrt == arg[1])
				return i;
	}
	return -1;
}

/* nonempty - a name that must not be empty: *out = val, or -1 saying `why`. */
static int nonempty(const char *val, const char *why, const char **out, char *err, size_t errlen)
{
	if (val[0] == '\0') {
		say(err, errlen, "%s", why);
		return -1;
	}
	*out = val;
	return 0;
}

/* apply_serve - the serving options, and --nofile. */
static int apply_serve(struct cli_config *cfg, int id, const char *val, char *err, size_t errlen)
{
	uint64_t v;
	struct in_addr a;
	switch (id) {
	case O_SERVE:
		cfg->serve = 1;
		if (cli_parse_u64(val, 0, 65535, "--serve", &v, err, errlen) != 0)
			return -1;
		cfg->serve_port = (uint16_t)v;
		return 0;
	case O_BIND:
		if (strlen(val) >= sizeof(cfg->bind)) {
			say(err, errlen, "--bind: '%.64s...' is not a dotted IPv4 address", val);
			return -1;
		}
		if (cli_parse_bind(val, &a, err, errlen) != 0)
			return -1;
		snprintf(cfg->bind, sizeof(cfg->bind), "%s", val);
		return 0;
	case O_READY_FD:
		/* 0..2 are the standard streams: closed after the line, stdout
		 * would lose the --json line and stderr every later message. */
		if (cli_parse_u64(val, 0, CLI_MAX_FD, "--ready-fd", &v, err, errlen) != 0)
			return -1;
		if (v <= 2) {
			say(err, errlen, "--ready-fd %llu: a standard stream, which the line would "
				    "close; give a descriptor of its own (a pipe)", (unsigned long long)v);
			return -1;
		}
		cfg->ready_fd = (int)v;
		return 0;
	case O_SERVE_REQUESTS:
		return cli_parse_u64(val, 1, CLI_MAX_TASKS, "--serve-requests",
				     &cfg->serve_requests, err, errlen);
	case O_ACCEPT:
		if (strcmp(val, "reuseport") != 0 && strcmp(val, "shared") != 0) {
			say(err, errlen, "--accept: '%s' is not reuseport or shared", val);
			return -1;
		}
		cfg->accept_reuseport = strcmp(val, "reuseport") == 0;
		return 0;
	case O_NOFILE:
		return cli_parse_u64(val, 16, CLI_MAX_NOFILE, "--nofile", &cfg->nofile, err,
				     errlen);
	}
	return -1;
}

/* check_serve - the options that belong to one mode only, refused in the
 * other.  0, or -1 with err set. */
static int check_serve(const struct cli_config *cfg, const int *seen, char *err, size_t errlen)
{
	static const int serve_only[] = { O_BIND, O_READY_FD, O_SERVE_REQUESTS, O_ACCEPT };
	static const int fanout_only[] = { O_C, O_N, O_RATE, O_HIST };
	for (size_t i = 0; !cfg->serve && i < sizeof(serve_only) / sizeof(serve_only[0]); i++) {
		if (seen[serve_only[i]]) {
			say(err, errlen, "--%s applies to --serve only", opts[serve_only[i]].lng);
			return -1;
		}
	}
	for (size_t i = 0; cfg->serve && i < sizeof(fanout_only) / sizeof(fanout_only[0]); i++) {
		if (seen[fanout_only[i]]) {
			say(err, errlen,
			    "--%s does not apply to --serve (the clients decide how many "
			    "requests, and when)",
			    opts[fanout_only[i]].lng);
			return -1;
		}
	}
	return 0;
}

static int apply(struct cli_config *cfg, int id, const char *val, char *err, size_t errlen)
{
	switch (id) {
	case O_C:
		return cli_parse_u64(val, 1, CLI_MAX_CONCURRENCY, "-c", &cfg->concurrency, err,
				     errlen);
	case O_N:
		return cli_parse_u64(val, 1, CLI_MAX_TASKS, "-n", &cfg->tasks, err, errlen);
	case O_WORK:
		cfg->work_set = 1;
		return cli_parse_u64(val, 0, CLI_MAX_WORK, "--work", &cfg->work, err, errlen);
	case O_DELAY:
		cfg->delay_set = 1;
		return cli_parse_u64(val, 0, CLI_MAX_DELAY_US, "--delay-us", &cfg->delay_us, err,
				     errlen);
	case O_BACKEND:
		return cli_parse_hostport(val, cfg->backend_host, sizeof(cfg->backend_host),
					  &cfg->backend_port, err, errlen);
	case O_STACK:
		return cli_parse_u64(val, 16, CLI_MAX_STACK_KIB, "--stack-kib", &cfg->stack_kib,
				     err, errlen);
	case O_LOOPS:
		return cli_parse_u64(val, 1, CLI_MAX_LOOPS, "--loops", &cfg->loops, err, errlen);
	case O_WORKERS:
		return cli_parse_u64(val, 0, CLI_MAX_LOOPS, "--workers", &cfg->workers, err,
				     errlen);
	case O_RATE:
		return cli_parse_u64(val, 1, CLI_MAX_RATE, "--rate", &cfg->rate, err, errlen);
	case O_SLACK:
		/* 0 would mean "reset to the default" to prctl: not a slack. */
		return cli_parse_u64(val, 1, CLI_MAX_TIMER_SLACK_NS, "--timer-slack-ns",
				     &cfg->timer_slack_ns, err, errlen);
	case O_POOL:
		return cli_parse_u64(val, 1, CLI_MAX_POOL, "--pool", &cfg->pool, err, errlen);
	case O_STATS:
		return nonempty(val, "--stats-out: empty file name", &cfg->stats_out, err, errlen);
	case O_HIST:
		return nonempty(val, "--hist-out: empty file name", &cfg->hist_out, err, errlen);
	case O_TIMEOUT:
		cfg->timeout_set = 1;
		return cli_parse_u64(val, 1, CLI_MAX_TIMEOUT_S, "--timeout-s", &cfg->timeout_s,
				     err, errlen);
	case O_PIN:
		if (strcmp(val, "split") != 0 && strcmp(val, "one") != 0 &&
		    strcmp(val, "none") != 0) {
			say(err, errlen, "--pin: '%s' is not split, one or none", val);
			return -1;
		}
		cfg->pin_split = strcmp(val, "split") == 0;
		cfg->pin_one = strcmp(val, "one") == 0;
		return 0;
	case O_KMEM:
		if (strcmp(val, "auto") == 0)
			cfg->kmem = CLI_KMEM_AUTO;
		else if (strcmp(val, "meminfo") == 0)
			cfg->kmem = CLI_KMEM_MEMINFO;
		else if (strcmp(val, "off") == 0)
			cfg->kmem = CLI_KMEM_OFF;
		else {
			say(err, errlen, "--kmem: '%s' is not auto, meminfo or off", val);
			return -1;
		}
		return 0;
	case O_IO_TIMEOUT:
		return cli_parse_u64(val, 1, CLI_MAX_TIMEOUT_S, "--io-timeout-s",
				     &cfg->io_timeout_s, err, errlen);
	case O_REDIS:
		cfg->redis_set = 1;
		return parse_hostport(val, "--redis", cfg->redis_host, sizeof(cfg->redis_host),
				      &cfg->redis_port, err, errlen);
	case O_VALUE_BYTES:
		return cli_parse_u64(val, 1, CLI_MAX_VALUE_BYTES, "--value-bytes",
				     &cfg->value_bytes, err, errlen);
	case O_DATA_DIR:
		return nonempty(val, "--data-dir: empty folder name", &cfg->data_dir, err, errlen);
	case O_FILE_MIB:
		return cli_parse_u64(val, 1, CLI_MAX_FILE_MIB, "--file-mib", &cfg->file_mib, err,
				     errlen);
	case O_CACHE:
		if (strcmp(val, "warm") == 0)
			cfg->cache = WL_CACHE_WARM;
		else if (strcmp(val, "cold") == 0)
			cfg->cache = WL_CACHE_COLD;
		else {
			say(err, errlen, "--cache: '%s' is not cold or warm", val);
			return -1;
		}
		return 0;
	case O_JSON:
		cfg->json = 1;
		return 0;
	case O_SERVE:
	case O_BIND:
	case O_READY_FD:
	case O_SERVE_REQUESTS:
	case O_ACCEPT:
	case O_NOFILE:
		return apply_serve(cfg, id, val, err, errlen);
	case O_LIST:
		cfg->action = CLI_LIST;
		return 0;
	case O_VERBOSE:
		cfg->verbose = 1;
		return 0;
	case O_HELP:
		cfg->action = CLI_HELP;
		return 0;
	}
	return -1;
}

int cli_parse(int argc, char **argv, const char *model, struct cli_config *cfg,
	      char *err, size_t errlen)
{
	int seen[O_COUNT] = { 0 };
	memset(cfg, 0, sizeof(*cfg));
	cfg->action = CLI_RUN;
	cfg->concurrency = 1;
	cfg->tasks = CLI_DEFAULT_TASKS;
	cfg->timeout_s = CLI_DEFAULT_TIMEOUT_S;
	cfg->io_timeout_s = CLI_DEFAULT_IO_TIMEOUT_S;
	cfg->loops = 1;
	cfg->data_dir = CLI_DEFAULT_DATA_DIR;
	cfg->file_mib = CLI_DEFAULT_FILE_MIB;
	cfg->cache = WL_CACHE_WARM;
	snprintf(cfg->bind, sizeof(cfg->bind), "%s", CLI_DEFAULT_BIND);
	cfg->ready_fd = -1;
	cfg->accept_reuseport = -1;

	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		if (arg[0] != '-' || arg[1] == '\0') {
			if (cfg->workload) {
				say(err, errlen, "unexpected argument '%s' (workload is already '%s')",
				    arg, cfg->workload);
				return -1;
			}
			if (arg[0] == '\0') {
				say(err, errlen, "empty workload name");
				return -1;
			}
			cfg->workload = arg;
			continue;
		}
		const char *val;
		int id = find_opt(arg, &val);
		if (id < 0) {
			say(err, errlen, "unknown option '%s' (try --help)", arg);
			return -1;
		}
		if (opts[id].model && !model_has(opts[id].model, model)) {
			char bins[96] = "";
			for (const char *w = opts[id].model; *w;) {
				size_t n = strcspn(w, " ");
				size_t o = strlen(bins);
				snprintf(bins + o, sizeof(bins) - o, "%sbin/%.*s", o ? ", " : "", (int)n,
					 w);
				w += n + (w[n] == ' ');
			}
			say(err, errlen, "--%s applies to %s only", opts[id].lng, bins);
			return -1;
		}
		if (seen[id]++) {
			say(err, errlen, "--%s given twice", opts[id].lng);
			return -1;
		}
		if (opts[id].takes_value && !val) {
			if (i + 1 >= argc) {
				say(err, errlen, "--%s needs a value", opts[id].lng);
				return -1;
			}
			val = argv[++i];
		} else if (!opts[id].takes_value && val) {
			say(err, errlen, "--%s takes no value", opts[id].lng);
			return -1;
		}
		if (apply(cfg, id, val, err, errlen) != 0)
			return -1;
		if (opts[id].wl_opt) {
			unsigned bit = (unsigned)__builtin_ctz(opts[id].wl_opt);
			if (!(cfg->wl_opts & opts[id].wl_opt))
				cfg->wl_opt_arg[bit] = opts[id].lng;
			cfg->wl_opts |= opts[id].wl_opt;
		}
	}
	if (cfg->action == CLI_RUN && !cfg->workload) {
		say(err, errlen, "no workload given (try --list)");
		return -1;
	}
	if (cfg->action == CLI_RUN && check_serve(cfg, seen, err, errlen) != 0)
		return -1;
	if (cfg->action == CLI_RUN && cfg->serve)
		return 0; /* -c and -n are the fan-out's */
	if (cfg->action == CLI_RUN && cfg->loops > cfg->concurrency) {
		say(err, errlen, "--loops %llu exceeds -c %llu: a loop without a slot does nothing",
		    (unsigned long long)cfg->loops, (unsigned long long)cfg->concurrency);
		return -1;
	}
	if (cfg->action == CLI_RUN && cfg->concurrency > cfg->tasks) {
		/* Slots that never get a task would measure nothing but setup. */
		say(err, errlen, "-c %llu exceeds -n %llu: raise -n to at least -c",
		    (unsigned long long)cfg->concurrency, (unsigned long long)cfg->tasks);
		return -1;
	}
	return 0;
}

void cli_wl_opt_names(unsigned bit, char *out, size_t len)
{
	size_t used = 0;
	if (len == 0)
		return;
	out[0] = '\0';
	for (int i = 0; i < O_COUNT; i++) {
		if (opts[i].wl_opt != (1u << bit))
			continue;
		int n = snprintf(out + used, len - used, "%s%s", used ? "," : "", opts[i].lng);
		if (n < 0 || (size_t)n >= len - used)
			return; /* truncated: what fits */
		used += (size_t)n;
	}
}
