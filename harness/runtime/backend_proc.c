/*
 * backend_proc.c - a private peer child for one run: bin/backend, or a
 * redis-server (redis_proc_start) for the pairs that talk to a real database.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "backend_proc.h"
#include "clock.h"

#define STOP_GRACE_MS 2000 /* SIGTERM, then SIGKILL after this */
#define POLL_STEP_MS 1     /* start and reap polling interval: a backend exits within
				    ~1 ms of SIGTERM, and each run pays the step's overshoot */
#define REDIS_PORT_TRIES 5 /* a free port taken between our probe and its bind: retry */
#define REDIS_LOG_MAX 512  /* what of a dead redis-server's output we quote */

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

/*
 * spawn - fork and exec `path` with argv, stdout (and stderr, if `both`) to
 * the write end of a new pipe whose read end goes to *out_fd.  The child
 * dies with us (PR_SET_PDEATHSIG) and runs on `cpus` if given.  execvp: a
 * bare name is looked up on PATH.  Returns the pid, or -1 with err set.
 */
static pid_t spawn(const char *path, char *const argv[], int both, const cpu_set_t *cpus,
		   int *out_fd, char *err, size_t errlen)
{
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) != 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return -1;
	}
	pid_t parent = getpid();
	pid_t child = fork();
	if (child < 0) {
		snprintf(err, errlen, "fork (%s): %s", argv[0], strerror(errno));
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
		if (both)
			dup2(fds[1], 2);
		signal(SIGPIPE, SIG_DFL);
		execvp(path, argv);
		_exit(127);
	}
	close(fds[1]);
	*out_fd = fds[0];
	return child;
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
	char *argv[] = { "backend", "--bind", "127.0.0.1", "--port", "0", "--quiet", NULL };
	int rfd;
	pid_t child = spawn(path, argv, 0, cpus, &rfd, err, errlen);
	if (child < 0)
		return -1;

	/* Read the ready line, with a deadline. */
	char line[128];
	size_t got = 0;
	int ok = 0;
	struct pollfd pfd = { .fd = rfd, .events = POLLIN };
	while (got < sizeof(line) - 1) {
		int pr = poll(&pfd, 1, BACKEND_START_TIMEOUT_MS);
		if (pr <= 0)
			break;
		ssize_t r = read(rfd, line + got, sizeof(line) - 1 - got);
		if (r <= 0)
			break;
		got += (size_t)r;
		line[got] = '\0';
		if (strchr(line, '\n')) {
			ok = 1;
			break;
		}
	}
	close(rfd);
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

/* poll_step - sleep one POLL_STEP_MS; 0 once `deadline` (clock_now_ns) has
 * passed.  The waits below are bounded by the clock, not by a count of
 * steps, which a slow step (a 1 s PING time-out) would stretch. */
static int poll_step(uint64_t deadline)
{
	if (clock_now_ns() >= deadline)
		return 0;
	struct timespec ts = { 0, POLL_STEP_MS * 1000000L };
	nanosleep(&ts, NULL);
	return 1;
}

void backend_proc_stop(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGTERM);
	uint64_t deadline = clock_now_ns() + STOP_GRACE_MS * 1000000ULL;
	do {
		if (waitpid(pid, NULL, WNOHANG) != 0)
			return;
	} while (poll_step(deadline));
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

void redis_proc_stop(const struct sockaddr_in *addr, pid_t pid)
{
	if (pid <= 0)
		return;
	/* Only to our own server: if it has exited (not reaped yet, so its pid
	 * is not reused), its port may be another's by now. */
	siginfo_t info = { 0 };
	if (waitid(P_PID, (id_t)pid, &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
	    info.si_pid == pid) {
		backend_proc_stop(pid);
		return;
	}
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0) {
		struct timeval tv = { 1, 0 };
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		static const char cmd[] = "SHUTDOWN NOSAVE\r\n";
		char buf[64];
		/* It closes the connection as it exits: read to that end. */
		if (connect(fd, (const struct sockaddr *)addr, sizeof(*addr)) == 0 &&
		    write(fd, cmd, sizeof(cmd) - 1) == (ssize_t)(sizeof(cmd) - 1))
			while (read(fd, buf, sizeof(buf)) > 0)
				;
		close(fd);
	}
	backend_proc_stop(pid);
}

