/*
 * workload.h - what every workload pair shares with both models.
 *
 * A workload is defined once, here in workloads/: its parameters, its pure
 * kernels and how a task's result is folded into the run's checksum.  The two
 * models (impl_threads/, impl_async/) only decide how tasks wait and are
 * scheduled.  Nothing in workloads/ may call pthread or libevent.
 */
#ifndef WORKLOAD_H
#define WORKLOAD_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

/* What limits a workload: decides the default concurrency levels of the sweep. */
enum wl_kind {
	WL_CPU, /* tasks burn CPU and never wait */
	WL_IO,  /* tasks mostly wait (timer or backend) */
};

/* The peer process a pair's tasks talk to; the runner starts it (or uses
 * --backend / --redis) before the clock and stops it at exit. */
enum wl_peer {
	WL_PEER_NONE,    /* no peer */
	WL_PEER_BACKEND, /* bin/backend (--backend HOST:PORT), params.backend */
	WL_PEER_REDIS,   /* a redis-server (--redis HOST:PORT), params.peer */
};

/*
 * The options a pair may take beyond the common ones: a pair lists the ones
 * it reads in wl_info.opts, and the runner refuses the others (exit 2), so a
 * typo'd sweep never runs a pair with an option it silently ignores.
 */
enum wl_opt {
	WL_OPT_VALUE_BYTES = 1 << 0, /* --value-bytes N: size of each stored value */
	WL_OPT_DATA_FILE = 1 << 1,   /* --data-dir DIR, --file-mib N, --cache cold|warm:
					the runner makes the data file (data_file.h) */
	WL_OPT_WORK = 1 << 2,        /* --work N: its tasks run params.work rounds */
	WL_OPT_DELAY = 1 << 3,       /* --delay-us D: its tasks wait params.delay_us */
};

/* The data file's page-cache state at the clock's start (--cache). */
enum wl_cache {
	WL_CACHE_WARM, /* every page of the file read into the cache before the clock */
	WL_CACHE_COLD, /* dropped from the cache (POSIX_FADV_DONTNEED) before the clock */
};

/* Parameters of one run, the same for both models. */
struct wl_params {
	uint64_t work;     /* CPU cost of a task, in cpu_hash rounds */
	uint64_t delay_us; /* simulated service time of a task, microseconds */
	struct sockaddr_in backend; /* where backend requests go (I/O pairs) */
	uint64_t io_timeout_s; /* a reply later than delay_us + this: the peer hung */
	struct sockaddr_in peer;    /* a WL_PEER_REDIS pair's server */
	uint64_t value_bytes;       /* --value-bytes: size of a stored value */
	int data_fd;                /* the data file, read-only, or -1 (WL_OPT_DATA_FILE) */
	uint64_t data_bytes;        /* its size: --file-mib x 1 MiB */
	enum wl_cache cache;        /* --cache: its state at the clock's start */
};

/*
 * What bounds a task from below, as the pair declares it: the report builds
 * the pair's floor (the lower of its latency and CPU bounds) from these terms
 * and the machine's calibrated costs.  A pair that declares nothing
 * (declared = 0) gets no floor line and no distance-from-floor table: a floor
 * built from the wrong terms reads "31x above its floor" for a pair at it.
 */
struct wl_floor {
	int declared;             /* 1: the terms below are the pair's whole cost */
	unsigned round_trips;     /* round trips to the peer per task, each paying
				     --delay-us + a loopback RTT + its CPU */
	unsigned timer_waits;     /* timed waits of --delay-us per task (no peer) */
	int work_is_cpu_hash;     /* 1: --work is cpu_hash rounds on the task's path */
	uint64_t cpu_ns_per_task; /* CPU per task besides --work and the round trips */
};

/* Static description of a workload pair, defined in workloads/NAME.c. */
struct wl_info {
	const char *name;          /* registry name, a C identifier */
	enum wl_kind kind;         /* CPU- or I/O-bound */
	const char *summary;       /* one line for --list -v and the report */
	uint64_t default_work;     /* --work when not given (WL_OPT_WORK), else 0 */
	uint64_t default_delay_us; /* --delay-us when not given (WL_OPT_DELAY), else 0 */
	enum wl_peer peer;         /* the peer its tasks talk to, started by the runner */
	unsigned opts;             /* enum wl_opt bits: the options it reads, --work
				      and --delay-us included; the others are refused */
	uint64_t default_value_bytes; /* --value-bytes when not given (WL_OPT_VALUE_BYTES) */
	uint64_t max_concurrency;  /* the sweep's top level for it; 0: the kind's */
	struct wl_floor floor;     /* its floor terms; {0}: none declared */
	/* The verdicts it speaks to, comma-separated keys of the report's claims
	 * (scripts/report/rules.py CLAIMS, contested.py CONTESTED: "io,memory");
	 * NULL: none -- the pair is measured and plotted but casts no vote. */
	const char *claims;
	/* Why its blocking side cannot run on coroutines (green, uring), or
	 * NULL: a library that does its own blocking reads (hiredis's
	 * blocking API) would stall every coroutine of its loop.  Such a run
	 * fails at once with this reason, a data point like any other. */
	const char *coro_unsupported;
	/*
	 * prepare (optional) - set-up shared by every model, run once by the
	 * runner after the peer is up and before the model starts (so outside
	 * the clock), e.g. write the keys the tasks will read.  It may block.
	 * Returns 0, or -1 with err set: the run fails (exit 3) naming it.
	 */
	int (*prepare)(const struct wl_params *p, char *err, size_t errlen);
};

/* The registry, built from workloads.def in workloads/registry.c. */
extern const struct wl_info *const wl_registry[];
extern const size_t wl_registry_len;

/*
 * wl_find - look a workload up by name.
 * Returns its index in wl_registry, or -1 when no pair has that name.
 * Cost: a linear scan with strcmp; called once per process.
 */
int wl_find(const char *name);

/* Name of a kind ("cpu" or "io"), for --list -v and JSON. */
const char *wl_kind_name(enum wl_kind kind);

/*
 * wl_fold - the contribution of one finished task to the run checksum.
 * The run checksum is the wrapping sum of wl_fold() over all tasks, so it is
 * independent of completion order and of how tasks were spread over threads
 * or loops: two runs with equal TASKS and parameters did equal work if and
 * only if (with overwhelming probability) their checksums are equal.
 */
static inline uint64_t wl_fold(uint64_t task_id, uint64_t result)
{
	/* splitmix64 finaliser over id and result: a weak fold would let
	 * swapped results (task 1 gets 2's and vice versa) cancel out. */
	uint64_t z = result ^ (task_id * 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

#endif
