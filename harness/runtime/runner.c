/*
 * runner.c - main() of bin/threads and bin/async: one measurement.
 *
 * Everything that must be identical for both models lives here, so that a
 * difference in the numbers can only come from the model: option parsing,
 * workload parameters, the backend process, resource limits, the run timeout,
 * the clock's start and stop (run_clock_start/stop: every model calls them at
 * the same points), the resource figures and the JSON stats line.
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
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "backend_proc.h"
#include "cli.h"
#include "clock.h"
#include "data_file.h"
#include "memcg.h"
#include "model.h"
#include "stats.h"
#include "util.h"

#define JSON_MAX 6144 /* the stats line is far shorter */
#define PATH_JSON_MAX 1024 /* the data file's path in the stats line (json_str truncates) */
#define RUN_KEY_MAX 48 /* "PID-NS": one run's key, in its stats and histogram lines */
#define PLACEMENT_MAX 160 /* "split model=0-2 backend=3" */
#define SPLIT_BACKEND_SHARE 4 /* --pin split: the backend gets 1 CPU in 4, at least 1 */

static pid_t backend_pid = -1; /* our own peer child (bin/backend, redis-server), or -1 */
#define NOFILE_RESERVE 32 /* descriptors a run holds besides its tasks' sockets */
static struct data_file data;  /* the data file of a WL_OPT_DATA_FILE pair */
static struct memcg memcg;     /* the model's memory cgroup, if any */
static char run_key[RUN_KEY_MAX]; /* this run's key: pid and start time, so a reader
				     pairs its stats line with its histogram line */

/* fatal_usage - bad usage: one line, exit 2 (util.h). */
static void fatal_usage(const char *msg)
{
	util_die_usage(model_impl.name, msg);
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
	memcg_leave(&memcg); /* async-signal-safe: open, write, rmdir */
	_exit(3);
}

void run_abort_cleanup(void)
{
	if (backend_pid > 0)
		kill(backend_pid, SIGTERM);
	memcg_leave(&memcg);
}

uint64_t run_clock_start(struct run_result *res)
{
	stats_usage_read(&res->u_start);
	res->b_ok = backend_pid > 0 && stats_proc_read(backend_pid, &res->b_start) == 0;
	memcg_sample(&memcg);
	int n = stats_thread_count();
	if (n > res->peak_threads)
		res->peak_threads = n;
	res->t_start_ns = clock_now_ns(); /* last: the figures above are set-up */
	return res->t_start_ns;
}

void run_clock_stop(struct run_result *res)
{
	res->t_stop_ns = clock_now_ns(); /* first: the figures below are not tasks */
	stats_usage_read(&res->u_stop);
	if (res->b_ok)
		res->b_ok = stats_proc_read(backend_pid, &res->b_stop) == 0;
	memcg_sample(&memcg);
	int n = stats_thread_count();
	if (n > res->peak_threads)
		res->peak_threads = n;
}

/* cpu_list - "0-2,5": the CPUs of set, for people and meta.json. */
static void cpu_list(const cpu_set_t *set, char *out, size_t len)
{
	size_t o = 0;
	out[0] = '\0';
	for (int c = 0; c < CPU_SETSIZE && o + 16 < len; c++) {
		if (!CPU_ISSET(c, set))
			continue;
		int e = c;
		while (e + 1 < CPU_SETSIZE && CPU_ISSET(e + 1, set))
			e++;
		o += (size_t)snprintf(out + o, len - o, e > c ? "%s%d-%d" : "%s%d",
				      o ? "," : "", c, e);
		c = e;
	}
}

/*
 * split_cpus - --pin split: of the CPUs this process may use, the last
 * ceil(n / SPLIT_BACKEND_SHARE) go to the backend, the rest to the model.
 * Returns 0, or -1 with err set (fewer than two CPUs to split).
 */
