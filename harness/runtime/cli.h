/*
 * cli.h - the one strict option parser of bin/threads and bin/async.
 *
 * Both models take the same command line (shared/DESIGN.md section 3), so a
 * sweep can swap one binary for the other and nothing else.  The parser never
 * prints and never exits: it fills a cli_config or an error message, so that
 * bad input is testable and the caller decides the exit status (2).
 */
#ifndef CLI_H
#define CLI_H

#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#include "../../workloads/workload.h"

#define CLI_MAX_CONCURRENCY 1000000ULL  /* -c: far past any kernel limit */
#define CLI_MAX_TASKS 4294967295ULL     /* -n: histogram counts are 32-bit */
#define CLI_MAX_WORK 1000000000ULL      /* --work: ~2 minutes of CPU per task */
#define CLI_MAX_DELAY_US 60000000ULL    /* --delay-us: one minute */
#define CLI_MAX_STACK_KIB 1048576ULL    /* --stack-kib: 1 GiB */
#define CLI_MAX_TIMEOUT_S 86400ULL      /* --timeout-s: one day */
#define CLI_MAX_LOOPS 1024ULL           /* --loops: far more than cores */
#define CLI_MAX_RATE 1000000000ULL      /* --rate: one arrival per nanosecond */
#define CLI_MAX_TIMER_SLACK_NS 1000000000ULL /* --timer-slack-ns: one second (the
					   kernel's default is 50 us; prctl reads
					   it back as an int) */
#define CLI_MAX_POOL CLI_MAX_CONCURRENCY /* --pool: as many threads as -c allows */
#define CLI_DEFAULT_TASKS 1000          /* -n when not given */
#define CLI_DEFAULT_TIMEOUT_S 300       /* a run that takes longer has hung */
#define CLI_DEFAULT_IO_TIMEOUT_S 10     /* a backend silent this long past the asked delay
					   has hung (both models, per round trip) */
#define CLI_HOST_MAX 256                /* longest backend host name */
#define CLI_MAX_VALUE_BYTES 16777216ULL /* --value-bytes: 16 MiB, far past a cache value */
#define CLI_MAX_FILE_MIB 1048576ULL     /* --file-mib: 1 TiB */
#define CLI_WL_OPT_BITS 8               /* enum wl_opt bits the parser tracks */
#define CLI_DEFAULT_FILE_MIB 1024       /* --file-mib when not given: 1 GiB, past most caches */
#define CLI_DEFAULT_DATA_DIR "/var/tmp/tvsa" /* --data-dir when not given: survives reboots,
						  not a tmpfs (the device is what is read) */
#define CLI_DEFAULT_BIND "127.0.0.1"    /* --bind when not given: this host only */
#define CLI_ADDR_MAX 16                 /* "255.255.255.255" and its NUL */
#define CLI_MAX_NOFILE 16777216ULL      /* --nofile: far past fs.nr_open's default (1 MiB) */
#define CLI_MAX_FD 1048576ULL           /* --ready-fd: a descriptor number */

