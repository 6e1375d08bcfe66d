/*
 * runner_out.c - what a run leaves behind: the stats line (one JSON object:
 * shared/DESIGN.md section 3), the histogram line (--hist-out) and the
 * summary a person reads on stderr.
 *
 * A result that cannot be written is a lost result, and a lost result is a
 * failed run.  Lines are appended with one write() each (O_APPEND), so
 * concurrent or crashed runs never interleave or leave half a line.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dispatch.h"
#include "runner.h"
#include "util.h"

/* json_str - s as a JSON string body (quotes and control characters escaped). */
void runner_json_str(char *dst, size_t len, const char *s)
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

void runner_pair_json(const struct run_config *cfg, char *out, size_t len)
{
	out[0] = '\0';
	if (cfg->wl->opts & WL_OPT_VALUE_BYTES)
		snprintf(out, len, ",\"value_bytes\":%llu",
			 (unsigned long long)cfg->params.value_bytes);
	if (cfg->wl->opts & WL_OPT_DATA_FILE) {
		size_t o = strlen(out);
		char fs[DATA_FILE_FS_MAX * 2], path[RUNNER_PATH_JSON_MAX];
		runner_json_str(fs, sizeof(fs), runner_data.fs[0] ? runner_data.fs : "unknown");
		runner_json_str(path, sizeof(path), runner_data.path);
		snprintf(out + o, len - o,
			 ",\"cache\":\"%s\",\"file_mib\":%llu,\"file_fs\":\"%s\","
			 "\"file_path\":\"%s\",\"file_cached_pct\":%.1f,\"file_made\":%d",
			 cfg->params.cache == WL_CACHE_COLD ? "cold" : "warm",
			 (unsigned long long)(cfg->params.data_bytes >> 20), fs, path,
			 runner_data.cached_pct, runner_data.made);
	}
}

/* throughput - tasks per second over the measured window (harness/runtime/dispatch.h:
 * the steady part of a closed run, or the whole run). */
static double throughput(const struct run_result *res)
{
	return res->window_ns ? (double)res->lat.total / ((double)res->window_ns / 1e9) : 0.0;
}


/* cpu_s - user + system seconds of u. */
static double cpu_s(const struct stats_usage *u)
{
	return u->utime_s + u->stime_s;
}


void runner_peer_json(const struct run_result *res, const struct run_extra *x,
		      struct runner_peer_json *out)
{
	snprintf(out->kmem, sizeof(out->kmem), "null");
	snprintf(out->cpu, sizeof(out->cpu), "null");
	snprintf(out->vcsw, sizeof(out->vcsw), "null");
	snprintf(out->ivcsw, sizeof(out->ivcsw), "null");
	if (x->kmem_kib >= 0)
		snprintf(out->kmem, sizeof(out->kmem), "%lld", (long long)x->kmem_kib);
	if (res->t_start_ns && res->t_stop_ns && res->b_ok) {
		snprintf(out->cpu, sizeof(out->cpu), "%.6f",
			 (double)(res->b_stop.cpu_ns - res->b_start.cpu_ns) / 1e9);
		snprintf(out->vcsw, sizeof(out->vcsw), "%llu",
			 (unsigned long long)(res->b_stop.vcsw - res->b_start.vcsw));
		snprintf(out->ivcsw, sizeof(out->ivcsw), "%llu",
			 (unsigned long long)(res->b_stop.ivcsw - res->b_start.ivcsw));
	}
}

/* format_json - the stats line of shared/DESIGN.md section 3, one line.
 * CPU and switches cover the clocked window (run_clock_start to _stop);
 * a run whose clock never started reports zeros there. */
