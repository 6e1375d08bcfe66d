/*
 * memcg.c - a memory cgroup of the model process's own, for its kernel
 * memory (see memcg.h for what is read and why).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "memcg.h"
#include "stats.h"

#define TCP_LIMIT_UNLIMITED "-1" /* v1: any write switches TCP accounting on */
#define LINE_MAX_LEN 4096        /* a line of mountinfo or /proc/self/cgroup */

/* write_file - write s to path.  0, or -1 with errno.  Async-signal-safe. */
static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	size_t len = strlen(s);
	ssize_t w = write(fd, s, len);
	int saved = errno;
	close(fd);
	errno = saved;
	return w == (ssize_t)len ? 0 : -1;
}

/* file_has_word - 1 if the whitespace-separated words of path include w. */
static int file_has_word(const char *path, const char *w)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return 0;
	char word[64];
	int found = 0;
	while (!found && fscanf(f, "%63s", word) == 1)
		found = strcmp(word, w) == 0;
	fclose(f);
	return found;
}

/* has_option - 1 if the comma-separated list opts has the item o. */
static int has_option(const char *opts, const char *o)
{
	size_t n = strlen(o);
	for (const char *p = opts; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
		if (strncmp(p, o, n) == 0 && (p[n] == ',' || p[n] == '\0' || p[n] == '\n'))
			return 1;
	return 0;
}

/*
 * find_mount - the mount point and mounted root of the hierarchy of `fstype`
 * ("cgroup" with the memory option, or "cgroup2").  0, or -1.
 */
static int find_mount(const char *fstype, char *mnt, size_t mntlen, char *root, size_t rootlen)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return -1;
	char line[LINE_MAX_LEN];
	int found = -1;
	while (found != 0 && fgets(line, sizeof(line), f)) {
		/* id parent maj:min root mountpoint opts [optional...] - fstype source superopts */
		char r[PATH_MAX], mp[PATH_MAX];
		if (sscanf(line, "%*s %*s %*s %4095s %4095s", r, mp) != 2)
			continue;
		char *dash = strstr(line, " - ");
		if (!dash)
			continue;
		char type[64], src[256], super[1024];
		if (sscanf(dash + 3, "%63s %255s %1023s", type, src, super) != 3)
			continue;
		if (strcmp(type, fstype) != 0)
			continue;
		if (strcmp(fstype, "cgroup") == 0 && !has_option(super, "memory"))
			continue;
		if (snprintf(mnt, mntlen, "%s", mp) >= (int)mntlen ||
		    snprintf(root, rootlen, "%s", r) >= (int)rootlen)
			continue;
		found = 0;
	}
	fclose(f);
	return found;
}

/*
 * own_group - this process's group folder in the hierarchy of `fstype`:
 * the mount point joined with its path in /proc/self/cgroup (less the
 * mounted root).  0, or -1.
 */
static int own_group(const char *fstype, char *dir, size_t dirlen)
{
	char mnt[PATH_MAX], root[PATH_MAX];
	if (find_mount(fstype, mnt, sizeof(mnt), root, sizeof(root)) != 0)
		return -1;
	FILE *f = fopen("/proc/self/cgroup", "re");
	if (!f)
		return -1;
	char line[LINE_MAX_LEN];
	int found = -1;
	int v2 = strcmp(fstype, "cgroup2") == 0;
	while (found != 0 && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		/* "id:controllers:path"; v2's line is "0::path" */
		char *c1 = strchr(line, ':');
		char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (!c2)
			continue;
		*c2 = '\0';
		const char *ctrls = c1 + 1;
		const char *path = c2 + 1;
		if (v2 ? (strncmp(line, "0", 2) != 0 || ctrls[0] != '\0')
		       : !has_option(ctrls, "memory"))
			continue;
		size_t rl = strlen(root);
		if (strcmp(root, "/") != 0 && strncmp(path, root, rl) == 0)
			path += rl;
		if (snprintf(dir, dirlen, "%s%s", mnt, strcmp(path, "/") == 0 ? "" : path) >=
		    (int)dirlen)
			continue;
		found = 0;
	}
	fclose(f);
	return found;
}

