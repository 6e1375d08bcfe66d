/*
 * runner.c - main() of bin/threads and bin/async: one measurement.
 *
 * Everything that must be identical for both models lives here, so that a
 * difference in the numbers can only come from the model: option parsing,
 * workload parameters, the backend process, resource limits, the run timeout,
 * the resource figures and the JSON stats line.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "backend_proc.h"
#include "cli.h"
#include "model.h"
#include "stats.h"

#define JSON_MAX 2048 /* the stats line is far shorter */

static pid_t backend_pid = -1; /* our own backend child, or -1 */

/* fatal_usage - one line on stderr, exit 2.  Control characters (a newline
 * in a workload name or a path) become '?', so it stays one line. */
static void fatal_usage(const char *msg)
{
	fprintf(stderr, "%s: ", model_impl.name);
	for (const char *p = msg; *p; p++)
		fputc((unsigned char)*p < 0x20 ? '?' : *p, stderr);
	fputc('\n', stderr);
	exit(2);
}

/* What the SIGALRM handler writes, prepared before the run: a handler may
 * only call async-signal-safe functions, so no formatting there. */
static char timeout_msg[512];        /* the stderr line */
static char timeout_json[JSON_MAX];  /* the stats line of the failed run */
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
	if (backend_pid > 0)
		kill(backend_pid, SIGTERM);
	_exit(3);
}

/* raise_nofile - lift the soft RLIMIT_NOFILE to the hard limit: at high
 * concurrency every in-flight task may hold a socket. */
static void raise_nofile(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* resolve_backend - HOST:PORT from the command line into an IPv4 address. */
static int resolve_backend(const struct cli_config *cli, struct sockaddr_in *out, char *err,
			   size_t errlen)
{
	struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_STREAM };
	struct addrinfo *ai = NULL;
	int rc = getaddrinfo(cli->backend_host, NULL, &hints, &ai);
	if (rc != 0) {
		snprintf(err, errlen, "--backend %.64s: cannot resolve: %s", cli->backend_host,
			 gai_strerror(rc));
		return -1;
	}
	memcpy(out, ai->ai_addr, sizeof(*out));
	out->sin_port = htons(cli->backend_port);
	freeaddrinfo(ai);
	return 0;
}

/* json_str - s as a JSON string body (quotes and control characters escaped). */
static void json_str(char *dst, size_t len, const char *s)
{
	size_t o = 0;
	for (; *s && o + 7 < len; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			dst[o++] = '\\';
			dst[o++] = (char)c;
		} else if (c < 0x20) {
			o += (size_t)snprintf(dst + o, len - o, "\\u%04x", c);
		} else {
			dst[o++] = (char)c;
		}
	}
	dst[o] = '\0';
}

/* throughput - tasks per second over the measured window (harness/dispatch.h:
 * the steady part of a closed run, or the whole run). */
static double throughput(const struct run_result *res)
{
	return res->window_ns ? (double)res->lat.total / ((double)res->window_ns / 1e9) : 0.0;
}

/* format_json - the stats line of shared/DESIGN.md section 3, one line. */
static void format_json(char *buf, size_t len, const struct run_config *cfg,
			const struct run_result *res, const struct stats_usage *u, int failed)
{
	const struct hist *h = &res->lat;
	double wall_s = (double)res->wall_ns / 1e9;

	char reason[MODEL_REASON_MAX * 2];
	json_str(reason, sizeof(reason), res->reason);
	snprintf(buf, len,
		 "{\"workload\":\"%s\",\"model\":\"%s\",\"concurrency\":%llu,\"tasks\":%llu,"
		 "\"done\":%llu,\"errors\":%llu,\"status\":\"%s\",\"reason\":\"%s\","
		 "\"work\":%llu,\"delay_us\":%llu,\"stack_kib\":%llu,\"loops\":%llu,\"workers\":%llu,"
		 "\"rate\":%llu,\"wall_s\":%.6f,\"window_s\":%.6f,\"window_tasks\":%llu,"
		 "\"throughput\":%.3f,"

		 "\"mean_us\":%.3f,\"min_us\":%.3f,\"p50_us\":%.3f,\"p90_us\":%.3f,"
		 "\"p99_us\":%.3f,\"p999_us\":%.3f,\"max_us\":%.3f,"
		 "\"maxrss_kib\":%llu,\"utime_s\":%.6f,\"stime_s\":%.6f,"
		 "\"vcsw\":%llu,\"ivcsw\":%llu,\"threads\":%d,\"checksum\":\"%016llx\"}",
		 cfg->wl->name, model_impl.name, (unsigned long long)cfg->concurrency,
		 (unsigned long long)cfg->tasks, (unsigned long long)res->done,
		 (unsigned long long)res->errors, failed ? "failed" : "ok", reason,
		 (unsigned long long)cfg->params.work, (unsigned long long)cfg->params.delay_us,
		 (unsigned long long)cfg->stack_kib, (unsigned long long)cfg->loops,
		 (unsigned long long)cfg->workers, (unsigned long long)cfg->rate, wall_s,
		 (double)res->window_ns / 1e9, (unsigned long long)h->total, throughput(res),
		 hist_mean_ns(h) / 1e3,
		 h->total ? (double)h->min_ns / 1e3 : 0.0,
		 (double)hist_percentile(h, 0.50) / 1e3, (double)hist_percentile(h, 0.90) / 1e3,
		 (double)hist_percentile(h, 0.99) / 1e3, (double)hist_percentile(h, 0.999) / 1e3,
		 (double)h->max_ns / 1e3, (unsigned long long)u->maxrss_kib, u->utime_s,
		 u->stime_s, (unsigned long long)u->vcsw, (unsigned long long)u->ivcsw,
		 res->peak_threads, (unsigned long long)res->checksum);
}

