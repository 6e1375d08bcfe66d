"""serve_proc.py - the processes of a serve point: a model serving its pair
(`bin/MODEL WORKLOAD --serve 0`), bin/load runs against it, and where each
runs.

Placement (recorded per row and in meta.json):
  shared  server and load generator unpinned on every CPU (the default);
  split   PIN=split: the load generator on the last PIN_BACKEND_CPUS allowed
          CPU(s), the server (with the backend or redis-server it starts) on
          the rest, by taskset, so neither takes the other's time;
  remote  LOAD_HOST=NETNS:ADDR: the load generator in network namespace
          NETNS (`ip netns exec`, another host as far as the network is
          concerned: the two-namespace set-up of tests/test_two_hosts.sh),
          the server bound to ADDR, an address of this host NETNS reaches.
A server says where it listens on a pipe (--ready-fd), so nothing polls;
SIGTERM stops it and it writes its stats line (--stats-out); every child
dies with the sweep (runner.child_dies_with_us).
"""

import ipaddress
import json
import os
import re
import select
import signal
import socket
import subprocess
import tempfile
import time

from . import common, models, runner as R

READY_TIMEOUT_S = 30     # a server that has not said where it listens by then failed
STOP_TIMEOUT_S = 30      # after SIGTERM: its connections closed, its stats line written
LOAD_GRACE_S = 30        # a bin/load run may take its duration, its connects and drain
                         # (--timeout-s each) and this much more before it is killed
LOAD_TIMEOUT_S = 5       # bin/load --timeout-s: a response later than this is an error
LOOPBACK = "127.0.0.1"
NETNS_RE = r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}"


def parse_load_host(text):
    """LOAD_HOST=NETNS:ADDR -> (netns, addr), None for empty; UsageError
    when malformed, when ADDR is not an IPv4 address of this host a server
    can listen on (every server would fail to bind, every row of the
    section with it), or when the namespace is not there."""
    if text is None or not text.strip():
        return None
    m = re.fullmatch(r"(%s):([0-9.]+)" % NETNS_RE, text.strip())
    if not m:
        raise common.UsageError("LOAD_HOST: '%s' must be NETNS:ADDR (a network namespace "
                                "for bin/load and this host's IPv4 address it reaches)" % text)
    try:
        addr = ipaddress.IPv4Address(m.group(2))
    except ValueError:
        raise common.UsageError("LOAD_HOST: '%s' is not a dotted IPv4 address" % m.group(2))
    if addr.is_multicast or addr == ipaddress.IPv4Address("255.255.255.255") or \
            addr.is_unspecified:
        raise common.UsageError("LOAD_HOST: %s is not an address a client connects to" % addr)
    with socket.socket() as probe:      # the servers' --bind, tried once now
        try:
            probe.bind((str(addr), 0))
        except OSError as e:
            raise common.UsageError("LOAD_HOST: the servers cannot listen on %s: %s (not an "
                                    "address of this host?)" % (addr, e.strerror or e))
    if not os.path.exists(os.path.join("/run/netns", m.group(1))):
        raise common.UsageError("LOAD_HOST: no network namespace '%s' (ip netns list)"
                                % m.group(1))
    return m.group(1), m.group(2)


def placement(pin, load_host):
    """{mode, text, server_prefix, load_prefix, bind, target, server_cpus,
    load_cpus} for PIN (None or "split") and LOAD_HOST (parse_load_host)."""
    cpus = sorted(os.sched_getaffinity(0))
    if load_host:
        ns, addr = load_host
        return {"mode": "remote", "server_prefix": [], "bind": addr, "target": addr,
                "load_prefix": ["ip", "netns", "exec", ns], "server_cpus": len(cpus),
                "load_cpus": None,
                "text": "remote: bin/load in network namespace %s, the server on %s, "
                        "unpinned" % (ns, addr)}
    if pin == "split" and len(cpus) > common.PIN_BACKEND_CPUS:
        load = cpus[-common.PIN_BACKEND_CPUS:]
        srv = cpus[:-common.PIN_BACKEND_CPUS]
        fmt = ",".join(map(str, srv)), ",".join(map(str, load))
        return {"mode": "split", "server_prefix": ["taskset", "-c", fmt[0]],
                "load_prefix": ["taskset", "-c", fmt[1]], "bind": LOOPBACK,
                "target": LOOPBACK, "server_cpus": len(srv), "load_cpus": len(load),
                "text": "split: bin/load on CPU %s, the server and its peers on CPU %s"
                        % (fmt[1], fmt[0])}
    return {"mode": "shared", "server_prefix": [], "load_prefix": [], "bind": LOOPBACK,
            "target": LOOPBACK, "server_cpus": len(cpus), "load_cpus": None,
            "text": "shared: server and bin/load unpinned on all %d CPUs" % len(cpus)}