static int split_cpus(cpu_set_t *model, cpu_set_t *backend, char *err, size_t errlen)
{
	cpu_set_t all;
	if (sched_getaffinity(0, sizeof(all), &all) != 0) {
		snprintf(err, errlen, "--pin split: sched_getaffinity: %s", strerror(errno));
		return -1;
	}
	int n = CPU_COUNT(&all);
	if (n < 2) {
		snprintf(err, errlen, "--pin split: needs 2 CPUs or more, this process may use %d",
			 n);
		return -1;
	}
	int nb = (n + SPLIT_BACKEND_SHARE - 1) / SPLIT_BACKEND_SHARE;
	CPU_ZERO(model);
	CPU_ZERO(backend);
	int seen = 0;
	for (int c = 0; c < CPU_SETSIZE; c++) {
		if (!CPU_ISSET(c, &all))
			continue;
		if (seen++ < n - nb)
			CPU_SET(c, model);
		else
			CPU_SET(c, backend);
	}
	return 0;
}

/*
 * one_cpus - --pin one: the model on the first CPU this process may use, its
 * own backend on the last (the same one when only one is allowed), so the
 * model's threads or loops share one CPU and the backend does not take it.
 * Returns 0, or -1 with err set.
 */
static int one_cpus(cpu_set_t *model, cpu_set_t *backend, char *err, size_t errlen)
{
	cpu_set_t all;
	if (sched_getaffinity(0, sizeof(all), &all) != 0) {
		snprintf(err, errlen, "--pin one: sched_getaffinity: %s", strerror(errno));
		return -1;
	}
	int first = -1, last = -1;
	for (int c = 0; c < CPU_SETSIZE; c++) {
		if (!CPU_ISSET(c, &all))
			continue;
		if (first < 0)
			first = c;
		last = c;
	}
	if (first < 0) {
		snprintf(err, errlen, "--pin one: no CPU allowed");
		return -1;
	}
	CPU_ZERO(model);
	CPU_ZERO(backend);
	CPU_SET(first, model);
	CPU_SET(last, backend);
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

/* throughput - tasks per second over the measured window (harness/runtime/dispatch.h:
 * the steady part of a closed run, or the whole run). */
static double throughput(const struct run_result *res)
{
	return res->window_ns ? (double)res->lat.total / ((double)res->window_ns / 1e9) : 0.0;
}

/* What the runner measured around the model's run, for the stats line. */
struct run_extra {
	struct stats_usage u_enter;  /* before the model's run() */
	struct stats_usage u_return; /* after it returned */
	uint64_t t_enter;            /* clock then */
	uint64_t t_return;           /* and then */
	int64_t kmem_kib;            /* peak kernel memory, -1: not measured */
	char placement[PLACEMENT_MAX]; /* "shared", "split model=... backend=...", "one model=..." */
};

/* cpu_s - user + system seconds of u. */
static double cpu_s(const struct stats_usage *u)
{
	return u->utime_s + u->stime_s;
}

static void pair_json(const struct run_config *cfg, char *out, size_t len);

/* format_json - the stats line of shared/DESIGN.md section 3, one line.
 * CPU and switches cover the clocked window (run_clock_start to _stop);
 * a run whose clock never started reports zeros there. */
static void format_json(char *buf, size_t len, const struct run_config *cfg,
			const struct run_result *res, const struct run_extra *x, int failed)
{
	const struct hist *h = &res->lat;
	double wall_s = (double)res->wall_ns / 1e9;
	int clocked = res->t_start_ns && res->t_stop_ns;
	struct stats_usage zero = { 0 };
	struct stats_usage win = clocked ? stats_usage_sub(&res->u_stop, &res->u_start) : zero;
	win.maxrss_kib = x->u_return.maxrss_kib;
	struct stats_usage setup = res->t_start_ns ? stats_usage_sub(&res->u_start, &x->u_enter)
						   : zero;
	struct stats_usage down = clocked ? stats_usage_sub(&x->u_return, &res->u_stop) : zero;
	const struct stats_usage *u = &win;
	char kmem[32] = "null", bcpu[32] = "null", bv[32] = "null", biv[32] = "null";
	if (x->kmem_kib >= 0)
		snprintf(kmem, sizeof(kmem), "%lld", (long long)x->kmem_kib);
	if (clocked && res->b_ok) {
		snprintf(bcpu, sizeof(bcpu), "%.6f",
			 (double)(res->b_stop.cpu_ns - res->b_start.cpu_ns) / 1e9);
		snprintf(bv, sizeof(bv), "%llu",
			 (unsigned long long)(res->b_stop.vcsw - res->b_start.vcsw));
		snprintf(biv, sizeof(biv), "%llu",
			 (unsigned long long)(res->b_stop.ivcsw - res->b_start.ivcsw));
	}
	char pair[PATH_JSON_MAX + 256];
	pair_json(cfg, pair, sizeof(pair));
	char tail[PATH_JSON_MAX + 1536];
	snprintf(tail, sizeof(tail),
		 "%s,\"kmem_kib\":%s,\"mem_source\":\"%s\",\"setup_s\":%.6f,\"setup_cpu_s\":%.6f,"
		 "\"teardown_s\":%.6f,\"teardown_cpu_s\":%.6f,\"backend_cpu_s\":%s,"
		 "\"backend_vcsw\":%s,\"backend_ivcsw\":%s,\"placement\":\"%s\","
		 "\"run_key\":\"%s\"}",
		 pair, kmem, memcg_source_name(memcg.source),
		 res->t_start_ns > x->t_enter ? (double)(res->t_start_ns - x->t_enter) / 1e9 : 0.0,
		 cpu_s(&setup),
		 clocked && x->t_return > res->t_stop_ns
			 ? (double)(x->t_return - res->t_stop_ns) / 1e9 : 0.0,
		 cpu_s(&down), bcpu, bv, biv, x->placement, run_key);

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
		 "\"vcsw\":%llu,\"ivcsw\":%llu,\"threads\":%d,\"checksum\":\"%016llx\"%s",
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
		 res->peak_threads, (unsigned long long)res->checksum, tail);
}