/* What the command line asked for. */
struct cli_config {
	enum { CLI_RUN, CLI_HELP, CLI_LIST } action; /* what to do */
	int verbose;             /* --list -v: kinds and defaults too */
	const char *workload;    /* positional WORKLOAD */
	uint64_t concurrency;    /* -c: tasks in flight at most */
	uint64_t tasks;          /* -n: tasks to run */
	uint64_t work;           /* --work, valid when work_set */
	int work_set;            /* --work given */
	uint64_t delay_us;       /* --delay-us, valid when delay_set */
	int delay_set;           /* --delay-us given */
	char backend_host[CLI_HOST_MAX]; /* --backend host part, "" if none */
	uint16_t backend_port;   /* --backend port part */
	uint64_t stack_kib;      /* --stack-kib, 0: the system default */
	uint64_t loops;          /* --loops, event loops (async), default 1 */
	uint64_t workers;        /* --workers, CPU pool threads (async), default 0 */
	uint64_t rate;           /* --rate, arrivals per second; 0: closed loop */
	uint64_t timer_slack_ns; /* --timer-slack-ns, 0: the slack inherited (the platform's) */
	uint64_t pool;           /* --pool, worker threads draining a queue (threads); 0: none,
				    one thread per slot */
	int json;                /* --json: one JSON object on stdout */
	const char *stats_out;   /* --stats-out: append the JSON line here */
	const char *hist_out;    /* --hist-out: append the latency histogram's line here */
	uint64_t timeout_s;      /* --timeout-s: give up and exit 3 after this */
	int pin_split;           /* --pin split: backend and model on CPUs of their own */
	int pin_one;             /* --pin one: the model on one CPU, its own backend on another */
	enum { CLI_KMEM_AUTO, CLI_KMEM_MEMINFO, CLI_KMEM_OFF } kmem; /* --kmem */
	uint64_t io_timeout_s;   /* --io-timeout-s: a reply later than delay + this fails the run */
	char redis_host[CLI_HOST_MAX]; /* --redis host part, "" if none */
	uint16_t redis_port;     /* --redis port part */
	uint64_t value_bytes;    /* --value-bytes, valid when WL_OPT_VALUE_BYTES is in wl_opts */
	const char *data_dir;    /* --data-dir, or CLI_DEFAULT_DATA_DIR */
	uint64_t file_mib;       /* --file-mib, or CLI_DEFAULT_FILE_MIB */
	enum wl_cache cache;     /* --cache cold|warm, default warm */
	unsigned wl_opts;        /* enum wl_opt bits of the pair options given: the runner
				    refuses any the workload does not take */
	const char *wl_opt_arg[CLI_WL_OPT_BITS]; /* per bit, the option that set it ("cache") */
	int redis_set;           /* --redis given (only a WL_PEER_REDIS pair takes it) */
	int timeout_set;         /* --timeout-s given (a server has no time limit unless asked) */
	int serve;               /* --serve given: run as an HTTP server (harness/runtime/serve.h) */
	uint16_t serve_port;     /* --serve PORT, 0: the kernel picks one */
	char bind[CLI_ADDR_MAX]; /* --bind, dotted IPv4, default CLI_DEFAULT_BIND */
	int ready_fd;            /* --ready-fd: the listening line goes there too; -1: none */
	uint64_t serve_requests; /* --serve-requests: stop after this many answered; 0: never */
	int accept_reuseport;    /* --accept reuseport (1) or shared (0): how loops share the port;
				    -1: not given (the model's default) */
	uint64_t nofile;         /* --nofile: RLIMIT_NOFILE set to this (soft and hard); 0: the
				    default policy (util_raise_nofile) */
};

/*
 * cli_wl_opt_names - the long names (no dashes, comma-separated, in the
 * table's order) of the options that carry enum wl_opt bit `bit`:
 * "data-dir,file-mib,cache"; "" when none does.  Truncated to fit len.
 * Cost: one pass over the option table.
 */
void cli_wl_opt_names(unsigned bit, char *out, size_t len);

/*
 * cli_parse - parse argv for the model called `model` ("threads" or "async").
 * Returns 0 and fills *cfg, or -1 and writes one line (no newline) to err.
 * Options that only one model has (--stack-kib for threads) are refused by
 * the other.  Cost: linear in argc; no allocation.
 */
int cli_parse(int argc, char **argv, const char *model, struct cli_config *cfg,
	      char *err, size_t errlen);

/*
 * cli_parse_u64 - a whole decimal number in [min, max]: digits only, no sign,
 * no spaces, no suffix.  Returns 0, or -1 with a reason in err naming `what`.
 */
int cli_parse_u64(const char *s, uint64_t min, uint64_t max, const char *what,
		  uint64_t *out, char *err, size_t errlen);

/*
 * cli_parse_hostport - split "HOST:PORT" (port 1..65535, host non-empty and
 * shorter than CLI_HOST_MAX).  Returns 0, or -1 with a reason in err.
 */
int cli_parse_hostport(const char *s, char *host, size_t hostlen, uint16_t *port,
		       char *err, size_t errlen);

/*
 * cli_parse_bind - --bind ADDR (servers: the models' --serve, bin/backend)
 * into *out: a dotted IPv4 address a TCP client can reach, so neither a
 * multicast nor the broadcast address (bind accepts both, and then no
 * connection can ever come).  Returns 0, or -1 with a reason in err.
 */
int cli_parse_bind(const char *s, struct in_addr *out, char *err, size_t errlen);

/* cli_usage - the --help text for `model`. */
const char *cli_usage(const char *model);

#endif
