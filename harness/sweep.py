#!/usr/bin/env python3
"""sweep.py - `make bench`: every registered pair, every model, every level.

For each (workload, model, concurrency) point: a pilot run sizes the task
count so one run takes about TARGET_S; hyperfine then runs a warm-up and
RUNS counted runs, each of which appends its own JSON stats line; the two are
merged into one row of results.csv (medians, min/max, spread).  The models
of one (workload, c) run back to back, their order rotated by one from one
point to the next (point_order), so drift on a shared machine falls on every
model alike; results.csv keeps its workload, model, concurrency order.  A run that
fails (exit 3: a resource ran out) becomes a row with status=failed and its
reason, and the sweep goes on.

Integrity: results.csv and every other file are written to a temporary name
and renamed, after every point, so a crash loses at most the point in hand;
meta.json says complete=false until the end; results/latest moves only to a
complete run.  Ctrl-C or SIGTERM kills the point in hand (its process group,
backend included) and says where the partial data is.

Nothing here names a workload: the list and kinds come from `bin/threads
--list -v`, i.e. from workloads/workloads.def.

Calibration: before the first point, bin/calibrate measures the machine's
floor into calibration.csv (thread create, wake-up, loopback TCP round trip,
libevent dispatch and timer cost, RSS per thread and per event, one cpu_hash
round, hist_record); then two direct runs at c=1 and delay 0 of the pair
that is a bare backend round trip (needs a backend, no CPU work: io_backend)
on threads and async go to floor_runs.jsonl.  The report sets the results
against both.  A failure there is said on stderr and recorded in meta.json;
the sweep goes on without the file.
"""

import argparse
import csv
import ctypes
import datetime
import glob
import hashlib
import io
import json
import os
import platform
import re
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "bin")

LEVELS = {  # default concurrency levels by workload kind
    "cpu": [1, 2, 4, 16, 64, 256, 1024],
    "io": [1, 4, 16, 64, 256, 1024, 4096, 10000],
}
QUICK_LEVELS = {"cpu": [1, 2, 16], "io": [1, 16, 256]}
TARGET_S = 0.4          # aim for one run to take this long
QUICK_TARGET_S = 0.08   # ... in a QUICK sweep
PILOT_MIN_TASKS = 200   # a pilot runs at least this many tasks
PILOT_TASKS_PER_SLOT = 2  # ... and this many per slot; the same for every model,
                          # so the pilots' checksums prove equal work
MIN_TASKS_PER_SLOT = 5  # every slot gets at least this many tasks: a closed run
                        # reports its steady window (harness/dispatch.h), which
                        # needs 5 (mixed at c = 10,000 does 4-7k tasks/s: 7-13 s)
WANT_TASKS_PER_SLOT = 20  # and this many where the time cap allows
MAX_RUN_S = 1.5         # ... the time cap for that
STEADY_TASKS_PER_SLOT = 50  # and this many within a longer cap: a run whose slots turn
STEADY_MAX_RUN_S = 5.0      # over too slowly for a window (io_sleep threads at c = 10,000
                            # starve some threads for 0.6 s) carries its drain: Little's
                            # law at 0.96 with 20 tasks per slot, 0.99 with 50
MAX_TASKS = 50_000_000  # never more than this per run
RUN_TIMEOUT_S = 120     # per model run (passed as --timeout-s)
RUN_TIMEOUT_ENV = "TVSA_RUN_TIMEOUT_S"  # overrides it (1..86400): lets a test see a
                                        # hung run recorded as failed in seconds
WARMUP = 1              # hyperfine warm-up runs
DEFAULT_RUNS = 3        # counted runs per point
NOISY_CV = 0.10         # a point whose throughput spread is above this is noisy
NOISY_OUTLIER_CV = 0.05  # hyperfine's outlier warning (about the whole process's wall
NOISY_SPREAD = 0.20      # time, set-up included) flags a point only when our own figure
                         # moved too: throughput cv above NOISY_OUTLIER_CV, or its
                         # min..max spread above NOISY_SPREAD of the median
PIN_CHOICES = ("split", "none")  # PIN=split: the backend on its own CPU(s), the model on
                                 # the rest; none (or empty): today's unpinned placement
PIN_BACKEND_CPUS = 1    # CPUs the runner gives its backend under --pin split (the
                        # highest-numbered allowed ones; the backend is one thread)
MAX_LEVEL = 1_000_000   # largest concurrency accepted on the command line
RSS_PER_TASK_MIN_C = 64  # below, (RSS(c) - RSS(1)) / (c - 1) is page-level noise
CALIBRATION_CSV = "calibration.csv"  # bin/calibrate's output in the run folder
CALIBRATE_TIMEOUT_S = 60  # bin/calibrate takes ~3 s (--quick < 1 s); past this it hung
FLOOR_RUNS_JSONL = "floor_runs.jsonl"  # the direct runs at c=1, delay 0
FLOOR_TASKS = 20000     # tasks of each floor run (~0.2-1 s at tens of us per task)
QUICK_FLOOR_TASKS = 5000  # ... in a QUICK sweep
FLOOR_MODELS = ("threads", "async")  # binaries of the floor runs, plain (no --loops)
TOOLS = ("hyperfine", "taskset")  # commands a sweep runs, checked on PATH before it starts
PR_SET_PDEATHSIG = 1    # prctl(2): a signal for us when our parent dies