class Server:
    """One model serving one pair: start() until it listens, stop() for its
    stats line.  argv is recorded in meta["commands"]."""

    def __init__(self, model, pair, connections, place, stats_path, slack=None, backend=None):
        self.port, self.proc, self.err = None, None, None
        self.stats_path = stats_path
        flags = models.flags_argv(model, connections, place["server_cpus"])
        # TIMER_SLACK_NS reaches every server alike, as it reaches every run;
        # BACKEND= every server of a backend pair, as every fan-out run of it
        # (meta.json's topology says remote: the serve rows were local).
        extra_argv = ["--timer-slack-ns", str(slack)] if slack is not None else []
        if backend and pair.get("needs_backend"):
            extra_argv += ["--backend", backend]
        self.argv = place["server_prefix"] + [
            os.path.join(common.bin_dir(), model["binary"]), pair.get("run_as", pair["name"]),
            "--serve", "0", "--bind", place["bind"], "--ready-fd", "{ready_fd}",
            "--stats-out", stats_path] + (pair.get("argv") or []) + flags + extra_argv

    def start(self, meta):
        """Start it and wait for its `listening ADDR:PORT` line.  Returns
        None, or why it failed (its last stderr line, or the time-out)."""
        if os.path.exists(self.stats_path):
            os.unlink(self.stats_path)
        rfd, wfd = os.pipe()
        argv = [str(wfd) if a == "{ready_fd}" else a for a in self.argv]
        meta["commands"].append(R.quoted(argv))
        self.err = tempfile.TemporaryFile(mode="w+")
        old = signal.pthread_sigmask(signal.SIG_BLOCK, R.STOP_SIGNALS)
        try:
            self.proc = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=self.err, start_new_session=True, pass_fds=(wfd,),
                preexec_fn=lambda: R.child_dies_with_us(old))
        except OSError as e:
            os.close(rfd)
            os.close(wfd)
            return "cannot start %s: %s" % (self.argv[0], e.strerror)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, old)
        os.close(wfd)
        line, deadline = b"", time.monotonic() + READY_TIMEOUT_S
        try:
            while b"\n" not in line and time.monotonic() < deadline:
                ready, _, _ = select.select([rfd], [], [], deadline - time.monotonic())
                if not ready:
                    break
                piece = os.read(rfd, 256)
                if not piece:
                    break
                line += piece
        finally:
            os.close(rfd)
        m = re.search(rb"listening \S+:([0-9]+)", line)
        if m:
            self.port = int(m.group(1))
            return None
        why = self.last_err() or ("said nothing in %d s" % READY_TIMEOUT_S)
        self.kill()
        return "the server did not start: %s" % why

    def last_err(self):
        """The last line the server wrote on stderr, or ""."""
        if not self.err:
            return ""
        self.err.seek(0)
        return common.last_line(self.err.read())

    def kill(self):
        """SIGKILL its process group (an interrupt, a failure)."""
        if self.proc and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait()

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self):
        """SIGTERM, then its stats line: (stats dict or None, why not).  A
        server that says it failed, or exits non-zero, failed: its figures
        are not a server's that served."""
        if not self.proc:
            return None, "not started"
        why = None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.kill()
                why = "did not stop within %d s of SIGTERM" % STOP_TIMEOUT_S
        else:
            why = "died under load (exit %s): %s" % (self.proc.returncode, self.last_err())
        stats = None
        try:
            with open(self.stats_path) as f:
                lines = [l for l in f.read().splitlines() if l.strip()]
            stats = json.loads(lines[-1]) if lines else None
        except (OSError, ValueError):
            pass
        if stats is None and why is None:
            why = "no stats line after SIGTERM (exit %s): %s" % (self.proc.returncode,
                                                                self.last_err())
        elif why is None and (stats.get("status") != "ok" or self.proc.returncode != 0):
            why = "the server failed after SIGTERM (exit %s): %s" % (
                self.proc.returncode, stats.get("reason") or self.last_err()
                or "its stats line says %s" % stats.get("status"))
        if self.err:
            self.err.close()
        return stats, why


def load_argv(place, port, path, connections, active, phases, ids_from=0, hist_file=None):
    """bin/load's command line: the connections opened once, then phases
    (bin/load --phases: "each=1", "closed:0.3", "rate=2000:0.5", ...) one
    after another on them, one stats line each."""
    argv = place["load_prefix"] + [
        os.path.join(common.bin_dir(), "load"), "--target", "%s:%d" % (place["target"], port),
        "--path", path, "--connections", str(connections), "--active", str(active),
        "--ids-from", str(ids_from), "--timeout-s", str(LOAD_TIMEOUT_S), "--json", "--quiet",
        "--phases", ",".join(phases)]
    argv += ["--hist-out", hist_file] if hist_file else []
    return argv


def phases_s(phases):
    """The seconds of load the phases ask for (their windows)."""
    return sum(float(p.split("@")[0].rsplit(":", 1)[1]) for p in phases if ":" in p)


def run_load(runner, meta, argv, load_s=0.0):
    """One bin/load run: ([its stats lines, one per phase], why it failed or
    None).  load_s: the seconds of load asked (the time-out adds the
    connects, the drains and LOAD_GRACE_S)."""
    meta["commands"].append(R.quoted(argv))
    timeout = load_s + 2 * LOAD_TIMEOUT_S + LOAD_GRACE_S
    rc, out, err = runner.run(argv, timeout)
    lines = []
    for line in (out or "").splitlines():
        try:
            d = json.loads(line)
        except ValueError:
            continue
        if isinstance(d, dict):
            lines.append(d)
    if rc == 0 and lines:
        return lines, None
    if rc is None:
        return lines, "bin/load timed out after %.0f s" % timeout
    if rc < 0:      # killed: its phases after the last line never ran
        return lines, "bin/load was killed by %s after %d of its %d phases" % (
            signal.Signals(-rc).name if -rc in signal.valid_signals() else "signal %d" % -rc,
            len(lines), len([p for p in argv[argv.index("--phases") + 1].split(",")]))
    failed = next((d for d in lines if d.get("status") != "ok"), None)
    return lines, (failed or {}).get("reason") or common.last_line(err) or "exit %s" % rc


def load_average():
    """The 1-minute load average, beside every figure (a busy machine's
    numbers are not a quiet one's)."""
    try:
        return os.getloadavg()[0]
    except OSError:
        return None
