/*
 * runner.h - what the files of the runner share: main() of every model
 * binary, split by job.  Nothing outside runner*.c includes it; a model sees
 * only model.h.
 *
 *   runner.c        main(): the run's steps, in order
 *   runner_guard.c  the clock's start and stop, the time limit, clean-up
 *                   when the run is cut short
 *   runner_place.c  --pin: which CPUs the model and its own backend get
 *   runner_peer.c   the pair's peer (bin/backend, redis-server), the pair's
 *                   options, --list
 *   runner_out.c    the stats line, the histogram line, the summary
 */
#ifndef RUNNER_H
#define RUNNER_H

#include <sched.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cli.h"
#include "data_file.h"
#include "memcg.h"
#include "model.h"
#include "stats.h"

#define RUNNER_JSON_MAX 6144      /* the stats line is far shorter */
#define RUNNER_PATH_JSON_MAX 1024 /* the data file's path in the stats line (truncated) */
#define RUNNER_KEY_MAX 48         /* "PID-NS": one run's key, in its stats and histogram lines */
#define RUNNER_PLACEMENT_MAX 160  /* "split model=0-2 backend=3" */

/* The run's state that more than one job touches (one run per process). */
extern pid_t runner_backend_pid;  /* our own peer child (bin/backend, redis-server), or -1 */
extern struct data_file runner_data; /* the data file of a WL_OPT_DATA_FILE pair */
extern struct memcg runner_memcg;    /* the model's memory cgroup, if any */
extern char runner_key[RUNNER_KEY_MAX]; /* pid and start time: pairs a run's stats line
					   with its histogram line */

/* The run's own backend at the edges of its measured window (run_window_edge). */
struct runner_window {
	struct stats_proc open;  /* when the window opened */
	struct stats_proc close; /* when it closed */
	atomic_int opened;       /* 1: open read, 2: it failed */
	atomic_int closed;       /* 1: close read after a good open, 2: it failed */
};
extern struct runner_window runner_window;

/* What the runner measured around the model's run, for the stats line. */
struct run_extra {
	struct stats_usage u_enter;  /* before the model's run() */
	struct stats_usage u_return; /* after it returned */
	uint64_t t_enter;            /* clock then */
	uint64_t t_return;           /* and then */
	int64_t kmem_kib;            /* peak kernel memory, -1: not measured */
	uint64_t timer_slack_ns;     /* the timer slack in force (prctl PR_GET_TIMERSLACK):
					the platform's, or --timer-slack-ns */
	char placement[RUNNER_PLACEMENT_MAX]; /* "shared", "split model=... backend=...",
						 "one model=..." */
};

/* ---- runner_guard.c ---- */

/*
 * runner_guard_arm - from here on the run is bounded by --timeout-s: on
 * SIGALRM it says so on stderr, leaves a failed run's stats line where a
 * finished run's would go, stops our backend, leaves the memory cgroup and
 * exits 3.  Everything the handler writes is prepared here (a handler may
 * only call async-signal-safe functions).
 */
void runner_guard_arm(const struct cli_config *cli, const struct run_config *cfg,
		      const struct run_extra *x);

/* runner_guard_unlimit - no time limit from here on (a server set up, with
 * no --timeout-s: it serves until told to stop); the stop signals' clean-up
 * and run_fail_now's stats line stay as armed. */
void runner_guard_unlimit(void);

/* runner_guard_disarm - the run is over: no more time limit. */
void runner_guard_disarm(void);

/* ---- runner_place.c ---- */

/*
 * runner_place - --pin split / one: the CPUs of the model and of its own
 * backend (own_peer: the run starts one), and the placement text for the
 * stats line.  Split places only a run with a backend of its own; one always
 * confines the model.  Returns 1 if the run is pinned, 0 if not (placement
 * "shared"), or -1 with err set (bad usage: fewer CPUs than the rule needs).
 */
int runner_place(const struct cli_config *cli, int own_peer, cpu_set_t *model, cpu_set_t *backend,
		 char *placement, size_t len, char *err, size_t errlen);

/* ---- runner_peer.c ---- */

/* runner_list_workloads - --list: the names; -v: one tab-separated line per pair. */
void runner_list_workloads(int verbose);