/* append_buf - add buf[0..n) (a line with its '\n') to path with one
 * write(): O_APPEND makes a single write of a regular file atomic, so
 * concurrent or crashed runs never interleave or leave half a line.
 * 0, or -1 with errno set. */
static int append_buf(const char *path, const char *buf, size_t n)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	ssize_t w = write(fd, buf, n);
	int saved = w < 0 ? errno : ENOSPC; /* a short write: the disk filled */
	close(fd);
	errno = saved;
	return w == (ssize_t)n ? 0 : -1;
}

/* append_line - add line + '\n' to path (append_buf). */
static int append_line(const char *path, const char *line)
{
	char buf[JSON_MAX + 1];
	size_t n = strlen(line);
	if (n >= sizeof(buf) - 1)
		return -1;
	memcpy(buf, line, n);
	buf[n++] = '\n';
	return append_buf(path, buf, n);
}

/*
 * emit_hist - --hist-out: the run's latency histogram (the same samples as
 * its percentiles) as one line, {"run_key", "workload", "model",
 * "concurrency", "hist": hist_export's object}, appended to path.  Called
 * after the clock stopped, for every model alike.  0, or -1 with why in
 * reason (a lost histogram is a lost result).
 */
static int emit_hist(const char *path, const struct run_config *cfg, const struct hist *h,
		     char *reason, size_t len)
{
	size_t cap = HIST_EXPORT_MAX + 512;
	char *buf = malloc(cap);
	if (!buf) {
		snprintf(reason, len, "result lost: --hist-out %s: %s", path, strerror(errno));
		return -1;
	}
	int o = snprintf(buf, cap,
			 "{\"run_key\":\"%s\",\"workload\":\"%s\",\"model\":\"%s\","
			 "\"concurrency\":%llu,\"hist\":",
			 run_key, cfg->wl->name, model_impl.name,
			 (unsigned long long)cfg->concurrency);
	int n = hist_export(h, buf + o, cap - (size_t)o - 2);
	int rc = -1;
	if (n < 0) {
		snprintf(reason, len, "internal: --hist-out: the histogram did not fit its line");
	} else {
		size_t end = (size_t)o + (size_t)n;
		memcpy(buf + end, "}\n", 2);
		rc = append_buf(path, buf, end + 2);
		if (rc != 0)
			snprintf(reason, len, "result lost: --hist-out %s: %s", path,
				 strerror(errno));
	}
	free(buf);
	return rc;
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

static const char *const peer_names[] = { "none", "backend", "redis" };

/* floor_text - the pair's declared floor terms, "none" if it declares none. */
static void floor_text(const struct wl_floor *f, char *out, size_t len)
{
	if (!f->declared)
		snprintf(out, len, "none");
	else
		snprintf(out, len, "round_trips:%u,timer_waits:%u,work_is_cpu_hash:%d,cpu_ns:%llu",
			 f->round_trips, f->timer_waits, f->work_is_cpu_hash,
			 (unsigned long long)f->cpu_ns_per_task);
}

/* list_workloads - --list: the names; -v: one line of tab-separated fields
 * per pair, name and kind, then KEY=VALUE fields, the summary last. */
static void list_workloads(int verbose)
{
	for (size_t i = 0; i < wl_registry_len; i++) {
		const struct wl_info *wl = wl_registry[i];
		if (!verbose) {
			printf("%s\n", wl->name);
			continue;
		}
		char fl[128];
		floor_text(&wl->floor, fl, sizeof(fl));
		char opts[96] = "";
		for (unsigned b = 0; b < CLI_WL_OPT_BITS; b++)
			if (wl->opts & (1u << b))
				snprintf(opts + strlen(opts), sizeof(opts) - strlen(opts), "%s%s",
					 opts[0] ? "," : "",
					 (1u << b) == WL_OPT_VALUE_BYTES ? "value-bytes"
									 : "data-dir,file-mib,cache");
		printf("%s\t%s\twork=%llu\tdelay_us=%llu\tbackend=%s\tpeer=%s\topts=%s"
		       "\tvalue_bytes=%llu\tmax_c=%llu\tfloor=%s\tclaims=%s\tcoro=%s\t%s\n",
		       wl->name, wl_kind_name(wl->kind), (unsigned long long)wl->default_work,
		       (unsigned long long)wl->default_delay_us,
		       wl->peer == WL_PEER_BACKEND ? "yes" : "no", peer_names[wl->peer],
		       opts[0] ? opts : "none", (unsigned long long)wl->default_value_bytes,
		       (unsigned long long)wl->max_concurrency, fl,
		       wl->claims ? wl->claims : "none", wl->coro_unsupported ? "no" : "yes",
		       wl->summary);
	}
}

/* refuse_options - a pair option (--cache, --redis, ...) given to a workload
 * that does not take it is bad usage: it would be silently ignored. */
static void refuse_options(const struct cli_config *cli, const struct wl_info *wl)
{
	char err[256];
	unsigned extra = cli->wl_opts & ~wl->opts;
	if (extra) {
		unsigned bit = (unsigned)__builtin_ctz(extra);
		snprintf(err, sizeof(err), "--%s: workload '%s' does not take it (see --list -v)",
			 cli->wl_opt_arg[bit], wl->name);
		fatal_usage(err);
	}
	if (cli->redis_set && wl->peer != WL_PEER_REDIS) {
		snprintf(err, sizeof(err), "--redis: workload '%s' does not use redis", wl->name);
		fatal_usage(err);
	}
	if (cli->backend_host[0] && wl->peer != WL_PEER_BACKEND) {
		snprintf(err, sizeof(err), "--backend: workload '%s' does not use a backend",
			 wl->name);
		fatal_usage(err);
	}
}

/* resolve - HOST:PORT of option `what` into an IPv4 address. */
static int resolve(const char *what, const char *host, uint16_t port, struct sockaddr_in *out,
		   char *err, size_t errlen)
{
	struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_STREAM };
	struct addrinfo *ai = NULL;
	int rc = getaddrinfo(host, NULL, &hints, &ai);
	if (rc != 0) {
		snprintf(err, errlen, "%s %.64s: cannot resolve: %s", what, host, gai_strerror(rc));
		return -1;
	}
	memcpy(out, ai->ai_addr, sizeof(*out));
	out->sin_port = htons(port);
	freeaddrinfo(ai);
	return 0;
}

