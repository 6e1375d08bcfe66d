/*
 * loop.c - one bin/load thread: its connections on one epoll instance, the
 * open-loop schedule, the window and the drain.
 *
 * Connecting: at most LOAD_CONNECTING_MAX connects in flight per thread, so
 * the server's listen backlog is not overrun (a dropped SYN costs a second).
 * Every thread has all its connections open before the window starts (two
 * barriers: the main thread reads t0 between them), so connecting is never
 * timed and the idle connections are there for the whole window.
 *
 * Closed loop: an active connection sends its next request when the last
 * response arrives; latency runs from the send.  Open loop (wrk2's rule, no
 * coordinated omission): the thread's requests are due at t0 + phase +
 * k * period, the k-th on its active connection k mod n; a connection still
 * waiting for an earlier response sends the due request when it is free,
 * and its latency still runs from when it was due.  Ready connections wait
 * for their due time in a binary heap; epoll_pwait2 sleeps until the first
 * one with a nanosecond timeout (epoll_wait's milliseconds would bunch the
 * sends into 1 ms bursts).
 *
 * The window ends at --duration (requests still outstanding are drained,
 * each for at most --timeout-s) or when the --requests ids run out and every
 * request is answered.
 */
#include <errno.h>
#include <math.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "../runtime/clock.h"
#include "load.h"

#define WAIT_MAX_NS 100000000ULL /* sleep at most 100 ms: the failed flag is read */

void load_fail(struct load_thread *t, const char *fmt, ...)
{
	if (!t->reason[0]) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(t->reason, sizeof(t->reason), fmt, ap);
		va_end(ap);
	}
	atomic_store(&t->run->failed, 1);
}

uint64_t load_end_ns(const struct load_run *r)
{
	return __atomic_load_n(&r->t_end_ns, __ATOMIC_ACQUIRE);
}

uint64_t load_win_ns(const struct load_run *r)
{
	return __atomic_load_n(&r->t_win_ns, __ATOMIC_ACQUIRE);
}

void load_window_start(struct load_run *r, uint64_t now)
{
	uint64_t zero = 0, len = r->cfg.duration_ns;
	/* at least LOAD_WINDOW_TURNS turnovers (the ramp is one): a window
	 * shorter than a turnover holds only the ramp's burst, queued */
	if (now > r->t0_ns && LOAD_WINDOW_TURNS * (now - r->t0_ns) > len)
		len = LOAD_WINDOW_TURNS * (now - r->t0_ns);
	if (__atomic_compare_exchange_n(&r->t_win_ns, &zero, now, 0, __ATOMIC_ACQ_REL,
					__ATOMIC_ACQUIRE))
		__atomic_store_n(&r->t_end_ns, now + len, __ATOMIC_RELEASE);
}

int load_window_over(const struct load_thread *t, uint64_t now)
{
	const struct load_run *r = t->run;
	if (atomic_load_explicit(&r->failed, memory_order_relaxed))
		return 1;
	uint64_t end = load_end_ns(r);
	if (end && now >= end)
		return 1;
	return atomic_load_explicit(&r->next_id, memory_order_relaxed) >= r->id_end;
}

/* heap_swap / heap_up / heap_down - the open loop's min-heap of ready
 * connections by due time (intended_ns). */
static void heap_swap(struct load_thread *t, uint32_t a, uint32_t b)
{
	struct load_conn *x = t->heap[a];
	t->heap[a] = t->heap[b];
	t->heap[b] = x;
	t->heap[a]->heap_pos = a;
	t->heap[b]->heap_pos = b;
}

static void heap_up(struct load_thread *t, uint32_t i)
{
	while (i > 0) {
		uint32_t p = (i - 1) / 2;
		if (t->heap[p]->intended_ns <= t->heap[i]->intended_ns)
			break;
		heap_swap(t, p, i);
		i = p;
	}
}

