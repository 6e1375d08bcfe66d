/*
 * runner_peer.c - the pair's side of a run: its peer (bin/backend or
 * redis-server, ours on loopback or one the command line names), the options
 * a pair takes or refuses, and --list.
 *
 * The peer is started before the model joins its memory cgroup, so the
 * backend's sockets and memory are never charged to the model.
 */
#include <netdb.h>
#include <stdio.h>
#include <string.h>

#include "backend_proc.h"
#include "runner.h"
#include "util.h"

static const char *const peer_names[] = { "none", "backend", "redis" };
#define OPTS_TEXT_MAX 160 /* --list -v's opts field: every pair option's name */

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
void runner_list_workloads(int verbose)
{
	for (size_t i = 0; i < wl_registry_len; i++) {
		const struct wl_info *wl = wl_registry[i];
		if (!verbose) {
			printf("%s\n", wl->name);
			continue;
		}
		char fl[128];
		floor_text(&wl->floor, fl, sizeof(fl));
		char opts[OPTS_TEXT_MAX] = "";
		for (unsigned b = 0; b < CLI_WL_OPT_BITS; b++) {
			size_t used = strlen(opts);
			if (!(wl->opts & (1u << b)) || used + 2 >= sizeof(opts))
				continue;
			if (used)
				opts[used++] = ',';
			cli_wl_opt_names(b, opts + used, sizeof(opts) - used);
			if (!opts[used]) /* a bit no option carries: no empty item */
				opts[used - (used > 0)] = '\0';
		}
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

/* refuse_options - a pair option (--work, --delay-us, --cache, --redis, ...)
 * given to a workload that does not take it is bad usage: it would be
 * silently ignored. */
void runner_refuse_options(const struct cli_config *cli, const struct wl_info *wl)
{
	char err[256];
	unsigned extra = cli->wl_opts & ~wl->opts;
	if (extra) {
		unsigned bit = (unsigned)__builtin_ctz(extra);
		snprintf(err, sizeof(err), "--%s: workload '%s' does not take it (see --list -v)",
			 cli->wl_opt_arg[bit], wl->name);
		util_die_usage(model_impl.name, err);
	}
	if (cli->redis_set && wl->peer != WL_PEER_REDIS) {
		snprintf(err, sizeof(err), "--redis: workload '%s' does not use redis", wl->name);
		util_die_usage(model_impl.name, err);
	}
	if (cli->backend_host[0] && wl->peer != WL_PEER_BACKEND) {
		snprintf(err, sizeof(err), "--backend: workload '%s' does not use a backend",
			 wl->name);
		util_die_usage(model_impl.name, err);
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
int runner_start_peer(const struct cli_config *cli, struct run_config *cfg, const cpu_set_t *cpus,
		      struct run_result *res)
{
	char *why = res->reason;
	size_t wlen = sizeof(res->reason);
	switch (cfg->wl->peer) {
	case WL_PEER_BACKEND:
		if (cli->backend_host[0])
			return resolve("--backend", cli->backend_host, cli->backend_port,
				       &cfg->params.backend, why, wlen);
		return backend_proc_start(&cfg->params.backend, &runner_backend_pid, cpus, why, wlen);
	case WL_PEER_REDIS:
		if (cli->redis_set)
			return resolve("--redis", cli->redis_host, cli->redis_port,
				       &cfg->params.peer, why, wlen);
		return redis_proc_start(&cfg->params.peer, &runner_backend_pid, cpus, why, wlen);
	case WL_PEER_NONE:
		break;
	}
	return 0;
}


void runner_stop_peer(const struct run_config *cfg)
{
	if (runner_backend_pid <= 0)
		return;
	if (cfg->wl->peer == WL_PEER_REDIS)
		redis_proc_stop(&cfg->params.peer, runner_backend_pid);
	else
		backend_proc_stop(runner_backend_pid);
	runner_backend_pid = -1;
}
