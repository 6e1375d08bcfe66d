/*
 * main.c - bin/calibrate: the machine's floor, measured before every sweep.
 *
 * The sweep compares threads with an event loop; this program measures what
 * the primitives both are built from cost on this machine, so the report can
 * say how far each model stays from the best the machine allows (a model at
 * 1.05x its floor has nothing left to gain; at 5x it has overhead to find):
 *
 *   thread_create_join_us     pthread_create + pthread_join of an empty thread
 *   wakeup_pingpong_us        one-way thread-to-thread wake-up (pipe ping-pong / 2)
 *   tcp_rtt_us                loopback TCP round trip (median), blocking sockets,
 *                             24-byte request and reply, TCP_NODELAY: the floor
 *                             of an io_backend task at delay 0
 *   tcp_rtt_cross_cpu_us      the same with the two threads on different CPUs:
 *                             what a c=1 run pays when the scheduler splits it
 *   rpc_cpu_us                CPU time (user + system, client + echo process)
 *                             of one such round trip, one in flight
 *   rpc_cpu_batch_us          the same with 256 in flight, both sides on epoll:
 *                             batched, cheaper; the CPU bound of io_backend is
 *                             cores / the lesser of the two (batch.c)
 *   tcp_rtt_min_us            the least round trip of a repetition: the
 *                             latency floor's (a median is beaten by half)
 *   event_dispatch_ns         libevent cost per dispatched (event_active) event
 *   timer_event_ns            cost per timed wait on a libevent loop, as the
 *                             async and green models arm one (evsleep.h): a
 *                             clock reading, an append to its FIFO, its end
 *   timer_cpu_ns              the same in CPU time: the timer floor is
 *                             cores / timer_cpu_ns
 *   rss_per_idle_thread_kib   resident memory per idle thread (default stack)
 *   rss_per_pending_event_kib resident memory per pending libevent timer event
 *   cpu_hash_unit_ns          one cpu_hash round on one core (the kernel of
 *                             workloads/cpu_hash.c, linked, not copied), in
 *                             CPU time
 *   wake_overshoot_us         how late a 1 ms sleep ends (median)
 *   hist_record_ns            one hist_record() call (target: under 30 ns)
 *   hist_record_shared_ns     what a worker thread pays: sched_getcpu() and one
 *                             hist_record_shared() into that CPU's histogram
 *   coro_switch_ns            one coroutine switch of the green and uring models
 *   swapcontext_switch_ns     one switch with glibc swapcontext (not used: it
 *                             makes a system call per switch)
 *   switch_threads_unpinned_ns one switch between two OS threads bouncing a
 *                             byte over socketpairs, blocking (round trip / 2),
 *                             wherever the scheduler puts them
 *   switch_threads_pinned_ns  the same with both threads on one CPU
 *   switch_async_ns           one task-to-task switch on one libevent loop, no
 *                             I/O (a callback activates the other's event)
 *   switch_async_io_ns        the same driven by I/O readiness (two callbacks
 *                             bouncing a byte over a socketpair)
 *   switch_green_ns           one switch through the green runtime's scheduler
 *                             (a slot gives way, the loop resumes the other)
 *   switch_green_io_ns        the same driven by a socketpair through green's
 *                             blocking waits (the claims these six decide:
 *                             switch.c's header)
 *   cores                     online CPUs
 *   backend_rtt_us            with --backend H:P only: the round trip (median) to
 *                             that running bin/backend at delay 0, blocking socket,
 *                             TCP_NODELAY, the models' request and reply: the floor
 *                             of a sweep against a backend on another host
 *   backend_rpc_cpu_us        ... and the CPU time this host spends on one (the
 *                             client side; the backend's is on its own host)
 *
 * Every figure is the median of several repetitions; a repetition of a
 * timed loop runs for a fixed time slice (not a fixed count), so the whole
 * program takes about 4 s (--quick: about 1 s) on any machine, and a
 * watchdog alarm ends it (exit 3) if anything hangs.
 *
 * Output: CSV `name,value,unit,what` on stdout, or with --out FILE written
 * to a temporary file and renamed, so FILE is whole or absent.  Exit: 0 ok,
 * 2 bad usage (one line on stderr, nothing written), 3 a measurement failed
 * (one line naming it; no file).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <malloc.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "../../workloads/cpu_hash.h"
#include "../runtime/cli.h"
#include "../runtime/clock.h"
#include "../runtime/evbase.h"
#include "../runtime/hist.h"
#include "../runtime/stats.h"
#include "../runtime/util.h"
#include "calibrate.h"

static const char *volatile cal_current = "start-up"; /* for the watchdog line */
static unsigned cal_watchdog_s;                      /* its limit, for the line */

