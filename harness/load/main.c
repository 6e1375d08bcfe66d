/*
 * main.c - bin/load: the options, the threads, the exit status.
 *
 *   bin/load --target HOST:PORT --path /WORKLOAD --connections C
 *            [--active A | --active-share F] (--rate R | --closed)
 *            (--duration S | --requests N) [--threads T] [--ids-from K]
 *            [--timeout-s S] [--json] [--stats-out F] [--hist-out F]
 *            [--hgrm-out F] [--quiet]
 *
 * The load side of serve mode (shared/DESIGN.md section 2, /work/notes'
 * serve contract): C connections held open, A of them sending requests (the
 * rest idle: the C10K case), spread over T threads of one epoll loop each.
 * Exit 0; 2 bad usage (one line on stderr, nothing on stdout); 3 the run
 * failed (the target refused or is not there, too few descriptors, nothing
 * answered, more errors than LOAD_ERROR_SHARE of the requests, a result that
 * could not be written): one line naming the cause, and the stats line with
 * "status":"failed" where one was asked for, so a sweep records the failure.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "../runtime/cli.h"
#include "../runtime/clock.h"
#include "../runtime/util.h"
#include "load.h"

#define ERR_MAX 256 /* a usage error's line */

static const char usage_text[] =
	"usage: load --target HOST:PORT --path /WORKLOAD --connections C\n"
	"            [--active A | --active-share F] (--rate R | --closed)\n"
	"            (--duration S | --requests N) [--threads T] [--ids-from K]\n"
	"            [--timeout-s S] [--json] [--stats-out F] [--hist-out F] [--hgrm-out F]\n"
	"            [--quiet]\n"
	"       load ... --phases LIST  (in place of --rate/--closed and --duration/--requests)\n"
	"  --connections C   connections opened and held (1..1000000)\n"
	"  --active A        of them, A send requests; the rest stay idle (default: all)\n"
	"  --active-share F  the same as a share, 0 < F <= 1 (0.01: 1% active)\n"
	"  --rate R          open loop: R requests/s over the active connections, latency\n"
	"                    from each request's intended send time\n"
	"  --closed          closed loop: each active connection sends when answered\n"
	"  --duration S      seconds of load (decimals allowed), then the drain\n"
	"  --requests N      send N requests (ids K .. K+N-1), then stop\n"
	"  --threads T       load threads, one epoll loop each (default 1)\n"
	"  --phases LIST     several windows on the same connections, one after another,\n"
	"                    each with its stats and histogram line: comma-separated\n"
	"                    closed:S, rate=R:S, requests=N (each with @A: A of the\n"
	"                    connections send in it), each=N (every connection,\n"
	"                    idle ones too, sends N: all are set up on the server before\n"
	"                    the windows that follow); the ids run on across them\n"
	"  --ids-from K      the first request id (default 0)\n"
	"  --timeout-s S     a response later than S seconds is an error (default 10)\n"
	"  --json            the stats line on stdout; --stats-out F appends it to F\n"
	"  --hist-out F      append the latency histogram (JSON, the models' format)\n"
	"  --hgrm-out F      write it as HdrHistogram's percentile distribution (.hgrm)\n";

/* usage - bad usage: one line, exit 2 (util.h). */
static void usage(const char *fmt, const char *arg)
{
	char msg[ERR_MAX];
	snprintf(msg, sizeof(msg), fmt, arg);
	util_die_usage("load", msg);
}

/* need_arg - the value of option argv[i], or a usage error. */
static const char *need_arg(int argc, char **argv, int i)
{
	if (i + 1 >= argc)
		usage("%s: needs a value", argv[i]);
	return argv[i + 1];
}

/* parse_u64 - cli_parse_u64, a usage error when it fails. */
static uint64_t parse_u64(const char *s, uint64_t lo, uint64_t hi, const char *what)
{
	uint64_t v;
	char err[ERR_MAX];
	if (cli_parse_u64(s, lo, hi, what, &v, err, sizeof(err)) != 0)
		usage("%s", err);
	return v;
}

