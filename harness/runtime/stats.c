/*
 * stats.c - resource figures of the running process.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "stats.h"

static long status_field(const char *key);

int stats_usage_read(struct stats_usage *out)
{
	struct rusage ru;
	if (getrusage(RUSAGE_SELF, &ru) != 0)
		return -1;
	/* The peak of this program's own memory map (VmHWM), not ru_maxrss:
	 * Linux carries ru_maxrss across execve, so a model started by a
	 * larger process (a Python sweep's fork: 14 MiB; a 200 MiB parent
	 * read as 218,692 KiB for a 1,916 KiB run) reported its parent's peak
	 * wherever its own was lower. */
	long hwm = status_field("VmHWM:");
	out->maxrss_kib = hwm > 0 ? (uint64_t)hwm : (uint64_t)ru.ru_maxrss; /* KiB */
	out->utime_s = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6;
	out->stime_s = (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
	out->vcsw = (uint64_t)ru.ru_nvcsw;
	out->ivcsw = (uint64_t)ru.ru_nivcsw;
	return 0;
}

struct stats_usage stats_usage_sub(const struct stats_usage *b, const struct stats_usage *a)
{
	struct stats_usage d = {
		.maxrss_kib = b->maxrss_kib,
		.utime_s = b->utime_s - a->utime_s,
		.stime_s = b->stime_s - a->stime_s,
		.vcsw = b->vcsw - a->vcsw,
		.ivcsw = b->ivcsw - a->ivcsw,
	};
	return d;
}

/* status_field - the number after "key" in a /proc status file, or -1. */
static long status_field_of(const char *path, const char *key)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	char line[256];
	size_t klen = strlen(key);
	long v = -1;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, key, klen) == 0) {
			v = strtol(line + klen, NULL, 10);
			break;
		}
	}
	fclose(f);
	return v;
}

static long status_field(const char *key)
{
	return status_field_of("/proc/self/status", key);
}

int stats_read_u64(const char *path, uint64_t *out)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return -1;
	unsigned long long v;
	int ok = fscanf(f, "%llu", &v) == 1;
	fclose(f);
	if (!ok)
		return -1;
	*out = v;
	return 0;
}

int stats_proc_read(pid_t pid, struct stats_proc *out)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%ld/schedstat", (long)pid);
	uint64_t ns;
	int ok = stats_read_u64(path, &ns) == 0;
	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	long v = status_field_of(path, "voluntary_ctxt_switches:");
	long iv = status_field_of(path, "nonvoluntary_ctxt_switches:");
	if (!ok || v < 0 || iv < 0)
		return -1;
	out->cpu_ns = ns;
	out->vcsw = (uint64_t)v;
	out->ivcsw = (uint64_t)iv;
	return 0;
}

int stats_thread_count(void)
{
	return (int)status_field("Threads:");
}

long stats_rss_kib(void)
{
	return status_field("VmRSS:");
}