/* watchdog_cb - SIGALRM: a measurement hung.  Async-signal-safe calls only. */
static void watchdog_cb(int sig)
{
	(void)sig;
	static const char pre[] = "calibrate: timed out while measuring ";
	char num[16];
	int n = 0;
	unsigned s = cal_watchdog_s;
	char rev[16];
	do {
		rev[n++] = (char)('0' + s % 10);
		s /= 10;
	} while (s && n < (int)sizeof(rev));
	for (int i = 0; i < n; i++)
		num[i] = rev[n - 1 - i];
	ssize_t w = write(2, pre, sizeof(pre) - 1);
	w = write(2, cal_current, strlen(cal_current));
	w = write(2, " (limit ", 8);
	w = write(2, num, (size_t)n);
	w = write(2, " s)\n", 4);
	(void)w;
	_exit(3);
}


/* ---- the table --------------------------------------------------------------------- */

static const struct cal_item cal_items[] = {
	{ "thread_create_join_us", "us", "pthread_create + pthread_join of an empty thread", 0,
	  rep_thread_create },
	{ "wakeup_pingpong_us", "us", "one-way thread-to-thread wake-up: pipe ping-pong round trip / 2; both on one CPU",
	  0, rep_wakeup },
	{ "tcp_rtt_us", "us",
	  "loopback TCP round trip (cal_median): 24-byte request and reply between two processes "
	  "on one CPU; blocking; TCP_NODELAY",
	  0, rep_tcp_rtt },
	{ "tcp_rtt_cross_cpu_us", "us",
	  "the same round trip with the two processes on different CPUs (a model's c=1 run "
	  "pays this when the scheduler splits it from the backend); one CPU: as tcp_rtt_us",
	  0, rep_tcp_rtt_cross },
	{ "rpc_cpu_us", "us",
	  "CPU time (user + system) of one such round trip, client and echo process together, "
	  "one CPU, one in flight (a ping-pong: two wake-ups per round trip)",
	  0, rep_rpc_cpu },
	{ "rpc_cpu_batch_us", "us",
	  "CPU time (user + system) of one round trip with 256 in flight, client and echo "
	  "process each an epoll loop, one CPU: both sides batch; cores / the lesser of this "
	  "and rpc_cpu_us caps the backend round trips per second at every level",
	  0, rep_rpc_cpu_batch },
	{ "tcp_rtt_min_us", "us",
	  "the least loopback round trip of a repetition (as tcp_rtt_us): the latency floor's",
	  0, rep_tcp_rtt_min },
	{ "event_dispatch_ns", "ns", "libevent cost per dispatched event (event_active + callback)",
	  0, rep_event_dispatch },
	{ "timer_event_ns", "ns",
	  "cost per timed wait on a libevent loop as the models arm one (evsleep: a clock "
	  "reading, an append to its FIFO, its end; zero length); thousands armed at once; "
	  "wall time",
	  0, rep_timer_event },
	{ "timer_cpu_ns", "ns",
	  "the same timed waits in the loop thread's CPU time: cores / timer_cpu_ns caps the "
	  "timed waits per second",
	  0, rep_timer_cpu },
	{ "rss_per_idle_thread_kib", "KiB",
	  "resident memory per idle thread (default stack; blocked on a condvar)", 0,
	  rep_rss_thread },
	{ "rss_per_pending_event_kib", "KiB",
	  "resident memory per pending libevent event (event_new + event_add; long timeout)", 0,
	  rep_rss_event },
	{ "cpu_hash_unit_ns", "ns",
	  "one cpu_hash round on one core (tasks of the default rounds; set-up included); the "
	  "thread's CPU time",
	  0, rep_cpu_hash },
	{ "wake_overshoot_us", "us",
	  "how late a 1 ms sleep (clock_nanosleep, timer slack 1 ns) ends: the timer wake-up "
	  "every timed wait pays (cal_median)",
	  0, rep_wake_overshoot },
	{ "hist_record_ns", "ns", "one hist_record() call with varied values (target < 30 ns)", 0,
	  rep_hist_record },
	{ "hist_record_shared_ns", "ns",
	  "what a worker thread pays to record a latency: sched_getcpu() + hist_record_shared() "
	  "into its CPU's histogram (target < 30 ns)",
	  0, rep_hist_record_shared },
	{ "coro_switch_ns", "ns",
	  "one coroutine switch as green and uring make it (impl_green/coro.c: registers and "
	  "stack pointer, no system call); resume + yield / 2",
	  0, rep_coro_switch },
	{ "swapcontext_switch_ns", "ns",
	  "one switch with glibc swapcontext (saves the signal mask: a sigprocmask system call "
	  "per switch), the alternative not taken; round trip / 2",
	  0, rep_swapcontext },
	{ "switch_threads_unpinned_ns", "ns",
	  "one switch between two OS threads, unpinned: a byte bounced over AF_UNIX socketpairs, "
	  "each thread blocked in read until the other's write (jimblandy's thread-brigade); "
	  "wall time, round trip / 2",
	  0, rep_switch_threads_unpinned },
	{ "switch_threads_pinned_ns", "ns",
	  "the same (switch_threads_unpinned_ns) with both threads pinned to one CPU; the two "
	  "threads' CPU time (their CPU is never idle: as wall time, less other load)",
	  0,
	  rep_switch_threads_pinned },
	{ "switch_async_ns", "ns",
	  "one task switch on one libevent loop, no I/O: A's callback activates B's event "
	  "(event_active), B's A's; the loop's CPU time per callback",
	  0, rep_switch_async },
	{ "switch_async_io_ns", "ns",
	  "one task switch on one libevent loop driven by I/O readiness: two read events bounce "
	  "a byte over an AF_UNIX socketpair (recv, send, epoll); the loop's CPU time per callback",
	  0, rep_switch_async_io },
	{ "switch_green_ns", "ns",
	  "one switch through the green runtime, no I/O: two slots on one loop give way in turn "
	  "(run queue, loop turn, two coroutine switches); the loop's CPU time per switch",
	  0, rep_switch_green },
	{ "switch_green_io_ns", "ns",
	  "one switch through the green runtime driven by I/O: two slots bounce a byte over an "
	  "AF_UNIX socketpair (blk_send_all/blk_recv_full: park on EAGAIN, an edge wakes); "
	  "the loop's CPU time, round trip / 2",
	  0, rep_switch_green_io },
	{ "cores", "cpus", "online CPUs", 1, rep_cores },
	{ "backend_rtt_us", "us",
	  "TCP round trip (cal_median) to the --backend at delay 0: the models' 56-byte request "
	  "and 24-byte reply; blocking; TCP_NODELAY",
	  0, rep_backend_rtt },
	{ "backend_rpc_cpu_us", "us",
	  "CPU time (user + system) this host spends on one round trip to the --backend (the "
	  "client side: the backend's CPU is on its own host)",
	  0, rep_backend_cpu },
};
#define CAL_NITEMS (sizeof(cal_items) / sizeof(cal_items[0]))

