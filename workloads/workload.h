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

/* Parameters of one run, the same for both models. */
struct wl_params {
	uint64_t work;     /* CPU cost of a task, in cpu_hash rounds */
	uint64_t delay_us; /* simulated service time of a task, microseconds */
	struct sockaddr_in backend; /* where backend requests go (I/O pairs) */
	uint64_t io_timeout_s; /* a reply later than delay_us + this: the backend hung */
};

/* Static description of a workload pair, defined in workloads/NAME.c. */
struct wl_info {
	const char *name;          /* registry name, a C identifier */
	enum wl_kind kind;         /* CPU- or I/O-bound */
	const char *summary;       /* one line for --list -v and the report */
	uint64_t default_work;     /* --work when not given */
	uint64_t default_delay_us; /* --delay-us when not given */
	int needs_backend;         /* 1: tasks talk to bin/backend */
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
