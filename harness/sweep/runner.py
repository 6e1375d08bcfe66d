"""runner.py - child processes of a sweep, and the command line of a model run.

Every child (hyperfine, a model, bin/calibrate) runs in a process group of its
own, so an interrupt or a timeout kills a whole point at once (hyperfine, the
model, its backend), and dies with the sweep even when the sweep is SIGKILLed.
model_argv() turns a registry model (harness/models.def) into its command line;
hyperfine_round() runs one round of a point (each model once) under hyperfine,
hyperfine_runs() repeats one command (the open-loop points).  Timeouts come from
common.run_timeout_s() at call time, so TVSA_RUN_TIMEOUT_S reaches every sweep.
"""

import ctypes
import json
import os
import re
import shlex
import shutil
import signal
import subprocess

from . import common, models

TOOLS = ("hyperfine", "taskset")  # commands a sweep runs, checked on PATH before it starts
PR_SET_PDEATHSIG = 1    # prctl(2): a signal for us when our parent dies
KILL_GRACE_S = 10       # the runner's own timeout is the model's --timeout-s plus this
STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}  # the sweep's interrupts


class Runner:
    """Runs child processes in their own process group, so that an interrupt
    can kill a whole point (hyperfine, the model, its backend) at once."""

    def __init__(self):
        self.child = None

    def run(self, argv, timeout):
        """(returncode, stdout, stderr); kills the group on timeout.  SIGINT and
        SIGTERM wait while the child is started, so the sweep's handler always
        finds it in self.child to kill (else a child started in that window
        outlived the interrupt and could write into the run folder after its
        clean-up); the child gets the signal mask the sweep had."""
        old = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
        try:
            self.child = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                          text=True, start_new_session=True,
                                          preexec_fn=lambda: child_dies_with_us(old))
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, old)
        try:
            out, err = self.child.communicate(timeout=timeout)
            return self.child.returncode, out, err
        except subprocess.TimeoutExpired:
            self.kill()
            out, err = self.child.communicate()
            return None, out, err + "\ntimed out after %.0f s" % timeout
        finally:
            self.child = None

    def kill(self):
        """SIGKILL the child's process group, if any."""
        if self.child is not None:
            try:
                os.killpg(self.child.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def stop_on_signals(runner):
    """From now on SIGINT and SIGTERM kill runner's child (its process group:
    the point in hand) and raise common.Interrupted in the sweep.  Once is
    enough: a second signal (Ctrl-C twice; make forwarding SIGTERM to us on
    top of the group's) is ignored, so it cannot interrupt the clean-up."""
    def on_signal(sig, frame):
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        runner.kill()
        raise common.Interrupted()
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)


def die_with_parent():
    """Ask for SIGTERM when our parent dies (make killed, its shell gone), so
    the sweep stops as on Ctrl-C: the point in hand killed, latest unmoved.
    Linux prctl(PR_SET_PDEATHSIG) through ctypes; elsewhere nothing.  If the
    parent died before the request took effect, raise SIGTERM now."""
    parent = os.getppid()
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) != 0:
            return
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:
        os.kill(os.getpid(), signal.SIGTERM)


def child_dies_with_us(mask=None):
    """preexec_fn of every child (hyperfine, a model, bin/calibrate): SIGKILL
    when the sweep dies, even by SIGKILL, so nothing of a point outlives it;
    mask: the signal mask to run with (Runner.run blocks SIGINT and SIGTERM
    around the start)."""
    if mask is not None:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
    try:
        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def need_tools():
    """Every command the sweep runs is on PATH, else UsageError naming it."""
    missing = [t for t in TOOLS if shutil.which(t) is None]
    if missing:
        raise common.UsageError("%s not found on PATH (scripts/deps.sh installs what is missing)"
                                % ", ".join(missing))


def failure_reason(err, stats):
    """Why a run failed: the model's own reason, else its last stderr line.
    hyperfine hides a counted run's stderr, so its own words are turned into
    the cause: every exit 3 of a model writes a stats line (used above)
    except the --timeout-s one."""
    if stats and stats.get("reason"):
        return stats["reason"]
    line = common.last_line(err)
    m = re.match(r"Error: Command terminated with non-zero exit code: (\d+)", line)
    if m:
        code = int(m.group(1))
        return ("a counted run timed out (--timeout-s %d)" % common.run_timeout_s() if code == 3
                else "a counted run could not start (exit %d: the dynamic loader or the shell "
                "failed; run the point's command by hand to see why)" % code if code in (126, 127)
                else "a counted run exited %d with no stats line" % code)
    if line.startswith("Error: The process has been terminated by a signal"):
        return "a counted run was killed by a signal (crash or out of memory?)"
    if "error while loading shared libraries" in line:
        # The binary never reached main(): say why in words (Error 24 is EMFILE).
        return "the binary could not start: %s%s" % (
            line.split(": ", 1)[-1],
            " (too few file descriptors to load its libraries: RLIMIT_NOFILE)"
            if "Error 24" in line else "")
    return re.sub(r"^\S+: \S+ -c \d+: run failed: ", "", line) or "unknown failure"