/* remove_stale - rmdir our groups under parent whose process is gone (a run
 * killed by SIGKILL cannot remove its own). */
static void remove_stale(const char *parent)
{
	DIR *d = opendir(parent);
	if (!d)
		return;
	struct dirent *e;
	size_t plen = strlen(MEMCG_NAME_PREFIX);
	while ((e = readdir(d))) {
		if (strncmp(e->d_name, MEMCG_NAME_PREFIX, plen) != 0)
			continue;
		char *end;
		long pid = strtol(e->d_name + plen, &end, 10);
		if (*end != '\0' || pid <= 0 || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		char path[PATH_MAX];
		if (snprintf(path, sizeof(path), "%s/%s", parent, e->d_name) < (int)sizeof(path))
			rmdir(path); /* fails harmlessly if a process is still in it */
	}
	closedir(d);
}

/*
 * make_group - create parent/tvsa-<pid>, move this process in, and remember
 * how to leave (home = the group we are in now).  0, or -1 with m->why set.
 */
static int make_group(struct memcg *m, const char *parent, const char *home)
{
	remove_stale(parent);
	snprintf(m->pid_text, sizeof(m->pid_text), "%ld\n", (long)getpid());
	if (snprintf(m->dir, sizeof(m->dir), "%s/%s%ld", parent, MEMCG_NAME_PREFIX,
		     (long)getpid()) >= (int)sizeof(m->dir) ||
	    snprintf(m->home_procs, sizeof(m->home_procs), "%s/cgroup.procs", home) >=
		    (int)sizeof(m->home_procs)) {
		snprintf(m->why, sizeof(m->why), "cgroup path too long");
		m->dir[0] = '\0';
		return -1;
	}
	if (mkdir(m->dir, 0755) != 0 && errno != EEXIST) {
		snprintf(m->why, sizeof(m->why), "cannot make a memory cgroup under %.80s: %s",
			 parent, strerror(errno));
		m->dir[0] = '\0';
		return -1;
	}
	char procs[PATH_MAX + 16];
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", m->dir);
	if (write_file(procs, m->pid_text) != 0) {
		snprintf(m->why, sizeof(m->why), "cannot join a memory cgroup: %s", strerror(errno));
		rmdir(m->dir);
		m->dir[0] = '\0';
		return -1;
	}
	return 0;
}

/* enter_v1 - a group under ours in the v1 memory hierarchy.  0, or -1. */
static int enter_v1(struct memcg *m)
{
	char home[PATH_MAX];
	if (own_group("cgroup", home, sizeof(home)) != 0)
		return -1;
	char kmem[PATH_MAX + 32];
	snprintf(kmem, sizeof(kmem), "%s/memory.kmem.usage_in_bytes", home);
	if (access(kmem, R_OK) != 0) {
		snprintf(m->why, sizeof(m->why), "cgroup v1 without kernel memory accounting");
		return -1;
	}
	if (make_group(m, home, home) != 0)
		return -1;
	char tcp[PATH_MAX + 32];
	snprintf(tcp, sizeof(tcp), "%s/memory.kmem.tcp.limit_in_bytes", m->dir);
	write_file(tcp, TCP_LIMIT_UNLIMITED); /* without it, socket buffers go uncounted */
	m->source = MEMCG_V1;
	return 0;
}

/* enter_v2 - a group under the nearest ancestor that delegates the memory
 * controller.  0, or -1. */
static int enter_v2(struct memcg *m)
{
	char home[PATH_MAX], mnt[PATH_MAX], root[PATH_MAX];
	if (own_group("cgroup2", home, sizeof(home)) != 0 ||
	    find_mount("cgroup2", mnt, sizeof(mnt), root, sizeof(root)) != 0)
		return -1;
	char path[PATH_MAX + 32];
	snprintf(path, sizeof(path), "%s/cgroup.controllers", home);
	if (!file_has_word(path, "memory")) {
		snprintf(m->why, sizeof(m->why), "cgroup v2 without the memory controller");
		return -1;
	}
	char parent[PATH_MAX];
	snprintf(parent, sizeof(parent), "%s", home);
	for (;;) {
		snprintf(path, sizeof(path), "%s/cgroup.subtree_control", parent);
		if (file_has_word(path, "memory"))
			break;
		char *slash = strrchr(parent, '/');
		if (strcmp(parent, mnt) == 0 || !slash || slash == parent) {
			snprintf(m->why, sizeof(m->why),
				 "no cgroup v2 ancestor delegates the memory controller");
			return -1;
		}
		*slash = '\0';
	}
	if (make_group(m, parent, home) != 0)
		return -1;
	memcg_attach_v2(m, m->dir);
	return 0;
}

void memcg_attach_v2(struct memcg *m, const char *dir)
{
	if (dir != m->dir)
		snprintf(m->dir, sizeof(m->dir), "%s", dir);
	char path[PATH_MAX + 16];
	snprintf(path, sizeof(path), "%s/memory.peak", m->dir);
	m->has_peak = access(path, R_OK) == 0;
	m->source = MEMCG_V2;
}

/* meminfo_kernel - KernelStack + PageTables + Slab of /proc/meminfo, bytes. */
static int meminfo_kernel(uint64_t *out)
{
	FILE *f = fopen("/proc/meminfo", "re");
	if (!f)
		return -1;
	char line[256];
	uint64_t sum = 0;
	int seen = 0;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long kib;
		if (sscanf(line, "KernelStack: %llu kB", &kib) == 1 ||
		    sscanf(line, "PageTables: %llu kB", &kib) == 1 ||
		    sscanf(line, "Slab: %llu kB", &kib) == 1) {
			sum += (uint64_t)kib * 1024;
			seen++;
		}
	}
	fclose(f);
	if (seen != 3)
		return -1;
	*out = sum;
	return 0;
}