/* append_line - add line + '\n' to path with one write(): O_APPEND makes a
 * single small write atomic, so concurrent or crashed runs never interleave
 * or leave half a line. */
static int append_line(const char *path, const char *line)
{
	char buf[JSON_MAX + 1];
	size_t n = strlen(line);
	if (n >= sizeof(buf) - 1)
		return -1;
	memcpy(buf, line, n);
	buf[n++] = '\n';
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	ssize_t w = write(fd, buf, n);
	int saved = errno;
	close(fd);
	errno = saved;
	return w == (ssize_t)n ? 0 : -1;
}

/*
 * emit_result - the stats line to --stats-out and/or stdout (--json).  A
 * result that cannot be written is lost, and a lost result is a failed run:
 * returns 0, or -1 with why (e.g. "--stats-out F: No space left on device")
 * in reason.  stdout is flushed here, so a full disk or /dev/full shows now.
 */
static int emit_result(const struct cli_config *cli, const char *json, char *reason,
		       size_t len)
{
	int rc = 0;
	if (cli->stats_out && append_line(cli->stats_out, json) != 0) {
		snprintf(reason, len, "result lost: --stats-out %s: %s", cli->stats_out,
			 strerror(errno));
		rc = -1;
	}
	if (cli->json && (printf("%s\n", json) < 0 || fflush(stdout) != 0 || ferror(stdout))) {
		if (rc == 0)
			snprintf(reason, len, "result lost: --json: stdout: %s", strerror(errno));
		rc = -1;
	}
	return rc;
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
		 "no task done: all %llu tasks ended in errors (%llu errors)",
		 (unsigned long long)cfg->tasks, (unsigned long long)res->errors);
	return 1;
}