def local_peer(pair, backend):
    """Whether a run of pair starts a peer of its own on this host: its
    bin/backend (unless BACKEND= names one on another host) or its
    redis-server.  Those are the runs --pin split splits (runner.c)."""
    if pair["needs_backend"]:
        return backend is None
    return pair.get("peer", "none") != "none"


def model_cpus(pin, has_local_peer):
    """CPUs a model run may use: every online CPU (unpinned, today's default),
    or under PIN=split for a run with a peer of its own on this host the
    allowed CPUs less the PIN_BACKEND_CPUS the runner gives that peer, and
    under "one" (the one-CPU section, onecpu.py) one.  A model's {cores} and
    {loops} flags (models.def) are sized from it, so no model is handed more
    CPUs than it has."""
    if pin == "one":
        return 1
    if pin == "split" and has_local_peer:
        return max(1, len(os.sched_getaffinity(0)) - common.PIN_BACKEND_CPUS)
    return os.cpu_count() or 1


def model_argv(model, pair, c, n, extra_runs_file=None, pin=None, backend=None, hist_file=None,
               slack=None):
    """The command line of one run of model (a models.load() entry) on pair
    (a registry.pairs() entry) at c with n tasks; pin: PIN ("split" or "one"
    passes --pin to the model, which places itself and its backend); backend:
    BACKEND's HOST:PORT, passed to the pairs that use a backend (the others
    run as without it); hist_file: --hist-out, each run's latency histogram;
    slack: TIMER_SLACK_NS, passed to every model alike (None: none given, the
    run inherits the platform's)."""
    argv = [os.path.join(common.bin_dir(), model["binary"]), pair.get("run_as", pair["name"]),
            "-c", str(c), "-n", str(n), "--timeout-s", str(common.run_timeout_s())]
    argv += pair.get("argv") or []
    argv += models.flags_argv(model, c, model_cpus(pin, local_peer(pair, backend)))
    if pin in ("split", "one"):
        argv += ["--pin", pin]
    if slack is not None:
        argv += ["--timer-slack-ns", str(slack)]
    if backend and pair["needs_backend"]:
        argv += ["--backend", backend]
    if extra_runs_file:
        argv += ["--stats-out", extra_runs_file]
    if hist_file:
        argv += ["--hist-out", hist_file]
    return argv


def quoted(argv):
    """A command line as a shell would take it, for meta.json."""
    return " ".join(shlex.quote(a) for a in argv)


def run_json(runner, meta, argv):
    """Run argv (a model run with --json) once, recording it in meta.json's
    commands: (rc, its stats line as a dict or None, stderr)."""
    meta["commands"].append(quoted(argv))
    timeout = common.run_timeout_s()
    rc, out, err = runner.run(argv, timeout + KILL_GRACE_S)
    stats = None
    try:
        stats = json.loads(out.strip().splitlines()[-1]) if out.strip() else None
    except ValueError:
        pass
    return rc, stats if isinstance(stats, dict) else None, err


def hyperfine_round(runner, meta, cmds, export_json):
    """One round of a point: hyperfine runs each command of cmds [(tag,
    argv)] once, in that order (--runs 1, -i: a run that fails does not stop
    the round; its exit code is in the export).  Returns (rc, out, err,
    {tag: (exit code or None, wall seconds or None)}): None for a command
    the export does not list (hyperfine killed or timed out)."""
    hf_argv = ["hyperfine", "-N", "--style", "basic", "--runs", "1", "-i",
               "--export-json", export_json]
    for tag, argv in cmds:
        hf_argv += ["--command-name", tag, quoted(argv)]
    meta["commands"].append(quoted(hf_argv))
    rc, out, err = runner.run(hf_argv, len(cmds) * (common.run_timeout_s() + KILL_GRACE_S))
    got = {tag: (None, None) for tag, _ in cmds}
    try:
        with open(export_json) as f:
            for res in json.load(f)["results"]:
                codes, times = res.get("exit_codes") or [None], res.get("times") or [None]
                if res.get("command") in got:
                    got[res["command"]] = (codes[0], times[0])
    except (OSError, ValueError, KeyError, TypeError):
        pass
    finally:
        if os.path.exists(export_json):
            os.unlink(export_json)
    return rc, out, err, got


def read_stats(stats_file):
    """The JSON lines of a stats file (--stats-out), a damaged line skipped."""
    lines = []
    if os.path.exists(stats_file):
        with open(stats_file) as f:
            for line in f:
                try:
                    lines.append(json.loads(line))
                except ValueError:
                    pass  # a run killed mid-write; O_APPEND makes this rare
    return lines


def hyperfine_runs(runner, meta, tag, argv, stats_file, runs, warmup, export_json=None):
    """hyperfine runs `argv` (which appends a JSON line per run to
    stats_file) warmup + runs times: (rc, out, err, the stats lines)."""
    hf_argv = ["hyperfine", "-N", "--style", "basic", "--warmup", str(warmup),
               "--runs", str(runs), "--command-name", tag]
    hf_argv += ["--export-json", export_json] if export_json else []
    hf_argv.append(quoted(argv))
    meta["commands"].append(quoted(hf_argv))
    rc, out, err = runner.run(hf_argv, (warmup + runs) * (common.run_timeout_s() + KILL_GRACE_S))
    return rc, out, err, read_stats(stats_file)