/* v2_kernel - kernel memory of our v2 group now (its kernel lines and
 * socket buffers), bytes. */
static int v2_kernel(const struct memcg *m, uint64_t *out)
{
	char path[PATH_MAX + 16];
	snprintf(path, sizeof(path), "%s/memory.stat", m->dir);
	FILE *f = fopen(path, "re");
	if (!f)
		return -1;
	static const char *const parts[] = { "kernel_stack", "pagetables", "sec_pagetables",
					     "percpu", "slab", "vmalloc" };
	char key[64];
	unsigned long long v;
	uint64_t kernel = 0, sum = 0, sock = 0;
	int has_kernel = 0;
	while (fscanf(f, "%63s %llu", key, &v) == 2) {
		if (strcmp(key, "kernel") == 0) {
			kernel = v;
			has_kernel = 1;
		} else if (strcmp(key, "sock") == 0) {
			sock = v;
		}
		for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
			if (strcmp(key, parts[i]) == 0)
				sum += v;
	}
	fclose(f);
	*out = (has_kernel ? kernel : sum) + sock;
	return 0;
}

void memcg_enter(struct memcg *m, enum memcg_mode mode)
{
	memset(m, 0, sizeof(*m));
	m->source = MEMCG_NONE;
	if (mode == MEMCG_OFF) {
		snprintf(m->why, sizeof(m->why), "--kmem off");
		return;
	}
	if (mode == MEMCG_USE_MEMINFO) {
		if (meminfo_kernel(&m->base_bytes) == 0) {
			m->source = MEMCG_MEMINFO;
			m->peak_bytes = m->base_bytes;
		} else {
			snprintf(m->why, sizeof(m->why), "/proc/meminfo unreadable");
		}
		return;
	}
	if (enter_v1(m) == 0 || enter_v2(m) == 0)
		return;
	if (!m->why[0])
		snprintf(m->why, sizeof(m->why), "no memory cgroup hierarchy mounted");
}

/* v2_note - one sample of the v2 group: its kernel part into the peak; with
 * user, the user part now (memory.current less the kernel part). */