COLUMNS = [
    "workload", "model", "concurrency", "status", "reason", "tasks", "window_tasks", "runs",
    "work", "delay_us",
    "throughput", "throughput_min", "throughput_max", "throughput_cv",
    "p50_us", "p50_us_min", "p50_us_max", "p90_us",
    "p99_us", "p99_us_min", "p99_us_max", "p999_us", "max_us", "mean_us",
    "maxrss_kib", "maxrss_kib_min", "maxrss_kib_max", "rss_per_task_kib",
    "kmem_kib", "kmem_per_task_kib", "mem_per_task_kib", "mem_source",
    "threads", "utime_s", "stime_s", "vcsw", "ivcsw", "wall_s",
    "setup_s", "setup_cpu_s", "teardown_s", "teardown_cpu_s",
    "backend_cpu_s", "backend_vcsw", "backend_ivcsw", "backend_util", "placement",
    "hf_mean_s", "hf_stddev_s", "hf_median_s", "hf_min_s", "hf_max_s",
    "cv", "noisy", "outliers", "littles_ratio", "checksum", "errors",
    "verify_tasks", "verify_checksum",
]


class UsageError(Exception):
    """Bad sweep parameters: one line on stderr, exit 2, nothing written."""


class Interrupted(Exception):
    """SIGINT or SIGTERM arrived."""


def say(msg, quiet=False):
    """Progress for people: stderr, never stdout."""
    if not quiet:
        print(msg, file=sys.stderr, flush=True)


def colour(text, code):
    """ANSI colour only when stderr is a terminal."""
    if sys.stderr.isatty() and not os.environ.get("NO_COLOR"):
        return "\033[%sm%s\033[0m" % (code, text)
    return text


def write_atomic(path, data):
    """Write data (str) to path via a temporary file and rename.  On failure
    (a full disk: OSError) the temporary file is removed and the error raised:
    path keeps its previous whole content, or stays absent."""
    tmp = "%s.tmp.%d" % (path, os.getpid())
    try:
        with open(tmp, "w") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def make_run_dir(results, stamp, prefix=""):
    """A new folder results/PREFIX+STAMP[-N] of our own: os.mkdir either makes
    it or fails, so two sweeps started in the same second never share one
    (a check for an existing folder and a later create would race).
    Returns its path."""
    suffix = 1
    while True:
        name = prefix + stamp + ("" if suffix == 1 else "-%d" % suffix)
        path = os.path.join(results, name)
        try:
            os.mkdir(path)
            return path
        except FileExistsError:
            suffix += 1


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


def child_dies_with_us():
    """preexec_fn of every child (hyperfine, a model, bin/calibrate): SIGKILL
    when the sweep dies, even by SIGKILL, so nothing of a point outlives it."""
    try:
        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def need_tools():
    """Every command the sweep runs is on PATH, else UsageError naming it."""
    missing = [t for t in TOOLS if shutil.which(t) is None]
    if missing:
        raise UsageError("%s not found on PATH (scripts/deps.sh installs what is missing)"
                         % ", ".join(missing))


def results_seal(csv_path):
    """{"rows", "sha256"} of a whole results.csv, for meta.json: a loader
    (scripts/runcheck.py) refuses a file that no longer matches it."""
    with open(csv_path, "rb") as f:
        data = f.read()
    rows = max(0, len(list(csv.reader(io.StringIO(data.decode("utf-8"))))) - 1)
    return {"rows": rows, "sha256": hashlib.sha256(data).hexdigest()}


def write_failed(who, err, run_dir):
    """A write under the results folder failed (a full disk): one line on
    stderr, the temporary files removed; the caller exits 3."""
    if run_dir:
        remove_tmp(run_dir)
    where = getattr(err, "filename", None)
    print("%s: cannot write results: %s%s; the run%s is incomplete, latest unchanged" % (
        who, "%s: " % rel(where) if isinstance(where, str) else "", err.strerror or err,
        " in %s" % rel(run_dir) if run_dir else ""), file=sys.stderr)


def remove_tmp(run_dir):
    """After an interrupt: drop the half-written temporary files (write_atomic's,
    hyperfine's export of the killed point), so the folder holds only whole ones."""
    for sub in ("", "stats", "hyperfine"):
        for name in glob.glob(os.path.join(run_dir, sub, "*.tmp*")):
            try:
                os.unlink(name)
            except OSError:
                pass


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


def registry():
    """[{name, kind, summary, work, delay_us, needs_backend, ...}] from
    bin/threads --list -v: name and kind, KEY=VALUE fields, the summary last."""
    out = subprocess.run([os.path.join(BIN, "threads"), "--list", "-v"],
                         check=True, capture_output=True, text=True).stdout
    pairs = []
    for line in out.splitlines():
        f = line.split("\t")
        kv = dict(x.split("=", 1) for x in f[2:-1])
        pairs.append({
            "name": f[0], "kind": f[1], "summary": f[-1],
            "work": int(kv["work"]), "delay_us": int(kv["delay_us"]),
            "needs_backend": kv["backend"] == "yes",
            "peer": kv.get("peer", "none"), "opts": kv.get("opts", "none"),
            "max_c": int(kv.get("max_c", 0)), "floor": kv.get("floor", "none"),
            "claims": kv.get("claims", "none"),
        })
    return pairs


def command_output(argv):
    """First line a tool prints about itself, or None."""
    try:
        p = subprocess.run(argv, capture_output=True, text=True, timeout=10)
        text = (p.stdout or p.stderr).strip().splitlines()
        return text[0] if text else None
    except (OSError, subprocess.SubprocessError):
        return None


