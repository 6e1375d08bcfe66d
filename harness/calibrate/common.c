/*
 * common.c - the helpers every figure of bin/calibrate uses: medians,
 * elapsed time, CPU pinning for two-thread measurements, error lines, event
 * clean-up and RSS growth.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <malloc.h>
#include <math.h>
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
#include "../runtime/clock.h"
#include "../runtime/evbase.h"
#include "../runtime/hist.h"
#include "../runtime/stats.h"
#include "../runtime/util.h"
#include "calibrate.h"

volatile uint64_t cal_sink;

/* ---- helpers ------------------------------------------------------------- */

/* cal_fatal_usage - one line on stderr (control characters as '?'), exit 2. */
void cal_fatal_usage(const char *fmt, const char *arg)
{
	char msg[CAL_ERR_MAX];
	snprintf(msg, sizeof(msg), fmt, arg);
	strncat(msg, " (see --help)", sizeof(msg) - strlen(msg) - 1);
	util_die_usage("calibrate", msg);
}

/* cal_elapsed_since - nanoseconds from t0 to now. */
uint64_t cal_elapsed_since(uint64_t t0)
{
	return clock_now_ns() - t0;
}

/* cmp_double - qsort order for doubles. */
static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* cal_median - of n > 0 values; sorts them in place. */
double cal_median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

/* cal_make_base - an event base with precise timers, as every libevent user
 * of the project makes it (evbase.h).  Returns NULL on failure. */
struct event_base *cal_make_base(void)
{
	char why[160];
	return evbase_new_precise(why, sizeof(why));
}



/* cal_pin_begin - move the caller to the CPU it is on; fill attr (initialised
 * here) so a thread created with it starts there too, or with cross = 1 on
 * another CPU the process may use (the same one when there is none), for
 * the cross-CPU figure.  Never fails: unpinned, the measurement stands, only
 * noisier. */
void cal_pin_begin(struct cal_pin *pin, pthread_attr_t *attr, int cross)
{
	int cpu = sched_getcpu();
	cpu_set_t peer;
	pthread_attr_init(attr);
	pin->pinned = 0;
	if (cpu < 0 || pthread_getaffinity_np(pthread_self(), sizeof(pin->saved), &pin->saved))
		return;
	CPU_ZERO(&pin->one);
	CPU_SET(cpu, &pin->one);
	if (pthread_setaffinity_np(pthread_self(), sizeof(pin->one), &pin->one) != 0)
		return;
	pin->pinned = 1;
	peer = pin->one;
	for (int c = 0; cross && c < CPU_SETSIZE; c++) {
		if (c != cpu && CPU_ISSET(c, &pin->saved)) {
			CPU_ZERO(&peer);
			CPU_SET(c, &peer);
			break;
		}
	}
	pthread_attr_setaffinity_np(attr, sizeof(peer), &peer);
}

/* cal_pin_end - the caller's own affinity back; attr destroyed. */
void cal_pin_end(struct cal_pin *pin, pthread_attr_t *attr)
{
	if (pin->pinned)
		pthread_setaffinity_np(pthread_self(), sizeof(pin->saved), &pin->saved);
	pthread_attr_destroy(attr);
}

/* cal_io_error - "what: strerror", or "what: end of file" for errno 0. */
void cal_io_error(char *err, size_t errlen, const char *what)
{
	snprintf(err, errlen, "%s: %s", what, errno ? strerror(errno) : "unexpected end of file");
}

/* cal_free_events - the first n of evs, the array and the base (may be NULL). */
void cal_free_events(struct event **evs, size_t n, struct event_base *base)
{
	for (size_t i = 0; i < n; i++)
		event_free(evs[i]);
	if (base)
		event_base_free(base);
	free(evs);
}

/* cal_rss_growth_per - (VmRSS now - before) / count into *value: 0, or -1 with
 * err set if VmRSS could not be read (before < 0 means it could not then). */
int cal_rss_growth_per(long before, unsigned count, double *value, char *err, size_t errlen)
{
	long after = stats_rss_kib();
	if (before < 0 || after < 0) {
		snprintf(err, errlen, "cannot read VmRSS from /proc/self/status");
		return -1;
	}
	*value = (double)(after - before) / count;
	return 0;
}

uint64_t cal_thread_cpu_ns(void)
{
	struct timespec ts;
	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}