static void heap_down(struct load_thread *t, uint32_t i)
{
	for (;;) {
		uint32_t l = 2 * i + 1, m = i;
		if (l < t->heap_len && t->heap[l]->intended_ns < t->heap[m]->intended_ns)
			m = l;
		if (l + 1 < t->heap_len && t->heap[l + 1]->intended_ns < t->heap[m]->intended_ns)
			m = l + 1;
		if (m == i)
			return;
		heap_swap(t, i, m);
		i = m;
	}
}

/* heap_pop - remove and return the connection due first. */
static struct load_conn *heap_pop(struct load_thread *t)
{
	struct load_conn *c = t->heap[0];
	t->heap_len--;
	if (t->heap_len) {
		t->heap[0] = t->heap[t->heap_len];
		t->heap[0]->heap_pos = 0;
		heap_down(t, 0);
	}
	c->heap_pos = LOAD_HEAP_NONE;
	return c;
}

/* due_ns - when connection c's next request (its seq-th) is due. */
static uint64_t due_ns(const struct load_conn *c)
{
	const struct load_thread *t = c->t;
	double k = (double)c->index + (double)c->seq * (double)t->n_active;
	return t->run->t0_ns + t->phase_ns + (uint64_t)(k * t->period_ns);
}

void load_ready(struct load_conn *c, uint64_t now)
{
	struct load_thread *t = c->t;
	if (t->run->cfg.each) { /* each=N: every connection N requests, closed loop */
		if (!c->left || load_window_over(t, now)) {
			c->state = LC_DONE;
			return;
		}
		c->left--;
		load_conn_send(c, now);
		return;
	}
	if (t->run->cfg.rate <= 0) {
		if (load_window_over(t, now))
			c->state = LC_DONE;
		else
			load_conn_send(c, now);
		return;
	}
	uint64_t due = due_ns(c);
	/* due after the window, or the window is over (a connection that fell
	 * behind owes requests: they are counted as unsent, not sent late) */
	uint64_t end = load_end_ns(t->run);
	if ((end && due >= end) || load_window_over(t, now)) {
		c->state = LC_DONE;
		return;
	}
	if (due <= now) {
		if (load_conn_send(c, due) == 0)
			c->seq++;
		return;
	}
	c->intended_ns = due;
	if (c->heap_pos != LOAD_HEAP_NONE) { /* queued before a reconnect: move it */
		heap_up(t, c->heap_pos);
		heap_down(t, c->heap_pos);
		return;
	}
	c->heap_pos = t->heap_len;
	t->heap[t->heap_len++] = c;
	heap_up(t, c->heap_pos);
}

/* send_due - the open loop: send every request due by now. */
static void send_due(struct load_thread *t, uint64_t now)
{
	while (t->heap_len && t->heap[0]->intended_ns <= now) {
		struct load_conn *c = heap_pop(t);
		if (c->state != LC_READY)
			continue; /* closed while waiting: its reconnect re-queues it */
		if (load_conn_send(c, c->intended_ns) == 0)
			c->seq++;
	}
}

/* sweep_timeouts - requests unanswered for --timeout-s are errors. */
static void sweep_timeouts(struct load_thread *t, uint64_t now)
{
	t->last_sweep_ns = now;
	for (uint32_t i = 0; i < t->n_sending; i++) {
		struct load_conn *c = &t->conns[i];
		if (c->state == LC_BUSY && now > c->sent_ns &&
		    now - c->sent_ns > t->run->cfg.timeout_ns)
			load_conn_timeout(c);
	}
}

/* wait_events - one epoll_pwait2 until `until` (or WAIT_MAX_NS), its
 * events handled.  0, or -1 on an epoll failure (the run fails). */
static int wait_events(struct load_thread *t, struct epoll_event *evs, uint64_t now,
		       uint64_t until)
{
	uint64_t wait = until > now ? until - now : 0;
	if (wait > WAIT_MAX_NS)
		wait = WAIT_MAX_NS;
	struct timespec ts = { .tv_sec = (time_t)(wait / 1000000000ULL),
			       .tv_nsec = (long)(wait % 1000000000ULL) };
	int n = epoll_pwait2(t->ep, evs, LOAD_EPOLL_EVENTS, &ts, NULL);
	if (n < 0 && errno == ENOSYS) { /* a kernel before 5.11: milliseconds */
		n = epoll_wait(t->ep, evs, LOAD_EPOLL_EVENTS,
			       (int)((wait + 999999ULL) / 1000000ULL));
	}
	if (n < 0) {
		if (errno == EINTR)
			return 0;
		load_fail(t, "epoll_wait: %s", strerror(errno));
		return -1;
	}
	for (int i = 0; i < n; i++)
		load_conn_event(evs[i].data.ptr, evs[i].events);
	return 0;
}

