/*
 * backend_proc.h - start and stop a private peer (bin/backend, or a
 * redis-server) for one run.
 *
 * A model binary run without --backend starts its own backend on a free
 * loopback port, so `bin/async io_backend -c 100` just works, and stops it at
 * exit.  The child dies with its parent (PR_SET_PDEATHSIG), so a killed run
 * never leaves a backend behind.
 */
#ifndef BACKEND_PROC_H
#define BACKEND_PROC_H

#include <netinet/in.h>
#include <sched.h>
#include <stddef.h>
#include <sys/types.h>

#define BACKEND_READY_PREFIX "backend: ready on " /* then ADDR:PORT and '\n' */
#define BACKEND_START_TIMEOUT_MS 5000 /* a backend not ready by then has failed */

/*
 * backend_proc_start - run the `backend` executable that sits beside this one,
 * on 127.0.0.1 port 0, and wait for its ready line; `cpus`, if not NULL, is
 * the CPU set it runs on (--pin split), set in the child before exec.
 * Returns 0 with *addr and *pid set, or -1 with a reason in err.
 * Cost: a fork/exec and one pipe read, typically a few milliseconds.
 */
int backend_proc_start(struct sockaddr_in *addr, pid_t *pid, const cpu_set_t *cpus, char *err,
		       size_t errlen);

/* backend_proc_stop - SIGTERM the backend (or redis-server) and reap it
 * (SIGKILL after 2 s). */
void backend_proc_stop(pid_t pid);

#define REDIS_START_TIMEOUT_MS 5000 /* a redis-server not answering PING by then has failed */
#define REDIS_MAXCLIENTS 10240      /* its client limit: 10,000 connections and set-up's */

/*
 * redis_proc_start - run redis-server (from PATH) for one run: on a free
 * loopback port, without persistence (no RDB snapshot, no AOF), its client
 * limit raised to REDIS_MAXCLIENTS (it needs that many descriptors, which it
 * inherits from our raised RLIMIT_NOFILE), dying with us; `cpus` as for the
 * backend.  Waits until it answers PING.  Returns 0 with *addr and *pid set,
 * or -1 with a reason in err (not installed; what it said when it exited).
 * Stop it with redis_proc_stop.  Cost: a fork/exec, ~10-50 ms to ready.
 */
int redis_proc_start(struct sockaddr_in *addr, pid_t *pid, const cpu_set_t *cpus, char *err,
		     size_t errlen);

/*
 * redis_proc_stop - stop a redis-server from redis_proc_start and reap it:
 * SHUTDOWN NOSAVE on addr, then backend_proc_stop.  SIGTERM alone waits for
 * redis's next cron tick, ~100 ms at its default hz of 10, paid by every run
 * of a redis pair; SHUTDOWN exits at once (~4 ms), and with no persistence
 * there is nothing to save either way.
 */
void redis_proc_stop(const struct sockaddr_in *addr, pid_t pid);

#endif