static void list_workloads(int verbose)
{
	for (size_t i = 0; i < wl_registry_len; i++) {
		const struct wl_info *wl = wl_registry[i];
		if (verbose)
			printf("%s\t%s\twork=%llu\tdelay_us=%llu\tbackend=%s\t%s\n", wl->name,
			       wl_kind_name(wl->kind), (unsigned long long)wl->default_work,
			       (unsigned long long)wl->default_delay_us,
			       wl->needs_backend ? "yes" : "no", wl->summary);
		else
			printf("%s\n", wl->name);
	}
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
		list_workloads(cli.verbose);
		return 0;
	}

	int idx = wl_find(cli.workload);
	if (idx < 0) {
		snprintf(err, sizeof(err), "unknown workload '%s' (see --list)", cli.workload);
		fatal_usage(err);
	}
	struct run_config cfg = {
		.wl = wl_registry[idx],
		.wl_index = (size_t)idx,
		.concurrency = cli.concurrency,
		.tasks = cli.tasks,
		.stack_kib = cli.stack_kib,
		.loops = cli.loops,
		.workers = cli.workers,
		.rate = cli.rate,
	};
	cfg.params.work = cli.work_set ? cli.work : cfg.wl->default_work;
	cfg.params.delay_us = cli.delay_set ? cli.delay_us : cfg.wl->default_delay_us;
	cfg.params.io_timeout_s = cli.io_timeout_s;

	/* A stats file we cannot append to is a usage error, found before the run. */
	if (cli.stats_out) {
		int fd = open(cli.stats_out, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
		if (fd < 0) {
			snprintf(err, sizeof(err), "--stats-out %s: %s", cli.stats_out,
				 strerror(errno));
			fatal_usage(err);
		}
		close(fd);
	}

	signal(SIGPIPE, SIG_IGN); /* a dead peer is an error to count, not a kill */
	raise_nofile();
	/* The kernel lets a blocking sleep (nanosleep, clock_nanosleep: the
	 * threads model's waits) wake up to 50 us late by default, the "timer
	 * slack"; libevent's timerfd timers get none.  One rule for both: none.
	 * Threads inherit it from this one. */
	prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);

	static struct run_result res; /* ~9 KiB histogram: keep it off the stack */
	int failed = 0;
	if (cfg.wl->needs_backend) {
		if (cli.backend_host[0]) {
			if (resolve_backend(&cli, &cfg.params.backend, res.reason,
					    sizeof(res.reason)) != 0)
				failed = 1;
		} else if (backend_proc_start(&cfg.params.backend, &backend_pid, res.reason,
					      sizeof(res.reason)) != 0) {
			failed = 1;
		}
	} else if (cli.backend_host[0]) {
		snprintf(err, sizeof(err), "--backend: workload '%s' does not use a backend",
			 cfg.wl->name);
		fatal_usage(err);
	}

	/* The timeout's words and stats line, ready before the clock runs. */
	snprintf(timeout_msg, sizeof(timeout_msg),
		 "%s: %s -c %llu: run failed: run timed out after %llu s (--timeout-s); giving up\n",
		 model_impl.name, cfg.wl->name, (unsigned long long)cfg.concurrency,
		 (unsigned long long)cli.timeout_s);
	{
		static struct run_result none; /* nothing measured */
		struct stats_usage u0 = { 0 };
		snprintf(none.reason, sizeof(none.reason), "run timed out after %llu s (--timeout-s)",
			 (unsigned long long)cli.timeout_s);
		format_json(timeout_json, sizeof(timeout_json) - 1, &cfg, &none, &u0, 1);
		strcat(timeout_json, "\n");
	}
	if (cli.stats_out)
		timeout_stats_fd = open(cli.stats_out, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	timeout_json_stdout = cli.json;
	signal(SIGALRM, timeout_cb);
	alarm((unsigned)cli.timeout_s);
	if (!failed && model_impl.run(&cfg, &res) != 0)
		failed = 1;
	alarm(0);
	if (timeout_stats_fd >= 0)
		close(timeout_stats_fd);
	if (!failed && res.done + res.errors != cfg.tasks) {
		snprintf(res.reason, sizeof(res.reason), "internal: %llu of %llu tasks accounted for",
			 (unsigned long long)(res.done + res.errors), (unsigned long long)cfg.tasks);
		failed = 1;
	}
	if (!failed && no_task_done(&cfg, &res))
		failed = 1;
	if (backend_pid > 0)
		backend_proc_stop(backend_pid);

	struct stats_usage u = { 0 };
	stats_usage_read(&u);
	char json[JSON_MAX];
	format_json(json, sizeof(json), &cfg, &res, &u, failed);
	char lost[MODEL_REASON_MAX];
	if (emit_result(&cli, json, lost, sizeof(lost)) != 0) {
		if (!failed) /* a run that failed already keeps its first cause */
			memcpy(res.reason, lost, sizeof(res.reason));
		failed = 1;
	}

	if (failed) {
		fprintf(stderr, "%s: %s -c %llu: run failed: %s\n", model_impl.name, cfg.wl->name,
			(unsigned long long)cfg.concurrency, res.reason);
		return 3;
	}
	fprintf(stderr,
		"%s %s -c %llu -n %llu: %.0f tasks/s, p50 %.1f us, p99 %.1f us, "
		"rss %llu KiB, %d threads, %llu errors, checksum %016llx\n",
		model_impl.name, cfg.wl->name, (unsigned long long)cfg.concurrency,
		(unsigned long long)cfg.tasks, throughput(&res),
		(double)hist_percentile(&res.lat, 0.5) / 1e3,
		(double)hist_percentile(&res.lat, 0.99) / 1e3, (unsigned long long)u.maxrss_kib,
		res.peak_threads, (unsigned long long)res.errors,
		(unsigned long long)res.checksum);
	return 0;
}