def read_first(path, pattern=None):
    """A line of a /proc or /sys file (the first matching pattern), or None."""
    try:
        with open(path) as f:
            for line in f:
                if pattern is None or line.startswith(pattern):
                    return line.split(":", 1)[-1].strip() if pattern else line.strip()
    except OSError:
        pass
    return None


def provenance(args, pairs, levels, argv):
    """Where the numbers come from: meta.json contents."""
    git = {"commit": None, "dirty": None}
    try:
        git["commit"] = subprocess.run(["git", "-C", ROOT, "rev-parse", "HEAD"],
                                       capture_output=True, text=True).stdout.strip() or None
        st = subprocess.run(["git", "-C", ROOT, "status", "--porcelain"],
                            capture_output=True, text=True).stdout
        git["dirty"] = bool(st.strip())
    except OSError:
        pass
    mem = read_first("/proc/meminfo", "MemTotal")
    return {
        "run_id": args.run_id,
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "complete": False,
        "git": git,
        "host": {
            "cpu_model": read_first("/proc/cpuinfo", "model name"),
            "cores": os.cpu_count(),
            "kernel": platform.release(),
            "governor": read_first("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor"),
            "mem_total_kib": int(mem.split()[0]) if mem else None,
        },
        "build": {
            "compiler": command_output([os.environ.get("CC", "cc"), "--version"]),
            "cflags": os.environ.get("BENCH_CFLAGS"),
        },
        "versions": {
            "libevent": command_output(["pkg-config", "--modversion", "libevent"]),
            "hyperfine": command_output(["hyperfine", "--version"]),
            "gnuplot": command_output(["gnuplot", "--version"]),
            "python": platform.python_version(),
        },
        "params": {
            "quick": args.quick, "runs": args.runs, "warmup": WARMUP,
            "target_s": args.target_s, "run_timeout_s": RUN_TIMEOUT_S,
            "workloads": [p["name"] for p in pairs],
            "concurrency": {p["name"]: levels[p["name"]] for p in pairs},
            "models": [m["name"] for m in args.models],
            "placement": placement(getattr(args, "pin", None)),
            "order": ("models interleaved: the models of one (workload, c) back to back, "
                      "their order rotated by one from one (workload, c) to the next"),
        },
        "workloads": {p["name"]: {k: p[k] for k in ("kind", "summary", "work", "delay_us",
                                                  "needs_backend")} for p in pairs},
        "models": [m["name"] for m in args.models],
        "sweep_command": argv,
        "commands": [],
    }


class Runner:
    """Runs child processes in their own process group, so that an interrupt
    can kill a whole point (hyperfine, the model, its backend) at once."""

    def __init__(self):
        self.child = None

    def run(self, argv, timeout):
        """(returncode, stdout, stderr); kills the group on timeout."""
        self.child = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                      text=True, start_new_session=True,
                                      preexec_fn=child_dies_with_us)
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


def last_line(text):
    """The last non-empty line of text, stripped."""
    lines = [l.strip() for l in (text or "").splitlines() if l.strip()]
    return lines[-1] if lines else ""


def failure_reason(err, stats):
    """Why a run failed: the model's own reason, else its last stderr line.
    hyperfine hides a counted run's stderr, so its own words are turned into
    the cause: every exit 3 of a model writes a stats line (used above)
    except the --timeout-s one."""
    if stats and stats.get("reason"):
        return stats["reason"]
    line = last_line(err)
    m = re.match(r"Error: Command terminated with non-zero exit code: (\d+)", line)
    if m:
        code = int(m.group(1))
        return ("a counted run timed out (--timeout-s %d)" % RUN_TIMEOUT_S if code == 3
                else "a counted run exited %d with no stats line" % code)
    if line.startswith("Error: The process has been terminated by a signal"):
        return "a counted run was killed by a signal (crash or out of memory?)"
    return re.sub(r"^\S+: \S+ -c \d+: run failed: ", "", line) or "unknown failure"


def model_cpus(pin, needs_backend):
    """CPUs a model run may use: every online CPU (unpinned, today's default),
    or under PIN=split for a pair with a backend the allowed CPUs less the
    PIN_BACKEND_CPUS the runner gives its backend.  async-mt's loops and
    hybrid's workers are sized from it, so no model is handed more CPUs
    than it has."""
    if pin == "split" and needs_backend:
        return max(1, len(os.sched_getaffinity(0)) - PIN_BACKEND_CPUS)
    return os.cpu_count() or 1


def model_argv(model, pair, c, n, extra_runs_file=None, pin=None):
    """The command line of one model run of pair (a registry() entry) at c;
    pin: PIN ("split" passes --pin split to the model, which places itself
    and its backend)."""
    argv = [os.path.join(BIN, model["binary"]), pair["name"], "-c", str(c), "-n", str(n),
            "--timeout-s", str(RUN_TIMEOUT_S)]
    argv += model["args"](c, model_cpus(pin, pair["needs_backend"]))
    if pin == "split":
        argv += ["--pin", "split"]
    if extra_runs_file:
        argv += ["--stats-out", extra_runs_file]
    return argv


def point_order(pairs, models, levels):
    """The sweep's points [(pair, model, c)] in the order they run: for each
    workload and level, every model back to back, the models' order rotated
    by one from one (workload, c) to the next.  Why: on a shared machine the
    load drifts over minutes; run model by model, the drift would fall on
    whichever model ran then, and look like a difference between models."""
    out, k = [], 0
    for pair in pairs:
        for c in levels[pair["name"]]:
            out += [(pair, models[(k + j) % len(models)], c) for j in range(len(models))]
            k += 1
    return out


