/*
 * out.c - what bin/load leaves: the stats line (--json, --stats-out), the
 * latency histogram line (--hist-out, the models' format, so the sweep
 * merges a point's runs with harness/sweep/hgrm.py), the .hgrm file
 * (--hgrm-out) and the summary on stderr; and the verdict on the run.
 *
 * The .hgrm is HdrHistogram's percentile distribution as hgrm.py writes it
 * (the same iteration, steps and footer; values in microseconds, each line's
 * Value the top of its bucket), so the two agree to the byte on one
 * histogram (tests/test_load.sh checks it) and wrk2's and HdrHistogram's
 * readers read either.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../runtime/util.h"
#include "load.h"

#define JSON_MAX 4096            /* the stats line at most */
#define HGRM_TICKS 5             /* percentile lines per halving of the distance to 100% */
#define NS_PER_US 1000.0         /* values are written in microseconds */

/* Everything the threads counted, summed. */
struct load_total {
	struct load_counts c;     /* the threads' counts, summed */
	struct hist lat;          /* their histograms, merged */
	uint64_t errors;          /* every kind of error */
	double cpu_s;             /* the threads' CPU over the window */
	double util_max;          /* the busiest thread's CPU / window */
	double window_s;          /* the window: its duration, or t0 .. the last response */
	double ramp_s;            /* a closed phase: t0 .. the window (every connection's
				     first answer), left out of the figures */
	double wall_s;            /* t0 .. the last response or the window's end */
	double throughput;        /* 200s in the window per second */
};

/* total_of - sum the threads of r into *tot (the window ends at t_stop for
 * --requests). */
static void total_of(const struct load_run *r, uint64_t t_stop, struct load_total *tot)
{
	memset(tot, 0, sizeof(*tot));
	for (unsigned i = 0; i < r->cfg.threads; i++) {
		const struct load_thread *t = &r->threads[i];
		const struct load_counts *c = &t->c;
		tot->c.sent += c->sent;
		tot->c.ok += c->ok;
		tot->c.ok_in_window += c->ok_in_window;
		tot->c.status_errors += c->status_errors;
		tot->c.bad_bodies += c->bad_bodies;
		tot->c.resets += c->resets;
		tot->c.timeouts += c->timeouts;
		tot->c.out_of_step += c->out_of_step;
		tot->c.idle_closed += c->idle_closed;
		tot->c.reconnects += c->reconnects;
		tot->c.unsent += c->unsent;
		tot->c.checksum += c->checksum;
		hist_merge(&tot->lat, &t->lat);
		tot->cpu_s += t->cpu_s;
	}
	tot->errors = tot->c.status_errors + tot->c.bad_bodies + tot->c.resets + tot->c.timeouts +
		      tot->c.out_of_step;
	if (!r->t0_ns)
		return;
	uint64_t win = load_win_ns(r) ? load_win_ns(r) : r->t0_ns;
	uint64_t end = load_end_ns(r) ? load_end_ns(r) : t_stop;
	tot->window_s = end > win ? (double)(end - win) / 1e9 : 0.0;
	tot->ramp_s = win > r->t0_ns ? (double)(win - r->t0_ns) / 1e9 : 0.0;
	uint64_t last = t_stop > end ? t_stop : end;
	tot->wall_s = last > r->t0_ns ? (double)(last - r->t0_ns) / 1e9 : 0.0;
	if (tot->window_s > 0)
		tot->throughput = (double)tot->c.ok_in_window / tot->window_s;
	for (unsigned i = 0; i < r->cfg.threads; i++) {
		double u = tot->wall_s > 0 ? r->threads[i].cpu_s / tot->wall_s : 0.0;
		if (u > tot->util_max)
			tot->util_max = u;
	}
}

/* verdict - why the run failed, or "" (the first thread's failure, nothing
 * answered or nothing inside the window, more errors than LOAD_ERROR_SHARE
 * of the requests). */
