/*
 * runner.c - main() of every model binary (bin/threads, bin/async, ...): one
 * measurement, its steps in order.  The jobs it calls are files of their own
 * (runner.h lists them).
 *
 * Everything that must be identical for every model lives in the runner, so
 * that a difference in the numbers can only come from the model: option
 * parsing, workload parameters, the backend process, resource limits, the
 * run timeout, the clock's start and stop (run_clock_start/stop: every model
 * calls them at the same points), the resource figures and the JSON stats
 * line.
 *
 * What the figures cover: CPU time and context switches, of the model and of
 * its own backend, are taken at the clock's start and stop, so creating
 * 10,000 threads or connections and tearing them down is reported apart
 * (setup_s, teardown_s and their CPU), never charged to the tasks.  Memory is
 * the process's peak: RSS (user) and, from a memory cgroup of its own
 * (memcg.h), kernel memory; the backend is started before the process joins
 * that group, so its sockets are not the model's.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "clock.h"
#include "runner.h"
#include "util.h"

#define NOFILE_RESERVE 32 /* descriptors a run holds besides its tasks' sockets */

pid_t runner_backend_pid = -1;
struct data_file runner_data;
struct memcg runner_memcg;
char runner_key[RUNNER_KEY_MAX];

/* fatal_usage - bad usage: one line, exit 2 (util.h). */
static void fatal_usage(const char *msg)
{
	util_die_usage(model_impl.name, msg);
}

/*
 * no_task_done - one rule for every model: a run in which no task completed
 * measured nothing, whatever the cause (every reply failed verification, the
 * backend refused each request).  Returns 1 with the reason set, else 0.
 */
static int no_task_done(const struct run_config *cfg, struct run_result *res)
{
	if (res->done > 0)
		return 0;
	snprintf(res->reason, sizeof(res->reason),
		 "no task done: all %llu tasks ended in errors (%llu errors): first: %.150s",
		 (unsigned long long)cfg->tasks, (unsigned long long)res->errors,
		 res->first_error[0] ? res->first_error : "(no reason recorded)");
	return 1;
}

/*
 * too_many_errors - one rule for every model: a run that lost more than
 * MODEL_ERROR_SHARE_MAX of its tasks to errors failed, naming the first
 * error (a backend out of step, a redis that evicted the keys): its figures
 * would measure failures, not tasks.  1 with the reason set, else 0.
 */
static int too_many_errors(const struct run_config *cfg, struct run_result *res)
{
	if ((double)res->errors <= MODEL_ERROR_SHARE_MAX * (double)cfg->tasks)
		return 0;
	snprintf(res->reason, sizeof(res->reason),
		 "%llu of %llu tasks failed (%.1f%%; a run may lose at most %.0f%%): first: %.140s",
		 (unsigned long long)res->errors, (unsigned long long)cfg->tasks,
		 100.0 * (double)res->errors / (double)cfg->tasks, 100.0 * MODEL_ERROR_SHARE_MAX,
		 res->first_error[0] ? res->first_error : "(no reason recorded)");
	return 1;
}

/*
 * set_nofile - --nofile N: the descriptor limit, soft and hard, set to N
 * (a test's low limit, or a server's 100,000 connections where the
 * machine's fs.nr_open allows).  Returns N, or exits 3 naming the refusal.
 */
static rlim_t set_nofile(uint64_t n)
{
	struct rlimit rl = { (rlim_t)n, (rlim_t)n };
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
		fprintf(stderr, "%s: --nofile %llu: setrlimit(RLIMIT_NOFILE): %s%s\n",
			model_impl.name, (unsigned long long)n, strerror(errno),
			errno == EPERM ? " (raising the hard limit needs CAP_SYS_RESOURCE; past "
					 "fs.nr_open, nobody may)"
				       : "");
		exit(3);
	}
	return rl.rlim_cur;
}