def csv_order(rows, pairs, models):
    """rows sorted as results.csv has always listed them (workload, model,
    concurrency), whatever order the points ran in."""
    wi = {p["name"]: i for i, p in enumerate(pairs)}
    mi = {m["name"]: i for i, m in enumerate(models)}
    return sorted(rows, key=lambda r: (wi.get(r["workload"], len(wi)),
                                       mi.get(r["model"], len(mi)), r["concurrency"]))


def noisy_flag(row):
    """1 when a point's figure is not to be trusted to NOISY_CV: its
    throughput cv is over NOISY_CV, or hyperfine saw outliers and they moved
    our figure (cv over NOISY_OUTLIER_CV or min..max over NOISY_SPREAD of the
    median).  hyperfine times the whole process, set-up included, so its
    warning alone says nothing about the clocked window."""
    cv_ = row.get("cv") or 0.0
    if cv_ > NOISY_CV:
        return 1
    thr, lo, hi = (row.get(k) for k in ("throughput", "throughput_min", "throughput_max"))
    spread = (hi - lo) / thr if thr and lo is not None and hi is not None else 0.0
    return 1 if row.get("outliers") and (cv_ > NOISY_OUTLIER_CV or spread > NOISY_SPREAD) else 0


def noisy_why(row):
    """Why a noisy point is flagged, for the progress line."""
    why = []
    if (row.get("cv") or 0) > NOISY_OUTLIER_CV:
        why.append("cv %.0f%%" % (100 * row["cv"]))
    thr = row.get("throughput")
    if thr and row.get("throughput_max") is not None:
        why.append("min..max %.0f%%" % (100 * (row["throughput_max"] - row["throughput_min"]) / thr))
    if row.get("outliers"):
        why.append("hyperfine outliers")
    return ", ".join(why)


def rel(path):
    """path relative to the project root, for people."""
    return os.path.relpath(path, ROOT)


def median(xs):
    return statistics.median(xs) if xs else None


def cv(xs):
    """Coefficient of variation (population), 0 for fewer than two values."""
    if len(xs) < 2 or statistics.mean(xs) == 0:
        return 0.0
    return statistics.pstdev(xs) / statistics.mean(xs)


def merge_point(stats, hf, outliers):
    """One results.csv row's measured fields from the counted runs."""
    def col(k):
        return [float(s[k]) for s in stats]
    thr = col("throughput")
    row = {
        "runs": len(stats),
        "throughput": median(thr), "throughput_min": min(thr), "throughput_max": max(thr),
        "throughput_cv": cv(thr),
        "p50_us": median(col("p50_us")), "p50_us_min": min(col("p50_us")),
        "p50_us_max": max(col("p50_us")), "p90_us": median(col("p90_us")),
        "p99_us": median(col("p99_us")), "p99_us_min": min(col("p99_us")),
        "p99_us_max": max(col("p99_us")), "p999_us": median(col("p999_us")),
        "max_us": median(col("max_us")), "mean_us": median(col("mean_us")),
        "maxrss_kib": median(col("maxrss_kib")), "maxrss_kib_min": min(col("maxrss_kib")),
        "maxrss_kib_max": max(col("maxrss_kib")),
        "threads": max(int(s["threads"]) for s in stats),
        "utime_s": median(col("utime_s")), "stime_s": median(col("stime_s")),
        "vcsw": median(col("vcsw")), "ivcsw": median(col("ivcsw")),
        "wall_s": median(col("wall_s")),
        "window_tasks": int(median(col("window_tasks"))) if all("window_tasks" in s
                                                                for s in stats) else None,
        "errors": sum(int(s["errors"]) for s in stats),
        "outliers": 1 if outliers else 0,
    }
    # Figures an older binary, or a machine without a memory cgroup, does not
    # give: empty (not measured), never zero.
    def opt(k):
        vals = [s.get(k) for s in stats]
        return None if any(v is None for v in vals) else median([float(v) for v in vals])
    for k in ("kmem_kib", "setup_s", "setup_cpu_s", "teardown_s", "teardown_cpu_s",
              "backend_cpu_s", "backend_vcsw", "backend_ivcsw"):
        row[k] = opt(k)
    util = [float(s["backend_cpu_s"]) / float(s["window_s"]) for s in stats
            if s.get("backend_cpu_s") is not None and float(s.get("window_s") or 0) > 0]
    row["backend_util"] = median(util) if len(util) == len(stats) else None
    row["mem_source"] = stats[0].get("mem_source") if row["kmem_kib"] is not None else "none"
    row["placement"] = stats[0].get("placement", "shared")
    if hf:
        row.update({"hf_mean_s": hf.get("mean"), "hf_stddev_s": hf.get("stddev"),
                    "hf_median_s": hf.get("median"), "hf_min_s": hf.get("min"),
                    "hf_max_s": hf.get("max")})
    row["cv"] = row["throughput_cv"]
    row["noisy"] = noisy_flag(row)
    row["littles_ratio"] = (row["throughput"] * row["mean_us"] / 1e6 / stats[0]["concurrency"]
                            if row["mean_us"] else None)
    sums = {s["checksum"] for s in stats}
    row["checksum"] = sums.pop() if len(sums) == 1 else "mismatch"
    return row