/* parse_real - a decimal number in (lo, hi]: digits, one optional point. */
static double parse_real(const char *s, double lo, double hi, const char *what)
{
	char msg[ERR_MAX];
	size_t digits = strspn(s, "0123456789");
	size_t frac = s[digits] == '.' ? strspn(s + digits + 1, "0123456789") : 0;
	size_t len = digits + (s[digits] == '.' ? 1 + frac : 0);
	if (!*s || s[len] || digits + frac == 0) {
		snprintf(msg, sizeof(msg), "%s: '%.64s' is not a number", what, s);
		util_die_usage("load", msg);
	}
	double v = strtod(s, NULL);
	if (!(v > lo && v <= hi)) {
		snprintf(msg, sizeof(msg), "%s: %.64s is out of range (%g, %g]", what, s, lo, hi);
		util_die_usage("load", msg);
	}
	return v;
}

/* parse_phases - --phases LIST: comma-separated closed:S, rate=R:S or
 * requests=N, into cfg->phases. */
static void parse_phases(char *list, struct load_cfg *cfg)
{
	for (char *save = NULL, *it = strtok_r(list, ",", &save); it;
	     it = strtok_r(NULL, ",", &save)) {
		if (cfg->nphases == LOAD_MAX_PHASES)
			usage("--phases: more than %s phases", "64");
		struct load_phase *ph = &cfg->phases[cfg->nphases++];
		char *at = strchr(it, '@');
		if (at) { /* @A: this phase's active connections */
			*at = '\0';
			ph->active = parse_u64(at + 1, 1, LOAD_MAX_CONNECTIONS, "--phases @A");
		}
		char *colon = strchr(it, ':');
		if (!strncmp(it, "closed:", 7)) {
			ph->duration_ns = (uint64_t)(parse_real(it + 7, 0, LOAD_MAX_DURATION_S,
								"--phases closed:S") * 1e9);
		} else if (!strncmp(it, "rate=", 5) && colon) {
			*colon = '\0';
			ph->rate = (double)parse_u64(it + 5, 1, LOAD_MAX_RATE, "--phases rate=R");
			ph->duration_ns = (uint64_t)(parse_real(colon + 1, 0, LOAD_MAX_DURATION_S,
								"--phases rate=R:S") * 1e9);
		} else if (!strncmp(it, "requests=", 9)) {
			ph->requests = parse_u64(it + 9, 1, LOAD_MAX_REQUESTS, "--phases requests=N");
		} else if (!strncmp(it, "each=", 5)) {
			ph->each = parse_u64(it + 5, 1, LOAD_MAX_EACH, "--phases each=N");
		} else {
			usage("--phases: '%.64s' is not closed:S, rate=R:S, requests=N or each=N", it);
		}
	}
	if (!cfg->nphases)
		usage("%s", "--phases: no phase given");
}

/* parse_target - HOST:PORT into cfg (an IPv4 address or a name). */
static void parse_target(const char *s, struct load_cfg *cfg)
{
	char err[ERR_MAX];
	uint16_t port;
	if (cli_parse_hostport(s, cfg->host, sizeof(cfg->host), &port, err, sizeof(err)) != 0) {
		/* the shared parser names the models' option; this one is --target */
		const char *rest = strncmp(err, "--backend", 9) == 0 ? err + 9 : err;
		char msg[ERR_MAX + 16];
		snprintf(msg, sizeof(msg), "--target%s", rest);
		util_die_usage("load", msg);
	}
	struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_STREAM }, *ai;
	int rc = getaddrinfo(cfg->host, NULL, &hints, &ai);
	if (rc != 0) {
		char msg[ERR_MAX];
		snprintf(msg, sizeof(msg), "--target: %.64s: %s", cfg->host, gai_strerror(rc));
		util_die_usage("load", msg);
	}
	memcpy(&cfg->addr, ai->ai_addr, sizeof(cfg->addr));
	freeaddrinfo(ai);
	cfg->addr.sin_port = htons(port);
}