/* runner_refuse_options - a pair option (--cache, --redis, ...) given to a
 * workload that does not take it is bad usage (exit 2), not ignored. */
void runner_refuse_options(const struct cli_config *cli, const struct wl_info *wl);

/*
 * runner_start_peer - the pair's peer: the one the command line names
 * (--backend, --redis), else our own child on loopback (on `cpus` if not
 * NULL; runner_backend_pid is set).  0, or -1 with the reason in res->reason.
 */
int runner_start_peer(const struct cli_config *cli, struct run_config *cfg, const cpu_set_t *cpus,
		      struct run_result *res);

/* runner_stop_peer - stop our own peer child, if the run started one. */
void runner_stop_peer(const struct run_config *cfg);

/* ---- runner_out.c ---- */

/* runner_json_str - s as a JSON string body (quotes and control characters escaped). */
void runner_json_str(char *dst, size_t len, const char *s);

/* runner_pair_json - the JSON fields of the pair's own options ("" if
 * none), each with its leading comma: what the report needs to say which
 * file, which cache state, which size. */
void runner_pair_json(const struct run_config *cfg, char *out, size_t len);

/* The figures measured apart from the model, as JSON values ("null": not
 * measured): its kernel memory, its own backend's CPU and switches over the
 * clocked window. */
struct runner_peer_json {
	char kmem[32];  /* kmem_kib */
	char cpu[32];   /* backend_cpu_s */
	char vcsw[32];  /* backend_vcsw */
	char ivcsw[32]; /* backend_ivcsw */
};

/* runner_peer_json - those figures of a run (the fan-out's or a server's). */
void runner_peer_json(const struct run_result *res, const struct run_extra *x,
		      struct runner_peer_json *out);

/* runner_format_json - the stats line of shared/DESIGN.md section 3, one
 * line without its '\n'.  CPU and switches cover the clocked window
 * (run_clock_start to _stop); a run whose clock never started reports zeros. */
void runner_format_json(char *buf, size_t len, const struct run_config *cfg,
			const struct run_result *res, const struct run_extra *x, int failed);

/*
 * runner_emit_hist - --hist-out: the run's latency histogram as one line,
 * appended to path.  0, or -1 with why in reason (a lost histogram is a lost
 * result).
 */
int runner_emit_hist(const char *path, const struct run_config *cfg, const struct hist *h,
		     char *reason, size_t len);

/*
 * runner_emit_result - the stats line to --stats-out and/or stdout (--json).
 * 0, or -1 with why in reason: a result that cannot be written is lost, and
 * a lost result is a failed run.
 */
int runner_emit_result(const struct cli_config *cli, const char *json, char *reason, size_t len);

/* runner_summary - the people's line on stderr of a run that succeeded. */
void runner_summary(const struct run_config *cfg, const struct run_result *res,
		    const struct run_extra *x);

/* ---- runner.c ---- */

/* runner_default_stack_kib - the stack of a thread made without attributes
 * (pthread_getattr_default_np: from RLIMIT_STACK, 8 MiB by default), in KiB:
 * what an async loop thread, or the main thread running a loop, runs on (the
 * main thread's may grow to RLIMIT_STACK, the same figure).  0 if unknown. */
uint64_t runner_default_stack_kib(void);

/* ---- runner_serve_main.c ---- */

/*
 * runner_serve - --serve: the run's steps after prepare() (failed: it did
 * not succeed, and the server is not started): listen, let the model serve
 * until the stop, then the serve stats line (one JSON object, "mode":
 * "serve") and the summary.  Returns the exit status (0, or 3 when the
 * server failed or its line was lost).
 */
int runner_serve(const struct cli_config *cli, struct run_config *cfg, struct run_result *res,
		 struct run_extra *x, int failed);

/*
 * runner_serve_failed_json - the stats line of a server that failed for why
 * with nothing measured (its time limit, run_fail_now), one line without its
 * '\n': the server's fields, zero counts, "status":"failed".  Formats only:
 * prepared before a signal handler needs it, or called by a failing thread.
 */
void runner_serve_failed_json(char *buf, size_t len, const struct cli_config *cli,
			      const struct run_config *cfg, const struct run_extra *x,
			      const char *why);

#endif