static void verdict(const struct load_run *r, const struct load_total *tot, char *why,
		    size_t len)
{
	why[0] = '\0';
	for (unsigned i = 0; i < r->cfg.threads; i++)
		if (r->threads[i].reason[0]) {
			snprintf(why, len, "%s", r->threads[i].reason);
			return;
		}
	if (tot->c.ok == 0)
		snprintf(why, len, "nothing answered: %" PRIu64 " requests sent, %" PRIu64
			 " errors", tot->c.sent, tot->errors);
	else if (r->t0_ns && tot->c.ok_in_window == 0)
		/* answers, but none inside the window: its throughput 0 and its
		 * percentiles 0 would be figures of nothing */
		snprintf(why, len, "no answer within the window (%.3f s; %" PRIu64 " outside it): "
			 "nothing to measure (a longer --duration, a higher --rate?)", tot->window_s,
			 tot->c.ok);
	else if (r->cfg.each && (tot->errors || tot->c.idle_closed))
		/* each=N is there to set every connection up: one lost is a failure */
		snprintf(why, len, "each=%" PRIu64 ": the server did not serve every connection: %"
			 PRIu64 " of %" PRIu64 " requests failed (%" PRIu64 " resets, %" PRIu64
			 " timeouts), %" PRIu64 " connections closed", r->cfg.each, tot->errors,
			 tot->c.sent, tot->c.resets, tot->c.timeouts, tot->c.idle_closed);
	else if ((double)tot->errors > LOAD_ERROR_SHARE * (double)tot->c.sent)
		snprintf(why, len, "%" PRIu64 " errors in %" PRIu64 " requests (more than %g%%): %"
			 PRIu64 " not 200, %" PRIu64 " bad bodies, %" PRIu64 " resets, %" PRIu64
			 " timeouts, %" PRIu64 " out of step", tot->errors, tot->c.sent,
			 100 * LOAD_ERROR_SHARE, tot->c.status_errors, tot->c.bad_bodies,
			 tot->c.resets, tot->c.timeouts, tot->c.out_of_step);
}

/* json_str - s as a JSON string body: quotes, backslashes and control
 * characters escaped. */
static void json_str(char *out, size_t len, const char *s)
{
	size_t o = 0;
	for (; *s && o + 7 < len; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\')
			o += (size_t)snprintf(out + o, len - o, "\\%c", ch);
		else if (ch < 0x20)
			o += (size_t)snprintf(out + o, len - o, "\\u%04x", ch);
		else
			out[o++] = (char)ch;
	}
	out[o] = '\0';
}

/* us - a histogram figure in microseconds. */
static double us(uint64_t ns)
{
	return (double)ns / NS_PER_US;
}

/* format_json - the stats line (the serve contract's fields). */
static void format_json(char *buf, size_t len, const struct load_run *r,
			const struct load_total *tot, const char *why)
{
	const struct load_cfg *cfg = &r->cfg;
	const struct hist *h = &tot->lat;
	char reason[LOAD_REASON_MAX * 2], host[600], path[LOAD_PATH_MAX * 2];
	json_str(reason, sizeof(reason), why);
	json_str(host, sizeof(host), cfg->host);
	json_str(path, sizeof(path), cfg->path);
	snprintf(buf, len,
		 "{\"tool\":\"load\",\"phase\":%u,\"phases\":%u,\"status\":\"%s\","
		 "\"reason\":\"%s\",\"target\":\"%s:%u\","
		 "\"path\":\"%s\",\"connections\":%" PRIu64 ",\"active\":%" PRIu64 ",\"idle\":%" PRIu64
		 ",\"threads\":%u,\"mode\":\"%s\",\"rate\":%.0f,\"duration_s\":%.6f,"
		 "\"requests_asked\":%" PRIu64 ",\"ids_from\":%" PRIu64 ",\"sent\":%" PRIu64
		 ",\"requests\":%" PRIu64 ",\"requests_in_window\":%" PRIu64 ",\"errors\":%" PRIu64
		 ",\"status_errors\":%" PRIu64 ",\"bad_bodies\":%" PRIu64 ",\"resets\":%" PRIu64
		 ",\"timeouts\":%" PRIu64 ",\"out_of_step\":%" PRIu64 ",\"idle_closed\":%" PRIu64
		 ",\"reconnects\":%" PRIu64 ",\"unsent\":%" PRIu64 ",\"wall_s\":%.6f,"
		 "\"window_s\":%.6f,\"ramp_s\":%.6f,\"throughput\":%.3f,\"mean_us\":%.3f,\"min_us\":%.3f,"
		 "\"p50_us\":%.3f,\"p90_us\":%.3f,\"p99_us\":%.3f,\"p999_us\":%.3f,\"max_us\":%.3f,"
		 "\"load_cpu_s\":%.6f,\"load_util\":%.4f,\"load_bound\":%s,"
		 "\"checksum\":\"%016" PRIx64 "\",\"run_key\":\"%s-%u\"}",
		 r->phase, cfg->nphases, why[0] ? "failed" : "ok", reason, host, ntohs(cfg->addr.sin_port), path,
		 cfg->connections, cfg->active, cfg->connections - cfg->active, cfg->threads,
		 cfg->rate > 0 ? "open" : cfg->each ? "each" : "closed", cfg->rate,
		 (double)cfg->duration_ns / 1e9,
		 cfg->requests, r->phase_ids_from, tot->c.sent, tot->c.ok, tot->c.ok_in_window,
		 tot->errors, tot->c.status_errors, tot->c.bad_bodies, tot->c.resets,
		 tot->c.timeouts, tot->c.out_of_step, tot->c.idle_closed, tot->c.reconnects,
		 tot->c.unsent, tot->wall_s, tot->window_s, tot->ramp_s, tot->throughput,
		 hist_mean_ns(h) / NS_PER_US, h->total ? us(h->min_ns) : 0.0,
		 us(hist_percentile(h, 0.50)), us(hist_percentile(h, 0.90)),
		 us(hist_percentile(h, 0.99)), us(hist_percentile(h, 0.999)), us(h->max_ns),
		 tot->cpu_s, tot->util_max, tot->util_max >= LOAD_BOUND_UTIL ? "true" : "false",
		 tot->c.checksum, r->run_key, r->phase);
}

