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
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "runner.h"

/* What the SIGALRM handler writes, prepared before the run: a handler may
 * only call async-signal-safe functions, so no formatting there. */
static char timeout_msg[512];        /* the stderr line */
static char timeout_json[RUNNER_JSON_MAX];  /* the stats line of the failed run */
static int timeout_stats_fd = -1;    /* --stats-out, opened for it, or -1 */
static int timeout_json_stdout;      /* --json: the line goes to stdout too */

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
	snprintf(timeout_msg, sizeof(timeout_msg),
		 "%s: %s -c %llu: run failed: run timed out after %llu s (--timeout-s); giving up\n",
		 model_impl.name, cfg->wl->name, (unsigned long long)cfg->concurrency,
		 (unsigned long long)cli->timeout_s);
	static struct run_result none; /* nothing measured */
	static struct run_extra none_x = { .kmem_kib = -1 };
	snprintf(none_x.placement, sizeof(none_x.placement), "%s", x->placement);
	snprintf(none.reason, sizeof(none.reason), "run timed out after %llu s (--timeout-s)",
		 (unsigned long long)cli->timeout_s);
	runner_format_json(timeout_json, sizeof(timeout_json) - 1, cfg, &none, &none_x, 1);
	strcat(timeout_json, "\n");
	if (cli->stats_out)
		timeout_stats_fd = open(cli->stats_out, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
					0644);
	timeout_json_stdout = cli->json;
	signal(SIGALRM, timeout_cb);
	alarm((unsigned)cli->timeout_s);
}

void runner_guard_disarm(void)
{
	alarm(0);
	if (timeout_stats_fd >= 0)
		close(timeout_stats_fd);
	timeout_stats_fd = -1;
}
