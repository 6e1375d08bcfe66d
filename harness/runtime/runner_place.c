/*
 * runner_place.c - --pin: which CPUs the model and its own backend get.
 *
 * shared (the default): both unpinned on every CPU.  split: the backend on
 * its own CPUs (1 in SPLIT_BACKEND_SHARE, at least 1), the model on the
 * rest, so neither takes the other's time.  one: the model on one CPU (its
 * threads or loops share it), its own backend on another where there is one.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "runner.h"

#define SPLIT_BACKEND_SHARE 4 /* --pin split: the backend gets 1 CPU in 4, at least 1 */

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

int runner_place(const struct cli_config *cli, int own_peer, cpu_set_t *model, cpu_set_t *backend,
		 char *placement, size_t len, char *err, size_t errlen)
{
	int split = cli->pin_split && own_peer;
	snprintf(placement, len, "shared");
	if (!split && !cli->pin_one)
		return 0;
	if ((split ? split_cpus : one_cpus)(model, backend, err, errlen) != 0)
		return -1;
	char m[64], b[64];
	cpu_list(model, m, sizeof(m));
	cpu_list(backend, b, sizeof(b));
	if (own_peer)
		snprintf(placement, len, "%s model=%s backend=%s", split ? "split" : "one", m, b);
	else
		snprintf(placement, len, "one model=%s", m);
	return 1;
}