/* hist_line - --hist-out: {"run_key", "tool", "connections", "active",
 * "hist": hist_export's object} and a newline, malloc'd, or NULL. */
static char *hist_line(const struct load_run *r, const struct hist *h)
{
	size_t cap = HIST_EXPORT_MAX + 512;
	char *buf = malloc(cap);
	if (!buf)
		return NULL;
	int o = snprintf(buf, cap,
			 "{\"run_key\":\"%s-%u\",\"tool\":\"load\",\"phase\":%u,"
			 "\"connections\":%" PRIu64 ",\"active\":%" PRIu64 ",\"hist\":",
			 r->run_key, r->phase, r->phase, r->cfg.connections, r->cfg.active);
	int n = hist_export(h, buf + o, cap - (size_t)o - 2);
	if (n < 0) {
		free(buf);
		return NULL;
	}
	memcpy(buf + o + n, "}\n", 3);
	return buf;
}

/* hgrm_row - one line of the percentile table. */
static void hgrm_row(FILE *f, uint64_t value_ns, double pct, uint64_t count)
{
	double p = pct / 100.0;
	fprintf(f, "%12.3f %12f %12" PRIu64 " %12.2f\n", us(value_ns), p, count,
		p < 1.0 ? 1.0 / (1.0 - p) : INFINITY);
}

/* render_hgrm - h as HdrHistogram's percentile distribution (hgrm.py's
 * percentile_lines and render, step for step), into f. */
static void render_hgrm(FILE *f, const struct hist *h)
{
	fprintf(f, "%12s %12s %12s %12s\n\n", "Value", "Percentile", "TotalCount",
		"1/(1-Percentile)");
	unsigned last = 0;
	for (unsigned i = 0; i < HIST_BUCKETS; i++)
		if (h->counts[i])
			last = i;
	double target = 0.0;
	uint64_t cum = 0, value = 0;
	for (unsigned i = 0; h->total && i <= last; i++) {
		if (!h->counts[i])
			continue;
		cum += h->counts[i];
		value = hist_bucket_low(i) + hist_bucket_width(i) - 1;
		if (value > h->max_ns)
			value = h->max_ns;
		if (i == last) {
			hgrm_row(f, value, target, cum);
			break;
		}
		double reached = 100.0 * (double)cum / (double)h->total;
		while (target <= reached) {
			hgrm_row(f, value, target, cum);
			double half = pow(2.0, floor(log2(100.0 / (100.0 - target))) + 1);
			target += 100.0 / (HGRM_TICKS * half);
		}
	}
	if (h->total)
		hgrm_row(f, value, 100.0, h->total);
	double mean = hist_mean_ns(h), var = 0.0;
	for (unsigned i = 0; i <= last; i++)
		if (h->counts[i]) {
			double mid = (double)hist_bucket_low(i) + (double)hist_bucket_width(i) / 2.0;
			var += (double)h->counts[i] * (mid - mean) * (mid - mean);
		}
	double sd = h->total ? sqrt(var / (double)h->total) : 0.0;
	unsigned sub = 2u << HIST_SUB_BITS;
	fprintf(f, "#[Mean    = %12.3f, StdDeviation   = %12.3f]\n", mean / NS_PER_US,
		sd / NS_PER_US);
	fprintf(f, "#[Max     = %12.3f, Total count    = %12" PRIu64 "]\n", us(h->max_ns),
		h->total);
	fprintf(f, "#[Buckets = %12u, SubBuckets     = %12u]\n", HIST_BUCKETS / (sub / 2) - 1, sub);
}