/* check_path - /WORKLOAD: a '/', then printable characters other than
 * space, '?' and '#' (the id is added as the query). */
static void check_path(const char *p)
{
	if (p[0] != '/' || strlen(p) >= LOAD_PATH_MAX)
		usage("--path: '%.64s' must start with '/' and be shorter than 128 bytes", p);
	for (const char *q = p; *q; q++)
		if (*q <= ' ' || *q >= 0x7f || *q == '?' || *q == '#')
			usage("--path: '%.64s' holds a space, '?', '#' or a control character", p);
}

/* check_outputs - every output option, before the run (util_out_ready): a
 * folder, a socket or a place that cannot be written is bad usage; a
 * device or a FIFO is written through when the run ends, never replaced. */
static void check_outputs(const struct load_cfg *cfg)
{
	const struct {
		const char *opt, *path;
		int append;
	} outs[] = { { "--stats-out", cfg->stats_out, 1 },
		     { "--hist-out", cfg->hist_out, 1 },
		     { "--hgrm-out", cfg->hgrm_out, 0 } };
	for (size_t i = 0; i < sizeof(outs) / sizeof(outs[0]); i++) {
		char err[ERR_MAX];
		if (outs[i].path && util_out_ready(outs[i].opt, outs[i].path, outs[i].append, err,
						   sizeof(err)) < 0)
			util_die_usage("load", err);
	}
}

