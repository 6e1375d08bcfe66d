/*
 * runner_guard.c - the runner's clock and its guards: run_clock_start and
 * run_clock_stop (model.h), which every model calls at the same points, and
 * the time limit (--timeout-s) with the clean-up of a run cut short.
 *
 * The clock takes the CPU, switch, thread, backend and memory figures at its
 * start and stop, so set-up and tear-down are reported apart, never charged
 * to the tasks; the backend's CPU is read again at the edges of the measured
 * window (run_window_edge), where backend_util is taken.  The guard's handler runs on a signal: everything it writes
 * is formatted before the run, and it calls only async-signal-safe functions.
 * run_fail_now ends a run the same way from a thread, with a reason of its
 * own (a coroutine that blocked its loop: impl_green/watchdog.c).  A
 * server's failed line is a server's (runner_serve_failed_json), and a
 * server has no time limit once set up unless --timeout-s asks for one
 * (runner_guard_unlimit).
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "runner.h"
#include "util.h"

/* What the SIGALRM handler writes, prepared before the run: a handler may
 * only call async-signal-safe functions, so no formatting there. */
static char timeout_msg[512];        /* the stderr line */
static char timeout_json[RUNNER_JSON_MAX];  /* the stats line of the failed run */
static int timeout_stats_fd = -1;    /* --stats-out, opened for it, or -1 */
static int timeout_json_stdout;      /* --json: the line goes to stdout too */
static const struct run_config *guard_cfg; /* the run (run_fail_now), NULL until armed */
static const struct cli_config *guard_cli; /* its command line: --serve or not */
static struct run_extra guard_x = { .kmem_kib = -1 }; /* its placement; nothing measured */

static void write_all_raw(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, buf, len);
		if (w <= 0)
			return;
		buf += w;
		len -= (size_t)w;
	}
}

/* timeout_cb - SIGALRM: the run hung.  It says so naming the run, leaves the
 * failed run's stats line where a finished run's would go (a sweep learns
 * why from it), stops our backend and exits 3. */
static void timeout_cb(int sig)
{
	(void)sig;
	write_all_raw(2, timeout_msg, strlen(timeout_msg));
	if (timeout_stats_fd >= 0)
		write_all_raw(timeout_stats_fd, timeout_json, strlen(timeout_json));
	if (timeout_json_stdout)
		write_all_raw(1, timeout_json, strlen(timeout_json));
	if (runner_backend_pid > 0)
		kill(runner_backend_pid, SIGTERM);
	memcg_leave(&runner_memcg); /* async-signal-safe: open, write, rmdir */
	_exit(3);
}

struct runner_window runner_window;

void run_window_edge(int edge)
{
	if (runner_backend_pid <= 0)
		return;
	if (edge == 0) {
		int ok = stats_proc_read(runner_backend_pid, &runner_window.open) == 0;
		atomic_store(&runner_window.opened, ok ? 1 : 2);
	} else if (atomic_load(&runner_window.opened) == 1) {
		int ok = stats_proc_read(runner_backend_pid, &runner_window.close) == 0;
		atomic_store(&runner_window.closed, ok ? 1 : 2);
	}
}

void run_abort_cleanup(void)
{
	if (runner_backend_pid > 0)
		kill(runner_backend_pid, SIGTERM);
	memcg_leave(&runner_memcg);
}

/* stop_cb - SIGINT, SIGTERM, SIGHUP, SIGQUIT: the run is being stopped from
 * outside.  Nothing of it may be left behind (its memory cgroup, its
 * backend); then the signal's own action (SA_RESETHAND made it the
 * default), so whoever sent it sees the process die of it. */
static void stop_cb(int sig)
{
	run_abort_cleanup();
	raise(sig); /* pending until this handler returns: then the default */
}

/* stop_signals - the catchable signals that end a process by default, and
 * would leave the run's cgroup and backend behind. */
static const int stop_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };

/* failed_json - the stats line of a run that failed for `why` with nothing
 * measured, '\n'-terminated, into buf: a server's for --serve, else a
 * fan-out run's. */
static void failed_json(char *buf, size_t len, const char *why)
{
	if (guard_cli->serve) {
		runner_serve_failed_json(buf, len - 1, guard_cli, guard_cfg, &guard_x, why);
	} else {
		static struct run_result none; /* nothing measured; one caller at a time */
		snprintf(none.reason, sizeof(none.reason), "%s", why);
		none.stack_kib = guard_cfg->stack_kib; /* as asked, 0: the model's default (not run) */
		runner_format_json(buf, len - 1, guard_cfg, &none, &guard_x, 1);
	}
	strcat(buf, "\n");
}