static void v2_note(struct memcg *m, int user)
{
	uint64_t now, cur;
	if (v2_kernel(m, &now) != 0)
		return;
	atomic_fetch_add(&m->samples, 1);
	if (now > m->peak_bytes)
		m->peak_bytes = now;
	char path[PATH_MAX + 16];
	snprintf(path, sizeof(path), "%s/memory.current", m->dir);
	if (user && stats_read_u64(path, &cur) == 0)
		m->user_bytes = cur > now ? cur - now : 0;
}

void memcg_sample(struct memcg *m)
{
	uint64_t now;
	if (m->source == MEMCG_V2)
		v2_note(m, 1);
	if (m->source == MEMCG_MEMINFO && meminfo_kernel(&now) == 0 && now > m->peak_bytes)
		m->peak_bytes = now;
}

/* sampler_main - the v2 sampler: memory.stat every MEMCG_SAMPLE_MS. */
static void *sampler_main(void *arg)
{
	struct memcg *m = arg;
	const struct timespec period = { .tv_sec = 0, .tv_nsec = MEMCG_SAMPLE_MS * 1000000L };
	while (!atomic_load(&m->stop)) {
		v2_note(m, 0);
		nanosleep(&period, NULL);
	}
	return NULL;
}

void memcg_sampler_start(struct memcg *m)
{
	if (m->source != MEMCG_V2 || m->has_peak || m->sampling)
		return;
	atomic_store(&m->stop, 0);
	m->sampling = pthread_create(&m->sampler, NULL, sampler_main, m) == 0;
}

void memcg_sampler_stop(struct memcg *m)
{
	if (!m->sampling)
		return;
	atomic_store(&m->stop, 1);
	pthread_join(m->sampler, NULL);
	m->sampling = 0;
}

const char *memcg_peak_how(const struct memcg *m)
{
	switch (m->source) {
	case MEMCG_V1:
		return "kernel";
	case MEMCG_V2:
		return m->has_peak ? "memory.peak" : "sampled";
	case MEMCG_MEMINFO:
		return "deltas";
	case MEMCG_NONE:
		break;
	}
	return "none";
}

int64_t memcg_kernel_kib(const struct memcg *m)
{
	switch (m->source) {
	case MEMCG_V1: {
		char path[PATH_MAX + 48];
		uint64_t kmem, tcp = 0;
		snprintf(path, sizeof(path), "%s/memory.kmem.max_usage_in_bytes", m->dir);
		if (stats_read_u64(path, &kmem) != 0)
			return -1;
		snprintf(path, sizeof(path), "%s/memory.kmem.tcp.max_usage_in_bytes", m->dir);
		stats_read_u64(path, &tcp); /* absent on some kernels: the slab part is still counted */
		return (int64_t)((kmem + tcp) / 1024);
	}
	case MEMCG_V2: {
		/* memory.peak, the group's whole peak, less the user part at the
		 * clock's stop: the kernel part at that peak (memcg.h); never
		 * below what the samples saw. */
		uint64_t peak = m->peak_bytes, whole;
		char path[PATH_MAX + 16];
		if (atomic_load(&m->samples) == 0)
			return -1; /* memory.stat never read */
		snprintf(path, sizeof(path), "%s/memory.peak", m->dir);
		if (m->has_peak && stats_read_u64(path, &whole) == 0 && whole > m->user_bytes &&
		    whole - m->user_bytes > peak)
			peak = whole - m->user_bytes;
		return (int64_t)(peak / 1024);
	}
	case MEMCG_MEMINFO:
		return (int64_t)((m->peak_bytes - m->base_bytes) / 1024);
	case MEMCG_NONE:
		break;
	}
	return -1;
}

const char *memcg_source_name(enum memcg_source s)
{
	switch (s) {
	case MEMCG_V1:
		return "cgroup-v1";
	case MEMCG_V2:
		return "cgroup-v2";
	case MEMCG_MEMINFO:
		return "meminfo-system";
	case MEMCG_NONE:
		break;
	}
	return "none";
}

void memcg_leave(struct memcg *m)
{
	if (!m->dir[0])
		return;
	write_file(m->home_procs, m->pid_text);
	rmdir(m->dir);
	m->dir[0] = '\0';
}
