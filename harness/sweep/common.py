"""common.py - what every part of the sweep shares: settings, parsing, writing.

A leaf module: it imports nothing of this project, so any module may import it
and no import cycle can pass through it.

Settings that the environment may override (TVSA_RUN_TIMEOUT_S, TVSA_BIN) are
read here, at call time, by run_timeout_s() and bin_dir(): there is no module
global to set, so no copy of a module can hold a stale value (the closed-loop
sweep once set its own copy and the open-loop sweep read another's default).
"""

import argparse
import csv
import io
import os
import re
import statistics
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

RUN_TIMEOUT_S = 120     # per model run (passed as --timeout-s)
RUN_TIMEOUT_ENV = "TVSA_RUN_TIMEOUT_S"  # overrides it (1..86400): lets a test see a
                                        # hung run recorded as failed in seconds
RUN_TIMEOUT_MAX_S = 86400
BIN_ENV = "TVSA_BIN"    # the model binaries' folder (default ROOT/bin): another build
MAX_LEVEL = 1_000_000   # largest concurrency accepted on the command line
PIN_CHOICES = ("split", "none")  # PIN=split: the backend on its own CPU(s), the model on
                                 # the rest; none (or empty): today's unpinned placement
TIMER_SLACK_MAX_NS = 1_000_000_000  # TIMER_SLACK_NS: at most one second (the binaries'
                                    # --timer-slack-ns range)
PIN_BACKEND_CPUS = 1    # CPUs the runner gives its backend under --pin split (the
                        # highest-numbered allowed ones; the backend is one thread)

# The run folder in hand, once made: a failed write (a full disk) cleans it up.
CURRENT = {"run_dir": None}


class UsageError(Exception):
    """Bad sweep parameters: one line on stderr, exit 2, nothing written."""


class Interrupted(Exception):
    """SIGINT or SIGTERM arrived."""


def run_timeout_s():
    """The per-run timeout in seconds: TVSA_RUN_TIMEOUT_S when set, else
    RUN_TIMEOUT_S.  Raises UsageError on a value that is not 1..86400."""
    text = os.environ.get(RUN_TIMEOUT_ENV)
    if text is None:
        return RUN_TIMEOUT_S
    return whole(text, RUN_TIMEOUT_ENV, 1, RUN_TIMEOUT_MAX_S)


def bin_dir():
    """The folder of bin/threads, bin/async, bin/calibrate: TVSA_BIN or ROOT/bin."""
    return os.environ.get(BIN_ENV) or os.path.join(ROOT, "bin")


def add_shared_options(ap):
    """The options both sweeps take, on the argparse parser ap."""
    ap.add_argument("--quick", action="store_true", help="a small sweep (< 1 min)")
    ap.add_argument("--models", help="comma-separated models (harness/models.def)")
    ap.add_argument("--quiet", action="store_true", help="only errors and the final line")
    ap.add_argument("--pin", help="CPU placement: split (backend on its own CPU, model on "
                    "the rest) or none (default)")
    ap.add_argument("--backend", help="HOST:PORT of a bin/backend on another host, for the "
                    "pairs that use a backend (default: each run starts its own on loopback)")
    ap.add_argument("--timer-slack-ns", help="every model run's timer slack in ns, 1..%d "
                    "(default: none given, each run inherits the platform's)"
                    % TIMER_SLACK_MAX_NS)
    ap.add_argument("--no-report", action="store_true", help=argparse.SUPPRESS)


def say(msg, quiet=False):
    """Progress for people: stderr, never stdout."""
    if not quiet:
        print(msg, file=sys.stderr, flush=True)


def colour(text, code):
    """ANSI colour only when stderr is a terminal."""
    if sys.stderr.isatty() and not os.environ.get("NO_COLOR"):
        return "\033[%sm%s\033[0m" % (code, text)
    return text


