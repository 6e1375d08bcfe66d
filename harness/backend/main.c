/*
 * main.c - bin/backend: the remote service an I/O task waits on.
 *
 * It stands in for a database or a downstream call: each request asks for a
 * delay, and the reply comes after that delay, carrying a digest of the
 * request so the client can verify it.  One libevent loop per process, raw
 * non-blocking sockets (no bufferevent: at delay 0 the backend must answer
 * faster than either model can ask).  A timer per connection, never a sleep;
 * identical delays share a libevent common-timeout queue (O(1) per timer
 * instead of a heap insertion), so 20,000 pending replies cost little.
 *
 * One process by default.  Every connection costs a descriptor, and where
 * RLIMIT_NOFILE cannot be raised (no CAP_SYS_RESOURCE: a container's hard
 * limit of 20,000) one process cannot hold 20,000 connections; --procs N
 * forks N serving processes that accept from the one listening socket, each
 * with its own loop and descriptor table.  Their counts are summed at exit,
 * and the peak of open connections is counted across them all at once.
 *
 * Robustness: a malformed or oversized request closes that connection and is
 * counted.  What one peer can hold is bounded: one reply pending per
 * connection and IN_BUF bytes of requests read ahead; when that buffer is
 * full the backend stops reading the connection (TCP back-pressure, never a
 * recv of length 0) until a reply makes room.  A connection stays watched
 * while its reply is pending, so a peer that hangs up is closed at once (its
 * timer cancelled), and one silent for --idle-timeout-s with no reply due
 * is closed too; when accept() runs out of descriptors (EMFILE) or --max-conns is
 * reached the listener is disabled (said once on stderr, counted in the
 * summary) and re-armed later, while the open connections keep being served.
 * SIGINT/SIGTERM stop it cleanly.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/listener.h>

#include "../../workloads/wire.h"
#include "../runtime/backend_proc.h"
#include "../runtime/cli.h"
#include "../runtime/evbase.h"
#include "../runtime/util.h"
#include "backend.h"

/* usage_fail - bad usage: one line, exit 2 (util.h). */
static void usage_fail(const char *msg)
{
	util_die_usage("backend", msg);
}

static volatile sig_atomic_t stop_signal; /* --procs > 1: the parent was told to stop */

static void parent_signal_cb(int sig)
{
	if (sig != SIGCHLD)
		stop_signal = sig;
}

/*
 * supervise - the parent of --procs N serving processes: pass SIGINT/SIGTERM
 * on to them as SIGTERM, and reap them.  One that ends on its own (a crash,
 * a failed set-up) stops the others.  SIGINT, SIGTERM and SIGCHLD must be
 * blocked on entry, with parent_signal_cb as their handler: it sleeps in
 * sigsuspend(wait_mask), so no signal slips between a check and the sleep.
 * Returns 0 when every one was stopped and exited 0, else 3.
 */
