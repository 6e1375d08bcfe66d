/*
 * runner_serve_main.c - the runner's steps for --serve (runner.h): listen,
 * let the model serve, and write the server's stats line.
 *
 * The line is the fan-out's kind (shared/DESIGN.md section 3), with the
 * server's counts in place of a run's tasks and latencies (the load
 * generator measures those): requests answered, connections, accept's
 * failures.  CPU and switches cover the served window, from the first
 * connection accepted to the stop; memory is the process's peak, RSS and
 * the memory cgroup's kernel figure, as fan-out runs take them, so memory
 * per connection comes from two runs at different connection counts as
 * rss_per_task_kib does.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "runner.h"
#include "serve.h"

/* serve_summary - the people's line on stderr. */
static void serve_summary(const struct run_config *cfg, const struct serve_totals *st,
			  const struct run_extra *x)
{
	char kmem[96];
	if (x->kmem_kib >= 0)
		snprintf(kmem, sizeof(kmem), "kernel %lld KiB", (long long)x->kmem_kib);
	else
		snprintf(kmem, sizeof(kmem), "kernel memory not measured");
	fprintf(stderr,
		"%s %s --serve %s:%u: %llu requests answered, %llu errors, %llu bad, "
		"%llu connections (%llu at once), %llu accept errors, rss %llu KiB, %s, "
		"checksum %016llx\n",
		model_impl.name, cfg->wl->name, st->addr, (unsigned)st->port,
		(unsigned long long)st->t.requests, (unsigned long long)st->t.errors,
		(unsigned long long)st->t.bad, (unsigned long long)st->conns_total,
		(unsigned long long)st->conns_peak, (unsigned long long)st->accept_errors,
		(unsigned long long)x->u_return.maxrss_kib, kmem,
		(unsigned long long)st->t.checksum);
}

/* serve_json - the server's stats line, one line without its '\n'. */
static void serve_json(char *buf, size_t len, const struct cli_config *cli,
		       const struct run_config *cfg, const struct run_result *res,
		       const struct run_extra *x, const struct serve_totals *st, int failed)
{
	int clocked = res->t_start_ns && res->t_stop_ns;
	struct stats_usage zero = { 0 };
	struct stats_usage win = clocked ? stats_usage_sub(&res->u_stop, &res->u_start) : zero;
	struct stats_usage down = clocked ? stats_usage_sub(&x->u_return, &res->u_stop) : zero;
	double wall_s = clocked ? (double)(res->t_stop_ns - res->t_start_ns) / 1e9 : 0.0;
	struct runner_peer_json pj;
	runner_peer_json(res, x, &pj);
	char pair[RUNNER_PATH_JSON_MAX + 256];
	runner_pair_json(cfg, pair, sizeof(pair));
	char reason[MODEL_REASON_MAX * 2], first[MODEL_REASON_MAX * 2];
	runner_json_str(reason, sizeof(reason), res->reason);
	runner_json_str(first, sizeof(first), res->first_error);
	const char *accept = st->listeners > 1 ? "reuseport" : cfg->loops > 1 ? "shared" : "single";
	snprintf(buf, len,
		 "{\"workload\":\"%s\",\"model\":\"%s\",\"mode\":\"serve\",\"status\":\"%s\","
		 "\"reason\":\"%s\",\"bind\":\"%s\",\"port\":%u,\"accept\":\"%s\","
		 "\"listeners\":%llu,\"backlog\":%d,\"requests\":%llu,\"errors\":%llu,"
		 "\"first_error\":\"%s\",\"bad_requests\":%llu,\"dropped\":%llu,\"accept_errors\":%llu,"
		 "\"connections_peak\":%llu,\"connections_total\":%llu,\"checksum\":\"%016llx\","
		 "\"wall_s\":%.6f,\"throughput\":%.3f,\"maxrss_kib\":%llu,\"kmem_kib\":%s,"
		 "\"mem_source\":\"%s\",\"utime_s\":%.6f,\"stime_s\":%.6f,\"vcsw\":%llu,"
		 "\"ivcsw\":%llu,\"threads\":%d,\"stack_kib\":%llu,\"timer_slack_ns\":%llu,"
		 "\"loops\":%llu,\"workers\":%llu,\"pool\":%llu,\"work\":%llu,\"delay_us\":%llu%s,"
		 "\"teardown_s\":%.6f,\"teardown_cpu_s\":%.6f,\"backend_cpu_s\":%s,"
		 "\"backend_vcsw\":%s,\"backend_ivcsw\":%s,\"placement\":\"%s\","
		 "\"run_key\":\"%s\"}",
		 cfg->wl->name, model_impl.name, failed ? "failed" : "ok", reason, cli->bind,
		 (unsigned)st->port, accept, (unsigned long long)st->listeners, st->backlog,
		 (unsigned long long)st->t.requests, (unsigned long long)st->t.errors, first,
		 (unsigned long long)st->t.bad, (unsigned long long)st->t.dropped,
		 (unsigned long long)st->accept_errors, (unsigned long long)st->conns_peak,
		 (unsigned long long)st->conns_total, (unsigned long long)st->t.checksum, wall_s,
		 wall_s > 0 ? (double)st->t.requests / wall_s : 0.0,
		 (unsigned long long)x->u_return.maxrss_kib, pj.kmem,
		 memcg_source_name(runner_memcg.source), win.utime_s, win.stime_s,
		 (unsigned long long)win.vcsw, (unsigned long long)win.ivcsw, res->peak_threads,
		 (unsigned long long)res->stack_kib, (unsigned long long)x->timer_slack_ns,
		 (unsigned long long)cfg->loops, (unsigned long long)cfg->workers,
		 (unsigned long long)cfg->pool, (unsigned long long)cfg->params.work,
		 (unsigned long long)cfg->params.delay_us, pair,
		 clocked && x->t_return > res->t_stop_ns
			 ? (double)(x->t_return - res->t_stop_ns) / 1e9 : 0.0,
		 down.utime_s + down.stime_s, pj.cpu, pj.vcsw, pj.ivcsw, x->placement, runner_key);
}