/* connect_all - open the thread's connections before the window. */
static void connect_all(struct load_thread *t, struct epoll_event *evs)
{
	uint64_t deadline = clock_now_ns() + LOAD_CONNECT_TIMEOUT_S * 1000000000ULL;
	while (!atomic_load(&t->run->failed) && (t->next_connect < t->n || t->connecting)) {
		while (t->next_connect < t->n && t->connecting < LOAD_CONNECTING_MAX)
			if (load_conn_open(&t->conns[t->next_connect++]) != 0)
				return;
		uint64_t now = clock_now_ns();
		if (now > deadline) {
			load_fail(t, "%u of %u connections open after %d s", t->open, t->n,
				  LOAD_CONNECT_TIMEOUT_S);
			return;
		}
		if (wait_events(t, evs, now, deadline) != 0)
			return;
	}
	if (!t->reason[0] && t->open < t->n)
		load_fail(t, "%u of %u connections closed by the server as they opened",
			  t->n - t->open, t->n);
}

/* run_window - send and read until the window ends and the drain is over. */
static void run_window(struct load_thread *t, struct epoll_event *evs)
{
	struct load_run *r = t->run;
	uint64_t now = r->t0_ns;
	t->last_sweep_ns = now;
	for (uint32_t i = 0; i < t->n_sending; i++)
		if (t->conns[i].state == LC_READY)
			load_ready(&t->conns[i], now);
	for (;;) {
		now = clock_now_ns();
		if (t->heap_len)
			send_due(t, now);
		if (now - t->last_sweep_ns >= LOAD_SWEEP_NS)
			sweep_timeouts(t, now);
		if (!load_win_ns(r) && now - r->t0_ns > r->cfg.timeout_ns)
			load_window_start(r, now); /* a ramp that never ends: time it anyway */
		/* an each=N phase ends when its requests are answered or timed
		 * out: a connection the server never took sends nothing more */
		int over = load_window_over(t, now) || (r->cfg.each && t->outstanding == 0);
		if (atomic_load_explicit(&r->failed, memory_order_relaxed) ||
		    (over && t->outstanding == 0))
			return;
		uint64_t until = t->last_sweep_ns + LOAD_SWEEP_NS;
		if (t->heap_len && !over && t->heap[0]->intended_ns < until)
			until = t->heap[0]->intended_ns;
		uint64_t end = load_end_ns(r);
		if (end && !over && end < until)
			until = end;
		if (wait_events(t, evs, now, until) != 0)
			return;
	}
}

/* count_unsent - open loop, --duration: the requests due on t's connections
 * before the window's end that were never sent (their connection was still
 * waiting): what a server that fell behind owes. */
static void count_unsent(struct load_thread *t)
{
	struct load_run *r = t->run;
	if (r->cfg.rate <= 0 || !r->t_end_ns || !t->n_active)
		return;
	double span = (double)(r->t_end_ns - r->t0_ns - t->phase_ns) / t->period_ns;
	for (uint32_t i = 0; i < t->n_active; i++) {
		struct load_conn *c = &t->conns[i];
		/* its m-th is due at slot index + m * n_active, before the end
		 * while that is below span: ceil((span - index) / n_active) of them */
		double x = (span - (double)c->index) / (double)t->n_active;
		uint64_t m = x > 0 ? (uint64_t)ceil(x) : 0;
		if (m > c->seq)
			t->c.unsent += m - c->seq;
	}
}

