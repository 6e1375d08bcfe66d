/*
 * backend_proc.c - a private backend child for one run.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "backend_proc.h"

#define STOP_GRACE_MS 2000 /* SIGTERM, then SIGKILL after this */
#define POLL_STEP_MS 10    /* reap polling interval */

/* backend_path - "<dir of /proc/self/exe>/backend". */
static int backend_path(char *out, size_t len)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return -1;
	self[n] = '\0';
	char *slash = strrchr(self, '/');
	if (!slash)
		return -1;
	*slash = '\0';
	return snprintf(out, len, "%s/backend", self) < (int)len ? 0 : -1;
}

int backend_proc_start(struct sockaddr_in *addr, pid_t *pid, const cpu_set_t *cpus, char *err,
		       size_t errlen)
{
	char path[PATH_MAX];
	if (backend_path(path, sizeof(path)) != 0 || access(path, X_OK) != 0) {
		snprintf(err, errlen, "cannot find the backend executable beside this one "
				      "(run `make`, or pass --backend HOST:PORT)");
		return -1;
	}
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) != 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return -1;
	}
	pid_t parent = getpid();
	pid_t child = fork();
	if (child < 0) {
		snprintf(err, errlen, "fork (backend): %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (child == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent)
			_exit(1); /* the parent died before prctl took effect */
		if (cpus && sched_setaffinity(0, sizeof(*cpus), cpus) != 0)
			_exit(126); /* the parent sees no ready line and says so */
		dup2(fds[1], 1);
		signal(SIGPIPE, SIG_DFL);
		execl(path, "backend", "--bind", "127.0.0.1", "--port", "0", "--quiet", (char *)NULL);
		_exit(127);
	}
	close(fds[1]);

	/* Read the ready line, with a deadline. */
	char line[128];
	size_t got = 0;
	int ok = 0;
	struct pollfd pfd = { .fd = fds[0], .events = POLLIN };
	while (got < sizeof(line) - 1) {
		int pr = poll(&pfd, 1, BACKEND_START_TIMEOUT_MS);
		if (pr <= 0)
			break;
		ssize_t r = read(fds[0], line + got, sizeof(line) - 1 - got);
		if (r <= 0)
			break;
		got += (size_t)r;
		line[got] = '\0';
		if (strchr(line, '\n')) {
			ok = 1;
			break;
		}
	}
	close(fds[0]);
	unsigned port = 0;
	char ip[64];
	size_t plen = strlen(BACKEND_READY_PREFIX);
	if (!ok || strncmp(line, BACKEND_READY_PREFIX, plen) != 0 ||
	    sscanf(line + plen, "%63[0-9.]:%u", ip, &port) != 2 || port == 0 || port > 65535) {
		backend_proc_stop(child);
		snprintf(err, errlen, "backend did not start (no ready line within %d ms)",
			 BACKEND_START_TIMEOUT_MS);
		return -1;
	}
	memset(addr, 0, sizeof(*addr));
	addr->sin_family = AF_INET;
	addr->sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, ip, &addr->sin_addr);
	*pid = child;
	return 0;
}

void backend_proc_stop(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGTERM);
	for (int waited = 0; waited < STOP_GRACE_MS; waited += POLL_STEP_MS) {
		if (waitpid(pid, NULL, WNOHANG) != 0)
			return;
		struct timespec ts = { 0, POLL_STEP_MS * 1000000L };
		nanosleep(&ts, NULL);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}