/* parse_args - the command line into cfg; usage errors exit 2. */
static void parse_args(int argc, char **argv, struct load_cfg *cfg)
{
	uint64_t active = 0;
	double share = 0;
	int closed = 0;
	memset(cfg, 0, sizeof(*cfg));
	cfg->connections = 0;
	cfg->threads = 1;
	cfg->timeout_ns = (uint64_t)LOAD_DEFAULT_TIMEOUT_S * 1000000000ULL;
	for (int i = 1; i < argc; i++) {
		const char *o = argv[i];
		if (!strcmp(o, "--help") || !strcmp(o, "-h")) {
			fputs(usage_text, stdout);
			exit(0);
		} else if (!strcmp(o, "--target")) {
			parse_target(need_arg(argc, argv, i++), cfg);
		} else if (!strcmp(o, "--path")) {
			cfg->path = need_arg(argc, argv, i++);
			check_path(cfg->path);
		} else if (!strcmp(o, "--connections")) {
			cfg->connections = parse_u64(need_arg(argc, argv, i++), 1,
						     LOAD_MAX_CONNECTIONS, "--connections");
		} else if (!strcmp(o, "--active")) {
			active = parse_u64(need_arg(argc, argv, i++), 1, LOAD_MAX_CONNECTIONS,
					   "--active");
		} else if (!strcmp(o, "--active-share")) {
			share = parse_real(need_arg(argc, argv, i++), 0, 1, "--active-share");
		} else if (!strcmp(o, "--rate")) {
			cfg->rate = (double)parse_u64(need_arg(argc, argv, i++), 1, LOAD_MAX_RATE,
						      "--rate");
		} else if (!strcmp(o, "--closed")) {
			closed = 1;
		} else if (!strcmp(o, "--duration")) {
			cfg->duration_ns = (uint64_t)(parse_real(need_arg(argc, argv, i++), 0,
								 LOAD_MAX_DURATION_S, "--duration") * 1e9);
		} else if (!strcmp(o, "--requests")) {
			cfg->requests = parse_u64(need_arg(argc, argv, i++), 1, LOAD_MAX_REQUESTS,
						  "--requests");
		} else if (!strcmp(o, "--threads")) {
			cfg->threads = (unsigned)parse_u64(need_arg(argc, argv, i++), 1,
							   LOAD_MAX_THREADS, "--threads");
		} else if (!strcmp(o, "--ids-from")) {
			cfg->ids_from = parse_u64(need_arg(argc, argv, i++), 0, LOAD_MAX_ID,
						  "--ids-from");
		} else if (!strcmp(o, "--timeout-s")) {
			cfg->timeout_ns = parse_u64(need_arg(argc, argv, i++), 1, LOAD_MAX_TIMEOUT_S,
						    "--timeout-s") * 1000000000ULL;
		} else if (!strcmp(o, "--phases")) {
			need_arg(argc, argv, i);
			parse_phases(argv[++i], cfg);
		} else if (!strcmp(o, "--json")) {
			cfg->json = 1;
		} else if (!strcmp(o, "--quiet")) {
			cfg->quiet = 1;
		} else if (!strcmp(o, "--stats-out")) {
			cfg->stats_out = need_arg(argc, argv, i++);
		} else if (!strcmp(o, "--hist-out")) {
			cfg->hist_out = need_arg(argc, argv, i++);
		} else if (!strcmp(o, "--hgrm-out")) {
			cfg->hgrm_out = need_arg(argc, argv, i++);
		} else {
			usage("unknown option '%.64s' (--help lists them)", o);
		}
	}
	if (!cfg->host[0] || !cfg->path || !cfg->connections)
		usage("%s", "--target, --path and --connections are required");
	if (cfg->nphases) {
		if (cfg->rate || closed || cfg->duration_ns || cfg->requests)
			usage("%s", "--phases replaces --rate, --closed, --duration and --requests");
		if (cfg->hgrm_out && cfg->nphases > 1)
			usage("%s", "--hgrm-out takes one phase; --hist-out writes one line a phase");
	} else {
		if (!!cfg->rate + closed != 1)
			usage("%s", "give one of --rate R (open loop) and --closed");
		if (!!cfg->duration_ns + !!cfg->requests != 1)
			usage("%s", "give one of --duration S and --requests N");
		cfg->phases[0] = (struct load_phase){ cfg->rate, cfg->duration_ns, cfg->requests, 0, 0 };
		cfg->nphases = 1;
	}
	uint64_t ids = 0;
	for (unsigned k = 0; k < cfg->nphases; k++)
		ids += cfg->phases[k].requests + cfg->phases[k].each * cfg->connections;
	if (active && share > 0)
		usage("%s", "give --active or --active-share, not both");
	if (share > 0)
		active = (uint64_t)ceil(share * (double)cfg->connections);
	cfg->active = active ? active : cfg->connections;
	if (cfg->active > cfg->connections)
		usage("%s", "--active is more than --connections");
	cfg->run_active = cfg->active;
	for (unsigned k = 0; k < cfg->nphases; k++)
		if (cfg->phases[k].active > cfg->connections)
			usage("%s", "--phases: a phase's @A is more than --connections");
	if (ids && cfg->ids_from + ids - 1 > LOAD_MAX_ID)
		usage("%s", "--ids-from + --requests passes the largest id, 2^32 - 1");
	if (cfg->threads > cfg->connections)
		cfg->threads = (unsigned)cfg->connections; /* a thread without a connection */
	uint32_t a = ntohl(cfg->addr.sin_addr.s_addr);
	cfg->spread_source = (a >> 24) == 127 && cfg->connections > LOAD_PORTS_PER_ADDR;
	check_outputs(cfg);
}

/* setup_threads - split the connections over the threads: connection k
 * (k < active: an active one) goes to thread k mod T, so every thread gets
 * its share of the active ones, first in its array.  -1 when memory runs out. */
static int setup_threads(struct load_run *r)
{
	const struct load_cfg *cfg = &r->cfg;
	r->threads = calloc(cfg->threads, sizeof(*r->threads));
	if (!r->threads)
		return -1;
	for (unsigned i = 0; i < cfg->threads; i++) {
		struct load_thread *t = &r->threads[i];
		t->run = r;
		t->index = i;
		t->ep = -1;
		t->n = (uint32_t)((cfg->connections - i + cfg->threads - 1) / cfg->threads);
		t->n_active = (uint32_t)((cfg->active - i + cfg->threads - 1) / cfg->threads);
		t->conns = calloc(t->n, sizeof(*t->conns));
		t->heap = calloc(t->n ? t->n : 1, sizeof(*t->heap)); /* any may be active */
		if (!t->conns || !t->heap)
			return -1;
		for (uint32_t j = 0; j < t->n; j++) {
			struct load_conn *c = &t->conns[j];
			c->t = t;
			c->fd = -1;
			c->index = j;
			c->heap_pos = LOAD_HEAP_NONE;
			c->active = j < t->n_active;
		}
	}
	return 0;
}