/* serve_opts_of - where and how to listen: one listener, or one
 * SO_REUSEPORT listener per loop unless --accept shared. */
static struct serve_opts serve_opts_of(const struct cli_config *cli, const struct run_config *cfg)
{
	struct serve_opts o;
	memset(&o, 0, sizeof(o));
	o.addr.sin_family = AF_INET;
	o.addr.sin_port = htons(cli->serve_port);
	inet_pton(AF_INET, cli->bind, &o.addr.sin_addr); /* checked by cli_parse */
	o.listeners = cfg->loops > 1 && cli->accept_reuseport != 0 ? cfg->loops : 1;
	o.ready_fd = cli->ready_fd;
	o.max_requests = cli->serve_requests;
	return o;
}

void runner_serve_failed_json(char *buf, size_t len, const struct cli_config *cli,
			      const struct run_config *cfg, const struct run_extra *x,
			      const char *why)
{
	static struct run_result none; /* nothing measured; one caller at a time */
	static struct serve_totals st; /* nothing served */
	snprintf(none.reason, sizeof(none.reason), "%s", why);
	memset(&st, 0, sizeof(st));
	st.port = cli->serve_port;
	serve_json(buf, len, cli, cfg, &none, x, &st, 1);
}

int runner_serve(const struct cli_config *cli, struct run_config *cfg, struct run_result *res,
		 struct run_extra *x, int failed)
{
	/* The time limit (main) covered set-up; a server then runs until it is
	 * told to stop: no time limit unless asked, and then the one armed
	 * from the start, set-up included, as for a run. */
	if (!cli->timeout_set)
		runner_guard_unlimit();
	stats_usage_read(&x->u_enter);
	x->t_enter = clock_now_ns();
	struct serve_opts o = serve_opts_of(cli, cfg);
	if (!failed && serve_open(&o, res, res->reason, sizeof(res->reason)) != 0)
		failed = 1;
	if (!failed && model_impl.serve(cfg, res) != 0)
		failed = 1;
	serve_clock_stop(); /* a model that returned before seeing the stop */
	if (!res->stack_kib) /* a callback's stack: its loop thread's */
		res->stack_kib = runner_default_stack_kib();
	if (!failed && serve_fault_report(res) != 0)
		failed = 1;
	struct serve_totals st;
	serve_totals(&st);
	serve_close();
	x->t_return = clock_now_ns();
	stats_usage_read(&x->u_return);
	x->kmem_kib = memcg_kernel_kib(&runner_memcg);
	memcg_leave(&runner_memcg);
	runner_guard_disarm();
	runner_stop_peer(cfg);
	if (runner_data.fd > 0)
		close(runner_data.fd);

	char json[RUNNER_JSON_MAX];
	serve_json(json, sizeof(json), cli, cfg, res, x, &st, failed);
	char lost[MODEL_REASON_MAX];
	if (runner_emit_result(cli, json, lost, sizeof(lost)) != 0) {
		if (!failed)
			memcpy(res->reason, lost, sizeof(res->reason));
		failed = 1;
	}
	if (failed) {
		fprintf(stderr, "%s: %s --serve: failed: %s\n", model_impl.name, cfg->wl->name,
			res->reason);
		return 3;
	}
	serve_summary(cfg, &st, x);
	return 0;
}