/* ---- main -------------------------------------------------------------------------- */

static const char usage_text[] =
	"usage: calibrate [--quick] [--quiet] [--out FILE] [--backend HOST:PORT]\n"
	"Measures this machine's floor: thread create+join, thread wake-up, loopback TCP\n"
	"round trip (one CPU and across CPUs), libevent dispatch and timer cost, RSS per\n"
	"idle thread and per pending event, one cpu_hash round, one hist_record() call,\n"
	"a coroutine switch (ours and glibc swapcontext), a task switch between\n"
	"threads (pinned to one CPU and not), on a libevent loop and through the\n"
	"green runtime (with no I/O and over a socketpair), and the core count.\n"
	"Each figure is the cal_median of several repetitions (about 4 s in all).\n"
	"  --quick      fewer and shorter repetitions (about 1 s)\n"
	"  --quiet      no progress lines on stderr\n"
	"  --out FILE   write the CSV to FILE (temporary file + rename) instead of stdout\n"
	"  --backend HOST:PORT  also the round trip to that running bin/backend and the\n"
	"               CPU it costs this host (backend_rtt_us, backend_rpc_cpu_us)\n"
	"  --help       this text\n"
	"Output: CSV with the header name,value,unit,what; one row per figure.\n"
	"Exit status: 0 ok, 2 bad usage, 3 a measurement failed (no file written).\n";

