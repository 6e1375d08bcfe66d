/*
 * memcg.h - the kernel memory a model run costs: its thread stacks, page
 * tables, slab (sockets, epoll items, task structs) and socket buffers.
 *
 * RSS sees none of that, and for 10,000 threads it is more than the user
 * memory (about 26 KiB of kernel memory per thread against 8 KiB of stack
 * touched).  The model process moves itself into a memory cgroup of its own
 * (after its backend child is started, so the backend's sockets are charged
 * elsewhere) and reads the group's kernel counters:
 *   cgroup v1: memory.kmem.max_usage_in_bytes + memory.kmem.tcp.max_usage_in_bytes
 *              (peaks kept by the kernel; TCP accounting is switched on by
 *              writing a limit no run reaches);
 *   cgroup v2: memory.stat's kernel lines (kernel or kernel_stack, pagetables,
 *              percpu, slab, vmalloc; and sock) at the clock's start and stop,
 *              and as a peak: where the kernel keeps memory.peak (5.19+: the
 *              group's peak charge, user and kernel), that peak less the
 *              user part at the clock's stop (anon and file: a closed run
 *              frees none of it before its stop, so what is left is the
 *              kernel part at the peak, in-flight socket buffers included);
 *              else memory.stat sampled every MEMCG_SAMPLE_MS through the run
 *              by a thread of the runner's, the same for every model.  (Two
 *              samples, at the start and the stop, missed the socket buffers
 *              in flight between them: a drained run holds none at its stop.)
 * On v2 the group is made under the nearest ancestor that delegates the
 * memory controller to its children (the root does), since a v2 group with
 * processes in it cannot enable controllers for its children.
 *
 * Where no group can be made (not root, no memory controller, a container's
 * read-only /sys/fs/cgroup) kernel memory is "not measured", never zero.
 * --kmem meminfo asks instead for /proc/meminfo deltas (KernelStack,
 * PageTables, Slab) from before set-up to the peak sample: system-wide, so
 * they count every other process on the machine (the backend too), and are
 * marked so.  It is a choice, not a silent fallback.
 */
#ifndef MEMCG_H
#define MEMCG_H

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#define MEMCG_NAME_PREFIX "tvsa-" /* our groups: tvsa-<pid>, stale ones removed */
#define MEMCG_SAMPLE_MS 5         /* v2 without memory.peak: memory.stat this often */

enum memcg_source {
	MEMCG_NONE,     /* kernel memory not measured */
	MEMCG_V1,       /* cgroup v1 memory controller, kernel peaks */
	MEMCG_V2,       /* cgroup v2 memory.stat, sampled */
	MEMCG_MEMINFO,  /* /proc/meminfo deltas: system-wide */
};

enum memcg_mode {
	MEMCG_AUTO,     /* a cgroup where the machine allows it, else none */
	MEMCG_USE_MEMINFO, /* system-wide /proc/meminfo deltas */
	MEMCG_OFF,      /* do not measure */
};

struct memcg {
	enum memcg_source source; /* what was measured */
	int has_peak;             /* v2: the group has memory.peak */
	uint64_t user_bytes;      /* v2: the user part (memory.current less kernel) at the last
				     memcg_sample */
	pthread_t sampler;        /* v2 without memory.peak: the sampling thread */
	int sampling;             /* 1: sampler runs */
	atomic_int stop;          /* 1: the sampler is to stop */
	atomic_uint_fast64_t samples; /* memory.stat reads so far (the sampler's and
					 memcg_sample's) */
	char dir[PATH_MAX];       /* our group's folder, "" if none */
	char home_procs[PATH_MAX]; /* cgroup.procs of the group we came from */
	char pid_text[24];        /* "<pid>\n", written there on the way back */
	uint64_t base_bytes;      /* meminfo: kernel figure before set-up */
	uint64_t peak_bytes;      /* v2, meminfo: largest sample so far */
	char why[160];            /* why not measured, "" if measured */
};

/*
 * memcg_enter - start measuring this process's kernel memory, per `mode`.
 * Call it once, before any thread, socket or large allocation of the run,
 * and after starting any child that must not be charged.  Never fails the
 * run: m->source says what will be measured, m->why why not.
 * Cost: a few file operations (about 100 us).
 */
void memcg_enter(struct memcg *m, enum memcg_mode mode);

/* memcg_sample - note the kernel memory now (v2, meminfo); call it at the
 * clock's start and stop.  Cost: one read of memory.stat (and
 * memory.current) or meminfo.  Thread-safe against the sampler. */
void memcg_sample(struct memcg *m);

/*
 * memcg_sampler_start - v2 without memory.peak: sample memory.stat every
 * MEMCG_SAMPLE_MS until memcg_sampler_stop, from a thread of its own; a
 * no-op otherwise.  Call it at the clock's start (after counting threads).
 * Cost: one thread and one read of memory.stat (tens of us) per period.
 */
void memcg_sampler_start(struct memcg *m);

/* memcg_sampler_stop - stop the sampler and wait for it (a no-op when none
 * runs); call it at the clock's stop, before counting threads. */
void memcg_sampler_stop(struct memcg *m);

/*
 * memcg_attach_v2 - measure the v2 group whose folder is dir (memory.stat,
 * memory.current, memory.peak if present): what memcg_enter does once it
 * made and joined the group, and what a test does with a folder of fixture
 * files (a test-only root: no cgroup v2 memory controller on the machine).
 * Joins nothing.
 */
void memcg_attach_v2(struct memcg *m, const char *dir);

/* memcg_peak_how - how the kernel figure's peak was taken: "kernel" (v1's
 * own peaks), "memory.peak", "sampled", "deltas" (meminfo) or "none". */
const char *memcg_peak_how(const struct memcg *m);

/* memcg_kernel_kib - the run's peak kernel memory in KiB, or -1 when not
 * measured (also when a counter cannot be read). */
int64_t memcg_kernel_kib(const struct memcg *m);

/* memcg_source_name - "cgroup-v1", "cgroup-v2", "meminfo-system" or "none". */
const char *memcg_source_name(enum memcg_source s);

/*
 * memcg_leave - move the process back to the group it came from and remove
 * ours.  Async-signal-safe (open, write, close, rmdir only), so the timeout
 * handler can call it.  Safe to call twice, or after memcg_enter failed.
 */
void memcg_leave(struct memcg *m);

#endif