/* fail_line - the one stderr line of a run (or server) that failed for why,
 * '\n'-terminated, in the words of a finished run's failure. */
static void fail_line(char *buf, size_t len, const char *why)
{
	if (guard_cli->serve)
		snprintf(buf, len, "%s: %s --serve: failed: %s\n", model_impl.name, guard_cfg->wl->name,
			 why);
	else
		snprintf(buf, len, "%s: %s -c %llu: run failed: %s\n", model_impl.name,
			 guard_cfg->wl->name, (unsigned long long)guard_cfg->concurrency, why);
}

/* The line goes out by write(2), not stdio: the stuck thread may hold
 * stderr's lock (asleep in a write to a full pipe). */
_Noreturn void run_fail_now(const char *why)
{
	static char json[RUNNER_JSON_MAX];
	char line[MODEL_REASON_MAX + 128];
	alarm(0); /* this failure, not the time limit's */
	if (guard_cfg)
		fail_line(line, sizeof(line), why);
	else
		snprintf(line, sizeof(line), "%s: run failed: %s\n", model_impl.name, why);
	write_all_raw(2, line, strlen(line));
	if (guard_cfg) {
		failed_json(json, sizeof(json), why);
		if (timeout_stats_fd >= 0)
			write_all_raw(timeout_stats_fd, json, strlen(json));
		if (timeout_json_stdout)
			write_all_raw(1, json, strlen(json));
	}
	run_abort_cleanup();
	_exit(3);
}

uint64_t run_clock_start(struct run_result *res)
{
	stats_usage_read(&res->u_start);
	res->b_ok = runner_backend_pid > 0 && stats_proc_read(runner_backend_pid, &res->b_start) == 0;
	memcg_sample(&runner_memcg);
	int n = stats_thread_count();
	if (n > res->peak_threads)
		res->peak_threads = n;
	memcg_sampler_start(&runner_memcg); /* after the count: its thread is not the model's */
	res->t_start_ns = clock_now_ns(); /* last: the figures above are set-up */
	return res->t_start_ns;
}

void run_clock_stop(struct run_result *res)
{
	res->t_stop_ns = clock_now_ns(); /* first: the figures below are not tasks */
	stats_usage_read(&res->u_stop);
	if (res->b_ok)
		res->b_ok = stats_proc_read(runner_backend_pid, &res->b_stop) == 0;
	memcg_sampler_stop(&runner_memcg);
	memcg_sample(&runner_memcg);
	int n = stats_thread_count();
	if (n > res->peak_threads)
		res->peak_threads = n;
}

void runner_guard_arm(const struct cli_config *cli, const struct run_config *cfg,
		      const struct run_extra *x)
{
	guard_cli = cli;
	guard_cfg = cfg;
	snprintf(guard_x.placement, sizeof(guard_x.placement), "%s", x->placement);
	guard_x.timer_slack_ns = x->timer_slack_ns;
	char why[MODEL_REASON_MAX];
	snprintf(why, sizeof(why), "run timed out after %llu s (--timeout-s)",
		 (unsigned long long)cli->timeout_s);
	failed_json(timeout_json, sizeof(timeout_json), why);
	strncat(why, "; giving up", sizeof(why) - strlen(why) - 1);
	fail_line(timeout_msg, sizeof(timeout_msg), why);
	if (cli->stats_out)
		timeout_stats_fd = util_open_out(cli->stats_out, O_APPEND | O_CREAT);
	timeout_json_stdout = cli->json;
	signal(SIGALRM, timeout_cb);
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = stop_cb;
	sa.sa_flags = SA_RESETHAND;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(stop_signals) / sizeof(stop_signals[0]); i++) {
		struct sigaction old;
		/* A signal ignored by whoever started us (nohup) stays ignored. */
		if (sigaction(stop_signals[i], NULL, &old) == 0 && old.sa_handler != SIG_IGN)
			sigaction(stop_signals[i], &sa, NULL);
	}
	alarm((unsigned)cli->timeout_s);
}

void runner_guard_unlimit(void)
{
	alarm(0);
}

void runner_guard_disarm(void)
{
	alarm(0);
	if (timeout_stats_fd >= 0)
		close(timeout_stats_fd);
	timeout_stats_fd = -1;
}
