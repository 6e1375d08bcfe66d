"""peers.py - a bin/backend and a redis-server of the caller's own, outside any model run.

A model run started without --backend or --redis starts its peer itself, as
its child; anything that counts the run's process tree (perf stat, strace -f:
the system-call audit, audit.py) would then count the peer's calls as the
model's.  The audit starts its peers here instead, once, and hands their
HOST:PORT to every run (--backend, --redis), as `make bench BACKEND=` does for
a backend on another host.

redis-server is started with the flags harness/runtime/backend_proc.c's
redis_attempt gives its own (no persistence, a client limit for 10,000
connections): the server a run meets is the same either way.

A leaf module: it imports nothing of this project.  Standard library only.
"""

import os
import re
import socket
import subprocess
import time

START_TIMEOUT_S = 10     # a peer that is not ready by then fails the audit
POLL_S = 0.02            # how often readiness is checked meanwhile
REDIS_MAXCLIENTS = 10240  # as backend_proc.c's REDIS_MAXCLIENTS
REDIS_FLAGS = ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
               "--maxclients", str(REDIS_MAXCLIENTS), "--tcp-backlog", "4096",
               "--protected-mode", "no", "--daemonize", "no", "--loglevel", "warning",
               "--dir", "/tmp"]
READY_RE = re.compile(r"backend: ready on (\S+:\d+)")  # bin/backend's ready line


class PeerError(Exception):
    """A peer could not be started: the message says which and why, in one line."""


def free_port():
    """A loopback TCP port free right now (bound to port 0 and let go)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def redis_ping(port):
    """True when a redis-server answers PING on 127.0.0.1:port."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


class Peers:
    """The peers started so far; stop() ends them all (also on an exception)."""

    def __init__(self, bin_dir, preexec_fn=None):
        self.bin_dir = bin_dir
        self.preexec_fn = preexec_fn  # run in each peer before exec (dies with us)
        self.procs = []      # every peer process, to stop
        self.addr = {}       # "backend" / "redis" -> HOST:PORT

    def _spawn(self, argv, **kw):
        try:
            p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, start_new_session=True,
                                 preexec_fn=self.preexec_fn, **kw)
        except OSError as e:
            raise PeerError("%s: cannot start: %s" % (argv[0], e.strerror or e))
        self.procs.append(p)
        return p

    def backend(self):
        """HOST:PORT of our bin/backend, started on first use."""
        if "backend" not in self.addr:
            p = self._spawn([os.path.join(self.bin_dir, "backend"), "--port", "0", "--quiet"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
            line = p.stdout.readline()   # the ready line, or EOF if it died
            m = READY_RE.search(line)
            if not m:
                raise PeerError("bin/backend did not say it was ready (it said: %r)"
                                % line.strip())
            self.addr["backend"] = m.group(1)
        return self.addr["backend"]

    def redis(self):
        """HOST:PORT of our redis-server, started on first use."""
        if "redis" not in self.addr:
            port = free_port()
            p = self._spawn(["redis-server", "--port", str(port)] + REDIS_FLAGS,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            deadline = time.monotonic() + START_TIMEOUT_S
            while not redis_ping(port):
                if p.poll() is not None or time.monotonic() > deadline:
                    raise PeerError("redis-server on 127.0.0.1:%d: %s" % (
                        port, "exited %s" % p.returncode if p.poll() is not None
                        else "no answer to PING in %d s" % START_TIMEOUT_S))
                time.sleep(POLL_S)
            self.addr["redis"] = "127.0.0.1:%d" % port
        return self.addr["redis"]

    def stop(self):
        """End every peer (SIGTERM, then SIGKILL after a grace) and wait for it."""
        for p in self.procs:
            if p.poll() is None:
                p.terminate()
        for p in self.procs:
            try:
                p.wait(timeout=START_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        self.procs, self.addr = [], {}