void runner_format_json(char *buf, size_t len, const struct run_config *cfg,
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
	struct runner_peer_json pj;
	runner_peer_json(res, x, &pj);
	char bwin[32] = "null"; /* the backend's CPU over the steady window */
	if (clocked && atomic_load(&runner_window.closed) == 1)
		snprintf(bwin, sizeof(bwin), "%.6f",
			 (double)(runner_window.close.cpu_ns - runner_window.open.cpu_ns) / 1e9);
	char pair[RUNNER_PATH_JSON_MAX + 256];
	runner_pair_json(cfg, pair, sizeof(pair));
	char tail[RUNNER_PATH_JSON_MAX + 1536];
	snprintf(tail, sizeof(tail),
		 "%s,\"timer_slack_ns\":%llu,\"pool\":%llu,\"kmem_kib\":%s,\"mem_source\":\"%s\","
		 "\"kmem_peak\":\"%s\",\"setup_s\":%.6f,\"setup_cpu_s\":%.6f,"
		 "\"teardown_s\":%.6f,\"teardown_cpu_s\":%.6f,\"backend_cpu_s\":%s,"
		 "\"backend_vcsw\":%s,\"backend_ivcsw\":%s,\"backend_window_cpu_s\":%s,"
		 "\"window_rule\":\"%s\",\"placement\":\"%s\",\"run_key\":\"%s\"}",
		 pair, (unsigned long long)x->timer_slack_ns, (unsigned long long)cfg->pool,
		 pj.kmem, memcg_source_name(runner_memcg.source), memcg_peak_how(&runner_memcg),
		 res->t_start_ns > x->t_enter ? (double)(res->t_start_ns - x->t_enter) / 1e9 : 0.0,
		 cpu_s(&setup),
		 clocked && x->t_return > res->t_stop_ns
			 ? (double)(x->t_return - res->t_stop_ns) / 1e9 : 0.0,
		 cpu_s(&down), pj.cpu, pj.vcsw, pj.ivcsw, bwin, dispatch_rule(cfg), x->placement,
		 runner_key);

	char reason[MODEL_REASON_MAX * 2];
	runner_json_str(reason, sizeof(reason), res->reason);
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
		 (unsigned long long)res->stack_kib, (unsigned long long)cfg->loops,
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

/* append_line - add line + '\n' to path (util_append). */
static int append_line(const char *path, const char *line)
{
	char buf[RUNNER_JSON_MAX + 1];
	size_t n = strlen(line);
	if (n >= sizeof(buf) - 1)
		return -1;
	memcpy(buf, line, n);
	buf[n++] = '\n';
	return util_append(path, buf, n);
}

/*
 * emit_hist - --hist-out: the run's latency histogram (the same samples as
 * its percentiles) as one line, {"run_key", "workload", "model",
 * "concurrency", "hist": hist_export's object}, appended to path.  Called
 * after the clock stopped, for every model alike.  0, or -1 with why in
 * reason (a lost histogram is a lost result).
 */
int runner_emit_hist(const char *path, const struct run_config *cfg, const struct hist *h,
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
			 runner_key, cfg->wl->name, model_impl.name,
			 (unsigned long long)cfg->concurrency);
	int n = hist_export(h, buf + o, cap - (size_t)o - 2);
	int rc = -1;
	if (n < 0) {
		snprintf(reason, len, "internal: --hist-out: the histogram did not fit its line");
	} else {
		size_t end = (size_t)o + (size_t)n;
		memcpy(buf + end, "}\n", 2);
		rc = util_append(path, buf, end + 2);
		if (rc != 0)
			snprintf(reason, len, "result lost: --hist-out %s: %s", path,
				 util_why_lost(errno));
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
int runner_emit_result(const struct cli_config *cli, const char *json, char *reason,
		       size_t len)
{
	int rc = 0;
	if (cli->stats_out && append_line(cli->stats_out, json) != 0) {
		snprintf(reason, len, "result lost: --stats-out %s: %s", cli->stats_out,
			 util_why_lost(errno));
		rc = -1;
	}
	if (cli->json && (printf("%s\n", json) < 0 || fflush(stdout) != 0 || ferror(stdout))) {
		if (rc == 0)
			snprintf(reason, len, "result lost: --json: stdout: %s", strerror(errno));
		rc = -1;
	}
	return rc;
}

void runner_summary(const struct run_config *cfg, const struct run_result *res,
		    const struct run_extra *x)
{
	char kmem[200];
	if (x->kmem_kib >= 0)
		snprintf(kmem, sizeof(kmem), "kernel %lld KiB%s", (long long)x->kmem_kib,
			 runner_memcg.source == MEMCG_MEMINFO ? " (system-wide)" : "");
	else
		snprintf(kmem, sizeof(kmem), "kernel memory not measured (%s)", runner_memcg.why);
	fprintf(stderr,
		"%s %s -c %llu -n %llu: %.0f tasks/s, p50 %.1f us, p99 %.1f us, "
		"rss %llu KiB, %s, %d threads, %llu errors, checksum %016llx\n",
		model_impl.name, cfg->wl->name, (unsigned long long)cfg->concurrency,
		(unsigned long long)cfg->tasks, throughput(res),
		(double)hist_percentile(&res->lat, 0.5) / 1e3,
		(double)hist_percentile(&res->lat, 0.99) / 1e3,
		(unsigned long long)x->u_return.maxrss_kib, kmem, res->peak_threads,
		(unsigned long long)res->errors, (unsigned long long)res->checksum);
}