static int supervise(pid_t *kids, unsigned n, const sigset_t *wait_mask)
{
	unsigned alive = n;
	int stopping = 0, rc = 0;
	while (alive > 0) {
		if (stop_signal && !stopping) {
			stopping = 1;
			for (unsigned i = 0; i < n; i++)
				if (kids[i] > 0)
					kill(kids[i], SIGTERM);
		}
		int st;
		pid_t p = waitpid(-1, &st, WNOHANG);
		if (p < 0 && errno != EINTR)
			break; /* ECHILD: nobody left */
		if (p <= 0) {
			sigsuspend(wait_mask); /* until a signal: a child ended, or stop */
			continue;
		}
		alive--;
		for (unsigned i = 0; i < n; i++)
			if (kids[i] == p)
				kids[i] = 0; /* reaped: its pid may be reused */
		int clean = WIFEXITED(st) && WEXITSTATUS(st) == 0;
		if (!clean || !stopping) {
			rc = 3;
			if (WIFSIGNALED(st))
				fprintf(stderr, "backend: serving process %d killed by signal %d\n",
					(int)p, WTERMSIG(st));
			else if (!stopping)
				fprintf(stderr, "backend: serving process %d exited (%d) on its own\n",
					(int)p, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
			stop_signal = SIGTERM; /* stop the others */
		}
	}
	return rc;
}

/* The options that take a value; each may be given once. */
static const char *const value_opts[] = { "--bind", "--port", "--backlog", "--max-conns",
					  "--procs", "--idle-timeout-s" };
#define N_VALUE_OPTS (sizeof(value_opts) / sizeof(value_opts[0]))

static const char usage[] =
	"usage: backend [--bind ADDR] [--port P] [--backlog N] [--max-conns N] [--procs N]\n"
	"               [--idle-timeout-s S] [--quiet]\n"
	"Answers wire-format requests after the delay each asks for.\n"
	"  --bind ADDR      IPv4 address to listen on (default 127.0.0.1)\n"
	"  --port P         TCP port, 0 picks a free one (default 0)\n"
	"  --backlog N      listen backlog (default 4096, capped by net.core.somaxconn)\n"
	"  --max-conns N    pause accepting at N open connections, per process\n"
	"                   (default 60000)\n"
	"  --procs N        N serving processes on the one port, each with its own\n"
	"                   descriptor limit: more connections than one process may\n"
	"                   open (default 1, at most 64)\n"
	"  --idle-timeout-s S  close a connection silent for S seconds with no reply\n"
	"                   due; 0: never (default 300)\n"
	"  --quiet          no summary on exit\n"
	"A peer holds at most one pending reply and 4 KiB of requests read ahead;\n"
	"past that the backend stops reading it.  A peer that hangs up is closed at\n"
	"once, its pending reply dropped.\n"
	"Prints \"" BACKEND_READY_PREFIX "ADDR:PORT\" on stdout when listening.\n";

int main(int argc, char **argv)
{
	const char *bind_addr = "127.0.0.1";
	uint64_t port = 0, backlog = DEFAULT_BACKLOG, procs = 1;
	struct backend b = { .max_conns = DEFAULT_MAX_CONNS, .idle_timeout_s = DEFAULT_IDLE_TIMEOUT_S };
	char err[256];
	int seen[N_VALUE_OPTS] = { 0 }; /* a value option given twice is a typo */
	int seen_quiet = 0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--quiet") == 0) {
			if (seen_quiet++)
				usage_fail("--quiet given twice");
			b.quiet = 1;
			continue;
		}
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			fputs(usage, stdout);
			return 0;
		}
		size_t o = 0;
		while (o < N_VALUE_OPTS && strcmp(a, value_opts[o]) != 0)
			o++;
		if (o == N_VALUE_OPTS) {
			snprintf(err, sizeof(err), "unknown option '%.200s' (try --help)", a);
			usage_fail(err);
		}
		if (seen[o]++) {
			snprintf(err, sizeof(err), "%s given twice", a);
			usage_fail(err);
		}
		if (i + 1 >= argc) {
			snprintf(err, sizeof(err), "%s needs a value", a);
			usage_fail(err);
		}
		const char *v = argv[++i];
		int rc = 0;
		if (strcmp(a, "--bind") == 0)
			bind_addr = v;
		else if (strcmp(a, "--port") == 0)
			rc = cli_parse_u64(v, 0, 65535, "--port", &port, err, sizeof(err));
		else if (strcmp(a, "--backlog") == 0)
			rc = cli_parse_u64(v, 1, 65535, "--backlog", &backlog, err, sizeof(err));
		else if (strcmp(a, "--procs") == 0)
			rc = cli_parse_u64(v, 1, MAX_PROCS, "--procs", &procs, err, sizeof(err));
		else if (strcmp(a, "--idle-timeout-s") == 0)
			rc = cli_parse_u64(v, 0, 86400, "--idle-timeout-s", &b.idle_timeout_s, err,
					   sizeof(err));
		else
			rc = cli_parse_u64(v, 1, 10000000, "--max-conns", &b.max_conns, err,
					   sizeof(err));
		if (rc != 0)
			usage_fail(err);
	}
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	if (cli_parse_bind(bind_addr, &sin.sin_addr, err, sizeof(err)) != 0)
		usage_fail(err);

	signal(SIGPIPE, SIG_IGN);
	b.nofile = util_raise_nofile();

	evutil_socket_t lfd = backend_listen_socket(&sin, (int)backlog);
	if (lfd < 0) {
		fprintf(stderr, "backend: listen on %s:%llu: %s\n", bind_addr,
			(unsigned long long)port, strerror(errno));
		return 3;
	}
	/* Block the stop signals until a loop (or the supervisor) handles them. */
	sigset_t stop, old;
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	sigprocmask(SIG_BLOCK, &stop, &old);

	struct sockaddr_in bound;
	socklen_t blen = sizeof(bound);
	getsockname(lfd, (struct sockaddr *)&bound, &blen);
	printf("%s%s:%u\n", BACKEND_READY_PREFIX, bind_addr, (unsigned)ntohs(bound.sin_port));
	fflush(stdout); /* before any fork: no copy of it in a child's buffer */

	static struct backend_shared one; /* --procs 1: no sharing needed */
	int rc;
	if (procs == 1) {
		b.sh = &one;
		rc = backend_serve(&b, lfd);
	} else {
		b.sh = mmap(NULL, sizeof(*b.sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
			    -1, 0);
		if (b.sh == MAP_FAILED) {
			fprintf(stderr, "backend: mmap: %s\n", strerror(errno));
			return 3;
		}
		struct sigaction sa = { .sa_handler = parent_signal_cb };
		sigemptyset(&sa.sa_mask);
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGCHLD, &sa, NULL);
		sigset_t chld;
		sigemptyset(&chld);
		sigaddset(&chld, SIGCHLD);
		sigprocmask(SIG_BLOCK, &chld, NULL);
		pid_t parent = getpid(), kids[MAX_PROCS] = { 0 };
		unsigned started = 0;
		for (; started < procs; started++) {
			pid_t k = fork();
			if (k < 0) {
				fprintf(stderr, "backend: fork (serving process %u): %s\n", started,
					strerror(errno));
				stop_signal = SIGTERM;
				break;
			}
			if (k == 0) {
				prctl(PR_SET_PDEATHSIG, SIGTERM);
				if (getppid() != parent)
					_exit(3); /* the parent is gone already */
				signal(SIGINT, SIG_DFL); /* still blocked: the loop takes them */
				signal(SIGTERM, SIG_DFL);
				signal(SIGCHLD, SIG_DFL);
				sigprocmask(SIG_UNBLOCK, &chld, NULL);
				b.index = started;
				exit(backend_serve(&b, lfd));
			}
			kids[started] = k;
		}
		close(lfd);
		rc = supervise(kids, started, &old);
		sigprocmask(SIG_SETMASK, &old, NULL);
	}

	if (!b.quiet) {
		struct backend_counts t = { 0 };
		for (unsigned i = 0; i < procs; i++) {
			const struct backend_counts *c = &b.sh->procs[i];
			t.requests += c->requests;
			t.accepted += c->accepted;
			t.malformed += c->malformed;
			t.oversized += c->oversized;
			t.resets += c->resets;
			t.accept_errors += c->accept_errors;
			t.limit_pauses += c->limit_pauses;
			t.hangups += c->hangups;
			t.idle_closed += c->idle_closed;
		}
		fprintf(stderr,
			"backend: %llu requests on %llu connections (peak %llu open), "
			"%llu malformed, %llu oversized, %llu resets, %llu accept errors, "
			"%llu pauses at --max-conns, %llu hung up with a reply pending, "
			"%llu closed idle, %llu process%s\n",
			(unsigned long long)t.requests, (unsigned long long)t.accepted,
			(unsigned long long)atomic_load(&b.sh->peak), (unsigned long long)t.malformed,
			(unsigned long long)t.oversized, (unsigned long long)t.resets,
			(unsigned long long)t.accept_errors, (unsigned long long)t.limit_pauses,
			(unsigned long long)t.hangups, (unsigned long long)t.idle_closed,
			(unsigned long long)procs, procs == 1 ? "" : "es");
	}
	if (procs > 1)
		munmap(b.sh, sizeof(*b.sh));
	return rc;
}