/*
 * start_peer - the pair's peer: the one the command line names (--backend,
 * --redis), else our own child on loopback (on `cpus` if not NULL).
 * Returns 0, or -1 with the reason in res->reason (a failed run).
 */
static int start_peer(const struct cli_config *cli, struct run_config *cfg, const cpu_set_t *cpus,
		      struct run_result *res)
{
	char *why = res->reason;
	size_t wlen = sizeof(res->reason);
	switch (cfg->wl->peer) {
	case WL_PEER_BACKEND:
		if (cli->backend_host[0])
			return resolve("--backend", cli->backend_host, cli->backend_port,
				       &cfg->params.backend, why, wlen);
		return backend_proc_start(&cfg->params.backend, &backend_pid, cpus, why, wlen);
	case WL_PEER_REDIS:
		if (cli->redis_set)
			return resolve("--redis", cli->redis_host, cli->redis_port,
				       &cfg->params.peer, why, wlen);
		return redis_proc_start(&cfg->params.peer, &backend_pid, cpus, why, wlen);
	case WL_PEER_NONE:
		break;
	}
	return 0;
}

/* pair_json - the JSON fields of the pair's own options ("" if none):
 * what the report needs to say which file, which cache state, which size. */
static void pair_json(const struct run_config *cfg, char *out, size_t len)
{
	out[0] = '\0';
	if (cfg->wl->opts & WL_OPT_VALUE_BYTES)
		snprintf(out, len, ",\"value_bytes\":%llu",
			 (unsigned long long)cfg->params.value_bytes);
	if (cfg->wl->opts & WL_OPT_DATA_FILE) {
		size_t o = strlen(out);
		char fs[DATA_FILE_FS_MAX * 2], path[PATH_JSON_MAX];
		json_str(fs, sizeof(fs), data.fs[0] ? data.fs : "unknown");
		json_str(path, sizeof(path), data.path);
		snprintf(out + o, len - o,
			 ",\"cache\":\"%s\",\"file_mib\":%llu,\"file_fs\":\"%s\","
			 "\"file_path\":\"%s\",\"file_cached_pct\":%.1f,\"file_made\":%d",
			 cfg->params.cache == WL_CACHE_COLD ? "cold" : "warm",
			 (unsigned long long)(cfg->params.data_bytes >> 20), fs, path,
			 data.cached_pct, data.made);
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
	refuse_options(&cli, cfg.wl);
	cfg.params.value_bytes = (cli.wl_opts & WL_OPT_VALUE_BYTES) ? cli.value_bytes
								    : cfg.wl->default_value_bytes;
	cfg.params.data_fd = -1;
	cfg.params.data_bytes = cli.file_mib << 20;
	cfg.params.cache = cli.cache;

	/* A stats or histogram file we cannot append to is a usage error, found
	 * before the run. */
	const char *outs[2][2] = { { "--stats-out", cli.stats_out }, { "--hist-out", cli.hist_out } };
	for (int i = 0; i < 2; i++) {
		if (!outs[i][1])
			continue;
		int fd = open(outs[i][1], O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
		if (fd < 0) {
			snprintf(err, sizeof(err), "%s %s: %s", outs[i][0], outs[i][1],
				 strerror(errno));
			fatal_usage(err);
		}
		close(fd);
	}
	snprintf(run_key, sizeof(run_key), "%ld-%llu", (long)getpid(),
		 (unsigned long long)clock_now_ns());

	signal(SIGPIPE, SIG_IGN); /* a dead peer is an error to count, not a kill */
	rlim_t nofile = util_raise_nofile(); /* every in-flight task may hold a socket */
	/* The kernel lets a blocking sleep (nanosleep, clock_nanosleep: the
	 * threads model's waits) wake up to 50 us late by default, the "timer
	 * slack"; libevent's timerfd timers get none.  One rule for both: none.
	 * Threads inherit it from this one.  Unchecked, a failure would favour
	 * one model silently. */
	if (prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL) != 0) {
		fprintf(stderr, "%s: prctl(PR_SET_TIMERSLACK): %s\n", model_impl.name,
			strerror(errno));
		return 3;
	}

	static struct run_result res; /* ~9 KiB histogram: keep it off the stack */
	static struct run_extra extra;
	int failed = 0;

	/* --pin split / one: CPUs for our own backend and for the model.  Split
	 * places only a run with a backend of its own; one always confines the
	 * model, and places its own backend if it has one. */
	cpu_set_t model_cpus, backend_cpus;
	int own_peer = cfg.wl->peer != WL_PEER_NONE && !cli.backend_host[0] && !cli.redis_set;
	int split = cli.pin_split && own_peer;
	int pinned = split || cli.pin_one;
	snprintf(extra.placement, sizeof(extra.placement), "shared");
	if (pinned) {
		if ((split ? split_cpus : one_cpus)(&model_cpus, &backend_cpus, err, sizeof(err)) != 0)
			fatal_usage(err);
		char m[64], b[64];
		cpu_list(&model_cpus, m, sizeof(m));
		cpu_list(&backend_cpus, b, sizeof(b));
		if (own_peer)
			snprintf(extra.placement, sizeof(extra.placement), "%s model=%s backend=%s",
				 split ? "split" : "one", m, b);
		else
			snprintf(extra.placement, sizeof(extra.placement), "one model=%s", m);
	}

	if (cfg.wl->peer != WL_PEER_NONE && nofile > 0 &&
	    cfg.concurrency + NOFILE_RESERVE > (uint64_t)nofile) {
		/* One socket per in-flight task: say so now, not after opening
		 * 20,000 connections (a minute on a loaded machine). */
		snprintf(res.reason, sizeof(res.reason),
			 "c=%llu needs a socket per in-flight task, but the descriptor limit "
			 "RLIMIT_NOFILE is %llu (raising the hard limit needs CAP_SYS_RESOURCE)",
			 (unsigned long long)cfg.concurrency, (unsigned long long)nofile);
		failed = 1;
	} else if (model_impl.coroutines && cfg.wl->coro_unsupported) {
		/* A limit of the model, recorded as a failed point with its why. */
		snprintf(res.reason, sizeof(res.reason), "unsupported on %s: %s", model_impl.name,
			 cfg.wl->coro_unsupported);
		failed = 1;
	} else if (start_peer(&cli, &cfg, pinned ? &backend_cpus : NULL, &res) != 0) {
		failed = 1;
	}
	/* The pair's own set-up, the same for every model and before the clock:
	 * the data file in its cache state, the keys its tasks read. */
	if (!failed && (cfg.wl->opts & WL_OPT_DATA_FILE)) {
		if (data_file_prepare(cli.data_dir, cli.file_mib, cli.cache, &data, res.reason,
				      sizeof(res.reason)) != 0)
			failed = 1;
		cfg.params.data_fd = data.fd;
	}
	if (!failed && cfg.wl->prepare &&
	    cfg.wl->prepare(&cfg.params, res.reason, sizeof(res.reason)) != 0)
		failed = 1;
	if (pinned && !failed && sched_setaffinity(0, sizeof(model_cpus), &model_cpus) != 0) {
		snprintf(res.reason, sizeof(res.reason), "--pin %s: sched_setaffinity: %s",
			 split ? "split" : "one", strerror(errno));
		failed = 1;
	}
	/* After the backend child exists, so that its memory is not charged here. */
	memcg_enter(&memcg, cli.kmem == CLI_KMEM_MEMINFO ? MEMCG_USE_MEMINFO
			    : cli.kmem == CLI_KMEM_OFF   ? MEMCG_OFF
							 : MEMCG_AUTO);

	/* The timeout's words and stats line, ready before the clock runs. */
	snprintf(timeout_msg, sizeof(timeout_msg),
		 "%s: %s -c %llu: run failed: run timed out after %llu s (--timeout-s); giving up\n",
		 model_impl.name, cfg.wl->name, (unsigned long long)cfg.concurrency,
		 (unsigned long long)cli.timeout_s);
	{
		static struct run_result none; /* nothing measured */
		static struct run_extra none_x = { .kmem_kib = -1 };
		snprintf(none_x.placement, sizeof(none_x.placement), "%s", extra.placement);
		snprintf(none.reason, sizeof(none.reason), "run timed out after %llu s (--timeout-s)",
			 (unsigned long long)cli.timeout_s);
		format_json(timeout_json, sizeof(timeout_json) - 1, &cfg, &none, &none_x, 1);
		strcat(timeout_json, "\n");
	}
	if (cli.stats_out)
		timeout_stats_fd = open(cli.stats_out, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	timeout_json_stdout = cli.json;
	signal(SIGALRM, timeout_cb);
	alarm((unsigned)cli.timeout_s);
	stats_usage_read(&extra.u_enter);
	extra.t_enter = clock_now_ns();
	if (!failed && model_impl.run(&cfg, &res) != 0)
		failed = 1;
	if (res.t_start_ns && !res.t_stop_ns)
		run_clock_stop(&res); /* a model that failed before its last task */
	extra.t_return = clock_now_ns();
	stats_usage_read(&extra.u_return);
	extra.kmem_kib = memcg_kernel_kib(&memcg);
	memcg_leave(&memcg);
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
	if (backend_pid > 0 && cfg.wl->peer == WL_PEER_REDIS)
		redis_proc_stop(&cfg.params.peer, backend_pid);
	else if (backend_pid > 0)
		backend_proc_stop(backend_pid);
	if (data.fd > 0)
		close(data.fd);

	/* The histogram line before the stats line: a run whose stats line says
	 * ok has its histogram on file. */
	if (!failed && cli.hist_out &&
	    emit_hist(cli.hist_out, &cfg, &res.lat, res.reason, sizeof(res.reason)) != 0)
		failed = 1;
	char json[JSON_MAX];
	format_json(json, sizeof(json), &cfg, &res, &extra, failed);
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
	char kmem[200];
	if (extra.kmem_kib >= 0)
		snprintf(kmem, sizeof(kmem), "kernel %lld KiB%s", (long long)extra.kmem_kib,
			 memcg.source == MEMCG_MEMINFO ? " (system-wide)" : "");
	else
		snprintf(kmem, sizeof(kmem), "kernel memory not measured (%s)", memcg.why);
	fprintf(stderr,
		"%s %s -c %llu -n %llu: %.0f tasks/s, p50 %.1f us, p99 %.1f us, "
		"rss %llu KiB, %s, %d threads, %llu errors, checksum %016llx\n",
		model_impl.name, cfg.wl->name, (unsigned long long)cfg.concurrency,
		(unsigned long long)cfg.tasks, throughput(&res),
		(double)hist_percentile(&res.lat, 0.5) / 1e3,
		(double)hist_percentile(&res.lat, 0.99) / 1e3,
		(unsigned long long)extra.u_return.maxrss_kib, kmem, res.peak_threads,
		(unsigned long long)res.errors, (unsigned long long)res.checksum);
	return 0;
}