/* csv_field - write s as one CSV field (quoted when it holds , \" or newline). */
static void csv_field(FILE *f, const char *s)
{
	if (!strpbrk(s, ",\"\n")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

/* write_csv - the header and one row per item. */
static void write_csv(FILE *f, const double *values, char whats[][CAL_WHAT_MAX])
{
	fputs("name,value,unit,what\n", f);
	for (size_t i = 0; i < CAL_NITEMS; i++) {
		if (isnan(values[i])) /* a --backend row without --backend */
			continue;
		fprintf(f, "%s,%.6g,%s,", cal_items[i].name, values[i], cal_items[i].unit);
		csv_field(f, whats[i]);
		fputc('\n', f);
	}
}

/* write_out - the CSV to path (util_write_whole: a regular file through a
 * temporary file and rename, a device or FIFO through itself, never
 * replaced).  0, or -1 with err set. */
static int write_out(const char *path, const double *values, char whats[][CAL_WHAT_MAX],
		     char *err, size_t errlen)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);
	if (!f) {
		snprintf(err, errlen, "cannot write %.160s: %s", path, strerror(errno));
		return -1;
	}
	write_csv(f, values, whats);
	int rc = fclose(f) != 0 ? -1 : util_write_whole(path, buf, n);
	if (rc != 0)
		snprintf(err, errlen, "cannot write %.160s: %s", path, util_why_lost(errno));
	free(buf);
	return rc;
}

/* check_out_dir - path may be written (util_out_ready: not a folder or a
 * socket, and a file's folder exists and is writable): checked before
 * measuring, so a typo costs no time.  Exits 2. */
static void check_out_dir(const char *path)
{
	char err[CAL_ERR_MAX];
	if (util_out_ready("--out", path, 0, err, sizeof(err)) < 0)
		cal_fatal_usage("%s", err);
}

/* backend_row - 1 for the rows measured only with --backend (the round trip
 * to a running bin/backend and its CPU): without it they are not rows. */
static int backend_row(const struct cal_item *it)
{
	return it->rep == rep_backend_rtt || it->rep == rep_backend_cpu;
}

/* resolve_backend - --backend HOST:PORT into an IPv4 address, as the model
 * binaries read it (cli_parse_hostport); bad usage (exit 2) otherwise. */