def fmt(v):
    """A CSV cell: empty for None, compact for floats."""
    if v is None:
        return ""
    if isinstance(v, float):
        return "%.6g" % v
    return str(v)


def write_csv(path, rows):
    """All rows so far, with rss_per_task_kib filled in, atomically."""
    base = {(r["workload"], r["model"]): r for r in rows
            if r["concurrency"] == 1 and r["status"] == "ok"}
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(COLUMNS)
    for r in rows:
        b = base.get((r["workload"], r["model"]))
        if b and r["status"] == "ok" and r["concurrency"] >= RSS_PER_TASK_MIN_C:
            r["rss_per_task_kib"] = ((r["maxrss_kib"] - b["maxrss_kib"]) /
                                     (r["concurrency"] - 1))
            # Kernel memory per task by the same rule, and the whole: user + kernel.
            if r.get("kmem_kib") is not None and b.get("kmem_kib") is not None:
                r["kmem_per_task_kib"] = ((r["kmem_kib"] - b["kmem_kib"]) /
                                          (r["concurrency"] - 1))
                r["mem_per_task_kib"] = r["rss_per_task_kib"] + r["kmem_per_task_kib"]
        w.writerow([fmt(r.get(c)) for c in COLUMNS])
    write_atomic(path, buf.getvalue())


def human(v):
    """12.3k-style numbers for progress lines."""
    for div, suffix in ((1e6, "M"), (1e3, "k")):
        if abs(v) >= div:
            return "%.3g%s" % (v / div, suffix)
    return "%.3g" % v


