/*
 * stats.c - resource figures of the running process.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "stats.h"

int stats_usage_read(struct stats_usage *out)
{
	struct rusage ru;
	if (getrusage(RUSAGE_SELF, &ru) != 0)
		return -1;
	out->maxrss_kib = (uint64_t)ru.ru_maxrss; /* Linux reports KiB */
	out->utime_s = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6;
	out->stime_s = (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
	out->vcsw = (uint64_t)ru.ru_nvcsw;
	out->ivcsw = (uint64_t)ru.ru_nivcsw;
	return 0;
}

/* status_field - the number after "key" in /proc/self/status, or -1. */
static long status_field(const char *key)
{
	FILE *f = fopen("/proc/self/status", "r");
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

int stats_thread_count(void)
{
	return (int)status_field("Threads:");
}

long stats_rss_kib(void)
{
	return status_field("VmRSS:");
}