def write_csv(path, columns, rows):
    """rows (dicts) as CSV under the header columns, each cell fmt(),
    atomically (write_atomic): every table a sweep writes."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(columns)
    for r in rows:
        w.writerow([fmt(r.get(k)) for k in columns])
    write_atomic(path, buf.getvalue())


def write_atomic(path, data):
    """Write data (str) to path via a temporary file and rename.  On failure
    (a full disk: OSError; Ctrl-C: Interrupted, KeyboardInterrupt) the
    temporary file is removed and the error raised: path keeps its previous
    whole content, or stays absent."""
    tmp = "%s.tmp.%d" % (path, os.getpid())
    try:
        with open(tmp, "w") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def parse_list(text, what, convert):
    """A comma-separated list: no empty items, no duplicates."""
    if text is None:
        return None
    items = [s.strip() for s in text.split(",")]
    if not text.strip() or any(not s for s in items):
        raise UsageError("%s: empty item in '%s'" % (what, text))
    out = [convert(s) for s in items]
    dup = sorted({x for x in out if out.count(x) > 1})
    if dup:
        raise UsageError("%s: %s given twice" % (what, dup[0]))
    return out


def parse_level(s):
    """One concurrency level: a whole number 1..MAX_LEVEL."""
    if not re.fullmatch(r"[0-9]+", s):
        raise UsageError("CONCURRENCY: '%s' is not a whole number" % s)
    v = int(s)
    if v < 1 or v > MAX_LEVEL:
        raise UsageError("CONCURRENCY: %d is out of range 1..%d" % (v, MAX_LEVEL))
    return v


def whole(text, what, lo, hi):
    """A whole number lo..hi given as text, else UsageError naming what."""
    if not re.fullmatch(r"[0-9]+", text) or not lo <= int(text) <= hi:
        raise UsageError("%s: '%s' must be a whole number %d..%d" % (what, text, lo, hi))
    return int(text)


def parse_timer_slack(text):
    """TIMER_SLACK_NS: None (not given: every run inherits the platform's
    slack, changing nothing) or a whole number of ns, the same for every
    model (the binaries' --timer-slack-ns).  UsageError on anything else."""
    if text is None:
        return None
    return whole(text.strip(), "TIMER_SLACK_NS", 1, TIMER_SLACK_MAX_NS)


def inherited_timer_slack_ns():
    """The timer slack this process has, which model runs inherit when no
    TIMER_SLACK_NS is given (/proc/self/timerslack_ns, Linux 4.6+), or None."""
    try:
        with open("/proc/self/timerslack_ns") as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return None


def parse_pin(text):
    """PIN: "split", or None for none/empty (the default placement)."""
    if text is None or text.strip() in ("", "none"):
        return None
    if text.strip() not in PIN_CHOICES:
        raise UsageError("PIN: '%s' must be split or none" % text)
    if len(os.sched_getaffinity(0)) < 1 + PIN_BACKEND_CPUS:
        raise UsageError("PIN=split: needs %d CPUs, this process may use %d"
                         % (1 + PIN_BACKEND_CPUS, len(os.sched_getaffinity(0))))
    return "split"


def pick(wanted_text, known, what):
    """The entries of known (dicts with "name") that a comma-separated
    WANTED_TEXT names, in known's order; all of known when it is None.
    Raises UsageError naming an unknown one."""
    wanted = parse_list(wanted_text, what, str)
    if not wanted:
        return list(known)
    names = [k["name"] for k in known]
    for w in wanted:
        if w not in names:
            raise UsageError("%s: unknown %s '%s' (known: %s)" % (
                what, "model" if what == "MODELS" else "workload", w, ", ".join(names)))
    return [k for k in known if k["name"] in wanted]


def rel(path):
    """path relative to the project root, for people."""
    return os.path.relpath(path, ROOT)


def last_line(text):
    """The last non-empty line of text, stripped."""
    lines = [l.strip() for l in (text or "").splitlines() if l.strip()]
    return lines[-1] if lines else ""


def median(xs):
    return statistics.median(xs) if xs else None


def cv(xs):
    """Coefficient of variation (population), 0 for fewer than two values."""
    if len(xs) < 2 or statistics.mean(xs) == 0:
        return 0.0
    return statistics.pstdev(xs) / statistics.mean(xs)


def fmt(v):
    """A CSV cell: empty for None, compact for floats."""
    if v is None:
        return ""
    if isinstance(v, float):
        return "%.6g" % v
    return str(v)


def human(v):
    """12.3k-style numbers for progress lines."""
    for div, suffix in ((1e6, "M"), (1e3, "k")):
        if abs(v) >= div:
            return "%.3g%s" % (v / div, suffix)
    return "%.3g" % v


def duration(s):
    s = int(s)
    return "%dm%02ds" % (s // 60, s % 60) if s >= 60 else "%ds" % s