/* free_port - a loopback TCP port free right now (bound to port 0 and let
 * go): redis-server takes no "port 0, tell me".  0 on failure. */
static unsigned free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	unsigned port = 0;
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &len) == 0)
		port = ntohs(a.sin_port);
	close(fd);
	return port;
}

/* redis_ping - 1 when a redis-server answers PING on addr, else 0. */
static int redis_ping(const struct sockaddr_in *addr)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	struct timeval tv = { 1, 0 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	char rep[8] = { 0 };
	int ok = connect(fd, (const struct sockaddr *)addr, sizeof(*addr)) == 0 &&
		 write(fd, "PING\r\n", 6) == 6 && read(fd, rep, 7) >= 5 &&
		 strncmp(rep, "+PONG", 5) == 0;
	close(fd);
	return ok;
}

/* redis_attempt - start redis-server on `port` and wait until it answers.
 * Returns the pid; 0 if it exited (output in log: port taken?); -1 on a
 * failure to retry no more (err set). */
static pid_t redis_attempt(unsigned port, const cpu_set_t *cpus, char *log, size_t loglen,
			   char *err, size_t errlen)
{
	char port_s[16], clients_s[16];
	snprintf(port_s, sizeof(port_s), "%u", port);
	snprintf(clients_s, sizeof(clients_s), "%u", REDIS_MAXCLIENTS);
	/* No persistence (no RDB, no AOF): a benchmark's keys are written
	 * before each run, and a save would stall the server mid-run. */
	char *argv[] = { "redis-server", "--port", port_s, "--bind", "127.0.0.1",
			 "--save", "", "--appendonly", "no", "--maxclients", clients_s,
			 "--tcp-backlog", "4096", "--protected-mode", "no", "--daemonize", "no",
			 "--loglevel", "warning", "--dir", "/tmp", NULL };
	int rfd;
	pid_t child = spawn("redis-server", argv, 1, cpus, &rfd, err, errlen);
	if (child < 0)
		return -1;
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				    .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	size_t got = 0;
	log[0] = '\0';
	uint64_t deadline = clock_now_ns() + REDIS_START_TIMEOUT_MS * 1000000ULL;
	do {
		int status;
		if (waitpid(child, &status, WNOHANG) == child) {
			ssize_t r;
			while (got + 1 < loglen && (r = read(rfd, log + got, loglen - 1 - got)) > 0)
				got += (size_t)r;
			log[got] = '\0';
			close(rfd);
			if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
				snprintf(err, errlen, "redis-server not found on PATH: "
						      "apt-get install redis-server, or pass --redis HOST:PORT");
				return -1;
			}
			return 0;
		}
		if (redis_ping(&addr)) {
			/* Its output is no longer read: redis ignores SIGPIPE and
			 * logs little at --loglevel warning. */
			close(rfd);
			return child;
		}
	} while (poll_step(deadline));
	close(rfd);
	backend_proc_stop(child);
	snprintf(err, errlen, "redis-server did not answer PING within %d ms on 127.0.0.1:%u",
		 REDIS_START_TIMEOUT_MS, port);
	return -1;
}

int redis_proc_start(struct sockaddr_in *addr, pid_t *pid, const cpu_set_t *cpus, char *err,
		     size_t errlen)
{
	char log[REDIS_LOG_MAX];
	for (int i = 0; i < REDIS_PORT_TRIES; i++) {
		unsigned port = free_port();
		if (port == 0) {
			snprintf(err, errlen, "no free loopback port for redis-server: %s",
				 strerror(errno));
			return -1;
		}
		pid_t child = redis_attempt(port, cpus, log, sizeof(log), err, errlen);
		if (child < 0)
			return -1;
		if (child == 0)
			continue; /* it exited: most likely the port was taken meanwhile */
		memset(addr, 0, sizeof(*addr));
		addr->sin_family = AF_INET;
		addr->sin_port = htons((uint16_t)port);
		addr->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		*pid = child;
		return 0;
	}
	/* The last line it printed says why (a bad option, a port, memory). */
	char *end = log + strlen(log);
	while (end > log && (end[-1] == '\n' || end[-1] == '\r'))
		*--end = '\0';
	char *last = strrchr(log, '\n');
	snprintf(err, errlen, "redis-server exited at start %d times; it said: %.200s",
		 REDIS_PORT_TRIES, last ? last + 1 : log[0] ? log : "(nothing)");
	return -1;
}