void load_phase_begin(struct load_run *r, unsigned k)
{
	struct load_cfg *cfg = &r->cfg;
	const struct load_phase *ph = &cfg->phases[k];
	cfg->rate = ph->rate;
	cfg->duration_ns = ph->duration_ns;
	cfg->requests = ph->requests;
	cfg->each = ph->each;
	r->phase = k;
	r->phase_ids_from = atomic_load(&r->next_id);
	uint64_t ids = ph->each ? ph->each * cfg->connections : ph->requests;
	r->id_end = ids ? r->phase_ids_from + ids : LOAD_MAX_ID + 1;
	cfg->active = ph->active ? ph->active : cfg->run_active;
	for (unsigned i = 0; i < cfg->threads; i++) {
		struct load_thread *t = &r->threads[i];
		/* connection k of the run (thread k mod T) is active when k < active */
		t->n_active = cfg->active > i
			? (uint32_t)((cfg->active - i + cfg->threads - 1) / cfg->threads) : 0;
		for (uint32_t j = 0; j < t->n; j++)
			t->conns[j].active = j < t->n_active;
		memset(&t->c, 0, sizeof(t->c));
		hist_reset(&t->lat);
		t->last_done_ns = 0;
		t->cpu_s = 0;
		t->heap_len = 0;
		t->period_ns = 0;
		if (ph->rate > 0 && t->n_active) {
			double rate_t = ph->rate * (double)t->n_active / (double)cfg->active;
			t->period_ns = 1e9 / rate_t;
			t->phase_ns = (uint64_t)((double)i * 1e9 / ph->rate);
		}
		t->n_sending = ph->each ? t->n : t->n_active;
		for (uint32_t j = 0; j < t->n_sending; j++) {
			struct load_conn *c = &t->conns[j];
			c->seq = 0;
			c->left = (uint32_t)ph->each;
			c->heap_pos = LOAD_HEAP_NONE;
			if (c->state == LC_DONE)
				c->state = LC_READY;
		}
	}
	for (unsigned i = 0; i < cfg->threads; i++)
		for (uint32_t j = 0; j < r->threads[i].n; j++)
			r->threads[i].conns[j].warmed = 0;
	r->warm_count = 0;
	r->t0_ns = clock_now_ns();
	if (ph->duration_ns && ph->rate <= 0) {
		/* a closed phase: the window starts after the ramp (conn.c) */
		r->warm_need = cfg->active;
		r->t_win_ns = r->t_end_ns = 0;
	} else {
		r->warm_need = 0;
		r->t_win_ns = r->t0_ns;
		r->t_end_ns = ph->duration_ns ? r->t0_ns + ph->duration_ns : 0;
	}
}

/* run_phase - one phase of t's: its window, its CPU, what it left unsent.
 * An active connection lost in an earlier phase is opened again first. */
static void run_phase(struct load_thread *t, struct epoll_event *evs)
{
	struct timespec c0, c1;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
	for (uint32_t i = 0; i < t->n_active; i++)
		if (t->conns[i].fd < 0 && load_conn_open(&t->conns[i]) == 0)
			t->c.reconnects++;
	run_window(t, evs);
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
	t->cpu_s = (double)(c1.tv_sec - c0.tv_sec) + (double)(c1.tv_nsec - c0.tv_nsec) / 1e9;
	count_unsent(t);
}

void *load_thread_main(void *arg)
{
	struct load_thread *t = arg;
	struct load_run *r = t->run;
	struct epoll_event *evs = calloc(LOAD_EPOLL_EVENTS, sizeof(*evs));
	if (!evs)
		load_fail(t, "out of memory");
	else
		connect_all(t, evs);
	pthread_barrier_wait(&r->connected);
	for (unsigned k = 0; k < r->cfg.nphases; k++) {
		pthread_barrier_wait(&r->go); /* the main thread began phase k */
		if (evs && !atomic_load(&r->failed))
			run_phase(t, evs);
		pthread_barrier_wait(&r->done);
	}
	for (uint32_t i = 0; i < t->n; i++)
		if (t->conns[i].fd >= 0)
			load_conn_close(&t->conns[i], 0);
	free(evs);
	return NULL;
}