/* write_hgrm - the .hgrm of h to path, whole (util_write_whole: a device or
 * a FIFO written through, never replaced).  0, or -1 with errno. */
static int write_hgrm(const char *path, const struct hist *h)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);
	if (!f)
		return -1;
	render_hgrm(f, h);
	int rc = fclose(f) != 0 ? -1 : util_write_whole(path, buf, n);
	int saved = errno;
	free(buf);
	errno = saved;
	return rc;
}

/* emit - write every output asked for; the first failure into why. */
static void emit(const struct load_run *r, const struct load_total *tot, char *why, size_t len)
{
	const struct load_cfg *cfg = &r->cfg;
	char lost[LOAD_REASON_MAX] = "";
	if (cfg->hist_out && r->t0_ns) {
		char *line = hist_line(r, &tot->lat);
		if (!line || util_append(cfg->hist_out, line, strlen(line)) != 0)
			snprintf(lost, sizeof(lost), "result lost: --hist-out %s: %s", cfg->hist_out,
				 line ? util_why_lost(errno) : "out of memory");
		free(line);
	}
	if (cfg->hgrm_out && r->t0_ns && !lost[0] && write_hgrm(cfg->hgrm_out, &tot->lat) != 0)
		snprintf(lost, sizeof(lost), "result lost: --hgrm-out %s: %s", cfg->hgrm_out,
			 util_why_lost(errno));
	if (lost[0] && !why[0])
		snprintf(why, len, "%s", lost);
	char json[JSON_MAX];
	format_json(json, sizeof(json), r, tot, why);
	size_t n = strlen(json);
	json[n] = '\n';
	if (cfg->stats_out && util_append(cfg->stats_out, json, n + 1) != 0 && !why[0])
		snprintf(why, len, "result lost: --stats-out %s: %s", cfg->stats_out,
			 util_why_lost(errno));
	if (cfg->json && (fwrite(json, 1, n + 1, stdout) != n + 1 || fflush(stdout) != 0) &&
	    !why[0])
		snprintf(why, len, "result lost: --json: stdout: %s", strerror(errno));
}

int load_output(struct load_run *r, uint64_t t_stop_ns)
{
	struct load_total tot;
	total_of(r, t_stop_ns, &tot);
	char why[LOAD_REASON_MAX * 2];
	verdict(r, &tot, why, sizeof(why));
	emit(r, &tot, why, sizeof(why));
	const struct load_cfg *cfg = &r->cfg;
	if (!cfg->quiet && tot.c.sent)
		fprintf(stderr,
			"load: %s %" PRIu64 "/%" PRIu64 " active -> %s:%u%s: %.0f req/s, p50 %.1f us, "
			"p99 %.1f us, %" PRIu64 " errors, %" PRIu64 " idle closed, load CPU %.0f%% of "
			"a core%s, checksum %016" PRIx64 "\n",
			cfg->rate > 0 ? "open" : "closed", cfg->active, cfg->connections, cfg->host,
			ntohs(cfg->addr.sin_port), cfg->path, tot.throughput,
			us(hist_percentile(&tot.lat, 0.5)), us(hist_percentile(&tot.lat, 0.99)),
			tot.errors, tot.c.idle_closed, 100 * tot.util_max,
			tot.util_max >= LOAD_BOUND_UTIL ? " (LOAD-BOUND)" : "", tot.c.checksum);
	if (why[0]) {
		fprintf(stderr, "load: %s\n", why);
		return 3;
	}
	return 0;
}