static void resolve_backend(const char *text, struct sockaddr_in *out)
{
	char host[CLI_HOST_MAX], err[CAL_ERR_MAX];
	uint16_t port;
	if (cli_parse_hostport(text, host, sizeof(host), &port, err, sizeof(err)) != 0)
		cal_fatal_usage("%s", err);
	struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_STREAM };
	struct addrinfo *ai = NULL;
	int rc = getaddrinfo(host, NULL, &hints, &ai);
	if (rc != 0) {
		snprintf(err, sizeof(err), "--backend %.64s: cannot resolve: %s", host,
			 gai_strerror(rc));
		cal_fatal_usage("%s", err);
	}
	memcpy(out, ai->ai_addr, sizeof(*out));
	out->sin_port = htons(port);
	freeaddrinfo(ai);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "quick", no_argument, NULL, 'k' },  { "quiet", no_argument, NULL, 'q' },
		{ "out", required_argument, NULL, 'o' }, { "help", no_argument, NULL, 'h' },
		{ "backend", required_argument, NULL, 'b' }, { NULL, 0, NULL, 0 },
	};
	int quick = 0, quiet = 0;
	const char *out = NULL, *backend = NULL;
	int opt;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":ho:", longopts, NULL)) != -1) {
		switch (opt) {
		case 'k':
			quick = 1;
			break;
		case 'q':
			quiet = 1;
			break;
		case 'o':
			out = optarg;
			break;
		case 'b':
			backend = optarg;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		case ':':
			cal_fatal_usage("%s needs a value", argv[optind - 1]);
			break;
		default:
			cal_fatal_usage("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		cal_fatal_usage("unexpected argument '%s'", argv[optind]);
	if (out)
		check_out_dir(out);
	struct sockaddr_in backend_addr;
	if (backend)
		resolve_backend(backend, &backend_addr);

	struct cal_ctx cx = {
		.slice_ns = quick ? CAL_QUICK_SLICE_NS : CAL_SLICE_NS,
		.switch_slice_ns = quick ? CAL_QUICK_SWITCH_SLICE_NS : CAL_SWITCH_SLICE_NS,
		.idle_threads = quick ? CAL_QUICK_IDLE_THREADS : CAL_IDLE_THREADS,
		.pending_events = quick ? CAL_QUICK_PENDING_EVENTS : CAL_PENDING_EVENTS,
		.backend = backend ? &backend_addr : NULL,
	};
	int reps = quick ? CAL_QUICK_REPS : CAL_REPS;
	signal(SIGPIPE, SIG_IGN);
	cal_watchdog_s = quick ? CAL_QUICK_WATCHDOG_S : CAL_WATCHDOG_S;
	signal(SIGALRM, watchdog_cb);
	alarm(cal_watchdog_s);

	double values[CAL_NITEMS];
	char whats[CAL_NITEMS][CAL_WHAT_MAX];
	for (size_t i = 0; i < CAL_NITEMS; i++) {
		const struct cal_item *it = &cal_items[i];
		double v[CAL_REPS];
		char err[CAL_ERR_MAX] = "";
		int n = it->single ? 1 : reps;
		if (backend_row(it) && !cx.backend) {
			values[i] = NAN; /* no row */
			continue;
		}
		cal_current = it->name;
		for (int r = 0; r < n; r++) {
			if (it->rep(&cx, &v[r], err, sizeof(err)) != 0 || !isfinite(v[r])) {
				fprintf(stderr, "calibrate: %s: %s\n", it->name,
					err[0] ? err : "not a finite number");
				return 3;
			}
		}
		double lo = v[0], hi = v[0];
		for (int r = 1; r < n; r++) {
			lo = v[r] < lo ? v[r] : lo;
			hi = v[r] > hi ? v[r] : hi;
		}
		values[i] = cal_median(v, n);
		if (n > 1)
			snprintf(whats[i], sizeof(whats[i]), "%s; cal_median of %d (min %.4g max %.4g)",
				 it->what, n, lo, hi);
		else
			snprintf(whats[i], sizeof(whats[i]), "%s", it->what);
		if (!quiet && n > 1)
			fprintf(stderr, "calibrate: %-26s %10.4g %-4s (cal_median of %d, %.4g..%.4g)\n",
				it->name, values[i], it->unit, n, lo, hi);
		else if (!quiet)
			fprintf(stderr, "calibrate: %-26s %10.4g %s\n", it->name, values[i],
				it->unit);
	}
	alarm(0);
	cal_current = "output";

	if (!out) {
		write_csv(stdout, values, whats);
		if (fflush(stdout) != 0) {
			fprintf(stderr, "calibrate: stdout: %s\n", strerror(errno));
			return 3;
		}
		return 0;
	}
	char err[CAL_ERR_MAX];
	if (write_out(out, values, whats, err, sizeof(err)) != 0) {
		fprintf(stderr, "calibrate: %s\n", err);
		return 3;
	}
	return 0;
}
