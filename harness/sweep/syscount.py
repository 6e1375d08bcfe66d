"""syscount.py - how many system calls of each kind a command makes: perf stat, else strace.

perf (preferred): `perf stat -x, -e 'syscalls:sys_enter_*' -o FILE -- CMD`
counts every call of the command's process tree, each thread and child, by
kernel tracepoint: exact counts at a small cost per call.  Enabling the ~360
syscall tracepoints costs about 14 s per perf invocation on this VM (each
registration waits for the kernel's RCU grace period) where the run itself
takes 0.1 s; so start() launches one holder perf stat on a `sleep` that keeps
them registered while the audit runs, and each run's perf stat then attaches
in ~30 ms.  While any syscall tracepoint is enabled every process on the
machine takes the kernel's slower syscall path: the holder is stopped by
stop(), and a run of the audit is not a benchmark run.  The holder's
workload is a `cat` of a pipe only the audit holds, so however the audit
ends (stop(), an interrupt, SIGKILL) the pipe closes, cat ends and perf with
it: nothing is left running (a `sleep` there outlived an interrupted audit).

strace (where perf cannot: not installed, perf_event_paranoid, no tracefs):
`strace -f -c -U calls,name -o FILE -- CMD`.  Same counts, far slower (each
call stops the thread twice), so its runs' timing is worthless; the counts
are what is read.

TVSA_AUDIT_TOOL=perf or strace picks one (a test forces strace that way).

A leaf module: it imports nothing of this project.  Standard library only.
"""

import os
import shutil
import signal
import subprocess
import tempfile

TOOLS = ("perf", "strace")      # tried in this order
TOOL_ENV = "TVSA_AUDIT_TOOL"    # names one of TOOLS, or empty for the first usable
PERF_EVENTS = "syscalls:sys_enter_*"
PERF_PREFIX = "syscalls:sys_enter_"
HOLDER_ARGV = ["cat"]           # the holder's workload: ends when its stdin, our pipe, closes
PROBE_TIMEOUT_S = 120           # a probe's bound (perf's first registration: ~14 s)
STOP_GRACE_S = 10               # the holder's time to exit on SIGTERM
PROBE_ARGV = ["true"]           # a command with a few calls (its loader's mmap, ...)


class Unusable(Exception):
    """No tool can count here: the message names each tried and why, in one line."""


def parse_perf(text):
    """{syscall: calls} from perf stat -x, output (uncounted events skipped)."""
    out = {}
    for line in text.splitlines():
        f = line.split(",")
        if len(f) < 3 or line.startswith("#") or not f[2].startswith(PERF_PREFIX):
            continue
        if f[0].strip().isdigit():
            out[f[2][len(PERF_PREFIX):]] = int(f[0])
    return out


def parse_strace(text):
    """{syscall: calls} from strace -c -U calls,name output (the total line skipped)."""
    out = {}
    for line in text.splitlines():
        f = line.split()
        if len(f) == 2 and f[0].isdigit() and f[1] != "total":
            out[f[1]] = out.get(f[1], 0) + int(f[0])
    return out


class Counter:
    """One tool: wrap(argv, path) is argv counted into path, parse(path)
    reads it back; start() and stop() bracket the audit."""

    def __init__(self, tool):
        if tool not in TOOLS:
            raise ValueError(tool)
        self.tool = tool          # "perf" or "strace"
        self.holder = None        # perf: the process keeping the tracepoints registered
        self.preexec_fn = None    # run in every child of ours before it starts (start())

    def wrap(self, argv, path):
        """argv run under the tool, its counts written to path; the command's
        stdout, stderr and exit status pass through."""
        if self.tool == "perf":
            return ["perf", "stat", "-x,", "--no-big-num", "-o", path, "-e", PERF_EVENTS,
                    "--"] + list(argv)
        return ["strace", "-f", "-c", "-U", "calls,name", "-o", path, "--"] + list(argv)

    def parse(self, path):
        """{syscall: calls} from a file wrap() had written; {} if none."""
        try:
            with open(path, errors="replace") as f:
                text = f.read()
        except OSError:
            return {}
        return parse_perf(text) if self.tool == "perf" else parse_strace(text)

    def start(self, preexec_fn=None):
        """perf: start the holder (see the module's comment); strace: nothing.
        preexec_fn is kept for the probe's child too."""
        self.preexec_fn = preexec_fn
        if self.tool == "perf" and self.holder is None:
            self.holder = subprocess.Popen(
                ["perf", "stat", "-x,", "-o", os.devnull, "-e", PERF_EVENTS, "--"] + HOLDER_ARGV,
                stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                start_new_session=True, preexec_fn=preexec_fn)

    def stop(self):
        """End the holder, if any: its pipe closed (its cat ends, then perf),
        and if it lingers its whole process group signalled; waited for."""
        if self.holder is not None:
            try:
                self.holder.stdin.close()
                self.holder.wait(timeout=STOP_GRACE_S)
                self.holder = None
                return
            except (OSError, subprocess.TimeoutExpired):
                pass
            for sig in (signal.SIGTERM, signal.SIGKILL):
                try:
                    os.killpg(self.holder.pid, sig)
                except ProcessLookupError:
                    pass
                try:
                    self.holder.wait(timeout=STOP_GRACE_S)
                    break
                except subprocess.TimeoutExpired:
                    continue
            self.holder = None

    def probe(self):
        """None when the tool counts here (a tiny command's calls are seen),
        else why not, in a few words."""
        if shutil.which(self.tool) is None:
            return "not installed"
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "counts")
            try:
                p = subprocess.run(self.wrap(PROBE_ARGV, path), capture_output=True,
                                   text=True, timeout=PROBE_TIMEOUT_S,
                                   preexec_fn=self.preexec_fn)
            except (OSError, subprocess.TimeoutExpired) as e:
                return str(e)
            counts = self.parse(path)
            if p.returncode != 0 or not sum(counts.values()):
                said = (p.stderr.strip().splitlines() or ["no call counted"])[-1]
                return "%s (exit %d)" % (said[:160], p.returncode)
        return None


def pick(wanted=None, preexec_fn=None):
    """A started Counter: the one named by `wanted` (or TVSA_AUDIT_TOOL), else
    the first of TOOLS that counts here.  Raises Unusable naming every tool
    tried and why it cannot, or ValueError for a name not in TOOLS."""
    wanted = wanted if wanted is not None else os.environ.get(TOOL_ENV, "")
    if wanted and wanted not in TOOLS:
        raise ValueError("%s=%s: one of %s" % (TOOL_ENV, wanted, ", ".join(TOOLS)))
    why = []
    for tool in ([wanted] if wanted else TOOLS):
        c = Counter(tool)
        c.start(preexec_fn)   # perf: registering now, while the probe waits for it too
        try:
            bad = c.probe()
        except BaseException:  # an interrupt meanwhile: the holder goes with it
            c.stop()
            raise
        if bad is None:
            return c
        c.stop()
        why.append("%s: %s" % (tool, bad))
    raise Unusable("; ".join(why))