/*
 * set_timer_slack - the timer slack of the run: the one inherited (the
 * platform's, 50 us by default) unless --timer-slack-ns asks, the same for
 * every model; its threads and its own backend inherit it from here.  The
 * slack lets the kernel coalesce the wake-ups of sleeping threads (a
 * clock_nanosleep, an epoll_wait timeout); a timerfd's timer, libevent's
 * precise one, has none.  Forcing 1 ns for every model handicapped the one
 * that sleeps in threads (io_sleep c=1,024: 13.1 -> 10.5 us of CPU per task,
 * 1.4-1.7x the throughput with the default).  *in_force gets the slack read
 * back (prctl PR_GET_TIMERSLACK).  0, or -1 with one line on stderr:
 * unchecked, a failure would change one model's waits silently.
 */
static int set_timer_slack(const struct cli_config *cli, uint64_t *in_force)
{
	if (cli->timer_slack_ns &&
	    prctl(PR_SET_TIMERSLACK, (unsigned long)cli->timer_slack_ns, 0UL, 0UL, 0UL) != 0) {
		fprintf(stderr, "%s: --timer-slack-ns %llu: prctl(PR_SET_TIMERSLACK): %s\n",
			model_impl.name, (unsigned long long)cli->timer_slack_ns, strerror(errno));
		return -1;
	}
	int got = prctl(PR_GET_TIMERSLACK, 0UL, 0UL, 0UL, 0UL);
	if (got < 0) {
		fprintf(stderr, "%s: prctl(PR_GET_TIMERSLACK): %s\n", model_impl.name,
			strerror(errno));
		return -1;
	}
	*in_force = (uint64_t)got;
	return 0;
}

uint64_t runner_default_stack_kib(void)
{
	pthread_attr_t a;
	size_t bytes = 0;
	if (pthread_getattr_default_np(&a) != 0)
		return 0;
	if (pthread_attr_getstacksize(&a, &bytes) != 0)
		bytes = 0;
	pthread_attr_destroy(&a);
	return bytes / 1024;
}

/* config_of - the run as the command line and the registry define it
 * (defaults applied); bad usage exits 2. */
static struct run_config config_of(const struct cli_config *cli)
{
	char err[512];
	int idx = wl_find(cli->workload);
	if (idx < 0) {
		snprintf(err, sizeof(err), "unknown workload '%s' (see --list)", cli->workload);
		fatal_usage(err);
	}
	struct run_config cfg = {
		.wl = wl_registry[idx],
		.wl_index = (size_t)idx,
		.concurrency = cli->concurrency,
		.tasks = cli->tasks,
		.stack_kib = cli->stack_kib,
		.loops = cli->loops,
		.workers = cli->workers,
		.rate = cli->rate,
		.pool = cli->pool,
	};
	cfg.params.work = cli->work_set ? cli->work : cfg.wl->default_work;
	cfg.params.delay_us = cli->delay_set ? cli->delay_us : cfg.wl->default_delay_us;
	cfg.params.io_timeout_s = cli->io_timeout_s;
	runner_refuse_options(cli, cfg.wl);
	cfg.params.value_bytes = (cli->wl_opts & WL_OPT_VALUE_BYTES) ? cli->value_bytes
								     : cfg.wl->default_value_bytes;
	cfg.params.data_fd = -1;
	cfg.params.data_bytes = cli->file_mib << 20;
	cfg.params.cache = cli->cache;
	return cfg;
}

/* check_outputs - a stats or histogram file we cannot append to is a usage
 * error, found before the run; one that exists and is not a regular file is
 * written through (a device, a FIFO) or refused (util_out_check), never
 * replaced.  A FIFO is not opened here: its reader would see an EOF. */