def duration(s):
    s = int(s)
    return "%dm%02ds" % (s // 60, s % 60) if s >= 60 else "%ds" % s


def hyperfine_runs(runner, meta, tag, argv, stats_file, runs, warmup, export_json=None):
    """hyperfine runs `argv` (which appends a JSON line per run to
    stats_file) warmup + runs times: (rc, out, err, the stats lines)."""
    hf_argv = ["hyperfine", "-N", "--style", "basic", "--warmup", str(warmup),
               "--runs", str(runs), "--command-name", tag]
    hf_argv += ["--export-json", export_json] if export_json else []
    hf_argv.append(" ".join(shlex.quote(a) for a in argv))
    meta["commands"].append(" ".join(shlex.quote(a) for a in hf_argv))
    rc, out, err = runner.run(hf_argv, (warmup + runs) * (RUN_TIMEOUT_S + 10))
    lines = []
    if os.path.exists(stats_file):
        with open(stats_file) as f:
            for line in f:
                try:
                    lines.append(json.loads(line))
                except ValueError:
                    pass  # a run killed mid-write; O_APPEND makes this rare
    return rc, out, err, lines


def point_latest(results, name, run_dir):
    """results/NAME -> run_dir, replaced atomically; returns its path."""
    link = os.path.join(results, name)
    tmp_link = link + ".tmp.%d" % os.getpid()
    os.symlink(os.path.basename(run_dir), tmp_link)
    os.replace(tmp_link, link)
    return link


def run_point(args, runner, meta, run_dir, pair, model, c):
    """Measure one point; returns its results.csv row."""
    name = pair["name"]
    row = {"workload": name, "model": model["name"], "concurrency": c,
           "work": pair["work"], "delay_us": pair["delay_us"], "status": "ok", "reason": ""}
    tag = "%s-%s-c%d" % (name, model["name"], c)

    # Pilot: size the run.
    n0 = max(PILOT_MIN_TASKS, PILOT_TASKS_PER_SLOT * c)
    argv = model_argv(model, pair, c, n0, pin=args.pin) + ["--json"]
    meta["commands"].append(" ".join(shlex.quote(a) for a in argv))
    rc, out, err = runner.run(argv, RUN_TIMEOUT_S + 10)
    stats = None
    try:
        stats = json.loads(out.strip().splitlines()[-1]) if out.strip() else None
    except ValueError:
        pass
    if rc != 0 or not stats:
        row.update(status="failed", reason=failure_reason(err, stats), tasks=n0)
        return row
    row["verify_tasks"], row["verify_checksum"] = n0, stats["checksum"]
    rate = stats["throughput"] or 1.0
    want = max(rate * args.target_s, min(WANT_TASKS_PER_SLOT * c, rate * MAX_RUN_S),
               min(STEADY_TASKS_PER_SLOT * c, rate * STEADY_MAX_RUN_S))
    n = int(min(MAX_TASKS, max(MIN_TASKS_PER_SLOT * c, want)))
    row["tasks"] = n

    # hyperfine: warm-up and counted runs, each appending a stats line.
    stats_file = os.path.join(run_dir, "stats", tag + ".jsonl")
    if os.path.exists(stats_file):
        os.unlink(stats_file)
    hf_final = os.path.join(run_dir, "hyperfine", tag + ".json")
    hf_tmp = hf_final + ".tmp"
    rc, out, err, lines = hyperfine_runs(runner, meta, tag,
                                         model_argv(model, pair, c, n, stats_file, args.pin),
                                         stats_file, args.runs, WARMUP, hf_tmp)
    if rc != 0:
        bad = next((s for s in reversed(lines) if s.get("status") != "ok"), None)
        row.update(status="failed", reason=failure_reason(err, bad))
        return row
    counted = lines[-args.runs:]
    if len(lines) != WARMUP + args.runs:  # a lost line: never take the warm-up's instead
        row.update(status="failed", reason="%d stats lines for %d runs (a result was lost)"
                   % (len(lines), WARMUP + args.runs))
        return row
    hf = None
    try:
        with open(hf_tmp) as f:
            hf = json.load(f)["results"][0]
        os.replace(hf_tmp, hf_final)
    except (OSError, ValueError, KeyError, IndexError):
        pass  # hyperfine's export is a bonus: our own stats lines are the data
    # hyperfine's own words (outlier warnings above all) stay with the data.
    write_atomic(os.path.join(run_dir, "hyperfine", tag + ".log"), out + err)
    outliers = "outlier" in (err + out).lower()
    if outliers:
        warn = [l.strip() for l in (err + out).splitlines() if "outlier" in l.lower()]
        row["hf_warning"] = warn[0] if warn else "outliers"
    row.update(merge_point(counted, hf, outliers))
    return row


def read_calibration(path):
    """{name: value} of a calibration.csv, {} when unreadable."""
    try:
        with open(path, newline="") as f:
            return {r["name"]: float(r["value"]) for r in csv.DictReader(f)}
    except (OSError, KeyError, ValueError, csv.Error):
        return {}


def calibrate(args, runner, meta, run_dir):
    """Before the first point: bin/calibrate writes calibration.csv, then the
    floor runs (c=1, delay 0) write floor_runs.jsonl.  Each is recorded in
    meta.json (meta["calibration"], meta["floor_runs"]) with its command; a
    failure is one line on stderr and the sweep goes on without the file."""
    t0 = time.monotonic()
    path = os.path.join(run_dir, CALIBRATION_CSV)
    argv = [os.path.join(BIN, "calibrate"), "--quiet", "--out", path]
    if args.quick:
        argv.append("--quick")
    meta["commands"].append(" ".join(shlex.quote(a) for a in argv))
    try:
        rc, _, err = runner.run(argv, CALIBRATE_TIMEOUT_S)
    except OSError as e:
        rc, err = -1, "cannot run %s: %s" % (rel(argv[0]), e.strerror or e)
    cal = read_calibration(path) if rc == 0 else {}
    if rc == 0 and cal:
        meta["calibration"] = {"status": "ok", "file": CALIBRATION_CSV, "quick": args.quick,
                               "elapsed_s": round(time.monotonic() - t0, 1)}
        say("calibration: %d cores; cpu_hash round %s ns; TCP RTT %s us (across CPUs %s us); "
            "timer %s ns; thread create+join %s us; wake-up %s us; RSS %s KiB/thread, "
            "%s KiB/event (%s)" % (
                cal.get("cores", 0), human(cal.get("cpu_hash_unit_ns", 0)),
                human(cal.get("tcp_rtt_us", 0)), human(cal.get("tcp_rtt_cross_cpu_us", 0)),
                human(cal.get("timer_event_ns", 0)),
                human(cal.get("thread_create_join_us", 0)),
                human(cal.get("wakeup_pingpong_us", 0)),
                human(cal.get("rss_per_idle_thread_kib", 0)),
                human(cal.get("rss_per_pending_event_kib", 0)), CALIBRATION_CSV), args.quiet)
    else:
        why = (last_line(err) or "exit %s" % rc) if rc != 0 else "no figures in its output"
        if os.path.exists(path):
            os.unlink(path)
        meta["calibration"] = {"status": "failed", "file": None, "reason": why}
        print("bench: calibration failed (%s); going on without %s" % (why, CALIBRATION_CSV),
              file=sys.stderr)

    # The floor runs: the registered pair that is a bare backend round trip.
    pair = next((p for p in registry() if p["needs_backend"] and p["work"] == 0), None)
    if pair is None:
        meta["floor_runs"] = {"status": "skipped", "file": None,
                              "reason": "no registered pair is a bare backend round trip"}
        return
    n = QUICK_FLOOR_TASKS if args.quick else FLOOR_TASKS
    lines, status = [], {}
    for model in FLOOR_MODELS:
        # On one CPU, the model and its backend (a child: it inherits the
        # mask), like tcp_rtt_us: on this VM a wake-up across CPUs costs
        # ~40 us each way, which would swamp the model's own overhead.
        argv = ["taskset", "-c", str(min(os.sched_getaffinity(0))),
                os.path.join(BIN, model), pair["name"], "-c", "1", "-n", str(n),
                "--delay-us", "0", "--json", "--timeout-s", str(RUN_TIMEOUT_S)]
        meta["commands"].append(" ".join(shlex.quote(a) for a in argv))
        stats = None
        rc, out, err = runner.run(argv, RUN_TIMEOUT_S + 10)
        try:
            stats = json.loads(out.strip().splitlines()[-1]) if out.strip() else None
        except ValueError:
            pass
        if not isinstance(stats, dict):  # no stats line: say why in one
            stats = {"workload": pair["name"], "model": model, "concurrency": 1, "tasks": n,
                     "delay_us": 0, "status": "failed", "reason": failure_reason(err, None)}
        elif rc != 0 and stats.get("status") == "ok":
            stats.update(status="failed", reason=failure_reason(err, None))
        if stats.get("status") != "ok":
            print("bench: floor run %s %s failed: %s" % (
                model, pair["name"], stats.get("reason") or "no reason given"), file=sys.stderr)
        status[model] = stats.get("status", "ok")
        lines.append(json.dumps(stats))  # the model's own line, key order kept
    write_atomic(os.path.join(run_dir, FLOOR_RUNS_JSONL), "\n".join(lines) + "\n")
    meta["floor_runs"] = {"status": "ok", "file": FLOOR_RUNS_JSONL, "workload": pair["name"],
                          "concurrency": 1, "delay_us": 0, "tasks": n, "models": status}
    said = []
    for line in lines:
        st = json.loads(line)
        said.append("%s p50 %s us" % (st["model"], human(float(st["p50_us"])))
                    if st.get("status") == "ok" and "p50_us" in st
                    else "%s failed" % st["model"])
    say("floor runs (%s, c=1, delay 0, %d tasks): %s (%s)" % (
        pair["name"], n, ", ".join(said), FLOOR_RUNS_JSONL), args.quiet)


class ArgParser(argparse.ArgumentParser):
    """argparse, but a bad option is one line (UsageError), not usage + error."""

    def error(self, message):
        raise UsageError(message)


def parse_args(argv):
    ap = ArgParser(prog="make bench", description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="a small sweep (< 1 min)")
    ap.add_argument("--concurrency", help="comma-separated levels, e.g. 1,8,64")
    ap.add_argument("--workloads", help="comma-separated workload names")
    ap.add_argument("--models", help="comma-separated models (threads,async,async-mt,hybrid)")
    ap.add_argument("--runs", default=str(DEFAULT_RUNS), help="counted runs per point (>= 3)")
    ap.add_argument("--results", default=os.path.join(ROOT, "results"), help="results folder")
    ap.add_argument("--quiet", action="store_true", help="only errors and the final line")
    ap.add_argument("--no-rate", action="store_true",
                    help="skip the open-loop sweep (harness/rate_sweep.py) at the end")
    ap.add_argument("--pin", help="CPU placement: split (backend on its own CPU, model on "
                    "the rest) or none (default)")
    ap.add_argument("--no-report", action="store_true", help=argparse.SUPPRESS)
    return ap.parse_args(argv)


def all_models():
    """The series of the sweep: (name, binary, extra args by concurrency and
    the CPUs the model may use, model_cpus())."""
    return [
        {"name": "threads", "binary": "threads", "args": lambda c, cores: []},
        {"name": "async", "binary": "async", "args": lambda c, cores: []},
        {"name": "async-mt", "binary": "async",
         "args": lambda c, cores: ["--loops", str(min(cores, c))]},
        {"name": "hybrid", "binary": "async",
         "args": lambda c, cores: ["--workers", str(cores)]},
    ]


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


def placement(pin):
    """The CPU placement recorded in meta.json params."""
    if pin != "split":
        return "shared: model and backend unpinned on all CPUs"
    return "split: backend on the last %d allowed CPU(s), model on the other %d" % (
        PIN_BACKEND_CPUS, len(os.sched_getaffinity(0)) - PIN_BACKEND_CPUS)


def setup(argv):
    """Validate everything before anything runs; UsageError on bad input."""
    global RUN_TIMEOUT_S
    args = parse_args(argv)
    if not args.results:
        raise UsageError("OUT: empty results folder name")
    timeout = os.environ.get(RUN_TIMEOUT_ENV)
    if timeout is not None:
        if not re.fullmatch(r"[0-9]+", timeout) or not 1 <= int(timeout) <= 86400:
            raise UsageError("%s: '%s' must be a whole number 1..86400"
                             % (RUN_TIMEOUT_ENV, timeout))
        RUN_TIMEOUT_S = int(timeout)
    need_tools()
    if not re.fullmatch(r"[0-9]+", args.runs) or not 3 <= int(args.runs) <= 100:
        raise UsageError("RUNS: '%s' must be a whole number 3..100" % args.runs)
    args.runs = int(args.runs)
    args.pin = parse_pin(args.pin)
    levels_cli = parse_list(args.concurrency, "CONCURRENCY", parse_level)
    pairs = registry()
    known = [p["name"] for p in pairs]
    wanted = parse_list(args.workloads, "WORKLOADS", str)
    if wanted:
        for w in wanted:
            if w not in known:
                raise UsageError("WORKLOADS: unknown workload '%s' (known: %s)"
                                 % (w, ", ".join(known)))
        pairs = [p for p in pairs if p["name"] in wanted]
    models = all_models()
    wanted_models = parse_list(args.models, "MODELS", str)
    if wanted_models:
        names = [m["name"] for m in models]
        for m in wanted_models:
            if m not in names:
                raise UsageError("MODELS: unknown model '%s' (known: %s)" % (m, ", ".join(names)))
        models = [m for m in models if m["name"] in wanted_models]
    args.models = models
    table = QUICK_LEVELS if args.quick else LEVELS
    levels = {p["name"]: levels_cli or table[p["kind"]] for p in pairs}
    args.target_s = QUICK_TARGET_S if args.quick else TARGET_S
    return args, pairs, levels


def main(argv):
    try:
        args, pairs, levels = setup(argv)
    except UsageError as e:
        print("make bench: %s" % e, file=sys.stderr)
        return 2
    except (OSError, subprocess.CalledProcessError) as e:
        print("make bench: cannot read the registry from bin/threads: %s" % e, file=sys.stderr)
        return 2

    args.run_id = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    try:
        os.makedirs(args.results, exist_ok=True)
        if not os.access(args.results, os.W_OK | os.X_OK):
            raise PermissionError(13, "not writable")
    except OSError as e:
        print("make bench: OUT: cannot use '%s' as the results folder: %s"
              % (args.results, e.strerror or e), file=sys.stderr)
        return 2
    run_dir = make_run_dir(args.results, args.run_id)
    global RUN_DIR
    RUN_DIR = run_dir
    args.run_id = os.path.basename(run_dir)
    for sub in ("stats", "hyperfine"):
        os.makedirs(os.path.join(run_dir, sub), exist_ok=True)

    meta = provenance(args, pairs, levels, ["make", "bench"] + argv)
    meta_path = os.path.join(run_dir, "meta.json")
    write_atomic(meta_path, json.dumps(meta, indent=2) + "\n")

    runner = Runner()

    def on_signal(sig, frame):
        # Once is enough: a second signal (Ctrl-C twice; make forwarding
        # SIGTERM to us on top of the group's) must not interrupt the clean-up.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        runner.kill()
        raise Interrupted()
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    try:
        calibrate(args, runner, meta, run_dir)
    except Interrupted:
        remove_tmp(run_dir)
        print("bench: interrupted during calibration; no points measured in %s; "
              "results/latest unchanged" % rel(run_dir), file=sys.stderr)
        return 130
    write_atomic(meta_path, json.dumps(meta, indent=2) + "\n")

    points = point_order(pairs, args.models, levels)
    rows = []
    csv_path = os.path.join(run_dir, "results.csv")
    start = time.monotonic()
    say("bench: %d points (%s), results in %s" % (
        len(points), ", ".join(p["name"] for p in pairs), rel(run_dir)), args.quiet)
    try:
        for i, (pair, model, c) in enumerate(points, 1):
            row = run_point(args, runner, meta, run_dir, pair, model, c)
            rows.append(row)
            write_csv(csv_path, csv_order(rows, pairs, args.models))
            write_atomic(meta_path, json.dumps(meta, indent=2) + "\n")
            elapsed = time.monotonic() - start
            left = elapsed / i * (len(points) - i)
            if row["status"] == "ok":
                what = "%s tasks/s, p99 %s us%s" % (
                    human(row["throughput"]), human(row["p99_us"]),
                    colour(" (noisy: %s)" % noisy_why(row), "33") if row["noisy"] else "")
            else:
                what = colour("FAILED: %s" % row["reason"], "31")
            say("[%3d/%d] %-10s %-8s c=%-6d %s  (%s elapsed, ~%s left)" % (
                i, len(points), pair["name"], model["name"], c, what,
                duration(elapsed), duration(left)), args.quiet)
    except Interrupted:
        remove_tmp(run_dir)
        print("bench: interrupted; partial results (%d of %d points) in %s; "
              "results/latest unchanged" % (len(rows), len(points), rel(run_dir)),
              file=sys.stderr)
        return 130

    # The open-loop sweep (latency against offered load) into rate/ of this
    # run, on the registry's default rate workloads that this run measured.
    if not args.no_rate:
        import rate_sweep
        rate_wls = [w for w in rate_sweep.DEFAULT_WORKLOADS if w in {p["name"] for p in pairs}]
        if rate_wls:
            rate_argv = ["--into", run_dir, "--workloads", ",".join(rate_wls), "--models",
                         ",".join(m["name"] for m in args.models)]
            rate_argv += ["--quick"] if args.quick else []
            rate_argv += ["--pin", args.pin] if args.pin else []
            rate_argv += ["--quiet"] if args.quiet else []
            try:
                rargs = rate_sweep.setup(rate_argv)
                rate_sweep.run_rate(rargs, runner, run_dir, meta)
            except Interrupted:
                write_atomic(meta_path, json.dumps(meta, indent=2) + "\n")
                print("bench: interrupted in the open-loop sweep; closed-loop results complete "
                      "in %s; results/latest unchanged" % rel(run_dir), file=sys.stderr)
                return 130
            except (UsageError, rate_sweep.S.UsageError) as e:  # S: the module, not __main__
                print("bench: open-loop sweep skipped: %s" % e, file=sys.stderr)
            write_atomic(meta_path, json.dumps(meta, indent=2) + "\n")

    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    # Every point is measured: the data is complete, whatever the report does.
    meta["complete"] = True
    meta["results_csv"] = results_seal(csv_path)
    meta["elapsed_s"] = round(time.monotonic() - start, 1)
    write_atomic(meta_path, json.dumps(meta, indent=2) + "\n")
    if not args.no_report:
        rc = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "report.py"),
                             run_dir]).returncode
        if rc != 0:
            print("bench: report failed; results are in %s" % rel(run_dir), file=sys.stderr)
            return 1
    latest = point_latest(args.results, "latest", run_dir)
    failed = sum(1 for r in rows if r["status"] != "ok")
    print("bench: %d points in %s (%d failed); %s" % (
        len(rows), duration(time.monotonic() - start), failed,
        "results: %s" % rel(os.path.join(latest, "results.csv")) if args.no_report
        else "report: %s" % rel(os.path.join(latest, "report.md"))), file=sys.stderr)
    return 0


RUN_DIR = None  # the run folder once made: cleaned up if a write fails


def guarded_main(argv):
    """main(), but our parent's death stops us, and a write that fails (a
    full disk under the results folder) ends the sweep with one line and
    exit 3, never a traceback."""
    die_with_parent()
    try:
        return main(argv)
    except OSError as e:
        write_failed("bench", e, RUN_DIR)
        return 3


if __name__ == "__main__":
    sys.exit(guarded_main(sys.argv[1:]))