/* fail_early - the run failed before its window: one line, the stats line
 * with the reason, exit 3. */
static int fail_early(struct load_run *r, const char *why)
{
	if (!r->threads) {
		fprintf(stderr, "load: %s\n", why);
		return 3;
	}
	snprintf(r->threads[0].reason, LOAD_REASON_MAX, "%s", why);
	atomic_store(&r->failed, 1);
	return load_output(r, 0);
}

int main(int argc, char **argv)
{
	static struct load_run run;
	struct load_run *r = &run;
	parse_args(argc, argv, &r->cfg);
	signal(SIGPIPE, SIG_IGN);
	snprintf(r->run_key, sizeof(r->run_key), "load-%ld-%llu", (long)getpid(),
		 (unsigned long long)clock_now_ns());
	atomic_init(&r->next_id, r->cfg.ids_from);
	r->id_end = LOAD_MAX_ID + 1; /* each phase sets its own (load_phase_begin) */
	if (setup_threads(r) != 0)
		return fail_early(r, "out of memory for the connections");
	rlim_t nofile = util_raise_nofile();
	if (nofile && nofile < r->cfg.connections + LOAD_NOFILE_SPARE) {
		char why[LOAD_REASON_MAX];
		snprintf(why, sizeof(why),
			 "RLIMIT_NOFILE is %llu, below the %llu connections asked (+%d): "
			 "the hard limit cannot be raised here",
			 (unsigned long long)nofile, (unsigned long long)r->cfg.connections,
			 LOAD_NOFILE_SPARE);
		return fail_early(r, why);
	}
	for (unsigned i = 0; i < r->cfg.threads; i++) {
		r->threads[i].ep = epoll_create1(EPOLL_CLOEXEC);
		if (r->threads[i].ep < 0) {
			char why[LOAD_REASON_MAX];
			snprintf(why, sizeof(why), "epoll_create1: %s", strerror(errno));
			return fail_early(r, why);
		}
	}
	if (pthread_barrier_init(&r->connected, NULL, r->cfg.threads + 1) != 0 ||
	    pthread_barrier_init(&r->go, NULL, r->cfg.threads + 1) != 0 ||
	    pthread_barrier_init(&r->done, NULL, r->cfg.threads + 1) != 0)
		return fail_early(r, "pthread_barrier_init failed");
	for (unsigned i = 0; i < r->cfg.threads; i++) {
		int rc = pthread_create(&r->threads[i].tid, NULL, load_thread_main, &r->threads[i]);
		if (rc != 0) {
			/* threads already started wait at a barrier that cannot fill */
			fprintf(stderr, "load: pthread_create: %s\n", strerror(rc));
			return 3;
		}
	}
	pthread_barrier_wait(&r->connected);
	int rc = 0;
	for (unsigned k = 0; k < r->cfg.nphases; k++) {
		load_phase_begin(r, k);
		pthread_barrier_wait(&r->go);
		pthread_barrier_wait(&r->done);
		uint64_t t_stop = 0;
		for (unsigned i = 0; i < r->cfg.threads; i++)
			if (r->threads[i].last_done_ns > t_stop)
				t_stop = r->threads[i].last_done_ns;
		if (rc == 0)
			rc = load_output(r, t_stop); /* after a failure, the rest is not run */
	}
	for (unsigned i = 0; i < r->cfg.threads; i++)
		pthread_join(r->threads[i].tid, NULL);
	return rc;
}