static void check_outputs(const struct cli_config *cli)
{
	const char *outs[2][2] = { { "--stats-out", cli->stats_out },
				   { "--hist-out", cli->hist_out } };
	for (int i = 0; i < 2; i++) {
		char err[512];
		if (outs[i][1] && util_out_ready(outs[i][0], outs[i][1], 1, err, sizeof(err)) < 0)
			fatal_usage(err);
	}
	/* --ready-fd: a descriptor this process holds, open for writing, or
	 * the server would listen first and fail only then. */
	int fl = cli->ready_fd >= 0 ? fcntl(cli->ready_fd, F_GETFL) : O_WRONLY;
	if (fl < 0 || (fl & O_ACCMODE) == O_RDONLY) {
		char err[128];
		snprintf(err, sizeof(err), "--ready-fd %d: %s", cli->ready_fd,
			 fl < 0 ? "not an open descriptor here" : "open for reading only");
		fatal_usage(err);
	}
}

/*
 * prepare - everything the run needs before the model's own set-up: the
 * descriptor room, the peer, the pair's data and keys, the CPUs.  Returns 0,
 * or -1 with res->reason set (the run fails, exit 3).
 */
static int prepare(const struct cli_config *cli, struct run_config *cfg, rlim_t nofile,
		   int pinned, const cpu_set_t *model_cpus, const cpu_set_t *backend_cpus,
		   struct run_result *res)
{
	/* One socket per in-flight task, or per worker of a pool (its threads
	 * each keep theirs, whatever c is). */
	uint64_t sockets = cfg->pool ? cfg->pool : cfg->concurrency;
	if (cfg->wl->peer != WL_PEER_NONE && nofile > 0 &&
	    sockets + NOFILE_RESERVE > (uint64_t)nofile) {
		/* Say so now, not after opening 20,000 connections (a minute on
		 * a loaded machine). */
		snprintf(res->reason, sizeof(res->reason),
			 "%s=%llu needs a socket per %s, but the descriptor limit "
			 "RLIMIT_NOFILE is %llu (raising the hard limit needs CAP_SYS_RESOURCE)",
			 cfg->pool ? "--pool" : "c", (unsigned long long)sockets,
			 cfg->pool ? "worker thread" : "in-flight task",
			 (unsigned long long)nofile);
		return -1;
	}
	if (model_impl.coroutines && cfg->wl->coro_unsupported) {
		/* A limit of the model, recorded as a failed point with its why. */
		snprintf(res->reason, sizeof(res->reason), "unsupported on %s: %s",
			 model_impl.name, cfg->wl->coro_unsupported);
		return -1;
	}
	if (runner_start_peer(cli, cfg, pinned ? backend_cpus : NULL, res) != 0)
		return -1;
	/* The pair's own set-up, the same for every model and before the clock:
	 * the data file in its cache state, the keys its tasks read. */
	if (cfg->wl->opts & WL_OPT_DATA_FILE) {
		if (data_file_prepare(cli->data_dir, cli->file_mib, cli->cache, &runner_data,
				      res->reason, sizeof(res->reason)) != 0)
			return -1;
		cfg->params.data_fd = runner_data.fd;
	}
	if (cfg->wl->prepare &&
	    cfg->wl->prepare(&cfg->params, res->reason, sizeof(res->reason)) != 0)
		return -1;
	if (pinned && sched_setaffinity(0, sizeof(*model_cpus), model_cpus) != 0) {
		snprintf(res->reason, sizeof(res->reason), "--pin %s: sched_setaffinity: %s",
			 cli->pin_one ? "one" : "split", strerror(errno));
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct cli_config cli;
	char err[512];

	if (cli_parse(argc, argv, model_impl.name, &cli, err, sizeof(err)) != 0)
		fatal_usage(err);
	if (cli.action == CLI_HELP) {
		fputs(cli_usage(model_impl.name), stdout);
		return 0;
	}
	if (cli.action == CLI_LIST) {
		runner_list_workloads(cli.verbose);
		return 0;
	}
	struct run_config cfg = config_of(&cli);
	if (cli.serve && !model_impl.serve)
		fatal_usage("--serve: this model does not serve");
	check_outputs(&cli);
	snprintf(runner_key, sizeof(runner_key), "%ld-%llu", (long)getpid(),
		 (unsigned long long)clock_now_ns());

	signal(SIGPIPE, SIG_IGN); /* a dead peer is an error to count, not a kill */
	/* every in-flight task (or connection served) may hold a socket */
	rlim_t nofile = cli.nofile ? set_nofile(cli.nofile) : util_raise_nofile();
	static struct run_result res; /* ~9 KiB histogram: keep it off the stack */
	static struct run_extra extra;
	if (set_timer_slack(&cli, &extra.timer_slack_ns) != 0)
		return 3;

	int failed = 0;

	cpu_set_t model_cpus, backend_cpus;
	int own_peer = cfg.wl->peer != WL_PEER_NONE && !cli.backend_host[0] && !cli.redis_set;
	int pinned = runner_place(&cli, own_peer, &model_cpus, &backend_cpus, extra.placement,
				  sizeof(extra.placement), err, sizeof(err));
	if (pinned < 0)
		fatal_usage(err);
	/* The time limit covers the whole process from here: a peer that
	 * accepts and never answers, a data file that blocks, set-up that
	 * hangs end the run as a hung task does. */
	runner_guard_arm(&cli, &cfg, &extra);
	if (prepare(&cli, &cfg, nofile, pinned, &model_cpus, &backend_cpus, &res) != 0)
		failed = 1;
	/* After the backend child exists, so that its memory is not charged here. */
	memcg_enter(&runner_memcg, cli.kmem == CLI_KMEM_MEMINFO ? MEMCG_USE_MEMINFO
				   : cli.kmem == CLI_KMEM_OFF   ? MEMCG_OFF
								: MEMCG_AUTO);
	if (cli.serve)
		return runner_serve(&cli, &cfg, &res, &extra, failed);

	stats_usage_read(&extra.u_enter);
	extra.t_enter = clock_now_ns();
	if (!failed && model_impl.run(&cfg, &res) != 0)
		failed = 1;
	if (res.t_start_ns && !res.t_stop_ns)
		run_clock_stop(&res); /* a model that failed before its last task */
	if (!res.stack_kib) /* an async task's stack: its loop thread's */
		res.stack_kib = runner_default_stack_kib();
	extra.t_return = clock_now_ns();
	stats_usage_read(&extra.u_return);
	extra.kmem_kib = memcg_kernel_kib(&runner_memcg);
	memcg_leave(&runner_memcg);
	runner_guard_disarm();
	if (!failed && res.done + res.errors != cfg.tasks) {
		snprintf(res.reason, sizeof(res.reason), "internal: %llu of %llu tasks accounted for",
			 (unsigned long long)(res.done + res.errors), (unsigned long long)cfg.tasks);
		failed = 1;
	}
	if (!failed && (no_task_done(&cfg, &res) || too_many_errors(&cfg, &res)))
		failed = 1;
	runner_stop_peer(&cfg);
	if (runner_data.fd > 0)
		close(runner_data.fd);

	/* The histogram line before the stats line: a run whose stats line says
	 * ok has its histogram on file. */
	if (!failed && cli.hist_out &&
	    runner_emit_hist(cli.hist_out, &cfg, &res.lat, res.reason, sizeof(res.reason)) != 0)
		failed = 1;
	char json[RUNNER_JSON_MAX];
	runner_format_json(json, sizeof(json), &cfg, &res, &extra, failed);
	char lost[MODEL_REASON_MAX];
	if (runner_emit_result(&cli, json, lost, sizeof(lost)) != 0) {
		if (!failed) /* a run that failed already keeps its first cause */
			memcpy(res.reason, lost, sizeof(res.reason));
		failed = 1;
	}

	if (failed) {
		fprintf(stderr, "%s: %s -c %llu: run failed: %s\n", model_impl.name, cfg.wl->name,
			(unsigned long long)cfg.concurrency, res.reason);
		return 3;
	}
	runner_summary(&cfg, &res, &extra);
	return 0;
}
